#include "libike/crypto/algorithms.h"

#include <string>

namespace ike::crypto {
namespace {
Unexpected<CryptoError> Unsupported(const char* what, int id) {
  return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                    std::string(what) + " id " + std::to_string(id) + " not supported");
}
}  // namespace

const char* CryptoErrcName(CryptoErrc code) {
  switch (code) {
    case CryptoErrc::kUnsupportedAlgorithm: return "unsupported algorithm";
    case CryptoErrc::kInvalidKeyLength: return "invalid key length";
    case CryptoErrc::kInvalidInput: return "invalid input";
    case CryptoErrc::kIntegrityCheckFailed: return "integrity check failed";
    case CryptoErrc::kBadPadding: return "bad padding";
    case CryptoErrc::kInvalidPublicValue: return "invalid public value";
    case CryptoErrc::kInvalidKey: return "invalid key";
    case CryptoErrc::kSignatureInvalid: return "signature invalid";
    case CryptoErrc::kInternal: return "internal error";
  }
  return "unknown";
}

bool IsAead(EncrId id) {
  return id == EncrId::kAesGcm8 || id == EncrId::kAesGcm12 || id == EncrId::kAesGcm16 ||
         id == EncrId::kChaCha20Poly1305;
}

CryptoResult<size_t> EncrKeyMaterialSize(EncrId id, uint16_t key_bits) {
  switch (id) {
    case EncrId::kAesCbc:
    case EncrId::kAesGcm8:
    case EncrId::kAesGcm12:
    case EncrId::kAesGcm16: {
      if (key_bits != 128 && key_bits != 192 && key_bits != 256) {
        return CryptoFail(CryptoErrc::kInvalidKeyLength,
                          "AES key length " + std::to_string(key_bits) + " bits not allowed");
      }
      size_t salt = id == EncrId::kAesCbc ? 0 : 4;
      return key_bits / 8 + salt;
    }
    case EncrId::kChaCha20Poly1305:
      // RFC 7634: no Key Length attribute; 256-bit key plus 4-byte salt.
      if (key_bits != 0 && key_bits != 256) {
        return CryptoFail(CryptoErrc::kInvalidKeyLength, "ChaCha20-Poly1305 is 256-bit only");
      }
      return size_t{36};
    default:
      return Unsupported("encryption", static_cast<int>(id));
  }
}

CryptoResult<size_t> IntegKeySize(IntegId id) {
  switch (id) {
    case IntegId::kNone: return size_t{0};
    case IntegId::kHmacSha1_96: return size_t{20};
    case IntegId::kHmacSha2_256_128: return size_t{32};
    case IntegId::kHmacSha2_384_192: return size_t{48};
    case IntegId::kHmacSha2_512_256: return size_t{64};
    case IntegId::kAesXcbc96:
    case IntegId::kAesCmac96: return size_t{16};
    default: return Unsupported("integrity", static_cast<int>(id));
  }
}

CryptoResult<size_t> IntegIcvSize(IntegId id) {
  switch (id) {
    case IntegId::kNone: return size_t{0};
    case IntegId::kHmacSha1_96: return size_t{12};
    case IntegId::kHmacSha2_256_128: return size_t{16};
    case IntegId::kHmacSha2_384_192: return size_t{24};
    case IntegId::kHmacSha2_512_256: return size_t{32};
    case IntegId::kAesXcbc96:
    case IntegId::kAesCmac96: return size_t{12};
    default: return Unsupported("integrity", static_cast<int>(id));
  }
}

CryptoResult<size_t> PrfKeySize(PrfId id) { return PrfOutputSize(id); }

CryptoResult<size_t> PrfOutputSize(PrfId id) {
  switch (id) {
    case PrfId::kHmacSha1: return size_t{20};
    case PrfId::kHmacSha2_256: return size_t{32};
    case PrfId::kHmacSha2_384: return size_t{48};
    case PrfId::kHmacSha2_512: return size_t{64};
    case PrfId::kAes128Xcbc:
    case PrfId::kAes128Cmac: return size_t{16};
    default: return Unsupported("PRF", static_cast<int>(id));
  }
}

namespace {
constexpr uint16_t kAesBits[] = {128, 192, 256};
constexpr uint16_t kChaChaBits[] = {0};
constexpr EncrCapability kEncr[] = {
    {EncrId::kAesCbc, kAesBits},   {EncrId::kAesGcm8, kAesBits},           {EncrId::kAesGcm12, kAesBits},
    {EncrId::kAesGcm16, kAesBits}, {EncrId::kChaCha20Poly1305, kChaChaBits},
};
constexpr PrfId kPrf[] = {PrfId::kHmacSha1,     PrfId::kHmacSha2_256, PrfId::kHmacSha2_384,
                          PrfId::kHmacSha2_512, PrfId::kAes128Xcbc,   PrfId::kAes128Cmac};
constexpr IntegId kInteg[] = {IntegId::kHmacSha1_96,       IntegId::kHmacSha2_256_128, IntegId::kHmacSha2_384_192,
                              IntegId::kHmacSha2_512_256,  IntegId::kAesXcbc96,        IntegId::kAesCmac96};
constexpr KeGroup kGroups[] = {KeGroup::kModp768,  KeGroup::kModp1024, KeGroup::kModp1536,  KeGroup::kModp2048,
                               KeGroup::kModp3072, KeGroup::kModp4096, KeGroup::kModp6144,  KeGroup::kModp8192,
                               KeGroup::kEcp256,   KeGroup::kEcp384,   KeGroup::kEcp521,    KeGroup::kCurve25519,
                               KeGroup::kCurve448};
}  // namespace

std::span<const EncrCapability> SupportedEncr() { return kEncr; }
std::span<const PrfId> SupportedPrf() { return kPrf; }
std::span<const IntegId> SupportedInteg() { return kInteg; }
std::span<const KeGroup> SupportedKeGroups() { return kGroups; }

}  // namespace ike::crypto
