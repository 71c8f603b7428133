// FakeBackend: an in-memory xfrm::Backend for tests. It records every SA and
// policy, allocates SPIs from a counter, can be told to fail, and raises
// events (expire, acquire) on demand.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "xfrm/backend/backend.h"

namespace ike::xfrm {

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(uint32_t first_spi = 0xc0000001) : next_spi_(first_spi) {}

  std::string name() const override { return "fake"; }
  BackendResult<uint32_t> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                      ProtocolId protocol, uint32_t reqid) override;
  BackendResult<void> AddSa(const SaParams& sa) override;
  BackendResult<void> UpdateSa(const SaParams& sa) override;
  BackendResult<void> DeleteSa(const SaId& sa) override;
  BackendResult<SaUsage> QuerySa(const SaId& sa) override;
  BackendResult<void> MigrateSa(const SaId& old_id, const SaParams& sa) override;
  BackendResult<void> AddPolicy(const PolicyParams& policy) override;
  BackendResult<void> UpdatePolicy(const PolicyParams& policy) override;
  BackendResult<void> DeletePolicy(const PolicyId& policy) override;
  BackendResult<void> FlushOwned() override;
  void SetEventHandler(EventHandler handler) override { handler_ = std::move(handler); }
  int fd() const override { return -1; }
  void ProcessEvents() override {}

  // --- test helpers ---
  struct StoredSa {
    SaParams params;
    SaUsage usage;
  };
  // Installed SAs (allocated-only SPIs are not listed).
  std::vector<const SaParams*> sas() const;
  const SaParams* FindSa(uint32_t spi) const;
  size_t sa_count() const;
  size_t policy_count() const { return policies_.size(); }
  std::vector<const PolicyParams*> policies() const;
  // Larval SPIs: allocated and neither installed nor deleted.
  size_t larval_count() const { return larval_.size(); }
  // Raises an event through the handler.
  void Raise(const BackendEvent& event);
  void Expire(uint32_t spi, bool hard);
  // The next call of the named operation fails with `error`.
  void FailNext(const std::string& op, BackendError error) { fail_[op] = std::move(error); }
  // Counts of operations performed.
  unsigned adds() const { return adds_; }
  unsigned deletes() const { return deletes_; }
  unsigned migrations() const { return migrations_; }

 private:
  struct Key {
    IpAddress dst;
    uint32_t spi;
    ProtocolId protocol;
    auto operator<=>(const Key&) const = default;
  };
  static Key KeyOf(const SaId& id) { return Key{id.dst, id.spi, id.protocol}; }
  std::optional<BackendError> TakeFailure(const std::string& op);

  uint32_t next_spi_;
  std::map<Key, StoredSa> sas_;
  std::map<Key, uint32_t> larval_;  // -> reqid
  std::vector<PolicyParams> policies_;
  std::map<std::string, BackendError> fail_;
  EventHandler handler_;
  unsigned adds_ = 0, deletes_ = 0, migrations_ = 0;
};

}  // namespace ike::xfrm
