#include "charon/daemon/capabilities.h"

#include <dirent.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>

namespace ike::charon {
namespace {

constexpr const char* kNames[] = {
    "cap_chown",           "cap_dac_override",   "cap_dac_read_search", "cap_fowner",
    "cap_fsetid",          "cap_kill",           "cap_setgid",          "cap_setuid",
    "cap_setpcap",         "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
    "cap_net_admin",       "cap_net_raw",        "cap_ipc_lock",        "cap_ipc_owner",
    "cap_sys_module",      "cap_sys_rawio",      "cap_sys_chroot",      "cap_sys_ptrace",
    "cap_sys_pacct",       "cap_sys_admin",      "cap_sys_boot",        "cap_sys_nice",
    "cap_sys_resource",    "cap_sys_time",       "cap_sys_tty_config",  "cap_mknod",
    "cap_lease",           "cap_audit_write",    "cap_audit_control",   "cap_setfcap",
    "cap_mac_override",    "cap_mac_admin",      "cap_syslog",          "cap_wake_alarm",
    "cap_block_suspend",   "cap_audit_read",     "cap_perfmon",         "cap_bpf",
    "cap_checkpoint_restore",
};

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The highest capability number the running kernel knows.
int LastCap() {
  int last = -1;
  for (int cap = 0; cap < 64; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;
    last = cap;
  }
  return last;
}

struct RawCaps {
  __user_cap_header_struct header{};
  __user_cap_data_struct data[2]{};
};

Result<RawCaps, std::string> CapGet() {
  RawCaps c;
  c.header.version = _LINUX_CAPABILITY_VERSION_3;
  c.header.pid = 0;
  if (syscall(SYS_capget, &c.header, c.data) != 0) return MakeUnexpected(Errno("capget"));
  return c;
}

CapMask Join(uint32_t lo, uint32_t hi) { return CapMask{lo} | (CapMask{hi} << 32); }

Result<void, std::string> CapSet(CapMask effective, CapMask permitted, CapMask inheritable) {
  RawCaps c;
  c.header.version = _LINUX_CAPABILITY_VERSION_3;
  c.header.pid = 0;
  for (int i = 0; i < 2; ++i) {
    c.data[i].effective = static_cast<uint32_t>(effective >> (32 * i));
    c.data[i].permitted = static_cast<uint32_t>(permitted >> (32 * i));
    c.data[i].inheritable = static_cast<uint32_t>(inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &c.header, c.data) != 0) return MakeUnexpected(Errno("capset"));
  return {};
}

}  // namespace

CapMask RuntimeCapabilities() { return CapBit(CAP_NET_ADMIN); }

CapPlan PlanDrop(const CapState& state, CapMask needed) {
  CapPlan plan;
  plan.keep = state.permitted & needed;
  plan.can_drop_bounding = (state.permitted & CapBit(CAP_SETPCAP)) != 0;
  plan.drop_bounding = plan.can_drop_bounding ? (state.bounding & ~needed) : 0;
  plan.nothing_to_do = (state.permitted & ~needed) == 0 && (state.effective & ~needed) == 0 &&
                       state.inheritable == 0 && state.ambient == 0 && plan.drop_bounding == 0;
  return plan;
}

std::string CapNames(CapMask mask) {
  if (mask == 0) return "none";
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(mask & CapBit(cap))) continue;
    if (!out.empty()) out += ',';
    if (cap < static_cast<int>(std::size(kNames))) {
      out += kNames[cap];
    } else {
      out += "cap_" + std::to_string(cap);
    }
  }
  return out;
}

Result<CapState, std::string> ReadCapState() {
  IKE_ASSIGN_OR_RETURN(RawCaps c, CapGet());
  CapState s;
  s.effective = Join(c.data[0].effective, c.data[1].effective);
  s.permitted = Join(c.data[0].permitted, c.data[1].permitted);
  s.inheritable = Join(c.data[0].inheritable, c.data[1].inheritable);
  int last = LastCap();
  for (int cap = 0; cap <= last; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) s.bounding |= CapBit(cap);
    // Kernels before 4.3 have no ambient set (EINVAL): it is empty then.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1) s.ambient |= CapBit(cap);
  }
  return s;
}

int ThreadCount() {
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

Result<CapDropReport, std::string> DropCapabilities(CapMask needed) {
  int threads = ThreadCount();
  if (threads > 1) {
    return MakeUnexpected("cannot drop capabilities: the process already runs " + std::to_string(threads) +
                          " threads (capability sets are per thread)");
  }
  CapDropReport report;
  IKE_ASSIGN_OR_RETURN(report.before, ReadCapState());
  CapPlan plan = PlanDrop(report.before, needed);
  if (!plan.nothing_to_do) {
    if (plan.drop_bounding != 0) {
      // PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set.
      IKE_TRY(CapSet(report.before.effective | CapBit(CAP_SETPCAP), report.before.permitted,
                     report.before.inheritable));
      for (int cap = 0; cap < 64; ++cap) {
        if (!(plan.drop_bounding & CapBit(cap))) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return MakeUnexpected(Errno("PR_CAPBSET_DROP"));
      }
      report.bounding_dropped = true;
    }
    if (report.before.ambient != 0 &&
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
      return MakeUnexpected(Errno("PR_CAP_AMBIENT_CLEAR_ALL"));
    }
    IKE_TRY(CapSet(plan.keep, plan.keep, 0));
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return MakeUnexpected(Errno("PR_SET_NO_NEW_PRIVS"));
  IKE_ASSIGN_OR_RETURN(report.after, ReadCapState());
  if (report.after.permitted != plan.keep && !plan.nothing_to_do) {
    return MakeUnexpected("capabilities not dropped: permitted is " + CapNames(report.after.permitted) +
                          ", expected " + CapNames(plan.keep));
  }
  return report;
}

}  // namespace ike::charon
