#!/usr/bin/env bash
# Renders the benchmark CSVs of one run into a PNG with gnuplot (Debian
# gnuplot-nox): handshakes per second and per responder CPU-second, TCP
# throughput and 64-byte packet rate, ours beside strongSwan.
#   bench/plot.sh RESULTS_DIR [OUT.png]
# RESULTS_DIR holds handshake.csv and/or datapath.csv (bench/run-all.sh).
set -euo pipefail
dir=$1
png=${2:-$dir/bench.png}
command -v gnuplot >/dev/null || { echo "plot: gnuplot not installed (apt-get install gnuplot-nox); no plot" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Reshape to "label ours strongswan" rows.
if [[ -f $dir/handshake.csv ]]; then
  awk -F, 'NR > 1 { split($1, k, "-"); v[k[2], k[1]] = $5; c[k[2], k[1]] = $10; a[k[2]] = 1 }
           END { for (x in a) { printf "%s %s %s\n", x, v[x, "ours"] + 0, v[x, "strongswan"] + 0 > "'"$tmp"'/hs_rate";
                                 printf "%s %s %s\n", x, c[x, "ours"] + 0, c[x, "strongswan"] + 0 > "'"$tmp"'/hs_cpu" } }' "$dir/handshake.csv"
fi
if [[ -f $dir/datapath.csv ]]; then
  awk -F, 'NR > 1 { t[$1, $2] = $3; p[$1, $2] = $4; a[$1] = 1 }
           END { for (x in a) { printf "%s %s %s\n", x, t[x, "ours"] + 0, t[x, "strongswan"] + 0 > "'"$tmp"'/dp_tcp";
                                 printf "%s %s %s\n", x, p[x, "ours"] + 0, p[x, "strongswan"] + 0 > "'"$tmp"'/dp_pps" } }' "$dir/datapath.csv"
fi
panel() {  # FILE TITLE YLABEL
  if [[ -s $tmp/$1 ]]; then
    cat <<GP
set title "$2"
set ylabel "$3"
plot "$tmp/$1" using 2:xtic(1) title "ours" lc rgb "#1f77b4", "" using 3 title "strongSwan" lc rgb "#d62728"
GP
  else
    echo 'set title "(not measured)"; unset ylabel; plot [0:1][0:1] NaN notitle'
  fi
}
{
  cat <<GP
set terminal pngcairo size 1200,800 font "sans,10" noenhanced
set output "$png"
set multiplot layout 2,2 title "ikedaemon vs strongSwan 5.9.8 (same run, $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key top right
GP
  panel hs_rate "IKE_SA + CHILD_SA handshakes (wall clock)" "SAs/s"
  panel hs_cpu "handshakes per responder CPU-second" "SAs / CPU-s"
  panel dp_tcp "TCP through the tunnel (iperf3)" "Mbit/s"
  panel dp_pps "UDP 64-byte packets through the tunnel" "packets/s received"
  echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "plot: $png"
