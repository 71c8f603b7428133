#include "libike/eap/radius.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "libike/common/reader.h"
#include "libike/common/writer.h"

namespace ike::radius {
namespace {

constexpr size_t kMd5Size = 16;

Unexpected<Error> Fail(ErrorCode code, std::string detail) {
  return MakeUnexpected(Error{code, std::move(detail)});
}

bool KnownCode(uint8_t c) {
  switch (c) {
    case 1: case 2: case 3: case 4: case 5: case 11: case 12: return true;
    default: return false;
  }
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// MD5 over the concatenation of `parts` (the secret among them: OpenSSL
// wipes its digest state when the context is freed).
Result<Authenticator, Error> Md5(std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  if (!ctx || md5 == nullptr || EVP_DigestInit_ex(ctx.get(), md5, nullptr) != 1) {
    return Fail(ErrorCode::kCrypto, "MD5 unavailable");
  }
  for (ByteView p : parts) {
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) {
      return Fail(ErrorCode::kCrypto, "MD5 failed");
    }
  }
  Authenticator out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != kMd5Size) {
    return Fail(ErrorCode::kCrypto, "MD5 failed");
  }
  return out;
}

struct MacFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

Result<Authenticator, Error> HmacMd5(ByteView key, ByteView data) {
  static EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return Fail(ErrorCode::kCrypto, "HMAC unavailable");
  std::unique_ptr<EVP_MAC_CTX, MacFree> ctx(EVP_MAC_CTX_new(hmac));
  char digest[] = "MD5";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  static const uint8_t kEmpty = 0;
  const uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (!ctx || EVP_MAC_init(ctx.get(), k, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    return Fail(ErrorCode::kCrypto, "HMAC-MD5 failed");
  }
  Authenticator out{};
  size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != kMd5Size) {
    return Fail(ErrorCode::kCrypto, "HMAC-MD5 failed");
  }
  return out;
}

// Offset of the Message-Authenticator value in an encoded packet, if any.
std::optional<size_t> MessageAuthenticatorOffset(ByteView raw) {
  size_t pos = kHeaderSize;
  while (pos + 2 <= raw.size()) {
    uint8_t type = raw[pos], len = raw[pos + 1];
    if (len < 2 || pos + len > raw.size()) return std::nullopt;
    if (type == static_cast<uint8_t>(Attr::kMessageAuthenticator) && len == 18) return pos + 2;
    pos += len;
  }
  return std::nullopt;
}

// HMAC-MD5 over `raw` with the Message-Authenticator value zeroed and the
// Authenticator field replaced by `auth_field` (RFC 3579 3.2).
Result<Authenticator, Error> ComputeMessageAuthenticator(ByteView raw, size_t ma_offset, const Authenticator& auth_field,
                                                         ByteView secret) {
  Bytes copy(raw.begin(), raw.end());
  std::copy(auth_field.begin(), auth_field.end(), copy.begin() + 4);
  std::fill(copy.begin() + static_cast<ptrdiff_t>(ma_offset),
            copy.begin() + static_cast<ptrdiff_t>(ma_offset + kMd5Size), 0);
  return HmacMd5(secret, copy);
}

// Adds a zero Message-Authenticator unless there is one; resets its value.
void PrepareMessageAuthenticator(Packet& packet) {
  for (auto& a : packet.attributes) {
    if (a.type == static_cast<uint8_t>(Attr::kMessageAuthenticator)) {
      a.value.assign(kMd5Size, 0);
      return;
    }
  }
  packet.Add(Attr::kMessageAuthenticator, Bytes(kMd5Size, 0));
}

void SetMessageAuthenticator(Packet& packet, const Authenticator& mac) {
  for (auto& a : packet.attributes) {
    if (a.type == static_cast<uint8_t>(Attr::kMessageAuthenticator)) {
      a.value.assign(mac.begin(), mac.end());
      return;
    }
  }
}

// MD5(Code+Id+Length+auth_field+Attributes+Secret) over an encoded packet.
Result<Authenticator, Error> PacketDigest(ByteView raw, const Authenticator& auth_field, ByteView secret) {
  return Md5({raw.first(4), ByteView(auth_field), raw.subspan(kHeaderSize), secret});
}

}  // namespace

const char* CodeName(Code code) {
  switch (code) {
    case Code::kAccessRequest: return "Access-Request";
    case Code::kAccessAccept: return "Access-Accept";
    case Code::kAccessReject: return "Access-Reject";
    case Code::kAccountingRequest: return "Accounting-Request";
    case Code::kAccountingResponse: return "Accounting-Response";
    case Code::kAccessChallenge: return "Access-Challenge";
    case Code::kStatusServer: return "Status-Server";
  }
  return "?";
}

std::string ToString(const Error& error) {
  static const char* const kNames[] = {"truncated",
                                       "bad length",
                                       "unknown code",
                                       "bad attribute",
                                       "too large",
                                       "bad authenticator",
                                       "bad Message-Authenticator",
                                       "missing Message-Authenticator",
                                       "crypto failure"};
  std::string s = kNames[static_cast<size_t>(error.code)];
  if (!error.detail.empty()) s += ": " + error.detail;
  return s;
}

void Packet::Add(Attr type, ByteView value) {
  attributes.push_back(Attribute{static_cast<uint8_t>(type), Bytes(value.begin(), value.end())});
}
void Packet::AddString(Attr type, std::string_view value) {
  Add(type, ByteView(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
}
void Packet::AddU32(Attr type, uint32_t value) {
  Bytes b;
  Writer(b).WriteU32(value);
  Add(type, b);
}
void Packet::AddAddress(Attr type, const IpAddress& address) { Add(type, address.bytes()); }

const Bytes* Packet::Find(Attr type) const {
  for (const auto& a : attributes) {
    if (a.type == static_cast<uint8_t>(type)) return &a.value;
  }
  return nullptr;
}
std::optional<uint32_t> Packet::FindU32(Attr type) const {
  const Bytes* v = Find(type);
  if (v == nullptr || v->size() != 4) return std::nullopt;
  uint32_t out = 0;
  Reader(*v).ReadU32(out);
  return out;
}
size_t Packet::Count(Attr type) const {
  size_t n = 0;
  for (const auto& a : attributes) n += a.type == static_cast<uint8_t>(type) ? 1 : 0;
  return n;
}

Result<Packet, Error> Decode(ByteView bytes) {
  Reader r(bytes);
  uint8_t code = 0, id = 0;
  uint16_t length = 0;
  if (!r.ReadU8(code) || !r.ReadU8(id) || !r.ReadU16(length)) {
    return Fail(ErrorCode::kTruncated, "shorter than the RADIUS header");
  }
  if (length < kHeaderSize || length > kMaxPacketSize) {
    return Fail(ErrorCode::kBadLength, "Length " + std::to_string(length) + " outside 20..4096");
  }
  if (bytes.size() < length) {
    return Fail(ErrorCode::kTruncated, "Length " + std::to_string(length) + " but " +
                                           std::to_string(bytes.size()) + " octets received");
  }
  if (!KnownCode(code)) return Fail(ErrorCode::kUnknownCode, "Code " + std::to_string(code));
  Packet p;
  p.code = static_cast<Code>(code);
  p.id = id;
  ByteView auth;
  r.ReadBytes(16, auth);
  std::copy(auth.begin(), auth.end(), p.authenticator.begin());
  Reader attrs(bytes.subspan(kHeaderSize, length - kHeaderSize));
  size_t message_authenticators = 0;
  while (!attrs.empty()) {
    uint8_t type = 0, len = 0;
    if (!attrs.ReadU8(type) || !attrs.ReadU8(len)) {
      return Fail(ErrorCode::kBadLength, "attribute header cut at offset " + std::to_string(kHeaderSize + attrs.offset()));
    }
    if (len < 2) return Fail(ErrorCode::kBadLength, "attribute " + std::to_string(type) + " length " + std::to_string(len));
    Attribute a;
    a.type = type;
    if (!attrs.ReadBytes(len - 2u, a.value)) {
      return Fail(ErrorCode::kBadLength, "attribute " + std::to_string(type) + " runs past the packet");
    }
    if (type == static_cast<uint8_t>(Attr::kMessageAuthenticator)) {
      if (a.value.size() != kMd5Size) return Fail(ErrorCode::kBadMessageAuthenticator, "not 16 octets");
      if (++message_authenticators > 1) return Fail(ErrorCode::kBadMessageAuthenticator, "more than one");
    }
    p.attributes.push_back(std::move(a));
  }
  return p;
}

Result<Bytes, Error> Encode(const Packet& packet) {
  Bytes out;
  out.reserve(kHeaderSize + 64);
  Writer w(out);
  w.WriteU8(static_cast<uint8_t>(packet.code));
  w.WriteU8(packet.id);
  w.WriteU16(0);
  w.WriteBytes(packet.authenticator);
  for (const auto& a : packet.attributes) {
    if (a.value.size() > kMaxValueSize) {
      return Fail(ErrorCode::kTooLarge, "attribute " + std::to_string(a.type) + " value of " +
                                            std::to_string(a.value.size()) + " octets");
    }
    w.WriteU8(a.type);
    w.WriteU8(static_cast<uint8_t>(a.value.size() + 2));
    w.WriteBytes(a.value);
  }
  if (out.size() > kMaxPacketSize) return Fail(ErrorCode::kTooLarge, std::to_string(out.size()) + " octets");
  w.PatchU16(2, static_cast<uint16_t>(out.size()));
  return out;
}

Result<Bytes, Error> EncodeAccessRequest(Packet& packet, ByteView secret) {
  packet.code = Code::kAccessRequest;
  PrepareMessageAuthenticator(packet);
  IKE_ASSIGN_OR_RETURN(Bytes raw, Encode(packet));
  auto offset = MessageAuthenticatorOffset(raw);
  if (!offset) return Fail(ErrorCode::kBadMessageAuthenticator, "not encoded");
  IKE_ASSIGN_OR_RETURN(Authenticator mac, ComputeMessageAuthenticator(raw, *offset, packet.authenticator, secret));
  SetMessageAuthenticator(packet, mac);
  std::copy(mac.begin(), mac.end(), raw.begin() + static_cast<ptrdiff_t>(*offset));
  return raw;
}

Result<Bytes, Error> EncodeAccountingRequest(Packet& packet, ByteView secret) {
  packet.code = Code::kAccountingRequest;
  packet.authenticator.fill(0);
  IKE_ASSIGN_OR_RETURN(Bytes raw, Encode(packet));
  IKE_ASSIGN_OR_RETURN(packet.authenticator, PacketDigest(raw, Authenticator{}, secret));
  std::copy(packet.authenticator.begin(), packet.authenticator.end(), raw.begin() + 4);
  return raw;
}

Result<void, Error> VerifyResponse(ByteView raw, const Packet& packet, const Authenticator& request_auth,
                                   ByteView secret, bool require_message_authenticator) {
  if (raw.size() < kHeaderSize) return Fail(ErrorCode::kTruncated, "shorter than the RADIUS header");
  uint16_t length = static_cast<uint16_t>(raw[2] << 8 | raw[3]);
  if (length < kHeaderSize || length > raw.size()) return Fail(ErrorCode::kBadLength, "Length field");
  ByteView body = raw.first(length);
  IKE_ASSIGN_OR_RETURN(Authenticator expected, PacketDigest(body, request_auth, secret));
  if (!ConstantTimeEqual(expected, packet.authenticator)) {
    return Fail(ErrorCode::kBadAuthenticator, "Response Authenticator mismatch (wrong secret?)");
  }
  auto offset = MessageAuthenticatorOffset(body);
  if (!offset) {
    if (require_message_authenticator || packet.Find(Attr::kEapMessage) != nullptr) {
      return Fail(ErrorCode::kMissingMessageAuthenticator, "");
    }
    return {};
  }
  IKE_ASSIGN_OR_RETURN(Authenticator mac, ComputeMessageAuthenticator(body, *offset, request_auth, secret));
  if (!ConstantTimeEqual(mac, body.subspan(*offset, kMd5Size))) {
    return Fail(ErrorCode::kBadMessageAuthenticator, "HMAC-MD5 mismatch");
  }
  return {};
}

Result<Bytes, Error> EncodeResponse(Packet& packet, const Authenticator& request_auth, ByteView secret,
                                    bool message_authenticator) {
  if (message_authenticator || packet.Find(Attr::kEapMessage) != nullptr) PrepareMessageAuthenticator(packet);
  packet.authenticator = request_auth;
  IKE_ASSIGN_OR_RETURN(Bytes raw, Encode(packet));
  if (auto offset = MessageAuthenticatorOffset(raw)) {
    IKE_ASSIGN_OR_RETURN(Authenticator mac, ComputeMessageAuthenticator(raw, *offset, request_auth, secret));
    SetMessageAuthenticator(packet, mac);
    std::copy(mac.begin(), mac.end(), raw.begin() + static_cast<ptrdiff_t>(*offset));
  }
  IKE_ASSIGN_OR_RETURN(packet.authenticator, PacketDigest(raw, request_auth, secret));
  std::copy(packet.authenticator.begin(), packet.authenticator.end(), raw.begin() + 4);
  return raw;
}

Result<void, Error> VerifyRequest(ByteView raw, const Packet& packet, ByteView secret) {
  if (raw.size() < kHeaderSize) return Fail(ErrorCode::kTruncated, "shorter than the RADIUS header");
  uint16_t length = static_cast<uint16_t>(raw[2] << 8 | raw[3]);
  if (length < kHeaderSize || length > raw.size()) return Fail(ErrorCode::kBadLength, "Length field");
  ByteView body = raw.first(length);
  if (packet.code == Code::kAccountingRequest) {
    IKE_ASSIGN_OR_RETURN(Authenticator expected, PacketDigest(body, Authenticator{}, secret));
    if (!ConstantTimeEqual(expected, packet.authenticator)) {
      return Fail(ErrorCode::kBadAuthenticator, "Accounting-Request Authenticator mismatch");
    }
    return {};
  }
  auto offset = MessageAuthenticatorOffset(body);
  if (!offset) return Fail(ErrorCode::kMissingMessageAuthenticator, "");
  IKE_ASSIGN_OR_RETURN(Authenticator mac, ComputeMessageAuthenticator(body, *offset, packet.authenticator, secret));
  if (!ConstantTimeEqual(mac, body.subspan(*offset, kMd5Size))) {
    return Fail(ErrorCode::kBadMessageAuthenticator, "HMAC-MD5 mismatch");
  }
  return {};
}

void AddEapMessage(Packet& packet, ByteView eap) {
  while (!eap.empty()) {
    size_t n = std::min(eap.size(), kMaxValueSize);
    packet.Add(Attr::kEapMessage, eap.first(n));
    eap = eap.subspan(n);
  }
}

Result<Bytes, Error> JoinEapMessage(const Packet& packet) {
  Bytes eap;
  for (const auto& a : packet.attributes) {
    if (a.type == static_cast<uint8_t>(Attr::kEapMessage)) eap.insert(eap.end(), a.value.begin(), a.value.end());
  }
  if (eap.empty()) return eap;
  if (eap.size() < 4) return Fail(ErrorCode::kBadAttribute, "EAP-Message shorter than an EAP header");
  size_t length = static_cast<size_t>(eap[2] << 8 | eap[3]);
  if (length != eap.size()) {
    return Fail(ErrorCode::kBadAttribute, "EAP-Message: EAP Length " + std::to_string(length) + " but " +
                                              std::to_string(eap.size()) + " octets");
  }
  return eap;
}

Result<std::vector<VendorAttribute>, Error> DecodeVendorSpecific(ByteView value) {
  Reader r(value);
  uint32_t vendor = 0;
  if (!r.ReadU32(vendor)) return Fail(ErrorCode::kBadAttribute, "Vendor-Specific shorter than a Vendor-Id");
  if (r.empty()) return Fail(ErrorCode::kBadAttribute, "Vendor-Specific without data");
  std::vector<VendorAttribute> out;
  while (!r.empty()) {
    uint8_t type = 0, len = 0;
    if (!r.ReadU8(type) || !r.ReadU8(len) || len < 2) {
      return Fail(ErrorCode::kBadAttribute, "vendor " + std::to_string(vendor) + ": bad sub-attribute header");
    }
    VendorAttribute a{vendor, type, {}};
    if (!r.ReadBytes(len - 2u, a.value)) {
      return Fail(ErrorCode::kBadAttribute, "vendor " + std::to_string(vendor) + ": sub-attribute past the end");
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<Bytes, Error> EncodeVendorSpecific(const std::vector<VendorAttribute>& attrs) {
  if (attrs.empty()) return Fail(ErrorCode::kBadAttribute, "no vendor attributes");
  Bytes out;
  Writer w(out);
  w.WriteU32(attrs.front().vendor);
  for (const auto& a : attrs) {
    if (a.vendor != attrs.front().vendor) return Fail(ErrorCode::kBadAttribute, "mixed vendors");
    if (a.value.size() > kMaxValueSize - 6) return Fail(ErrorCode::kTooLarge, "vendor attribute value");
    w.WriteU8(a.type);
    w.WriteU8(static_cast<uint8_t>(a.value.size() + 2));
    w.WriteBytes(a.value);
  }
  if (out.size() > kMaxValueSize) return Fail(ErrorCode::kTooLarge, "Vendor-Specific value");
  return out;
}

Result<Bytes, Error> HideUserPassword(ByteView password, const Authenticator& request_auth, ByteView secret) {
  if (password.size() > 128) return Fail(ErrorCode::kTooLarge, "User-Password over 128 octets");
  size_t padded = std::max<size_t>(16, (password.size() + 15) / 16 * 16);
  SecretBytes p(padded);
  std::copy(password.begin(), password.end(), p.data());
  Bytes out(padded);
  ByteView prev(request_auth);
  for (size_t i = 0; i < padded; i += 16) {
    IKE_ASSIGN_OR_RETURN(Authenticator b, Md5({secret, prev}));
    for (size_t j = 0; j < 16; ++j) out[i + j] = p[i + j] ^ b[j];
    OPENSSL_cleanse(b.data(), b.size());
    prev = ByteView(out).subspan(i, 16);
  }
  return out;
}

Result<SecretBytes, Error> DecryptMppeKey(ByteView value, const Authenticator& request_auth, ByteView secret) {
  if (value.size() < 2 + 16 || (value.size() - 2) % 16 != 0) {
    return Fail(ErrorCode::kBadAttribute, "MS-MPPE key of " + std::to_string(value.size()) + " octets");
  }
  if ((value[0] & 0x80) == 0) return Fail(ErrorCode::kBadAttribute, "MS-MPPE key salt without its high bit");
  ByteView salt = value.first(2);
  ByteView cipher = value.subspan(2);
  SecretBytes plain(cipher.size());
  for (size_t i = 0; i < cipher.size(); i += 16) {
    Result<Authenticator, Error> b = i == 0 ? Md5({secret, ByteView(request_auth), salt})
                                            : Md5({secret, cipher.subspan(i - 16, 16)});
    if (!b) return MakeUnexpected(b.error());
    for (size_t j = 0; j < 16; ++j) plain[i + j] = cipher[i + j] ^ (*b)[j];
    OPENSSL_cleanse(b->data(), b->size());
  }
  size_t key_len = plain[0];
  if (key_len + 1 > plain.size()) return Fail(ErrorCode::kBadAttribute, "MS-MPPE key length past its padding");
  return plain.Slice(1, key_len);
}

Result<Bytes, Error> EncryptMppeKey(ByteView key, uint16_t salt, const Authenticator& request_auth,
                                    ByteView secret) {
  if (key.size() > 239) return Fail(ErrorCode::kTooLarge, "MS-MPPE key");
  size_t padded = (key.size() + 1 + 15) / 16 * 16;
  SecretBytes plain(padded);
  plain[0] = static_cast<uint8_t>(key.size());
  std::copy(key.begin(), key.end(), plain.data() + 1);
  Bytes out;
  Writer(out).WriteU16(static_cast<uint16_t>(salt | 0x8000));
  out.resize(2 + padded);
  ByteView salt_view = ByteView(out).first(2);
  for (size_t i = 0; i < padded; i += 16) {
    Result<Authenticator, Error> b = i == 0 ? Md5({secret, ByteView(request_auth), salt_view})
                                            : Md5({secret, ByteView(out).subspan(2 + i - 16, 16)});
    if (!b) return MakeUnexpected(b.error());
    for (size_t j = 0; j < 16; ++j) out[2 + i + j] = plain[i + j] ^ (*b)[j];
    OPENSSL_cleanse(b->data(), b->size());
  }
  return out;
}

Result<SecretBytes, Error> ExtractMsk(const Packet& accept, const Authenticator& request_auth, ByteView secret) {
  std::optional<SecretBytes> send, recv;
  for (const auto& a : accept.attributes) {
    if (a.type != static_cast<uint8_t>(Attr::kVendorSpecific) || a.value.size() < 4) continue;
    uint32_t vendor = uint32_t{a.value[0]} << 24 | uint32_t{a.value[1]} << 16 | uint32_t{a.value[2]} << 8 | a.value[3];
    if (vendor != kVendorMicrosoft) continue;
    IKE_ASSIGN_OR_RETURN(auto subs, DecodeVendorSpecific(a.value));
    for (const auto& s : subs) {
      if (s.type != kMsMppeSendKey && s.type != kMsMppeRecvKey) continue;
      auto& slot = s.type == kMsMppeSendKey ? send : recv;
      if (slot) return Fail(ErrorCode::kBadAttribute, "MS-MPPE key twice");
      IKE_ASSIGN_OR_RETURN(SecretBytes key, DecryptMppeKey(s.value, request_auth, secret));
      slot = std::move(key);
    }
  }
  if (!send && !recv) return SecretBytes();
  if (!send || !recv) return Fail(ErrorCode::kBadAttribute, "only one of MS-MPPE-Send-Key and MS-MPPE-Recv-Key");
  SecretBytes msk = std::move(*recv);
  msk.Append(send->view());
  return msk;
}

Result<std::optional<IpAddress>, Error> FramedIp(const Packet& packet) {
  const Bytes* v = packet.Find(Attr::kFramedIpAddress);
  if (v == nullptr) return std::optional<IpAddress>();
  if (v->size() != 4) return Fail(ErrorCode::kBadAttribute, "Framed-IP-Address not 4 octets");
  return IpAddress::FromBytes(*v);
}

}  // namespace ike::radius
