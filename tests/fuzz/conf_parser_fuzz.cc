// libFuzzer target: the swanctl.conf parser and typed pass on arbitrary bytes.
// Includes are disabled (no resolver) and credentials are not loaded, so the
// target does no I/O. Also feeds the bytes to the proposal parser and checks
// that a loaded Config diffs as unchanged against itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conf/diff.h"
#include "conf/loader.h"
#include "libike/proposal/proposal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ike::conf::LoadOptions options;
  options.include_resolver = nullptr;
  options.load_credentials = false;
  options.limits.max_bytes = 1 << 20;
  auto result = ike::conf::ParseConfigString(text, "fuzz.conf", options);
  if (result) {
    // Diff is costlier than parsing; check it on small inputs only.
    if (size < 1024 && !ike::conf::Diff(*result, *result).empty()) std::abort();
    for (const auto& conn : result->connections) {
      // Printed proposals parse back to the same proposals.
      for (const auto& p : conn.proposals) {
        auto back = ike::ParseProposal(ike::ToString(p), ike::ProposalKind::kIke);
        if (!back || !(*back == p)) std::abort();
      }
    }
  }
  for (auto kind : {ike::ProposalKind::kIke, ike::ProposalKind::kEsp, ike::ProposalKind::kAh}) {
    auto proposals = ike::ParseProposals(text.substr(0, 4096), kind);
    if (proposals) {
      for (const auto& p : *proposals) {
        auto back = ike::ParseProposal(ike::ToString(p), kind);
        if (!back || !(*back == p)) std::abort();
      }
    }
  }
  return 0;
}
