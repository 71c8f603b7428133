// Entry points: read a swanctl.conf-style file (with its includes and the
// credential folders beside it) into an immutable Config, or reject it with
// every error found, each naming file, line and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/ast.h"
#include "conf/config.h"
#include "libike/common/result.h"

namespace ike::conf {

struct LoadOptions {
  // Resolves `include`; null disables includes (each one is then an error).
  // LoadConfig uses a FileIncludeResolver when this is null.
  IncludeResolver* include_resolver = nullptr;
  // Folder holding x509/, x509ca/, private/, rsa/, ecdsa/, pkcs8/. LoadConfig
  // uses the config file's folder when empty. Empty for ParseConfigString
  // means: credentials are not loaded (certificate references stay names).
  std::string credentials_dir;
  bool load_credentials = true;
  // "Now" for certificate validity checks (seconds since the epoch); the
  // current time when unset.
  std::optional<int64_t> now;
  ParseLimits limits;
};

using LoadResult = Result<Config, std::vector<Diagnostic>>;

// Loads `path`. On failure the error list holds every error and warning found.
LoadResult LoadConfig(const std::string& path, const LoadOptions& options = {});

// Parses `text` as if it were the file `virtual_filename`. Includes are
// disabled unless options.include_resolver is set; no file is read unless
// options.credentials_dir is set. Safe on arbitrary bytes (fuzzed).
LoadResult ParseConfigString(std::string_view text, const std::string& virtual_filename,
                             const LoadOptions& options = {});

// The typed pass alone, over an already parsed tree (secret values in `root`
// are wiped as they are decoded).
LoadResult BuildConfig(AstSection& root, const std::string& source, Diagnostics diags,
                       const LoadOptions& options);

}  // namespace ike::conf
