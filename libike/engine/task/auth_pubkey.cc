// Public-key authentication (RFC 7296 2.15, RFC 7427, RFC 4754): signing
// with the configured private key, sending the certificate chain, and
// verifying the peer's AUTH against its end-entity certificate after
// validating the chain with OpenSSL's X509_STORE against the configured CAs
// (validity, key usage) and matching the peer identity against the
// certificate's subjectAltName or DN.
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>

#include "libike/crypto/certificate.h"
#include "libike/crypto/signature_scheme.h"
#include "libike/crypto/signer.h"
#include "libike/crypto/verifier.h"
#include "libike/engine/sa/keymat.h"
#include "libike/engine/task/ike_auth.h"

namespace ike::engine {

namespace {
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
}  // namespace

struct PubkeyMaterial {
  std::optional<crypto::Signer> signer;  // our private key
  std::string signer_error;               // why `signer` is unset
  // The trust anchors (ca_certs); store_ok false when one did not parse.
  std::unique_ptr<X509_STORE, StoreFree> store;
  bool store_ok = false;
  std::vector<Bytes> ca_key_hashes;  // CERTREQ (SHA-1 of each CA's SPKI)
};

std::shared_ptr<const PubkeyMaterial> MakePubkeyMaterial(const AuthConfig& auth);

namespace {

struct StoreCtxFree {
  void operator()(X509_STORE_CTX* s) const { X509_STORE_CTX_free(s); }
};
struct StackFree {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};
using crypto::ParseCertificate;
using crypto::X509Ptr;

crypto::CryptoResult<crypto::Signer> LoadSigner(const Bytes& key) {
  if (key.size() > 10 && key[0] == '-') return crypto::Signer::FromPem(key);
  return crypto::Signer::FromDer(key);
}

// RFC 7427 scheme for our key, if the peer announced a hash it can take.
std::optional<crypto::SignatureScheme> PickScheme(const crypto::Signer& signer,
                                                  const std::vector<HashAlgorithm>& peer) {
  using S = crypto::SignatureScheme;
  std::vector<S> prefs;
  switch (signer.key_type()) {
    case crypto::KeyType::kRsa:
      prefs = {S::kRsaPkcs1Sha256, S::kRsaPkcs1Sha384, S::kRsaPkcs1Sha512};
      break;
    case crypto::KeyType::kEcP256:
      prefs = {S::kEcdsaSha256};
      break;
    case crypto::KeyType::kEcP384:
      prefs = {S::kEcdsaSha384};
      break;
    case crypto::KeyType::kEcP521:
      prefs = {S::kEcdsaSha512};
      break;
    case crypto::KeyType::kEd25519:
      prefs = {S::kEd25519};
      break;
    case crypto::KeyType::kEd448:
      prefs = {S::kEd448};
      break;
  }
  for (S s : prefs) {
    for (HashAlgorithm h : peer) {
      if (crypto::SchemeHash(s) == h && signer.Supports(s)) return s;
    }
  }
  return std::nullopt;
}

std::optional<AuthMethod> ClassicMethod(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::kRsa: return AuthMethod::kRsaSig;
    case crypto::KeyType::kEcP256: return AuthMethod::kEcdsaSha256P256;
    case crypto::KeyType::kEcP384: return AuthMethod::kEcdsaSha384P384;
    case crypto::KeyType::kEcP521: return AuthMethod::kEcdsaSha512P521;
    default: return std::nullopt;
  }
}

Result<void, std::string> MatchIdentity(X509* cert, const Identity& id) {
  if (id.IsAny()) return {};
  std::string text(id.data.begin(), id.data.end());
  int ok = 0;
  switch (id.type) {
    case IdType::kFqdn:
      ok = X509_check_host(cert, text.data(), text.size(),
                           X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS,
                           nullptr);
      break;
    case IdType::kRfc822Addr:
      ok = X509_check_email(cert, text.data(), text.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
      break;
    case IdType::kIpv4Addr:
    case IdType::kIpv6Addr:
      ok = X509_check_ip(cert, id.data.data(), id.data.size(), 0);
      break;
    case IdType::kDerAsn1Dn: {
      unsigned char* der = nullptr;
      int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);
      ok = len > 0 && static_cast<size_t>(len) == id.data.size() &&
           std::equal(id.data.begin(), id.data.end(), der);
      OPENSSL_free(der);
      break;
    }
    default:
      break;
  }
  if (ok != 1) return MakeUnexpected("identity " + id.ToString() + " not in the certificate");
  return {};
}

// The peer's end-entity certificate `ee` against the configured trust
// anchors, with `intermediates` (validity at `clock`, key usage).
Result<void, std::string> ValidateChainWith(const AuthConfig& auth, const PubkeyMaterial& material,
                                            const WallClock* clock, X509* ee,
                                            const std::vector<ByteView>& intermediates) {
  if (auth.ca_certs.empty()) return MakeUnexpected(std::string("no trusted CA configured"));
  if (!material.store_ok) return MakeUnexpected(std::string("bad CA certificate in config"));
  X509_STORE* store = material.store.get();
  std::unique_ptr<STACK_OF(X509), StackFree> chain(sk_X509_new_null());
  for (ByteView der : intermediates) {
    X509Ptr c = ParseCertificate(der);
    if (c && sk_X509_push(chain.get(), c.get())) c.release();
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> sctx(X509_STORE_CTX_new());
  if (!sctx || X509_STORE_CTX_init(sctx.get(), store, ee, chain.get()) != 1) {
    return MakeUnexpected(std::string("X509_STORE_CTX setup failed"));
  }
  if (clock) X509_STORE_CTX_set_time(sctx.get(), 0, static_cast<time_t>(clock->UnixSeconds()));
  if (X509_verify_cert(sctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(sctx.get());
    return MakeUnexpected(std::string("certificate chain invalid: ") +
                          X509_verify_cert_error_string(err));
  }
  if ((X509_get_extension_flags(ee) & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(ee) & KU_DIGITAL_SIGNATURE)) {
    return MakeUnexpected(std::string("certificate lacks digitalSignature key usage"));
  }
  return {};
}

class PubkeyAuthenticator final : public Authenticator {
 public:
  explicit PubkeyAuthenticator(const AuthConfig& auth)
      : auth_(auth), material_(auth.pubkey ? auth.pubkey : MakePubkeyMaterial(auth)) {}

  Result<wire::AuthPayload, std::string> Build(const SaContext& ctx, ByteView id_body) override {
    if (!material_->signer) return MakeUnexpected("private key: " + material_->signer_error);
    const crypto::Signer* signer = &*material_->signer;
    IKE_ASSIGN_OR_RETURN(Bytes octets, SignedOctets(ctx, id_body, false));
    if (auto scheme = PickScheme(*signer, ctx.peer_hash_algorithms)) {
      auto sig = signer->Sign(*scheme, octets);
      if (!sig) return MakeUnexpected("signing: " + sig.error().detail);
      return wire::AuthPayload{AuthMethod::kDigitalSignature,
                               crypto::EncodeDigitalSignatureAuth(*scheme, *sig)};
    }
    auto method = ClassicMethod(signer->key_type());
    if (!method) return MakeUnexpected(std::string("key needs RFC 7427, peer did not offer it"));
    auto sig = signer->SignClassic(*method, octets);
    if (!sig) return MakeUnexpected("signing: " + sig.error().detail);
    return wire::AuthPayload{*method, std::move(*sig)};
  }

  void AddPayloads(const SaContext&, std::vector<wire::Payload>& out) override {
    for (const Bytes& cert : auth_.certs) {
      out.push_back(wire::CertPayload{CertEncoding::kX509Signature, cert});
    }
  }

  Result<void, std::string> Verify(const SaContext& ctx, const wire::Message& msg,
                                   const wire::AuthPayload& auth,
                                   ByteView peer_id_body) override {
    auto certs = msg.FindAll<wire::CertPayload>();
    if (certs.empty() || certs[0]->encoding != CertEncoding::kX509Signature) {
      return MakeUnexpected(std::string("peer sent no X.509 certificate"));
    }
    X509Ptr ee = ParseCertificate(certs[0]->data);
    if (!ee) return MakeUnexpected(std::string("peer certificate does not parse"));
    IKE_TRY(ValidateChain(ctx, ee.get(), certs));
    {
      const wire::IdPayload* id = msg.FindId(ctx.role == Role::kInitiator ? Role::kResponder
                                                                          : Role::kInitiator);
      if (id) IKE_TRY(MatchIdentity(ee.get(), Identity{id->id_type, id->data}));
    }
    auto verifier = crypto::Verifier::FromPublicKey(X509_get0_pubkey(ee.get()));
    if (!verifier) return MakeUnexpected("peer public key: " + verifier.error().detail);
    IKE_ASSIGN_OR_RETURN(Bytes octets, SignedOctets(ctx, peer_id_body, true));
    if (auth.method == AuthMethod::kDigitalSignature) {
      auto parsed = crypto::ParseDigitalSignatureAuth(auth.data);
      if (!parsed) return MakeUnexpected("RFC 7427 AUTH: " + parsed.error().detail);
      auto ok = verifier->Verify(parsed->scheme, octets, parsed->signature);
      if (!ok) return MakeUnexpected("signature invalid: " + ok.error().detail);
      return {};
    }
    if (!crypto::ClassicAuthScheme(auth.method)) {
      return MakeUnexpected("unsupported AUTH method " +
                            std::to_string(static_cast<unsigned>(auth.method)));
    }
    auto ok = verifier->VerifyClassic(auth.method, octets, auth.data);
    if (!ok) return MakeUnexpected("signature invalid: " + ok.error().detail);
    return {};
  }

 private:
  Result<void, std::string> ValidateChain(const SaContext& ctx, X509* ee,
                                          const std::vector<const wire::CertPayload*>& certs) {
    std::vector<ByteView> intermediates;
    for (size_t i = 1; i < certs.size() && i < 8; ++i) {
      if (certs[i]->encoding == CertEncoding::kX509Signature) intermediates.push_back(certs[i]->data);
    }
    return ValidateChainWith(auth_, *material_, ctx.env.wall_clock, ee, intermediates);
  }

  const AuthConfig& auth_;
  std::shared_ptr<const PubkeyMaterial> material_;
};

}  // namespace

std::unique_ptr<Authenticator> MakePubkeyAuthenticator(const AuthConfig& auth) {
  return std::make_unique<PubkeyAuthenticator>(auth);
}

// SHA-1 of a CA certificate's SubjectPublicKeyInfo (CERTREQ, RFC 7296 3.7).
Bytes CaKeyHash(X509* ca) {
  unsigned char* spki = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &spki);
  Bytes out(20);
  unsigned int n = 0;
  bool ok = len > 0 && EVP_Digest(spki, static_cast<size_t>(len), out.data(), &n, EVP_sha1(),
                                  nullptr) == 1;
  OPENSSL_free(spki);
  if (!ok) out.clear();
  return out;
}

Bytes CaKeyHash(ByteView ca_der) {
  X509Ptr ca = ParseCertificate(ca_der);
  return ca ? CaKeyHash(ca.get()) : Bytes{};
}

std::shared_ptr<const PubkeyMaterial> MakePubkeyMaterial(const AuthConfig& auth) {
  auto m = std::make_shared<PubkeyMaterial>();
  if (!auth.private_key_der.empty()) {
    auto signer = LoadSigner(auth.private_key_der);
    if (signer) {
      m->signer.emplace(std::move(*signer));
    } else {
      m->signer_error = signer.error().detail;
    }
  } else {
    m->signer_error = "none configured";
  }
  if (!auth.ca_certs.empty()) {
    m->store.reset(X509_STORE_new());
    m->store_ok = m->store != nullptr;
    for (const Bytes& der : auth.ca_certs) {
      X509Ptr ca = ParseCertificate(der);
      if (!ca || !m->store || X509_STORE_add_cert(m->store.get(), ca.get()) != 1) {
        m->store_ok = false;
        continue;
      }
      Bytes h = CaKeyHash(ca.get());
      if (!h.empty()) m->ca_key_hashes.push_back(std::move(h));
    }
  }
  return m;
}

void PreparePubkeyMaterial(AuthConfig& auth) {
  if (auth.kind != AuthKind::kPubkey) return;
  auth.pubkey = MakePubkeyMaterial(auth);
}

const std::vector<Bytes>* CachedCaKeyHashes(const AuthConfig& auth) {
  return auth.pubkey ? &auth.pubkey->ca_key_hashes : nullptr;
}

namespace {
std::shared_ptr<const PubkeyMaterial> MaterialOf(const AuthConfig& auth) {
  return auth.pubkey ? auth.pubkey : MakePubkeyMaterial(auth);
}
}  // namespace

std::optional<uint16_t> Ikev1SignatureMethod(const AuthConfig& local) {
  auto m = MaterialOf(local);
  if (!m->signer) return std::nullopt;
  switch (m->signer->key_type()) {
    case crypto::KeyType::kRsa: return 3;
    case crypto::KeyType::kEcP256: return 9;
    case crypto::KeyType::kEcP384: return 10;
    case crypto::KeyType::kEcP521: return 11;
    default: return std::nullopt;
  }
}

Result<Bytes, std::string> Ikev1Sign(const AuthConfig& local, ByteView hash) {
  auto m = MaterialOf(local);
  if (!m->signer) return MakeUnexpected("private key: " + m->signer_error);
  auto sig = m->signer->SignRawHash(hash);
  if (!sig) return MakeUnexpected("signing: " + sig.error().detail);
  return std::move(*sig);
}

Result<void, std::string> Ikev1VerifyPeer(const AuthConfig& remote, const WallClock* clock,
                                          const std::vector<Bytes>& certs,
                                          const Identity& peer_id, ByteView hash,
                                          ByteView signature) {
  if (certs.empty()) return MakeUnexpected(std::string("peer sent no X.509 certificate"));
  X509Ptr ee = ParseCertificate(certs[0]);
  if (!ee) return MakeUnexpected(std::string("peer certificate does not parse"));
  auto m = MaterialOf(remote);
  std::vector<ByteView> intermediates;
  for (size_t i = 1; i < certs.size() && i < 8; ++i) intermediates.push_back(certs[i]);
  IKE_TRY(ValidateChainWith(remote, *m, clock, ee.get(), intermediates));
  IKE_TRY(MatchIdentity(ee.get(), peer_id));
  auto verifier = crypto::Verifier::FromPublicKey(X509_get0_pubkey(ee.get()));
  if (!verifier) return MakeUnexpected("peer public key: " + verifier.error().detail);
  auto ok = verifier->VerifyRawHash(hash, signature);
  if (!ok) return MakeUnexpected("signature invalid: " + ok.error().detail);
  return {};
}

}  // namespace ike::engine
