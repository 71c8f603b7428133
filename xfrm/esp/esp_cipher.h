// The ESP transforms over OpenSSL 3 EVP (DESIGN.md principle 4):
//   AES-GCM with 8/12/16-byte ICV (RFC 4106), ChaCha20-Poly1305 (RFC 7634),
//   AES-CBC with HMAC-SHA1-96 / SHA2-256-128 / SHA2-384-192 / SHA2-512-256
//   (RFC 3602, RFC 2404, RFC 4868).
// One EspCipher per SA and direction. Its EVP contexts are created once and
// re-keyed never; each packet only resets the IV, so the hot path does not
// allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

struct evp_cipher_st;  // OpenSSL's EVP_CIPHER

namespace ike::esp {

enum class CipherDirection : uint8_t { kEncrypt, kDecrypt };

struct TransformSpec {
  EncrId encr = EncrId::kAesGcm16;
  uint16_t key_bits = 128;  // without the AEAD salt
  IntegId integ = IntegId::kNone;
};

class EspCipher {
 public:
  // enc_key carries the 4-byte salt at its end for AEAD transforms
  // (RFC 4106 section 8.1, RFC 7634 section 2). Errors name the problem,
  // never the key.
  static Result<std::unique_ptr<EspCipher>, std::string> Create(const TransformSpec& spec,
                                                                ByteView enc_key,
                                                                ByteView integ_key,
                                                                CipherDirection dir);
  ~EspCipher();
  EspCipher(const EspCipher&) = delete;
  EspCipher& operator=(const EspCipher&) = delete;

  bool aead() const { return aead_; }
  size_t iv_len() const { return iv_len_; }
  size_t icv_len() const { return icv_len_; }
  // Alignment of (payload + padding + 2): the cipher block or 4.
  size_t pad_align() const { return pad_align_; }

  // Encrypts `body` (payload | padding | pad length | next header) in place.
  // `header` is the 8-byte wire header SPI | seq-low; seq_hi the ESN high
  // half (used only when esn). Writes the IV (explicit IV = the 64-bit
  // sequence number for AEAD, random for CBC) and the ICV.
  bool Seal(const uint8_t* header, uint32_t seq_hi, bool esn, uint64_t seq, uint8_t* iv,
            uint8_t* body, size_t body_len, uint8_t* icv);
  // Verifies the ICV and decrypts `body` in place. False on ICV mismatch.
  bool Open(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv, uint8_t* body,
            size_t body_len, const uint8_t* icv);

 private:
  EspCipher() = default;
  bool SealAead(const uint8_t* header, uint32_t seq_hi, bool esn, uint64_t seq, uint8_t* iv,
                uint8_t* body, size_t body_len, uint8_t* icv);
  bool OpenAead(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv,
                uint8_t* body, size_t body_len, const uint8_t* icv);
  bool Mac(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv,
           const uint8_t* body, size_t body_len, uint8_t* out);

  // The OpenSSL contexts (about 1.2 KiB for AES-GCM) are built on an SA's
  // first packet, not at install: a gateway's many idle tunnels (and SAs
  // that a rekey replaces before they carry traffic) then hold only their
  // keys. Create builds them once per transform and process to reject what
  // OpenSSL cannot run.
  Result<void, std::string> BuildEvp();
  bool TransformKnownGood() const;
  void RememberTransformGood() const;
  bool Ready();

  struct Evp;
  std::unique_ptr<Evp> evp_;
  const ::evp_cipher_st* cipher_ = nullptr;  // static, owned by OpenSSL
  const char* digest_ = nullptr;                  // HMAC digest name (CBC)
  bool encrypt_ = true;
  SecretBytes enc_key_;    // until the contexts are built (without the salt)
  SecretBytes integ_key_;
  bool aead_ = false;
  size_t iv_len_ = 0;
  size_t icv_len_ = 0;
  size_t pad_align_ = 4;
  uint8_t salt_[4] = {};
};

}  // namespace ike::esp
