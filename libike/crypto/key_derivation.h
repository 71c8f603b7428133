// IKEv2 key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18).
//
//   SKEYSEED = prf(Ni | Nr, g^ir)                              (2.14)
//   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//            = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
//   KEYMAT   = prf+(SK_d, Ni | Nr)            or, with PFS,
//   KEYMAT   = prf+(SK_d, g^ir (new) | Ni | Nr)                (2.17)
//   rekeyed IKE SA: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)  (2.18)
//
// Nonces are passed whole; the fixed-key-size rule for AES-XCBC/CMAC PRFs
// (first half of the key from Ni, second from Nr) is applied here.
#pragma once

#include <optional>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/prf.h"

namespace ike::crypto {

// Lengths of the SK_* keys in bytes.
struct IkeSaKeyLengths {
  size_t sk_d = 0;  // = prf key size, also SK_pi / SK_pr
  size_t sk_a = 0;  // integrity key (0 for AEAD)
  size_t sk_e = 0;  // encryption key including any AEAD salt
  size_t sk_p = 0;
};

// Lengths from the negotiated IKE SA transforms. For AEAD `integ` must be
// IntegId::kNone; for non-AEAD it must be a supported integrity algorithm.
CryptoResult<IkeSaKeyLengths> IkeSaKeyLengthsFor(PrfId prf, EncrId encr, uint16_t encr_key_bits,
                                                 IntegId integ);

struct IkeSaKeys {
  SecretBytes sk_d;
  SecretBytes sk_ai;
  SecretBytes sk_ar;
  SecretBytes sk_ei;
  SecretBytes sk_er;
  SecretBytes sk_pi;
  SecretBytes sk_pr;
};

// SKEYSEED = prf(Ni | Nr, g^ir). For AES-XCBC/CMAC PRFs the key is the
// first 8 bytes of Ni followed by the first 8 bytes of Nr (RFC 7296 2.14);
// nonces shorter than 8 bytes are rejected for those PRFs.
CryptoResult<SecretBytes> ComputeSkeyseed(const Prf& prf, ByteView ni, ByteView nr, ByteView g_ir);

// Rekeyed IKE SA (RFC 7296 2.18). `old_prf` is the PRF of the IKE SA being
// rekeyed: "it is the old IKE SA's PRF that is used to generate SKEYSEED".
// The SK_* of the new SA are then derived with the new SA's PRF.
CryptoResult<SecretBytes> ComputeRekeySkeyseed(const Prf& old_prf, ByteView old_sk_d,
                                               ByteView g_ir_new, ByteView ni, ByteView nr);

// SK_* = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), split in RFC order.
// SPIs are the 8-byte IKE SPIs of the (new) IKE SA.
CryptoResult<IkeSaKeys> DeriveIkeSaKeys(const Prf& prf, ByteView skeyseed, ByteView ni, ByteView nr,
                                        ByteView spi_i, ByteView spi_r,
                                        const IkeSaKeyLengths& lengths);

// CHILD_SA keys (RFC 7296 2.17): KEYMAT is taken, in order, as the
// encryption key then the integrity key for the initiator-to-responder SA,
// then the same two for the responder-to-initiator SA.
struct ChildSaKeys {
  SecretBytes encr_i;   // initiator -> responder
  SecretBytes integ_i;  // initiator -> responder (empty for AEAD)
  SecretBytes encr_r;   // responder -> initiator
  SecretBytes integ_r;  // responder -> initiator (empty for AEAD)
};

// Byte lengths of the ESP/AH keys; encr_key includes the AEAD salt
// (use EncrKeyMaterialSize / IntegKeySize from algorithms.h).
struct ChildSaKeyLengths {
  size_t encr_key = 0;
  size_t integ_key = 0;
};

// `g_ir_new` is the fresh shared secret of a PFS key exchange in
// CREATE_CHILD_SA, or nullopt without PFS (and for the IKE_AUTH child).
CryptoResult<ChildSaKeys> DeriveChildSaKeys(const Prf& prf, ByteView sk_d,
                                            std::optional<ByteView> g_ir_new, ByteView ni,
                                            ByteView nr, const ChildSaKeyLengths& lengths);

}  // namespace ike::crypto
