// Shared-key AUTH (RFC 7296 2.15) and the signed octets every AUTH method
// signs or MACs.
//
//   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
//   MACedIDForI           = prf(SK_pi, RestOfInitIDPayload)
//   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
//   MACedIDForR           = prf(SK_pr, RestOfRespIDPayload)
//   AUTH (PSK / EAP MSK)  = prf( prf(Shared Secret, "Key Pad for IKEv2"),
//                                <SignedOctets>)
//
// RealMessage is the whole first message the signer sent (IKE_SA_INIT
// request or response, as on the wire); the nonce is the PEER's nonce data;
// RestOfIDPayload is the ID payload without its 4-byte generic header (ID
// Type | RESERVED | Identification Data).
#pragma once

#include "libike/common/bytes.h"
#include "libike/common/secret_bytes.h"
#include "libike/crypto/crypto_error.h"
#include "libike/crypto/prf.h"

namespace ike::crypto {

CryptoResult<Bytes> BuildSignedOctets(const Prf& prf, ByteView real_message, ByteView peer_nonce,
                                      ByteView sk_p, ByteView rest_of_id_payload);

// AUTH data for method 2 (and for EAP, with the MSK as `shared_secret`).
CryptoResult<Bytes> ComputePskAuth(const Prf& prf, ByteView shared_secret, ByteView signed_octets);

// Recomputes the AUTH value and compares it in constant time
// (kIntegrityCheckFailed on mismatch).
CryptoResult<void> VerifyPskAuth(const Prf& prf, ByteView shared_secret, ByteView signed_octets,
                                 ByteView received_auth);

}  // namespace ike::crypto
