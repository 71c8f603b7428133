// Errors of the crypto layer. A detail string never contains key material,
// only static descriptions and public facts (lengths, algorithm ids).
#pragma once

#include <string>

#include "libike/common/result.h"

namespace ike::crypto {

enum class CryptoErrc {
  kUnsupportedAlgorithm,  // an id or combination this build does not implement
  kInvalidKeyLength,      // key bytes do not match what the algorithm needs
  kInvalidInput,          // a malformed argument (length, format)
  kIntegrityCheckFailed,  // ICV / AEAD tag mismatch
  kBadPadding,            // decrypted padding inconsistent
  kInvalidPublicValue,    // peer KE data rejected (length, range, not on curve)
  kInvalidKey,            // a private/public key could not be parsed or used
  kSignatureInvalid,      // a signature did not verify
  kInternal,              // OpenSSL reported an unexpected failure
};

struct CryptoError {
  CryptoErrc code;
  std::string detail;
};

const char* CryptoErrcName(CryptoErrc code);

template <typename T>
using CryptoResult = Result<T, CryptoError>;

inline Unexpected<CryptoError> CryptoFail(CryptoErrc code, std::string detail) {
  return Unexpected<CryptoError>(CryptoError{code, std::move(detail)});
}

}  // namespace ike::crypto
