// Turning engine messages into datagrams and back: the SK payload
// (RFC 7296 3.14) and SKF fragments (RFC 7383) around libike/wire's codec,
// with libike/crypto's SkCipher, plus the non-ESP marker of port 4500
// (RFC 3948 2.2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/crypto/rng.h"
#include "libike/crypto/sk_cipher.h"
#include "libike/wire/message.h"

namespace ike::engine {

inline constexpr size_t kNonEspMarkerSize = 4;

// Encodes `msg` with its payloads in plaintext (IKE_SA_INIT).
Bytes EncodePlain(const wire::Message& msg);

// Encodes `msg` with all its payloads inside an SK payload. When
// `fragment_size` is non-zero and the datagram would be larger, the inner
// payloads are split into SKF fragments (RFC 7383 2.5) of at most that size.
Result<std::vector<Bytes>, std::string> EncodeProtected(const wire::Message& msg,
                                                        const crypto::SkCipher& cipher,
                                                        crypto::Rng& rng,
                                                        size_t fragment_size = 0);

enum class UnprotectError : uint8_t { kMalformed, kIntegrity, kNotEncrypted };
struct Unprotected {
  wire::Message message;  // payloads = the decrypted inner chain
  std::optional<wire::SkfPayload> fragment;  // set for an SKF: `message` is empty
  Bytes fragment_plain;                      // decrypted fragment content
};

// Verifies and decrypts the SK (or one SKF) payload of a decoded datagram.
Result<Unprotected, UnprotectError> Unprotect(const wire::Message& outer, ByteView datagram,
                                              const crypto::SkCipher& cipher);

// Adds the non-ESP marker when the datagram goes out on a NAT-T port.
Bytes WithMarker(Bytes datagram, bool marker);

}  // namespace ike::engine
