#include "xfrm/backend/install_transaction.h"

namespace ike::xfrm {

InstallTransaction::~InstallTransaction() { (void)Rollback(); }

BackendResult<void> InstallTransaction::AddSa(const SaParams& sa) {
  IKE_TRY(backend_.AddSa(sa));
  undo_.emplace_back(sa.id);
  return {};
}

BackendResult<void> InstallTransaction::UpdateSa(const SaParams& sa) {
  IKE_TRY(backend_.UpdateSa(sa));
  undo_.emplace_back(sa.id);
  return {};
}

BackendResult<void> InstallTransaction::AddPolicy(const PolicyParams& policy) {
  IKE_TRY(backend_.AddPolicy(policy));
  undo_.emplace_back(PolicyId{policy.selector, policy.direction, policy.mark, policy.if_id});
  return {};
}

std::vector<BackendError> InstallTransaction::Rollback() {
  std::vector<BackendError> errors;
  while (!undo_.empty()) {
    auto item = std::move(undo_.back());
    undo_.pop_back();
    BackendResult<void> r =
        std::holds_alternative<SaId>(item) ? backend_.DeleteSa(std::get<SaId>(item))
                                           : backend_.DeletePolicy(std::get<PolicyId>(item));
    if (!r) errors.push_back(std::move(r).error());
  }
  return errors;
}

}  // namespace ike::xfrm
