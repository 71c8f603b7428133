// Plain CBC encryption without padding or integrity, for IKEv1 (ISAKMP)
// messages: RFC 2409 appendix B chains the IV across messages (the last
// ciphertext block of one message is the IV of the next), and the message
// padding is the caller's (RFC 2408 3.1), so this is only the block cipher.
#pragma once

#include <cstdint>

#include "libike/common/bytes.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"

namespace ike::crypto {

enum class CbcAlgorithm : uint8_t { kAes, k3Des };

class CbcCipher {
 public:
  // AES: 16/24/32-byte keys; 3DES: 24 bytes.
  static CryptoResult<CbcCipher> Create(CbcAlgorithm alg, ByteView key);
  // 16 (AES) or 8 (3DES).
  size_t block_size() const;
  // `in` must be a whole number of blocks and `iv` one block.
  CryptoResult<Bytes> Encrypt(ByteView iv, ByteView in) const { return Crypt(true, iv, in); }
  CryptoResult<Bytes> Decrypt(ByteView iv, ByteView in) const { return Crypt(false, iv, in); }

 private:
  CbcCipher() = default;
  CryptoResult<Bytes> Crypt(bool encrypt, ByteView iv, ByteView in) const;
  CbcAlgorithm alg_ = CbcAlgorithm::kAes;
  SecretBytes key_;
};

}  // namespace ike::crypto
