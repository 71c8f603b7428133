// IKEv2 payload type codes (RFC 7296 3.2 and later RFCs) and the Notify
// Message Type registry (RFC 7296 3.10.1 plus the common extensions).
#pragma once

#include <cstdint>
#include <string_view>

namespace ike::wire {

// "Next Payload" values. Codes the codec does not model are decoded as
// UnknownPayload (and rejected when their critical bit is set).
enum class PayloadType : uint8_t {
  kNone = 0,
  kSa = 33,
  kKe = 34,
  kIdInitiator = 35,
  kIdResponder = 36,
  kCert = 37,
  kCertReq = 38,
  kAuth = 39,
  kNonce = 40,
  kNotify = 41,
  kDelete = 42,
  kVendorId = 43,
  kTsInitiator = 44,
  kTsResponder = 45,
  kSk = 46,
  kCp = 47,
  kEap = 48,
  kGspm = 49,   // RFC 6467, not modelled (kept as unknown)
  kSkf = 53,    // RFC 7383 Encrypted Fragment
};

// True for the payload types this codec decodes into a typed struct.
bool IsKnownPayloadType(uint8_t type);
std::string_view PayloadTypeName(PayloadType type);  // "SA", "KE", ..., "UNKNOWN"

// Notify Message Types. Values below 16384 are errors, 16384 and above status.
enum class NotifyType : uint16_t {
  // Error types (RFC 7296 3.10.1 and updates).
  kUnsupportedCriticalPayload = 1,
  kInvalidIkeSpi = 4,
  kInvalidMajorVersion = 5,
  kInvalidSyntax = 7,
  kInvalidMessageId = 9,
  kInvalidSpi = 11,
  kNoProposalChosen = 14,
  kInvalidKePayload = 17,
  kAuthenticationFailed = 24,
  kSinglePairRequired = 34,
  kNoAdditionalSas = 35,
  kInternalAddressFailure = 36,
  kFailedCpRequired = 37,
  kTsUnacceptable = 38,
  kInvalidSelectors = 39,
  kUnacceptableAddresses = 40,    // RFC 4555
  kUnexpectedNatDetected = 41,    // RFC 4555
  kUseAssignedHoa = 42,           // RFC 5026
  kTemporaryFailure = 43,
  kChildSaNotFound = 44,
  kInvalidGroupId = 45,           // RFC 9838 (G-IKEv2)
  kAuthorizationFailed = 46,
  // Status types.
  kInitialContact = 16384,
  kSetWindowSize = 16385,
  kAdditionalTsPossible = 16386,
  kIpcompSupported = 16387,
  kNatDetectionSourceIp = 16388,
  kNatDetectionDestinationIp = 16389,
  kCookie = 16390,
  kUseTransportMode = 16391,
  kHttpCertLookupSupported = 16392,
  kRekeySa = 16393,
  kEspTfcPaddingNotSupported = 16394,
  kNonFirstFragmentsAlso = 16395,
  kMobikeSupported = 16396,       // RFC 4555
  kAdditionalIp4Address = 16397,
  kAdditionalIp6Address = 16398,
  kNoAdditionalAddresses = 16399,
  kUpdateSaAddresses = 16400,
  kCookie2 = 16401,
  kNoNatsAllowed = 16402,
  kAuthLifetime = 16403,          // RFC 4478
  kMultipleAuthSupported = 16404,  // RFC 4739
  kAnotherAuthFollows = 16405,
  kRedirectSupported = 16406,     // RFC 5685
  kRedirect = 16407,
  kRedirectedFrom = 16408,
  kTicketLtOpaque = 16409,        // RFC 5723
  kTicketRequest = 16410,
  kTicketAck = 16411,
  kTicketNack = 16412,
  kTicketOpaque = 16413,
  kLinkId = 16414,
  kUseWespMode = 16415,
  kRohcSupported = 16416,
  kEapOnlyAuthentication = 16417,  // RFC 5998
  kChildlessIkev2Supported = 16418,  // RFC 6023
  kQuickCrashDetection = 16419,
  kIkev2MessageIdSyncSupported = 16420,  // RFC 6311
  kIpsecReplayCounterSyncSupported = 16421,
  kIkev2MessageIdSync = 16422,
  kIpsecReplayCounterSync = 16423,
  kSecurePasswordMethods = 16424,
  kPskPersist = 16425,
  kPskConfirm = 16426,
  kErxSupported = 16427,
  kIfomCapability = 16428,
  kSenderRequestId = 16429,
  kIkev2FragmentationSupported = 16430,  // RFC 7383
  kSignatureHashAlgorithms = 16431,      // RFC 7427
  kCloneIkeSaSupported = 16432,
  kCloneIkeSa = 16433,
  kPuzzle = 16434,                       // RFC 8019
  kUsePpk = 16435,                       // RFC 8784
  kPpkIdentity = 16436,
  kNoPpkAuth = 16437,
  kIntermediateExchangeSupported = 16438,  // RFC 9242
  kIp4Allowed = 16439,                   // RFC 8983
  kIp6Allowed = 16440,
  kAdditionalKeyExchange = 16441,        // RFC 9370
  kUseAggfrag = 16442,                   // RFC 9347
};

inline bool IsErrorNotify(NotifyType type) { return static_cast<uint16_t>(type) < 16384; }
// The registry name ("NO_PROPOSAL_CHOSEN"), or an empty view for values not
// listed above.
std::string_view NotifyTypeName(NotifyType type);

}  // namespace ike::wire
