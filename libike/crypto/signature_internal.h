// Internal helpers shared by Signer and Verifier. Not public API.
#pragma once

#include <optional>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/evp_util.h"
#include "libike/crypto/signature_scheme.h"
#include "libike/crypto/signer.h"

namespace ike::crypto::internal {

// The key type of an OpenSSL key (RSA, RSA-PSS, EC on P-256/384/521,
// Ed25519, Ed448), or nullopt for anything else.
std::optional<KeyType> KeyTypeOf(EVP_PKEY* key);
bool KeySupports(KeyType type, SignatureScheme scheme);
// Coordinate size of an EC key type (32/48/66), 0 otherwise.
size_t EcCoordinateSize(KeyType type);
// The key type an RFC 4754 method requires (nullopt if not ECDSA classic).
std::optional<KeyType> ClassicEcKeyType(AuthMethod method);

// Sets up an EVP_MD_CTX for signing or verifying with `scheme`.
CryptoResult<EvpMdCtxPtr> InitDigestCtx(EVP_PKEY* key, SignatureScheme scheme, bool sign);

// ECDSA signature conversions: DER Ecdsa-Sig-Value <-> r | s.
CryptoResult<Bytes> EcdsaDerToRaw(ByteView der, size_t coord_size);
CryptoResult<Bytes> EcdsaRawToDer(ByteView raw, size_t coord_size);

}  // namespace ike::crypto::internal
