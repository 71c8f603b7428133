// NETLINK_XFRM message construction and parsing against hand-checked byte
// layouts (offsets from include/uapi/linux/xfrm.h on x86_64, worked out by
// hand and pinned with static_asserts below).
#include "xfrm/netlink/xfrm_codec.h"

#include <limits>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <sys/socket.h>

#include <cstring>

#include "libike/common/bytes.h"

namespace ike::xfrm::netlink {
namespace {

// The layouts the hand-written byte strings below rely on.
static_assert(sizeof(nlmsghdr) == 16);
static_assert(sizeof(xfrm_selector) == 56);
static_assert(offsetof(xfrm_selector, dport) == 32);
static_assert(offsetof(xfrm_selector, family) == 40);
static_assert(offsetof(xfrm_selector, prefixlen_d) == 42);
static_assert(offsetof(xfrm_selector, proto) == 44);
static_assert(sizeof(xfrm_usersa_id) == 24);
static_assert(sizeof(xfrm_usersa_info) == 224);
static_assert(offsetof(xfrm_usersa_info, id) == 56);
static_assert(offsetof(xfrm_usersa_info, saddr) == 80);
static_assert(offsetof(xfrm_usersa_info, lft) == 96);
static_assert(offsetof(xfrm_usersa_info, curlft) == 160);
static_assert(offsetof(xfrm_usersa_info, stats) == 192);
static_assert(offsetof(xfrm_usersa_info, reqid) == 208);
static_assert(offsetof(xfrm_usersa_info, family) == 212);
static_assert(offsetof(xfrm_usersa_info, mode) == 214);
static_assert(offsetof(xfrm_usersa_info, replay_window) == 215);
static_assert(offsetof(xfrm_usersa_info, flags) == 216);
static_assert(sizeof(xfrm_userpolicy_info) == 168);
static_assert(offsetof(xfrm_userpolicy_info, priority) == 152);
static_assert(offsetof(xfrm_userpolicy_info, dir) == 160);
static_assert(sizeof(xfrm_user_tmpl) == 64);
static_assert(sizeof(xfrm_user_acquire) == 280);
static_assert(offsetof(xfrm_user_acquire, sel) == 40);
static_assert(offsetof(xfrm_user_acquire, policy) == 96);
static_assert(sizeof(xfrm_user_expire) == 232);
static_assert(sizeof(xfrm_user_mapping) == 64);
static_assert(sizeof(xfrm_user_polexpire) == 176);

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

Bytes ToBytes(ByteView v) { return Bytes(v.begin(), v.end()); }

uint16_t U16At(ByteView b, size_t off) {
  uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}
uint32_t U32At(ByteView b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

// Finds attribute `type` in a request after a fixed struct of `fixed` bytes.
ByteView FindAttr(ByteView msg, size_t fixed, uint16_t type) {
  size_t off = 16 + fixed;
  while (off + 4 <= msg.size()) {
    uint16_t len = U16At(msg, off), t = U16At(msg, off + 2);
    if (len < 4) break;
    if (t == type) return msg.subspan(off + 4, len - 4);
    off += (len + 3) & ~3u;
  }
  return {};
}

SecretBytes Key(size_t n, uint8_t start) {
  SecretBytes k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(start + i);
  return k;
}

SaParams GcmSa() {
  SaParams sa;
  sa.id = SaId{Ip("192.0.2.2"), 0xc0010203, ProtocolId::kEsp, {}};
  sa.src = Ip("192.0.2.1");
  sa.mode = Mode::kTunnel;
  sa.reqid = 7;
  sa.encr = EncrId::kAesGcm16;
  sa.encr_key_bits = 128;
  sa.enc_key = Key(20, 1);
  sa.replay_window = 32;
  return sa;
}

TEST(XfrmEncode, DeleteSaIsHandCheckedBytes) {
  Request r = EncodeDeleteSa(SaId{Ip("192.0.2.2"), 0xc0010203, ProtocolId::kEsp, {}});
  r.set_seq(7);
  // nlmsghdr: len 40, type XFRM_MSG_DELSA (0x11), flags REQUEST|ACK, seq 7, pid 0
  // xfrm_usersa_id: daddr 192.0.2.2 (16 bytes), spi c0010203 (network order),
  //                 family AF_INET (2), proto ESP (50 = 0x32), pad
  EXPECT_EQ(ToHex(r.bytes()),
            "28000000" "1100" "0500" "07000000" "00000000"
            "c0000202000000000000000000000000" "c0010203" "0200" "32" "00");
}

TEST(XfrmEncode, DeleteSaWithMarkAppendsXfrmaMark) {
  Request r = EncodeDeleteSa(SaId{Ip("192.0.2.2"), 0x100, ProtocolId::kAh, Mark{0x10, 0xff}});
  // nlmsg_len 52; proto AH (51 = 0x33); XFRMA_MARK (21): len 12, {v=0x10, m=0xff}
  EXPECT_EQ(ToHex(r.bytes()),
            "34000000" "1100" "0500" "00000000" "00000000"
            "c0000202000000000000000000000000" "00000100" "0200" "33" "00"
            "0c00" "1500" "10000000" "ff000000");
}

TEST(XfrmEncode, NewSaAesGcmLayout) {
  auto r = EncodeSa(GcmSa(), false);
  ASSERT_TRUE(r) << r.error().ToString();
  ByteView m = r->bytes();
  EXPECT_EQ(r->type(), XFRM_MSG_NEWSA);
  EXPECT_EQ(r->flags(), NLM_F_REQUEST | NLM_F_ACK);
  // The fixed part: xfrm_usersa_info at offset 16.
  const size_t info = 16;
  EXPECT_EQ(ToHex(m.subspan(info + 56, 4)), "c0000202");          // id.daddr
  EXPECT_EQ(ToHex(m.subspan(info + 72, 4)), "c0010203");          // id.spi
  EXPECT_EQ(m[info + 76], 50);                                    // id.proto
  EXPECT_EQ(ToHex(m.subspan(info + 80, 4)), "c0000201");          // saddr
  EXPECT_EQ(ToHex(m.subspan(info + 96, 8)), "ffffffffffffffff");  // soft byte limit: inf
  EXPECT_EQ(U32At(m, info + 208), 7u);                            // reqid
  EXPECT_EQ(U16At(m, info + 212), AF_INET);                       // family
  EXPECT_EQ(m[info + 214], XFRM_MODE_TUNNEL);
  EXPECT_EQ(m[info + 215], 32);                                   // replay window
  EXPECT_EQ(m[info + 216], 0);                                    // flags
  // XFRMA_ALG_AEAD: name, key bits 160 (128 + 32 salt), ICV 128, key bytes.
  ByteView aead = FindAttr(m, 224, XFRMA_ALG_AEAD);
  ASSERT_EQ(aead.size(), 72u + 20u);
  EXPECT_STREQ(reinterpret_cast<const char*>(aead.data()), "rfc4106(gcm(aes))");
  EXPECT_EQ(U32At(aead, 64), 160u);
  EXPECT_EQ(U32At(aead, 68), 128u);
  EXPECT_EQ(ToHex(aead.subspan(72)), "0102030405060708090a0b0c0d0e0f1011121314");
  EXPECT_TRUE(FindAttr(m, 224, XFRMA_ALG_CRYPT).empty());
  EXPECT_TRUE(FindAttr(m, 224, XFRMA_REPLAY_ESN_VAL).empty());
  EXPECT_EQ(m.size(), 16u + 224u + 4u + 92u);
}

TEST(XfrmEncode, GcmIcvLengthsFollowEncrId) {
  for (auto [encr, icv] : {std::pair{EncrId::kAesGcm8, 64u}, std::pair{EncrId::kAesGcm12, 96u},
                           std::pair{EncrId::kAesGcm16, 128u}}) {
    SaParams sa = GcmSa();
    sa.encr = encr;
    auto r = EncodeSa(sa, true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type(), XFRM_MSG_UPDSA);
    EXPECT_EQ(U32At(FindAttr(r->bytes(), 224, XFRMA_ALG_AEAD), 68), icv);
  }
}

TEST(XfrmEncode, ChaChaPoly) {
  SaParams sa = GcmSa();
  sa.encr = EncrId::kChaCha20Poly1305;
  sa.encr_key_bits = 256;
  sa.enc_key = Key(36, 0);
  auto r = EncodeSa(sa, false);
  ASSERT_TRUE(r) << r.error().ToString();
  ByteView aead = FindAttr(r->bytes(), 224, XFRMA_ALG_AEAD);
  EXPECT_STREQ(reinterpret_cast<const char*>(aead.data()), "rfc7539esp(chacha20,poly1305)");
  EXPECT_EQ(U32At(aead, 64), 288u);
  EXPECT_EQ(U32At(aead, 68), 128u);
}

TEST(XfrmEncode, CbcWithHmacTruncationLengths) {
  struct Case {
    IntegId integ;
    const char* name;
    size_t key;
    uint32_t trunc;
  };
  for (const Case& c : {Case{IntegId::kHmacSha1_96, "hmac(sha1)", 20, 96},
                        Case{IntegId::kHmacSha2_256_128, "hmac(sha256)", 32, 128},
                        Case{IntegId::kHmacSha2_384_192, "hmac(sha384)", 48, 192},
                        Case{IntegId::kHmacSha2_512_256, "hmac(sha512)", 64, 256}}) {
    SaParams sa = GcmSa();
    sa.encr = EncrId::kAesCbc;
    sa.encr_key_bits = 256;
    sa.enc_key = Key(32, 0x40);
    sa.integ = c.integ;
    sa.integ_key = Key(c.key, 0x80);
    auto r = EncodeSa(sa, false);
    ASSERT_TRUE(r) << r.error().ToString();
    ByteView crypt = FindAttr(r->bytes(), 224, XFRMA_ALG_CRYPT);
    EXPECT_STREQ(reinterpret_cast<const char*>(crypt.data()), "cbc(aes)");
    EXPECT_EQ(U32At(crypt, 64), 256u);
    EXPECT_EQ(crypt.size(), 68u + 32u);
    ByteView auth = FindAttr(r->bytes(), 224, XFRMA_ALG_AUTH_TRUNC);
    EXPECT_STREQ(reinterpret_cast<const char*>(auth.data()), c.name);
    EXPECT_EQ(U32At(auth, 64), c.key * 8);
    EXPECT_EQ(U32At(auth, 68), c.trunc);
    EXPECT_EQ(auth[72], 0x80);
  }
}

TEST(XfrmEncode, AhHasOnlyAuthTrunc) {
  SaParams sa = GcmSa();
  sa.id.protocol = ProtocolId::kAh;
  sa.encr = EncrId::kNull;
  sa.enc_key = SecretBytes();
  sa.integ = IntegId::kHmacSha2_256_128;
  sa.integ_key = Key(32, 0);
  auto r = EncodeSa(sa, false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->bytes()[16 + 76], 51);
  EXPECT_FALSE(FindAttr(r->bytes(), 224, XFRMA_ALG_AUTH_TRUNC).empty());
  EXPECT_TRUE(FindAttr(r->bytes(), 224, XFRMA_ALG_CRYPT).empty());
  EXPECT_TRUE(FindAttr(r->bytes(), 224, XFRMA_ALG_AEAD).empty());
}

TEST(XfrmEncode, EncapEsnMarkIfIdLifetimes) {
  SaParams sa = GcmSa();
  sa.encap = Encap{4500, 4501};
  sa.esn = true;
  sa.replay_window = 128;
  sa.mark = Mark{0x2a, 0xffffffff};
  sa.if_id = 9;
  sa.soft = Lifetime{1000, 10, 50};
  sa.hard = Lifetime{2000, 20, 60};
  sa.initial_seq = 0x100000005ull;
  auto r = EncodeSa(sa, false);
  ASSERT_TRUE(r) << r.error().ToString();
  ByteView m = r->bytes();
  EXPECT_EQ(m[16 + 216], XFRM_STATE_ESN);
  EXPECT_EQ(m[16 + 215], 0);  // the window travels in XFRMA_REPLAY_ESN_VAL
  // lft: soft bytes, hard bytes, soft packets, hard packets, soft add, hard add
  uint64_t lft[6];
  std::memcpy(lft, m.data() + 16 + 96, sizeof lft);
  EXPECT_EQ(lft[0], 1000u);
  EXPECT_EQ(lft[1], 2000u);
  EXPECT_EQ(lft[2], 10u);
  EXPECT_EQ(lft[3], 20u);
  EXPECT_EQ(lft[4], 50u);
  EXPECT_EQ(lft[5], 60u);
  // xfrm_encap_tmpl: type 2 (ESPINUDP), sport 4500 (0x1194), dport 4501, oa zero
  ByteView encap = FindAttr(m, 224, XFRMA_ENCAP);
  ASSERT_EQ(encap.size(), 24u);
  EXPECT_EQ(ToHex(encap.subspan(0, 6)), "0200" "1194" "1195");
  // xfrm_replay_state_esn: bmp_len 4, oseq 5, seq 0, oseq_hi 1, seq_hi 0, window 128, bitmap
  ByteView esn = FindAttr(m, 224, XFRMA_REPLAY_ESN_VAL);
  ASSERT_EQ(esn.size(), 24u + 16u);
  EXPECT_EQ(ToHex(esn.subspan(0, 24)),
            "04000000" "05000000" "00000000" "01000000" "00000000" "80000000");
  ByteView mark = FindAttr(m, 224, XFRMA_MARK);
  EXPECT_EQ(ToHex(mark), "2a000000" "ffffffff");
  EXPECT_EQ(ToHex(FindAttr(m, 224, XFRMA_IF_ID)), "09000000");
}

TEST(XfrmEncode, TfcPaddingOnlyOnOutboundTunnelEsp) {
  SaParams sa = GcmSa();
  sa.direction = Direction::kOut;
  sa.tfc_pad = 1400;
  auto r = EncodeSa(sa, false);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(ToHex(FindAttr(r->bytes(), 224, XFRMA_TFCPAD)), "78050000");
  for (auto change : {+[](SaParams& s) { s.direction = Direction::kIn; },
                      +[](SaParams& s) { s.mode = Mode::kTransport; },
                      +[](SaParams& s) { s.tfc_pad = 0; }}) {
    SaParams other = GcmSa();
    other.direction = Direction::kOut;
    other.tfc_pad = 1400;
    change(other);
    auto o = EncodeSa(other, false);
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_TRUE(FindAttr(o->bytes(), 224, XFRMA_TFCPAD).empty());
  }
}

TEST(XfrmEncode, OffloadNeedsResolvedDevice) {
  SaParams sa = GcmSa();
  sa.offload = OffloadMode::kPacket;
  sa.offload_dev = "eth9";
  EXPECT_FALSE(EncodeSa(sa, false));
  auto r = EncodeSa(sa, false, SaEncodeOptions{.offload_ifindex = 3});
  ASSERT_TRUE(r);
  ByteView off = FindAttr(r->bytes(), 224, XFRMA_OFFLOAD_DEV);
  ASSERT_EQ(off.size(), 8u);
  EXPECT_EQ(U32At(off, 0), 3u);
  EXPECT_EQ(off[4], XFRM_OFFLOAD_INBOUND | XFRM_OFFLOAD_PACKET);  // direction kIn
}

TEST(XfrmEncode, RejectsWrongKeySizesWithoutLeakingKeys) {
  SaParams sa = GcmSa();
  sa.enc_key = Key(16, 0xaa);  // salt missing
  auto r = EncodeSa(sa, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, BackendError::Code::kInvalidArgument);
  EXPECT_NE(r.error().detail.find("spi 0xc0010203"), std::string::npos);
  EXPECT_EQ(r.error().detail.find("aaab"), std::string::npos);
  sa = GcmSa();
  sa.encr = EncrId::k3Des;
  r = EncodeSa(sa, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, BackendError::Code::kAlgorithm);
}

TEST(XfrmEncode, AllocSpi) {
  Request r = EncodeAllocSpi(Ip("2001:db8::1"), Ip("2001:db8::2"), ProtocolId::kEsp, 5, 0x100, 0x200);
  ByteView m = r.bytes();
  ASSERT_EQ(m.size(), 16u + sizeof(xfrm_userspi_info));
  EXPECT_EQ(U16At(m, 4), XFRM_MSG_ALLOCSPI);
  EXPECT_EQ(ToHex(m.subspan(16 + 56, 16)), "20010db8000000000000000000000002");
  EXPECT_EQ(U16At(m, 16 + 212), AF_INET6);
  EXPECT_EQ(U32At(m, 16 + 208), 5u);
  EXPECT_EQ(U32At(m, 16 + 224), 0x100u);
  EXPECT_EQ(U32At(m, 16 + 228), 0x200u);
}

TEST(XfrmEncode, PolicyWithTemplateAndComputedPriority) {
  PolicyParams p;
  p.selector.src = Ip("10.0.0.0");
  p.selector.src_prefix = 24;
  p.selector.dst = Ip("10.1.0.0");
  p.selector.dst_prefix = 16;
  p.direction = Direction::kFwd;
  p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTunnel, Ip("192.0.2.1"),
                                       Ip("192.0.2.2"), 42});
  p.if_id = 3;
  auto r = EncodePolicy(p, false);
  ASSERT_TRUE(r);
  ByteView m = r->bytes();
  EXPECT_EQ(U16At(m, 4), XFRM_MSG_NEWPOLICY);
  EXPECT_EQ(ToHex(m.subspan(16, 4)), "0a010000");   // sel.daddr
  EXPECT_EQ(ToHex(m.subspan(32, 4)), "0a000000");   // sel.saddr
  EXPECT_EQ(m[16 + 42], 16);                        // prefixlen_d
  EXPECT_EQ(m[16 + 43], 24);                        // prefixlen_s
  EXPECT_EQ(U32At(m, 16 + 152), ComputePriority(p.selector, PolicyAction::kProtect, false));
  EXPECT_EQ(m[16 + 160], XFRM_POLICY_FWD);
  EXPECT_EQ(m[16 + 161], XFRM_POLICY_ALLOW);
  ByteView tmpl = FindAttr(m, 168, XFRMA_TMPL);
  ASSERT_EQ(tmpl.size(), 64u);
  EXPECT_EQ(ToHex(tmpl.subspan(0, 4)), "c0000202");  // id.daddr
  EXPECT_EQ(tmpl[20], 50);                           // id.proto
  EXPECT_EQ(U16At(tmpl, 24), AF_INET);               // family
  EXPECT_EQ(ToHex(tmpl.subspan(28, 4)), "c0000201");  // saddr
  EXPECT_EQ(U32At(tmpl, 44), 42u);                   // reqid
  EXPECT_EQ(tmpl[48], XFRM_MODE_TUNNEL);
  EXPECT_EQ(U32At(tmpl, 52), 0xffffffffu);           // aalgos
  EXPECT_EQ(ToHex(FindAttr(m, 168, XFRMA_IF_ID)), "03000000");
}

TEST(XfrmEncode, DropAndPassPolicies) {
  PolicyParams p;
  p.selector.src = Ip("10.0.0.0");
  p.selector.dst = Ip("10.1.0.0");
  p.action = PolicyAction::kDrop;
  p.priority = 77;
  auto r = EncodePolicy(p, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(U16At(r->bytes(), 4), XFRM_MSG_UPDPOLICY);
  EXPECT_EQ(r->bytes()[16 + 161], XFRM_POLICY_BLOCK);
  EXPECT_EQ(U32At(r->bytes(), 16 + 152), 77u);
  p.action = PolicyAction::kProtect;
  EXPECT_FALSE(EncodePolicy(p, false));  // protect without template
}

TEST(XfrmEncode, DeletePolicyLayout) {
  PolicyId id;
  id.selector.src = Ip("10.0.0.1");
  id.selector.src_prefix = 32;
  id.selector.dst = Ip("10.0.0.2");
  id.selector.dst_prefix = 32;
  id.selector.proto = 17;
  id.selector.dst_port = 4500;
  id.selector.dst_port_mask = 0xffff;
  id.direction = Direction::kIn;
  Request r = EncodeDeletePolicy(id);
  ByteView m = r.bytes();
  ASSERT_EQ(m.size(), 16u + sizeof(xfrm_userpolicy_id));
  EXPECT_EQ(U16At(m, 4), XFRM_MSG_DELPOLICY);
  EXPECT_EQ(ToHex(m.subspan(16 + 32, 4)), "1194" "ffff");  // dport 4500, mask
  EXPECT_EQ(m[16 + 44], 17);
  EXPECT_EQ(m[16 + 60], XFRM_POLICY_IN);  // after sel (56) and index (4)
}

// ---- Parsing ---------------------------------------------------------------

Bytes Message(uint16_t type, uint16_t flags, uint32_t seq, const Bytes& payload) {
  Bytes out(16 + ((payload.size() + 3) & ~size_t{3}), 0);
  uint32_t len = 16 + payload.size();
  std::memcpy(out.data(), &len, 4);
  std::memcpy(out.data() + 4, &type, 2);
  std::memcpy(out.data() + 6, &flags, 2);
  std::memcpy(out.data() + 8, &seq, 4);
  if (!payload.empty()) std::memcpy(out.data() + 16, payload.data(), payload.size());
  return out;
}

template <typename T>
void Put(Bytes& b, size_t off, T v) {
  if (b.size() < off + sizeof v) b.resize(off + sizeof v);
  std::memcpy(b.data() + off, &v, sizeof v);
}

void PutBytes(Bytes& b, size_t off, const Bytes& v) {
  if (b.size() < off + v.size()) b.resize(off + v.size());
  std::memcpy(b.data() + off, v.data(), v.size());
}

TEST(XfrmDecode, SplitRejectsBadLengths) {
  Bytes ok = Message(NLMSG_DONE, 0, 1, Bytes(4, 0));
  auto two = ok;
  two.insert(two.end(), ok.begin(), ok.end());
  auto r = SplitMessages(two);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 2u);
  Bytes bad = ok;
  bad[0] = 200;  // longer than the datagram
  EXPECT_FALSE(SplitMessages(bad));
  bad[0] = 8;  // shorter than a header
  EXPECT_FALSE(SplitMessages(bad));
  EXPECT_FALSE(SplitMessages(Bytes(10, 0)));
  for (size_t cut = 1; cut < ok.size(); ++cut) {
    EXPECT_FALSE(SplitMessages(ByteView(ok).first(cut))) << cut;
  }
}

TEST(XfrmDecode, AckWithExtendedMessage) {
  // nlmsgerr: error -EINVAL, then the capped original header (len 40, type
  // NEWSA, seq 9); TLV NLMSGERR_ATTR_MSG "Requested AEAD algorithm not found".
  Bytes p;
  Put<int32_t>(p, 0, -22);
  Put<uint32_t>(p, 4, 40);
  Put<uint16_t>(p, 8, XFRM_MSG_NEWSA);
  Put<uint32_t>(p, 12, 9);
  std::string text = "Requested AEAD algorithm not found";
  Put<uint16_t>(p, 20, static_cast<uint16_t>(4 + text.size() + 1));
  Put<uint16_t>(p, 22, NLMSGERR_ATTR_MSG);
  PutBytes(p, 24, Bytes(text.begin(), text.end()));
  p.push_back(0);
  Bytes msg = Message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, p);
  auto split = SplitMessages(msg);
  ASSERT_TRUE(split);
  auto ack = DecodeAck((*split)[0]);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->error, -22);
  EXPECT_EQ(ack->request_seq, 9u);
  EXPECT_EQ(ack->request_type, XFRM_MSG_NEWSA);
  EXPECT_EQ(ack->extack, text);
  BackendError e = MapKernelError(-ack->error, ack->request_type, "SA esp spi 0x00000100", ack->extack);
  EXPECT_EQ(e.code, BackendError::Code::kAlgorithm);
  EXPECT_NE(e.ToString().find(text), std::string::npos);
  EXPECT_NE(e.ToString().find("NEWSA SA esp spi 0x00000100"), std::string::npos);
}

TEST(XfrmDecode, AckErrorOutsideErrnoRangeIsRejected) {
  // Found by xfrm_netlink_fuzz: an error field of INT_MIN (or any positive or
  // beyond-errno value) is not something the kernel sends; it must be refused
  // rather than negated.
  for (int32_t bad : {std::numeric_limits<int32_t>::min(), -4096, 1, 22}) {
    Bytes p;
    Put<int32_t>(p, 0, bad);
    Put<uint32_t>(p, 4, 16);
    p.resize(20);  // error + the echoed request header
    Bytes msg = Message(NLMSG_ERROR, NLM_F_CAPPED, 1, p);
    auto split = SplitMessages(msg);
    ASSERT_TRUE(split);
    EXPECT_FALSE(DecodeAck((*split)[0])) << bad;
  }
  for (int32_t good : {0, -1, -4095}) {
    Bytes p;
    Put<int32_t>(p, 0, good);
    Put<uint32_t>(p, 4, 16);
    p.resize(20);  // error + the echoed request header
    Bytes msg = Message(NLMSG_ERROR, NLM_F_CAPPED, 1, p);
    auto split = SplitMessages(msg);
    ASSERT_TRUE(split);
    auto ack = DecodeAck((*split)[0]);
    ASSERT_TRUE(ack) << good;
    EXPECT_EQ(ack->error, good);
  }
}

TEST(XfrmDecode, ErrorMapping) {
  using Code = BackendError::Code;
  EXPECT_EQ(MapKernelError(EPERM, XFRM_MSG_NEWSA, "x", "").code, Code::kPermission);
  EXPECT_NE(MapKernelError(EPERM, XFRM_MSG_NEWSA, "x", "").detail.find("CAP_NET_ADMIN"),
            std::string::npos);
  EXPECT_EQ(MapKernelError(EEXIST, XFRM_MSG_NEWSA, "x", "").code, Code::kExists);
  EXPECT_NE(MapKernelError(EEXIST, XFRM_MSG_NEWSA, "x", "").detail.find("SPI collision"),
            std::string::npos);
  EXPECT_NE(MapKernelError(EEXIST, XFRM_MSG_NEWPOLICY, "x", "").detail.find("policy"),
            std::string::npos);
  EXPECT_EQ(MapKernelError(EPROTONOSUPPORT, XFRM_MSG_NEWSA, "x", "Requested type not found").code,
            Code::kNotSupported);
  EXPECT_EQ(MapKernelError(ENOSYS, XFRM_MSG_NEWSA, "x", "").code, Code::kAlgorithm);
  EXPECT_EQ(MapKernelError(ENOENT, XFRM_MSG_NEWSA, "x", "").code, Code::kAlgorithm);
  EXPECT_EQ(MapKernelError(EINVAL, XFRM_MSG_NEWSA, "x",
                           "Kernel was unable to initialize cryptographic operations")
                .code,
            Code::kNotSupported);
  EXPECT_EQ(MapKernelError(ENOENT, XFRM_MSG_DELPOLICY, "x", "").code, Code::kNotFound);
  EXPECT_EQ(MapKernelError(ESRCH, XFRM_MSG_DELSA, "x", "").code, Code::kNotFound);
}

TEST(XfrmDecode, AcquireHandBuilt) {
  // xfrm_user_acquire (280 bytes): id.daddr @0, saddr @24, sel @40,
  // policy @96 (index @96+156), then XFRMA_TMPL with reqid 42.
  Bytes p(280, 0);
  PutBytes(p, 0, {192, 0, 2, 2});            // id.daddr: template dst
  p[20] = 50;                                // id.proto
  PutBytes(p, 24, {192, 0, 2, 1});           // saddr: template src
  PutBytes(p, 40, {10, 1, 0, 5});            // sel.daddr
  PutBytes(p, 40 + 16, {10, 0, 0, 5});       // sel.saddr
  Put<uint16_t>(p, 40 + 40, AF_INET);        // sel.family
  p[40 + 42] = 32;
  p[40 + 43] = 32;
  p[40 + 44] = 1;                            // ICMP
  Put<uint16_t>(p, 96 + 40, AF_INET);        // policy.sel.family
  Put<uint32_t>(p, 96 + 156, 0x1234);        // policy.index
  Bytes tmpl(64, 0);
  PutBytes(tmpl, 0, {192, 0, 2, 2});
  tmpl[20] = 50;
  Put<uint16_t>(tmpl, 24, AF_INET);
  Put<uint32_t>(tmpl, 44, 42);
  tmpl[48] = XFRM_MODE_TUNNEL;
  Put<uint16_t>(p, 280, 68);
  Put<uint16_t>(p, 282, XFRMA_TMPL);
  PutBytes(p, 284, tmpl);
  Bytes msg = Message(XFRM_MSG_ACQUIRE, 0, 0, p);
  auto split = SplitMessages(msg);
  ASSERT_TRUE(split);
  auto ev = DecodeEvent((*split)[0]);
  ASSERT_TRUE(ev);
  ASSERT_TRUE(ev->has_value());
  auto* a = std::get_if<AcquireEvent>(&**ev);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reqid, 42u);
  EXPECT_EQ(a->policy_index, 0x1234u);
  EXPECT_EQ(a->selector.src, Ip("10.0.0.5"));
  EXPECT_EQ(a->selector.dst, Ip("10.1.0.5"));
  EXPECT_EQ(a->selector.proto, 1);
  EXPECT_EQ(a->src, Ip("192.0.2.1"));
  EXPECT_EQ(a->dst, Ip("192.0.2.2"));
  // Every truncation of the fixed part fails cleanly.
  for (size_t cut = 0; cut < 280; cut += 7) {
    MessageView v = (*split)[0];
    v.payload = v.payload.first(cut);
    EXPECT_FALSE(DecodeEvent(v)) << cut;
  }
}

TEST(XfrmDecode, ExpireHandBuilt) {
  // xfrm_user_expire: xfrm_usersa_info (224) then hard (1 byte), padded to
  // 232; XFRMA_MARK after it.
  Bytes p(232, 0);
  PutBytes(p, 56, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});  // id.daddr
  PutBytes(p, 72, {0xc0, 0x01, 0x02, 0x03});  // spi
  p[76] = 50;
  Put<uint32_t>(p, 208, 7);                   // reqid
  Put<uint16_t>(p, 212, AF_INET6);            // family
  p[224] = 1;                                 // hard
  Put<uint16_t>(p, 232, 12);
  Put<uint16_t>(p, 234, XFRMA_MARK);
  Put<uint32_t>(p, 236, 5);
  Put<uint32_t>(p, 240, 0xff);
  Bytes wire = Message(XFRM_MSG_EXPIRE, 0, 0, p);
  auto split = SplitMessages(wire);
  ASSERT_TRUE(split);
  auto ev = DecodeEvent((*split)[0]);
  ASSERT_TRUE(ev && ev->has_value());
  auto* e = std::get_if<ExpireEvent>(&**ev);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->hard);
  EXPECT_EQ(e->reqid, 7u);
  EXPECT_EQ(e->sa.spi, 0xc0010203u);
  EXPECT_EQ(e->sa.dst, Ip("2001:db8::2"));
  EXPECT_EQ(e->sa.protocol, ProtocolId::kEsp);
  EXPECT_EQ(e->sa.mark, (Mark{5, 0xff}));
}

TEST(XfrmDecode, MappingHandBuilt) {
  // xfrm_user_mapping: usersa_id (24), reqid @24, old_saddr @28, new_saddr @44,
  // old_sport @60, new_sport @62.
  Bytes p(64, 0);
  PutBytes(p, 0, {192, 0, 2, 1});
  PutBytes(p, 16, {0, 0, 1, 0});
  Put<uint16_t>(p, 20, AF_INET);
  p[22] = 50;
  Put<uint32_t>(p, 24, 3);
  PutBytes(p, 28, {198, 51, 100, 7});
  PutBytes(p, 44, {198, 51, 100, 8});
  PutBytes(p, 60, {0x11, 0x94, 0x11, 0x95});
  Bytes wire = Message(XFRM_MSG_MAPPING, 0, 0, p);
  auto split = SplitMessages(wire);
  ASSERT_TRUE(split);
  auto ev = DecodeEvent((*split)[0]);
  ASSERT_TRUE(ev && ev->has_value());
  auto* m = std::get_if<MappingEvent>(&**ev);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->sa.spi, 0x100u);
  EXPECT_EQ(m->old_peer, (Endpoint{Ip("198.51.100.7"), 4500}));
  EXPECT_EQ(m->new_peer, (Endpoint{Ip("198.51.100.8"), 4501}));
}

TEST(XfrmDecode, PolicyExpireHandBuilt) {
  Bytes p(176, 0);
  PutBytes(p, 0, {10, 1, 0, 0});
  PutBytes(p, 16, {10, 0, 0, 0});
  Put<uint16_t>(p, 40, AF_INET);
  p[42] = 16;
  p[43] = 24;
  p[160] = XFRM_POLICY_OUT;
  p[168] = 0;  // soft
  Bytes wire = Message(XFRM_MSG_POLEXPIRE, 0, 0, p);
  auto split = SplitMessages(wire);
  ASSERT_TRUE(split);
  auto ev = DecodeEvent((*split)[0]);
  ASSERT_TRUE(ev && ev->has_value());
  auto* pe = std::get_if<PolicyExpireEvent>(&**ev);
  ASSERT_NE(pe, nullptr);
  EXPECT_FALSE(pe->hard);
  EXPECT_EQ(pe->policy.direction, Direction::kOut);
  EXPECT_EQ(pe->policy.selector.src_prefix, 24);
  EXPECT_EQ(pe->policy.selector.dst, Ip("10.1.0.0"));
}

TEST(XfrmDecode, NonEventTypesAreNotEvents) {
  Bytes wire = Message(XFRM_MSG_NEWSA, 0, 0, Bytes(224, 0));
  auto split = SplitMessages(wire);
  ASSERT_TRUE(split);
  auto ev = DecodeEvent((*split)[0]);
  ASSERT_TRUE(ev);
  EXPECT_FALSE(ev->has_value());
}

TEST(XfrmDecode, SaRoundTripThroughOurEncoderWithoutKeys) {
  SaParams sa = GcmSa();
  sa.encap = Encap{4500, 4500};
  sa.mark = Mark{1, 0xff};
  sa.if_id = 4;
  auto r = EncodeSa(sa, false);
  ASSERT_TRUE(r);
  Bytes copy = ToBytes(r->bytes());
  auto split = SplitMessages(copy);
  ASSERT_TRUE(split);
  auto info = DecodeSa((*split)[0]);
  ASSERT_TRUE(info) << info.error().detail;
  EXPECT_EQ(info->id.spi, 0xc0010203u);
  EXPECT_EQ(info->id.dst, Ip("192.0.2.2"));
  EXPECT_EQ(info->src, Ip("192.0.2.1"));
  EXPECT_EQ(info->reqid, 7u);
  EXPECT_EQ(info->aead, "rfc4106(gcm(aes))");
  EXPECT_EQ(info->icv_bits, 128u);
  ASSERT_TRUE(info->encap);
  EXPECT_EQ(info->encap->dst_port, 4500);
  EXPECT_EQ(info->id.mark, (Mark{1, 0xff}));
  EXPECT_EQ(info->if_id, 4u);
  EXPECT_EQ(info->replay_window, 32u);
}

TEST(XfrmDecode, PolicyRoundTrip) {
  PolicyParams p;
  p.selector.src = Ip("2001:db8:1::");
  p.selector.src_prefix = 48;
  p.selector.dst = Ip("2001:db8:2::");
  p.selector.dst_prefix = 48;
  p.direction = Direction::kIn;
  p.mark = Mark{7, 0xf};
  p.templates.push_back(PolicyTemplate{ProtocolId::kEsp, Mode::kTransport, {}, {}, 9});
  auto r = EncodePolicy(p, false);
  ASSERT_TRUE(r);
  Bytes copy = ToBytes(r->bytes());
  auto info = DecodePolicy((*SplitMessages(copy))[0]);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->params.selector, p.selector);
  EXPECT_EQ(info->params.direction, Direction::kIn);
  EXPECT_EQ(info->params.action, PolicyAction::kProtect);
  EXPECT_EQ(info->params.mark, p.mark);
  ASSERT_EQ(info->params.templates.size(), 1u);
  EXPECT_EQ(info->params.templates[0].reqid, 9u);
  EXPECT_EQ(info->params.templates[0].mode, Mode::kTransport);
}

// MOBIKE: the kernel's record of an SA (here our own NEWSA, standing in
// for a GETSA answer) re-encoded at new addresses: keys, replay state and
// the rest kept, the encapsulation replaced.
TEST(XfrmEncode, MovedSaKeepsEverythingButAddressesAndEncap) {
  SaParams sa = GcmSa();
  sa.encap = Encap{4500, 4500};
  sa.esn = true;
  sa.replay_window = 64;
  sa.mark = Mark{0x42, 0xff};
  auto orig = EncodeSa(sa, false);
  ASSERT_TRUE(orig);
  auto split = SplitMessages(orig->bytes());
  ASSERT_TRUE(split);
  ASSERT_EQ(split->size(), 1u);

  SaParams to = GcmSa();
  to.id.dst = Ip("203.0.113.66");
  to.src = Ip("192.0.2.1");
  to.encap.reset();  // out of the NAT: plain ESP
  auto moved = EncodeMovedSa((*split)[0], to);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->type(), XFRM_MSG_NEWSA);
  auto msplit = SplitMessages(moved->bytes());
  ASSERT_TRUE(msplit);
  MessageView v = (*msplit)[0];
  v.type = XFRM_MSG_NEWSA;
  auto info = DecodeSa(v);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->id.dst, Ip("203.0.113.66"));
  EXPECT_EQ(info->id.spi, sa.id.spi);
  EXPECT_EQ(info->src, Ip("192.0.2.1"));
  EXPECT_FALSE(info->encap);
  EXPECT_TRUE(info->esn);
  EXPECT_EQ(info->reqid, 7u);
  EXPECT_EQ(info->aead, "rfc4106(gcm(aes))");
  // The key bytes travel unchanged.
  ByteView aead = FindAttr(moved->bytes(), sizeof(xfrm_usersa_info), XFRMA_ALG_AEAD);
  ByteView aead_orig = FindAttr(orig->bytes(), sizeof(xfrm_usersa_info), XFRMA_ALG_AEAD);
  ASSERT_FALSE(aead.empty());
  EXPECT_EQ(Bytes(aead.begin(), aead.end()), Bytes(aead_orig.begin(), aead_orig.end()));
  EXPECT_FALSE(FindAttr(moved->bytes(), sizeof(xfrm_usersa_info), XFRMA_MARK).empty());

  // Into a NAT: encapsulation added; another family or SPI is refused.
  to.encap = Encap{4500, 40000};
  auto natted = EncodeMovedSa((*split)[0], to);
  ASSERT_TRUE(natted);
  EXPECT_FALSE(FindAttr(natted->bytes(), sizeof(xfrm_usersa_info), XFRMA_ENCAP).empty());
  SaParams v6 = to.Clone();
  v6.id.dst = Ip("2001:db8::1");
  v6.src = Ip("2001:db8::2");
  EXPECT_FALSE(EncodeMovedSa((*split)[0], v6));
  SaParams other = to.Clone();
  other.id.spi = 0x1234;
  EXPECT_FALSE(EncodeMovedSa((*split)[0], other));
  // Truncated answers are refused, never read past.
  for (size_t cut = 0; cut < (*split)[0].payload.size(); cut += 7) {
    MessageView t = (*split)[0];
    t.payload = t.payload.first(cut);
    auto r = EncodeMovedSa(t, to);
    if (cut < sizeof(xfrm_usersa_info)) {
      EXPECT_FALSE(r) << cut;
    }
  }
}

}  // namespace
}  // namespace ike::xfrm::netlink
