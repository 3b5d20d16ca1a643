#!/usr/bin/env bash
# npm run linux:fetch — Debian's arm64 cloud kernel (the version the release's linux-image-cloud-arm64
# metapackage points to) and busybox-static for arm64, fetched with `apt-get download` from Debian's
# packages only, extracted into the gitignored cache, then the initramfs built from them
# (linux/mkinitramfs.mjs). Prints the kernel version it used. Needs root for dpkg/apt (CI runs as root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PKVM_LINUX_CACHE:-$here/../.cache/linux}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

die() { echo "linux:fetch: $*" >&2; exit 1; }
command -v apt-get >/dev/null || die "apt-get not found (Debian's packages are the only source)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
if [ "$(id -u)" != 0 ]; then die "needs root for 'dpkg --add-architecture arm64' and 'apt-get update'"; fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
meta="linux-image-cloud-arm64:arm64"
dep="$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ :]*\).*/\1/p' | head -1)"
if [ -z "$dep" ]; then apt-get update -qq; dep="$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ :]*\).*/\1/p' | head -1)"; fi
[ -n "$dep" ] || die "cannot resolve $meta in the package lists"
kver="${dep#linux-image-}"                 # e.g. 6.1.0-57-cloud-arm64
kpkg="linux-image-${kver}-unsigned"

cd "$cache"
# unpack PKG: downloads PKG (arm64) and unpacks it into x/ (the .deb stays in debs/ until cleanup).
unpack() {
  rm -rf debs x && mkdir -p debs x
  (cd debs && apt-get download -qq -o APT::Sandbox::User=root "$1:arm64") || die "apt-get download $1:arm64 failed"
  dpkg-deb -x debs/*.deb x
}
cleanup() { rm -rf debs x; }
if [ ! -f "Image-$kver" ]; then
  unpack "$kpkg"
  [ -f "x/boot/vmlinuz-$kver" ] || die "$kpkg has no boot/vmlinuz-$kver"
  cp "x/boot/vmlinuz-$kver" "Image-$kver"   # an arm64 Image (Debian ships it uncompressed; gzip also boots)
  cleanup
fi
if [ ! -f busybox ]; then
  unpack busybox-static
  cp x/bin/busybox busybox
  dpkg-deb -f debs/*.deb Version > busybox.version
  cleanup
fi
ln -sf "Image-$kver" Image
echo "$kver" > kernel.version
images="$here/../guest-images/bin"
node "$here/mkinitramfs.mjs" --busybox "$cache/busybox" --init "$here/init" --out "$cache/initramfs.cpio.gz" \
  --add "$here/vmm/pkvm-vmm:/bin/pkvm-vmm" --add "$images/hello.elf:/guests/hello.elf" --add "$images/toucher.elf:/guests/toucher.elf"
echo "kernel: $kpkg ($cache/Image)"
echo "busybox-static: $(cat busybox.version)"
echo "initramfs: $cache/initramfs.cpio.gz ($(sha256sum initramfs.cpio.gz | cut -c1-16))"
