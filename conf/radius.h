// The typed pass for the top-level `radius { }` section (RADIUS servers for
// `auth = eap-radius` and accounting). Internal to conf/: the loader calls it.
#pragma once

#include <vector>

#include "conf/ast.h"
#include "conf/config.h"

namespace ike::conf {

// Builds config.radius from every top-level `radius` section (they merge, as
// containers do across included files). Secret values are wiped from the
// tree as they are decoded. Call after the connections are built: a
// connection with `auth = eap-radius` and no server gets a warning.
void BuildRadius(const std::vector<AstSection*>& sections, Config& config, Diagnostics& diags);

}  // namespace ike::conf
