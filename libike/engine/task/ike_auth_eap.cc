// IkeAuth: the EAP rounds of IKE_AUTH (RFC 7296 2.16). See ike_auth.h.
#include "libike/engine/sa/keymat.h"
#include "libike/engine/sa/wire_convert.h"
#include "libike/engine/task/ike_auth.h"

namespace ike::engine {

std::unique_ptr<Authenticator> MakeAuthenticatorFor(const AuthConfig& auth);

namespace {

eap::Packet ToPacket(const wire::EapPayload& p) {
  eap::Packet out;
  out.code = static_cast<eap::Code>(p.code);
  out.id = p.identifier;
  out.type = static_cast<eap::Type>(p.type);
  out.data = p.type_data;
  return out;
}

wire::EapPayload FromPacket(const eap::Packet& p) {
  wire::EapPayload out;
  out.code = static_cast<wire::EapCode>(p.code);
  out.identifier = p.id;
  bool typed = p.code == eap::Code::kRequest || p.code == eap::Code::kResponse;
  out.type = typed ? static_cast<uint8_t>(p.type) : 0;
  if (typed) out.type_data = p.data;
  return out;
}

std::string Printable(const Bytes& b) {
  std::string s;
  for (uint8_t c : b) s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return s;
}

// The key of the AUTH payloads after EAP: the MSK, or SK_pi / SK_pr for a
// method that makes none (RFC 7296 2.16).
ByteView AuthKey(const SaContext& ctx, bool initiators) {
  if (!ctx.eap->msk.empty()) return ctx.eap->msk.view();
  return initiators ? ctx.keys.sk_pi.view() : ctx.keys.sk_pr.view();
}

eap::RandomFn RandomFrom(const SaContext& ctx) {
  crypto::Rng* rng = &ctx.env.rng;
  return [rng](size_t n) { return rng->Generate(n); };
}

// The identity the rest of the SA knows the peer by after EAP: its EAP
// identity (what leases and `unique` key on), as RFC822 when it has an @,
// else as a name.
Identity EapPeerIdentity(const Bytes& eap_identity, const Identity& ike_identity) {
  if (eap_identity.empty()) return ike_identity;
  std::string text(eap_identity.begin(), eap_identity.end());
  bool at = text.find('@') != std::string::npos;
  return Identity{at ? IdType::kRfc822Addr : IdType::kFqdn, eap_identity};
}

}  // namespace

// ------------------------------------------------------------ initiator

TaskOutcome IkeAuth::BuildEapInitiator(wire::Message& msg, SaContext& ctx) {
  if (!eap_round_one_) {
    eap_round_one_ = true;
    const AuthConfig& a = ctx.config->local_auth;
    if (a.eap_method != EapMethod::kMschapv2 && a.eap_method != EapMethod::kTls) {
      return Fail(std::string("EAP method ") + EapMethodName(a.eap_method) +
                  " is not supported as a client");
    }
    Identity local_id = a.id;
    if (local_id.IsAny()) local_id = Identity::FromAddress(ctx.local.address);
    wire::IdPayload id = ToWireId(role_, local_id);
    ctx.eap = std::make_unique<EapSession>();
    ctx.eap->own_id_body = wire::EncodeIdBody(id);
    ctx.eap->identity = a.eap_id && !a.eap_id->IsAny() ? a.eap_id->data : local_id.data;
    if (a.eap_method == EapMethod::kTls) {
      // Our certificate in the TLS handshake; the gateway's verified
      // against the CAs we trust for its IKE AUTH.
      eap::TlsCredentials tls{a.certs, a.private_key_der, ctx.config->remote_auth.ca_certs};
      ctx.eap->peer.emplace(eap::Type::kTls, ctx.eap->identity, SecretBytes(), RandomFrom(ctx),
                            std::move(tls));
    } else {
      ctx.eap->peer.emplace(eap::Type::kMschapv2, ctx.eap->identity, a.eap_secret.Clone(),
                            RandomFrom(ctx));
    }
    msg.payloads.push_back(id);
    if (ctx.SendInitialContact()) {
      msg.payloads.push_back(wire::NotifyPayload::Make(wire::NotifyType::kInitialContact));
    }
    if (auto certreq = OwnCertReq(ctx)) msg.payloads.push_back(std::move(*certreq));
    if (!ctx.config->remote_auth.id.IsAny()) {
      msg.payloads.push_back(ToWireId(Role::kResponder, ctx.config->remote_auth.id));
    }
    return TaskResult::kDone;  // no AUTH: we authenticate by EAP
  }
  if (ctx.eap->out) {
    msg.payloads.push_back(FromPacket(*ctx.eap->out));
    ctx.eap->out.reset();
    return TaskResult::kDone;
  }
  if (ctx.eap->succeeded && !msk_auth_sent_) {
    auto data = PskAuthData(ctx, AuthKey(ctx, true), ctx.eap->own_id_body, false);
    if (!data) return Fail("cannot build AUTH: " + data.error());
    msg.payloads.push_back(wire::AuthPayload{AuthMethod::kPsk, std::move(*data)});
    msk_auth_sent_ = true;
  }
  return TaskResult::kDone;
}

TaskOutcome IkeAuth::ProcessEapInitiator(const wire::Message& msg, SaContext& ctx) {
  if (msg.FindNotify(wire::NotifyType::kAuthenticationFailed)) {
    return Fail("peer answered AUTHENTICATION_FAILED");
  }
  const auto* payload = msg.Find<wire::EapPayload>();
  if (const auto* err = FirstErrorNotify(msg); err && !payload && !msg.Find<wire::AuthPayload>()) {
    return Fail("peer answered " + std::string(wire::NotifyTypeName(err->type)));
  }
  if (ctx.eap->peer_id_body.empty()) {
    // The first response: the gateway's own AUTH (certificate or PSK).
    auto ok = VerifyPeer(ctx, msg);
    if (!ok) return Fail("peer authentication failed: " + ok.error());
    ctx.eap->peer_id_body = wire::EncodeIdBody(*msg.FindId(Role::kResponder));
    if (!payload) return Fail("the responder started no EAP");
  }
  if (msk_auth_sent_) {
    const auto* auth = msg.Find<wire::AuthPayload>();
    if (!auth) return Fail("no AUTH after EAP");
    auto expect = PskAuthData(ctx, AuthKey(ctx, false), ctx.eap->peer_id_body, true);
    if (!expect || auth->method != AuthMethod::kPsk || !ConstantTimeEqual(*expect, auth->data)) {
      return Fail("the responder's AUTH over the EAP MSK does not verify");
    }
    Established(ctx);
    return TaskResult::kDone;
  }
  if (!payload) return Fail("IKE_AUTH response without an EAP payload");
  auto step = ctx.eap->peer->Process(ToPacket(*payload));
  if (!step) return Fail("EAP: " + step.error());
  switch (step->status) {
    case eap::Status::kContinue:
      ctx.eap->out = std::move(step->packet);
      break;
    case eap::Status::kSuccess:
      ctx.eap->succeeded = true;
      ctx.eap->msk = ctx.eap->peer->msk().Clone();
      break;
    case eap::Status::kFailure:
      return Fail("EAP authentication failed: " + step->reason);
  }
  return TaskResult::kContinueAlone;
}

// ------------------------------------------------------------ responder

bool IkeAuth::InEapRounds(const SaContext& ctx) {
  return ctx.role == Role::kResponder && ctx.eap && ctx.eap->first_request;
}

std::optional<wire::Message> IkeAuth::FinalRoundInput(const SaContext& ctx,
                                                      const wire::Message& request) {
  const auto* auth = request.Find<wire::AuthPayload>();
  if (!InEapRounds(ctx) || !ctx.eap->succeeded || !auth) return std::nullopt;
  wire::Message merged = *ctx.eap->first_request;
  merged.header = request.header;
  std::vector<wire::Payload> kept;
  for (auto& p : merged.payloads) {
    if (std::holds_alternative<wire::AuthPayload>(p) ||
        std::holds_alternative<wire::EapPayload>(p)) {
      continue;
    }
    kept.push_back(std::move(p));
  }
  kept.push_back(*auth);
  merged.payloads = std::move(kept);
  return merged;
}

TaskOutcome IkeAuth::StartEapResponder(const wire::Message& msg, SaContext& ctx) {
  SelectConfigByIdentity(ctx, msg);
  const AuthConfig& remote = ctx.config->remote_auth;
  if (remote.kind != AuthKind::kEap) {
    return Fail("peer sent no AUTH (asks for EAP), but connection '" + ctx.config->name +
                    "' does not authenticate it by EAP",
                wire::NotifyType::kAuthenticationFailed);
  }
  const wire::IdPayload* idi = msg.FindId(Role::kInitiator);
  if (!idi) return Fail("IDi missing", wire::NotifyType::kAuthenticationFailed);
  Identity peer_id = FromWireId(*idi);
  if (!remote.id.Matches(peer_id)) {
    return Fail("peer identity " + peer_id.ToString() + " does not match " + remote.id.ToString(),
                wire::NotifyType::kAuthenticationFailed);
  }
  ctx.eap = std::make_unique<EapSession>();
  ctx.eap->first_request = msg;
  ctx.eap->peer_id_body = wire::EncodeIdBody(*idi);
  bool ask = remote.eap_id.has_value();
  if (!ask) ctx.eap->identity = peer_id.data;
  if (remote.eap_method == EapMethod::kRadius) {
    ctx.eap->radius = true;
    if (ask) {
      ctx.eap->identity_round = true;
      Bytes r = ctx.env.rng.Generate(1);
      ctx.eap->last_request_id = r.empty() ? 1 : r[0];
      ctx.eap->out = eap::Packet::Request(ctx.eap->last_request_id, eap::Type::kIdentity, {});
      return TaskResult::kDone;
    }
    return RelayToBackend(ctx, eap::Packet::Response(0, eap::Type::kIdentity, ctx.eap->identity),
                          true);
  }
  if (remote.eap_method != EapMethod::kMschapv2 && remote.eap_method != EapMethod::kTls) {
    return Fail(std::string(EapMethodName(remote.eap_method)) +
                    " is not supported as a server (eap-mschapv2, eap-tls or eap-radius)",
                wire::NotifyType::kAuthenticationFailed);
  }
  const std::vector<EapSecret>* users = &ctx.config->remote_auth.eap_users;
  eap::UserLookup lookup = [users](const Bytes& identity) -> const SecretBytes* {
    const SecretBytes* any = nullptr;
    for (const EapSecret& u : *users) {
      if (u.identity == identity) return &u.secret;
      if (u.identity.empty() && !any) any = &u.secret;
    }
    return any;
  };
  Identity local_id = ctx.config->local_auth.id;
  std::string server_name = local_id.IsAny() ? "gateway" : Printable(local_id.data);
  if (remote.eap_method == EapMethod::kTls) {
    // The gateway's IKE certificate serves TLS; the client's is checked
    // against the CAs of the connection's remote side.
    const AuthConfig& own = ctx.config->local_auth;
    eap::TlsCredentials tls{own.certs, own.private_key_der, remote.ca_certs};
    ctx.eap->server.emplace(eap::Type::kTls, ctx.eap->identity, server_name, lookup,
                            RandomFrom(ctx), std::move(tls));
  } else {
    ctx.eap->server.emplace(eap::Type::kMschapv2, ctx.eap->identity, server_name, lookup,
                            RandomFrom(ctx));
  }
  ctx.eap->out = ctx.eap->server->Start();
  return TaskResult::kDone;
}

TaskOutcome IkeAuth::RelayToBackend(SaContext& ctx, const eap::Packet& response, bool first) {
  ctx.eap->last_request_id = response.id;
  ctx.Emit(EapBackendRequest{ctx.id, ctx.config->name, ctx.eap->identity, eap::Encode(response),
                             first, ctx.local, ctx.remote});
  ctx.eap->awaiting_backend = true;
  return TaskResult::kDeferred;
}

TaskOutcome IkeAuth::ProcessEapResponder(const wire::Message& msg, SaContext& ctx) {
  if (!ctx.eap) return StartEapResponder(msg, ctx);
  EapSession& s = *ctx.eap;
  // Each EAP round is progress: the half-open limit counts from the last.
  ctx.ArmTimer(TimerKind::kHalfOpenTimeout, ctx.settings.half_open_timeout);
  if (s.succeeded) {
    // The last round: AUTH over the MSK; `msg` carries the first request's
    // payloads (see FinalRoundInput).
    const auto* auth = msg.Find<wire::AuthPayload>();
    if (!auth) return Fail("no AUTH after EAP", wire::NotifyType::kAuthenticationFailed);
    auto expect = PskAuthData(ctx, AuthKey(ctx, true), s.peer_id_body, true);
    if (!expect || auth->method != AuthMethod::kPsk || !ConstantTimeEqual(*expect, auth->data)) {
      return Fail("AUTH over the EAP MSK does not verify",
                  wire::NotifyType::kAuthenticationFailed);
    }
    const wire::IdPayload* idi = msg.FindId(Role::kInitiator);
    ctx.peer_id = EapPeerIdentity(s.identity, idi ? FromWireId(*idi) : Identity{});
    ctx.initial_contact = msg.FindNotify(wire::NotifyType::kInitialContact) != nullptr;
    return TaskResult::kDone;
  }
  const auto* payload = msg.Find<wire::EapPayload>();
  if (!payload || s.failed) {
    return Fail("IKE_AUTH request without the expected EAP payload",
                wire::NotifyType::kAuthenticationFailed);
  }
  eap::Packet p = ToPacket(*payload);
  if (p.code != eap::Code::kResponse) {
    return Fail("EAP packet from the peer is not a Response",
                wire::NotifyType::kAuthenticationFailed);
  }
  if (s.radius) {
    if (s.identity_round) {
      if (p.type != eap::Type::kIdentity || p.id != s.last_request_id || p.data.empty() ||
          p.data.size() > 253) {
        return Fail("bad EAP-Identity response", wire::NotifyType::kAuthenticationFailed);
      }
      s.identity_round = false;
      s.identity = p.data;
      return RelayToBackend(ctx, p, true);
    }
    return RelayToBackend(ctx, p, false);
  }
  auto step = s.server->Process(p);
  if (!step) return Fail("EAP: " + step.error(), wire::NotifyType::kAuthenticationFailed);
  s.out = std::move(step->packet);
  s.identity = s.server->identity();
  if (step->status == eap::Status::kSuccess) {
    s.succeeded = true;
    s.msk = s.server->msk().Clone();
    s.identity = s.server->identity();
  } else if (step->status == eap::Status::kFailure) {
    s.failed = true;
    ctx.destroy_after = "EAP authentication of '" + Printable(s.server->identity()) +
                        "' failed: " + step->reason;
  }
  return TaskResult::kDone;
}

void IkeAuth::TakeBackendReply(SaContext& ctx) {
  EapSession& s = *ctx.eap;
  if (!s.backend_reply) return;
  EapBackendReply r = std::move(*s.backend_reply);
  s.backend_reply.reset();
  s.awaiting_backend = false;
  auto fail = [&](std::string why) {
    s.out = eap::Packet::Failure(s.last_request_id);
    s.failed = true;
    ctx.destroy_after = "EAP-RADIUS authentication of '" + Printable(s.identity) +
                        "' failed: " + why;
  };
  using Kind = EapBackendReply::Kind;
  switch (r.kind) {
    case Kind::kChallenge: {
      auto p = eap::Decode(r.eap_message);
      if (!p || p->code != eap::Code::kRequest) {
        fail("the RADIUS server's challenge carries no EAP Request");
        return;
      }
      s.out = std::move(*p);
      return;
    }
    case Kind::kAccept: {
      auto p = eap::Decode(r.eap_message);
      s.out = p && p->code == eap::Code::kSuccess ? *p : eap::Packet::Success(s.last_request_id);
      s.succeeded = true;
      s.msk = std::move(r.msk);
      s.framed_ip = r.framed_ip;
      return;
    }
    case Kind::kReject:
      fail(r.reason.empty() ? "rejected by the RADIUS server" : r.reason);
      return;
    case Kind::kUnavailable:
      fail("RADIUS unavailable: " + r.reason);
      return;
  }
}

TaskOutcome IkeAuth::BuildEapResponder(wire::Message& msg, SaContext& ctx) {
  EapSession& s = *ctx.eap;
  TakeBackendReply(ctx);
  if (s.succeeded && !s.out) {
    // The last round (ProcessEapResponder verified the peer's AUTH).
    auto data = PskAuthData(ctx, AuthKey(ctx, false), s.own_id_body, false);
    if (!data) {
      return Fail("cannot build AUTH: " + data.error(), wire::NotifyType::kAuthenticationFailed);
    }
    msg.payloads.push_back(wire::AuthPayload{AuthMethod::kPsk, std::move(*data)});
    Established(ctx);
    return TaskResult::kDone;
  }
  if (s.own_id_body.empty()) {
    // The first response: our identity and our own AUTH, then EAP.
    Identity local_id = ctx.config->local_auth.id;
    if (local_id.IsAny()) local_id = Identity::FromAddress(ctx.local.address);
    wire::IdPayload id = ToWireId(role_, local_id);
    auto auth = OwnAuth(ctx, id);
    if (!auth) {
      return Fail("cannot build AUTH: " + auth.error(), wire::NotifyType::kAuthenticationFailed);
    }
    s.own_id_body = wire::EncodeIdBody(id);
    msg.payloads.push_back(id);
    std::vector<wire::Payload> extra;
    MakeAuthenticatorFor(ctx.config->local_auth)->AddPayloads(ctx, extra);
    for (auto& p : extra) msg.payloads.push_back(std::move(p));
    msg.payloads.push_back(*auth);
  }
  if (s.out) {
    msg.payloads.push_back(FromPacket(*s.out));
    s.out.reset();
  }
  return TaskResult::kDone;
}

}  // namespace ike::engine
