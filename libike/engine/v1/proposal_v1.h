// IKEv1 proposals: the engine's (IKEv2-shaped) configured proposal lists
// mapped to ISAKMP SA payloads (RFC 2409 appendix A Phase 1 attributes,
// RFC 2407 4.5 IPsec DOI attributes), and selection on the responder.
//
// Phase 1: one ISAKMP proposal with one KEY_IKE transform per combination
// of cipher (AES-CBC 128/192/256, 3DES), hash (from the PRF: SHA1, SHA2),
// group (MODP, ECP) and the authentication method of the configuration.
// Phase 2: one ESP proposal per configured proposal, one transform per
// cipher x integrity combination, carrying life, encapsulation mode and
// the PFS group.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libike/common/ike_types.h"
#include "libike/crypto/cbc_cipher.h"
#include "libike/engine/sa/proposal.h"
#include "libike/ikev1/payloads.h"

namespace ike::engine::v1 {

struct Phase1Transform {
  ::ike::v1::Phase1Encr encr = ::ike::v1::Phase1Encr::kAesCbc;
  uint16_t key_bits = 128;  // AES; 0 for 3DES
  ::ike::v1::Phase1Hash hash = ::ike::v1::Phase1Hash::kSha2_256;
  uint16_t auth = 1;        // Phase1Auth value
  KeGroup group = KeGroup::kModp2048;
  uint32_t life_s = 0;      // 0: none sent

  bool SameSuite(const Phase1Transform& o) const {
    return encr == o.encr && key_bits == o.key_bits && hash == o.hash && auth == o.auth &&
           group == o.group;
  }
  size_t key_size() const { return encr == ::ike::v1::Phase1Encr::k3DesCbc ? 24 : key_bits / 8; }
  crypto::CbcAlgorithm cbc() const {
    return encr == ::ike::v1::Phase1Encr::k3DesCbc ? crypto::CbcAlgorithm::k3Des
                                                    : crypto::CbcAlgorithm::kAes;
  }
  std::string ToString() const;  // "AES_CBC_256/SHA2_256/MODP_2048"
};

// Our Phase 1 offer from config.ike_proposals (AEAD ciphers and PRFs
// without an IKEv1 hash are left out).
std::vector<Phase1Transform> Phase1Offer(const ProposalList& ike, uint16_t auth_method,
                                         uint32_t life_s);
::ike::v1::SaPayload EncodePhase1Sa(const std::vector<Phase1Transform>& offer);
// nullopt: a transform we do not implement (or malformed attributes).
std::optional<Phase1Transform> ParsePhase1Transform(const ::ike::v1::Transform& t);

// Responder: the first of our transforms (our preference) the peer offered;
// `reply` is the SA payload to answer with (the peer's chosen transform).
struct Phase1Choice {
  Phase1Transform chosen;
  ::ike::v1::SaPayload reply;
};
std::optional<Phase1Choice> SelectPhase1(const ::ike::v1::SaPayload& offered,
                                         const std::vector<Phase1Transform>& ours);
// Initiator: the responder's answer must be one transform we offered.
std::optional<Phase1Transform> CheckPhase1Reply(const ::ike::v1::SaPayload& reply,
                                                const std::vector<Phase1Transform>& ours);

struct ChildProposal {
  EncrId encr = EncrId::kAesCbc;
  uint16_t key_bits = 128;
  IntegId integ = IntegId::kHmacSha2_256_128;
  KeGroup pfs = KeGroup::kNone;
  uint16_t encap = 1;  // EncapsulationMode value
  uint32_t life_s = 0;
  uint8_t proposal_number = 1;
  uint8_t transform_number = 1;

  bool SameSuite(const ChildProposal& o) const {
    return encr == o.encr && key_bits == o.key_bits && integ == o.integ && pfs == o.pfs;
  }
  // As the engine's (IKEv2-shaped) selected proposal, for ChildSa.
  Proposal ToEngine(uint32_t spi) const;
};

// Our Quick Mode offer from child.esp_proposals.
std::vector<ChildProposal> ChildOffer(const ProposalList& esp, uint16_t encap, uint32_t life_s);
::ike::v1::SaPayload EncodeChildSa(const std::vector<ChildProposal>& offer, uint32_t spi);
std::optional<ChildProposal> ParseChildTransform(const ::ike::v1::Transform& t);

struct ChildChoice {
  ChildProposal chosen;  // life_s: the peer's (0: none)
  uint32_t peer_spi = 0;
  ::ike::v1::Proposal peer_proposal;  // as offered, with only the chosen transform
};
// Responder: the first of our proposals the peer offered (ESP only).
std::optional<ChildChoice> SelectChild(const ::ike::v1::SaPayload& offered,
                                       const std::vector<ChildProposal>& ours);
// Initiator: the responder's answer (one ESP proposal, one transform).
std::optional<ChildChoice> CheckChildReply(const ::ike::v1::SaPayload& reply,
                                           const std::vector<ChildProposal>& ours);

// IKEv1 IPsec DOI authentication algorithm <-> IKEv2 integrity transform.
std::optional<IntegId> IntegFromAuthAlg(uint16_t auth_alg);
std::optional<uint16_t> AuthAlgFromInteg(IntegId integ);

}  // namespace ike::engine::v1
