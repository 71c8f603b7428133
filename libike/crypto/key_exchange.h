// IKEv2 key exchange methods (RFC 7296 transform type 4): MODP groups
// 1/2/5/14/15/16/17/18 (RFC 2409 / RFC 3526), ECP groups 19/20/21
// (RFC 5903 encoding: KE data = x | y, no 0x04 prefix; shared secret = x),
// Curve25519 / Curve448 (group 31 / 32, RFC 8031).
//
// The private key is drawn from an injected Rng (so seeded simulations are
// reproducible) or imported from bytes (for published test vectors).
#pragma once

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/evp_util.h"
#include "libike/crypto/rng.h"

namespace ike::crypto {

class KeyExchange {
 public:
  static bool IsSupported(KeGroup group);
  // Size of the KE payload data / the peer value ComputeShared expects:
  // MODP prime length, ECP 2 * coordinate length, 32 / 56 for X25519/X448.
  static CryptoResult<size_t> PublicValueSize(KeGroup group);
  // Size of the shared secret g^ir: MODP prime length (left-padded with
  // zeros), ECP coordinate length, 32 / 56.
  static CryptoResult<size_t> SharedSecretSize(KeGroup group);

  // The big-endian prime of a MODP group (kUnsupportedAlgorithm for the
  // other kinds of group).
  static CryptoResult<Bytes> ModpPrime(KeGroup group);

  // A fresh key pair whose private part comes from `rng`.
  static CryptoResult<KeyExchange> Create(KeGroup group, Rng& rng);
  // A key pair from a given private key (tests, vectors): MODP the
  // big-endian exponent; ECP the big-endian scalar (1 <= d < n, any
  // length up to the order's size); X25519 / X448 the raw 32 / 56 bytes.
  static CryptoResult<KeyExchange> CreateFromPrivate(KeGroup group, ByteView private_key);

  KeGroup group() const { return group_; }
  // Our KE payload data.
  const Bytes& PublicValue() const { return public_value_; }
  // g^ir from the peer's KE payload data, after validating it: exact
  // length; MODP 1 < y < p-1; ECP point on the curve; X25519/X448 result
  // not all zero. kInvalidPublicValue on any violation.
  CryptoResult<SecretBytes> ComputeShared(ByteView peer_public) const;

 private:
  KeyExchange(KeGroup group, internal::EvpPkeyPtr key, Bytes public_value)
      : group_(group), key_(std::move(key)), public_value_(std::move(public_value)) {}

  KeGroup group_;
  internal::EvpPkeyPtr key_;
  Bytes public_value_;
};

}  // namespace ike::crypto
