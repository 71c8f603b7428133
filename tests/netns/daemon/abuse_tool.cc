// Bad input for the daemon tests: garbage on the control socket, and a
// bounded flood of malformed IKE datagrams at one address.
//   abuse_tool control-garbage SOCKET
//   abuse_tool ike-flood ADDRESS PORT COUNT SEED
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

std::string Frame(const std::string& body) {
  uint32_t n = static_cast<uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + body;
}

int ControlGarbage(const char* path) {
  // Each payload on its own connection: the daemon answers or closes, and
  // must stay up.
  const std::vector<std::string> payloads = {
      std::string("\xff\xff\xff\xff", 4),                   // oversized frame length
      std::string("\x00\x00\x00\x00", 4),                   // empty frame
      std::string("\x00\x00\x00\x05{nope", 9),              // invalid JSON
      std::string("\x00\x00\x00\x02[]", 6),                 // not an object
      Frame(R"({"version":1,"command":"reboot"})"),             // unknown command
      Frame(R"({"version":7,"command":"version"})"),            // unsupported version
      std::string("GET / HTTP/1.0\r\n\r\n"),                 // the wrong protocol
  };
  int answered = 0;
  for (const auto& p : payloads) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::perror("connect");
      return 1;
    }
    if (send(fd, p.data(), p.size(), MSG_NOSIGNAL) < 0) {
      std::perror("send");
    }
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 4) {
      ++answered;
      std::printf("answer: %.*s\n", static_cast<int>(n - 4), buf + 4);
    }
    close(fd);
  }
  std::printf("%d of %zu garbage requests answered with an error\n", answered, payloads.size());
  return answered >= 4 ? 0 : 1;
}

int IkeFlood(const char* address, int port, long count, unsigned seed) {
  if (count <= 0 || count > 1000000) {
    std::fprintf(stderr, "count must be 1..1000000\n");
    return 2;
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*sin);
  } else if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*sin6);
  } else {
    std::fprintf(stderr, "bad address %s\n", address);
    return 2;
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
  std::mt19937 rng(seed);
  std::vector<uint8_t> pkt;
  long sent = 0;
  for (long i = 0; i < count; ++i) {
    size_t size = 4 + rng() % 600;
    pkt.assign(size, 0);
    for (auto& b : pkt) b = static_cast<uint8_t>(rng());
    bool natt = port != 500;
    size_t off = 0;
    if (natt) {
      std::memset(pkt.data(), 0, 4);  // non-ESP marker: the garbage reaches the IKE parser
      off = 4;
    }
    if (pkt.size() >= off + 28) {
      switch (i % 4) {
        case 0:  // plausible header: version 2.0, IKE_SA_INIT, wrong length
          pkt[off + 17] = 0x20;
          pkt[off + 18] = 34;
          break;
        case 1:  // IKE_AUTH for an unknown SPI pair
          pkt[off + 17] = 0x20;
          pkt[off + 18] = 35;
          break;
        case 2:  // INFORMATIONAL, a response, random SPIs
          pkt[off + 17] = 0x20;
          pkt[off + 18] = 37;
          pkt[off + 19] = 0x20;
          break;
        default:  // pure noise
          break;
      }
    }
    if (sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) >= 0) ++sent;
    if (i % 256 == 255) usleep(1000);  // bounded rate: about 250k packets/s at most
  }
  close(fd);
  std::printf("sent %ld malformed IKE datagrams to %s port %d\n", sent, address, port);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "control-garbage") return ControlGarbage(argv[2]);
  if (argc == 6 && std::string(argv[1]) == "ike-flood") {
    return IkeFlood(argv[2], std::atoi(argv[3]), std::atol(argv[4]), static_cast<unsigned>(std::atol(argv[5])));
  }
  std::fprintf(stderr, "usage: abuse_tool control-garbage SOCKET | ike-flood ADDRESS PORT COUNT SEED\n");
  return 2;
}
