#include "tests/sim/cert_util.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>

namespace ike::sim {

namespace {

EVP_PKEY* Generate(KeyKind kind) {
  switch (kind) {
    case KeyKind::kRsa2048: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
    case KeyKind::kRsa4096: return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
    case KeyKind::kEcP256: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyKind::kEcP384: return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyKind::kEd25519: return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

Bytes KeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PrivateKey(key, &der);
  if (len <= 0) std::abort();
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

EVP_PKEY* ParseKey(const Bytes& der) {
  const unsigned char* p = der.data();
  return d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
}

X509* ParseCert(const Bytes& der) {
  const unsigned char* p = der.data();
  return d2i_X509(nullptr, &p, static_cast<long>(der.size()));
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) std::abort();
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

KeyCert Build(KeyKind kind, const std::string& cn, const std::vector<std::string>& san,
              const KeyCert* issuer, bool ca, Validity v) {
  static long serial = 1;
  EVP_PKEY* key = Generate(kind);
  if (!key) std::abort();
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(v.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(v.not_after));
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("CH"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Example"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_subject_name(cert, name);
  X509_set_pubkey(cert, key);
  X509* issuer_cert = issuer ? ParseCert(issuer->cert) : cert;
  EVP_PKEY* issuer_key = issuer ? ParseKey(issuer->key) : key;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  if (ca) {
    AddExt(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    AddExt(cert, issuer_cert, NID_key_usage, "critical,digitalSignature");
  }
  AddExt(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (!san.empty()) {
    std::string value;
    for (const auto& s : san) value += (value.empty() ? "DNS:" : ",DNS:") + s;
    AddExt(cert, issuer_cert, NID_subject_alt_name, value.c_str());
  }
  int id = EVP_PKEY_get_base_id(issuer_key);
  const EVP_MD* md = (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? nullptr : EVP_sha256();
  if (X509_sign(cert, issuer_key, md) <= 0) std::abort();
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  KeyCert out{KeyDer(key), Bytes(der, der + len)};
  OPENSSL_free(der);
  X509_NAME_free(name);
  if (issuer) {
    X509_free(issuer_cert);
    EVP_PKEY_free(issuer_key);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

KeyCert MakeCa(KeyKind kind, const std::string& cn, Validity v) {
  return Build(kind, cn, {}, nullptr, true, v);
}

KeyCert MakeCert(KeyKind kind, const std::string& cn, const std::vector<std::string>& san,
                 const KeyCert& issuer, bool ca, Validity v) {
  return Build(kind, cn, san, &issuer, ca, v);
}

}  // namespace ike::sim
