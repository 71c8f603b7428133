// libFuzzer target: the IKEv1 (ISAKMP) codec on arbitrary datagrams.
// 1. DecodeMessage: whatever decodes must re-encode to the same length and
//    decode to the same Message (the encoder is the exact inverse).
// 2. DecodeDecryptedBody on the bytes after the header, with the header's
//    Next Payload as the first type (what the engine does after decrypting):
//    the chain must re-encode to the same bytes minus the padding.
#include <cstddef>
#include <cstdint>

#include "libike/ikev1/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike::v1;
  ike::ByteView input(data, size);
  auto decoded = DecodeMessage(input);
  if (decoded) {
    ike::Bytes encoded = EncodeMessage(*decoded);
    auto again = DecodeMessage(encoded);
    if (!again || !(*again == *decoded)) __builtin_trap();
    if (encoded.size() != size) __builtin_trap();
  } else {
    (void)IsakmpNotifyForError(decoded.error());
  }

  auto peeked = PeekHeader(input);
  if (!peeked) return 0;
  ike::ByteView plain = input.subspan(kHeaderSize);
  auto body = DecodeDecryptedBody(peeked->next_payload, plain);
  if (!body) return 0;
  ike::Bytes chain = EncodePayloadChain(body->payloads);
  if (chain.size() + body->padding != plain.size()) __builtin_trap();
  if (FirstPayloadType(body->payloads) != peeked->next_payload) __builtin_trap();
  auto again = DecodePayloadChain(FirstPayloadType(body->payloads), chain);
  if (!again || !(*again == body->payloads)) __builtin_trap();
  return 0;
}
