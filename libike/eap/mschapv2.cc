#include "libike/eap/mschapv2.h"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <memory>

namespace ike::eap::mschapv2 {

namespace {

// A library context with the default and legacy providers, created once.
OSSL_LIB_CTX* LegacyContext() {
  static OSSL_LIB_CTX* ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    if (!c) return c;
    if (!OSSL_PROVIDER_load(c, "default") || !OSSL_PROVIDER_load(c, "legacy")) {
      OSSL_LIB_CTX_free(c);
      return static_cast<OSSL_LIB_CTX*>(nullptr);
    }
    return c;
  }();
  return ctx;
}

struct MdDeleter {
  void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherDeleter {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

Result<SecretBytes, std::string> Md4(ByteView data) {
  OSSL_LIB_CTX* lib = LegacyContext();
  if (!lib) return MakeUnexpected(std::string("OpenSSL legacy provider unavailable (MD4)"));
  std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(lib, "MD4", nullptr));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  SecretBytes out(16);
  unsigned len = 0;
  if (!md || !ctx || !EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) ||
      !EVP_DigestUpdate(ctx.get(), data.data(), data.size()) ||
      !EVP_DigestFinal_ex(ctx.get(), out.data(), &len) || len != 16) {
    return MakeUnexpected(std::string("MD4 failed"));
  }
  return out;
}

// SHA-1 from the default library context.
class Sha1 {
 public:
  Sha1() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha1(), nullptr);
  }
  Sha1& Add(ByteView d) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), d.data(), d.size());
    return *this;
  }
  Sha1& Add(std::string_view s) {
    return Add(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  SecretBytes Final() {
    SecretBytes out(20);
    unsigned len = 0;
    ok_ = ok_ && EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) && len == 20;
    return out;
  }
  bool ok() const { return ok_; }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx_;
  bool ok_ = false;
};

// 7 key octets -> a DES key with (ignored) parity bits (RFC 2759 8.6).
void DesKey(const uint8_t* in, uint8_t* key) {
  key[0] = in[0];
  key[1] = static_cast<uint8_t>(in[0] << 7 | in[1] >> 1);
  key[2] = static_cast<uint8_t>(in[1] << 6 | in[2] >> 2);
  key[3] = static_cast<uint8_t>(in[2] << 5 | in[3] >> 3);
  key[4] = static_cast<uint8_t>(in[3] << 4 | in[4] >> 4);
  key[5] = static_cast<uint8_t>(in[4] << 3 | in[5] >> 5);
  key[6] = static_cast<uint8_t>(in[5] << 2 | in[6] >> 6);
  key[7] = static_cast<uint8_t>(in[6] << 1);
  for (int i = 0; i < 8; ++i) key[i] &= 0xfe;
}

Result<void, std::string> DesEncrypt(const uint8_t* key7, ByteView clear, uint8_t* out) {
  OSSL_LIB_CTX* lib = LegacyContext();
  if (!lib) return MakeUnexpected(std::string("OpenSSL legacy provider unavailable (DES)"));
  std::unique_ptr<EVP_CIPHER, CipherDeleter> cipher(EVP_CIPHER_fetch(lib, "DES-ECB", nullptr));
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  SecretBytes key(8);
  DesKey(key7, key.data());
  int len = 0;
  if (!cipher || !ctx || !EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) ||
      !EVP_CIPHER_CTX_set_padding(ctx.get(), 0) ||
      !EVP_EncryptUpdate(ctx.get(), out, &len, clear.data(), static_cast<int>(clear.size())) ||
      len != 8) {
    return MakeUnexpected(std::string("DES failed"));
  }
  return {};
}

// UTF-8 -> UTF-16LE; invalid sequences are an error.
Result<SecretBytes, std::string> Utf16Le(std::string_view s) {
  SecretBytes out;
  size_t i = 0;
  auto put = [&](uint32_t u) {
    uint8_t b[2] = {static_cast<uint8_t>(u), static_cast<uint8_t>(u >> 8)};
    out.Append(ByteView(b, 2));
  };
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0;
    size_t n = 0;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      n = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      n = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return MakeUnexpected(std::string("password is not valid UTF-8"));
    }
    if (i + n > s.size()) return MakeUnexpected(std::string("password is not valid UTF-8"));
    for (size_t k = 1; k < n; ++k) {
      uint8_t cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return MakeUnexpected(std::string("password is not valid UTF-8"));
      cp = cp << 6 | (cc & 0x3f);
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xd800 | (cp >> 10));
      put(0xdc00 | (cp & 0x3ff));
    } else {
      put(cp);
    }
  }
  return out;
}

constexpr std::string_view kAuthMagic1 = "Magic server to client signing constant";
constexpr std::string_view kAuthMagic2 = "Pad to make it do more than one iteration";
constexpr std::string_view kKeyMagic1 = "This is the MPPE Master Key";
constexpr std::string_view kKeyMagic2 =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kKeyMagic3 =
    "On the client side, this is the receive key; on the server side, it is the send key.";

}  // namespace

Result<SecretBytes, std::string> NtPasswordHash(std::string_view password) {
  IKE_ASSIGN_OR_RETURN(SecretBytes unicode, Utf16Le(password));
  return Md4(unicode.view());
}

Result<SecretBytes, std::string> HashNtPasswordHash(const SecretBytes& password_hash) {
  return Md4(password_hash.view());
}

std::string_view StripDomain(std::string_view user) {
  size_t slash = user.rfind('\\');
  return slash == std::string_view::npos ? user : user.substr(slash + 1);
}

Bytes ChallengeHash(ByteView peer_challenge, ByteView auth_challenge, std::string_view user) {
  Sha1 h;
  SecretBytes d = h.Add(peer_challenge).Add(auth_challenge).Add(StripDomain(user)).Final();
  return Bytes(d.data(), d.data() + 8);
}

Result<Bytes, std::string> NtResponse(ByteView auth_challenge, ByteView peer_challenge,
                                      std::string_view user, const SecretBytes& password_hash) {
  if (password_hash.size() != 16) return MakeUnexpected(std::string("bad password hash"));
  Bytes challenge = ChallengeHash(peer_challenge, auth_challenge, user);
  SecretBytes z(21);  // ZPasswordHash: the hash padded with zeros
  for (size_t i = 0; i < 16; ++i) z[i] = password_hash[i];
  Bytes out(kNtResponseSize);
  for (size_t k = 0; k < 3; ++k) {
    IKE_TRY(DesEncrypt(z.data() + 7 * k, challenge, out.data() + 8 * k));
  }
  return out;
}

Result<std::string, std::string> AuthenticatorResponse(const SecretBytes& password_hash,
                                                       ByteView nt_response,
                                                       ByteView peer_challenge,
                                                       ByteView auth_challenge,
                                                       std::string_view user) {
  IKE_ASSIGN_OR_RETURN(SecretBytes hash_hash, HashNtPasswordHash(password_hash));
  Sha1 h1;
  SecretBytes digest = h1.Add(hash_hash.view()).Add(nt_response).Add(kAuthMagic1).Final();
  Bytes challenge = ChallengeHash(peer_challenge, auth_challenge, user);
  Sha1 h2;
  SecretBytes final_digest = h2.Add(digest.view()).Add(challenge).Add(kAuthMagic2).Final();
  if (!h1.ok() || !h2.ok()) return MakeUnexpected(std::string("SHA-1 failed"));
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "S=";
  for (size_t i = 0; i < final_digest.size(); ++i) {
    s += kHex[final_digest[i] >> 4];
    s += kHex[final_digest[i] & 0xf];
  }
  return s;
}

Result<SecretBytes, std::string> Msk(const SecretBytes& password_hash, ByteView nt_response) {
  IKE_ASSIGN_OR_RETURN(SecretBytes hash_hash, HashNtPasswordHash(password_hash));
  Sha1 hm;
  SecretBytes master = hm.Add(hash_hash.view()).Add(nt_response).Add(kKeyMagic1).Final();
  master.Resize(16);
  const uint8_t pad1[40] = {};
  uint8_t pad2[40];
  for (auto& b : pad2) b = 0xf2;
  SecretBytes msk;
  for (std::string_view magic : {kKeyMagic2, kKeyMagic3}) {
    Sha1 h;
    SecretBytes key = h.Add(master.view()).Add(ByteView(pad1, 40)).Add(magic)
                          .Add(ByteView(pad2, 40)).Final();
    if (!h.ok()) return MakeUnexpected(std::string("SHA-1 failed"));
    msk.Append(key.view().first(16));
  }
  msk.Resize(64);  // 32 zero octets of padding
  if (!hm.ok()) return MakeUnexpected(std::string("SHA-1 failed"));
  return msk;
}

}  // namespace ike::eap::mschapv2
