#include "xfrm/fake/fake_backend.h"

#include <algorithm>

namespace ike::xfrm {

namespace {
BackendError Error(BackendError::Code code, std::string detail) {
  BackendError e;
  e.code = code;
  e.detail = std::move(detail);
  return e;
}
}  // namespace

std::optional<BackendError> FakeBackend::TakeFailure(const std::string& op) {
  auto it = fail_.find(op);
  if (it == fail_.end()) return std::nullopt;
  BackendError e = std::move(it->second);
  fail_.erase(it);
  return e;
}

BackendResult<uint32_t> FakeBackend::AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                                 ProtocolId protocol, uint32_t reqid) {
  if (auto e = TakeFailure("AllocateSpi")) return MakeUnexpected(*e);
  uint32_t spi = next_spi_++;
  larval_[Key{dst, spi, protocol}] = reqid;
  return spi;
}

BackendResult<void> FakeBackend::AddSa(const SaParams& sa) {
  if (auto e = TakeFailure("AddSa")) return MakeUnexpected(*e);
  Key k = KeyOf(sa.id);
  if (sas_.count(k)) return MakeUnexpected(Error(BackendError::Code::kExists, "SA exists"));
  larval_.erase(k);
  StoredSa s;
  s.params = sa.Clone();
  sas_.emplace(k, std::move(s));
  ++adds_;
  return {};
}

BackendResult<void> FakeBackend::UpdateSa(const SaParams& sa) {
  Key k = KeyOf(sa.id);
  sas_.erase(k);
  larval_.erase(k);
  return AddSa(sa);
}

BackendResult<void> FakeBackend::MigrateSa(const SaId& old_id, const SaParams& sa) {
  if (auto e = TakeFailure("MigrateSa")) return MakeUnexpected(*e);
  auto it = sas_.find(KeyOf(old_id));
  if (it == sas_.end()) return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  Key k = KeyOf(sa.id);
  if (!(k == it->first) && sas_.count(k)) {
    return MakeUnexpected(Error(BackendError::Code::kExists, "SA exists"));
  }
  // Keys and usage stay; addresses and encapsulation change.
  StoredSa s = std::move(it->second);
  sas_.erase(it);
  s.params.id = sa.id;
  s.params.src = sa.src;
  s.params.encap = sa.encap;
  s.params.selector = sa.selector;
  sas_.emplace(k, std::move(s));
  ++migrations_;
  return {};
}

BackendResult<void> FakeBackend::DeleteSa(const SaId& sa) {
  if (auto e = TakeFailure("DeleteSa")) return MakeUnexpected(*e);
  Key k = KeyOf(sa);
  if (larval_.erase(k)) return {};
  if (!sas_.erase(k)) return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  ++deletes_;
  return {};
}

BackendResult<SaUsage> FakeBackend::QuerySa(const SaId& sa) {
  auto it = sas_.find(KeyOf(sa));
  if (it == sas_.end()) return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such SA"));
  return it->second.usage;
}

BackendResult<void> FakeBackend::AddPolicy(const PolicyParams& policy) {
  if (auto e = TakeFailure("AddPolicy")) return MakeUnexpected(*e);
  for (const auto& p : policies_) {
    if (p.selector == policy.selector && p.direction == policy.direction &&
        p.mark == policy.mark && p.if_id == policy.if_id) {
      return MakeUnexpected(Error(BackendError::Code::kExists, "policy exists"));
    }
  }
  policies_.push_back(policy);
  return {};
}

BackendResult<void> FakeBackend::UpdatePolicy(const PolicyParams& policy) {
  (void)DeletePolicy(PolicyId{policy.selector, policy.direction, policy.mark, policy.if_id});
  return AddPolicy(policy);
}

BackendResult<void> FakeBackend::DeletePolicy(const PolicyId& id) {
  auto it = std::find_if(policies_.begin(), policies_.end(), [&](const PolicyParams& p) {
    return p.selector == id.selector && p.direction == id.direction && p.mark == id.mark &&
           p.if_id == id.if_id;
  });
  if (it == policies_.end()) {
    return MakeUnexpected(Error(BackendError::Code::kNotFound, "no such policy"));
  }
  policies_.erase(it);
  return {};
}

BackendResult<void> FakeBackend::FlushOwned() {
  sas_.clear();
  larval_.clear();
  policies_.clear();
  return {};
}

std::vector<const SaParams*> FakeBackend::sas() const {
  std::vector<const SaParams*> out;
  for (const auto& [k, s] : sas_) out.push_back(&s.params);
  return out;
}

const SaParams* FakeBackend::FindSa(uint32_t spi) const {
  for (const auto& [k, s] : sas_) {
    if (k.spi == spi) return &s.params;
  }
  return nullptr;
}

size_t FakeBackend::sa_count() const { return sas_.size(); }

std::vector<const PolicyParams*> FakeBackend::policies() const {
  std::vector<const PolicyParams*> out;
  for (const auto& p : policies_) out.push_back(&p);
  return out;
}

void FakeBackend::Raise(const BackendEvent& event) {
  if (handler_) handler_(event);
}

void FakeBackend::Expire(uint32_t spi, bool hard) {
  for (const auto& [k, s] : sas_) {
    if (k.spi == spi) {
      Raise(ExpireEvent{s.params.id, s.params.reqid, hard});
      return;
    }
  }
}

}  // namespace ike::xfrm
