// Proposals as the engine sees them (RFC 7296 3.3): a protocol, an SPI and a
// list of transforms in preference order, plus proposal selection.
//
// The parser of strongSwan's proposal keywords lives in libike/proposal/;
// this file only selects among already-parsed lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/bytes.h"
#include "libike/common/ike_types.h"

namespace ike::engine {

struct Transform {
  TransformType type = TransformType::kEncr;
  uint16_t id = 0;
  uint16_t key_length = 0;  // bits; 0 = no Key Length attribute
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Proposal {
  uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kIke;
  Bytes spi;  // 8 bytes for IKE rekeys, 4 for ESP/AH, empty in IKE_SA_INIT
  std::vector<Transform> transforms;

  // The first transform of a type (the selected one after selection).
  std::optional<Transform> Get(TransformType type) const;
  bool Has(TransformType type, uint16_t id) const;
  // All KE groups offered, in order (kNone excluded).
  std::vector<KeGroup> KeGroups() const;
  // For a selected proposal: its KE group or kNone.
  KeGroup ke() const;
  std::string ToString() const;  // e.g. "IKE:ENCR_20_256/PRF_7/KE_31"
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

using ProposalList = std::vector<Proposal>;

struct SelectOptions {
  // strongSwan's default: walk our configured proposals first, so our
  // preference wins (charon.prefer_configured_proposals = yes).
  bool prefer_configured = true;
  // IKE_AUTH CHILD_SA proposals: KE transforms are ignored (RFC 7296 1.2).
  bool ignore_ke = false;
};

// Selects one proposal from what the peer `offered` that our `configured`
// list also allows. The result carries the peer's proposal number and SPI and
// exactly one transform per negotiated type. nullopt: NO_PROPOSAL_CHOSEN.
std::optional<Proposal> SelectProposal(const ProposalList& offered,
                                       const ProposalList& configured,
                                       const SelectOptions& options = {});

// Is `selected` (a responder's choice) acceptable as an answer to what we
// `offered`: it names one of our proposals and each transform was offered in
// it. Returns the index of the matching proposal.
std::optional<size_t> ValidateSelected(const Proposal& selected, const ProposalList& offered,
                                       bool ignore_ke = false);

// Returns a copy with all KE transforms removed (IKE_AUTH child proposals).
Proposal WithoutKe(const Proposal& p);

// Is `group` offered by any proposal in `configured`?
bool OffersGroup(const ProposalList& configured, KeGroup group);

// Numbers proposals 1..n and sets protocol and SPI on each.
void Finalize(ProposalList& list, ProtocolId protocol, ByteView spi);

}  // namespace ike::engine
