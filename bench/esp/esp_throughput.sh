#!/usr/bin/env bash
# First throughput figure of the userspace ESP data path: a bounded TCP
# transfer between two network namespaces through ike-esp-static on both
# sides (AES-128-GCM-16, TUN MTU 1400, so the inner packets are 1400 bytes),
# printed beside `openssl speed -evp aes-128-gcm` on 1408-byte blocks
# measured in the same run on the same CPU. A benchmark, never a test: it
# reports numbers and a ratio, it does not pass or fail on them.
#
#   bench/esp/esp_throughput.sh [BUILD_DIR] [BYTES] [RUNS]
# Needs root (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
BYTES=${2:-400000000}
RUNS=${3:-3}
TOOL=$BUILD/xfrm/userspace/ike-esp-static
XFER=$(find "$BUILD" -name esp_xfer -type f -perm -u+x | head -1)
if [[ ! -x $TOOL || -z $XFER ]]; then
  echo "esp_throughput: build ike-esp-static and esp_xfer first:" >&2
  echo "  cmake --build $BUILD --target ike-esp-static esp_xfer" >&2
  exit 1
fi
[[ $(id -u) -eq 0 ]] || { echo "esp_throughput: needs root (network namespaces)" >&2; exit 1; }

echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "# kernel: $(uname -r); $(openssl version)"
echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"
echo "# openssl speed -evp aes-128-gcm, 1408-byte blocks, 3 s:"
speed=$(openssl speed -evp aes-128-gcm -seconds 3 -bytes 1408 2>/dev/null | awk '/^(AES-128-GCM|aes-128-gcm)/ {print $NF}')
# speed is in kB/s (1000 bytes) with a trailing 'k'
speed_kb=${speed%k}
speed_mbit=$(awk -v k="$speed_kb" 'BEGIN { printf "%.0f", k * 1000 * 8 / 1e6 }')
echo "openssl_aes128gcm_1408B_mbit_s=$speed_mbit"

best=0
for mode in esp udp; do
  for run in $(seq "$RUNS"); do
    out=$(ESP_XFER_BYTES=$BYTES bash tests/netns/esp/esp_netns_test.sh "$TOOL" "$XFER" 4 tunnel "$mode" aes128gcm16)
    line=$(grep '^PASS' <<<"$out" || true)
    if [[ -z $line ]]; then
      echo "$out" >&2
      echo "esp_throughput: transfer failed" >&2
      exit 1
    fi
    mbit=$(sed -n 's/.*mbit_s=\([0-9.]*\).*/\1/p' <<<"$line")
    echo "tunnel_${mode}_aes128gcm16_1400B run=$run mbit_s=$mbit"
    best=$(awk -v a="$best" -v b="$mbit" 'BEGIN { print (b > a) ? b : a }')
  done
done
ratio=$(awk -v t="$best" -v s="$speed_mbit" 'BEGIN { printf "%.3f", t / s }')
echo "best_tunnel_mbit_s=$best openssl_mbit_s=$speed_mbit tunnel/openssl=$ratio"
