#include "libike/crypto/signature_internal.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <cstring>

namespace ike::crypto::internal {

std::optional<KeyType> KeyTypeOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) return KeyType::kRsa;
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyType::kEd25519;
  if (EVP_PKEY_is_a(key, "ED448")) return KeyType::kEd448;
  if (EVP_PKEY_is_a(key, "EC")) {
    char name[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) != 1) {
      return std::nullopt;
    }
    std::string_view group(name, len);
    if (group == "prime256v1" || group == "P-256") return KeyType::kEcP256;
    if (group == "secp384r1" || group == "P-384") return KeyType::kEcP384;
    if (group == "secp521r1" || group == "P-521") return KeyType::kEcP521;
  }
  return std::nullopt;
}

bool KeySupports(KeyType type, SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha1:
    case SignatureScheme::kRsaPkcs1Sha256:
    case SignatureScheme::kRsaPkcs1Sha384:
    case SignatureScheme::kRsaPkcs1Sha512:
    case SignatureScheme::kRsaPssSha256:
    case SignatureScheme::kRsaPssSha384:
    case SignatureScheme::kRsaPssSha512: return type == KeyType::kRsa;
    case SignatureScheme::kEcdsaSha256:
    case SignatureScheme::kEcdsaSha384:
    case SignatureScheme::kEcdsaSha512:
      return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521;
    case SignatureScheme::kEd25519: return type == KeyType::kEd25519;
    case SignatureScheme::kEd448: return type == KeyType::kEd448;
  }
  return false;
}

size_t EcCoordinateSize(KeyType type) {
  switch (type) {
    case KeyType::kEcP256: return 32;
    case KeyType::kEcP384: return 48;
    case KeyType::kEcP521: return 66;
    default: return 0;
  }
}

std::optional<KeyType> ClassicEcKeyType(AuthMethod method) {
  switch (method) {
    case AuthMethod::kEcdsaSha256P256: return KeyType::kEcP256;
    case AuthMethod::kEcdsaSha384P384: return KeyType::kEcP384;
    case AuthMethod::kEcdsaSha512P521: return KeyType::kEcP521;
    default: return std::nullopt;
  }
}

namespace {
const EVP_MD* SchemeMd(SignatureScheme scheme) {
  switch (SchemeHash(scheme)) {
    case HashAlgorithm::kSha1: return EVP_sha1();
    case HashAlgorithm::kSha2_256: return EVP_sha256();
    case HashAlgorithm::kSha2_384: return EVP_sha384();
    case HashAlgorithm::kSha2_512: return EVP_sha512();
    default: return nullptr;  // EdDSA: no pre-hash
  }
}
bool IsPss(SignatureScheme s) {
  return s == SignatureScheme::kRsaPssSha256 || s == SignatureScheme::kRsaPssSha384 ||
         s == SignatureScheme::kRsaPssSha512;
}
}  // namespace

CryptoResult<EvpMdCtxPtr> InitDigestCtx(EVP_PKEY* key, SignatureScheme scheme, bool sign) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return OpenSslFail("EVP_MD_CTX_new");
  const EVP_MD* md = SchemeMd(scheme);
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const int ok = sign ? EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key)
                      : EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key);
  if (ok != 1) return OpenSslFail("digest sign/verify init");
  if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) {
    if (IsPss(scheme)) {
      if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1) {
        return OpenSslFail("RSA-PSS parameters");
      }
    } else if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return OpenSslFail("RSA PKCS#1 padding");
    }
  }
  return ctx;
}

using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

CryptoResult<Bytes> EcdsaDerToRaw(ByteView der, size_t coord_size) {
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    ERR_clear_error();
    return CryptoFail(CryptoErrc::kInvalidInput, "malformed ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes raw(2 * coord_size);
  if (BN_bn2binpad(r, raw.data(), static_cast<int>(coord_size)) < 0 ||
      BN_bn2binpad(s, raw.data() + coord_size, static_cast<int>(coord_size)) < 0) {
    return CryptoFail(CryptoErrc::kInvalidInput, "ECDSA r/s too large");
  }
  return raw;
}

CryptoResult<Bytes> EcdsaRawToDer(ByteView raw, size_t coord_size) {
  if (raw.size() != 2 * coord_size) return CryptoFail(CryptoErrc::kInvalidInput, "raw ECDSA signature size");
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(coord_size), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + coord_size, static_cast<int>(coord_size), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return OpenSslFail("ECDSA_SIG");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslFail("i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace ike::crypto::internal
