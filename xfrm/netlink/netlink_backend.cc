#include "xfrm/netlink/netlink_backend.h"

#include <linux/xfrm.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>

namespace ike::xfrm::netlink {

BackendResult<std::unique_ptr<NetlinkBackend>> NetlinkBackend::Open(NetlinkBackendOptions options) {
  std::unique_ptr<NetlinkBackend> b(new NetlinkBackend());
  IKE_ASSIGN_OR_RETURN(b->requests_, XfrmSocket::Open());
  if (options.events) {
    IKE_ASSIGN_OR_RETURN(b->events_, XfrmSocket::Open({XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE,
                                                        XFRMNLGRP_MAPPING}));
  }
  return b;
}

NetlinkBackend::~NetlinkBackend() = default;

std::string NetlinkBackend::Key(const SaId& sa) {
  std::string k(reinterpret_cast<const char*>(sa.dst.bytes().data()), sa.dst.size());
  k.push_back(static_cast<char>(sa.protocol));
  for (uint32_t v : {sa.spi, sa.mark.value, sa.mark.mask}) {
    k.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return k;
}

std::string NetlinkBackend::Key(const PolicyId& p) {
  const Selector& s = p.selector;
  std::string k(reinterpret_cast<const char*>(s.src.bytes().data()), s.src.size());
  k.append(reinterpret_cast<const char*>(s.dst.bytes().data()), s.dst.size());
  k.push_back(static_cast<char>(s.src_prefix));
  k.push_back(static_cast<char>(s.dst_prefix));
  k.push_back(static_cast<char>(s.proto));
  k.push_back(static_cast<char>(p.direction));
  for (uint32_t v : {uint32_t{s.src_port}, uint32_t{s.src_port_mask}, uint32_t{s.dst_port},
                     uint32_t{s.dst_port_mask}, p.mark.value, p.mark.mask, p.if_id}) {
    k.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return k;
}

BackendResult<SaEncodeOptions> NetlinkBackend::ResolveOptions(const SaParams& sa) {
  SaEncodeOptions options;
  if (sa.offload != OffloadMode::kNone) {
    unsigned idx = if_nametoindex(sa.offload_dev.c_str());
    if (idx == 0) {
      return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, errno,
                                         Describe(sa.id) + ": offload device '" + sa.offload_dev +
                                             "' not found"});
    }
    options.offload_ifindex = static_cast<int>(idx);
  }
  return options;
}

BackendResult<uint32_t> NetlinkBackend::AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                                    ProtocolId protocol, uint32_t reqid) {
  uint32_t spi = 0;
  std::optional<SaInfo> info;
  IKE_TRY(requests_->TransactOne(EncodeAllocSpi(src, dst, protocol, reqid),
                                 [&](size_t, const MessageView& m) {
                                   if (m.type != XFRM_MSG_NEWSA) return;
                                   auto sa = DecodeSa(m);
                                   if (sa) info = *sa;
                                 }));
  if (!info || info->id.spi == 0) {
    return MakeUnexpected(BackendError{BackendError::Code::kSystem, 0,
                                       "ALLOCSPI: the kernel answered without an SPI"});
  }
  spi = info->id.spi;
  // The larval SA is ours until the SA replaces it (UpdateSa) or it expires.
  SaId id{dst, spi, protocol, {}};
  owned_sas_[Key(id)] = id;
  return spi;
}

std::vector<BackendResult<void>> NetlinkBackend::AddSas(std::span<const SaParams> sas, bool update) {
  std::vector<BackendResult<void>> results(sas.size());
  std::vector<Request> requests;
  std::vector<size_t> index;
  for (size_t i = 0; i < sas.size(); ++i) {
    auto options = ResolveOptions(sas[i]);
    if (!options) {
      results[i] = MakeUnexpected(std::move(options).error());
      continue;
    }
    auto r = EncodeSa(sas[i], update, *options);
    if (!r) {
      results[i] = MakeUnexpected(std::move(r).error());
      continue;
    }
    requests.push_back(std::move(*r));
    index.push_back(i);
  }
  auto sent = requests_->Transact(requests);
  requests.clear();  // wipes the key-carrying buffers now
  for (size_t j = 0; j < sent.size(); ++j) {
    size_t i = index[j];
    if (sent[j]) {
      SaId id = sas[i].id;
      if (id.mark.mask == 0) id.mark = sas[i].mark;
      owned_sas_[Key(id)] = id;
    }
    results[i] = std::move(sent[j]);
  }
  return results;
}

BackendResult<void> NetlinkBackend::AddSa(const SaParams& sa) {
  auto r = AddSas(std::span<const SaParams>(&sa, 1), false);
  return std::move(r[0]);
}

BackendResult<void> NetlinkBackend::UpdateSa(const SaParams& sa) {
  auto r = AddSas(std::span<const SaParams>(&sa, 1), true);
  return std::move(r[0]);
}

std::vector<BackendResult<void>> NetlinkBackend::DeleteSas(std::span<const SaId> sas) {
  std::vector<Request> requests;
  for (const SaId& sa : sas) requests.push_back(EncodeDeleteSa(sa));
  auto results = requests_->Transact(requests);
  for (size_t i = 0; i < sas.size(); ++i) {
    if (results[i] || results[i].error().code == BackendError::Code::kNotFound) {
      owned_sas_.erase(Key(sas[i]));
    }
  }
  return results;
}

BackendResult<void> NetlinkBackend::DeleteSa(const SaId& sa) {
  auto r = DeleteSas(std::span<const SaId>(&sa, 1));
  return std::move(r[0]);
}

BackendResult<void> NetlinkBackend::MigrateSa(const SaId& old_id, const SaParams& sa) {
  std::optional<Request> moved;
  std::optional<BackendError> bad;
  IKE_TRY(requests_->TransactOne(EncodeGetSa(old_id), [&](size_t, const MessageView& m) {
    if (m.type != XFRM_MSG_NEWSA) return;
    auto r = EncodeMovedSa(m, sa);
    if (r) moved = std::move(*r);
    else bad = std::move(r).error();
  }));
  if (!moved) {
    if (bad) return MakeUnexpected(std::move(*bad));
    return MakeUnexpected(BackendError{BackendError::Code::kSystem, 0,
                                       "GETSA " + Describe(old_id) + ": no SA in the answer"});
  }
  SaId new_id = sa.id;
  new_id.mark = old_id.mark;
  if (Key(new_id) == Key(old_id)) {
    // Same (daddr, SPI, proto): the old SA must go first.
    IKE_TRY(requests_->TransactOne(EncodeDeleteSa(old_id)));
    IKE_TRY(requests_->TransactOne(std::move(*moved)));
    return {};
  }
  IKE_TRY(requests_->TransactOne(std::move(*moved)));
  owned_sas_[Key(new_id)] = new_id;
  (void)DeleteSa(old_id);
  return {};
}

BackendResult<SaInfo> NetlinkBackend::GetSa(const SaId& sa) {
  std::optional<SaInfo> info;
  std::optional<DecodeError> bad;
  IKE_TRY(requests_->TransactOne(EncodeGetSa(sa), [&](size_t, const MessageView& m) {
    if (m.type != XFRM_MSG_NEWSA) return;
    auto d = DecodeSa(m);
    if (d) info = std::move(*d);
    else bad = d.error();
  }));
  if (!info) {
    return MakeUnexpected(BackendError{BackendError::Code::kSystem, 0,
                                       "GETSA " + Describe(sa) + ": unreadable answer" +
                                           (bad ? ": " + bad->detail : std::string())});
  }
  return std::move(*info);
}

BackendResult<SaUsage> NetlinkBackend::QuerySa(const SaId& sa) {
  IKE_ASSIGN_OR_RETURN(SaInfo info, GetSa(sa));
  return info.usage;
}

std::vector<BackendResult<void>> NetlinkBackend::AddPolicies(std::span<const PolicyParams> policies,
                                                             bool update) {
  std::vector<BackendResult<void>> results(policies.size());
  std::vector<Request> requests;
  std::vector<size_t> index;
  for (size_t i = 0; i < policies.size(); ++i) {
    auto r = EncodePolicy(policies[i], update);
    if (!r) {
      results[i] = MakeUnexpected(std::move(r).error());
      continue;
    }
    requests.push_back(std::move(*r));
    index.push_back(i);
  }
  auto sent = requests_->Transact(requests);
  for (size_t j = 0; j < sent.size(); ++j) {
    const PolicyParams& p = policies[index[j]];
    if (sent[j]) {
      PolicyId id{p.selector, p.direction, p.mark, p.if_id};
      owned_policies_[Key(id)] = id;
    }
    results[index[j]] = std::move(sent[j]);
  }
  return results;
}

BackendResult<void> NetlinkBackend::AddPolicy(const PolicyParams& policy) {
  auto r = AddPolicies(std::span<const PolicyParams>(&policy, 1), false);
  return std::move(r[0]);
}

BackendResult<void> NetlinkBackend::UpdatePolicy(const PolicyParams& policy) {
  auto r = AddPolicies(std::span<const PolicyParams>(&policy, 1), true);
  return std::move(r[0]);
}

std::vector<BackendResult<void>> NetlinkBackend::DeletePolicies(std::span<const PolicyId> policies) {
  std::vector<Request> requests;
  for (const PolicyId& p : policies) requests.push_back(EncodeDeletePolicy(p));
  auto results = requests_->Transact(requests);
  for (size_t i = 0; i < policies.size(); ++i) {
    if (results[i] || results[i].error().code == BackendError::Code::kNotFound) {
      owned_policies_.erase(Key(policies[i]));
    }
  }
  return results;
}

BackendResult<void> NetlinkBackend::DeletePolicy(const PolicyId& policy) {
  auto r = DeletePolicies(std::span<const PolicyId>(&policy, 1));
  return std::move(r[0]);
}

BackendResult<PolicyInfo> NetlinkBackend::GetPolicy(const PolicyId& policy) {
  std::optional<PolicyInfo> info;
  IKE_TRY(requests_->TransactOne(EncodeGetPolicy(policy), [&](size_t, const MessageView& m) {
    if (m.type != XFRM_MSG_NEWPOLICY) return;
    auto d = DecodePolicy(m);
    if (d) info = std::move(*d);
  }));
  if (!info) {
    return MakeUnexpected(BackendError{BackendError::Code::kSystem, 0,
                                       "GETPOLICY " + Describe(policy) + ": unreadable answer"});
  }
  return std::move(*info);
}

BackendResult<std::vector<SaInfo>> NetlinkBackend::ListSas() {
  std::vector<SaInfo> out;
  IKE_TRY(requests_->Dump(EncodeDump(XFRM_MSG_GETSA), [&](const MessageView& m) {
    if (m.type != XFRM_MSG_NEWSA) return;
    auto d = DecodeSa(m);
    if (d) out.push_back(std::move(*d));
  }));
  return out;
}

BackendResult<std::vector<PolicyInfo>> NetlinkBackend::ListPolicies() {
  std::vector<PolicyInfo> out;
  IKE_TRY(requests_->Dump(EncodeDump(XFRM_MSG_GETPOLICY), [&](const MessageView& m) {
    if (m.type != XFRM_MSG_NEWPOLICY) return;
    auto d = DecodePolicy(m);
    if (d) out.push_back(std::move(*d));
  }));
  return out;
}

BackendResult<void> NetlinkBackend::FlushOwned() {
  std::vector<PolicyId> policies;
  for (const auto& [k, p] : owned_policies_) policies.push_back(p);
  std::vector<SaId> sas;
  for (const auto& [k, s] : owned_sas_) sas.push_back(s);
  // Policies first: removing them before their SAs avoids ACQUIREs for the
  // SAs being deleted.
  auto pr = DeletePolicies(policies);
  auto sr = DeleteSas(sas);
  for (auto* list : {&pr, &sr}) {
    for (auto& r : *list) {
      if (!r && r.error().code != BackendError::Code::kNotFound) return std::move(r);
    }
  }
  return {};
}

int NetlinkBackend::fd() const { return events_ ? events_->fd() : -1; }

void NetlinkBackend::ProcessEvents() {
  if (!events_) return;
  auto r = events_->ReadPending([&](const MessageView& m) {
    auto ev = DecodeEvent(m);
    if (!ev) {
      event_errors_.push_back(BackendError{BackendError::Code::kSystem, 0,
                                           "undecodable " + std::string(MessageTypeName(m.type)) +
                                               " event: " + ev.error().detail});
      return;
    }
    if (*ev && handler_) handler_(**ev);
  });
  if (!r) event_errors_.push_back(std::move(r).error());
}

}  // namespace ike::xfrm::netlink
