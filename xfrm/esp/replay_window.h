// The ESP anti-replay window (RFC 4303 section 3.4.3 and Appendix A) as an
// RFC 6479 ring bitmap: a power-of-two number of 64-bit blocks, one of which
// is always beyond the window, so advancing clears whole blocks instead of
// shifting bits. Window sizes up to 65536 packets.
//
// Check() is called before the ICV is verified and changes nothing;
// Accept() is called only after the ICV verified (strongSwan idiom 7).
#pragma once

#include <cstdint>
#include <vector>

#include "libike/common/result.h"
#include "xfrm/esp/drop_reason.h"

namespace ike::esp {

class ReplayWindow {
 public:
  static constexpr uint32_t kMaxSize = 65536;

  // size 0 disables replay protection (sequence numbers are still tracked so
  // that ESN high bits can be inferred). Sizes above kMaxSize are clamped.
  ReplayWindow(uint32_t size, bool esn);

  // Infers the full 64-bit sequence number of a received 32-bit low half
  // (RFC 4303 Appendix A2.2) and checks it against the window. Returns the
  // full number, or kReplayed / kOutsideWindow.
  Result<uint64_t, DropReason> Check(uint32_t seq_low) const;
  // Marks a verified packet's sequence number as seen and advances the window.
  void Accept(uint64_t seq);

  uint32_t size() const { return size_; }
  uint64_t top() const { return top_; }  // highest accepted sequence number

 private:
  bool Seen(uint64_t seq) const;

  uint32_t size_;
  bool esn_;
  uint64_t top_ = 0;
  std::vector<uint64_t> blocks_;  // ring; allocated once
  uint64_t block_mask_ = 0;
};

}  // namespace ike::esp
