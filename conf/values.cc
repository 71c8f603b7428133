#include "conf/values.h"

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace ike::conf {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseDecimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

struct NameNumber {
  std::string_view name;
  uint16_t number;
};
constexpr NameNumber kProtocols[] = {
    {"icmp", 1}, {"igmp", 2},  {"tcp", 6},  {"udp", 17},        {"gre", 47},
    {"esp", 50}, {"ah", 51},   {"ipv6-icmp", 58}, {"icmpv6", 58}, {"icmp6", 58},
    {"ospf", 89}, {"sctp", 132}, {"udplite", 136}, {"l2tp", 115}, {"ipip", 4},
    {"ipv6", 41},
};
constexpr NameNumber kServices[] = {
    {"ftp-data", 20}, {"ftp", 21},     {"ssh", 22},    {"telnet", 23}, {"smtp", 25},
    {"domain", 53},   {"bootps", 67},  {"bootpc", 68}, {"tftp", 69},   {"http", 80},
    {"pop3", 110},    {"ntp", 123},    {"imap", 143},  {"snmp", 161},  {"ldap", 389},
    {"https", 443},   {"isakmp", 500}, {"syslog", 514}, {"submission", 587},
    {"ldaps", 636},   {"imaps", 993},  {"pop3s", 995}, {"l2tp", 1701}, {"ipsec-nat-t", 4500},
};

bool LookupNumber(std::string_view name, const NameNumber* table, size_t n, uint64_t max,
                  uint64_t& out) {
  if (ParseDecimal(name, out)) return out <= max;
  std::string l = Lower(name);
  for (size_t i = 0; i < n; ++i) {
    if (table[i].name == l) {
      out = table[i].number;
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Seconds, std::string> ParseTime(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.empty()) return MakeUnexpected(std::string("empty time value"));
  uint64_t mult = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(t.back())));
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    mult = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    t.remove_suffix(1);
    t = Trim(t);
  }
  uint64_t v = 0;
  if (!ParseDecimal(t, v) || v > (uint64_t{1} << 40) / mult) {
    return MakeUnexpected("invalid time " + Quote(text) + " (expected e.g. 30s, 5m, 4h, 1d)");
  }
  return Seconds(static_cast<int64_t>(v * mult));
}

Result<uint64_t, std::string> ParseCount(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.empty()) return MakeUnexpected(std::string("empty count"));
  uint64_t mult = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(t.back())));
  if (last == 'k' || last == 'm' || last == 'g') {
    mult = last == 'k' ? 1024ull : last == 'm' ? 1024ull * 1024 : 1024ull * 1024 * 1024;
    t.remove_suffix(1);
    t = Trim(t);
  }
  uint64_t v = 0;
  if (!ParseDecimal(t, v) || v > UINT64_MAX / mult) {
    return MakeUnexpected("invalid count " + Quote(text) + " (expected e.g. 1000, 500k, 4m, 2g)");
  }
  return v * mult;
}

Result<bool, std::string> ParseBool(std::string_view text) {
  std::string l = Lower(Trim(text));
  if (l == "yes" || l == "true" || l == "enabled" || l == "on" || l == "1") return true;
  if (l == "no" || l == "false" || l == "disabled" || l == "off" || l == "0") return false;
  return MakeUnexpected("invalid boolean " + Quote(text) + " (expected yes or no)");
}

Result<uint64_t, std::string> ParseUint(std::string_view text, uint64_t max) {
  std::string_view t = Trim(text);
  uint64_t v = 0;
  bool ok = false;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    t.remove_prefix(2);
    if (t.size() <= 16) {
      ok = true;
      for (char c : t) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
        if (d < 0) {
          ok = false;
          break;
        }
        v = v * 16 + static_cast<uint64_t>(d);
      }
    }
  } else {
    ok = ParseDecimal(t, v);
  }
  if (!ok) return MakeUnexpected("invalid number " + Quote(text));
  if (v > max) return MakeUnexpected("number " + Quote(text) + " exceeds " + std::to_string(max));
  return v;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = Trim(text.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

// ---- addresses ----

std::string AddressRange::ToString() const {
  if (prefix && *prefix == from.size() * 8) return from.ToString();
  if (prefix) return from.ToString() + "/" + std::to_string(*prefix);
  if (from == to) return from.ToString();
  return from.ToString() + "-" + to.ToString();
}

Result<AddressRange, std::string> ParseAddressRange(std::string_view text) {
  std::string_view t = Trim(text);
  size_t slash = t.find('/');
  if (slash != std::string_view::npos) {
    auto addr = IpAddress::Parse(Trim(t.substr(0, slash)));
    uint64_t prefix = 0;
    if (!addr) return MakeUnexpected("invalid subnet " + Quote(text) + ": bad address");
    if (!ParseDecimal(Trim(t.substr(slash + 1)), prefix) || prefix > addr->size() * 8) {
      return MakeUnexpected("invalid subnet " + Quote(text) + ": bad prefix length");
    }
    unsigned p = static_cast<unsigned>(prefix);
    return AddressRange{addr->Masked(p), addr->LastInPrefix(p), static_cast<uint8_t>(p)};
  }
  size_t dash = t.find('-');
  if (dash != std::string_view::npos) {
    auto a = IpAddress::Parse(Trim(t.substr(0, dash)));
    auto b = IpAddress::Parse(Trim(t.substr(dash + 1)));
    if (!a || !b) return MakeUnexpected("invalid address range " + Quote(text));
    if (a->family() != b->family()) {
      return MakeUnexpected("address range " + Quote(text) + " mixes IPv4 and IPv6");
    }
    if (*b < *a) return MakeUnexpected("address range " + Quote(text) + " is reversed");
    return AddressRange{*a, *b, std::nullopt};
  }
  auto a = IpAddress::Parse(t);
  if (!a) return MakeUnexpected("invalid address " + Quote(text));
  return AddressRange{*a, *a, static_cast<uint8_t>(a->size() * 8)};
}

std::string AddressSpec::ToString() const {
  switch (kind) {
    case Kind::kAny: return "%any";
    case Kind::kAny4: return "%any4";
    case Kind::kAny6: return "%any6";
    case Kind::kRange: return range.ToString();
    case Kind::kHostname: return hostname;
  }
  return "?";
}

Result<AddressSpec, std::string> ParseAddressSpec(std::string_view text) {
  std::string_view t = Trim(text);
  AddressSpec spec;
  std::string l = Lower(t);
  if (l == "%any") return spec;
  if (l == "%any4") {
    spec.kind = AddressSpec::Kind::kAny4;
    return spec;
  }
  if (l == "%any6") {
    spec.kind = AddressSpec::Kind::kAny6;
    return spec;
  }
  if (t.empty()) return MakeUnexpected(std::string("empty address"));
  bool looks_ip = t.find_first_not_of("0123456789abcdefABCDEF.:/-") == std::string_view::npos &&
                  (t.find(':') != std::string_view::npos ||
                   std::isdigit(static_cast<unsigned char>(t.front())));
  // A host name: letters, digits, '-', '.', and not all-numeric.
  bool all_digits_dots = t.find_first_not_of("0123456789.") == std::string_view::npos;
  if (looks_ip || all_digits_dots || t.find('/') != std::string_view::npos) {
    auto r = ParseAddressRange(t);
    if (r) {
      spec.kind = AddressSpec::Kind::kRange;
      spec.range = *r;
      return spec;
    }
    if (all_digits_dots || t.find_first_of(":/") != std::string_view::npos) {
      return MakeUnexpected(r.error());
    }
  }
  for (char c : t) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
      return MakeUnexpected("invalid address or host name " + Quote(text));
    }
  }
  if (t.size() > 253) return MakeUnexpected("host name too long");
  spec.kind = AddressSpec::Kind::kHostname;
  spec.hostname = std::string(t);
  return spec;
}

// ---- traffic selectors ----

std::string TrafficSelector::ToString() const {
  std::string out = dynamic ? "dynamic" : range.ToString();
  if (protocol != 0 || from_port != 0 || to_port != 0xffff || opaque_port) {
    out += "[";
    if (protocol != 0) {
      std::string name = std::to_string(protocol);
      for (const auto& p : kProtocols) {
        if (p.number == protocol) {
          name = std::string(p.name);
          break;
        }
      }
      out += name;
    }
    if (opaque_port) {
      out += "/%opaque";
    } else if (from_port != 0 || to_port != 0xffff) {
      out += "/" + std::to_string(from_port);
      if (to_port != from_port) out += "-" + std::to_string(to_port);
    }
    out += "]";
  }
  return out;
}

Result<std::vector<TrafficSelector>, std::string> ParseTrafficSelector(std::string_view text) {
  std::string_view t = Trim(text);
  TrafficSelector ts;
  std::string_view addr = t;
  size_t bracket = t.find('[');
  if (bracket != std::string_view::npos) {
    if (t.back() != ']') {
      return MakeUnexpected("invalid traffic selector " + Quote(text) + ": missing ']'");
    }
    addr = Trim(t.substr(0, bracket));
    std::string_view inner = Trim(t.substr(bracket + 1, t.size() - bracket - 2));
    size_t slash = inner.find('/');
    std::string_view proto = Trim(inner.substr(0, slash));
    std::string_view port =
        slash == std::string_view::npos ? std::string_view() : Trim(inner.substr(slash + 1));
    if (!proto.empty() && Lower(proto) != "%any") {
      uint64_t n = 0;
      if (!LookupNumber(proto, kProtocols, std::size(kProtocols), 255, n)) {
        return MakeUnexpected("invalid protocol " + Quote(proto) + " in traffic selector " +
                              Quote(text));
      }
      ts.protocol = static_cast<uint8_t>(n);
    }
    if (!port.empty() && Lower(port) != "%any") {
      if (Lower(port) == "%opaque") {
        ts.opaque_port = true;
        ts.from_port = 0xffff;
        ts.to_port = 0;
      } else {
        size_t dash = port.find('-');
        uint64_t a = 0, b = 0;
        std::string_view pa = Trim(port.substr(0, dash));
        std::string_view pb = dash == std::string_view::npos ? pa : Trim(port.substr(dash + 1));
        if (!LookupNumber(pa, kServices, std::size(kServices), 65535, a) ||
            !LookupNumber(pb, kServices, std::size(kServices), 65535, b) || b < a) {
          return MakeUnexpected("invalid port " + Quote(port) + " in traffic selector " +
                                Quote(text));
        }
        ts.from_port = static_cast<uint16_t>(a);
        ts.to_port = static_cast<uint16_t>(b);
      }
    }
  }
  std::vector<TrafficSelector> out;
  std::string la = Lower(addr);
  if (la == "dynamic" || la.empty()) {
    if (la.empty() && bracket == std::string_view::npos) {
      return MakeUnexpected(std::string("empty traffic selector"));
    }
    ts.dynamic = true;
    out.push_back(ts);
    return out;
  }
  if (la == "%any" || la == "%any4" || la == "%any6") {
    if (la != "%any6") {
      TrafficSelector v4 = ts;
      v4.range = AddressRange{IpAddress::Any(AddressFamily::kIpv4),
                              IpAddress::Max(AddressFamily::kIpv4), 0};
      out.push_back(v4);
    }
    if (la != "%any4") {
      TrafficSelector v6 = ts;
      v6.range = AddressRange{IpAddress::Any(AddressFamily::kIpv6),
                              IpAddress::Max(AddressFamily::kIpv6), 0};
      out.push_back(v6);
    }
    return out;
  }
  auto range = ParseAddressRange(addr);
  if (!range) return MakeUnexpected("invalid traffic selector " + Quote(text) + ": " + range.error());
  ts.range = *range;
  out.push_back(ts);
  return out;
}

// ---- distinguished names ----

namespace {

struct X509NameDeleter {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameDeleter>;

struct DnAlias {
  std::string_view alias;
  std::string_view openssl;
};
constexpr DnAlias kDnAliases[] = {
    {"e", "emailAddress"}, {"email", "emailAddress"}, {"emailaddress", "emailAddress"},
    {"s", "ST"},           {"sp", "ST"},              {"st", "ST"},
    {"c", "C"},            {"l", "L"},                {"o", "O"},
    {"ou", "OU"},          {"cn", "CN"},              {"dc", "DC"},
    {"t", "title"},        {"title", "title"},        {"n", "name"},
    {"g", "GN"},           {"gn", "GN"},              {"i", "initials"},
    {"d", "description"},  {"uid", "UID"},            {"sn", "SN"},
    {"serialnumber", "serialNumber"}, {"postalcode", "postalCode"}, {"street", "street"},
    {"pseudonym", "pseudonym"}, {"dnq", "dnQualifier"}, {"dnqualifier", "dnQualifier"},
    {"unstructuredname", "unstructuredName"}, {"un", "unstructuredName"},
};

int DnNid(std::string_view type) {
  std::string l = Lower(type);
  for (const auto& a : kDnAliases) {
    if (a.alias == l) return OBJ_txt2nid(std::string(a.openssl).c_str());
  }
  // A dotted OID ("2.5.4.3").
  if (!type.empty() && std::isdigit(static_cast<unsigned char>(type[0]))) {
    ASN1_OBJECT* obj = OBJ_txt2obj(std::string(type).c_str(), 1);
    if (obj == nullptr) return NID_undef;
    int nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    return nid;
  }
  return NID_undef;
}

}  // namespace

Result<Bytes, std::string> ParseDistinguishedName(std::string_view text) {
  std::string_view t = Trim(text);
  char sep = ',';
  if (!t.empty() && t[0] == '/') {
    sep = '/';
    t.remove_prefix(1);
  }
  X509NamePtr name(X509_NAME_new());
  if (!name) return MakeUnexpected(std::string("out of memory"));
  size_t i = 0;
  int count = 0;
  while (i < t.size()) {
    // type
    size_t eq = t.find('=', i);
    if (eq == std::string_view::npos) {
      return MakeUnexpected("invalid DN " + Quote(text) + ": missing '=' after '" +
                            std::string(Trim(t.substr(i))) + "'");
    }
    std::string_view type = Trim(t.substr(i, eq - i));
    i = eq + 1;
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    std::string value;
    if (i < t.size() && t[i] == '"') {
      ++i;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < t.size()) ++i;
        value += t[i++];
      }
      if (i >= t.size()) return MakeUnexpected("invalid DN " + Quote(text) + ": unterminated quote");
      ++i;
      while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
      if (i < t.size() && t[i] != sep) {
        return MakeUnexpected("invalid DN " + Quote(text) + ": text after quoted value");
      }
    } else {
      while (i < t.size() && t[i] != sep) {
        if (t[i] == '\\' && i + 1 < t.size()) ++i;
        value += t[i++];
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    if (i < t.size()) ++i;  // separator
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
    int nid = DnNid(type);
    if (nid == NID_undef) {
      return MakeUnexpected("invalid DN " + Quote(text) + ": unknown attribute type '" +
                            std::string(type) + "'");
    }
    if (value.empty()) {
      return MakeUnexpected("invalid DN " + Quote(text) + ": empty value for '" +
                            std::string(type) + "'");
    }
    if (X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
      return MakeUnexpected("invalid DN " + Quote(text) + ": bad value for '" +
                            std::string(type) + "'");
    }
    ++count;
  }
  if (count == 0) return MakeUnexpected("invalid DN " + Quote(text) + ": no attributes");
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name.get(), &der);
  if (len <= 0) return MakeUnexpected("invalid DN " + Quote(text));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

std::string DnToString(ByteView der) {
  const unsigned char* p = der.data();
  X509NamePtr name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!name) return "<invalid DN>";
  std::string out;
  for (int i = 0; i < X509_NAME_entry_count(name.get()); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name.get(), i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* sn = nid == NID_pkcs9_emailAddress ? "E" : OBJ_nid2sn(nid);
    char oid[64];
    if (sn == nullptr || nid == NID_undef) {
      OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
      sn = oid;
    }
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (!out.empty()) out += ", ";
    out += sn;
    out += "=";
    if (len >= 0) out.append(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

// ---- identities ----

IdType Identity::id_type() const {
  switch (kind) {
    case Kind::kIpv4: return IdType::kIpv4Addr;
    case Kind::kIpv6: return IdType::kIpv6Addr;
    case Kind::kEmail: return IdType::kRfc822Addr;
    case Kind::kDn: return IdType::kDerAsn1Dn;
    case Kind::kKeyId: return IdType::kKeyId;
    case Kind::kFqdn:
    case Kind::kAny:
      return IdType::kFqdn;
  }
  return IdType::kFqdn;
}

std::string Identity::ToString() const {
  switch (kind) {
    case Kind::kAny: return "%any";
    case Kind::kDn: return DnToString(encoding);
    case Kind::kKeyId: return "@#" + ToHex(encoding);
    default: return std::string(encoding.begin(), encoding.end());
  }
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool DnMatches(ByteView pattern_der, ByteView peer_der) {
  const unsigned char* p = pattern_der.data();
  X509NamePtr pattern(d2i_X509_NAME(nullptr, &p, static_cast<long>(pattern_der.size())));
  const unsigned char* q = peer_der.data();
  X509NamePtr peer(d2i_X509_NAME(nullptr, &q, static_cast<long>(peer_der.size())));
  if (!pattern || !peer) return false;
  if (X509_NAME_cmp(pattern.get(), peer.get()) == 0) return true;
  int n = X509_NAME_entry_count(pattern.get());
  if (n != X509_NAME_entry_count(peer.get())) return false;
  for (int i = 0; i < n; ++i) {
    X509_NAME_ENTRY* a = X509_NAME_get_entry(pattern.get(), i);
    X509_NAME_ENTRY* b = X509_NAME_get_entry(peer.get(), i);
    if (OBJ_cmp(X509_NAME_ENTRY_get_object(a), X509_NAME_ENTRY_get_object(b)) != 0) return false;
    const ASN1_STRING* av = X509_NAME_ENTRY_get_data(a);
    std::string_view a_text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(av)),
                            static_cast<size_t>(ASN1_STRING_length(av)));
    if (a_text == "*") continue;
    // Compare this RDN alone, canonically.
    X509NamePtr one_a(X509_NAME_new()), one_b(X509_NAME_new());
    if (!one_a || !one_b || X509_NAME_add_entry(one_a.get(), a, -1, 0) != 1 ||
        X509_NAME_add_entry(one_b.get(), b, -1, 0) != 1) {
      return false;
    }
    if (X509_NAME_cmp(one_a.get(), one_b.get()) != 0) return false;
  }
  return true;
}

bool TextMatches(std::string_view pattern, std::string_view peer) {
  if (pattern.size() >= 1 && pattern[0] == '*') {
    std::string_view suffix = pattern.substr(1);
    return peer.size() >= suffix.size() &&
           EqualsIgnoreCase(peer.substr(peer.size() - suffix.size()), suffix);
  }
  return EqualsIgnoreCase(pattern, peer);
}

}  // namespace

bool Identity::Matches(IdType type, ByteView data) const {
  if (kind == Kind::kAny) return true;
  if (type != id_type()) return false;
  switch (kind) {
    case Kind::kDn: return DnMatches(encoding, data);
    case Kind::kFqdn:
    case Kind::kEmail:
      return TextMatches(std::string_view(reinterpret_cast<const char*>(encoding.data()), encoding.size()),
                         std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    default:
      return encoding.size() == data.size() && std::equal(encoding.begin(), encoding.end(), data.begin());
  }
}

Result<Identity, std::string> ParseIdentity(std::string_view text) {
  std::string_view t = Trim(text);
  Identity id;
  id.text = std::string(t);
  if (t.empty() || t == "%any" || t == "%any6" || t == "*" || t == "0.0.0.0" || t == "::") {
    id.kind = Identity::Kind::kAny;
    return id;
  }
  auto set_text = [&](Identity::Kind kind, std::string_view v) -> Result<Identity, std::string> {
    if (v.empty()) return MakeUnexpected("empty identity " + Quote(text));
    id.kind = kind;
    id.encoding.assign(v.begin(), v.end());
    id.has_wildcards = v.find('*') != std::string_view::npos;
    return id;
  };
  auto set_ip = [&](std::string_view v, int want) -> Result<Identity, std::string> {
    auto a = IpAddress::Parse(v);
    if (!a || (want == 4 && !a->is_v4()) || (want == 6 && !a->is_v6())) {
      return MakeUnexpected("invalid IP address identity " + Quote(text));
    }
    id.kind = a->is_v4() ? Identity::Kind::kIpv4 : Identity::Kind::kIpv6;
    id.encoding.assign(a->bytes().begin(), a->bytes().end());
    return id;
  };
  auto set_dn = [&](std::string_view v) -> Result<Identity, std::string> {
    auto der = ParseDistinguishedName(v);
    if (!der) return MakeUnexpected(der.error());
    id.kind = Identity::Kind::kDn;
    id.encoding = std::move(*der);
    // A '*' RDN value is a wildcard when matching peers.
    id.has_wildcards = v.find("=*") != std::string_view::npos ||
                       v.find("= *") != std::string_view::npos;
    return id;
  };
  auto set_keyid = [&](std::string_view v) -> Result<Identity, std::string> {
    id.kind = Identity::Kind::kKeyId;
    if (!v.empty() && v[0] == '#') {
      Bytes raw;
      if (!FromHex(v.substr(1), raw) || raw.empty()) {
        return MakeUnexpected("invalid KEY_ID identity " + Quote(text) + ": bad hex");
      }
      id.encoding = std::move(raw);
    } else {
      if (v.empty()) return MakeUnexpected("empty KEY_ID identity");
      id.encoding.assign(v.begin(), v.end());
    }
    return id;
  };
  // Explicit type prefixes.
  struct Prefix {
    std::string_view name;
    int type;  // 0 ipv4 1 ipv6 2 email 3 fqdn 4 dn 5 keyid
  };
  constexpr Prefix kPrefixes[] = {{"ipv4:", 0},  {"ipv6:", 1},     {"rfc822:", 2},
                                  {"email:", 2}, {"userfqdn:", 2}, {"fqdn:", 3},
                                  {"dns:", 3},   {"asn1dn:", 4},   {"keyid:", 5}};
  for (const auto& p : kPrefixes) {
    if (t.size() > p.name.size() && Lower(t.substr(0, p.name.size())) == p.name) {
      std::string_view v = t.substr(p.name.size());
      switch (p.type) {
        case 0: return set_ip(v, 4);
        case 1: return set_ip(v, 6);
        case 2: return set_text(Identity::Kind::kEmail, v);
        case 3: return set_text(Identity::Kind::kFqdn, v);
        case 4: return set_dn(v);
        case 5: return set_keyid(v);
      }
    }
  }
  if (t.find('=') != std::string_view::npos) return set_dn(t);
  if (t[0] == '@') {
    if (t.size() > 1 && t[1] == '#') return set_keyid(t.substr(1));
    if (t.size() > 1 && t[1] == '@') return set_text(Identity::Kind::kEmail, t.substr(2));
    return set_text(Identity::Kind::kFqdn, t.substr(1));
  }
  if (t.find('@') != std::string_view::npos) return set_text(Identity::Kind::kEmail, t);
  if (auto a = IpAddress::Parse(t)) return set_ip(t, 0);
  return set_text(Identity::Kind::kFqdn, t);
}

// ---- marks ----

namespace {
std::string SpecialName(Mark::Special s) {
  switch (s) {
    case Mark::Special::kUnique: return "%unique";
    case Mark::Special::kUniqueDir: return "%unique-dir";
    case Mark::Special::kSame: return "%same";
    case Mark::Special::kNone: break;
  }
  return "";
}
}  // namespace

std::string Mark::ToString() const {
  std::string v = special != Special::kNone ? SpecialName(special) : std::to_string(value);
  if (mask != 0xffffffff) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08x", mask);
    v += "/";
    v += buf;
  }
  return v;
}

Result<Mark, std::string> ParseMark(std::string_view text, bool allow_same) {
  std::string_view t = Trim(text);
  Mark m;
  size_t slash = t.find('/');
  std::string_view value = Trim(t.substr(0, slash));
  std::string l = Lower(value);
  if (l == "%unique") {
    m.special = Mark::Special::kUnique;
  } else if (l == "%unique-dir") {
    m.special = Mark::Special::kUniqueDir;
  } else if (l == "%same" && allow_same) {
    m.special = Mark::Special::kSame;
  } else {
    auto v = ParseUint(value, 0xffffffff);
    if (!v) return MakeUnexpected("invalid mark " + Quote(text));
    m.value = static_cast<uint32_t>(*v);
  }
  if (slash != std::string_view::npos) {
    auto mask = ParseUint(Trim(t.substr(slash + 1)), 0xffffffff);
    if (!mask) return MakeUnexpected("invalid mark mask in " + Quote(text));
    m.mask = static_cast<uint32_t>(*mask);
  }
  return m;
}

std::string IfId::ToString() const {
  return special != Mark::Special::kNone ? SpecialName(special) : std::to_string(value);
}

Result<IfId, std::string> ParseIfId(std::string_view text) {
  std::string l = Lower(Trim(text));
  IfId id;
  if (l == "%unique") {
    id.special = Mark::Special::kUnique;
  } else if (l == "%unique-dir") {
    id.special = Mark::Special::kUniqueDir;
  } else {
    auto v = ParseUint(l, 0xffffffff);
    if (!v) return MakeUnexpected("invalid interface ID " + Quote(text));
    id.value = static_cast<uint32_t>(*v);
  }
  return id;
}

// ---- secrets ----

Result<SecretBytes, std::string> DecodeSecretValue(std::string_view text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    Bytes raw;
    if (!FromHex(text.substr(2), raw)) {
      return MakeUnexpected(std::string("invalid hex secret (0x form)"));
    }
    SecretBytes s(raw);
    OPENSSL_cleanse(raw.data(), raw.size());
    return s;
  }
  if (text.size() > 2 && text[0] == '0' && (text[1] == 's' || text[1] == 'S')) {
    std::string_view b64 = text.substr(2);
    std::string clean;
    clean.reserve(b64.size());  // no reallocation: no stray copies of the secret
    for (char c : b64) {
      if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
    }
    if (clean.empty() || clean.size() % 4 != 0) {
      OPENSSL_cleanse(clean.data(), clean.size());
      return MakeUnexpected(std::string("invalid base64 secret (0s form)"));
    }
    SecretBytes out(clean.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(clean.data()),
                            static_cast<int>(clean.size()));
    size_t pad = 0;
    if (clean.back() == '=') ++pad;
    if (clean.size() >= 2 && clean[clean.size() - 2] == '=') ++pad;
    bool misplaced_pad = clean.find('=') < clean.size() - pad;
    OPENSSL_cleanse(clean.data(), clean.size());
    if (n < 0 || static_cast<size_t>(n) < pad || misplaced_pad) {
      return MakeUnexpected(std::string("invalid base64 secret (0s form)"));
    }
    out.Resize(static_cast<size_t>(n) - pad);
    return out;
  }
  return SecretBytes(AsBytes(text));
}

}  // namespace ike::conf
