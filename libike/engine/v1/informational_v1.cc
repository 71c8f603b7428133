// Informational exchanges (RFC 2408 4.8, RFC 2409 5.7): one protected
// message each, HDR*, HASH(1), N/D, with its own message ID and IV. DELETE
// for the ISAKMP SA and for IPsec SPIs, notifications (INITIAL-CONTACT,
// errors), and Dead Peer Detection (RFC 3706: R-U-THERE / R-U-THERE-ACK
// with sequence numbers). Unprotected notifies count only before Phase 1
// is done (e.g. NO-PROPOSAL-CHOSEN to our first message).
#include <algorithm>

#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {
constexpr uint16_t kFirstStatusNotify = 16384;
constexpr size_t kSeenMids = 64;

const char* NotifyName(isakmp::NotifyType t) {
  switch (t) {
    case isakmp::NotifyType::kNoProposalChosen: return "NO-PROPOSAL-CHOSEN";
    case isakmp::NotifyType::kInvalidIdInformation: return "INVALID-ID-INFORMATION";
    case isakmp::NotifyType::kAuthenticationFailed: return "AUTHENTICATION-FAILED";
    case isakmp::NotifyType::kPayloadMalformed: return "PAYLOAD-MALFORMED";
    case isakmp::NotifyType::kInvalidHashInformation: return "INVALID-HASH-INFORMATION";
    case isakmp::NotifyType::kInvalidPayloadType: return "INVALID-PAYLOAD-TYPE";
    default: return "error notify";
  }
}
}  // namespace

Bytes IsakmpSa::SendInformational(std::vector<isakmp::Payload> payloads) {
  if (!cipher_ || !prf_ || p1_stage_ != P1Stage::kDone) return {};
  uint32_t mid = NewMessageId();
  auto h = Hash1(*prf_, keys_.skeyid_a.view(), mid, isakmp::EncodePayloadChain(payloads));
  auto iv = Phase2Iv(mid);
  if (!h || !iv) return {};
  std::vector<isakmp::Payload> all;
  all.push_back(isakmp::HashPayload{*h});
  for (auto& p : payloads) all.push_back(std::move(p));
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kInformational, mid);
  Bytes ivb = std::move(*iv);
  auto dg = Encrypt(m, all, ivb);
  if (!dg) return {};
  Send(*dg);
  return std::move(*dg);
}

Bytes IsakmpSa::SendNotify(isakmp::NotifyType type, isakmp::ProtocolId protocol, Bytes spi,
                           Bytes data) {
  isakmp::NotifyPayload n;
  n.protocol = protocol;
  n.type = type;
  n.spi = std::move(spi);
  n.data = std::move(data);
  return SendInformational({std::move(n)});
}

void IsakmpSa::SendUnencryptedNotify(isakmp::NotifyType type) {
  isakmp::NotifyPayload n;
  n.protocol = isakmp::ProtocolId::kIsakmp;
  n.type = type;
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kInformational, 0);
  m.payloads.push_back(std::move(n));
  Send(isakmp::EncodeMessage(m));
}

void IsakmpSa::SendDeleteChild(const ChildSa& child) {
  isakmp::DeletePayload d;
  d.protocol = isakmp::ProtocolId::kEsp;
  d.spi_size = 4;
  d.spis.push_back(U32Bytes(child.spi_in));
  SendInformational({std::move(d)});
}

void IsakmpSa::SendDeleteIsakmp() {
  isakmp::DeletePayload d;
  d.protocol = isakmp::ProtocolId::kIsakmp;
  d.spi_size = 16;
  Bytes spi = U64Bytes(ctx_.spi_i);
  Bytes cr = U64Bytes(ctx_.spi_r);
  spi.insert(spi.end(), cr.begin(), cr.end());
  d.spis.push_back(std::move(spi));
  SendInformational({std::move(d)});
}

void IsakmpSa::OnUnauthenticatedNotify(const isakmp::Message& msg) {
  const auto* n = msg.Find<isakmp::NotifyPayload>();
  if (established() || !n || static_cast<uint16_t>(n->type) >= kFirstStatusNotify) {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  Destroy(std::string("peer refused Phase 1: ") + NotifyName(n->type));
}

void IsakmpSa::OnInformational(const isakmp::Message& msg, ByteView raw) {
  if (!msg.header.encrypted) {
    OnUnauthenticatedNotify(msg);
    return;
  }
  uint32_t mid = msg.header.message_id;
  if (!established() || mid == 0) {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  if (std::find(seen_info_mids_.begin(), seen_info_mids_.end(), mid) != seen_info_mids_.end()) {
    ctx_.counters.Inc(Drop::kRetransmittedRequest);
    return;
  }
  auto iv = Phase2Iv(mid);
  if (!iv) return;
  auto d = Decrypt(msg, *iv);
  const isakmp::HashPayload* hash =
      d && !d->body.payloads.empty() ? std::get_if<isakmp::HashPayload>(&d->body.payloads.front())
                                     : nullptr;
  if (!hash) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  auto expect = Hash1(*prf_, keys_.skeyid_a.view(), mid, d->after_first);
  if (!expect || !ConstantTimeEqual(*expect, hash->data)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  seen_info_mids_.push_back(mid);
  if (seen_info_mids_.size() > kSeenMids) seen_info_mids_.erase(seen_info_mids_.begin());
  ctx_.last_inbound = ctx_.now;
  (void)raw;
  Bytes cookies = U64Bytes(ctx_.spi_i);
  Bytes cr = U64Bytes(ctx_.spi_r);
  cookies.insert(cookies.end(), cr.begin(), cr.end());
  bool isakmp_deleted = false;
  for (const auto& p : d->body.payloads) {
    if (const auto* n = std::get_if<isakmp::NotifyPayload>(&p)) {
      switch (n->type) {
        case isakmp::NotifyType::kDpdRUThere:
          if (n->data.size() == 4) {
            SendNotify(isakmp::NotifyType::kDpdRUThereAck, isakmp::ProtocolId::kIsakmp, cookies,
                       n->data);
          }
          break;
        case isakmp::NotifyType::kDpdRUThereAck:
          if (n->data.size() == 4 && dpd_outstanding_ != 0 && n->data == U32Bytes(dpd_outstanding_)) {
            dpd_outstanding_ = 0;
            dpd_tries_ = 0;
            if (ctx_.config->dpd_delay.count() > 0) {
              ctx_.ArmTimer(TimerKind::kDpd, ctx_.config->dpd_delay);
            } else {
              ctx_.CancelTimer(TimerKind::kDpd);
            }
          }
          break;
        case isakmp::NotifyType::kInitialContact:
          ctx_.initial_contact = true;
          break;
        default:
          if (static_cast<uint16_t>(n->type) < kFirstStatusNotify) {
            // An error about one of our Quick Modes: by its SPI, else the
            // oldest one waiting for QM2.
            uint32_t victim = 0;
            for (const auto& [qmid, qm] : qms_) {
              if (qm.role != Role::kInitiator || qm.stage != QuickMode::Stage::kSentQm1) continue;
              if (n->spi == U32Bytes(qm.spi_in)) victim = qmid;
              if (victim == 0 && n->spi.size() != 4) victim = qmid;
            }
            if (victim) QmFail(victim, std::string("peer: ") + NotifyName(n->type));
          }
          break;
      }
    } else if (const auto* del = std::get_if<isakmp::DeletePayload>(&p)) {
      if (del->protocol == isakmp::ProtocolId::kIsakmp) {
        for (const auto& spi : del->spis) isakmp_deleted = isakmp_deleted || spi == cookies;
      } else if (del->protocol == isakmp::ProtocolId::kEsp ||
                 del->protocol == isakmp::ProtocolId::kAh) {
        for (const auto& spi : del->spis) {
          if (spi.size() != 4) continue;
          uint32_t v = uint32_t{spi[0]} << 24 | uint32_t{spi[1]} << 16 | uint32_t{spi[2]} << 8 | spi[3];
          if (ChildSa* c = ctx_.FindChildByOutbound(v)) {
            RemoveChild(c->spi_in, std::string(kReasonDeletedByPeer), /*notify_peer=*/false);
          }
        }
      }
    }
  }
  if (isakmp_deleted) Destroy(std::string(kReasonDeletedByPeer));
}

void IsakmpSa::SendDpd() {
  if (!peer_dpd_ || dpd_outstanding_ != 0) return;
  if (dpd_seq_ == 0) {
    Bytes b = ctx_.env.rng.Generate(4);
    dpd_seq_ = (uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]) & 0x7fffffff;
  }
  dpd_outstanding_ = ++dpd_seq_;
  dpd_tries_ = 0;
  Bytes cookies = U64Bytes(ctx_.spi_i);
  Bytes cr = U64Bytes(ctx_.spi_r);
  cookies.insert(cookies.end(), cr.begin(), cr.end());
  SendNotify(isakmp::NotifyType::kDpdRUThere, isakmp::ProtocolId::kIsakmp, cookies,
             U32Bytes(dpd_outstanding_));
  ctx_.ArmTimer(TimerKind::kDpd, ctx_.config->retransmit.timeout);
}

void IsakmpSa::OnDpdTimer() {
  const RetransmitConfig& r = ctx_.config->retransmit;
  if (dpd_outstanding_ != 0) {
    if (++dpd_tries_ > r.tries) {
      Destroy("DPD: giving up after " + std::to_string(r.tries) + " " +
              std::string(kReasonRetransmit));
      return;
    }
    Bytes cookies = U64Bytes(ctx_.spi_i);
    Bytes cr = U64Bytes(ctx_.spi_r);
    cookies.insert(cookies.end(), cr.begin(), cr.end());
    SendNotify(isakmp::NotifyType::kDpdRUThere, isakmp::ProtocolId::kIsakmp, cookies,
               U32Bytes(dpd_outstanding_));
    double t = static_cast<double>(r.timeout.count());
    for (unsigned i = 0; i < dpd_tries_; ++i) t *= r.base;
    Duration d(static_cast<int64_t>(t));
    if (r.limit.count() > 0) d = std::min(d, r.limit);
    ctx_.ArmTimer(TimerKind::kDpd, d);
    return;
  }
  if (ctx_.config->dpd_delay.count() <= 0) return;
  Duration idle = ctx_.now - ctx_.last_inbound;
  if (idle >= ctx_.config->dpd_delay) {
    SendDpd();
  } else {
    ctx_.ArmTimer(TimerKind::kDpd, ctx_.config->dpd_delay - idle);
  }
}

}  // namespace ike::engine::v1
