#!/usr/bin/env bash
# A client-side virtual IP with the kernel (netlink) data path. Gateway g
# (198.51.100.1, our daemon, userspace backend, pool 10.3.9.0/28, protecting
# everything: local_ts = 0.0.0.0/0) and client c (198.51.100.2, our daemon,
# --backend netlink, vips = 0.0.0.0, remote_ts = 0.0.0.0/0).
#
# Expect on the client: the virtual IP as a /32 on the interface towards the
# gateway, a route in table 220 with src = the virtual IP (rule priority
# 220), an outbound XFRM policy whose selector source is the virtual IP, and
# all of it removed on terminate. This kernel has XFRM but no ESP, so the
# client's ESP SAs are refused and its CHILD_SA is closed right after it is
# installed: no traffic can flow, and the route and policy are seen through
# `ip monitor` / `ip xfrm monitor` while they exist. The IKE_SA (and so the
# virtual IP) stays, and the terminate exchange still reaches the gateway
# although the client's remote_ts 0.0.0.0/0 route covers it (IKE sockets
# bypass the policies and carry their own source address).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/lib/netns.sh"
source "$root/tests/lib/swanctl.sh"
charon=${CHARON:-$root/build/charon/daemon/charon}
ipsecctl=${IPSECCTL:-$root/build/cli/ipsecctl/ipsecctl}

ns_available || skip_or_fail "the netlink virtual IP test needs root and network namespaces"
ns_workdir vipnl

psk=$(openssl rand -base64 24)
mkdir -p "$work/g" "$work/c"
swanctl_psk_conf "$work/g/swanctl.conf" rw 198.51.100.1 %any 0.0.0.0/0 dynamic gw.vip.example c.vip.example "$psk"
sed -i 's/^    proposals = .*/&\n    pools = rw/' "$work/g/swanctl.conf"
printf 'pools {\n  rw {\n    addrs = 10.3.9.0/28\n  }\n}\n' >>"$work/g/swanctl.conf"
swanctl_psk_conf "$work/c/swanctl.conf" rw 198.51.100.2 198.51.100.1 dynamic 0.0.0.0/0 c.vip.example gw.vip.example "$psk"
sed -i 's/^    proposals = .*/&\n    vips = 0.0.0.0/' "$work/c/swanctl.conf"

ns_add g
ns_add c
ns_link g c 198.51.100.1/24 198.51.100.2/24
ns_spawn g "$charon" --config "$work/g/swanctl.conf" --control-socket "$work/g/control.sock" \
  --pid-file "$work/g/charon.pid" --backend userspace --tun ipsec-g --log-level info,ike=debug >/dev/null
ns_spawn c "$charon" --config "$work/c/swanctl.conf" --control-socket "$work/c/control.sock" \
  --pid-file "$work/c/charon.pid" --backend netlink --log-level info,ike=debug >/dev/null
ctl() { local h=$1; shift; "$ipsecctl" --socket "$work/$h/control.sock" "$@"; }
wait_for 10 ctl g version
wait_for 10 ctl c version
# What the client's kernel sees, while it exists.
ns_spawn c timeout 120 ip monitor address route rule >/dev/null
ns_spawn c stdbuf -oL ip xfrm monitor policy >/dev/null
sleep 0.3

fail() { echo "FAIL: $*" >&2; ctl c list-sas >&2 || true; exit 1; }
# The CHILD_SA fails here (no ESP in this kernel); the IKE_SA comes up.
ctl c initiate --child net --timeout 20 || true
ike_up() { ctl c --json list-sas | grep -q '"state": "ESTABLISHED"'; }
wait_for 10 ike_up || fail "the client's IKE_SA did not come up"
vip=$(ctl c --json list-sas | tr -d ' \n' | grep -o '"local_vips":\["[0-9.]*"' | grep -o '10\.3\.9\.[0-9]*') ||
  fail "no virtual IP in the client's list-sas"
echo "virtual IP $vip"
dev=$(ns_exec c ip -o route get 198.51.100.1 | grep -o 'dev [^ ]*' | cut -d' ' -f2)
ns_exec c ip -4 -o addr show dev "$dev" | grep -q "inet $vip/32" ||
  { ns_exec c ip addr >&2; fail "$vip/32 is not on $dev, the interface towards the gateway"; }

mon=$(cat "$work"/timeout-c-*.log "$work"/stdbuf-c-*.log)
echo "$mon" | grep -E "^.*(table 220|lookup 220)" || true
grep -Eq "0\.0\.0\.0/0 dev $dev table 220 .*src $vip|default dev $dev table 220 .*src $vip" <<<"$mon" ||
  fail "no route in table 220 with src $vip was installed"
grep -Eq "220:.*lookup 220" <<<"$mon" || fail "no rule 'lookup 220' at priority 220 was installed"
grep -A1 "^src $vip/32 dst 0.0.0.0/0" <<<"$mon" | grep -q "dir out" ||
  fail "no outbound XFRM policy with the virtual IP as selector"
grep -q "installing SA .* failed" "$work"/charon-c-*.log && echo "(no ESP in this kernel: the CHILD_SA was refused, as expected)"

# The IKE traffic still reaches the gateway: terminate it from the client.
ctl c terminate --ike rw --timeout 15 || fail "terminate did not complete"
gw_clear() { ctl g --json list-sas | grep -q '"ike_sas": \[\]'; }
wait_for 10 gw_clear || fail "the gateway kept the IKE_SA: the client's Delete did not reach it"
ns_exec c ip -4 -o addr show | grep -q "inet $vip/" && fail "$vip left on the client"
[[ -z $(ns_exec c ip route show table 220) ]] || fail "routes left in table 220"
ns_exec c ip rule show | grep -q "lookup 220" && fail "rule 'lookup 220' left behind"
[[ -z $(ns_exec c ip xfrm policy show | grep "$vip") ]] || fail "XFRM policy with $vip left behind"
ctl g --json list-pools | tr -d ' \n' | grep -q '"online":0' || fail "the gateway did not release the lease"
echo "PASS: virtual IP, table-220 route and policy installed with the netlink backend and removed on terminate"
