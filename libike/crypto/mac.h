// Internal: the MAC primitives shared by Prf and Integ. Not public API.
#pragma once

#include <span>

#include "libike/common/bytes.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"

namespace ike::crypto::internal {

enum class MacAlg { kHmacSha1, kHmacSha256, kHmacSha384, kHmacSha512, kAesXcbc, kAesCmac };

size_t MacOutputSize(MacAlg alg);

// Computes the untruncated MAC of the concatenation of `parts`. For
// kAesXcbc/kAesCmac the key must be exactly 16 bytes (RFC 3566 / RFC 4493);
// the PRF key-length rules of RFC 4434/4615 are applied by Prf, not here.
CryptoResult<SecretBytes> MacCompute(MacAlg alg, ByteView key, std::span<const ByteView> parts);

}  // namespace ike::crypto::internal
