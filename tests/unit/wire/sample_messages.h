// Realistic sample messages shared by the wire tests, the tshark check and
// the fuzz seed writer.
#pragma once

#include <vector>

#include "libike/wire/message.h"

namespace ike::wire::testing {

Bytes Fill(size_t n, uint8_t seed);  // deterministic bytes

// IKE_SA_INIT request: SA(2 proposals), KE(19), Ni, N(NAT-D src/dst),
// N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS), V.
Message IkeSaInitRequest();
// IKE_SA_INIT response: SA, KE, Nr, N(NAT-D), CERTREQ, N(frag), N(sig hash), V.
Message IkeSaInitResponse();
// IKE_AUTH request: a single SK payload with an opaque body (first inner IDi).
Message IkeAuthEncrypted();
// INFORMATIONAL-like message with every other payload in clear: IDi, IDr,
// CERT, AUTH, CP, TSi, TSr (IPv4 + IPv6), Delete (ESP and IKE), EAP, N.
Message ClearPayloadsMessage();
// IKE_AUTH fragment 1 of 3 (SKF).
Message SkfFragment();
// The plaintext inner chain an IKE_AUTH request would carry.
std::vector<Payload> IkeAuthInnerPayloads();

}  // namespace ike::wire::testing
