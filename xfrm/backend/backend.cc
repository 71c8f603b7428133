#include "xfrm/backend/backend.h"

#include <cstring>

namespace ike::xfrm {

std::string BackendError::ToString() const {
  static constexpr const char* kNames[] = {"permission denied", "not supported",
                                           "algorithm not available", "already exists",
                                           "not found", "invalid argument", "system error"};
  std::string out = kNames[static_cast<int>(code)];
  if (!detail.empty()) out += ": " + detail;
  if (sys_errno != 0) {
    out += " (";
    out += std::strerror(sys_errno);
    out += ")";
  }
  return out;
}

BackendResult<void> Backend::MigrateSa(const SaId& old_id, const SaParams& sa) {
  (void)old_id;
  (void)sa;
  BackendError e;
  e.code = BackendError::Code::kNotSupported;
  e.detail = name() + " backend cannot move an SA to new addresses";
  return MakeUnexpected(std::move(e));
}

uint32_t ComputePriority(const Selector& selector, PolicyAction action, bool trap) {
  // Bases leave room for the specificity adjustment below (at most
  // 2 * 128 * 4 + 4 + 2 + 2). Pass (bypass) policies win over protecting ones;
  // a trap policy yields to the policy installed once its SA is up.
  uint32_t base = 200000;
  if (action == PolicyAction::kPass) base = 100000;
  if (action == PolicyAction::kDrop) base = 400000;
  if (trap) base = 300000;
  uint32_t specificity = (uint32_t{selector.src_prefix} + selector.dst_prefix) * 4;
  if (selector.proto != 0) specificity += 4;
  if (selector.src_port_mask != 0) specificity += 2;
  if (selector.dst_port_mask != 0) specificity += 2;
  return base - specificity;
}

}  // namespace ike::xfrm
