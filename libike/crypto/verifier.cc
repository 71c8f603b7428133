#include "libike/crypto/verifier.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string_view>

#include "libike/crypto/certificate.h"
#include "libike/crypto/signature_internal.h"

namespace ike::crypto {

using internal::EvpPkeyPtr;
using internal::OpenSslFail;

namespace {
using BioPtr = std::unique_ptr<BIO, internal::Deleter<BIO_free>>;

Unexpected<CryptoError> BadKey(const char* what) {
  ERR_clear_error();
  return CryptoFail(CryptoErrc::kInvalidKey, what);
}
Unexpected<CryptoError> BadSignature() {
  ERR_clear_error();
  return CryptoFail(CryptoErrc::kSignatureInvalid, "signature does not verify");
}
}  // namespace

CryptoResult<Verifier> Verifier::FromKey(EVP_PKEY* raw) {
  EvpPkeyPtr key(raw);
  auto type = internal::KeyTypeOf(key.get());
  if (!type) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "public key type not supported");
  return Verifier(std::move(key), *type);
}

CryptoResult<Verifier> Verifier::FromCertificateDer(ByteView der) {
  X509Ptr cert = ParseCertificate(der);
  if (!cert) return BadKey("unparsable X.509 certificate");
  EVP_PKEY* key = X509_get_pubkey(cert.get());  // new reference
  if (key == nullptr) return BadKey("certificate public key unusable");
  return FromKey(key);
}

CryptoResult<Verifier> Verifier::FromPublicKey(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) return BadKey("no public key");
  return FromKey(key);
}

CryptoResult<Verifier> Verifier::FromSpkiDer(ByteView der) {
  const unsigned char* p = der.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) return BadKey("unparsable SubjectPublicKeyInfo");
  if (p != der.data() + der.size()) {
    EVP_PKEY_free(key);
    return BadKey("trailing bytes after SubjectPublicKeyInfo");
  }
  return FromKey(key);
}

CryptoResult<Verifier> Verifier::FromPem(ByteView pem) {
  if (pem.empty() || pem.size() > (1u << 20)) return BadKey("bad PEM size");
  std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslFail("BIO_new_mem_buf");
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return BadKey("unparsable PEM certificate");
    EVP_PKEY* key = X509_get_pubkey(cert.get());
    if (key == nullptr) return BadKey("certificate public key unusable");
    return FromKey(key);
  }
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return BadKey("no PUBLIC KEY in PEM");
  return FromKey(key);
}

bool Verifier::Supports(SignatureScheme scheme) const { return internal::KeySupports(key_type_, scheme); }

CryptoResult<void> Verifier::Verify(SignatureScheme scheme, ByteView data, ByteView signature) const {
  if (!Supports(scheme)) {
    return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                      std::string("key cannot verify ") + SignatureSchemeName(scheme));
  }
  if (signature.empty()) return BadSignature();
  IKE_ASSIGN_OR_RETURN(internal::EvpMdCtxPtr ctx, internal::InitDigestCtx(key_.get(), scheme, false));
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size()) != 1) {
    return BadSignature();
  }
  return {};
}

CryptoResult<void> Verifier::VerifyClassic(AuthMethod method, ByteView data, ByteView signature) const {
  auto scheme = ClassicAuthScheme(method);
  if (!scheme) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "not a classic signature AUTH method");
  if (auto ec_type = internal::ClassicEcKeyType(method)) {
    if (*ec_type != key_type_) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "key curve does not match the AUTH method");
    }
    auto der = internal::EcdsaRawToDer(signature, internal::EcCoordinateSize(key_type_));
    if (!der) return BadSignature();
    return Verify(*scheme, data, *der);
  }
  return Verify(*scheme, data, signature);
}

CryptoResult<void> Verifier::VerifyRawHash(ByteView hash, ByteView signature) const {
  bool rsa = key_type_ == KeyType::kRsa;
  bool ec = key_type_ == KeyType::kEcP256 || key_type_ == KeyType::kEcP384 ||
            key_type_ == KeyType::kEcP521;
  if (!rsa && !ec) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "key type for IKEv1");
  Bytes der;
  if (ec) {
    auto d = internal::EcdsaRawToDer(signature, internal::EcCoordinateSize(key_type_));
    if (!d) return CryptoFail(CryptoErrc::kSignatureInvalid, "malformed ECDSA signature");
    der = std::move(*d);
    signature = der;
  }
  std::unique_ptr<EVP_PKEY_CTX, internal::Deleter<EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return internal::OpenSslFail("verify init");
  if (rsa && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return internal::OpenSslFail("rsa padding");
  }
  int ok = EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
  ERR_clear_error();
  if (ok != 1) return CryptoFail(CryptoErrc::kSignatureInvalid, "signature does not verify");
  return {};
}

}  // namespace ike::crypto
