# SPDX-License-Identifier: GPL-2.0
#
# guest.sh - what the end-to-end scenarios do inside the nested guest
# (L2: Debian's unmodified kernel, busybox, bash, Debian's accel-config),
# sourced in L2 before a scenario's guest part.  Each function prints
# what it saw and returns non-zero, with a "guest: ..." line, when the
# guest did not behave.
#
# Environment: VDEV_ITERATIONS (dmatest iterations per run, default 200).

iterations=${VDEV_ITERATIONS:-200}
TRACE=/sys/kernel/debug/tracing

gfail() {
	echo "guest: FAIL: $*"
	dmesg | tail -40
	return 1
}

# wait_for COND [TENTHS]: poll the shell condition COND every 0.2 s, at
# most TENTHS times (default 300, a minute).
wait_for() {
	local i=0

	while ! eval "$1"; do
		i=$((i + 1))
		[ $i -lt "${2:-300}" ] || return 1
		sleep 0.2
	done
}

# irqs NAME: interrupts of the /proc/interrupts lines that name NAME
irqs() {
	awk -v name="$1" 'index($0, name) {
		for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i }
	     END { print n + 0 }' /proc/interrupts
}

# vdsa: the virtual DSAs' PCI addresses (the 8086:0b25 functions), one
# a line, in bus order; nothing if there is none
vdsa() {
	local d

	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x0b25 ]; then
			echo "${d##*/}"
		fi
	done
}

# probe_ok [N]: idxd bound the virtual DSA dsaN (default 0: the first),
# which came up with its misc vector and no error.  Without a vIOMMU there
# is no SVA, and the vdev offers no perfmon: idxd says both, and neither
# is an error.
probe_ok() {
	local n=${1:-0}

	modprobe idxd || gfail "modprobe idxd" || return
	# A hot-added device comes after an ACPI event: minutes under nested TCG
	wait_for "[ \$(vdsa | wc -l) -gt $n ]" 3000 ||
		gfail "no 8086:0b25 function for dsa$n" || return
	echo "guest: virtual DSAs at" $(vdsa)
	grep -qw movdir64b /proc/cpuinfo || gfail "no movdir64b in /proc/cpuinfo" || return
	wait_for "[ -e /sys/bus/dsa/devices/dsa$n/state ]" 3000 || gfail "no dsa$n" || return
	dmesg | grep -i idxd
	if dmesg | grep -i idxd | grep -Ev 'user SVA feature|initialize perfmon' |
	   grep -Eiq 'fail|error|halted|timeout'; then
		gfail "idxd reported an error at probe"
		return
	fi
	grep -E 'CPU|idxd' /proc/interrupts
	grep -q idxd-misc /proc/interrupts || gfail "no idxd interrupt requested"
}

# wq_up [N]: the WQ of vdev dsaN (default 0) as a kernel dmaengine WQ,
# enabled (and the device); nothing to do if it is so already
wq_up() {
	local n=${1:-0} wq=/sys/bus/dsa/devices/wq${1:-0}.0

	if [ "$(cat "$wq/state" 2>/dev/null)" = enabled ] &&
	   [ "$(cat "$wq/type")" = kernel ]; then
		return 0
	fi
	if [ "$(cat "/sys/bus/dsa/devices/dsa$n/state")" != enabled ]; then
		accel-config enable-device "dsa$n" || gfail "enable-device dsa$n" || return
	fi
	accel-config config-wq "dsa$n/wq$n.0" --type=kernel --name=dmaengine \
		--driver-name=dmaengine || gfail "config-wq" || return
	accel-config enable-wq "dsa$n/wq$n.0" || gfail "enable-wq" || return
	accel-config list
}

dmatest_chan() {
	local chan

	chan=$(ls -d /sys/bus/dsa/devices/wq0.0/dma*chan* 2>/dev/null | head -1)
	chan=${chan##*/}
	echo "${chan:-dma0chan0}"
}

# dmatest RUN: one dmatest run of $iterations on the enabled WQ, verified
# and interrupt driven: every test passes and the WQ's vector takes an
# interrupt per test at least.  Prints "guest: iops RUN N".
dmatest() {
	local run=$1 before after summary iops

	before=$(irqs idxd-portal)
	dmesg -c >/dev/null
	modprobe dmatest timeout=20000 iterations="$iterations" \
		threads_per_chan=1 channel="$(dmatest_chan)" run=1 wait=1 ||
		gfail "modprobe dmatest" || return
	# wait=1 may return before the thread left its pending state
	wait_for '[ "$(cat /sys/module/dmatest/parameters/run)" = N ]' 3000 ||
		gfail "dmatest still running" || return
	dmesg | grep -i dmatest
	after=$(irqs idxd-portal)
	summary=$(dmesg | grep -E 'dmatest: .*summary' | tail -1)
	echo "guest: run $run: idxd-portal interrupts $before -> $after"
	modprobe -r dmatest || gfail "modprobe -r dmatest" || return
	echo "$summary" | grep -q " $iterations tests" ||
		gfail "dmatest did not run $iterations tests" || return
	echo "$summary" | grep -q " 0 failures" || gfail "dmatest failures" || return
	[ $((after - before)) -ge "$iterations" ] ||
		gfail "the WQ's vector got $((after - before)) interrupts for $iterations tests" ||
		return
	iops=$(echo "$summary" | sed -n 's/.* \([0-9.]*\) iops.*/\1/p')
	echo "guest: iops $run $iops"
}

# dmatest_start N: start a dmatest run of N iterations and return while
# it runs
dmatest_start() {
	modprobe dmatest timeout=20000 iterations="$1" threads_per_chan=1 \
		channel="$(dmatest_chan)" run=1 || gfail "modprobe dmatest" || return
	wait_for '[ "$(cat /sys/module/dmatest/parameters/run)" = Y ]' ||
		gfail "dmatest did not start"
}

# dmatest_loop_start N [all]: dmatest runs of N iterations one after
# another, in the background, until dmatest_loop_stop; returns once the
# first runs.  With "all", each run has a thread on every enabled WQ's
# channel (every vdev's), else one on the first WQ's.  (Runs that end by
# themselves: a dmatest stopped in the middle gives up on its descriptor
# in flight, a failure of its own, and its callback then warns that
# memory may be corrupted.)
dmatest_loop_start() {
	local chan

	[ "${2:-}" = all ] || chan=$(dmatest_chan)
	rm -f /tmp/dmatest-stop /tmp/dmatest-done
	irqs idxd-portal >/tmp/dmatest-portal-before
	echo "$1" >/tmp/dmatest-iterations
	dmesg -c >/dev/null
	(
		while [ ! -e /tmp/dmatest-stop ]; do
			modprobe dmatest timeout=20000 iterations="$1" \
				threads_per_chan=1 channel="${chan:-}" run=1 wait=1 || break
			wait_for '[ "$(cat /sys/module/dmatest/parameters/run)" = N ]' 3000 || break
			modprobe -r dmatest || break
		done
		touch /tmp/dmatest-done
	) </dev/null >/dev/null 2>&1 &
	wait_for '[ "$(cat /sys/module/dmatest/parameters/run 2>/dev/null)" = Y ]' ||
		gfail "dmatest did not start"
}

# dmatest_tests: the tests of the dmatest runs that ended since the log
# was last cleared
dmatest_tests() {
	dmesg | sed -n 's/.*dmatest: .*summary \([0-9]*\) tests.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

# dmatest_loop_stop [MIN]: once the runs that ended hold MIN tests (default
# 0; ten minutes at most), let the running run end and stop the loop:
# every thread of every run passed all its tests, an interrupt per test
# at least.  Prints "guest: tests N in R thread runs" (R: the threads'
# summaries) and "guest: iops loop X" (the last).
dmatest_loop_stop() {
	local before after runs tests n t min=${1:-0}

	for ((t = 0; t < 300; t++)); do
		[ "$(dmatest_tests)" -ge "$min" ] || [ -e /tmp/dmatest-done ] && break
		sleep 2
	done
	touch /tmp/dmatest-stop
	wait_for '[ -e /tmp/dmatest-done ]' 3000 || gfail "dmatest still running" || return
	after=$(irqs idxd-portal)
	before=$(cat /tmp/dmatest-portal-before)
	dmesg | grep -E 'dmatest: .*summary'
	runs=$(dmesg | grep -cE 'dmatest: .*summary')
	tests=$(dmatest_tests)
	echo "guest: tests $tests in $runs thread runs, idxd-portal interrupts $before -> $after"
	[ "$runs" -gt 0 ] || gfail "no dmatest run ended" || return
	n=$(cat /tmp/dmatest-iterations)
	[ "$(dmesg | grep -E 'dmatest: .*summary' | grep -vc " $n tests, 0 failures")" = 0 ] ||
		gfail "a dmatest run failed" || return
	[ "$tests" -ge "$min" ] || gfail "dmatest ran $tests tests, fewer than $min" || return
	[ $((after - before)) -ge "$tests" ] ||
		gfail "the WQ's vector got $((after - before)) interrupts for $tests tests" ||
		return
	echo "guest: iops loop $(dmesg | grep -E 'dmatest: .*summary' | tail -1 | sed -n 's/.* \([0-9.]*\) iops.*/\1/p')"
}

# unbind_bind: idxd lets go of the virtual DSA and takes it again (a new
# probe, the device's reset and its handles included)
unbind_bind() {
	local dev

	dev=$(vdsa | head -1)
	echo "$dev" >/sys/bus/pci/drivers/idxd/unbind || gfail "unbind idxd" || return
	wait_for '[ ! -e /sys/bus/dsa/devices/dsa0 ]' || gfail "dsa0 stayed" || return
	dmesg -c >/dev/null
	echo "$dev" >/sys/bus/pci/drivers/idxd/bind || gfail "bind idxd" || return
	probe_ok
}

# revoke_watch: note the misc vector's count and trace the stock idxd's
# own handling of INT_HANDLE_REVOKED (its work function, and the
# REQUEST_INT_HANDLE it sends for the new handle) with ftrace
revoke_watch() {
	irqs idxd-misc >/tmp/misc-before
	dmesg -c >/dev/null
	echo 0 >"$TRACE/tracing_on" &&
	echo >"$TRACE/trace" &&
	echo idxd_int_handle_revoke >"$TRACE/set_ftrace_filter" &&
	echo idxd_device_request_int_handle >>"$TRACE/set_ftrace_filter" &&
	echo function >"$TRACE/current_tracer" &&
	echo 1 >"$TRACE/tracing_on" || gfail "ftrace of idxd's revocation handling"
}

# revoke_check: since revoke_watch, the device raised INT_HANDLE_REVOKED
# (the misc vector fired), the stock idxd ran its revocation work and
# asked for its handle again, and its log says nothing went wrong
revoke_check() {
	local misc revokes requests

	misc=$(cat /tmp/misc-before)
	wait_for '[ "$(irqs idxd-misc)" -gt "$misc" ]' ||
		gfail "no interrupt on the misc vector after the host's reset" || return
	echo "guest: misc vector interrupts $misc -> $(irqs idxd-misc)"
	wait_for 'grep -q " idxd_device_request_int_handle" "$TRACE/trace"' ||
		true
	echo 0 >"$TRACE/tracing_on"
	grep -v '^#' "$TRACE/trace"
	revokes=$(grep -c ' idxd_int_handle_revoke <-' "$TRACE/trace")
	requests=$(grep -c ' idxd_device_request_int_handle <-idxd_int_handle_revoke' "$TRACE/trace")
	echo nop >"$TRACE/current_tracer"
	echo >"$TRACE/set_ftrace_filter"
	echo "guest: idxd's revocation work ran $revokes time(s), asked for $requests handle(s) in it"
	[ "$revokes" -ge 1 ] || gfail "idxd never ran its revocation work" || return
	[ "$requests" -ge 1 ] || gfail "idxd asked for no new handle" || return
	dmesg
	if dmesg | grep -i idxd | grep -Eiq 'fail|error|halt|timeout|unexpected'; then
		gfail "idxd's log after the reset reports a problem"
	fi
}
