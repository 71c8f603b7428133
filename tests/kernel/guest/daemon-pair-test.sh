#!/bin/bash
# Guest side of daemon_pair_vm (runs inside the VM with the host root shared,
# see tests/kernel/README.md and run-daemon-pair.sh). For every cell listed in
# $RESULTS/cells: namespaces a (198.51.100.1, protects 192.0.2.1) and b
# (198.51.100.2, protects 203.0.113.1) joined by a veth; our daemon in each
# with --backend netlink; `ipsecctl initiate` brings the tunnel up; both
# sides must list it, the kernel must hold the SAs and policies, ping must
# pass and the kernel's ESP counters must count it; then the tunnel goes
# away (terminate, or SIGTERM of a daemon with the tunnel up) and the
# kernel must hold nothing of ours on either side.
# Env: CHARON, IPSECCTL, RESULTS (the host's read-write share with configs).
set -u
charon=${CHARON:?} ipsecctl=${IPSECCTL:?} results=${RESULTS:?}
pass=0
fail=0
summary=()
say() { local up _; read -r up _ </proc/uptime; echo "[$up] $*"; }
ok() { pass=$((pass + 1)); summary+=("PASS $*"); say "PASS $*"; }
bad() { fail=$((fail + 1)); summary+=("FAIL $*"); say "FAIL $*"; }

# Waits up to $1 seconds of guest time for the command after it.
wait_for() {
  local limit=$1 up _
  shift
  read -r up _ </proc/uptime
  local deadline=$((${up%.*} + limit))
  until "$@" >/dev/null 2>&1; do
    read -r up _ </proc/uptime
    ((${up%.*} >= deadline)) && return 1
    sleep 0.2
  done
}

setup_net() {
  ip -batch - <<'IP' || return 1
netns add a
netns add b
link add va netns a type veth peer name vb netns b
IP
  ip -n a -batch - <<'IP' || return 1
link set lo up
link set va up
addr add 198.51.100.1/24 dev va
addr add 192.0.2.1/32 dev lo
route add 203.0.113.0/24 via 198.51.100.2 src 192.0.2.1
IP
  ip -n b -batch - <<'IP' || return 1
link set lo up
link set vb up
addr add 198.51.100.2/24 dev vb
addr add 203.0.113.1/32 dev lo
route add 192.0.2.0/24 via 198.51.100.1 src 203.0.113.1
IP
}
teardown_net() { ip netns del a 2>/dev/null; ip netns del b 2>/dev/null; }

ctl() { local n=$1; shift; "$ipsecctl" --socket "/tmp/pair/$n/control.sock" "$@"; }
pid_of() { cat "/tmp/pair/$1/charon.pid" 2>/dev/null; }

start_daemon() {  # NS CELL
  local n=$1 cell=$2
  mkdir -p "/tmp/pair/$n"
  cp -r "$results/$cell/$n/." "/tmp/pair/$n/"
  ip netns exec "$n" "$charon" --config "/tmp/pair/$n/swanctl.conf" --control-socket "/tmp/pair/$n/control.sock" \
    --pid-file "/tmp/pair/$n/charon.pid" --backend netlink --log-level info,ike=debug,kernel=debug \
    --retransmit-timeout 3 --retransmit-tries 3 >"/tmp/pair/$n/charon.log" 2>&1 </dev/null &
  wait_for 30 ctl "$n" version
}

# A child of this shell that has exited is a zombie until reaped: gone too.
gone() { [[ ! -e /proc/$1/status ]] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
stop_daemon() {  # NS: SIGTERM, wait for the exit (the daemon deletes its SAs first)
  local pid
  pid=$(pid_of "$1") || return 0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_for 30 gone "$pid" || { kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 1; }
  # Exit status 0, and no sanitizer report (ASan build) in its log.
  wait "$pid" 2>/dev/null || { echo "daemon $1 exited with status $?"; return 1; }
  ! grep -q 'Sanitizer' "/tmp/pair/$1/charon.log" || { grep -A20 'Sanitizer' "/tmp/pair/$1/charon.log"; return 1; }
}

established() { ctl "$1" --json list-sas | grep -q '"state": "INSTALLED"'; }
kernel_sas() { ip -n "$1" xfrm state | grep -c '^src '; }
# Policies of the tunnel's selectors (in, out, fwd).
kernel_policies() { ip -n "$1" xfrm policy | grep -cE '^src (192\.0\.2\.1/32 dst 203\.0\.113\.1|203\.0\.113\.1/32 dst 192\.0\.2\.1)/32'; }
spis() { ctl a --json list-sas | grep -o '"spi_in": "[0-9a-f]*"' | sort | tr '\n' ' '; }
kernel_clean() { [[ $(kernel_sas "$1") == 0 && $(kernel_policies "$1") == 0 ]]; }
# Smallest packet counter over the namespace's SAs ("lifetime current:" block).
min_packets() {
  ip -s -n "$1" xfrm state | awk '
    /lifetime current:/ { cur = 1; next }
    cur { sub(/\(packets\)/, "", $2); v = $2 + 0; if (min == "" || v < min) min = v; cur = 0 }
    END { print (min == "" ? -1 : min) }'
}

save_logs() {  # CELL
  local n
  for n in a b; do
    [[ -f /tmp/pair/$n/charon.log ]] && cp "/tmp/pair/$n/charon.log" "$results/$1/$n.log"
  done
}

run_cell() {  # NAME ESP ENCAP START
  local name=$1 esp=$2 encap=$3 start=$4 n
  say "== cell $name (ESP $esp, encap $encap, start_action $start)"
  rm -rf /tmp/pair
  teardown_net
  setup_net || { bad "$name: network setup"; return; }
  for n in a b; do
    if ! start_daemon "$n" "$name"; then
      bad "$name: daemon $n did not start"
      stop_daemon a; stop_daemon b
      save_logs "$name"
      return
    fi
  done
  # The daemons dropped every capability but CAP_NET_ADMIN; all below runs so.
  local d
  for n in a b; do
    d=$(awk '$1 == "CapEff:" || $1 == "CapBnd:" { printf "%s ", $2 }' "/proc/$(pid_of $n)/status")
    if [[ $d == "0000000000001000 0000000000001000 " ]]; then
      ok "$name: daemon $n runs with cap_net_admin only"
    else
      bad "$name: daemon $n capabilities (CapEff CapBnd): $d"
    fi
  done
  if [[ $start == trap ]]; then
    # No initiate: a's trap policies make the kernel send an ACQUIRE for
    # the first packet (which the larval SA drops), and a brings it up.
    local p
    p=$(kernel_policies a)
    if [[ $p == 1 && $(kernel_sas a) == 0 ]] && ip -n a xfrm policy list dir out | grep -q '^src 192\.0\.2\.1/32'; then
      ok "$name: a installed its outbound trap policy and no SA"
    else
      bad "$name: before traffic a holds $p policies and $(kernel_sas a) SAs (want the out trap policy and 0)"
    fi
    ip netns exec a ping -q -c 1 -W 1 -I 192.0.2.1 203.0.113.1 >/dev/null 2>&1
  elif ! ctl a initiate --child net --timeout 60; then
    bad "$name: initiate"
    for n in a b; do stop_daemon $n; done
    save_logs "$name"
    return
  fi
  if wait_for 30 established a && wait_for 30 established b; then
    ok "$name: list-sas shows the CHILD_SA installed on both sides"
  else
    bad "$name: not established on both sides"; ctl a list-sas; ctl b list-sas
    for n in a b; do stop_daemon $n; done
    save_logs "$name"
    return
  fi
  ctl a list-sas
  for n in a b; do
    local sas pols
    sas=$(kernel_sas $n) pols=$(kernel_policies $n)
    if [[ $sas == 2 && $pols == 3 ]]; then
      ok "$name: kernel in $n holds 2 SAs and 3 policies"
    else
      bad "$name: kernel in $n holds $sas SAs and $pols policies (want 2 and 3)"
      ip -n $n xfrm state; ip -n $n xfrm policy
    fi
  done
  if [[ $encap == yes ]]; then
    local e
    e=$(ip -n a xfrm state | grep -c 'encap type espinudp sport 4500 dport 4500')
    if [[ $e == 2 ]]; then ok "$name: both SAs are ESP-in-UDP on 4500"; else bad "$name: $e of 2 SAs UDP-encapsulated"; ip -n a xfrm state; fi
  fi
  if ip netns exec a ping -q -c 3 -i 0.3 -W 5 -I 192.0.2.1 203.0.113.1; then
    ok "$name: ping through the tunnel"
  else
    bad "$name: ping through the tunnel"
  fi
  for n in a b; do
    local m
    m=$(min_packets $n)
    if ((m >= 3)); then
      ok "$name: kernel ESP counted >= 3 packets on each SA in $n (min $m)"
    else
      bad "$name: kernel ESP counters in $n: min $m packets"; ip -s -n $n xfrm state
    fi
  done
  if [[ $name == psk ]]; then
    # CHILD_SA rekey: new SPIs (ALLOCSPI + UPDSA again), the old SAs go.
    local before
    before=$(spis)
    ctl a rekey --child net || bad "$name: rekey command"
    if wait_for 30 eval '[[ $(spis) != "$before" && $(kernel_sas a) == 2 && $(kernel_sas b) == 2 ]]'; then
      ok "$name: CHILD_SA rekeyed, the kernel holds only the 2 new SAs on each side"
    else
      bad "$name: rekey: SPIs $before -> $(spis), kernel SAs a $(kernel_sas a) b $(kernel_sas b)"
      ip -n a xfrm state
    fi
    if ip netns exec a ping -q -c 3 -i 0.3 -W 5 -I 192.0.2.1 203.0.113.1 >/dev/null && (($(min_packets a) >= 3)); then
      ok "$name: traffic through the rekeyed SAs (kernel counters)"
    else
      bad "$name: no traffic through the rekeyed SAs (min counter $(min_packets a))"
    fi
    # MOBIKE (RFC 4555): a's address changes to 198.51.100.11; its address
    # monitor sends UPDATE_SA_ADDRESSES and both kernels' SAs move (GETSA,
    # NEWSA at the new addresses, DELSA) with the same SPIs, no rekey.
    local ike_before kids_before
    ike_before=$(ctl b --json list-sas | grep -oE '"spi_(i|r)": "[0-9a-f]+"' | sort | tr '\n' ' ')
    kids_before=$(spis)
    ip netns exec a sysctl -qw net.ipv4.conf.va.promote_secondaries=1
    ip -n a addr add 198.51.100.11/24 dev va
    ip -n a addr del 198.51.100.1/24 dev va
    ip -n a route replace 203.0.113.0/24 via 198.51.100.2 src 192.0.2.1
    moved() {
      ctl b --json list-sas | tr -d ' \n' | grep -q '"remote":{"host":"198.51.100.11"' &&
        [[ $(ip -n b xfrm state | grep -c '198\.51\.100\.11') == 2 && $(ip -n a xfrm state | grep -c '198\.51\.100\.11') == 2 ]]
    }
    if wait_for 30 moved; then
      ok "$name: MOBIKE: b follows a to 198.51.100.11, both kernels' SAs moved"
    else
      bad "$name: MOBIKE: not moved"; ctl b list-sas; ip -n a xfrm state; ip -n b xfrm state
    fi
    local ike_after
    ike_after=$(ctl b --json list-sas | grep -oE '"spi_(i|r)": "[0-9a-f]+"' | sort | tr '\n' ' ')
    if [[ $ike_after == "$ike_before" && $(spis) == "$kids_before" && $(kernel_sas a) == 2 && $(kernel_sas b) == 2 ]]; then
      ok "$name: MOBIKE: same IKE and CHILD_SA SPIs, 2 SAs per kernel"
    else
      bad "$name: MOBIKE: SPIs $ike_before/$kids_before -> $ike_after/$(spis), SAs a $(kernel_sas a) b $(kernel_sas b)"
    fi
    # (Re-added SAs count from zero: the kernel keeps no usage over NEWSA.)
    if ip netns exec a ping -q -c 3 -i 0.3 -W 5 -I 192.0.2.1 203.0.113.1 >/dev/null && (($(min_packets b) >= 3)); then
      ok "$name: MOBIKE: traffic through the moved SAs (kernel counters)"
    else
      bad "$name: MOBIKE: no traffic after the move (min counter $(min_packets b))"
      ip -s -n b xfrm state; ip -n b xfrm policy
    fi
  fi
  if [[ $name == natt-gcm ]]; then
    # SIGHUP reload with dropped capabilities: applied, the tunnel stays.
    kill -HUP "$(pid_of a)"
    if wait_for 20 eval "ctl a --json stats | grep -q '\"config_reloads\": [1-9]'" &&
       established a && ip netns exec a ping -q -c 2 -i 0.3 -W 5 -I 192.0.2.1 203.0.113.1 >/dev/null; then
      ok "$name: SIGHUP reload applied, the tunnel still carries traffic"
    else
      bad "$name: SIGHUP reload"; ctl a stats
    fi
  fi
  if [[ $name == ecdsa ]]; then
    # SIGTERM with the tunnel up: a deletes what it installed (and tells b).
    stop_daemon a || bad "$name: daemon a did not exit cleanly on SIGTERM"
    if kernel_clean a; then ok "$name: SIGTERM left nothing in a's kernel"; else bad "$name: SIGTERM left SAs/policies in a"; ip -n a xfrm state; ip -n a xfrm policy; fi
    if wait_for 20 kernel_clean b; then ok "$name: b removed its SAs after a's Delete"; else bad "$name: b kept SAs after a stopped"; fi
  else
    if ctl a terminate --ike pair --timeout 30; then
      ok "$name: terminate"
    else
      bad "$name: terminate"
    fi
    ctl a --json list-sas | grep -q '"ike_sas": \[\]' || bad "$name: a still lists SAs after terminate"
    wait_for 20 eval "ctl b --json list-sas | grep -q '\"ike_sas\": \[\]'" || bad "$name: b still lists SAs after terminate"
    if [[ $start == trap ]]; then
      # The trap policies stay (the connection is still loaded); the SAs go.
      if wait_for 10 eval '[[ $(kernel_sas a) == 0 && $(kernel_policies a) == 1 ]]'; then
        ok "$name: terminate removed a's SAs and left its trap policy"
      else
        bad "$name: after terminate a holds $(kernel_sas a) SAs and $(kernel_policies a) policies (want 0 and 1)"
        ip -n a xfrm state; ip -n a xfrm policy
      fi
    fi
    for n in a b; do
      [[ $start == trap && $n == a ]] && continue
      if wait_for 10 kernel_clean $n; then
        ok "$name: terminate left nothing in $n's kernel"
      else
        bad "$name: SAs/policies left in $n after terminate"; ip -n $n xfrm state; ip -n $n xfrm policy
      fi
    done
  fi
  for n in a b; do stop_daemon $n || bad "$name: daemon $n did not exit cleanly on SIGTERM"; done
  # Nothing at all is left once both daemons are gone.
  for n in a b; do
    if [[ -z $(ip -n $n xfrm state) && -z $(ip -n $n xfrm policy) ]]; then
      ok "$name: no SA or policy in $n after both daemons stopped"
    else
      bad "$name: kernel state left in $n after both daemons stopped"; ip -n $n xfrm state; ip -n $n xfrm policy
    fi
  done
  save_logs "$name"
}

while read -r name esp encap start; do
  run_cell "$name" "$esp" "$encap" "$start"
done <"$results/cells"
teardown_net
say "== summary"
printf '%s\n' "${summary[@]}" | tee "$results/summary.txt"
say "daemon pair: $pass passed, $fail failed"
((fail == 0 && pass > 0))
