#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs to build and test.
# Idempotent: packages already present are left alone; apt runs only when
# something is missing. Run as root.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
  libssl-dev libmnl-dev libboost-program-options-dev libsystemd-dev
  nlohmann-json3-dev googletest libgtest-dev libgmock-dev
  # tests: wire dissector, namespaces, traffic
  tshark iproute2 iputils-ping nftables procps
  # kernel tests: a stock Debian kernel under qemu
  qemu-system-x86 busybox-static cpio xz-utils
  # Debian package (scripts/package.sh, tests/package): build, man pages, lint, notify socket
  debhelper dpkg-dev pandoc lintian python3 adduser
  # interop peer
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libcharon-extauth-plugins libstrongswan-standard-plugins openssl
  freeradius freeradius-utils  # RADIUS server for the EAP-RADIUS tests
  libbenchmark-dev iperf3 gnuplot-nox linux-perf  # benchmarks (bench/)
)
[[ -n "${IKE_EXTRA_PACKAGES:-}" ]] && read -r -a extra <<<"$IKE_EXTRA_PACKAGES" && packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup-deps: missing packages: ${missing[*]}; run as root to install them" >&2
  exit 1
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
# The strongSwan package enables its own service; the tests run their own
# instances in namespaces, so the system one must not hold ports 500/4500.
if command -v systemctl >/dev/null && systemctl is-active --quiet strongswan-starter 2>/dev/null; then
  systemctl stop strongswan-starter || true
fi
if command -v systemctl >/dev/null && systemctl is-active --quiet strongswan 2>/dev/null; then
  systemctl stop strongswan || true
fi
# FreeRADIUS likewise (the EAP-RADIUS tests run theirs in a namespace): not
# running, and not started again at boot.
if command -v systemctl >/dev/null && systemctl is-active --quiet freeradius 2>/dev/null; then
  systemctl stop freeradius || true
fi
if command -v systemctl >/dev/null && systemctl is-enabled --quiet freeradius 2>/dev/null; then
  systemctl disable freeradius >/dev/null 2>&1 || true
fi
