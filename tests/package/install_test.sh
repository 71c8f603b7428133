#!/usr/bin/env bash
# The Debian package installed and run as a user would:
#  1. build the .deb with scripts/package.sh (or take it from $IKE_PKG_DEB_DIR),
#  2. apt-get install it next to strongSwan's packages (no shared path),
#  3. check files, modes, conffiles, the group, man pages, the completion,
#  4. run the unit's ExecStart in a network namespace the way systemd would:
#     a read-only file system but for its RuntimeDirectory (ProtectSystem=strict,
#     protect_system.sh), its capability bounding/ambient sets, supplementary
#     group and no_new_privs (setpriv), NOTIFY_SOCKET on a test socket and
#     WATCHDOG_USEC: READY=1 then WATCHDOG=1 must arrive,
#  5. load the example from the shipped config, add a connection in conf.d/,
#     reload with the unit's ExecReload, bring a tunnel up against a second
#     instance of the installed daemon in another namespace and ping through,
#  6. stop (STOPPING=1), apt-get remove (conffiles stay), apt-get purge
#     (nothing left, group gone).
# Needs root; skips (77) otherwise, fails instead under CI=true. Cleans up on
# any exit: its processes (by PID), namespaces, the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/package
cd "$root"
export NS_PREFIX=ikepkg$$
source tests/lib/netns.sh
source tests/lib/swanctl.sh

[[ $(id -u) -eq 0 ]] || skip_or_fail "package.install needs root (it installs and purges a package)"
ns_available || skip_or_fail "network namespaces unavailable"
for tool in apt-get dpkg setpriv python3 ping; do
  command -v "$tool" >/dev/null || skip_or_fail "$tool missing"
done
[[ -c /dev/net/tun ]] || skip_or_fail "/dev/net/tun missing (the userspace data path needs it)"
if dpkg-query -W -f='${Status}' ikedaemon 2>/dev/null | grep -qv "not-installed"; then
  skip_or_fail "ikedaemon is already installed here; this test installs and purges it"
fi
if [[ -S /run/ikedaemon/control.sock ]] && ipsec_live=$(python3 - <<'PY'
import socket
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("/run/ikedaemon/control.sock"); print("live")
except OSError:
    pass
PY
) && [[ $ipsec_live == live ]]; then
  skip_or_fail "an ikedaemon is already running on /run/ikedaemon/control.sock"
fi

work=$(mktemp -d /tmp/ikepkg.XXXXXX)
export NS_LOGDIR=$work
created_rundir=0
notify_pid=""
installed=0

on_exit() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    for f in "$work"/*.log; do
      [[ -f $f ]] && { echo "---- $f" >&2; tail -n 40 "$f" >&2; }
    done
  fi
  # The listener first: ns_cleanup waits for every child of this shell.
  [[ -n $notify_pid ]] && kill "$notify_pid" 2>/dev/null && wait "$notify_pid" 2>/dev/null
  ns_cleanup
  rm -f /etc/ikedaemon/conf.d/pkgtest.conf /etc/ikedaemon/conf.d/pkgtest-broken.conf
  if ((installed)); then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq ikedaemon >/dev/null 2>&1 ||
      echo "cleanup: purging ikedaemon failed" >&2
  fi
  ((created_rundir)) && rm -rf /run/ikedaemon
  rm -rf "$work"
  exit "$rc"
}
trap on_exit EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "ok: $1"; else fail "$1"; fi
}

# ---- 1. the package
if [[ -n ${IKE_PKG_DEB_DIR:-} ]]; then
  deb_dir=$IKE_PKG_DEB_DIR
else
  for tool in dpkg-buildpackage dh pandoc; do
    command -v "$tool" >/dev/null || skip_or_fail "$tool missing (scripts/setup-deps.sh installs it)"
  done
  deb_dir=${IKE_PKG_OUT:-$root/build-pkg}
  echo "== scripts/package.sh $deb_dir"
  scripts/package.sh "$deb_dir" >"$work/package-build.log" 2>&1 || {
    tail -n 60 "$work/package-build.log"
    fail "scripts/package.sh failed"
  }
  grep -A40 '^== lintian' "$work/package-build.log" || true
fi
deb=$(ls -1 "$deb_dir"/ikedaemon_*.deb 2>/dev/null | sort -V | tail -n 1)
[[ -n $deb ]] || fail "no ikedaemon_*.deb in $deb_dir"
deb=$(realpath "$deb")
echo "== package: $deb"

# ---- 2. install next to strongSwan
strongswan=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'strongswan*' 'libstrongswan*' 'libcharon*' \
  2>/dev/null | awk '$1 == "ii" { print $2 }' | tr '\n' ' ')
echo "== strongSwan packages installed: ${strongswan:-none}"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$deb" >"$work/apt-install.log" 2>&1 ||
  { cat "$work/apt-install.log"; fail "apt-get install $deb"; }
check "package installed" dpkg-query -W -f='${Status}\n' ikedaemon
dpkg -L ikedaemon | sort >"$work/files"
shared=0
while read -r path; do
  [[ -d $path ]] && continue  # directories (and /lib, a symlink to one) are shared
  owners=$(dpkg -S "$path" 2>/dev/null | sed 's/: .*//' | sed 's/, /\n/g' | sort -u | tr '\n' ' ')
  if [[ $owners != "ikedaemon " ]]; then
    echo "shared path: $path ($owners)"
    shared=1
  fi
done <"$work/files"
check "no file shared with another package (strongSwan: ${strongswan:-not installed})" test "$shared" = 0

# ---- 3. files, modes, group
mode() { stat -c '%a %U:%G' "$1"; }
check "daemon binary" test "$(mode /usr/sbin/ikedaemon-charon)" = "755 root:root"
check "ipsecctl binary" test "$(mode /usr/sbin/ipsecctl)" = "755 root:root"
check "ikedaemon.conf 0644" test "$(mode /etc/ikedaemon/ikedaemon.conf)" = "644 root:root"
check "secrets.conf 0600" test "$(mode /etc/ikedaemon/secrets.conf)" = "600 root:root"
check "conf.d/ directory" test -d /etc/ikedaemon/conf.d
check "private/ directory 0700" test "$(mode /etc/ikedaemon/private)" = "700 root:root"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' ikedaemon | awk 'NF { print $1 }' | sort | tr '\n' ' ')
check "conffiles: $conffiles" test "$conffiles" = "/etc/ikedaemon/ikedaemon.conf /etc/ikedaemon/secrets.conf "
unit=/lib/systemd/system/ikedaemon.service
check "systemd unit" test -f "$unit"
check "unit not enabled by the package" test ! -e /etc/systemd/system/multi-user.target.wants/ikedaemon.service
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify" systemd-analyze verify "$unit"
  systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -n 1 || true
fi
man_excluded=0  # minimal images tell dpkg not to unpack man pages
grep -rqs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/ && man_excluded=1
for page in man8/ikedaemon-charon.8 man8/ipsecctl.8 man5/ikedaemon.conf.5; do
  if ((man_excluded)); then
    check "man page $page in the package (dpkg excludes /usr/share/man here)" \
      bash -c "dpkg-deb -c '$deb' | grep -q '/usr/share/man/$page.gz'"
    continue
  fi
  check "man page $page" gzip -t "/usr/share/man/$page.gz"
  if command -v man >/dev/null; then
    warnings=$(MANWIDTH=80 man --warnings -l "/usr/share/man/$page.gz" 2>&1 >/dev/null || true)
    check "man $page renders without warnings" test -z "$warnings"
  fi
done
completion=/usr/share/bash-completion/completions/ipsecctl
check "bash completion" bash -c "source $completion && complete -p ipsecctl >/dev/null"
check "control group exists" getent group ikedaemon
gid=$(getent group ikedaemon | cut -d: -f3)
check "installed binaries' docs match their --help" env CHARON=/usr/sbin/ikedaemon-charon IPSECCTL=/usr/sbin/ipsecctl \
  bash "$here/docs_test.sh" >"$work/docs.log"

# ---- 4. ExecStart the way systemd runs it
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
exec_start=$(unit_value ExecStart)
exec_reload=$(unit_value ExecReload)
caps=$(unit_value CapabilityBoundingSet)
ambient=$(unit_value AmbientCapabilities)
check "Type=notify" test "$(unit_value Type)" = notify
check "WatchdogSec set" test -n "$(unit_value WatchdogSec)"
check "RuntimeDirectory=ikedaemon" test "$(unit_value RuntimeDirectory)" = ikedaemon
check "NoNewPrivileges=yes" test "$(unit_value NoNewPrivileges)" = yes
capset() { tr '[:upper:]' '[:lower:]' <<<"$1" | sed 's/cap_//g' | tr ' ' '\n' | grep -v '^$' | sed 's/^/+/' | paste -sd, -; }
read -r -a start_argv <<<"$exec_start"
read -r -a reload_argv <<<"$exec_reload"
echo "== ExecStart: $exec_start"

if [[ ! -d /run/ikedaemon ]]; then
  install -d -m "$(unit_value RuntimeDirectoryMode)" /run/ikedaemon
  created_rundir=1
fi
python3 "$here/notify_listener.py" "$work/notify.sock" "$work/notify.txt" &
notify_pid=$!
wait_for 5 test -S "$work/notify.sock" || fail "notify listener did not start"

ns_add a
ns_add b
ns_link a b 198.51.100.1/24 198.51.100.2/24
ns_exec a ip addr add 192.0.2.1/32 dev lo
ns_exec b ip addr add 203.0.113.1/32 dev lo

watchdog_usec=2000000  # the unit asks for more; 2 s keeps the test short
writable=(/run/"$(unit_value RuntimeDirectory)")
read -r -a extra_rw <<<"$(unit_value ReadWritePaths)"
writable+=("${extra_rw[@]}")
check "ProtectSystem=strict" test "$(unit_value ProtectSystem)" = strict
ip netns exec "$(ns_name a)" unshare --mount --propagation private \
  bash "$here/protect_system.sh" "${writable[@]}" -- \
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=$watchdog_usec \
  setpriv --bounding-set "-all,$(capset "$caps")" --inh-caps "-all,$(capset "$ambient")" \
  --ambient-caps "-all,$(capset "$ambient")" --groups "$gid" --no-new-privs -- \
  "${start_argv[@]}" >"$work/charon-a.log" 2>&1 </dev/null &
daemon_a=$!
NS_PIDS+=("$daemon_a")
wait_for 20 grep -q 'READY=1' "$work/notify.txt" ||
  fail "no READY=1 on NOTIFY_SOCKET ($(cat "$work/notify.txt" 2>/dev/null))"
echo "ok: READY=1: $(grep 'READY=1' "$work/notify.txt" | head -n 1)"
wait_for 5 grep -q 'WATCHDOG=1' "$work/notify.txt" || fail "no WATCHDOG=1 within 5 s (WATCHDOG_USEC=$watchdog_usec)"
echo "ok: WATCHDOG=1"
sock=/run/ikedaemon/control.sock
check "control socket 0660 root:ikedaemon" test "$(mode "$sock")" = "660 root:ikedaemon"
check "ipsecctl version (default socket)" ipsecctl version
check "ikedaemon as primary group may use the socket" \
  setpriv --reuid=nobody --regid=ikedaemon --clear-groups ipsecctl version
check "ikedaemon as supplementary group may use the socket" \
  setpriv --reuid=nobody --regid=nogroup --groups="$gid" ipsecctl version
set +e
setpriv --reuid=nobody --regid=nogroup --clear-groups ipsecctl version >/dev/null 2>&1
rc=$?
set -e
check "others may not (exit $rc)" test "$rc" -ne 0

# ---- 5. the shipped example parses; a tunnel with the installed binaries
mkdir -p "$work/example"
for f in ikedaemon.conf secrets.conf; do
  sed -n '/^# example-begin/,/^# example-end/{/^# example-/d; s/^#//; p}' "/etc/ikedaemon/$f"
done >"$work/example/example.conf"
check "the example in ikedaemon.conf and secrets.conf loads" ipsecctl load --file "$work/example/example.conf"
check "example connection listed" bash -c "ipsecctl list-conns | grep -q site-b"
check "back to the shipped configuration" ipsecctl load --file /etc/ikedaemon/ikedaemon.conf

psk=$(openssl rand -base64 24 2>/dev/null || head -c 24 /dev/urandom | base64)
swanctl_psk_conf /etc/ikedaemon/conf.d/pkgtest.conf pkgtest 198.51.100.1 198.51.100.2 192.0.2.0/24 203.0.113.0/24 \
  a.example.org b.example.org "$psk"
chmod 0600 /etc/ikedaemon/conf.d/pkgtest.conf
mkdir -p "$work/b"
swanctl_psk_conf "$work/b/swanctl.conf" pkgtest 198.51.100.2 198.51.100.1 203.0.113.0/24 192.0.2.0/24 \
  b.example.org a.example.org "$psk"
check "ExecReload: $exec_reload" "${reload_argv[@]}"
check "connection from conf.d loaded" bash -c "ipsecctl list-conns | grep -q pkgtest"
printf 'connections {\n  pkgtest-broken {\n    no_such_key = 1\n  }\n}\n' >/etc/ikedaemon/conf.d/pkgtest-broken.conf
set +e
"${reload_argv[@]}" >"$work/reload-rejected.log" 2>&1
rc=$?
set -e
check "ExecReload fails on a bad file (exit $rc), naming file and key" \
  grep -q 'pkgtest-broken.conf:3: connections.pkgtest-broken.no_such_key' "$work/reload-rejected.log"
test "$rc" -ne 0 || fail "ExecReload exited 0 on a bad file"
rm -f /etc/ikedaemon/conf.d/pkgtest-broken.conf
check "the running configuration stayed" bash -c "ipsecctl list-conns | grep -q pkgtest"

ip netns exec "$(ns_name b)" /usr/sbin/ikedaemon-charon --config "$work/b/swanctl.conf" \
  --control-socket "$work/b/control.sock" --backend auto --tun ipsec-b >"$work/charon-b.log" 2>&1 </dev/null &
NS_PIDS+=("$!")
wait_for 20 ipsecctl --socket "$work/b/control.sock" version || fail "peer daemon did not start"
check "ipsecctl initiate --child net" ipsecctl initiate --child net --timeout 20
check "ping through the tunnel" ns_exec a ping -c 3 -i 0.2 -W 2 -I 192.0.2.1 203.0.113.1
ipsecctl list-sas

# ---- 6. stop, remove, purge
kill -TERM "$daemon_a"
set +e
timeout 30 tail --pid="$daemon_a" -f /dev/null
wait "$daemon_a"
rc=$?
set -e
check "daemon exits 0 on SIGTERM" test "$rc" = 0
check "STOPPING=1 sent" grep -q 'STOPPING=1' "$work/notify.txt"
rm -f /etc/ikedaemon/conf.d/pkgtest.conf

DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 remove -y -qq ikedaemon >"$work/apt-remove.log" 2>&1 ||
  { cat "$work/apt-remove.log"; fail "apt-get remove"; }
check "removed: config-files state" test "$(dpkg-query -W -f='${db:Status-Abbrev}' ikedaemon | tr -d ' ')" = rc
check "removed: binaries gone" test ! -e /usr/sbin/ikedaemon-charon -a ! -e /usr/sbin/ipsecctl
check "removed: conffiles stay" test -f /etc/ikedaemon/ikedaemon.conf -a -f /etc/ikedaemon/secrets.conf

DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq ikedaemon >"$work/apt-purge.log" 2>&1 ||
  { cat "$work/apt-purge.log"; fail "apt-get purge"; }
installed=0
check "purged: not known to dpkg" bash -c "! dpkg-query -W -f='\${db:Status-Abbrev}' ikedaemon 2>/dev/null | grep -q '^[a-z]c'"
left=()
while read -r path; do
  case $path in
    /etc/ikedaemon* | /usr/sbin/ikedaemon-charon | /usr/sbin/ipsecctl | */ikedaemon* | */ipsecctl*) ;;
    *) [[ -d $path ]] && continue ;;  # shared directories (/usr, /etc...)
  esac
  [[ -e $path || -L $path ]] && left+=("$path")
done <"$work/files"
check "purged: nothing left (${left[*]:-})" test "${#left[@]}" = 0
check "purged: /etc/ikedaemon gone" test ! -e /etc/ikedaemon
check "purged: group gone" bash -c "! getent group ikedaemon >/dev/null"
echo "PASS: package installed, ran, brought a tunnel up, removed and purged"
