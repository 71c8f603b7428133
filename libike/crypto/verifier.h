// Public-key signature verification for IKE_AUTH (formats as in signer.h).
#pragma once

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/evp_util.h"
#include "libike/crypto/signature_scheme.h"
#include "libike/crypto/signer.h"

namespace ike::crypto {

class Verifier {
 public:
  // The subject public key of a DER X.509 certificate (no chain or validity
  // checks here: that is the authentication layer's job).
  static CryptoResult<Verifier> FromCertificateDer(ByteView der);
  // A public key already parsed (e.g. from a certificate); takes its own
  // reference.
  static CryptoResult<Verifier> FromPublicKey(EVP_PKEY* key);
  // A DER SubjectPublicKeyInfo (e.g. CERT encoding 15, raw public key).
  static CryptoResult<Verifier> FromSpkiDer(ByteView der);
  // PEM "PUBLIC KEY" or "CERTIFICATE".
  static CryptoResult<Verifier> FromPem(ByteView pem);

  KeyType key_type() const { return key_type_; }
  bool Supports(SignatureScheme scheme) const;

  // kSignatureInvalid when the signature does not verify (also for a
  // malformed signature); kUnsupportedAlgorithm when the key cannot use
  // the scheme.
  CryptoResult<void> Verify(SignatureScheme scheme, ByteView data, ByteView signature) const;
  CryptoResult<void> VerifyClassic(AuthMethod method, ByteView data, ByteView signature) const;
  // The inverse of Signer::SignRawHash (IKEv1 signatures over HASH_I/R).
  CryptoResult<void> VerifyRawHash(ByteView hash, ByteView signature) const;

 private:
  Verifier(internal::EvpPkeyPtr key, KeyType type) : key_(std::move(key)), key_type_(type) {}
  static CryptoResult<Verifier> FromKey(EVP_PKEY* key);

  internal::EvpPkeyPtr key_;
  KeyType key_type_;
};

}  // namespace ike::crypto
