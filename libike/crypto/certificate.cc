#include "libike/crypto/certificate.h"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <strings.h>

#include <array>
#include <string_view>
#include <vector>

namespace ike::crypto {
namespace {

// Names (any alias of an algorithm matches) kept per operation.
constexpr std::array<std::string_view, 5> kKeyTypes = {"EC", "RSA", "RSA-PSS", "ED25519", "ED448"};
constexpr std::array<std::string_view, 7> kDigests = {"SHA1",     "SHA2-224",     "SHA2-256",
                                                      "SHA2-384", "SHA2-512",     "SHA2-512/224",
                                                      "SHA2-512/256"};
constexpr std::array<std::string_view, 4> kSignatures = {"ECDSA", "RSA", "ED25519", "ED448"};

// Algorithm names are ASCII and compared without case, as OpenSSL does.
bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// `names` is OpenSSL's colon-separated alias list.
template <size_t N>
bool NamedAny(const char* names, const std::array<std::string_view, N>& wanted) {
  std::string_view rest(names ? names : "");
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view one = rest.substr(0, colon);
    for (std::string_view w : wanted) {
      if (SameName(one, w)) return true;
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return false;
}

bool SpkiDerDecoder(const OSSL_ALGORITHM& a) {
  std::string_view props(a.property_definition ? a.property_definition : "");
  return NamedAny(a.algorithm_names, kKeyTypes) && props.find("input=der") != std::string_view::npos &&
         props.find("structure=SubjectPublicKeyInfo") != std::string_view::npos;
}

// The re-exporting provider. Its tables point at the default provider's
// implementations, and its provider context is the default provider's, so
// every call lands where an ordinary fetch would have landed.
struct Forwarder {
  OSSL_PROVIDER* source = nullptr;  // the default provider, in the default context
  std::array<std::vector<OSSL_ALGORITHM>, OSSL_OP__HIGHEST + 1> tables;
  OSSL_LIB_CTX* libctx = nullptr;  // the private context, never freed
  OSSL_PROVIDER* provider = nullptr;

  template <typename Keep>
  bool Take(int op, Keep keep) {
    int no_cache = 0;
    const OSSL_ALGORITHM* all = OSSL_PROVIDER_query_operation(source, op, &no_cache);
    std::vector<OSSL_ALGORITHM>& t = tables.at(static_cast<size_t>(op));
    for (const OSSL_ALGORITHM* a = all; a != nullptr && a->algorithm_names != nullptr; ++a) {
      if (keep(*a)) t.push_back(*a);
    }
    if (all != nullptr) OSSL_PROVIDER_unquery_operation(source, op, all);
    bool any = !t.empty();
    t.push_back(OSSL_ALGORITHM{nullptr, nullptr, nullptr, nullptr});
    return any;
  }
};

Forwarder* g_forwarder = nullptr;

const OSSL_ALGORITHM* ForwardQuery(void*, int op, int* no_cache) {
  *no_cache = 0;
  if (g_forwarder == nullptr || op < 0 || op > OSSL_OP__HIGHEST) return nullptr;
  const std::vector<OSSL_ALGORITHM>& t = g_forwarder->tables.at(static_cast<size_t>(op));
  return t.empty() ? nullptr : t.data();
}

const OSSL_DISPATCH kForwardDispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<void (*)(void)>(ForwardQuery)},
    {0, nullptr},
};

int ForwardInit(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out,
                void** provctx) {
  if (g_forwarder == nullptr) return 0;
  *out = kForwardDispatch;
  *provctx = OSSL_PROVIDER_get0_provider_ctx(g_forwarder->source);
  return 1;
}

// Built once; kept for the life of the process (keys parsed in it may
// outlive any owner that could free it).
// Not used when the process runs in FIPS mode or has no default provider:
// the short search must not bring in code the configuration left out.
Forwarder* Build() {
  if (EVP_default_properties_is_fips_enabled(nullptr) == 1 ||
      OSSL_PROVIDER_available(nullptr, "default") != 1) {
    return nullptr;
  }
  auto f = std::make_unique<Forwarder>();
  f->source = OSSL_PROVIDER_load(nullptr, "default");  // a reference to the loaded one
  if (f->source == nullptr) return nullptr;
  bool ok = f->Take(OSSL_OP_KEYMGMT, [](const OSSL_ALGORITHM& a) { return NamedAny(a.algorithm_names, kKeyTypes); }) &&
            f->Take(OSSL_OP_DECODER, SpkiDerDecoder) &&
            f->Take(OSSL_OP_DIGEST, [](const OSSL_ALGORITHM& a) { return NamedAny(a.algorithm_names, kDigests); }) &&
            f->Take(OSSL_OP_SIGNATURE,
                    [](const OSSL_ALGORITHM& a) { return NamedAny(a.algorithm_names, kSignatures); });
  if (!ok) return nullptr;  // the source provider stays loaded; harmless
  f->libctx = OSSL_LIB_CTX_new();
  if (f->libctx == nullptr) return nullptr;
  g_forwarder = f.get();
  if (OSSL_PROVIDER_add_builtin(f->libctx, "ike-certificate-keys", ForwardInit) != 1 ||
      (f->provider = OSSL_PROVIDER_load(f->libctx, "ike-certificate-keys")) == nullptr) {
    g_forwarder = nullptr;
    OSSL_LIB_CTX_free(f->libctx);
    return nullptr;
  }
  return f.release();
}

OSSL_LIB_CTX* QuickContext() {
  static OSSL_LIB_CTX* ctx = [] {
    Forwarder* f = Build();
    ERR_clear_error();
    return f ? f->libctx : nullptr;
  }();
  return ctx;
}

X509Ptr ParseIn(OSSL_LIB_CTX* ctx, ByteView der) {
  const unsigned char* p = der.data();
  X509* x = nullptr;
  if (ctx == nullptr) {
    x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  } else {
    x = reinterpret_cast<X509*>(
        ASN1_item_d2i_ex(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(X509), ctx, nullptr));
  }
  X509Ptr cert(x);
  if (cert && p != der.data() + der.size()) cert.reset();
  return cert;
}

}  // namespace

bool QuickCertificateParsing() { return QuickContext() != nullptr; }

X509Ptr ParseCertificate(ByteView der) {
  if (der.empty() || der.size() > (1u << 20)) return nullptr;
  if (OSSL_LIB_CTX* ctx = QuickContext()) {
    X509Ptr cert = ParseIn(ctx, der);
    // A key type outside the short list leaves the key undecoded (or the
    // whole parse failed): the ordinary parse decides.
    if (cert && X509_get0_pubkey(cert.get()) != nullptr) return cert;
    ERR_clear_error();
  }
  X509Ptr cert = ParseIn(nullptr, der);
  if (!cert) ERR_clear_error();
  return cert;
}

}  // namespace ike::crypto
