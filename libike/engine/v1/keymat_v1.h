// IKEv1 key material (RFC 2409 5, 5.5 and appendix B): SKEYID and its
// derivatives, the encryption key extension, the CBC IVs of Phase 1 and of
// each Phase 2 / Informational exchange, the authentication hashes of Main
// and Aggressive Mode, the Quick Mode and Informational HASH payloads, and
// the IPsec KEYMAT. Pure functions over the negotiated hash's HMAC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/prf.h"
#include "libike/ikev1/ikev1_types.h"

namespace ike::engine::v1 {

using Phase1Hash = ::ike::v1::Phase1Hash;

template <typename T>
using V1Result = Result<T, std::string>;

// The HMAC PRF of a Phase 1 hash algorithm (SHA1, SHA2-256/384/512).
std::optional<PrfId> PrfForHash(Phase1Hash hash);
// hash(part0 | part1 | ...) with the plain hash function.
V1Result<Bytes> Digest(Phase1Hash hash, std::initializer_list<ByteView> parts);

// SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b).
V1Result<SecretBytes> SkeyidPsk(const crypto::Prf& prf, ByteView psk, ByteView ni_b,
                                ByteView nr_b);
// SKEYID for signatures: prf(Ni_b | Nr_b, g^xy).
V1Result<SecretBytes> SkeyidSig(const crypto::Prf& prf, ByteView ni_b, ByteView nr_b,
                                ByteView g_xy);

struct Phase1Keys {
  SecretBytes skeyid;
  SecretBytes skeyid_d;
  SecretBytes skeyid_a;
  SecretBytes skeyid_e;
  SecretBytes enc_key;  // the cipher key (appendix B extension applied)
};
// SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
// SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
// SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
// and the encryption key of `enc_key_len` octets.
V1Result<Phase1Keys> DerivePhase1Keys(const crypto::Prf& prf, SecretBytes skeyid, ByteView g_xy,
                                      uint64_t cky_i, uint64_t cky_r, size_t enc_key_len);
// Appendix B: the first `len` octets of SKEYID_e, or of Ka = K1 | K2 | ...
// with K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1) when it is too short.
V1Result<SecretBytes> EncryptionKey(const crypto::Prf& prf, ByteView skeyid_e, size_t len);

// Phase 1 IV: hash(g^xi | g^xr) truncated to the block size.
V1Result<Bytes> Phase1Iv(Phase1Hash hash, ByteView g_xi, ByteView g_xr, size_t block_size);
// Phase 2 / Informational IV: hash(last Phase 1 CBC block | M-ID) truncated.
V1Result<Bytes> Phase2Iv(Phase1Hash hash, ByteView phase1_last_block, uint32_t message_id,
                         size_t block_size);

// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
// HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
// `of_initiator` selects which; `g_x_i/g_x_r` are the initiator's and the
// responder's public values, `id_b` the ID body of the side the hash is of.
V1Result<Bytes> PhaseOneHash(const crypto::Prf& prf, ByteView skeyid, bool of_initiator,
                             ByteView g_x_i, ByteView g_x_r, uint64_t cky_i, uint64_t cky_r,
                             ByteView sa_i_b, ByteView id_b);

// Quick Mode HASH(1) and Informational HASH(1): prf(SKEYID_a, M-ID | rest)
// where `rest` is the message after the HASH payload (generic headers
// included, padding excluded).
V1Result<Bytes> Hash1(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView rest);
// HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest)
V1Result<Bytes> Hash2(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView ni_b,
                      ByteView rest);
// HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
V1Result<Bytes> Hash3(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView ni_b,
                      ByteView nr_b);

// KEYMAT = K1 | K2 | ... truncated to `len`, where
// K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
// Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
// `spi` is the SPI of the SA the key is for (chosen by its receiver).
V1Result<SecretBytes> Keymat(const crypto::Prf& prf, ByteView skeyid_d, ByteView g_qm,
                             uint8_t protocol, uint32_t spi, ByteView ni_b, ByteView nr_b,
                             size_t len);

Bytes U32Bytes(uint32_t v);
Bytes U64Bytes(uint64_t v);

}  // namespace ike::engine::v1
