// Reader: a bounded cursor over untrusted bytes (network order). Every read
// checks the remaining length first and returns false instead of reading past
// the end; a failed read leaves the cursor where it was.
#pragma once

#include <cstddef>
#include <cstdint>

#include "libike/common/bytes.h"

namespace ike {

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }
  ByteView rest() const { return data_.subspan(pos_); }

  bool ReadU8(uint8_t& out) {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool ReadU24(uint32_t& out) {
    if (remaining() < 3) return false;
    out = uint32_t{data_[pos_]} << 16 | uint32_t{data_[pos_ + 1]} << 8 | data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  bool ReadU32(uint32_t& out) {
    if (remaining() < 4) return false;
    out = uint32_t{data_[pos_]} << 24 | uint32_t{data_[pos_ + 1]} << 16 |
          uint32_t{data_[pos_ + 2]} << 8 | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  bool ReadU64(uint64_t& out) {
    uint32_t hi, lo;
    if (remaining() < 8) return false;
    ReadU32(hi);
    ReadU32(lo);
    out = uint64_t{hi} << 32 | lo;
    return true;
  }
  // A view of the next n bytes (no copy).
  bool ReadBytes(size_t n, ByteView& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool ReadBytes(size_t n, Bytes& out) {
    ByteView v;
    if (!ReadBytes(n, v)) return false;
    out.assign(v.begin(), v.end());
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  bool PeekU8(uint8_t& out) const {
    if (remaining() < 1) return false;
    out = data_[pos_];
    return true;
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace ike
