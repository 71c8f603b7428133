// The generic syntax tree of a swanctl.conf-style file, before any meaning is
// given to names: sections ("name {", "name : ref1, ref2 {"), settings
// ("key = value") and includes (expanded while parsing). Every node keeps the
// file and line it came from.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "conf/diagnostic.h"

namespace ike::conf {

struct AstSetting {
  std::string key;
  std::string value;  // unquoted, escapes resolved
  bool quoted = false;
  Location loc;
};

struct AstSection {
  std::string name;
  std::vector<std::string> refs;  // template references, dotted paths from the root
  Location loc;
  Location end_loc;               // the closing brace
  // Indentation of the opening and closing lines, used to guess which section
  // lacks its '}' when braces do not balance.
  int open_indent = -1;
  int close_indent = -1;
  std::vector<AstSetting> settings;
  std::vector<AstSection> sections;
};

// A file handed to the parser by an IncludeResolver.
struct IncludedFile {
  std::string path;      // as shown in diagnostics
  std::string identity;  // canonical name used for include-loop detection
  std::string contents;
};

// Resolves `include PATTERN` found in `including_file` to the files it names,
// in order. A pattern without glob characters naming no file is an error (the
// returned string); a glob matching nothing yields an empty list.
class IncludeResolver {
 public:
  virtual ~IncludeResolver() = default;
  virtual bool Resolve(std::string_view pattern, std::string_view including_file,
                       std::vector<IncludedFile>& out, std::string& error) = 0;
};

// Reads includes from the file system: relative patterns are relative to the
// including file's directory; globs are expanded with glob(3) and sorted.
class FileIncludeResolver : public IncludeResolver {
 public:
  bool Resolve(std::string_view pattern, std::string_view including_file,
               std::vector<IncludedFile>& out, std::string& error) override;
};

struct ParseLimits {
  size_t max_depth = 32;          // nested sections
  size_t max_include_depth = 10;  // nested includes
  size_t max_bytes = 16u << 20;   // total input across includes
};

// Parses `text` (named `filename` in diagnostics) into `root` (a nameless
// section). Syntax errors are reported and parsing resumes on the next line, so
// one run reports every error. `resolver` may be null: then `include` is an
// error ("includes are disabled").
void ParseText(std::string_view text, const std::string& filename, IncludeResolver* resolver,
               AstSection& root, Diagnostics& diags, const ParseLimits& limits = {});

// Resolves `name : ref {` templates in place: each referencing section inherits
// the settings and subsections (recursively) it does not define itself.
void ResolveTemplates(AstSection& root, Diagnostics& diags);

}  // namespace ike::conf
