// EAP packets and the MSCHAPv2 server and peer state machines over
// arbitrary input: decode, then feed the packet to a server waiting for an
// identity, a server waiting for a challenge response, and a peer.
#include <cstddef>
#include <cstdint>

#include "libike/eap/eap_method.h"
#include "libike/eap/eap_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ike;
  auto packet = eap::Decode(ByteView(data, size));
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
