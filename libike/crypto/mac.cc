#include "libike/crypto/mac.h"

#include <openssl/crypto.h>

#include <array>
#include <string_view>
#include <unordered_map>

#include "libike/crypto/evp_util.h"

namespace ike::crypto::internal {
namespace {

EVP_MAC* FetchMac(const char* name) {
  // Fetched once per process and kept: EVP_MAC objects are immutable and
  // shareable between threads.
  if (std::string_view(name) == "HMAC") {
    static EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return hmac;
  }
  static EVP_MAC* cmac = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  return cmac;
}

const char* DigestName(MacAlg alg) {
  switch (alg) {
    case MacAlg::kHmacSha1: return "SHA1";
    case MacAlg::kHmacSha256: return "SHA256";
    case MacAlg::kHmacSha384: return "SHA384";
    case MacAlg::kHmacSha512: return "SHA512";
    default: return nullptr;
  }
}

// HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
const uint8_t kEmpty = 0;

// An HMAC context with its digest already fetched and set (keyed with the
// empty key, nothing secret), one per digest and thread. Each computation
// duplicates it and sets its own key, so the digest is not looked up by
// name (provider store locks, strcmp) for every PRF call, and no key stays
// behind in a cached context. nullptr if it cannot be made.
EVP_MAC_CTX* HmacTemplate(const char* digest) {
  thread_local std::unordered_map<std::string_view, EvpMacCtxPtr> templates;
  auto it = templates.find(digest);
  if (it != templates.end()) return it->second.get();
  EVP_MAC* mac = FetchMac("HMAC");
  EvpMacCtxPtr ctx(mac ? EVP_MAC_CTX_new(mac) : nullptr);
  OSSL_PARAM params[2] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), &kEmpty, 0, params) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return templates.emplace(digest, std::move(ctx)).first->second.get();
}

CryptoResult<SecretBytes> EvpMac(const char* mac_name, const char* param_name, const char* value,
                                 size_t out_size, ByteView key, std::span<const ByteView> parts) {
  const uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  EvpMacCtxPtr ctx;
  if (EVP_MAC_CTX* tmpl = std::string_view(mac_name) == "HMAC" ? HmacTemplate(value) : nullptr) {
    ctx.reset(EVP_MAC_CTX_dup(tmpl));
    if (!ctx) return OpenSslFail("EVP_MAC_CTX_dup");
    if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), nullptr) != 1) return OpenSslFail("EVP_MAC_init");
  } else {
    EVP_MAC* mac = FetchMac(mac_name);
    if (mac == nullptr) return OpenSslFail("EVP_MAC_fetch");
    ctx.reset(EVP_MAC_CTX_new(mac));
    if (!ctx) return OpenSslFail("EVP_MAC_CTX_new");
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string(param_name, const_cast<char*>(value), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1) return OpenSslFail("EVP_MAC_init");
  }
  for (ByteView part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx.get(), part.data(), part.size()) != 1) {
      return OpenSslFail("EVP_MAC_update");
    }
  }
  SecretBytes out(out_size);
  size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1 || out_len != out_size) {
    return OpenSslFail("EVP_MAC_final");
  }
  return out;
}

// AES-XCBC-MAC (RFC 3566) over AES-128-ECB, full 128-bit output.
CryptoResult<SecretBytes> AesXcbc(ByteView key, std::span<const ByteView> parts) {
  if (key.size() != 16) return CryptoFail(CryptoErrc::kInvalidKeyLength, "AES-XCBC needs a 16-byte key");
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenSslFail("EVP_CIPHER_CTX_new");
  auto encrypt_block = [&](const uint8_t* k, const uint8_t* in, uint8_t* out) -> bool {
    int len = 0;
    return EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, k, nullptr) == 1 &&
           EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
           EVP_EncryptUpdate(ctx.get(), out, &len, in, 16) == 1 && len == 16;
  };
  // K1 = E(K, 0x01..), K2 = E(K, 0x02..), K3 = E(K, 0x03..)
  SecretBytes k123(48);
  for (int i = 0; i < 3; ++i) {
    std::array<uint8_t, 16> constant;
    constant.fill(static_cast<uint8_t>(i + 1));
    if (!encrypt_block(key.data(), constant.data(), k123.data() + 16 * i)) {
      return OpenSslFail("AES-XCBC subkeys");
    }
  }
  const uint8_t* k1 = k123.data();
  const uint8_t* k2 = k123.data() + 16;
  const uint8_t* k3 = k123.data() + 32;
  // Key K1 once for the CBC chain.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, k1, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1) {
    return OpenSslFail("AES-XCBC init");
  }
  size_t total = 0;
  for (ByteView p : parts) total += p.size();
  // Number of full blocks processed before the last one (the last block,
  // complete or not, is never empty unless the whole message is).
  size_t last_len = total == 0 ? 0 : ((total - 1) % 16) + 1;
  size_t before_last = total - last_len;
  SecretBytes e(16);      // E[i-1]
  SecretBytes block(16);  // M[i] being assembled
  size_t fill = 0;
  size_t consumed = 0;
  auto absorb = [&]() -> bool {
    for (size_t j = 0; j < 16; ++j) block[j] ^= e[j];
    int len = 0;
    if (EVP_EncryptUpdate(ctx.get(), e.data(), &len, block.data(), 16) != 1 || len != 16) return false;
    fill = 0;
    return true;
  };
  for (ByteView p : parts) {
    for (uint8_t b : p) {
      block[fill++] = b;
      ++consumed;
      // The last block (bytes after before_last) is finished below.
      if (consumed <= before_last && fill == 16 && !absorb()) return OpenSslFail("AES-XCBC block");
    }
  }
  const uint8_t* final_key;
  if (last_len == 16) {
    final_key = k2;
  } else {
    block[fill] = 0x80;
    for (size_t j = fill + 1; j < 16; ++j) block[j] = 0;
    final_key = k3;
  }
  for (size_t j = 0; j < 16; ++j) block[j] ^= final_key[j];
  if (!absorb()) return OpenSslFail("AES-XCBC final block");
  return e;
}

}  // namespace

size_t MacOutputSize(MacAlg alg) {
  switch (alg) {
    case MacAlg::kHmacSha1: return 20;
    case MacAlg::kHmacSha256: return 32;
    case MacAlg::kHmacSha384: return 48;
    case MacAlg::kHmacSha512: return 64;
    case MacAlg::kAesXcbc:
    case MacAlg::kAesCmac: return 16;
  }
  return 0;
}

CryptoResult<SecretBytes> MacCompute(MacAlg alg, ByteView key, std::span<const ByteView> parts) {
  switch (alg) {
    case MacAlg::kHmacSha1:
    case MacAlg::kHmacSha256:
    case MacAlg::kHmacSha384:
    case MacAlg::kHmacSha512:
      return EvpMac("HMAC", OSSL_MAC_PARAM_DIGEST, DigestName(alg), MacOutputSize(alg), key, parts);
    case MacAlg::kAesCmac:
      if (key.size() != 16) return CryptoFail(CryptoErrc::kInvalidKeyLength, "AES-CMAC needs a 16-byte key");
      return EvpMac("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 16, key, parts);
    case MacAlg::kAesXcbc:
      return AesXcbc(key, parts);
  }
  return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "unknown MAC");
}

}  // namespace ike::crypto::internal
