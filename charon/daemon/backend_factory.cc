// The data-plane choice: netlink (the kernel's XFRM), userspace (TUN + the
// daemon's ESP engine) or auto (the kernel when it accepts ESP SAs).
#include <memory>

#include "charon/daemon/engine_host.h"
#include "xfrm/netlink/kernel_probe.h"
#include "xfrm/netlink/netlink_backend.h"
#include "xfrm/userspace/userspace_backend.h"

namespace ike::charon {
namespace {

Result<BackendChoice, std::string> Userspace(const BackendOptions& options, std::string reason) {
  xfrm::UserspaceOptions o;
  o.tun_name = options.tun_name;
  o.udp_port = options.natt_port;
  o.own_udp_sockets = true;  // the data path batches ESP-in-UDP on the NAT-T port
  auto backend = std::make_unique<xfrm::UserspaceBackend>(o);
  // Threads start later (BackendChoice::start_threads), once the daemon has
  // dropped its capabilities.
  auto opened = backend->Open();
  if (!opened) return MakeUnexpected("userspace data path: " + opened.error().ToString());
  // Offloads in force go with the choice into the log; refused ones are
  // logged as warnings from the backend's notes.
  reason += "; offloads: " + backend->OffloadSummary();
  BackendChoice c;
  c.start_threads = [b = backend.get()] { b->StartWorkers(); };
  c.backend = std::move(backend);
  c.userspace = true;
  c.reason = std::move(reason);
  return c;
}

Result<BackendChoice, std::string> Netlink(std::string reason) {
  auto backend = xfrm::netlink::NetlinkBackend::Open();
  if (!backend) return MakeUnexpected("netlink XFRM backend: " + backend.error().ToString());
  BackendChoice c;
  c.backend = std::move(*backend);
  c.reason = std::move(reason);
  return c;
}

}  // namespace

Result<BackendChoice, std::string> CreateBackend(const BackendOptions& options) {
  if (options.kind == "netlink") return Netlink("chosen with --backend netlink");
  if (options.kind == "userspace") return Userspace(options, "chosen with --backend userspace");
  auto probe = xfrm::netlink::ProbeKernel();
  if (probe.capabilities.esp) {
    size_t usable = 0;
    for (const auto& a : probe.algorithms) usable += a.available ? 1 : 0;
    return Netlink("auto: the kernel accepts ESP SAs (" + std::to_string(usable) + " of " +
                   std::to_string(probe.algorithms.size()) + " probed algorithms available)");
  }
  std::string why;
  for (const auto& n : probe.capabilities.notes) why += (why.empty() ? "" : "; ") + n;
  return Userspace(options, "auto: the kernel cannot do ESP (" + (why.empty() ? std::string("no reason given") : why) +
                                ")");
}

}  // namespace ike::charon
