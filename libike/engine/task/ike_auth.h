// IKE_AUTH authentication (RFC 7296 1.2, 2.15): identities, the AUTH
// payload, INITIAL_CONTACT, AUTHENTICATION_FAILED.
//
//   HDR, SK {IDi, [N(INITIAL_CONTACT)], [IDr,] AUTH, ...}  -->
//                               <--  HDR, SK {IDr, AUTH, ...}
//
// The CHILD_SA payloads of the same exchange come from ChildCreate.
// Authentication methods are pluggable through Authenticator (PSK here;
// certificates in auth_pubkey).
//
// EAP (RFC 7296 2.16): the initiator omits AUTH from its first request;
// the responder authenticates itself (certificate or PSK) and starts EAP;
// EAP payloads go back and forth in further IKE_AUTH exchanges until EAP
// Success; then both sides send AUTH computed with the MSK as the shared
// key, and the responder answers the SA, TS and CP payloads of the first
// request. The other tasks of the exchange wait for that last round
// (TaskResult::kContinueAlone on the initiator; the responder answers the
// first request's payloads through TaskManager::SubstituteNextRequest).
// A responder relaying to RADIUS defers each answer until the backend
// replies (EapBackendRequest / EapBackendReply).
#pragma once

#include <optional>

#include <memory>

#include "libike/engine/task/task.h"

namespace ike::engine {

// Builds and verifies AUTH payloads for one method.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Our AUTH payload; `id_body` is our ID payload body (ID').
  virtual Result<wire::AuthPayload, std::string> Build(const SaContext& ctx,
                                                       ByteView id_body) = 0;
  // Verifies the peer's AUTH payload over its ID' and any CERT payloads.
  virtual Result<void, std::string> Verify(const SaContext& ctx, const wire::Message& msg,
                                           const wire::AuthPayload& auth,
                                           ByteView peer_id_body) = 0;
  // Payloads that go before AUTH (CERT, CERTREQ), if any.
  virtual void AddPayloads(const SaContext& ctx, std::vector<wire::Payload>& out) {}
};

std::unique_ptr<Authenticator> MakePskAuthenticator();

class IkeAuth final : public Task {
 public:
  explicit IkeAuth(Role role) : role_(role) {}
  TaskType type() const override { return TaskType::kIkeAuth; }
  ExchangeType exchange() const override { return ExchangeType::kIkeAuth; }
  TaskOutcome Build(wire::Message& msg, SaContext& ctx) override;
  TaskOutcome Process(const wire::Message& msg, SaContext& ctx) override;

  // Responder: whether an IKE_AUTH request belongs to EAP rounds, and the
  // message the final round's tasks process (nullopt: the request itself).
  static bool InEapRounds(const SaContext& ctx);
  static std::optional<wire::Message> FinalRoundInput(const SaContext& ctx,
                                                      const wire::Message& request);

 private:
  Result<wire::AuthPayload, std::string> OwnAuth(SaContext& ctx, const wire::IdPayload& id);
  // EAP, initiator.
  TaskOutcome BuildEapInitiator(wire::Message& msg, SaContext& ctx);
  TaskOutcome ProcessEapInitiator(const wire::Message& msg, SaContext& ctx);
  // EAP, responder.
  TaskOutcome ProcessEapResponder(const wire::Message& msg, SaContext& ctx);
  TaskOutcome BuildEapResponder(wire::Message& msg, SaContext& ctx);
  TaskOutcome StartEapResponder(const wire::Message& msg, SaContext& ctx);
  TaskOutcome RelayToBackend(SaContext& ctx, const eap::Packet& response, bool first);
  void TakeBackendReply(SaContext& ctx);
  Result<void, std::string> VerifyPeer(SaContext& ctx, const wire::Message& msg);
  // Responder: switch to the configuration that best fits IDi (and IDr, if
  // the initiator named us) among those fitting the addresses and the
  // IKE proposal already negotiated.
  static void SelectConfigByIdentity(SaContext& ctx, const wire::Message& msg);
  void Established(SaContext& ctx);

  Role role_;
  bool eap_round_one_ = false;  // initiator: the first request went without AUTH
  bool msk_auth_sent_ = false;  // initiator: our MSK AUTH is in the request
};

// The CERTREQ we send when the peer authenticates with a certificate: one
// SHA-1 hash per trusted CA key (RFC 7296 3.7). An initiator sends it in
// IKE_AUTH; a responder already in its IKE_SA_INIT response, where a peer
// that sends its certificate only when asked (strongSwan's default) looks
// for it.
std::optional<wire::CertReqPayload> OwnCertReq(const SaContext& ctx);

// IKEv1 signature authentication (RFC 2409 5.1, RFC 4754) on the same
// pubkey material and checks as IKEv2's: the Phase 1 auth method of our key
// (3 RSA, 9/10/11 ECDSA P-256/384/521; nullopt without a usable key), our
// signature over HASH_I/HASH_R, and the peer's: chain (certs[0] the end
// entity) against remote.ca_certs at the wall clock, identity in the
// certificate, signature.
std::optional<uint16_t> Ikev1SignatureMethod(const AuthConfig& local);
Result<Bytes, std::string> Ikev1Sign(const AuthConfig& local, ByteView hash);
Result<void, std::string> Ikev1VerifyPeer(const AuthConfig& remote, const WallClock* clock,
                                          const std::vector<Bytes>& certs,
                                          const Identity& peer_id, ByteView hash,
                                          ByteView signature);

}  // namespace ike::engine
