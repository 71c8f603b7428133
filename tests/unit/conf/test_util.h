// Helpers shared by the conf tests.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "conf/loader.h"

namespace ike::conf::testing {

inline std::string DataPath(const std::string& rel) { return std::string(CONF_TEST_DATA_DIR) + "/" + rel; }

inline std::string ReadData(const std::string& rel) {
  std::ifstream in(DataPath(rel), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses text without includes or credentials; fails the test on errors.
inline Config MustParse(std::string_view text, const std::string& name = "test.conf") {
  auto r = ParseConfigString(text, name);
  if (!r) {
    ADD_FAILURE() << "unexpected errors:\n" << FormatDiagnostics(r.error());
    return Config{};
  }
  return std::move(*r);
}

// The first error line of a failed parse ("" if it succeeded).
inline std::vector<std::string> ErrorsOf(std::string_view text, const std::string& name = "test.conf") {
  auto r = ParseConfigString(text, name);
  std::vector<std::string> out;
  if (r) return out;
  for (const auto& d : r.error()) {
    if (d.severity == Severity::kError) out.push_back(d.ToString());
  }
  return out;
}

}  // namespace ike::conf::testing
