// Realistic IKEv1 sample messages shared by the ikev1 codec tests, the
// tshark check and the fuzz seed writer.
#pragma once

#include <vector>

#include "libike/ikev1/message.h"

namespace ike::v1::testing {

Bytes Fill(size_t n, uint8_t seed);  // deterministic bytes

// Main Mode message 1: SA with 5 transforms (AES-CBC-256/128, 3DES; SHA1,
// SHA2-256; MODP1024/2048; PSK, RSA-sig, XAUTHInitPreShared; lifetimes as
// TV and as a 4-octet TLV), VIDs (RFC 3947, draft-02, DPD, XAuth).
Message MainModeMessage1();
// Main Mode message 3: KE (MODP2048), Ni, CR, NAT-D x2 (RFC 3947).
Message MainModeMessage3();
// Aggressive Mode message 1: SA (PSK, AES-256, SHA2-256, MODP2048), KE,
// Ni, IDii (FQDN), VIDs.
Message AggressiveMessage1();
// Quick Mode message 1 in clear (what the encrypted body carries):
// HASH(1), SA (ESP AES-CBC-256/HMAC-SHA2-256 UDP tunnel with PFS, ESP
// AES-GCM-16, ESP 3DES/HMAC-SHA1 with the draft UDP mode), Ni, KE, IDci,
// IDcr (IPv4 subnets), NAT-OA x2.
Message QuickModeMessage1();
// The same message as it travels: E flag set, opaque ciphertext.
Message QuickModeEncrypted();
// Transaction (Mode Config) exchange in clear: HASH, ATTR REPLY with
// INTERNAL_IP4_ADDRESS/NETMASK/DNS x2/NBNS/SUBNET and IPv6 address.
Message ModeConfigReply();
// Transaction (XAuth) request in clear: HASH, ATTR REQUEST with XAUTH_TYPE,
// USER_NAME, USER_PASSWORD, MESSAGE.
Message XauthRequest();
// Informational in clear: HASH, N(INITIAL-CONTACT, cookie SPI), D(ESP, 2
// SPIs), D(ISAKMP), N(R-U-THERE), IDs of every other type, CERT, SIG,
// NAT-D/NAT-OA in draft form.
Message InformationalMessage();

// Every sample above, with a name.
struct NamedMessage {
  const char* name;
  Message message;
};
std::vector<NamedMessage> AllSamples();

}  // namespace ike::v1::testing
