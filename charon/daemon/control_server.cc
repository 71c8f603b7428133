#include "charon/daemon/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ike::charon {

ControlServer::~ControlServer() { Close(); }

void ControlServer::Close() {
  while (!clients_.empty()) Drop(clients_.begin()->first);
  if (listen_fd_ >= 0) {
    loop_.RemoveFd(listen_fd_);
    close(listen_fd_);
    listen_fd_ = -1;
    unlink(path_.c_str());
  }
}

Result<void, std::string> ControlServer::Listen(const std::string& path, std::optional<gid_t> gid) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return MakeUnexpected("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return MakeUnexpected(std::string("socket: ") + std::strerror(errno));
  // A socket left by a crashed instance is replaced; a live one is not.
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return MakeUnexpected(path + " exists and is not a socket");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (live) return MakeUnexpected("another daemon is listening on " + path);
    unlink(path.c_str());
  }
  mode_t old_mask = umask(0117);
  int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old_mask);
  if (rc != 0) return MakeUnexpected("bind " + path + ": " + std::strerror(errno));
  path_ = path;
  gid_ = gid;
  if (gid && chown(path.c_str(), 0, *gid) != 0) {
    return MakeUnexpected("chown " + path + ": " + std::strerror(errno));
  }
  chmod(path.c_str(), 0660);
  if (listen(listen_fd_, 16) != 0) return MakeUnexpected(std::string("listen: ") + std::strerror(errno));
  return loop_.AddFd(listen_fd_, EPOLLIN, [this](uint32_t) { Accept(); });
}

bool ControlServer::PeerAllowed(int fd, std::string& who) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
  who = "uid " + std::to_string(cred.uid) + " pid " + std::to_string(cred.pid);
  if (cred.uid == 0 || cred.uid == geteuid()) return true;
  if (!gid_) return false;
  if (cred.gid == *gid_) return true;
  // A member of the control group through a supplementary group (adduser
  // USER GROUP) counts too: the peer's groups as they were at connect().
  gid_t groups[256];
  socklen_t glen = sizeof(groups);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) != 0) return false;
  for (size_t i = 0; i < glen / sizeof(gid_t); ++i) {
    if (groups[i] == *gid_) return true;
  }
  return false;
}

void ControlServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: the next event retries
    std::string who;
    if (!PeerAllowed(fd, who)) {
      ++rejected_peers_;
      log_.Log(Subsystem::kControl, LogLevel::kWarning, "control client rejected: " + who);
      control::Response r;
      r.ok = false;
      r.error = {control::ErrorCode::kPermission, "not allowed to use the control socket"};
      Bytes frame = control::EncodeFrame(control::ToJson(r));
      (void)!send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    if (clients_.size() >= kMaxClients) {
      log_.Log(Subsystem::kControl, LogLevel::kWarning, "too many control clients; refusing " + who);
      close(fd);
      continue;
    }
    uint64_t id = next_client_++;
    auto client = std::make_unique<Client>();
    client->fd = fd;
    clients_[id] = std::move(client);
    auto added = loop_.AddFd(fd, EPOLLIN, [this, id](uint32_t events) {
      if (events & EPOLLOUT) OnWritable(id);
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) OnReadable(id);
    });
    if (!added) {
      close(fd);
      clients_.erase(id);
      continue;
    }
    log_.Log(Subsystem::kControl, LogLevel::kDebug, "control client " + std::to_string(id) + " connected: " + who);
  }
}

void ControlServer::OnReadable(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  uint8_t buf[16384];
  ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    Drop(id);
    return;
  }
  if (n < 0) return;
  c.decoder.Append(ByteView(buf, static_cast<size_t>(n)));
  for (;;) {
    auto frame = c.decoder.Next();
    if (!frame) {
      // The stream is out of sync: answer once, then close this client.
      ++bad_requests_;
      log_.Log(Subsystem::kControl, LogLevel::kWarning, "control client " + std::to_string(id) +
                                                            ": " + frame.error().message);
      control::Response r;
      r.ok = false;
      r.error = frame.error();
      Queue(id, control::ToJson(r));
      OnWritable(id);
      Drop(id);
      return;
    }
    if (!frame->has_value()) return;
    auto request = control::ParseRequest(**frame);
    if (!request) {
      ++bad_requests_;
      log_.Log(Subsystem::kControl, LogLevel::kInfo,
               "control client " + std::to_string(id) + ": bad request: " + request.error().message);
      control::Response r;
      r.ok = false;
      r.error = request.error();
      r.id = control::PeekRequestId(**frame);
      Queue(id, control::ToJson(r));
      continue;
    }
    if (handler_) handler_(ReplyTo{id, request->id}, *request);
    if (!clients_.count(id)) return;  // the handler may have closed it
  }
}

void ControlServer::Queue(uint64_t id, const nlohmann::json& frame) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  Bytes bytes = control::EncodeFrame(frame);
  if (c.out.size() + bytes.size() > kMaxQueued) return;  // a stalled reader loses events, not the daemon
  bool was_empty = c.out.empty();
  c.out.insert(c.out.end(), bytes.begin(), bytes.end());
  if (was_empty) {
    OnWritable(id);
    if (clients_.count(id) && !clients_[id]->out.empty()) loop_.ModifyFd(c.fd, EPOLLIN | EPOLLOUT);
  }
}

void ControlServer::OnWritable(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  while (!c.out.empty()) {
    ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      Drop(id);
      return;
    }
    c.out.erase(c.out.begin(), c.out.begin() + n);
  }
  loop_.ModifyFd(c.fd, EPOLLIN);
}

void ControlServer::Respond(const ReplyTo& to, control::Response response) {
  response.id = to.request_id;
  Queue(to.client, control::ToJson(response));
}

void ControlServer::SendEvent(const ReplyTo& to, nlohmann::json body) {
  Queue(to.client, control::ToJson(control::Event{to.request_id, std::move(body)}));
}

void ControlServer::Drop(uint64_t id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  loop_.RemoveFd(it->second->fd);
  close(it->second->fd);
  clients_.erase(it);
  if (on_close_) on_close_(id);
}

}  // namespace ike::charon
