#include "libike/engine/sa/codec.h"

#include <algorithm>

namespace ike::engine {

Bytes EncodePlain(const wire::Message& msg) { return wire::EncodeMessage(msg); }

namespace {

// One SK or SKF datagram carrying `inner` (already encoded).
Result<Bytes, std::string> Seal(const wire::Header& header, wire::Payload container,
                                ByteView inner, const crypto::SkCipher& cipher,
                                crypto::Rng& rng) {
  size_t body = cipher.BodySize(inner.size());
  if (auto* sk = std::get_if<wire::SkPayload>(&container)) sk->body.assign(body, 0);
  if (auto* skf = std::get_if<wire::SkfPayload>(&container)) skf->body.assign(body, 0);
  wire::Message m;
  m.header = header;
  m.payloads.push_back(std::move(container));
  wire::EncodedMessage enc = wire::EncodeMessageWithLayout(m);
  if (!enc.sk) return MakeUnexpected(std::string("no SK layout"));
  ByteView aad(enc.bytes.data(), enc.sk->body_offset);
  auto sealed = cipher.Protect(aad, inner, rng);
  if (!sealed) return MakeUnexpected("SK protect failed: " + sealed.error().detail);
  if (sealed->size() != body) return MakeUnexpected(std::string("SK body size mismatch"));
  std::copy(sealed->begin(), sealed->end(), enc.bytes.begin() + enc.sk->body_offset);
  return std::move(enc.bytes);
}

}  // namespace

Result<std::vector<Bytes>, std::string> EncodeProtected(const wire::Message& msg,
                                                        const crypto::SkCipher& cipher,
                                                        crypto::Rng& rng,
                                                        size_t fragment_size) {
  Bytes inner = wire::EncodePayloadChain(msg.payloads);
  wire::PayloadType first = msg.payloads.empty() ? wire::PayloadType::kNone
                                                 : wire::FirstPayloadType(msg.payloads);
  std::vector<Bytes> out;
  constexpr size_t kFixed = wire::kHeaderSize + wire::kGenericHeaderSize;
  if (fragment_size == 0 || kFixed + cipher.BodySize(inner.size()) <= fragment_size) {
    IKE_ASSIGN_OR_RETURN(Bytes one, Seal(msg.header, wire::SkPayload{first, {}}, inner, cipher,
                                         rng));
    out.push_back(std::move(one));
    return out;
  }
  // RFC 7383 2.5: fragments of the plaintext, each encrypted separately.
  size_t overhead = kFixed + wire::kSkfFixedSize;
  if (fragment_size <= overhead + cipher.Overhead()) {
    return MakeUnexpected(std::string("fragment size too small"));
  }
  size_t chunk = cipher.MaxInnerSize(fragment_size - overhead);
  if (chunk == 0) return MakeUnexpected(std::string("fragment size too small"));
  size_t total = (inner.size() + chunk - 1) / chunk;
  if (total > 0xffff) return MakeUnexpected(std::string("too many fragments"));
  for (size_t i = 0; i < total; ++i) {
    wire::SkfPayload skf;
    skf.first_inner = i == 0 ? first : wire::PayloadType::kNone;
    skf.fragment_number = static_cast<uint16_t>(i + 1);
    skf.total_fragments = static_cast<uint16_t>(total);
    size_t off = i * chunk;
    size_t len = std::min(chunk, inner.size() - off);
    IKE_ASSIGN_OR_RETURN(Bytes frag, Seal(msg.header, std::move(skf),
                                          ByteView(inner.data() + off, len), cipher, rng));
    out.push_back(std::move(frag));
  }
  return out;
}

Result<Unprotected, UnprotectError> Unprotect(const wire::Message& outer, ByteView datagram,
                                              const crypto::SkCipher& cipher) {
  if (outer.payloads.empty()) return MakeUnexpected(UnprotectError::kNotEncrypted);
  const wire::Payload& last = outer.payloads.back();
  auto layout = wire::LocateSk(datagram);
  if (!layout || layout->body_offset > datagram.size()) {
    return MakeUnexpected(UnprotectError::kNotEncrypted);
  }
  ByteView aad = datagram.subspan(0, layout->body_offset);
  ByteView body = datagram.subspan(layout->body_offset);
  Unprotected result;
  result.message.header = outer.header;
  if (const auto* sk = std::get_if<wire::SkPayload>(&last)) {
    auto plain = cipher.Unprotect(aad, body);
    if (!plain) return MakeUnexpected(UnprotectError::kIntegrity);
    if (sk->first_inner == wire::PayloadType::kNone) {
      if (!plain->empty()) return MakeUnexpected(UnprotectError::kMalformed);
      return result;
    }
    auto chain = wire::DecodePayloadChain(sk->first_inner, *plain);
    if (!chain) return MakeUnexpected(UnprotectError::kMalformed);
    result.message.payloads = std::move(*chain);
    return result;
  }
  if (const auto* skf = std::get_if<wire::SkfPayload>(&last)) {
    auto plain = cipher.Unprotect(aad, body);
    if (!plain) return MakeUnexpected(UnprotectError::kIntegrity);
    result.fragment = *skf;
    result.fragment->body.clear();
    result.fragment_plain = std::move(*plain);
    return result;
  }
  return MakeUnexpected(UnprotectError::kNotEncrypted);
}

Bytes WithMarker(Bytes datagram, bool marker) {
  if (!marker) return datagram;
  Bytes out(kNonEspMarkerSize, 0);
  out.insert(out.end(), datagram.begin(), datagram.end());
  return out;
}

}  // namespace ike::engine
