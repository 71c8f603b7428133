// Signature schemes for IKEv2 authentication and their RFC 7427 encoding.
//
// AUTH method 14 ("Digital Signature", RFC 7427) carries, in the AUTH
// payload's data:
//
//   | ASN.1 length (1 byte) | AlgorithmIdentifier (DER) | signature value |
//
// EncodeAlgorithmIdentifier() produces the DER of RFC 7427 Appendix A (for
// RSASSA-PSS: hash = MGF1 hash, salt length = hash length, trailer field
// omitted). ParseAlgorithmIdentifier() accepts exactly one DER encoding per
// scheme, except that RSASSA-PSS parameters are parsed field by field so
// that an absent NULL in the hash AlgorithmIdentifiers (RFC 4055 allows
// both) is accepted; anything else is kInvalidInput / kUnsupportedAlgorithm.
#pragma once

#include <cstdint>
#include <optional>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/crypto/crypto_error.h"

namespace ike::crypto {

enum class SignatureScheme : uint8_t {
  kRsaPkcs1Sha1,    // sha1WithRSAEncryption (also AUTH method 1)
  kRsaPkcs1Sha256,  // sha256WithRSAEncryption
  kRsaPkcs1Sha384,
  kRsaPkcs1Sha512,
  kRsaPssSha256,    // id-RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32
  kRsaPssSha384,
  kRsaPssSha512,
  kEcdsaSha256,     // ecdsa-with-SHA256, DER Ecdsa-Sig-Value
  kEcdsaSha384,
  kEcdsaSha512,
  kEd25519,         // id-Ed25519 (RFC 8420), PureEdDSA over the data
  kEd448,           // id-Ed448
};

const char* SignatureSchemeName(SignatureScheme scheme);

// The RFC 7427 SIGNATURE_HASH_ALGORITHMS value the scheme uses
// (kIdentity for EdDSA), for the SIGNATURE_HASH_ALGORITHMS notify.
HashAlgorithm SchemeHash(SignatureScheme scheme);

// DER AlgorithmIdentifier of the scheme.
Bytes EncodeAlgorithmIdentifier(SignatureScheme scheme);
// Strict parse of a DER AlgorithmIdentifier (the whole input must be it).
CryptoResult<SignatureScheme> ParseAlgorithmIdentifier(ByteView der);

// AUTH payload data for method 14.
Bytes EncodeDigitalSignatureAuth(SignatureScheme scheme, ByteView signature);
struct DigitalSignatureAuth {
  SignatureScheme scheme;
  ByteView signature;  // points into the parsed input
};
// Parses AUTH data of method 14: the length byte must equal the DER length
// of the AlgorithmIdentifier that follows; the signature must be non-empty.
CryptoResult<DigitalSignatureAuth> ParseDigitalSignatureAuth(ByteView auth_data);

// Classic AUTH methods with a fixed scheme (RFC 7296 method 1, RFC 4754
// methods 9/10/11); nullopt for other methods.
std::optional<SignatureScheme> ClassicAuthScheme(AuthMethod method);

}  // namespace ike::crypto
