// Human-readable rendering of control-protocol results (tables).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/control/protocol.h"

namespace ike::ipsecctl {

// A left-aligned text table; columns size to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string ToString() const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string Render(control::Command command, const nlohmann::json& result);
std::string RenderEvent(const nlohmann::json& event);

}  // namespace ike::ipsecctl
