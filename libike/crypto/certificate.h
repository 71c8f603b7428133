// Parsing a peer's DER X.509 certificate for IKE_AUTH.
//
// OpenSSL 3.0's d2i_X509 decodes the subject public key on every call by
// building a provider decoder chain: it enumerates every key manager and
// every decoder the loaded providers offer and matches them by name, about
// 100 µs per certificate, mostly read-lock round trips on the name map.
// That is a third of the CPU of a certificate-authenticated handshake.
// ParseCertificate parses in a private library context whose only
// provider re-exports the few default-provider algorithms a certificate's
// key and signature need (EC, RSA, RSA-PSS, Ed25519, Ed448 key managers
// and SubjectPublicKeyInfo decoders, SHA-1/SHA-2, their signature
// algorithms), so the chain search sees a handful of candidates. The code
// that runs on the key bytes is the same default-provider code; only the
// search is shorter. A certificate whose key is of another type is parsed
// the ordinary way.
#pragma once

#include <openssl/x509.h>

#include <memory>

#include "libike/common/bytes.h"

namespace ike::crypto {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// One whole DER certificate (no trailing bytes), or null. Its public key
// (X509_get0_pubkey) is decoded when the type is supported.
X509Ptr ParseCertificate(ByteView der);

// Whether the short-search context is in use (false: every parse falls
// back to d2i_X509: in FIPS mode, or when the configuration has not made
// the default provider available).
bool QuickCertificateParsing();

}  // namespace ike::crypto
