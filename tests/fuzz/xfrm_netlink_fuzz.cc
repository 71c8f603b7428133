// libFuzzer target for the NETLINK_XFRM decoders (xfrm/netlink/xfrm_codec.h):
// datagram splitting, ACKs with extended-ack TLVs, SA and policy replies,
// multicast events, the MOBIKE re-encoding of an SA, and the /proc/crypto parser. Memory only, no I/O.
#include <cstddef>
#include <cstdint>
#include <linux/netlink.h>
#include <string_view>

#include "xfrm/netlink/kernel_probe.h"
#include "xfrm/netlink/xfrm_codec.h"

using namespace ike::xfrm::netlink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ike::ByteView input(data, size);
  auto messages = SplitMessages(input);
  if (messages) {
    for (const MessageView& m : *messages) {
      if (m.type == NLMSG_ERROR) {
        auto ack = DecodeAck(m);
        if (ack) (void)MapKernelError(-ack->error, ack->request_type, "fuzz", ack->extack);
      }
      auto ev = DecodeEvent(m);
      (void)ev;
      auto sa = DecodeSa(m);
      if (sa) (void)Describe(sa->id);
      // MOBIKE: a GETSA answer re-encoded at new addresses.
      if (sa) {
        ike::xfrm::SaParams to;
        to.id = sa->id;
        to.src = sa->src;
        to.encap = ike::xfrm::Encap{4500, 4500};
        auto moved = EncodeMovedSa(m, to);
        if (moved) (void)moved->bytes();
      }
      auto pol = DecodePolicy(m);
      if (pol) (void)Describe(ike::xfrm::PolicyId{pol->params.selector, pol->params.direction,
                                       pol->params.mark, pol->params.if_id});
    }
  }
  if (size < 4096) {
    auto drivers = ParseProcCrypto(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)MatchKernelAlgorithms(drivers);
  }
  return 0;
}
