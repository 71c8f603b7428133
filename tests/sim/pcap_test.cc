// Wire-level sanity: a whole simulated exchange (IKE_SA_INIT, IKE_AUTH over
// NAT-T with fragments, CREATE_CHILD_SA, INFORMATIONAL) written to pcap and
// dissected by tshark without malformed-packet or expert errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/sim/pcap_writer.h"
#include "tests/sim/scenario_util.h"

namespace ike::sim {
namespace {

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string RunCommand(const std::string& cmd, int& status) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
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

TEST(Pcap, SimulatedExchangeDissectsCleanly) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    if (InCi()) FAIL() << "tshark is required with CI=true";
    GTEST_SKIP() << "tshark not installed (Debian package tshark)";
  }
  SimNet net(11);
  SimNode& moon = net.AddNode("moon", {Ip("10.9.0.5")});
  SimNode& sun = net.AddNode("sun", {Ip("198.51.100.2")});
  net.AddNat(Ip("10.9.0.5"), Ip("203.0.113.9"));
  auto m = MoonSpec();
  m.local = Ip("10.9.0.5");
  auto s = SunSpec();
  s.remote = IpAddress();
  auto mc = PskConfig(m);
  auto sc = PskConfig(s);
  mc.fragment_size = sc.fragment_size = 200;
  moon.engine().AddConfig(std::move(mc));
  sun.engine().AddConfig(std::move(sc));
  net.Initiate(moon, "gw");
  ASSERT_TRUE(net.RunUntil([&] { return moon.Established("gw") && sun.Established("gw"); },
                           std::chrono::seconds(10)));
  net.RunFor(std::chrono::seconds(1));
  const auto* sa = moon.Established("gw");
  net.Input(moon, engine::Command{engine::RekeyChildCommand{sa->id(), sa->children()[0].spi_in}});
  net.RunFor(std::chrono::seconds(2));
  net.Input(moon, engine::Command{engine::TerminateIkeCommand{sa->id()}});
  net.RunFor(std::chrono::seconds(2));
  ASSERT_TRUE(moon.engine().sas().empty());

  char tmpl[] = "/tmp/ike_sim_pcap.XXXXXX";
  char* dir = mkdtemp(tmpl);
  ASSERT_NE(dir, nullptr);
  std::string path = std::string(dir) + "/sim.pcap";
  ASSERT_TRUE(WritePcap(path, net.captured()));
  int status = 0;
  std::string out = RunCommand("tshark -n -r " + path + " -V", status);
  EXPECT_EQ(status, 0) << out;
  std::string expert = RunCommand("tshark -n -r " + path + " -q -z expert,warn", status);
  EXPECT_EQ(status, 0);
  std::remove(path.c_str());
  rmdir(dir);
  EXPECT_EQ(out.find("Malformed"), std::string::npos) << out;
  EXPECT_EQ(out.find("[Expert Info (Error"), std::string::npos) << out;
  EXPECT_EQ(expert.find("Errors ("), std::string::npos) << expert;
  EXPECT_EQ(expert.find("Malformed"), std::string::npos) << expert;
  for (const char* needle :
       {"Exchange type: IKE_SA_INIT (34)", "Exchange type: IKE_AUTH (35)",
        "Exchange type: CREATE_CHILD_SA (36)", "Exchange type: INFORMATIONAL (37)",
        "NAT_DETECTION_SOURCE_IP (16388)", "IKEV2_FRAGMENTATION_SUPPORTED (16430)",
        "SIGNATURE_HASH_ALGORITHMS (16431)", "Encrypted and Authenticated Fragment (53)",
        "Encrypted and Authenticated (46)"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << "missing " << needle;
  }
}

}  // namespace
}  // namespace ike::sim
