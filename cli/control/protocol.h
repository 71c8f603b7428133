// The control protocol between charon and ipsecctl (documented in
// PROTOCOL.md). Frames are a 4-byte big-endian length followed by a UTF-8
// JSON object. This header is the one definition both sides link.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libike/common/bytes.h"
#include "libike/common/result.h"

namespace ike::control {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxFrameSize = 1 << 20;  // 1 MiB: requests, events
// Answers the client accepts: list-sas with 100,000 SAs is ~80 MiB of JSON.
inline constexpr size_t kMaxResponseFrameSize = size_t{512} << 20;
inline constexpr const char* kDefaultSocketPath = "/run/ikedaemon/control.sock";
inline constexpr const char* kSocketEnvVar = "IPSECCTL_SOCKET";

// Every command the daemon understands. Names on the wire are the kebab-case
// strings of CommandName().
enum class Command {
  kVersion,
  kStats,
  kLoad,        // args: {what: "all"|"conns"|"creds"|"pools", file?: path}
  kInitiate,    // args: {ike?: name, child?: name, timeout_ms?: n}
  kTerminate,   // args: {ike?: name, child?: name, ike_id?: n, child_id?: n}
  kRekey,       // args: {ike?/child?/ike_id?/child_id?, reauth?: bool}
  kListSas,     // args: {ike?: name}
  kListConns,
  kListCerts,
  kListPools,
  kListAlgs,
  kLog,         // streams events until the client disconnects
};

std::string_view CommandName(Command c);
std::optional<Command> CommandFromName(std::string_view name);
std::vector<Command> AllCommands();

// Error codes carried in failed responses; each maps to an ipsecctl exit code
// that scripts can rely on (see PROTOCOL.md).
enum class ErrorCode {
  kBadRequest,      // malformed frame, JSON, or arguments
  kUnknownCommand,
  kUnsupportedVersion,
  kNotFound,        // no such connection/SA
  kFailed,          // the operation was attempted and failed
  kTimeout,
  kPermission,
  kInternal,
};
std::string_view ErrorCodeName(ErrorCode c);
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);
int ExitCodeFor(ErrorCode c);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

struct Request {
  uint64_t id = 0;
  Command command = Command::kVersion;
  nlohmann::json args = nlohmann::json::object();
};

// A response ends a request; an event frame ({"event": ...}) belongs to a
// streaming command such as `log` and carries the request id it serves.
struct Response {
  uint64_t id = 0;
  bool ok = true;
  nlohmann::json result = nlohmann::json::object();  // when ok
  Error error;                                       // when !ok
};

struct Event {
  uint64_t id = 0;  // the id of the streaming request
  nlohmann::json body = nlohmann::json::object();
};

nlohmann::json ToJson(const Request& r);
nlohmann::json ToJson(const Response& r);
nlohmann::json ToJson(const Event& e);

// Strict parsers: unknown top-level keys, wrong types and unsupported
// versions are errors (kBadRequest / kUnsupportedVersion / kUnknownCommand).
Result<Request, Error> ParseRequest(std::string_view body);
// The request id of a body ParseRequest rejected, when it has a readable one
// (so the error reply reaches the right caller); 0 otherwise.
uint64_t PeekRequestId(std::string_view body);
// A frame from the daemon is either a Response or an Event.
struct ServerMessage {
  std::optional<Response> response;
  std::optional<Event> event;
};
Result<ServerMessage, Error> ParseServerMessage(std::string_view body);

// Frames one JSON value for the wire.
Bytes EncodeFrame(const nlohmann::json& value);

// Accumulates stream bytes and yields complete frame bodies. An oversized or
// zero length is a protocol error; the stream is then unusable.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame = kMaxFrameSize) : max_frame_(max_frame) {}
  void Append(ByteView data);
  // A complete body, nothing (need more bytes), or an error.
  Result<std::optional<std::string>, Error> Next();
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  size_t max_frame_;
  Bytes buffer_;
  size_t consumed_ = 0;
};

}  // namespace ike::control
