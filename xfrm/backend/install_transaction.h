// InstallTransaction: installs the pieces of one CHILD_SA (SAs, policies)
// through any Backend and, unless committed, removes them again in reverse
// order. DESIGN.md principle 8: a failed kernel install is reported and rolled
// back, nothing stays half-installed.
//
//   InstallTransaction tx(backend);
//   IKE_TRY(tx.AddSa(inbound));        // on error: tx's destructor undoes
//   IKE_TRY(tx.AddSa(outbound));
//   IKE_TRY(tx.AddPolicy(out_policy));
//   tx.Commit();
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "xfrm/backend/backend.h"

namespace ike::xfrm {

class InstallTransaction {
 public:
  explicit InstallTransaction(Backend& backend) : backend_(backend) {}
  ~InstallTransaction();
  InstallTransaction(const InstallTransaction&) = delete;
  InstallTransaction& operator=(const InstallTransaction&) = delete;

  BackendResult<void> AddSa(const SaParams& sa);
  // UpdateSa of an SA whose SPI was allocated (larval): undo deletes it.
  BackendResult<void> UpdateSa(const SaParams& sa);
  BackendResult<void> AddPolicy(const PolicyParams& policy);

  // Keeps everything installed so far.
  void Commit() { undo_.clear(); }
  // Undoes everything installed so far, newest first. Returns the errors of
  // failed undo steps (empty when all went away).
  std::vector<BackendError> Rollback();
  size_t size() const { return undo_.size(); }

 private:
  Backend& backend_;
  std::vector<std::variant<SaId, PolicyId>> undo_;
};

}  // namespace ike::xfrm
