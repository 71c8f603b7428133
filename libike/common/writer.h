// Writer: appends network-order fields to a byte vector, with length fields
// patched in place once the body is known.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libike/common/bytes.h"

namespace ike {

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}

  size_t size() const { return out_.size(); }

  void WriteU8(uint8_t v) { out_.push_back(v); }
  void WriteU16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void WriteU24(uint32_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 16));
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void WriteU32(uint32_t v) {
    WriteU16(static_cast<uint16_t>(v >> 16));
    WriteU16(static_cast<uint16_t>(v));
  }
  void WriteU64(uint64_t v) {
    WriteU32(static_cast<uint32_t>(v >> 32));
    WriteU32(static_cast<uint32_t>(v));
  }
  void WriteBytes(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void WriteZeros(size_t n) { out_.insert(out_.end(), n, 0); }

  // Overwrites a 16-bit field written earlier at `offset`.
  void PatchU16(size_t offset, uint16_t v) {
    if (offset + 2 > out_.size()) std::abort();
    out_[offset] = static_cast<uint8_t>(v >> 8);
    out_[offset + 1] = static_cast<uint8_t>(v);
  }
  void PatchU32(size_t offset, uint32_t v) {
    if (offset + 4 > out_.size()) std::abort();
    for (int i = 0; i < 4; ++i) out_[offset + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  }
  void PatchU8(size_t offset, uint8_t v) {
    if (offset >= out_.size()) std::abort();
    out_[offset] = v;
  }

 private:
  Bytes& out_;
};

}  // namespace ike
