#include "libike/crypto/signer.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "libike/crypto/signature_internal.h"

namespace ike::crypto {

using internal::EvpPkeyPtr;
using internal::OpenSslFail;

namespace {
using BioPtr = std::unique_ptr<BIO, internal::Deleter<BIO_free>>;

// Refuses to prompt for or use a passphrase: encrypted keys fail to load.
int NoPassword(char*, int, int, void*) { return 0; }
}  // namespace

CryptoResult<Signer> Signer::FromKey(EVP_PKEY* raw) {
  EvpPkeyPtr key(raw);
  auto type = internal::KeyTypeOf(key.get());
  if (!type) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "private key type not supported");
  return Signer(std::move(key), *type);
}

CryptoResult<Signer> Signer::FromPem(ByteView pem) {
  if (pem.empty() || pem.size() > (1u << 20)) return CryptoFail(CryptoErrc::kInvalidKey, "bad PEM size");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFail("BIO_new_mem_buf");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr);
  if (key == nullptr) {
    ERR_clear_error();
    return CryptoFail(CryptoErrc::kInvalidKey, "no usable unencrypted private key in PEM");
  }
  return FromKey(key);
}

CryptoResult<Signer> Signer::FromDer(ByteView der) {
  const unsigned char* p = der.data();
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) {
    ERR_clear_error();
    return CryptoFail(CryptoErrc::kInvalidKey, "unparsable DER private key");
  }
  return FromKey(key);
}

bool Signer::Supports(SignatureScheme scheme) const { return internal::KeySupports(key_type_, scheme); }

CryptoResult<Bytes> Signer::PublicKeySpki() const {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) return OpenSslFail("i2d_PUBKEY");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

CryptoResult<Bytes> Signer::Sign(SignatureScheme scheme, ByteView data) const {
  if (!Supports(scheme)) {
    return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                      std::string("key cannot sign with ") + SignatureSchemeName(scheme));
  }
  IKE_ASSIGN_OR_RETURN(internal::EvpMdCtxPtr ctx, internal::InitDigestCtx(key_.get(), scheme, true));
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) return OpenSslFail("sign size");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) return OpenSslFail("sign");
  sig.resize(len);
  return sig;
}

CryptoResult<Bytes> Signer::SignClassic(AuthMethod method, ByteView data) const {
  auto scheme = ClassicAuthScheme(method);
  if (!scheme) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "not a classic signature AUTH method");
  if (auto ec_type = internal::ClassicEcKeyType(method)) {
    if (*ec_type != key_type_) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "key curve does not match the AUTH method");
    }
    IKE_ASSIGN_OR_RETURN(Bytes der, Sign(*scheme, data));
    return internal::EcdsaDerToRaw(der, internal::EcCoordinateSize(key_type_));
  }
  return Sign(*scheme, data);
}

CryptoResult<Bytes> Signer::SignRawHash(ByteView hash) const {
  bool rsa = key_type_ == KeyType::kRsa;
  bool ec = key_type_ == KeyType::kEcP256 || key_type_ == KeyType::kEcP384 ||
            key_type_ == KeyType::kEcP521;
  if (!rsa && !ec) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "key type for IKEv1");
  std::unique_ptr<EVP_PKEY_CTX, internal::Deleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return OpenSslFail("sign init");
  if (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return OpenSslFail("rsa padding");
  }
  size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, hash.data(), hash.size()) != 1) return OpenSslFail("sign size");
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, hash.data(), hash.size()) != 1) return OpenSslFail("sign");
  sig.resize(len);
  if (ec) return internal::EcdsaDerToRaw(sig, internal::EcCoordinateSize(key_type_));
  return sig;
}

}  // namespace ike::crypto
