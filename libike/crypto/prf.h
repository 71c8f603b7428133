// IKEv2 pseudo-random functions (RFC 7296 3.3.2 transform type 2) and prf+
// (RFC 7296 2.13).
#pragma once

#include <initializer_list>
#include <span>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/mac.h"

namespace ike::crypto {

class Prf {
 public:
  // HMAC-SHA1, HMAC-SHA2-256/384/512, AES128-XCBC (RFC 4434), AES128-CMAC
  // (RFC 4615). Anything else is kUnsupportedAlgorithm.
  static CryptoResult<Prf> Create(PrfId id);
  static bool IsSupported(PrfId id);

  PrfId id() const { return id_; }
  // Output size of one prf() call.
  size_t output_size() const;
  // Preferred key size: length of SK_d / SK_pi / SK_pr (RFC 7296 2.14).
  size_t key_size() const;
  // True when the PRF takes a fixed-length key (AES-XCBC/CMAC), which
  // changes how SKEYSEED's Ni | Nr key is built (RFC 7296 2.14).
  bool has_fixed_key_size() const;

  // prf(key, data). Any key length is accepted: HMAC per RFC 2104, AES-XCBC
  // per RFC 4434 (shorter keys zero-padded, longer keys first reduced with
  // a zero key), AES-CMAC per RFC 4615 (non-16-byte keys reduced).
  CryptoResult<SecretBytes> Compute(ByteView key, ByteView data) const;
  // prf(key, part0 | part1 | ...) without building the concatenation.
  CryptoResult<SecretBytes> Compute(ByteView key, std::span<const ByteView> parts) const;
  CryptoResult<SecretBytes> Compute(ByteView key, std::initializer_list<ByteView> parts) const {
    return Compute(key, std::span<const ByteView>(parts.begin(), parts.size()));
  }

  // prf+ (K, S) = T1 | T2 | ... truncated to `length` bytes, where
  // T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). At most 255 blocks.
  CryptoResult<SecretBytes> PrfPlus(ByteView key, ByteView seed, size_t length) const;

 private:
  Prf(PrfId id, internal::MacAlg alg) : id_(id), alg_(alg) {}
  CryptoResult<SecretBytes> NormalizeKey(ByteView key) const;

  PrfId id_;
  internal::MacAlg alg_;
};

}  // namespace ike::crypto
