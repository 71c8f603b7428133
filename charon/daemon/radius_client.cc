#include "charon/daemon/radius_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "conf/config.h"
#include "libike/common/sockaddr.h"

namespace ike::charon {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t Key(AddressFamily family, uint8_t id) { return uint64_t{static_cast<uint8_t>(family)} << 8 | id; }

std::string Describe(const RadiusServer& s, uint16_t port) {
  return s.name + " (" + Endpoint{s.address, port}.ToString() + ")";
}

void AddUsage(radius::Packet& p, const RadiusUsage& u) {
  p.AddU32(radius::Attr::kAcctInputOctets, static_cast<uint32_t>(u.octets_in));
  p.AddU32(radius::Attr::kAcctOutputOctets, static_cast<uint32_t>(u.octets_out));
  p.AddU32(radius::Attr::kAcctInputGigawords, static_cast<uint32_t>(u.octets_in >> 32));
  p.AddU32(radius::Attr::kAcctOutputGigawords, static_cast<uint32_t>(u.octets_out >> 32));
  p.AddU32(radius::Attr::kAcctInputPackets, static_cast<uint32_t>(std::min<uint64_t>(u.packets_in, UINT32_MAX)));
  p.AddU32(radius::Attr::kAcctOutputPackets, static_cast<uint32_t>(std::min<uint64_t>(u.packets_out, UINT32_MAX)));
}

// Runs `done(result)` from the loop (never re-entering the caller). The
// result holds a move-only MSK, so it travels in a shared_ptr.
void Deliver(EventLoop& loop, RadiusClient::AuthDone done, RadiusAuthResult result) {
  auto r = std::make_shared<RadiusAuthResult>(std::move(result));
  loop.AddTimerIn(std::chrono::milliseconds(0), [done = std::move(done), r] { done(std::move(*r)); });
}

}  // namespace

std::optional<RadiusSettings> MapRadiusSettings(const conf::Config& config) {
  const conf::RadiusConfig& r = config.radius;
  if (r.servers.empty()) return std::nullopt;
  RadiusSettings s;
  s.accounting = r.accounting;
  s.interim_interval = r.interim_interval;
  s.nas_identifier = r.nas_identifier;
  s.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(r.retransmit_timeout);
  s.tries = r.retransmit_tries;
  for (const auto& srv : r.servers) {
    s.servers.push_back(RadiusServer{srv.name, srv.address, srv.auth_port, srv.acct_port, srv.secret.Clone()});
  }
  return s;
}

struct RadiusClient::Socket {
  int fd = -1;
  AddressFamily family = AddressFamily::kIpv4;
  uint8_t next_id = 0;
  ~Socket() {
    if (fd >= 0) close(fd);
  }
};

struct RadiusClient::Txn {
  enum class Kind { kAuth, kAcct } kind = Kind::kAuth;
  uint64_t session = 0;
  radius::Packet packet;  // without Message-Authenticator; re-signed per server
  std::shared_ptr<const RadiusSettings> settings;
  size_t server = 0;
  size_t servers_tried = 0;
  unsigned tries = 0;
  AddressFamily family = AddressFamily::kIpv4;
  uint8_t id = 0;
  bool has_id = false;
  radius::Authenticator authenticator{};
  Bytes raw;
  EventLoop::TimerId timer = 0;
  AuthDone done;
  radius::AcctStatus acct_status = radius::AcctStatus::kStart;
  LogContext log_context;

  const RadiusServer& srv() const { return settings->servers[server]; }
  uint16_t port() const { return kind == Kind::kAuth ? srv().auth_port : srv().acct_port; }
};

struct RadiusClient::Session {
  Bytes state;                   // from the last Access-Challenge
  std::optional<size_t> server;  // the server holding that State
  bool accepted = false;
  Bytes user_name;
  std::vector<Bytes> classes;    // echoed in accounting (RFC 2865 5.25)
  // Accounting.
  bool acct_started = false;
  std::string acct_session_id;
  Clock::time_point started;
  RadiusAcctInfo info;
  EventLoop::TimerId interim = 0;
};

RadiusClient::RadiusClient(EventLoop& loop, Logger& log)
    : loop_(loop), log_(log), boot_(static_cast<uint32_t>(std::time(nullptr))) {}

RadiusClient::~RadiusClient() {
  for (auto& [key, txn] : pending_) {
    if (txn->timer) loop_.CancelTimer(txn->timer);
  }
  for (auto& [id, s] : sessions_) {
    if (s->interim) loop_.CancelTimer(s->interim);
  }
  for (auto& [family, sock] : sockets_) loop_.RemoveFd(sock->fd);
}

void RadiusClient::Configure(RadiusSettings settings) {
  bool changed = !settings_ || settings_->servers.size() != settings.servers.size();
  settings_ = std::make_shared<const RadiusSettings>(std::move(settings));
  if (changed) preferred_ = 0;
  if (preferred_ >= settings_->servers.size()) preferred_ = 0;
  std::string names;
  for (const auto& s : settings_->servers) names += (names.empty() ? "" : ", ") + Describe(s, s.auth_port);
  log_.Log(Subsystem::kConfig, LogLevel::kInfo,
           "RADIUS servers: " + (names.empty() ? std::string("none") : names) +
               (settings_->accounting ? ", accounting on" : ""));
}

bool RadiusClient::configured() const { return settings_ && !settings_->servers.empty(); }
bool RadiusClient::accounting() const { return configured() && settings_->accounting; }

RadiusClient::Session& RadiusClient::GetSession(uint64_t session) {
  auto& s = sessions_[session];
  if (!s) s = std::make_unique<Session>();
  return *s;
}

RadiusClient::Socket* RadiusClient::SocketFor(AddressFamily family) {
  auto it = sockets_.find(family);
  if (it != sockets_.end()) return it->second.get();
  int fd = socket(family == AddressFamily::kIpv4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    log_.Log(Subsystem::kNet, LogLevel::kError, std::string("RADIUS socket: ") + std::strerror(errno));
    return nullptr;
  }
  auto sock = std::make_unique<Socket>();
  sock->fd = fd;
  sock->family = family;
  uint8_t first_id = 0;
  RAND_bytes(&first_id, 1);
  sock->next_id = first_id;
  Socket* raw = sock.get();
  auto added = loop_.AddFd(fd, EPOLLIN, [this, raw](uint32_t) { OnReadable(*raw); });
  if (!added) {
    log_.Log(Subsystem::kNet, LogLevel::kError, "RADIUS socket: " + added.error());
    return nullptr;
  }
  sockets_[family] = std::move(sock);
  return raw;
}

void RadiusClient::Authenticate(RadiusAuthRequest request, AuthDone done) {
  if (!configured()) {
    RadiusAuthResult r;
    r.reason = "no RADIUS server configured";
    Deliver(loop_, std::move(done), std::move(r));
    return;
  }
  // A request still in flight for this session is superseded.
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->second->kind == Txn::Kind::kAuth && it->second->session == request.session) {
      Finish(it->first, std::nullopt);
      break;
    }
  }
  Session& s = GetSession(request.session);
  if (request.first) {
    s.state.clear();
    s.server.reset();
    s.accepted = false;
    s.classes.clear();
  }
  s.user_name = request.user_name;
  auto txn = std::make_unique<Txn>();
  txn->kind = Txn::Kind::kAuth;
  txn->session = request.session;
  txn->settings = settings_;
  txn->server = s.server && *s.server < settings_->servers.size() ? *s.server : preferred_;
  txn->done = std::move(done);
  txn->log_context = LogContext{request.connection, request.session, request.remote.ToString()};
  radius::Packet& p = txn->packet;
  p.code = radius::Code::kAccessRequest;
  Bytes user = request.user_name;
  if (user.size() > radius::kMaxValueSize) user.resize(radius::kMaxValueSize);
  if (!user.empty()) p.Add(radius::Attr::kUserName, user);
  p.AddU32(radius::Attr::kServiceType, radius::kServiceTypeFramed);
  if (!request.local.address.IsUnspecified()) {
    p.AddAddress(request.local.address.is_v4() ? radius::Attr::kNasIpAddress : radius::Attr::kNasIpv6Address,
                 request.local.address);
  }
  p.AddString(radius::Attr::kNasIdentifier, settings_->nas_identifier.substr(0, radius::kMaxValueSize));
  p.AddU32(radius::Attr::kNasPort, static_cast<uint32_t>(request.session));
  p.AddU32(radius::Attr::kNasPortType, radius::kNasPortTypeVirtual);
  p.AddString(radius::Attr::kCalledStationId, request.local.ToString());
  p.AddString(radius::Attr::kCallingStationId, request.remote.ToString());
  radius::AddEapMessage(p, request.eap_message);
  if (!s.state.empty()) p.Add(radius::Attr::kState, s.state);
  ++stats_.access_requests;
  Start(std::move(txn));
}

void RadiusClient::Start(std::unique_ptr<Txn> txn) {
  Txn* raw = txn.get();
  if (!Transmit(*raw, true)) {
    // No Identifier or socket for any server: as if none answered.
    raw->servers_tried = raw->settings->servers.size();
    std::optional<RadiusAuthResult> result;
    if (raw->kind == Txn::Kind::kAuth) {
      result = RadiusAuthResult{};
      result->reason = "RADIUS request could not be sent";
    }
    if (raw->done && result) Deliver(loop_, std::move(raw->done), std::move(*result));
    return;
  }
  pending_[Key(raw->family, raw->id)] = std::move(txn);
}

// Encodes for the current server (a new Identifier and authenticator when
// `fresh`) and sends; arms the retransmit timer.
bool RadiusClient::Transmit(Txn& txn, bool fresh) {
  const RadiusServer& srv = txn.srv();
  if (fresh) {
    Socket* sock = SocketFor(srv.address.family());
    if (sock == nullptr) return false;
    bool found = false;
    for (int i = 0; i < 256 && !found; ++i) {
      uint8_t id = sock->next_id++;
      if (!pending_.count(Key(sock->family, id))) {
        txn.id = id;
        found = true;
      }
    }
    if (!found) {
      log_.Log(Subsystem::kNet, LogLevel::kWarning, "RADIUS: 256 requests outstanding, none more possible");
      return false;
    }
    txn.family = sock->family;
    txn.has_id = true;
    txn.packet.id = txn.id;
    Result<Bytes, radius::Error> raw = MakeUnexpected(radius::Error{});
    if (txn.kind == Txn::Kind::kAuth) {
      RAND_bytes(txn.packet.authenticator.data(), static_cast<int>(txn.packet.authenticator.size()));
      raw = radius::EncodeAccessRequest(txn.packet, srv.secret.view());
    } else {
      raw = radius::EncodeAccountingRequest(txn.packet, srv.secret.view());
    }
    if (!raw) {
      log_.Log(Subsystem::kNet, LogLevel::kError, "RADIUS request not encodable: " + radius::ToString(raw.error()));
      return false;
    }
    txn.raw = std::move(*raw);
    txn.authenticator = txn.packet.authenticator;
  }
  auto it = sockets_.find(txn.family);
  if (it != sockets_.end()) {
    sockaddr_storage ss;
    socklen_t len = ToSockaddr(Endpoint{srv.address, txn.port()}, ss);
    if (sendto(it->second->fd, txn.raw.data(), txn.raw.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      log_.Log(Subsystem::kNet, LogLevel::kDebug,
               "RADIUS send to " + Describe(srv, txn.port()) + ": " + std::strerror(errno));
    }
  }
  ++txn.tries;
  uint64_t key = Key(txn.family, txn.id);
  txn.timer = loop_.AddTimerIn(txn.settings->timeout, [this, key] { OnTimeout(key); });
  return true;
}

void RadiusClient::OnTimeout(uint64_t key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  Txn& txn = *it->second;
  txn.timer = 0;
  if (txn.tries < txn.settings->tries) {
    ++stats_.retransmits;
    (void)Transmit(txn, false);
    return;
  }
  log_.Log(Subsystem::kNet, LogLevel::kWarning,
           "RADIUS server " + Describe(txn.srv(), txn.port()) + " did not answer " + std::to_string(txn.tries) +
               " tries");
  ++txn.servers_tried;
  if (txn.servers_tried < txn.settings->servers.size()) {
    // Fail over: the next server, with a new Identifier and authenticator.
    std::unique_ptr<Txn> moved = std::move(it->second);
    pending_.erase(it);
    moved->server = (moved->server + 1) % moved->settings->servers.size();
    moved->tries = 0;
    if (moved->kind == Txn::Kind::kAuth) {
      // A State belongs to the server that issued it.
      std::erase_if(moved->packet.attributes, [](const radius::Attribute& a) {
        return a.type == static_cast<uint8_t>(radius::Attr::kState);
      });
    }
    if (moved->settings == settings_) preferred_ = moved->server;
    Start(std::move(moved));
    return;
  }
  std::string names;
  for (const auto& s : txn.settings->servers) {
    names += (names.empty() ? "" : ", ") + Describe(s, txn.kind == Txn::Kind::kAuth ? s.auth_port : s.acct_port);
  }
  if (txn.kind == Txn::Kind::kAuth) {
    ++stats_.unavailable;
    log_.Log(Subsystem::kIke, LogLevel::kError, txn.log_context, "RADIUS server(s) not responding: " + names);
    RadiusAuthResult r;
    r.kind = RadiusAuthResult::Kind::kUnavailable;
    r.reason = "RADIUS server(s) not responding";
    Finish(key, std::move(r));
  } else {
    ++stats_.acct_timeouts;
    log_.Log(Subsystem::kIke, LogLevel::kError, txn.log_context,
             "RADIUS accounting server(s) not responding: " + names);
    Finish(key, std::nullopt);
  }
}

// Removes a transaction; an auth result (if any) goes to its callback on
// the loop, so callers never re-enter the client.
void RadiusClient::Finish(uint64_t key, std::optional<RadiusAuthResult> result) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  std::unique_ptr<Txn> txn = std::move(it->second);
  pending_.erase(it);
  if (txn->timer) loop_.CancelTimer(txn->timer);
  if (result && txn->done) Deliver(loop_, std::move(txn->done), std::move(*result));
}

void RadiusClient::Forget(uint64_t session) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    if (it->second->kind == Txn::Kind::kAuth && it->second->session == session) Finish(it->first, std::nullopt);
    it = next;
  }
  auto s = sessions_.find(session);
  if (s != sessions_.end() && !s->second->acct_started) sessions_.erase(s);
}

void RadiusClient::OnReadable(Socket& socket) {
  uint8_t buf[radius::kMaxPacketSize + 1];
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    ssize_t n = recvfrom(socket.fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return;  // EAGAIN, or an ICMP error we learn nothing from
    OnReply(socket, ByteView(buf, static_cast<size_t>(n)), FromSockaddr(ss));
  }
}

void RadiusClient::OnReply(Socket& socket, ByteView raw, const Endpoint& from) {
  if (raw.size() < radius::kHeaderSize) {
    ++stats_.malformed;
    return;
  }
  uint64_t key = Key(socket.family, raw[1]);
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    ++stats_.unexpected;
    return;
  }
  Txn& txn = *it->second;
  const RadiusServer& srv = txn.srv();
  if (from.address != srv.address || from.port != txn.port()) {
    ++stats_.unexpected;
    return;
  }
  auto packet = radius::Decode(raw);
  bool auth = txn.kind == Txn::Kind::kAuth;
  if (!packet || (auth && packet->code != radius::Code::kAccessAccept && packet->code != radius::Code::kAccessReject &&
                  packet->code != radius::Code::kAccessChallenge) ||
      (!auth && packet->code != radius::Code::kAccountingResponse)) {
    ++stats_.malformed;
    log_.Log(Subsystem::kNet, LogLevel::kWarning,
             "RADIUS reply from " + from.ToString() + " dropped: " +
                 (packet ? std::string("unexpected ") + radius::CodeName(packet->code) : radius::ToString(packet.error())));
    return;
  }
  auto verified = radius::VerifyResponse(raw, *packet, txn.authenticator, srv.secret.view(), auth);
  if (!verified) {
    ++stats_.bad_authenticator;
    log_.Log(Subsystem::kNet, LogLevel::kWarning,
             "RADIUS reply from " + Describe(srv, txn.port()) + " dropped: " + radius::ToString(verified.error()));
    return;
  }
  if (txn.settings == settings_) preferred_ = txn.server;
  if (!auth) {
    ++stats_.acct_responses;
    Finish(key, std::nullopt);
    return;
  }
  Session& s = GetSession(txn.session);
  RadiusAuthResult r;
  r.server = srv.name;
  auto eap = radius::JoinEapMessage(*packet);
  if (!eap) {
    ++stats_.malformed;
    r.kind = RadiusAuthResult::Kind::kReject;
    r.reason = "RADIUS " + std::string(radius::CodeName(packet->code)) + " with a bad EAP-Message: " +
               radius::ToString(eap.error());
    Finish(key, std::move(r));
    return;
  }
  r.eap_message = std::move(*eap);
  switch (packet->code) {
    case radius::Code::kAccessChallenge: {
      ++stats_.challenges;
      const Bytes* state = packet->Find(radius::Attr::kState);
      s.state = state ? *state : Bytes();
      s.server = txn.server;
      if (r.eap_message.empty()) {
        r.kind = RadiusAuthResult::Kind::kReject;
        r.reason = "RADIUS Access-Challenge without EAP-Message";
      } else {
        r.kind = RadiusAuthResult::Kind::kChallenge;
      }
      break;
    }
    case radius::Code::kAccessAccept: {
      ++stats_.accepts;
      s.state.clear();
      s.server.reset();
      auto msk = radius::ExtractMsk(*packet, txn.authenticator, srv.secret.view());
      auto ip = radius::FramedIp(*packet);
      if (!msk || !ip) {
        r.kind = RadiusAuthResult::Kind::kReject;
        r.reason = "RADIUS Access-Accept with " + radius::ToString(!msk ? msk.error() : ip.error());
        break;
      }
      r.kind = RadiusAuthResult::Kind::kAccept;
      r.msk = std::move(*msk);
      // MSCHAPv2 gives two 16-octet keys; its peers (Windows, strongSwan)
      // pad the 32-octet MSK with zeros to 64 (RFC 3079 / draft-kamath).
      if (!r.msk.empty() && r.msk.size() < 64) r.msk.Resize(64);
      r.framed_ip = *ip;
      s.accepted = true;
      s.classes.clear();
      for (const auto& a : packet->attributes) {
        if (a.type == static_cast<uint8_t>(radius::Attr::kClass)) s.classes.push_back(a.value);
      }
      if (const Bytes* user = packet->Find(radius::Attr::kUserName)) s.user_name = *user;
      break;
    }
    default: {
      ++stats_.rejects;
      s.state.clear();
      s.server.reset();
      r.kind = RadiusAuthResult::Kind::kReject;
      r.reason = "RADIUS Access-Reject from " + srv.name;
      if (const Bytes* msg = packet->Find(radius::Attr::kReplyMessage)) {
        std::string text;
        for (uint8_t c : *msg) text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
        r.reason += ": " + text;
      }
      break;
    }
  }
  // A finished conversation keeps its session only for accounting (an
  // IKE_SA rekeyed away never reports going down: nothing may pile up).
  bool keep = r.kind == RadiusAuthResult::Kind::kChallenge ||
              (r.kind == RadiusAuthResult::Kind::kAccept && txn.settings->accounting) || s.acct_started;
  uint64_t session = txn.session;
  Finish(key, std::move(r));
  if (!keep) sessions_.erase(session);
}

// ---- accounting ----

bool RadiusClient::HasAccounting(uint64_t session) const {
  auto it = sessions_.find(session);
  return it != sessions_.end() && it->second->acct_started;
}

void RadiusClient::StartAccounting(uint64_t session, const RadiusAcctInfo& info, bool force) {
  if (!accounting()) return;
  auto it = sessions_.find(session);
  if (!force && (it == sessions_.end() || !it->second->accepted)) return;
  Session& s = GetSession(session);
  if (s.acct_started) return;
  s.acct_started = true;
  s.info = info;
  if (!info.user_name.empty()) s.user_name = info.user_name;
  s.started = Clock::now();
  char id[40];
  std::snprintf(id, sizeof(id), "%08x-%016llx", boot_, static_cast<unsigned long long>(session));
  s.acct_session_id = id;
  SendAccounting(session, radius::AcctStatus::kStart, radius::TerminateCause::kUserRequest, nullptr);
  ArmInterim(session);
}

void RadiusClient::ArmInterim(uint64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end() || !settings_ || settings_->interim_interval.count() <= 0) return;
  it->second->interim = loop_.AddTimerIn(settings_->interim_interval, [this, session] {
    auto s = sessions_.find(session);
    if (s == sessions_.end() || !s->second->acct_started) return;
    s->second->interim = 0;
    RadiusUsage usage = usage_ ? usage_(session) : RadiusUsage{};
    SendAccounting(session, radius::AcctStatus::kInterimUpdate, radius::TerminateCause::kUserRequest, &usage);
    ArmInterim(session);
  });
}

void RadiusClient::StopAccounting(uint64_t session, radius::TerminateCause cause, const RadiusUsage& usage) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (it->second->acct_started && configured()) SendAccounting(session, radius::AcctStatus::kStop, cause, &usage);
  if (it->second->interim) loop_.CancelTimer(it->second->interim);
  sessions_.erase(session);
}

void RadiusClient::RenameSession(uint64_t from, uint64_t to) {
  auto it = sessions_.find(from);
  if (it == sessions_.end() || from == to) return;
  std::unique_ptr<Session> s = std::move(it->second);
  sessions_.erase(it);
  if (s->interim) {
    loop_.CancelTimer(s->interim);
    s->interim = 0;
  }
  sessions_[to] = std::move(s);
  ArmInterim(to);
}

void RadiusClient::SendAccounting(uint64_t session, radius::AcctStatus status, radius::TerminateCause cause,
                                  const RadiusUsage* usage) {
  if (!configured()) return;
  Session& s = GetSession(session);
  auto txn = std::make_unique<Txn>();
  txn->kind = Txn::Kind::kAcct;
  txn->session = session;
  txn->settings = settings_;
  txn->server = preferred_;
  txn->acct_status = status;
  txn->log_context = LogContext{"", session, s.info.remote.ToString()};
  radius::Packet& p = txn->packet;
  p.code = radius::Code::kAccountingRequest;
  p.AddU32(radius::Attr::kAcctStatusType, static_cast<uint32_t>(status));
  p.AddString(radius::Attr::kAcctSessionId, s.acct_session_id);
  Bytes user = s.user_name;
  if (user.size() > radius::kMaxValueSize) user.resize(radius::kMaxValueSize);
  if (!user.empty()) p.Add(radius::Attr::kUserName, user);
  p.AddU32(radius::Attr::kServiceType, radius::kServiceTypeFramed);
  p.AddU32(radius::Attr::kAcctAuthentic, radius::kAcctAuthenticRadius);
  if (!s.info.local.address.IsUnspecified()) {
    p.AddAddress(s.info.local.address.is_v4() ? radius::Attr::kNasIpAddress : radius::Attr::kNasIpv6Address,
                 s.info.local.address);
  }
  p.AddString(radius::Attr::kNasIdentifier, settings_->nas_identifier.substr(0, radius::kMaxValueSize));
  p.AddU32(radius::Attr::kNasPort, static_cast<uint32_t>(session));
  p.AddU32(radius::Attr::kNasPortType, radius::kNasPortTypeVirtual);
  p.AddString(radius::Attr::kCalledStationId, s.info.local.ToString());
  p.AddString(radius::Attr::kCallingStationId, s.info.remote.ToString());
  if (s.info.framed_ip && s.info.framed_ip->is_v4()) p.AddAddress(radius::Attr::kFramedIpAddress, *s.info.framed_ip);
  for (const auto& c : s.classes) p.Add(radius::Attr::kClass, c);
  if (status != radius::AcctStatus::kStart) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - s.started).count();
    p.AddU32(radius::Attr::kAcctSessionTime, static_cast<uint32_t>(secs));
    if (usage) AddUsage(p, *usage);
  }
  if (status == radius::AcctStatus::kStop) p.AddU32(radius::Attr::kAcctTerminateCause, static_cast<uint32_t>(cause));
  ++stats_.acct_requests;
  Start(std::move(txn));
}

}  // namespace ike::charon
