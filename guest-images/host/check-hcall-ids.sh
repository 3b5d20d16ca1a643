#!/bin/sh
# Check that every __KVM_HOST_SMCCC_FUNC_<name> in host/pkvm-hcalls.h equals
# the index of <name> in HOST_HCALLS of hyp/hypercalls.ts (the ordered table).
#
#   host/check-hcall-ids.sh HEADER TABLE
#
# Prints one line per id and exits non-zero on a mismatch. A missing table
# (guest-images used on its own) is reported and skipped.
set -eu
header=$1
table=$2

if [ ! -f "$table" ]; then
    echo "check: $table not found, host hypercall ids not checked"
    exit 0
fi

# Names of HOST_HCALLS in order, one per line.
names=$(sed -n '/HOST_HCALLS = \[/,/\] as const/p' "$table" |
    sed 's,/\*.*\*/,,' | grep -o "'[^']*'" | tr -d "'")
if [ -z "$names" ]; then
    echo "check: no HOST_HCALLS table found in $table"
    exit 1
fi

status=0
found=0
while read -r def name n; do
    [ "$def" = "#define" ] || continue
    case $name in
        __KVM_HOST_SMCCC_FUNC_*) ;;
        *) continue ;;
    esac
    found=1
    fn=${name#__KVM_HOST_SMCCC_FUNC_}
    idx=$(printf '%s\n' "$names" | awk -v fn="$fn" '$0 == fn { print NR - 1; exit }')
    if [ -z "$idx" ]; then
        echo "check: $fn ($header) is not in $table"
        status=1
    elif [ "$idx" != "$n" ]; then
        echo "check: $fn is $n in $header but $idx in $table (update the header and rebuild host-hcalls.elf)"
        status=1
    else
        echo "check: host hypercall $fn = $n OK"
    fi
done < "$header"
if [ $found = 0 ]; then
    echo "check: no __KVM_HOST_SMCCC_FUNC_ ids in $header"
    status=1
fi
exit $status
