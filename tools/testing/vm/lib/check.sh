# SPDX-License-Identifier: GPL-2.0
#
# check.sh - how make check (tools/testing/vm/check) runs and counts its
# steps and suites; sourced after common.sh.  Tested without a VM by
# tools/testing/vm/rig-selftest.
#
#   check_init LOGDIR          results, step times and logs in LOGDIR
#   step NAME LOG CMD...       a build step: one result, its seconds
#   suite NAME MIN CMD...      a test suite: its results, at least MIN
#   took NAME START            a step's seconds, printed and kept
#   summary                    the steps' seconds, the failures, the
#                              "N passed, N failed" line; exits

check_init() {
	LOGS=$1
	mkdir -p "$LOGS"
	results=$LOGS/results.txt
	: >"$results"
	times=$LOGS/times.txt
	: >"$times"
	check_start=$(date +%s)
}

result() {
	echo "$1" | tee -a "$results"
}

# took NAME START: print and keep the seconds step NAME took since START
took() {
	local s=$(($(date +%s) - $2))

	echo "check: $1: $s s"
	printf '%6d s  %s\n' "$s" "$1" >>"$times"
}

# step NAME LOG CMD...: run a build step, its output in LOG; a failure is
# a failed test and its log's tail is shown.
step() {
	local name=$1 log=$LOGS/$2 start rc=0
	shift 2
	echo "== $name"
	start=$(date +%s)
	"$@" >"$log" 2>&1 || rc=$?
	took "$name" "$start"
	if [ $rc = 0 ]; then
		result "PASS: $name"
		return 0
	fi
	tail -n 40 "$log"
	result "FAIL: $name (log: $log)"
	return 1
}

# suite NAME MIN CMD...: a test suite, whose "PASS: " and "FAIL: " lines
# are results.  It has MIN results at least: printing fewer (or none:
# it died early) is a failure of its own, and so is a non-zero exit
# without a FAIL line.  Prints its seconds.
suite() {
	local name=$1 min=$2 start out rc n
	shift 2
	echo "== $name"
	start=$(date +%s)
	out=$LOGS/suite-$(echo "$name" | tr -c 'A-Za-z0-9.\n-' _).txt
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	grep -aE '^(PASS|FAIL): ' "$out" >>"$results"
	n=$(grep -acE '^(PASS|FAIL): ' "$out")
	if [ "$n" -lt "$min" ]; then
		result "FAIL: $name: $n results, fewer than the $min it has"
	fi
	if [ "$rc" != 0 ] && ! grep -aq '^FAIL: ' "$out"; then
		result "FAIL: $name: exited $rc without a failure of its own"
	fi
	took "$name" "$start"
}

summary() {
	local pass fail
	pass=$(grep -c '^PASS: ' "$results")
	fail=$(grep -c '^FAIL: ' "$results")
	echo
	echo "Steps:"
	cat "$times"
	printf '%6d s  %s\n' $(($(date +%s) - check_start)) "in all"
	if [ "$fail" -gt 0 ]; then
		echo "Failed:"
		grep '^FAIL: ' "$results" | sed 's/^FAIL: /  /'
	fi
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

