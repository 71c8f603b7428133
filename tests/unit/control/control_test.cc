#include <gtest/gtest.h>

#include "cli/control/protocol.h"
#include "cli/ipsecctl/render.h"

namespace ike::control {
namespace {

std::string Body(const Bytes& frame) { return std::string(frame.begin() + 4, frame.end()); }

TEST(ControlProtocol, RequestRoundTrip) {
  Request r{7, Command::kInitiate, {{"child", "net"}, {"timeout_ms", 5000}}};
  Bytes frame = EncodeFrame(ToJson(r));
  ASSERT_GE(frame.size(), 4u);
  EXPECT_EQ(frame.size() - 4, (size_t{frame[2]} << 8) | frame[3]);
  auto parsed = ParseRequest(Body(frame));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->id, 7u);
  EXPECT_EQ(parsed->command, Command::kInitiate);
  EXPECT_EQ(parsed->args["child"], "net");
}

TEST(ControlProtocol, EveryCommandNameRoundTrips) {
  for (Command c : AllCommands()) EXPECT_EQ(CommandFromName(CommandName(c)), c);
  EXPECT_FALSE(CommandFromName("reboot"));
}

TEST(ControlProtocol, ResponseAndEventRoundTrip) {
  Response ok{3, true, {{"message", "done"}}, {}};
  auto m = ParseServerMessage(Body(EncodeFrame(ToJson(ok))));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->response);
  EXPECT_TRUE(m->response->ok);
  EXPECT_EQ(m->response->result["message"], "done");

  Response bad{4, false, {}, {ErrorCode::kNotFound, "no connection 'x'"}};
  m = ParseServerMessage(Body(EncodeFrame(ToJson(bad))));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->response->error.code, ErrorCode::kNotFound);
  EXPECT_EQ(m->response->error.message, "no connection 'x'");
  EXPECT_EQ(ExitCodeFor(ErrorCode::kNotFound), 6);

  Event e{5, {{"type", "log"}, {"message", "hello"}}};
  m = ParseServerMessage(Body(EncodeFrame(ToJson(e))));
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->event);
  EXPECT_EQ(m->event->id, 5u);
}

struct BadRequestCase {
  const char* body;
  ErrorCode code;
};

TEST(ControlProtocol, BadRequestsGetTypedErrors) {
  const BadRequestCase cases[] = {
      {"not json", ErrorCode::kBadRequest},
      {"[1,2]", ErrorCode::kBadRequest},
      {R"({"command":"version"})", ErrorCode::kBadRequest},
      {R"({"version":99,"command":"version"})", ErrorCode::kUnsupportedVersion},
      {R"({"version":1,"command":"format-disk"})", ErrorCode::kUnknownCommand},
      {R"({"version":1,"command":7})", ErrorCode::kBadRequest},
      {R"({"version":1,"command":"version","args":[]})", ErrorCode::kBadRequest},
      {R"({"version":1,"command":"version","extra":1})", ErrorCode::kBadRequest},
      {R"({"version":1,"id":-1,"command":"version"})", ErrorCode::kBadRequest},
  };
  for (const auto& c : cases) {
    auto r = ParseRequest(c.body);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, c.code) << c.body << ": " << r.error().message;
  }
}

TEST(FrameDecoder, ReassemblesSplitFramesAndRejectsBadLengths) {
  Bytes a = EncodeFrame(nlohmann::json{{"a", 1}});
  Bytes b = EncodeFrame(nlohmann::json{{"b", 2}});
  Bytes both = a;
  both.insert(both.end(), b.begin(), b.end());
  FrameDecoder d;
  for (uint8_t byte : both) {
    d.Append(ByteView(&byte, 1));
  }
  auto f1 = d.Next();
  ASSERT_TRUE(f1 && f1->has_value());
  EXPECT_EQ(**f1, R"({"a":1})");
  auto f2 = d.Next();
  ASSERT_TRUE(f2 && f2->has_value());
  EXPECT_EQ(**f2, R"({"b":2})");
  auto none = d.Next();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  FrameDecoder huge;
  huge.Append(HexOrDie("7fffffff"));
  EXPECT_FALSE(huge.Next());
  FrameDecoder empty;
  empty.Append(HexOrDie("00000000"));
  EXPECT_FALSE(empty.Next());
}

// The daemon reads requests up to 1 MiB; the client takes answers as large
// as list-sas with many thousand SAs (2 MiB here: waits for the body).
TEST(FrameDecoder, ClientTakesLargeAnswers) {
  FrameDecoder server;
  server.Append(HexOrDie("00200000"));
  EXPECT_FALSE(server.Next());
  FrameDecoder client(kMaxResponseFrameSize);
  client.Append(HexOrDie("00200000"));
  auto r = client.Next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(Render, TablesAndSaListing) {
  ipsecctl::Table t({"A", "LONGER"});
  t.AddRow({"x1", "y"});
  EXPECT_EQ(t.ToString(), "A   LONGER\nx1  y\n");
  nlohmann::json sas = {
      {"ike_sas",
       {{{"name", "gw"},
         {"unique_id", 1},
         {"state", "ESTABLISHED"},
         {"version", 2},
         {"local", {{"host", "198.51.100.1"}, {"port", 500}, {"id", "moon"}}},
         {"remote", {{"host", "198.51.100.2"}, {"port", 500}, {"id", "sun"}}},
         {"children",
          {{{"name", "net"}, {"unique_id", 2}, {"state", "INSTALLED"}, {"mode", "TUNNEL"},
            {"protocol", "ESP"}, {"local_ts", {"192.0.2.0/24"}}, {"remote_ts", {"203.0.113.0/24"}}}}}}}}};
  std::string text = ipsecctl::Render(Command::kListSas, sas);
  EXPECT_NE(text.find("gw: #1, ESTABLISHED, IKEv2"), std::string::npos) << text;
  EXPECT_NE(text.find("net: #2, INSTALLED, TUNNEL, ESP"), std::string::npos) << text;
  EXPECT_NE(text.find("remote 203.0.113.0/24"), std::string::npos) << text;
  EXPECT_EQ(ipsecctl::Render(Command::kListSas, nlohmann::json::object()), "no IKE_SAs\n");
  // A gateway's view of a roadwarrior: the leased virtual IP in brackets.
  sas["ike_sas"][0]["remote_vips"] = {"10.3.7.1"};
  text = ipsecctl::Render(Command::kListSas, sas);
  EXPECT_NE(text.find("remote 'sun' @ 198.51.100.2[500] [10.3.7.1]"), std::string::npos) << text;
  // rekey_time = 0: the daemon reports -1 for "no rekey scheduled".
  sas["ike_sas"][0]["rekey_in_s"] = 3600;
  sas["ike_sas"][0]["children"][0]["rekey_in_s"] = -1;
  text = ipsecctl::Render(Command::kListSas, sas);
  EXPECT_NE(text.find("rekey in 3600s"), std::string::npos) << text;
  EXPECT_NE(text.find("out - B / - pkt, no rekey"), std::string::npos) << text;
  // An IKEv1 ISAKMP SA: its cookies are the SPIs, Quick Mode SAs its children.
  sas["ike_sas"][0]["version"] = 1;
  sas["ike_sas"][0]["aggressive"] = true;
  sas["ike_sas"][0]["spi_i"] = "36ea4e640637d3b8";
  sas["ike_sas"][0]["spi_r"] = "1ae1f30810cf0c99";
  sas["ike_sas"][0]["children"][0]["encap"] = true;
  sas["ike_sas"][0]["children"][0]["spi_in"] = "c1a2b3c4";
  sas["ike_sas"][0]["children"][0]["spi_out"] = "0d0e0f10";
  text = ipsecctl::Render(Command::kListSas, sas);
  EXPECT_NE(text.find("gw: #1, ESTABLISHED, IKEv1 (Aggressive Mode), 36ea4e640637d3b8_i 1ae1f30810cf0c99_r"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("net: #2, INSTALLED, TUNNEL, ESP in UDP, SPIs c1a2b3c4_i 0d0e0f10_o"), std::string::npos)
      << text;
}

TEST(Render, PoolsWithLeases) {
  nlohmann::json pools = {
      {"pools",
       {{{"name", "rw"}, {"base", "10.3.7.1-10.3.7.14"}, {"size", 14}, {"online", 1}, {"offline", 1},
         {"leases",
          {{{"address", "10.3.7.1"}, {"identity", "alice"}, {"status", "online"}},
           {{"address", "10.3.7.2"}, {"identity", "bob"}, {"status", "offline"}}}}}}}};
  std::string text = ipsecctl::Render(Command::kListPools, pools);
  EXPECT_NE(text.find("rw    10.3.7.1-10.3.7.14  14    1       1"), std::string::npos) << text;
  EXPECT_NE(text.find("rw 10.3.7.1 online 'alice'"), std::string::npos) << text;
  EXPECT_NE(text.find("rw 10.3.7.2 offline 'bob'"), std::string::npos) << text;
}

}  // namespace
}  // namespace ike::control
