// libFuzzer target: DecodePayloadChain (the decrypted inner chain of an SK
// payload). The first input byte picks the first payload type (a known type
// most of the time), the second whether SK/SKF are allowed; the rest is the
// chain. Decoded chains must round-trip.
#include <cstddef>
#include <cstdint>

#include "libike/wire/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike::wire;
  if (size < 2) return 0;
  uint8_t pick = data[0];
  // 0..16 map onto NONE and the 16 modelled types; anything else is raw.
  static constexpr uint8_t kTypes[] = {0, 33, 34, 35, 36, 37, 38, 39, 40,
                                       41, 42, 43, 44, 45, 46, 47, 48, 53};
  uint8_t first = pick < sizeof(kTypes) ? kTypes[pick] : pick;
  bool allow_encrypted = (data[1] & 1) != 0;
  ike::ByteView chain(data + 2, size - 2);
  auto decoded = DecodePayloadChain(static_cast<PayloadType>(first), chain, allow_encrypted);
  if (!decoded) return 0;
  ike::Bytes encoded = EncodePayloadChain(*decoded);
  if (encoded.size() != chain.size()) __builtin_trap();
  auto again = DecodePayloadChain(FirstPayloadType(*decoded), encoded, allow_encrypted);
  if (!again || !(*again == *decoded)) __builtin_trap();
  return 0;
}
