#include "cli/control/protocol.h"

#include <array>
#include <utility>

namespace ike::control {
namespace {

constexpr std::array<std::pair<Command, std::string_view>, 12> kCommands = {{
    {Command::kVersion, "version"},
    {Command::kStats, "stats"},
    {Command::kLoad, "load"},
    {Command::kInitiate, "initiate"},
    {Command::kTerminate, "terminate"},
    {Command::kRekey, "rekey"},
    {Command::kListSas, "list-sas"},
    {Command::kListConns, "list-conns"},
    {Command::kListCerts, "list-certs"},
    {Command::kListPools, "list-pools"},
    {Command::kListAlgs, "list-algs"},
    {Command::kLog, "log"},
}};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  int exit_code;
};
constexpr std::array<ErrorInfo, 8> kErrors = {{
    {ErrorCode::kBadRequest, "bad-request", 5},
    {ErrorCode::kUnknownCommand, "unknown-command", 5},
    {ErrorCode::kUnsupportedVersion, "unsupported-version", 5},
    {ErrorCode::kNotFound, "not-found", 6},
    {ErrorCode::kFailed, "failed", 1},
    {ErrorCode::kTimeout, "timeout", 7},
    {ErrorCode::kPermission, "permission", 4},
    {ErrorCode::kInternal, "internal", 1},
}};

Error BadRequest(std::string message) { return Error{ErrorCode::kBadRequest, std::move(message)}; }

Result<nlohmann::json, Error> ParseObject(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeUnexpected(BadRequest("frame is not valid JSON"));
  if (!j.is_object()) return MakeUnexpected(BadRequest("frame is not a JSON object"));
  return j;
}

Result<uint64_t, Error> ParseId(const nlohmann::json& j) {
  auto it = j.find("id");
  if (it == j.end()) return uint64_t{0};
  if (!it->is_number_unsigned()) return MakeUnexpected(BadRequest("'id' must be an unsigned integer"));
  return it->get<uint64_t>();
}

Result<void, Error> CheckVersion(const nlohmann::json& j) {
  auto it = j.find("version");
  if (it == j.end() || !it->is_number_integer()) {
    return MakeUnexpected(BadRequest("'version' (integer) is required"));
  }
  if (it->get<int64_t>() != kProtocolVersion) {
    return MakeUnexpected(Error{ErrorCode::kUnsupportedVersion,
                                "protocol version " + it->dump() + " is not supported (this side speaks " +
                                    std::to_string(kProtocolVersion) + ")"});
  }
  return {};
}

Result<void, Error> OnlyKeys(const nlohmann::json& j, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) return MakeUnexpected(BadRequest("unknown key '" + key + "'"));
  }
  return {};
}

}  // namespace

std::string_view CommandName(Command c) {
  for (const auto& [cmd, name] : kCommands) {
    if (cmd == c) return name;
  }
  return "unknown";
}

std::optional<Command> CommandFromName(std::string_view name) {
  for (const auto& [cmd, n] : kCommands) {
    if (n == name) return cmd;
  }
  return std::nullopt;
}

std::vector<Command> AllCommands() {
  std::vector<Command> out;
  for (const auto& [cmd, name] : kCommands) out.push_back(cmd);
  return out;
}

std::string_view ErrorCodeName(ErrorCode c) {
  for (const auto& e : kErrors) {
    if (e.code == c) return e.name;
  }
  return "internal";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& e : kErrors) {
    if (e.name == name) return e.code;
  }
  return std::nullopt;
}

int ExitCodeFor(ErrorCode c) {
  for (const auto& e : kErrors) {
    if (e.code == c) return e.exit_code;
  }
  return 1;
}

nlohmann::json ToJson(const Request& r) {
  return {{"version", kProtocolVersion},
          {"id", r.id},
          {"command", std::string(CommandName(r.command))},
          {"args", r.args}};
}

nlohmann::json ToJson(const Response& r) {
  nlohmann::json j = {{"version", kProtocolVersion}, {"id", r.id}, {"ok", r.ok}};
  if (r.ok) {
    j["result"] = r.result;
  } else {
    j["error"] = {{"code", std::string(ErrorCodeName(r.error.code))}, {"message", r.error.message}};
  }
  return j;
}

nlohmann::json ToJson(const Event& e) {
  return {{"version", kProtocolVersion}, {"id", e.id}, {"event", e.body}};
}

Result<Request, Error> ParseRequest(std::string_view body) {
  IKE_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  IKE_TRY(CheckVersion(j));
  IKE_TRY(OnlyKeys(j, {"version", "id", "command", "args"}));
  Request r;
  IKE_ASSIGN_OR_RETURN(r.id, ParseId(j));
  auto cmd = j.find("command");
  if (cmd == j.end() || !cmd->is_string()) {
    return MakeUnexpected(BadRequest("'command' (string) is required"));
  }
  auto command = CommandFromName(cmd->get<std::string>());
  if (!command) {
    return MakeUnexpected(Error{ErrorCode::kUnknownCommand, "unknown command '" + cmd->get<std::string>() + "'"});
  }
  r.command = *command;
  auto args = j.find("args");
  if (args != j.end()) {
    if (!args->is_object()) return MakeUnexpected(BadRequest("'args' must be an object"));
    r.args = *args;
  }
  return r;
}

uint64_t PeekRequestId(std::string_view body) {
  auto j = ParseObject(body);
  if (!j) return 0;
  auto id = ParseId(*j);
  return id ? *id : 0;
}

Result<ServerMessage, Error> ParseServerMessage(std::string_view body) {
  IKE_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(body));
  IKE_TRY(CheckVersion(j));
  ServerMessage m;
  uint64_t id = 0;
  IKE_ASSIGN_OR_RETURN(id, ParseId(j));
  if (j.contains("event")) {
    IKE_TRY(OnlyKeys(j, {"version", "id", "event"}));
    if (!j["event"].is_object()) return MakeUnexpected(BadRequest("'event' must be an object"));
    m.event = Event{id, j["event"]};
    return m;
  }
  IKE_TRY(OnlyKeys(j, {"version", "id", "ok", "result", "error"}));
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) return MakeUnexpected(BadRequest("'ok' (boolean) is required"));
  Response r;
  r.id = id;
  r.ok = ok->get<bool>();
  if (r.ok) {
    auto res = j.find("result");
    if (res != j.end()) r.result = *res;
  } else {
    auto err = j.find("error");
    if (err == j.end() || !err->is_object() || !(*err)["code"].is_string() ||
        !(*err)["message"].is_string()) {
      return MakeUnexpected(BadRequest("'error' must be {code, message}"));
    }
    auto code = ErrorCodeFromName((*err)["code"].get<std::string>());
    r.error.code = code.value_or(ErrorCode::kInternal);
    r.error.message = (*err)["message"].get<std::string>();
  }
  m.response = std::move(r);
  return m;
}

Bytes EncodeFrame(const nlohmann::json& value) {
  std::string body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  Bytes out;
  out.reserve(4 + body.size());
  uint32_t n = static_cast<uint32_t>(body.size());
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void FrameDecoder::Append(ByteView data) {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
}

Result<std::optional<std::string>, Error> FrameDecoder::Next() {
  size_t avail = buffer_.size() - consumed_;
  if (avail < 4) return std::optional<std::string>();
  const uint8_t* p = buffer_.data() + consumed_;
  uint32_t n = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  if (n == 0) return MakeUnexpected(BadRequest("empty frame"));
  if (n > max_frame_) {
    return MakeUnexpected(BadRequest("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                                     std::to_string(max_frame_)));
  }
  if (avail - 4 < n) return std::optional<std::string>();
  std::string body(reinterpret_cast<const char*>(p + 4), n);
  consumed_ += 4 + n;
  if (consumed_ > 65536 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  return std::optional<std::string>(std::move(body));
}

}  // namespace ike::control
