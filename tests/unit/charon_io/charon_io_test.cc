#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "charon/daemon/control_server.h"
#include "charon/daemon/event_loop.h"
#include "charon/daemon/ike_socket.h"
#include "charon/daemon/log.h"
#include "cli/control/client.h"

namespace ike::charon {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, TimersFireInOrderAndCancel) {
  EventLoop loop;
  ASSERT_TRUE(loop.Init());
  std::vector<int> fired;
  loop.AddTimerIn(30ms, [&] { fired.push_back(3); loop.Stop(); });
  loop.AddTimerIn(10ms, [&] { fired.push_back(1); });
  auto cancelled = loop.AddTimerIn(20ms, [&] { fired.push_back(2); });
  loop.AddTimerIn(5ms, [&] { loop.AddTimerIn(1ms, [&] { fired.push_back(0); }); });
  loop.CancelTimer(cancelled);
  ASSERT_TRUE(loop.Run());
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 3}));
}

TEST(Logger, LevelSpecAndSubscribers) {
  Logger log(Logger::Sink::kStderr);
  std::string error;
  EXPECT_TRUE(log.ParseLevelSpec("warning,ike=debug", error));
  EXPECT_TRUE(log.Enabled(Subsystem::kIke, LogLevel::kDebug));
  EXPECT_FALSE(log.Enabled(Subsystem::kKernel, LogLevel::kInfo));
  EXPECT_FALSE(log.ParseLevelSpec("loud", error));
  EXPECT_NE(error.find("unknown log level 'loud'"), std::string::npos);
  EXPECT_FALSE(log.ParseLevelSpec("disk=info", error));
  std::vector<std::string> seen;
  uint64_t id = log.Subscribe(LogLevel::kInfo, [&](const LogRecord& r) { seen.push_back(r.message); });
  log.Log(Subsystem::kKernel, LogLevel::kInfo, LogContext{"gw", 3, "198.51.100.2[500]"}, "hello");
  log.Log(Subsystem::kKernel, LogLevel::kDebug, "too detailed");
  log.Unsubscribe(id);
  log.Log(Subsystem::kKernel, LogLevel::kError, "after");
  EXPECT_EQ(seen, (std::vector<std::string>{"hello"}));
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ctl-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "control.sock").string();
    ASSERT_TRUE(loop_.Init());
    server_ = std::make_unique<ControlServer>(loop_, log_);
    ASSERT_TRUE(server_->Listen(path_, std::nullopt));
    server_->SetHandler([this](const ReplyTo& to, const control::Request& r) {
      control::Response resp;
      if (r.command == control::Command::kVersion) {
        resp.result = {{"daemon", "test"}};
      } else if (r.command == control::Command::kLog) {
        server_->SendEvent(to, {{"type", "log"}, {"message", "one"}});
        server_->SendEvent(to, {{"type", "log"}, {"message", "two"}});
        return;
      } else {
        resp.ok = false;
        resp.error = {control::ErrorCode::kNotFound, "nothing named that"};
      }
      server_->Respond(to, resp);
    });
    thread_ = std::thread([this] { loop_.Run(); });
  }
  void TearDown() override {
    loop_.AddTimerIn(0ms, [this] { loop_.Stop(); });
    thread_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::string path_;
  EventLoop loop_;
  Logger log_{Logger::Sink::kStderr};
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
};

TEST_F(ControlServerTest, AnswersRequestsAndStreamsEvents) {
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::group_write);
  auto client = control::Client::Connect(path_);
  ASSERT_TRUE(client) << client.error().message;
  auto r = client->Call(control::Command::kVersion, {}, 5s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->result["daemon"], "test");
  r = client->Call(control::Command::kInitiate, {{"ike", "x"}}, 5s);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error.code, control::ErrorCode::kNotFound);
  std::vector<std::string> events;
  auto s = client->Stream(control::Command::kLog, {}, [&](const control::Event& e) {
    events.push_back(e.body["message"]);
    return events.size() < 2;
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(events, (std::vector<std::string>{"one", "two"}));
}

TEST_F(ControlServerTest, GarbageGetsAnErrorAndTheServerStaysUp) {
  {
    auto client = control::Client::Connect(path_);
    ASSERT_TRUE(client);
    // A valid frame holding invalid JSON: an error reply, connection kept.
    std::string junk = "{nope";
    Bytes frame = {0, 0, 0, static_cast<uint8_t>(junk.size())};
    frame.insert(frame.end(), junk.begin(), junk.end());
    ASSERT_TRUE(client->SendRaw(frame));
    auto m = client->ReadMessage(5s);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_TRUE(m->response);
    EXPECT_EQ(m->response->error.code, control::ErrorCode::kBadRequest);
    auto r = client->Call(control::Command::kVersion, {}, 5s);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->ok);
  }
  {
    // An impossible frame length: an error reply, then the server closes.
    auto client = control::Client::Connect(path_);
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->SendRaw(HexOrDie("ffffffff00")));
    auto m = client->ReadMessage(5s);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->response->error.code, control::ErrorCode::kBadRequest);
    auto closed = client->ReadMessage(5s);
    EXPECT_FALSE(closed);
  }
  auto client = control::Client::Connect(path_);
  ASSERT_TRUE(client);
  auto r = client->Call(control::Command::kVersion, {}, 5s);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_GE(server_->bad_requests(), 2u);
}

TEST(ControlClient, SaysWhenTheDaemonIsNotRunning) {
  auto client = control::Client::Connect("/nonexistent/dir/control.sock");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind, control::ClientError::Kind::kNotRunning);
  EXPECT_EQ(client.error().ExitCode(), 3);
}

// Sends raw bytes to 127.0.0.1:port from an ephemeral socket.
void SendUdp(uint16_t port, ByteView data) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  close(fd);
}

TEST(IkeSockets, DemultiplexesTheNattPortAndAnswersFromTheRightAddress) {
  EventLoop loop;
  ASSERT_TRUE(loop.Init());
  IkeSockets socks;
  std::vector<ReceivedDatagram> ike;
  std::vector<Bytes> esp;
  std::vector<std::string> notes;
  // High loopback ports so the test needs no privileges.
  IkeSockets::Options opts{uint16_t(20000 + getpid() % 20000), uint16_t(20001 + getpid() % 20000), true, false};
  auto opened = socks.Open(
      opts, loop, [&](ReceivedDatagram&& d) { ike.push_back(std::move(d)); },
      [&](ByteView e, const Endpoint&, const Endpoint&) { esp.emplace_back(e.begin(), e.end()); }, notes);
  ASSERT_TRUE(opened) << opened.error();
  SendUdp(opts.port, HexOrDie("aabbccdd"));                // IKE on 500: as is
  SendUdp(opts.natt_port, HexOrDie("00000000 11223344"));  // IKE on 4500: marker kept
  SendUdp(opts.natt_port, HexOrDie("ff"));                 // keepalive: dropped
  SendUdp(opts.natt_port, HexOrDie("00001001 00000001 ee"));  // ESP: to the data path
  SendUdp(opts.natt_port, HexOrDie("0000"));               // runt: dropped
  loop.AddTimerIn(200ms, [&] { loop.Stop(); });
  loop.Run();
  ASSERT_EQ(ike.size(), 2u);
  EXPECT_EQ(ToHex(ike[0].data), "aabbccdd");
  EXPECT_EQ(ike[0].local.address.ToString(), "127.0.0.1");
  EXPECT_EQ(ike[0].local.port, opts.port);
  EXPECT_EQ(ToHex(ike[1].data), "0000000011223344");
  ASSERT_EQ(esp.size(), 1u);
  EXPECT_EQ(ToHex(esp[0]), "0000100100000001ee");
  EXPECT_EQ(socks.stats().keepalives_received, 1u);
  EXPECT_EQ(socks.stats().dropped_short, 1u);

  // The engine's datagrams go out unchanged, from the NAT-T port.
  int peer = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(peer, reinterpret_cast<sockaddr*>(&me), sizeof(me));
  socklen_t len = sizeof(me);
  getsockname(peer, reinterpret_cast<sockaddr*>(&me), &len);
  Endpoint local{*IpAddress::Parse("127.0.0.1"), opts.natt_port};
  Endpoint remote{*IpAddress::Parse("127.0.0.1"), ntohs(me.sin_port)};
  ASSERT_TRUE(socks.Send(local, remote, HexOrDie("00000000 0102")));
  uint8_t buf[64];
  sockaddr_in from{};
  len = sizeof(from);
  ssize_t n = recvfrom(peer, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
  ASSERT_EQ(n, 6);
  EXPECT_EQ(ToHex(ByteView(buf, 6)), "000000000102");
  EXPECT_EQ(ntohs(from.sin_port), opts.natt_port);
  close(peer);
}

}  // namespace
}  // namespace ike::charon
