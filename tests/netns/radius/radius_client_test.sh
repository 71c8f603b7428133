#!/usr/bin/env bash
# radius.client: the daemon's RADIUS client (radius_tool) against FreeRADIUS
# in a second namespace: EAP-MD5 and EAP-MSCHAPv2 relayed to Access-Accept
# (Framed-IP-Address, MSK = the peer's MSK), accounting Start/Stop in
# FreeRADIUS's detail file, a wrong password rejected, a wrong secret and a
# stopped server reported unavailable within the retry budget, failover
# from a dead server to a live one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/freeradius.sh"

[[ -x ${RADIUS_TOOL:-} ]] || skip_or_fail "RADIUS_TOOL not built"
command -v freeradius >/dev/null || skip_or_fail "freeradius is not installed (scripts/setup-deps.sh)"
ns_available || skip_or_fail "needs root and network namespaces"

ns_workdir radc
show_fr_log() {
  local rc=$?
  if ((rc != 0)); then
    for f in "$work"/freeradius-*.log; do echo "---- $f" >&2; tail -n 80 "$f" >&2; done
  fi
  _ns_workdir_cleanup
}
trap 'show_fr_log' EXIT

ns_add gw
ns_add rad
ns_link gw rad 198.51.100.1/24 198.51.100.2/24
fr_setup "$work/fr" 198.51.100.1 testing123
fr_add_user "$work/fr" alice alicepass 10.3.0.77
fr_add_user "$work/fr" bob bobpass
fr_pid=$(ns_spawn rad freeradius -X -f -d "$work/fr/raddb")
wait_for 20 fr_listening rad || { echo "FAIL: freeradius did not start" >&2; exit 1; }

fails=0
run() {
  local name=$1
  shift
  local out rc=0
  out=$(ns_exec gw "$RADIUS_TOOL" "$@" 2>"$work/tool-$name.log") || rc=$?
  echo "$name: $out"
  if ((rc != 0)); then
    echo "FAIL: $name" >&2
    tail -n 30 "$work/tool-$name.log" >&2
    fails=$((fails + 1))
  fi
  last=$out
}
check() {
  if ! eval "$2"; then
    echo "FAIL: $1" >&2
    fails=$((fails + 1))
  fi
}

srv=(--server 198.51.100.2 --secret testing123)
run md5-accept "${srv[@]}" --user alice --password alicepass --method md5 --expect accept --framed-ip 10.3.0.77 --acct
check "md5: more than one round" '[[ $last =~ rounds=([0-9]+) ]] && ((BASH_REMATCH[1] >= 2))'
run mschapv2-accept "${srv[@]}" --user bob --password bobpass --method mschapv2 --expect accept
check "mschapv2: MSK from MS-MPPE keys equals the peer's" '[[ $last == *"msk_len=64 peer_msk_matches=1"* ]]'
run wrong-password "${srv[@]}" --user alice --password nope --method mschapv2 --expect reject
run unknown-user "${srv[@]}" --user mallory --password x --method md5 --expect reject
run wrong-secret --server 198.51.100.2 --secret wrong --user alice --password alicepass --timeout-ms 300 --tries 2 --expect unavailable
run failover --server 198.51.100.9,198.51.100.2 --secret testing123 --user alice --password alicepass --timeout-ms 300 --tries 2 --expect accept --framed-ip 10.3.0.77
check "failover: the dead server was retried" '[[ $last =~ retransmits=([0-9]+) ]] && ((BASH_REMATCH[1] >= 1))'

# Accounting records in FreeRADIUS's detail file.
wait_for 5 bash -c "grep -q 'Acct-Status-Type = Stop' <(find '$work/fr/radacct' -type f -name 'detail-*' -exec cat {} +)" || true
detail=$(fr_detail "$work/fr")
check "detail: Start" 'grep -q "Acct-Status-Type = Start" <<<"$detail"'
check "detail: Stop" 'grep -q "Acct-Status-Type = Stop" <<<"$detail"'
check "detail: Framed-IP-Address" 'grep -q "Framed-IP-Address = 10.3.0.77" <<<"$detail"'
check "detail: User-Name" 'grep -q "User-Name = \"alice\"" <<<"$detail"'
check "detail: Acct-Input-Octets" 'grep -q "Acct-Input-Octets = 12345" <<<"$detail"'
check "detail: Acct-Terminate-Cause" 'grep -q "Acct-Terminate-Cause = User-Request" <<<"$detail"'
check "detail: NAS-Port-Type" 'grep -q "NAS-Port-Type = Virtual" <<<"$detail"'

# The server stops: unavailable after tries x timeout, not before, not much later.
ns_stop_pid "$fr_pid"
run server-down "${srv[@]}" --user alice --password alicepass --timeout-ms 500 --tries 3 --expect unavailable
check "server down: within the retry budget (1.5 s)" \
  '[[ $last =~ elapsed_ms=([0-9]+) ]] && ((BASH_REMATCH[1] >= 1400 && BASH_REMATCH[1] <= 3000))'
check "server down: the error line" 'grep -q "RADIUS server(s) not responding" "$work/tool-server-down.log"'

if ((fails > 0)); then
  echo "FAIL: $fails check(s) failed" >&2
  exit 1
fi
echo "PASS: radius.client"
