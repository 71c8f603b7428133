// Independent check of the encoder: Wireshark's ISAKMP dissector (tshark)
// must decode every sample message without "Malformed" or expert warnings,
// and show the fields we put in. The test writes a pcap (Ethernet/IPv4/UDP
// 500, or 4500 with the non-ESP marker) and runs `tshark -V` and
// `tshark -z expert` on it. Skips without tshark; fails with CI=true.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/writer.h"
#include "libike/ikev1/message.h"
#include "tests/unit/ikev1/samples.h"

namespace ike::v1 {
namespace {

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

bool HaveTshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

std::string RunCommand(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

void PutLe32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutLe16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

uint16_t Ipv4Checksum(const uint8_t* hdr, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t{hdr[i]} << 8 | hdr[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// One Ethernet/IPv4/UDP frame 192.0.2.1 -> 192.0.2.2 (documentation range).
Bytes Frame(const Bytes& isakmp, uint16_t port) {
  Bytes udp_payload;
  if (port == 4500) udp_payload = {0, 0, 0, 0};  // non-ESP marker (RFC 3948)
  udp_payload.insert(udp_payload.end(), isakmp.begin(), isakmp.end());
  Bytes f;
  Writer w(f);
  w.WriteBytes(HexOrDie("020000000002020000000001"));
  w.WriteU16(0x0800);
  size_t ip = f.size();
  w.WriteU8(0x45);
  w.WriteU8(0);
  w.WriteU16(static_cast<uint16_t>(20 + 8 + udp_payload.size()));
  w.WriteU16(1);
  w.WriteU16(0x4000);
  w.WriteU8(64);
  w.WriteU8(17);
  w.WriteU16(0);
  w.WriteBytes(HexOrDie("c0000201c0000202"));
  w.PatchU16(ip + 10, Ipv4Checksum(f.data() + ip, 20));
  w.WriteU16(port);
  w.WriteU16(port);
  w.WriteU16(static_cast<uint16_t>(8 + udp_payload.size()));
  w.WriteU16(0);
  w.WriteBytes(udp_payload);
  return f;
}

Bytes Pcap(const std::vector<Bytes>& frames) {
  Bytes b;
  PutLe32(b, 0xa1b2c3d4);
  PutLe16(b, 2);
  PutLe16(b, 4);
  PutLe32(b, 0);
  PutLe32(b, 0);
  PutLe32(b, 65535);
  PutLe32(b, 1);  // LINKTYPE_ETHERNET
  uint32_t t = 1700000000;
  for (const Bytes& f : frames) {
    PutLe32(b, t++);
    PutLe32(b, 0);
    PutLe32(b, static_cast<uint32_t>(f.size()));
    PutLe32(b, static_cast<uint32_t>(f.size()));
    b.insert(b.end(), f.begin(), f.end());
  }
  return b;
}

class V1TsharkCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTshark()) {
      if (InCi()) FAIL() << "tshark is required with CI=true (apt-get install tshark)";
      GTEST_SKIP() << "tshark not installed (Debian package tshark)";
    }
    char tmpl[] = "/tmp/ike_v1wire_tshark.XXXXXX";
    char* dir = mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::remove((dir_ + "/isakmp.pcap").c_str());
      rmdir(dir_.c_str());
    }
  }

  std::string Dissect(const std::vector<Bytes>& frames, std::string& expert) {
    std::string path = dir_ + "/isakmp.pcap";
    Bytes pcap = Pcap(frames);
    FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    if (f == nullptr) return {};
    std::fwrite(pcap.data(), 1, pcap.size(), f);
    std::fclose(f);
    int status = 0;
    std::string out = RunCommand("tshark -n -r " + path + " -V", status);
    EXPECT_EQ(status, 0) << out;
    expert = RunCommand("tshark -n -r " + path + " -q -z expert,warn", status);
    EXPECT_EQ(status, 0) << expert;
    return out;
  }

  std::string dir_;
};

void ExpectClean(const std::string& out, const std::string& expert) {
  EXPECT_EQ(out.find("Malformed"), std::string::npos) << out;
  EXPECT_EQ(out.find("[Expert Info (Error"), std::string::npos) << out;
  EXPECT_EQ(out.find("[Expert Info (Warning"), std::string::npos) << out;
  EXPECT_EQ(expert.find("Errors ("), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Warns ("), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Malformed"), std::string::npos) << expert;
}

void ExpectContains(const std::string& out, const std::vector<std::string>& needles) {
  for (const std::string& n : needles) {
    EXPECT_NE(out.find(n), std::string::npos) << "missing \"" << n << "\" in tshark output";
  }
}

TEST_F(V1TsharkCheck, DecodesEverySampleCleanly) {
  std::vector<Bytes> frames;
  for (const auto& [name, m] : testing::AllSamples()) {
    frames.push_back(Frame(EncodeMessage(m), name == std::string("quick_mode_1") ? 4500 : 500));
  }
  std::string expert;
  std::string out = Dissect(frames, expert);
  ExpectClean(out, expert);
  ExpectContains(out, {
      "Version: 1.0",
      "Exchange type: Identity Protection (Main Mode) (2)",
      "Exchange type: Aggressive (4)",
      "Exchange type: Quick Mode (32)",
      "Exchange type: Transaction (Config Mode) (6)",
      "Exchange type: Informational (5)",
      ".... ...1 = Encryption: Encrypted",
      "Encrypted Data (448 bytes)",
      "Non-ESP Marker",
      // Main Mode 1: every transform and its attributes.
      "Payload: Transform (3) # 5",
      "Encryption Algorithm: AES-CBC (7)",
      "Encryption Algorithm: 3DES-CBC (5)",
      "Key Length: 256",
      "Key Length: 128",
      "HASH Algorithm: SHA2-256 (4)",
      "HASH Algorithm: SHA (2)",
      "Authentication Method: RSA signatures (3)",
      "Authentication Method: Pre-shared key (1)",
      "Authentication Method: XAUTHInitPreShared (65001)",
      "Group Description: 2048 bit MODP group (14)",
      "Group Description: Alternate 1024-bit MODP group (2)",
      "IKE Attribute (t=12,l=4): Life-Duration: 86400",
      "IKE Attribute (t=12,l=2): Life-Duration: 28800",
      "Vendor ID: RFC 3947 Negotiation of NAT-Traversal in the IKE",
      "Vendor ID: draft-ietf-ipsec-nat-t-ike-02",
      "Vendor ID: RFC 3706 DPD (Dead Peer Detection)",
      "Vendor ID: XAUTH",
      // Quick Mode: ESP proposals, UDP encapsulation (RFC and draft), PFS.
      "Payload: Proposal (2) # 3",
      "Protocol ID: IPSEC_ESP (3)",
      "SPI: c1a2b3c4",
      "Transform ID: AES (12)",
      "Transform ID: 3DES (3)",
      "IPsec Attribute (t=4,l=2): Encapsulation-Mode: UDP-Encapsulated-Tunnel",
      "IPsec Attribute (t=4,l=2): Encapsulation-Mode: UDP-Encapsulated-Tunnel (draft)",
      "IPsec Attribute (t=5,l=2): Authentication-Algorithm: HMAC-SHA2-256",
      "IPsec Attribute (t=2,l=4): SA-Life-Duration: 4608000",
      "IPsec Attribute (t=3,l=2): Group-Description: 2048 bit MODP group",
      "ID_IPV4_SUBNET: 255.255.0.0",
      "NAT Original IPv4 Address: 198.51.100.7",
      // Main Mode 3 / Informational.
      "Payload: NAT-D (RFC 3947) (20)",
      "Payload: NAT-D (draft-ietf-ipsec-nat-t-ike-01 to 03) (130)",
      "Payload: NAT-OA (draft-ietf-ipsec-nat-t-ike-01 to 03) (131)",
      "NAT Original IPv6 Address: 2001:db8::3",
      "Payload: Certificate Request (7)",
      "Certificate Encoding: X.509 Certificate - Signature (4)",
      "id-at-commonName=moon.example.org",
      "Payload: Signature (9)",
      "Notify Message Type: INITIAL-CONTACT (24578)",
      "Notify Message Type: R-U-THERE (36136)",
      "Payload: Delete (12)",
      "Number of SPIs: 2",
      "ID_FQDN: client.example.org",
      "ID_IPV6_ADDR: 2001:db8::2",
      "ID_IPV4_ADDR: 192.0.2.1",
      // Transaction: Mode Config and XAuth attributes.
      "Type: ISAKMP_CFG_REPLY (2)",
      "Type: ISAKMP_CFG_REQUEST (1)",
      "INTERNAL IP4 ADDRESS: 10.3.0.1",
      "INTERNAL IP4 NETMASK: 255.255.255.255",
      "INTERNAL IP4 DNS: 10.3.255.54",
      "INTERNAL IP4 NBNS: 10.3.255.137",
      "INTERNAL IP4 SUBNET (IP): 10.4.0.0",
      "INTERNAL IP6 ADDRESS: 2001:db8::1",
      "Type: XAUTH_USER_NAME (16521)",
      "Type: XAUTH_USER_PASSWORD (16522)",
      "XAUTH MESSAGE: Login",
  });
}

// Negative control: a Nonce whose length runs past the datagram is flagged.
TEST_F(V1TsharkCheck, FlagsABrokenMessage) {
  Message m;
  m.payloads = {NoncePayload{testing::Fill(16, 1)}};
  Bytes bytes = EncodeMessage(m);
  bytes[kHeaderSize + 3] += 8;
  std::string expert;
  std::string out = Dissect({Frame(bytes, 500)}, expert);
  EXPECT_TRUE(out.find("Malformed") != std::string::npos ||
              expert.find("Errors (") != std::string::npos ||
              expert.find("Warns (") != std::string::npos)
      << out << expert;
}

}  // namespace
}  // namespace ike::v1
