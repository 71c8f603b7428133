#include "libike/wire/id_auth_payload.h"

#include "libike/common/reader.h"
#include "libike/wire/codec_util.h"

namespace ike::wire {

using internal::Fail;

namespace {

// Reads the one-octet type and three reserved octets shared by ID and AUTH.
bool ReadTypeAndReserved(Reader& r, uint8_t& type) {
  ByteView reserved;
  return r.ReadU8(type) && r.ReadBytes(3, reserved);
}

void WriteTypeAndReserved(uint8_t type, Writer& w) {
  w.WriteU8(type);
  w.WriteU8(0);
  w.WriteU16(0);
}

Bytes FromText(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

IdPayload IdPayload::FromIp(Role role, const IpAddress& address) {
  ByteView b = address.bytes();
  return {role, address.is_v4() ? IdType::kIpv4Addr : IdType::kIpv6Addr, Bytes(b.begin(), b.end())};
}
IdPayload IdPayload::FromFqdn(Role role, std::string_view fqdn) {
  return {role, IdType::kFqdn, FromText(fqdn)};
}
IdPayload IdPayload::FromRfc822(Role role, std::string_view email) {
  return {role, IdType::kRfc822Addr, FromText(email)};
}
IdPayload IdPayload::FromKeyId(Role role, ByteView key_id) {
  return {role, IdType::kKeyId, Bytes(key_id.begin(), key_id.end())};
}
IdPayload IdPayload::FromDn(Role role, ByteView der_dn) {
  return {role, IdType::kDerAsn1Dn, Bytes(der_dn.begin(), der_dn.end())};
}

std::optional<IpAddress> IdPayload::AsIp() const {
  if ((id_type == IdType::kIpv4Addr && data.size() == 4) ||
      (id_type == IdType::kIpv6Addr && data.size() == 16)) {
    return IpAddress::FromBytes(data);
  }
  return std::nullopt;
}

std::optional<std::string> IdPayload::AsString() const {
  if (id_type != IdType::kFqdn && id_type != IdType::kRfc822Addr) return std::nullopt;
  return std::string(data.begin(), data.end());
}

Result<IdPayload, DecodeError> DecodeIdBody(Role role, ByteView body) {
  Reader r(body);
  uint8_t type = 0;
  if (!ReadTypeAndReserved(r, type)) {
    return Fail(DecodeErrorCode::kBadLength, "ID body shorter than 4 octets");
  }
  IdPayload id{role, static_cast<IdType>(type), Bytes(r.rest().begin(), r.rest().end())};
  switch (id.id_type) {
    case IdType::kIpv4Addr:
      if (id.data.size() != 4) return Fail(DecodeErrorCode::kInvalidSyntax, "ID_IPV4_ADDR not 4 octets");
      break;
    case IdType::kIpv6Addr:
      if (id.data.size() != 16) {
        return Fail(DecodeErrorCode::kInvalidSyntax, "ID_IPV6_ADDR not 16 octets");
      }
      break;
    case IdType::kFqdn:
    case IdType::kRfc822Addr:
    case IdType::kDerAsn1Dn:
    case IdType::kDerAsn1Gn:
    case IdType::kKeyId:
      if (id.data.empty()) return Fail(DecodeErrorCode::kInvalidSyntax, "empty identification data");
      break;
  }
  return id;
}

void EncodeBody(const IdPayload& id, Writer& w) {
  WriteTypeAndReserved(static_cast<uint8_t>(id.id_type), w);
  w.WriteBytes(id.data);
}

Bytes EncodeIdBody(const IdPayload& id) {
  Bytes out;
  Writer w(out);
  EncodeBody(id, w);
  return out;
}

Result<CertPayload, DecodeError> DecodeCertBody(ByteView body) {
  if (body.empty()) return Fail(DecodeErrorCode::kBadLength, "CERT without encoding octet");
  return CertPayload{static_cast<CertEncoding>(body[0]), Bytes(body.begin() + 1, body.end())};
}

void EncodeBody(const CertPayload& cert, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(cert.encoding));
  w.WriteBytes(cert.data);
}

CertReqPayload CertReqPayload::FromCaKeyHashes(const std::vector<Bytes>& sha1_hashes) {
  CertReqPayload req;
  for (const Bytes& h : sha1_hashes) req.authorities.insert(req.authorities.end(), h.begin(), h.end());
  return req;
}

std::optional<std::vector<Bytes>> CertReqPayload::CaKeyHashes() const {
  if (authorities.size() % kCaKeyHashSize != 0) return std::nullopt;
  std::vector<Bytes> out;
  for (size_t i = 0; i < authorities.size(); i += kCaKeyHashSize) {
    out.emplace_back(authorities.begin() + i, authorities.begin() + i + kCaKeyHashSize);
  }
  return out;
}

Result<CertReqPayload, DecodeError> DecodeCertReqBody(ByteView body) {
  if (body.empty()) return Fail(DecodeErrorCode::kBadLength, "CERTREQ without encoding octet");
  return CertReqPayload{static_cast<CertEncoding>(body[0]), Bytes(body.begin() + 1, body.end())};
}

void EncodeBody(const CertReqPayload& req, Writer& w) {
  w.WriteU8(static_cast<uint8_t>(req.encoding));
  w.WriteBytes(req.authorities);
}

Result<AuthPayload, DecodeError> DecodeAuthBody(ByteView body) {
  Reader r(body);
  uint8_t method = 0;
  if (!ReadTypeAndReserved(r, method)) {
    return Fail(DecodeErrorCode::kBadLength, "AUTH body shorter than 4 octets");
  }
  return AuthPayload{static_cast<AuthMethod>(method), Bytes(r.rest().begin(), r.rest().end())};
}

void EncodeBody(const AuthPayload& auth, Writer& w) {
  WriteTypeAndReserved(static_cast<uint8_t>(auth.method), w);
  w.WriteBytes(auth.data);
}

}  // namespace ike::wire
