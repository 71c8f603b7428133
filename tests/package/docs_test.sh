#!/usr/bin/env bash
# The man pages (packaging/man/*.md) and the bash completion
# (packaging/completion/ipsecctl) list exactly the commands and options that
# "ipsecctl --help", "ipsecctl COMMAND --help" and "charon --help" print.
#   CHARON, IPSECCTL: the binaries to ask (build tree or installed ones).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
man=$root/packaging/man
charon=${CHARON:?set CHARON}
ipsecctl=${IPSECCTL:?set IPSECCTL}
failures=0

# Prints the long options in text on stdin, one per line, sorted; the
# Markdown writes them as \-\-name.
long_options() { sed 's/\\-\\-/--/g' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }

# Lines of Markdown file $1 from heading $2 (exact line) to the next heading
# of the same or a higher level.
md_section() {
  awk -v head="$2" '
    $0 == head { on = 1; level = index(head, " "); next }
    on && /^#+ / { if (index($0, " ") <= level) exit }
    on { print }' "$1"
}

same() {  # same WHAT EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL: $1 differ:"
    diff <(echo "$2") <(echo "$3") | sed 's/^/    /' || true
    failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}

# ipsecctl: commands.
help=$("$ipsecctl" --help)
cmds_help=$(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' <<<"$help" | sort)
cmds_man=$(md_section "$man/ipsecctl.8.md" "# COMMANDS" | sed -n 's/^## //p' | sort)
same "ipsecctl commands: --help vs ipsecctl.8" "$cmds_help" "$cmds_man"
[[ -n $cmds_help ]] || { echo "FAIL: no commands in ipsecctl --help"; exit 1; }

# ipsecctl: global options.
global_help=$(awk '/^global options:/ { on = 1; next } /^$/ { on = 0 } on' <<<"$help" | long_options)
global_man=$(md_section "$man/ipsecctl.8.md" "# GLOBAL OPTIONS" | long_options)
same "ipsecctl global options: --help vs ipsecctl.8" "$global_help" "$global_man"

# ipsecctl: each command's options (every command takes --help; the man page
# says so once).
source "$root/packaging/completion/ipsecctl"
cmds_completion=$(tr ' ' '\n' <<<"$_ipsecctl_commands" | sort)
same "ipsecctl commands: --help vs completion" "$cmds_help" "$cmds_completion"
for cmd in $cmds_help; do
  set +e
  sub=$("$ipsecctl" "$cmd" --help 2>&1)
  rc=$?
  set -e
  if ((rc != 0)) || ! grep -q "^ipsecctl $cmd" <<<"$sub"; then
    echo "FAIL: 'ipsecctl $cmd --help' exited $rc: $sub"
    failures=$((failures + 1))
    continue
  fi
  opts_help=$(long_options <<<"$sub")
  opts_man=$( (md_section "$man/ipsecctl.8.md" "## $cmd"; echo '--help') | long_options)
  same "ipsecctl $cmd options: --help vs ipsecctl.8" "$opts_help" "$opts_man"
  opts_completion=$(_ipsecctl_command_options "$cmd" | tr ' ' '\n' | sort)
  same "ipsecctl $cmd options: --help vs completion" "$opts_help" "$opts_completion"
done

# The daemon's options.
opts_help=$("$charon" --help | long_options)
opts_man=$(md_section "$man/ikedaemon-charon.8.md" "# OPTIONS" | long_options)
same "charon options: --help vs ikedaemon-charon.8" "$opts_help" "$opts_man"

# Every man page converts without warnings.
if command -v pandoc >/dev/null; then
  for page in "$man"/*.md; do
    if ! out=$(pandoc --standalone --from markdown --to man "$page" 2>&1 >/dev/null) || [[ -n $out ]]; then
      echo "FAIL: pandoc $page: $out"
      failures=$((failures + 1))
    fi
  done
fi

((failures == 0)) || { echo "$failures mismatch(es)"; exit 1; }
echo "man pages and completion match --help"
