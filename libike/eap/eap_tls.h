// EAP-TLS (RFC 5216) over OpenSSL's TLS state machine, sans-IO: TLS
// records go through memory BIOs, and this class frames them into EAP-TLS
// packets (flags L, M, S; fragments acknowledged by empty packets) for
// either side of the conversation. TLS 1.2 as strongSwan's EAP-TLS uses
// by default; the MSK is the first 64 octets of the TLS PRF with the label
// "client EAP encryption" (RFC 5216 2.3).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

namespace ike::eap {

struct TlsCredentials {
  std::vector<Bytes> certs;  // ours: end entity first, then intermediates (DER)
  Bytes private_key_der;     // PKCS#8 DER
  std::vector<Bytes> ca_certs;  // trust anchors for the other side's certificate
};

class TlsEndpoint {
 public:
  enum class Status : uint8_t { kContinue, kDone, kFailed };
  struct Out {
    Status status = Status::kContinue;
    Bytes data;  // EAP-TLS type data to send (flags [, length], fragment)
    std::string reason;
  };

  static Result<std::unique_ptr<TlsEndpoint>, std::string> Create(bool server,
                                                                   const TlsCredentials& creds);
  ~TlsEndpoint();
  TlsEndpoint(const TlsEndpoint&) = delete;
  TlsEndpoint& operator=(const TlsEndpoint&) = delete;

  // Server: the EAP-TLS Start (flags S).
  static Bytes StartData() { return Bytes{0x20}; }
  // The other side's EAP-TLS type data; what to send back. kDone: the TLS
  // handshake is complete and the other side has everything (server: send
  // EAP Success now; peer: the empty acknowledgement in `data` still goes
  // out). kFailed: give up (reason says why).
  Out Process(ByteView type_data);

  bool finished() const { return finished_; }
  const SecretBytes& msk() const { return msk_; }
  // The other side's end-entity certificate (DER), once verified.
  const Bytes& peer_cert() const { return peer_cert_; }

 private:
  struct Impl;
  explicit TlsEndpoint(std::unique_ptr<Impl> impl, bool server);
  Out Fail(std::string reason);
  Out NextFragment();
  Result<void, std::string> Drive();

  std::unique_ptr<Impl> impl_;
  bool server_;
  bool started_ = false;
  bool finished_ = false;
  Bytes in_;            // reassembled incoming TLS data
  size_t in_expected_ = 0;
  Bytes out_;           // TLS data still to send
  size_t out_sent_ = 0;
  bool out_first_ = true;
  SecretBytes msk_;
  Bytes peer_cert_;
};

}  // namespace ike::eap
