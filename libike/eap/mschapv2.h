// MS-CHAPv2 (RFC 2759) and its MPPE/EAP key derivation (RFC 3079), the
// password method of Windows, Apple and Android IKEv2 clients.
//
// MD4 and single DES are legacy algorithms: they are fetched from OpenSSL's
// legacy provider, loaded into a library context of its own for this file
// alone, so nothing else in the process can reach them.
#pragma once

#include <string>
#include <string_view>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

namespace ike::eap::mschapv2 {

inline constexpr size_t kChallengeSize = 16;
inline constexpr size_t kNtResponseSize = 24;

// MD4 over the UTF-16LE encoding of a UTF-8 password.
Result<SecretBytes, std::string> NtPasswordHash(std::string_view password);
// MD4(NtPasswordHash).
Result<SecretBytes, std::string> HashNtPasswordHash(const SecretBytes& password_hash);

// The user name that enters ChallengeHash: without a "DOMAIN\" prefix.
std::string_view StripDomain(std::string_view user);

// RFC 2759 8.2: SHA-1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8).
Bytes ChallengeHash(ByteView peer_challenge, ByteView auth_challenge, std::string_view user);

// RFC 2759 8.1: the 24-octet NT-Response.
Result<Bytes, std::string> NtResponse(ByteView auth_challenge, ByteView peer_challenge,
                                      std::string_view user, const SecretBytes& password_hash);

// RFC 2759 8.7: "S=" and 40 upper-case hex digits.
Result<std::string, std::string> AuthenticatorResponse(const SecretBytes& password_hash,
                                                       ByteView nt_response,
                                                       ByteView peer_challenge,
                                                       ByteView auth_challenge,
                                                       std::string_view user);

// RFC 3079 3.4 MasterKey and the two 16-octet start keys, and the EAP MSK
// built from them: the key of the Magic2 constant (the peer's send key, the
// authenticator's receive key, RADIUS MS-MPPE-Recv-Key), then the Magic3
// one, then 32 zero octets. Both sides derive the same 64 octets.
Result<SecretBytes, std::string> Msk(const SecretBytes& password_hash, ByteView nt_response);

}  // namespace ike::eap::mschapv2
