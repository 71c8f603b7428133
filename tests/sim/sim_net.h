// SimNet: an in-process network and clock for engines (STYLE.md): an event
// queue ordered by (time, seq), per-packet filters (drop, duplicate, delay,
// reorder) with predicates over decoded headers, seeded random loss, an
// optional NAT, and a fake backend per node executing the engine's effects.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "libike/crypto/rng.h"
#include "libike/engine/engine.h"
#include "libike/engine/sa/backend_spi_allocator.h"
#include "libike/wire/header.h"
#include "xfrm/fake/fake_backend.h"

namespace ike::sim {

using engine::Duration;
using engine::TimePoint;
using namespace std::chrono_literals;

struct Packet {
  Endpoint from;
  Endpoint to;
  Bytes bytes;  // as on the wire (with the non-ESP marker on 4500)
  TimePoint sent{0};
  // Decoded for filters; nullopt if the bytes do not start with a header.
  std::optional<wire::Header> header;
  bool is(ExchangeType x, bool response) const {
    return header && header->exchange_type == x && header->response == response;
  }
};

enum class Verdict : uint8_t { kPass, kDrop, kDuplicate };
struct FilterResult {
  Verdict verdict = Verdict::kPass;
  Duration delay{0};  // extra delay (reordering: delay one packet past the next)
};
using Filter = std::function<FilterResult(const Packet&)>;

class SimNet;

class FixedWallClock final : public engine::WallClock {
 public:
  int64_t UnixSeconds() const override { return seconds; }
  int64_t seconds = 1800000000;  // 2027-01-15
};

class SimNode {
 public:
  SimNode(std::string name, uint64_t seed, engine::EngineSettings settings);
  const std::string& name() const { return name_; }
  engine::Engine& engine() { return engine_; }
  xfrm::FakeBackend& backend() { return backend_; }
  const std::vector<engine::Event>& events() const { return events_; }
  size_t CountEvents(engine::EventKind kind) const;
  const engine::IkeSa* Established(const std::string& connection) const {
    return engine_.FindEstablished(connection);
  }
  unsigned backend_errors() const { return backend_errors_; }
  // EAP for an AAA backend, in order; a test plays the backend and answers
  // with SimNet::Input(EapBackendReply).
  std::vector<engine::EapBackendRequest> eap_requests;
  FixedWallClock& clock() { return clock_; }

 private:
  friend class SimNet;
  std::string name_;
  FixedWallClock clock_;
  crypto::DeterministicRng rng_;
  xfrm::FakeBackend backend_;
  engine::BackendSpiAllocator spis_;
  engine::Engine engine_;
  std::vector<engine::Event> events_;
  std::map<engine::TimerId, uint64_t> timers_;  // armed timer -> generation
  unsigned backend_errors_ = 0;
};

class SimNet {
 public:
  explicit SimNet(uint64_t seed = 1) : random_(seed), seed_(seed) {}

  SimNode& AddNode(const std::string& name, std::vector<IpAddress> addresses,
                   engine::EngineSettings settings = {});
  // A node gains or loses an address (a roaming host, MOBIKE).
  void AddAddress(SimNode& node, const IpAddress& address) { owners_[address] = &node; }
  void RemoveAddress(const IpAddress& address) { owners_.erase(address); }
  // Packets from `inside` leave with source `outside` and a mapped port.
  void AddNat(const IpAddress& inside, const IpAddress& outside);

  void Input(SimNode& node, engine::Input input);
  void Initiate(SimNode& node, const std::string& connection, const std::string& child = {}) {
    Input(node, engine::Command{engine::InitiateCommand{connection, child}});
  }

  TimePoint now() const { return now_; }
  // Processes the next queued event; false if the queue is empty.
  bool DeliverNext();
  // The same, but only events due at or before `limit`.
  bool DeliverNextBefore(TimePoint limit);
  // Runs until `done` holds (checked after every event) or `limit` of
  // simulated time passed; returns done().
  bool RunUntil(const std::function<bool()>& done, Duration limit);
  void RunFor(Duration d);
  size_t pending() const { return queue_.size(); }

  void AddFilter(Filter f) { filters_.push_back(std::move(f)); }
  void ClearFilters() { filters_.clear(); }
  void SetLoss(double p) { loss_ = p; }
  void set_latency(Duration d) { latency_ = d; }

  const std::vector<Packet>& captured() const { return captured_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t delivered() const { return delivered_; }

 private:
  struct Deliver {
    SimNode* node;
    engine::Datagram datagram;
  };
  struct Fire {
    SimNode* node;
    engine::TimerId id;
    uint64_t generation;
  };
  struct Kernel {
    SimNode* node;
    xfrm::BackendEvent event;
  };
  struct Item {
    TimePoint at;
    uint64_t seq;
    std::variant<Deliver, Fire, Kernel> what;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  void Push(TimePoint at, std::variant<Deliver, Fire, Kernel> what);
  void Apply(SimNode& node, engine::Effects effects);
  void Send(const engine::SendDatagram& sd);
  SimNode* Route(Endpoint& to);

  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<IpAddress, SimNode*> owners_;
  struct Nat {
    IpAddress inside, outside;
    std::map<std::pair<std::string, uint16_t>, uint16_t> out_ports;  // inside ep -> port
    std::map<uint16_t, Endpoint> in_map;
    uint16_t next_port = 40000;
  };
  std::vector<Nat> nats_;
  std::priority_queue<Item, std::vector<Item>, Later> queue_;
  uint64_t seq_ = 0;
  uint64_t generation_ = 0;
  TimePoint now_{0};
  Duration latency_{5};
  std::vector<Filter> filters_;
  double loss_ = 0;
  std::mt19937_64 random_;
  uint64_t seed_;
  std::vector<Packet> captured_;
  uint64_t dropped_ = 0, delivered_ = 0;
};

}  // namespace ike::sim
