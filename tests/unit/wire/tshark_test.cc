// Independent check of the encoder: Wireshark's IKEv2 dissector (tshark)
// must decode every sample message without "Malformed" or expert errors.
// The test writes a pcap (Ethernet/IPv4/UDP, ports 500 and 4500 with the
// non-ESP marker) and runs `tshark -V` and `tshark -z expert` on it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/writer.h"
#include "libike/wire/message.h"
#include "tests/unit/wire/sample_messages.h"

namespace ike::wire {
namespace {

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

bool HaveTshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

// Runs a shell command and returns its stdout (stderr merged); rc in `status`.
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

// One Ethernet/IPv4/UDP frame from 192.0.2.1 to 192.0.2.2 (documentation range).
Bytes Frame(const Bytes& ike, uint16_t port, bool to_responder) {
  Bytes udp_payload;
  if (port == 4500) udp_payload = {0, 0, 0, 0};  // non-ESP marker (RFC 3948)
  udp_payload.insert(udp_payload.end(), ike.begin(), ike.end());
  Bytes f;
  Writer w(f);
  // Ethernet
  w.WriteBytes(HexOrDie(to_responder ? "020000000002" : "020000000001"));
  w.WriteBytes(HexOrDie(to_responder ? "020000000001" : "020000000002"));
  w.WriteU16(0x0800);
  // IPv4
  size_t ip = f.size();
  w.WriteU8(0x45);
  w.WriteU8(0);
  w.WriteU16(static_cast<uint16_t>(20 + 8 + udp_payload.size()));
  w.WriteU16(1);
  w.WriteU16(0x4000);  // DF
  w.WriteU8(64);
  w.WriteU8(17);
  w.WriteU16(0);  // checksum, patched
  w.WriteBytes(HexOrDie(to_responder ? "c0000201" : "c0000202"));
  w.WriteBytes(HexOrDie(to_responder ? "c0000202" : "c0000201"));
  w.PatchU16(ip + 10, Ipv4Checksum(f.data() + ip, 20));
  // UDP (checksum 0: none, allowed for IPv4)
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

class TsharkCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTshark()) {
      if (InCi()) FAIL() << "tshark is required with CI=true (apt-get install tshark)";
      GTEST_SKIP() << "tshark not installed (Debian package tshark)";
    }
    char tmpl[] = "/tmp/ike_wire_tshark.XXXXXX";
    char* dir = mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::remove((dir_ + "/ike.pcap").c_str());
      rmdir(dir_.c_str());
    }
  }

  // Writes the frames, returns `tshark -V` output; expert output in `expert`.
  std::string Dissect(const std::vector<Bytes>& frames, std::string& expert) {
    std::string path = dir_ + "/ike.pcap";
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
  // The expert summary lists nothing at warning level or above.
  EXPECT_EQ(expert.find("Errors ("), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Warns ("), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Malformed"), std::string::npos) << expert;
}

void ExpectContains(const std::string& out, const std::vector<std::string>& needles) {
  for (const std::string& n : needles) {
    EXPECT_NE(out.find(n), std::string::npos) << "missing \"" << n << "\" in tshark output";
  }
}

TEST_F(TsharkCheck, DecodesEveryMessageCleanly) {
  std::vector<Bytes> frames = {
      Frame(EncodeMessage(testing::IkeSaInitRequest()), 500, true),
      Frame(EncodeMessage(testing::IkeSaInitResponse()), 500, false),
      Frame(EncodeMessage(testing::IkeAuthEncrypted()), 4500, true),
      Frame(EncodeMessage(testing::ClearPayloadsMessage()), 500, true),
      Frame(EncodeMessage(testing::SkfFragment()), 4500, true),
  };
  std::string expert;
  std::string out = Dissect(frames, expert);
  ExpectClean(out, expert);
  ExpectContains(out, {
      "Exchange type: IKE_SA_INIT (34)",
      "Exchange type: IKE_AUTH (35)",
      "Exchange type: INFORMATIONAL (37)",
      "Security Association (33)",
      "Key Exchange (34)",
      "Nonce (40)",
      "Notify (41)",
      "NAT_DETECTION_SOURCE_IP (16388)",
      "NAT_DETECTION_DESTINATION_IP (16389)",
      "IKEV2_FRAGMENTATION_SUPPORTED (16430)",
      "SIGNATURE_HASH_ALGORITHMS (16431)",
      "REKEY_SA (16393)",
      "Certificate Request (38)",
      "Vendor ID (43)",
      "Encrypted and Authenticated (46)",
      "Encrypted and Authenticated Fragment (53)",
      "Identification - Initiator (35)",
      "Identification - Responder (36)",
      "Certificate (37)",
      "Authentication (39)",
      "Configuration (47)",
      "Traffic Selector - Initiator (44)",
      "Traffic Selector - Responder (45)",
      "Delete (42)",
      "Extensible Authentication (48)",
      "INTERNAL_IP4_ADDRESS (1)",
      "TS_IPV6_ADDR_RANGE (8)",
      "gw.example.net",
  });
}

// The inner chain of an IKE_AUTH (what the SK payload carries) in clear.
TEST_F(TsharkCheck, DecodesIkeAuthInnerPayloadsInClear) {
  Message m = testing::IkeAuthEncrypted();
  m.payloads = testing::IkeAuthInnerPayloads();
  std::string expert;
  std::string out = Dissect({Frame(EncodeMessage(m), 4500, true)}, expert);
  ExpectClean(out, expert);
  ExpectContains(out, {"Exchange type: IKE_AUTH (35)", "moon.example.org", "INITIAL_CONTACT (16384)",
                       "MOBIKE_SUPPORTED (16396)", "Protocol ID: ESP (3)"});
}

// Negative control: the check above would notice a broken encoding. A
// Nonce payload whose length runs past the datagram must be flagged.
TEST_F(TsharkCheck, FlagsABrokenMessage) {
  Message m;
  m.header.exchange_type = ExchangeType::kIkeSaInit;
  m.payloads = {NoncePayload{testing::Fill(16, 1)}};
  Bytes bytes = EncodeMessage(m);
  bytes[kHeaderSize + 3] += 8;  // Nonce payload length 28 in a 48-octet datagram
  std::string expert;
  std::string out = Dissect({Frame(bytes, 500, true)}, expert);
  EXPECT_TRUE(out.find("Malformed") != std::string::npos ||
              expert.find("Errors (") != std::string::npos ||
              expert.find("Warns (") != std::string::npos)
      << out << expert;
}

}  // namespace
}  // namespace ike::wire
