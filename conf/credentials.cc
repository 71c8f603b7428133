#include "conf/credentials.h"

#include <dirent.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

namespace ike::conf {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown format";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : buf;
}

bool LooksPem(ByteView data) {
  static constexpr std::string_view kBegin = "-----BEGIN";
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return s.find(kBegin) != std::string_view::npos;
}

int64_t AsnTimeToEpoch(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatTime(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

Bytes NameDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes SpkiDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return {};
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::optional<KeyType> KeyTypeOf(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return KeyType::kRsa;
    case EVP_PKEY_EC: return KeyType::kEcdsa;
    case EVP_PKEY_ED25519: return KeyType::kEd25519;
    case EVP_PKEY_ED448: return KeyType::kEd448;
    default: return std::nullopt;
  }
}

bool ReadFile(const std::string& path, Bytes& out, std::string& error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "not a regular file";
    return false;
  }
  if (st.st_size > (1 << 20)) {
    error = "file too large";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string path = dir + "/" + e->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(path);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

std::string Resolve(const std::string& dir, const std::string& sub, const std::string& file) {
  if (!file.empty() && file[0] == '/') return file;
  return dir + "/" + sub + "/" + file;
}

struct PassCtx {
  const SecretBytes* pass;
  bool asked = false;
};

int PassCallback(char* buf, int size, int /*rwflag*/, void* u) {
  auto* ctx = static_cast<PassCtx*>(u);
  ctx->asked = true;
  if (ctx->pass == nullptr || ctx->pass->empty()) return -1;
  int n = static_cast<int>(std::min<size_t>(ctx->pass->size(), static_cast<size_t>(size)));
  std::memcpy(buf, ctx->pass->data(), static_cast<size_t>(n));
  return n;
}

// Finds (or loads) the certificate at `path`; returns its index.
std::optional<size_t> FindOrLoadCert(const std::string& path, bool ca, Config& config,
                                     std::string& error) {
  std::string canon = Canonical(path);
  for (size_t i = 0; i < config.certificates.size(); ++i) {
    if (Canonical(config.certificates[i].path) == canon) {
      if (ca) config.certificates[i].from_ca_dir = true;
      return i;
    }
  }
  Bytes data;
  if (!ReadFile(path, data, error)) return std::nullopt;
  auto cert = ParseCertificate(data, path);
  if (!cert) {
    error = cert.error();
    return std::nullopt;
  }
  cert->from_ca_dir = ca;
  config.certificates.push_back(std::move(*cert));
  return config.certificates.size() - 1;
}

bool IdMatchesCert(const Identity& id, const Certificate& cert) {
  std::string text(id.encoding.begin(), id.encoding.end());
  switch (id.kind) {
    case Identity::Kind::kAny: return true;
    case Identity::Kind::kDn: return id.encoding == cert.subject_der;
    case Identity::Kind::kFqdn:
      return std::find(cert.san_dns.begin(), cert.san_dns.end(), text) != cert.san_dns.end();
    case Identity::Kind::kEmail:
      return std::find(cert.san_email.begin(), cert.san_email.end(), text) !=
             cert.san_email.end();
    case Identity::Kind::kIpv4:
    case Identity::Kind::kIpv6: {
      auto a = IpAddress::FromBytes(id.encoding);
      return a && std::find(cert.san_ip.begin(), cert.san_ip.end(), *a) != cert.san_ip.end();
    }
    case Identity::Kind::kKeyId: return true;
  }
  return false;
}

}  // namespace

Result<Certificate, std::string> ParseCertificate(ByteView data, const std::string& path) {
  ERR_clear_error();
  X509Ptr x;
  if (LooksPem(data)) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    x.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p = data.data();
    x.reset(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
  }
  if (!x) return MakeUnexpected("not a PEM or DER X.509 certificate (" + OpenSslError() + ")");
  Certificate c;
  c.path = path;
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  if (len <= 0) return MakeUnexpected(std::string("cannot encode certificate"));
  c.der.assign(der, der + len);
  OPENSSL_free(der);
  c.subject_der = NameDer(X509_get_subject_name(x.get()));
  c.subject = DnToString(c.subject_der);
  c.issuer = DnToString(NameDer(X509_get_issuer_name(x.get())));
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get())) {
    c.serial_hex = ToHex(ByteView(serial->data, static_cast<size_t>(serial->length)));
  }
  c.not_before = AsnTimeToEpoch(X509_get0_notBefore(x.get()));
  c.not_after = AsnTimeToEpoch(X509_get0_notAfter(x.get()));
  c.is_ca = (X509_get_extension_flags(x.get()) & EXFLAG_CA) != 0;
  EVP_PKEY* pub = X509_get0_pubkey(x.get());
  if (pub != nullptr) {
    c.spki_der = SpkiDer(pub);
    c.key_type = KeyTypeOf(pub);
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_DNS || gn->type == GEN_EMAIL) {
        const ASN1_IA5STRING* s = gn->d.ia5;
        std::string v(reinterpret_cast<const char*>(s->data), static_cast<size_t>(s->length));
        (gn->type == GEN_DNS ? c.san_dns : c.san_email).push_back(std::move(v));
      } else if (gn->type == GEN_IPADD) {
        auto a = IpAddress::FromBytes(
            ByteView(gn->d.ip->data, static_cast<size_t>(gn->d.ip->length)));
        if (a) c.san_ip.push_back(*a);
      }
    }
    GENERAL_NAMES_free(names);
  }
  return c;
}

Result<PrivateKey, std::string> ParsePrivateKey(ByteView data, const std::string& path,
                                                const SecretBytes* passphrase) {
  ERR_clear_error();
  PassCtx pass{passphrase};
  PkeyPtr key;
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (LooksPem(data)) {
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, PassCallback, &pass));
  } else {
    const unsigned char* p = data.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(data.size())));
    if (!key) {
      BioPtr bio2(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
      key.reset(d2i_PKCS8PrivateKey_bio(bio2.get(), nullptr, PassCallback, &pass));
    }
  }
  if (!key) {
    std::string why = OpenSslError();
    if (pass.asked && (passphrase == nullptr || passphrase->empty())) {
      return MakeUnexpected(std::string(
          "the private key is encrypted and no passphrase is configured (add secrets { "
          "private-<name> { file = <file> secret = <passphrase> } })"));
    }
    if (pass.asked) {
      return MakeUnexpected("cannot decrypt the private key: wrong passphrase? (" + why + ")");
    }
    return MakeUnexpected("not a PEM or DER private key (" + why + ")");
  }
  auto type = KeyTypeOf(key.get());
  if (!type) return MakeUnexpected(std::string("unsupported private key type"));
  PrivateKey k;
  k.path = path;
  k.type = *type;
  k.spki_der = SpkiDer(key.get());
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key.get());
  if (p8 == nullptr) return MakeUnexpected(std::string("cannot encode the private key"));
  unsigned char* der = nullptr;
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (len <= 0) return MakeUnexpected(std::string("cannot encode the private key"));
  k.pkcs8_der = SecretBytes(ByteView(der, static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return k;
}

void RecordCertificateNames(const CredentialRequests& req, Config& config) {
  for (const auto& r : req.cert_refs) {
    auto& conn = config.connections[r.conn];
    auto& rounds = r.local ? conn.local : conn.remote;
    for (auto& round : rounds) {
      if (round.section != r.round_section) continue;
      (r.ca ? round.cacert_files : round.cert_files).push_back(r.file);
    }
  }
  for (const auto& a : req.authority_refs) config.authorities[a.index].cacert_file = a.file;
}

void LoadCredentials(const std::string& dir, CredentialRequests& req, int64_t now, Config& config,
                     Diagnostics& diags) {
  RecordCertificateNames(req, config);
  // Every certificate in x509/ and x509ca/.
  for (const auto& [sub, ca] : {std::pair<const char*, bool>{"x509", false}, {"x509ca", true}}) {
    for (const auto& path : ListFiles(dir + "/" + sub)) {
      Bytes data;
      std::string error;
      if (!ReadFile(path, data, error)) {
        diags.Error(Location{path, 0}, sub, "cannot read certificate: " + error);
        continue;
      }
      auto cert = ParseCertificate(data, path);
      if (!cert) {
        diags.Error(Location{path, 0}, sub, cert.error());
        continue;
      }
      cert->from_ca_dir = ca;
      config.certificates.push_back(std::move(*cert));
    }
  }
  // Certificates named in connections and authorities.
  for (const auto& r : req.cert_refs) {
    std::string path = Resolve(dir, r.ca ? "x509ca" : "x509", r.file);
    std::string error;
    auto index = FindOrLoadCert(path, r.ca, config, error);
    if (!index) {
      diags.Error(r.loc, r.key, "cannot load certificate '" + r.file + "' (" + path + "): " + error);
      continue;
    }
    auto& conn = config.connections[r.conn];
    for (auto& round : r.local ? conn.local : conn.remote) {
      if (round.section == r.round_section) (r.ca ? round.cacerts : round.certs).push_back(*index);
    }
  }
  for (const auto& a : req.authority_refs) {
    std::string path = Resolve(dir, "x509ca", a.file);
    std::string error;
    auto index = FindOrLoadCert(path, true, config, error);
    if (!index) {
      diags.Error(a.loc, a.key, "cannot load CA certificate '" + a.file + "' (" + path + "): " + error);
      continue;
    }
    config.authorities[a.index].cacert = *index;
  }
  // Private keys: every file of the key folders, with passphrases from secrets.
  std::vector<bool> used(req.key_passphrases.size(), false);
  auto passphrase_for = [&](const std::string& type_dir,
                            const std::string& path) -> const SecretBytes* {
    std::string canon = Canonical(path);
    for (size_t i = 0; i < req.key_passphrases.size(); ++i) {
      const auto& k = req.key_passphrases[i];
      if (Canonical(Resolve(dir, k.type_dir, k.file)) == canon) {
        used[i] = true;
        return &k.passphrase;
      }
    }
    (void)type_dir;
    return nullptr;
  };
  std::vector<std::string> loaded_keys;
  auto load_key = [&](const std::string& type_dir, const std::string& path, const Location& loc,
                      const std::string& key) {
    Bytes data;
    std::string error;
    if (!ReadFile(path, data, error)) {
      diags.Error(loc, key, "cannot read private key '" + path + "': " + error);
      return;
    }
    const SecretBytes* pass = passphrase_for(type_dir, path);
    auto k = ParsePrivateKey(data, path, pass);
    OPENSSL_cleanse(data.data(), data.size());
    if (!k) {
      diags.Error(loc, key, "private key '" + path + "': " + k.error());
      return;
    }
    if ((type_dir == "rsa" && k->type != KeyType::kRsa) ||
        (type_dir == "ecdsa" && k->type != KeyType::kEcdsa)) {
      diags.Warning(loc, key, "private key '" + path + "' is not of the folder's type");
    }
    loaded_keys.push_back(Canonical(path));
    config.private_keys.push_back(std::move(*k));
  };
  for (const char* sub : {"private", "rsa", "ecdsa", "pkcs8"}) {
    for (const auto& path : ListFiles(dir + "/" + sub)) {
      load_key(sub, path, Location{path, 0}, sub);
    }
  }
  for (size_t i = 0; i < req.key_passphrases.size(); ++i) {
    if (used[i]) continue;
    const auto& k = req.key_passphrases[i];
    std::string path = Resolve(dir, k.type_dir, k.file);
    if (std::find(loaded_keys.begin(), loaded_keys.end(), Canonical(path)) != loaded_keys.end()) {
      continue;
    }
    load_key(k.type_dir, path, k.loc, k.key + ".file");
  }
  // Checks: validity, key for every local certificate, identity in certificate.
  for (const auto& cert : config.certificates) {
    if (cert.not_after != 0 && cert.not_after < now) {
      diags.Warning(Location{cert.path, 0}, "certificate",
                    "certificate '" + cert.subject + "' expired on " + FormatTime(cert.not_after));
    } else if (cert.not_before > now) {
      diags.Warning(Location{cert.path, 0}, "certificate",
                    "certificate '" + cert.subject + "' is not valid before " +
                        FormatTime(cert.not_before));
    }
  }
  for (const auto& r : req.cert_refs) {
    if (!r.local || r.ca) continue;
    const auto& conn = config.connections[r.conn];
    for (const auto& round : conn.local) {
      if (round.section != r.round_section) continue;
      for (size_t index : round.certs) {
        const Certificate& cert = config.certificates[index];
        if (cert.path.size() < r.file.size() ||
            cert.path.compare(cert.path.size() - r.file.size(), r.file.size(), r.file) != 0) {
          continue;
        }
        if (config.FindKeyFor(cert) == nullptr) {
          diags.Error(r.loc, r.key,
                      "no private key matches certificate '" + r.file + "' (" + cert.subject +
                          "); put its key in private/, rsa/, ecdsa/ or pkcs8/");
        }
        if (round.id && !IdMatchesCert(*round.id, cert)) {
          diags.Warning(round.loc, r.key,
                        "id '" + round.id->text + "' is neither the subject nor a "
                        "subjectAltName of certificate '" + r.file + "'");
        }
      }
    }
  }
}

}  // namespace ike::conf
