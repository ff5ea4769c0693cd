#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vdev_fuzz_klog.sh - the fuzzer's kernel log check fails the run.
#
# vdev_fuzz must fail, print "FAIL: seed N, op N: ..." with the problem
# and the command line that replays the run, when the kernel logs a
# problem during the victim's check, during a batch's dmatest, during the
# dmatest after the attacker left, or during the teardown.  Each is a
# record of our own that vdev_fuzz --inject-klog writes to the kernel log
# at that place, matched by a pattern added for the run to those of
# $KSFT_SPLAT_FILE: the VM runner, which reads the console with the real
# patterns only, sees no problem.  Without kernel log patterns (the
# variable unset, the file missing or empty) vdev_fuzz must fail at once,
# saying why.

DIR=$(cd "$(dirname "$0")" && pwd)
FUZZ=$DIR/vdev_fuzz
MARK=vdev-fuzz-injected-problem-$$
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $*"
}

# What a failed run left behind: its vdevs and dmatest (the host is fine,
# the problem was ours, but the fuzzer leaves the host alone after one)
cleanup() {
	local d

	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d/remove" ] && echo 1 >"$d/remove" 2>/dev/null
	done
	modprobe -r dmatest 2>/dev/null
}

# inject WHERE: a run with a problem at WHERE must fail and say so
inject() {
	local where=$1 out=$tmp/$1.log rc seed

	KSFT_SPLAT_FILE=$tmp/patterns VDEV_FUZZ_INJECT=$MARK \
		"$FUZZ" --ops 100 --batch 50 --rare 0 --inject-klog "$where" \
		>"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	seed=$(sed -n 's/^# seed \([0-9]*\)$/\1/p' "$out" | head -1)
	if [ $rc = 0 ]; then
		not_ok "$where: a kernel problem fails the run (it passed)"
	elif ! grep -q "^# FAIL: seed $seed, op [0-9]*: .*kernel: vdev_fuzz: $where: $MARK" \
		"$out"; then
		not_ok "$where: a kernel problem fails the run" \
			"(no FAIL line with the seed and the problem)"
	elif ! grep -q "^# FAIL: seed $seed: replay with: .*--seed $seed --ops [0-9]*" "$out"; then
		not_ok "$where: a kernel problem fails the run (no replay line)"
	else
		ok "$where: a kernel problem fails the run, with its seed"
	fi
	cleanup
}

# no_patterns LABEL ENV...: vdev_fuzz must fail at once, saying why
no_patterns() {
	local label=$1 out=$tmp/none.log rc
	shift

	env "$@" "$FUZZ" --ops 1 >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	if [ $rc != 0 ] && grep -q 'KSFT_SPLAT_FILE' "$out" &&
	   ! grep -q 'setup: two vdevs' "$out"; then
		ok "no kernel log patterns ($label): the fuzzer fails at once"
	else
		not_ok "no kernel log patterns ($label): the fuzzer fails at once"
	fi
}

echo "TAP version 13"
echo "1..7"
if [ -z "${KSFT_SPLAT_FILE:-}" ] || [ ! -r "$KSFT_SPLAT_FILE" ]; then
	echo "# KSFT_SPLAT_FILE (tools/testing/vm/lib/splat-patterns) is not set or not readable"
	exit 1
fi
if [ ! -x "$FUZZ" ]; then
	echo "# $FUZZ is not built"
	exit 1
fi
{ cat "$KSFT_SPLAT_FILE"; echo "$MARK"; } >"$tmp/patterns"
: >"$tmp/empty"

no_patterns "KSFT_SPLAT_FILE unset" -u KSFT_SPLAT_FILE
no_patterns "no such file" KSFT_SPLAT_FILE="$tmp/missing"
no_patterns "an empty file" KSFT_SPLAT_FILE="$tmp/empty"
for where in victim dmatest last teardown; do
	inject "$where"
done
exit $failed
