#!/bin/bash
# Guest side of the packet-level interop test between Linux kernel ESP and
# our userspace ESP path (runs inside the qemu VM of tests/kernel with the
# host root shared; see tests/kernel/README.md). Per case: namespaces k and u
# joined by a veth; k does ESP in the kernel, configured with `ip xfrm` and
# static keys; u runs ike-esp-static with the same keys. ping and a bounded,
# verified TCP transfer must pass in both directions.
# Env: TOOL (ike-esp-static), XFER (esp_xfer), RESULTS (optional output
# directory), ESP_INTEROP_QUICK=1 runs two cases only.
set -u
[[ -n ${ESP_INTEROP_TRACE:-} ]] && set -x
TOOL=${TOOL:?} XFER=${XFER:?}
pass=0 fail=0
summary=()
now() { cut -d' ' -f1 /proc/uptime; }
say() { echo "[$(now)] $*"; }

hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# ip xfrm algorithm arguments for a key pair: kalg ALG ENCKEY INTEGKEY
kalg() {
  case $1 in
    aes*gcm16) echo "aead rfc4106(gcm(aes)) 0x$2 128" ;;
    aes*gcm12) echo "aead rfc4106(gcm(aes)) 0x$2 96" ;;
    aes*gcm8) echo "aead rfc4106(gcm(aes)) 0x$2 64" ;;
    chacha20poly1305) echo "aead rfc7539esp(chacha20,poly1305) 0x$2 128" ;;
    aes*-sha1) echo "enc cbc(aes) 0x$2 auth-trunc hmac(sha1) 0x$3 96" ;;
    aes*-sha256) echo "enc cbc(aes) 0x$2 auth-trunc hmac(sha256) 0x$3 128" ;;
    aes*-sha384) echo "enc cbc(aes) 0x$2 auth-trunc hmac(sha384) 0x$3 192" ;;
    aes*-sha512) echo "enc cbc(aes) 0x$2 auth-trunc hmac(sha512) 0x$3 256" ;;
  esac
}
keylens() {  # ALG -> "ENC INTEG" bytes
  case $1 in
    aes128gcm*) echo "20 0" ;; aes192gcm*) echo "28 0" ;;
    aes256gcm* | chacha20poly1305) echo "36 0" ;;
    aes128-sha1) echo "16 20" ;; aes128-sha256) echo "16 32" ;;
    aes256-sha384) echo "32 48" ;; aes256-sha512) echo "32 64" ;;
  esac
}

pids=()
cleanup_case() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pids=()
  ip netns del k 2>/dev/null
  ip netns del u 2>/dev/null
}

# run_case FAMILY MODE ENCAP ALG [esn]
run_case() {
  local fam=$1 mode=$2 encap=$3 alg=$4 esn=${5:-}
  local name="IPv$fam $mode $encap $alg${esn:+ esn}"
  local log=/tmp/case.log
  : >"$log"
  if ! one_case "$@" >>"$log" 2>&1; then
    fail=$((fail + 1)); summary+=("FAIL $name"); say "FAIL $name"
    tail -30 "$log"
    ip -n k -s xfrm state 2>/dev/null | grep -E '^src|proto|packets\)|stats|replay|failed'
    ip netns exec k cat /proc/net/xfrm_stat 2>/dev/null | grep -v ' 0$'
    cleanup_case  # ike-esp-static prints its counters on SIGTERM
    cat /tmp/u.log 2>/dev/null
  else
    pass=$((pass + 1)); summary+=("PASS $name"); say "PASS $name"
  fi
  cleanup_case
}

wait_listening() {  # the emulated guest is slow: wait for listen(), not a fixed time
  for _ in $(seq 100); do grep -q listening /tmp/srv.log 2>/dev/null && return 0; sleep 0.1; done
  echo "esp_xfer server did not start"; cat /tmp/srv.log; return 1
}

one_case() {
  local fam=$1 mode=$2 encap=$3 alg=$4 esn=${5:-}
  local OK OU P IK IU IK_NET IU_NET H nodad=""
  if [[ $fam == 4 ]]; then
    OK=198.51.100.1 OU=198.51.100.2 P=24 IK=192.0.2.1 IU=203.0.113.1
    IK_NET=192.0.2.0/24 IU_NET=203.0.113.0/24 H=32
  else
    OK=2001:db8:100::1 OU=2001:db8:100::2 P=64 IK=2001:db8:1::1 IU=2001:db8:2::1
    IK_NET=2001:db8:1::/64 IU_NET=2001:db8:2::/64 H=128 nodad=nodad
  fi
  ip netns add k && ip netns add u || return 1
  ip link add vk netns k type veth peer name vu netns u || return 1
  for n in k u; do
    ip -n $n link set lo up
    ip netns exec $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  ip -n k addr add $OK/$P dev vk $nodad
  ip -n u addr add $OU/$P dev vu $nodad
  ip -n k link set vk up
  ip -n u link set vu up
  local mac_k mac_u
  mac_k=$(ip -n k -br link show vk | awk '{print $3}')
  mac_u=$(ip -n u -br link show vu | awk '{print $3}')
  ip -n k neigh replace $OU lladdr "$mac_u" dev vk nud permanent
  ip -n u neigh replace $OK lladdr "$mac_k" dev vu nud permanent

  local kl el il
  kl=$(keylens "$alg")  # no process substitution: the guest has no /dev/fd
  el=${kl% *} il=${kl#* }
  local k_ku k_uk i_ku="" i_uk=""
  k_ku=$(hex "$el") k_uk=$(hex "$el")
  if ((il > 0)); then i_ku=$(hex "$il") i_uk=$(hex "$il"); fi
  local spi_ku=0xc0001001 spi_uk=0xc0002002

  # Kernel side.
  local kmode=$mode kencap=() kflags=(replay-window 64)
  [[ $encap == udp ]] && kencap=(encap espinudp 4500 4500 0.0.0.0)
  [[ -n $esn ]] && kflags=(replay-window 64 flag esn)
  # shellcheck disable=SC2046
  ip -n k xfrm state add src $OK dst $OU proto esp spi $spi_ku reqid 1 mode $kmode \
    $(kalg "$alg" "$k_ku" "$i_ku") "${kflags[@]}" "${kencap[@]}" || return 1
  # shellcheck disable=SC2046
  ip -n k xfrm state add src $OU dst $OK proto esp spi $spi_uk reqid 1 mode $kmode \
    $(kalg "$alg" "$k_uk" "$i_uk") "${kflags[@]}" "${kencap[@]}" || return 1
  local ksel_out ksel_in target_u target_k
  if [[ $mode == tunnel ]]; then
    ip -n k addr add $IK/$H dev lo
    ip -n k route add $IU_NET via $OU src $IK
    ksel_out="src $IK_NET dst $IU_NET" ksel_in="src $IU_NET dst $IK_NET"
    target_u=$IU target_k=$IK
  else
    ksel_out="src $OK/$H dst $OU/$H" ksel_in="src $OU/$H dst $OK/$H"
    target_u=$OU target_k=$OK
  fi
  local tmpl_out="tmpl src $OK dst $OU proto esp reqid 1 mode $mode"
  local tmpl_in="tmpl src $OU dst $OK proto esp reqid 1 mode $mode"
  [[ $mode == transport ]] && tmpl_out="tmpl proto esp reqid 1 mode transport" &&
    tmpl_in="tmpl proto esp reqid 1 mode transport"
  # shellcheck disable=SC2086
  ip -n k xfrm policy add $ksel_out dir out $tmpl_out || return 1
  # shellcheck disable=SC2086
  ip -n k xfrm policy add $ksel_in dir in $tmpl_in || return 1
  if [[ $encap == udp ]]; then
    # The kernel decapsulates ESP-in-UDP only on a socket with UDP_ENCAP.
    # In transport mode the host-to-host policy also covers the ESP-in-UDP
    # datagrams themselves: like an IKE daemon's, the encap socket bypasses
    # IPsec with per-socket allow policies (esp_xfer --encap-socket).
    ip netns exec k "$XFER" --encap-socket $fam --timeout 3600 >/tmp/encap.log 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do grep -q ready /tmp/encap.log && break; sleep 0.2; done
    grep -q ready /tmp/encap.log || { echo "encap socket failed"; cat /tmp/encap.log; return 1; }
  fi

  # Userspace side.
  local args=(--alg "$alg" --local $OU --remote $OK --spi-in $spi_ku --spi-out $spi_uk
              --enc-key-in "$k_ku" --enc-key-out "$k_uk" --tun esp0 --ready-file /tmp/u.ready)
  [[ -n $i_ku ]] && args+=(--integ-key-in "$i_ku" --integ-key-out "$i_uk")
  [[ $mode == transport ]] && args+=(--transport)
  [[ $encap == udp ]] && args+=(--udp-encap)
  [[ -n $esn ]] && args+=(--esn)
  [[ $mode == tunnel ]] && args+=(--local-ts $IU_NET --remote-ts $IK_NET --tun-addr $IU/$H)
  rm -f /tmp/u.ready
  ip netns exec u "$TOOL" "${args[@]}" 2>/tmp/u.log &
  pids+=($!)
  for _ in $(seq 100); do [[ -e /tmp/u.ready ]] && break; sleep 0.1; done
  [[ -e /tmp/u.ready ]] || { echo "ike-esp-static did not start"; return 1; }

  ip netns exec k ping -c 2 -W 5 $target_u || { echo "ping kernel -> userspace failed"; return 1; }
  ip netns exec u ping -c 2 -W 5 $target_k || { echo "ping userspace -> kernel failed"; return 1; }
  local bytes=${ESP_INTEROP_BYTES:-300000}
  ip netns exec u "$XFER" --listen 5001 --bytes $bytes --timeout 60 >/tmp/srv.log 2>&1 &
  local srv=$!
  wait_listening || return 1
  ip netns exec k "$XFER" --connect $target_u 5001 --bytes $bytes --timeout 60 ||
    { echo "TCP kernel -> userspace failed"; return 1; }
  wait $srv || { echo "TCP server in u failed"; cat /tmp/srv.log; return 1; }
  ip netns exec k "$XFER" --listen 5002 --bytes $bytes --timeout 60 >/tmp/srv.log 2>&1 &
  srv=$!
  wait_listening || return 1
  ip netns exec u "$XFER" --connect $target_k 5002 --bytes $bytes --timeout 60 ||
    { echo "TCP userspace -> kernel failed"; return 1; }
  wait $srv || { echo "TCP server in k failed"; cat /tmp/srv.log; return 1; }
  # The kernel SAs must have carried it (not some plaintext path).
  local counted
  counted=$(ip -n k -s xfrm state | grep -cE ' [1-9][0-9]*\(packets\)')
  ((counted >= 2)) || { echo "kernel SA counters did not move"; return 1; }
  return 0
}

# The userspace side needs a TUN device; the harness's initramfs does not
# preload tun, so load it from the kernel cache (the host root is shared).
if [[ ! -c /dev/net/tun ]]; then
  if ! grep -qw tun /proc/modules; then
    ko=$(find "${IKE_KERNEL_CACHE:-/var/tmp/ike-kernel-cache}/$(uname -r)" -name 'tun.ko*' 2>/dev/null | head -1)
    # The host has no kmod; busybox-static (a harness dependency) has insmod.
    [[ -n $ko ]] && busybox insmod "$ko"
  fi
  mkdir -p /dev/net
  [[ -c /dev/net/tun ]] || mknod /dev/net/tun c 10 200
fi
[[ -c /dev/net/tun ]] || { echo "no /dev/net/tun in the guest"; exit 1; }
say "kernel $(uname -r); interop cases start"
if [[ -n ${ESP_INTEROP_CASES:-} ]]; then
  # e.g. ESP_INTEROP_CASES="4 transport udp chacha20poly1305;6 tunnel esp aes128gcm16"
  IFS=';' read -ra cases <<<"$ESP_INTEROP_CASES"
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086
    run_case $c
  done
elif [[ -n ${ESP_INTEROP_QUICK:-} ]]; then
  run_case 4 tunnel esp aes128gcm16
  run_case 4 tunnel udp aes128gcm16
else
  # Modes and families first, then every algorithm with and without UDP.
  run_case 4 transport esp aes128gcm16
  run_case 4 transport udp chacha20poly1305
  run_case 6 tunnel esp aes128gcm16
  run_case 6 tunnel udp aes128-sha256
  run_case 6 transport esp aes256gcm16
  run_case 6 transport udp aes128gcm16
  run_case 4 tunnel esp aes256gcm16 esn
  for alg in aes128gcm16 aes128gcm12 aes128gcm8 aes256gcm16 chacha20poly1305 \
             aes128-sha1 aes128-sha256 aes256-sha384 aes256-sha512; do
    for encap in esp udp; do run_case 4 tunnel $encap $alg; done
  done
fi
echo "==== kernel/userspace ESP interop summary ($pass passed, $fail failed) ===="
printf '%s\n' "${summary[@]}"
if [[ -n ${RESULTS:-} && -d ${RESULTS:-} ]]; then
  printf '%s\n' "${summary[@]}" >"$RESULTS/esp-interop-summary.txt"
fi
((fail == 0 && pass > 0))
