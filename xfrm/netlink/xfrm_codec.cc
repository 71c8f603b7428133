#include "xfrm/netlink/xfrm_codec.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>

namespace ike::xfrm::netlink {
namespace {

constexpr size_t kHeaderLen = NLMSG_ALIGN(sizeof(nlmsghdr));

uint16_t Family(AddressFamily f) { return f == AddressFamily::kIpv4 ? AF_INET : AF_INET6; }

uint8_t IpProto(ProtocolId p) { return p == ProtocolId::kAh ? IPPROTO_AH : IPPROTO_ESP; }

std::string_view ProtoName(ProtocolId p) { return p == ProtocolId::kAh ? "ah" : "esp"; }

xfrm_address_t ToXfrm(const IpAddress& a) {
  xfrm_address_t out;
  std::memset(&out, 0, sizeof out);
  std::memcpy(&out, a.bytes().data(), a.size());
  return out;
}

IpAddress FromXfrm(const xfrm_address_t& a, uint16_t family) {
  const auto* p = reinterpret_cast<const uint8_t*>(&a);
  if (family == AF_INET6) {
    std::array<uint8_t, 16> b{};
    std::memcpy(b.data(), p, 16);
    return IpAddress::V6(b);
  }
  std::array<uint8_t, 4> b{};
  std::memcpy(b.data(), p, 4);
  return IpAddress::V4(b);
}

uint8_t XfrmMode(Mode m) { return m == Mode::kTunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT; }

uint8_t XfrmDir(Direction d) {
  switch (d) {
    case Direction::kIn: return XFRM_POLICY_IN;
    case Direction::kOut: return XFRM_POLICY_OUT;
    case Direction::kFwd: return XFRM_POLICY_FWD;
  }
  return XFRM_POLICY_OUT;
}

Direction FromXfrmDir(uint8_t d) {
  if (d == XFRM_POLICY_IN) return Direction::kIn;
  if (d == XFRM_POLICY_FWD) return Direction::kFwd;
  return Direction::kOut;
}

std::string_view DirName(Direction d) {
  switch (d) {
    case Direction::kIn: return "in";
    case Direction::kOut: return "out";
    case Direction::kFwd: return "fwd";
  }
  return "?";
}

xfrm_selector ToXfrm(const Selector& s) {
  xfrm_selector out;
  std::memset(&out, 0, sizeof out);
  out.daddr = ToXfrm(s.dst);
  out.saddr = ToXfrm(s.src);
  out.dport = htons(s.dst_port);
  out.dport_mask = htons(s.dst_port_mask);
  out.sport = htons(s.src_port);
  out.sport_mask = htons(s.src_port_mask);
  out.family = Family(s.family());
  out.prefixlen_d = s.dst_prefix;
  out.prefixlen_s = s.src_prefix;
  out.proto = s.proto;
  return out;
}

Selector FromXfrm(const xfrm_selector& s, uint16_t fallback_family) {
  uint16_t family = s.family != 0 ? s.family : fallback_family;
  Selector out;
  out.src = FromXfrm(s.saddr, family);
  out.dst = FromXfrm(s.daddr, family);
  out.src_prefix = s.prefixlen_s;
  out.dst_prefix = s.prefixlen_d;
  out.proto = s.proto;
  out.src_port = ntohs(s.sport);
  out.src_port_mask = ntohs(s.sport_mask);
  out.dst_port = ntohs(s.dport);
  out.dst_port_mask = ntohs(s.dport_mask);
  return out;
}

uint64_t LimitOrInf(uint64_t v) { return v == 0 ? XFRM_INF : v; }
uint64_t InfToZero(uint64_t v) { return v == XFRM_INF ? 0 : v; }

xfrm_lifetime_cfg ToXfrm(const Lifetime& soft, const Lifetime& hard) {
  xfrm_lifetime_cfg out;
  std::memset(&out, 0, sizeof out);
  out.soft_byte_limit = LimitOrInf(soft.bytes);
  out.hard_byte_limit = LimitOrInf(hard.bytes);
  out.soft_packet_limit = LimitOrInf(soft.packets);
  out.hard_packet_limit = LimitOrInf(hard.packets);
  out.soft_add_expires_seconds = soft.seconds;
  out.hard_add_expires_seconds = hard.seconds;
  return out;
}

xfrm_lifetime_cfg InfiniteLifetime() {
  xfrm_lifetime_cfg out;
  std::memset(&out, 0xff, sizeof out);
  out.soft_add_expires_seconds = out.hard_add_expires_seconds = 0;
  out.soft_use_expires_seconds = out.hard_use_expires_seconds = 0;
  return out;
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

void PutMark(Request& r, const Mark& mark) {
  if (mark.mask == 0 && mark.value == 0) return;
  xfrm_mark m{mark.value, mark.mask};
  r.PutAttr(XFRMA_MARK, &m, sizeof m);
}

// Appends an algorithm attribute: fixed header then key bytes. The staging
// buffer is wiped.
template <typename Head>
void PutAlgorithm(Request& r, uint16_t type, const Head& head, ByteView key) {
  uint8_t buf[sizeof(Head) + 128];
  if (key.size() > 128) {
    r.PutAttr(type, nullptr, 0xffff);  // forces the overflow flag
    return;
  }
  std::memcpy(buf, &head, sizeof head);
  if (!key.empty()) std::memcpy(buf + sizeof head, key.data(), key.size());
  r.PutAttr(type, buf, sizeof head + key.size());
  OPENSSL_cleanse(buf, sizeof buf);
}

// Copies a fixed struct out of a possibly unaligned view.
template <typename T>
bool ReadStruct(ByteView data, T& out) {
  if (data.size() < sizeof(T)) return false;
  std::memcpy(&out, data.data(), sizeof(T));
  return true;
}

// Walks the attributes in `data`, calling f(type, payload). False when an
// attribute header is inconsistent.
template <typename F>
bool ForEachAttr(ByteView data, F f) {
  size_t off = 0;
  while (data.size() - off >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, data.data() + off, sizeof a);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > data.size() - off) return false;
    f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
      data.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= data.size() - off) break;
    off += step;
  }
  return true;
}

// Attributes after a fixed struct of size `fixed`.
ByteView AttrsAfter(ByteView payload, size_t fixed) {
  size_t start = NLMSG_ALIGN(fixed);
  if (start >= payload.size()) return {};
  return payload.subspan(start);
}

std::string AlgName(ByteView attr) {
  size_t n = std::min<size_t>(attr.size(), 64);
  const char* p = reinterpret_cast<const char*>(attr.data());
  return std::string(p, strnlen(p, n));
}

uint32_t ReadU32(ByteView attr) {
  uint32_t v = 0;
  if (attr.size() >= 4) std::memcpy(&v, attr.data(), 4);
  return v;
}

ProtocolId FromIpProto(uint8_t proto) {
  if (proto == IPPROTO_AH) return ProtocolId::kAh;
  if (proto == IPPROTO_ESP) return ProtocolId::kEsp;
  return ProtocolId::kNone;
}

bool ValidFamily(uint16_t f) { return f == AF_INET || f == AF_INET6; }

}  // namespace

// ---- Algorithms ------------------------------------------------------------

BackendResult<KernelAlgorithms> MapAlgorithms(ProtocolId protocol, EncrId encr,
                                              uint16_t encr_key_bits, IntegId integ) {
  KernelAlgorithms out;
  auto bad = [](std::string detail) {
    return MakeUnexpected(BackendError{BackendError::Code::kAlgorithm, 0, std::move(detail)});
  };
  if (protocol != ProtocolId::kAh) {
    switch (encr) {
      case EncrId::kAesGcm8:
      case EncrId::kAesGcm12:
      case EncrId::kAesGcm16:
        if (encr_key_bits != 128 && encr_key_bits != 192 && encr_key_bits != 256) {
          return bad("AES-GCM key length " + std::to_string(encr_key_bits));
        }
        out.aead = "rfc4106(gcm(aes))";
        out.aead_icv_bits = encr == EncrId::kAesGcm8 ? 64 : encr == EncrId::kAesGcm12 ? 96 : 128;
        out.enc_key_bytes = encr_key_bits / 8 + 4;  // + salt (RFC 4106 section 8.1)
        break;
      case EncrId::kChaCha20Poly1305:
        if (encr_key_bits != 256 && encr_key_bits != 0) return bad("ChaCha20 key length");
        out.aead = "rfc7539esp(chacha20,poly1305)";
        out.aead_icv_bits = 128;
        out.enc_key_bytes = 32 + 4;  // + salt (RFC 7634 section 2)
        break;
      case EncrId::kAesCbc:
        if (encr_key_bits != 128 && encr_key_bits != 192 && encr_key_bits != 256) {
          return bad("AES-CBC key length " + std::to_string(encr_key_bits));
        }
        out.crypt = "cbc(aes)";
        out.enc_key_bytes = encr_key_bits / 8;
        break;
      case EncrId::kNull:
        out.crypt = "ecb(cipher_null)";
        out.enc_key_bytes = 0;
        break;
      default:
        return bad("encryption algorithm " + std::to_string(static_cast<int>(encr)) +
                   " not supported by the kernel backend");
    }
  }
  bool aead = !out.aead.empty();
  if (aead && integ != IntegId::kNone) return bad("AEAD with a separate integrity algorithm");
  if (!aead) {
    switch (integ) {
      case IntegId::kHmacSha1_96:
        out.auth = "hmac(sha1)", out.auth_trunc_bits = 96, out.integ_key_bytes = 20;
        break;
      case IntegId::kHmacSha2_256_128:
        out.auth = "hmac(sha256)", out.auth_trunc_bits = 128, out.integ_key_bytes = 32;
        break;
      case IntegId::kHmacSha2_384_192:
        out.auth = "hmac(sha384)", out.auth_trunc_bits = 192, out.integ_key_bytes = 48;
        break;
      case IntegId::kHmacSha2_512_256:
        out.auth = "hmac(sha512)", out.auth_trunc_bits = 256, out.integ_key_bytes = 64;
        break;
      case IntegId::kNone:
        if (protocol == ProtocolId::kAh) return bad("AH needs an integrity algorithm");
        return bad("non-AEAD encryption without integrity");
      default:
        return bad("integrity algorithm " + std::to_string(static_cast<int>(integ)) +
                   " not supported by the kernel backend");
    }
  }
  return out;
}

// ---- Descriptions ------------------------------------------------------------

std::string Describe(const Selector& s) {
  std::string out = s.src.ToString() + "/" + std::to_string(s.src_prefix);
  if (s.src_port_mask != 0) out += "[" + std::to_string(s.src_port) + "]";
  out += "->" + s.dst.ToString() + "/" + std::to_string(s.dst_prefix);
  if (s.dst_port_mask != 0) out += "[" + std::to_string(s.dst_port) + "]";
  if (s.proto != 0) out += " proto " + std::to_string(s.proto);
  return out;
}

std::string Describe(const SaId& sa) {
  std::string out = "SA " + std::string(ProtoName(sa.protocol)) + " spi " + Hex32(sa.spi) +
                    " dst " + sa.dst.ToString();
  if (sa.mark.mask != 0) out += " mark " + Hex32(sa.mark.value) + "/" + Hex32(sa.mark.mask);
  return out;
}

std::string Describe(const PolicyId& p) {
  std::string out = "policy " + std::string(DirName(p.direction)) + " " + Describe(p.selector);
  if (p.mark.mask != 0) out += " mark " + Hex32(p.mark.value) + "/" + Hex32(p.mark.mask);
  if (p.if_id != 0) out += " if_id " + std::to_string(p.if_id);
  return out;
}

// ---- Request -----------------------------------------------------------------

Request::Request(uint16_t type, uint16_t flags, std::string what, size_t capacity)
    : buf_(capacity), what_(std::move(what)) {
  nlmsghdr h{};
  h.nlmsg_len = kHeaderLen;
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  std::memcpy(buf_.data(), &h, sizeof h);
}

void Request::PutFixed(const void* value, size_t len) {
  PutAttr(0xffff, value, len);  // reuse the bounds logic; 0xffff marks "no header"
}

void Request::PutAttr(uint16_t type, const void* data, size_t len) {
  nlmsghdr h;
  std::memcpy(&h, buf_.data(), sizeof h);
  bool fixed = type == 0xffff;
  size_t need = fixed ? NLMSG_ALIGN(len) : NLA_ALIGN(NLA_HDRLEN + len);
  if (h.nlmsg_len + need > buf_.size() || len > 0xffff - NLA_HDRLEN) {
    overflowed_ = true;
    return;
  }
  uint8_t* p = buf_.data() + h.nlmsg_len;
  std::memset(p, 0, need);
  if (fixed) {
    if (len) std::memcpy(p, data, len);
  } else {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
    std::memcpy(p, &a, sizeof a);
    if (len) std::memcpy(p + NLA_HDRLEN, data, len);
  }
  h.nlmsg_len += static_cast<uint32_t>(need);
  std::memcpy(buf_.data(), &h, sizeof h);
}

void Request::set_seq(uint32_t seq) {
  std::memcpy(buf_.data() + offsetof(nlmsghdr, nlmsg_seq), &seq, sizeof seq);
}

uint32_t Request::seq() const {
  uint32_t v;
  std::memcpy(&v, buf_.data() + offsetof(nlmsghdr, nlmsg_seq), sizeof v);
  return v;
}

uint16_t Request::type() const {
  uint16_t v;
  std::memcpy(&v, buf_.data() + offsetof(nlmsghdr, nlmsg_type), sizeof v);
  return v;
}

uint16_t Request::flags() const {
  uint16_t v;
  std::memcpy(&v, buf_.data() + offsetof(nlmsghdr, nlmsg_flags), sizeof v);
  return v;
}

ByteView Request::bytes() const {
  uint32_t len;
  std::memcpy(&len, buf_.data(), sizeof len);
  return ByteView(buf_.data(), len);
}

// ---- Encoders --------------------------------------------------------------------

BackendResult<Request> EncodeSa(const SaParams& sa, bool update, const SaEncodeOptions& options) {
  auto invalid = [&](std::string detail) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       Describe(sa.id) + ": " + std::move(detail)});
  };
  if (sa.id.dst.family() != sa.src.family()) return invalid("outer address families differ");
  if (sa.id.spi == 0) return invalid("SPI 0");
  auto algs = MapAlgorithms(sa.id.protocol, sa.encr, sa.encr_key_bits, sa.integ);
  if (!algs) {
    BackendError e = std::move(algs).error();
    e.detail = Describe(sa.id) + ": " + e.detail;
    return MakeUnexpected(std::move(e));
  }
  if (sa.id.protocol == ProtocolId::kEsp && sa.enc_key.size() != algs->enc_key_bytes) {
    return invalid("encryption key has " + std::to_string(sa.enc_key.size()) + " bytes, expected " +
                   std::to_string(algs->enc_key_bytes));
  }
  if (!algs->auth.empty() && sa.integ_key.size() != algs->integ_key_bytes) {
    return invalid("integrity key has " + std::to_string(sa.integ_key.size()) +
                   " bytes, expected " + std::to_string(algs->integ_key_bytes));
  }
  if (sa.encap && sa.id.protocol != ProtocolId::kEsp) return invalid("UDP encapsulation of AH");
  if (sa.offload != OffloadMode::kNone && options.offload_ifindex == 0) {
    return invalid("offload device '" + sa.offload_dev + "' not resolved");
  }

  Request r(update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK,
            Describe(sa.id));
  xfrm_usersa_info info;
  std::memset(&info, 0, sizeof info);
  uint16_t family = Family(sa.id.dst.family());
  if (sa.selector) info.sel = ToXfrm(*sa.selector);
  else info.sel.family = family;
  info.id.daddr = ToXfrm(sa.id.dst);
  info.id.spi = htonl(sa.id.spi);
  info.id.proto = IpProto(sa.id.protocol);
  info.saddr = ToXfrm(sa.src);
  info.lft = ToXfrm(sa.soft, sa.hard);
  info.reqid = sa.reqid;
  info.family = family;
  info.mode = XfrmMode(sa.mode);
  bool use_esn_attr = sa.esn || sa.replay_window > 32;
  if (!use_esn_attr) info.replay_window = static_cast<uint8_t>(sa.replay_window);
  if (sa.esn) info.flags |= XFRM_STATE_ESN;
  r.PutFixed(&info, sizeof info);

  if (!algs->aead.empty()) {
    xfrm_algo_aead head;
    std::memset(&head, 0, sizeof head);
    std::snprintf(head.alg_name, sizeof head.alg_name, "%s", algs->aead.c_str());
    head.alg_key_len = static_cast<unsigned>(sa.enc_key.size() * 8);
    head.alg_icv_len = algs->aead_icv_bits;
    PutAlgorithm(r, XFRMA_ALG_AEAD, head, sa.enc_key.view());
  }
  if (!algs->crypt.empty()) {
    xfrm_algo head;
    std::memset(&head, 0, sizeof head);
    std::snprintf(head.alg_name, sizeof head.alg_name, "%s", algs->crypt.c_str());
    head.alg_key_len = static_cast<unsigned>(sa.enc_key.size() * 8);
    PutAlgorithm(r, XFRMA_ALG_CRYPT, head, sa.enc_key.view());
  }
  if (!algs->auth.empty()) {
    xfrm_algo_auth head;
    std::memset(&head, 0, sizeof head);
    std::snprintf(head.alg_name, sizeof head.alg_name, "%s", algs->auth.c_str());
    head.alg_key_len = static_cast<unsigned>(sa.integ_key.size() * 8);
    head.alg_trunc_len = algs->auth_trunc_bits;
    PutAlgorithm(r, XFRMA_ALG_AUTH_TRUNC, head, sa.integ_key.view());
  }
  if (sa.encap) {
    xfrm_encap_tmpl encap;
    std::memset(&encap, 0, sizeof encap);
    encap.encap_type = UDP_ENCAP_ESPINUDP;
    encap.encap_sport = htons(sa.encap->src_port);
    encap.encap_dport = htons(sa.encap->dst_port);
    r.PutAttr(XFRMA_ENCAP, &encap, sizeof encap);
  }
  if (use_esn_attr) {
    uint32_t window = std::max<uint32_t>(sa.replay_window, sa.esn ? 1 : 0);
    uint32_t bmp_words = (window + 31) / 32;
    if (bmp_words * 4 > 4096) return invalid("replay window too large");
    xfrm_replay_state_esn head;
    std::memset(&head, 0, sizeof head);
    head.bmp_len = bmp_words;
    head.replay_window = window;
    head.oseq = static_cast<uint32_t>(sa.initial_seq);
    head.oseq_hi = static_cast<uint32_t>(sa.initial_seq >> 32);
    std::vector<uint8_t> esn(sizeof head + bmp_words * 4, 0);
    std::memcpy(esn.data(), &head, sizeof head);
    r.PutAttr(XFRMA_REPLAY_ESN_VAL, esn.data(), esn.size());
  } else if (sa.initial_seq != 0) {
    if (sa.initial_seq > 0xffffffffu) return invalid("initial sequence needs ESN");
    xfrm_replay_state rs{static_cast<uint32_t>(sa.initial_seq), 0, 0};
    r.PutAttr(XFRMA_REPLAY_VAL, &rs, sizeof rs);
  }
  if (sa.tfc_pad != 0 && sa.direction == Direction::kOut && sa.mode == Mode::kTunnel &&
      sa.id.protocol == ProtocolId::kEsp) {
    r.PutU32(XFRMA_TFCPAD, sa.tfc_pad);  // the kernel caps it at the path MTU
  }
  Mark mark = sa.id.mark.mask != 0 ? sa.id.mark : sa.mark;
  PutMark(r, mark);
  if (sa.if_id != 0) r.PutU32(XFRMA_IF_ID, sa.if_id);
  if (sa.offload != OffloadMode::kNone) {
    xfrm_user_offload off;
    std::memset(&off, 0, sizeof off);
    off.ifindex = options.offload_ifindex;
    if (sa.offload_inbound || sa.direction == Direction::kIn) off.flags |= XFRM_OFFLOAD_INBOUND;
    if (sa.offload == OffloadMode::kPacket) off.flags |= XFRM_OFFLOAD_PACKET;
    r.PutAttr(XFRMA_OFFLOAD_DEV, &off, sizeof off);
  }
  if (r.overflowed()) return invalid("request too large");
  return r;
}

namespace {
xfrm_usersa_id ToUsersaId(const SaId& sa) {
  xfrm_usersa_id id;
  std::memset(&id, 0, sizeof id);
  id.daddr = ToXfrm(sa.dst);
  id.spi = htonl(sa.spi);
  id.family = Family(sa.dst.family());
  id.proto = IpProto(sa.protocol);
  return id;
}
}  // namespace

Request EncodeDeleteSa(const SaId& sa) {
  Request r(XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, Describe(sa), 256);
  xfrm_usersa_id id = ToUsersaId(sa);
  r.PutFixed(&id, sizeof id);
  PutMark(r, sa.mark);
  return r;
}

Request EncodeGetSa(const SaId& sa) {
  Request r(XFRM_MSG_GETSA, NLM_F_REQUEST | NLM_F_ACK, Describe(sa), 256);
  xfrm_usersa_id id = ToUsersaId(sa);
  r.PutFixed(&id, sizeof id);
  PutMark(r, sa.mark);
  return r;
}

BackendResult<Request> EncodeMovedSa(const MessageView& current, const SaParams& to) {
  auto invalid = [&](std::string detail) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       Describe(to.id) + ": " + std::move(detail)});
  };
  xfrm_usersa_info info;
  if (current.type != XFRM_MSG_NEWSA || !ReadStruct(current.payload, info)) {
    return invalid("no SA in the kernel's answer");
  }
  uint16_t family = Family(to.id.dst.family());
  if (to.src.family() != to.id.dst.family() || info.family != family) {
    return invalid("moving an SA to another address family");
  }
  if (ntohl(info.id.spi) != to.id.spi) return invalid("moving an SA changes its SPI");
  info.id.daddr = ToXfrm(to.id.dst);
  info.saddr = ToXfrm(to.src);
  // Everything else as the kernel has it: algorithms and keys, replay and
  // sequence state, lifetimes, mark, if_id. Only the encapsulation is ours.
  Request r(XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK, Describe(to.id), 4096);
  r.PutFixed(&info, sizeof info);
  bool ok = ForEachAttr(AttrsAfter(current.payload, sizeof info), [&](uint16_t type, ByteView v) {
    if (type == XFRMA_ENCAP) return;
    r.PutAttr(type, v.data(), v.size());
  });
  OPENSSL_cleanse(&info, sizeof info);
  if (!ok) return invalid("malformed attributes in the kernel's answer");
  if (to.encap) {
    xfrm_encap_tmpl encap;
    std::memset(&encap, 0, sizeof encap);
    encap.encap_type = UDP_ENCAP_ESPINUDP;
    encap.encap_sport = htons(to.encap->src_port);
    encap.encap_dport = htons(to.encap->dst_port);
    r.PutAttr(XFRMA_ENCAP, &encap, sizeof encap);
  }
  if (r.overflowed()) return invalid("SA too large to re-encode");
  return r;
}

Request EncodeAllocSpi(const IpAddress& src, const IpAddress& dst, ProtocolId protocol,
                       uint32_t reqid, uint32_t min_spi, uint32_t max_spi) {
  Request r(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST | NLM_F_ACK,
            "SPI allocation " + std::string(ProtoName(protocol)) + " " + src.ToString() + "->" +
                dst.ToString(),
            512);
  xfrm_userspi_info spi;
  std::memset(&spi, 0, sizeof spi);
  uint16_t family = Family(dst.family());
  spi.info.sel.family = family;
  spi.info.id.daddr = ToXfrm(dst);
  spi.info.id.proto = IpProto(protocol);
  spi.info.saddr = ToXfrm(src);
  spi.info.family = family;
  spi.info.reqid = reqid;
  spi.info.mode = XFRM_MODE_TUNNEL;
  spi.min = min_spi;
  spi.max = max_spi;
  r.PutFixed(&spi, sizeof spi);
  return r;
}

BackendResult<Request> EncodePolicy(const PolicyParams& p, bool update) {
  PolicyId id{p.selector, p.direction, p.mark, p.if_id};
  if (p.selector.src.family() != p.selector.dst.family()) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       Describe(id) + ": selector families differ"});
  }
  if (p.action == PolicyAction::kProtect && p.templates.empty()) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       Describe(id) + ": protect policy without template"});
  }
  Request r(update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY, NLM_F_REQUEST | NLM_F_ACK,
            Describe(id));
  xfrm_userpolicy_info info;
  std::memset(&info, 0, sizeof info);
  info.sel = ToXfrm(p.selector);
  info.lft = InfiniteLifetime();
  info.priority = p.priority != 0 ? p.priority : ComputePriority(p.selector, p.action, p.trap);
  info.dir = XfrmDir(p.direction);
  info.action = p.action == PolicyAction::kDrop ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
  info.share = XFRM_SHARE_ANY;
  r.PutFixed(&info, sizeof info);
  if (p.action == PolicyAction::kProtect) {
    std::vector<xfrm_user_tmpl> tmpls;
    for (const auto& t : p.templates) {
      xfrm_user_tmpl u;
      std::memset(&u, 0, sizeof u);
      u.id.proto = IpProto(t.protocol);
      u.mode = XfrmMode(t.mode);
      u.reqid = t.reqid;
      u.aalgos = u.ealgos = u.calgos = ~0u;
      if (t.mode == Mode::kTunnel) {
        u.id.daddr = ToXfrm(t.dst);
        u.saddr = ToXfrm(t.src);
        u.family = Family(t.dst.family());
      } else {
        u.family = Family(p.selector.family());
      }
      tmpls.push_back(u);
    }
    r.PutAttr(XFRMA_TMPL, tmpls.data(), tmpls.size() * sizeof(xfrm_user_tmpl));
  }
  PutMark(r, p.mark);
  if (p.if_id != 0) r.PutU32(XFRMA_IF_ID, p.if_id);
  if (r.overflowed()) {
    return MakeUnexpected(BackendError{BackendError::Code::kInvalidArgument, 0,
                                       Describe(id) + ": request too large"});
  }
  return r;
}

namespace {
Request PolicyIdRequest(uint16_t type, const PolicyId& p) {
  Request r(type, NLM_F_REQUEST | NLM_F_ACK, Describe(p), 256);
  xfrm_userpolicy_id id;
  std::memset(&id, 0, sizeof id);
  id.sel = ToXfrm(p.selector);
  id.dir = XfrmDir(p.direction);
  r.PutFixed(&id, sizeof id);
  PutMark(r, p.mark);
  if (p.if_id != 0) r.PutU32(XFRMA_IF_ID, p.if_id);
  return r;
}
}  // namespace

Request EncodeDeletePolicy(const PolicyId& p) { return PolicyIdRequest(XFRM_MSG_DELPOLICY, p); }
Request EncodeGetPolicy(const PolicyId& p) { return PolicyIdRequest(XFRM_MSG_GETPOLICY, p); }

Request EncodeDump(uint16_t type) {
  Request r(type, NLM_F_REQUEST | NLM_F_DUMP,
            std::string("dump of ") + std::string(MessageTypeName(type)), 64);
  return r;
}

// ---- Decoders ---------------------------------------------------------------------

DecodeResult<std::vector<MessageView>> SplitMessages(ByteView datagram) {
  std::vector<MessageView> out;
  size_t off = 0;
  while (off < datagram.size()) {
    if (datagram.size() - off < sizeof(nlmsghdr)) {
      return MakeUnexpected(DecodeError{"truncated netlink header at offset " +
                                        std::to_string(off)});
    }
    nlmsghdr h;
    std::memcpy(&h, datagram.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > datagram.size() - off) {
      return MakeUnexpected(DecodeError{"bad netlink length " + std::to_string(h.nlmsg_len) +
                                        " at offset " + std::to_string(off)});
    }
    MessageView m;
    m.type = h.nlmsg_type;
    m.flags = h.nlmsg_flags;
    m.seq = h.nlmsg_seq;
    m.pid = h.nlmsg_pid;
    m.payload = datagram.subspan(off + kHeaderLen, h.nlmsg_len - kHeaderLen);
    out.push_back(m);
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= datagram.size() - off) break;
    off += step;
  }
  return out;
}

DecodeResult<Ack> DecodeAck(const MessageView& m) {
  if (m.type != NLMSG_ERROR) return MakeUnexpected(DecodeError{"not an NLMSG_ERROR"});
  nlmsgerr e;
  if (!ReadStruct(m.payload, e)) return MakeUnexpected(DecodeError{"truncated nlmsgerr"});
  // The kernel sends 0 or a negative errno; anything else is not a reply
  // we can trust (and negating INT_MIN would overflow).
  if (e.error > 0 || e.error < -4095) {
    return MakeUnexpected(DecodeError{"nlmsgerr error " + std::to_string(e.error) + " is not an errno"});
  }
  Ack ack;
  ack.error = e.error;
  ack.request_seq = e.msg.nlmsg_seq;
  ack.request_type = e.msg.nlmsg_type;
  if (m.flags & NLM_F_ACK_TLVS) {
    size_t tlv_off = sizeof(nlmsgerr);
    if (!(m.flags & NLM_F_CAPPED) && e.msg.nlmsg_len > sizeof(nlmsghdr)) {
      tlv_off += NLMSG_ALIGN(e.msg.nlmsg_len - sizeof(nlmsghdr));
    }
    if (tlv_off < m.payload.size()) {
      ForEachAttr(m.payload.subspan(tlv_off), [&](uint16_t type, ByteView data) {
        if (type == NLMSGERR_ATTR_MSG) {
          const char* p = reinterpret_cast<const char*>(data.data());
          ack.extack.assign(p, strnlen(p, data.size()));
        }
      });
    }
  }
  return ack;
}

DecodeResult<SaInfo> DecodeSa(const MessageView& m) {
  xfrm_usersa_info info;
  if (!ReadStruct(m.payload, info)) return MakeUnexpected(DecodeError{"truncated xfrm_usersa_info"});
  if (!ValidFamily(info.family)) {
    return MakeUnexpected(DecodeError{"bad SA family " + std::to_string(info.family)});
  }
  SaInfo sa;
  sa.id.dst = FromXfrm(info.id.daddr, info.family);
  sa.id.spi = ntohl(info.id.spi);
  sa.id.protocol = FromIpProto(info.id.proto);
  sa.src = FromXfrm(info.saddr, info.family);
  sa.mode = info.mode == XFRM_MODE_TRANSPORT ? Mode::kTransport : Mode::kTunnel;
  sa.reqid = info.reqid;
  sa.replay_window = info.replay_window;
  sa.esn = (info.flags & XFRM_STATE_ESN) != 0;
  sa.usage.bytes = info.curlft.bytes;
  sa.usage.packets = info.curlft.packets;
  sa.usage.add_time = info.curlft.add_time;
  sa.usage.use_time = info.curlft.use_time;
  sa.usage.replay_window_drops = info.stats.replay_window;
  sa.usage.integrity_failures = info.stats.integrity_failed;
  sa.soft = Lifetime{InfToZero(info.lft.soft_byte_limit), InfToZero(info.lft.soft_packet_limit),
                     info.lft.soft_add_expires_seconds};
  sa.hard = Lifetime{InfToZero(info.lft.hard_byte_limit), InfToZero(info.lft.hard_packet_limit),
                     info.lft.hard_add_expires_seconds};
  uint16_t sel_family = ValidFamily(info.sel.family) ? info.sel.family : info.family;
  sa.selector = FromXfrm(info.sel, sel_family);
  bool ok = ForEachAttr(AttrsAfter(m.payload, sizeof info), [&](uint16_t type, ByteView data) {
    switch (type) {
      case XFRMA_ALG_AEAD:
        if (data.size() >= sizeof(xfrm_algo_aead)) {
          sa.aead = AlgName(data);
          xfrm_algo_aead a;
          std::memcpy(&a, data.data(), sizeof a);  // header only: never the key
          sa.icv_bits = a.alg_icv_len;
        }
        break;
      case XFRMA_ALG_CRYPT:
        if (data.size() >= sizeof(xfrm_algo)) sa.crypt = AlgName(data);
        break;
      case XFRMA_ALG_AUTH_TRUNC:
        if (data.size() >= sizeof(xfrm_algo_auth)) {
          sa.auth = AlgName(data);
          xfrm_algo_auth a;
          std::memcpy(&a, data.data(), sizeof a);
          sa.auth_trunc_bits = a.alg_trunc_len;
        }
        break;
      case XFRMA_ALG_AUTH:
        if (data.size() >= sizeof(xfrm_algo) && sa.auth.empty()) sa.auth = AlgName(data);
        break;
      case XFRMA_ENCAP: {
        xfrm_encap_tmpl e;
        if (ReadStruct(data, e)) sa.encap = Encap{ntohs(e.encap_sport), ntohs(e.encap_dport)};
        break;
      }
      case XFRMA_REPLAY_ESN_VAL: {
        xfrm_replay_state_esn e;
        if (ReadStruct(data, e)) {
          sa.replay_window = e.replay_window;
          sa.output_seq = (uint64_t{e.oseq_hi} << 32) | e.oseq;
        }
        break;
      }
      case XFRMA_REPLAY_VAL: {
        xfrm_replay_state r;
        if (ReadStruct(data, r)) sa.output_seq = r.oseq;
        break;
      }
      case XFRMA_MARK: {
        xfrm_mark mk;
        if (ReadStruct(data, mk)) sa.id.mark = Mark{mk.v, mk.m};
        break;
      }
      case XFRMA_IF_ID:
        sa.if_id = ReadU32(data);
        break;
      case XFRMA_TFCPAD:
        sa.tfc_pad = ReadU32(data);
        break;
      default:
        break;
    }
  });
  if (!ok) return MakeUnexpected(DecodeError{"malformed SA attribute"});
  return sa;
}

namespace {
PolicyParams FromXfrm(const xfrm_userpolicy_info& info) {
  PolicyParams p;
  p.selector = FromXfrm(info.sel, info.sel.family);
  p.direction = FromXfrmDir(info.dir);
  p.priority = info.priority;
  p.action = info.action == XFRM_POLICY_BLOCK ? PolicyAction::kDrop : PolicyAction::kPass;
  return p;
}

// Policy attributes shared by NEWPOLICY, ACQUIRE and POLEXPIRE.
bool DecodePolicyAttrs(ByteView attrs, PolicyParams& p, uint32_t* first_reqid) {
  return ForEachAttr(attrs, [&](uint16_t type, ByteView data) {
    switch (type) {
      case XFRMA_TMPL: {
        size_t n = data.size() / sizeof(xfrm_user_tmpl);
        for (size_t i = 0; i < n && i < 8; ++i) {
          xfrm_user_tmpl t;
          std::memcpy(&t, data.data() + i * sizeof t, sizeof t);
          PolicyTemplate pt;
          pt.protocol = FromIpProto(t.id.proto);
          pt.mode = t.mode == XFRM_MODE_TRANSPORT ? Mode::kTransport : Mode::kTunnel;
          uint16_t fam = ValidFamily(t.family) ? t.family : AF_INET;
          pt.src = FromXfrm(t.saddr, fam);
          pt.dst = FromXfrm(t.id.daddr, fam);
          pt.reqid = t.reqid;
          if (i == 0 && first_reqid) *first_reqid = t.reqid;
          p.templates.push_back(pt);
        }
        if (!p.templates.empty() && p.action == PolicyAction::kPass) {
          p.action = PolicyAction::kProtect;
        }
        break;
      }
      case XFRMA_MARK: {
        xfrm_mark mk;
        if (ReadStruct(data, mk)) p.mark = Mark{mk.v, mk.m};
        break;
      }
      case XFRMA_IF_ID:
        p.if_id = ReadU32(data);
        break;
      default:
        break;
    }
  });
}
}  // namespace

DecodeResult<PolicyInfo> DecodePolicy(const MessageView& m) {
  xfrm_userpolicy_info info;
  if (!ReadStruct(m.payload, info)) {
    return MakeUnexpected(DecodeError{"truncated xfrm_userpolicy_info"});
  }
  if (!ValidFamily(info.sel.family)) {
    return MakeUnexpected(DecodeError{"bad policy family " + std::to_string(info.sel.family)});
  }
  PolicyInfo out;
  out.params = FromXfrm(info);
  out.index = info.index;
  if (!DecodePolicyAttrs(AttrsAfter(m.payload, sizeof info), out.params, nullptr)) {
    return MakeUnexpected(DecodeError{"malformed policy attribute"});
  }
  return out;
}

DecodeResult<std::optional<BackendEvent>> DecodeEvent(const MessageView& m) {
  switch (m.type) {
    case XFRM_MSG_ACQUIRE: {
      xfrm_user_acquire a;
      if (!ReadStruct(m.payload, a)) return MakeUnexpected(DecodeError{"truncated acquire"});
      if (!ValidFamily(a.sel.family)) return MakeUnexpected(DecodeError{"bad acquire family"});
      AcquireEvent ev;
      ev.selector = FromXfrm(a.sel, a.sel.family);
      ev.policy_index = a.policy.index;
      uint16_t fam = ValidFamily(a.policy.sel.family) ? a.policy.sel.family : a.sel.family;
      PolicyParams p;
      bool ok = DecodePolicyAttrs(AttrsAfter(m.payload, sizeof a), p, &ev.reqid);
      if (!ok) return MakeUnexpected(DecodeError{"malformed acquire attribute"});
      // Template endpoints: the acquire's own id/saddr carry them (tunnel),
      // or the packet's addresses (transport).
      uint16_t tfam = fam;
      if (!p.templates.empty()) tfam = Family(p.templates[0].dst.family());
      ev.src = FromXfrm(a.saddr, tfam);
      ev.dst = FromXfrm(a.id.daddr, tfam);
      return std::optional<BackendEvent>(ev);
    }
    case XFRM_MSG_EXPIRE: {
      xfrm_user_expire e;
      if (!ReadStruct(m.payload, e)) return MakeUnexpected(DecodeError{"truncated expire"});
      if (!ValidFamily(e.state.family)) return MakeUnexpected(DecodeError{"bad expire family"});
      ExpireEvent ev;
      ev.sa.dst = FromXfrm(e.state.id.daddr, e.state.family);
      ev.sa.spi = ntohl(e.state.id.spi);
      ev.sa.protocol = FromIpProto(e.state.id.proto);
      ev.reqid = e.state.reqid;
      ev.hard = e.hard != 0;
      bool ok = ForEachAttr(AttrsAfter(m.payload, sizeof e), [&](uint16_t type, ByteView data) {
        xfrm_mark mk;
        if (type == XFRMA_MARK && ReadStruct(data, mk)) ev.sa.mark = Mark{mk.v, mk.m};
      });
      if (!ok) return MakeUnexpected(DecodeError{"malformed expire attribute"});
      return std::optional<BackendEvent>(ev);
    }
    case XFRM_MSG_MAPPING: {
      xfrm_user_mapping mp;
      if (!ReadStruct(m.payload, mp)) return MakeUnexpected(DecodeError{"truncated mapping"});
      if (!ValidFamily(mp.id.family)) return MakeUnexpected(DecodeError{"bad mapping family"});
      MappingEvent ev;
      ev.sa.dst = FromXfrm(mp.id.daddr, mp.id.family);
      ev.sa.spi = ntohl(mp.id.spi);
      ev.sa.protocol = FromIpProto(mp.id.proto);
      ev.old_peer = Endpoint{FromXfrm(mp.old_saddr, mp.id.family), ntohs(mp.old_sport)};
      ev.new_peer = Endpoint{FromXfrm(mp.new_saddr, mp.id.family), ntohs(mp.new_sport)};
      return std::optional<BackendEvent>(ev);
    }
    case XFRM_MSG_POLEXPIRE: {
      xfrm_user_polexpire pe;
      if (!ReadStruct(m.payload, pe)) return MakeUnexpected(DecodeError{"truncated polexpire"});
      if (!ValidFamily(pe.pol.sel.family)) {
        return MakeUnexpected(DecodeError{"bad polexpire family"});
      }
      PolicyParams p = FromXfrm(pe.pol);
      if (!DecodePolicyAttrs(AttrsAfter(m.payload, sizeof pe), p, nullptr)) {
        return MakeUnexpected(DecodeError{"malformed polexpire attribute"});
      }
      PolicyExpireEvent ev;
      ev.policy = PolicyId{p.selector, p.direction, p.mark, p.if_id};
      ev.hard = pe.hard != 0;
      return std::optional<BackendEvent>(ev);
    }
    default:
      return std::optional<BackendEvent>();
  }
}

// ---- Errors ------------------------------------------------------------------------

std::string_view MessageTypeName(uint16_t type) {
  switch (type) {
    case XFRM_MSG_NEWSA: return "NEWSA";
    case XFRM_MSG_DELSA: return "DELSA";
    case XFRM_MSG_GETSA: return "GETSA";
    case XFRM_MSG_NEWPOLICY: return "NEWPOLICY";
    case XFRM_MSG_DELPOLICY: return "DELPOLICY";
    case XFRM_MSG_GETPOLICY: return "GETPOLICY";
    case XFRM_MSG_ALLOCSPI: return "ALLOCSPI";
    case XFRM_MSG_ACQUIRE: return "ACQUIRE";
    case XFRM_MSG_EXPIRE: return "EXPIRE";
    case XFRM_MSG_UPDPOLICY: return "UPDPOLICY";
    case XFRM_MSG_UPDSA: return "UPDSA";
    case XFRM_MSG_POLEXPIRE: return "POLEXPIRE";
    case XFRM_MSG_FLUSHSA: return "FLUSHSA";
    case XFRM_MSG_FLUSHPOLICY: return "FLUSHPOLICY";
    case XFRM_MSG_MAPPING: return "MAPPING";
    default: return "XFRM message";
  }
}

BackendError MapKernelError(int err, uint16_t request_type, std::string_view what,
                            std::string_view extack) {
  using Code = BackendError::Code;
  BackendError e;
  e.sys_errno = err;
  bool is_sa = request_type == XFRM_MSG_NEWSA || request_type == XFRM_MSG_UPDSA;
  bool is_policy = request_type == XFRM_MSG_NEWPOLICY || request_type == XFRM_MSG_UPDPOLICY;
  std::string why;
  switch (err) {
    case EPERM:
    case EACCES:
      e.code = Code::kPermission;
      why = "missing CAP_NET_ADMIN";
      break;
    case EEXIST:
      e.code = Code::kExists;
      why = is_sa ? "SPI collision: an SA with this SPI already exists"
                  : is_policy ? "a policy with this selector already exists" : "already exists";
      break;
    case ESRCH:
    case ENOENT:
      if (is_sa) {
        e.code = Code::kAlgorithm;
        why = "kernel crypto algorithm or template not available";
      } else {
        e.code = Code::kNotFound;
        why = "no such object in the kernel";
      }
      break;
    case EPROTONOSUPPORT:
    case EAFNOSUPPORT:
      e.code = Code::kNotSupported;
      why = "the kernel has no IPsec protocol support for this SA (esp4/esp6/ah4/ah6 module missing?)";
      break;
    case ENOSYS:
      e.code = is_sa ? Code::kAlgorithm : Code::kNotSupported;
      why = is_sa ? "algorithm not available in the kernel" : "not supported by the kernel";
      break;
    case EINVAL:
      e.code = Code::kInvalidArgument;
      break;
    default:
      e.code = Code::kSystem;
      break;
  }
  // The kernel's extended ACK text refines the classification.
  if (extack.find("unable to initialize") != std::string_view::npos ||
      extack.find("type not found") != std::string_view::npos) {
    e.code = Code::kNotSupported;
    if (why.empty()) why = "the kernel cannot run this IPsec protocol (ESP support or its RNG missing)";
  } else if (extack.find("lgorithm not found") != std::string_view::npos) {
    e.code = Code::kAlgorithm;
  }
  e.detail = std::string(MessageTypeName(request_type)) + " " + std::string(what);
  if (!extack.empty()) e.detail += ": kernel says \"" + std::string(extack) + "\"";
  if (!why.empty()) e.detail += " (" + why + ")";
  return e;
}

}  // namespace ike::xfrm::netlink
