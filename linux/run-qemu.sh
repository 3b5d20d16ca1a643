#!/usr/bin/env bash
# The same kernel, initramfs and command line on qemu-system-aarch64 (the reference for the
# differential test and the benchmark): linux/run-qemu.sh [EXTRA KERNEL ARGS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PKVM_LINUX_CACHE:-$here/../.cache/linux}"
[ -f "$cache/Image" ] && [ -f "$cache/initramfs.cpio.gz" ] || { echo "linux: no kernel in $cache: run 'npm run linux:fetch' first" >&2; exit 1; }
exec qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max -smp 2 -m 1G -nographic -no-reboot \
  -kernel "$cache/Image" -initrd "$cache/initramfs.cpio.gz" -append "console=ttyAMA0 kvm-arm.mode=protected $*"
