#include "cli/ipsecctl/render.h"

#include <algorithm>
#include <sstream>

namespace ike::ipsecctl {
namespace {

// The text of a scalar field, "-" when absent; lists are joined by ", ".
std::string Field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "-";
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  if (it->is_array()) {
    std::string out;
    for (const auto& v : *it) {
      if (!out.empty()) out += ", ";
      out += v.is_string() ? v.get<std::string>() : v.dump();
    }
    return out.empty() ? "-" : out;
  }
  return it->dump();
}

// "rekey in 42s", or "no rekey" when none is scheduled (rekey_time = 0: the
// daemon reports -1).
std::string RekeyIn(const nlohmann::json& obj) {
  auto it = obj.find("rekey_in_s");
  if (it != obj.end() && it->is_number_integer() && it->get<int64_t>() < 0) return "no rekey";
  return "rekey in " + Field(obj, "rekey_in_s") + "s";
}

std::string Bytes(const nlohmann::json& obj, const char* bytes, const char* packets) {
  return Field(obj, bytes) + " B / " + Field(obj, packets) + " pkt";
}

std::string RenderSas(const nlohmann::json& result) {
  std::ostringstream out;
  const auto& sas = result.value("ike_sas", nlohmann::json::array());
  if (sas.empty()) return "no IKE_SAs\n";
  for (const auto& ike : sas) {
    out << Field(ike, "name") << ": #" << Field(ike, "unique_id") << ", " << Field(ike, "state")
        << ", IKEv" << Field(ike, "version") << (ike.value("aggressive", false) ? " (Aggressive Mode)" : "")
        << ", " << Field(ike, "spi_i") << "_i " << Field(ike, "spi_r") << "_r\n";
    const auto& l = ike.value("local", nlohmann::json::object());
    const auto& r = ike.value("remote", nlohmann::json::object());
    // Virtual IPs follow the endpoint in brackets, as swanctl prints them.
    auto vips = [&](const char* key) {
      std::string text;
      for (const auto& v : ike.value(key, nlohmann::json::array())) {
        if (v.is_string()) text += " [" + v.get<std::string>() + "]";
      }
      return text;
    };
    out << "  local  '" << Field(l, "id") << "' @ " << Field(l, "host") << "[" << Field(l, "port") << "]"
        << vips("local_vips") << "\n";
    out << "  remote '" << Field(r, "id") << "' @ " << Field(r, "host") << "[" << Field(r, "port") << "]"
        << vips("remote_vips") << "\n";
    out << "  " << Field(ike, "proposal") << ", established " << Field(ike, "established_s")
        << "s ago, " << RekeyIn(ike) << "\n";
    for (const auto& c : ike.value("children", nlohmann::json::array())) {
      out << "  " << Field(c, "name") << ": #" << Field(c, "unique_id") << ", " << Field(c, "state") << ", "
          << Field(c, "mode") << ", " << Field(c, "protocol")
          << (c.value("encap", false) ? " in UDP" : "") << ", SPIs " << Field(c, "spi_in") << "_i "
          << Field(c, "spi_out") << "_o, " << Field(c, "proposal") << "\n";
      out << "    in  " << Bytes(c, "bytes_in", "packets_in") << ", out " << Bytes(c, "bytes_out", "packets_out")
          << ", " << RekeyIn(c) << "\n";
      out << "    local  " << Field(c, "local_ts") << "\n";
      out << "    remote " << Field(c, "remote_ts") << "\n";
    }
  }
  return out.str();
}

std::string RenderConns(const nlohmann::json& result) {
  std::ostringstream out;
  const auto& conns = result.value("conns", nlohmann::json::array());
  if (conns.empty()) return "no connections loaded\n";
  for (const auto& c : conns) {
    out << Field(c, "name") << ": IKEv" << Field(c, "version") << ", " << Field(c, "local_addrs") << " ... "
        << Field(c, "remote_addrs") << "\n";
    out << "  proposals: " << Field(c, "proposals") << "\n";
    for (const auto& a : c.value("local_auth", nlohmann::json::array())) {
      out << "  local:  " << Field(a, "auth") << " as '" << Field(a, "id") << "'\n";
    }
    for (const auto& a : c.value("remote_auth", nlohmann::json::array())) {
      out << "  remote: " << Field(a, "auth") << " as '" << Field(a, "id") << "'\n";
    }
    for (const auto& ch : c.value("children", nlohmann::json::array())) {
      out << "  " << Field(ch, "name") << ": " << Field(ch, "mode") << ", " << Field(ch, "local_ts") << " === "
          << Field(ch, "remote_ts") << ", esp: " << Field(ch, "esp_proposals") << ", start: "
          << Field(ch, "start_action") << "\n";
    }
  }
  return out.str();
}

std::string RenderList(const nlohmann::json& list, const std::vector<std::pair<const char*, const char*>>& cols,
                       const char* empty_text) {
  if (!list.is_array() || list.empty()) return std::string(empty_text) + "\n";
  std::vector<std::string> header;
  for (const auto& [key, title] : cols) header.emplace_back(title);
  Table t(header);
  for (const auto& item : list) {
    std::vector<std::string> row;
    for (const auto& [key, title] : cols) row.push_back(Field(item, key));
    t.AddRow(std::move(row));
  }
  return t.ToString();
}

std::string RenderAlgs(const nlohmann::json& result) {
  std::ostringstream out;
  const auto& ike = result.value("ike", nlohmann::json::object());
  for (const char* kind : {"encryption", "integrity", "prf", "ke"}) {
    out << "ike " << kind << ": " << Field(ike, kind) << "\n";
  }
  out << "\ndata path (" << Field(result, "backend") << "):\n";
  out << RenderList(result.value("esp", nlohmann::json::array()),
                    {{"name", "ALGORITHM"}, {"kernel_name", "KERNEL NAME"}, {"driver", "DRIVER"},
                     {"priority", "PRIORITY"}, {"available", "AVAILABLE"}},
                    "no data-path algorithms reported");
  return out.str();
}

std::string RenderStats(const nlohmann::json& result) {
  std::ostringstream out;
  out << "uptime: " << Field(result, "uptime_s") << "s, backend: " << Field(result, "backend") << "\n";
  out << "IKE_SAs: " << Field(result, "ike_sas") << ", half-open: " << Field(result, "half_open")
      << ", CHILD_SAs: " << Field(result, "child_sas") << "\n";
  const auto& counters = result.value("counters", nlohmann::json::object());
  if (!counters.empty()) {
    Table t({"COUNTER", "VALUE"});
    for (const auto& [k, v] : counters.items()) t.AddRow({k, v.dump()});
    out << "\n" << t.ToString();
  }
  const auto& sas = result.value("child_sa_traffic", nlohmann::json::array());
  if (!sas.empty()) {
    out << "\n"
        << RenderList(sas,
                      {{"name", "CHILD_SA"}, {"unique_id", "ID"}, {"bytes_in", "BYTES IN"},
                       {"packets_in", "PKTS IN"}, {"bytes_out", "BYTES OUT"}, {"packets_out", "PKTS OUT"}},
                      "");
  }
  return out.str();
}

}  // namespace

std::string Table::ToString() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  std::ostringstream out;
  auto print = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      out << cell;
      if (i + 1 < width.size()) out << std::string(width[i] - cell.size() + 2, ' ');
    }
    out << "\n";
  };
  print(header_);
  for (const auto& r : rows_) print(r);
  return out.str();
}

std::string Render(control::Command command, const nlohmann::json& result) {
  using control::Command;
  switch (command) {
    case Command::kListSas: return RenderSas(result);
    case Command::kListConns: return RenderConns(result);
    case Command::kListCerts:
      return RenderList(result.value("certs", nlohmann::json::array()),
                        {{"subject", "SUBJECT"}, {"issuer", "ISSUER"}, {"not_after", "NOT AFTER"},
                         {"type", "TYPE"}, {"has_private_key", "KEY"}},
                        "no certificates loaded");
    case Command::kListPools: {
      const auto pools = result.value("pools", nlohmann::json::array());
      std::string out = RenderList(pools,
                                   {{"name", "POOL"}, {"base", "BASE"}, {"size", "SIZE"},
                                    {"online", "ONLINE"}, {"offline", "OFFLINE"}},
                                   "no pools loaded");
      for (const auto& p : pools) {
        for (const auto& l : p.value("leases", nlohmann::json::array())) {
          out += "  " + Field(p, "name") + " " + Field(l, "address") + " " + Field(l, "status") + " '" +
                 Field(l, "identity") + "'\n";
        }
      }
      return out;
    }
    case Command::kListAlgs: return RenderAlgs(result);
    case Command::kStats: return RenderStats(result);
    case Command::kVersion:
      return Field(result, "daemon") + " " + Field(result, "version") + " (control protocol " +
             Field(result, "protocol") + ", backend " + Field(result, "backend") + ")\n";
    default: {
      std::string msg = Field(result, "message");
      std::string out = msg == "-" ? std::string("ok") : msg;
      for (const auto& w : result.value("warnings", nlohmann::json::array())) {
        out += "\nwarning: " + (w.is_string() ? w.get<std::string>() : w.dump());
      }
      return out + "\n";
    }
  }
}

std::string RenderEvent(const nlohmann::json& event) {
  std::string out = Field(event, "time") + " " + Field(event, "type");
  if (event.contains("level")) out += " [" + Field(event, "subsystem") + "/" + Field(event, "level") + "]";
  if (event.contains("conn")) out += " " + Field(event, "conn");
  if (event.contains("ike_sa")) out += "#" + Field(event, "ike_sa");
  return out + " " + Field(event, "message");
}

}  // namespace ike::ipsecctl
