// strongSwan-style proposal keyword lists ("aes256gcm16-prfsha256-x25519",
// "aes128-sha256-modp2048, default") parsed into IANA transform lists.
// Shared by the configuration loader and the IKE engine (proposal selection
// works on these structures). Pure: no I/O, no allocation beyond the result.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libike/common/ike_types.h"
#include "libike/common/result.h"

namespace ike {

enum class ProposalKind : uint8_t { kIke, kEsp, kAh };

struct EncrTransform {
  EncrId id = EncrId::kAesCbc;
  // Key Length attribute in bits (RFC 7296 3.3.5); 0 for algorithms with a
  // fixed key size that must not carry the attribute (3DES, ChaCha20-Poly1305).
  uint16_t key_bits = 0;
  friend bool operator==(const EncrTransform&, const EncrTransform&) = default;
};

// One proposal: for each transform type, the acceptable algorithms in
// preference order. Additional key exchanges (RFC 9370, "ke1_" .. "ke7_"
// keywords) are kept per slot; a slot may hold KeGroup::kNone ("ke1_none") to
// make it optional.
struct Proposal {
  static constexpr size_t kMaxAdditionalKe = 7;

  ProposalKind kind = ProposalKind::kIke;
  std::vector<EncrTransform> encr;
  std::vector<IntegId> integ;
  std::vector<PrfId> prf;
  std::vector<KeGroup> ke;
  std::array<std::vector<KeGroup>, kMaxAdditionalKe> additional_ke;
  std::vector<EsnId> esn;

  // True when every encryption transform is an AEAD (GCM, CCM, ChaCha20-Poly1305).
  bool IsAead() const;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct ProposalError {
  std::string keyword;  // the offending keyword (or the whole proposal text)
  std::string message;  // e.g. "unknown algorithm keyword 'aes257'"
};

// Parses a comma (or space) separated list of proposals; each proposal is a
// '-' separated keyword list. The keyword `default` expands to
// DefaultProposals(kind) at its position. An ipsec.conf-style trailing '!'
// is not part of swanctl syntax and is rejected here (see StripStrictSuffix).
Result<std::vector<Proposal>, ProposalError> ParseProposals(std::string_view list,
                                                            ProposalKind kind);
// Parses one '-' separated proposal (no commas, no `default`).
Result<Proposal, ProposalError> ParseProposal(std::string_view text, ProposalKind kind);

// strongSwan's built-in default proposals for the kind (AEAD first).
std::vector<Proposal> DefaultProposals(ProposalKind kind);

// Removes an ipsec.conf-style trailing '!' ("aes256-sha256-modp2048!") from
// each proposal of `list`; returns true when one was found.
bool StripStrictSuffix(std::string& list);

// Keyword notation, parseable by ParseProposal: "aes256gcm16-prfsha384-ecp384".
std::string ToString(const Proposal& proposal);
std::string ToString(const std::vector<Proposal>& proposals);  // ", " separated

// Keyword for a single transform ("aes256", "sha256", "prfsha256", "modp2048").
std::string EncrKeyword(const EncrTransform& encr);
std::string IntegKeyword(IntegId id);
std::string PrfKeyword(PrfId id);
std::string KeKeyword(KeGroup group);

}  // namespace ike
