#include "libike/crypto/sk_cipher.h"

#include "libike/crypto/algorithms.h"
#include "libike/crypto/evp_util.h"

namespace ike::crypto {

using internal::EvpCipherCtxPtr;
using internal::OpenSslFail;

namespace {
const EVP_CIPHER* AesCipher(bool gcm, size_t key_len) {
  switch (key_len) {
    case 16: return gcm ? EVP_aes_128_gcm() : EVP_aes_128_cbc();
    case 24: return gcm ? EVP_aes_192_gcm() : EVP_aes_192_cbc();
    case 32: return gcm ? EVP_aes_256_gcm() : EVP_aes_256_cbc();
  }
  return nullptr;
}
}  // namespace

bool SkCipher::IsSupported(EncrId encr) {
  return encr == EncrId::kAesCbc || IsAead(encr);
}

CryptoResult<SkCipher> SkCipher::Create(EncrId encr, uint16_t key_bits, IntegId integ, ByteView sk_e,
                                        ByteView sk_a) {
  IKE_ASSIGN_OR_RETURN(size_t material, EncrKeyMaterialSize(encr, key_bits));
  if (sk_e.size() != material) {
    return CryptoFail(CryptoErrc::kInvalidKeyLength,
                      "SK_e must be " + std::to_string(material) + " bytes");
  }
  SkCipher c;
  c.encr_ = encr;
  c.aead_ = IsAead(encr);
  if (c.aead_) {
    if (integ != IntegId::kNone || !sk_a.empty()) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "AEAD cipher with an integrity algorithm");
    }
    const size_t key_len = material - 4;
    c.key_ = SecretBytes(sk_e.subspan(0, key_len));
    c.salt_ = SecretBytes(sk_e.subspan(key_len, 4));
    switch (encr) {
      case EncrId::kAesGcm8: c.tag_size_ = 8; break;
      case EncrId::kAesGcm12: c.tag_size_ = 12; break;
      default: c.tag_size_ = 16; break;
    }
    c.cipher_ = encr == EncrId::kChaCha20Poly1305 ? EVP_chacha20_poly1305() : AesCipher(true, key_len);
  } else {
    if (integ == IntegId::kNone) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "AES-CBC needs an integrity algorithm");
    }
    IKE_ASSIGN_OR_RETURN(Integ i, Integ::Create(integ, sk_a));
    c.integ_.emplace(std::move(i));
    c.key_ = SecretBytes(sk_e);
    c.cipher_ = AesCipher(false, material);
  }
  if (c.cipher_ == nullptr) return OpenSslFail("cipher unavailable");
  return c;
}

size_t SkCipher::icv_size() const { return aead_ ? tag_size_ : integ_->icv_size(); }

size_t SkCipher::BodySize(size_t inner_len) const {
  const size_t bs = block_size();
  const size_t padded = (inner_len + 1 + bs - 1) / bs * bs;  // inner | pad | pad length
  return iv_size() + padded + icv_size();
}

size_t SkCipher::MaxInnerSize(size_t body_budget) const {
  const size_t fixed = iv_size() + icv_size();
  if (body_budget < fixed) return 0;
  const size_t bs = block_size();
  const size_t blocks = (body_budget - fixed) / bs * bs;
  return blocks == 0 ? 0 : blocks - 1;
}

CryptoResult<Bytes> SkCipher::AeadSeal(ByteView aad, ByteView iv, ByteView plaintext) const {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslFail("EVP_CIPHER_CTX_new");
  uint8_t nonce[12];
  std::copy(salt_.view().begin(), salt_.view().end(), nonce);
  std::copy(iv.begin(), iv.end(), nonce + 4);
  int len = 0;
  Bytes out(plaintext.size() + tag_size_);
  if (EVP_EncryptInit_ex(ctx.get(), cipher_, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce) != 1) {
    return OpenSslFail("AEAD init");
  }
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslFail("AEAD aad");
  }
  if (!plaintext.empty() &&
      (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
       static_cast<size_t>(len) != plaintext.size())) {
    return OpenSslFail("AEAD encrypt");
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_size_),
                          out.data() + plaintext.size()) != 1) {
    return OpenSslFail("AEAD final");
  }
  return out;
}

CryptoResult<Bytes> SkCipher::AeadOpen(ByteView aad, ByteView iv, ByteView ciphertext, ByteView tag) const {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslFail("EVP_CIPHER_CTX_new");
  uint8_t nonce[12];
  std::copy(salt_.view().begin(), salt_.view().end(), nonce);
  std::copy(iv.begin(), iv.end(), nonce + 4);
  int len = 0;
  Bytes out(ciphertext.size());
  Bytes tag_copy(tag.begin(), tag.end());
  if (EVP_DecryptInit_ex(ctx.get(), cipher_, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), nonce) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_copy.size()),
                          tag_copy.data()) != 1) {
    return OpenSslFail("AEAD init");
  }
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslFail("AEAD aad");
  }
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(), static_cast<int>(ciphertext.size())) != 1) {
    return OpenSslFail("AEAD decrypt");
  }
  // The tag is checked (in constant time, by OpenSSL) in Final; the
  // plaintext is not returned unless it verifies.
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + ciphertext.size(), &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    ERR_clear_error();
    return CryptoFail(CryptoErrc::kIntegrityCheckFailed, "AEAD tag mismatch");
  }
  return out;
}

CryptoResult<Bytes> SkCipher::CbcCrypt(bool encrypt, ByteView iv, ByteView in) const {
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslFail("EVP_CIPHER_CTX_new");
  Bytes out(in.size());
  int len = 0;
  if (EVP_CipherInit_ex(ctx.get(), cipher_, nullptr, key_.data(), iv.data(), encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      static_cast<size_t>(len) != in.size()) {
    return OpenSslFail("AES-CBC");
  }
  return out;
}

CryptoResult<Bytes> SkCipher::Protect(ByteView aad, ByteView inner, Rng& rng) const {
  const size_t body_size = BodySize(inner.size());
  const size_t ct_size = body_size - iv_size() - icv_size();
  const size_t pad_len = ct_size - inner.size() - 1;
  // inner | padding (zeros) | pad length
  Bytes plain(ct_size, 0);
  std::copy(inner.begin(), inner.end(), plain.begin());
  plain[ct_size - 1] = static_cast<uint8_t>(pad_len);

  Bytes body(iv_size());
  rng.Fill(body);
  const Bytes iv = body;
  if (aead_) {
    IKE_ASSIGN_OR_RETURN(Bytes sealed, AeadSeal(aad, iv, plain));
    OPENSSL_cleanse(plain.data(), plain.size());
    body.insert(body.end(), sealed.begin(), sealed.end());
    return body;
  }
  IKE_ASSIGN_OR_RETURN(Bytes ct, CbcCrypt(true, iv, plain));
  OPENSSL_cleanse(plain.data(), plain.size());
  body.insert(body.end(), ct.begin(), ct.end());
  const ByteView parts[] = {aad, body};
  IKE_ASSIGN_OR_RETURN(Bytes icv, integ_->Sign(parts));
  body.insert(body.end(), icv.begin(), icv.end());
  return body;
}

CryptoResult<Bytes> SkCipher::Unprotect(ByteView aad, ByteView body) const {
  const size_t iv_len = iv_size();
  const size_t icv_len = icv_size();
  const size_t bs = block_size();
  if (body.size() < iv_len + icv_len + bs) {
    return CryptoFail(CryptoErrc::kInvalidInput, "encrypted payload too short");
  }
  const size_t ct_len = body.size() - iv_len - icv_len;
  if (ct_len % bs != 0) {
    return CryptoFail(CryptoErrc::kInvalidInput, "ciphertext not a multiple of the block size");
  }
  ByteView iv = body.subspan(0, iv_len);
  ByteView ct = body.subspan(iv_len, ct_len);
  ByteView icv = body.subspan(iv_len + ct_len);
  Bytes plain;
  if (aead_) {
    IKE_ASSIGN_OR_RETURN(plain, AeadOpen(aad, iv, ct, icv));
  } else {
    const ByteView parts[] = {aad, body.subspan(0, iv_len + ct_len)};
    IKE_TRY(integ_->Verify(parts, icv));
    IKE_ASSIGN_OR_RETURN(plain, CbcCrypt(false, iv, ct));
  }
  const size_t pad_len = plain.back();
  if (pad_len + 1 > plain.size()) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return CryptoFail(CryptoErrc::kBadPadding, "pad length exceeds the decrypted data");
  }
  plain.resize(plain.size() - pad_len - 1);
  return plain;
}

CryptoResult<SkCipherPair> CreateSkCiphers(const IkeSaKeys& keys, Role role, EncrId encr, uint16_t key_bits,
                                           IntegId integ) {
  const bool initiator = role == Role::kInitiator;
  const SecretBytes& out_e = initiator ? keys.sk_ei : keys.sk_er;
  const SecretBytes& out_a = initiator ? keys.sk_ai : keys.sk_ar;
  const SecretBytes& in_e = initiator ? keys.sk_er : keys.sk_ei;
  const SecretBytes& in_a = initiator ? keys.sk_ar : keys.sk_ai;
  IKE_ASSIGN_OR_RETURN(SkCipher outbound, SkCipher::Create(encr, key_bits, integ, out_e.view(), out_a.view()));
  IKE_ASSIGN_OR_RETURN(SkCipher inbound, SkCipher::Create(encr, key_bits, integ, in_e.view(), in_a.view()));
  return SkCipherPair{std::move(outbound), std::move(inbound)};
}

}  // namespace ike::crypto
