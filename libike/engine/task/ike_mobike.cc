#include "libike/engine/task/ike_mobike.h"

#include "libike/engine/sa/child_install.h"
#include "libike/engine/task/ike_natd.h"

namespace ike::engine {

namespace {

constexpr size_t kNatHashSize = 20;  // SHA-1
// RFC 4555 3.7: COOKIE2 is 8 to 64 octets.
constexpr size_t kCookie2Min = 8;
constexpr size_t kCookie2Max = 64;
constexpr size_t kCookie2Size = 16;

// What the NAT-D notifies of `msg` say about the path between `local` and
// `remote` as we see it: nullopt when they are missing or malformed.
struct NatState {
  bool here = false;   // our address was translated
  bool there = false;  // the peer's address was translated
};
std::optional<NatState> CheckNatd(const wire::Message& msg, const Endpoint& local,
                                  const Endpoint& remote, Counters& counters) {
  Bytes expect_src = NatHash(msg.header.spi_i, msg.header.spi_r, remote);
  Bytes expect_dst = NatHash(msg.header.spi_i, msg.header.spi_r, local);
  bool any_src = false, src_match = false, any_dst = false, dst_match = false;
  bool malformed = false;
  for (const auto* n : msg.FindAll<wire::NotifyPayload>()) {
    bool src = n->type == wire::NotifyType::kNatDetectionSourceIp;
    bool dst = n->type == wire::NotifyType::kNatDetectionDestinationIp;
    if (!src && !dst) continue;
    if (n->data.size() != kNatHashSize) {
      malformed = true;
      continue;
    }
    if (src) {
      any_src = true;
      src_match |= n->data == expect_src;
    } else {
      any_dst = true;
      dst_match |= n->data == expect_dst;
    }
  }
  if (malformed || !any_src || !any_dst) {
    counters.Inc(Drop::kMobikeBadNotify);
    return std::nullopt;
  }
  return NatState{!dst_match, !src_match};
}

void AddNatd(wire::Message& msg, const SaContext& ctx, const Endpoint& local,
             const Endpoint& remote) {
  Bytes src = NatHash(ctx.spi_i, ctx.spi_r, local);
  if (ctx.config->force_encap) {
    for (auto& b : src) b ^= 0xff;  // a faked NAT, as in IKE_SA_INIT
  }
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kNatDetectionSourceIp, src));
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kNatDetectionDestinationIp,
                                                   NatHash(ctx.spi_i, ctx.spi_r, remote)));
}

bool HasNatd(const wire::Message& msg) {
  return msg.FindNotify(wire::NotifyType::kNatDetectionSourceIp) ||
         msg.FindNotify(wire::NotifyType::kNatDetectionDestinationIp);
}

}  // namespace

void MoveIkeSa(SaContext& ctx, const Endpoint& local, const Endpoint& remote) {
  struct Before {
    xfrm::SaId in, out;
  };
  std::vector<Before> before;
  before.reserve(ctx.children.size());
  for (const ChildSa& c : ctx.children) {
    before.push_back({ChildSaParams(ctx, c, true).id, ChildSaParams(ctx, c, false).id});
  }
  bool moved = !(local == ctx.local) || !(remote == ctx.remote);
  bool addresses = !(local.address == ctx.local.address) ||
                   !(remote.address == ctx.remote.address);
  ctx.local = local;
  ctx.remote = remote;
  bool encap = ctx.use_encap();
  for (size_t i = 0; i < ctx.children.size(); ++i) {
    ChildSa& c = ctx.children[i];
    if (!moved && c.encap == encap) continue;
    c.encap = encap;
    ctx.Emit(MigrateSa{before[i].in, ChildSaParams(ctx, c, true)});
    ctx.Emit(MigrateSa{before[i].out, ChildSaParams(ctx, c, false)});
    if (addresses && c.mode == xfrm::Mode::kTunnel) {
      for (auto& pp : ChildPolicies(ctx, c)) ctx.Emit(UpdatePolicy{std::move(pp)});
    }
  }
}

// --- IKE_AUTH ---

TaskOutcome IkeMobike::Build(wire::Message& msg, SaContext& ctx) {
  if (!ctx.config->mobike) return TaskResult::kDone;
  if (role_ == Role::kInitiator) {
    if (sent_) return TaskResult::kDone;
    sent_ = true;
    // RFC 4555 3.3: IKE_AUTH and later on port 4500, NAT or not.
    if (ctx.local.port == 500 && ctx.remote.port == 500) {
      ctx.local.port = 4500;
      ctx.remote.port = 4500;
    }
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kMobikeSupported));
    return TaskResult::kDone;
  }
  // Responder: in the response that completes authentication.
  if (ctx.peer_mobike && ctx.state == IkeState::kEstablished && !ctx.mobike) {
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kMobikeSupported));
    ctx.mobike = true;
  }
  return TaskResult::kDone;
}

TaskOutcome IkeMobike::Process(const wire::Message& msg, SaContext& ctx) {
  bool announced = msg.FindNotify(wire::NotifyType::kMobikeSupported) != nullptr;
  if (role_ == Role::kResponder) {
    if (announced) ctx.peer_mobike = true;
    return TaskResult::kDone;
  }
  // With several IKE_AUTH rounds (EAP) this runs on the last response,
  // where the peer announces it (the TaskManager holds us until then).
  if (announced && ctx.config->mobike && sent_) ctx.mobike = true;
  return TaskResult::kDone;
}

// --- INFORMATIONAL, initiator ---

TaskOutcome MobikeUpdate::Build(wire::Message& msg, SaContext& ctx) {
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kUpdateSaAddresses));
  AddNatd(msg, ctx, ctx.local, ctx.remote);
  cookie2_ = ctx.env.rng.Generate(kCookie2Size);
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kCookie2, cookie2_));
  return TaskResult::kDone;
}

TaskOutcome MobikeUpdate::Process(const wire::Message& msg, SaContext& ctx) {
  for (auto type : {wire::NotifyType::kUnacceptableAddresses,
                    wire::NotifyType::kUnexpectedNatDetected}) {
    if (msg.FindNotify(type)) {
      ctx.counters.Inc(Drop::kMobikeBadNotify);
      return Fail("the peer refused our new address", std::nullopt, {}, /*fatal=*/false);
    }
  }
  // RFC 4555 3.7: a response without our COOKIE2 does not prove that the
  // path works; its NAT-D notifies are not trusted then.
  const auto* cookie2 = msg.FindNotify(wire::NotifyType::kCookie2);
  if (!cookie2 || cookie2->data != cookie2_) {
    ctx.counters.Inc(Drop::kMobikeBadNotify);
    return TaskResult::kDone;
  }
  if (auto nat = CheckNatd(msg, ctx.local, ctx.remote, ctx.counters)) {
    ctx.nat_here = nat->here;
    ctx.nat_there = nat->there;
    MoveIkeSa(ctx, ctx.local, ctx.remote);  // encapsulation on or off
  }
  return TaskResult::kDone;
}

// --- INFORMATIONAL, responder ---

TaskOutcome MobikeResponder::Process(const wire::Message& msg, SaContext& ctx) {
  const auto* update = msg.FindNotify(wire::NotifyType::kUpdateSaAddresses);
  const auto* cookie2 = msg.FindNotify(wire::NotifyType::kCookie2);
  if (!update && !cookie2 && !HasNatd(msg)) return TaskResult::kDone;
  if (!ctx.mobike) {
    // Not negotiated: the addresses stay; the rest of the request is
    // answered as usual.
    if (update) ctx.counters.Inc(Drop::kMobikeNotNegotiated);
    return TaskResult::kDone;
  }
  if (cookie2) {
    if (cookie2->data.size() >= kCookie2Min && cookie2->data.size() <= kCookie2Max) {
      cookie2_ = cookie2->data;
    } else {
      ctx.counters.Inc(Drop::kMobikeBadNotify);
    }
  }
  if (!ctx.request_path) return TaskResult::kDone;
  const auto& [local, remote] = *ctx.request_path;
  auto nat = HasNatd(msg) || update ? CheckNatd(msg, local, remote, ctx.counters) : std::nullopt;
  answer_natd_ = nat.has_value();
  if (!update) return TaskResult::kDone;  // a return routability check (3.7)
  if (nat) {
    if (msg.FindNotify(wire::NotifyType::kNoNatsAllowed) && (nat->here || nat->there)) {
      return Fail("UPDATE_SA_ADDRESSES through a NAT the peer does not allow",
                  wire::NotifyType::kUnexpectedNatDetected, {}, /*fatal=*/false);
    }
    ctx.nat_here = nat->here;
    ctx.nat_there = nat->there;
  }
  // RFC 4555 3.5: the IKE_SA takes the addresses of the request's IP header.
  MoveIkeSa(ctx, local, remote);
  return TaskResult::kDone;
}

TaskOutcome MobikeResponder::Build(wire::Message& msg, SaContext& ctx) {
  if (answer_natd_ && ctx.request_path) {
    AddNatd(msg, ctx, ctx.request_path->first, ctx.request_path->second);
  }
  if (cookie2_) {
    msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kCookie2, *cookie2_));
  }
  return TaskResult::kDone;
}

}  // namespace ike::engine
