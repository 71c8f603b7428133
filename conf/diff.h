// Reload diff: what changed between the running Config and a newly loaded
// one, per connection, child, pool, secret, authority and private key, with
// the keys that changed. The daemon leaves SAs of unchanged (and merely
// renamed) connections alone.
#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace ike::conf {

enum class EntityKind : uint8_t { kConnection, kChild, kPool, kSecret, kAuthority, kPrivateKey };
enum class ChangeKind : uint8_t { kAdded, kRemoved, kChanged, kRenamed };

struct Change {
  EntityKind entity = EntityKind::kConnection;
  ChangeKind kind = ChangeKind::kChanged;
  std::string name;      // new name (old name for kRemoved)
  std::string parent;    // the connection of a child
  std::string old_name;  // kRenamed: the previous name
  // kChanged: the keys whose values differ, as dotted paths relative to the
  // entity ("rekey_time", "local.id", "remote-2.auth", "secret"). Secret
  // values are compared in constant time and never shown.
  std::vector<std::string> keys;

  std::string ToString() const;  // "connection gw: changed (rekey_time, local.id)"
  friend bool operator==(const Change&, const Change&) = default;
};

// Changes, ordered: connections (with their children right after them), then
// pools, secrets, authorities and private keys. Children of added, removed
// or renamed connections are not listed separately.
std::vector<Change> Diff(const Config& old_config, const Config& new_config);

// The flattened, comparable form of a connection's IKE-level settings (its
// children excluded) and of a child: key -> printed value. Exposed for tests
// and for `ipsecctl` listings.
std::vector<std::pair<std::string, std::string>> FlattenConnection(const Config& config,
                                                                   const ConnectionConfig& conn);
std::vector<std::pair<std::string, std::string>> FlattenChild(const ChildConfig& child);

}  // namespace ike::conf
