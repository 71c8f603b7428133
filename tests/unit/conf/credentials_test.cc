// Credentials beside the configuration: certificates and keys are generated
// here with the OpenSSL API into a temporary folder (no key is committed).
#include "conf/credentials.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace ike::conf {
namespace {

namespace fs = std::filesystem;

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
struct CertDeleter {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, CertDeleter>;

Key NewKey(const char* type) {
  if (std::string(type) == "EC") return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (std::string(type) == "RSA") return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Issues a certificate for `key` with subject CN=`cn` (self-signed without issuer).
Cert Issue(EVP_PKEY* key, const std::string& cn, const char* san, EVP_PKEY* issuer_key,
           X509* issuer, bool ca, long not_before_days, long not_after_days) {
  Cert x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), not_before_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), not_after_days * 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("CH"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  if (ca) AddExt(x.get(), issuer ? issuer : x.get(), NID_basic_constraints, "critical,CA:TRUE");
  if (san) AddExt(x.get(), issuer ? issuer : x.get(), NID_subject_alt_name, san);
  EVP_PKEY* signer = issuer_key ? issuer_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  EXPECT_GT(X509_sign(x.get(), signer, md), 0);
  return x;
}

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conf_creds_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* sub : {"x509", "x509ca", "private", "rsa", "ecdsa", "pkcs8"}) {
      fs::create_directory(dir_ + "/" + sub);
    }
    ca_key_ = NewKey("EC");
    ca_ = Issue(ca_key_.get(), "Test CA", nullptr, nullptr, nullptr, true, -1, 3650);
    gw_key_ = NewKey("EC");
    gw_ = Issue(gw_key_.get(), "vpn.example.org", "DNS:vpn.example.org,IP:192.0.2.1",
                ca_key_.get(), ca_.get(), false, -1, 365);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteCertPem(X509* x, const std::string& rel) {
    FILE* f = fopen((dir_ + "/" + rel).c_str(), "w");
    ASSERT_NE(f, nullptr);
    PEM_write_X509(f, x);
    fclose(f);
  }
  void WriteCertDer(X509* x, const std::string& rel) {
    FILE* f = fopen((dir_ + "/" + rel).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    i2d_X509_fp(f, x);
    fclose(f);
  }
  void WriteKeyPem(EVP_PKEY* k, const std::string& rel, const char* pass = nullptr) {
    FILE* f = fopen((dir_ + "/" + rel).c_str(), "w");
    ASSERT_NE(f, nullptr);
    if (pass) {
      PEM_write_PKCS8PrivateKey(f, k, EVP_aes_256_cbc(), pass, static_cast<int>(strlen(pass)), nullptr, nullptr);
    } else {
      PEM_write_PrivateKey(f, k, nullptr, nullptr, 0, nullptr, nullptr);
    }
    fclose(f);
  }
  void WriteKeyDer(EVP_PKEY* k, const std::string& rel) {
    FILE* f = fopen((dir_ + "/" + rel).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    i2d_PrivateKey_fp(f, k);
    fclose(f);
  }
  void WriteText(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel) << text;
  }
  LoadResult Load(const std::string& text) {
    WriteText("swanctl.conf", text);
    LoadOptions opts;
    return LoadConfig(dir_ + "/swanctl.conf", opts);
  }
  std::string conf() const { return dir_ + "/swanctl.conf"; }

  std::string dir_;
  Key ca_key_, gw_key_;
  Cert ca_, gw_;
};

TEST_F(CredentialsTest, AnchorEapExampleWithGatewayCertificate) {
  WriteCertPem(gw_.get(), "x509/gatewayCert.pem");
  WriteKeyPem(gw_key_.get(), "private/gatewayKey.pem");
  WriteCertPem(ca_.get(), "x509ca/caCert.pem");
  auto r = Load(testing::ReadData("anchor/rw-eap.conf"));
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  const Config& c = *r;
  EXPECT_TRUE(c.warnings.empty()) << FormatDiagnostics(c.warnings);
  ASSERT_EQ(c.certificates.size(), 2u);
  ASSERT_EQ(c.connections[0].local[0].certs.size(), 1u);
  const Certificate& gw = c.certificates[c.connections[0].local[0].certs[0]];
  EXPECT_EQ(gw.subject, "C=CH, O=Test, CN=vpn.example.org");
  EXPECT_EQ(gw.issuer, "C=CH, O=Test, CN=Test CA");
  EXPECT_EQ(gw.san_dns, std::vector<std::string>{"vpn.example.org"});
  ASSERT_EQ(gw.san_ip.size(), 1u);
  EXPECT_EQ(gw.san_ip[0].ToString(), "192.0.2.1");
  EXPECT_FALSE(gw.is_ca);
  EXPECT_FALSE(gw.from_ca_dir);
  EXPECT_EQ(gw.key_type, KeyType::kEcdsa);
  EXPECT_EQ(gw.serial_hex, "1092");
  ASSERT_EQ(c.private_keys.size(), 1u);
  EXPECT_EQ(c.private_keys[0].type, KeyType::kEcdsa);
  EXPECT_NE(c.FindKeyFor(gw), nullptr);
  // The key is held as PKCS#8 DER that OpenSSL reads back.
  const unsigned char* p = c.private_keys[0].pkcs8_der.data();
  Key back(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(c.private_keys[0].pkcs8_der.size())));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(back.get(), gw_key_.get()), 1);
  const Certificate& ca = c.certificates[0].is_ca ? c.certificates[0] : c.certificates[1];
  EXPECT_TRUE(ca.is_ca);
  EXPECT_TRUE(ca.from_ca_dir);
}

TEST_F(CredentialsTest, SiteToSiteCertificatesDerRsaAndAuthorities) {
  Key rsa = NewKey("RSA");
  Cert rsa_cert = Issue(rsa.get(), "moon.example.org", "DNS:moon.example.org", ca_key_.get(),
                        ca_.get(), false, -1, 365);
  WriteCertDer(rsa_cert.get(), "x509/moonCert.der");
  WriteKeyDer(rsa.get(), "rsa/moonKey.der");
  WriteCertPem(ca_.get(), "x509ca/caCert.pem");
  auto r = Load(R"(connections {
  s2s {
    remote_addrs = 198.51.100.1
    local {
      auth = pubkey
      certs = moonCert.der
      id = "C=CH, O=Test, CN=moon.example.org"
    }
    remote {
      auth = pubkey
      id = sun.example.org
      cacerts = caCert.pem
      revocation = strict
    }
    children {
      net {
        local_ts = 10.1.0.0/16
        remote_ts = 10.2.0.0/16
        start_action = trap
      }
    }
  }
}
authorities {
  test-ca {
    cacert = caCert.pem
    crl_uris = http://crl.example.org/test.crl
  }
}
)");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  const Config& c = *r;
  const auto& conn = c.connections[0];
  ASSERT_EQ(conn.local[0].certs.size(), 1u);
  EXPECT_EQ(c.certificates[conn.local[0].certs[0]].key_type, KeyType::kRsa);
  EXPECT_EQ(c.certificates[conn.local[0].certs[0]].subject_der, conn.local[0].id->encoding);
  ASSERT_EQ(conn.remote[0].cacerts.size(), 1u);
  EXPECT_TRUE(c.certificates[conn.remote[0].cacerts[0]].is_ca);
  EXPECT_EQ(conn.remote[0].revocation, Revocation::kStrict);
  ASSERT_EQ(c.authorities.size(), 1u);
  ASSERT_TRUE(c.authorities[0].cacert.has_value());
  EXPECT_EQ(*c.authorities[0].cacert, conn.remote[0].cacerts[0]);
  ASSERT_EQ(c.private_keys.size(), 1u);
  EXPECT_EQ(c.private_keys[0].type, KeyType::kRsa);
  // crl_uris is parsed but CRLs are not fetched: a warning says so.
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].ToString(), conf() + ":27: authorities.test-ca.crl_uris: warning: parsed "
                                               "but not yet supported (CRLs are not fetched)");
}

constexpr const char* kGateway = R"(connections {
  gw {
    local {
      certs = gatewayCert.pem
      id = vpn.example.org
    }
  }
}
)";

TEST_F(CredentialsTest, EncryptedKeyWithPassphraseFromSecrets) {
  WriteCertPem(gw_.get(), "x509/gatewayCert.pem");
  WriteKeyPem(gw_key_.get(), "private/gatewayKey.pem", "test-only passphrase");
  auto ok = Load(std::string(kGateway) +
                 "secrets {\n  private-gw {\n    file = gatewayKey.pem\n    secret = \"test-only passphrase\"\n  }\n}\n");
  ASSERT_TRUE(ok.has_value()) << FormatDiagnostics(ok.error());
  ASSERT_EQ(ok->private_keys.size(), 1u);
  EXPECT_NE(ok->FindKeyFor(ok->certificates[0]), nullptr);

  auto none = Load(kGateway);
  ASSERT_FALSE(none.has_value());
  std::string key_path = dir_ + "/private/gatewayKey.pem";
  EXPECT_EQ(none.error()[0].ToString(),
            key_path + ":0: private: private key '" + key_path +
                "': the private key is encrypted and no passphrase is configured (add secrets { "
                "private-<name> { file = <file> secret = <passphrase> } })");

  auto wrong = Load(std::string(kGateway) +
                    "secrets {\n  private-gw {\n    file = gatewayKey.pem\n    secret = wrong\n  }\n}\n");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error()[0].message.find("cannot decrypt the private key"), std::string::npos)
      << wrong.error()[0].ToString();
}

TEST_F(CredentialsTest, WrongKeyForCertificateIsAnError) {
  WriteCertPem(gw_.get(), "x509/gatewayCert.pem");
  Key other = NewKey("EC");
  WriteKeyPem(other.get(), "ecdsa/otherKey.pem");
  auto r = Load(kGateway);
  ASSERT_FALSE(r.has_value());
  std::vector<std::string> errors;
  for (const auto& d : r.error()) {
    if (d.severity == Severity::kError) errors.push_back(d.ToString());
  }
  EXPECT_EQ(errors, std::vector<std::string>{
                        conf() + ":4: connections.gw.local.certs: no private key matches certificate "
                                 "'gatewayCert.pem' (C=CH, O=Test, CN=vpn.example.org); put its key "
                                 "in private/, rsa/, ecdsa/ or pkcs8/"});
}

TEST_F(CredentialsTest, UnreadableCertificate) {
  auto r = Load(R"(connections {
  gw {
    local {
      certs = missing.pem
    }
  }
}
)");
  ASSERT_FALSE(r.has_value());
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].ToString(),
            conf() + ":4: connections.gw.local.certs: cannot load certificate 'missing.pem' (" + dir_ +
                "/x509/missing.pem): No such file or directory");
}

TEST_F(CredentialsTest, GarbageInCredentialFolderIsAnError) {
  WriteText("x509/README", "not a certificate\n");
  auto r = Load("connections {\n  a {\n  }\n}\n");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error()[0].loc.file, dir_ + "/x509/README");
  EXPECT_EQ(r.error()[0].message.rfind("not a PEM or DER X.509 certificate", 0), 0u)
      << r.error()[0].ToString();
}

TEST_F(CredentialsTest, ExpiredCertificateIsAWarning) {
  Cert expired = Issue(gw_key_.get(), "old.example.org", "DNS:old.example.org", ca_key_.get(),
                       ca_.get(), false, -30, -1);
  WriteCertPem(expired.get(), "x509/old.pem");
  WriteKeyPem(gw_key_.get(), "private/gw.pem");
  auto r = Load("connections {\n  gw {\n    local {\n      certs = old.pem\n    }\n  }\n}\n");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].message.rfind("certificate 'C=CH, O=Test, CN=old.example.org' expired on ", 0), 0u)
      << r->warnings[0].ToString();
}

TEST_F(CredentialsTest, IdentityNotInCertificateIsAWarning) {
  WriteCertPem(gw_.get(), "x509/gatewayCert.pem");
  WriteKeyPem(gw_key_.get(), "private/gatewayKey.pem");
  auto r = Load("connections {\n  gw {\n    local {\n      certs = gatewayCert.pem\n      id = other.example.org\n    }\n  }\n}\n");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].ToString(),
            conf() + ":3: connections.gw.local.certs: warning: id 'other.example.org' is neither the "
                     "subject nor a subjectAltName of certificate 'gatewayCert.pem'");
}

TEST_F(CredentialsTest, Ed25519InPkcs8FolderAndAbsolutePath) {
  Key ed = NewKey("ED25519");
  Cert ed_cert = Issue(ed.get(), "ed.example.org", "DNS:ed.example.org", nullptr, nullptr, false, -1, 30);
  fs::create_directory(dir_ + "/elsewhere");
  WriteCertPem(ed_cert.get(), "elsewhere/ed.pem");
  WriteKeyPem(ed.get(), "pkcs8/ed.key");
  auto r = Load("connections {\n  gw {\n    local {\n      certs = " + dir_ +
                "/elsewhere/ed.pem\n      id = ed.example.org\n    }\n  }\n}\n");
  ASSERT_TRUE(r.has_value()) << FormatDiagnostics(r.error());
  ASSERT_EQ(r->connections[0].local[0].certs.size(), 1u);
  EXPECT_EQ(r->certificates[r->connections[0].local[0].certs[0]].key_type, KeyType::kEd25519);
  ASSERT_EQ(r->private_keys.size(), 1u);
  EXPECT_EQ(r->private_keys[0].type, KeyType::kEd25519);
}

TEST_F(CredentialsTest, ParseDirectly) {
  unsigned char* der = nullptr;
  int len = i2d_X509(gw_.get(), &der);
  auto cert = ParseCertificate(ByteView(der, static_cast<size_t>(len)), "mem");
  OPENSSL_free(der);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->san_dns[0], "vpn.example.org");
  EXPECT_FALSE(ParseCertificate(AsBytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "x").has_value());
  EXPECT_FALSE(ParsePrivateKey(AsBytes("junk"), "x", nullptr).has_value());
}

}  // namespace
}  // namespace ike::conf
