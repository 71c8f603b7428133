#include "libike/crypto/key_derivation.h"

#include "libike/crypto/algorithms.h"

namespace ike::crypto {

CryptoResult<IkeSaKeyLengths> IkeSaKeyLengthsFor(PrfId prf, EncrId encr, uint16_t encr_key_bits,
                                                 IntegId integ) {
  IkeSaKeyLengths out;
  IKE_ASSIGN_OR_RETURN(out.sk_d, PrfKeySize(prf));
  out.sk_p = out.sk_d;
  IKE_ASSIGN_OR_RETURN(out.sk_e, EncrKeyMaterialSize(encr, encr_key_bits));
  if (IsAead(encr)) {
    if (integ != IntegId::kNone) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "AEAD cipher with an integrity algorithm");
    }
    out.sk_a = 0;
  } else {
    if (integ == IntegId::kNone) {
      return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "non-AEAD cipher needs an integrity algorithm");
    }
    IKE_ASSIGN_OR_RETURN(out.sk_a, IntegKeySize(integ));
  }
  return out;
}

CryptoResult<SecretBytes> ComputeSkeyseed(const Prf& prf, ByteView ni, ByteView nr, ByteView g_ir) {
  SecretBytes key;
  if (prf.has_fixed_key_size()) {
    const size_t half = prf.key_size() / 2;
    if (ni.size() < half || nr.size() < half) {
      return CryptoFail(CryptoErrc::kInvalidInput, "nonce shorter than half the PRF key");
    }
    key.Append(ni.subspan(0, half));
    key.Append(nr.subspan(0, half));
  } else {
    key.Append(ni);
    key.Append(nr);
  }
  return prf.Compute(key.view(), g_ir);
}

CryptoResult<SecretBytes> ComputeRekeySkeyseed(const Prf& old_prf, ByteView old_sk_d,
                                               ByteView g_ir_new, ByteView ni, ByteView nr) {
  return old_prf.Compute(old_sk_d, {g_ir_new, ni, nr});
}

CryptoResult<IkeSaKeys> DeriveIkeSaKeys(const Prf& prf, ByteView skeyseed, ByteView ni, ByteView nr,
                                        ByteView spi_i, ByteView spi_r,
                                        const IkeSaKeyLengths& lengths) {
  if (spi_i.size() != 8 || spi_r.size() != 8) {
    return CryptoFail(CryptoErrc::kInvalidInput, "IKE SPIs must be 8 bytes");
  }
  Bytes seed;
  seed.reserve(ni.size() + nr.size() + 16);
  seed.insert(seed.end(), ni.begin(), ni.end());
  seed.insert(seed.end(), nr.begin(), nr.end());
  seed.insert(seed.end(), spi_i.begin(), spi_i.end());
  seed.insert(seed.end(), spi_r.begin(), spi_r.end());
  const size_t total = lengths.sk_d + 2 * lengths.sk_a + 2 * lengths.sk_e + 2 * lengths.sk_p;
  IKE_ASSIGN_OR_RETURN(SecretBytes stream, prf.PrfPlus(skeyseed, seed, total));
  IkeSaKeys keys;
  size_t off = 0;
  auto take = [&](size_t n) {
    SecretBytes s = stream.Slice(off, n);
    off += n;
    return s;
  };
  keys.sk_d = take(lengths.sk_d);
  keys.sk_ai = take(lengths.sk_a);
  keys.sk_ar = take(lengths.sk_a);
  keys.sk_ei = take(lengths.sk_e);
  keys.sk_er = take(lengths.sk_e);
  keys.sk_pi = take(lengths.sk_p);
  keys.sk_pr = take(lengths.sk_p);
  return keys;
}

CryptoResult<ChildSaKeys> DeriveChildSaKeys(const Prf& prf, ByteView sk_d,
                                            std::optional<ByteView> g_ir_new, ByteView ni,
                                            ByteView nr, const ChildSaKeyLengths& lengths) {
  SecretBytes seed;  // may hold g^ir
  if (g_ir_new.has_value()) seed.Append(*g_ir_new);
  seed.Append(ni);
  seed.Append(nr);
  const size_t total = 2 * (lengths.encr_key + lengths.integ_key);
  IKE_ASSIGN_OR_RETURN(SecretBytes stream, prf.PrfPlus(sk_d, seed.view(), total));
  ChildSaKeys keys;
  size_t off = 0;
  auto take = [&](size_t n) {
    SecretBytes s = stream.Slice(off, n);
    off += n;
    return s;
  };
  keys.encr_i = take(lengths.encr_key);
  keys.integ_i = take(lengths.integ_key);
  keys.encr_r = take(lengths.encr_key);
  keys.integ_r = take(lengths.integ_key);
  return keys;
}

}  // namespace ike::crypto
