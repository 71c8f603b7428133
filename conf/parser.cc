// Lexer and parser for the swanctl.conf / strongswan.conf settings grammar:
//   settings := (section | keyvalue | include)*
//   section  := NAME [':' NAME (',' NAME)*] '{' settings '}'
//   keyvalue := NAME '=' value            value ends at newline, '#' or '}'
//   include  := 'include' PATTERN
// Quoted values ("...") may span lines and understand \" \\ \n \t escapes.
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "conf/ast.h"

#include <openssl/crypto.h>

namespace ike::conf {

std::string Diagnostic::ToString() const {
  std::string out = loc.ToString() + ": ";
  if (!key.empty()) out += key + ": ";
  if (severity == Severity::kWarning) out += "warning: ";
  return out + message;
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::vector<Diagnostic> Diagnostics::Warnings() const {
  std::vector<Diagnostic> out;
  for (const auto& d : items_) {
    if (d.severity == Severity::kWarning) out.push_back(d);
  }
  return out;
}

std::string FormatDiagnostics(const std::vector<Diagnostic>& diags) {
  std::string out;
  for (const auto& d : diags) out += d.ToString() + "\n";
  return out;
}

namespace {

bool IsNameChar(char c) {
  switch (c) {
    case ' ': case '\t': case '\r': case '\n': case '{': case '}': case '=':
    case ':': case ',': case '#': case '"': case '\0':
      return false;
    default:
      return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  }
}

bool HasGlobChars(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

std::string Printable(char c) {
  if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
    return std::string("'") + c + "'";
  }
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned char>(c));
  return buf;
}

struct IncludeFrame {
  std::string identity;
};

class Parser {
 public:
  Parser(std::string_view text, const std::string& filename, IncludeResolver* resolver,
         Diagnostics& diags, const ParseLimits& limits, std::vector<std::string>& stack,
         size_t& total_bytes)
      : text_(text),
        file_(filename),
        resolver_(resolver),
        diags_(diags),
        limits_(limits),
        include_stack_(stack),
        total_bytes_(total_bytes) {}

  // Parses the whole text into `section` (the current section of the includer).
  void ParseFile(AstSection& section, size_t depth) { ParseBody(section, depth, true); }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  Location Here() const { return Location{file_, line_}; }

  void Advance() {
    if (AtEnd()) return;
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }
  // Leading whitespace of the current line.
  int Indent() const {
    size_t i = line_start_;
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
    return static_cast<int>(i - line_start_);
  }
  void SkipSpaces() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\r')) Advance();
  }
  void SkipComment() {
    while (!AtEnd() && Peek() != '\n') Advance();
  }
  void SkipLine() {
    while (!AtEnd() && Peek() != '\n') Advance();
  }
  void SkipBlank() {
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        Advance();
      } else if (c == '#') {
        SkipComment();
      } else {
        break;
      }
    }
  }
  std::string ReadName() {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek())) Advance();
    return std::string(text_.substr(start, pos_ - start));
  }
  // After a value or a brace: only spaces and a comment may follow on the line.
  // A '}' may follow too; the caller handles it.
  void ExpectLineEnd(const std::string& key) {
    SkipSpaces();
    if (AtEnd() || Peek() == '\n' || Peek() == '#' || Peek() == '}') return;
    diags_.Error(Here(), key, "unexpected text after value: " + Printable(Peek()));
    SkipLine();
  }

  // Reads a value after '='. Returns false (and has reported) on error.
  bool ReadValue(const std::string& key, std::string& value, bool& quoted) {
    SkipSpaces();
    quoted = false;
    if (Peek() == '"') {
      quoted = true;
      Location start = Here();
      Advance();
      while (true) {
        if (AtEnd()) {
          diags_.Error(start, key, "unterminated quoted string");
          return false;
        }
        char c = Peek();
        if (c == '"') {
          Advance();
          break;
        }
        if (c == '\\') {
          Advance();
          char e = Peek();
          switch (e) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case 'r': value += '\r'; break;
            case '"': value += '"'; break;
            case '\\': value += '\\'; break;
            case '\n': break;  // line continuation
            default:
              value += '\\';
              value += e;
          }
          Advance();
          continue;
        }
        value += c;
        Advance();
      }
      ExpectLineEnd(key);
      return true;
    }
    size_t start = pos_;
    while (!AtEnd() && Peek() != '\n' && Peek() != '#' && Peek() != '}') {
      if (Peek() == '"') {
        diags_.Error(Here(), key, "a quote may only start a value");
        SkipLine();
        return false;
      }
      if (Peek() == '{') {
        diags_.Error(Here(), key, "unexpected '{' in value (quote the value to use braces)");
        SkipLine();
        return false;
      }
      Advance();
    }
    std::string_view raw = text_.substr(start, pos_ - start);
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r')) {
      raw.remove_suffix(1);
    }
    value.assign(raw);
    return true;
  }

  static std::string Join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
  }

  void ParseBody(AstSection& section, size_t depth, bool top_of_file) {
    const std::string path = section_path_;
    while (true) {
      SkipBlank();
      if (AtEnd()) {
        if (!top_of_file) ReportUnclosed(section, path);
        return;
      }
      char c = Peek();
      if (c == '}') {
        if (top_of_file) {
          diags_.Error(Here(), path, "unexpected '}' without an open section");
          Advance();
          continue;
        }
        section.end_loc = Here();
        section.close_indent = Indent();
        Advance();
        return;
      }
      Location loc = Here();
      std::string name = ReadName();
      if (name.empty()) {
        diags_.Error(loc, path, "unexpected character " + Printable(c));
        if (c == '{') {
          // An anonymous section: skip it whole to stay in sync.
          AstSection ignored;
          ignored.loc = loc;
          Advance();
          std::string saved = section_path_;
          section_path_ = Join(path, "?");
          ParseBody(ignored, depth + 1, false);
          section_path_ = saved;
        } else {
          SkipLine();
        }
        continue;
      }
      SkipSpaces();
      const std::string key_path = Join(path, name);
      if (name == "include" && Peek() != '=' && Peek() != '{' && Peek() != ':') {
        std::string pattern;
        bool quoted = false;
        if (!ReadValue("include", pattern, quoted)) continue;
        HandleInclude(pattern, loc, section, depth);
        continue;
      }
      c = Peek();
      if (c == '=') {
        Advance();
        AstSetting s;
        s.key = name;
        s.loc = loc;
        if (!ReadValue(key_path, s.value, s.quoted)) continue;
        section.settings.push_back(std::move(s));
        continue;
      }
      std::vector<std::string> refs;
      if (c == ':') {
        Advance();
        bool ok = true;
        while (true) {
          SkipSpaces();
          std::string ref = ReadName();
          if (ref.empty()) {
            diags_.Error(Here(), key_path, "expected a section reference after ':' or ','");
            ok = false;
            break;
          }
          refs.push_back(std::move(ref));
          SkipSpaces();
          if (Peek() == ',') {
            Advance();
            continue;
          }
          break;
        }
        if (!ok) {
          SkipLine();
          continue;
        }
        c = Peek();
      }
      if (c == '{') {
        Advance();
        if (depth + 1 > limits_.max_depth) {
          diags_.Error(loc, key_path, "sections nested too deeply");
          SkipToMatchingBrace();
          continue;
        }
        AstSection sub;
        sub.name = name;
        sub.refs = std::move(refs);
        sub.loc = loc;
        sub.open_indent = Indent();
        std::string saved = section_path_;
        section_path_ = key_path;
        ParseBody(sub, depth + 1, false);
        section_path_ = saved;
        section.sections.push_back(std::move(sub));
        continue;
      }
      if (AtEnd() || c == '\n' || c == '#') {
        diags_.Error(loc, key_path, "expected '=' or '{' after '" + name + "'");
      } else {
        diags_.Error(loc, key_path,
                     "expected '=' or '{' after '" + name + "', found " + Printable(c));
      }
      SkipLine();
    }
  }

  // A section reached the end of the file unclosed. Usually an inner section
  // lacks its '}' and swallowed the outer one: blame the first nested section
  // whose closing brace is indented less than its opening line.
  static const AstSection* Suspect(const AstSection& s, std::string& path) {
    for (const auto& sub : s.sections) {
      std::string sub_path = path + "." + sub.name;
      if (sub.open_indent >= 0 && sub.close_indent >= 0 && sub.close_indent < sub.open_indent) {
        std::string deeper = sub_path;
        if (const AstSection* d = Suspect(sub, deeper)) {
          path = deeper;
          return d;
        }
        path = sub_path;
        return &sub;
      }
      std::string deeper = sub_path;
      if (const AstSection* d = Suspect(sub, deeper)) {
        path = deeper;
        return d;
      }
    }
    return nullptr;
  }
  void ReportUnclosed(const AstSection& section, const std::string& path) {
    std::string suspect_path = path;
    const AstSection* suspect = Suspect(section, suspect_path);
    if (suspect != nullptr && suspect->loc.file == section.loc.file) {
      diags_.Error(suspect->loc, suspect_path,
                   "missing '}': section '" + suspect->name + "' is not closed (its '}' at line " +
                       std::to_string(suspect->end_loc.line) + " is indented like an outer one)");
      return;
    }
    diags_.Error(section.loc, path, "missing '}': section '" + section.name + "' is not closed");
  }

  void SkipToMatchingBrace() {
    int level = 1;
    while (!AtEnd() && level > 0) {
      char c = Peek();
      if (c == '{') ++level;
      if (c == '}') --level;
      Advance();
    }
  }

  void HandleInclude(const std::string& pattern, const Location& loc, AstSection& section,
                     size_t depth) {
    if (pattern.empty()) {
      diags_.Error(loc, "include", "missing file name");
      return;
    }
    if (resolver_ == nullptr) {
      diags_.Error(loc, "include", "includes are disabled here ('" + pattern + "')");
      return;
    }
    if (include_stack_.size() >= limits_.max_include_depth) {
      diags_.Error(loc, "include", "includes nested too deeply at '" + pattern + "'");
      return;
    }
    std::vector<IncludedFile> files;
    std::string error;
    if (!resolver_->Resolve(pattern, file_, files, error)) {
      diags_.Error(loc, "include", error);
      return;
    }
    for (auto& f : files) {
      if (std::find(include_stack_.begin(), include_stack_.end(), f.identity) !=
          include_stack_.end()) {
        diags_.Error(loc, "include", "include loop: '" + f.path + "' is already being read");
        continue;
      }
      total_bytes_ += f.contents.size();
      if (total_bytes_ > limits_.max_bytes) {
        diags_.Error(loc, "include", "configuration too large at '" + f.path + "'");
        return;
      }
      include_stack_.push_back(f.identity);
      Parser sub(f.contents, f.path, resolver_, diags_, limits_, include_stack_, total_bytes_);
      sub.section_path_ = section_path_;
      // The included file continues the current section; it must balance its
      // own braces.
      sub.ParseBody(section, depth, true);
      include_stack_.pop_back();
      // Included files may hold secrets: wipe the text once parsed.
      if (!f.contents.empty()) OPENSSL_cleanse(f.contents.data(), f.contents.size());
    }
  }

  std::string_view text_;
  std::string file_;
  IncludeResolver* resolver_;
  Diagnostics& diags_;
  const ParseLimits& limits_;
  std::vector<std::string>& include_stack_;
  size_t& total_bytes_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  int line_ = 1;
  std::string section_path_;
};

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

bool ReadWholeFile(const std::string& path, std::string& out, std::string& error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "'" + path + "' is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

}  // namespace

bool FileIncludeResolver::Resolve(std::string_view pattern, std::string_view including_file,
                                  std::vector<IncludedFile>& out, std::string& error) {
  std::string full(pattern);
  if (full.empty() || full[0] != '/') full = DirName(including_file) + "/" + full;
  std::vector<std::string> paths;
  if (HasGlobChars(pattern)) {
    glob_t g{};
    int rc = glob(full.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      error = "cannot expand '" + std::string(pattern) + "'";
      return false;
    }
    std::sort(paths.begin(), paths.end());
  } else {
    paths.push_back(full);
  }
  for (const auto& p : paths) {
    IncludedFile f;
    f.path = p;
    f.identity = Canonical(p);
    if (!ReadWholeFile(p, f.contents, error)) return false;
    out.push_back(std::move(f));
  }
  return true;
}

void ParseText(std::string_view text, const std::string& filename, IncludeResolver* resolver,
               AstSection& root, Diagnostics& diags, const ParseLimits& limits) {
  std::vector<std::string> stack;
  stack.push_back(filename[0] == '/' ? Canonical(filename) : filename);
  size_t total = text.size();
  if (total > limits.max_bytes) {
    diags.Error(Location{filename, 1}, "", "configuration too large");
    return;
  }
  Parser parser(text, filename, resolver, diags, limits, stack, total);
  if (root.loc.file.empty()) root.loc = Location{filename, 1};
  parser.ParseFile(root, 0);
}

// ---- templates ----

namespace {

const AstSection* FindSection(const AstSection& root, std::string_view path) {
  if (path.empty()) return &root;
  size_t dot = path.find('.');
  std::string_view part = path.substr(0, dot);
  std::string_view rest = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  // Sections of the same name (e.g. "connections" in several included files)
  // are one section: search all of them.
  for (const auto& s : root.sections) {
    if (s.name != part) continue;
    if (const AstSection* found = FindSection(s, rest)) return found;
  }
  return nullptr;
}

void Inherit(AstSection& target, const AstSection& base) {
  for (const auto& s : base.settings) {
    bool has = std::any_of(target.settings.begin(), target.settings.end(),
                           [&](const AstSetting& t) { return t.key == s.key; });
    if (!has) target.settings.push_back(s);
  }
  for (const auto& b : base.sections) {
    auto it = std::find_if(target.sections.begin(), target.sections.end(),
                           [&](const AstSection& t) { return t.name == b.name; });
    if (it == target.sections.end()) {
      target.sections.push_back(b);
    } else {
      Inherit(*it, b);
    }
  }
}

void ResolveIn(AstSection& root, AstSection& section, const std::string& path, Diagnostics& diags,
               int depth) {
  for (auto& sub : section.sections) {
    std::string sub_path = path.empty() ? sub.name : path + "." + sub.name;
    ResolveIn(root, sub, sub_path, diags, depth + 1);
  }
  if (section.refs.empty()) return;
  std::vector<std::string> refs = std::move(section.refs);
  section.refs.clear();
  for (const auto& ref : refs) {
    if (ref == path || path.rfind(ref + ".", 0) == 0) {
      diags.Error(section.loc, path, "section '" + path + "' cannot inherit from itself ('" +
                                         ref + "')");
      continue;
    }
    const AstSection* base = FindSection(root, ref);
    if (base == nullptr) {
      diags.Error(section.loc, path, "referenced section '" + ref + "' does not exist");
      continue;
    }
    if (!base->refs.empty()) {
      // The base has references not yet resolved (defined later or cyclic):
      // resolve a copy of it first.
      if (depth > 8) {
        diags.Error(section.loc, path, "template references nested too deeply at '" + ref + "'");
        continue;
      }
      AstSection copy = *base;
      ResolveIn(root, copy, ref, diags, depth + 1);
      Inherit(section, copy);
    } else {
      Inherit(section, *base);
    }
  }
}

}  // namespace

void ResolveTemplates(AstSection& root, Diagnostics& diags) { ResolveIn(root, root, "", diags, 0); }

}  // namespace ike::conf
