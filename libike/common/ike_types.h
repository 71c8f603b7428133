// IANA "Internet Key Exchange Version 2 (IKEv2) Parameters" registry values
// shared by every layer (wire codec, crypto, proposals, configuration,
// backends). Values are the registry's; names follow the RFCs.
#pragma once

#include <cstdint>

namespace ike {

enum class ExchangeType : uint8_t {
  kIkeSaInit = 34,
  kIkeAuth = 35,
  kCreateChildSa = 36,
  kInformational = 37,
  kIkeSessionResume = 38,
  kIkeIntermediate = 43,
};

enum class ProtocolId : uint8_t {
  kNone = 0,
  kIke = 1,
  kAh = 2,
  kEsp = 3,
};

enum class TransformType : uint8_t {
  kEncr = 1,
  kPrf = 2,
  kInteg = 3,
  kKe = 4,  // "Diffie-Hellman Group" in RFC 7296
  kEsn = 5,
};

enum class EncrId : uint16_t {
  kDes = 2,
  k3Des = 3,
  kNull = 11,
  kAesCbc = 12,
  kAesCtr = 13,
  kAesCcm8 = 14,
  kAesCcm12 = 15,
  kAesCcm16 = 16,
  kAesGcm8 = 18,
  kAesGcm12 = 19,
  kAesGcm16 = 20,
  kNullAuthAesGmac = 21,
  kCamelliaCbc = 23,
  kChaCha20Poly1305 = 28,
};

enum class PrfId : uint16_t {
  kHmacMd5 = 1,
  kHmacSha1 = 2,
  kAes128Xcbc = 4,
  kHmacSha2_256 = 5,
  kHmacSha2_384 = 6,
  kHmacSha2_512 = 7,
  kAes128Cmac = 8,
};

enum class IntegId : uint16_t {
  kNone = 0,
  kHmacMd5_96 = 1,
  kHmacSha1_96 = 2,
  kAesXcbc96 = 5,
  kHmacSha1_160 = 7,
  kAesCmac96 = 8,
  kAes128Gmac = 9,
  kAes192Gmac = 10,
  kAes256Gmac = 11,
  kHmacSha2_256_128 = 12,
  kHmacSha2_384_192 = 13,
  kHmacSha2_512_256 = 14,
};

// Transform type 4 ("Key Exchange Method", formerly "Diffie-Hellman Group").
enum class KeGroup : uint16_t {
  kNone = 0,
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
  kModp1024s160 = 22,
  kModp2048s224 = 23,
  kModp2048s256 = 24,
  kEcp192 = 25,
  kEcp224 = 26,
  kEcp224Bp = 27,
  kEcp256Bp = 28,
  kEcp384Bp = 29,
  kEcp512Bp = 30,
  kCurve25519 = 31,
  kCurve448 = 32,
  kMlKem512 = 35,
  kMlKem768 = 36,
  kMlKem1024 = 37,
};

enum class EsnId : uint16_t {
  kNoEsn = 0,
  kEsn = 1,
};

// Transform attribute types (RFC 7296 3.3.5). Only Key Length is defined.
enum class TransformAttribute : uint16_t {
  kKeyLength = 14,
};

enum class AuthMethod : uint8_t {
  kRsaSig = 1,
  kPsk = 2,
  kDssSig = 3,
  kEcdsaSha256P256 = 9,
  kEcdsaSha384P384 = 10,
  kEcdsaSha512P521 = 11,
  kGenericSecurePassword = 12,
  kNull = 13,
  kDigitalSignature = 14,  // RFC 7427
};

enum class IdType : uint8_t {
  kIpv4Addr = 1,
  kFqdn = 2,
  kRfc822Addr = 3,
  kIpv6Addr = 5,
  kDerAsn1Dn = 9,
  kDerAsn1Gn = 10,
  kKeyId = 11,
};

enum class TsType : uint8_t {
  kIpv4AddrRange = 7,
  kIpv6AddrRange = 8,
};

enum class CertEncoding : uint8_t {
  kPkcs7X509 = 1,
  kPgp = 2,
  kDnsSignedKey = 3,
  kX509Signature = 4,
  kKerberos = 6,
  kCrl = 7,
  kArl = 8,
  kSpki = 9,
  kX509Attribute = 10,
  kRawRsaKey = 11,  // deprecated by RFC 7296
  kHashAndUrlX509Cert = 12,
  kHashAndUrlX509Bundle = 13,
  kRawPublicKey = 15,  // RFC 7670
};

// RFC 7427 SIGNATURE_HASH_ALGORITHMS values.
enum class HashAlgorithm : uint16_t {
  kSha1 = 1,
  kSha2_256 = 2,
  kSha2_384 = 3,
  kSha2_512 = 4,
  kIdentity = 5,
};

enum class Role : uint8_t {
  kInitiator,
  kResponder,
};

}  // namespace ike
