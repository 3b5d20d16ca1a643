#!/usr/bin/env bash
# npm run linux [-- EXTRA BOOT FLAGS] — boots the cached Debian kernel and initramfs on pkvm-emu at
# EL2 with the kernel's own pKVM (kvm-arm.mode=protected), two CPUs and 1 GiB, to a busybox shell on
# this terminal; `poweroff` ends the run with status 0. PKVM_APPEND adds to the kernel command line
# (e.g. PKVM_APPEND=pkvm_emu.test=1 runs /init's checks and powers off).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${PKVM_LINUX_CACHE:-$here/../.cache/linux}"
[ -f "$cache/Image" ] && [ -f "$cache/initramfs.cpio.gz" ] || { echo "linux: no kernel in $cache: run 'npm run linux:fetch' first" >&2; exit 1; }
exec node "$here/../dist/pkvm-emu.mjs" boot --el2 --smp 2 --mem 1G --initrd "$cache/initramfs.cpio.gz" \
  --append "console=ttyAMA0 kvm-arm.mode=protected ${PKVM_APPEND:-}" "$@" "$cache/Image"
