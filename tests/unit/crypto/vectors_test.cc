// Published test vectors. Every expected value below is copied from the
// RFC / specification named next to it; none is computed by this code.
#include <gtest/gtest.h>

#include <string>

#include "libike/crypto/integ.h"
#include "libike/crypto/key_exchange.h"
#include "libike/crypto/prf.h"
#include "libike/crypto/sk_cipher.h"

namespace ike::crypto {
namespace {

Bytes Repeat(uint8_t b, size_t n) { return Bytes(n, b); }
Bytes Str(const char* s) { return Bytes(s, s + std::string(s).size()); }
std::string Hex(const SecretBytes& s) { return ToHex(s.view()); }

// ---------------------------------------------------------------- RFC 4231
// HMAC-SHA-256/384/512, test cases 1-7 (case 5 is truncated to 128 bits).
struct HmacCase {
  Bytes key;
  Bytes data;
  const char* sha256;
  const char* sha384;
  const char* sha512;
};

std::vector<HmacCase> Rfc4231Cases() {
  Bytes key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<uint8_t>(i));
  return {
      {Repeat(0x0b, 20), Str("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
       "be9d914eeb61f1702e696c203a126854"},
      {Str("Jefe"), Str("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
       "caeab1a34d4a6b4b636e070a38bce737"},
      {Repeat(0xaa, 20), Repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807"
       "b946a337bee8942674278859e13292fb"},
      {key4, Repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
       "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063"
       "a5f19741120c4f2de2adebeb10a298dd"},
      {Repeat(0x0c, 20), Str("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b",
       "3abf34c3503b2a23a46efc619baef897", "415fad6271580a531d4179bc891d87a6"},
      {Repeat(0xaa, 131), Str("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e52"
       "95e64f73f63f0aec8b915a985d786598"},
      {Repeat(0xaa, 131),
       Str("This is a test using a larger than block-size key and a larger than block-size data. The key "
           "needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
       "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15"
       "134676fb6de0446065c97440fa8c6a58"},
  };
}

TEST(Rfc4231, HmacSha2AllCases) {
  const auto cases = Rfc4231Cases();
  int n = 1;
  for (const HmacCase& c : cases) {
    const std::pair<PrfId, const char*> per_hash[] = {
        {PrfId::kHmacSha2_256, c.sha256}, {PrfId::kHmacSha2_384, c.sha384}, {PrfId::kHmacSha2_512, c.sha512}};
    for (auto [id, expected] : per_hash) {
      auto prf = Prf::Create(id);
      auto mac = prf->Compute(c.key, c.data);
      ASSERT_TRUE(mac.has_value());
      // Case 5 publishes only the first 128 bits.
      std::string got = Hex(*mac).substr(0, std::string(expected).size());
      EXPECT_EQ(got, expected) << "RFC 4231 case " << n << " prf " << static_cast<int>(id);
    }
    ++n;
  }
}

// RFC 2202 test case 1 (HMAC-SHA-1), and case 5 truncated to 96 bits, the
// HMAC-SHA1-96 of RFC 2404.
TEST(Rfc2202, HmacSha1AndSha1_96) {
  auto prf = Prf::Create(PrfId::kHmacSha1);
  EXPECT_EQ(Hex(*prf->Compute(Repeat(0x0b, 20), Str("Hi There"))), "b617318655057264e28bc0b6fb378c8ef146be00");
  auto integ = Integ::Create(IntegId::kHmacSha1_96, Repeat(0x0c, 20));
  ASSERT_TRUE(integ.has_value());
  EXPECT_EQ(ToHex(*integ->Sign(Str("Test With Truncation"))), "4c1a03424b55e07fe7f27be1");
}

// RFC 4868 2.7.2: AUTH test case 1 with key length = the IKE integrity key
// size (32/48/64 bytes of 0x0b), data "Hi There", truncated ICVs.
TEST(Rfc4868, TruncatedIntegrityChecksums) {
  struct {
    IntegId id;
    size_t key_len;
    const char* icv;
  } cases[] = {
      {IntegId::kHmacSha2_256_128, 32, "198a607eb44bfbc69903a0f1cf2bbdc5"},
      {IntegId::kHmacSha2_384_192, 48, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973"},
      {IntegId::kHmacSha2_512_256, 64, "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"},
  };
  for (const auto& c : cases) {
    auto integ = Integ::Create(c.id, Repeat(0x0b, c.key_len));
    ASSERT_TRUE(integ.has_value());
    Bytes icv = *integ->Sign(Str("Hi There"));
    EXPECT_EQ(ToHex(icv), c.icv);
    EXPECT_TRUE(integ->Verify(Str("Hi There"), icv).has_value());
    // The same checksum computed over split parts.
    const ByteView parts[] = {AsBytes("Hi "), AsBytes("There")};
    EXPECT_EQ(*integ->Sign(parts), icv);
  }
  // RFC 4868 PRF-HMAC-SHA-256 test 1 (full output).
  auto prf = Prf::Create(PrfId::kHmacSha2_256);
  EXPECT_EQ(Hex(*prf->Compute(Repeat(0x0b, 32), Str("Hi There"))),
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
}

// ------------------------------------------------------- RFC 3566 / 4434
const char kXcbcKey[] = "000102030405060708090a0b0c0d0e0f";

TEST(Rfc3566, AesXcbcMac96) {
  struct {
    Bytes msg;
    const char* mac;
  } cases[] = {
      {{}, "75f0251d528ac01c4573dfd584d79f29"},
      {HexOrDie("000102"), "5b376580ae2f19afe7219ceef172756f"},
      {HexOrDie("000102030405060708090a0b0c0d0e0f"), "d2a246fa349b68a79998a4394ff7a263"},
      {HexOrDie("000102030405060708090a0b0c0d0e0f10111213"), "47f51b4564966215b8985c63055ed308"},
      {HexOrDie("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
       "f54f0ec8d2b9f3d36807734bd5283fd4"},
      {HexOrDie("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021"),
       "becbb3bccdb518a30677d5481fb6b4d8"},
      {Bytes(1000, 0), "f0dafee895db30253761103b5d84528f"},
  };
  auto prf = Prf::Create(PrfId::kAes128Xcbc);
  auto integ = Integ::Create(IntegId::kAesXcbc96, HexOrDie(kXcbcKey));
  ASSERT_TRUE(integ.has_value());
  for (const auto& c : cases) {
    EXPECT_EQ(Hex(*prf->Compute(HexOrDie(kXcbcKey), c.msg)), c.mac);
    EXPECT_EQ(ToHex(*integ->Sign(c.msg)), std::string(c.mac).substr(0, 24));
    // Split at every position: the block logic must not depend on parts.
    for (size_t cut = 0; cut <= c.msg.size() && c.msg.size() < 40; ++cut) {
      const ByteView parts[] = {ByteView(c.msg).first(cut), ByteView(c.msg).subspan(cut)};
      EXPECT_EQ(ToHex(*integ->Sign(parts)), std::string(c.mac).substr(0, 24)) << cut;
    }
  }
}

TEST(Rfc4434, AesXcbcPrf128KeyLengths) {
  const Bytes msg = HexOrDie("000102030405060708090a0b0c0d0e0f10111213");
  auto prf = Prf::Create(PrfId::kAes128Xcbc);
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("000102030405060708090a0b0c0d0e0f"), msg)),
            "47f51b4564966215b8985c63055ed308");
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("00010203040506070809"), msg)), "0fa087af7d866e7653434e602fdde835");
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("000102030405060708090a0b0c0d0e0fedcb"), msg)),
            "8cd3c93ae598a9803006ffb67c40e9e4");
}

// ------------------------------------------------------- RFC 4493 / 4615
TEST(Rfc4493, AesCmac) {
  const Bytes key = HexOrDie("2b7e151628aed2a6abf7158809cf4f3c");
  const Bytes m = HexOrDie(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  auto prf = Prf::Create(PrfId::kAes128Cmac);
  EXPECT_EQ(Hex(*prf->Compute(key, ByteView(m).first(0))), "bb1d6929e95937287fa37d129b756746");
  EXPECT_EQ(Hex(*prf->Compute(key, ByteView(m).first(16))), "070a16b46b4d4144f79bdd9dd04a287c");
  EXPECT_EQ(Hex(*prf->Compute(key, ByteView(m).first(40))), "dfa66747de9ae63030ca32611497c827");
  EXPECT_EQ(Hex(*prf->Compute(key, m)), "51f0bebf7e3b9d92fc49741779363cfe");
  // AES-CMAC-96 (RFC 4494) is the same MAC truncated to 96 bits.
  auto integ = Integ::Create(IntegId::kAesCmac96, key);
  EXPECT_EQ(ToHex(*integ->Sign(m)), "51f0bebf7e3b9d92fc497417");
}

TEST(Rfc4615, AesCmacPrf128KeyLengths) {
  const Bytes msg = HexOrDie("000102030405060708090a0b0c0d0e0f10111213");
  auto prf = Prf::Create(PrfId::kAes128Cmac);
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("000102030405060708090a0b0c0d0e0fedcb"), msg)),
            "84a348a4a45d235babfffc0d2b4da09a");
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("000102030405060708090a0b0c0d0e0f"), msg)),
            "980ae87b5f4c9c5214f5b6a8455e4c2d");
  EXPECT_EQ(Hex(*prf->Compute(HexOrDie("00010203040506070809"), msg)), "290d9e112edb09ee141fcf64c0b72f3d");
}

// ---------------------------------------------------------------- RFC 5903
struct EcpVector {
  KeGroup group;
  const char* i;
  const char* gix;
  const char* giy;
  const char* r;
  const char* grx;
  const char* gry;
  const char* girx;
};

const EcpVector kRfc5903[] = {
    {KeGroup::kEcp256, "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
     "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
     "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
     "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
     "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
     "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
     "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"},
    {KeGroup::kEcp384,
     "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194",
     "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa",
     "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c",
     "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc",
     "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571",
     "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c",
     "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746"},
    {KeGroup::kEcp521,
     "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777f5957b"
     "2639bab072462f68c27a57382d4a52",
     "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aeae57c2d107564941885"
     "942af5a7f4601723c4195d176ced3e",
     "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799dc75e7b7d5b6cf2261a"
     "6a7f1507438bf01beb6ca3926f9582",
     "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bdbf2a3163e4c2f869cc"
     "a7458aa4a4effc311f5cb151685eb9",
     "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb0352f6be64a6c2912d"
     "4ef2d0433ced2b6171640012d9460f",
     "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2aebb8e86d678ae49cb57"
     "091f4732296579ab44fcd17f0fc56a",
     "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34786859810c06b3c715"
     "a3a8cc3151f2bee417996d19f3ddea"},
};

TEST(Rfc5903, EcpGroups19To21) {
  for (const EcpVector& v : kRfc5903) {
    auto init = KeyExchange::CreateFromPrivate(v.group, HexOrDie(v.i));
    auto resp = KeyExchange::CreateFromPrivate(v.group, HexOrDie(v.r));
    ASSERT_TRUE(init.has_value()) << init.error().detail;
    ASSERT_TRUE(resp.has_value());
    // KE data is x | y without the 0x04 prefix (RFC 5903 section 7).
    EXPECT_EQ(ToHex(init->PublicValue()), std::string(v.gix) + v.giy);
    EXPECT_EQ(ToHex(resp->PublicValue()), std::string(v.grx) + v.gry);
    // The shared secret is the x coordinate of g^ir.
    auto ir = init->ComputeShared(resp->PublicValue());
    auto ri = resp->ComputeShared(init->PublicValue());
    ASSERT_TRUE(ir && ri);
    EXPECT_EQ(Hex(*ir), v.girx);
    EXPECT_EQ(Hex(*ri), v.girx);
  }
}

// ---------------------------------------------------------------- RFC 7748
TEST(Rfc7748, X25519Section6_1) {
  auto alice = KeyExchange::CreateFromPrivate(
      KeGroup::kCurve25519, HexOrDie("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = KeyExchange::CreateFromPrivate(
      KeGroup::kCurve25519, HexOrDie("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(ToHex(alice->PublicValue()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(ToHex(bob->PublicValue()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  EXPECT_EQ(Hex(*alice->ComputeShared(bob->PublicValue())),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(Hex(*bob->ComputeShared(alice->PublicValue())),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(Rfc7748, X448Section6_2) {
  auto alice = KeyExchange::CreateFromPrivate(
      KeGroup::kCurve448, HexOrDie("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391"
                                   "006382a6f127ab1d9ac2d8c0a598726b"));
  auto bob = KeyExchange::CreateFromPrivate(
      KeGroup::kCurve448, HexOrDie("1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21"
                                   "374c9c921b09d1b0366f10b65173992d"));
  ASSERT_TRUE(alice && bob);
  EXPECT_EQ(ToHex(alice->PublicValue()),
            "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f8"
            "0e532c41fa0");
  EXPECT_EQ(ToHex(bob->PublicValue()),
            "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc"
            "1c67bf33609");
  const char kShared[] =
      "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a50375"
      "14a879d";
  EXPECT_EQ(Hex(*alice->ComputeShared(bob->PublicValue())), kShared);
  EXPECT_EQ(Hex(*bob->ComputeShared(alice->PublicValue())), kShared);
}

// ---------------------------------------------------------------- RFC 3526
const char kModp2048[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
    "15728E5A 8AACAA68 FFFFFFFF FFFFFFFF";
// The 3072-bit prime; the 4096-bit prime shares its first 3008 bits.
const char kModp3072Head[] =
    "FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD"
    "EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED"
    "EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F"
    "83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B"
    "E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9 DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510"
    "15728E5A 8AAAC42D AD33170D 04507A33 A85521AB DF1CBA64 ECFB8504 58DBEF0A 8AEA7157 5D060C7D B3970F85 A6E1E4C7"
    "ABF5AE8C DB0933D7 1E8C94E0 4A25619D CEE3D226 1AD2EE6B F12FFA06 D98A0864 D8760273 3EC86A64 521F2B18 177B200C"
    "BBE11757 7A615D6C 770988C0 BAD946E2 08E24FA0 74E5AB31 43DB5BFC E0FD108E 4B82D120";
const char kModp3072Tail[] = "A93AD2CA FFFFFFFF FFFFFFFF";
const char kModp4096Tail[] =
    "A9210801 1A723C12 A787E6D7 88719A10 BDBA5B26 99C32718 6AF4E23C 1A946834 B6150BDA 2583E9CA 2AD44CE8 DBBBC2DB"
    "04DE8EF9 2E8EFC14 1FBECAA6 287C5947 4E6BC05D 99B2964F A090C3A2 233BA186 515BE7ED 1F612970 CEE2D7AF B81BDD76"
    "2170481C D0069127 D5B05AA9 93B4EA98 8D8FDDC1 86FFB7DC 90A6C08F 4DF435C9 34063199 FFFFFFFF FFFFFFFF";

TEST(Rfc3526, ModpPrimes) {
  Bytes p2048 = HexOrDie(kModp2048);
  Bytes p3072 = HexOrDie(std::string(kModp3072Head) + kModp3072Tail);
  Bytes p4096 = HexOrDie(std::string(kModp3072Head) + kModp4096Tail);
  ASSERT_EQ(p2048.size(), 256u);
  ASSERT_EQ(p3072.size(), 384u);
  ASSERT_EQ(p4096.size(), 512u);
  EXPECT_EQ(*KeyExchange::ModpPrime(KeGroup::kModp2048), p2048);
  EXPECT_EQ(*KeyExchange::ModpPrime(KeGroup::kModp3072), p3072);
  EXPECT_EQ(*KeyExchange::ModpPrime(KeGroup::kModp4096), p4096);
  EXPECT_FALSE(KeyExchange::ModpPrime(KeGroup::kEcp256).has_value());
}

TEST(Rfc3526, PeerValueRangeUsesThePrime) {
  for (KeGroup g : {KeGroup::kModp2048, KeGroup::kModp3072, KeGroup::kModp4096}) {
    Bytes p = *KeyExchange::ModpPrime(g);
    // x = 2: the public value is g^2 = 4, left-padded to the prime length.
    auto a = KeyExchange::CreateFromPrivate(g, HexOrDie("02"));
    ASSERT_TRUE(a.has_value());
    Bytes four(p.size(), 0);
    four.back() = 4;
    EXPECT_EQ(a->PublicValue(), four);
    Bytes p_minus_1 = p;
    p_minus_1.back() -= 1;
    EXPECT_EQ(a->ComputeShared(p_minus_1).error().code, CryptoErrc::kInvalidPublicValue);
    EXPECT_EQ(a->ComputeShared(p).error().code, CryptoErrc::kInvalidPublicValue);
    Bytes p_minus_2 = p;
    p_minus_2.back() -= 2;
    // (p-2)^2 = (-2)^2 = 4 mod p, padded to the prime length.
    auto shared = a->ComputeShared(p_minus_2);
    ASSERT_TRUE(shared.has_value());
    EXPECT_EQ(ToHex(shared->view()), ToHex(four));
  }
}

// ---------------------------------------------------- AES-GCM (McGrew-Viega)
// Through the IKE SK interface (RFC 5282): nonce = salt (last 4 bytes of
// SK_e) | 8-byte IV from the payload. The GCM spec's 12-byte IV
// cafebabe facedbaddecaf888 splits into salt cafebabe and IV facedbaddecaf888.
// Test cases 4 (AES-128) and 16 (AES-256): 60-byte plaintext whose last byte
// 0x39 = 57 reads as the pad length, so the inner payload is its first 2 bytes.
TEST(GcmSpec, TestCases4And16ThroughSkCipher) {
  const Bytes aad = HexOrDie("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes iv = HexOrDie("facedbaddecaf888");
  struct {
    uint16_t key_bits;
    const char* key;
    const char* ct;
    const char* tag;
  } cases[] = {
      {128, "feffe9928665731c6d6a8f9467308308",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b39"
       "6a0aac973d58e091",
       "5bc94fbc3221a5db94fae95ae7121a47"},
      {256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e63"
       "93ba7a0abcc9f662",
       "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
  for (const auto& c : cases) {
    Bytes sk_e = HexOrDie(c.key);
    Bytes salt = HexOrDie("cafebabe");
    sk_e.insert(sk_e.end(), salt.begin(), salt.end());
    for (EncrId id : {EncrId::kAesGcm16, EncrId::kAesGcm12, EncrId::kAesGcm8}) {
      auto cipher = SkCipher::Create(id, c.key_bits, IntegId::kNone, sk_e, {});
      ASSERT_TRUE(cipher.has_value());
      Bytes body = iv;
      Bytes ct = HexOrDie(c.ct);
      body.insert(body.end(), ct.begin(), ct.end());
      // 8/12-byte ICVs are the leading bytes of the full tag (RFC 4106).
      Bytes tag = HexOrDie(c.tag);
      body.insert(body.end(), tag.begin(), tag.begin() + static_cast<long>(cipher->icv_size()));
      auto inner = cipher->Unprotect(aad, body);
      ASSERT_TRUE(inner.has_value()) << inner.error().detail;
      EXPECT_EQ(ToHex(*inner), "d931");
      body[10] ^= 1;
      EXPECT_EQ(cipher->Unprotect(aad, body).error().code, CryptoErrc::kIntegrityCheckFailed);
    }
  }
}

// Test case 3 (AES-128, no AAD, 64-byte plaintext ending in 0x55 = 85): the
// tag verifies, then the pad length is rejected as larger than the data.
TEST(GcmSpec, TestCase3AuthenticatesButHasBadPadding) {
  Bytes sk_e = HexOrDie("feffe9928665731c6d6a8f9467308308cafebabe");
  auto cipher = SkCipher::Create(EncrId::kAesGcm16, 128, IntegId::kNone, sk_e, {});
  Bytes body = HexOrDie(
      "facedbaddecaf888"
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
      "4d5c2af327cd64a62cf35abd2ba6fab4");
  auto r = cipher->Unprotect({}, body);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, CryptoErrc::kBadPadding);
}

// ---------------------------------------------------------------- RFC 8439
// 2.8.2 AEAD vector through the IKE interface (RFC 7634): SK_e = key | salt
// with salt 07000000 and IV 4041424344454647. The plaintext ends in '.'
// (0x2e = 46), read as the pad length: the inner payload is the first 67 bytes.
TEST(Rfc8439, ChaCha20Poly1305AeadVectorThroughSkCipher) {
  Bytes sk_e = HexOrDie("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f07000000");
  auto cipher = SkCipher::Create(EncrId::kChaCha20Poly1305, 0, IntegId::kNone, sk_e, {});
  ASSERT_TRUE(cipher.has_value());
  Bytes aad = HexOrDie("50515253c0c1c2c3c4c5c6c7");
  Bytes body = HexOrDie(
      "4041424344454647"
      "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
      "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
      "3ff4def08e4b7a9de576d26586cec64b6116"
      "1ae10b594f09e26a7e902ecbd0600691");
  auto inner = cipher->Unprotect(aad, body);
  ASSERT_TRUE(inner.has_value()) << inner.error().detail;
  const std::string sunscreen =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.";
  EXPECT_EQ(std::string(inner->begin(), inner->end()), sunscreen.substr(0, 114 - 47));
  body[body.size() - 1] ^= 0x80;
  EXPECT_EQ(cipher->Unprotect(aad, body).error().code, CryptoErrc::kIntegrityCheckFailed);
}


// RFC 7634 Appendix B: an IKEv2 INFORMATIONAL message (SPIs c0..c7/d0..d7,
// message ID 9) carrying N(SET_WINDOW_SIZE, 10) in an SK payload protected
// with ChaCha20-Poly1305, key 80..9f, salt a0a1a2a3, IV 1011121314151617.
// Protect (with the IV drawn from a fixed Rng) must reproduce the
// published message exactly; Unprotect must return the notify payload.
class FixedRng : public Rng {
 public:
  explicit FixedRng(Bytes bytes) : bytes_(std::move(bytes)) {}
  void Fill(MutableByteView out) override {
    for (uint8_t& b : out) b = bytes_[pos_++ % bytes_.size()];
  }

 private:
  Bytes bytes_;
  size_t pos_ = 0;
};

TEST(Rfc7634, AppendixBIkev2Example) {
  const Bytes message = HexOrDie(
      "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e20250000000009000000452900002910111213141516176103"
      "94701f8d017f7c129248896b71bfe25236efd7cdc67066906315b2");
  const Bytes sk_e = HexOrDie("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3");
  auto cipher = SkCipher::Create(EncrId::kChaCha20Poly1305, 256, IntegId::kNone, sk_e, {});
  ASSERT_TRUE(cipher.has_value());
  const size_t prefix = 28 + 4;  // IKE header + SK generic payload header
  ByteView aad = ByteView(message).first(prefix);
  ByteView body = ByteView(message).subspan(prefix);
  // Notify: no next payload, length 12, protocol 0, SPI size 0,
  // type 16385 (SET_WINDOW_SIZE), data 10.
  const Bytes notify = HexOrDie("0000000c000040010000000a");
  EXPECT_EQ(cipher->BodySize(notify.size()), body.size());
  FixedRng rng(HexOrDie("1011121314151617"));
  auto sealed = cipher->Protect(aad, notify, rng);
  ASSERT_TRUE(sealed.has_value());
  EXPECT_EQ(ToHex(*sealed), ToHex(body));
  auto inner = cipher->Unprotect(aad, body);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(*inner, notify);
}

}  // namespace
}  // namespace ike::crypto
