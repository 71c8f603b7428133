// Quick Mode (RFC 2409 5.5): IPsec SAs under an established ISAKMP SA.
//
//   Initiator                              Responder
//   HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr ] -->
//                   <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr ]
//                                                  [, N(RESPONDER-LIFETIME)]
//   HDR*, HASH(3) -->
//
// The initiator installs after QM2 (it sends QM3 then), the responder after
// QM3. A retransmitted QM2 is answered with the QM3 we sent.
#include <algorithm>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/key_exchange.h"
#include "libike/engine/sa/child_install.h"
#include "libike/engine/v1/isakmp_sa.h"

namespace ike::engine::v1 {

namespace {

constexpr size_t kNonceSize = 32;

uint32_t LifeSeconds(Duration d) {
  return d.count() > 0 ? static_cast<uint32_t>(d.count() / 1000) : 0;
}

uint16_t EncapMode(xfrm::Mode mode, bool udp, NatTraversal natt) {
  bool tunnel = mode == xfrm::Mode::kTunnel;
  if (!udp) return tunnel ? 1 : 2;
  if (natt == NatTraversal::kDraft) return tunnel ? 61443 : 61444;
  return tunnel ? 3 : 4;
}
bool IsUdpEncap(uint16_t m) { return m == 3 || m == 4 || m == 61443 || m == 61444; }
bool IsTunnel(uint16_t m) { return m == 1 || m == 3 || m == 61443; }

Bytes MaskBytes(unsigned prefix, size_t size) {
  Bytes m(size, 0);
  for (size_t i = 0; i < size; ++i) {
    unsigned bits = prefix > 8 * i ? std::min(8u, prefix - static_cast<unsigned>(8 * i)) : 0;
    m[i] = static_cast<uint8_t>(0xff00 >> bits);
  }
  return m;
}

std::optional<unsigned> MaskPrefix(ByteView mask) {
  unsigned n = 0;
  bool zero_seen = false;
  for (uint8_t b : mask) {
    for (int i = 7; i >= 0; --i) {
      bool one = (b >> i) & 1;
      if (one && zero_seen) return std::nullopt;
      if (one) ++n; else zero_seen = true;
    }
  }
  return n;
}

// RFC 2407 4.6.2: a traffic selector as a Quick Mode client ID.
isakmp::IdPayload TsToId(const TrafficSelector& ts) {
  isakmp::IdPayload id;
  id.protocol = ts.ip_proto;
  id.port = ts.start_port == ts.end_port ? ts.start_port : 0;
  bool v4 = ts.start.is_v4();
  auto plen = ts.PrefixLength();
  Bytes start(ts.start.bytes().begin(), ts.start.bytes().end());
  if (plen && *plen == (v4 ? 32u : 128u)) {
    id.type = v4 ? isakmp::IdType::kIpv4Addr : isakmp::IdType::kIpv6Addr;
    id.data = std::move(start);
  } else if (plen) {
    id.type = v4 ? isakmp::IdType::kIpv4AddrSubnet : isakmp::IdType::kIpv6AddrSubnet;
    id.data = std::move(start);
    Bytes m = MaskBytes(*plen, ts.start.size());
    id.data.insert(id.data.end(), m.begin(), m.end());
  } else {
    id.type = v4 ? isakmp::IdType::kIpv4AddrRange : isakmp::IdType::kIpv6AddrRange;
    id.data = std::move(start);
    id.data.insert(id.data.end(), ts.end.bytes().begin(), ts.end.bytes().end());
  }
  return id;
}

std::optional<TrafficSelector> IdToTs(const isakmp::IdPayload& id) {
  TrafficSelector ts;
  ByteView d(id.data);
  switch (id.type) {
    case isakmp::IdType::kIpv4Addr:
    case isakmp::IdType::kIpv6Addr: {
      auto a = IpAddress::FromBytes(d);
      if (!a) return std::nullopt;
      ts = TrafficSelector::Host(*a);
      break;
    }
    case isakmp::IdType::kIpv4AddrSubnet:
    case isakmp::IdType::kIpv6AddrSubnet: {
      size_t half = d.size() / 2;
      auto a = IpAddress::FromBytes(d.subspan(0, half));
      auto plen = MaskPrefix(d.subspan(half));
      if (!a || !plen) return std::nullopt;
      ts = TrafficSelector::FromPrefix(a->Masked(*plen), *plen);
      break;
    }
    case isakmp::IdType::kIpv4AddrRange:
    case isakmp::IdType::kIpv6AddrRange: {
      size_t half = d.size() / 2;
      auto a = IpAddress::FromBytes(d.subspan(0, half));
      auto b = IpAddress::FromBytes(d.subspan(half));
      if (!a || !b || *b < *a) return std::nullopt;
      ts.start = *a;
      ts.end = *b;
      break;
    }
    default:
      return std::nullopt;
  }
  ts.ip_proto = id.protocol;
  ts.start_port = id.port;
  ts.end_port = id.port == 0 ? 65535 : id.port;
  return ts;
}

// RESPONDER-LIFETIME (RFC 2407 4.6.3.1) data: SA Life Type / Duration.
Bytes LifetimeAttributes(uint32_t secs) {
  Bytes b = {0x80, 0x01, 0x00, 0x01};
  if (secs <= 0xffff) {
    b.insert(b.end(), {0x80, 0x02, static_cast<uint8_t>(secs >> 8), static_cast<uint8_t>(secs)});
  } else {
    b.insert(b.end(), {0x00, 0x02, 0x00, 0x04});
    Bytes v = U32Bytes(secs);
    b.insert(b.end(), v.begin(), v.end());
  }
  return b;
}

std::optional<uint32_t> ParseLifetimeAttributes(ByteView d) {
  uint16_t life_type = 0;
  std::optional<uint32_t> out;
  size_t off = 0;
  while (off + 4 <= d.size()) {
    uint16_t type = static_cast<uint16_t>(d[off] << 8 | d[off + 1]);
    bool tv = type & 0x8000;
    type &= 0x7fff;
    uint64_t value = 0;
    size_t len = 4;
    if (tv) {
      value = static_cast<uint64_t>(d[off + 2] << 8 | d[off + 3]);
    } else {
      size_t vlen = static_cast<size_t>(d[off + 2] << 8 | d[off + 3]);
      if (vlen > 8 || off + 4 + vlen > d.size()) return std::nullopt;
      for (size_t i = 0; i < vlen; ++i) value = value << 8 | d[off + 4 + i];
      len += vlen;
    }
    if (type == 1) life_type = static_cast<uint16_t>(value);
    if (type == 2 && life_type == 1) out = static_cast<uint32_t>(std::min<uint64_t>(value, 0xffffffffu));
    off += len;
  }
  return out;
}

uint32_t MinLife(uint32_t a, uint32_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

bool FirstIsHash(const isakmp::DecryptedBody& body, Bytes* hash) {
  if (body.payloads.empty()) return false;
  const auto* h = std::get_if<isakmp::HashPayload>(&body.payloads.front());
  if (!h) return false;
  *hash = h->data;
  return true;
}

}  // namespace

void IsakmpSa::StartQuickMode(ChildConfigRef child_ref, uint32_t rekey_of, const TsList* ts_local,
                              const TsList* ts_remote) {
  const ChildConfig& child = *child_ref;
  QuickMode qm;
  qm.mid = NewMessageId();
  qm.role = Role::kInitiator;
  qm.config = child_ref;
  qm.rekey_of = rekey_of;
  qm.started = ctx_.now;
  const ChildSa* old = rekey_of ? ctx_.FindChildByInbound(rekey_of) : nullptr;
  qm.ts_i = ts_local ? *ts_local : LocalTs(child);
  qm.ts_r = ts_remote ? *ts_remote : RemoteTs(child);
  auto fail = [&](const std::string& why) {
    ctx_.EmitEvent(EventKind::kChildDown, child.name, 0, 0, why);
    if (ChildSa* o = rekey_of ? ctx_.FindChildByInbound(rekey_of) : nullptr) {
      o->state = ChildState::kInstalled;
    }
  };
  if (qm.ts_i.empty() || qm.ts_r.empty()) {
    fail("no traffic selectors");
    return;
  }
  qm.ts_i.resize(1);  // IKEv1 carries one selector per side
  qm.ts_r.resize(1);
  qm.reqid = old ? old->reqid : AssignReqid(ctx_, child, &qm.ts_r);
  auto spi = ctx_.env.spis.AllocateSpi(ctx_.remote.address, ctx_.local.address, ProtocolId::kEsp,
                                       qm.reqid);
  if (!spi) {
    fail("SPI allocation failed: " + spi.error());
    return;
  }
  qm.spi_in = *spi;
  bool udp = natt_ != NatTraversal::kNone && ctx_.use_encap();
  qm.offer = ChildOffer(child.esp_proposals, EncapMode(child.mode, udp, natt_),
                        LifeSeconds(child.life_time));
  if (qm.offer.empty()) {
    ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
    fail("no IKEv1 ESP proposal configured");
    return;
  }
  qm.pfs = qm.offer.front().pfs;
  if (qm.pfs != KeGroup::kNone) {
    auto ke = crypto::KeyExchange::Create(qm.pfs, ctx_.env.rng);
    if (!ke) {
      ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
      fail("PFS group unsupported");
      return;
    }
    qm.ke.emplace(std::move(*ke));
  }
  qm.ni = ctx_.env.rng.Generate(kNonceSize);
  std::vector<isakmp::Payload> after;
  after.push_back(EncodeChildSa(qm.offer, qm.spi_in));
  after.push_back(isakmp::NoncePayload{qm.ni});
  if (qm.ke) after.push_back(isakmp::KePayload{qm.ke->PublicValue()});
  after.push_back(TsToId(qm.ts_i.front()));
  after.push_back(TsToId(qm.ts_r.front()));
  auto h1 = Hash1(*prf_, keys_.skeyid_a.view(), qm.mid, isakmp::EncodePayloadChain(after));
  auto iv = Phase2Iv(qm.mid);
  if (!h1 || !iv) {
    ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
    fail("Quick Mode: no keys");
    return;
  }
  std::vector<isakmp::Payload> all;
  all.push_back(isakmp::HashPayload{*h1});
  for (auto& p : after) all.push_back(std::move(p));
  qm.iv = std::move(*iv);
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kQuick, qm.mid);
  auto dg = Encrypt(m, all, qm.iv);
  if (!dg) {
    ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
    fail(dg.error());
    return;
  }
  qm.last_sent = std::move(*dg);
  uint32_t mid = qm.mid;
  Send(qm.last_sent);
  qms_.emplace(mid, std::move(qm));
  ArmRetransmit(mid, 0);
}

void IsakmpSa::OnQuickMode(const isakmp::Message& msg, ByteView raw) {
  uint32_t mid = msg.header.message_id;
  if (mid == 0) {
    ctx_.counters.Inc(Drop::kInvalidPayloads);
    return;
  }
  auto it = qms_.find(mid);
  if (it == qms_.end()) {
    QuickModeResponder(msg, raw, mid);
    return;
  }
  QuickMode& qm = it->second;
  if (qm.last_received.size() == raw.size() &&
      std::equal(raw.begin(), raw.end(), qm.last_received.begin())) {
    ctx_.counters.Inc(Drop::kRetransmittedRequest);
    if (!qm.last_sent.empty()) Send(qm.last_sent);
    return;
  }
  auto d = Decrypt(msg, qm.iv);
  if (!d) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  am_initial_contact_.clear();  // the peer is up: it answers in Quick Mode
  if (qm.role == Role::kInitiator && qm.stage == QuickMode::Stage::kSentQm1) {
    QuickModeQm2(qm, *d, raw);
  } else if (qm.role == Role::kResponder && qm.stage == QuickMode::Stage::kSentQm2) {
    QuickModeQm3(qm, *d, raw);
  } else {
    ctx_.counters.Inc(Drop::kUnexpectedExchange);
  }
}

void IsakmpSa::QuickModeResponder(const isakmp::Message& msg, ByteView raw, uint32_t mid) {
  auto iv = Phase2Iv(mid);
  if (!iv) return;
  auto d = Decrypt(msg, *iv);
  Bytes hash;
  if (!d || !FirstIsHash(d->body, &hash)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  auto expect = Hash1(*prf_, keys_.skeyid_a.view(), mid, d->after_first);
  if (!expect || !ConstantTimeEqual(*expect, hash)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  am_initial_contact_.clear();  // the peer is up: it speaks Quick Mode
  ctx_.last_inbound = ctx_.now;
  const auto& payloads = d->body.payloads;
  const auto* sa = FindPayload<isakmp::SaPayload>(payloads);
  const auto* nonce = FindPayload<isakmp::NoncePayload>(payloads);
  const auto* ke = FindPayload<isakmp::KePayload>(payloads);
  std::vector<const isakmp::IdPayload*> ids;
  for (const auto& p : payloads) {
    if (const auto* id = std::get_if<isakmp::IdPayload>(&p)) ids.push_back(id);
  }
  if (!sa || !nonce || (ids.size() != 0 && ids.size() != 2)) {
    ctx_.counters.Inc(Drop::kInvalidPayloads);
    SendNotify(isakmp::NotifyType::kPayloadMalformed, isakmp::ProtocolId::kIsakmp, {});
    return;
  }
  QuickMode qm;
  qm.mid = mid;
  qm.role = Role::kResponder;
  qm.started = ctx_.now;
  qm.ni = nonce->data;
  Bytes peer_spi;
  if (!sa->proposals.empty()) peer_spi = sa->proposals.front().spi;
  std::optional<TrafficSelector> tsi, tsr;
  if (ids.size() == 2) {
    tsi = IdToTs(*ids[0]);
    tsr = IdToTs(*ids[1]);
  } else {
    qm.send_ids = false;
    tsi = TrafficSelector::Host(ctx_.remote.address);
    tsr = TrafficSelector::Host(ctx_.local.address);
  }
  const ChildConfig* config = nullptr;
  if (tsi && tsr) {
    for (const ChildConfig& c : ctx_.config->children) {
      TsList local = LocalTs(c);
      TsList remote = RemoteTs(c);
      bool l_ok = std::any_of(local.begin(), local.end(),
                              [&](const TrafficSelector& t) { return t.Contains(*tsr); });
      bool r_ok = std::any_of(remote.begin(), remote.end(),
                              [&](const TrafficSelector& t) { return t.Contains(*tsi); });
      if (l_ok && r_ok) {
        config = &c;
        break;
      }
    }
  }
  if (!config) {
    ctx_.counters.Inc(Drop::kTaskFailed);
    SendNotify(isakmp::NotifyType::kInvalidIdInformation, isakmp::ProtocolId::kEsp, peer_spi);
    return;
  }
  qm.config = ChildOf(ctx_.config, *config);
  qm.ts_i = {*tsi};
  qm.ts_r = {*tsr};
  bool udp = natt_ != NatTraversal::kNone && ctx_.use_encap();
  auto offer = ChildOffer(config->esp_proposals, EncapMode(config->mode, udp, natt_),
                          LifeSeconds(config->life_time));
  auto choice = SelectChild(*sa, offer);
  if (!choice) {
    ctx_.counters.Inc(Drop::kTaskFailed);
    SendNotify(isakmp::NotifyType::kNoProposalChosen, isakmp::ProtocolId::kEsp, peer_spi);
    return;
  }
  qm.selected = choice->chosen;
  qm.pfs = choice->chosen.pfs;
  if (qm.pfs != KeGroup::kNone) {
    auto our = crypto::KeyExchange::Create(qm.pfs, ctx_.env.rng);
    if (!ke || !our) {
      ctx_.counters.Inc(Drop::kTaskFailed);
      SendNotify(isakmp::NotifyType::kNoProposalChosen, isakmp::ProtocolId::kEsp, peer_spi);
      return;
    }
    qm.ke.emplace(std::move(*our));
    qm.peer_ke = ke->data;
  }
  uint32_t ours = LifeSeconds(config->life_time);
  uint32_t theirs = choice->chosen.life_s;
  qm.lifetime_s = MinLife(ours, theirs);
  bool lower = ours != 0 && (theirs == 0 || ours < theirs);
  qm.reqid = AssignReqid(ctx_, *config, &qm.ts_i);
  auto spi = ctx_.env.spis.AllocateSpi(ctx_.remote.address, ctx_.local.address, ProtocolId::kEsp,
                                       qm.reqid);
  if (!spi) {
    SendNotify(isakmp::NotifyType::kNoProposalChosen, isakmp::ProtocolId::kEsp, peer_spi);
    return;
  }
  qm.spi_in = *spi;
  qm.spi_out = choice->peer_spi;
  qm.nr = ctx_.env.rng.Generate(kNonceSize);
  for (const ChildSa& c : ctx_.children) {
    if (c.name == config->name && c.state == ChildState::kInstalled && c.ts_remote == qm.ts_i &&
        c.ts_local == qm.ts_r) {
      qm.rekey_of = c.spi_in;  // the peer rekeys it
    }
  }
  // <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
  isakmp::SaPayload reply;
  reply.doi = sa->doi;
  reply.situation = sa->situation;
  isakmp::Proposal prop = choice->peer_proposal;
  prop.spi = U32Bytes(qm.spi_in);
  reply.proposals.push_back(std::move(prop));
  std::vector<isakmp::Payload> after;
  after.push_back(std::move(reply));
  after.push_back(isakmp::NoncePayload{qm.nr});
  if (qm.ke) after.push_back(isakmp::KePayload{qm.ke->PublicValue()});
  if (qm.send_ids) {
    after.push_back(*ids[0]);
    after.push_back(*ids[1]);
  }
  if (lower && theirs != 0) {
    isakmp::NotifyPayload n;
    n.protocol = isakmp::ProtocolId::kEsp;
    n.type = isakmp::NotifyType::kResponderLifetime;
    n.spi = U32Bytes(qm.spi_out);
    n.data = LifetimeAttributes(ours);
    after.push_back(std::move(n));
  }
  auto h2 = Hash2(*prf_, keys_.skeyid_a.view(), mid, qm.ni, isakmp::EncodePayloadChain(after));
  if (!h2) return;
  std::vector<isakmp::Payload> all;
  all.push_back(isakmp::HashPayload{*h2});
  for (auto& p : after) all.push_back(std::move(p));
  qm.iv = d->next_iv;
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kQuick, mid);
  auto dg = Encrypt(m, all, qm.iv);
  if (!dg) {
    ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
    return;
  }
  qm.last_sent = std::move(*dg);
  qm.last_received.assign(raw.begin(), raw.end());
  qm.stage = QuickMode::Stage::kSentQm2;
  Send(qm.last_sent);
  qms_.emplace(mid, std::move(qm));
  ArmRetransmit(mid, 0);
}

void IsakmpSa::QuickModeQm2(QuickMode& qm, const Decrypted& d, ByteView raw) {
  Bytes hash;
  if (!FirstIsHash(d.body, &hash)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  auto expect = Hash2(*prf_, keys_.skeyid_a.view(), qm.mid, qm.ni, d.after_first);
  if (!expect || !ConstantTimeEqual(*expect, hash)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  ctx_.last_inbound = ctx_.now;
  const auto& payloads = d.body.payloads;
  const auto* sa = FindPayload<isakmp::SaPayload>(payloads);
  const auto* nonce = FindPayload<isakmp::NoncePayload>(payloads);
  const auto* ke = FindPayload<isakmp::KePayload>(payloads);
  uint32_t mid = qm.mid;
  if (!sa || !nonce) {
    ctx_.counters.Inc(Drop::kInvalidPayloads);
    QmFail(mid, "Quick Mode: QM2 lacks SA or Nr");
    return;
  }
  auto choice = CheckChildReply(*sa, qm.offer);
  if (!choice) {
    QmFail(mid, "Quick Mode: the responder chose a transform we did not offer");
    return;
  }
  std::vector<const isakmp::IdPayload*> ids;
  for (const auto& p : payloads) {
    if (const auto* id = std::get_if<isakmp::IdPayload>(&p)) ids.push_back(id);
  }
  if (ids.size() == 2) {
    auto tsi = IdToTs(*ids[0]);
    auto tsr = IdToTs(*ids[1]);
    if (!tsi || !tsr || !(*tsi == qm.ts_i.front()) || !(*tsr == qm.ts_r.front())) {
      QmFail(mid, "Quick Mode: the responder changed the client IDs");
      return;
    }
  }
  qm.selected = choice->chosen;
  qm.spi_out = choice->peer_spi;
  qm.nr = nonce->data;
  if (qm.pfs != KeGroup::kNone) {
    if (!ke) {
      QmFail(mid, "Quick Mode: PFS without a KE payload");
      return;
    }
    qm.peer_ke = ke->data;
  }
  qm.lifetime_s = MinLife(LifeSeconds(qm.config->life_time), choice->chosen.life_s);
  for (const auto& p : payloads) {
    const auto* n = std::get_if<isakmp::NotifyPayload>(&p);
    if (n && n->type == isakmp::NotifyType::kResponderLifetime) {
      if (auto life = ParseLifetimeAttributes(n->data)) qm.lifetime_s = MinLife(qm.lifetime_s, *life);
    }
  }
  qm.iv = d.next_iv;
  // HDR*, HASH(3) -->
  auto h3 = Hash3(*prf_, keys_.skeyid_a.view(), mid, qm.ni, qm.nr);
  if (!h3) return;
  isakmp::Message m;
  m.header = MakeHeader(isakmp::ExchangeType::kQuick, mid);
  auto dg = Encrypt(m, {isakmp::HashPayload{*h3}}, qm.iv);
  if (!dg) return;
  qm.last_sent = std::move(*dg);
  qm.last_received.assign(raw.begin(), raw.end());
  ctx_.CancelTimer(TimerKind::kRetransmit, mid);
  Send(qm.last_sent);
  if (!InstallQuickMode(qm)) {
    QmFail(mid, "Quick Mode: key derivation failed");
    return;
  }
  qm.stage = QuickMode::Stage::kDone;
  ctx_.ArmTimer(TimerKind::kDeleteGrace, RetransmitSpan(), mid);
}

void IsakmpSa::QuickModeQm3(QuickMode& qm, const Decrypted& d, ByteView raw) {
  Bytes hash;
  auto expect = Hash3(*prf_, keys_.skeyid_a.view(), qm.mid, qm.ni, qm.nr);
  if (!FirstIsHash(d.body, &hash) || !expect || !ConstantTimeEqual(*expect, hash)) {
    ctx_.counters.Inc(Drop::kBadIcv);
    return;
  }
  ctx_.last_inbound = ctx_.now;
  uint32_t mid = qm.mid;
  ctx_.CancelTimer(TimerKind::kRetransmit, mid);
  qm.last_received.assign(raw.begin(), raw.end());
  qm.last_sent.clear();
  if (!InstallQuickMode(qm)) {
    QmFail(mid, "Quick Mode: key derivation failed");
    return;
  }
  qm.stage = QuickMode::Stage::kDone;
  ctx_.ArmTimer(TimerKind::kDeleteGrace, RetransmitSpan(), mid);
}

bool IsakmpSa::InstallQuickMode(QuickMode& qm) {
  Bytes g_qm;
  if (qm.pfs != KeGroup::kNone) {
    if (!qm.ke) return false;
    auto shared = qm.ke->ComputeShared(qm.peer_ke);
    if (!shared) return false;
    g_qm.assign(shared->view().begin(), shared->view().end());
  }
  // 3DES (ESP transform 3) is not an IKEv2 SK cipher here; its key is 24 octets.
  crypto::CryptoResult<size_t> enc_len =
      qm.selected.encr == EncrId::k3Des
          ? crypto::CryptoResult<size_t>(size_t{24})
          : crypto::EncrKeyMaterialSize(qm.selected.encr, qm.selected.key_bits);
  size_t integ_len = 0;
  if (qm.selected.integ != IntegId::kNone) {
    auto il = crypto::IntegKeySize(qm.selected.integ);
    if (!il) return false;
    integ_len = *il;
  }
  if (!enc_len) return false;
  size_t total = *enc_len + integ_len;
  auto km_in = Keymat(*prf_, keys_.skeyid_d.view(), g_qm, 3, qm.spi_in, qm.ni, qm.nr, total);
  auto km_out = Keymat(*prf_, keys_.skeyid_d.view(), g_qm, 3, qm.spi_out, qm.ni, qm.nr, total);
  std::fill(g_qm.begin(), g_qm.end(), 0);
  qm.ke.reset();
  if (!km_in || !km_out) return false;
  crypto::ChildSaKeys keys;
  // Our outbound keys in the "i" slots: InstallChild(exchange_initiator).
  keys.encr_i = km_out->Slice(0, *enc_len);
  keys.integ_i = km_out->Slice(*enc_len, integ_len);
  keys.encr_r = km_in->Slice(0, *enc_len);
  keys.integ_r = km_in->Slice(*enc_len, integ_len);

  ChildSa child;
  child.name = qm.config->name;
  child.config = qm.config;
  if (qm.lifetime_s) {
    Duration life(int64_t{qm.lifetime_s} * 1000);
    if (life < child.config->life_time) {
      // The peer asked for a shorter life: this CHILD_SA gets a copy of its
      // own (the connection's stays as configured).
      auto own = std::make_shared<ChildConfig>(*child.config);
      own->life_time = life;
      child.config = std::move(own);
    }
  }
  child.reqid = qm.reqid;
  child.protocol = ProtocolId::kEsp;
  child.mode = IsTunnel(qm.selected.encap) ? xfrm::Mode::kTunnel : xfrm::Mode::kTransport;
  child.spi_in = qm.spi_in;
  child.spi_out = qm.spi_out;
  child.proposal = qm.selected.ToEngine(qm.spi_out);
  bool initiator = qm.role == Role::kInitiator;
  child.ts_local = initiator ? qm.ts_i : qm.ts_r;
  child.ts_remote = initiator ? qm.ts_r : qm.ts_i;
  child.encap = IsUdpEncap(qm.selected.encap);
  child.established_at = ctx_.now;
  child.pfs_group = qm.pfs;
  InstallChild(ctx_, child, keys, /*exchange_initiator=*/true);
  ArmChildTimers(child, initiator, qm.lifetime_s);
  if (qm.rekey_of) {
    if (ChildSa* old = ctx_.FindChildByInbound(qm.rekey_of)) {
      old->state = ChildState::kRekeyed;
      ctx_.EmitEvent(EventKind::kChildRekeyed, child.name, child.spi_in, child.spi_out);
      ctx_.CancelTimer(TimerKind::kChildRekey, old->spi_in);
      // Make-before-break: the new SA is in; the one who rekeyed deletes
      // the old pair (the peer removes its half on our DELETE).
      if (initiator) RemoveChild(old->spi_in, "rekeyed", /*notify_peer=*/true);
    }
  }
  ctx_.children.push_back(std::move(child));
  return true;
}

void IsakmpSa::QmFail(uint32_t mid, const std::string& why) {
  auto it = qms_.find(mid);
  if (it == qms_.end()) return;
  QuickMode qm = std::move(it->second);
  qms_.erase(it);
  ctx_.CancelTimer(TimerKind::kRetransmit, mid);
  if (qm.stage != QuickMode::Stage::kDone) ReleaseSpi(ctx_, ProtocolId::kEsp, qm.spi_in);
  if (qm.rekey_of) {
    if (ChildSa* old = ctx_.FindChildByInbound(qm.rekey_of)) old->state = ChildState::kInstalled;
  }
  ctx_.EmitEvent(EventKind::kChildDown, qm.config->name, qm.spi_in, 0, why);
}

}  // namespace ike::engine::v1
