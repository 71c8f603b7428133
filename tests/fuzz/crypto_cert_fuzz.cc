// Fuzzes ParseCertificate (the short-search certificate parse) against
// OpenSSL's ordinary d2i_X509: both accept the same inputs, and where they
// do, the certificates and their public keys are the same.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libike/crypto/certificate.h"

using namespace ike;
using namespace ike::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  X509Ptr quick = ParseCertificate(in);
  const unsigned char* p = data;
  X509Ptr plain(size > 0 ? d2i_X509(nullptr, &p, static_cast<long>(size)) : nullptr);
  if (plain && p != data + size) plain.reset();
  if (static_cast<bool>(quick) != static_cast<bool>(plain)) std::abort();
  if (quick) {
    if (X509_cmp(quick.get(), plain.get()) != 0) std::abort();
    EVP_PKEY* a = X509_get0_pubkey(quick.get());
    EVP_PKEY* b = X509_get0_pubkey(plain.get());
    if ((a == nullptr) != (b == nullptr)) std::abort();
    if (a != nullptr && EVP_PKEY_eq(a, b) != 1) std::abort();
  }
  return 0;
}
