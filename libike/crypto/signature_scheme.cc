#include "libike/crypto/signature_scheme.h"

#include <array>

namespace ike::crypto {
namespace {

// OIDs (content bytes only).
const uint8_t kOidRsaPss[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
const uint8_t kOidMgf1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
const uint8_t kOidSha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
const uint8_t kOidSha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
const uint8_t kOidSha512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};

struct FixedEncoding {
  SignatureScheme scheme;
  const char* hex;
};

// RFC 7427 Appendix A / RFC 8420 / RFC 5758 encodings.
const FixedEncoding kFixed[] = {
    {SignatureScheme::kRsaPkcs1Sha1, "300d06092a864886f70d0101050500"},
    {SignatureScheme::kRsaPkcs1Sha256, "300d06092a864886f70d01010b0500"},
    {SignatureScheme::kRsaPkcs1Sha384, "300d06092a864886f70d01010c0500"},
    {SignatureScheme::kRsaPkcs1Sha512, "300d06092a864886f70d01010d0500"},
    {SignatureScheme::kRsaPssSha256,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d0609"
     "6086480165030402010500a203020120"},
    {SignatureScheme::kRsaPssSha384,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d0609"
     "6086480165030402020500a203020130"},
    {SignatureScheme::kRsaPssSha512,
     "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d0609"
     "6086480165030402030500a203020140"},
    {SignatureScheme::kEcdsaSha256, "300a06082a8648ce3d040302"},
    {SignatureScheme::kEcdsaSha384, "300a06082a8648ce3d040303"},
    {SignatureScheme::kEcdsaSha512, "300a06082a8648ce3d040304"},
    {SignatureScheme::kEd25519, "300506032b6570"},
    {SignatureScheme::kEd448, "300506032b6571"},
};

Unexpected<CryptoError> Malformed(const char* what) {
  return CryptoFail(CryptoErrc::kInvalidInput, std::string("AlgorithmIdentifier: ") + what);
}

// A minimal strict DER reader: definite lengths in minimal form, at most
// two length octets (nothing here is longer than 65535 bytes).
class Der {
 public:
  explicit Der(ByteView in) : in_(in) {}
  bool empty() const { return in_.empty(); }

  // Reads one TLV with the given tag; returns its content.
  bool Read(uint8_t tag, ByteView& content) {
    if (in_.size() < 2 || in_[0] != tag) return false;
    size_t len = in_[1];
    size_t header = 2;
    if (len == 0x81) {
      if (in_.size() < 3 || in_[2] < 0x80) return false;  // minimal form
      len = in_[2];
      header = 3;
    } else if (len == 0x82) {
      if (in_.size() < 4 || in_[2] == 0 || (in_[2] << 8 | in_[3]) < 0x100) return false;
      len = static_cast<size_t>(in_[2] << 8 | in_[3]);
      header = 4;
    } else if (len > 0x7f) {
      return false;
    }
    if (in_.size() - header < len) return false;
    content = in_.subspan(header, len);
    in_ = in_.subspan(header + len);
    return true;
  }
  bool PeekTag(uint8_t tag) const { return !in_.empty() && in_[0] == tag; }

 private:
  ByteView in_;
};

bool Equal(ByteView a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// Hash AlgorithmIdentifier: SEQUENCE { OID, NULL or absent }.
std::optional<int> ParseHashAlg(ByteView content) {
  Der d(content);
  ByteView oid, null;
  if (!d.Read(0x06, oid)) return std::nullopt;
  if (!d.empty()) {
    if (!d.Read(0x05, null) || !null.empty() || !d.empty()) return std::nullopt;
  }
  if (Equal(oid, kOidSha256)) return 256;
  if (Equal(oid, kOidSha384)) return 384;
  if (Equal(oid, kOidSha512)) return 512;
  return std::nullopt;
}

CryptoResult<SignatureScheme> ParsePssParams(ByteView params) {
  Der d(params);
  ByteView hash_wrap, mgf_wrap, salt_wrap, trailer_wrap;
  // RFC 4055 defaults (SHA-1, salt 20) are not acceptable for IKE here:
  // every field but the trailer must be present.
  if (!d.Read(0xa0, hash_wrap) || !d.Read(0xa1, mgf_wrap) || !d.Read(0xa2, salt_wrap)) {
    return Malformed("RSASSA-PSS parameters incomplete");
  }
  if (d.PeekTag(0xa3)) {
    d.Read(0xa3, trailer_wrap);
    Der t(trailer_wrap);
    ByteView one;
    if (!t.Read(0x02, one) || !t.empty() || one.size() != 1 || one[0] != 1) return Malformed("bad trailer field");
  }
  if (!d.empty()) return Malformed("trailing data in RSASSA-PSS parameters");
  Der h(hash_wrap);
  ByteView hash_alg;
  if (!h.Read(0x30, hash_alg) || !h.empty()) return Malformed("bad hash algorithm");
  auto hash = ParseHashAlg(hash_alg);
  if (!hash) return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "RSASSA-PSS hash not supported");
  Der m(mgf_wrap);
  ByteView mgf;
  if (!m.Read(0x30, mgf) || !m.empty()) return Malformed("bad mask generation function");
  Der mi(mgf);
  ByteView mgf_oid, mgf_hash;
  if (!mi.Read(0x06, mgf_oid) || !Equal(mgf_oid, kOidMgf1) || !mi.Read(0x30, mgf_hash) || !mi.empty()) {
    return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "RSASSA-PSS mask generation is not MGF1");
  }
  auto mgf_hash_bits = ParseHashAlg(mgf_hash);
  if (!mgf_hash_bits || *mgf_hash_bits != *hash) {
    return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "RSASSA-PSS MGF1 hash differs from the hash");
  }
  Der s(salt_wrap);
  ByteView salt;
  if (!s.Read(0x02, salt) || !s.empty() || salt.size() != 1) return Malformed("bad salt length");
  if (salt[0] != *hash / 8) {
    return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "RSASSA-PSS salt length is not the hash length");
  }
  switch (*hash) {
    case 256: return SignatureScheme::kRsaPssSha256;
    case 384: return SignatureScheme::kRsaPssSha384;
    default: return SignatureScheme::kRsaPssSha512;
  }
}

}  // namespace

const char* SignatureSchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha1: return "sha1WithRSAEncryption";
    case SignatureScheme::kRsaPkcs1Sha256: return "sha256WithRSAEncryption";
    case SignatureScheme::kRsaPkcs1Sha384: return "sha384WithRSAEncryption";
    case SignatureScheme::kRsaPkcs1Sha512: return "sha512WithRSAEncryption";
    case SignatureScheme::kRsaPssSha256: return "rsassa-pss-sha256";
    case SignatureScheme::kRsaPssSha384: return "rsassa-pss-sha384";
    case SignatureScheme::kRsaPssSha512: return "rsassa-pss-sha512";
    case SignatureScheme::kEcdsaSha256: return "ecdsa-with-SHA256";
    case SignatureScheme::kEcdsaSha384: return "ecdsa-with-SHA384";
    case SignatureScheme::kEcdsaSha512: return "ecdsa-with-SHA512";
    case SignatureScheme::kEd25519: return "Ed25519";
    case SignatureScheme::kEd448: return "Ed448";
  }
  return "unknown";
}

HashAlgorithm SchemeHash(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha1: return HashAlgorithm::kSha1;
    case SignatureScheme::kRsaPkcs1Sha256:
    case SignatureScheme::kRsaPssSha256:
    case SignatureScheme::kEcdsaSha256: return HashAlgorithm::kSha2_256;
    case SignatureScheme::kRsaPkcs1Sha384:
    case SignatureScheme::kRsaPssSha384:
    case SignatureScheme::kEcdsaSha384: return HashAlgorithm::kSha2_384;
    case SignatureScheme::kRsaPkcs1Sha512:
    case SignatureScheme::kRsaPssSha512:
    case SignatureScheme::kEcdsaSha512: return HashAlgorithm::kSha2_512;
    case SignatureScheme::kEd25519:
    case SignatureScheme::kEd448: return HashAlgorithm::kIdentity;
  }
  return HashAlgorithm::kIdentity;
}

Bytes EncodeAlgorithmIdentifier(SignatureScheme scheme) {
  for (const FixedEncoding& f : kFixed) {
    if (f.scheme == scheme) return HexOrDie(f.hex);
  }
  std::abort();  // every enumerator has a row
}

CryptoResult<SignatureScheme> ParseAlgorithmIdentifier(ByteView der) {
  Der outer(der);
  ByteView alg;
  if (!outer.Read(0x30, alg) || !outer.empty()) return Malformed("not a single DER SEQUENCE");
  Der inner(alg);
  ByteView oid;
  if (!inner.Read(0x06, oid)) return Malformed("missing algorithm OID");
  if (Equal(oid, kOidRsaPss)) {
    ByteView params;
    if (!inner.Read(0x30, params) || !inner.empty()) return Malformed("RSASSA-PSS without parameters");
    return ParsePssParams(params);
  }
  for (const FixedEncoding& f : kFixed) {
    Bytes enc = HexOrDie(f.hex);
    if (Equal(enc, der)) return f.scheme;
  }
  return CryptoFail(CryptoErrc::kUnsupportedAlgorithm, "unknown or non-canonical signature AlgorithmIdentifier");
}

Bytes EncodeDigitalSignatureAuth(SignatureScheme scheme, ByteView signature) {
  Bytes alg = EncodeAlgorithmIdentifier(scheme);
  Bytes out;
  out.reserve(1 + alg.size() + signature.size());
  out.push_back(static_cast<uint8_t>(alg.size()));
  out.insert(out.end(), alg.begin(), alg.end());
  out.insert(out.end(), signature.begin(), signature.end());
  return out;
}

CryptoResult<DigitalSignatureAuth> ParseDigitalSignatureAuth(ByteView auth_data) {
  if (auth_data.empty()) return Malformed("empty AUTH data");
  const size_t alg_len = auth_data[0];
  if (alg_len == 0 || auth_data.size() - 1 < alg_len) return Malformed("AlgorithmIdentifier length exceeds AUTH data");
  IKE_ASSIGN_OR_RETURN(SignatureScheme scheme, ParseAlgorithmIdentifier(auth_data.subspan(1, alg_len)));
  ByteView signature = auth_data.subspan(1 + alg_len);
  if (signature.empty()) return CryptoFail(CryptoErrc::kInvalidInput, "empty signature");
  return DigitalSignatureAuth{scheme, signature};
}

std::optional<SignatureScheme> ClassicAuthScheme(AuthMethod method) {
  switch (method) {
    case AuthMethod::kRsaSig: return SignatureScheme::kRsaPkcs1Sha1;
    case AuthMethod::kEcdsaSha256P256: return SignatureScheme::kEcdsaSha256;
    case AuthMethod::kEcdsaSha384P384: return SignatureScheme::kEcdsaSha384;
    case AuthMethod::kEcdsaSha512P521: return SignatureScheme::kEcdsaSha512;
    default: return std::nullopt;
  }
}

}  // namespace ike::crypto
