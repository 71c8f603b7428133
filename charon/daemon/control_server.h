// The daemon side of the control protocol (cli/control/PROTOCOL.md): a UNIX
// stream socket, peer credentials checked with SO_PEERCRED, framed JSON.
// Garbage gets an error reply; a broken frame closes only that client.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "charon/daemon/event_loop.h"
#include "charon/daemon/log.h"
#include "cli/control/protocol.h"

namespace ike::charon {

// Where a response goes: a client connection and the request it answers.
struct ReplyTo {
  uint64_t client = 0;
  uint64_t request_id = 0;
};

class ControlServer {
 public:
  using Handler = std::function<void(const ReplyTo&, const control::Request&)>;

  ControlServer(EventLoop& loop, Logger& log) : loop_(loop), log_(log) {}
  ~ControlServer();

  // Creates the socket (replacing a stale one), mode 0660, group `gid` when
  // given. The directory must exist.
  Result<void, std::string> Listen(const std::string& path, std::optional<gid_t> gid);
  void SetHandler(Handler handler) { handler_ = std::move(handler); }

  // Both are no-ops when the client has gone.
  void Respond(const ReplyTo& to, control::Response response);
  void SendEvent(const ReplyTo& to, nlohmann::json body);
  // Called when a client disconnects (to drop its log subscriptions).
  void SetDisconnectHandler(std::function<void(uint64_t client)> on_close) { on_close_ = std::move(on_close); }
  bool connected(uint64_t client) const { return clients_.count(client) > 0; }

  uint64_t bad_requests() const { return bad_requests_; }
  uint64_t rejected_peers() const { return rejected_peers_; }
  void Close();

 private:
  struct Client {
    int fd = -1;
    control::FrameDecoder decoder;
    Bytes out;
  };
  void Accept();
  void OnReadable(uint64_t id);
  void OnWritable(uint64_t id);
  void Queue(uint64_t id, const nlohmann::json& frame);
  void Drop(uint64_t id);
  bool PeerAllowed(int fd, std::string& who);

  static constexpr size_t kMaxClients = 64;
  static constexpr size_t kMaxQueued = 8 << 20;  // a slow log reader loses events beyond this

  EventLoop& loop_;
  Logger& log_;
  Handler handler_;
  std::function<void(uint64_t)> on_close_;
  int listen_fd_ = -1;
  std::string path_;
  std::optional<gid_t> gid_;
  uint64_t next_client_ = 1;
  std::map<uint64_t, std::unique_ptr<Client>> clients_;
  uint64_t bad_requests_ = 0;
  uint64_t rejected_peers_ = 0;
};

}  // namespace ike::charon
