#include "libike/eap/eap_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

namespace ike::eap {

namespace {

constexpr uint8_t kFlagLength = 0x80;
constexpr uint8_t kFlagMore = 0x40;
constexpr uint8_t kFlagStart = 0x20;
constexpr size_t kFragment = 1000;          // TLS data per EAP-TLS packet
constexpr size_t kMaxMessage = 64 * 1024;   // a whole TLS flight we accept
constexpr char kMskLabel[] = "client EAP encryption";

std::string OpenSslError(const char* what) {
  unsigned long e = ERR_get_error();
  std::string s = what;
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    s += ": ";
    s += buf;
  }
  ERR_clear_error();
  return s;
}

}  // namespace

struct TlsEndpoint::Impl {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // owned by ssl
  BIO* wbio = nullptr;  // owned by ssl
  ~Impl() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

TlsEndpoint::TlsEndpoint(std::unique_ptr<Impl> impl, bool server)
    : impl_(std::move(impl)), server_(server) {}

TlsEndpoint::~TlsEndpoint() = default;

Result<std::unique_ptr<TlsEndpoint>, std::string> TlsEndpoint::Create(
    bool server, const TlsCredentials& creds) {
  auto impl = std::make_unique<Impl>();
  impl->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!impl->ctx) return MakeUnexpected(OpenSslError("SSL_CTX_new"));
  SSL_CTX* ctx = impl->ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  for (size_t i = 0; i < creds.certs.size(); ++i) {
    const uint8_t* p = creds.certs[i].data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(creds.certs[i].size()));
    if (!x) return MakeUnexpected(OpenSslError("our certificate does not parse"));
    int ok = i == 0 ? SSL_CTX_use_certificate(ctx, x) : SSL_CTX_add1_chain_cert(ctx, x);
    X509_free(x);
    if (ok != 1) return MakeUnexpected(OpenSslError("our certificate is not usable for TLS"));
  }
  if (!creds.private_key_der.empty()) {
    const uint8_t* p = creds.private_key_der.data();
    EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(creds.private_key_der.size()));
    if (!key) return MakeUnexpected(OpenSslError("our private key does not parse"));
    int ok = SSL_CTX_use_PrivateKey(ctx, key);
    EVP_PKEY_free(key);
    if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      return MakeUnexpected(OpenSslError("our private key does not match the certificate"));
    }
  }
  if (creds.ca_certs.empty()) return MakeUnexpected(std::string("no CA to verify the TLS peer"));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const Bytes& der : creds.ca_certs) {
    const uint8_t* p = der.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (!x) return MakeUnexpected(OpenSslError("a CA certificate does not parse"));
    X509_STORE_add_cert(store, x);
    X509_free(x);
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     nullptr);
  impl->ssl = SSL_new(ctx);
  impl->rbio = BIO_new(BIO_s_mem());
  impl->wbio = BIO_new(BIO_s_mem());
  if (!impl->ssl || !impl->rbio || !impl->wbio) {
    if (impl->rbio) BIO_free(impl->rbio);
    if (impl->wbio) BIO_free(impl->wbio);
    return MakeUnexpected(OpenSslError("SSL_new"));
  }
  SSL_set_bio(impl->ssl, impl->rbio, impl->wbio);
  if (server) {
    SSL_set_accept_state(impl->ssl);
  } else {
    SSL_set_connect_state(impl->ssl);
  }
  return std::unique_ptr<TlsEndpoint>(new TlsEndpoint(std::move(impl), server));
}

TlsEndpoint::Out TlsEndpoint::Fail(std::string reason) {
  return Out{Status::kFailed, {}, std::move(reason)};
}

Result<void, std::string> TlsEndpoint::Drive() {
  int r = SSL_do_handshake(impl_->ssl);
  if (r == 1) {
    if (!finished_) {
      finished_ = true;
      SecretBytes msk(64);
      if (SSL_export_keying_material(impl_->ssl, msk.data(), msk.size(), kMskLabel,
                                     sizeof(kMskLabel) - 1, nullptr, 0, 0) != 1) {
        return MakeUnexpected(OpenSslError("deriving the EAP-TLS MSK"));
      }
      msk_ = std::move(msk);
      if (X509* peer = SSL_get0_peer_certificate(impl_->ssl)) {
        int len = i2d_X509(peer, nullptr);
        if (len > 0) {
          peer_cert_.resize(static_cast<size_t>(len));
          uint8_t* p = peer_cert_.data();
          i2d_X509(peer, &p);
        }
      }
    }
  } else {
    int err = SSL_get_error(impl_->ssl, r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
      std::string why = OpenSslError("TLS handshake failed");
      long vr = SSL_get_verify_result(impl_->ssl);
      if (vr != X509_V_OK) why += std::string(" (certificate: ") + X509_verify_cert_error_string(vr) + ")";
      return MakeUnexpected(why);
    }
  }
  size_t pending = BIO_ctrl_pending(impl_->wbio);
  if (pending > 0) {
    Bytes more(pending);
    int n = BIO_read(impl_->wbio, more.data(), static_cast<int>(pending));
    if (n > 0) {
      more.resize(static_cast<size_t>(n));
      out_ = std::move(more);
      out_sent_ = 0;
      out_first_ = true;
    }
  }
  return {};
}

TlsEndpoint::Out TlsEndpoint::NextFragment() {
  size_t remaining = out_.size() - out_sent_;
  size_t n = std::min(remaining, kFragment);
  bool more = n < remaining;
  Bytes d;
  uint8_t flags = (more ? kFlagMore : 0) | (out_first_ ? kFlagLength : 0);
  d.push_back(flags);
  if (out_first_) {
    uint32_t total = static_cast<uint32_t>(out_.size());
    d.push_back(static_cast<uint8_t>(total >> 24));
    d.push_back(static_cast<uint8_t>(total >> 16));
    d.push_back(static_cast<uint8_t>(total >> 8));
    d.push_back(static_cast<uint8_t>(total));
  }
  d.insert(d.end(), out_.begin() + static_cast<std::ptrdiff_t>(out_sent_),
           out_.begin() + static_cast<std::ptrdiff_t>(out_sent_ + n));
  out_sent_ += n;
  out_first_ = false;
  return Out{Status::kContinue, std::move(d), {}};
}

TlsEndpoint::Out TlsEndpoint::Process(ByteView data) {
  if (data.empty()) return Fail("EAP-TLS packet without flags");
  uint8_t flags = data[0];
  size_t pos = 1;
  if (flags & kFlagLength) {
    if (data.size() < 5) return Fail("EAP-TLS length field cut short");
    size_t total = static_cast<size_t>(data[1]) << 24 | static_cast<size_t>(data[2]) << 16 |
                   static_cast<size_t>(data[3]) << 8 | data[4];
    if (total > kMaxMessage) return Fail("EAP-TLS message too large");
    if (in_.empty()) in_expected_ = total;
    pos = 5;
  }
  ByteView fragment = data.subspan(pos);
  if (flags & kFlagStart) {
    if (server_ || started_) return Fail("unexpected EAP-TLS Start");
    started_ = true;
    auto r = Drive();
    if (!r) return Fail(r.error());
    if (out_.empty()) return Fail("TLS produced no ClientHello");
    return NextFragment();
  }
  if (!server_ && !started_) return Fail("EAP-TLS data before Start");
  started_ = true;
  if (fragment.empty() && !(flags & kFlagMore)) {
    // An acknowledgement: the next fragment of ours, or the end.
    if (out_sent_ < out_.size()) return NextFragment();
    if (finished_ && server_) return Out{Status::kDone, {}, {}};
    return Fail("unexpected empty EAP-TLS packet");
  }
  if (in_.size() + fragment.size() > kMaxMessage) return Fail("EAP-TLS message too large");
  in_.insert(in_.end(), fragment.begin(), fragment.end());
  if (flags & kFlagMore) return Out{Status::kContinue, Bytes{0x00}, {}};  // ack
  if (in_expected_ && in_.size() != in_expected_) {
    return Fail("EAP-TLS message length does not match its L field");
  }
  if (BIO_write(impl_->rbio, in_.data(), static_cast<int>(in_.size())) != static_cast<int>(in_.size())) {
    return Fail("buffering TLS data failed");
  }
  in_.clear();
  in_expected_ = 0;
  out_.clear();
  out_sent_ = 0;
  auto r = Drive();
  if (!r) return Fail(r.error());
  if (!out_.empty()) return NextFragment();
  if (finished_) {
    // Peer: our acknowledgement of the server's last flight.
    return Out{Status::kDone, server_ ? Bytes{} : Bytes{0x00}, {}};
  }
  return Fail("the TLS handshake stalled");
}

}  // namespace ike::eap
