#include "libike/eap/eap_method.h"

#include "libike/eap/mschapv2.h"

namespace ike::eap {

namespace {

// MS-CHAPv2 over EAP (draft-kamath-pppext-eap-mschapv2): type data is
// OpCode, MS-CHAPv2-ID, MS-Length (the type data length), then the value.
enum MsOp : uint8_t { kOpChallenge = 1, kOpResponse = 2, kOpSuccess = 3, kOpFailure = 4 };
constexpr size_t kResponseValueSize = 49;  // peer challenge, 8 reserved, NT-Response, flags

Bytes MsData(uint8_t op, uint8_t id, ByteView value) {
  Bytes d;
  size_t len = 4 + value.size();
  d.push_back(op);
  d.push_back(id);
  d.push_back(static_cast<uint8_t>(len >> 8));
  d.push_back(static_cast<uint8_t>(len));
  d.insert(d.end(), value.begin(), value.end());
  return d;
}

ByteView Text(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Checks the MS-CHAPv2 header of type data; returns the value part.
Result<ByteView, std::string> MsValue(const Bytes& data, uint8_t want_op) {
  if (data.empty()) return MakeUnexpected(std::string("MSCHAPv2: empty"));
  if (data[0] != want_op) {
    return MakeUnexpected("MSCHAPv2: opcode " + std::to_string(data[0]) + ", expected " +
                          std::to_string(want_op));
  }
  if (data.size() == 1) return ByteView();  // Success/Failure responses are the opcode alone
  if (data.size() < 4) return MakeUnexpected(std::string("MSCHAPv2: short header"));
  size_t ms_len = static_cast<size_t>(data[2]) << 8 | data[3];
  if (ms_len != data.size()) return MakeUnexpected(std::string("MSCHAPv2: MS-Length mismatch"));
  return ByteView(data).subspan(4);
}

std::string Hex(ByteView b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (uint8_t x : b) {
    s += kHex[x >> 4];
    s += kHex[x & 0xf];
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- Server

Server::Server(Type method, Bytes identity, std::string server_name, UserLookup users,
               RandomFn random, std::optional<TlsCredentials> tls)
    : method_(method),
      identity_(std::move(identity)),
      server_name_(std::move(server_name)),
      users_(std::move(users)),
      random_(std::move(random)),
      tls_creds_(std::move(tls)) {
  Bytes r = random_(1);
  next_id_ = r.empty() ? 1 : r[0];
}

Packet Server::Request(Type type, Bytes data) {
  last_id_ = next_id_++;
  last_type_ = type;
  return Packet::Request(last_id_, type, std::move(data));
}

Packet Server::MschapChallenge() {
  auth_challenge_ = random_(mschapv2::kChallengeSize);
  Bytes value;
  value.push_back(static_cast<uint8_t>(mschapv2::kChallengeSize));
  value.insert(value.end(), auth_challenge_.begin(), auth_challenge_.end());
  auto name = Text(server_name_);
  value.insert(value.end(), name.begin(), name.end());
  state_ = State::kChallenge;
  // The MS-CHAPv2-ID follows the EAP identifier of the request.
  uint8_t id = next_id_;
  return Request(Type::kMschapv2, MsData(kOpChallenge, id, value));
}

Packet Server::Start() {
  if (identity_.empty()) {
    state_ = State::kIdentity;
    return Request(Type::kIdentity, {});
  }
  return StartMethod();
}

Packet Server::StartMethod() {
  if (method_ != Type::kTls) return MschapChallenge();
  state_ = State::kTls;
  if (tls_creds_) {
    auto tls = TlsEndpoint::Create(true, *tls_creds_);
    if (tls) {
      tls_ = std::move(*tls);
    } else {
      failure_reason_ = tls.error();
    }
  } else {
    failure_reason_ = "no certificate for EAP-TLS";
  }
  return Request(Type::kTls, TlsEndpoint::StartData());
}

Result<Step, std::string> Server::OnTls(const Packet& p) {
  if (!tls_) {
    state_ = State::kDone;
    return Step{Status::kFailure, Packet::Failure(last_id_), failure_reason_};
  }
  TlsEndpoint::Out o = tls_->Process(p.data);
  switch (o.status) {
    case TlsEndpoint::Status::kContinue:
      return Step{Status::kContinue, Request(Type::kTls, std::move(o.data)), {}};
    case TlsEndpoint::Status::kDone:
      msk_ = tls_->msk().Clone();
      state_ = State::kDone;
      return Step{Status::kSuccess, Packet::Success(last_id_), {}};
    case TlsEndpoint::Status::kFailed:
      break;
  }
  state_ = State::kDone;
  return Step{Status::kFailure, Packet::Failure(last_id_), "EAP-TLS: " + o.reason};
}

Result<Step, std::string> Server::Process(const Packet& p) {
  if (p.code != Code::kResponse) return MakeUnexpected(std::string("not an EAP Response"));
  if (p.id != last_id_) {
    return MakeUnexpected("EAP identifier " + std::to_string(p.id) + ", expected " +
                          std::to_string(last_id_));
  }
  if (p.type == Type::kNak) {
    return Step{Status::kFailure, Packet::Failure(last_id_),
                std::string("peer refused ") + TypeName(last_type_) + " (Nak)"};
  }
  if (p.type != last_type_) {
    return MakeUnexpected(std::string("EAP Response of type ") + TypeName(p.type) +
                          " to a " + TypeName(last_type_) + " request");
  }
  switch (state_) {
    case State::kIdentity: {
      if (p.data.empty() || p.data.size() > 253) {
        return Step{Status::kFailure, Packet::Failure(last_id_), "empty or oversized EAP identity"};
      }
      identity_ = p.data;
      return Step{Status::kContinue, StartMethod(), {}};
    }
    case State::kChallenge:
      return OnMschapResponse(p);
    case State::kTls:
      return OnTls(p);
    case State::kSuccessSent: {
      IKE_ASSIGN_OR_RETURN(ByteView v, MsValue(p.data, kOpSuccess));
      (void)v;
      state_ = State::kDone;
      return Step{Status::kSuccess, Packet::Success(last_id_), {}};
    }
    case State::kFailureSent: {
      IKE_ASSIGN_OR_RETURN(ByteView v, MsValue(p.data, kOpFailure));
      (void)v;
      state_ = State::kDone;
      return Step{Status::kFailure, Packet::Failure(last_id_), failure_reason_};
    }
    case State::kDone:
      break;
  }
  return MakeUnexpected(std::string("EAP conversation already ended"));
}

Result<Step, std::string> Server::OnMschapResponse(const Packet& p) {
  IKE_ASSIGN_OR_RETURN(ByteView v, MsValue(p.data, kOpResponse));
  if (v.size() < 1 + kResponseValueSize || v[0] != kResponseValueSize) {
    return MakeUnexpected(std::string("MSCHAPv2: malformed Response"));
  }
  ByteView peer_challenge = v.subspan(1, 16);
  ByteView nt_response = v.subspan(1 + 16 + 8, mschapv2::kNtResponseSize);
  std::string name(reinterpret_cast<const char*>(v.data()) + 1 + kResponseValueSize,
                   v.size() - 1 - kResponseValueSize);
  uint8_t ms_id = p.data[1];
  auto fail = [&](std::string reason) -> Step {
    failure_reason_ = std::move(reason);
    state_ = State::kFailureSent;
    std::string msg = "E=691 R=0 C=" + Hex(random_(16)) + " V=3 M=authentication failed";
    return Step{Status::kContinue, Request(Type::kMschapv2, MsData(kOpFailure, ms_id, Text(msg))),
                {}};
  };
  const SecretBytes* password = users_ ? users_(identity_) : nullptr;
  if (!password) {
    return fail("no EAP secret for '" + std::string(identity_.begin(), identity_.end()) + "'");
  }
  std::string_view pw(reinterpret_cast<const char*>(password->data()), password->size());
  IKE_ASSIGN_OR_RETURN(SecretBytes hash, mschapv2::NtPasswordHash(pw));
  IKE_ASSIGN_OR_RETURN(Bytes expect,
                       mschapv2::NtResponse(auth_challenge_, peer_challenge, name, hash));
  if (!ConstantTimeEqual(expect, nt_response)) {
    return fail("MSCHAPv2 password mismatch for '" +
                std::string(identity_.begin(), identity_.end()) + "'");
  }
  IKE_ASSIGN_OR_RETURN(std::string auth_response,
                       mschapv2::AuthenticatorResponse(hash, nt_response, peer_challenge,
                                                       auth_challenge_, name));
  IKE_ASSIGN_OR_RETURN(msk_, mschapv2::Msk(hash, nt_response));
  state_ = State::kSuccessSent;
  std::string msg = auth_response + " M=welcome";
  return Step{Status::kContinue, Request(Type::kMschapv2, MsData(kOpSuccess, ms_id, Text(msg))),
              {}};
}

// ------------------------------------------------------------------ Peer

Peer::Peer(Type method, Bytes identity, SecretBytes password, RandomFn random,
           std::optional<TlsCredentials> tls)
    : method_(method),
      identity_(std::move(identity)),
      password_(std::move(password)),
      random_(std::move(random)),
      tls_creds_(std::move(tls)) {}

Result<Step, std::string> Peer::OnTls(const Packet& p) {
  if (!tls_) {
    if (!tls_creds_) return Step{Status::kFailure, {}, "no certificate for EAP-TLS"};
    auto tls = TlsEndpoint::Create(false, *tls_creds_);
    if (!tls) return Step{Status::kFailure, {}, "EAP-TLS: " + tls.error()};
    tls_ = std::move(*tls);
  }
  TlsEndpoint::Out o = tls_->Process(p.data);
  if (o.status == TlsEndpoint::Status::kFailed) {
    return Step{Status::kFailure, {}, "EAP-TLS: " + o.reason};
  }
  if (o.status == TlsEndpoint::Status::kDone) {
    // The server proved its certificate in the handshake.
    server_verified_ = true;
    msk_ = tls_->msk().Clone();
  }
  return Step{Status::kContinue, Packet::Response(p.id, Type::kTls, std::move(o.data)), {}};
}

Result<Step, std::string> Peer::Process(const Packet& p) {
  switch (p.code) {
    case Code::kSuccess:
      if (!server_verified_) {
        return Step{Status::kFailure, {}, "EAP Success before the server proved the password"};
      }
      return Step{Status::kSuccess, {}, {}};
    case Code::kFailure:
      return Step{Status::kFailure, {}, "server sent EAP Failure"};
    case Code::kResponse:
      return MakeUnexpected(std::string("EAP Response from the server"));
    case Code::kRequest:
      break;
  }
  if (p.type == Type::kIdentity) {
    return Step{Status::kContinue, Packet::Response(p.id, Type::kIdentity, identity_), {}};
  }
  if (p.type == Type::kNotification) {
    return Step{Status::kContinue, Packet::Response(p.id, Type::kNotification, {}), {}};
  }
  if (p.type != method_) {
    return Step{Status::kContinue,
                Packet::Response(p.id, Type::kNak, Bytes{static_cast<uint8_t>(method_)}), {}};
  }
  if (method_ == Type::kTls) return OnTls(p);
  return OnMschap(p);
}

Result<Step, std::string> Peer::OnMschap(const Packet& p) {
  if (p.data.size() < 4) return MakeUnexpected(std::string("MSCHAPv2: short request"));
  uint8_t op = p.data[0];
  uint8_t ms_id = p.data[1];
  IKE_ASSIGN_OR_RETURN(ByteView v, MsValue(p.data, op));
  if (op == kOpChallenge) {
    if (v.size() < 1 + mschapv2::kChallengeSize || v[0] != mschapv2::kChallengeSize) {
      return MakeUnexpected(std::string("MSCHAPv2: malformed Challenge"));
    }
    ByteView auth_challenge = v.subspan(1, mschapv2::kChallengeSize);
    Bytes peer_challenge = random_(16);
    std::string user(identity_.begin(), identity_.end());
    std::string_view pw(reinterpret_cast<const char*>(password_.data()), password_.size());
    IKE_ASSIGN_OR_RETURN(SecretBytes hash, mschapv2::NtPasswordHash(pw));
    IKE_ASSIGN_OR_RETURN(Bytes nt, mschapv2::NtResponse(auth_challenge, peer_challenge, user, hash));
    IKE_ASSIGN_OR_RETURN(expected_auth_response_,
                         mschapv2::AuthenticatorResponse(hash, nt, peer_challenge,
                                                         auth_challenge, user));
    IKE_ASSIGN_OR_RETURN(msk_, mschapv2::Msk(hash, nt));
    Bytes value;
    value.push_back(static_cast<uint8_t>(kResponseValueSize));
    value.insert(value.end(), peer_challenge.begin(), peer_challenge.end());
    value.insert(value.end(), 8, 0);
    value.insert(value.end(), nt.begin(), nt.end());
    value.push_back(0);  // flags
    value.insert(value.end(), identity_.begin(), identity_.end());
    return Step{Status::kContinue,
                Packet::Response(p.id, Type::kMschapv2, MsData(kOpResponse, ms_id, value)), {}};
  }
  if (op == kOpSuccess) {
    std::string msg(reinterpret_cast<const char*>(v.data()), v.size());
    if (expected_auth_response_.empty() ||
        msg.compare(0, expected_auth_response_.size(), expected_auth_response_) != 0) {
      return Step{Status::kFailure, {}, "MSCHAPv2: the server's authenticator response is wrong"};
    }
    server_verified_ = true;
    return Step{Status::kContinue, Packet::Response(p.id, Type::kMschapv2, Bytes{kOpSuccess}), {}};
  }
  if (op == kOpFailure) {
    // Answer it; the server ends with EAP Failure.
    return Step{Status::kContinue, Packet::Response(p.id, Type::kMschapv2, Bytes{kOpFailure}), {}};
  }
  return MakeUnexpected("MSCHAPv2: unexpected opcode " + std::to_string(op));
}

}  // namespace ike::eap
