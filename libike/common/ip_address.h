// IpAddress (IPv4 or IPv6, network-order bytes) and Endpoint (address + port).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libike/common/bytes.h"

namespace ike {

enum class AddressFamily : uint8_t { kIpv4 = 4, kIpv6 = 6 };

class IpAddress {
 public:
  // The IPv4 unspecified address 0.0.0.0.
  IpAddress() = default;
  static IpAddress V4(uint32_t host_order);
  static IpAddress V4(std::array<uint8_t, 4> bytes);
  static IpAddress V6(std::array<uint8_t, 16> bytes);
  // From 4 or 16 network-order bytes; nullopt for any other length.
  static std::optional<IpAddress> FromBytes(ByteView bytes);
  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text (inet_pton).
  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress Any(AddressFamily family);  // 0.0.0.0 or ::
  // The highest address of the family (255.255.255.255 or ffff:...:ffff).
  static IpAddress Max(AddressFamily family);

  AddressFamily family() const { return family_; }
  bool is_v4() const { return family_ == AddressFamily::kIpv4; }
  bool is_v6() const { return family_ == AddressFamily::kIpv6; }
  size_t size() const { return is_v4() ? 4 : 16; }
  // Network-order bytes, 4 or 16 of them.
  ByteView bytes() const { return ByteView(bytes_.data(), size()); }
  bool IsUnspecified() const;
  std::string ToString() const;

  // Address with only the first `prefix_len` bits kept (the network address).
  IpAddress Masked(unsigned prefix_len) const;
  // Address with all bits after `prefix_len` set (the last address).
  IpAddress LastInPrefix(unsigned prefix_len) const;
  // Adds or subtracts one, saturating at the family's bounds.
  IpAddress Next() const;
  IpAddress Prev() const;

  // Orders IPv4 before IPv6, then by value.
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b);
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return (a <=> b) == std::strong_ordering::equal;
  }

 private:
  AddressFamily family_ = AddressFamily::kIpv4;
  std::array<uint8_t, 16> bytes_{};
};

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  std::string ToString() const;  // 192.0.2.1[500] / 2001:db8::1[4500]
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

}  // namespace ike
