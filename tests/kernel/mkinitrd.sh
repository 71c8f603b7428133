#!/usr/bin/env bash
# Builds the base initramfs for the test VM from a kernel prepared by
# kernel-fetch.sh: busybox-static (with its applet links), the kernel modules
# the IPsec tests need (plus every crypto/xfrm module, for on-demand
# request_module through busybox modprobe) and /init (tests/kernel/init.sh).
# Cached next to the kernel, keyed on this script and init.sh.
#
#   tests/kernel/mkinitrd.sh KERNEL_DIR      prints the initramfs path
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=${1:?usage: mkinitrd.sh KERNEL_DIR}
kver=$(cat "$kdir/kver")
key=$(cat "$here/mkinitrd.sh" "$here/init.sh" | sha256sum | cut -c1-16)
out=$kdir/initrd-base-$key.cpio.gz
exec 9>"$kdir/.initrd.lock"
flock 9
if [[ -f $out ]]; then
  echo "$out"
  exit 0
fi
busybox=$(command -v busybox || true)
if [[ -z $busybox ]] || ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "mkinitrd: needs busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi

stage=$(mktemp -d /var/tmp/ike-initrd.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,host,payload,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list-full); do
  [[ -e $stage/$applet ]] || ln -s /bin/busybox "$stage/$applet"
done

# Modules: the ones loaded at boot, then every module of the IPsec-related
# directories, closed over their dependencies.
mroot=$kdir/root/lib/modules/$kver
preload=(
  xfrm_user xfrm_algo esp4 esp6 ah4 ah6 xfrm_interface veth dummy
  drbg jitterentropy_rng seqiv echainiv gcm ghash-generic ghash-clmulni-intel aesni-intel
  chacha20poly1305 chacha-x86_64 chacha_generic poly1305-x86_64 poly1305_generic
  authenc authencesn sha512_generic sha512-ssse3 sha256-ssse3 sha1-ssse3 cmac ccm ctr
  virtio_pci 9pnet_virtio 9p virtio_rng
)
declare -A want=()
resolve() {  # module name (either spelling) -> path from modules.dep
  local n=$1 alt=${1//-/_}
  local alt2=${1//_/-}
  awk -F: -v a="/$n.ko" -v b="/$alt.ko" -v c="/$alt2.ko" \
    '{ p=$1; if (substr(p, length(p)-length(a)+1) == a || substr(p, length(p)-length(b)+1) == b || substr(p, length(p)-length(c)+1) == c) { print p; exit } }' \
    "$mroot/modules.dep"
}
preload_found=()
for m in "${preload[@]}"; do
  p=$(resolve "$m")
  if [[ -n $p ]]; then want[$p]=1; preload_found+=("$m"); fi
done
while read -r p; do want[$p]=1; done < <(cd "$mroot" && find kernel/crypto kernel/arch/x86/crypto kernel/lib/crypto kernel/net/xfrm kernel/net/key \
  -maxdepth 1 -name '*.ko' 2>/dev/null; cd "$mroot" && ls kernel/net/ipv4/*.ko kernel/net/ipv6/*.ko 2>/dev/null)
# Dependency closure.
changed=1
while ((changed)); do
  changed=0
  for p in "${!want[@]}"; do
    for d in $(awk -F: -v p="$p" '$1 == p { print $2; exit }' "$mroot/modules.dep"); do
      if [[ -z ${want[$d]:-} ]]; then want[$d]=1; changed=1; fi
    done
  done
done
mkdir -p "$stage/lib/modules/$kver"
(cd "$mroot" && printf '%s\n' "${!want[@]}" | cpio -pdm --quiet "$stage/lib/modules/$kver")
cp "$mroot"/modules.{dep,alias,builtin,order,symbols} "$stage/lib/modules/$kver/" 2>/dev/null || true
printf '%s\n' "${preload_found[@]}" >"$stage/etc/preload-modules"
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
# Drop initramfs images of older script versions.
find "$kdir" -maxdepth 1 -name 'initrd-base-*.cpio.gz' ! -name "$(basename "$out")" -delete
echo "mkinitrd: ${#want[@]} modules, $(du -h "$out" | cut -f1)" >&2
echo "$out"
