// A throw-away PKI for certificate scenarios: CA, intermediate and end
// entity certificates (RSA, ECDSA, Ed25519) generated with OpenSSL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libike/common/bytes.h"

namespace ike::sim {

enum class KeyKind { kRsa2048, kRsa4096, kEcP256, kEcP384, kEd25519 };

struct KeyCert {
  Bytes key;   // PKCS#8 DER
  Bytes cert;  // DER
};

struct Validity {
  int64_t not_before = 1577836800;  // 2020-01-01
  int64_t not_after = 1893456000;   // 2030-01-01
};

KeyCert MakeCa(KeyKind kind, const std::string& cn, Validity v = {});
// Issued by `issuer`; `san` are DNS names; `ca` makes it an intermediate.
KeyCert MakeCert(KeyKind kind, const std::string& cn, const std::vector<std::string>& san,
                 const KeyCert& issuer, bool ca = false, Validity v = {});

}  // namespace ike::sim
