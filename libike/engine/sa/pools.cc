#include "libike/engine/sa/pools.h"

#include <algorithm>
#include <array>

namespace ike::engine {

namespace {

constexpr uint64_t kMaxPoolSize = uint64_t{1} << 32;

// The low 64 bits of an address as a number (enough for pool arithmetic:
// pools are capped at 2^32 addresses).
uint64_t Low64(const IpAddress& a) {
  ByteView b = a.bytes();
  uint64_t v = 0;
  size_t start = b.size() > 8 ? b.size() - 8 : 0;
  for (size_t i = start; i < b.size(); ++i) v = v << 8 | b[i];
  return v;
}

// `a` + `n`, carrying through all bytes.
IpAddress Add(const IpAddress& a, uint64_t n) {
  ByteView b = a.bytes();
  std::array<uint8_t, 16> out{};
  std::copy(b.begin(), b.end(), out.begin());
  uint64_t carry = n;
  for (size_t i = b.size(); i-- > 0 && carry;) {
    uint64_t sum = out[i] + (carry & 0xff);
    out[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return *IpAddress::FromBytes(ByteView(out.data(), b.size()));
}

// Whether the high bytes (all but the low 8) of two addresses agree.
bool SameHigh(const IpAddress& a, const IpAddress& b) {
  ByteView x = a.bytes(), y = b.bytes();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i + 8 < x.size(); ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

}  // namespace

uint64_t PoolSpec::size() const {
  if (first.family() != last.family() || last < first) return 0;
  if (!SameHigh(first, last)) return kMaxPoolSize;
  uint64_t n = Low64(last) - Low64(first);
  return n >= kMaxPoolSize ? kMaxPoolSize : n + 1;
}

PoolSpec PoolFromCidr(std::string name, const IpAddress& network, uint8_t prefix) {
  PoolSpec p;
  p.name = std::move(name);
  const unsigned bits = network.is_v4() ? 32 : 128;
  if (prefix > bits) prefix = static_cast<uint8_t>(bits);
  p.prefix = prefix;
  // Mask the network, then the last address of the prefix.
  ByteView b = network.bytes();
  std::array<uint8_t, 16> lo{}, hi{};
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned keep = prefix > i * 8 ? std::min(8u, prefix - static_cast<unsigned>(i * 8)) : 0;
    uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    lo[i] = b[i] & mask;
    hi[i] = static_cast<uint8_t>(lo[i] | static_cast<uint8_t>(~mask));
  }
  p.first = *IpAddress::FromBytes(ByteView(lo.data(), b.size()));
  p.last = *IpAddress::FromBytes(ByteView(hi.data(), b.size()));
  if (bits - prefix >= 2) {
    p.first = Add(p.first, 1);  // not the network address
    if (network.is_v4()) {
      // nor the broadcast address: last - 1
      std::array<uint8_t, 16> l{};
      ByteView lb = p.last.bytes();
      std::copy(lb.begin(), lb.end(), l.begin());
      for (size_t i = lb.size(); i-- > 0;) {
        if (l[i]-- != 0) break;
      }
      p.last = *IpAddress::FromBytes(ByteView(l.data(), lb.size()));
    }
  }
  return p;
}

std::optional<uint64_t> AddressPools::OffsetOf(const Pool& p, const IpAddress& a) {
  if (a.family() != p.spec.first.family() || a < p.spec.first || p.spec.last < a) {
    return std::nullopt;
  }
  if (!SameHigh(a, p.spec.first)) return std::nullopt;
  uint64_t off = Low64(a) - Low64(p.spec.first);
  if (off >= p.spec.size()) return std::nullopt;
  return off;
}

IpAddress AddressPools::AddressAt(const Pool& p, uint64_t offset) {
  return Add(p.spec.first, offset);
}

void AddressPools::Configure(std::vector<PoolSpec> pools) {
  std::vector<Pool> next;
  for (auto& spec : pools) {
    Pool p;
    for (auto& old : pools_) {
      if (old.spec.name == spec.name && old.spec.first == spec.first &&
          old.spec.last == spec.last) {
        p = std::move(old);
        break;
      }
    }
    p.spec = std::move(spec);
    next.push_back(std::move(p));
  }
  pools_ = std::move(next);
}

const PoolSpec* AddressPools::Find(const std::string& name) const {
  for (const auto& p : pools_) {
    if (p.spec.name == name) return &p.spec;
  }
  return nullptr;
}

Result<AddressPools::Grant, std::string> AddressPools::Acquire(
    const std::vector<std::string>& names, AddressFamily family, const std::string& identity,
    const std::optional<IpAddress>& requested) {
  std::string why;
  for (const auto& name : names) {
    auto it = std::find_if(pools_.begin(), pools_.end(),
                           [&](const Pool& p) { return p.spec.name == name; });
    if (it == pools_.end()) {
      why += (why.empty() ? "" : "; ") + ("pool " + name + " does not exist");
      continue;
    }
    Pool& p = *it;
    if (p.spec.first.family() != family) continue;
    auto take = [&](uint64_t off) -> Grant {
      Lease& l = p.leases[off];
      if (l.identity != identity) {
        if (!l.identity.empty()) p.by_identity.erase(l.identity);
        l.identity = identity;
        p.by_identity[identity] = off;
      }
      l.address = AddressAt(p, off);
      ++l.refs;
      return Grant{p.spec.name, l.address};
    };
    // 1. The identity's own lease (online for a reauthentication, or
    //    offline from an earlier connection).
    if (auto own = p.by_identity.find(identity); own != p.by_identity.end()) {
      return take(own->second);
    }
    // 2. The address the client asked for, if free.
    if (requested && !requested->IsUnspecified()) {
      if (auto off = OffsetOf(p, *requested)) {
        auto l = p.leases.find(*off);
        if (l == p.leases.end() || (l->second.refs == 0 && l->second.identity.empty())) {
          return take(*off);
        }
      }
    }
    // 3. A never-used address.
    const uint64_t size = p.spec.size();
    while (p.next_unused < size && p.leases.count(p.next_unused)) ++p.next_unused;
    if (p.next_unused < size) return take(p.next_unused++);
    // 4. The oldest offline lease of someone else.
    const Lease* oldest = nullptr;
    uint64_t oldest_off = 0;
    for (const auto& [off, l] : p.leases) {
      if (l.refs == 0 && (!oldest || l.released_at < oldest->released_at)) {
        oldest = &l;
        oldest_off = off;
      }
    }
    if (oldest) return take(oldest_off);
    why += (why.empty() ? "" : "; ") + ("pool " + name + " is exhausted (" +
                                         std::to_string(size) + " addresses online)");
  }
  if (why.empty()) {
    why = std::string("no pool for IPv") + (family == AddressFamily::kIpv4 ? "4" : "6");
  }
  return MakeUnexpected(why);
}

void AddressPools::Release(const std::string& name, const IpAddress& address) {
  for (auto& p : pools_) {
    if (p.spec.name != name) continue;
    auto off = OffsetOf(p, address);
    if (!off) return;
    auto l = p.leases.find(*off);
    if (l == p.leases.end() || l->second.refs == 0) return;
    if (--l->second.refs == 0) l->second.released_at = ++release_clock_;
    return;
  }
}

std::vector<PoolStatus> AddressPools::Status() const {
  std::vector<PoolStatus> out;
  for (const auto& p : pools_) {
    PoolStatus s;
    s.name = p.spec.name;
    s.range = p.spec.first.ToString() + "-" + p.spec.last.ToString();
    s.size = p.spec.size();
    for (const auto& [off, l] : p.leases) {
      (l.refs > 0 ? s.online : s.offline)++;
      s.leases.push_back(l);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ike::engine
