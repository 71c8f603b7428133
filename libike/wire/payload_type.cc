#include "libike/wire/payload_type.h"

namespace ike::wire {

bool IsKnownPayloadType(uint8_t type) {
  return (type >= static_cast<uint8_t>(PayloadType::kSa) &&
          type <= static_cast<uint8_t>(PayloadType::kEap)) ||
         type == static_cast<uint8_t>(PayloadType::kSkf);
}

std::string_view PayloadTypeName(PayloadType type) {
  switch (type) {
    case PayloadType::kNone: return "NONE";
    case PayloadType::kSa: return "SA";
    case PayloadType::kKe: return "KE";
    case PayloadType::kIdInitiator: return "IDi";
    case PayloadType::kIdResponder: return "IDr";
    case PayloadType::kCert: return "CERT";
    case PayloadType::kCertReq: return "CERTREQ";
    case PayloadType::kAuth: return "AUTH";
    case PayloadType::kNonce: return "Nonce";
    case PayloadType::kNotify: return "N";
    case PayloadType::kDelete: return "D";
    case PayloadType::kVendorId: return "V";
    case PayloadType::kTsInitiator: return "TSi";
    case PayloadType::kTsResponder: return "TSr";
    case PayloadType::kSk: return "SK";
    case PayloadType::kCp: return "CP";
    case PayloadType::kEap: return "EAP";
    case PayloadType::kGspm: return "GSPM";
    case PayloadType::kSkf: return "SKF";
  }
  return "UNKNOWN";
}

std::string_view NotifyTypeName(NotifyType type) {
  switch (type) {
#define IKE_NOTIFY_NAME(k, s) \
  case NotifyType::k:         \
    return s;
    IKE_NOTIFY_NAME(kUnsupportedCriticalPayload, "UNSUPPORTED_CRITICAL_PAYLOAD")
    IKE_NOTIFY_NAME(kInvalidIkeSpi, "INVALID_IKE_SPI")
    IKE_NOTIFY_NAME(kInvalidMajorVersion, "INVALID_MAJOR_VERSION")
    IKE_NOTIFY_NAME(kInvalidSyntax, "INVALID_SYNTAX")
    IKE_NOTIFY_NAME(kInvalidMessageId, "INVALID_MESSAGE_ID")
    IKE_NOTIFY_NAME(kInvalidSpi, "INVALID_SPI")
    IKE_NOTIFY_NAME(kNoProposalChosen, "NO_PROPOSAL_CHOSEN")
    IKE_NOTIFY_NAME(kInvalidKePayload, "INVALID_KE_PAYLOAD")
    IKE_NOTIFY_NAME(kAuthenticationFailed, "AUTHENTICATION_FAILED")
    IKE_NOTIFY_NAME(kSinglePairRequired, "SINGLE_PAIR_REQUIRED")
    IKE_NOTIFY_NAME(kNoAdditionalSas, "NO_ADDITIONAL_SAS")
    IKE_NOTIFY_NAME(kInternalAddressFailure, "INTERNAL_ADDRESS_FAILURE")
    IKE_NOTIFY_NAME(kFailedCpRequired, "FAILED_CP_REQUIRED")
    IKE_NOTIFY_NAME(kTsUnacceptable, "TS_UNACCEPTABLE")
    IKE_NOTIFY_NAME(kInvalidSelectors, "INVALID_SELECTORS")
    IKE_NOTIFY_NAME(kUnacceptableAddresses, "UNACCEPTABLE_ADDRESSES")
    IKE_NOTIFY_NAME(kUnexpectedNatDetected, "UNEXPECTED_NAT_DETECTED")
    IKE_NOTIFY_NAME(kUseAssignedHoa, "USE_ASSIGNED_HoA")
    IKE_NOTIFY_NAME(kTemporaryFailure, "TEMPORARY_FAILURE")
    IKE_NOTIFY_NAME(kChildSaNotFound, "CHILD_SA_NOT_FOUND")
    IKE_NOTIFY_NAME(kInvalidGroupId, "INVALID_GROUP_ID")
    IKE_NOTIFY_NAME(kAuthorizationFailed, "AUTHORIZATION_FAILED")
    IKE_NOTIFY_NAME(kInitialContact, "INITIAL_CONTACT")
    IKE_NOTIFY_NAME(kSetWindowSize, "SET_WINDOW_SIZE")
    IKE_NOTIFY_NAME(kAdditionalTsPossible, "ADDITIONAL_TS_POSSIBLE")
    IKE_NOTIFY_NAME(kIpcompSupported, "IPCOMP_SUPPORTED")
    IKE_NOTIFY_NAME(kNatDetectionSourceIp, "NAT_DETECTION_SOURCE_IP")
    IKE_NOTIFY_NAME(kNatDetectionDestinationIp, "NAT_DETECTION_DESTINATION_IP")
    IKE_NOTIFY_NAME(kCookie, "COOKIE")
    IKE_NOTIFY_NAME(kUseTransportMode, "USE_TRANSPORT_MODE")
    IKE_NOTIFY_NAME(kHttpCertLookupSupported, "HTTP_CERT_LOOKUP_SUPPORTED")
    IKE_NOTIFY_NAME(kRekeySa, "REKEY_SA")
    IKE_NOTIFY_NAME(kEspTfcPaddingNotSupported, "ESP_TFC_PADDING_NOT_SUPPORTED")
    IKE_NOTIFY_NAME(kNonFirstFragmentsAlso, "NON_FIRST_FRAGMENTS_ALSO")
    IKE_NOTIFY_NAME(kMobikeSupported, "MOBIKE_SUPPORTED")
    IKE_NOTIFY_NAME(kAdditionalIp4Address, "ADDITIONAL_IP4_ADDRESS")
    IKE_NOTIFY_NAME(kAdditionalIp6Address, "ADDITIONAL_IP6_ADDRESS")
    IKE_NOTIFY_NAME(kNoAdditionalAddresses, "NO_ADDITIONAL_ADDRESSES")
    IKE_NOTIFY_NAME(kUpdateSaAddresses, "UPDATE_SA_ADDRESSES")
    IKE_NOTIFY_NAME(kCookie2, "COOKIE2")
    IKE_NOTIFY_NAME(kNoNatsAllowed, "NO_NATS_ALLOWED")
    IKE_NOTIFY_NAME(kAuthLifetime, "AUTH_LIFETIME")
    IKE_NOTIFY_NAME(kMultipleAuthSupported, "MULTIPLE_AUTH_SUPPORTED")
    IKE_NOTIFY_NAME(kAnotherAuthFollows, "ANOTHER_AUTH_FOLLOWS")
    IKE_NOTIFY_NAME(kRedirectSupported, "REDIRECT_SUPPORTED")
    IKE_NOTIFY_NAME(kRedirect, "REDIRECT")
    IKE_NOTIFY_NAME(kRedirectedFrom, "REDIRECTED_FROM")
    IKE_NOTIFY_NAME(kTicketLtOpaque, "TICKET_LT_OPAQUE")
    IKE_NOTIFY_NAME(kTicketRequest, "TICKET_REQUEST")
    IKE_NOTIFY_NAME(kTicketAck, "TICKET_ACK")
    IKE_NOTIFY_NAME(kTicketNack, "TICKET_NACK")
    IKE_NOTIFY_NAME(kTicketOpaque, "TICKET_OPAQUE")
    IKE_NOTIFY_NAME(kLinkId, "LINK_ID")
    IKE_NOTIFY_NAME(kUseWespMode, "USE_WESP_MODE")
    IKE_NOTIFY_NAME(kRohcSupported, "ROHC_SUPPORTED")
    IKE_NOTIFY_NAME(kEapOnlyAuthentication, "EAP_ONLY_AUTHENTICATION")
    IKE_NOTIFY_NAME(kChildlessIkev2Supported, "CHILDLESS_IKEV2_SUPPORTED")
    IKE_NOTIFY_NAME(kQuickCrashDetection, "QUICK_CRASH_DETECTION")
    IKE_NOTIFY_NAME(kIkev2MessageIdSyncSupported, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED")
    IKE_NOTIFY_NAME(kIpsecReplayCounterSyncSupported, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED")
    IKE_NOTIFY_NAME(kIkev2MessageIdSync, "IKEV2_MESSAGE_ID_SYNC")
    IKE_NOTIFY_NAME(kIpsecReplayCounterSync, "IPSEC_REPLAY_COUNTER_SYNC")
    IKE_NOTIFY_NAME(kSecurePasswordMethods, "SECURE_PASSWORD_METHODS")
    IKE_NOTIFY_NAME(kPskPersist, "PSK_PERSIST")
    IKE_NOTIFY_NAME(kPskConfirm, "PSK_CONFIRM")
    IKE_NOTIFY_NAME(kErxSupported, "ERX_SUPPORTED")
    IKE_NOTIFY_NAME(kIfomCapability, "IFOM_CAPABILITY")
    IKE_NOTIFY_NAME(kSenderRequestId, "SENDER_REQUEST_ID")
    IKE_NOTIFY_NAME(kIkev2FragmentationSupported, "IKEV2_FRAGMENTATION_SUPPORTED")
    IKE_NOTIFY_NAME(kSignatureHashAlgorithms, "SIGNATURE_HASH_ALGORITHMS")
    IKE_NOTIFY_NAME(kCloneIkeSaSupported, "CLONE_IKE_SA_SUPPORTED")
    IKE_NOTIFY_NAME(kCloneIkeSa, "CLONE_IKE_SA")
    IKE_NOTIFY_NAME(kPuzzle, "PUZZLE")
    IKE_NOTIFY_NAME(kUsePpk, "USE_PPK")
    IKE_NOTIFY_NAME(kPpkIdentity, "PPK_IDENTITY")
    IKE_NOTIFY_NAME(kNoPpkAuth, "NO_PPK_AUTH")
    IKE_NOTIFY_NAME(kIntermediateExchangeSupported, "INTERMEDIATE_EXCHANGE_SUPPORTED")
    IKE_NOTIFY_NAME(kIp4Allowed, "IP4_ALLOWED")
    IKE_NOTIFY_NAME(kIp6Allowed, "IP6_ALLOWED")
    IKE_NOTIFY_NAME(kAdditionalKeyExchange, "ADDITIONAL_KEY_EXCHANGE")
    IKE_NOTIFY_NAME(kUseAggfrag, "USE_AGGFRAG")
#undef IKE_NOTIFY_NAME
  }
  return {};
}

}  // namespace ike::wire
