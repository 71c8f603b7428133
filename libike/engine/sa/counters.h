// Named drop counters (STYLE.md: every drop path increments one).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace ike::engine {

enum class Drop : uint8_t {
  kMalformed,           // the datagram does not decode
  kMissingNonEspMarker, // port 4500 datagram without the 4 zero octets
  kUnknownSpi,          // no IKE_SA for the SPIs
  kBadIcv,              // SK integrity check or decryption failed
  kMissingSk,           // an exchange after IKE_SA_INIT arrived unencrypted
  kUnexpectedExchange,  // exchange type not allowed in the SA's state
  kInvalidPayloads,     // payload rules of the exchange violated
  kStaleRequest,        // request with a message ID below the window
  kFutureRequest,       // request with a message ID above the window
  kRetransmittedRequest,// request we already answered: cached response replayed
  kUnexpectedResponse,  // response with no request outstanding / wrong ID
  kHalfOpenLimit,       // too many half-open IKE_SAs
  kCookieRequired,      // IKE_SA_INIT without a valid cookie under load
  kInvalidCookie,       // a cookie that does not verify
  kBadFlags,            // I/R flags do not match our role
  kTaskFailed,          // a task rejected the message (SA kept unless fatal)
  kFragment,            // a fragment that cannot be reassembled
  kNoConfig,            // IKE_SA_INIT for which no connection matches
  kUnexpectedEapReply,  // an AAA backend answer no IKE_SA waits for
  kMobikeNotNegotiated, // UPDATE_SA_ADDRESSES on an IKE_SA without MOBIKE (ignored)
  kMobikeBadNotify,     // a malformed or missing MOBIKE notify (RFC 4555)
  kCount,
};

const char* DropName(Drop drop);

class Counters {
 public:
  void Inc(Drop d) { ++counts_[static_cast<size_t>(d)]; }
  uint64_t Get(Drop d) const { return counts_[static_cast<size_t>(d)]; }
  uint64_t Total() const {
    uint64_t t = 0;
    for (auto c : counts_) t += c;
    return t;
  }
  // "malformed=1 bad_icv=2" for the non-zero ones.
  std::string ToString() const;

 private:
  std::array<uint64_t, static_cast<size_t>(Drop::kCount)> counts_{};
};

}  // namespace ike::engine
