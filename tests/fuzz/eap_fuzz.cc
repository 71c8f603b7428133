// EAP packets and the EAP method state machines over arbitrary input:
// decode, then feed the packet to MSCHAPv2 servers (waiting for an
// identity, for a challenge response) and peer, and its type data to an
// EAP-TLS server and peer (framing, reassembly and the TLS parser behind
// them). The TLS credentials are made once, in memory.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>

#include "libike/eap/eap_method.h"
#include "libike/eap/eap_packet.h"
#include "libike/eap/eap_tls.h"

namespace {

ike::Bytes Der(int (*fn)(const void*, unsigned char**), const void* obj) {
  int len = fn(obj, nullptr);
  ike::Bytes out(len > 0 ? static_cast<size_t>(len) : 0);
  unsigned char* p = out.data();
  if (len > 0) fn(obj, &p);
  return out;
}

const ike::eap::TlsCredentials& Credentials() {
  static const ike::eap::TlsCredentials creds = [] {
    ike::eap::TlsCredentials c;
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fuzz"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    c.certs = {Der([](const void* o, unsigned char** p) { return i2d_X509(static_cast<X509*>(const_cast<void*>(o)), p); }, x)};
    c.ca_certs = c.certs;
    c.private_key_der = Der([](const void* o, unsigned char** p) {
      return i2d_PrivateKey(static_cast<EVP_PKEY*>(const_cast<void*>(o)), p);
    }, key);
    X509_free(x);
    EVP_PKEY_free(key);
    return c;
  }();
  return creds;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike;
  ByteView input(data, size);
  // The raw input as EAP-TLS type data, on both sides.
  if (auto server = eap::TlsEndpoint::Create(true, Credentials())) (void)(*server)->Process(input);
  if (auto peer = eap::TlsEndpoint::Create(false, Credentials())) {
    (void)(*peer)->Process(eap::TlsEndpoint::StartData());
    (void)(*peer)->Process(input);
  }
  auto packet = eap::Decode(input);
  if (!packet) return 0;
  (void)eap::Encode(*packet);
  eap::RandomFn rng = [](size_t n) { return Bytes(n, 0x5a); };
  SecretBytes pw(Bytes{'p', 'w'});
  eap::UserLookup users = [&pw](const Bytes&) { return &pw; };
  eap::Server ask(eap::Type::kMschapv2, {}, "gw", users, rng);
  eap::Packet first = ask.Start();
  eap::Packet p = *packet;
  p.id = first.id;
  (void)ask.Process(p);
  eap::Server known(eap::Type::kMschapv2, Bytes{'u'}, "gw", users, rng);
  eap::Packet chal = known.Start();
  p.id = chal.id;
  (void)known.Process(p);
  eap::Peer peer(eap::Type::kMschapv2, Bytes{'u'}, pw.Clone(), rng);
  (void)peer.Process(*packet);
  return 0;
}
