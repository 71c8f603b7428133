// Private-key signing for IKE_AUTH. Private keys are held only here, so
// signing can later move to a separate process (STYLE: "Private-key
// operations go only through Signer").
//
// Signature formats:
//  - RSA PKCS#1 v1.5 / PSS: the raw RSA signature (modulus length).
//  - ECDSA for AUTH method 14 (RFC 7427): DER Ecdsa-Sig-Value.
//  - ECDSA for AUTH methods 9/10/11 (RFC 4754): r | s, each left-padded to
//    the curve's coordinate size (SignClassic / VerifyClassic).
//  - Ed25519 / Ed448: PureEdDSA over the data (64 / 114 bytes).
#pragma once

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/evp_util.h"
#include "libike/crypto/signature_scheme.h"

namespace ike::crypto {

enum class KeyType : uint8_t { kRsa, kEcP256, kEcP384, kEcP521, kEd25519, kEd448 };

class Signer {
 public:
  // A private key from PEM ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE
  // KEY"; unencrypted) or DER (PKCS#8 or traditional) bytes in memory.
  static CryptoResult<Signer> FromPem(ByteView pem);
  static CryptoResult<Signer> FromDer(ByteView der);

  KeyType key_type() const { return key_type_; }
  // Whether this key can produce `scheme` (RSA: PKCS#1 and PSS; EC: any
  // ECDSA hash; EdDSA: its own scheme only).
  bool Supports(SignatureScheme scheme) const;
  // The DER SubjectPublicKeyInfo of the matching public key.
  CryptoResult<Bytes> PublicKeySpki() const;

  // Signs `data` (the signed octets of RFC 7296 2.15).
  CryptoResult<Bytes> Sign(SignatureScheme scheme, ByteView data) const;
  // AUTH methods 1, 9, 10, 11 (kUnsupportedAlgorithm for others or when the
  // key does not fit the method, e.g. method 10 with a P-256 key).
  CryptoResult<Bytes> SignClassic(AuthMethod method, ByteView data) const;
  // IKEv1 (RFC 2409 5.1, RFC 4754): signs an already computed HASH_I /
  // HASH_R as it is: RSA PKCS#1 v1.5 type 1 padding without a DigestInfo,
  // ECDSA over the hash as the digest, encoded r | s.
  CryptoResult<Bytes> SignRawHash(ByteView hash) const;

 private:
  Signer(internal::EvpPkeyPtr key, KeyType type) : key_(std::move(key)), key_type_(type) {}
  static CryptoResult<Signer> FromKey(EVP_PKEY* key);

  internal::EvpPkeyPtr key_;
  KeyType key_type_;
};

}  // namespace ike::crypto
