// The daemon: owns the event loop, the control server, the IKE sockets, the
// data-plane backend, the loaded configuration and the IKE engine, and wires
// them together. Everything runs on one thread (the userspace data path runs
// its own workers behind the Backend interface).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "charon/daemon/control_server.h"
#include "charon/daemon/event_loop.h"
#include "charon/daemon/ike_socket.h"
#include "charon/daemon/log.h"
#include "conf/config.h"

namespace ike::charon {

class EngineHost;

struct DaemonOptions {
  std::string config_path;                // swanctl.conf-style file; empty: none
  std::string control_socket = "/run/ikedaemon/control.sock";
  std::string pid_file;                   // empty: none
  std::string backend = "auto";           // netlink | userspace | auto
  std::string log_level = "info";
  std::optional<gid_t> control_group;
  uint16_t ike_port = 500;
  uint16_t natt_port = 4500;
  std::string tun_name = "ipsec0";        // userspace backend's TUN device
  bool ipv6 = true;
  int keepalive_interval_s = 20;          // NAT-keepalives; 0 disables
  double retransmit_timeout_s = 4.0;      // first retransmission after
  double retransmit_base = 1.8;           // each next one this much later
  unsigned retransmit_tries = 5;          // then the peer is declared dead
  bool keep_caps = false;                 // do not drop capabilities after start-up
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int Run();

  Logger& log() { return log_; }

 private:
  Result<void, std::string> Start();
  void Shutdown();
  void OnSignal(int signo);
  void Reload(const std::string& path, const char* why);
  // Loads `path`; on success applies it (unchanged connections keep their
  // SAs) and returns the added/removed/changed connections; on failure the
  // running configuration stays and the diagnostics are returned.
  Result<nlohmann::json, std::string> ApplyConfigFile(const std::string& path, const char* why);
  // After start-up: every capability but CAP_NET_ADMIN goes (capabilities.h).
  Result<void, std::string> DropPrivileges();
  void ArmWatchdog();
  void Notify(const std::string& state);

  // Control commands.
  void OnControl(const ReplyTo& to, const control::Request& request);
  nlohmann::json Version() const;
  nlohmann::json Stats(bool traffic_detail = false) const;
  nlohmann::json ListConns() const;
  nlohmann::json ListCerts() const;
  nlohmann::json ListPools() const;
  nlohmann::json ListAlgs() const;
  Result<nlohmann::json, control::Error> Load(const nlohmann::json& args);
  void StartLog(const ReplyTo& to, const nlohmann::json& args);

  DaemonOptions options_;
  Logger log_;
  EventLoop loop_;
  ControlServer control_;
  IkeSockets sockets_;
  std::shared_ptr<const conf::Config> config_;
  std::unique_ptr<EngineHost> engine_;
  std::chrono::steady_clock::time_point started_;
  std::map<uint64_t, uint64_t> log_subscriptions_;  // control client -> logger subscription
  bool pid_file_written_ = false;
  bool stopping_ = false;
  uint64_t reloads_ = 0;
  uint64_t failed_reloads_ = 0;
};

}  // namespace ike::charon
