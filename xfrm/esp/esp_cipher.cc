#include "xfrm/esp/esp_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <tuple>

namespace ike::esp {
namespace {

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// AAD per RFC 4106 section 5 / RFC 7634 section 2.1:
// SPI | seq (8 bytes), or SPI | ESN high | seq low (12 bytes).
size_t BuildAad(const uint8_t* header, uint32_t seq_hi, bool esn, uint8_t* aad) {
  std::memcpy(aad, header, 4);
  if (!esn) {
    std::memcpy(aad + 4, header + 4, 4);
    return 8;
  }
  PutU32(aad + 4, seq_hi);
  std::memcpy(aad + 8, header + 4, 4);
  return 12;
}

}  // namespace

struct EspCipher::Evp {
  EVP_CIPHER_CTX* cipher = nullptr;
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* mac_ctx = nullptr;
  ~Evp() {
    EVP_CIPHER_CTX_free(cipher);
    EVP_MAC_CTX_free(mac_ctx);
    EVP_MAC_free(mac);
  }
};

EspCipher::~EspCipher() { OPENSSL_cleanse(salt_, sizeof(salt_)); }

Result<std::unique_ptr<EspCipher>, std::string> EspCipher::Create(const TransformSpec& spec,
                                                                  ByteView enc_key,
                                                                  ByteView integ_key,
                                                                  CipherDirection dir) {
  std::unique_ptr<EspCipher> c(new EspCipher());
  const EVP_CIPHER* cipher = nullptr;
  size_t key_len = spec.key_bits / 8;
  switch (spec.encr) {
    case EncrId::kAesGcm8:
    case EncrId::kAesGcm12:
    case EncrId::kAesGcm16:
      c->aead_ = true;
      c->iv_len_ = 8;
      c->pad_align_ = 4;
      c->icv_len_ = spec.encr == EncrId::kAesGcm8 ? 8 : spec.encr == EncrId::kAesGcm12 ? 12 : 16;
      if (spec.key_bits == 128) cipher = EVP_aes_128_gcm();
      if (spec.key_bits == 192) cipher = EVP_aes_192_gcm();
      if (spec.key_bits == 256) cipher = EVP_aes_256_gcm();
      break;
    case EncrId::kChaCha20Poly1305:
      c->aead_ = true;
      c->iv_len_ = 8;
      c->pad_align_ = 4;
      c->icv_len_ = 16;
      if (spec.key_bits == 256) cipher = EVP_chacha20_poly1305();
      break;
    case EncrId::kAesCbc:
      c->aead_ = false;
      c->iv_len_ = 16;
      c->pad_align_ = 16;
      if (spec.key_bits == 128) cipher = EVP_aes_128_cbc();
      if (spec.key_bits == 192) cipher = EVP_aes_192_cbc();
      if (spec.key_bits == 256) cipher = EVP_aes_256_cbc();
      break;
    default:
      return MakeUnexpected(std::string("unsupported ESP encryption transform ") +
                            std::to_string(static_cast<int>(spec.encr)));
  }
  if (cipher == nullptr) {
    return MakeUnexpected("unsupported key size " + std::to_string(spec.key_bits) +
                          " for encryption transform " +
                          std::to_string(static_cast<int>(spec.encr)));
  }
  if (c->aead_) {
    if (spec.integ != IntegId::kNone) {
      return MakeUnexpected(std::string("AEAD transform with an integrity transform"));
    }
    if (enc_key.size() != key_len + 4) {
      return MakeUnexpected("AEAD key must be " + std::to_string(key_len + 4) +
                            " bytes (key + 4-byte salt), got " + std::to_string(enc_key.size()));
    }
    std::memcpy(c->salt_, enc_key.data() + key_len, 4);
  } else if (enc_key.size() != key_len) {
    return MakeUnexpected("encryption key must be " + std::to_string(key_len) + " bytes, got " +
                          std::to_string(enc_key.size()));
  }

  c->cipher_ = cipher;
  c->encrypt_ = dir == CipherDirection::kEncrypt;
  c->enc_key_ = SecretBytes(enc_key.subspan(0, key_len));
  if (!c->aead_) {
    const char* digest = nullptr;
    size_t mac_key_len = 0;
    switch (spec.integ) {
      case IntegId::kHmacSha1_96:
        digest = "SHA1", mac_key_len = 20, c->icv_len_ = 12;
        break;
      case IntegId::kHmacSha2_256_128:
        digest = "SHA256", mac_key_len = 32, c->icv_len_ = 16;
        break;
      case IntegId::kHmacSha2_384_192:
        digest = "SHA384", mac_key_len = 48, c->icv_len_ = 24;
        break;
      case IntegId::kHmacSha2_512_256:
        digest = "SHA512", mac_key_len = 64, c->icv_len_ = 32;
        break;
      default:
        return MakeUnexpected("unsupported ESP integrity transform " +
                              std::to_string(static_cast<int>(spec.integ)));
    }
    if (integ_key.size() != mac_key_len) {
      return MakeUnexpected("integrity key must be " + std::to_string(mac_key_len) +
                            " bytes, got " + std::to_string(integ_key.size()));
    }
    c->digest_ = digest;
    c->integ_key_ = SecretBytes(integ_key);
  }
  // Built once per transform and process so that a transform OpenSSL
  // cannot run fails the install; whether it runs does not depend on the
  // key (its length is checked above), so later SAs of the same transform
  // skip the trial. An SA builds its own contexts on its first packet (see
  // the header).
  if (!c->TransformKnownGood()) {
    if (auto built = c->BuildEvp(); !built) return MakeUnexpected(built.error());
    c->evp_.reset();
    c->RememberTransformGood();
  }
  return c;
}

namespace {
std::mutex known_good_mu;
std::set<std::tuple<const EVP_CIPHER*, std::string_view, bool>> known_good;
}  // namespace

bool EspCipher::TransformKnownGood() const {
  std::lock_guard lock(known_good_mu);
  return known_good.count({cipher_, digest_ ? std::string_view(digest_) : "", encrypt_}) != 0;
}

void EspCipher::RememberTransformGood() const {
  std::lock_guard lock(known_good_mu);
  known_good.insert({cipher_, digest_ ? std::string_view(digest_) : "", encrypt_});
}

Result<void, std::string> EspCipher::BuildEvp() {
  auto evp = std::make_unique<Evp>();
  const int enc = encrypt_ ? 1 : 0;
  evp->cipher = EVP_CIPHER_CTX_new();
  if (evp->cipher == nullptr ||
      EVP_CipherInit_ex(evp->cipher, cipher_, nullptr, nullptr, nullptr, enc) != 1) {
    return MakeUnexpected(std::string("EVP cipher init failed"));
  }
  if (aead_ && EVP_CIPHER_CTX_ctrl(evp->cipher, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1) {
    return MakeUnexpected(std::string("EVP set IV length failed"));
  }
  if (EVP_CipherInit_ex(evp->cipher, nullptr, nullptr, enc_key_.data(), nullptr, enc) != 1) {
    return MakeUnexpected(std::string("EVP set key failed"));
  }
  if (!aead_) {
    EVP_CIPHER_CTX_set_padding(evp->cipher, 0);
    evp->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (evp->mac == nullptr) return MakeUnexpected(std::string("HMAC not available"));
    evp->mac_ctx = EVP_MAC_CTX_new(evp->mac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_), 0),
        OSSL_PARAM_construct_end()};
    if (evp->mac_ctx == nullptr ||
        EVP_MAC_init(evp->mac_ctx, integ_key_.data(), integ_key_.size(), params) != 1) {
      return MakeUnexpected(std::string("HMAC init failed"));
    }
  }
  evp_ = std::move(evp);
  return {};
}

bool EspCipher::Ready() {
  if (evp_) return true;
  if (!BuildEvp()) return false;
  // The contexts hold the keys from now on: no second copy stays.
  enc_key_ = SecretBytes();
  integ_key_ = SecretBytes();
  return true;
}

bool EspCipher::Seal(const uint8_t* header, uint32_t seq_hi, bool esn, uint64_t seq, uint8_t* iv,
                     uint8_t* body, size_t body_len, uint8_t* icv) {
  if (!Ready()) return false;
  if (aead_) return SealAead(header, seq_hi, esn, seq, iv, body, body_len, icv);
  // CBC needs an unpredictable IV (RFC 3602 section 2).
  if (RAND_bytes(iv, static_cast<int>(iv_len_)) != 1) return false;
  int outl = 0;
  if (EVP_CipherInit_ex(evp_->cipher, nullptr, nullptr, nullptr, iv, 1) != 1 ||
      EVP_CipherUpdate(evp_->cipher, body, &outl, body, static_cast<int>(body_len)) != 1 ||
      static_cast<size_t>(outl) != body_len) {
    return false;
  }
  uint8_t full[EVP_MAX_MD_SIZE];
  if (!Mac(header, seq_hi, esn, iv, body, body_len, full)) return false;
  std::memcpy(icv, full, icv_len_);
  return true;
}

bool EspCipher::Open(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv,
                     uint8_t* body, size_t body_len, const uint8_t* icv) {
  if (!Ready()) return false;
  if (aead_) return OpenAead(header, seq_hi, esn, iv, body, body_len, icv);
  uint8_t full[EVP_MAX_MD_SIZE];
  if (!Mac(header, seq_hi, esn, iv, body, body_len, full)) return false;
  if (CRYPTO_memcmp(full, icv, icv_len_) != 0) return false;
  int outl = 0;
  return EVP_CipherInit_ex(evp_->cipher, nullptr, nullptr, nullptr, iv, 0) == 1 &&
         EVP_CipherUpdate(evp_->cipher, body, &outl, body, static_cast<int>(body_len)) == 1 &&
         static_cast<size_t>(outl) == body_len;
}

bool EspCipher::SealAead(const uint8_t* header, uint32_t seq_hi, bool esn, uint64_t seq,
                         uint8_t* iv, uint8_t* body, size_t body_len, uint8_t* icv) {
  // Explicit IV: the 64-bit sequence number, unique per key (RFC 4106 3.1).
  for (int i = 0; i < 8; ++i) iv[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
  uint8_t nonce[12];
  std::memcpy(nonce, salt_, 4);
  std::memcpy(nonce + 4, iv, 8);
  uint8_t aad[12];
  size_t aad_len = BuildAad(header, seq_hi, esn, aad);
  int outl = 0;
  EVP_CIPHER_CTX* ctx = evp_->cipher;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, 1) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &outl, aad, static_cast<int>(aad_len)) != 1 ||
      EVP_CipherUpdate(ctx, body, &outl, body, static_cast<int>(body_len)) != 1 ||
      EVP_CipherFinal_ex(ctx, body + outl, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(icv_len_), icv) != 1) {
    return false;
  }
  return true;
}

bool EspCipher::OpenAead(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv,
                         uint8_t* body, size_t body_len, const uint8_t* icv) {
  uint8_t nonce[12];
  std::memcpy(nonce, salt_, 4);
  std::memcpy(nonce + 4, iv, 8);
  uint8_t aad[12];
  size_t aad_len = BuildAad(header, seq_hi, esn, aad);
  uint8_t tag[16];
  std::memcpy(tag, icv, icv_len_);
  int outl = 0;
  EVP_CIPHER_CTX* ctx = evp_->cipher;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, 0) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &outl, aad, static_cast<int>(aad_len)) != 1 ||
      EVP_CipherUpdate(ctx, body, &outl, body, static_cast<int>(body_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(icv_len_), tag) != 1) {
    return false;
  }
  // Final compares the tag (constant time inside OpenSSL).
  return EVP_CipherFinal_ex(ctx, body + outl, &outl) == 1;
}

// ICV input for CBC+HMAC: SPI | seq | IV | ciphertext [| ESN high]
// (RFC 4303 sections 2.2.1 and 3.3.2.1).
bool EspCipher::Mac(const uint8_t* header, uint32_t seq_hi, bool esn, const uint8_t* iv,
                    const uint8_t* body, size_t body_len, uint8_t* out) {
  EVP_MAC_CTX* m = evp_->mac_ctx;
  size_t out_len = 0;
  if (EVP_MAC_init(m, nullptr, 0, nullptr) != 1 || EVP_MAC_update(m, header, 8) != 1 ||
      EVP_MAC_update(m, iv, iv_len_) != 1 || EVP_MAC_update(m, body, body_len) != 1) {
    return false;
  }
  if (esn) {
    uint8_t hi[4];
    PutU32(hi, seq_hi);
    if (EVP_MAC_update(m, hi, 4) != 1) return false;
  }
  return EVP_MAC_final(m, out, &out_len, EVP_MAX_MD_SIZE) == 1;
}

}  // namespace ike::esp
