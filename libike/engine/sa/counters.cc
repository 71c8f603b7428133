#include "libike/engine/sa/counters.h"

namespace ike::engine {

const char* DropName(Drop drop) {
  static constexpr const char* kNames[] = {
      "malformed",        "missing_non_esp_marker", "unknown_spi",
      "bad_icv",          "missing_sk",             "unexpected_exchange",
      "invalid_payloads", "stale_request",          "future_request",
      "retransmitted_request", "unexpected_response", "half_open_limit",
      "cookie_required",  "invalid_cookie",         "bad_flags",
      "task_failed",      "fragment",               "no_config",
      "unexpected_eap_reply", "mobike_not_negotiated", "mobike_bad_notify",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Drop::kCount));
  return kNames[static_cast<size_t>(drop)];
}

std::string Counters::ToString() const {
  std::string out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (!out.empty()) out += " ";
    out += DropName(static_cast<Drop>(i));
    out += "=" + std::to_string(counts_[i]);
  }
  return out;
}

}  // namespace ike::engine
