#include "xfrm/esp/esp_sa.h"

#include <cstring>

#include "xfrm/esp/ip_packet.h"

namespace ike::esp {
namespace {

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kShort: return "short";
    case DropReason::kBadLength: return "bad_length";
    case DropReason::kBadPadding: return "bad_padding";
    case DropReason::kBadIcv: return "bad_icv";
    case DropReason::kUnknownSpi: return "unknown_spi";
    case DropReason::kReplayed: return "replayed";
    case DropReason::kOutsideWindow: return "outside_window";
    case DropReason::kBadNextHeader: return "bad_next_header";
    case DropReason::kBadInner: return "bad_inner";
    case DropReason::kDummy: return "dummy";
    case DropReason::kSeqOverflow: return "seq_overflow";
    case DropReason::kNoRoom: return "no_room";
    case DropReason::kPolicy: return "policy";
    case DropReason::kNoPolicy: return "no_policy";
    case DropReason::kNoSa: return "no_sa";
    case DropReason::kCrypto: return "crypto";
    case DropReason::kNotEsp: return "not_esp";
    case DropReason::kCount: break;
  }
  return "unknown";
}

uint32_t PeekSpi(ByteView packet) { return packet.size() < 4 ? 0 : GetU32(packet.data()); }

Result<std::unique_ptr<EspOutboundSa>, std::string> EspOutboundSa::Create(
    const EspSaConfig& config) {
  IKE_ASSIGN_OR_RETURN(auto cipher, EspCipher::Create(config.transform, config.enc_key,
                                                      config.integ_key, CipherDirection::kEncrypt));
  std::unique_ptr<EspOutboundSa> sa(new EspOutboundSa());
  sa->spi_ = config.spi;
  sa->mode_ = config.mode;
  sa->esn_ = config.esn;
  sa->seq_ = config.initial_seq;
  sa->max_seq_ = config.esn ? UINT64_MAX : UINT32_MAX;
  sa->soft_limit_ = sa->max_seq_ - (config.esn ? kSeqSoftMargin64 : kSeqSoftMargin32);
  sa->cipher_ = std::move(cipher);
  return sa;
}

Result<MutableByteView, DropReason> EspOutboundSa::Encapsulate(MutableByteView buf, size_t offset,
                                                               size_t len, uint8_t next_header) {
  const size_t head = headroom();
  const size_t align = cipher_->pad_align();
  // payload | padding | pad length | next header must be a multiple of align.
  const size_t pad = (align - (len + 2) % align) % align;
  const size_t body_len = len + pad + 2;
  const size_t icv_len = cipher_->icv_len();
  if (offset < head || offset > buf.size() || len > buf.size() - offset ||
      buf.size() - offset - len < pad + 2 + icv_len) {
    return MakeUnexpected(DropReason::kNoRoom);
  }
  if (seq_ >= max_seq_) return MakeUnexpected(DropReason::kSeqOverflow);
  const uint64_t seq = ++seq_;

  uint8_t* start = buf.data() + offset - head;
  uint8_t* body = buf.data() + offset;
  for (size_t i = 0; i < pad; ++i) body[len + i] = static_cast<uint8_t>(i + 1);
  body[len + pad] = static_cast<uint8_t>(pad);
  body[len + pad + 1] = next_header;
  PutU32(start, spi_);
  PutU32(start + 4, static_cast<uint32_t>(seq));
  if (!cipher_->Seal(start, static_cast<uint32_t>(seq >> 32), esn_, seq, start + kEspHeaderLen,
                     body, body_len, body + body_len)) {
    return MakeUnexpected(DropReason::kCrypto);
  }
  return buf.subspan(offset - head, head + body_len + icv_len);
}

Result<std::unique_ptr<EspInboundSa>, std::string> EspInboundSa::Create(
    const EspSaConfig& config) {
  IKE_ASSIGN_OR_RETURN(auto cipher, EspCipher::Create(config.transform, config.enc_key,
                                                      config.integ_key, CipherDirection::kDecrypt));
  std::unique_ptr<EspInboundSa> sa(new EspInboundSa(config.replay_window, config.esn));
  sa->spi_ = config.spi;
  sa->mode_ = config.mode;
  sa->esn_ = config.esn;
  sa->cipher_ = std::move(cipher);
  return sa;
}

Result<DecapResult, DropReason> EspInboundSa::Decapsulate(MutableByteView packet) {
  const size_t iv_len = cipher_->iv_len();
  const size_t icv_len = cipher_->icv_len();
  if (packet.size() < kEspHeaderLen + iv_len + 2 + icv_len) return Drop(DropReason::kShort);
  if (GetU32(packet.data()) != spi_) return Drop(DropReason::kUnknownSpi);
  const size_t body_len = packet.size() - kEspHeaderLen - iv_len - icv_len;
  if (!cipher_->aead() && body_len % cipher_->pad_align() != 0) {
    return Drop(DropReason::kBadLength);
  }

  // Cheap replay check before spending cycles on the ICV (RFC 4303 3.4.3).
  const uint32_t seq_low = GetU32(packet.data() + 4);
  auto checked = window_.Check(seq_low);
  if (!checked) return Drop(checked.error());
  const uint64_t seq = *checked;

  uint8_t* body = packet.data() + kEspHeaderLen + iv_len;
  if (!cipher_->Open(packet.data(), static_cast<uint32_t>(seq >> 32), esn_,
                     packet.data() + kEspHeaderLen, body, body_len, body + body_len)) {
    return Drop(DropReason::kBadIcv);
  }
  // The packet is authentic: only now may the window move.
  window_.Accept(seq);

  const uint8_t pad_len = body[body_len - 2];
  const uint8_t next_header = body[body_len - 1];
  if (size_t{pad_len} + 2 > body_len) return Drop(DropReason::kBadPadding);
  const size_t payload_len = body_len - 2 - pad_len;
  // Default padding is 1, 2, 3, ... (RFC 4303 2.4); anything else is refused.
  for (size_t i = 0; i < pad_len; ++i) {
    if (body[payload_len + i] != static_cast<uint8_t>(i + 1)) return Drop(DropReason::kBadPadding);
  }
  if (next_header == kProtoNoNext) return Drop(DropReason::kDummy);

  DecapResult result;
  result.next_header = next_header;
  result.seq = seq;
  result.payload = packet.subspan(kEspHeaderLen + iv_len, payload_len);
  if (mode_ == EspMode::kTunnel) {
    if (next_header != kProtoIpv4 && next_header != kProtoIpv6) {
      return Drop(DropReason::kBadNextHeader);
    }
    auto info = ParseIpPacket(result.payload);
    if (!info || (next_header == kProtoIpv4) != info->src.is_v4()) {
      return Drop(DropReason::kBadInner);
    }
    // Anything after the inner packet is TFC padding (RFC 4303 2.7).
    result.payload = result.payload.first(info->total_len);
  }
  return result;
}

}  // namespace ike::esp
