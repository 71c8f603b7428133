#include "libike/crypto/key_exchange.h"

#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

namespace ike::crypto {

using internal::BignumPtr;
using internal::BnCtxPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::OpenSslFail;
using internal::ParamBldPtr;
using internal::ParamPtr;
using internal::SecureBignumPtr;

namespace {

enum class Kind { kModp, kEcp, kEdwardsX };

struct GroupInfo {
  Kind kind;
  size_t public_size;
  size_t shared_size;
  size_t private_size;  // MODP: exponent bytes we generate; ECP: order bytes
  BIGNUM* (*prime)(BIGNUM*);
  int nid;                // ECP curve / X25519 / X448 pkey id
  const char* name;       // OpenSSL group name (ECP)
};

bool LookupGroup(KeGroup group, GroupInfo& info) {
  switch (group) {
    // MODP private exponents: at least twice the group's security strength.
    case KeGroup::kModp768: info = {Kind::kModp, 96, 96, 32, BN_get_rfc2409_prime_768, 0, nullptr}; return true;
    case KeGroup::kModp1024: info = {Kind::kModp, 128, 128, 32, BN_get_rfc2409_prime_1024, 0, nullptr}; return true;
    case KeGroup::kModp1536: info = {Kind::kModp, 192, 192, 32, BN_get_rfc3526_prime_1536, 0, nullptr}; return true;
    case KeGroup::kModp2048: info = {Kind::kModp, 256, 256, 32, BN_get_rfc3526_prime_2048, 0, nullptr}; return true;
    case KeGroup::kModp3072: info = {Kind::kModp, 384, 384, 40, BN_get_rfc3526_prime_3072, 0, nullptr}; return true;
    case KeGroup::kModp4096: info = {Kind::kModp, 512, 512, 48, BN_get_rfc3526_prime_4096, 0, nullptr}; return true;
    case KeGroup::kModp6144: info = {Kind::kModp, 768, 768, 56, BN_get_rfc3526_prime_6144, 0, nullptr}; return true;
    case KeGroup::kModp8192: info = {Kind::kModp, 1024, 1024, 64, BN_get_rfc3526_prime_8192, 0, nullptr}; return true;
    case KeGroup::kEcp256: info = {Kind::kEcp, 64, 32, 32, nullptr, NID_X9_62_prime256v1, "P-256"}; return true;
    case KeGroup::kEcp384: info = {Kind::kEcp, 96, 48, 48, nullptr, NID_secp384r1, "P-384"}; return true;
    case KeGroup::kEcp521: info = {Kind::kEcp, 132, 66, 66, nullptr, NID_secp521r1, "P-521"}; return true;
    case KeGroup::kCurve25519: info = {Kind::kEdwardsX, 32, 32, 32, nullptr, EVP_PKEY_X25519, nullptr}; return true;
    case KeGroup::kCurve448: info = {Kind::kEdwardsX, 56, 56, 56, nullptr, EVP_PKEY_X448, nullptr}; return true;
    default: return false;
  }
}

Unexpected<CryptoError> UnsupportedGroup(KeGroup group) {
  return CryptoFail(CryptoErrc::kUnsupportedAlgorithm,
                    "key exchange group " + std::to_string(static_cast<int>(group)) + " not supported");
}

Unexpected<CryptoError> BadPeer(const char* why) {
  ERR_clear_error();
  return CryptoFail(CryptoErrc::kInvalidPublicValue, why);
}

Bytes BnToBytes(const BIGNUM* bn, size_t size) {
  Bytes out(size);
  BN_bn2binpad(bn, out.data(), static_cast<int>(size));
  return out;
}

// --- MODP -----------------------------------------------------------------

CryptoResult<EvpPkeyPtr> ModpKey(const BIGNUM* p, const BIGNUM* pub, const BIGNUM* priv) {
  BignumPtr g(BN_new());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!g || !bld || BN_set_word(g.get(), 2) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return OpenSslFail("DH params");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslFail("DH fromdata");
  }
  return EvpPkeyPtr(key);
}

CryptoResult<void> ModpFromPrivate(const GroupInfo& info, ByteView private_key,
                                          EvpPkeyPtr* out_key, Bytes* out_pub) {
  BignumPtr p(info.prime(nullptr));
  SecureBignumPtr x(BN_secure_new());
  BignumPtr y(BN_new());
  BnCtxPtr bn_ctx(BN_CTX_secure_new());
  if (!p || !x || !y || !bn_ctx) return OpenSslFail("BN alloc");
  if (BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), x.get()) == nullptr) {
    return OpenSslFail("BN_bin2bn");
  }
  if (BN_is_zero(x.get()) || BN_is_one(x.get()) || BN_cmp(x.get(), p.get()) >= 0) {
    return CryptoFail(CryptoErrc::kInvalidKey, "MODP private exponent out of range");
  }
  BignumPtr g(BN_new());
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  if (!g || BN_set_word(g.get(), 2) != 1 ||
      BN_mod_exp_mont_consttime(y.get(), g.get(), x.get(), p.get(), bn_ctx.get(), nullptr) != 1) {
    return OpenSslFail("g^x mod p");
  }
  IKE_ASSIGN_OR_RETURN(*out_key, ModpKey(p.get(), y.get(), x.get()));
  *out_pub = BnToBytes(y.get(), info.public_size);
  return {};
}

// --- ECP ------------------------------------------------------------------

CryptoResult<EvpPkeyPtr> EcKey(const GroupInfo& info, ByteView uncompressed_pub, const BIGNUM* priv) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, info.name, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, uncompressed_pub.data(),
                                       uncompressed_pub.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return OpenSslFail("EC params");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    // fromdata decodes the point, which fails when it is not on the curve.
    return CryptoFail(CryptoErrc::kInvalidPublicValue, "EC point rejected");
  }
  return EvpPkeyPtr(key);
}

using EcGroupPtr = std::unique_ptr<EC_GROUP, internal::Deleter<EC_GROUP_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, internal::Deleter<EC_POINT_free>>;

CryptoResult<void> EcFromPrivate(const GroupInfo& info, ByteView private_key, EvpPkeyPtr* out_key,
                                 Bytes* out_pub) {
  EcGroupPtr group(EC_GROUP_new_by_curve_name(info.nid));
  BnCtxPtr bn_ctx(BN_CTX_secure_new());
  SecureBignumPtr d(BN_secure_new());
  if (!group || !bn_ctx || !d) return OpenSslFail("EC alloc");
  if (private_key.size() > info.private_size ||
      BN_bin2bn(private_key.data(), static_cast<int>(private_key.size()), d.get()) == nullptr) {
    return CryptoFail(CryptoErrc::kInvalidKey, "EC private key too long");
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return CryptoFail(CryptoErrc::kInvalidKey, "EC private key out of range");
  }
  EcPointPtr q(EC_POINT_new(group.get()));
  if (!q || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bn_ctx.get()) != 1) {
    return OpenSslFail("EC_POINT_mul");
  }
  Bytes pub(1 + info.public_size);
  if (EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(),
                         bn_ctx.get()) != pub.size()) {
    return OpenSslFail("EC_POINT_point2oct");
  }
  IKE_ASSIGN_OR_RETURN(*out_key, EcKey(info, pub, d.get()));
  out_pub->assign(pub.begin() + 1, pub.end());
  return {};
}

CryptoResult<SecretBytes> Derive(EVP_PKEY* ours, EVP_PKEY* peer, bool pad, int validate_peer,
                                 size_t expected) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ours, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return OpenSslFail("derive init");
  if (pad && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) != 1) return OpenSslFail("dh pad");
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, validate_peer) != 1) {
    return BadPeer("peer public value rejected");
  }
  size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1 || len < expected) return OpenSslFail("derive size");
  SecretBytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) {
    // X25519/X448 fail here on an all-zero result (small-order point).
    return BadPeer("key derivation failed for peer value");
  }
  if (len != expected) return OpenSslFail("derive length");
  out.Resize(len);
  return out;
}

}  // namespace

bool KeyExchange::IsSupported(KeGroup group) {
  GroupInfo info;
  return LookupGroup(group, info);
}

CryptoResult<size_t> KeyExchange::PublicValueSize(KeGroup group) {
  GroupInfo info;
  if (!LookupGroup(group, info)) return UnsupportedGroup(group);
  return info.public_size;
}

CryptoResult<size_t> KeyExchange::SharedSecretSize(KeGroup group) {
  GroupInfo info;
  if (!LookupGroup(group, info)) return UnsupportedGroup(group);
  return info.shared_size;
}

CryptoResult<Bytes> KeyExchange::ModpPrime(KeGroup group) {
  GroupInfo info;
  if (!LookupGroup(group, info) || info.kind != Kind::kModp) return UnsupportedGroup(group);
  BignumPtr p(info.prime(nullptr));
  if (!p) return OpenSslFail("BN prime");
  return BnToBytes(p.get(), info.public_size);
}

CryptoResult<KeyExchange> KeyExchange::Create(KeGroup group, Rng& rng) {
  GroupInfo info;
  if (!LookupGroup(group, info)) return UnsupportedGroup(group);
  if (info.kind != Kind::kEcp) {
    SecretBytes priv = rng.GenerateSecret(info.private_size);
    if (info.kind == Kind::kModp) priv[0] |= 0x80;  // full-length exponent, never 0 or 1
    return CreateFromPrivate(group, priv.view());
  }
  // ECP: rejection-sample a scalar in [1, n-1] from the Rng.
  EcGroupPtr ec_group(EC_GROUP_new_by_curve_name(info.nid));
  if (!ec_group) return OpenSslFail("EC group");
  const int order_bits = BN_num_bits(EC_GROUP_get0_order(ec_group.get()));
  const int top_bits = order_bits % 8;
  for (int attempt = 0; attempt < 128; ++attempt) {
    SecretBytes priv = rng.GenerateSecret(info.private_size);
    if (top_bits != 0) priv[0] &= static_cast<uint8_t>((1u << top_bits) - 1);
    auto kex = CreateFromPrivate(group, priv.view());
    if (kex.has_value() || kex.error().code != CryptoErrc::kInvalidKey) return kex;
  }
  return CryptoFail(CryptoErrc::kInternal, "Rng produced no valid EC scalar");
}

CryptoResult<KeyExchange> KeyExchange::CreateFromPrivate(KeGroup group, ByteView private_key) {
  GroupInfo info;
  if (!LookupGroup(group, info)) return UnsupportedGroup(group);
  EvpPkeyPtr key;
  Bytes pub;
  switch (info.kind) {
    case Kind::kModp:
      IKE_TRY(ModpFromPrivate(info, private_key, &key, &pub));
      break;
    case Kind::kEcp:
      IKE_TRY(EcFromPrivate(info, private_key, &key, &pub));
      break;
    case Kind::kEdwardsX: {
      if (private_key.size() != info.private_size) {
        return CryptoFail(CryptoErrc::kInvalidKey, "wrong X25519/X448 private key length");
      }
      key.reset(EVP_PKEY_new_raw_private_key(info.nid, nullptr, private_key.data(), private_key.size()));
      if (!key) return OpenSslFail("raw private key");
      pub.resize(info.public_size);
      size_t len = pub.size();
      if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size()) {
        return OpenSslFail("raw public key");
      }
      break;
    }
  }
  return KeyExchange(group, std::move(key), std::move(pub));
}

CryptoResult<SecretBytes> KeyExchange::ComputeShared(ByteView peer_public) const {
  GroupInfo info;
  if (!LookupGroup(group_, info)) return UnsupportedGroup(group_);
  if (peer_public.size() != info.public_size) return BadPeer("peer public value has the wrong length");
  switch (info.kind) {
    case Kind::kModp: {
      BignumPtr p(info.prime(nullptr));
      BignumPtr y(BN_bin2bn(peer_public.data(), static_cast<int>(peer_public.size()), nullptr));
      BignumPtr p_minus_1(BN_dup(p.get()));
      if (!p || !y || !p_minus_1 || BN_sub_word(p_minus_1.get(), 1) != 1) return OpenSslFail("BN");
      // RFC 7296 / SP 800-56A: 1 < y < p-1.
      if (BN_is_zero(y.get()) || BN_is_one(y.get()) || BN_cmp(y.get(), p_minus_1.get()) >= 0) {
        return BadPeer("MODP public value out of range");
      }
      IKE_ASSIGN_OR_RETURN(EvpPkeyPtr peer, ModpKey(p.get(), y.get(), nullptr));
      return Derive(key_.get(), peer.get(), /*pad=*/true, /*validate_peer=*/0, info.shared_size);
    }
    case Kind::kEcp: {
      Bytes point;
      point.reserve(1 + peer_public.size());
      point.push_back(0x04);
      point.insert(point.end(), peer_public.begin(), peer_public.end());
      // SP 800-56A 5.6.2.3.4 (partial validation, enough for ephemeral
      // ECDH on these cofactor-1 curves): not the point at infinity (the
      // uncompressed form cannot encode it), coordinates in range and the
      // point on the curve (fromdata decodes it; public_check_quick checks
      // it again explicitly). OpenSSL's full check (validate_peer=1) also
      // multiplies by the order, which costs more than the exchange itself.
      auto peer = EcKey(info, point, nullptr);
      if (!peer) return BadPeer("EC point not on the curve");
      EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, peer->get(), nullptr));
      if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
        return BadPeer("EC point not on the curve");
      }
      return Derive(key_.get(), peer->get(), false, /*validate_peer=*/0, info.shared_size);
    }
    case Kind::kEdwardsX: {
      EvpPkeyPtr peer(EVP_PKEY_new_raw_public_key(info.nid, nullptr, peer_public.data(), peer_public.size()));
      if (!peer) return BadPeer("bad X25519/X448 public value");
      IKE_ASSIGN_OR_RETURN(SecretBytes shared, Derive(key_.get(), peer.get(), false, 0, info.shared_size));
      uint8_t acc = 0;
      for (size_t i = 0; i < shared.size(); ++i) acc |= shared[i];
      if (acc == 0) return BadPeer("X25519/X448 shared secret is all zero");
      return shared;
    }
  }
  return UnsupportedGroup(group_);
}

}  // namespace ike::crypto
