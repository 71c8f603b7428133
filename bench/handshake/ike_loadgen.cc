// ike_loadgen: an IKEv2 load generator for the handshake benchmark. It drives
// many initiator IKE_SAs of the project's own sans-IO engine over one pair of
// real UDP sockets (ports 500 and 4500 of --local), each IKE_SA with its own
// identity (and, with --auth ecdsa, its own ECDSA P-256 certificate issued
// in-process by the given CA before the clock starts) and one CHILD_SA, with
// at most --window handshakes in flight. It counts an SA as established when
// the initiator has its CHILD_SA (IKE_AUTH response processed), and prints
// the rate, the latency distribution and the failures as one RESULT line.
//
// A benchmark tool, never a test: it does not pass or fail on the numbers.
// The CHILD_SAs are not installed anywhere (the initiator has no data path).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "libike/crypto/rng.h"
#include "libike/engine/engine.h"
#include "libike/engine/sa/proposal_convert.h"
#include "libike/proposal/proposal.h"
#include "tests/sim/cert_util.h"

namespace {

using namespace ike;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string local = "198.51.100.2";
  std::string remote = "198.51.100.1";
  std::string auth = "psk";  // psk | ecdsa
  std::string psk = "bench-psk-0123456789abcdef0123456789";
  std::string responder_id = "responder.bench.example";
  std::string ca_cert, ca_key;  // PEM, for --auth ecdsa
  std::string ike_proposal = "aes128gcm16-prfsha256-x25519";
  std::string esp_proposal = "aes128gcm16";
  std::string remote_ts = "203.0.113.0/24";
  std::string label = "run";
  std::string csv;  // per-SA latencies
  unsigned count = 200;
  unsigned window = 8;
  double timeout_s = 60;  // the whole run
};

[[noreturn]] void Die(const std::string& why) {
  std::cerr << "ike_loadgen: " << why << "\n";
  std::exit(2);
}

void Usage() {
  std::cerr << "usage: ike_loadgen [--local ADDR] [--remote ADDR] [--count N] [--window W]\n"
               "  [--auth psk|ecdsa] [--psk TEXT] [--ca-cert PEM --ca-key PEM] [--responder-id ID]\n"
               "  [--ike PROPOSAL] [--esp PROPOSAL] [--remote-ts CIDR] [--timeout S] [--label L] [--csv FILE]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (a == "--local") o.local = next();
    else if (a == "--remote") o.remote = next();
    else if (a == "--count") o.count = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--window") o.window = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--auth") o.auth = next();
    else if (a == "--psk") o.psk = next();
    else if (a == "--ca-cert") o.ca_cert = next();
    else if (a == "--ca-key") o.ca_key = next();
    else if (a == "--responder-id") o.responder_id = next();
    else if (a == "--ike") o.ike_proposal = next();
    else if (a == "--esp") o.esp_proposal = next();
    else if (a == "--remote-ts") o.remote_ts = next();
    else if (a == "--timeout") o.timeout_s = std::stod(next());
    else if (a == "--label") o.label = next();
    else if (a == "--csv") o.csv = next();
    else Usage();
  }
  if (o.auth != "psk" && o.auth != "ecdsa") Usage();
  if (o.auth == "ecdsa" && (o.ca_cert.empty() || o.ca_key.empty())) Die("--auth ecdsa needs --ca-cert and --ca-key");
  if (o.window == 0 || o.count == 0) Usage();
  return o;
}

// The CA given as PEM files, as DER for tests/sim/cert_util's issuer.
sim::KeyCert LoadCa(const std::string& cert_path, const std::string& key_path) {
  sim::KeyCert ca;
  FILE* f = std::fopen(cert_path.c_str(), "r");
  if (!f) Die("cannot open " + cert_path);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "r");
  if (!f) Die("cannot open " + key_path);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert || !key) Die("cannot parse the CA certificate or key");
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  ca.cert.assign(der, der + len);
  OPENSSL_free(der);
  der = nullptr;
  len = i2d_PrivateKey(key, &der);
  ca.key.assign(der, der + len);
  OPENSSL_free(der);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ca;
}

engine::ProposalList Proposals(const std::string& text, ProposalKind kind) {
  auto p = ParseProposals(text, kind);
  if (!p) Die("bad proposal '" + text + "': " + p.error().message);
  return engine::FromConfigProposals(*p);
}

class CounterSpis final : public engine::SpiAllocator {
 public:
  Result<uint32_t, std::string> AllocateSpi(const IpAddress&, const IpAddress&, ProtocolId,
                                            uint32_t) override {
    return next_++;
  }

 private:
  uint32_t next_ = 0xc0000001;
};

int BindUdp(const IpAddress& addr, uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket: " + std::string(std::strerror(errno)));
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  std::memcpy(&sin.sin_addr, addr.bytes().data(), 4);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    Die("bind " + Endpoint{addr, port}.ToString() + ": " + std::strerror(errno));
  }
  return fd;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

class LoadGen {
 public:
  explicit LoadGen(const Options& o)
      : o_(o), engine_(engine::Env{rng_, spis_, nullptr}) {
    auto l = IpAddress::Parse(o.local);
    auto r = IpAddress::Parse(o.remote);
    if (!l || !r || !l->is_v4() || !r->is_v4()) Die("--local/--remote must be IPv4 addresses");
    local_ = *l;
    remote_ = *r;
    fd500_ = BindUdp(local_, 500);
    fd4500_ = BindUdp(local_, 4500);
  }

  // Builds one connection per SA (distinct identity, certificate and inner
  // address) before the clock starts.
  void Configure() {
    auto ike = Proposals(o_.ike_proposal, ProposalKind::kIke);
    auto esp = Proposals(o_.esp_proposal, ProposalKind::kEsp);
    auto remote_ts = engine::TrafficSelector::Parse(o_.remote_ts);
    if (!remote_ts) Die("bad --remote-ts");
    auto responder_id = engine::Identity::Parse(o_.responder_id);
    if (!responder_id) Die("bad --responder-id");
    sim::KeyCert ca;
    if (o_.auth == "ecdsa") ca = LoadCa(o_.ca_cert, o_.ca_key);
    SecretBytes psk(AsBytes(o_.psk));
    for (unsigned i = 0; i < o_.count; ++i) {
      engine::PeerConfig c;
      c.name = "s" + std::to_string(i);
      c.local = Endpoint{local_, 500};
      c.remote = Endpoint{remote_, 500};
      c.ike_proposals = ike;
      std::string id = "i" + std::to_string(i) + ".bench.example";
      c.local_auth.id = *engine::Identity::Parse(id);
      c.remote_auth.id = *responder_id;
      if (o_.auth == "psk") {
        c.local_auth.kind = engine::AuthKind::kPsk;
        c.local_auth.psk = psk.Clone();
        c.remote_auth.kind = engine::AuthKind::kPsk;
        c.remote_auth.psk = psk.Clone();
      } else {
        sim::KeyCert kc = sim::MakeCert(sim::KeyKind::kEcP256, id, {id}, ca);
        c.local_auth.kind = engine::AuthKind::kPubkey;
        c.local_auth.certs = {kc.cert};
        c.local_auth.private_key_der = kc.key;
        c.remote_auth.kind = engine::AuthKind::kPubkey;
        c.remote_auth.ca_certs = {ca.cert};
      }
      c.retransmit.timeout = engine::Duration(2000);
      c.retransmit.tries = 3;
      engine::ChildConfig child;
      child.name = "net";
      // Inner addresses from 192.0.2.0/24; they repeat after 250 SAs.
      std::array<uint8_t, 4> inner{192, 0, 2, static_cast<uint8_t>(1 + i % 250)};
      child.local_ts = {engine::TrafficSelector::Host(IpAddress::V4(inner))};
      child.remote_ts = {*remote_ts};
      child.esp_proposals = esp;
      c.children.push_back(child);
      engine_.AddConfig(std::move(c));
    }
  }

  int Run() {
    start_ = Clock::now();
    double cpu0 = CpuSeconds();
    started_at_.assign(o_.count, -1);
    done_.assign(o_.count, false);
    auto deadline = start_ + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o_.timeout_s));
    while (finished_ < o_.count && Clock::now() < deadline) {
      while (next_ < o_.count && next_ - finished_ < o_.window) StartOne();
      Poll();
      FireTimers();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    double cpu = CpuSeconds() - cpu0;
    unsigned timed_out = o_.count - finished_;
    std::vector<double> lat;
    for (const auto& [i, ms] : latency_ms_) lat.push_back(ms);
    unsigned ok = static_cast<unsigned>(lat.size());
    double rate = elapsed > 0 ? ok / elapsed : 0;
    std::printf(
        "RESULT label=%s auth=%s n=%u window=%u established=%u failed=%u timed_out=%u elapsed_s=%.3f "
        "rate_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f gen_cpu_s=%.3f retransmits=%u "
        "drops=%s\n",
        o_.label.c_str(), o_.auth.c_str(), o_.count, o_.window, ok, failed_, timed_out, elapsed, rate,
        Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99), Percentile(lat, 100), cpu, retransmits_,
        engine_.counters().Total() ? engine_.counters().ToString().c_str() : "none");
    for (const auto& [reason, n] : failure_reasons_) {
      std::printf("FAILURE label=%s count=%u reason=%s\n", o_.label.c_str(), n, reason.c_str());
    }
    if (!o_.csv.empty()) {
      std::ofstream csv(o_.csv);
      csv << "label,index,start_ms,latency_ms\n";
      for (const auto& [i, ms] : latency_ms_) {
        csv << o_.label << "," << i << "," << started_at_[i] << "," << ms << "\n";
      }
    }
    return ok == o_.count ? 0 : 1;
  }

 private:
  engine::TimePoint Now() const {
    return std::chrono::duration_cast<engine::TimePoint>(Clock::now() - start_);
  }
  double NowMs() const { return std::chrono::duration<double, std::milli>(Clock::now() - start_).count(); }

  void StartOne() {
    unsigned i = next_++;
    started_at_[i] = NowMs();
    engine::Command cmd = engine::InitiateCommand{"s" + std::to_string(i), ""};
    Execute(engine_.Handle(cmd, Now()));
  }

  void Finish(unsigned i, const std::string* failure) {
    if (i >= o_.count || done_[i]) return;
    done_[i] = true;
    ++finished_;
    if (failure) {
      ++failed_;
      ++failure_reasons_[failure->empty() ? "unknown" : *failure];
    } else {
      latency_ms_.emplace_back(i, NowMs() - started_at_[i]);
    }
  }

  static unsigned IndexOf(const std::string& connection) {
    if (connection.size() < 2 || connection[0] != 's') return ~0u;
    return static_cast<unsigned>(std::stoul(connection.substr(1)));
  }

  void Execute(engine::Effects fx) {
    for (auto& e : fx) {
      if (auto* s = std::get_if<engine::SendDatagram>(&e)) {
        Send(*s);
      } else if (auto* t = std::get_if<engine::ArmTimer>(&e)) {
        Cancel(t->id);
        engine::TimePoint at = Now() + t->after;
        timers_[t->id] = at;
        queue_.emplace(at, t->id);
      } else if (auto* c = std::get_if<engine::CancelTimer>(&e)) {
        Cancel(c->id);
      } else if (auto* ev = std::get_if<engine::EmitEvent>(&e)) {
        const engine::Event& v = ev->event;
        unsigned i = IndexOf(v.connection);
        if (v.kind == engine::EventKind::kChildUp) {
          Finish(i, nullptr);
        } else if (v.kind == engine::EventKind::kIkeDown || v.kind == engine::EventKind::kChildDown) {
          Finish(i, &v.reason);
        }
      }
      // InstallSa / policies: the initiator has no data path here.
    }
  }

  void Cancel(const engine::TimerId& id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    queue_.erase({it->second, id});
    timers_.erase(it);
  }

  void FireTimers() {
    engine::TimePoint now = Now();
    while (!queue_.empty() && queue_.begin()->first <= now) {
      engine::TimerId id = queue_.begin()->second;
      queue_.erase(queue_.begin());
      timers_.erase(id);
      if (id.kind == engine::TimerKind::kRetransmit) ++retransmits_;
      Execute(engine_.Handle(engine::TimerFired{id}, now));
    }
  }

  void Send(const engine::SendDatagram& s) {
    int fd = s.from.port == 4500 ? fd4500_ : fd500_;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(s.to.port);
    std::memcpy(&to.sin_addr, s.to.address.bytes().data(), 4);
    for (;;) {
      ssize_t n = sendto(fd, s.bytes.data(), s.bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      if (n >= 0 || errno != EINTR) break;
    }
  }

  void Poll() {
    int timeout_ms = 20;
    if (!queue_.empty()) {
      auto until = queue_.begin()->first - Now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(until.count(), 0, 20));
    }
    pollfd pfd[2] = {{fd500_, POLLIN, 0}, {fd4500_, POLLIN, 0}};
    if (poll(pfd, 2, timeout_ms) <= 0) return;
    for (int k = 0; k < 2; ++k) {
      if (!(pfd[k].revents & POLLIN)) continue;
      uint16_t port = k == 0 ? 500 : 4500;
      for (int batch = 0; batch < 64; ++batch) {
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(pfd[k].fd, buf_, sizeof buf_, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0) break;
        std::array<uint8_t, 4> a;
        std::memcpy(a.data(), &from.sin_addr, 4);
        engine::Datagram dg{Endpoint{IpAddress::V4(a), ntohs(from.sin_port)}, Endpoint{local_, port},
                            Bytes(buf_, buf_ + n)};
        Execute(engine_.Handle(dg, Now()));
      }
    }
  }

  Options o_;
  crypto::OpenSslRng rng_;
  CounterSpis spis_;
  engine::Engine engine_;
  IpAddress local_, remote_;
  int fd500_ = -1, fd4500_ = -1;
  Clock::time_point start_;
  unsigned next_ = 0, finished_ = 0, failed_ = 0, retransmits_ = 0;
  std::vector<double> started_at_;
  std::vector<bool> done_;
  std::vector<std::pair<unsigned, double>> latency_ms_;
  std::map<std::string, unsigned> failure_reasons_;
  std::map<engine::TimerId, engine::TimePoint> timers_;
  std::set<std::pair<engine::TimePoint, engine::TimerId>> queue_;
  uint8_t buf_[65536];
};

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  LoadGen gen(o);
  gen.Configure();
  return gen.Run();
}
