// A blocking control-socket client for ipsecctl and tests.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "cli/control/protocol.h"

namespace ike::control {

struct ClientError {
  enum class Kind {
    kNotRunning,   // no socket, or nobody listening
    kPermission,   // the socket exists but we may not connect
    kIo,           // the connection broke
    kProtocol,     // the daemon sent something we cannot parse
    kTimeout,
  };
  Kind kind = Kind::kIo;
  std::string message;
  int ExitCode() const;  // 3 not running, 4 permission, 5 protocol, 7 timeout, 8 io
};

class Client {
 public:
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;

  static Result<Client, ClientError> Connect(const std::string& socket_path);

  // Sends a request and waits for its response (events for other ids are
  // ignored). timeout 0 = wait forever.
  Result<Response, ClientError> Call(Command command, nlohmann::json args,
                                     std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // For streaming commands: sends the request, then hands every event to
  // `on_event` until it returns false, the daemon closes, or a response ends
  // the stream.
  Result<void, ClientError> Stream(Command command, nlohmann::json args,
                                   const std::function<bool(const Event&)>& on_event);

  // Low level, for tests: write raw bytes, read one frame body.
  Result<void, ClientError> SendRaw(ByteView bytes);
  Result<ServerMessage, ClientError> ReadMessage(std::chrono::milliseconds timeout);

 private:
  explicit Client(int fd) : fd_(fd) {}
  int fd_ = -1;
  uint64_t next_id_ = 1;
  FrameDecoder decoder_{kMaxResponseFrameSize};
};

}  // namespace ike::control
