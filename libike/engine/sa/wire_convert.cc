#include "libike/engine/sa/wire_convert.h"

namespace ike::engine {

wire::Proposal ToWire(const Proposal& p) {
  wire::Proposal w;
  w.number = p.number;
  w.protocol = p.protocol;
  w.spi = p.spi;
  for (const auto& t : p.transforms) {
    wire::Transform wt = wire::Transform::Make(t.type, t.id);
    if (t.key_length != 0) {
      wt.attributes.push_back(wire::TransformAttr::Tv(
          static_cast<uint16_t>(TransformAttribute::kKeyLength), t.key_length));
    }
    w.transforms.push_back(std::move(wt));
  }
  return w;
}

Proposal FromWire(const wire::Proposal& w) {
  Proposal p;
  p.number = w.number;
  p.protocol = w.protocol;
  p.spi = w.spi;
  for (const auto& wt : w.transforms) {
    p.transforms.push_back(Transform{wt.type, wt.id, wt.key_length().value_or(0)});
  }
  return p;
}

wire::SaPayload ToWireSa(const ProposalList& list) {
  wire::SaPayload sa;
  for (const auto& p : list) sa.proposals.push_back(ToWire(p));
  return sa;
}

ProposalList FromWireSa(const wire::SaPayload& sa) {
  ProposalList out;
  for (const auto& p : sa.proposals) out.push_back(FromWire(p));
  return out;
}

wire::TsPayload ToWireTs(Role role, const TsList& list) {
  wire::TsPayload ts;
  ts.role = role;
  for (const auto& t : list) {
    ts.selectors.push_back(
        wire::TrafficSelector::Range(t.start, t.end, t.ip_proto, t.start_port, t.end_port));
  }
  return ts;
}

TsList FromWireTs(const wire::TsPayload& ts) {
  TsList out;
  for (const auto& s : ts.selectors) {
    TrafficSelector t;
    t.ip_proto = s.ip_protocol;
    t.start_port = s.start_port;
    t.end_port = s.end_port;
    t.start = s.start_address;
    t.end = s.end_address;
    out.push_back(t);
  }
  return out;
}

wire::IdPayload ToWireId(Role role, const Identity& id) {
  wire::IdPayload w;
  w.role = role;
  w.id_type = id.type;
  w.data = id.data;
  return w;
}

Identity FromWireId(const wire::IdPayload& w) { return Identity{w.id_type, w.data}; }

const wire::NotifyPayload* FirstErrorNotify(const wire::Message& msg) {
  for (const auto& p : msg.payloads) {
    if (const auto* n = std::get_if<wire::NotifyPayload>(&p)) {
      if (wire::IsErrorNotify(n->type)) return n;
    }
  }
  return nullptr;
}

}  // namespace ike::engine
