# Shared shell helpers for tests and the demo that build test hosts in
# network namespaces. Source it; every namespace and process it creates is
# recorded and removed by ns_cleanup (run it from an EXIT trap). Only
# processes this script started are ever signalled, by PID.
#
#   ns_prefix=demo; ns_add a; ns_add b
#   ns_link a b 198.51.100.1/24 198.51.100.2/24
#   ns_spawn a /path/to/charon --config ...   # PID recorded
#   ns_cleanup

NS_PREFIX=${NS_PREFIX:-ike$$}
NS_CREATED=()
NS_PIDS=()

ns_name() { echo "${NS_PREFIX}-$1"; }

ns_exec() {
  local n=$1
  shift
  ip netns exec "$(ns_name "$n")" "$@"
}

# Creates namespace $1 with loopback up, IPv6 DAD off (addresses usable at once).
ns_add() {
  local full
  full=$(ns_name "$1")
  ip netns add "$full"
  NS_CREATED+=("$full")
  ip -n "$full" link set lo up
  ip netns exec "$full" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

# Joins namespaces $1 and $2 by a veth pair with addresses $3 (in $1) and $4 (in $2).
# Optional $5/$6: IPv6 addresses.
ns_link() {
  local a b ia ib
  a=$(ns_name "$1")
  b=$(ns_name "$2")
  ia="v-$1-$2"
  ib="v-$2-$1"
  ip link add "${ia:0:15}" netns "$a" type veth peer name "${ib:0:15}" netns "$b"
  ip -n "$a" addr add "$3" dev "${ia:0:15}"
  ip -n "$b" addr add "$4" dev "${ib:0:15}"
  if [[ -n ${5:-} ]]; then
    ip -n "$a" addr add "$5" dev "${ia:0:15}" nodad
    ip -n "$b" addr add "$6" dev "${ib:0:15}" nodad
  fi
  ip -n "$a" link set "${ia:0:15}" up
  ip -n "$b" link set "${ib:0:15}" up
}

# Starts a command in namespace $1 in the background, its output in $NS_LOGDIR.
# Prints the PID.
ns_spawn() {
  local n=$1
  shift
  local log=${NS_LOGDIR:-/tmp}/$(basename "$1")-$n-$$.log
  ip netns exec "$(ns_name "$n")" "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  NS_PIDS+=("$pid")
  echo "$pid"
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.1
  done
}

ns_stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

ns_cleanup() {
  local pid n
  for pid in "${NS_PIDS[@]}"; do ns_stop_pid "$pid"; done
  wait 2>/dev/null || true
  for n in "${NS_CREATED[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  NS_PIDS=()
  NS_CREATED=()
}

# True when this environment can build namespaces (root + iproute2).
ns_available() {
  [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null && ip netns add "${NS_PREFIX}-probe" 2>/dev/null &&
    ip netns del "${NS_PREFIX}-probe"
}

# Skips (exit 77, which ctest maps with SKIP_RETURN_CODE) or, under CI=true, fails.
skip_or_fail() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $*" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

# ns_workdir NAME: a scratch directory in $work, namespaces named NAME<pid>-*
# and spawned processes' logs in $work. On exit the namespaces and $work go;
# on a failing exit the tail of each daemon log is printed first.
ns_workdir() {
  work=$(mktemp -d "/tmp/ike-$1.XXXXXX")
  export NS_PREFIX=$1$$ NS_LOGDIR=$work
  trap _ns_workdir_cleanup EXIT
}
_ns_workdir_cleanup() {
  local rc=$? f
  if ((rc != 0)); then
    for f in "$work"/charon-*.log; do echo "---- $f" >&2; tail -n 60 "$f" >&2; done
  fi
  ns_cleanup
  rm -rf "$work"
}
