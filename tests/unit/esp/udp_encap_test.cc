// RFC 3948 demultiplexing of the port shared by IKE and ESP.
#include "xfrm/esp/udp_encap.h"

#include <gtest/gtest.h>

namespace ike::esp {
namespace {

TEST(Udp4500, Keepalive) {
  const uint8_t ka[] = {0xff};
  EXPECT_EQ(ClassifyUdp4500(ka), Udp4500Kind::kKeepalive);
}

TEST(Udp4500, NonEspMarkerIsIke) {
  const uint8_t ike[] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(ClassifyUdp4500(ike), Udp4500Kind::kIke);
}

TEST(Udp4500, EspNeedsSpiAndSeq) {
  const uint8_t esp[] = {0, 0, 1, 0, 0, 0, 0, 1};
  EXPECT_EQ(ClassifyUdp4500(esp), Udp4500Kind::kEsp);
  EXPECT_EQ(ClassifyUdp4500(ByteView(esp, 7)), Udp4500Kind::kInvalid);
  const uint8_t one[] = {0x00};
  EXPECT_EQ(ClassifyUdp4500(one), Udp4500Kind::kInvalid);
  EXPECT_EQ(ClassifyUdp4500({}), Udp4500Kind::kInvalid);
}

}  // namespace
}  // namespace ike::esp
