// Byte buffers and views used across the project.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ike {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using MutableByteView = std::span<uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Lower-case hex, for logs of public values (SPIs, nonces in debug) and tests.
std::string ToHex(ByteView bytes);
// Parses hex, ignoring spaces, colons and newlines; returns false on a bad digit
// or an odd number of digits.
bool FromHex(std::string_view hex, Bytes& out);
// Convenience for tests and tables: aborts on malformed input.
Bytes HexOrDie(std::string_view hex);

}  // namespace ike
