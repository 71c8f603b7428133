// XAuth (draft-beaulieu-ike-xauth-02) over Transaction exchanges
// (draft-dukes-ike-mode-cfg), after Main or Aggressive Mode:
//
//   XAuth server (gateway)                    XAuth client
//   HDR*, HASH, ATTR(REQUEST, USER_NAME, USER_PASSWORD) -->
//                  <-- HDR*, HASH, ATTR(REPLY, USER_NAME=u, USER_PASSWORD=p)
//   HDR*, HASH, ATTR(SET, XAUTH_STATUS=1|0)   -->        (a new message ID)
//                  <-- HDR*, HASH, ATTR(ACK, XAUTH_STATUS)
//
// HASH = prf(SKEYID_a, M-ID | ATTR). Each pair shares a message ID and
// chains the CBC IV; the first message's IV is the Phase 2 IV of its ID.
// The ISAKMP SA counts as up (kIkeUp, Quick Modes) only once XAuth passed.
#include <algorithm>

#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {
uint16_t Attr(isakmp::CfgAttr a) { return static_cast<uint16_t>(a); }
// A request without XAuth attributes (16520-16531) is a Mode Config one.
bool IsModeCfg(const isakmp::AttributePayload& a) {
  return std::none_of(a.attributes.begin(), a.attributes.end(),
                      [](const isakmp::DataAttribute& d) { return d.type >= 16520 && d.type <= 16531; });
}
}  // namespace

void IsakmpSa::SendTransaction(uint32_t mid, Bytes& iv, isakmp::AttributePayload attr,
                               bool expect_reply) {
  std::vector<isakmp::Payload> after;
  after.push_back(std::move(attr));
  auto h = Hash1(*prf_, keys_.skeyid_a.view(), mid, isakmp::EncodePayloadChain(after));
  if (!h) return;
  std::vector<isakmp::Payload> all;
  all.push_back(isakmp::HashPayload{*h});
  all.push_back(std::move(after.front()));
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kTransaction, mid);
  auto dg = Encrypt(m, all, iv);
  if (!dg) return;
  xauth_last_sent_ = std::move(*dg);
  Send(xauth_last_sent_);
  if (expect_reply) {
    xauth_tries_ = 0;
    ArmRetransmit(mid, 0);
  }
}

bool IsakmpSa::BeginTransaction(bool new_identifier) {
  xauth_mid_ = NewMessageId();
  if (new_identifier) {
    Bytes id = ctx_.env.rng.Generate(2);
    xauth_identifier_ = static_cast<uint16_t>(id[0] << 8 | id[1]);
  }
  auto iv = Phase2Iv(xauth_mid_);
  if (!iv) return false;
  xauth_iv_ = std::move(*iv);
  return true;
}

void IsakmpSa::StartXauthServer() {
  if (!BeginTransaction(/*new_identifier=*/true)) return;
  isakmp::AttributePayload req;
  req.type = isakmp::CfgType::kRequest;
  req.identifier = xauth_identifier_;
  req.attributes.push_back(isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kXauthUserName), {}));
  req.attributes.push_back(
      isakmp::DataAttribute::Tlv(Attr(isakmp::CfgAttr::kXauthUserPassword), {}));
  SendTransaction(xauth_mid_, xauth_iv_, std::move(req), /*expect_reply=*/true);
}

void IsakmpSa::XauthFinished(bool ok, const std::string& why) {
  ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
  if (!ok) {
    Delete(why);
    return;
  }
  xauth_ = Xauth::kDone;
  if (modecfg_ == ModeCfg::kPending) {
    StartModeCfg();
    return;
  }
  SetupFinished();
}

void IsakmpSa::SetupFinished() {
  ctx_.EmitEvent(EventKind::kIkeUp);
  StartPendingChildren();
}

void IsakmpSa::OnTransaction(const isakmp::Message& msg, ByteView raw) {
  uint32_t mid = msg.header.message_id;
  // A retransmit (also after we finished: a lost ACK) gets our answer again.
  if (mid != 0 && mid == xauth_mid_ && xauth_last_received_.size() == raw.size() &&
      std::equal(raw.begin(), raw.end(), xauth_last_received_.begin())) {
    ctx_.counters.Inc(Drop::kRetransmittedRequest);
    if (!xauth_last_sent_.empty()) Send(xauth_last_sent_);
    return;
  }
  if (mid != 0 && mid == tx_prev_mid_ && tx_prev_received_.size() == raw.size() &&
      std::equal(raw.begin(), raw.end(), tx_prev_received_.begin())) {
    ctx_.counters.Inc(Drop::kRetransmittedRequest);
    if (!tx_prev_sent_.empty()) Send(tx_prev_sent_);
    return;
  }
  if (!established() || mid == 0) {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  Bytes iv;
  if (mid == xauth_mid_) {
    iv = xauth_iv_;
  } else {
    auto fresh = Phase2Iv(mid);
    if (!fresh) return;
    iv = std::move(*fresh);
  }
  auto d = Decrypt(msg, iv);
  const isakmp::HashPayload* hash =
      d && !d->body.payloads.empty() ? std::get_if<isakmp::HashPayload>(&d->body.payloads.front())
                                     : nullptr;
  auto expect = hash ? Hash1(*prf_, keys_.skeyid_a.view(), mid, d->after_first)
                     : Result<Bytes, std::string>(MakeUnexpected(std::string("no hash")));
  if (!hash || !expect || !ConstantTimeEqual(*expect, hash->data)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  const auto* attr = FindPayload<isakmp::AttributePayload>(d->body.payloads);
  if (!attr) {
    ctx_.counters.Inc(Drop::kInvalidPayloads);
    return;
  }
  bool cfg_request = attr->type == isakmp::CfgType::kRequest && IsModeCfg(*attr);
  bool cfg_reply = attr->type == isakmp::CfgType::kReply && modecfg_ == ModeCfg::kPending &&
                   xauth_ != Xauth::kPending && mid == xauth_mid_;
  // Mode Config push: the client takes the gateway's SET, the gateway its ACK.
  bool cfg_set = attr->type == isakmp::CfgType::kSet && IsModeCfg(*attr) && ModeCfgClient() &&
                 modecfg_ == ModeCfg::kPending && xauth_ != Xauth::kPending;
  bool cfg_ack = attr->type == isakmp::CfgType::kAck && IsModeCfg(*attr) && ModeCfgPush() &&
                 modecfg_ == ModeCfg::kPending && xauth_ != Xauth::kPending && mid == xauth_mid_;
  // A gateway answers Mode Config requests once XAuth is through; anything
  // else belongs to a pending XAuth.
  if ((cfg_request && xauth_ == Xauth::kPending) ||
      (!cfg_request && !cfg_reply && !cfg_set && !cfg_ack && xauth_ != Xauth::kPending)) {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
    return;
  }
  // The XAuth server only takes answers to its own exchange (dropped before
  // the state below records them: a recorded stray would be taken for a
  // retransmit and answered with our request, which the peer answers again).
  if (!cfg_request && XauthServer() && mid != xauth_mid_) {
    ctx_.counters.Inc(Drop::kUnexpectedResponse);
    return;
  }
  ctx_.last_inbound = ctx_.now;
  xauth_iv_ = d->next_iv;
  xauth_last_received_.assign(raw.begin(), raw.end());
  if (cfg_request) {
    ModeCfgRequest(*attr, mid);
    return;
  }
  if (cfg_reply) {
    ModeCfgReply(*attr);
    return;
  }
  if (cfg_set) {
    ModeCfgSet(*attr, mid);
    return;
  }
  if (cfg_ack) {
    ModeCfgAck();
    return;
  }

  if (XauthServer()) {
    // strongSwan's REPLY does not echo our identifier: the message ID and
    // the HASH tie it to our REQUEST.
    if (attr->type == isakmp::CfgType::kReply) {
      const auto* user = attr->Find(isakmp::CfgAttr::kXauthUserName);
      const auto* pass = attr->Find(isakmp::CfgAttr::kXauthUserPassword);
      SecretBytes password(pass ? ByteView(pass->tlv_value) : ByteView());
      xauth_ok_ = false;
      if (user && pass) {
        for (const EapSecret& u : ctx_.config->xauth_remote.users) {
          bool name_ok = u.identity.empty() || u.identity == user->tlv_value;
          if (name_ok && ConstantTimeEqual(u.secret.view(), password.view())) xauth_ok_ = true;
        }
      }
      if (xauth_ok_) xauth_user_.assign(user->tlv_value.begin(), user->tlv_value.end());
      // HDR*, HASH, ATTR(SET, XAUTH_STATUS) --> (a new exchange)
      ctx_.CancelTimer(TimerKind::kRetransmit, xauth_mid_);
      if (!BeginTransaction(/*new_identifier=*/false)) return;
      xauth_last_received_.clear();
      isakmp::AttributePayload set;
      set.type = isakmp::CfgType::kSet;
      set.identifier = xauth_identifier_;
      set.attributes.push_back(
          isakmp::DataAttribute::Tv(Attr(isakmp::CfgAttr::kXauthStatus), xauth_ok_ ? 1 : 0));
      SendTransaction(xauth_mid_, xauth_iv_, std::move(set), /*expect_reply=*/true);
      return;
    }
    if (attr->type == isakmp::CfgType::kAck) {
      XauthFinished(xauth_ok_, "XAuth: authentication of the user failed");
      return;
    }
    ctx_.counters.Inc(Drop::kUnexpectedResponse);
    return;
  }

  // Client.
  if (attr->type == isakmp::CfgType::kRequest) {
    xauth_mid_ = mid;
    isakmp::AttributePayload reply;
    reply.type = isakmp::CfgType::kReply;
    reply.identifier = attr->identifier;
    const XauthConfig& x = ctx_.config->xauth_local;
    for (const auto& a : attr->attributes) {
      if (a.type == Attr(isakmp::CfgAttr::kXauthUserName)) {
        reply.attributes.push_back(isakmp::DataAttribute::Tlv(a.type, x.id));
      } else if (a.type == Attr(isakmp::CfgAttr::kXauthUserPassword)) {
        Bytes secret(x.secret.view().begin(), x.secret.view().end());
        reply.attributes.push_back(isakmp::DataAttribute::Tlv(a.type, std::move(secret)));
      } else if (a.type == Attr(isakmp::CfgAttr::kXauthType) && a.format == isakmp::DataAttribute::Format::kTv) {
        reply.attributes.push_back(a);
      }
    }
    SendTransaction(mid, xauth_iv_, std::move(reply), /*expect_reply=*/false);
    return;
  }
  if (attr->type == isakmp::CfgType::kSet) {
    const auto* status = attr->Find(isakmp::CfgAttr::kXauthStatus);
    bool ok = status && status->IntegerValue().value_or(0) == 1;
    xauth_mid_ = mid;
    isakmp::AttributePayload ack;
    ack.type = isakmp::CfgType::kAck;
    ack.identifier = attr->identifier;
    ack.attributes.push_back(
        isakmp::DataAttribute::Tv(Attr(isakmp::CfgAttr::kXauthStatus), ok ? 1 : 0));
    SendTransaction(mid, xauth_iv_, std::move(ack), /*expect_reply=*/false);
    if (ok) {
      XauthFinished(true, {});
    } else {
      Destroy("XAuth: the gateway rejected our credentials");
    }
    return;
  }
  ctx_.counters.Inc(Drop::kUnexpectedExchange);
}

}  // namespace ike::engine::v1
