// Identification (RFC 7296 3.5), Certificate (3.6), Certificate Request (3.7)
// and Authentication (3.8) payloads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/writer.h"
#include "libike/wire/decode_error.h"

namespace ike::wire {

// Identification payload, IDi (type 35) or IDr (type 36) (RFC 7296 3.5).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   ID Type     |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Identification Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ID_IPV4_ADDR data must be 4 octets, ID_IPV6_ADDR 16, FQDN/RFC822/KEY_ID/DN/GN
// non-empty; unknown ID types are kept as raw data. `role` says whose
// identity it is: kInitiator = IDi, kResponder = IDr.
// Note: AUTH is computed over the body (ID Type, RESERVED, data), i.e.
// EncodeIdBody(), RFC 7296 2.15.
struct IdPayload {
  Role role = Role::kInitiator;
  IdType id_type = IdType::kFqdn;
  Bytes data;

  static IdPayload FromIp(Role role, const IpAddress& address);
  static IdPayload FromFqdn(Role role, std::string_view fqdn);
  static IdPayload FromRfc822(Role role, std::string_view email);
  static IdPayload FromKeyId(Role role, ByteView key_id);
  static IdPayload FromDn(Role role, ByteView der_dn);  // DER-encoded Name
  // The address for ID_IPV4_ADDR / ID_IPV6_ADDR, else nullopt.
  std::optional<IpAddress> AsIp() const;
  // The text of an ID_FQDN / ID_RFC822_ADDR, else nullopt.
  std::optional<std::string> AsString() const;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

// Certificate payload (RFC 7296 3.6).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~                       Certificate Data                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct CertPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes data;  // DER certificate for kX509Signature
  friend bool operator==(const CertPayload&, const CertPayload&) = default;
};

// Certificate Request payload (RFC 7296 3.7).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~                    Certification Authority                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// For X.509 the authority field is a concatenation of 20-octet SHA-1 hashes
// of CA public keys (SubjectPublicKeyInfo); see CaKeyHashes().
inline constexpr size_t kCaKeyHashSize = 20;
struct CertReqPayload {
  CertEncoding encoding = CertEncoding::kX509Signature;
  Bytes authorities;

  static CertReqPayload FromCaKeyHashes(const std::vector<Bytes>& sha1_hashes);
  // The individual hashes, or nullopt when the length is not a multiple of 20.
  std::optional<std::vector<Bytes>> CaKeyHashes() const;
  friend bool operator==(const CertReqPayload&, const CertReqPayload&) = default;
};

// Authentication payload (RFC 7296 3.8).
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Auth Method   |                RESERVED                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Authentication Data                      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// For kDigitalSignature (RFC 7427) the data starts with a one-octet ASN.1
// length and the AlgorithmIdentifier; that is parsed by the auth code.
struct AuthPayload {
  AuthMethod method = AuthMethod::kPsk;
  Bytes data;
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

Result<IdPayload, DecodeError> DecodeIdBody(Role role, ByteView body);
void EncodeBody(const IdPayload& id, Writer& w);
// The ID body bytes (RestOfIDPayload for the AUTH computation, RFC 7296 2.15).
Bytes EncodeIdBody(const IdPayload& id);
Result<CertPayload, DecodeError> DecodeCertBody(ByteView body);
void EncodeBody(const CertPayload& cert, Writer& w);
Result<CertReqPayload, DecodeError> DecodeCertReqBody(ByteView body);
void EncodeBody(const CertReqPayload& req, Writer& w);
Result<AuthPayload, DecodeError> DecodeAuthBody(ByteView body);
void EncodeBody(const AuthPayload& auth, Writer& w);

}  // namespace ike::wire
