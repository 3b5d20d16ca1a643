#!/bin/sh
# Run a guest image on QEMU's `virt` board and print its UART output.
#
#   guest-images/run-qemu.sh IMAGE [--el2] [--smp N] [--gic3] [--icount]
#
# IMAGE is a path or a name in guest-images/bin (hello, bin/hello.elf, ...).
# --el2 boots at EL2 (-M virt,virtualization=on; PSCI then goes by SMC).
# --smp N gives the board N CPUs (default 1; pguest-smp needs 2).
# --gic3 gives the board a GICv3 without ITS (gic-version=3,its=off), as pkvm-emu's.
# --icount counts time in instructions (-icount shift=0): QEMU's PMU then counts INST_RETIRED
# (without it QEMU 7.2 does not implement that event).
# $QEMU_STDIN, when set, is a file the PL011 receives (default: no input).
# The guest powers itself off with PSCI SYSTEM_OFF; QEMU is killed after
# $QEMU_TIMEOUT seconds (default 60) if it does not. The exit status is
# QEMU's (124 on timeout).
set -eu

usage() {
    echo "usage: $0 IMAGE [--el2] [--smp N] [--gic3] [--icount]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
image=$1
shift
machine=virt
smp=1
gic=
icount=
while [ $# -gt 0 ]; do
    case $1 in
        --el2) machine=virt,virtualization=on ;;
        --smp) [ $# -ge 2 ] || usage; smp=$2; shift ;;
        --gic3) gic=,gic-version=3,its=off ;;
        --icount) icount='-icount shift=0' ;;
        *) usage ;;
    esac
    shift
done

if [ ! -f "$image" ]; then
    dir=$(dirname "$0")/bin
    for cand in "$dir/$image" "$dir/$image.elf"; do
        if [ -f "$cand" ]; then
            image=$cand
            break
        fi
    done
fi
if [ ! -f "$image" ]; then
    echo "$0: no such image: $image" >&2
    exit 2
fi

QEMU=${QEMU:-qemu-system-aarch64}
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "$0: $QEMU not found (apt-get install qemu-system-arm)" >&2
    exit 2
fi

exec timeout "${QEMU_TIMEOUT:-60}" "$QEMU" -M "$machine$gic" -cpu max -m 128M -smp "$smp" \
    -nographic -monitor none -serial stdio -semihosting $icount \
    -kernel "$image" <"${QEMU_STDIN:-/dev/null}"
