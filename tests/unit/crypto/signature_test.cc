// Signer / Verifier and the RFC 7427 AlgorithmIdentifier encodings.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>
#include <string>

#include "libike/crypto/signature_scheme.h"
#include "libike/crypto/signer.h"
#include "libike/crypto/verifier.h"

namespace ike::crypto {
namespace {

// ---- test key material, generated fresh per process ----------------------

EVP_PKEY* GenerateKey(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    case KeyType::kEcP256: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyType::kEcP384: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyType::kEcP521: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
    case KeyType::kEd25519: return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    case KeyType::kEd448: return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  }
  return nullptr;
}

struct TestKey {
  std::string private_pem;
  Bytes private_der;
  Bytes spki_der;
  Bytes cert_der;
  std::string cert_pem;
};

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

// A self-signed certificate so Verifier::FromCertificateDer is exercised.
void MakeCertificate(EVP_PKEY* key, TestKey& out) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  const bool eddsa = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
  ASSERT_GT(X509_sign(cert, key, eddsa ? nullptr : EVP_sha256()), 0);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  out.cert_der.assign(der, der + len);
  OPENSSL_free(der);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  out.cert_pem = BioToString(bio);
  BIO_free(bio);
  X509_free(cert);
}

const TestKey& KeyFor(KeyType type) {
  static std::map<KeyType, TestKey> cache;
  auto it = cache.find(type);
  if (it != cache.end()) return it->second;
  TestKey k;
  EVP_PKEY* key = GenerateKey(type);
  EXPECT_NE(key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  k.private_pem = BioToString(bio);
  BIO_free(bio);
  unsigned char* der = nullptr;
  int len = i2d_PrivateKey(key, &der);
  k.private_der.assign(der, der + len);
  OPENSSL_free(der);
  der = nullptr;
  len = i2d_PUBKEY(key, &der);
  k.spki_der.assign(der, der + len);
  OPENSSL_free(der);
  MakeCertificate(key, k);
  EVP_PKEY_free(key);
  return cache.emplace(type, std::move(k)).first->second;
}

Signer LoadSigner(KeyType type) {
  const TestKey& k = KeyFor(type);
  auto s = Signer::FromPem(AsBytes(k.private_pem));
  EXPECT_TRUE(s.has_value());
  return std::move(s).value();
}

const SignatureScheme kAllSchemes[] = {
    SignatureScheme::kRsaPkcs1Sha1,   SignatureScheme::kRsaPkcs1Sha256, SignatureScheme::kRsaPkcs1Sha384,
    SignatureScheme::kRsaPkcs1Sha512, SignatureScheme::kRsaPssSha256,   SignatureScheme::kRsaPssSha384,
    SignatureScheme::kRsaPssSha512,   SignatureScheme::kEcdsaSha256,    SignatureScheme::kEcdsaSha384,
    SignatureScheme::kEcdsaSha512,    SignatureScheme::kEd25519,        SignatureScheme::kEd448};

const KeyType kAllKeyTypes[] = {KeyType::kRsa,    KeyType::kEcP256,  KeyType::kEcP384,
                                KeyType::kEcP521, KeyType::kEd25519, KeyType::kEd448};

// ---- sign / verify ----------------------------------------------------------

TEST(Signature, RoundTripEverySchemeEveryKey) {
  const Bytes data = HexOrDie("2e20232000000000000000000000000000000000deadbeef");
  int signed_count = 0;
  for (KeyType type : kAllKeyTypes) {
    Signer signer = LoadSigner(type);
    EXPECT_EQ(signer.key_type(), type);
    auto verifier = Verifier::FromSpkiDer(*signer.PublicKeySpki());
    ASSERT_TRUE(verifier.has_value());
    for (SignatureScheme scheme : kAllSchemes) {
      if (!signer.Supports(scheme)) {
        EXPECT_EQ(signer.Sign(scheme, data).error().code, CryptoErrc::kUnsupportedAlgorithm);
        EXPECT_EQ(verifier->Verify(scheme, data, Bytes(8, 1)).error().code, CryptoErrc::kUnsupportedAlgorithm);
        continue;
      }
      auto sig = signer.Sign(scheme, data);
      ASSERT_TRUE(sig.has_value()) << SignatureSchemeName(scheme) << ": " << sig.error().detail;
      EXPECT_TRUE(verifier->Verify(scheme, data, *sig).has_value()) << SignatureSchemeName(scheme);
      Bytes other = data;
      other[3] ^= 1;
      EXPECT_EQ(verifier->Verify(scheme, other, *sig).error().code, CryptoErrc::kSignatureInvalid);
      Bytes bad_sig = *sig;
      bad_sig[bad_sig.size() / 2] ^= 0x10;
      EXPECT_EQ(verifier->Verify(scheme, data, bad_sig).error().code, CryptoErrc::kSignatureInvalid);
      EXPECT_EQ(verifier->Verify(scheme, data, {}).error().code, CryptoErrc::kSignatureInvalid);
      ++signed_count;
    }
  }
  EXPECT_EQ(signed_count, 7 + 3 * 3 + 1 + 1);
}

TEST(Signature, KeysLoadFromDerPemAndCertificates) {
  for (KeyType type : kAllKeyTypes) {
    const TestKey& k = KeyFor(type);
    auto from_der = Signer::FromDer(k.private_der);
    ASSERT_TRUE(from_der.has_value());
    EXPECT_EQ(*from_der->PublicKeySpki(), k.spki_der);
    auto from_cert = Verifier::FromCertificateDer(k.cert_der);
    ASSERT_TRUE(from_cert.has_value());
    auto from_cert_pem = Verifier::FromPem(AsBytes(k.cert_pem));
    ASSERT_TRUE(from_cert_pem.has_value());
    SignatureScheme scheme = type == KeyType::kRsa       ? SignatureScheme::kRsaPssSha256
                             : type == KeyType::kEd25519 ? SignatureScheme::kEd25519
                             : type == KeyType::kEd448   ? SignatureScheme::kEd448
                                                         : SignatureScheme::kEcdsaSha384;
    auto sig = from_der->Sign(scheme, AsBytes("signed octets"));
    ASSERT_TRUE(sig.has_value());
    EXPECT_TRUE(from_cert->Verify(scheme, AsBytes("signed octets"), *sig).has_value());
    EXPECT_TRUE(from_cert_pem->Verify(scheme, AsBytes("signed octets"), *sig).has_value());
  }
}

TEST(Signature, RejectsGarbageKeys) {
  EXPECT_EQ(Signer::FromPem(AsBytes("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")).error().code,
            CryptoErrc::kInvalidKey);
  EXPECT_EQ(Signer::FromDer(HexOrDie("3003020100")).error().code, CryptoErrc::kInvalidKey);
  EXPECT_EQ(Verifier::FromSpkiDer(HexOrDie("300506032b6570")).error().code, CryptoErrc::kInvalidKey);
  EXPECT_EQ(Verifier::FromCertificateDer(HexOrDie("3000")).error().code, CryptoErrc::kInvalidKey);
  // A certificate followed by trailing bytes is not a certificate.
  Bytes cert = KeyFor(KeyType::kEcP256).cert_der;
  cert.push_back(0);
  EXPECT_EQ(Verifier::FromCertificateDer(cert).error().code, CryptoErrc::kInvalidKey);
  // Encrypted private keys are refused (no passphrase handling here).
  EVP_PKEY* key = GenerateKey(KeyType::kEcP256);
  BIO* bio = BIO_new(BIO_s_mem());
  const char pass[] = "secret";
  PEM_write_bio_PrivateKey(bio, key, EVP_aes_128_cbc(), reinterpret_cast<const unsigned char*>(pass), 6, nullptr,
                           nullptr);
  std::string pem = BioToString(bio);
  BIO_free(bio);
  EVP_PKEY_free(key);
  EXPECT_EQ(Signer::FromPem(AsBytes(pem)).error().code, CryptoErrc::kInvalidKey);
}

// RSASSA-PSS parameters checked independently: OpenSSL verifying with an
// explicit salt length equal to the hash length and MGF1 with that hash.
TEST(Signature, PssUsesHashLengthSaltAndMatchingMgf1) {
  Signer signer = LoadSigner(KeyType::kRsa);
  const TestKey& k = KeyFor(KeyType::kRsa);
  const unsigned char* p = k.spki_der.data();
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, static_cast<long>(k.spki_der.size()));
  ASSERT_NE(pub, nullptr);
  struct {
    SignatureScheme scheme;
    const EVP_MD* md;
    int salt;
  } cases[] = {{SignatureScheme::kRsaPssSha256, EVP_sha256(), 32},
               {SignatureScheme::kRsaPssSha384, EVP_sha384(), 48},
               {SignatureScheme::kRsaPssSha512, EVP_sha512(), 64}};
  for (const auto& c : cases) {
    Bytes sig = *signer.Sign(c.scheme, AsBytes("data"));
    for (int salt : {c.salt, c.salt - 1}) {
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      EVP_PKEY_CTX* pctx = nullptr;
      ASSERT_EQ(EVP_DigestVerifyInit(ctx, &pctx, c.md, nullptr, pub), 1);
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, c.md);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt);
      const uint8_t data[] = {'d', 'a', 't', 'a'};
      int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(), data, sizeof(data));
      EXPECT_EQ(ok == 1, salt == c.salt) << SignatureSchemeName(c.scheme) << " salt " << salt;
      EVP_MD_CTX_free(ctx);
    }
  }
  EVP_PKEY_free(pub);
}

// ---- classic AUTH methods (RFC 7296 method 1, RFC 4754 methods 9-11) -------

TEST(Signature, ClassicMethods) {
  const Bytes data = HexOrDie("0102030405060708");
  Signer rsa = LoadSigner(KeyType::kRsa);
  auto rsa_v = Verifier::FromSpkiDer(*rsa.PublicKeySpki());
  auto sig1 = rsa.SignClassic(AuthMethod::kRsaSig, data);
  ASSERT_TRUE(sig1.has_value());
  EXPECT_EQ(sig1->size(), 256u);
  EXPECT_TRUE(rsa_v->VerifyClassic(AuthMethod::kRsaSig, data, *sig1).has_value());
  // Method 1 is PKCS#1 v1.5 with SHA-1.
  EXPECT_TRUE(rsa_v->Verify(SignatureScheme::kRsaPkcs1Sha1, data, *sig1).has_value());
  EXPECT_EQ(rsa.SignClassic(AuthMethod::kPsk, data).error().code, CryptoErrc::kUnsupportedAlgorithm);

  struct {
    AuthMethod method;
    KeyType type;
    size_t size;
    int nid;
    const EVP_MD* md;
  } cases[] = {{AuthMethod::kEcdsaSha256P256, KeyType::kEcP256, 64, 0, EVP_sha256()},
               {AuthMethod::kEcdsaSha384P384, KeyType::kEcP384, 96, 0, EVP_sha384()},
               {AuthMethod::kEcdsaSha512P521, KeyType::kEcP521, 132, 0, EVP_sha512()}};
  for (const auto& c : cases) {
    Signer ec = LoadSigner(c.type);
    auto v = Verifier::FromSpkiDer(*ec.PublicKeySpki());
    auto sig = ec.SignClassic(c.method, data);
    ASSERT_TRUE(sig.has_value());
    EXPECT_EQ(sig->size(), c.size);
    EXPECT_TRUE(v->VerifyClassic(c.method, data, *sig).has_value());
    Bytes bad = *sig;
    bad[c.size - 1] ^= 1;
    EXPECT_EQ(v->VerifyClassic(c.method, data, bad).error().code, CryptoErrc::kSignatureInvalid);
    EXPECT_EQ(v->VerifyClassic(c.method, data, ByteView(*sig).first(c.size - 1)).error().code,
              CryptoErrc::kSignatureInvalid);
    // Independent check: r | s re-encoded as DER by the test verifies.
    ECDSA_SIG* es = ECDSA_SIG_new();
    const size_t half = c.size / 2;
    ECDSA_SIG_set0(es, BN_bin2bn(sig->data(), static_cast<int>(half), nullptr),
                   BN_bin2bn(sig->data() + half, static_cast<int>(half), nullptr));
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(es, &der);
    Bytes der_sig(der, der + der_len);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EXPECT_TRUE(v->Verify(ClassicAuthScheme(c.method).value(), data, der_sig).has_value());
  }
  // The curve must match the method.
  Signer p256 = LoadSigner(KeyType::kEcP256);
  EXPECT_EQ(p256.SignClassic(AuthMethod::kEcdsaSha384P384, data).error().code, CryptoErrc::kUnsupportedAlgorithm);
}

// ---- RFC 7427 AlgorithmIdentifier -----------------------------------------

TEST(SignatureScheme, EncodingsFromRfc7427) {
  // Appendix A of RFC 7427 (A.1-A.4) and RFC 8420 for Ed25519.
  EXPECT_EQ(ToHex(EncodeAlgorithmIdentifier(SignatureScheme::kRsaPkcs1Sha256)), "300d06092a864886f70d01010b0500");
  EXPECT_EQ(ToHex(EncodeAlgorithmIdentifier(SignatureScheme::kEcdsaSha384)), "300a06082a8648ce3d040303");
  EXPECT_EQ(ToHex(EncodeAlgorithmIdentifier(SignatureScheme::kEd25519)), "300506032b6570");
  EXPECT_EQ(ToHex(EncodeAlgorithmIdentifier(SignatureScheme::kRsaPssSha256)),
            "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06"
            "096086480165030402010500a203020120");
}

TEST(SignatureScheme, EncodeParseRoundTrip) {
  for (SignatureScheme scheme : kAllSchemes) {
    Bytes der = EncodeAlgorithmIdentifier(scheme);
    auto parsed = ParseAlgorithmIdentifier(der);
    ASSERT_TRUE(parsed.has_value()) << SignatureSchemeName(scheme);
    EXPECT_EQ(*parsed, scheme);
    // Every truncation and an appended byte are rejected.
    for (size_t n = 0; n < der.size(); ++n) {
      EXPECT_FALSE(ParseAlgorithmIdentifier(ByteView(der).first(n)).has_value()) << n;
    }
    Bytes longer = der;
    longer.push_back(0);
    EXPECT_FALSE(ParseAlgorithmIdentifier(longer).has_value());
    // AUTH data round trip.
    Bytes auth = EncodeDigitalSignatureAuth(scheme, HexOrDie("a1a2a3"));
    auto a = ParseDigitalSignatureAuth(auth);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->scheme, scheme);
    EXPECT_EQ(ToHex(a->signature), "a1a2a3");
  }
}

TEST(SignatureScheme, PssVariantsAndViolations) {
  // Hash AlgorithmIdentifiers without the NULL (RFC 4055 allows both).
  const char kNoNulls[] =
      "303d06092a864886f70d01010a3030a00d300b0609608648016503040201a11a301806092a864886f70d010108300b06096086"
      "48016503040201a203020120";
  EXPECT_EQ(*ParseAlgorithmIdentifier(HexOrDie(kNoNulls)), SignatureScheme::kRsaPssSha256);
  // Explicit trailerField = 1 is accepted.
  const char kTrailer[] =
      "304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d0609"
      "6086480165030402010500a203020120a303020101";
  EXPECT_EQ(*ParseAlgorithmIdentifier(HexOrDie(kTrailer)), SignatureScheme::kRsaPssSha256);
  // Salt 20 with SHA-256: unsupported.
  const char kSalt20[] =
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d0609"
      "6086480165030402010500a203020114";
  EXPECT_EQ(ParseAlgorithmIdentifier(HexOrDie(kSalt20)).error().code, CryptoErrc::kUnsupportedAlgorithm);
  // MGF1 with SHA-384 under a SHA-256 hash: unsupported.
  const char kMgfMismatch[] =
      "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d0609"
      "6086480165030402020500a203020120";
  EXPECT_EQ(ParseAlgorithmIdentifier(HexOrDie(kMgfMismatch)).error().code, CryptoErrc::kUnsupportedAlgorithm);
  // RSASSA-PSS with no parameters (all defaults: SHA-1): rejected.
  EXPECT_FALSE(ParseAlgorithmIdentifier(HexOrDie("300b06092a864886f70d01010a")).has_value());
  // Non-minimal length encoding (0x81 0x0d) of a PKCS#1 identifier.
  EXPECT_FALSE(ParseAlgorithmIdentifier(HexOrDie("30810d06092a864886f70d01010b0500")).has_value());
  // sha256WithRSAEncryption without the NULL: not the RFC 7427 encoding.
  EXPECT_FALSE(ParseAlgorithmIdentifier(HexOrDie("300b06092a864886f70d01010b")).has_value());
  // Unknown OID (md5WithRSAEncryption).
  EXPECT_EQ(ParseAlgorithmIdentifier(HexOrDie("300d06092a864886f70d0101040500")).error().code,
            CryptoErrc::kUnsupportedAlgorithm);
}

TEST(SignatureScheme, AuthDataViolations) {
  EXPECT_FALSE(ParseDigitalSignatureAuth({}).has_value());
  EXPECT_FALSE(ParseDigitalSignatureAuth(HexOrDie("00")).has_value());
  // Length byte larger than the data.
  EXPECT_FALSE(ParseDigitalSignatureAuth(HexOrDie("08300506032b6570")).has_value());
  // Length byte shorter than the AlgorithmIdentifier.
  EXPECT_FALSE(ParseDigitalSignatureAuth(HexOrDie("06300506032b6570aa")).has_value());
  // No signature after the identifier.
  EXPECT_FALSE(ParseDigitalSignatureAuth(HexOrDie("07300506032b6570")).has_value());
  EXPECT_TRUE(ParseDigitalSignatureAuth(HexOrDie("07300506032b6570aa")).has_value());
}

TEST(SignatureScheme, HashesAndClassicMethods) {
  EXPECT_EQ(SchemeHash(SignatureScheme::kRsaPssSha384), HashAlgorithm::kSha2_384);
  EXPECT_EQ(SchemeHash(SignatureScheme::kEd25519), HashAlgorithm::kIdentity);
  EXPECT_EQ(ClassicAuthScheme(AuthMethod::kRsaSig), SignatureScheme::kRsaPkcs1Sha1);
  EXPECT_EQ(ClassicAuthScheme(AuthMethod::kEcdsaSha512P521), SignatureScheme::kEcdsaSha512);
  EXPECT_FALSE(ClassicAuthScheme(AuthMethod::kDigitalSignature).has_value());
}

}  // namespace
}  // namespace ike::crypto
