// Writes SimNet captures as a classic pcap file (Ethernet/IPv4/UDP) so
// Wireshark/tshark can dissect a simulated exchange.
#pragma once

#include <string>
#include <vector>

#include "tests/sim/sim_net.h"

namespace ike::sim {

// The pcap bytes for IPv4 packets (IPv6 packets are skipped).
Bytes ToPcap(const std::vector<Packet>& packets);
bool WritePcap(const std::string& path, const std::vector<Packet>& packets);

}  // namespace ike::sim
