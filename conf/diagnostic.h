// Diagnostics of the configuration loader: every error or warning names the
// file, the line and the full dotted key ("connections.gw.children.net.local_ts").
#pragma once

#include <string>
#include <vector>

namespace ike::conf {

struct Location {
  std::string file;
  int line = 0;
  std::string ToString() const { return file + ":" + std::to_string(line); }
  friend bool operator==(const Location&, const Location&) = default;
};

enum class Severity : uint8_t { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  Location loc;
  std::string key;      // full dotted key path, may be empty (syntax errors)
  std::string message;  // never contains secret values

  // "file:line: key: message" (errors) or "file:line: key: warning: message".
  std::string ToString() const;
};

// Collects diagnostics in order of discovery.
class Diagnostics {
 public:
  void Error(const Location& loc, std::string key, std::string message) {
    items_.push_back({Severity::kError, loc, std::move(key), std::move(message)});
  }
  void Warning(const Location& loc, std::string key, std::string message) {
    items_.push_back({Severity::kWarning, loc, std::move(key), std::move(message)});
  }
  bool has_errors() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic> Take() { return std::move(items_); }
  std::vector<Diagnostic> Warnings() const;

 private:
  std::vector<Diagnostic> items_;
};

// All diagnostics joined, one per line (for error output and tests).
std::string FormatDiagnostics(const std::vector<Diagnostic>& diags);

}  // namespace ike::conf
