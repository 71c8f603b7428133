// Sizes and properties of the IKEv2 transforms this library implements, used
// to size SK_* keys (RFC 7296 2.14) and CHILD_SA KEYMAT (2.17).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "libike/common/ike_types.h"
#include "libike/crypto/crypto_error.h"

namespace ike::crypto {

// True for combined-mode ciphers (AES-GCM, ChaCha20-Poly1305): no INTEG
// transform is negotiated and no SK_a / integrity KEYMAT is derived.
bool IsAead(EncrId id);

// Bytes of keying material for an ENCR transform with the negotiated Key
// Length attribute (`key_bits`; 0 when the transform has none). AEAD
// material includes the 4-byte salt (RFC 5282 / RFC 4106 / RFC 7634):
// AES-GCM key_bits/8 + 4, ChaCha20-Poly1305 32 + 4. AES-CBC key_bits/8.
CryptoResult<size_t> EncrKeyMaterialSize(EncrId id, uint16_t key_bits);

// Integrity key size (SK_a, ESP auth key): HMAC-SHA1 20, SHA2-256 32,
// SHA2-384 48, SHA2-512 64, AES-XCBC/CMAC 16. kNone -> 0.
CryptoResult<size_t> IntegKeySize(IntegId id);
// Truncated ICV size: 12, 16, 24, 32; AES-XCBC-96/CMAC-96 12.
CryptoResult<size_t> IntegIcvSize(IntegId id);

// Preferred key size of a PRF (the size of SK_d, SK_pi, SK_pr) and its
// output size. HMAC: the digest size; AES128-XCBC/CMAC: 16.
CryptoResult<size_t> PrfKeySize(PrfId id);
CryptoResult<size_t> PrfOutputSize(PrfId id);

// What this build implements, for proposal construction and configuration
// validation (the "CryptoProvider capabilities"). Key lengths are the ENCR
// Key Length attribute values accepted for each cipher (0 = no attribute).
struct EncrCapability {
  EncrId id;
  std::span<const uint16_t> key_bits;
};
std::span<const EncrCapability> SupportedEncr();
std::span<const PrfId> SupportedPrf();
std::span<const IntegId> SupportedInteg();  // excludes kNone
std::span<const KeGroup> SupportedKeGroups();

}  // namespace ike::crypto
