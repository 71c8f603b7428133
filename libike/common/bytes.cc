#include "libike/common/bytes.h"

#include <cstdlib>

#include <openssl/crypto.h>

#include "libike/common/secret_bytes.h"

namespace ike {

std::string ToHex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool FromHex(std::string_view hex, Bytes& out) {
  out.clear();
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == ':' || c == '\n' || c == '\t' || c == '\r') continue;
    int v = HexValue(c);
    if (v < 0) return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return high < 0;
}

Bytes HexOrDie(std::string_view hex) {
  Bytes out;
  if (!FromHex(hex, out)) std::abort();
  return out;
}

SecretBytes::SecretBytes(size_t size) : data_(size, 0) {}
SecretBytes::SecretBytes(ByteView data) : data_(data.begin(), data.end()) {}
SecretBytes::~SecretBytes() { Wipe(); }
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.clear();
}
SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

void SecretBytes::Wipe() {
  if (data_.capacity() > 0) OPENSSL_cleanse(data_.data(), data_.capacity());
  data_.clear();
}

void SecretBytes::Append(ByteView more) {
  size_t old = data_.size();
  Resize(old + more.size());
  for (size_t i = 0; i < more.size(); ++i) data_[old + i] = more[i];
}

void SecretBytes::Resize(size_t size) {
  if (size <= data_.capacity()) {
    if (size < data_.size()) OPENSSL_cleanse(data_.data() + size, data_.size() - size);
    data_.resize(size, 0);
    return;
  }
  std::vector<uint8_t> bigger;
  bigger.reserve(size);
  bigger.assign(data_.begin(), data_.end());
  bigger.resize(size, 0);
  Wipe();
  data_ = std::move(bigger);
}

void SecretBytes::Clear() { Wipe(); }

SecretBytes SecretBytes::Slice(size_t offset, size_t length) const {
  if (offset > data_.size() || length > data_.size() - offset) std::abort();
  return SecretBytes(ByteView(data_.data() + offset, length));
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ike
