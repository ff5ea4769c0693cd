# SPDX-License-Identifier: GPL-2.0
#
# common.sh - sourced by every script of the VM rig (tools/testing/vm):
# where things are, one result format, the kernel-splat patterns and
# timing.  Safe to source more than once.
#
#   . "$(dirname "$0")/lib/common.sh"
#
# Sets VM (tools/testing/vm), VM_LIB, TOP and BUILD (exported; TOP and
# BUILD keep a value the caller set), SPLAT_PATTERNS and KSFT_SPLAT_FILE
# (exported, for the kselftests that read the kernel log themselves).

VM_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=${VM_LIB%/lib}
TOP=${TOP:-$(cd "$VM/../../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
export TOP BUILD

# Kernel reports that fail a run: extended regular expressions, one a
# line.  run-vm, nested-guest and the kselftests that scan the kernel
# log (KSFT_SPLAT_FILE) all read this one file.
SPLAT_PATTERNS=$VM_LIB/splat-patterns
KSFT_SPLAT_FILE=$SPLAT_PATTERNS
export KSFT_SPLAT_FILE

# Results: one line each, "PASS: PREFIXname" or "FAIL: PREFIXname (why)",
# PREFIX being RESULT_PREFIX (e.g. "e2e: ").  fail sets RESULT_FAILED.
RESULT_PREFIX=${RESULT_PREFIX:-}
RESULT_FAILED=${RESULT_FAILED:-0}

pass() {
	echo "PASS: $RESULT_PREFIX$*"
}

fail() {
	echo "FAIL: $RESULT_PREFIX$*"
	RESULT_FAILED=1
}

# result NAME CMD...: PASS if CMD succeeds, else FAIL.
result() {
	local name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name"
	fi
}

# splat_scan FILE: the first lines of FILE (with their numbers) that
# report a kernel problem; non-zero if there is none.
splat_scan() {
	grep -a -n -m 5 -E -f "$SPLAT_PATTERNS" "$1"
}

# splat_report WHO FILE: if FILE shows a kernel problem, print it with
# some context to stderr and return 1.
splat_report() {
	local report first

	report=$(splat_scan "$2") || return 0
	echo "$1: the kernel reported a problem ($2):" >&2
	first=$(echo "$report" | head -1 | cut -d: -f1)
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 40))p" "$2" >&2
	return 1
}

# now, since T: wall-clock seconds, and those elapsed since T, to 0.1 s.
now() {
	date +%s.%N
}

since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# The slow DSA of the kselftest and bench boots: "-device $SLOW_DSA_DEVICE",
# whose engine takes one step (a descriptor, or one of a batch) per
# SLOW_DSA_DELAY_US of virtual time (x-desc-delay-us, see
# tools/testing/qemu/README.md), so that a vdev's WQ of 16 batches of 32
# NOOPs, 544 steps, takes 2.8 s to drain.  It sits at a fixed slot of q35
# that nothing else takes, 0x10 (the devices run-vm and its callers add
# without an address take slots 1, 2, 3... in order, the machine's own 0
# and 0x1f),
# and the tests find it by its PCI address in VDEV_SLOW_DSA
# (tools/testing/selftests/drivers/idxd-vdev/vdev.h): run-vm ... --device
# "$SLOW_DSA_DEVICE" -- env "VDEV_SLOW_DSA=$SLOW_DSA_BDF" COMMAND...
SLOW_DSA_DELAY_US=5000
SLOW_DSA_SLOT=10
SLOW_DSA_DEVICE=intel-dsa,x-desc-delay-us=$SLOW_DSA_DELAY_US,addr=$SLOW_DSA_SLOT.0
SLOW_DSA_BDF=0000:00:$SLOW_DSA_SLOT.0
export SLOW_DSA_DEVICE SLOW_DSA_BDF
