#include "libike/engine/sa/config.h"

#include <cctype>

namespace ike::engine {

const ChildConfigRef& DefaultChildConfig() {
  static const ChildConfigRef kDefault = std::make_shared<const ChildConfig>();
  return kDefault;
}

std::optional<Identity> Identity::Parse(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "%any") return Identity{IdType::kFqdn, {}};
  if (auto addr = IpAddress::Parse(text)) return FromAddress(*addr);
  if (text.rfind("@#", 0) == 0) {
    Bytes key_id;
    if (!FromHex(text.substr(2), key_id)) return std::nullopt;
    return Identity{IdType::kKeyId, std::move(key_id)};
  }
  if (text[0] == '@') {
    std::string fqdn = text.substr(1);
    return Identity{IdType::kFqdn, Bytes(fqdn.begin(), fqdn.end())};
  }
  IdType type = text.find('@') != std::string::npos ? IdType::kRfc822Addr : IdType::kFqdn;
  return Identity{type, Bytes(text.begin(), text.end())};
}

Identity Identity::FromAddress(const IpAddress& addr) {
  auto b = addr.bytes();
  return Identity{addr.is_v4() ? IdType::kIpv4Addr : IdType::kIpv6Addr, Bytes(b.begin(), b.end())};
}

bool Identity::Matches(const Identity& other) const {
  if (IsAny()) return true;
  if (!wildcard || (type != IdType::kFqdn && type != IdType::kRfc822Addr)) return *this == other;
  if (other.type != type) return false;
  // Glob with '*' only (ASCII case-insensitive, as DNS names are): on a
  // mismatch, let the last '*' take one more byte.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t p = 0, d = 0, star = kNone, mark = 0;
  const Bytes& pat = data;
  const Bytes& txt = other.data;
  while (d < txt.size()) {
    if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = d;
    } else if (p < pat.size() && std::tolower(pat[p]) == std::tolower(txt[d])) {
      ++p;
      ++d;
    } else if (star != kNone) {
      p = star + 1;
      d = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

std::string Identity::ToString() const {
  if (IsAny()) return "%any";
  switch (type) {
    case IdType::kIpv4Addr:
    case IdType::kIpv6Addr:
      if (auto a = IpAddress::FromBytes(data)) return a->ToString();
      break;
    case IdType::kFqdn:
    case IdType::kRfc822Addr: {
      std::string s;
      for (uint8_t c : data) s.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
      return s;
    }
    default:
      break;
  }
  return "@#" + ToHex(data);
}

}  // namespace ike::engine

namespace ike::engine {

const char* EapMethodName(EapMethod method) {
  switch (method) {
    case EapMethod::kIdentity: return "eap-identity";
    case EapMethod::kMd5: return "eap-md5";
    case EapMethod::kTls: return "eap-tls";
    case EapMethod::kMschapv2: return "eap-mschapv2";
    case EapMethod::kRadius: return "eap-radius";
  }
  return "eap-?";
}

}  // namespace ike::engine
