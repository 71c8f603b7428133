// Fuzzes ESP decapsulation (RFC 4303) for every transform, the anti-replay
// window, the RFC 3948 port-4500 demultiplexer and the inner IP parser.
// Input: byte 0 picks the SA (transform, ESN, mode, window size), byte 1 the
// operation: raw ESP to decapsulate, or a plaintext that is encapsulated,
// optionally corrupted at one position, and decapsulated again (this reaches
// the code after the ICV check, which random ciphertext never passes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "xfrm/esp/esp_sa.h"
#include "xfrm/esp/ip_packet.h"
#include "xfrm/esp/udp_encap.h"

namespace {

using namespace ike;
using namespace ike::esp;

struct Config {
  TransformSpec spec;
  size_t enc_len;
  size_t integ_len;
};
const Config kConfigs[] = {
    {{EncrId::kAesGcm16, 128, IntegId::kNone}, 20, 0},
    {{EncrId::kAesGcm8, 256, IntegId::kNone}, 36, 0},
    {{EncrId::kChaCha20Poly1305, 256, IntegId::kNone}, 36, 0},
    {{EncrId::kAesCbc, 128, IntegId::kHmacSha1_96}, 16, 20},
    {{EncrId::kAesCbc, 256, IntegId::kHmacSha2_512_256}, 32, 64},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  (void)ClassifyUdp4500(ByteView(data, size));
  (void)ParseIpPacket(ByteView(data, size));

  const uint8_t sel = data[0];
  const uint8_t op = data[1];
  const Config& c = kConfigs[sel % 5];
  uint8_t enc_key[64], integ_key[64];
  std::memset(enc_key, 0x42, sizeof(enc_key));
  std::memset(integ_key, 0x24, sizeof(integ_key));
  EspSaConfig cfg;
  cfg.spi = 0x01020304;
  cfg.transform = c.spec;
  cfg.enc_key = ByteView(enc_key, c.enc_len);
  cfg.integ_key = ByteView(integ_key, c.integ_len);
  cfg.esn = (sel & 0x08) != 0;
  cfg.mode = (sel & 0x10) ? EspMode::kTransport : EspMode::kTunnel;
  cfg.replay_window = (sel & 0x20) ? 4096 : (sel & 0x40) ? 0 : 32;
  auto in = EspInboundSa::Create(cfg);
  if (!in) abort();

  ByteView rest(data + 2, size - 2);
  if ((op & 1) == 0) {
    std::vector<uint8_t> packet(rest.begin(), rest.end());
    (void)(*in)->Decapsulate(packet);
    // The same packet again: a replay unless it was dropped before the ICV.
    std::vector<uint8_t> again(rest.begin(), rest.end());
    (void)(*in)->Decapsulate(again);
    return 0;
  }
  cfg.initial_seq = (op & 2) ? 0xfffffff0u : 0;
  auto out = EspOutboundSa::Create(cfg);
  if (!out) abort();
  std::vector<uint8_t> buf(kMaxEspHeadroom + rest.size() + kMaxEspTailroom);
  if (!rest.empty()) std::memcpy(buf.data() + kMaxEspHeadroom, rest.data(), rest.size());
  auto esp = (*out)->Encapsulate(buf, kMaxEspHeadroom, rest.size(), op >> 2);
  if (!esp) return 0;
  if ((op & 4) && !esp->empty()) (*esp)[(op * 7u + rest.size()) % esp->size()] ^= 0x80;
  auto r = (*in)->Decapsulate(*esp);
  if (r && (op & 4) == 0 && cfg.mode == EspMode::kTransport &&
      (r->payload.size() != rest.size() ||
       (!rest.empty() && std::memcmp(r->payload.data(), rest.data(), rest.size()) != 0))) {
    abort();  // a clean round trip must give back the plaintext
  }
  return 0;
}
