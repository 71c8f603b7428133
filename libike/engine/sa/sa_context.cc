#include "libike/engine/sa/sa_context.h"

namespace ike::engine {

const char* IkeStateName(IkeState state) {
  switch (state) {
    case IkeState::kCreated: return "CREATED";
    case IkeState::kConnecting: return "CONNECTING";
    case IkeState::kEstablished: return "ESTABLISHED";
    case IkeState::kRekeying: return "REKEYING";
    case IkeState::kDeleting: return "DELETING";
    case IkeState::kDestroyed: return "DESTROYED";
  }
  return "?";
}

void SaContext::EmitEvent(EventKind kind, std::string child, uint32_t spi_in, uint32_t spi_out,
                          std::string reason) {
  Event e;
  e.kind = kind;
  e.sa = id;
  e.connection = config->name;
  e.child = std::move(child);
  e.spi_in = spi_in;
  e.spi_out = spi_out;
  e.reason = std::move(reason);
  if (kind == EventKind::kChildDown && e.reason == kReasonDeletedByPeer) {
    for (const auto& c : config->children) {
      if (c.name == e.child) e.then = c.close_action;
    }
  }
  Emit(engine::EmitEvent{std::move(e)});
}

void SaContext::ArmTimer(TimerKind kind, Duration after, uint32_t aux) {
  const std::pair<TimerKind, uint32_t> key{kind, aux};
  auto it = std::lower_bound(armed_.begin(), armed_.end(), key);
  if (it == armed_.end() || *it != key) armed_.insert(it, key);
  Emit(engine::ArmTimer{TimerId{id, kind, aux}, after});
}

bool SaContext::Disarm(TimerKind kind, uint32_t aux) {
  const std::pair<TimerKind, uint32_t> key{kind, aux};
  auto it = std::lower_bound(armed_.begin(), armed_.end(), key);
  if (it == armed_.end() || *it != key) return false;
  armed_.erase(it);
  return true;
}

void SaContext::CancelTimer(TimerKind kind, uint32_t aux) {
  if (!Disarm(kind, aux)) return;
  Emit(engine::CancelTimer{TimerId{id, kind, aux}});
}

void SaContext::CancelAllTimers() {
  for (const auto& [kind, aux] : armed_) Emit(engine::CancelTimer{TimerId{id, kind, aux}});
  armed_.clear();
}

Duration SaContext::Jitter(Duration max) {
  if (max.count() <= 0) return Duration(0);
  Bytes b = env.rng.Generate(8);
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return Duration(static_cast<int64_t>(v % (static_cast<uint64_t>(max.count()) + 1)));
}

ChildSa* SaContext::FindChildByInbound(uint32_t spi) {
  for (auto& c : children) {
    if (c.spi_in == spi) return &c;
  }
  return nullptr;
}

ChildSa* SaContext::FindChildByOutbound(uint32_t spi) {
  for (auto& c : children) {
    if (c.spi_out == spi) return &c;
  }
  return nullptr;
}

}  // namespace ike::engine
