// Structured logging for the daemon: per-subsystem levels, the systemd
// journal with fields (IKE_CONN, IKE_SA_ID, IKE_PEER, IKE_SUBSYSTEM) when
// stderr is the journal, plain stderr lines otherwise, and subscribers (the
// control socket's `log` stream). Never pass key material to a log call.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ike::charon {

enum class LogLevel : uint8_t { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3, kTrace = 4 };
enum class Subsystem : uint8_t { kDaemon, kIke, kConfig, kKernel, kNet, kControl, kEsp, kCount };

std::string_view LevelName(LogLevel level);
std::string_view SubsystemName(Subsystem s);
std::optional<LogLevel> LevelFromName(std::string_view name);
std::optional<Subsystem> SubsystemFromName(std::string_view name);

struct LogContext {
  std::string conn;     // connection name
  uint64_t ike_sa = 0;  // IKE_SA unique id, 0 if none
  std::string peer;     // peer endpoint
};

struct LogRecord {
  std::string time;  // ISO 8601 UTC with milliseconds
  LogLevel level;
  Subsystem subsystem;
  LogContext context;
  std::string message;
};

class Logger {
 public:
  enum class Sink { kAuto, kStderr, kJournal };
  explicit Logger(Sink sink = Sink::kAuto);

  // "info" or "info,ike=debug,kernel=trace": a default level and overrides.
  bool ParseLevelSpec(std::string_view spec, std::string& error);
  void SetLevel(Subsystem s, LogLevel level) { levels_[static_cast<size_t>(s)] = level; }
  bool Enabled(Subsystem s, LogLevel level) const;

  void Log(Subsystem s, LogLevel level, const LogContext& ctx, std::string message);
  void Log(Subsystem s, LogLevel level, std::string message) { Log(s, level, LogContext{}, std::move(message)); }

  using Subscriber = std::function<void(const LogRecord&)>;
  // Subscribers see records at or below `max_level`, independent of the sink
  // levels. Returns an id for Unsubscribe.
  uint64_t Subscribe(LogLevel max_level, Subscriber subscriber);
  void Unsubscribe(uint64_t id);

  bool journal() const { return journal_; }

 private:
  std::array<LogLevel, static_cast<size_t>(Subsystem::kCount)> levels_;
  bool journal_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::pair<LogLevel, Subscriber>> subscribers_;
};

}  // namespace ike::charon
