#!/bin/sh
# Run a guest image on QEMU's `virt` board and print its UART output.
#
#   guest-images/run-qemu.sh IMAGE [--el2]
#
# IMAGE is a path or a name in guest-images/bin (hello, bin/hello.elf, ...).
# --el2 boots at EL2 (-M virt,virtualization=on; PSCI then goes by SMC).
# The guest powers itself off with PSCI SYSTEM_OFF; QEMU is killed after
# $QEMU_TIMEOUT seconds (default 60) if it does not. The exit status is
# QEMU's (124 on timeout).
set -eu

usage() {
    echo "usage: $0 IMAGE [--el2]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
image=$1
shift
machine=virt
for arg in "$@"; do
    case $arg in
        --el2) machine=virt,virtualization=on ;;
        *) usage ;;
    esac
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

exec timeout "${QEMU_TIMEOUT:-60}" "$QEMU" -M "$machine" -cpu max -m 128M \
    -nographic -monitor none -serial stdio -semihosting \
    -kernel "$image" </dev/null
