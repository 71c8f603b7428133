// Protection of the IKEv2 Encrypted payload (SK, RFC 7296 3.14) and of
// Encrypted Fragment payloads (SKF, RFC 7383), for one direction.
//
// Body layout produced by Protect and consumed by Unprotect (everything
// after the SK/SKF payload's own header):
//
//   | IV | ciphertext( inner payloads | padding | pad length ) | ICV |
//
// `aad` is ALWAYS the message prefix: the bytes from the first byte of the
// IKE header up to and including the SK (or SKF) payload header, i.e. up to
// the first IV byte, with the final Length fields already filled in (use
// BodySize() to compute them before calling Protect). The same argument
// serves both modes:
//  - AEAD (AES-GCM RFC 5282, ChaCha20-Poly1305 RFC 7634): it is the AAD.
//  - AES-CBC + HMAC/XCBC/CMAC: the ICV covers aad | IV | ciphertext, i.e.
//    the whole message from the IKE header up to the ICV (RFC 7296 3.14).
//
// Keys: for the initiator's outbound direction pass SK_ei/SK_ai, for its
// inbound SK_er/SK_ar (the responder the reverse). AEAD SK_e includes the
// 4-byte salt at its end; sk_a must be empty for AEAD.
#pragma once

#include <openssl/evp.h>

#include <optional>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/integ.h"
#include "libike/crypto/key_derivation.h"
#include "libike/crypto/rng.h"

namespace ike::crypto {

class SkCipher {
 public:
  // `key_bits` is the ENCR Key Length attribute (128/192/256 for AES, 0 or
  // 256 for ChaCha20-Poly1305). `integ` is IntegId::kNone for AEAD.
  static CryptoResult<SkCipher> Create(EncrId encr, uint16_t key_bits, IntegId integ, ByteView sk_e,
                                       ByteView sk_a);
  static bool IsSupported(EncrId encr);

  EncrId encr() const { return encr_; }
  bool is_aead() const { return aead_; }
  size_t iv_size() const { return aead_ ? 8 : 16; }
  size_t icv_size() const;
  // Alignment of inner | padding | pad length: 16 for AES-CBC, 1 for AEAD
  // (Protect adds no padding then, only the pad length byte).
  size_t block_size() const { return aead_ ? 1 : 16; }
  // Worst-case bytes added to the inner payloads (IV + ICV + max padding
  // + pad length byte), for fragmentation budgets.
  size_t Overhead() const { return iv_size() + icv_size() + block_size(); }
  // Exact body size Protect() returns for `inner_len` bytes of payloads.
  size_t BodySize(size_t inner_len) const;
  // The largest inner length whose body fits in `body_budget` bytes (0 if
  // not even an empty inner fits).
  size_t MaxInnerSize(size_t body_budget) const;

  // Encrypts and authenticates; returns the body (see the file comment).
  // The IV is drawn from `rng` (random CBC IV; random 8-byte AEAD IV).
  CryptoResult<Bytes> Protect(ByteView aad, ByteView inner_plaintext, Rng& rng) const;

  // Verifies the ICV first (constant time; kIntegrityCheckFailed), then
  // decrypts and checks the padding (kBadPadding) and returns the inner
  // payload bytes. A body of impossible size is kInvalidInput.
  CryptoResult<Bytes> Unprotect(ByteView aad, ByteView body) const;

 private:
  SkCipher() = default;
  CryptoResult<Bytes> AeadSeal(ByteView aad, ByteView iv, ByteView plaintext) const;
  CryptoResult<Bytes> AeadOpen(ByteView aad, ByteView iv, ByteView ciphertext, ByteView tag) const;
  CryptoResult<Bytes> CbcCrypt(bool encrypt, ByteView iv, ByteView in) const;

  EncrId encr_ = EncrId::kAesCbc;
  bool aead_ = false;
  size_t tag_size_ = 0;
  const EVP_CIPHER* cipher_ = nullptr;
  SecretBytes key_;
  SecretBytes salt_;
  std::optional<Integ> integ_;
};

// The two SkCiphers of one IKE SA endpoint: outbound uses this side's keys
// (initiator: SK_ei/SK_ai, responder: SK_er/SK_ar), inbound the peer's.
struct SkCipherPair {
  SkCipher outbound;
  SkCipher inbound;
};
CryptoResult<SkCipherPair> CreateSkCiphers(const IkeSaKeys& keys, Role role, EncrId encr, uint16_t key_bits,
                                           IntegId integ);

}  // namespace ike::crypto
