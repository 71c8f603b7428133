#include "libike/engine/sa/keymat.h"

#include "libike/crypto/algorithms.h"

namespace ike::engine {

Bytes SpiBytes(uint64_t spi) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(spi >> (56 - 8 * i));
  return b;
}

Bytes SpiBytes32(uint32_t spi) {
  return Bytes{static_cast<uint8_t>(spi >> 24), static_cast<uint8_t>(spi >> 16),
               static_cast<uint8_t>(spi >> 8), static_cast<uint8_t>(spi)};
}

std::optional<uint32_t> SpiFromBytes(ByteView b) {
  if (b.size() != 4) return std::nullopt;
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

namespace {
struct SuiteIds {
  EncrId encr;
  uint16_t key_bits;
  IntegId integ;
  PrfId prf;
};
Result<SuiteIds, std::string> Suite(const Proposal& p) {
  auto e = p.Get(TransformType::kEncr);
  auto f = p.Get(TransformType::kPrf);
  auto i = p.Get(TransformType::kInteg);
  if (!e || !f) return MakeUnexpected(std::string("proposal lacks ENCR or PRF"));
  return SuiteIds{static_cast<EncrId>(e->id), e->key_length,
                  i ? static_cast<IntegId>(i->id) : IntegId::kNone, static_cast<PrfId>(f->id)};
}
}  // namespace

Result<IkeKeys, std::string> DeriveIkeKeysFor(Role role, const Proposal& proposal, ByteView ni,
                                              ByteView nr, uint64_t spi_i_value,
                                              uint64_t spi_r_value, ByteView g_ir,
                                              const crypto::Prf* old_prf, ByteView old_sk_d) {
  IKE_ASSIGN_OR_RETURN(SuiteIds s, Suite(proposal));
  auto prf = crypto::Prf::Create(s.prf);
  if (!prf) return MakeUnexpected("PRF: " + prf.error().detail);
  auto lengths = crypto::IkeSaKeyLengthsFor(s.prf, s.encr, s.key_bits, s.integ);
  if (!lengths) return MakeUnexpected("key lengths: " + lengths.error().detail);
  crypto::CryptoResult<SecretBytes> skeyseed =
      old_prf ? crypto::ComputeRekeySkeyseed(*old_prf, old_sk_d, g_ir, ni, nr)
              : crypto::ComputeSkeyseed(*prf, ni, nr, g_ir);
  if (!skeyseed) return MakeUnexpected("SKEYSEED: " + skeyseed.error().detail);
  Bytes spi_i = SpiBytes(spi_i_value), spi_r = SpiBytes(spi_r_value);
  auto keys = crypto::DeriveIkeSaKeys(*prf, skeyseed->view(), ni, nr, spi_i, spi_r, *lengths);
  if (!keys) return MakeUnexpected("SK_*: " + keys.error().detail);
  bool initiator = role == Role::kInitiator;
  auto out = crypto::SkCipher::Create(s.encr, s.key_bits, s.integ,
                                      initiator ? keys->sk_ei.view() : keys->sk_er.view(),
                                      initiator ? keys->sk_ai.view() : keys->sk_ar.view());
  auto in = crypto::SkCipher::Create(s.encr, s.key_bits, s.integ,
                                     initiator ? keys->sk_er.view() : keys->sk_ei.view(),
                                     initiator ? keys->sk_ar.view() : keys->sk_ai.view());
  if (!out || !in) return MakeUnexpected(std::string("SK cipher setup failed"));
  IkeKeys k;
  k.prf.emplace(std::move(*prf));
  k.sk_d = std::move(keys->sk_d);
  k.sk_pi = std::move(keys->sk_pi);
  k.sk_pr = std::move(keys->sk_pr);
  k.out.emplace(std::move(*out));
  k.in.emplace(std::move(*in));
  return k;
}

Result<void, std::string> DeriveIkeKeys(SaContext& ctx, ByteView g_ir, const crypto::Prf* old_prf,
                                        ByteView old_sk_d) {
  if (!ctx.ike_proposal) return MakeUnexpected(std::string("no IKE proposal selected"));
  IKE_ASSIGN_OR_RETURN(IkeKeys keys,
                       DeriveIkeKeysFor(ctx.role, *ctx.ike_proposal, ctx.nonce_i, ctx.nonce_r,
                                        ctx.spi_i, ctx.spi_r, g_ir, old_prf, old_sk_d));
  ctx.keys = std::move(keys);
  return {};
}

Result<crypto::ChildSaKeys, std::string> DeriveChildKeys(const SaContext& ctx,
                                                         const Proposal& proposal,
                                                         std::optional<ByteView> g_ir,
                                                         ByteView ni, ByteView nr) {
  if (!ctx.keys.prf) return MakeUnexpected(std::string("no IKE keys"));
  crypto::ChildSaKeyLengths lengths;
  if (auto e = proposal.Get(TransformType::kEncr)) {
    auto n = crypto::EncrKeyMaterialSize(static_cast<EncrId>(e->id), e->key_length);
    if (!n) return MakeUnexpected("ESP key size: " + n.error().detail);
    lengths.encr_key = *n;
  }
  if (auto i = proposal.Get(TransformType::kInteg); i && i->id != 0) {
    auto n = crypto::IntegKeySize(static_cast<IntegId>(i->id));
    if (!n) return MakeUnexpected("ESP integrity key size: " + n.error().detail);
    lengths.integ_key = *n;
  }
  auto keys = crypto::DeriveChildSaKeys(*ctx.keys.prf, ctx.keys.sk_d.view(), g_ir, ni, nr, lengths);
  if (!keys) return MakeUnexpected("KEYMAT: " + keys.error().detail);
  return std::move(*keys);
}

Result<Bytes, std::string> SignedOctets(const SaContext& ctx, ByteView id_body, bool verify_peer) {
  if (!ctx.keys.prf) return MakeUnexpected(std::string("no IKE keys"));
  // Whose octets: the initiator's are its IKE_SA_INIT request, the
  // responder's nonce and SK_pi; the responder's mirror that.
  bool initiator_octets = (ctx.role == Role::kInitiator) != verify_peer;
  const Bytes& message = initiator_octets ? ctx.init_request : ctx.init_response;
  const Bytes& nonce = initiator_octets ? ctx.nonce_r : ctx.nonce_i;
  const SecretBytes& sk_p = initiator_octets ? ctx.keys.sk_pi : ctx.keys.sk_pr;
  auto mac_id = ctx.keys.prf->Compute(sk_p.view(), id_body);
  if (!mac_id) return MakeUnexpected("prf(SK_p, ID'): " + mac_id.error().detail);
  Bytes out = message;
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), mac_id->data(), mac_id->data() + mac_id->size());
  return out;
}

Result<Bytes, std::string> PskAuthData(const SaContext& ctx, ByteView secret, ByteView id_body,
                                       bool verify_peer) {
  IKE_ASSIGN_OR_RETURN(Bytes octets, SignedOctets(ctx, id_body, verify_peer));
  static constexpr char kPad[] = "Key Pad for IKEv2";
  auto key = ctx.keys.prf->Compute(secret, AsBytes(std::string_view(kPad, sizeof(kPad) - 1)));
  if (!key) return MakeUnexpected("prf(secret, pad): " + key.error().detail);
  auto auth = ctx.keys.prf->Compute(key->view(), octets);
  if (!auth) return MakeUnexpected("AUTH prf: " + auth.error().detail);
  return Bytes(auth->data(), auth->data() + auth->size());
}

}  // namespace ike::engine
