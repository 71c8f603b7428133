// Fuzzes peer KE data validation for every supported group.
//   byte 0: group, rest: the peer's public value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "libike/crypto/key_exchange.h"

using namespace ike;
using namespace ike::crypto;

namespace {
const KeGroup kGroups[] = {KeGroup::kModp2048, KeGroup::kEcp256,     KeGroup::kEcp384,
                           KeGroup::kEcp521,   KeGroup::kCurve25519, KeGroup::kCurve448};
constexpr size_t kNumGroups = sizeof(kGroups) / sizeof(kGroups[0]);

std::vector<KeyExchange>& Exchanges() {
  static std::vector<KeyExchange>* kex = [] {
    auto* v = new std::vector<KeyExchange>();
    DeterministicRng rng(7);
    for (KeGroup g : kGroups) v->push_back(std::move(KeyExchange::Create(g, rng)).value());
    return v;
  }();
  return *kex;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t index = data[0] % kNumGroups;
  const KeyExchange& kex = Exchanges()[index];
  ByteView peer(data + 1, size - 1);
  auto shared = kex.ComputeShared(peer);
  if (shared) {
    if (shared->size() != *KeyExchange::SharedSecretSize(kGroups[index])) std::abort();
    if (peer.size() != *KeyExchange::PublicValueSize(kGroups[index])) std::abort();
  }
  return 0;
}
