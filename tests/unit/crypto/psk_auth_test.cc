// PSK AUTH (RFC 7296 2.15), checked against HMAC computed directly with
// OpenSSL (EVP_Q_mac), an independent route from Prf.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "libike/crypto/psk_auth.h"

namespace ike::crypto {
namespace {

Bytes DirectHmac(const char* digest, ByteView key, ByteView data) {
  uint8_t out[64];
  size_t out_len = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(), data.data(), data.size(),
                      out, sizeof(out), &out_len),
            nullptr);
  return Bytes(out, out + out_len);
}

Bytes Concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(PskAuth, MatchesDirectHmacComputation) {
  const Bytes real_message = HexOrDie(
      "0011223344556677000000000000000021202208000000000000001c00000000");  // an IKE header
  const Bytes nonce_r(32, 0x5a);
  const Bytes sk_pi(32, 0x17);
  const Bytes rest_of_id = HexOrDie("02000000");  // ID Type FQDN | RESERVED
  Bytes rest = rest_of_id;
  const Bytes fqdn = Bytes{'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
  rest.insert(rest.end(), fqdn.begin(), fqdn.end());
  const Bytes psk = Bytes{'s', 'h', 'a', 'r', 'e', 'd', ' ', 's', 'e', 'c', 'r', 'e', 't'};

  auto prf = Prf::Create(PrfId::kHmacSha2_256);
  auto octets = BuildSignedOctets(*prf, real_message, nonce_r, sk_pi, rest);
  ASSERT_TRUE(octets.has_value());
  Bytes expected_octets = Concat({real_message, nonce_r, DirectHmac("SHA256", sk_pi, rest)});
  EXPECT_EQ(*octets, expected_octets);

  auto auth = ComputePskAuth(*prf, psk, *octets);
  ASSERT_TRUE(auth.has_value());
  Bytes pad_key = DirectHmac("SHA256", psk, AsBytes("Key Pad for IKEv2"));
  Bytes expected = DirectHmac("SHA256", pad_key, expected_octets);
  EXPECT_EQ(*auth, expected);
  EXPECT_EQ(auth->size(), 32u);

  EXPECT_TRUE(VerifyPskAuth(*prf, psk, *octets, *auth).has_value());
  Bytes bad = *auth;
  bad[0] ^= 1;
  EXPECT_EQ(VerifyPskAuth(*prf, psk, *octets, bad).error().code, CryptoErrc::kIntegrityCheckFailed);
  EXPECT_EQ(VerifyPskAuth(*prf, psk, *octets, ByteView(*auth).first(31)).error().code,
            CryptoErrc::kIntegrityCheckFailed);
  EXPECT_EQ(VerifyPskAuth(*prf, AsBytes("other secret"), *octets, *auth).error().code,
            CryptoErrc::kIntegrityCheckFailed);
}

TEST(PskAuth, Sha1AndSha512) {
  const Bytes octets = HexOrDie("00010203040506070809");
  const Bytes psk = HexOrDie("7365637265");
  for (auto [id, digest] : {std::pair{PrfId::kHmacSha1, "SHA1"}, std::pair{PrfId::kHmacSha2_512, "SHA512"}}) {
    auto prf = Prf::Create(id);
    Bytes expected = DirectHmac(digest, DirectHmac(digest, psk, AsBytes("Key Pad for IKEv2")), octets);
    EXPECT_EQ(*ComputePskAuth(*prf, psk, octets), expected) << digest;
  }
}

}  // namespace
}  // namespace ike::crypto
