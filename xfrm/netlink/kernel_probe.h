// What the running kernel can do for IPsec: a probe that tries to install one
// throwaway SA per algorithm (and removes each again), and a reader of
// /proc/crypto that names the driver serving each algorithm. The `auto`
// backend choice uses ProbeKernel; `ipsecctl list-algs` uses ListKernelAlgorithms.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xfrm/backend/backend.h"

namespace ike::xfrm::netlink {

class NetlinkBackend;

struct AlgorithmProbe {
  std::string name;     // e.g. "ESP AES-GCM-16 128 (rfc4106(gcm(aes)))"
  ProtocolId protocol = ProtocolId::kEsp;
  EncrId encr = EncrId::kAesGcm16;
  uint16_t key_bits = 0;
  IntegId integ = IntegId::kNone;
  bool available = false;
  std::string reason;  // the kernel's answer when not available
};

struct KernelProbeResult {
  BackendCapabilities capabilities;  // esp/ah plus notes saying why not
  std::vector<AlgorithmProbe> algorithms;
};

// Installs one SA per algorithm (random SPI, destination 127.0.0.1, no
// policy refers to it) in one batch, records what the kernel answered and
// deletes every SA it installed. Leaves nothing behind. Needs CAP_NET_ADMIN;
// without it the result says so.
KernelProbeResult ProbeKernel();
// The same through an already open request socket.
KernelProbeResult ProbeKernel(NetlinkBackend& backend);

// One /proc/crypto entry.
struct CryptoDriver {
  std::string name;    // algorithm, e.g. "gcm(aes)"
  std::string driver;  // implementation, e.g. "generic-gcm-aesni"
  std::string module;
  int priority = 0;
  std::string type;    // "aead", "skcipher", "shash", ...
  bool selftest_passed = true;
};

// Parses the text of /proc/crypto (pure).
std::vector<CryptoDriver> ParseProcCrypto(std::string_view text);

// For each algorithm the kernel backend uses: the best (highest priority)
// driver present, or none.
struct KernelAlgorithm {
  std::string ike_name;     // "AES-GCM-16", "HMAC-SHA2-256-128", ...
  std::string kernel_name;  // "rfc4106(gcm(aes))", "hmac(sha256)", ...
  bool present = false;
  std::string driver;
  int priority = 0;
  std::string note;  // e.g. "template not instantiated yet"
};
std::vector<KernelAlgorithm> MatchKernelAlgorithms(const std::vector<CryptoDriver>& drivers);
// Reads /proc/crypto (or `path`) and matches.
std::vector<KernelAlgorithm> ListKernelAlgorithms(const std::string& path = "/proc/crypto");

}  // namespace ike::xfrm::netlink
