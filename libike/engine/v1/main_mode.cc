// Phase 1: Main Mode (RFC 2409 5.4, pre-shared keys) and Aggressive Mode,
// with the NAT-T (RFC 3947) and DPD (RFC 3706) Vendor IDs and NAT-D.
//
//   Initiator                          Responder
//   HDR, SA, VID                 -->
//                                <--   HDR, SA, VID
//   HDR, KE, Ni, NAT-D, NAT-D    -->
//                                <--   HDR, KE, Nr, NAT-D, NAT-D
//   HDR*, IDii, HASH_I [, N(IC)] -->            (port 4500 behind a NAT)
//                                <--   HDR*, IDir, HASH_R
#include <algorithm>

#include "libike/common/writer.h"
#include "libike/crypto/key_exchange.h"
#include "libike/engine/task/ike_auth.h"
#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {

constexpr char kVidRfc3947[] = "4a131c81070358455c5728f20e95452f";
constexpr char kVidDraft03[] = "7d9419a65310ca6f2c179d9215529d56";
constexpr char kVidDraft02[] = "cd60464335df21f87cfdb2fc68b6a448";
constexpr char kVidDraft02n[] = "90cb80913ebb696e086381b5ec427b1f";
constexpr char kVidDpd[] = "afcad71368a1f1c96b8696fc77570100";
constexpr size_t kNonceSize = 32;

template <typename T>
Bytes BodyOf(const T& p) {
  Bytes b;
  Writer w(b);
  isakmp::EncodeBody(p, w);
  return b;
}

// The body of the first payload of type `want` in a plain chain (the SA
// payload as the initiator sent it, for HASH_I/HASH_R), walking the
// generic headers of the raw message.
std::optional<Bytes> RawBody(ByteView raw, uint8_t want) {
  if (raw.size() < isakmp::kHeaderSize) return std::nullopt;
  uint8_t next = raw[16];
  size_t off = isakmp::kHeaderSize;
  while (next != 0 && off + 4 <= raw.size()) {
    size_t len = size_t{raw[off + 2]} << 8 | raw[off + 3];
    if (len < 4 || off + len > raw.size()) return std::nullopt;
    if (next == want) return Bytes(raw.begin() + off + 4, raw.begin() + off + len);
    next = raw[off];
    off += len;
  }
  return std::nullopt;
}

Identity ToIdentity(const isakmp::IdPayload& id) {
  Identity i;
  i.type = static_cast<IdType>(id.type);
  i.data = id.data;
  return i;
}

}  // namespace

std::vector<isakmp::Payload> IsakmpSa::OurVendorIds() const {
  std::vector<isakmp::Payload> v;
  if (ctx_.role == Role::kInitiator) {
    for (const char* h : {kVidRfc3947, kVidDraft03, kVidDraft02, kVidDraft02n, kVidDpd}) {
      v.push_back(isakmp::VendorIdPayload{HexOrDie(h)});
    }
    return v;
  }
  if (natt_ == NatTraversal::kRfc3947) v.push_back(isakmp::VendorIdPayload{HexOrDie(kVidRfc3947)});
  if (natt_ == NatTraversal::kDraft) v.push_back(isakmp::VendorIdPayload{HexOrDie(kVidDraft03)});
  if (peer_dpd_) v.push_back(isakmp::VendorIdPayload{HexOrDie(kVidDpd)});
  return v;
}

void IsakmpSa::ReadVendorIds(const isakmp::Message& msg) {
  bool rfc = false, draft = false;
  for (const auto* vid : msg.FindAll<isakmp::VendorIdPayload>()) {
    std::string h = ToHex(vid->data);
    if (h == kVidRfc3947) rfc = true;
    if (h == kVidDraft03 || h == kVidDraft02 || h == kVidDraft02n) draft = true;
    if (h == kVidDpd) peer_dpd_ = true;
  }
  natt_ = rfc ? NatTraversal::kRfc3947 : draft ? NatTraversal::kDraft : NatTraversal::kNone;
}

std::vector<isakmp::Payload> IsakmpSa::NatDPayloads() const {
  std::vector<isakmp::Payload> v;
  if (natt_ == NatTraversal::kNone || !p1_) return v;
  Bytes ci = U64Bytes(ctx_.spi_i), cr = U64Bytes(ctx_.spi_r);
  auto hash_of = [&](const Endpoint& ep) {
    Bytes port = {static_cast<uint8_t>(ep.port >> 8), static_cast<uint8_t>(ep.port)};
    auto h = Digest(p1_->hash, {ci, cr, ep.address.bytes(), port});
    return h ? *h : Bytes{};
  };
  bool draft = natt_ == NatTraversal::kDraft;
  // RFC 3947 3.2: the destination first, then the source.
  Endpoint local = ctx_.local;
  if (ctx_.config->force_encap) local.port = 0;  // a mismatch forces encapsulation
  v.push_back(isakmp::NatDPayload{hash_of(ctx_.remote), draft});
  v.push_back(isakmp::NatDPayload{hash_of(local), draft});
  return v;
}

void IsakmpSa::CheckNatD(const isakmp::Message& msg) {
  if (natt_ == NatTraversal::kNone || !p1_) return;
  auto natds = msg.FindAll<isakmp::NatDPayload>();
  if (natds.size() < 2) return;
  Bytes ci = U64Bytes(ctx_.spi_i), cr = U64Bytes(ctx_.spi_r);
  auto hash_of = [&](const Endpoint& ep) {
    Bytes port = {static_cast<uint8_t>(ep.port >> 8), static_cast<uint8_t>(ep.port)};
    auto h = Digest(p1_->hash, {ci, cr, ep.address.bytes(), port});
    return h ? *h : Bytes{};
  };
  ctx_.nat_here = natds[0]->hash != hash_of(ctx_.local);
  Bytes there = hash_of(ctx_.remote);
  bool match = false;
  for (size_t i = 1; i < natds.size(); ++i) match = match || natds[i]->hash == there;
  ctx_.nat_there = !match;
}

void IsakmpSa::FloatPorts() {
  if (natt_ == NatTraversal::kNone || !(ctx_.nat_detected() || ctx_.config->force_encap)) return;
  if (ctx_.local.port == 500) ctx_.local.port = 4500;
  if (ctx_.remote.port == 500) ctx_.remote.port = 4500;
}

std::optional<isakmp::IdPayload> IsakmpSa::OurId() const {
  const Identity& id = ctx_.config->local_auth.id;
  if (id.IsAny()) {
    const IpAddress& a = ctx_.local.address;
    Bytes data(a.bytes().begin(), a.bytes().end());
    return isakmp::IdPayload::Make(a.is_v4() ? isakmp::IdType::kIpv4Addr : isakmp::IdType::kIpv6Addr,
                                   std::move(data));
  }
  return isakmp::IdPayload::Make(static_cast<isakmp::IdType>(id.type), id.data);
}

bool IsakmpSa::CheckPeerId(const isakmp::IdPayload& id) {
  Identity peer = ToIdentity(id);
  const Identity& want = ctx_.config->remote_auth.id;
  if (!want.IsAny() && !want.Matches(peer)) return false;
  ctx_.peer_id = peer;
  return true;
}

Result<Bytes, std::string> IsakmpSa::AuthHash(bool of_initiator, ByteView id_body) const {
  if (!prf_) return MakeUnexpected(std::string("no keys"));
  return PhaseOneHash(*prf_, keys_.skeyid.view(), of_initiator, gxi_, gxr_, ctx_.spi_i,
                      ctx_.spi_r, sa_i_b_, id_body);
}

Result<std::vector<isakmp::Payload>, std::string> IsakmpSa::OwnAuthPayloads(bool of_initiator) {
  auto id = OurId();
  Bytes id_b = BodyOf(*id);
  IKE_ASSIGN_OR_RETURN(Bytes hash, AuthHash(of_initiator, id_b));
  std::vector<isakmp::Payload> out;
  out.push_back(*id);
  if (!UsesSignatures()) {
    out.push_back(isakmp::HashPayload{std::move(hash)});
    return out;
  }
  for (const Bytes& cert : ctx_.config->local_auth.certs) {
    out.push_back(isakmp::CertPayload{isakmp::CertEncoding::kX509Signature, cert});
  }
  IKE_ASSIGN_OR_RETURN(Bytes sig, Ikev1Sign(ctx_.config->local_auth, hash));
  out.push_back(isakmp::SigPayload{std::move(sig)});
  return out;
}

Result<void, std::string> IsakmpSa::VerifyPeerAuth(const std::vector<isakmp::Payload>& payloads,
                                                   bool of_initiator) {
  const auto* id = FindPayload<isakmp::IdPayload>(payloads);
  if (!id) return MakeUnexpected(std::string("no ID payload"));
  Bytes id_b = peer_id_b_.empty() ? BodyOf(*id) : peer_id_b_;
  IKE_ASSIGN_OR_RETURN(Bytes expect, AuthHash(of_initiator, id_b));
  if (!UsesSignatures()) {
    const auto* hash = FindPayload<isakmp::HashPayload>(payloads);
    if (!hash || !ConstantTimeEqual(expect, hash->data)) {
      return MakeUnexpected(std::string(of_initiator ? "HASH_I" : "HASH_R") +
                            " mismatch (authentication failed)");
    }
  } else {
    const auto* sig = FindPayload<isakmp::SigPayload>(payloads);
    if (!sig) return MakeUnexpected(std::string("no SIG payload (authentication failed)"));
    std::vector<Bytes> certs;
    for (const auto& p : payloads) {
      const auto* c = std::get_if<isakmp::CertPayload>(&p);
      if (c && c->encoding == isakmp::CertEncoding::kX509Signature) certs.push_back(c->data);
    }
    auto ok = Ikev1VerifyPeer(ctx_.config->remote_auth, ctx_.env.wall_clock, certs,
                              ToIdentity(*id), expect, sig->data);
    if (!ok) return MakeUnexpected("authentication failed: " + ok.error());
  }
  if (!CheckPeerId(*id)) {
    return MakeUnexpected("unexpected peer identity " + ToIdentity(*id).ToString());
  }
  return {};
}

std::vector<isakmp::Payload> IsakmpSa::CertRequests() const {
  std::vector<isakmp::Payload> out;
  if (UsesSignatures() && ctx_.config->send_certreq) {
    out.push_back(isakmp::CertReqPayload{isakmp::CertEncoding::kX509Signature, {}});
  }
  return out;
}

bool IsakmpSa::DeriveKeys(const Bytes& peer_ke) {
  auto shared = ctx_.ke->ComputeShared(peer_ke);
  if (!shared) {
    ctx_.counters.Inc(Drop::kTaskFailed);
    Destroy("invalid KE payload");
    return false;
  }
  auto prf_id = PrfForHash(p1_->hash);
  auto prf = crypto::Prf::Create(*prf_id);
  if (!prf) {
    Destroy("PRF unavailable");
    return false;
  }
  prf_.emplace(std::move(*prf));
  const SecretBytes& psk = Psk();
  if (!UsesSignatures() && psk.empty()) {
    Destroy("no pre-shared key for " + ctx_.remote.address.ToString());
    return false;
  }
  auto skeyid = UsesSignatures() ? SkeyidSig(*prf_, ctx_.nonce_i, ctx_.nonce_r, shared->view())
                                 : SkeyidPsk(*prf_, psk.view(), ctx_.nonce_i, ctx_.nonce_r);
  if (!skeyid) {
    Destroy("SKEYID: " + skeyid.error());
    return false;
  }
  auto keys = DerivePhase1Keys(*prf_, std::move(*skeyid), shared->view(), ctx_.spi_i, ctx_.spi_r,
                               p1_->key_size());
  if (!keys) {
    Destroy("keys: " + keys.error());
    return false;
  }
  keys_ = std::move(*keys);
  auto cipher = crypto::CbcCipher::Create(p1_->cbc(), keys_.enc_key.view());
  if (!cipher) {
    Destroy("cipher: " + cipher.error().detail);
    return false;
  }
  cipher_.emplace(std::move(*cipher));
  auto iv = Phase1Iv(p1_->hash, gxi_, gxr_, cipher_->block_size());
  if (!iv) {
    Destroy("IV: " + iv.error());
    return false;
  }
  p1_iv_ = std::move(*iv);
  return true;
}

void IsakmpSa::StartPhase1(TimePoint now) {
  p1_offer_ = Phase1Offer(ctx_.config->ike_proposals, AuthMethod(), Phase1LifeSeconds());
  ctx_.state = IkeState::kConnecting;
  if (p1_offer_.empty()) {
    Destroy("no IKEv1 proposal configured");
    return;
  }
  isakmp::Message m;
  m.header = MakeHeader(aggressive_ ? isakmp::ExchangeType::kAggressive
                                    : isakmp::ExchangeType::kIdentityProtection,
                        0);
  if (aggressive_) {
    // One group only: the KE payload is sent before the choice.
    KeGroup g = p1_offer_.front().group;
    std::erase_if(p1_offer_, [&](const Phase1Transform& t) { return t.group != g; });
  }
  isakmp::SaPayload sa = EncodePhase1Sa(p1_offer_);
  sa_i_b_ = BodyOf(sa);
  m.payloads.push_back(std::move(sa));
  if (aggressive_) {
    auto ke = crypto::KeyExchange::Create(p1_offer_.front().group, ctx_.env.rng);
    if (!ke) {
      Destroy("KE: " + ke.error().detail);
      return;
    }
    ctx_.ke.emplace(std::move(*ke));
    gxi_ = ctx_.ke->PublicValue();
    ctx_.nonce_i = ctx_.env.rng.Generate(kNonceSize);
    m.payloads.push_back(isakmp::KePayload{gxi_});
    m.payloads.push_back(isakmp::NoncePayload{ctx_.nonce_i});
    auto id = OurId();
    peer_id_b_.clear();
    m.payloads.push_back(*id);
  }
  for (auto& v : OurVendorIds()) m.payloads.push_back(std::move(v));
  SendPhase1(isakmp::EncodeMessage(m), P1Stage::kSent1);
  (void)now;
}

void IsakmpSa::OnPhase1(const isakmp::Message& msg, ByteView raw) {
  if (aggressive_) {
    if (ctx_.role == Role::kInitiator) {
      AggressiveInitiator(msg, raw);
    } else {
      AggressiveResponder(msg, raw);
    }
    return;
  }
  if (ctx_.role == Role::kInitiator) {
    InitiatorPhase1(msg, raw);
  } else {
    ResponderPhase1(msg, raw);
  }
}

void IsakmpSa::InitiatorPhase1(const isakmp::Message& msg, ByteView raw) {
  if (p1_stage_ == P1Stage::kSent1) {
    // <-- HDR, SA, VID
    const auto* sa = msg.Find<isakmp::SaPayload>();
    if (msg.header.encrypted || !sa || msg.header.responder_cookie == 0) {
      ctx_.counters.Inc(Drop::kInvalidPayloads);
      return;
    }
    auto chosen = CheckPhase1Reply(*sa, p1_offer_);
    if (!chosen) {
      Destroy("Main Mode: the responder chose a transform we did not offer");
      return;
    }
    p1_ = *chosen;
    ctx_.spi_r = msg.header.responder_cookie;
    ReadVendorIds(msg);
    auto ke = crypto::KeyExchange::Create(p1_->group, ctx_.env.rng);
    if (!ke) {
      Destroy("KE: " + ke.error().detail);
      return;
    }
    ctx_.ke.emplace(std::move(*ke));
    gxi_ = ctx_.ke->PublicValue();
    ctx_.nonce_i = ctx_.env.rng.Generate(kNonceSize);
    // HDR, KE, Ni, NAT-D, NAT-D -->
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kIdentityProtection, 0);
    m.payloads.push_back(isakmp::KePayload{gxi_});
    m.payloads.push_back(isakmp::NoncePayload{ctx_.nonce_i});
    for (auto& p : CertRequests()) m.payloads.push_back(std::move(p));
    for (auto& p : NatDPayloads()) m.payloads.push_back(std::move(p));
    p1_last_received_.assign(raw.begin(), raw.end());
    SendPhase1(isakmp::EncodeMessage(m), P1Stage::kSent3);
    return;
  }
  if (p1_stage_ == P1Stage::kSent3) {
    // <-- HDR, KE, Nr, NAT-D, NAT-D
    const auto* ke = msg.Find<isakmp::KePayload>();
    const auto* nonce = msg.Find<isakmp::NoncePayload>();
    if (msg.header.encrypted || !ke || !nonce) {
      ctx_.counters.Inc(Drop::kInvalidPayloads);
      return;
    }
    gxr_ = ke->data;
    ctx_.nonce_r = nonce->data;
    if (!DeriveKeys(gxr_)) return;
    CheckNatD(msg);
    FloatPorts();
    // HDR*, IDii, HASH_I (or [CERT,] SIG_I) [, N(INITIAL-CONTACT)] -->
    auto own = OwnAuthPayloads(true);
    if (!own) {
      Destroy("Main Mode: " + own.error());
      return;
    }
    std::vector<isakmp::Payload> payloads = std::move(*own);
    if (ctx_.SendInitialContact()) {
      isakmp::NotifyPayload n;
      n.protocol = isakmp::ProtocolId::kIsakmp;
      n.type = isakmp::NotifyType::kInitialContact;
      n.spi = U64Bytes(ctx_.spi_i);
      Bytes cr = U64Bytes(ctx_.spi_r);
      n.spi.insert(n.spi.end(), cr.begin(), cr.end());
      payloads.push_back(std::move(n));
      sent_initial_contact_ = true;
    }
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kIdentityProtection, 0);
    auto dg = Encrypt(m, payloads, p1_iv_);
    if (!dg) {
      Destroy(dg.error());
      return;
    }
    p1_last_received_.assign(raw.begin(), raw.end());
    SendPhase1(std::move(*dg), P1Stage::kSent5);
    return;
  }
  if (p1_stage_ == P1Stage::kSent5) {
    // <-- HDR*, IDir, HASH_R
    if (!msg.header.encrypted) {
      ctx_.counters.Inc(Drop::kMissingSk);
      return;
    }
    auto d = Decrypt(msg, p1_iv_);
    if (!d) {
      ctx_.counters.Inc(Drop::kBadIcv);
      Destroy("Main Mode: authentication of the responder failed (MM6 undecodable)");
      return;
    }
    if (auto ok = VerifyPeerAuth(d->body.payloads, false); !ok) {
      ctx_.counters.Inc(Drop::kBadIcv);
      Destroy("Main Mode: responder " + ok.error());
      return;
    }
    p1_iv_ = d->next_iv;
    p1_last_received_.assign(raw.begin(), raw.end());
    p1_last_sent_.clear();
    Phase1Done();
    return;
  }
  ctx_.counters.Inc(Drop::kUnexpectedResponse);
}

void IsakmpSa::ResponderPhase1(const isakmp::Message& msg, ByteView raw) {
  if (p1_stage_ == P1Stage::kStart) {
    // HDR, SA, VID -->
    const auto* sa = msg.Find<isakmp::SaPayload>();
    auto body = RawBody(raw, static_cast<uint8_t>(isakmp::PayloadType::kSa));
    if (msg.header.encrypted || !sa || !body) {
      ctx_.counters.Inc(Drop::kInvalidPayloads);
      Destroy("Main Mode: malformed first message");
      return;
    }
    ctx_.state = IkeState::kConnecting;
    ReadVendorIds(msg);
    auto choice = SelectPhase1(*sa, Phase1Offer(ctx_.config->ike_proposals, AuthMethod(), 0));
    if (!choice) {
      SendUnencryptedNotify(isakmp::NotifyType::kNoProposalChosen);
      Destroy("Main Mode: no acceptable proposal (NO-PROPOSAL-CHOSEN)");
      return;
    }
    p1_ = choice->chosen;
    sa_i_b_ = std::move(*body);
    // <-- HDR, SA, VID
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kIdentityProtection, 0);
    m.payloads.push_back(std::move(choice->reply));
    for (auto& v : OurVendorIds()) m.payloads.push_back(std::move(v));
    p1_last_received_.assign(raw.begin(), raw.end());
    SendPhase1(isakmp::EncodeMessage(m), P1Stage::kSent2);
    ctx_.ArmTimer(TimerKind::kHalfOpenTimeout, ctx_.settings.half_open_timeout);
    return;
  }
  if (p1_stage_ == P1Stage::kSent2) {
    // HDR, KE, Ni, NAT-D, NAT-D -->
    const auto* ke = msg.Find<isakmp::KePayload>();
    const auto* nonce = msg.Find<isakmp::NoncePayload>();
    if (msg.header.encrypted || !ke || !nonce) {
      ctx_.counters.Inc(Drop::kInvalidPayloads);
      return;
    }
    auto our = crypto::KeyExchange::Create(p1_->group, ctx_.env.rng);
    if (!our) {
      Destroy("KE: " + our.error().detail);
      return;
    }
    ctx_.ke.emplace(std::move(*our));
    gxi_ = ke->data;
    gxr_ = ctx_.ke->PublicValue();
    ctx_.nonce_i = nonce->data;
    ctx_.nonce_r = ctx_.env.rng.Generate(kNonceSize);
    if (!DeriveKeys(gxi_)) return;
    CheckNatD(msg);
    // <-- HDR, KE, Nr, NAT-D, NAT-D
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kIdentityProtection, 0);
    m.payloads.push_back(isakmp::KePayload{gxr_});
    m.payloads.push_back(isakmp::NoncePayload{ctx_.nonce_r});
    for (auto& p : CertRequests()) m.payloads.push_back(std::move(p));
    for (auto& p : NatDPayloads()) m.payloads.push_back(std::move(p));
    p1_last_received_.assign(raw.begin(), raw.end());
    SendPhase1(isakmp::EncodeMessage(m), P1Stage::kSent4);
    return;
  }
  if (p1_stage_ == P1Stage::kSent4) {
    // HDR*, IDii, HASH_I -->
    if (!msg.header.encrypted) {
      ctx_.counters.Inc(Drop::kMissingSk);
      return;
    }
    auto d = Decrypt(msg, p1_iv_);
    if (!d) {
      // Undecodable with our keys: most likely a different pre-shared key.
      ctx_.counters.Inc(Drop::kBadIcv);
      Destroy("Main Mode: authentication of the initiator failed (MM5 undecodable)");
      return;
    }
    // With signatures the ID can still choose the connection (with a PSK
    // the key was needed to read this message: the address chose it).
    if (const auto* id = FindPayload<isakmp::IdPayload>(d->body.payloads); id && UsesSignatures()) {
      SelectConfigByIdentity(*id, nullptr);
    }
    if (auto ok = VerifyPeerAuth(d->body.payloads, true); !ok) {
      ctx_.counters.Inc(Drop::kBadIcv);
      Destroy("Main Mode: initiator " + ok.error());
      return;
    }
    for (const auto& p : d->body.payloads) {
      const auto* n = std::get_if<isakmp::NotifyPayload>(&p);
      if (n && n->type == isakmp::NotifyType::kInitialContact) ctx_.initial_contact = true;
    }
    p1_iv_ = d->next_iv;
    // <-- HDR*, IDir, HASH_R (or [CERT,] SIG_R)
    auto own = OwnAuthPayloads(false);
    if (!own) {
      Destroy("Main Mode: " + own.error());
      return;
    }
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kIdentityProtection, 0);
    auto dg = Encrypt(m, *own, p1_iv_);
    if (!dg) {
      Destroy(dg.error());
      return;
    }
    p1_last_received_.assign(raw.begin(), raw.end());
    p1_last_sent_ = std::move(*dg);
    Send(p1_last_sent_);
    Phase1Done();
    return;
  }
  ctx_.counters.Inc(Drop::kUnexpectedExchange);
}

void IsakmpSa::Phase1Done() {
  p1_stage_ = P1Stage::kDone;
  ctx_.state = IkeState::kEstablished;
  ctx_.established_at = ctx_.now;
  ctx_.last_inbound = ctx_.now;
  ctx_.CancelTimer(TimerKind::kRetransmit, 0);
  ctx_.CancelTimer(TimerKind::kHalfOpenTimeout);
  ctx_.ke.reset();
  if (XauthClient() || XauthServer()) xauth_ = Xauth::kPending;
  if (ModeCfgClient() || ModeCfgPush()) modecfg_ = ModeCfg::kPending;
  // With XAuth / Mode Config the SA counts as up (and Quick Modes start)
  // once they are through.
  if (!SetupPending()) ctx_.EmitEvent(EventKind::kIkeUp);
  if (ctx_.config->dpd_delay.count() > 0) ctx_.ArmTimer(TimerKind::kDpd, ctx_.config->dpd_delay);
  uint32_t life_s = p1_ && p1_->life_s ? p1_->life_s : Phase1LifeSeconds();
  if (ctx_.role == Role::kInitiator) {
    Duration soft = std::max(ctx_.config->rekey_time, ctx_.config->reauth_time);
    if (soft.count() > 0) {
      Duration jitter = ctx_.config->rand_time.count() > 0 ? ctx_.config->rand_time : soft / 10;
      ctx_.ArmTimer(TimerKind::kIkeReauth, soft - ctx_.Jitter(jitter));
    }
  }
  if (life_s > 0) ctx_.ArmTimer(TimerKind::kIkeLifetime, Duration(int64_t{life_s} * 1000));
  if (XauthServer()) StartXauthServer();
  if (xauth_ != Xauth::kPending && modecfg_ == ModeCfg::kPending) StartModeCfg();
  if (!SetupPending()) StartPendingChildren();
}

void IsakmpSa::StartPendingChildren() {
  if (ctx_.role != Role::kInitiator || reestablish_of_ != 0) return;
  std::vector<std::string> names = pending_children_;
  bool all = pending_all_children_;
  pending_children_.clear();
  pending_all_children_ = false;
  for (const ChildConfig& c : ctx_.config->children) {
    if (all || std::find(names.begin(), names.end(), c.name) != names.end()) {
      StartQuickMode(ChildOf(ctx_.config, c), 0, nullptr, nullptr);
    }
  }
}

void IsakmpSa::AggressiveInitiator(const isakmp::Message& msg, ByteView raw) {
  // <-- HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D]
  if (p1_stage_ != P1Stage::kSent1) {
    ctx_.counters.Inc(Drop::kUnexpectedResponse);
    return;
  }
  const auto* sa = msg.Find<isakmp::SaPayload>();
  const auto* ke = msg.Find<isakmp::KePayload>();
  const auto* nonce = msg.Find<isakmp::NoncePayload>();
  const auto* id = msg.Find<isakmp::IdPayload>();
  const auto* hash = msg.Find<isakmp::HashPayload>();
  if (msg.header.encrypted || !sa || !ke || !nonce || !id || !hash ||
      msg.header.responder_cookie == 0) {
    ctx_.counters.Inc(Drop::kInvalidPayloads);
    return;
  }
  auto chosen = CheckPhase1Reply(*sa, p1_offer_);
  if (!chosen) {
    Destroy("Aggressive Mode: the responder chose a transform we did not offer");
    return;
  }
  p1_ = *chosen;
  ctx_.spi_r = msg.header.responder_cookie;
  ReadVendorIds(msg);
  gxr_ = ke->data;
  ctx_.nonce_r = nonce->data;
  if (!DeriveKeys(gxr_)) return;
  auto expect = AuthHash(false, BodyOf(*id));
  if (!expect || !ConstantTimeEqual(*expect, hash->data)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    Destroy("Aggressive Mode: HASH_R mismatch (authentication failed)");
    return;
  }
  if (!CheckPeerId(*id)) {
    Destroy("Aggressive Mode: unexpected responder identity " + ToIdentity(*id).ToString());
    return;
  }
  CheckNatD(msg);
  FloatPorts();
  // HDR, HASH_I [, NAT-D, NAT-D] -->  (sent in the clear, RFC 2409 5.4)
  auto our_id = OurId();
  auto hash_i = AuthHash(true, BodyOf(*our_id));
  if (!hash_i) {
    Destroy("HASH_I: " + hash_i.error());
    return;
  }
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kAggressive, 0);
  m.payloads.push_back(isakmp::HashPayload{*hash_i});
  for (auto& p : NatDPayloads()) m.payloads.push_back(std::move(p));
  p1_last_received_.assign(raw.begin(), raw.end());
  p1_last_sent_ = isakmp::EncodeMessage(m);
  Send(p1_last_sent_);
  // AM3 goes in the clear: INITIAL-CONTACT follows in its own protected
  // Informational exchange (before any Quick Mode).
  p1_stage_ = P1Stage::kDone;
  if (ctx_.SendInitialContact()) {
    Bytes cookies = U64Bytes(ctx_.spi_i);
    Bytes cr = U64Bytes(ctx_.spi_r);
    cookies.insert(cookies.end(), cr.begin(), cr.end());
    am_initial_contact_ = SendNotify(isakmp::NotifyType::kInitialContact,
                                     isakmp::ProtocolId::kIsakmp, std::move(cookies));
    sent_initial_contact_ = true;
  }
  Phase1Done();
}

void IsakmpSa::AggressiveResponder(const isakmp::Message& msg, ByteView raw) {
  if (p1_stage_ == P1Stage::kStart) {
    // HDR, SA, KE, Ni, IDii [, VID] -->
    const auto* sa = msg.Find<isakmp::SaPayload>();
    const auto* ke = msg.Find<isakmp::KePayload>();
    const auto* nonce = msg.Find<isakmp::NoncePayload>();
    const auto* id = msg.Find<isakmp::IdPayload>();
    auto body = RawBody(raw, static_cast<uint8_t>(isakmp::PayloadType::kSa));
    if (msg.header.encrypted || !sa || !ke || !nonce || !id || !body) {
      ctx_.counters.Inc(Drop::kInvalidPayloads);
      Destroy("Aggressive Mode: malformed first message");
      return;
    }
    ctx_.state = IkeState::kConnecting;
    // The initiator's ID is here: pick the connection it names.
    SelectConfigByIdentity(*id, sa);
    if (!ctx_.config->aggressive) {
      // It would expose a hash of the PSK to anyone asking.
      SendUnencryptedNotify(isakmp::NotifyType::kNoProposalChosen);
      Destroy("Aggressive Mode refused (aggressive = no)");
      return;
    }
    ReadVendorIds(msg);
    auto choice = SelectPhase1(*sa, Phase1Offer(ctx_.config->ike_proposals, AuthMethod(), 0));
    if (!choice) {
      SendUnencryptedNotify(isakmp::NotifyType::kNoProposalChosen);
      Destroy("Aggressive Mode: no acceptable proposal (NO-PROPOSAL-CHOSEN)");
      return;
    }
    if (!CheckPeerId(*id)) {
      SendUnencryptedNotify(isakmp::NotifyType::kInvalidIdInformation);
      Destroy("Aggressive Mode: unexpected initiator identity " + ToIdentity(*id).ToString());
      return;
    }
    p1_ = choice->chosen;
    sa_i_b_ = std::move(*body);
    peer_id_b_ = BodyOf(*id);
    auto our = crypto::KeyExchange::Create(p1_->group, ctx_.env.rng);
    if (!our) {
      Destroy("KE: " + our.error().detail);
      return;
    }
    ctx_.ke.emplace(std::move(*our));
    gxi_ = ke->data;
    gxr_ = ctx_.ke->PublicValue();
    ctx_.nonce_i = nonce->data;
    ctx_.nonce_r = ctx_.env.rng.Generate(kNonceSize);
    if (!DeriveKeys(gxi_)) return;
    auto our_id = OurId();
    auto hash_r = AuthHash(false, BodyOf(*our_id));
    if (!hash_r) {
      Destroy("HASH_R: " + hash_r.error());
      return;
    }
    // <-- HDR, SA, KE, Nr, IDir, HASH_R [, VID, NAT-D, NAT-D]
    isakmp::Message m;
    m.header = MakeHeader(isakmp::ExchangeType::kAggressive, 0);
    m.payloads.push_back(std::move(choice->reply));
    m.payloads.push_back(isakmp::KePayload{gxr_});
    m.payloads.push_back(isakmp::NoncePayload{ctx_.nonce_r});
    m.payloads.push_back(*our_id);
    m.payloads.push_back(isakmp::HashPayload{*hash_r});
    for (auto& v : OurVendorIds()) m.payloads.push_back(std::move(v));
    for (auto& p : NatDPayloads()) m.payloads.push_back(std::move(p));
    p1_last_received_.assign(raw.begin(), raw.end());
    SendPhase1(isakmp::EncodeMessage(m), P1Stage::kSent2);
    ctx_.ArmTimer(TimerKind::kHalfOpenTimeout, ctx_.settings.half_open_timeout);
    return;
  }
  if (p1_stage_ == P1Stage::kSent2) {
    // HDR, HASH_I [, NAT-D, NAT-D] -->  (clear, or encrypted by some peers)
    std::vector<isakmp::Payload> payloads = msg.payloads;
    if (msg.header.encrypted) {
      auto d = Decrypt(msg, p1_iv_);
      if (!d) {
        ctx_.counters.Inc(Drop::kBadIcv);
        Destroy("Aggressive Mode: HASH_I undecodable (authentication failed)");
        return;
      }
      payloads = d->body.payloads;
      p1_iv_ = d->next_iv;
    }
    const isakmp::HashPayload* hash = FindPayload<isakmp::HashPayload>(payloads);
    auto expect = AuthHash(true, peer_id_b_);
    if (!hash || !expect || !ConstantTimeEqual(*expect, hash->data)) {
      ctx_.counters.Inc(Drop::kBadIcv);
      Destroy("Aggressive Mode: HASH_I mismatch (authentication failed)");
      return;
    }
    isakmp::Message plain;
    plain.payloads = payloads;
    CheckNatD(plain);
    p1_last_received_.assign(raw.begin(), raw.end());
    p1_last_sent_.clear();
    Phase1Done();
    return;
  }
  ctx_.counters.Inc(Drop::kUnexpectedExchange);
}

void IsakmpSa::SendPhase1(Bytes datagram, P1Stage next) {
  p1_last_sent_ = std::move(datagram);
  p1_stage_ = next;
  p1_tries_ = 0;
  Send(p1_last_sent_);
  ArmRetransmit(0, 0);
}

void IsakmpSa::SelectConfigByIdentity(const isakmp::IdPayload& id, const isakmp::SaPayload* offered) {
  if (!ctx_.config_candidates || ctx_.role != Role::kResponder) return;
  Identity peer = ToIdentity(id);
  std::shared_ptr<const PeerConfig> best;
  int best_score = -1;
  for (const std::shared_ptr<const PeerConfig>& candidate : *ctx_.config_candidates) {
    const PeerConfig& c = *candidate;
    if (c.version != 1 && c.version != 0) continue;
    int score = AddressMatch(c, ctx_.local, ctx_.remote);
    if (score < 0 || !c.remote_auth.id.Matches(peer)) continue;
    uint16_t method = AuthMethodFor(c, Role::kResponder);
    if (offered) {
      // Aggressive Mode: the first message carries the SA offer.
      if (!c.aggressive || !SelectPhase1(*offered, Phase1Offer(c.ike_proposals, method, 0))) continue;
    } else {
      // Main Mode: the suite (authentication method included) is fixed.
      bool fits = false;
      for (const Phase1Transform& t : Phase1Offer(c.ike_proposals, method, 0)) {
        fits = fits || (p1_ && t.SameSuite(*p1_));
      }
      if (!fits) continue;
    }
    score += c.remote_auth.id.IsAny() ? 0 : 4;
    if (score > best_score || (score == best_score && c.name == ctx_.config->name)) {
      best = candidate;
      best_score = score;
    }
  }
  if (best && best->name != ctx_.config->name) ctx_.config = std::move(best);
}

}  // namespace ike::engine::v1
