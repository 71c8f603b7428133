#include "tests/sim/sim_net.h"

namespace ike::sim {

SimNode::SimNode(std::string name, uint64_t seed, engine::EngineSettings settings)
    : name_(std::move(name)),
      rng_(seed),
      backend_(0xc0000001u + static_cast<uint32_t>(seed % 1000) * 0x10000u),
      spis_(backend_),
      engine_(engine::Env{rng_, spis_, &clock_}, settings) {}

size_t SimNode::CountEvents(engine::EventKind kind) const {
  size_t n = 0;
  for (const auto& e : events_) n += e.kind == kind;
  return n;
}

SimNode& SimNet::AddNode(const std::string& name, std::vector<IpAddress> addresses,
                         engine::EngineSettings settings) {
  uint64_t node_seed = seed_ * 1000003u + nodes_.size() + 1;
  nodes_.push_back(std::make_unique<SimNode>(name, node_seed, settings));
  SimNode* node = nodes_.back().get();
  for (const auto& a : addresses) owners_[a] = node;
  node->backend_.SetEventHandler([this, node](const xfrm::BackendEvent& ev) {
    Push(now_, Kernel{node, ev});
  });
  return *node;
}

void SimNet::AddNat(const IpAddress& inside, const IpAddress& outside) {
  Nat nat;
  nat.inside = inside;
  nat.outside = outside;
  nats_.push_back(std::move(nat));
}

void SimNet::Push(TimePoint at, std::variant<Deliver, Fire, Kernel> what) {
  queue_.push(Item{at, seq_++, std::move(what)});
}

void SimNet::Input(SimNode& node, engine::Input input) {
  Apply(node, node.engine_.Handle(input, now_));
}

SimNode* SimNet::Route(Endpoint& to) {
  for (auto& nat : nats_) {
    if (to.address == nat.outside) {
      auto it = nat.in_map.find(to.port);
      if (it == nat.in_map.end()) return nullptr;
      to = it->second;
      break;
    }
  }
  auto it = owners_.find(to.address);
  return it == owners_.end() ? nullptr : it->second;
}

void SimNet::Send(const engine::SendDatagram& sd) {
  Packet p;
  p.from = sd.from;
  p.to = sd.to;
  p.bytes = sd.bytes;
  p.sent = now_;
  for (auto& nat : nats_) {
    if (p.from.address == nat.inside) {
      auto key = std::make_pair(p.from.address.ToString(), p.from.port);
      auto it = nat.out_ports.find(key);
      uint16_t port;
      if (it == nat.out_ports.end()) {
        port = nat.next_port++;
        nat.out_ports[key] = port;
        nat.in_map[port] = p.from;
      } else {
        port = it->second;
      }
      p.from = Endpoint{nat.outside, port};
    }
  }
  ByteView v(p.bytes);
  if (p.to.port != 500 && v.size() >= 4) v = v.subspan(4);
  if (auto h = wire::PeekHeader(v)) p.header = h->header;
  captured_.push_back(p);

  FilterResult result;
  for (auto& f : filters_) {
    FilterResult r = f(p);
    if (r.verdict != Verdict::kPass) result.verdict = r.verdict;
    result.delay += r.delay;
  }
  if (result.verdict != Verdict::kDrop && loss_ > 0) {
    std::uniform_real_distribution<double> d(0.0, 1.0);
    if (d(random_) < loss_) result.verdict = Verdict::kDrop;
  }
  if (result.verdict == Verdict::kDrop) {
    ++dropped_;
    return;
  }
  Endpoint to = p.to;
  SimNode* node = Route(to);
  if (!node) {
    ++dropped_;
    return;
  }
  engine::Datagram dg{p.from, to, p.bytes};
  Push(now_ + latency_ + result.delay, Deliver{node, dg});
  if (result.verdict == Verdict::kDuplicate) {
    Push(now_ + latency_ + result.delay + Duration(1), Deliver{node, dg});
  }
}

void SimNet::Apply(SimNode& node, engine::Effects effects) {
  for (auto& e : effects) {
    if (auto* sd = std::get_if<engine::SendDatagram>(&e)) {
      Send(*sd);
    } else if (auto* at = std::get_if<engine::ArmTimer>(&e)) {
      uint64_t gen = ++generation_;
      node.timers_[at->id] = gen;
      Push(now_ + at->after, Fire{&node, at->id, gen});
    } else if (auto* ct = std::get_if<engine::CancelTimer>(&e)) {
      node.timers_.erase(ct->id);
    } else if (auto* is = std::get_if<engine::InstallSa>(&e)) {
      if (!node.backend_.AddSa(is->params)) ++node.backend_errors_;
    } else if (auto* ds = std::get_if<engine::DeleteSa>(&e)) {
      if (!node.backend_.DeleteSa(ds->id)) ++node.backend_errors_;
    } else if (auto* ip = std::get_if<engine::InstallPolicy>(&e)) {
      if (!node.backend_.AddPolicy(ip->params)) ++node.backend_errors_;
    } else if (auto* dp = std::get_if<engine::DeletePolicy>(&e)) {
      if (!node.backend_.DeletePolicy(dp->id)) ++node.backend_errors_;
    } else if (auto* ev = std::get_if<engine::EmitEvent>(&e)) {
      node.events_.push_back(ev->event);
    } else if (auto* eb = std::get_if<engine::EapBackendRequest>(&e)) {
      node.eap_requests.push_back(std::move(*eb));
    } else if (auto* ms = std::get_if<engine::MigrateSa>(&e)) {
      if (!node.backend_.MigrateSa(ms->old_id, ms->params)) ++node.backend_errors_;
    } else if (auto* up = std::get_if<engine::UpdatePolicy>(&e)) {
      if (!node.backend_.UpdatePolicy(up->params)) ++node.backend_errors_;
    }
  }
}

bool SimNet::DeliverNext() { return DeliverNextBefore(TimePoint::max()); }

bool SimNet::DeliverNextBefore(TimePoint limit) {
  while (!queue_.empty()) {
    if (queue_.top().at > limit) return false;
    Item item = queue_.top();
    queue_.pop();
    if (auto* f = std::get_if<Fire>(&item.what)) {
      auto it = f->node->timers_.find(f->id);
      if (it == f->node->timers_.end() || it->second != f->generation) continue;  // cancelled
      f->node->timers_.erase(it);
      now_ = std::max(now_, item.at);
      Apply(*f->node, f->node->engine_.Handle(engine::TimerFired{f->id}, now_));
      return true;
    }
    now_ = std::max(now_, item.at);
    if (auto* d = std::get_if<Deliver>(&item.what)) {
      ++delivered_;
      Apply(*d->node, d->node->engine_.Handle(d->datagram, now_));
    } else if (auto* k = std::get_if<Kernel>(&item.what)) {
      Apply(*k->node, k->node->engine_.Handle(engine::KernelEvent{k->event}, now_));
    }
    return true;
  }
  return false;
}

bool SimNet::RunUntil(const std::function<bool()>& done, Duration limit) {
  TimePoint end = now_ + limit;
  while (!done()) {
    if (queue_.empty() || queue_.top().at > end) {
      now_ = std::max(now_, std::min(end, queue_.empty() ? end : queue_.top().at));
      return done();
    }
    DeliverNextBefore(end);
  }
  return true;
}

void SimNet::RunFor(Duration d) {
  TimePoint end = now_ + d;
  while (DeliverNextBefore(end)) {
  }
  now_ = end;
}

}  // namespace ike::sim
