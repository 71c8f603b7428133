// Credential loading (internal to the loader): certificates from x509/ and
// x509ca/, private keys from private/, rsa/, ecdsa/ and pkcs8/ beside the
// configuration, plus files named by absolute path. OpenSSL EVP/X509 only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf/diagnostic.h"
#include "libike/common/secret_bytes.h"

namespace ike::conf {

struct CertRef {
  size_t conn;
  bool local;
  std::string round_section;  // "local", "remote-2"...
  bool ca;                    // cacerts (x509ca/) rather than certs (x509/)
  std::string file;
  Location loc;
  std::string key;
};

struct AuthorityRef {
  size_t index;
  std::string file;
  Location loc;
  std::string key;
};

struct KeyPassphrase {
  std::string type_dir;  // "private", "rsa", "ecdsa", "pkcs8"
  std::string file;
  SecretBytes passphrase;
  Location loc;
  std::string key;
};

struct CredentialRequests {
  std::vector<CertRef> cert_refs;
  std::vector<AuthorityRef> authority_refs;
  std::vector<KeyPassphrase> key_passphrases;
};

// Loads every credential folder under `dir` and resolves the references.
void LoadCredentials(const std::string& dir, CredentialRequests& req, int64_t now, Config& config,
                     Diagnostics& diags);
// Without file access: only records the names written in the configuration.
void RecordCertificateNames(const CredentialRequests& req, Config& config);

// Parses one certificate (PEM or DER). Exposed for tests and the daemon.
Result<Certificate, std::string> ParseCertificate(ByteView data, const std::string& path);
// Parses one private key (PEM or DER, optionally encrypted).
Result<PrivateKey, std::string> ParsePrivateKey(ByteView data, const std::string& path,
                                                const SecretBytes* passphrase);

}  // namespace ike::conf
