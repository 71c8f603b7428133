// Feeds arbitrary bytes through the control frame decoder and the request
// and server-message parsers, as a hostile local client or daemon would.
#include <cstddef>
#include <cstdint>

#include "cli/control/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ike::control::FrameDecoder decoder;
  decoder.Append(ike::ByteView(data, size));
  for (int i = 0; i < 64; ++i) {
    auto frame = decoder.Next();
    if (!frame || !frame->has_value()) break;
    auto request = ike::control::ParseRequest(**frame);
    if (request) {
      // What parses must serialise and parse back to the same command.
      auto again = ike::control::ParseRequest(ike::control::ToJson(*request).dump());
      if (!again || again->command != request->command) __builtin_trap();
    }
    (void)ike::control::ParseServerMessage(**frame);
  }
  // The raw input as an unframed body too.
  std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)ike::control::ParseRequest(body);
  (void)ike::control::ParseServerMessage(body);
  return 0;
}
