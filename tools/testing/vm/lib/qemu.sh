# SPDX-License-Identifier: GPL-2.0
#
# qemu.sh - how the rig starts a QEMU: sourced by run-vm (the emulated
# host, L1) and l2.sh (the nested guest, L2), after common.sh.
#
#   qemu_base_args CPU CPUS MEM CONSOLE     QEMU_ARGS: the machine
#   qemu_start RUNDIR TIMEOUT QEMU ARG...    start it; QEMU_PID
#   qemu_crash_report QEMU RUNDIR STATUS     a crashed QEMU's backtraces

# qemu_base_args CPU CPUS MEM CONSOLE: set QEMU_ARGS to what every VM of
# the rig is: q35 under TCG, nothing the rig did not ask for, Debian's
# firmware, the kernel console on the first serial port, kept in the file
# CONSOLE.  The caller adds the kernel, its second serial port and devices.
qemu_base_args() {
	QEMU_ARGS=(
		-machine q35,accel=tcg,dump-guest-core=off -cpu "$1" -smp "$2" -m "$3"
		-nodefaults -no-user-config -display none -no-reboot
		-L /usr/share/seabios -L /usr/share/qemu
		-chardev "file,id=con,path=$4" -serial chardev:con
	)
}

# qemu_start RUNDIR TIMEOUT QEMU ARG...: start QEMU in the background in
# RUNDIR, so that a crash leaves its core there (without the guest's RAM:
# dump-guest-core=off), killed after TIMEOUT seconds, its own messages in
# RUNDIR/qemu.log and its command line in RUNDIR/qemu.cmd.  Sets QEMU_PID.
qemu_start() {
	local rundir=$1 timeout=$2

	shift 2
	printf '%q ' "$@" >"$rundir/qemu.cmd"
	echo >>"$rundir/qemu.cmd"
	(
		ulimit -c unlimited 2>/dev/null || true
		cd "$rundir" || exit 127
		exec timeout -k 10 "$timeout" "$@" </dev/null >"$rundir/qemu.log" 2>&1
	) &
	QEMU_PID=$!
}

# qemu_crash_report QEMU RUNDIR STATUS: if QEMU died of a signal (STATUS
# > 128), every thread's backtrace from its core in RUNDIR, on stderr.
qemu_crash_report() {
	local qemu=$1 rundir=$2 qrc=$3 core

	[ "$qrc" -gt 128 ] || return 0
	core=$(ls -t "$rundir"/core* 2>/dev/null | head -1)
	if [ -z "$core" ]; then
		echo "QEMU died of signal $((qrc - 128)), no core in $rundir (core_pattern: $(cat /proc/sys/kernel/core_pattern 2>/dev/null))" >&2
		return 0
	fi
	echo "QEMU died of signal $((qrc - 128)); its threads, from $core:" >&2
	if command -v gdb >/dev/null; then
		gdb -q -batch -ex 'echo the thread that died:\n' -ex 'bt 40' \
			-ex 'thread apply all bt 20' "$qemu" "$core" 2>&1 |
			grep -v '^\[New LWP\|^warning:' | head -n 300 >&2
	else
		echo "no gdb to read it" >&2
	fi
}
