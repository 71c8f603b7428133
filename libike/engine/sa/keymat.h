// Key material of an IKE_SA and its CHILD_SAs (RFC 7296 2.13-2.18) on top of
// libike/crypto: SK_* from the IKE_SA_INIT exchange, the SK ciphers per
// direction, CHILD_SA KEYMAT, and the AUTH payload octets for PSKs.
#pragma once

#include <optional>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/crypto/key_derivation.h"
#include "libike/engine/sa/sa_context.h"

namespace ike::engine {

Bytes SpiBytes(uint64_t spi);
Bytes SpiBytes32(uint32_t spi);
std::optional<uint32_t> SpiFromBytes(ByteView b);

// Derives SK_* from g^ir (and, for an IKE_SA rekey, the old SA's SK_d and
// PRF) into ctx.keys, using ctx.ike_proposal, the nonces and the SPIs.
Result<void, std::string> DeriveIkeKeys(SaContext& ctx, ByteView g_ir,
                                        const crypto::Prf* old_prf = nullptr,
                                        ByteView old_sk_d = {});

// The same for an IKE_SA that does not exist yet (IKE_SA rekey): `role` is
// our role in the new SA, nonces and SPIs are the new SA's.
Result<IkeKeys, std::string> DeriveIkeKeysFor(Role role, const Proposal& proposal, ByteView ni,
                                              ByteView nr, uint64_t spi_i, uint64_t spi_r,
                                              ByteView g_ir, const crypto::Prf* old_prf,
                                              ByteView old_sk_d);

// CHILD_SA KEYMAT for a selected ESP/AH proposal.
Result<crypto::ChildSaKeys, std::string> DeriveChildKeys(const SaContext& ctx,
                                                         const Proposal& proposal,
                                                         std::optional<ByteView> g_ir,
                                                         ByteView ni, ByteView nr);

// The AUTH payload data for a shared key (RFC 7296 2.15):
//   prf(prf(secret, "Key Pad for IKEv2"), <SignedOctets>)
// where SignedOctets = RealMessage | Nonce(peer) | prf(SK_p, ID').
// `verify_peer` selects the peer's octets (what we expect in its AUTH).
Result<Bytes, std::string> PskAuthData(const SaContext& ctx, ByteView secret,
                                       ByteView id_body, bool verify_peer);
// The SignedOctets themselves (for signature methods).
Result<Bytes, std::string> SignedOctets(const SaContext& ctx, ByteView id_body,
                                        bool verify_peer);

}  // namespace ike::engine
