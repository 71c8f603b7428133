#include "libike/engine/task/ike_auth.h"

#include "libike/engine/sa/keymat.h"
#include "libike/engine/sa/wire_convert.h"

namespace ike::engine {

namespace {

class PskAuthenticator final : public Authenticator {
 public:
  Result<wire::AuthPayload, std::string> Build(const SaContext& ctx, ByteView id_body) override {
    const SecretBytes& psk = ctx.config->local_auth.psk;
    if (psk.empty()) return MakeUnexpected(std::string("no PSK configured"));
    IKE_ASSIGN_OR_RETURN(Bytes data, PskAuthData(ctx, psk.view(), id_body, false));
    return wire::AuthPayload{AuthMethod::kPsk, std::move(data)};
  }
  Result<void, std::string> Verify(const SaContext& ctx, const wire::Message& msg,
                                   const wire::AuthPayload& auth,
                                   ByteView peer_id_body) override {
    if (auth.method != AuthMethod::kPsk) {
      return MakeUnexpected("peer used auth method " +
                            std::to_string(static_cast<unsigned>(auth.method)) + ", expected PSK");
    }
    const SecretBytes& psk = ctx.config->remote_auth.psk.empty() ? ctx.config->local_auth.psk
                                                                : ctx.config->remote_auth.psk;
    if (psk.empty()) return MakeUnexpected(std::string("no PSK configured"));
    IKE_ASSIGN_OR_RETURN(Bytes expect, PskAuthData(ctx, psk.view(), peer_id_body, true));
    if (!ConstantTimeEqual(expect, auth.data)) {
      return MakeUnexpected(std::string("PSK AUTH mismatch"));
    }
    return {};
  }
};

std::unique_ptr<Authenticator> LocalAuthenticator(const SaContext& ctx);
std::unique_ptr<Authenticator> RemoteAuthenticator(const SaContext& ctx);

}  // namespace

std::unique_ptr<Authenticator> MakePskAuthenticator() {
  return std::make_unique<PskAuthenticator>();
}

std::unique_ptr<Authenticator> MakeAuthenticatorFor(const AuthConfig& auth);
Bytes CaKeyHash(ByteView ca_der);
const std::vector<Bytes>* CachedCaKeyHashes(const AuthConfig& auth);

std::optional<wire::CertReqPayload> OwnCertReq(const SaContext& ctx) {
  if (!ctx.config->send_certreq || ctx.config->remote_auth.kind != AuthKind::kPubkey) return std::nullopt;
  if (const std::vector<Bytes>* cached = CachedCaKeyHashes(ctx.config->remote_auth)) {
    if (cached->empty()) return std::nullopt;
    return wire::CertReqPayload::FromCaKeyHashes(*cached);
  }
  std::vector<Bytes> hashes;
  for (const Bytes& ca : ctx.config->remote_auth.ca_certs) {
    Bytes h = CaKeyHash(ca);
    if (!h.empty()) hashes.push_back(std::move(h));
  }
  if (hashes.empty()) return std::nullopt;
  return wire::CertReqPayload::FromCaKeyHashes(hashes);
}

namespace {
std::unique_ptr<Authenticator> LocalAuthenticator(const SaContext& ctx) {
  return MakeAuthenticatorFor(ctx.config->local_auth);
}
std::unique_ptr<Authenticator> RemoteAuthenticator(const SaContext& ctx) {
  return MakeAuthenticatorFor(ctx.config->remote_auth);
}
}  // namespace

Result<wire::AuthPayload, std::string> IkeAuth::OwnAuth(SaContext& ctx,
                                                        const wire::IdPayload& id) {
  Bytes body = wire::EncodeIdBody(id);
  return LocalAuthenticator(ctx)->Build(ctx, body);
}

Result<void, std::string> IkeAuth::VerifyPeer(SaContext& ctx, const wire::Message& msg) {
  Role peer = role_ == Role::kInitiator ? Role::kResponder : Role::kInitiator;
  const wire::IdPayload* id = msg.FindId(peer);
  const auto* auth = msg.Find<wire::AuthPayload>();
  if (!id || !auth) return MakeUnexpected(std::string("IDx or AUTH missing"));
  Identity peer_id = FromWireId(*id);
  if (!ctx.config->remote_auth.id.Matches(peer_id)) {
    return MakeUnexpected("peer identity " + peer_id.ToString() + " does not match " +
                          ctx.config->remote_auth.id.ToString());
  }
  IKE_TRY(RemoteAuthenticator(ctx)->Verify(ctx, msg, *auth, wire::EncodeIdBody(*id)));
  ctx.peer_id = peer_id;
  return {};
}

void IkeAuth::SelectConfigByIdentity(SaContext& ctx, const wire::Message& msg) {
  if (!ctx.config_candidates) return;
  const wire::IdPayload* idi = msg.FindId(Role::kInitiator);
  if (!idi) return;
  Identity peer_id = FromWireId(*idi);
  std::optional<Identity> wanted;
  if (const wire::IdPayload* idr = msg.FindId(Role::kResponder)) wanted = FromWireId(*idr);
  std::shared_ptr<const PeerConfig> best;
  int best_score = -1;
  // No AUTH in the request: the peer asks for EAP.
  const bool wants_eap = msg.Find<wire::AuthPayload>() == nullptr;
  for (const std::shared_ptr<const PeerConfig>& candidate : *ctx.config_candidates) {
    const PeerConfig& c = *candidate;
    int score = AddressMatch(c, ctx.local, ctx.remote);
    if (score < 0 || !c.remote_auth.id.Matches(peer_id)) continue;
    if (wants_eap != (c.remote_auth.kind == AuthKind::kEap)) continue;
    if (wanted && !c.local_auth.id.IsAny() && !(c.local_auth.id == *wanted)) continue;
    if (ctx.ike_proposal) {
      ProposalList configured = c.ike_proposals;
      Finalize(configured, ProtocolId::kIke, {});
      Proposal negotiated = *ctx.ike_proposal;
      if (!SelectProposal({negotiated}, configured)) continue;
    }
    // An exact peer identity weighs more than named addresses; so does
    // being the identity the initiator asked for.
    score += (c.remote_auth.id.IsAny() ? 0 : 4) + (wanted && !c.local_auth.id.IsAny() ? 2 : 0);
    if (score > best_score || (score == best_score && c.name == ctx.config->name)) {
      best = candidate;
      best_score = score;
    }
  }
  // Nothing fits: keep the configuration; VerifyPeer reports why.
  if (best && best->name != ctx.config->name) ctx.config = std::move(best);
}

void IkeAuth::Established(SaContext& ctx) {
  ctx.state = IkeState::kEstablished;
  ctx.established_at = ctx.now;
  ctx.EmitEvent(EventKind::kIkeUp);
}

TaskOutcome IkeAuth::Build(wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator && ctx.config->local_auth.kind == AuthKind::kEap) {
    return BuildEapInitiator(msg, ctx);
  }
  if (role_ == Role::kResponder && ctx.eap) return BuildEapResponder(msg, ctx);
  Identity local_id = ctx.config->local_auth.id;
  if (local_id.IsAny()) local_id = Identity::FromAddress(ctx.local.address);
  wire::IdPayload id = ToWireId(role_, local_id);
  auto auth = OwnAuth(ctx, id);
  if (!auth) {
    return Fail("cannot build AUTH: " + auth.error(), wire::NotifyType::kAuthenticationFailed);
  }
  msg.payloads.push_back(id);
  std::vector<wire::Payload> extra;
  LocalAuthenticator(ctx)->AddPayloads(ctx, extra);
  for (auto& p : extra) msg.payloads.push_back(std::move(p));
  if (role_ == Role::kInitiator) {
    if (ctx.SendInitialContact()) {
      msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kInitialContact));
    }
    if (auto certreq = OwnCertReq(ctx)) msg.payloads.push_back(std::move(*certreq));
    if (!ctx.config->remote_auth.id.IsAny()) {
      msg.payloads.push_back(ToWireId(Role::kResponder, ctx.config->remote_auth.id));
    }
  }
  msg.payloads.push_back(*auth);
  if (role_ == Role::kResponder) Established(ctx);
  return TaskResult::kDone;
}

TaskOutcome IkeAuth::Process(const wire::Message& msg, SaContext& ctx) {
  if (role_ == Role::kInitiator && ctx.eap) return ProcessEapInitiator(msg, ctx);
  if (role_ == Role::kResponder && (ctx.eap || !msg.Find<wire::AuthPayload>())) {
    return ProcessEapResponder(msg, ctx);
  }
  if (role_ == Role::kInitiator) {
    if (const auto* err = msg.FindNotify(wire::NotifyType::kAuthenticationFailed)) {
      (void)err;
      return Fail("peer answered AUTHENTICATION_FAILED");
    }
    if (const auto* err = FirstErrorNotify(msg); err && !msg.Find<wire::AuthPayload>()) {
      return Fail("peer answered " + std::string(wire::NotifyTypeName(err->type)));
    }
    auto ok = VerifyPeer(ctx, msg);
    if (!ok) return Fail("peer authentication failed: " + ok.error());
    Established(ctx);
    return TaskResult::kDone;
  }
  SelectConfigByIdentity(ctx, msg);
  auto ok = VerifyPeer(ctx, msg);
  if (!ok) {
    return Fail("peer authentication failed: " + ok.error(),
                wire::NotifyType::kAuthenticationFailed);
  }
  ctx.initial_contact = msg.FindNotify(wire::NotifyType::kInitialContact) != nullptr;
  return TaskResult::kDone;
}

}  // namespace ike::engine
