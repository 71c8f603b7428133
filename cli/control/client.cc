#include "cli/control/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ike::control {

int ClientError::ExitCode() const {
  switch (kind) {
    case Kind::kNotRunning: return 3;
    case Kind::kPermission: return 4;
    case Kind::kProtocol: return 5;
    case Kind::kTimeout: return 7;
    case Kind::kIo: return 8;
  }
  return 8;
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

Client::Client(Client&& other) noexcept
    : fd_(other.fd_), next_id_(other.next_id_), decoder_(std::move(other.decoder_)) {
  other.fd_ = -1;
}

Result<Client, ClientError> Client::Connect(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return MakeUnexpected(ClientError{ClientError::Kind::kIo, "socket path too long: " + socket_path});
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeUnexpected(ClientError{ClientError::Kind::kIo, std::strerror(errno)});
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    if (err == ENOENT || err == ECONNREFUSED) {
      return MakeUnexpected(ClientError{ClientError::Kind::kNotRunning,
                                        "the daemon is not running (no listener on " + socket_path +
                                            ": " + std::strerror(err) + ")"});
    }
    if (err == EACCES || err == EPERM) {
      return MakeUnexpected(ClientError{ClientError::Kind::kPermission,
                                        "no permission to use " + socket_path +
                                            " (run as root or as a member of the daemon's group)"});
    }
    return MakeUnexpected(ClientError{ClientError::Kind::kIo,
                                      "cannot connect to " + socket_path + ": " + std::strerror(err)});
  }
  return Client(fd);
}

Result<void, ClientError> Client::SendRaw(ByteView bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeUnexpected(ClientError{ClientError::Kind::kIo, std::string("send: ") + std::strerror(errno)});
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<ServerMessage, ClientError> Client::ReadMessage(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto next = decoder_.Next();
    if (!next) return MakeUnexpected(ClientError{ClientError::Kind::kProtocol, next.error().message});
    if (next->has_value()) {
      auto msg = ParseServerMessage(**next);
      if (!msg) return MakeUnexpected(ClientError{ClientError::Kind::kProtocol, msg.error().message});
      return std::move(*msg);
    }
    int wait_ms = -1;
    if (timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return MakeUnexpected(ClientError{ClientError::Kind::kTimeout, "no answer from the daemon in time"});
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return MakeUnexpected(ClientError{ClientError::Kind::kIo, std::string("poll: ") + std::strerror(errno)});
    }
    if (r == 0) continue;  // re-checks the deadline
    uint8_t buf[16384];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeUnexpected(ClientError{ClientError::Kind::kIo, std::string("recv: ") + std::strerror(errno)});
    }
    if (n == 0) return MakeUnexpected(ClientError{ClientError::Kind::kIo, "the daemon closed the connection"});
    decoder_.Append(ByteView(buf, static_cast<size_t>(n)));
  }
}

Result<Response, ClientError> Client::Call(Command command, nlohmann::json args,
                                           std::chrono::milliseconds timeout) {
  if (args.is_null()) args = nlohmann::json::object();
  Request req{next_id_++, command, std::move(args)};
  IKE_TRY(SendRaw(EncodeFrame(ToJson(req))));
  for (;;) {
    IKE_ASSIGN_OR_RETURN(ServerMessage msg, ReadMessage(timeout));
    // id 0 answers a request the daemon could not parse far enough to read its id.
    if (msg.response && (msg.response->id == req.id || (msg.response->id == 0 && !msg.response->ok))) {
      return std::move(*msg.response);
    }
  }
}

Result<void, ClientError> Client::Stream(Command command, nlohmann::json args,
                                         const std::function<bool(const Event&)>& on_event) {
  if (args.is_null()) args = nlohmann::json::object();
  Request req{next_id_++, command, std::move(args)};
  IKE_TRY(SendRaw(EncodeFrame(ToJson(req))));
  for (;;) {
    IKE_ASSIGN_OR_RETURN(ServerMessage msg, ReadMessage(std::chrono::milliseconds(0)));
    if (msg.event && msg.event->id == req.id) {
      if (!on_event(*msg.event)) return {};
    } else if (msg.response && (msg.response->id == req.id || (msg.response->id == 0 && !msg.response->ok))) {
      if (!msg.response->ok) {
        return MakeUnexpected(ClientError{ClientError::Kind::kProtocol, msg.response->error.message});
      }
      return {};
    }
  }
}

}  // namespace ike::control
