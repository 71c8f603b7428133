// IKEv1 registry values: ISAKMP (RFC 2408), the IPsec DOI (RFC 2407), IKE
// (RFC 2409 appendix A), NAT-T (RFC 3947), Mode Config
// (draft-dukes-ike-mode-cfg) and XAuth (draft-beaulieu-ike-xauth).
// Fields hold raw values, so values not listed here decode and round-trip.
#pragma once

#include <cstdint>
#include <string_view>

namespace ike::v1 {

// ISAKMP "Next Payload" values (RFC 2408 3.1, RFC 3947 3.1/4.2).
enum class PayloadType : uint8_t {
  kNone = 0,
  kSa = 1,
  kProposal = 2,   // only inside an SA payload
  kTransform = 3,  // only inside a Proposal
  kKe = 4,
  kId = 5,
  kCert = 6,
  kCertReq = 7,
  kHash = 8,
  kSig = 9,
  kNonce = 10,
  kNotify = 11,
  kDelete = 12,
  kVendorId = 13,
  kAttribute = 14,    // Mode Config / XAuth
  kNatD = 20,         // RFC 3947
  kNatOa = 21,        // RFC 3947
  kNatDDraft = 130,   // draft-ietf-ipsec-nat-t-ike-02/03
  kNatOaDraft = 131,
};
std::string_view PayloadTypeName(PayloadType type);  // "SA", ..., "UNKNOWN"

// Exchange types (RFC 2408 4.1, draft-dukes-ike-mode-cfg, RFC 2409 5.5).
enum class ExchangeType : uint8_t {
  kNone = 0,
  kBase = 1,
  kIdentityProtection = 2,  // Main Mode
  kAuthenticationOnly = 3,
  kAggressive = 4,
  kInformational = 5,
  kTransaction = 6,  // Mode Config / XAuth
  kQuick = 32,
  kNewGroup = 33,
};

// Protocol IDs (RFC 2407 4.4.1).
enum class ProtocolId : uint8_t {
  kReserved = 0,
  kIsakmp = 1,
  kAh = 2,
  kEsp = 3,
  kIpcomp = 4,
};

inline constexpr uint32_t kDoiIsakmp = 0;
inline constexpr uint32_t kDoiIpsec = 1;
// IPsec DOI situation bits (RFC 2407 4.2).
inline constexpr uint32_t kSitIdentityOnly = 0x01;
inline constexpr uint32_t kSitSecrecy = 0x02;
inline constexpr uint32_t kSitIntegrity = 0x04;

// Transform IDs. ISAKMP: KEY_IKE (RFC 2407 4.4.2).
inline constexpr uint8_t kKeyIke = 1;
// ESP transform IDs (RFC 2407 4.4.4, RFC 3602, RFC 4106).
enum class EspTransform : uint8_t {
  kDes = 2,
  k3Des = 3,
  kNull = 11,
  kAesCbc = 12,
  kAesCtr = 13,
  kAesGcm8 = 18,
  kAesGcm12 = 19,
  kAesGcm16 = 20,
};
// AH transform IDs (RFC 2407 4.4.3, RFC 4868).
enum class AhTransform : uint8_t {
  kMd5 = 2,
  kSha = 3,
  kSha2_256 = 5,
  kSha2_384 = 6,
  kSha2_512 = 7,
};

// Phase 1 (ISAKMP SA) attribute types (RFC 2409 appendix A).
enum class Phase1Attr : uint16_t {
  kEncryptionAlgorithm = 1,
  kHashAlgorithm = 2,
  kAuthenticationMethod = 3,
  kGroupDescription = 4,
  kGroupType = 5,
  kGroupPrime = 6,
  kGroupGeneratorOne = 7,
  kGroupGeneratorTwo = 8,
  kGroupCurveA = 9,
  kGroupCurveB = 10,
  kLifeType = 11,
  kLifeDuration = 12,  // variable length
  kPrf = 13,
  kKeyLength = 14,
  kFieldSize = 15,
  kGroupOrder = 16,
};
enum class Phase1Encr : uint16_t {
  kDesCbc = 1,
  kIdeaCbc = 2,
  kBlowfishCbc = 3,
  kRc5 = 4,
  k3DesCbc = 5,
  kCastCbc = 6,
  kAesCbc = 7,  // RFC 3602
  kCamelliaCbc = 8,
};
enum class Phase1Hash : uint16_t {
  kMd5 = 1,
  kSha1 = 2,
  kTiger = 3,
  kSha2_256 = 4,
  kSha2_384 = 5,
  kSha2_512 = 6,
};
enum class Phase1Auth : uint16_t {
  kPreSharedKey = 1,
  kDssSignature = 2,
  kRsaSignature = 3,
  kRsaEncryption = 4,
  kRsaRevisedEncryption = 5,
  kEcdsaSha256 = 9,  // RFC 4754
  kEcdsaSha384 = 10,
  kEcdsaSha512 = 11,
  // Hybrid (draft-ietf-ipsra-isakmp-hybrid-auth)
  kHybridInitRsa = 64221,
  kHybridRespRsa = 64222,
  kHybridInitDss = 64223,
  kHybridRespDss = 64224,
  // XAuth (draft-beaulieu-ike-xauth 4.1)
  kXauthInitPreShared = 65001,
  kXauthRespPreShared = 65002,
  kXauthInitDss = 65003,
  kXauthRespDss = 65004,
  kXauthInitRsa = 65005,
  kXauthRespRsa = 65006,
  kXauthInitRsaEncryption = 65007,
  kXauthRespRsaEncryption = 65008,
  kXauthInitRsaRevisedEncryption = 65009,
  kXauthRespRsaRevisedEncryption = 65010,
};
bool IsXauthAuthMethod(uint16_t method);  // 65001..65010
// Oakley groups (RFC 2409 6, RFC 3526, RFC 5903).
enum class Group : uint16_t {
  kModp768 = 1,
  kModp1024 = 2,
  kModp1536 = 5,
  kModp2048 = 14,
  kModp3072 = 15,
  kModp4096 = 16,
  kModp6144 = 17,
  kModp8192 = 18,
  kEcp256 = 19,
  kEcp384 = 20,
  kEcp521 = 21,
};
enum class LifeType : uint16_t { kSeconds = 1, kKilobytes = 2 };

// IPsec DOI SA attribute types (RFC 2407 4.5).
enum class IpsecAttr : uint16_t {
  kSaLifeType = 1,
  kSaLifeDuration = 2,  // variable length
  kGroupDescription = 3,
  kEncapsulationMode = 4,
  kAuthAlgorithm = 5,
  kKeyLength = 6,
  kKeyRounds = 7,
  kCompressDictionarySize = 8,
  kCompressPrivateAlgorithm = 9,
  kEcnTunnel = 10,             // RFC 3168
  kExtendedSequenceNumber = 11,  // RFC 4304
};
enum class EncapsulationMode : uint16_t {
  kTunnel = 1,
  kTransport = 2,
  kUdpTunnel = 3,     // RFC 3947
  kUdpTransport = 4,  // RFC 3947
  kUdpTunnelDraft = 61443,     // draft-ietf-ipsec-nat-t-ike
  kUdpTransportDraft = 61444,
};
enum class IpsecAuthAlg : uint16_t {
  kHmacMd5 = 1,
  kHmacSha1 = 2,
  kDesMac = 3,
  kKpdk = 4,
  kHmacSha2_256 = 5,
  kHmacSha2_384 = 6,
  kHmacSha2_512 = 7,
  kHmacRipemd = 8,
  kAesXcbcMac = 9,
};

// Identification types (RFC 2407 4.6.2.1).
enum class IdType : uint8_t {
  kIpv4Addr = 1,
  kFqdn = 2,
  kUserFqdn = 3,
  kIpv4AddrSubnet = 4,
  kIpv6Addr = 5,
  kIpv6AddrSubnet = 6,
  kIpv4AddrRange = 7,
  kIpv6AddrRange = 8,
  kDerAsn1Dn = 9,
  kDerAsn1Gn = 10,
  kKeyId = 11,
};

// Certificate encodings (RFC 2408 3.9).
enum class CertEncoding : uint8_t {
  kNone = 0,
  kPkcs7 = 1,
  kPgp = 2,
  kDnsSignedKey = 3,
  kX509Signature = 4,
  kX509KeyExchange = 5,
  kKerberos = 6,
  kCrl = 7,
  kArl = 8,
  kSpki = 9,
  kX509Attribute = 10,
};

// Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706).
enum class NotifyType : uint16_t {
  kInvalidPayloadType = 1,
  kDoiNotSupported = 2,
  kSituationNotSupported = 3,
  kInvalidCookie = 4,
  kInvalidMajorVersion = 5,
  kInvalidMinorVersion = 6,
  kInvalidExchangeType = 7,
  kInvalidFlags = 8,
  kInvalidMessageId = 9,
  kInvalidProtocolId = 10,
  kInvalidSpi = 11,
  kInvalidTransformId = 12,
  kAttributesNotSupported = 13,
  kNoProposalChosen = 14,
  kBadProposalSyntax = 15,
  kPayloadMalformed = 16,
  kInvalidKeyInformation = 17,
  kInvalidIdInformation = 18,
  kInvalidCertEncoding = 19,
  kInvalidCertificate = 20,
  kCertTypeUnsupported = 21,
  kInvalidCertAuthority = 22,
  kInvalidHashInformation = 23,
  kAuthenticationFailed = 24,
  kInvalidSignature = 25,
  kAddressNotification = 26,
  kNotifySaLifetime = 27,
  kCertificateUnavailable = 28,
  kUnsupportedExchangeType = 29,
  kUnequalPayloadLengths = 30,
  kConnected = 16384,
  kResponderLifetime = 24576,  // RFC 2407 4.6.3.1
  kReplayStatus = 24577,
  kInitialContact = 24578,
  kDpdRUThere = 36136,  // RFC 3706
  kDpdRUThereAck = 36137,
};

// Attribute payload message types (draft-dukes-ike-mode-cfg 3.2).
enum class CfgType : uint8_t { kRequest = 1, kReply = 2, kSet = 3, kAck = 4 };

// Mode Config and XAuth attribute types.
enum class CfgAttr : uint16_t {
  kInternalIp4Address = 1,
  kInternalIp4Netmask = 2,
  kInternalIp4Dns = 3,
  kInternalIp4Nbns = 4,
  kInternalAddressExpiry = 5,
  kInternalIp4Dhcp = 6,
  kApplicationVersion = 7,
  kInternalIp6Address = 8,
  kInternalIp6Netmask = 9,
  kInternalIp6Dns = 10,
  kInternalIp6Nbns = 11,
  kInternalIp6Dhcp = 12,
  kInternalIp4Subnet = 13,
  kSupportedAttributes = 14,
  kInternalIp6Subnet = 15,
  kXauthType = 16520,
  kXauthUserName = 16521,
  kXauthUserPassword = 16522,  // a secret: the engine moves it into SecretBytes
  kXauthPasscode = 16523,
  kXauthMessage = 16524,
  kXauthChallenge = 16525,
  kXauthDomain = 16526,
  kXauthStatus = 16527,
  kXauthNextPin = 16528,
  kXauthAnswer = 16529,
};

}  // namespace ike::v1
