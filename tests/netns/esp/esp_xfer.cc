// A bounded TCP transfer for the ESP end-to-end tests and the throughput
// bench: the client sends --bytes of a deterministic pattern, the server
// verifies every byte and answers one byte; both give up after --timeout.
//   esp_xfer --listen PORT --bytes N
//   esp_xfer --connect ADDR PORT --bytes N
// The client prints "bytes=N seconds=S mbit_s=R".
//   esp_xfer --encap-socket 4|6
// holds a UDP port-4500 socket with UDP_ENCAP_ESPINUDP for a kernel ESP peer
// (the kernel decapsulates ESP-in-UDP only on such a socket), with per-socket
// IPsec bypass policies as an IKE daemon sets them; prints "ready".
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint8_t PatternAt(uint64_t i) { return static_cast<uint8_t>((i * 131 + (i >> 12)) & 0xff); }

int Fail(const char* what) {
  std::perror(what);
  return 1;
}

int Server(const char* port, uint64_t bytes) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  int zero = 0, one = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(std::atoi(port)));
  a.sin6_addr = in6addr_any;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) return Fail("bind");
  if (listen(fd, 1) < 0) return Fail("listen");
  std::printf("listening\n");
  std::fflush(stdout);
  int c = accept(fd, nullptr, nullptr);
  if (c < 0) return Fail("accept");
  std::vector<uint8_t> buf(1 << 16);
  uint64_t got = 0;
  while (got < bytes) {
    ssize_t n = read(c, buf.data(), buf.size());
    if (n <= 0) {
      std::fprintf(stderr, "esp_xfer: connection ended after %llu of %llu bytes\n",
                   static_cast<unsigned long long>(got), static_cast<unsigned long long>(bytes));
      return 1;
    }
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != PatternAt(got + i)) {
        std::fprintf(stderr, "esp_xfer: corrupt byte at %llu\n",
                     static_cast<unsigned long long>(got + i));
        return 1;
      }
    }
    got += static_cast<uint64_t>(n);
  }
  uint8_t ok = 'K';
  if (write(c, &ok, 1) != 1) return Fail("ack");
  std::printf("received=%llu verified\n", static_cast<unsigned long long>(got));
  close(c);
  close(fd);
  return 0;
}

int Client(const char* host, const char* port, uint64_t bytes) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &res) != 0) return Fail("getaddrinfo");
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  auto start = std::chrono::steady_clock::now();
  if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) return Fail("connect");
  freeaddrinfo(res);
  std::vector<uint8_t> buf(1 << 16);
  uint64_t sent = 0;
  while (sent < bytes) {
    size_t n = std::min<uint64_t>(buf.size(), bytes - sent);
    for (size_t i = 0; i < n; ++i) buf[i] = PatternAt(sent + i);
    ssize_t w = write(fd, buf.data(), n);
    if (w <= 0) return Fail("write");
    sent += static_cast<uint64_t>(w);
  }
  uint8_t ack = 0;
  if (read(fd, &ack, 1) != 1 || ack != 'K') {
    std::fprintf(stderr, "esp_xfer: no acknowledgement from the server\n");
    return 1;
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("bytes=%llu seconds=%.3f mbit_s=%.1f\n", static_cast<unsigned long long>(sent),
              secs, static_cast<double>(sent) * 8 / secs / 1e6);
  close(fd);
  return 0;
}

int EncapSocket(int family) {
  const int af = family == 6 ? AF_INET6 : AF_INET;
  int fd = socket(af, SOCK_DGRAM, 0);
  int type = UDP_ENCAP_ESPINUDP;
  if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) return Fail("UDP_ENCAP");
  for (uint8_t dir : {XFRM_POLICY_IN, XFRM_POLICY_OUT}) {
    xfrm_userpolicy_info pol{};
    pol.sel.family = static_cast<uint16_t>(af);
    pol.dir = dir;
    pol.action = XFRM_POLICY_ALLOW;
    pol.lft.soft_byte_limit = pol.lft.hard_byte_limit = XFRM_INF;
    pol.lft.soft_packet_limit = pol.lft.hard_packet_limit = XFRM_INF;
    if (setsockopt(fd, af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
                   af == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY, &pol, sizeof(pol)) < 0) {
      return Fail("IP_XFRM_POLICY");
    }
  }
  sockaddr_storage ss{};
  socklen_t len;
  if (af == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(4500);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(4500);
    len = sizeof(*a);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) return Fail("bind 4500");
  std::printf("ready\n");
  std::fflush(stdout);
  pause();  // until killed; the timeout alarm bounds it
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t bytes = 1 << 20;
  unsigned timeout = 60;
  const char *listen_port = nullptr, *host = nullptr, *port = nullptr;
  int encap_family = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--listen" && i + 1 < argc) {
      listen_port = argv[++i];
    } else if (a == "--connect" && i + 2 < argc) {
      host = argv[++i];
      port = argv[++i];
    } else if (a == "--encap-socket" && i + 1 < argc) {
      encap_family = std::atoi(argv[++i]);
    } else if (a == "--bytes" && i + 1 < argc) {
      bytes = std::strtoull(argv[++i], nullptr, 0);
    } else if (a == "--timeout" && i + 1 < argc) {
      timeout = static_cast<unsigned>(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: esp_xfer (--listen PORT | --connect ADDR PORT | --encap-socket 4|6) "
                   "[--bytes N] [--timeout S]\n");
      return 2;
    }
  }
  alarm(timeout);  // bounded: SIGALRM ends a stuck transfer
  if (encap_family != 0) return EncapSocket(encap_family);
  if (listen_port != nullptr) return Server(listen_port, bytes);
  if (host != nullptr) return Client(host, port, bytes);
  std::fprintf(stderr, "esp_xfer: --listen or --connect required\n");
  return 2;
}
