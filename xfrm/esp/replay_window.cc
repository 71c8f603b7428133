#include "xfrm/esp/replay_window.h"

#include <algorithm>

namespace ike::esp {

ReplayWindow::ReplayWindow(uint32_t size, bool esn) : size_(std::min(size, kMaxSize)), esn_(esn) {
  // Enough blocks for size_ bits plus one spare block (RFC 6479 section 2).
  uint64_t needed = (uint64_t{size_} + 63) / 64 + 1;
  uint64_t n = 1;
  while (n < needed) n <<= 1;
  blocks_.assign(n, 0);
  block_mask_ = n - 1;
}

bool ReplayWindow::Seen(uint64_t seq) const {
  uint64_t block = blocks_[(seq >> 6) & block_mask_];
  return (block >> (seq & 63)) & 1;
}

Result<uint64_t, DropReason> ReplayWindow::Check(uint32_t seq_low) const {
  uint64_t seq;
  if (!esn_) {
    seq = seq_low;
    // Sequence number 0 is never sent (RFC 4303 3.3.3).
    if (seq == 0) return MakeUnexpected(DropReason::kOutsideWindow);
  } else {
    // RFC 4303 Appendix A2.2: place seq_low relative to the window bottom.
    // A window of 0 still infers with an implicit window of 1.
    const uint64_t w = std::max<uint32_t>(size_, 1);
    const uint32_t tl = static_cast<uint32_t>(top_);
    const uint32_t th = static_cast<uint32_t>(top_ >> 32);
    uint32_t seq_hi;
    if (tl >= w - 1) {
      // Case A: the window lies within one 2^32 subspace.
      const uint32_t bl = static_cast<uint32_t>(tl - (w - 1));
      seq_hi = seq_low >= bl ? th : th + 1;
    } else {
      // Case B: the window spans two subspaces.
      const uint32_t bl = static_cast<uint32_t>(tl - (w - 1));  // wraps
      // Nothing exists below subspace 0: there the packet can only be ahead.
      seq_hi = (seq_low >= bl && th != 0) ? th - 1 : th;
    }
    seq = (uint64_t{seq_hi} << 32) | seq_low;
    if (seq == 0) return MakeUnexpected(DropReason::kOutsideWindow);
  }
  if (size_ == 0 || seq > top_) return seq;
  if (seq + size_ <= top_) return MakeUnexpected(DropReason::kOutsideWindow);
  if (Seen(seq)) return MakeUnexpected(DropReason::kReplayed);
  return seq;
}

void ReplayWindow::Accept(uint64_t seq) {
  if (seq > top_) {
    if (size_ != 0) {
      uint64_t cur = top_ >> 6;
      uint64_t next = seq >> 6;
      uint64_t diff = std::min<uint64_t>(next - cur, blocks_.size());
      for (uint64_t i = 1; i <= diff; ++i) blocks_[(cur + i) & block_mask_] = 0;
    }
    top_ = seq;
  }
  if (size_ != 0) blocks_[(seq >> 6) & block_mask_] |= uint64_t{1} << (seq & 63);
}

}  // namespace ike::esp
