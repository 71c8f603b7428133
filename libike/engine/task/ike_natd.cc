#include "libike/engine/task/ike_natd.h"

#include <openssl/evp.h>

#include "libike/engine/sa/keymat.h"

namespace ike::engine {

Bytes NatHash(uint64_t spi_i, uint64_t spi_r, const Endpoint& ep) {
  Bytes data = SpiBytes(spi_i);
  Bytes r = SpiBytes(spi_r);
  data.insert(data.end(), r.begin(), r.end());
  auto a = ep.address.bytes();
  data.insert(data.end(), a.begin(), a.end());
  data.push_back(static_cast<uint8_t>(ep.port >> 8));
  data.push_back(static_cast<uint8_t>(ep.port));
  Bytes out(20);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha1(), nullptr) != 1) {
    out.clear();
  }
  return out;
}

TaskOutcome IkeNatd::Build(wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kResponder && !peer_sent_) return TaskResult::kDone;
  uint64_t spi_r = role_ == Role::kInitiator ? 0 : ctx.spi_r;
  Bytes src = NatHash(ctx.spi_i, spi_r, ctx.local);
  if (ctx.config->force_encap) {
    // RFC 7296 2.23: faking a NAT makes the peer encapsulate too.
    for (auto& b : src) b ^= 0xff;
  }
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kNatDetectionSourceIp, src));
  msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kNatDetectionDestinationIp,
                                                   NatHash(ctx.spi_i, spi_r, ctx.remote)));
  return TaskResult::kDone;
}

namespace {
// An IKE_SA_INIT response asking us to try again (COOKIE, or another KE
// group): the retried request must carry our notifies again.
bool AsksForRetry(const wire::Message& msg) {
  return msg.header.exchange_type == ExchangeType::kIkeSaInit && msg.header.response &&
         (msg.FindNotify(wire::NotifyType::kCookie) ||
          msg.FindNotify(wire::NotifyType::kInvalidKePayload));
}
}  // namespace

TaskOutcome IkeNatd::Process(const wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator && AsksForRetry(msg)) return TaskResult::kNeedMore;
  auto sources = msg.FindAll<wire::NotifyPayload>();
  bool any_src = false, src_match = false, any_dst = false, dst_match = false;
  uint64_t spi_i = msg.header.spi_i, spi_r = msg.header.spi_r;
  Bytes expect_src = NatHash(spi_i, spi_r, ctx.remote);
  Bytes expect_dst = NatHash(spi_i, spi_r, ctx.local);
  for (const auto* n : sources) {
    if (n->type == wire::NotifyType::kNatDetectionSourceIp) {
      any_src = true;
      src_match |= n->data == expect_src;
    } else if (n->type == wire::NotifyType::kNatDetectionDestinationIp) {
      any_dst = true;
      dst_match |= n->data == expect_dst;
    }
  }
  if (!any_src || !any_dst) return TaskResult::kDone;  // peer does no NAT-T
  peer_sent_ = true;
  ctx.nat_there = !src_match;
  ctx.nat_here = !dst_match;
  if (role_ == Role::kInitiator && ctx.use_encap() && ctx.local.port == 500) {
    // RFC 7296 2.23: float to 4500 for IKE_AUTH and later.
    ctx.local.port = 4500;
    ctx.remote.port = 4500;
  }
  return TaskResult::kDone;
}

TaskOutcome IkeFeatures::Build(wire::Message& msg, SaContext& ctx) {
  bool initiator = role_ == Role::kInitiator;
  if (ctx.config->fragmentation && (initiator || peer_frag_)) {
    msg.payloads.push_back(
        wire::NotifyPayload::Make(wire::NotifyType::kIkev2FragmentationSupported));
  }
  if (ctx.config->signature_authentication && (initiator || peer_hashes_)) {
    msg.payloads.push_back(wire::NotifyPayload::SignatureHashAlgorithms(
        {HashAlgorithm::kSha2_256, HashAlgorithm::kSha2_384, HashAlgorithm::kSha2_512,
         HashAlgorithm::kIdentity}));
  }
  return TaskResult::kDone;
}

TaskOutcome IkeFeatures::Process(const wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator && AsksForRetry(msg)) return TaskResult::kNeedMore;
  if (msg.FindNotify(wire::NotifyType::kIkev2FragmentationSupported)) {
    peer_frag_ = true;
    ctx.peer_supports_fragmentation = true;
  }
  if (const auto* n = msg.FindNotify(wire::NotifyType::kSignatureHashAlgorithms)) {
    peer_hashes_ = true;
    if (auto algs = n->HashAlgorithms()) ctx.peer_hash_algorithms = *algs;
  }
  return TaskResult::kDone;
}

}  // namespace ike::engine
