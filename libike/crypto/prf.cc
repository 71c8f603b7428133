#include "libike/crypto/prf.h"

#include <array>

namespace ike::crypto {

using internal::MacAlg;

CryptoResult<Prf> Prf::Create(PrfId id) {
  switch (id) {
    case PrfId::kHmacSha1: return Prf(id, MacAlg::kHmacSha1);
    case PrfId::kHmacSha2_256: return Prf(id, MacAlg::kHmacSha256);
    case PrfId::kHmacSha2_384: return Prf(id, MacAlg::kHmacSha384);
    case PrfId::kHmacSha2_512: return Prf(id, MacAlg::kHmacSha512);
    case PrfId::kAes128Xcbc: return Prf(id, MacAlg::kAesXcbc);
    case PrfId::kAes128Cmac: return Prf(id, MacAlg::kAesCmac);
    default:
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                        "PRF id " + std::to_string(static_cast<int>(id)) + " not supported");
  }
}

bool Prf::IsSupported(PrfId id) { return Create(id).has_value(); }

size_t Prf::output_size() const { return internal::MacOutputSize(alg_); }
size_t Prf::key_size() const { return internal::MacOutputSize(alg_); }
bool Prf::has_fixed_key_size() const { return alg_ == MacAlg::kAesXcbc || alg_ == MacAlg::kAesCmac; }

CryptoResult<SecretBytes> Prf::NormalizeKey(ByteView key) const {
  if (key.size() == 16) return SecretBytes(key);
  if (alg_ == MacAlg::kAesXcbc && key.size() < 16) {
    // RFC 4434: a shorter key is padded on the right with zero bits.
    SecretBytes padded(key);
    padded.Resize(16);
    return padded;
  }
  // RFC 4434 (longer keys) and RFC 4615 (any other length):
  // K = MAC(0^128, key).
  static const std::array<uint8_t, 16> kZeroKey{};
  const ByteView parts[] = {key};
  return internal::MacCompute(alg_, kZeroKey, parts);
}

CryptoResult<SecretBytes> Prf::Compute(ByteView key, ByteView data) const {
  const ByteView parts[] = {data};
  return Compute(key, parts);
}

CryptoResult<SecretBytes> Prf::Compute(ByteView key, std::span<const ByteView> parts) const {
  if (has_fixed_key_size() && key.size() != 16) {
    IKE_ASSIGN_OR_RETURN(SecretBytes k, NormalizeKey(key));
    return internal::MacCompute(alg_, k.view(), parts);
  }
  return internal::MacCompute(alg_, key, parts);
}

CryptoResult<SecretBytes> Prf::PrfPlus(ByteView key, ByteView seed, size_t length) const {
  const size_t block = output_size();
  if (length > 255 * block) {
    return CryptoFail(CryptoErrc::kInvalidInput, "prf+ output longer than 255 blocks");
  }
  SecretBytes out;
  SecretBytes t;  // T(n-1), empty for T1
  for (uint8_t n = 1; out.size() < length; ++n) {
    const uint8_t counter[1] = {n};
    const ByteView parts[] = {t.view(), seed, ByteView(counter, 1)};
    IKE_ASSIGN_OR_RETURN(t, Compute(key, parts));
    out.Append(t.view());
  }
  out.Resize(length);
  return out;
}

}  // namespace ike::crypto
