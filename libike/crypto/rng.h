// Randomness behind an injectable interface (DESIGN: Env = CryptoProvider& +
// Rng&). Nonces, SPIs, IVs and ephemeral KE private keys all come from an Rng,
// so a seeded DeterministicRng replays a simulation exactly.
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/secret_bytes.h"

namespace ike::crypto {

class Rng {
 public:
  virtual ~Rng() = default;
  // Fills `out` completely. Never fails (an OpenSSL DRBG failure aborts:
  // continuing without randomness is never safe).
  virtual void Fill(MutableByteView out) = 0;

  Bytes Generate(size_t size);
  SecretBytes GenerateSecret(size_t size);
};

// OpenSSL's default DRBG (RAND_bytes); requests up to 64 bytes are served
// from a per-thread block drawn from it 512 bytes at a time.
class OpenSslRng final : public Rng {
 public:
  void Fill(MutableByteView out) override;
};

// Deterministic stream for tests and simulations: block i is
// SHA-256(seed | i as 8-byte big-endian). NOT for production keys.
class DeterministicRng final : public Rng {
 public:
  explicit DeterministicRng(uint64_t seed);
  explicit DeterministicRng(ByteView seed);
  void Fill(MutableByteView out) override;

 private:
  void NextBlock();
  Bytes seed_;
  uint64_t counter_ = 0;
  uint8_t block_[32] = {};
  size_t block_used_ = 32;
};

}  // namespace ike::crypto
