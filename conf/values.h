// Typed values of swanctl.conf: times, byte/packet counts, booleans,
// addresses, traffic selectors, identities, marks. Each parser returns the
// value or a message naming what is wrong (the caller adds file:line:key).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"
#include "libike/common/ip_address.h"
#include "libike/common/result.h"
#include "libike/common/secret_bytes.h"

namespace ike::conf {

using Seconds = std::chrono::seconds;

// "30", "30s", "5m", "4h", "1d"; fractions are not accepted.
Result<Seconds, std::string> ParseTime(std::string_view text);
// "1000", "10k", "5m", "2g" (x1024 each, as strongSwan's settings do).
Result<uint64_t, std::string> ParseCount(std::string_view text);
// yes/no, true/false, enabled/disabled, on/off, 1/0 (case-insensitive).
Result<bool, std::string> ParseBool(std::string_view text);
// Decimal or 0x hex, within [0, max].
Result<uint64_t, std::string> ParseUint(std::string_view text, uint64_t max);

// Splits a comma separated list, trimming each item; empty items are dropped.
std::vector<std::string> SplitList(std::string_view text);

// An inclusive address range; a CIDR subnet keeps its prefix length.
struct AddressRange {
  IpAddress from;
  IpAddress to;
  std::optional<uint8_t> prefix;  // set when written as CIDR (or a single address)
  bool Contains(const IpAddress& a) const { return a.family() == from.family() && from <= a && a <= to; }
  std::string ToString() const;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};
// "10.0.0.0/8", "10.0.0.1-10.0.0.9", "192.0.2.1", "2001:db8::/32".
Result<AddressRange, std::string> ParseAddressRange(std::string_view text);

// local_addrs / remote_addrs entries.
struct AddressSpec {
  enum class Kind : uint8_t { kAny, kAny4, kAny6, kRange, kHostname };
  Kind kind = Kind::kAny;
  AddressRange range;    // kRange (a single address is a /32 or /128 range)
  std::string hostname;  // kHostname: resolved at initiation, never at load
  bool IsSingleAddress() const {
    return kind == Kind::kRange && range.from == range.to;
  }
  std::string ToString() const;
  friend bool operator==(const AddressSpec&, const AddressSpec&) = default;
};
Result<AddressSpec, std::string> ParseAddressSpec(std::string_view text);

// local_ts / remote_ts: "10.0.0.0/8[tcp/80]", "dynamic[udp/1701]",
// "10.1.0.1-10.1.0.9", "%any", "0.0.0.0/0[icmp/8]", "::/0[ipv6-icmp]".
struct TrafficSelector {
  bool dynamic = false;   // replaced by the IKE (or virtual) address at runtime
  AddressRange range;     // unset (0.0.0.0-0.0.0.0) when dynamic
  bool any_family = false;  // %any: both 0.0.0.0/0 and ::/0 (expanded by the parser)
  uint8_t protocol = 0;   // 0 = any
  uint16_t from_port = 0;
  uint16_t to_port = 0xffff;
  bool opaque_port = false;  // %opaque (RFC 4301 OPAQUE)
  std::string ToString() const;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};
// One list entry; %any yields two selectors (IPv4 and IPv6).
Result<std::vector<TrafficSelector>, std::string> ParseTrafficSelector(std::string_view text);

// An identity, typed as strongSwan types them (identification_create_from_string).
struct Identity {
  enum class Kind : uint8_t { kAny, kIpv4, kIpv6, kFqdn, kEmail, kDn, kKeyId };
  Kind kind = Kind::kAny;
  std::string text;  // as written (for display and matching diagnostics)
  // Wire encoding of the ID payload data: address bytes, FQDN/email ASCII,
  // DER of the RDNSequence for DNs, raw bytes for KEY_ID. Empty for %any.
  Bytes encoding;
  bool has_wildcards = false;  // '*' in a DN RDN value or a leading "*." / "*@"

  IdType id_type() const;  // kAny maps to kFqdn with an empty value (never sent)
  // Whether a peer's ID payload (type + data) matches this configured
  // identity: %any matches everything; DNs compare semantically (RFC 5280
  // 7.1 rules via X509_NAME_cmp, so string types and case do not matter) and
  // an RDN value of '*' matches any value; FQDNs and emails compare
  // case-insensitively, "*.example.org" / "*@example.org" match suffixes.
  bool Matches(IdType type, ByteView data) const;
  std::string ToString() const;
  friend bool operator==(const Identity& a, const Identity& b) {
    return a.kind == b.kind && a.encoding == b.encoding && a.text == b.text;
  }
};
Result<Identity, std::string> ParseIdentity(std::string_view text);

// A distinguished name, "C=CH, O=Example, CN=gw.example.org" or the OpenSSL
// form "/C=CH/O=Example/CN=gw". Result: DER of the RDNSequence.
Result<Bytes, std::string> ParseDistinguishedName(std::string_view text);
// One-line rendering of a DER DN ("C=CH, O=Example, CN=gw.example.org").
std::string DnToString(ByteView der);

// mark_in / mark_out / set_mark_*: "value[/mask]", hex or decimal, or
// %unique / %unique-dir / %same (set_mark_* only).
struct Mark {
  enum class Special : uint8_t { kNone, kUnique, kUniqueDir, kSame };
  uint32_t value = 0;
  uint32_t mask = 0xffffffff;
  Special special = Special::kNone;
  bool IsSet() const { return value != 0 || special != Special::kNone; }
  std::string ToString() const;
  friend bool operator==(const Mark&, const Mark&) = default;
};
Result<Mark, std::string> ParseMark(std::string_view text, bool allow_same);

// if_id_in / if_id_out: number or %unique / %unique-dir.
struct IfId {
  uint32_t value = 0;
  Mark::Special special = Mark::Special::kNone;
  std::string ToString() const;
  friend bool operator==(const IfId&, const IfId&) = default;
};
Result<IfId, std::string> ParseIfId(std::string_view text);

// Pre-shared secrets: "0x<hex>", "0s<base64>", or the literal text.
Result<SecretBytes, std::string> DecodeSecretValue(std::string_view text);

}  // namespace ike::conf
