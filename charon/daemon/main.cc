// charon: the IKE keying daemon. Stays in the foreground (systemd style) and
// creates nothing outside the paths it is given.
#include <grp.h>

#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "charon/daemon/daemon.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  ike::charon::DaemonOptions options;
  std::string group;
  po::options_description desc("usage: charon [OPTIONS]");
  desc.add_options()("help,h", "show this help")(
      "config,c", po::value<std::string>(&options.config_path), "swanctl.conf-style configuration file")(
      "control-socket", po::value<std::string>(&options.control_socket)->default_value(options.control_socket),
      "control socket path")("control-group", po::value<std::string>(&group),
                             "group allowed to use the control socket")(
      "pid-file", po::value<std::string>(&options.pid_file), "write the daemon's pid here")(
      "backend", po::value<std::string>(&options.backend)->default_value("auto"),
      "data path: netlink (kernel XFRM), userspace (TUN + ESP in the daemon), auto")(
      "log-level", po::value<std::string>(&options.log_level)->default_value("info"),
      "error|warning|info|debug|trace, with per-subsystem overrides: info,ike=debug,kernel=trace")(
      "ike-port", po::value<uint16_t>(&options.ike_port)->default_value(500), "IKE UDP port")(
      "natt-port", po::value<uint16_t>(&options.natt_port)->default_value(4500), "NAT-T UDP port")(
      "tun", po::value<std::string>(&options.tun_name)->default_value("ipsec0"),
      "TUN device of the userspace data path")("no-ipv6", "do not open IPv6 IKE sockets")(
      "keep-caps", "keep every capability (by default all but CAP_NET_ADMIN are dropped after start-up)")(
      "keepalive-interval", po::value<int>(&options.keepalive_interval_s)->default_value(20),
      "seconds between NAT-keepalives when a NAT is detected (0: none)")(
      "retransmit-timeout", po::value<double>(&options.retransmit_timeout_s)->default_value(4.0),
      "seconds before the first retransmission")(
      "retransmit-base", po::value<double>(&options.retransmit_base)->default_value(1.8),
      "each retransmission waits this factor longer")(
      "retransmit-tries", po::value<unsigned>(&options.retransmit_tries)->default_value(5),
      "retransmissions before a peer is declared dead");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "charon: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (vm.count("no-ipv6")) options.ipv6 = false;
  if (vm.count("keep-caps")) options.keep_caps = true;
 if (options.retransmit_timeout_s <= 0 || options.retransmit_base < 1.0 || options.retransmit_tries > 100) {
    std::cerr << "charon: --retransmit-timeout must be > 0, --retransmit-base >= 1, --retransmit-tries <= 100\n";
    return 2;
  }
  if (options.backend != "auto" && options.backend != "netlink" && options.backend != "userspace") {
    std::cerr << "charon: --backend must be netlink, userspace or auto\n";
    return 2;
  }
  if (!group.empty()) {
    struct group* g = getgrnam(group.c_str());
    if (!g) {
      std::cerr << "charon: unknown group '" << group << "'\n";
      return 2;
    }
    options.control_group = g->gr_gid;
  }
  ike::charon::Daemon daemon(std::move(options));
  return daemon.Run();
}
