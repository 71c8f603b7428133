#include "libike/engine/v1/keymat_v1.h"

#include <openssl/evp.h>

namespace ike::engine::v1 {

namespace {
const EVP_MD* MdFor(Phase1Hash hash) {
  switch (hash) {
    case Phase1Hash::kSha1: return EVP_sha1();
    case Phase1Hash::kSha2_256: return EVP_sha256();
    case Phase1Hash::kSha2_384: return EVP_sha384();
    case Phase1Hash::kSha2_512: return EVP_sha512();
    default: return nullptr;
  }
}

template <typename T>
V1Result<T> Check(crypto::CryptoResult<T> r, const char* what) {
  if (!r) return MakeUnexpected(std::string(what) + ": " + r.error().detail);
  return std::move(*r);
}

V1Result<Bytes> PrfBytes(const crypto::Prf& prf, ByteView key,
                         std::initializer_list<ByteView> parts) {
  IKE_ASSIGN_OR_RETURN(SecretBytes s, Check(prf.Compute(key, parts), "prf"));
  return Bytes(s.view().begin(), s.view().end());
}
}  // namespace

Bytes U32Bytes(uint32_t v) {
  return Bytes{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
               static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

Bytes U64Bytes(uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  return b;
}

std::optional<PrfId> PrfForHash(Phase1Hash hash) {
  switch (hash) {
    case Phase1Hash::kSha1: return PrfId::kHmacSha1;
    case Phase1Hash::kSha2_256: return PrfId::kHmacSha2_256;
    case Phase1Hash::kSha2_384: return PrfId::kHmacSha2_384;
    case Phase1Hash::kSha2_512: return PrfId::kHmacSha2_512;
    default: return std::nullopt;
  }
}

V1Result<Bytes> Digest(Phase1Hash hash, std::initializer_list<ByteView> parts) {
  const EVP_MD* md = MdFor(hash);
  if (!md) return MakeUnexpected(std::string("unsupported hash"));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return MakeUnexpected(std::string("EVP_MD_CTX_new"));
  bool ok = EVP_DigestInit_ex(ctx, md, nullptr) == 1;
  for (ByteView p : parts) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return MakeUnexpected(std::string("digest failed"));
  return out;
}

V1Result<SecretBytes> SkeyidPsk(const crypto::Prf& prf, ByteView psk, ByteView ni_b,
                                ByteView nr_b) {
  return Check(prf.Compute(psk, {ni_b, nr_b}), "SKEYID");
}

V1Result<SecretBytes> SkeyidSig(const crypto::Prf& prf, ByteView ni_b, ByteView nr_b,
                                ByteView g_xy) {
  Bytes key(ni_b.begin(), ni_b.end());
  key.insert(key.end(), nr_b.begin(), nr_b.end());
  return Check(prf.Compute(key, g_xy), "SKEYID");
}

V1Result<SecretBytes> EncryptionKey(const crypto::Prf& prf, ByteView skeyid_e, size_t len) {
  if (skeyid_e.size() >= len) return SecretBytes(skeyid_e.subspan(0, len));
  SecretBytes ka;
  const uint8_t zero = 0;
  IKE_ASSIGN_OR_RETURN(SecretBytes k, Check(prf.Compute(skeyid_e, ByteView(&zero, 1)), "Ka"));
  while (true) {
    ka.Append(k.view());
    if (ka.size() >= len) break;
    IKE_ASSIGN_OR_RETURN(SecretBytes next, Check(prf.Compute(skeyid_e, k.view()), "Ka"));
    k = std::move(next);
  }
  return ka.Slice(0, len);
}

V1Result<Phase1Keys> DerivePhase1Keys(const crypto::Prf& prf, SecretBytes skeyid, ByteView g_xy,
                                      uint64_t cky_i, uint64_t cky_r, size_t enc_key_len) {
  Phase1Keys k;
  Bytes ci = U64Bytes(cky_i), cr = U64Bytes(cky_r);
  const uint8_t n0 = 0, n1 = 1, n2 = 2;
  IKE_ASSIGN_OR_RETURN(k.skeyid_d, Check(prf.Compute(skeyid.view(),
                                                     {g_xy, ci, cr, ByteView(&n0, 1)}),
                                         "SKEYID_d"));
  IKE_ASSIGN_OR_RETURN(k.skeyid_a,
                       Check(prf.Compute(skeyid.view(), {k.skeyid_d.view(), g_xy, ci, cr,
                                                         ByteView(&n1, 1)}),
                             "SKEYID_a"));
  IKE_ASSIGN_OR_RETURN(k.skeyid_e,
                       Check(prf.Compute(skeyid.view(), {k.skeyid_a.view(), g_xy, ci, cr,
                                                         ByteView(&n2, 1)}),
                             "SKEYID_e"));
  IKE_ASSIGN_OR_RETURN(k.enc_key, EncryptionKey(prf, k.skeyid_e.view(), enc_key_len));
  k.skeyid = std::move(skeyid);
  return k;
}

V1Result<Bytes> Phase1Iv(Phase1Hash hash, ByteView g_xi, ByteView g_xr, size_t block_size) {
  IKE_ASSIGN_OR_RETURN(Bytes h, Digest(hash, {g_xi, g_xr}));
  if (h.size() < block_size) return MakeUnexpected(std::string("hash shorter than block"));
  h.resize(block_size);
  return h;
}

V1Result<Bytes> Phase2Iv(Phase1Hash hash, ByteView phase1_last_block, uint32_t message_id,
                         size_t block_size) {
  Bytes mid = U32Bytes(message_id);
  IKE_ASSIGN_OR_RETURN(Bytes h, Digest(hash, {phase1_last_block, mid}));
  if (h.size() < block_size) return MakeUnexpected(std::string("hash shorter than block"));
  h.resize(block_size);
  return h;
}

V1Result<Bytes> PhaseOneHash(const crypto::Prf& prf, ByteView skeyid, bool of_initiator,
                             ByteView g_x_i, ByteView g_x_r, uint64_t cky_i, uint64_t cky_r,
                             ByteView sa_i_b, ByteView id_b) {
  Bytes ci = U64Bytes(cky_i), cr = U64Bytes(cky_r);
  if (of_initiator) return PrfBytes(prf, skeyid, {g_x_i, g_x_r, ci, cr, sa_i_b, id_b});
  return PrfBytes(prf, skeyid, {g_x_r, g_x_i, cr, ci, sa_i_b, id_b});
}

V1Result<Bytes> Hash1(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView rest) {
  Bytes m = U32Bytes(mid);
  return PrfBytes(prf, skeyid_a, {m, rest});
}

V1Result<Bytes> Hash2(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView ni_b,
                      ByteView rest) {
  Bytes m = U32Bytes(mid);
  return PrfBytes(prf, skeyid_a, {m, ni_b, rest});
}

V1Result<Bytes> Hash3(const crypto::Prf& prf, ByteView skeyid_a, uint32_t mid, ByteView ni_b,
                      ByteView nr_b) {
  Bytes m = U32Bytes(mid);
  const uint8_t zero = 0;
  return PrfBytes(prf, skeyid_a, {ByteView(&zero, 1), m, ni_b, nr_b});
}

V1Result<SecretBytes> Keymat(const crypto::Prf& prf, ByteView skeyid_d, ByteView g_qm,
                             uint8_t protocol, uint32_t spi, ByteView ni_b, ByteView nr_b,
                             size_t len) {
  Bytes s = U32Bytes(spi);
  SecretBytes out;
  SecretBytes k;
  while (out.size() < len) {
    auto r = k.empty() ? prf.Compute(skeyid_d, {g_qm, ByteView(&protocol, 1), s, ni_b, nr_b})
                       : prf.Compute(skeyid_d,
                                     {k.view(), g_qm, ByteView(&protocol, 1), s, ni_b, nr_b});
    IKE_ASSIGN_OR_RETURN(SecretBytes next, Check(std::move(r), "KEYMAT"));
    out.Append(next.view());
    k = std::move(next);
  }
  return out.Slice(0, len);
}

}  // namespace ike::engine::v1
