// libFuzzer target: the RADIUS codec (libike/eap/radius.h). Arbitrary bytes
// are decoded as a reply; a decoded packet must re-encode to the bytes its
// Length covers, and every attribute helper (EAP-Message join, vendor
// attributes, MS-MPPE keys, Framed-IP-Address, authenticator checks) must
// return a value or an error, never crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "libike/eap/radius.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike::radius;
  ike::ByteView in(data, size);
  auto p = Decode(in);
  if (!p) return 0;
  auto enc = Encode(*p);
  if (!enc) __builtin_trap();
  size_t length = static_cast<size_t>(data[2] << 8 | data[3]);
  if (enc->size() != length || !std::equal(enc->begin(), enc->end(), data)) __builtin_trap();
  static const uint8_t kSecret[] = {'t', 'e', 's', 't', 'i', 'n', 'g', '1', '2', '3'};
  Authenticator req{};
  (void)VerifyResponse(in, *p, req, kSecret, false);
  (void)VerifyRequest(in, *p, kSecret);
  (void)JoinEapMessage(*p);
  (void)FramedIp(*p);
  (void)ExtractMsk(*p, req, kSecret);
  for (const auto& a : p->attributes) {
    if (a.type == static_cast<uint8_t>(Attr::kVendorSpecific)) {
      auto v = DecodeVendorSpecific(a.value);
      if (v) {
        for (const auto& s : *v) (void)DecryptMppeKey(s.value, req, kSecret);
      }
    }
  }
  return 0;
}
