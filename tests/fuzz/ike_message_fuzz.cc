// libFuzzer target: DecodeMessage on arbitrary datagrams. Whatever decodes
// must re-encode and decode to the same Message (the encoder is the exact
// inverse of the decoder), and the SK layout must agree with the decode.
#include <cstddef>
#include <cstdint>

#include "libike/wire/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike::wire;
  ike::ByteView input(data, size);
  auto decoded = DecodeMessage(input);
  if (!decoded) {
    (void)NotifyForError(decoded.error());
    return 0;
  }
  ike::Bytes encoded = EncodeMessage(*decoded);
  auto again = DecodeMessage(encoded);
  if (!again || !(*again == *decoded)) __builtin_trap();
  // Canonical input (reserved bits zero) re-encodes byte for byte; in any
  // case the lengths agree.
  if (encoded.size() != size) __builtin_trap();
  auto layout = LocateSk(input);
  bool has_sk = !decoded->payloads.empty() &&
                (std::holds_alternative<SkPayload>(decoded->payloads.back()) ||
                 std::holds_alternative<SkfPayload>(decoded->payloads.back()));
  if (layout.has_value() != has_sk) __builtin_trap();
  return 0;
}
