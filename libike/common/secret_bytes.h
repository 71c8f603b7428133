// SecretBytes: key material. Move-only; wiped with OPENSSL_cleanse whenever
// its storage is released (destruction, move-assignment, resize, Clear). It has
// no stream operator: printing it does not compile. Compare with ConstantTimeEqual.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libike/common/bytes.h"

namespace ike {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);  // zero-filled
  explicit SecretBytes(ByteView data);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // An explicit copy: copies of secrets should be visible in the code.
  SecretBytes Clone() const { return SecretBytes(view()); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteView view() const { return ByteView(data_.data(), data_.size()); }
  MutableByteView mutable_view() { return MutableByteView(data_.data(), data_.size()); }
  uint8_t& operator[](size_t i) { return data_[i]; }
  uint8_t operator[](size_t i) const { return data_[i]; }

  // Appends bytes; reallocation wipes the old storage first.
  void Append(ByteView more);
  // Resizes (new bytes are zero); the old storage is wiped if it moves.
  void Resize(size_t size);
  void Clear();
  // A sub-range copy, e.g. slicing SK_ei out of a prf+ stream.
  SecretBytes Slice(size_t offset, size_t length) const;

 private:
  void Wipe();
  std::vector<uint8_t> data_;
};

// Constant-time comparison (CRYPTO_memcmp); false when the lengths differ.
bool ConstantTimeEqual(ByteView a, ByteView b);

}  // namespace ike
