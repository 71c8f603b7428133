#include "charon/daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "charon/daemon/capabilities.h"
#include "charon/daemon/engine_host.h"
#include "conf/diff.h"
#include "conf/loader.h"
#include "libike/proposal/proposal.h"

namespace ike::charon {
namespace {

constexpr const char* kVersion = "0.1.0";

// A pid file that refuses to replace the pid of a live process.
Result<void, std::string> WritePidFile(const std::string& path) {
  std::ifstream in(path);
  pid_t old = 0;
  if (in >> old && old > 0 && old != getpid() && (kill(old, 0) == 0 || errno == EPERM)) {
    return MakeUnexpected("another instance (pid " + std::to_string(old) + ") owns " + path);
  }
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeUnexpected("cannot write " + tmp + ": " + std::strerror(errno));
  std::string text = std::to_string(getpid()) + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeUnexpected("cannot write " + path + ": " + std::strerror(errno));
  }
  return {};
}

std::string Seconds(int64_t unix_time) {
  char buf[32];
  time_t t = static_cast<time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json AuthList(const std::vector<conf::AuthRound>& rounds) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rounds) {
    out.push_back({{"auth", r.auth.text.empty() ? std::string(conf::ToString(r.auth.cls)) : r.auth.text},
                   {"id", r.id ? r.id->ToString() : std::string("%any")}});
  }
  return out;
}

nlohmann::json TsList(const std::vector<conf::TrafficSelector>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& ts : list) out.push_back(ts.ToString());
  return out;
}

}  // namespace

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), control_(loop_, log_) {}

Daemon::~Daemon() = default;

void Daemon::Notify(const std::string& state) { sd_notify(0, state.c_str()); }

Result<void, std::string> Daemon::Start() {
  std::string error;
  if (!log_.ParseLevelSpec(options_.log_level, error)) return MakeUnexpected("--log-level: " + error);
  started_ = std::chrono::steady_clock::now();
  IKE_TRY(loop_.Init());
  IKE_TRY(loop_.HandleSignals({SIGTERM, SIGINT, SIGHUP}, [this](int s) { OnSignal(s); }));
  signal(SIGPIPE, SIG_IGN);

  if (!options_.pid_file.empty()) {
    IKE_TRY(WritePidFile(options_.pid_file));
    pid_file_written_ = true;
  }

  // Configuration first: a daemon that cannot read its config does not start.
  if (!options_.config_path.empty()) {
    auto loaded = conf::LoadConfig(options_.config_path);
    if (!loaded) {
      return MakeUnexpected("configuration rejected:\n" + conf::FormatDiagnostics(loaded.error()));
    }
    for (const auto& w : loaded->warnings) log_.Log(Subsystem::kConfig, LogLevel::kWarning, w.ToString());
    config_ = std::make_shared<const conf::Config>(std::move(*loaded));
    log_.Log(Subsystem::kConfig, LogLevel::kInfo,
             "loaded " + std::to_string(config_->connections.size()) + " connection(s) from " +
                 options_.config_path);
  } else {
    config_ = std::make_shared<const conf::Config>();
  }

  IKE_ASSIGN_OR_RETURN(BackendChoice backend,
                       CreateBackend(BackendOptions{options_.backend, options_.tun_name, options_.natt_port}));
  bool userspace = backend.userspace;
  std::function<void()> start_threads = std::move(backend.start_threads);
  log_.Log(Subsystem::kKernel, LogLevel::kInfo,
           "data path: " + backend.backend->name() + " backend (" + backend.reason + ")");
  engine_ = std::make_unique<EngineHost>(loop_, log_, sockets_, std::move(backend));
  engine_->SetRetransmit(std::chrono::milliseconds(static_cast<int64_t>(options_.retransmit_timeout_s * 1000)),
                         options_.retransmit_base, options_.retransmit_tries);

  std::vector<std::string> notes;
  IkeSockets::Options sock_opts{options_.ike_port, options_.natt_port, true, options_.ipv6, userspace};
  IKE_TRY(sockets_.Open(
      sock_opts, loop_, [this](ReceivedDatagram&& d) { engine_->OnDatagram(std::move(d)); },
      [this](ByteView esp, const Endpoint& from, const Endpoint& to) { engine_->OnEspInUdp(esp, from, to); },
      notes));
  for (const auto& n : notes) log_.Log(Subsystem::kNet, LogLevel::kInfo, n);
  IKE_TRY(engine_->AttachSockets());

  IKE_TRY(control_.Listen(options_.control_socket, options_.control_group));
  control_.SetHandler([this](const ReplyTo& to, const control::Request& r) { OnControl(to, r); });
  control_.SetDisconnectHandler([this](uint64_t client) {
    auto it = log_subscriptions_.find(client);
    if (it != log_subscriptions_.end()) {
      log_.Unsubscribe(it->second);
      log_subscriptions_.erase(it);
    }
  });

  // Everything privileged is open: keep only what runtime needs, while the
  // process is still single-threaded (capability sets are per thread), and
  // start the data path's threads only afterwards.
  IKE_TRY(DropPrivileges());
  if (start_threads) start_threads();

  engine_->ApplyConfig(config_);
  engine_->StartKeepalives(std::chrono::seconds(options_.keepalive_interval_s));
  ArmWatchdog();
  Notify("READY=1\nSTATUS=" + std::to_string(config_->connections.size()) + " connection(s) loaded");
  log_.Log(Subsystem::kDaemon, LogLevel::kInfo,
           std::string("charon ") + kVersion + " started (IKE ports " + std::to_string(options_.ike_port) + "/" +
               std::to_string(options_.natt_port) + ", control " + options_.control_socket + ")");
  return {};
}

Result<void, std::string> Daemon::DropPrivileges() {
  if (options_.keep_caps) {
    log_.Log(Subsystem::kDaemon, LogLevel::kWarning, "--keep-caps: capabilities not dropped");
    return {};
  }
  auto dropped = DropCapabilities(RuntimeCapabilities());
  if (!dropped) return MakeUnexpected(dropped.error() + " (--keep-caps skips the drop)");
  const CapDropReport& r = *dropped;
  std::string text = "capabilities: kept " + CapNames(r.after.permitted);
  CapMask gone = r.before.permitted & ~r.after.permitted;
  if (gone) {
    text += ", dropped " + std::to_string(std::popcount(gone)) + " other(s)";
    log_.Log(Subsystem::kDaemon, LogLevel::kDebug, "capabilities dropped: " + CapNames(gone));
  }
  if (r.bounding_dropped) {
    text += "; bounding set " + CapNames(r.after.bounding);
  } else if (r.after.bounding & ~RuntimeCapabilities()) {
    text += "; bounding set unchanged (no CAP_SETPCAP)";
  }
  text += "; no_new_privs set";
  log_.Log(Subsystem::kDaemon, LogLevel::kInfo, text);
  return {};
}

void Daemon::ArmWatchdog() {
  // systemd's watchdog: kick at half the interval it asked for.
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  loop_.AddTimerIn(std::chrono::microseconds(usec / 2), [this] {
    Notify("WATCHDOG=1");
    ArmWatchdog();
  });
}

int Daemon::Run() {
  auto started = Start();
  if (!started) {
    log_.Log(Subsystem::kDaemon, LogLevel::kError, started.error());
    Notify("STATUS=failed to start: " + started.error());
    if (pid_file_written_) unlink(options_.pid_file.c_str());
    return 1;
  }
  bool ok = loop_.Run();
  control_.Close();
  sockets_.Close();
  engine_.reset();
  if (pid_file_written_) unlink(options_.pid_file.c_str());
  log_.Log(Subsystem::kDaemon, LogLevel::kInfo, "stopped");
  return ok ? 0 : 1;
}

void Daemon::OnSignal(int signo) {
  if (signo == SIGHUP) {
    Reload(options_.config_path, "SIGHUP");
    return;
  }
  if (stopping_) {
    log_.Log(Subsystem::kDaemon, LogLevel::kWarning, "second stop signal: exiting without waiting for peers");
    loop_.Stop();
    return;
  }
  stopping_ = true;
  Notify("STOPPING=1\nSTATUS=deleting SAs");
  log_.Log(Subsystem::kDaemon, LogLevel::kInfo,
           std::string("received ") + strsignal(signo) + ": deleting SAs and everything installed");
  engine_->Shutdown([this] { loop_.Stop(); });
}

Result<nlohmann::json, std::string> Daemon::ApplyConfigFile(const std::string& path, const char* why) {
  auto loaded = conf::LoadConfig(path);
  if (!loaded) {
    ++failed_reloads_;
    std::string diags = conf::FormatDiagnostics(loaded.error());
    log_.Log(Subsystem::kConfig, LogLevel::kError,
             std::string(why) + ": configuration rejected, the running configuration stays:\n" + diags);
    return MakeUnexpected("configuration rejected (the running configuration stays):\n" + diags);
  }
  auto next = std::make_shared<const conf::Config>(std::move(*loaded));
  nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array(),
                 changed = nlohmann::json::array();
  for (const auto& change : conf::Diff(*config_, *next)) {
    if (change.entity != conf::EntityKind::kConnection) continue;
    if (change.kind == conf::ChangeKind::kAdded) {
      added.push_back(change.name);
    } else if (change.kind == conf::ChangeKind::kRemoved) {
      removed.push_back(change.name);
    } else {
      changed.push_back(change.ToString());
    }
  }
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& w : next->warnings) warnings.push_back(w.ToString());
  ++reloads_;
  engine_->ApplyConfig(next);
  config_ = std::move(next);
  options_.config_path = path;
  log_.Log(Subsystem::kConfig, LogLevel::kInfo, std::string(why) + ": configuration loaded from " + path);
  return nlohmann::json{{"message", "loaded " + std::to_string(config_->connections.size()) + " connection(s) from " + path},
                        {"conns", {{"added", added}, {"removed", removed}, {"changed", changed}}},
                        {"warnings", warnings}};
}

void Daemon::Reload(const std::string& path, const char* why) {
  if (path.empty()) {
    log_.Log(Subsystem::kConfig, LogLevel::kWarning, std::string(why) + ": no configuration file to reload");
    return;
  }
  (void)ApplyConfigFile(path, why);  // a rejection is logged and counted there
}

nlohmann::json Daemon::Version() const {
  return {{"daemon", "charon (ikedaemon)"},
          {"version", kVersion},
          {"protocol", control::kProtocolVersion},
          {"backend", engine_ ? engine_->backend_name() : "none"}};
}

nlohmann::json Daemon::Stats(bool traffic_detail) const {
  nlohmann::json s = engine_->Stats(traffic_detail);
  s["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  s["backend"] = engine_->backend_name();
  auto& c = s["counters"];
  if (!c.is_object()) c = nlohmann::json::object();
  const auto& net = sockets_.stats();
  c["ike_datagrams_received"] = net.received;
  c["ike_datagrams_sent"] = net.sent;
  c["ike_send_errors"] = net.send_errors;
  c["natt_keepalives_received"] = net.keepalives_received;
  c["esp_in_udp_received"] = net.esp_in_udp;
  c["natt_runts_dropped"] = net.dropped_short;
  c["control_bad_requests"] = control_.bad_requests();
  c["control_rejected_peers"] = control_.rejected_peers();
  c["config_reloads"] = reloads_;
  c["config_reloads_rejected"] = failed_reloads_;
  return s;
}

nlohmann::json Daemon::ListConns() const {
  nlohmann::json conns = nlohmann::json::array();
  for (const auto& c : config_->connections) {
    nlohmann::json local = nlohmann::json::array(), remote = nlohmann::json::array();
    for (const auto& a : c.local_addrs) local.push_back(a.ToString());
    for (const auto& a : c.remote_addrs) remote.push_back(a.ToString());
    nlohmann::json children = nlohmann::json::array();
    for (const auto& ch : c.children) {
      children.push_back({{"name", ch.name},
                          {"mode", std::string(conf::ToString(ch.mode))},
                          {"local_ts", TsList(ch.local_ts)},
                          {"remote_ts", TsList(ch.remote_ts)},
                          {"esp_proposals", ToString(ch.ah_proposals.empty() ? ch.esp_proposals : ch.ah_proposals)},
                          {"start_action", conf::ToString(ch.start_action)}});
    }
    conns.push_back({{"name", c.name},
                     {"version", c.version == 0 ? std::string("any") : std::to_string(c.version)},
                     {"local_addrs", local},
                     {"remote_addrs", remote},
                     {"proposals", ToString(c.proposals)},
                     {"local_auth", AuthList(c.local)},
                     {"remote_auth", AuthList(c.remote)},
                     {"children", children}});
  }
  return {{"conns", conns}};
}

nlohmann::json Daemon::ListCerts() const {
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& cert : config_->certificates) {
    certs.push_back({{"subject", cert.subject},
                     {"issuer", cert.issuer},
                     {"serial", cert.serial_hex},
                     {"not_before", Seconds(cert.not_before)},
                     {"not_after", Seconds(cert.not_after)},
                     {"type", cert.is_ca || cert.from_ca_dir ? "x509ca" : "x509"},
                     {"has_private_key", config_->FindKeyFor(cert) != nullptr},
                     {"path", cert.path}});
  }
  return {{"certs", certs}};
}

nlohmann::json Daemon::ListPools() const { return engine_->ListPools(); }

nlohmann::json Daemon::ListAlgs() const {
  auto names = [](auto&& list, auto&& keyword) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : list) out.push_back(keyword(v));
    return out;
  };
  // What the IKE engine offers: the union over the default IKE proposals plus
  // everything the keyword table knows and the crypto layer implements.
  nlohmann::json ike = {
      {"encryption", names(std::vector<std::string>{"aes128", "aes192", "aes256", "aes128gcm8", "aes128gcm12",
                                                    "aes128gcm16", "aes192gcm16", "aes256gcm8", "aes256gcm12",
                                                    "aes256gcm16", "chacha20poly1305"},
                           [](const std::string& s) { return s; })},
      {"integrity", names(std::vector<IntegId>{IntegId::kHmacSha1_96, IntegId::kHmacSha2_256_128,
                                               IntegId::kHmacSha2_384_192, IntegId::kHmacSha2_512_256},
                          [](IntegId i) { return IntegKeyword(i); })},
      {"prf", names(std::vector<PrfId>{PrfId::kHmacSha1, PrfId::kHmacSha2_256, PrfId::kHmacSha2_384,
                                       PrfId::kHmacSha2_512, PrfId::kAes128Xcbc, PrfId::kAes128Cmac},
                    [](PrfId p) { return PrfKeyword(p); })},
      {"ke", names(std::vector<KeGroup>{KeGroup::kModp2048, KeGroup::kModp3072, KeGroup::kModp4096,
                                        KeGroup::kEcp256, KeGroup::kEcp384, KeGroup::kEcp521,
                                        KeGroup::kCurve25519, KeGroup::kCurve448},
                   [](KeGroup g) { return KeKeyword(g); })}};
  return {{"ike", ike}, {"backend", engine_->backend_name()}, {"esp", engine_->DataPathAlgorithms()}};
}

Result<nlohmann::json, control::Error> Daemon::Load(const nlohmann::json& args) {
  std::string path = options_.config_path;
  if (args.contains("file")) {
    if (!args["file"].is_string()) return MakeUnexpected(control::Error{control::ErrorCode::kBadRequest, "'file' must be a string"});
    path = args["file"].get<std::string>();
  }
  if (path.empty()) {
    return MakeUnexpected(control::Error{control::ErrorCode::kFailed, "no configuration file (start with --config or pass --file)"});
  }
  auto applied = ApplyConfigFile(path, "load");
  if (!applied) return MakeUnexpected(control::Error{control::ErrorCode::kFailed, std::move(applied).error()});
  return std::move(*applied);
}

void Daemon::StartLog(const ReplyTo& to, const nlohmann::json& args) {
  LogLevel level = LogLevel::kInfo;
  if (args.contains("level") && args["level"].is_string()) {
    level = LevelFromName(args["level"].get<std::string>()).value_or(LogLevel::kInfo);
  }
  if (log_subscriptions_.count(to.client)) {
    control::Response r;
    r.ok = false;
    r.error = {control::ErrorCode::kBadRequest, "this connection already streams the log"};
    control_.Respond(to, r);
    return;
  }
  uint64_t id = log_.Subscribe(level, [this, to](const LogRecord& rec) {
    nlohmann::json e = {{"type", "log"},
                        {"time", rec.time},
                        {"level", std::string(LevelName(rec.level))},
                        {"subsystem", std::string(SubsystemName(rec.subsystem))},
                        {"message", rec.message}};
    if (!rec.context.conn.empty()) e["conn"] = rec.context.conn;
    if (rec.context.ike_sa) e["ike_sa"] = rec.context.ike_sa;
    if (!rec.context.peer.empty()) e["peer"] = rec.context.peer;
    control_.SendEvent(to, std::move(e));
  });
  log_subscriptions_[to.client] = id;
  control_.SendEvent(to, {{"type", "log"},
                          {"time", ""},
                          {"level", "info"},
                          {"subsystem", "control"},
                          {"message", "streaming log at level " + std::string(LevelName(level))}});
}

void Daemon::OnControl(const ReplyTo& to, const control::Request& request) {
  using control::Command;
  auto reply = [this, to](Result<nlohmann::json, control::Error> r) {
    control::Response resp;
    if (r) {
      resp.result = std::move(*r);
    } else {
      resp.ok = false;
      resp.error = std::move(r).error();
    }
    control_.Respond(to, std::move(resp));
  };
  auto bad = [&](std::string message) {
    reply(MakeUnexpected(control::Error{control::ErrorCode::kBadRequest, std::move(message)}));
  };
  const auto& args = request.args;
  auto str = [&](const char* key) { return args.contains(key) && args[key].is_string() ? args[key].get<std::string>() : std::string(); };
  auto timeout = std::chrono::milliseconds(
      args.contains("timeout_ms") && args["timeout_ms"].is_number_unsigned() ? args["timeout_ms"].get<uint64_t>() : 30000);
  for (const char* key : {"ike", "child"}) {
    if (args.contains(key) && !args[key].is_string()) return bad(std::string("'") + key + "' must be a string");
  }
  for (const char* key : {"ike_id", "child_id", "timeout_ms"}) {
    if (args.contains(key) && !args[key].is_number_unsigned()) return bad(std::string("'") + key + "' must be an unsigned integer");
  }
  if (stopping_ && request.command != Command::kVersion && request.command != Command::kStats) {
    return reply(MakeUnexpected(control::Error{control::ErrorCode::kFailed, "the daemon is shutting down"}));
  }
  switch (request.command) {
    case Command::kVersion: return reply(Version());
    case Command::kStats: return reply(Stats(args.contains("traffic") && args["traffic"] == true));
    case Command::kListConns: return reply(ListConns());
    case Command::kListCerts: return reply(ListCerts());
    case Command::kListPools: return reply(ListPools());
    case Command::kListAlgs: return reply(ListAlgs());
    case Command::kListSas: return reply(engine_->ListSas(str("ike")));
    case Command::kLoad: return reply(Load(args));
    case Command::kLog: return StartLog(to, args);
    case Command::kInitiate: {
      std::string ike = str("ike"), child = str("child");
      if (ike.empty() && child.empty()) return bad("initiate needs 'ike' or 'child'");
      return engine_->Initiate(ike, child, timeout, reply);
    }
    case Command::kTerminate:
      if (!args.contains("ike") && !args.contains("child") && !args.contains("ike_id") && !args.contains("child_id")) {
        return bad("terminate needs 'ike', 'child', 'ike_id' or 'child_id'");
      }
      return engine_->Terminate(args, timeout, reply);
    case Command::kRekey:
      if (!args.contains("ike") && !args.contains("child") && !args.contains("ike_id") && !args.contains("child_id")) {
        return bad("rekey needs 'ike', 'child', 'ike_id' or 'child_id'");
      }
      return engine_->Rekey(args, reply);
  }
  bad("unhandled command");
}

}  // namespace ike::charon
