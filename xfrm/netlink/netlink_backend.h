// NetlinkBackend: the Backend that keys the Linux kernel over NETLINK_XFRM
// (libmnl). Requests go through one socket with per-request ACK checking;
// events (ACQUIRE, EXPIRE, POLEXPIRE, MAPPING) arrive on a second socket
// subscribed to the XFRM multicast groups. It remembers every SA and policy it
// installed, so FlushOwned removes those and nothing else. Not thread-safe:
// one event loop owns an instance (calls block until the kernel's ACKs are
// in, at most XfrmSocket::kReplyTimeoutMs each).
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "xfrm/backend/backend.h"
#include "xfrm/netlink/netlink_socket.h"
#include "xfrm/netlink/xfrm_codec.h"

namespace ike::xfrm::netlink {

struct NetlinkBackendOptions {
  bool events = true;  // open the multicast event socket
};

class NetlinkBackend : public Backend {
 public:
  static BackendResult<std::unique_ptr<NetlinkBackend>> Open(NetlinkBackendOptions options = {});
  ~NetlinkBackend() override;

  std::string name() const override { return "netlink"; }
  BackendResult<uint32_t> AllocateSpi(const IpAddress& src, const IpAddress& dst,
                                      ProtocolId protocol, uint32_t reqid) override;
  BackendResult<void> AddSa(const SaParams& sa) override;
  BackendResult<void> UpdateSa(const SaParams& sa) override;
  BackendResult<void> DeleteSa(const SaId& sa) override;
  // MOBIKE: GETSA (keys, replay state), then NEWSA at the new addresses and
  // DELSA of the old one (the other way round when the id stays, i.e. only
  // the source or the encapsulation changes).
  BackendResult<void> MigrateSa(const SaId& old_id, const SaParams& sa) override;
  BackendResult<SaUsage> QuerySa(const SaId& sa) override;
  BackendResult<void> AddPolicy(const PolicyParams& policy) override;
  BackendResult<void> UpdatePolicy(const PolicyParams& policy) override;
  BackendResult<void> DeletePolicy(const PolicyId& policy) override;
  BackendResult<void> FlushOwned() override;
  void SetEventHandler(EventHandler handler) override { handler_ = std::move(handler); }
  int fd() const override;
  void ProcessEvents() override;

  // Batched variants: every request goes out in as few sendmsg calls as
  // possible; one result per item, in order.
  std::vector<BackendResult<void>> AddSas(std::span<const SaParams> sas, bool update = false);
  std::vector<BackendResult<void>> DeleteSas(std::span<const SaId> sas);
  std::vector<BackendResult<void>> AddPolicies(std::span<const PolicyParams> policies,
                                               bool update = false);
  std::vector<BackendResult<void>> DeletePolicies(std::span<const PolicyId> policies);

  // Full kernel view of one SA or policy, and listings (dumps). Listings
  // show every entry in the namespace, not only ours.
  BackendResult<SaInfo> GetSa(const SaId& sa);
  BackendResult<PolicyInfo> GetPolicy(const PolicyId& policy);
  BackendResult<std::vector<SaInfo>> ListSas();
  BackendResult<std::vector<PolicyInfo>> ListPolicies();

  size_t owned_sa_count() const { return owned_sas_.size(); }
  size_t owned_policy_count() const { return owned_policies_.size(); }
  // Errors met while reading events (e.g. an overrun); cleared on read.
  std::vector<BackendError> TakeEventErrors() { return std::move(event_errors_); }

  XfrmSocket& request_socket() { return *requests_; }

 private:
  NetlinkBackend() = default;
  BackendResult<SaEncodeOptions> ResolveOptions(const SaParams& sa);
  static std::string Key(const SaId& sa);
  static std::string Key(const PolicyId& policy);

  std::unique_ptr<XfrmSocket> requests_;
  std::unique_ptr<XfrmSocket> events_;
  EventHandler handler_;
  std::map<std::string, SaId> owned_sas_;
  std::map<std::string, PolicyId> owned_policies_;
  std::vector<BackendError> event_errors_;
};

}  // namespace ike::xfrm::netlink
