#include "libike/common/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace ike {

IpAddress IpAddress::V4(uint32_t host_order) {
  return V4({static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
             static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::V4(std::array<uint8_t, 4> bytes) {
  IpAddress a;
  a.family_ = AddressFamily::kIpv4;
  std::memcpy(a.bytes_.data(), bytes.data(), 4);
  return a;
}

IpAddress IpAddress::V6(std::array<uint8_t, 16> bytes) {
  IpAddress a;
  a.family_ = AddressFamily::kIpv6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::FromBytes(ByteView bytes) {
  IpAddress a;
  if (bytes.size() == 4) {
    a.family_ = AddressFamily::kIpv4;
  } else if (bytes.size() == 16) {
    a.family_ = AddressFamily::kIpv6;
  } else {
    return std::nullopt;
  }
  std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = AddressFamily::kIpv4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) == 1) {
    a.family_ = AddressFamily::kIpv6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::Any(AddressFamily family) {
  IpAddress a;
  a.family_ = family;
  return a;
}

IpAddress IpAddress::Max(AddressFamily family) {
  IpAddress a;
  a.family_ = family;
  std::memset(a.bytes_.data(), 0xff, a.size());
  return a;
}

bool IpAddress::IsUnspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

IpAddress IpAddress::Masked(unsigned prefix_len) const {
  IpAddress a = *this;
  for (size_t i = 0; i < size(); ++i) {
    unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix_len) {
      a.bytes_[i] = 0;
    } else if (prefix_len - bit < 8) {
      a.bytes_[i] &= static_cast<uint8_t>(0xff << (8 - (prefix_len - bit)));
    }
  }
  return a;
}

IpAddress IpAddress::LastInPrefix(unsigned prefix_len) const {
  IpAddress a = *this;
  for (size_t i = 0; i < size(); ++i) {
    unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix_len) {
      a.bytes_[i] = 0xff;
    } else if (prefix_len - bit < 8) {
      a.bytes_[i] |= static_cast<uint8_t>(0xff >> (prefix_len - bit));
    }
  }
  return a;
}

IpAddress IpAddress::Next() const {
  if (*this == Max(family_)) return *this;
  IpAddress a = *this;
  for (size_t i = size(); i-- > 0;) {
    if (++a.bytes_[i] != 0) break;
  }
  return a;
}

IpAddress IpAddress::Prev() const {
  if (IsUnspecified()) return *this;
  IpAddress a = *this;
  for (size_t i = size(); i-- > 0;) {
    if (a.bytes_[i]-- != 0) break;
  }
  return a;
}

std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
  if (a.family_ != b.family_) return a.family_ <=> b.family_;
  int c = std::memcmp(a.bytes_.data(), b.bytes_.data(), a.size());
  return c <=> 0;
}

std::string Endpoint::ToString() const {
  return address.ToString() + "[" + std::to_string(port) + "]";
}

}  // namespace ike
