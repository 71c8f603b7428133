#include "libike/engine/ts/traffic_selector.h"

#include <algorithm>

namespace ike::engine {

namespace {
unsigned Bits(AddressFamily f) { return f == AddressFamily::kIpv4 ? 32 : 128; }
}  // namespace

TrafficSelector TrafficSelector::Any(AddressFamily family) {
  TrafficSelector ts;
  ts.start = IpAddress::Any(family);
  ts.end = IpAddress::Max(family);
  return ts;
}

TrafficSelector TrafficSelector::FromPrefix(const IpAddress& net, unsigned prefix_len,
                                            uint8_t ip_proto, uint16_t port_lo,
                                            uint16_t port_hi) {
  TrafficSelector ts;
  ts.ip_proto = ip_proto;
  ts.start_port = port_lo;
  ts.end_port = port_hi;
  ts.start = net.Masked(prefix_len);
  ts.end = net.LastInPrefix(prefix_len);
  return ts;
}

TrafficSelector TrafficSelector::Host(const IpAddress& addr) {
  return FromPrefix(addr, Bits(addr.family()));
}

std::optional<TrafficSelector> TrafficSelector::Parse(const std::string& cidr) {
  auto slash = cidr.find('/');
  std::string addr_text = cidr.substr(0, slash);
  auto addr = IpAddress::Parse(addr_text);
  if (!addr) return std::nullopt;
  unsigned len = Bits(addr->family());
  if (slash != std::string::npos) {
    std::string len_text = cidr.substr(slash + 1);
    if (len_text.empty() || len_text.size() > 3) return std::nullopt;
    unsigned v = 0;
    for (char c : len_text) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > len) return std::nullopt;
    len = v;
  }
  return FromPrefix(*addr, len);
}

bool TrafficSelector::Valid() const {
  return start.family() == end.family() && start <= end && start_port <= end_port;
}

bool TrafficSelector::Contains(const TrafficSelector& o) const {
  if (family() != o.family()) return false;
  if (ip_proto != 0 && ip_proto != o.ip_proto) return false;
  return start <= o.start && o.end <= end && start_port <= o.start_port &&
         o.end_port <= end_port;
}

std::optional<unsigned> TrafficSelector::PrefixLength() const {
  for (unsigned p = 0; p <= Bits(family()); ++p) {
    if (start.Masked(p) == start && start.LastInPrefix(p) == end) return p;
  }
  return std::nullopt;
}

std::string TrafficSelector::ToString() const {
  std::string out;
  if (auto p = PrefixLength()) {
    out = start.ToString() + "/" + std::to_string(*p);
  } else {
    out = start.ToString() + ".." + end.ToString();
  }
  if (ip_proto != 0 || start_port != 0 || end_port != 65535) {
    out += "[" + std::to_string(ip_proto);
    if (start_port != 0 || end_port != 65535) {
      out += "/" + std::to_string(start_port);
      if (end_port != start_port) out += "-" + std::to_string(end_port);
    }
    out += "]";
  }
  return out;
}

std::optional<TrafficSelector> Intersect(const TrafficSelector& a, const TrafficSelector& b) {
  if (!a.Valid() || !b.Valid() || a.family() != b.family()) return std::nullopt;
  TrafficSelector r;
  if (a.ip_proto != 0 && b.ip_proto != 0 && a.ip_proto != b.ip_proto) return std::nullopt;
  r.ip_proto = a.ip_proto != 0 ? a.ip_proto : b.ip_proto;
  r.start_port = std::max(a.start_port, b.start_port);
  r.end_port = std::min(a.end_port, b.end_port);
  if (r.start_port > r.end_port) return std::nullopt;
  r.start = std::max(a.start, b.start);
  r.end = std::min(a.end, b.end);
  if (r.end < r.start) return std::nullopt;
  return r;
}

TsList Narrow(const TsList& received, const TsList& configured) {
  TsList out;
  for (const auto& r : received) {
    for (const auto& c : configured) {
      auto i = Intersect(r, c);
      if (!i) continue;
      if (std::find(out.begin(), out.end(), *i) == out.end()) out.push_back(*i);
    }
  }
  return out;
}

bool IsSubsetOf(const TsList& narrowed, const TsList& proposed) {
  if (narrowed.empty()) return false;
  for (const auto& n : narrowed) {
    bool ok = std::any_of(proposed.begin(), proposed.end(),
                          [&](const TrafficSelector& p) { return p.Contains(n); });
    if (!ok) return false;
  }
  return true;
}

TsList ResolveDynamic(const TsList& configured, const IpAddress& host) {
  TsList out;
  for (const auto& ts : configured) {
    if (ts.start.IsUnspecified() && ts.end.IsUnspecified()) {
      TrafficSelector h = TrafficSelector::Host(host);
      h.ip_proto = ts.ip_proto;
      h.start_port = ts.start_port;
      h.end_port = ts.end_port;
      out.push_back(h);
    } else {
      out.push_back(ts);
    }
  }
  return out;
}

std::vector<std::pair<IpAddress, unsigned>> RangeToPrefixes(const IpAddress& start,
                                                           const IpAddress& end) {
  std::vector<std::pair<IpAddress, unsigned>> out;
  if (start.family() != end.family() || end < start) return out;
  const unsigned bits = Bits(start.family());
  const IpAddress max = IpAddress::Max(start.family());
  IpAddress cur = start;
  for (size_t guard = 0; guard < 2 * bits + 2; ++guard) {
    unsigned p = 0;
    for (; p <= bits; ++p) {
      if (cur.Masked(p) == cur && cur.LastInPrefix(p) <= end) break;
    }
    IpAddress last = cur.LastInPrefix(p);
    out.emplace_back(cur, p);
    if (last == end || last == max) break;
    cur = last.Next();
  }
  return out;
}

std::vector<xfrm::Selector> ToXfrmSelectors(const TrafficSelector& src,
                                            const TrafficSelector& dst) {
  std::vector<xfrm::Selector> out;
  uint8_t proto = src.ip_proto != 0 ? src.ip_proto : dst.ip_proto;
  auto ports = [](const TrafficSelector& ts, uint16_t& port, uint16_t& mask) {
    if (ts.start_port == ts.end_port) {
      port = ts.start_port;
      mask = 0xffff;
    } else {
      port = 0;
      mask = 0;  // ranges other than "any" cannot be expressed; widen to any
    }
  };
  for (const auto& [s, sp] : RangeToPrefixes(src.start, src.end)) {
    for (const auto& [d, dp] : RangeToPrefixes(dst.start, dst.end)) {
      xfrm::Selector sel;
      sel.src = s;
      sel.src_prefix = static_cast<uint8_t>(sp);
      sel.dst = d;
      sel.dst_prefix = static_cast<uint8_t>(dp);
      sel.proto = proto;
      ports(src, sel.src_port, sel.src_port_mask);
      ports(dst, sel.dst_port, sel.dst_port_mask);
      out.push_back(sel);
    }
  }
  return out;
}

}  // namespace ike::engine
