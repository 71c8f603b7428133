#include "libike/crypto/cbc_cipher.h"

#include <openssl/evp.h>

#include "libike/crypto/evp_util.h"

namespace ike::crypto {

namespace {
const EVP_CIPHER* CipherFor(CbcAlgorithm alg, size_t key_size) {
  if (alg == CbcAlgorithm::k3Des) return key_size == 24 ? EVP_des_ede3_cbc() : nullptr;
  switch (key_size) {
    case 16: return EVP_aes_128_cbc();
    case 24: return EVP_aes_192_cbc();
    case 32: return EVP_aes_256_cbc();
    default: return nullptr;
  }
}
}  // namespace

CryptoResult<CbcCipher> CbcCipher::Create(CbcAlgorithm alg, ByteView key) {
  if (!CipherFor(alg, key.size())) {
    return CryptoFail(CryptoErrc::kInvalidKeyLength, "CBC key length " + std::to_string(key.size()));
  }
  CbcCipher c;
  c.alg_ = alg;
  c.key_ = SecretBytes(key);
  return c;
}

size_t CbcCipher::block_size() const { return alg_ == CbcAlgorithm::kAes ? 16 : 8; }

CryptoResult<Bytes> CbcCipher::Crypt(bool encrypt, ByteView iv, ByteView in) const {
  const size_t bs = block_size();
  if (iv.size() != bs || in.size() % bs != 0) {
    return CryptoFail(CryptoErrc::kInvalidInput, "CBC input not block aligned");
  }
  Bytes out(in.size());
  if (in.empty()) return out;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return CryptoFail(CryptoErrc::kInternal, "EVP_CIPHER_CTX_new");
  int len = 0;
  bool ok = EVP_CipherInit_ex(ctx, CipherFor(alg_, key_.size()), nullptr, key_.data(), iv.data(),
                              encrypt ? 1 : 0) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
            EVP_CipherUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) == 1 &&
            static_cast<size_t>(len) == in.size();
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return CryptoFail(CryptoErrc::kInternal, "CBC cipher");
  return out;
}

}  // namespace ike::crypto
