#include "libike/crypto/integ.h"

#include "libike/crypto/algorithms.h"

namespace ike::crypto {

using internal::MacAlg;

CryptoResult<Integ> Integ::Create(IntegId id, ByteView key) {
  MacAlg alg;
  switch (id) {
    case IntegId::kHmacSha1_96: alg = MacAlg::kHmacSha1; break;
    case IntegId::kHmacSha2_256_128: alg = MacAlg::kHmacSha256; break;
    case IntegId::kHmacSha2_384_192: alg = MacAlg::kHmacSha384; break;
    case IntegId::kHmacSha2_512_256: alg = MacAlg::kHmacSha512; break;
    case IntegId::kAesXcbc96: alg = MacAlg::kAesXcbc; break;
    case IntegId::kAesCmac96: alg = MacAlg::kAesCmac; break;
    default:
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                        "integrity id " + std::to_string(static_cast<int>(id)) + " not supported");
  }
  IKE_ASSIGN_OR_RETURN(size_t key_size, IntegKeySize(id));
  IKE_ASSIGN_OR_RETURN(size_t icv_size, IntegIcvSize(id));
  if (key.size() != key_size) {
    return CryptoFail(CryptoErrc::kInvalidKeyLength,
                      "integrity key must be " + std::to_string(key_size) + " bytes");
  }
  return Integ(id, alg, icv_size, key);
}

bool Integ::IsSupported(IntegId id) { return IntegIcvSize(id).has_value() && id != IntegId::kNone; }

CryptoResult<Bytes> Integ::Sign(std::span<const ByteView> parts) const {
  IKE_ASSIGN_OR_RETURN(SecretBytes mac, internal::MacCompute(alg_, key_.view(), parts));
  return Bytes(mac.data(), mac.data() + icv_size_);
}

CryptoResult<Bytes> Integ::Sign(ByteView data) const {
  const ByteView parts[] = {data};
  return Sign(parts);
}

CryptoResult<void> Integ::Verify(std::span<const ByteView> parts, ByteView icv) const {
  IKE_ASSIGN_OR_RETURN(SecretBytes mac, internal::MacCompute(alg_, key_.view(), parts));
  if (icv.size() != icv_size_ || !ConstantTimeEqual(ByteView(mac.data(), icv_size_), icv)) {
    return CryptoFail(CryptoErrc::kIntegrityCheckFailed, "ICV mismatch");
  }
  return {};
}

CryptoResult<void> Integ::Verify(ByteView data, ByteView icv) const {
  const ByteView parts[] = {data};
  return Verify(parts, icv);
}

}  // namespace ike::crypto
