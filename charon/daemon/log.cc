#include "charon/daemon/log.h"

#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

namespace ike::charon {
namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"error", "warning", "info", "debug", "trace"};
constexpr std::array<std::string_view, 7> kSubsystemNames = {"daemon", "ike", "config", "kernel",
                                                             "net", "control", "esp"};

// True when stderr is the journal's stream (systemd sets JOURNAL_STREAM to
// "dev:inode" of the stream it connected).
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return LOG_ERR;
    case LogLevel::kWarning: return LOG_WARNING;
    case LogLevel::kInfo: return LOG_INFO;
    default: return LOG_DEBUG;
  }
}

std::string NowIso() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string_view LevelName(LogLevel level) { return kLevelNames[static_cast<size_t>(level)]; }
std::string_view SubsystemName(Subsystem s) { return kSubsystemNames[static_cast<size_t>(s)]; }

std::optional<LogLevel> LevelFromName(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  if (name == "warn") return LogLevel::kWarning;
  if (name.size() == 1 && name[0] >= '0' && name[0] <= '4') return static_cast<LogLevel>(name[0] - '0');
  return std::nullopt;
}

std::optional<Subsystem> SubsystemFromName(std::string_view name) {
  for (size_t i = 0; i < kSubsystemNames.size(); ++i) {
    if (kSubsystemNames[i] == name) return static_cast<Subsystem>(i);
  }
  return std::nullopt;
}

Logger::Logger(Sink sink) {
  levels_.fill(LogLevel::kInfo);
  journal_ = sink == Sink::kJournal || (sink == Sink::kAuto && StderrIsJournal());
}

bool Logger::ParseLevelSpec(std::string_view spec, std::string& error) {
  auto levels = levels_;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    std::string_view item = spec.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!item.empty()) {
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) {
        auto level = LevelFromName(item);
        if (!level) {
          error = "unknown log level '" + std::string(item) + "' (error, warning, info, debug, trace)";
          return false;
        }
        levels.fill(*level);
      } else {
        auto sub = SubsystemFromName(item.substr(0, eq));
        auto level = LevelFromName(item.substr(eq + 1));
        if (!sub) {
          error = "unknown log subsystem '" + std::string(item.substr(0, eq)) +
                  "' (daemon, ike, config, kernel, net, control, esp)";
          return false;
        }
        if (!level) {
          error = "unknown log level '" + std::string(item.substr(eq + 1)) + "'";
          return false;
        }
        levels[static_cast<size_t>(*sub)] = *level;
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  levels_ = levels;
  return true;
}

bool Logger::Enabled(Subsystem s, LogLevel level) const {
  if (level <= levels_[static_cast<size_t>(s)]) return true;
  for (const auto& [id, sub] : subscribers_) {
    if (level <= sub.first) return true;
  }
  return false;
}

void Logger::Log(Subsystem s, LogLevel level, const LogContext& ctx, std::string message) {
  if (!Enabled(s, level)) return;
  if (level <= levels_[static_cast<size_t>(s)]) {
    if (journal_) {
      std::string sa = std::to_string(ctx.ike_sa);
      sd_journal_send("MESSAGE=%s", message.c_str(), "PRIORITY=%d", SyslogPriority(level),
                      "SYSLOG_IDENTIFIER=charon", "IKE_SUBSYSTEM=%s", std::string(SubsystemName(s)).c_str(),
                      "IKE_CONN=%s", ctx.conn.c_str(), "IKE_SA_ID=%s", ctx.ike_sa ? sa.c_str() : "",
                      "IKE_PEER=%s", ctx.peer.c_str(), nullptr);
    } else {
      std::string line = NowIso() + " [" + std::string(SubsystemName(s)) + "] " + std::string(LevelName(level)) + ": ";
      if (!ctx.conn.empty()) {
        line += ctx.conn;
        if (ctx.ike_sa) line += "#" + std::to_string(ctx.ike_sa);
        line += ": ";
      }
      line += message;
      if (!ctx.peer.empty()) line += " (peer " + ctx.peer + ")";
      line += "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  }
  if (!subscribers_.empty()) {
    LogRecord record{NowIso(), level, s, ctx, std::move(message)};
    // Copy: a subscriber may unsubscribe (or subscribe) while being called.
    std::vector<Subscriber> targets;
    for (const auto& [id, sub] : subscribers_) {
      if (level <= sub.first) targets.push_back(sub.second);
    }
    for (const auto& t : targets) t(record);
  }
}

uint64_t Logger::Subscribe(LogLevel max_level, Subscriber subscriber) {
  uint64_t id = next_id_++;
  subscribers_[id] = {max_level, std::move(subscriber)};
  return id;
}

void Logger::Unsubscribe(uint64_t id) { subscribers_.erase(id); }

}  // namespace ike::charon
