#!/usr/bin/env bash
# End-to-end test of the userspace ESP data path: two network namespaces
# joined by a veth pair, ike-esp-static on both sides with the same static
# keys, then ping and a bounded, verified TCP transfer through the tunnel.
#
#   esp_netns_test.sh TOOL XFER FAMILY MODE ENCAP [ALG]
#     FAMILY = 4 | 6, MODE = tunnel | transport, ENCAP = esp | udp
#
# Exit 77 (skip) without root or namespaces, unless CI=true (then 1).
# Cleanup kills only the PIDs started here and deletes only our namespaces.
set -u
TOOL=$1 XFER=$2 FAMILY=$3 MODE=$4 ENCAP=$5 ALG=${6:-aes128gcm16}
BYTES=${ESP_XFER_BYTES:-4000000}

skip() {
  if [[ "${CI:-}" == "true" ]]; then echo "FAIL (CI=true, cannot skip): $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "iproute2 missing"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun missing"

NA=espA$$ NB=espB$$
WORK=$(mktemp -d /tmp/esp-netns.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$WORK"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

ip netns add "$NA" || skip "cannot create network namespaces"
ip netns add "$NB" || fail "second namespace"
ip -n "$NA" link add va type veth peer name vb netns "$NB" || fail "veth"
for ns in "$NA" "$NB"; do
  ip -n "$ns" link set lo up
  # The remote selectors route into the TUN device, the ESP arrives on the
  # veth: strict reverse-path filtering would drop it.
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
if [[ $FAMILY == 4 ]]; then
  OA=198.51.100.1 OB=198.51.100.2 PLEN=24
  IA_NET=192.0.2.0/24 IB_NET=203.0.113.0/24 IA=192.0.2.1 IB=203.0.113.1 HOST=32
  ip -n "$NA" addr add $OA/$PLEN dev va
  ip -n "$NB" addr add $OB/$PLEN dev vb
else
  OA=2001:db8:100::1 OB=2001:db8:100::2 PLEN=64
  IA_NET=2001:db8:1::/64 IB_NET=2001:db8:2::/64 IA=2001:db8:1::1 IB=2001:db8:2::1 HOST=128
  ip -n "$NA" addr add $OA/$PLEN dev va nodad
  ip -n "$NB" addr add $OB/$PLEN dev vb nodad
fi
ip -n "$NA" link set va up
ip -n "$NB" link set vb up

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
case $ALG in
  aes128gcm*) EK=20 IK=0 ;;
  aes192gcm*) EK=28 IK=0 ;;
  aes256gcm*|chacha20poly1305) EK=36 IK=0 ;;
  aes128-*) EK=16 ;;& aes192-*) EK=24 ;;& aes256-*) EK=32 ;;&
  *-sha1) IK=20 ;; *-sha256) IK=32 ;; *-sha384) IK=48 ;; *-sha512) IK=64 ;;
esac
K_AB=$(hex $EK) K_BA=$(hex $EK)
I_AB="" I_BA=""
if [[ $IK -gt 0 ]]; then I_AB=$(hex $IK) I_BA=$(hex $IK); fi

common=(--alg "$ALG" ${ESP_TOOL_ARGS:-})
[[ $MODE == transport ]] && common+=(--transport)
[[ $ENCAP == udp ]] && common+=(--udp-encap)
args_a=(--local $OA --remote $OB --spi-in 0xc0000b0a --spi-out 0xc0000a0b
        --enc-key-in "$K_BA" --enc-key-out "$K_AB" --tun esp0 --ready-file "$WORK/a.ready")
args_b=(--local $OB --remote $OA --spi-in 0xc0000a0b --spi-out 0xc0000b0a
        --enc-key-in "$K_AB" --enc-key-out "$K_BA" --tun esp0 --ready-file "$WORK/b.ready")
if [[ -n $I_AB ]]; then
  args_a+=(--integ-key-in "$I_BA" --integ-key-out "$I_AB")
  args_b+=(--integ-key-in "$I_AB" --integ-key-out "$I_BA")
fi
if [[ $MODE == tunnel ]]; then
  args_a+=(--local-ts $IA_NET --remote-ts $IB_NET --tun-addr $IA/$HOST)
  args_b+=(--local-ts $IB_NET --remote-ts $IA_NET --tun-addr $IB/$HOST)
  TARGET_B=$IB
else
  TARGET_B=$OB
fi

ip netns exec "$NA" "$TOOL" "${common[@]}" "${args_a[@]}" 2>"$WORK/a.log" & PIDS+=($!)
ip netns exec "$NB" "$TOOL" "${common[@]}" "${args_b[@]}" 2>"$WORK/b.log" & PIDS+=($!)
for _ in $(seq 100); do
  [[ -e $WORK/a.ready && -e $WORK/b.ready ]] && break
  sleep 0.1
done
[[ -e $WORK/a.ready && -e $WORK/b.ready ]] || fail "ike-esp-static did not come up"

ip netns exec "$NA" ping -c 3 -i 0.2 -W 2 "$TARGET_B" >"$WORK/ping.log" 2>&1 ||
  fail "ping $TARGET_B through the $MODE SA"

ip netns exec "$NB" "$XFER" --listen 5001 --bytes "$BYTES" --timeout 60 >"$WORK/server.log" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
for _ in $(seq 100); do grep -q listening "$WORK/server.log" && break; sleep 0.05; done
ip netns exec "$NA" "$XFER" --connect "$TARGET_B" 5001 --bytes "$BYTES" --timeout 60 \
  >"$WORK/client.log" 2>&1 || fail "TCP transfer"
wait "$SERVER" || fail "TCP server did not verify the data"

if [[ $ENCAP == udp ]]; then
  # A NAT-keepalive (RFC 3948 2.3) from A's namespace must be recognised.
  ip netns exec "$NA" bash -c "printf '\xff' > /dev/udp/$OB/4500" || true
  sleep 0.3
fi

# Stop the tools (they print their counters) and check the traffic went
# through ESP in both directions.
kill "${PIDS[0]}" "${PIDS[1]}"
wait "${PIDS[0]}" "${PIDS[1]}"
PIDS=()
grep -q ' in_packets=[1-9]' "$WORK/a.log" || fail "A decapsulated nothing"
grep -q ' in_packets=[1-9]' "$WORK/b.log" || fail "B decapsulated nothing"
if grep -E 'drop_(bad_icv|replayed|outside_window|bad_padding|unknown_spi|bad_inner)' "$WORK"/[ab].log; then
  # Nothing on this path replays or reorders: any of these means a bug.
  fail "unexpected drops"
fi
if [[ $ENCAP == udp ]]; then
  grep -q 'keepalives=1' "$WORK/b.log" || fail "NAT-keepalive not counted"
  if [[ -z ${ESP_TOOL_ARGS:-} && $ALG == aes128gcm16 ]]; then
    # Default offloads: A's TSO super-packets leave as UDP GSO sends and
    # arrive at B coalesced (UDP GRO) across the veth. (With CBC + SHA-512
    # over IPv6 a full-sized ESP packet exceeds the 1500-byte link: the
    # kernel refuses GSO for it and the sender falls back, tested there.)
    grep -q ' gso_sends=[1-9]' "$WORK/a.log" || fail "A sent no UDP GSO batch"
    grep -q ' gro_receives=[1-9]' "$WORK/b.log" || fail "B received no UDP GRO batch"
    grep -q ' gso_fallbacks=0' "$WORK/a.log" || fail "A fell back from UDP GSO"
  fi
fi
echo "PASS: IPv$FAMILY $MODE $ENCAP $ALG: $(cat "$WORK/client.log")"
echo "A: $(tail -1 "$WORK/a.log")"
echo "B: $(tail -1 "$WORK/b.log")"
exit 0
