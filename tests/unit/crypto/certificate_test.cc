// ParseCertificate: the short-search parse gives the same certificate and
// key as d2i_X509, chains and signatures verify the same way, and bad input
// is refused.
#include "libike/crypto/certificate.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "libike/crypto/signer.h"
#include "libike/crypto/verifier.h"
#include "tests/sim/cert_util.h"

namespace ike::crypto {
namespace {

using sim::KeyKind;

X509Ptr Ordinary(ByteView der) {
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string ProviderOf(EVP_PKEY* key) {
  const OSSL_PROVIDER* p = key ? EVP_PKEY_get0_provider(key) : nullptr;
  return p ? OSSL_PROVIDER_get0_name(p) : "";
}

// X509_verify_cert of `ee` against a store holding `ca`.
int VerifyChain(X509* ca, X509* ee) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                       X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), ee, nullptr);
  int ok = X509_verify_cert(ctx.get());
  return ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

class CertificateByKind : public ::testing::TestWithParam<KeyKind> {};

TEST_P(CertificateByKind, SameCertificateAndKeyAsOrdinaryParse) {
  ASSERT_TRUE(QuickCertificateParsing());
  sim::KeyCert ca = sim::MakeCa(GetParam(), "Test CA");
  sim::KeyCert ee = sim::MakeCert(GetParam(), "ee.example", {"ee.example"}, ca);

  X509Ptr quick = ParseCertificate(ee.cert);
  X509Ptr plain = Ordinary(ee.cert);
  ASSERT_TRUE(quick);
  ASSERT_TRUE(plain);
  EXPECT_EQ(X509_cmp(quick.get(), plain.get()), 0);
  EVP_PKEY* qk = X509_get0_pubkey(quick.get());
  ASSERT_NE(qk, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(qk, X509_get0_pubkey(plain.get())), 1);
  // The key came through the short search, not the fallback.
  EXPECT_EQ(ProviderOf(qk), "ike-certificate-keys");
  EXPECT_EQ(EVP_PKEY_get_bits(qk), EVP_PKEY_get_bits(X509_get0_pubkey(plain.get())));

  // The chain verifies whichever way each side was parsed.
  X509Ptr ca_quick = ParseCertificate(ca.cert);
  X509Ptr ca_plain = Ordinary(ca.cert);
  ASSERT_TRUE(ca_quick && ca_plain);
  EXPECT_EQ(VerifyChain(ca_plain.get(), quick.get()), X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_quick.get(), quick.get()), X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_quick.get(), plain.get()), X509_V_OK);

  // A signature by the end entity's key verifies with the parsed key; a
  // changed message does not.
  auto signer = Signer::FromDer(ee.key);
  ASSERT_TRUE(signer) << signer.error().detail;
  SignatureScheme scheme = SignatureScheme::kEcdsaSha256;
  switch (GetParam()) {
    case KeyKind::kRsa2048:
    case KeyKind::kRsa4096: scheme = SignatureScheme::kRsaPkcs1Sha256; break;
    case KeyKind::kEcP256: scheme = SignatureScheme::kEcdsaSha256; break;
    case KeyKind::kEcP384: scheme = SignatureScheme::kEcdsaSha384; break;
    case KeyKind::kEd25519: scheme = SignatureScheme::kEd25519; break;
  }
  const Bytes msg = {'I', 'K', 'E', '_', 'A', 'U', 'T', 'H'};
  auto sig = signer->Sign(scheme, msg);
  ASSERT_TRUE(sig) << sig.error().detail;
  auto verifier = Verifier::FromPublicKey(qk);
  ASSERT_TRUE(verifier) << verifier.error().detail;
  EXPECT_TRUE(verifier->Verify(scheme, msg, *sig));
  Bytes other = msg;
  other[0] ^= 1;
  EXPECT_FALSE(verifier->Verify(scheme, other, *sig));
}

TEST_P(CertificateByKind, ForgedSignatureFailsTheChain) {
  sim::KeyCert ca = sim::MakeCa(GetParam(), "Test CA");
  sim::KeyCert ee = sim::MakeCert(GetParam(), "ee.example", {"ee.example"}, ca);
  Bytes bad = ee.cert;
  bad[bad.size() - 3] ^= 0x01;  // inside the signature value
  X509Ptr cert = ParseCertificate(bad);
  ASSERT_TRUE(cert);
  X509Ptr ca_cert = ParseCertificate(ca.cert);
  ASSERT_TRUE(ca_cert);
  EXPECT_EQ(VerifyChain(ca_cert.get(), cert.get()), X509_V_ERR_CERT_SIGNATURE_FAILURE);
  // A certificate from a different CA does not chain either.
  sim::KeyCert other_ca = sim::MakeCa(GetParam(), "Test CA");
  X509Ptr other = ParseCertificate(other_ca.cert);
  X509Ptr good = ParseCertificate(ee.cert);
  ASSERT_TRUE(other && good);
  EXPECT_NE(VerifyChain(other.get(), good.get()), X509_V_OK);
}

INSTANTIATE_TEST_SUITE_P(Kinds, CertificateByKind,
                         ::testing::Values(KeyKind::kEcP256, KeyKind::kEcP384, KeyKind::kRsa2048,
                                           KeyKind::kEd25519));

TEST(Certificate, RefusesMalformedTruncatedAndTrailingInput) {
  sim::KeyCert ca = sim::MakeCa(KeyKind::kEcP256, "Test CA");
  EXPECT_FALSE(ParseCertificate({}));
  EXPECT_FALSE(ParseCertificate(Bytes{0x30, 0x03, 0x02, 0x01, 0x00}));
  Bytes truncated(ca.cert.begin(), ca.cert.end() - 1);
  EXPECT_FALSE(ParseCertificate(truncated));
  Bytes trailing = ca.cert;
  trailing.push_back(0);
  EXPECT_FALSE(ParseCertificate(trailing));
  Bytes garbage(300, 0xa5);
  EXPECT_FALSE(ParseCertificate(garbage));
}

// A key type outside the short list (X25519 here) falls back to the
// ordinary parse and still has its key.
TEST(Certificate, OtherKeyTypesFallBackToTheOrdinaryParse) {
  sim::KeyCert ca = sim::MakeCa(KeyKind::kEcP256, "Test CA");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> xkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"),
                                                          EVP_PKEY_free);
  ASSERT_TRUE(xkey);
  const unsigned char* kp = ca.key.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ca_key(
      d2i_AutoPrivateKey(nullptr, &kp, static_cast<long>(ca.key.size())), EVP_PKEY_free);
  ASSERT_TRUE(ca_key);
  X509Ptr ca_cert = Ordinary(ca.cert);
  X509Ptr x(X509_new());
  ASSERT_TRUE(x && ca_cert);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_set_issuer_name(x.get(), X509_get_subject_name(ca_cert.get()));
  X509_set_subject_name(x.get(), X509_get_subject_name(ca_cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  ASSERT_EQ(X509_set_pubkey(x.get(), xkey.get()), 1);
  ASSERT_GT(X509_sign(x.get(), ca_key.get(), EVP_sha256()), 0);
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  ASSERT_GT(len, 0);
  Bytes bytes(der, der + len);
  OPENSSL_free(der);

  X509Ptr parsed = ParseCertificate(bytes);
  ASSERT_TRUE(parsed);
  EVP_PKEY* key = X509_get0_pubkey(parsed.get());
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "X25519"));
  EXPECT_EQ(EVP_PKEY_eq(key, xkey.get()), 1);
}

}  // namespace
}  // namespace ike::crypto
