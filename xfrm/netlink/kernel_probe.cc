#include "xfrm/netlink/kernel_probe.h"

#include <sys/random.h>

#include <fstream>
#include <map>
#include <sstream>

#include "xfrm/netlink/netlink_backend.h"
#include "xfrm/netlink/xfrm_codec.h"

namespace ike::xfrm::netlink {
namespace {

struct ProbeSpec {
  const char* name;
  ProtocolId protocol;
  EncrId encr;
  uint16_t key_bits;
  IntegId integ;
};

constexpr ProbeSpec kProbes[] = {
    {"ESP AES-GCM-16 128", ProtocolId::kEsp, EncrId::kAesGcm16, 128, IntegId::kNone},
    {"ESP AES-GCM-16 256", ProtocolId::kEsp, EncrId::kAesGcm16, 256, IntegId::kNone},
    {"ESP ChaCha20-Poly1305", ProtocolId::kEsp, EncrId::kChaCha20Poly1305, 256, IntegId::kNone},
    {"ESP AES-CBC 128 + HMAC-SHA1-96", ProtocolId::kEsp, EncrId::kAesCbc, 128,
     IntegId::kHmacSha1_96},
    {"ESP AES-CBC 256 + HMAC-SHA2-256-128", ProtocolId::kEsp, EncrId::kAesCbc, 256,
     IntegId::kHmacSha2_256_128},
    {"ESP AES-CBC 256 + HMAC-SHA2-384-192", ProtocolId::kEsp, EncrId::kAesCbc, 256,
     IntegId::kHmacSha2_384_192},
    {"ESP AES-CBC 256 + HMAC-SHA2-512-256", ProtocolId::kEsp, EncrId::kAesCbc, 256,
     IntegId::kHmacSha2_512_256},
    {"AH HMAC-SHA2-256-128", ProtocolId::kAh, EncrId::kNull, 0, IntegId::kHmacSha2_256_128},
};

uint32_t RandomSpi() {
  uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) != sizeof v) v = 0x5eed0000;
  return 0x10000000u | (v & 0x0fffffffu);  // away from the small SPIs tests use
}

}  // namespace

KernelProbeResult ProbeKernel(NetlinkBackend& backend) {
  KernelProbeResult result;
  std::vector<Request> requests;
  std::vector<SaId> ids;
  const IpAddress loopback = IpAddress::V4(0x7f000001);
  for (const ProbeSpec& spec : kProbes) {
    AlgorithmProbe probe;
    probe.name = spec.name;
    probe.protocol = spec.protocol;
    probe.encr = spec.encr;
    probe.key_bits = spec.key_bits;
    probe.integ = spec.integ;
    auto algs = MapAlgorithms(spec.protocol, spec.encr, spec.key_bits, spec.integ);
    SaParams sa;
    sa.id = SaId{loopback, RandomSpi(), spec.protocol, {}};
    sa.src = loopback;
    sa.mode = Mode::kTransport;
    sa.encr = spec.encr;
    sa.encr_key_bits = spec.key_bits;
    sa.integ = spec.integ;
    if (algs) {
      sa.enc_key = SecretBytes(algs->enc_key_bytes);
      sa.integ_key = SecretBytes(algs->integ_key_bytes);
      probe.name += " (" + (algs->aead.empty() ? algs->crypt : algs->aead);
      if (!algs->auth.empty()) probe.name += (algs->crypt.empty() ? "" : " + ") + algs->auth;
      probe.name += ")";
      // Zero-length crypt for AH is not sent.
      if (spec.protocol == ProtocolId::kAh) probe.name = std::string(spec.name) + " (" + algs->auth + ")";
    }
    auto r = EncodeSa(sa, false);
    if (!r) {
      probe.reason = r.error().ToString();
    } else {
      requests.push_back(std::move(*r));
      ids.push_back(sa.id);
    }
    result.algorithms.push_back(std::move(probe));
  }
  auto answers = backend.request_socket().Transact(requests);
  requests.clear();
  std::vector<Request> cleanup;
  bool permission = false;
  for (size_t i = 0, j = 0; i < result.algorithms.size(); ++i) {
    AlgorithmProbe& probe = result.algorithms[i];
    if (!probe.reason.empty()) continue;
    auto& answer = answers[j];
    if (answer) {
      probe.available = true;
      cleanup.push_back(EncodeDeleteSa(ids[j]));
    } else {
      probe.reason = answer.error().ToString();
      if (answer.error().code == BackendError::Code::kPermission) permission = true;
    }
    ++j;
  }
  for (auto& r : backend.request_socket().Transact(cleanup)) {
    if (!r) result.capabilities.notes.push_back("probe cleanup failed: " + r.error().ToString());
  }
  for (const AlgorithmProbe& probe : result.algorithms) {
    if (!probe.available) continue;
    if (probe.protocol == ProtocolId::kEsp) result.capabilities.esp = true;
    if (probe.protocol == ProtocolId::kAh) result.capabilities.ah = true;
  }
  if (permission) {
    result.capabilities.notes.push_back(
        "the kernel refused the probe: missing CAP_NET_ADMIN, cannot use kernel IPsec");
  }
  if (!result.capabilities.esp) {
    std::string why = "kernel ESP unavailable";
    for (const AlgorithmProbe& probe : result.algorithms) {
      if (probe.protocol == ProtocolId::kEsp && !probe.reason.empty()) {
        why += ": " + probe.name + " -> " + probe.reason;
        break;
      }
    }
    result.capabilities.notes.push_back(why);
  }
  if (!result.capabilities.ah) result.capabilities.notes.push_back("kernel AH unavailable");
  for (const AlgorithmProbe& probe : result.algorithms) {
    if (!probe.available && probe.protocol == ProtocolId::kEsp && result.capabilities.esp) {
      result.capabilities.notes.push_back(probe.name + " unavailable: " + probe.reason);
    }
  }
  return result;
}

KernelProbeResult ProbeKernel() {
  auto backend = NetlinkBackend::Open(NetlinkBackendOptions{.events = false});
  if (!backend) {
    KernelProbeResult result;
    result.capabilities.notes.push_back("cannot talk to the kernel's XFRM: " +
                                        backend.error().ToString());
    return result;
  }
  return ProbeKernel(**backend);
}

std::vector<CryptoDriver> ParseProcCrypto(std::string_view text) {
  std::vector<CryptoDriver> out;
  CryptoDriver current;
  bool have = false;
  auto flush = [&] {
    if (have && !current.name.empty()) out.push_back(current);
    current = CryptoDriver{};
    have = false;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    size_t colon = line.find(':');
    if (line.empty() || colon == std::string_view::npos) {
      if (line.empty()) flush();
      continue;
    }
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
      return s;
    };
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    have = true;
    if (key == "name") current.name = value;
    else if (key == "driver") current.driver = value;
    else if (key == "module") current.module = value;
    else if (key == "type") current.type = value;
    else if (key == "selftest") current.selftest_passed = value == "passed";
    else if (key == "priority") {
      int p = 0;
      bool neg = false;
      for (char c : value) {
        if (c == '-') neg = true;
        else if (c >= '0' && c <= '9' && p < 100000000) p = p * 10 + (c - '0');
      }
      current.priority = neg ? -p : p;
    }
  }
  flush();
  return out;
}

std::vector<KernelAlgorithm> MatchKernelAlgorithms(const std::vector<CryptoDriver>& drivers) {
  struct Want {
    const char* ike;
    const char* kernel;
    const char* fallback;  // what the template builds on
  };
  static constexpr Want kWanted[] = {
      {"AES-GCM (ESP)", "rfc4106(gcm(aes))", "gcm(aes)"},
      {"ChaCha20-Poly1305 (ESP)", "rfc7539esp(chacha20,poly1305)", "chacha20"},
      {"AES-CBC", "cbc(aes)", "aes"},
      {"HMAC-SHA1-96", "hmac(sha1)", "sha1"},
      {"HMAC-SHA2-256-128", "hmac(sha256)", "sha256"},
      {"HMAC-SHA2-384-192", "hmac(sha384)", "sha384"},
      {"HMAC-SHA2-512-256", "hmac(sha512)", "sha512"},
  };
  auto best = [&](std::string_view name) -> const CryptoDriver* {
    const CryptoDriver* found = nullptr;
    for (const auto& d : drivers) {
      if (d.name == name && d.selftest_passed && (!found || d.priority > found->priority)) {
        found = &d;
      }
    }
    return found;
  };
  std::vector<KernelAlgorithm> out;
  for (const Want& w : kWanted) {
    KernelAlgorithm a;
    a.ike_name = w.ike;
    a.kernel_name = w.kernel;
    if (const CryptoDriver* d = best(w.kernel)) {
      a.present = true;
      a.driver = d->driver;
      a.priority = d->priority;
    } else if (const CryptoDriver* f = best(w.fallback)) {
      a.driver = f->driver;
      a.priority = f->priority;
      a.note = std::string("not instantiated yet; builds on ") + w.fallback + " (" + f->driver + ")";
    } else {
      a.note = "not in /proc/crypto (module not loaded or not built)";
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<KernelAlgorithm> ListKernelAlgorithms(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return MatchKernelAlgorithms(ParseProcCrypto(text.str()));
}

}  // namespace ike::xfrm::netlink
