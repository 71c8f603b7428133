// Fuzzes SK payload decryption (ICV check, padding) for every suite, and
// checks that Protect/Unprotect round-trip the input.
//   byte 0: suite, byte 1: AAD length, then AAD, then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "libike/crypto/algorithms.h"
#include "libike/crypto/sk_cipher.h"

using namespace ike;
using namespace ike::crypto;

namespace {
struct Suite {
  EncrId encr;
  uint16_t bits;
  IntegId integ;
};
const Suite kSuites[] = {
    {EncrId::kAesCbc, 128, IntegId::kHmacSha1_96},        {EncrId::kAesCbc, 256, IntegId::kHmacSha2_256_128},
    {EncrId::kAesCbc, 192, IntegId::kHmacSha2_512_256},   {EncrId::kAesCbc, 128, IntegId::kAesXcbc96},
    {EncrId::kAesCbc, 128, IntegId::kAesCmac96},          {EncrId::kAesGcm8, 128, IntegId::kNone},
    {EncrId::kAesGcm12, 256, IntegId::kNone},             {EncrId::kAesGcm16, 256, IntegId::kNone},
    {EncrId::kChaCha20Poly1305, 0, IntegId::kNone},
};
constexpr size_t kNumSuites = sizeof(kSuites) / sizeof(kSuites[0]);

std::vector<SkCipher>& Ciphers() {
  static std::vector<SkCipher>* ciphers = [] {
    auto* v = new std::vector<SkCipher>();
    for (const Suite& s : kSuites) {
      Bytes sk_e(*EncrKeyMaterialSize(s.encr, s.bits), 0x42);
      Bytes sk_a(*IntegKeySize(s.integ), 0x24);
      v->push_back(std::move(SkCipher::Create(s.encr, s.bits, s.integ, sk_e, sk_a)).value());
    }
    return v;
  }();
  return *ciphers;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const SkCipher& c = Ciphers()[data[0] % kNumSuites];
  size_t aad_len = data[1];
  if (aad_len > size - 2) aad_len = size - 2;
  ByteView aad(data + 2, aad_len);
  ByteView body(data + 2 + aad_len, size - 2 - aad_len);

  auto plain = c.Unprotect(aad, body);
  if (plain && plain->size() >= body.size()) std::abort();

  // Round trip: the body bytes as inner payloads.
  DeterministicRng rng(size);
  auto sealed = c.Protect(aad, body, rng);
  if (!sealed || sealed->size() != c.BodySize(body.size())) std::abort();
  auto opened = c.Unprotect(aad, *sealed);
  if (!opened || *opened != Bytes(body.begin(), body.end())) std::abort();
  return 0;
}
