// RadiusClient: the daemon's RADIUS client for EAP pass-through (RFC 3579)
// and accounting (RFC 2866), on the daemon's event loop. Non-blocking UDP,
// one socket per address family, retransmission and failover across the
// configured servers. Replies with a bad Response Authenticator or
// Message-Authenticator are dropped and counted.
//
// A "session" is one IKE_SA (its engine id): the client keeps its RADIUS
// State between Access-Challenge rounds, the server that answered, and the
// Class attributes and start time for accounting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "charon/daemon/event_loop.h"
#include "charon/daemon/log.h"
#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"
#include "libike/common/secret_bytes.h"
#include "libike/eap/radius.h"

namespace ike::conf {
struct Config;
}

namespace ike::charon {

struct RadiusServer {
  std::string name;
  IpAddress address;
  uint16_t auth_port = 1812;
  uint16_t acct_port = 1813;
  SecretBytes secret;  // never logged
};

struct RadiusSettings {
  std::vector<RadiusServer> servers;  // tried in order, the last one answering first
  bool accounting = false;
  std::chrono::seconds interim_interval{0};  // 0: no Interim-Update
  std::string nas_identifier = "ikedaemon";
  std::chrono::milliseconds timeout{2000};  // per try
  unsigned tries = 3;                       // per server
};

// The `radius { }` section of the configuration, or nullopt without servers.
std::optional<RadiusSettings> MapRadiusSettings(const conf::Config& config);

struct RadiusAuthRequest {
  uint64_t session = 0;  // the IKE_SA id (NAS-Port)
  Bytes user_name;       // the EAP identity
  Bytes eap_message;     // the peer's EAP Response
  bool first = false;    // a new conversation: no State
  Endpoint local;        // NAS-IP-Address, Called-Station-Id
  Endpoint remote;       // Calling-Station-Id
  std::string connection;  // for log lines only
};

struct RadiusAuthResult {
  enum class Kind : uint8_t { kChallenge, kAccept, kReject, kUnavailable };
  Kind kind = Kind::kUnavailable;
  Bytes eap_message;
  SecretBytes msk;  // kAccept: MS-MPPE-Recv-Key || MS-MPPE-Send-Key
  std::optional<IpAddress> framed_ip;
  std::string reason;  // kReject / kUnavailable
  std::string server;  // the server's name that answered
};

struct RadiusUsage {
  uint64_t octets_in = 0, octets_out = 0;  // from the NAS's view: in = sent by the user
  uint64_t packets_in = 0, packets_out = 0;
  RadiusUsage& operator+=(const RadiusUsage& o) {
    octets_in += o.octets_in;
    octets_out += o.octets_out;
    packets_in += o.packets_in;
    packets_out += o.packets_out;
    return *this;
  }
};

struct RadiusAcctInfo {
  Bytes user_name;  // empty: the one the session authenticated with
  std::optional<IpAddress> framed_ip;
  Endpoint local, remote;
};

class RadiusClient {
 public:
  struct Stats {
    uint64_t access_requests = 0;
    uint64_t retransmits = 0;
    uint64_t accepts = 0, rejects = 0, challenges = 0;
    uint64_t unavailable = 0;       // every server timed out
    uint64_t bad_authenticator = 0; // replies dropped: Response Authenticator / Message-Authenticator
    uint64_t malformed = 0;         // replies dropped: undecodable, wrong code or source
    uint64_t unexpected = 0;        // replies dropped: no request waits for this Identifier
    uint64_t acct_requests = 0, acct_responses = 0, acct_timeouts = 0;
  };
  using AuthDone = std::function<void(RadiusAuthResult)>;
  using UsageFn = std::function<RadiusUsage(uint64_t session)>;

  RadiusClient(EventLoop& loop, Logger& log);
  ~RadiusClient();
  RadiusClient(const RadiusClient&) = delete;
  RadiusClient& operator=(const RadiusClient&) = delete;

  // Replaces the servers (requests in flight finish with the old ones).
  void Configure(RadiusSettings settings);
  bool configured() const;
  bool accounting() const;

  // One Access-Request; `done` runs later, on the loop, exactly once
  // (unless Forget(session) comes first). A new request of the same session
  // replaces one still in flight.
  void Authenticate(RadiusAuthRequest request, AuthDone done);
  // The IKE_SA is gone: drops its State and any answer still to come.
  void Forget(uint64_t session);

  // Accounting-Request Start for a session that got an Access-Accept (or any
  // session with `force`), then Interim-Update every interim_interval with
  // `usage`. Nothing when accounting is off.
  void StartAccounting(uint64_t session, const RadiusAcctInfo& info, bool force = false);
  void StopAccounting(uint64_t session, radius::TerminateCause cause, const RadiusUsage& usage);
  bool HasAccounting(uint64_t session) const;
  // An IKE_SA rekey: the session continues under the new IKE_SA id.
  void RenameSession(uint64_t from, uint64_t to);
  void SetUsageProvider(UsageFn usage) { usage_ = std::move(usage); }

  const Stats& stats() const { return stats_; }
  // Sessions held (a conversation in progress, or accounted).
  size_t session_count() const { return sessions_.size(); }

 private:
  struct Txn;
  struct Session;
  struct Socket;

  Session& GetSession(uint64_t session);
  void Start(std::unique_ptr<Txn> txn);
  bool Transmit(Txn& txn, bool fresh);
  void OnTimeout(uint64_t key);
  void Finish(uint64_t key, std::optional<RadiusAuthResult> result);
  void OnReadable(Socket& socket);
  void OnReply(Socket& socket, ByteView raw, const Endpoint& from);
  void SendAccounting(uint64_t session, radius::AcctStatus status, radius::TerminateCause cause,
                      const RadiusUsage* usage);
  void ArmInterim(uint64_t session);
  Socket* SocketFor(AddressFamily family);

  EventLoop& loop_;
  Logger& log_;
  std::shared_ptr<const RadiusSettings> settings_;
  size_t preferred_ = 0;  // the server that answered last
  std::map<AddressFamily, std::unique_ptr<Socket>> sockets_;
  std::map<uint64_t, std::unique_ptr<Txn>> pending_;  // by (family << 8 | id)
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  UsageFn usage_;
  uint32_t boot_ = 0;  // Acct-Session-Id prefix
  Stats stats_;
};

}  // namespace ike::charon
