// EAP conversations for IKEv2 (RFC 7296 2.16): the server side that a
// gateway runs (an optional EAP-Identity round, then EAP-MSCHAPv2 against
// its user secrets or EAP-TLS against its CAs) and the peer side a client
// runs. Sans-IO: each call
// takes one EAP packet and returns the next one to send.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"
#include "libike/eap/eap_packet.h"
#include "libike/eap/eap_tls.h"

namespace ike::eap {

using RandomFn = std::function<Bytes(size_t)>;
// The password of an EAP identity, or null when the user is unknown.
using UserLookup = std::function<const SecretBytes*(const Bytes& identity)>;

enum class Status : uint8_t { kContinue, kSuccess, kFailure };

struct Step {
  Status status = Status::kContinue;
  Packet packet;       // to send (Request/Success/Failure, or a Response)
  std::string reason;  // kFailure: why, for the log (no secrets)
};

class Server {
 public:
  // `identity`: the EAP identity already known (from IDi); empty: ask for
  // it with EAP-Identity first. `server_name`: the MSCHAPv2 Name field.
  Server(Type method, Bytes identity, std::string server_name, UserLookup users,
         RandomFn random, std::optional<TlsCredentials> tls = std::nullopt);

  // The first request.
  Packet Start();
  // The peer's Response to our last request. Packets that do not answer it
  // (wrong identifier, code or type) are an error: the caller drops them
  // and waits for the right one.
  Result<Step, std::string> Process(const Packet& response);

  const Bytes& identity() const { return identity_; }
  const SecretBytes& msk() const { return msk_; }

 private:
  enum class State : uint8_t { kIdentity, kChallenge, kSuccessSent, kFailureSent, kTls, kDone };
  Packet Request(Type type, Bytes data);
  Packet StartMethod();
  Packet MschapChallenge();
  Result<Step, std::string> OnTls(const Packet& p);
  Result<Step, std::string> OnMschapResponse(const Packet& p);

  Type method_;
  Bytes identity_;
  std::string server_name_;
  UserLookup users_;
  RandomFn random_;
  State state_ = State::kIdentity;
  uint8_t next_id_ = 0;
  uint8_t last_id_ = 0;
  Type last_type_ = Type::kNone;
  Bytes auth_challenge_;
  SecretBytes msk_;
  std::string failure_reason_;
  std::optional<TlsCredentials> tls_creds_;
  std::unique_ptr<TlsEndpoint> tls_;
};

class Peer {
 public:
  // `identity`: what we answer to EAP-Identity; `method`: the one method we
  // run (others are answered with a Nak naming it).
  Peer(Type method, Bytes identity, SecretBytes password, RandomFn random,
       std::optional<TlsCredentials> tls = std::nullopt);

  // One packet from the server: the Response to send (kContinue), or the
  // end of the conversation (kSuccess with msk(), kFailure).
  Result<Step, std::string> Process(const Packet& request);

  const SecretBytes& msk() const { return msk_; }

 private:
  Result<Step, std::string> OnMschap(const Packet& p);
  Result<Step, std::string> OnTls(const Packet& p);

  Type method_;
  Bytes identity_;
  SecretBytes password_;
  RandomFn random_;
  std::string expected_auth_response_;
  bool server_verified_ = false;
  SecretBytes msk_;
  std::optional<TlsCredentials> tls_creds_;
  std::unique_ptr<TlsEndpoint> tls_;
};

}  // namespace ike::eap
