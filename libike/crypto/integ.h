// IKEv2 integrity transforms (RFC 7296 3.3.2 type 3): HMAC-SHA1-96
// (RFC 2404), HMAC-SHA2-256-128 / 384-192 / 512-256 (RFC 4868),
// AES-XCBC-96 (RFC 3566) and AES-CMAC-96 (RFC 4494). The ICV is the MAC
// truncated to icv_size() bytes; Verify compares in constant time.
#pragma once

#include <initializer_list>
#include <span>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/mac.h"

namespace ike::crypto {

class Integ {
 public:
  // `key` must have IntegKeySize(id) bytes (kInvalidKeyLength otherwise).
  static CryptoResult<Integ> Create(IntegId id, ByteView key);
  static bool IsSupported(IntegId id);

  IntegId id() const { return id_; }
  size_t key_size() const { return key_.size(); }
  size_t icv_size() const { return icv_size_; }

  // Truncated MAC over the concatenation of `parts`.
  CryptoResult<Bytes> Sign(std::span<const ByteView> parts) const;
  CryptoResult<Bytes> Sign(ByteView data) const;
  // kIntegrityCheckFailed when `icv` is not the truncated MAC (any length
  // other than icv_size() fails too).
  CryptoResult<void> Verify(std::span<const ByteView> parts, ByteView icv) const;
  CryptoResult<void> Verify(ByteView data, ByteView icv) const;

 private:
  Integ(IntegId id, internal::MacAlg alg, size_t icv_size, ByteView key)
      : id_(id), alg_(alg), icv_size_(icv_size), key_(key) {}

  IntegId id_;
  internal::MacAlg alg_;
  size_t icv_size_;
  SecretBytes key_;
};

}  // namespace ike::crypto
