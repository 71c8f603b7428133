#include "libike/eap/eap_packet.h"


namespace ike::eap {

const char* TypeName(Type type) {
  switch (type) {
    case Type::kNone: return "none";
    case Type::kIdentity: return "Identity";
    case Type::kNotification: return "Notification";
    case Type::kNak: return "Nak";
    case Type::kMd5: return "MD5";
    case Type::kTls: return "TLS";
    case Type::kMschapv2: return "MSCHAPv2";
  }
  return "unknown";
}

Result<Packet, std::string> Decode(ByteView bytes) {
  if (bytes.size() < 4) return MakeUnexpected(std::string("EAP packet shorter than 4 octets"));
  if (bytes.size() > kMaxPacket) return MakeUnexpected(std::string("EAP packet too large"));
  Packet p;
  uint8_t code = bytes[0];
  if (code < 1 || code > 4) {
    return MakeUnexpected("unknown EAP code " + std::to_string(code));
  }
  p.code = static_cast<Code>(code);
  p.id = bytes[1];
  size_t length = static_cast<size_t>(bytes[2]) << 8 | bytes[3];
  if (length != bytes.size()) {
    return MakeUnexpected("EAP length " + std::to_string(length) + " but " +
                          std::to_string(bytes.size()) + " octets");
  }
  if (p.code == Code::kSuccess || p.code == Code::kFailure) {
    if (length != 4) return MakeUnexpected(std::string("EAP Success/Failure with data"));
    return p;
  }
  if (length < 5) return MakeUnexpected(std::string("EAP Request/Response without a type"));
  p.type = static_cast<Type>(bytes[4]);
  if (bytes[4] == 0 || bytes[4] == 254 || bytes[4] == 255) {
    // 254 (expanded types) and 255 (experimental) are not supported.
    return MakeUnexpected("unsupported EAP type " + std::to_string(bytes[4]));
  }
  p.data.assign(bytes.begin() + 5, bytes.end());
  return p;
}

Bytes Encode(const Packet& p) {
  bool typed = p.code == Code::kRequest || p.code == Code::kResponse;
  size_t length = 4 + (typed ? 1 + p.data.size() : 0);
  Bytes out;
  out.reserve(length);
  out.push_back(static_cast<uint8_t>(p.code));
  out.push_back(p.id);
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  if (typed) {
    out.push_back(static_cast<uint8_t>(p.type));
    out.insert(out.end(), p.data.begin(), p.data.end());
  }
  return out;
}

}  // namespace ike::eap
