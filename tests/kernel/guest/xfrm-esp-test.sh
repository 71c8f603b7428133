#!/bin/bash
# Guest side of the kernel ESP test (runs inside the VM with the host root
# shared, see tests/kernel/README.md). Two network namespaces a and b joined
# by a veth; our NetlinkBackend (through $DRIVER, tests/kernel/xfrm_driver)
# installs SA pairs and policies in both; ping must pass and the SA counters,
# read back through our GETSA API, must show that the kernel did ESP/AH.
# Env: DRIVER (required), RESULTS (optional directory for summary.txt),
# IKE_KERNEL_QUICK=1 runs a single case.
set -u
D=${DRIVER:?DRIVER must name the xfrm_driver binary}
pass=0
fail=0
summary=()
# Every process costs 0.1-1 s under TCG: builtins and batched ip where possible.
say() { local up _; read -r up _ </proc/uptime; echo "[$up] $*"; }
ok() { pass=$((pass + 1)); summary+=("PASS $*"); say "PASS $*"; }
bad() { fail=$((fail + 1)); summary+=("FAIL $*"); say "FAIL $*"; }

setup() {
  ip -batch - <<'IP' || return 1
netns add a
netns add b
link add va netns a address 02:00:00:00:00:0a type veth peer name vb netns b address 02:00:00:00:00:0b
IP
  # Inner (protected) addresses for tunnel mode live on lo; nodad makes an
  # IPv6 one usable at once (else the route's src can race its DAD work
  # under TCG: "Invalid source address"); static
  # neighbours avoid ARP/ND races with the policies.
  ip -n a -batch - <<'IP' || return 1
link set lo up
link set va up
addr add 192.0.2.1/24 dev va
addr add 2001:db8::1/64 dev va nodad
addr add 10.0.1.1/32 dev lo
addr add 2001:db8:1::1/128 dev lo nodad
route add 10.0.2.1/32 via 192.0.2.2 src 10.0.1.1
route add 2001:db8:2::1/128 via 2001:db8::2 src 2001:db8:1::1
neigh replace 192.0.2.2 lladdr 02:00:00:00:00:0b dev va nud permanent
neigh replace 2001:db8::2 lladdr 02:00:00:00:00:0b dev va nud permanent
IP
  ip -n b -batch - <<'IP' || return 1
link set lo up
link set vb up
addr add 192.0.2.2/24 dev vb
addr add 2001:db8::2/64 dev vb nodad
addr add 10.0.2.1/32 dev lo
addr add 2001:db8:2::1/128 dev lo nodad
route add 10.0.1.1/32 via 192.0.2.1 src 10.0.2.1
route add 2001:db8:1::1/128 via 2001:db8::1 src 2001:db8:2::1
neigh replace 192.0.2.1 lladdr 02:00:00:00:00:0a dev vb nud permanent
neigh replace 2001:db8::1 lladdr 02:00:00:00:00:0a dev vb nud permanent
IP
}

start_encap() {  # family: a holder process per namespace (daemonised once ready)
  local n
  for n in a b; do
    "$D" --netns $n encap-socket --family "$1" --daemon /tmp/encap-$n.pid || return 1
  done
}
stop_encap() {
  local n pid
  for n in a b; do
    [[ -f /tmp/encap-$n.pid ]] || continue
    read -r pid </tmp/encap-$n.pid
    kill "$pid" 2>/dev/null
    rm -f /tmp/encap-$n.pid
  done
}

cleanup_xfrm() {
  local n
  for n in a b; do printf 'xfrm state flush\nxfrm policy flush\n' | ip -n $n -batch -; done
}

# run_case NAME ALG MODE FAMILY ENCAP(0|1) EXPECT(pass|fail)
case_no=0
run_case() {
  local name=$1 alg=$2 mode=$3 fam=$4 encap=$5 expect=$6
  case_no=$((case_no + 1))
  local spi_ab spi_ba proto=esp
  printf -v spi_ab '%08x' $((0xa0000000 + case_no))
  printf -v spi_ba '%08x' $((0xb0000000 + case_no))
  [[ $alg == ah-* ]] && proto=ah
  local A B LN RN src dst
  if [[ $fam == 4 ]]; then
    A=192.0.2.1 B=192.0.2.2 LN=10.0.1.1/32 RN=10.0.2.1/32
    if [[ $mode == tunnel ]]; then src=10.0.1.1 dst=10.0.2.1; else src=$A dst=$B; fi
  else
    A=2001:db8::1 B=2001:db8::2 LN=2001:db8:1::1/128 RN=2001:db8:2::1/128
    if [[ $mode == tunnel ]]; then src=2001:db8:1::1 dst=2001:db8:2::1; else src=$A dst=$B; fi
  fi
  local flags=() bflags=()
  ((encap)) && flags+=(--encap)
  [[ $expect == fail ]] && bflags+=(--no-in-sa)
  ((encap)) && { start_encap "$fam" || { bad "$name: encap sockets"; return; }; }
  if ! "$D" --netns a install --alg "$alg" --mode "$mode" --local $A --remote $B \
         --local-net $LN --remote-net $RN --spi-out $spi_ab --spi-in $spi_ba --reqid $case_no "${flags[@]}" ||
     ! "$D" --netns b install --alg "$alg" --mode "$mode" --local $B --remote $A \
         --local-net $RN --remote-net $LN --spi-out $spi_ba --spi-in $spi_ab --reqid $case_no \
         "${flags[@]}" "${bflags[@]}"; then
    bad "$name: install"
    stop_encap; cleanup_xfrm
    return
  fi
  local ping_rc
  # A starved TCG guest can be slow: wait longer for replies that should come.
  local wait=5
  [[ $expect == fail ]] && wait=2
  ip netns exec a ping -q -c 3 -i 0.2 -W $wait -I $src $dst >/tmp/ping.log 2>&1
  ping_rc=$?
  if [[ $expect == fail ]]; then
    if ((ping_rc != 0)); then
      ok "$name: ping fails as it must"
    else
      bad "$name: ping passed although b has no inbound SA"
    fi
    stop_encap; cleanup_xfrm
    return
  fi
  if ((ping_rc != 0)); then
    bad "$name: ping failed"; cat /tmp/ping.log
    ip -n a -s xfrm state; cat /proc/net/xfrm_stat | grep -v '	0$'
    stop_encap; cleanup_xfrm
    return
  fi
  # Each of the four SAs carried at least the 3 echo requests / replies.
  if "$D" --netns a counters --min-packets 3 --sas "$B/$spi_ab/$proto,$A/$spi_ba/$proto" &&
     "$D" --netns b counters --min-packets 3 --sas "$B/$spi_ab/$proto,$A/$spi_ba/$proto"; then
    ok "$name: ping through the kernel's $proto, counters >= 3 on all 4 SAs"
  else
    bad "$name: SA counters too low"
  fi
  stop_encap
  cleanup_xfrm
}

say "guest test starts on $(uname -r)"
if ! setup; then
  echo "setup failed"
  exit 1
fi
say "namespaces ready"

if "$D" --netns a probe >/tmp/probe.log 2>&1; then
  ok "capability probe: kernel ESP available"
else
  bad "capability probe says no ESP"
fi
cat /tmp/probe.log

run_case "AES-GCM tunnel IPv4" gcm tunnel 4 0 pass
if [[ -z ${IKE_KERNEL_QUICK:-} ]]; then
  run_case "ChaCha20-Poly1305 tunnel IPv6" chacha tunnel 6 0 pass
  run_case "AES-CBC+HMAC-SHA256 tunnel IPv4 UDP-encap" cbc-sha256 tunnel 4 1 pass
  run_case "AES-GCM transport IPv4" gcm transport 4 0 pass
  run_case "AES-CBC+HMAC-SHA256 transport IPv6" cbc-sha256 transport 6 0 pass
  run_case "ChaCha20-Poly1305 transport IPv4 UDP-encap" chacha transport 4 1 pass
  run_case "AES-GCM-256 tunnel IPv6 UDP-encap" gcm256 tunnel 6 1 pass
  run_case "AES-CBC+HMAC-SHA256 tunnel IPv6" cbc-sha256 tunnel 6 0 pass
  run_case "AES-GCM tunnel IPv4 ESN" gcm tunnel 4 0 pass
  run_case "AH HMAC-SHA256 tunnel IPv4" ah-sha256 tunnel 4 0 pass
fi
run_case "negative control: AES-GCM tunnel IPv4 without b's inbound SA" gcm tunnel 4 0 fail

# NAT-T: a sends ESP-in-UDP from port 4501 while b's inbound SA expects
# 4500, so b's kernel reports a MAPPING change through our event API.
mapping_case() {
  local line="" tries=0 mp
  "$D" --netns b mapping --timeout-ms 15000 >/tmp/map.log 2>&1 &
  mp=$!
  while ((tries++ < 100)); do
    read -r line </tmp/map.log 2>/dev/null
    [[ $line == ready* ]] && break
    sleep 0.1
  done
  start_encap 4 || { bad "MAPPING: encap sockets"; kill $mp; return; }
  "$D" --netns a install --alg gcm --mode tunnel --local 192.0.2.1 --remote 192.0.2.2 \
    --local-net 10.0.1.1/32 --remote-net 10.0.2.1/32 --spi-out c0000001 --spi-in c0000002 \
    --reqid 70 --encap --encap-sport 4501 >/dev/null &&
  "$D" --netns b install --alg gcm --mode tunnel --local 192.0.2.2 --remote 192.0.2.1 \
    --local-net 10.0.2.1/32 --remote-net 10.0.1.1/32 --spi-out c0000002 --spi-in c0000001 \
    --reqid 70 --encap >/dev/null
  ip netns exec a ping -q -c 2 -i 0.2 -W 2 -I 10.0.1.1 10.0.2.1 >/dev/null 2>&1
  if wait $mp; then
    ok "MAPPING event for a NAT port change: $(</tmp/map.log)"
  else
    bad "no MAPPING event"; cat /tmp/map.log
  fi
  stop_encap
  cleanup_xfrm
}
[[ -z ${IKE_KERNEL_QUICK:-} ]] && mapping_case

if "$D" --netns a acquire --local 192.0.2.1 --remote 192.0.2.2 --reqid 99 >/tmp/acq.log 2>&1; then
  ok "ACQUIRE for a trap policy reached our event API: $(head -1 /tmp/acq.log)"
else
  bad "no ACQUIRE event"; cat /tmp/acq.log
fi
cleanup_xfrm
if "$D" --netns a alloc-update --local 192.0.2.1 --remote 192.0.2.2 >/tmp/alloc.log 2>&1; then
  ok "$(</tmp/alloc.log)"
else
  bad "ALLOCSPI + UPDSA"; cat /tmp/alloc.log
fi
if "$D" --netns a expire --local 192.0.2.1 --remote 192.0.2.2 >/tmp/exp.log 2>&1; then
  ok "EXPIRE soft and hard events for a 1 s/4 s lifetime: $(tail -1 /tmp/exp.log)"
else
  bad "EXPIRE events missing"; cat /tmp/exp.log
fi
cleanup_xfrm
if "$D" --netns a install-rate --count "${IKE_INSTALL_RATE_COUNT:-2000}" >/tmp/rate.log 2>&1; then
  ok "$(</tmp/rate.log)"
else
  bad "install rate run failed"; cat /tmp/rate.log
fi

echo "==== kernel ESP test summary ($pass passed, $fail failed) ===="
printf '%s\n' "${summary[@]}"
if [[ -n ${RESULTS:-} && -d ${RESULTS:-} ]]; then
  { printf '%s\n' "${summary[@]}"; cat /tmp/probe.log; } >"$RESULTS/summary.txt"
fi
((fail == 0))
