// The IKE UDP sockets: ports 500 and 4500 (configurable), IPv4 and IPv6,
// with IP_PKTINFO/IPV6_RECVPKTINFO so answers leave from the address a
// request came to. On the NAT-T port, datagrams carry the non-ESP marker
// (RFC 3948): IKE (marker first) goes to the engine as received, marker
// included, as the engine expects; ESP goes to the data path; NAT-keepalives
// are dropped. The engine's outgoing datagrams are wire-ready (it adds the
// marker on port 4500), so Send writes them unchanged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "charon/daemon/event_loop.h"
#include "libike/common/bytes.h"
#include "libike/common/ip_address.h"

namespace ike::charon {

struct ReceivedDatagram {
  Bytes data;       // as received (on the NAT-T port: marker included)
  Endpoint local;   // where it arrived
  Endpoint remote;  // who sent it
};

struct IkeSocketStats {
  uint64_t received = 0;
  uint64_t sent = 0;
  uint64_t send_errors = 0;
  uint64_t keepalives_received = 0;
  uint64_t esp_in_udp = 0;       // handed to the data path
  uint64_t dropped_short = 0;    // too short to be anything
};

class IkeSockets {
 public:
  struct Options {
    uint16_t port = 500;
    uint16_t natt_port = 4500;
    bool ipv4 = true;
    bool ipv6 = true;
    // The userspace data path owns the NAT-T port (it batches ESP-in-UDP
    // there): no NAT-T socket is opened here; IKE arriving on it is handed
    // in through InjectNatt and sent through the data path's sockets.
    bool natt_external = false;
  };
  using IkeHandler = std::function<void(ReceivedDatagram&&)>;
  // ESP-in-UDP that reached userspace (userspace backend): the raw ESP packet.
  using EspHandler = std::function<void(ByteView esp, const Endpoint& from, const Endpoint& to)>;

  IkeSockets() = default;
  ~IkeSockets();
  IkeSockets(const IkeSockets&) = delete;
  IkeSockets& operator=(const IkeSockets&) = delete;

  // Opens and binds the sockets. IPv6 is skipped (with a note in `notes`)
  // when the host has no IPv6.
  Result<void, std::string> Open(const Options& options, EventLoop& loop, IkeHandler on_ike,
                                 EspHandler on_esp, std::vector<std::string>& notes);
  void Close();

  // Sends a wire-ready datagram from `local` (its port selects the socket).
  bool Send(const Endpoint& local, const Endpoint& remote, ByteView datagram);
  // A NAT-keepalive (one 0xff byte) from the NAT-T port.
  bool SendKeepalive(const Endpoint& local, const Endpoint& remote);
  // Raw ESP-in-UDP from the NAT-T socket (userspace data path).
  bool SendEspInUdp(const Endpoint& local, const Endpoint& remote, ByteView esp);

  // With natt_external: the sockets to send NAT-T datagrams from, and IKE
  // that arrived there (the marker already removed by the data path).
  void SetExternalNattSocket(AddressFamily family, int fd);
  void InjectNatt(ByteView ike_without_marker, const Endpoint& from, const Endpoint& to);

  // The NAT-T sockets, so a kernel backend can enable UDP_ENCAP_ESPINUDP, and
  // all sockets for per-socket bypass policies.
  std::vector<int> natt_fds() const;
  std::vector<int> all_fds() const;
  const Options& options() const { return options_; }
  const IkeSocketStats& stats() const { return stats_; }

 private:
  struct Sock {
    int fd = -1;
    AddressFamily family;
    uint16_t port;
    bool natt;
  };
  Result<void, std::string> OpenOne(AddressFamily family, uint16_t port, bool natt, EventLoop& loop);
  void OnReadable(const Sock& s);
  bool SendRaw(const Endpoint& local, const Endpoint& remote, ByteView prefix, ByteView data, bool natt);

  Options options_;
  EventLoop* loop_ = nullptr;
  std::vector<Sock> socks_;
  std::vector<Sock> external_natt_;  // not owned, not polled
  IkeHandler on_ike_;
  EspHandler on_esp_;
  IkeSocketStats stats_;
};

}  // namespace ike::charon
