// Fuzzes the strict RFC 7427 AlgorithmIdentifier / AUTH data parsers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "libike/crypto/signature_scheme.h"

using namespace ike;
using namespace ike::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  auto alg = ParseAlgorithmIdentifier(in);
  if (alg) {
    // Whatever parses must have a canonical encoding that parses the same.
    auto again = ParseAlgorithmIdentifier(EncodeAlgorithmIdentifier(*alg));
    if (!again || *again != *alg) std::abort();
  }
  auto auth = ParseDigitalSignatureAuth(in);
  if (auth) {
    if (auth->signature.empty()) std::abort();
    if (auth->signature.data() < data || auth->signature.data() + auth->signature.size() > data + size) std::abort();
  }
  return 0;
}
