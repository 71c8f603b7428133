// ike-esp-static: one statically keyed ESP tunnel (or transport SA pair)
// through the userspace backend, until SIGTERM/SIGINT. For end-to-end tests
// and the demo until the daemon negotiates keys itself. Never use static
// keys in production: there is no rekeying and no forward secrecy.
#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "xfrm/userspace/userspace_backend.h"

namespace po = boost::program_options;
using namespace ike;
using namespace ike::xfrm;

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Algorithm {
  EncrId encr;
  uint16_t key_bits;
  IntegId integ;
};

// aes128gcm16, aes256gcm8, chacha20poly1305, aes128-sha1, aes256-sha256,
// aes192-sha384, aes256-sha512 (strongSwan proposal spelling).
bool ParseAlgorithm(const std::string& name, Algorithm& alg) {
  std::smatch m;
  if (name == "chacha20poly1305") {
    alg = {EncrId::kChaCha20Poly1305, 256, IntegId::kNone};
    return true;
  }
  if (std::regex_match(name, m, std::regex("aes(128|192|256)gcm(8|12|16)"))) {
    const int icv = std::stoi(m[2]);
    alg = {icv == 8 ? EncrId::kAesGcm8 : icv == 12 ? EncrId::kAesGcm12 : EncrId::kAesGcm16,
           static_cast<uint16_t>(std::stoi(m[1])), IntegId::kNone};
    return true;
  }
  if (std::regex_match(name, m, std::regex("aes(128|192|256)-(sha1|sha256|sha384|sha512)"))) {
    const std::string h = m[2];
    alg = {EncrId::kAesCbc, static_cast<uint16_t>(std::stoi(m[1])),
           h == "sha1"     ? IntegId::kHmacSha1_96
           : h == "sha256" ? IntegId::kHmacSha2_256_128
           : h == "sha384" ? IntegId::kHmacSha2_384_192
                           : IntegId::kHmacSha2_512_256};
    return true;
  }
  return false;
}

bool ParsePrefix(const std::string& text, IpAddress& addr, uint8_t& prefix) {
  auto slash = text.find('/');
  auto a = IpAddress::Parse(text.substr(0, slash));
  if (!a) return false;
  addr = *a;
  const int max = a->is_v4() ? 32 : 128;
  int p = max;
  if (slash != std::string::npos) {
    try {
      p = std::stoi(text.substr(slash + 1));
    } catch (...) {
      return false;
    }
  }
  if (p < 0 || p > max) return false;
  prefix = static_cast<uint8_t>(p);
  return true;
}

uint32_t ParseSpi(const std::string& text) {
  size_t used = 0;
  unsigned long v = std::stoul(text, &used, 0);
  if (used != text.size() || v < 256 || v > 0xffffffffUL) {
    throw std::runtime_error("SPI must be 256..0xffffffff: " + text);
  }
  return static_cast<uint32_t>(v);
}

SecretBytes ParseKey(std::string& hex, const char* what) {
  Bytes raw;
  if (!FromHex(hex, raw)) throw std::runtime_error(std::string(what) + ": not hex");
  SecretBytes key{ByteView(raw)};
  std::fill(raw.begin(), raw.end(), 0);
  std::fill(hex.begin(), hex.end(), '0');
  return key;
}

}  // namespace

int main(int argc, char** argv) {
  std::string local_s, remote_s, alg_s, spi_in_s, spi_out_s, tun, ready_file;
  std::string enc_in, enc_out, integ_in, integ_out;
  std::vector<std::string> local_ts, remote_ts, tun_addrs;
  uint16_t local_port = 4500, remote_port = 4500;
  uint32_t replay_window = 64, table = 220;
  int mtu = 1400;
  size_t workers = 0;
  po::options_description desc(
      "ike-esp-static: a statically keyed ESP tunnel through the userspace data path\n"
      "Usage: ike-esp-static --local A --remote B --spi-in X --spi-out Y --alg NAME\n"
      "                      --enc-key-in HEX --enc-key-out HEX [options]\n"
      "Runs until SIGTERM/SIGINT, then prints its counters to stderr.\nOptions");
  desc.add_options()
      ("help,h", "this text")
      ("local", po::value(&local_s)->required(), "local outer address")
      ("remote", po::value(&remote_s)->required(), "remote outer address")
      ("local-ts", po::value(&local_ts)->composing(),
       "local traffic selector, CIDR (repeatable; default: --local as a host)")
      ("remote-ts", po::value(&remote_ts)->composing(),
       "remote traffic selector, CIDR (repeatable; default: --remote as a host)")
      ("spi-in", po::value(&spi_in_s)->required(), "SPI of the inbound SA (hex 0x.. or decimal)")
      ("spi-out", po::value(&spi_out_s)->required(), "SPI of the outbound SA")
      ("alg", po::value(&alg_s)->default_value("aes128gcm16"),
       "aes{128,192,256}gcm{8,12,16} | chacha20poly1305 | aes{128,192,256}-sha{1,256,384,512}")
      ("enc-key-in", po::value(&enc_in)->required(),
       "inbound encryption key, hex (AEAD: key followed by the 4-byte salt)")
      ("enc-key-out", po::value(&enc_out)->required(), "outbound encryption key, hex")
      ("integ-key-in", po::value(&integ_in)->default_value(""), "inbound HMAC key, hex (CBC only)")
      ("integ-key-out", po::value(&integ_out)->default_value(""), "outbound HMAC key, hex")
      ("transport", "transport mode (default: tunnel)")
      ("udp-encap", "ESP in UDP (RFC 3948) instead of plain ESP")
      ("local-port", po::value(&local_port)->default_value(4500), "local UDP port with --udp-encap")
      ("remote-port", po::value(&remote_port)->default_value(4500), "remote UDP port with --udp-encap")
      ("esn", "64-bit extended sequence numbers")
      ("replay-window", po::value(&replay_window)->default_value(64), "anti-replay window, packets")
      ("tun", po::value(&tun)->default_value("ipsec0"), "TUN device name")
      ("tun-addr", po::value(&tun_addrs)->composing(), "address/prefix to put on the TUN device")
      ("mtu", po::value(&mtu)->default_value(1400), "TUN MTU")
      ("workers", po::value(&workers)->default_value(0),
       "data-plane threads, one TUN queue each (0: one per CPU)")
      ("no-offload", "do not use TUN TSO/checksum offload (IFF_VNET_HDR)")
      ("no-gro", "with offload: do not coalesce received TCP segments")
      ("no-udp-offload", "no UDP GSO (UDP_SEGMENT) / GRO (UDP_GRO) on the ESP-in-UDP socket")
      ("table", po::value(&table)->default_value(220), "routing table for the remote selectors")
      ("ready-file", po::value(&ready_file), "created once the tunnel is up");
  po::variables_map vm;
  Algorithm alg{};
  IpAddress local, remote;
  uint32_t spi_in = 0, spi_out = 0;
  SecretBytes k_enc_in, k_enc_out, k_integ_in, k_integ_out;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
    auto l = IpAddress::Parse(local_s), r = IpAddress::Parse(remote_s);
    if (!l || !r || l->family() != r->family()) {
      throw std::runtime_error("--local/--remote must be addresses of the same family");
    }
    local = *l;
    remote = *r;
    if (!ParseAlgorithm(alg_s, alg)) throw std::runtime_error("unknown --alg " + alg_s);
    spi_in = ParseSpi(spi_in_s);
    spi_out = ParseSpi(spi_out_s);
    k_enc_in = ParseKey(enc_in, "--enc-key-in");
    k_enc_out = ParseKey(enc_out, "--enc-key-out");
    k_integ_in = ParseKey(integ_in, "--integ-key-in");
    k_integ_out = ParseKey(integ_out, "--integ-key-out");
  } catch (const std::exception& e) {
    std::cerr << "ike-esp-static: " << e.what() << "\n\n" << desc << "\n";
    return 2;
  }
  const bool transport = vm.count("transport") != 0;
  const bool udp = vm.count("udp-encap") != 0;
  if (local_ts.empty()) local_ts.push_back(local.ToString());
  if (remote_ts.empty()) remote_ts.push_back(remote.ToString());

  UserspaceOptions opt;
  opt.tun_name = tun;
  opt.tun_mtu = mtu;
  opt.workers = workers;
  opt.tun_offload = vm.count("no-offload") == 0;
  opt.tun_gro = vm.count("no-gro") == 0;
  opt.udp_gso = opt.udp_gro = vm.count("no-udp-offload") == 0;
  opt.route_table = table;
  opt.own_udp_sockets = udp;
  opt.udp_port = local_port;
  UserspaceBackend backend(opt);
  auto fail = [](const char* what, const BackendError& e) {
    std::cerr << "ike-esp-static: " << what << ": " << e.ToString() << "\n";
    return 1;
  };
  if (auto r = backend.Start(); !r) return fail("start", r.error());
  for (const auto& a : tun_addrs) {
    IpAddress addr;
    uint8_t prefix = 0;
    if (!ParsePrefix(a, addr, prefix)) {
      std::cerr << "ike-esp-static: bad --tun-addr " << a << "\n";
      return 2;
    }
    if (auto r = backend.AddTunAddress(addr, prefix); !r) return fail("TUN address", r.error());
  }

  const Mode mode = transport ? Mode::kTransport : Mode::kTunnel;
  auto make_sa = [&](Direction dir) {
    SaParams sa;
    const bool in = dir == Direction::kIn;
    sa.id.dst = in ? local : remote;
    sa.id.spi = in ? spi_in : spi_out;
    sa.src = in ? remote : local;
    sa.direction = dir;
    sa.mode = mode;
    sa.reqid = 1;
    sa.encr = alg.encr;
    sa.encr_key_bits = alg.key_bits;
    sa.integ = alg.integ;
    sa.enc_key = in ? std::move(k_enc_in) : std::move(k_enc_out);
    sa.integ_key = in ? std::move(k_integ_in) : std::move(k_integ_out);
    sa.esn = vm.count("esn") != 0;
    sa.replay_window = replay_window;
    if (udp) sa.encap = Encap{in ? remote_port : local_port, in ? local_port : remote_port};
    return sa;
  };
  if (auto r = backend.AddSa(make_sa(Direction::kIn)); !r) return fail("inbound SA", r.error());
  if (auto r = backend.AddSa(make_sa(Direction::kOut)); !r) return fail("outbound SA", r.error());

  for (const auto& lt : local_ts) {
    for (const auto& rt : remote_ts) {
      Selector out_sel;
      if (!ParsePrefix(lt, out_sel.src, out_sel.src_prefix) ||
          !ParsePrefix(rt, out_sel.dst, out_sel.dst_prefix) ||
          out_sel.src.family() != out_sel.dst.family()) {
        std::cerr << "ike-esp-static: bad traffic selector pair " << lt << " " << rt << "\n";
        return 2;
      }
      out_sel.src = out_sel.src.Masked(out_sel.src_prefix);
      out_sel.dst = out_sel.dst.Masked(out_sel.dst_prefix);
      for (Direction dir : {Direction::kOut, Direction::kIn}) {
        PolicyParams p;
        p.direction = dir;
        p.selector = out_sel;
        if (dir == Direction::kIn) {
          std::swap(p.selector.src, p.selector.dst);
          std::swap(p.selector.src_prefix, p.selector.dst_prefix);
        }
        const bool in = dir == Direction::kIn;
        p.templates.push_back(
            PolicyTemplate{ProtocolId::kEsp, mode, in ? remote : local, in ? local : remote, 1});
        if (auto r = backend.AddPolicy(p); !r) return fail("policy", r.error());
      }
    }
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::cerr << "ike-esp-static: " << (transport ? "transport" : "tunnel") << " " << alg_s
            << (udp ? " in UDP" : "") << " " << local.ToString() << " <-> " << remote.ToString()
            << " on " << backend.tun_name() << " (" << backend.worker_count() << " workers"
            << (backend.tun_offload_active() ? ", TSO offload" : "")
            << (backend.tun_gro_active() ? ", GRO" : "") << "; " << backend.OffloadSummary()
            << ") up\n";
  for (const auto& note : backend.TakeNotes()) std::cerr << "ike-esp-static: " << note << "\n";
  if (!ready_file.empty()) std::ofstream(ready_file) << getpid() << "\n";
  while (!g_stop) sleep(1);  // signals interrupt the sleep

  UserspaceStats s = backend.stats();
  backend.Stop();
  std::cerr << "ike-esp-static: out_packets=" << s.out_packets << " in_packets=" << s.in_packets
            << " keepalives=" << s.keepalives << " ike=" << s.ike_datagrams
            << " send_errors=" << s.send_errors << " gso_sends=" << s.gso_sends
            << " gso_fallbacks=" << s.gso_fallbacks << " gro_receives=" << s.gro_receives;
  for (size_t i = 0; i < s.drops.count.size(); ++i) {
    if (s.drops.count[i] != 0) {
      std::cerr << " drop_" << esp::DropReasonName(static_cast<esp::DropReason>(i)) << "="
                << s.drops.count[i];
    }
  }
  std::cerr << "\n";
  return 0;
}
