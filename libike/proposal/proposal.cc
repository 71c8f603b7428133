#include "libike/proposal/proposal.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace ike {
namespace {

struct EncrKeywordEntry {
  std::string_view name;
  EncrId id;
  uint16_t bits;
};

// Keywords as strongSwan accepts them (proposal_keywords_static.txt), for the
// algorithms the project knows. Aliases print as their first spelling.
constexpr EncrKeywordEntry kEncrKeywords[] = {
    {"aes128", EncrId::kAesCbc, 128},
    {"aes192", EncrId::kAesCbc, 192},
    {"aes256", EncrId::kAesCbc, 256},
    {"aes", EncrId::kAesCbc, 128},
    {"aes128ctr", EncrId::kAesCtr, 128},
    {"aes192ctr", EncrId::kAesCtr, 192},
    {"aes256ctr", EncrId::kAesCtr, 256},
    {"aes128ccm8", EncrId::kAesCcm8, 128},
    {"aes192ccm8", EncrId::kAesCcm8, 192},
    {"aes256ccm8", EncrId::kAesCcm8, 256},
    {"aes128ccm64", EncrId::kAesCcm8, 128},
    {"aes192ccm64", EncrId::kAesCcm8, 192},
    {"aes256ccm64", EncrId::kAesCcm8, 256},
    {"aes128ccm12", EncrId::kAesCcm12, 128},
    {"aes192ccm12", EncrId::kAesCcm12, 192},
    {"aes256ccm12", EncrId::kAesCcm12, 256},
    {"aes128ccm96", EncrId::kAesCcm12, 128},
    {"aes192ccm96", EncrId::kAesCcm12, 192},
    {"aes256ccm96", EncrId::kAesCcm12, 256},
    {"aes128ccm16", EncrId::kAesCcm16, 128},
    {"aes192ccm16", EncrId::kAesCcm16, 192},
    {"aes256ccm16", EncrId::kAesCcm16, 256},
    {"aes128ccm128", EncrId::kAesCcm16, 128},
    {"aes192ccm128", EncrId::kAesCcm16, 192},
    {"aes256ccm128", EncrId::kAesCcm16, 256},
    {"aes128gcm8", EncrId::kAesGcm8, 128},
    {"aes192gcm8", EncrId::kAesGcm8, 192},
    {"aes256gcm8", EncrId::kAesGcm8, 256},
    {"aes128gcm64", EncrId::kAesGcm8, 128},
    {"aes192gcm64", EncrId::kAesGcm8, 192},
    {"aes256gcm64", EncrId::kAesGcm8, 256},
    {"aes128gcm12", EncrId::kAesGcm12, 128},
    {"aes192gcm12", EncrId::kAesGcm12, 192},
    {"aes256gcm12", EncrId::kAesGcm12, 256},
    {"aes128gcm96", EncrId::kAesGcm12, 128},
    {"aes192gcm96", EncrId::kAesGcm12, 192},
    {"aes256gcm96", EncrId::kAesGcm12, 256},
    {"aes128gcm16", EncrId::kAesGcm16, 128},
    {"aes192gcm16", EncrId::kAesGcm16, 192},
    {"aes256gcm16", EncrId::kAesGcm16, 256},
    {"aes128gcm128", EncrId::kAesGcm16, 128},
    {"aes192gcm128", EncrId::kAesGcm16, 192},
    {"aes256gcm128", EncrId::kAesGcm16, 256},
    {"aes128gcm", EncrId::kAesGcm16, 128},
    {"aes192gcm", EncrId::kAesGcm16, 192},
    {"aes256gcm", EncrId::kAesGcm16, 256},
    {"chacha20poly1305", EncrId::kChaCha20Poly1305, 0},
    {"camellia128", EncrId::kCamelliaCbc, 128},
    {"camellia192", EncrId::kCamelliaCbc, 192},
    {"camellia256", EncrId::kCamelliaCbc, 256},
    {"camellia", EncrId::kCamelliaCbc, 128},
    {"3des", EncrId::k3Des, 0},
    {"des", EncrId::kDes, 0},
    {"null", EncrId::kNull, 0},
};

// ENCR_NULL_AUTH_AES_GMAC in ESP; the same words are integrity keywords in AH.
constexpr EncrKeywordEntry kGmacKeywords[] = {
    {"aes128gmac", EncrId::kNullAuthAesGmac, 128},
    {"aes192gmac", EncrId::kNullAuthAesGmac, 192},
    {"aes256gmac", EncrId::kNullAuthAesGmac, 256},
};

struct IntegKeywordEntry {
  std::string_view name;
  IntegId id;
};
constexpr IntegKeywordEntry kIntegKeywords[] = {
    {"sha256", IntegId::kHmacSha2_256_128}, {"sha2_256", IntegId::kHmacSha2_256_128},
    {"sha384", IntegId::kHmacSha2_384_192}, {"sha2_384", IntegId::kHmacSha2_384_192},
    {"sha512", IntegId::kHmacSha2_512_256}, {"sha2_512", IntegId::kHmacSha2_512_256},
    {"sha1", IntegId::kHmacSha1_96},        {"sha", IntegId::kHmacSha1_96},
    {"sha1_160", IntegId::kHmacSha1_160},   {"md5", IntegId::kHmacMd5_96},
    {"aesxcbc", IntegId::kAesXcbc96},       {"aescmac", IntegId::kAesCmac96},
};
constexpr IntegKeywordEntry kAhGmacKeywords[] = {
    {"aes128gmac", IntegId::kAes128Gmac},
    {"aes192gmac", IntegId::kAes192Gmac},
    {"aes256gmac", IntegId::kAes256Gmac},
};

struct PrfKeywordEntry {
  std::string_view name;
  PrfId id;
};
constexpr PrfKeywordEntry kPrfKeywords[] = {
    {"prfsha256", PrfId::kHmacSha2_256}, {"prfsha384", PrfId::kHmacSha2_384},
    {"prfsha512", PrfId::kHmacSha2_512}, {"prfsha1", PrfId::kHmacSha1},
    {"prfmd5", PrfId::kHmacMd5},         {"prfaesxcbc", PrfId::kAes128Xcbc},
    {"prfaescmac", PrfId::kAes128Cmac},
};

struct KeKeywordEntry {
  std::string_view name;
  KeGroup group;
};
constexpr KeKeywordEntry kKeKeywords[] = {
    {"modp2048", KeGroup::kModp2048},       {"modp3072", KeGroup::kModp3072},
    {"modp4096", KeGroup::kModp4096},       {"modp6144", KeGroup::kModp6144},
    {"modp8192", KeGroup::kModp8192},       {"modp1536", KeGroup::kModp1536},
    {"modp1024", KeGroup::kModp1024},       {"modp768", KeGroup::kModp768},
    {"modp1024s160", KeGroup::kModp1024s160}, {"modp2048s224", KeGroup::kModp2048s224},
    {"modp2048s256", KeGroup::kModp2048s256}, {"ecp256", KeGroup::kEcp256},
    {"ecp384", KeGroup::kEcp384},           {"ecp521", KeGroup::kEcp521},
    {"ecp192", KeGroup::kEcp192},           {"ecp224", KeGroup::kEcp224},
    {"ecp224bp", KeGroup::kEcp224Bp},       {"ecp256bp", KeGroup::kEcp256Bp},
    {"ecp384bp", KeGroup::kEcp384Bp},       {"ecp512bp", KeGroup::kEcp512Bp},
    {"x25519", KeGroup::kCurve25519},       {"curve25519", KeGroup::kCurve25519},
    {"x448", KeGroup::kCurve448},           {"curve448", KeGroup::kCurve448},
    {"mlkem512", KeGroup::kMlKem512},       {"mlkem768", KeGroup::kMlKem768},
    {"mlkem1024", KeGroup::kMlKem1024},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view KindName(ProposalKind kind) {
  switch (kind) {
    case ProposalKind::kIke: return "IKE";
    case ProposalKind::kEsp: return "ESP";
    case ProposalKind::kAh: return "AH";
  }
  return "?";
}

bool IsAeadEncr(EncrId id) {
  switch (id) {
    case EncrId::kAesCcm8:
    case EncrId::kAesCcm12:
    case EncrId::kAesCcm16:
    case EncrId::kAesGcm8:
    case EncrId::kAesGcm12:
    case EncrId::kAesGcm16:
    case EncrId::kChaCha20Poly1305:
    case EncrId::kNullAuthAesGmac:
      return true;
    default:
      return false;
  }
}

std::optional<PrfId> PrfForInteg(IntegId id) {
  switch (id) {
    case IntegId::kHmacMd5_96: return PrfId::kHmacMd5;
    case IntegId::kHmacSha1_96:
    case IntegId::kHmacSha1_160: return PrfId::kHmacSha1;
    case IntegId::kAesXcbc96: return PrfId::kAes128Xcbc;
    case IntegId::kAesCmac96: return PrfId::kAes128Cmac;
    case IntegId::kHmacSha2_256_128: return PrfId::kHmacSha2_256;
    case IntegId::kHmacSha2_384_192: return PrfId::kHmacSha2_384;
    case IntegId::kHmacSha2_512_256: return PrfId::kHmacSha2_512;
    default: return std::nullopt;
  }
}

template <typename T>
void AddUnique(std::vector<T>& v, T value) {
  if (std::find(v.begin(), v.end(), value) == v.end()) v.push_back(value);
}

std::optional<KeGroup> LookupKe(std::string_view word) {
  for (const auto& k : kKeKeywords) {
    if (k.name == word) return k.group;
  }
  return std::nullopt;
}

ProposalError Error(std::string keyword, std::string message) {
  return ProposalError{std::move(keyword), std::move(message)};
}

}  // namespace

bool Proposal::IsAead() const {
  if (encr.empty()) return false;
  return std::all_of(encr.begin(), encr.end(),
                     [](const EncrTransform& e) { return IsAeadEncr(e.id); });
}

Result<Proposal, ProposalError> ParseProposal(std::string_view text, ProposalKind kind) {
  Proposal p;
  p.kind = kind;
  std::string_view rest = Trim(text);
  if (rest.empty()) return MakeUnexpected(Error("", "empty proposal"));
  const std::string kind_name(KindName(kind));
  while (true) {
    size_t dash = rest.find('-');
    std::string_view raw = rest.substr(0, dash);
    std::string word = Lower(Trim(raw));
    if (word.empty()) {
      return MakeUnexpected(Error(std::string(text), "empty algorithm keyword in '" +
                                                         std::string(Trim(text)) + "'"));
    }
    bool matched = false;
    if (kind != ProposalKind::kAh) {
      for (const auto& e : kEncrKeywords) {
        if (e.name == word) {
          AddUnique(p.encr, EncrTransform{e.id, e.bits});
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      for (const auto& e : kGmacKeywords) {
        if (e.name != word) continue;
        if (kind == ProposalKind::kEsp) {
          AddUnique(p.encr, EncrTransform{e.id, e.bits});
        } else if (kind == ProposalKind::kAh) {
          for (const auto& a : kAhGmacKeywords) {
            if (a.name == word) AddUnique(p.integ, a.id);
          }
        } else {
          return MakeUnexpected(Error(word, "'" + word + "' is not valid in IKE proposals"));
        }
        matched = true;
        break;
      }
    }
    if (!matched) {
      for (const auto& e : kIntegKeywords) {
        if (e.name == word) {
          AddUnique(p.integ, e.id);
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      for (const auto& e : kPrfKeywords) {
        if (e.name == word) {
          if (kind != ProposalKind::kIke) {
            return MakeUnexpected(
                Error(word, "'" + word + "' is not valid in " + kind_name + " proposals"));
          }
          AddUnique(p.prf, e.id);
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      if (auto g = LookupKe(word)) {
        AddUnique(p.ke, *g);
        matched = true;
      }
    }
    if (!matched && word.size() > 4 && word[0] == 'k' && word[1] == 'e' && word[2] >= '1' &&
        word[2] <= '7' && word[3] == '_') {
      size_t slot = static_cast<size_t>(word[2] - '1');
      std::string_view group_word = std::string_view(word).substr(4);
      if (group_word == "none") {
        AddUnique(p.additional_ke[slot], KeGroup::kNone);
      } else if (auto g = LookupKe(group_word)) {
        AddUnique(p.additional_ke[slot], *g);
      } else {
        return MakeUnexpected(Error(word, "unknown key exchange method '" +
                                              std::string(group_word) + "' in '" + word + "'"));
      }
      matched = true;
    }
    if (!matched && (word == "esn" || word == "noesn")) {
      if (kind == ProposalKind::kIke) {
        return MakeUnexpected(Error(word, "'" + word + "' is not valid in IKE proposals"));
      }
      AddUnique(p.esn, word == "esn" ? EsnId::kEsn : EsnId::kNoEsn);
      matched = true;
    }
    if (!matched) {
      if (kind == ProposalKind::kAh) {
        for (const auto& e : kEncrKeywords) {
          if (e.name == word) {
            return MakeUnexpected(Error(word, "encryption algorithm '" + word +
                                                  "' is not valid in AH proposals"));
          }
        }
      }
      if (word == "default") {
        return MakeUnexpected(
            Error(word, "'default' must be a proposal of its own, not part of '" +
                            std::string(Trim(text)) + "'"));
      }
      if (!word.empty() && word.back() == '!') {
        return MakeUnexpected(Error(word, "the trailing '!' of '" + word +
                                              "' is ipsec.conf syntax, not swanctl.conf"));
      }
      return MakeUnexpected(Error(word, "unknown algorithm keyword '" + word + "'"));
    }
    if (dash == std::string_view::npos) break;
    rest = rest.substr(dash + 1);
  }

  const std::string whole(Trim(text));
  bool any_aead = std::any_of(p.encr.begin(), p.encr.end(),
                              [](const EncrTransform& e) { return IsAeadEncr(e.id); });
  if (any_aead && !p.IsAead()) {
    return MakeUnexpected(
        Error(whole, "proposal '" + whole + "' mixes AEAD and non-AEAD encryption algorithms"));
  }
  switch (kind) {
    case ProposalKind::kIke: {
      if (p.encr.empty()) {
        return MakeUnexpected(
            Error(whole, "IKE proposal '" + whole + "' has no encryption algorithm"));
      }
      if (p.prf.empty()) {
        for (IntegId i : p.integ) {
          if (auto prf = PrfForInteg(i)) AddUnique(p.prf, *prf);
        }
      }
      if (p.IsAead()) {
        p.integ.clear();  // with AEAD, integrity keywords only name the PRF
      } else if (p.integ.empty()) {
        return MakeUnexpected(
            Error(whole, "IKE proposal '" + whole + "' has no integrity algorithm"));
      }
      if (p.prf.empty()) {
        return MakeUnexpected(Error(whole, "IKE proposal '" + whole + "' has no PRF"));
      }
      if (p.ke.empty()) {
        return MakeUnexpected(
            Error(whole, "IKE proposal '" + whole + "' has no key exchange method"));
      }
      break;
    }
    case ProposalKind::kEsp: {
      if (p.encr.empty()) {
        return MakeUnexpected(
            Error(whole, "ESP proposal '" + whole + "' has no encryption algorithm"));
      }
      // As strongSwan does: integrity keywords next to an AEAD are dropped.
      if (p.IsAead()) p.integ.clear();
      if (!p.IsAead() && p.integ.empty()) {
        return MakeUnexpected(
            Error(whole, "ESP proposal '" + whole + "' has no integrity algorithm"));
      }
      if (p.esn.empty()) p.esn.push_back(EsnId::kNoEsn);
      break;
    }
    case ProposalKind::kAh: {
      if (p.integ.empty()) {
        return MakeUnexpected(
            Error(whole, "AH proposal '" + whole + "' has no integrity algorithm"));
      }
      if (p.esn.empty()) p.esn.push_back(EsnId::kNoEsn);
      break;
    }
  }
  bool have_addke = false;
  for (const auto& slot : p.additional_ke) have_addke |= !slot.empty();
  if (have_addke && p.ke.empty()) {
    return MakeUnexpected(Error(whole, "proposal '" + whole +
                                           "' has additional key exchanges but no initial one"));
  }
  return p;
}

Result<std::vector<Proposal>, ProposalError> ParseProposals(std::string_view list,
                                                            ProposalKind kind) {
  std::vector<Proposal> out;
  size_t start = 0;
  bool saw_any = false;
  while (start <= list.size()) {
    size_t end = list.find_first_of(", \t\n", start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = Trim(list.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      if (end == list.size()) break;
      continue;
    }
    saw_any = true;
    if (Lower(item) == "default") {
      for (auto& p : DefaultProposals(kind)) out.push_back(std::move(p));
    } else {
      IKE_ASSIGN_OR_RETURN(Proposal p, ParseProposal(item, kind));
      out.push_back(std::move(p));
    }
    if (end == list.size()) break;
  }
  if (!saw_any) return MakeUnexpected(Error("", "empty proposal list"));
  return out;
}

std::vector<Proposal> DefaultProposals(ProposalKind kind) {
  std::vector<Proposal> out;
  const std::vector<KeGroup> ke = {KeGroup::kEcp256,     KeGroup::kEcp384,  KeGroup::kEcp521,
                                   KeGroup::kCurve25519, KeGroup::kCurve448, KeGroup::kModp3072,
                                   KeGroup::kModp4096,   KeGroup::kModp6144, KeGroup::kModp8192,
                                   KeGroup::kModp2048};
  const std::vector<EncrTransform> aead = {{EncrId::kAesGcm16, 128},
                                           {EncrId::kAesGcm16, 192},
                                           {EncrId::kAesGcm16, 256},
                                           {EncrId::kChaCha20Poly1305, 0}};
  const std::vector<EncrTransform> cbc = {
      {EncrId::kAesCbc, 128}, {EncrId::kAesCbc, 192}, {EncrId::kAesCbc, 256}};
  const std::vector<IntegId> integ = {IntegId::kHmacSha2_256_128, IntegId::kHmacSha2_384_192,
                                      IntegId::kHmacSha2_512_256};
  const std::vector<PrfId> prf = {PrfId::kHmacSha2_256, PrfId::kHmacSha2_384,
                                  PrfId::kHmacSha2_512};
  switch (kind) {
    case ProposalKind::kIke: {
      Proposal a;
      a.kind = kind;
      a.encr = aead;
      a.prf = prf;
      a.ke = ke;
      Proposal b;
      b.kind = kind;
      b.encr = cbc;
      b.integ = integ;
      b.prf = prf;
      b.ke = ke;
      out.push_back(std::move(a));
      out.push_back(std::move(b));
      break;
    }
    case ProposalKind::kEsp: {
      Proposal a;
      a.kind = kind;
      a.encr = aead;
      a.esn = {EsnId::kNoEsn};
      Proposal b;
      b.kind = kind;
      b.encr = cbc;
      b.integ = integ;
      b.esn = {EsnId::kNoEsn};
      out.push_back(std::move(a));
      out.push_back(std::move(b));
      break;
    }
    case ProposalKind::kAh: {
      Proposal a;
      a.kind = kind;
      a.integ = integ;
      a.esn = {EsnId::kNoEsn};
      out.push_back(std::move(a));
      break;
    }
  }
  return out;
}

bool StripStrictSuffix(std::string& list) {
  bool found = false;
  std::string out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (c == '!') {
      size_t j = i + 1;
      while (j < list.size() && (list[j] == ' ' || list[j] == '\t')) ++j;
      if (j == list.size() || list[j] == ',') {
        found = true;
        continue;
      }
    }
    out.push_back(c);
  }
  list = std::move(out);
  return found;
}

std::string EncrKeyword(const EncrTransform& encr) {
  if (encr.id == EncrId::kNullAuthAesGmac) {
    for (const auto& e : kGmacKeywords) {
      if (e.bits == encr.key_bits) return std::string(e.name);
    }
  }
  for (const auto& e : kEncrKeywords) {
    if (e.id == encr.id && e.bits == encr.key_bits) return std::string(e.name);
  }
  return "encr" + std::to_string(static_cast<unsigned>(encr.id)) + "_" +
         std::to_string(encr.key_bits);
}

std::string IntegKeyword(IntegId id) {
  for (const auto& e : kIntegKeywords) {
    if (e.id == id) return std::string(e.name);
  }
  for (const auto& e : kAhGmacKeywords) {
    if (e.id == id) return std::string(e.name);
  }
  return "integ" + std::to_string(static_cast<unsigned>(id));
}

std::string PrfKeyword(PrfId id) {
  for (const auto& e : kPrfKeywords) {
    if (e.id == id) return std::string(e.name);
  }
  return "prf" + std::to_string(static_cast<unsigned>(id));
}

std::string KeKeyword(KeGroup group) {
  if (group == KeGroup::kNone) return "none";
  for (const auto& e : kKeKeywords) {
    if (e.group == group) return std::string(e.name);
  }
  return "ke" + std::to_string(static_cast<unsigned>(group));
}

std::string ToString(const Proposal& p) {
  std::vector<std::string> words;
  for (const auto& e : p.encr) words.push_back(EncrKeyword(e));
  for (IntegId i : p.integ) words.push_back(IntegKeyword(i));
  for (PrfId f : p.prf) words.push_back(PrfKeyword(f));
  for (KeGroup g : p.ke) words.push_back(KeKeyword(g));
  for (size_t slot = 0; slot < p.additional_ke.size(); ++slot) {
    for (KeGroup g : p.additional_ke[slot]) {
      words.push_back("ke" + std::to_string(slot + 1) + "_" + KeKeyword(g));
    }
  }
  bool only_noesn = p.esn.size() == 1 && p.esn[0] == EsnId::kNoEsn;
  if (!only_noesn) {
    for (EsnId e : p.esn) words.push_back(e == EsnId::kEsn ? "esn" : "noesn");
  }
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += '-';
    out += w;
  }
  return out;
}

std::string ToString(const std::vector<Proposal>& proposals) {
  std::string out;
  for (const auto& p : proposals) {
    if (!out.empty()) out += ", ";
    out += ToString(p);
  }
  return out;
}

}  // namespace ike
