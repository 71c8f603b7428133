// radius_tool: drives the daemon's RadiusClient (charon/daemon/radius_client)
// against a real RADIUS server, as the gateway would: an EAP conversation
// (EAP-MD5 built by hand, or EAP-MSCHAPv2 with libike/eap's peer) relayed
// in Access-Request/Challenge rounds, then optionally Accounting Start and
// Stop. Prints one line of key=value results and exits 0 when the outcome
// is the expected one.
//
//   radius_tool --server 198.51.100.2[,ADDR2...] --secret S --user U --password P
//               [--method md5|mschapv2] [--expect accept|reject|unavailable]
//               [--framed-ip A] [--acct] [--timeout-ms N] [--tries N]
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "charon/daemon/event_loop.h"
#include "charon/daemon/log.h"
#include "charon/daemon/radius_client.h"
#include "libike/eap/eap_method.h"
#include "libike/eap/eap_packet.h"

using namespace ike;
using namespace ike::charon;

namespace {

struct Options {
  std::vector<std::string> servers;
  std::string secret, user, password, method = "md5", expect = "accept", framed_ip;
  bool acct = false;
  int timeout_ms = 1000;
  unsigned tries = 3;
};

Bytes ToBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// EAP-MD5 (RFC 3748 5.4): MD5(Identifier || password || challenge).
Bytes Md5Response(uint8_t id, const std::string& password, ByteView challenge) {
  uint8_t digest[16];
  unsigned int len = 0;
  Bytes input;
  input.push_back(id);
  input.insert(input.end(), password.begin(), password.end());
  input.insert(input.end(), challenge.begin(), challenge.end());
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_md5(), nullptr);
  Bytes data;
  data.push_back(16);
  data.insert(data.end(), digest, digest + 16);
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--server") o.servers = Split(next());
    else if (a == "--secret") o.secret = next();
    else if (a == "--user") o.user = next();
    else if (a == "--password") o.password = next();
    else if (a == "--method") o.method = next();
    else if (a == "--expect") o.expect = next();
    else if (a == "--framed-ip") o.framed_ip = next();
    else if (a == "--acct") o.acct = true;
    else if (a == "--timeout-ms") o.timeout_ms = std::stoi(next());
    else if (a == "--tries") o.tries = static_cast<unsigned>(std::stoul(next()));
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (o.servers.empty() || o.secret.empty() || o.user.empty()) {
    std::cerr << "need --server, --secret and --user\n";
    return 2;
  }
  EventLoop loop;
  if (auto r = loop.Init(); !r) {
    std::cerr << r.error() << "\n";
    return 1;
  }
  Logger log(Logger::Sink::kStderr);
  std::string err;
  log.ParseLevelSpec("debug", err);
  RadiusClient client(loop, log);
  RadiusSettings settings;
  int n = 0;
  for (const auto& s : o.servers) {
    auto addr = IpAddress::Parse(s);
    if (!addr) {
      std::cerr << "bad address " << s << "\n";
      return 2;
    }
    settings.servers.push_back(RadiusServer{"srv" + std::to_string(++n), *addr, 1812, 1813,
                                            SecretBytes(ToBytes(o.secret))});
  }
  settings.accounting = o.acct;
  settings.nas_identifier = "radius-tool";
  settings.timeout = std::chrono::milliseconds(o.timeout_ms);
  settings.tries = o.tries;
  client.Configure(std::move(settings));

  const uint64_t session = 7;
  const Endpoint local{*IpAddress::Parse("198.51.100.1"), 4500};
  const Endpoint remote{*IpAddress::Parse("203.0.113.5"), 4500};
  eap::Peer peer(eap::Type::kMschapv2, ToBytes(o.user), SecretBytes(ToBytes(o.password)), [](size_t len) {
    Bytes b(len);
    RAND_bytes(b.data(), static_cast<int>(len));
    return b;
  });

  std::string outcome = "none", reason;
  std::optional<IpAddress> framed;
  SecretBytes msk;
  bool peer_msk_matches = false;
  int rounds = 0;
  auto started = std::chrono::steady_clock::now();

  // Accounting: stop once both answers are in (or one timed out).
  std::function<void()> poll = [&] {
    if (client.stats().acct_responses >= 2 || client.stats().acct_timeouts > 0) {
      loop.Stop();
      return;
    }
    loop.AddTimerIn(std::chrono::milliseconds(50), poll);
  };
  std::function<void(Bytes, bool)> send;
  send = [&](Bytes eap_message, bool first) {
    RadiusAuthRequest req{session, ToBytes(o.user), std::move(eap_message), first, local, remote, "radius-tool"};
    client.Authenticate(std::move(req), [&](RadiusAuthResult r) {
      ++rounds;
      switch (r.kind) {
        case RadiusAuthResult::Kind::kChallenge: {
          auto pkt = eap::Decode(r.eap_message);
          if (!pkt || pkt->code != eap::Code::kRequest) {
            outcome = "bad-challenge";
            loop.Stop();
            return;
          }
          if (o.method == "md5") {
            if (pkt->type != eap::Type::kMd5) {
              // Legacy Nak: we want EAP-MD5.
              send(eap::Encode(eap::Packet::Response(pkt->id, eap::Type::kNak, Bytes{4})), false);
            } else if (pkt->data.empty() || pkt->data[0] + 1u > pkt->data.size()) {
              outcome = "bad-md5-challenge";
              loop.Stop();
            } else {
              ByteView challenge(pkt->data.data() + 1, pkt->data[0]);
              send(eap::Encode(eap::Packet::Response(pkt->id, eap::Type::kMd5,
                                                     Md5Response(pkt->id, o.password, challenge))),
                   false);
            }
            return;
          }
          auto step = peer.Process(*pkt);
          if (!step || step->status != eap::Status::kContinue) {
            outcome = "peer-failed";
            reason = step ? step->reason : step.error();
            loop.Stop();
            return;
          }
          send(eap::Encode(step->packet), false);
          return;
        }
        case RadiusAuthResult::Kind::kAccept: {
          outcome = "accept";
          framed = r.framed_ip;
          msk = std::move(r.msk);
          if (o.method == "mschapv2") {
            auto pkt = eap::Decode(r.eap_message);
            if (pkt) {
              auto step = peer.Process(*pkt);
              peer_msk_matches = step && step->status == eap::Status::kSuccess && !msk.empty() &&
                                 ConstantTimeEqual(peer.msk().view(), msk.view());
            }
          }
          if (o.acct) {
            RadiusAcctInfo info;
            info.framed_ip = framed;
            info.local = local;
            info.remote = remote;
            client.StartAccounting(session, info);
            loop.AddTimerIn(std::chrono::milliseconds(1500), [&] {
              RadiusUsage usage{12345, 67890, 12, 34};
              client.StopAccounting(session, radius::TerminateCause::kUserRequest, usage);
            });
            loop.AddTimerIn(std::chrono::milliseconds(50), poll);
            loop.AddTimerIn(std::chrono::seconds(10), [&] { loop.Stop(); });
            return;
          }
          loop.Stop();
          return;
        }
        case RadiusAuthResult::Kind::kReject:
          outcome = "reject";
          reason = r.reason;
          loop.Stop();
          return;
        case RadiusAuthResult::Kind::kUnavailable:
          outcome = "unavailable";
          reason = r.reason;
          loop.Stop();
          return;
      }
    });
  };

  send(eap::Encode(eap::Packet::Response(0, eap::Type::kIdentity, ToBytes(o.user))), true);
  loop.AddTimerIn(std::chrono::seconds(60), [&] {
    outcome = "tool-timeout";
    loop.Stop();
  });
  loop.Run();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  const auto& st = client.stats();
  std::printf(
      "result=%s rounds=%d framed_ip=%s msk_len=%zu peer_msk_matches=%d elapsed_ms=%lld access_requests=%llu "
      "retransmits=%llu bad_authenticator=%llu acct_requests=%llu acct_responses=%llu reason=\"%s\"\n",
      outcome.c_str(), rounds, framed ? framed->ToString().c_str() : "-", msk.size(), peer_msk_matches ? 1 : 0,
      static_cast<long long>(elapsed.count()), static_cast<unsigned long long>(st.access_requests),
      static_cast<unsigned long long>(st.retransmits), static_cast<unsigned long long>(st.bad_authenticator),
      static_cast<unsigned long long>(st.acct_requests), static_cast<unsigned long long>(st.acct_responses),
      reason.c_str());
  bool ok = outcome == o.expect;
  if (ok && !o.framed_ip.empty()) ok = framed && framed->ToString() == o.framed_ip;
  if (ok && o.expect == "accept" && o.method == "mschapv2") ok = msk.size() == 64 && peer_msk_matches;
  if (ok && o.acct) ok = st.acct_responses >= 2;
  return ok ? 0 : 1;
}
