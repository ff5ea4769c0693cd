# SPDX-License-Identifier: GPL-2.0
#
# l2.sh - the nested guest (L2), from inside the emulated host (L1).
# Sourced after common.sh and qemu.sh by nested-guest (one script, one
# boot) and vdev-e2e (scenarios sharing a boot).
#
# L2 runs Debian's unmodified kernel (build/debian-linux) in a QEMU of
# the rig, with the initramfs of nested-initramfs as its only file system
# and a second archive with the test's files in /test.  Its first serial
# port is its kernel console; on the second, its /test/cmd talks.
#
# A session (l2_boot ... l2_stop) keeps L2 up while L1 runs scenarios in
# it: /test/cmd is then l2-agent, which runs each command L1 sends on
# that port and answers with its output and exit status, and QEMU's QMP
# monitor is open at $L2_DIR/qmp.sock.
#
#   l2_boot DIR QEMU [--launch CMD...] -- QEMU-ARG...   boot, wait for the agent
#   l2 [--timeout S] COMMAND...       run a command in L2, its output shown
#   l2_send COMMAND...                send one, do not wait: L2_LAST is its id
#   l2_wait ID TIMEOUT                wait for it
#   l2_qmp COMMAND [ARGS-JSON] [...]  a QMP command (lib/qmp.py)
#   l2_alive                          QEMU still runs
#   l2_kill SIGNAL                    signal QEMU itself
#   l2_stop                           power L2 off, check its console
#
# Live migration moves L2 from one QEMU to another: a second session of
# the same L2, started with -incoming, becomes the current one when the
# migration is over.  Each session's variables are kept in its DIR/session.
#
#   l2_incoming DIR QEMU [--launch CMD...] -- QEMU-ARG...
#                                     a QEMU waiting for L2 (-incoming defer)
#   l2_qmp_to DIR COMMAND ...         a QMP command to the session in DIR
#   l2_switch DIR                     DIR's session is the current one
#   l2_quit DIR                       end DIR's QEMU (QMP quit), check its console
#   l2_pickup                         take up the session a scenario switched to

L2_KERNEL=${L2_KERNEL:-$BUILD/nested/vmlinux}
L2_INITRAMFS=${L2_INITRAMFS:-$BUILD/nested/initramfs.img}
L2_BOOT_TIMEOUT=${L2_BOOT_TIMEOUT:-900}
# Where l2_switch leaves the current session's DIR for the shell that
# runs scenarios in subshells (l2_pickup); none if empty
L2_SESSION_FILE=${L2_SESSION_FILE:-}
# The file descriptor a session started inside a scenario streams its
# console to (the runner's output, not the scenario's pipe)
L2_LOG_FD=${L2_LOG_FD:-1}
L2_SESSION_VARS="L2_DIR L2_PID L2_QEMU L2_READER L2_TAIL"

# l2_initrd DIR CMD [DEST=]FILE...: DIR/initrd.img, the nested initramfs
# and an archive with each FILE in /test (at /test/DEST with DEST=) and
# /test/cmd, the shell line that L2's init runs (nested-init).
l2_initrd() {
	local dir=$1 cmd=$2 stage f dest
	shift 2

	stage=$dir/test-archive
	rm -rf "$stage"
	mkdir -p "$stage/test"
	for f in "$@"; do
		dest=${f##*/}
		if [[ $f == *=* ]]; then
			dest=${f%%=*}
			f=${f#*=}
		fi
		mkdir -p "$(dirname "$stage/test/$dest")"
		cp "$f" "$stage/test/$dest" || return 1
	done
	echo "$cmd" >"$stage/test/cmd"
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$dir/test.cpio.gz"
	cat "$L2_INITRAMFS" "$dir/test.cpio.gz" >"$dir/initrd.img"
	rm -rf "$stage"
}

# l2_qemu_args CPU CPUS MEM DIR OUT: QEMU_ARGS for L2 (see qemu_base_args),
# its second serial port the chardev OUT.  no_timer_check: under nested
# TCG the boot-time check that the IO-APIC timer ticks can time out and
# panic a healthy kernel.
l2_qemu_args() {
	qemu_base_args "$1" "$2" "$3" "$4/console.log"
	QEMU_ARGS+=(
		-kernel "$L2_KERNEL" -initrd "$4/initrd.img"
		-append "console=ttyS0,115200 panic=-1 no_timer_check${L2_APPEND:-}"
		-chardev "$5" -serial chardev:out
	)
}

# l2_console_check WHO: L2's kernel console (L2_DIR/console.log) is
# clean.  In a session the console was printed as it came (l2_boot); a
# one-shot run prints it here.
l2_console_check() {
	if [ -z "${L2_TAIL:-}" ]; then
		echo "--- L2 console ($L2_DIR/console.log)"
		tr -d '\r' <"$L2_DIR/console.log"
		echo "--- end of L2 console"
	fi
	splat_report "$1" "$L2_DIR/console.log"
}

# l2_boot DIR QEMU [--launch CMD...] -- QEMU-ARG...: boot L2 with QEMU,
# run directory DIR (on one of L1's tmpfs), the agent as its command and
# lib/guest.sh and every file of L2_FILES ([DEST=]FILE...) in /test; QMP
# at DIR/qmp.sock.  CMD... (e.g. unshare ...) starts QEMU: it must exec
# its last arguments.  Returns once the agent answers, non-zero if L2
# did not come up within L2_BOOT_TIMEOUT seconds.
l2_boot() {
	local start launch=() t
	L2_DIR=$1
	L2_QEMU=$2
	shift 2
	if [ "${1:-}" = --launch ]; then
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			launch+=("$1")
			shift
		done
	fi
	[ "${1:-}" = -- ] && shift

	rm -rf "$L2_DIR"
	mkdir -p "$L2_DIR"
	: >"$L2_DIR/console.log"
	: >"$L2_DIR/output.log"
	l2_initrd "$L2_DIR" "exec bash /test/agent" "agent=$VM_LIB/l2-agent" \
		"guest.sh=$VM_LIB/guest.sh" ${L2_FILES[@]+"${L2_FILES[@]}"} || return 1
	# The agent's port: two FIFOs that QEMU opens read-write, so that
	# neither side blocks on the other's open.
	mkfifo "$L2_DIR/agent.in" "$L2_DIR/agent.out"
	l2_qemu_args "${L2_CPU:-max}" "${L2_CPUS:-1}" "${L2_MEM:-512M}" "$L2_DIR" \
		"pipe,id=out,path=$L2_DIR/agent"
	QEMU_ARGS+=(-qmp "unix:$L2_DIR/qmp.sock,server=on,wait=off" "$@")
	start=$(now)
	qemu_start "$L2_DIR" "${L2_TIMEOUT:-3600}" ${launch[@]+"${launch[@]}"} "$L2_QEMU" "${QEMU_ARGS[@]}"
	L2_PID=$QEMU_PID
	cat "$L2_DIR/agent.out" >>"$L2_DIR/output.log" &
	L2_READER=$!
	# L2's console as it comes, for the logs (L1 may die before the end)
	[ -n "${L2_TAIL:-}" ] && kill "$L2_TAIL" 2>/dev/null
	tail -n +1 -F --pid="$L2_PID" "$L2_DIR/console.log" 2>/dev/null |
		sed -u -e 's/\r$//' -e 's/^/L2| /' &
	L2_TAIL=$!
	echo "l2: booting L2 with $L2_QEMU (run directory $L2_DIR)"
	for ((t = 0; t < L2_BOOT_TIMEOUT * 2; t++)); do
		if grep -aq '^@@L2-READY' "$L2_DIR/output.log"; then
			l2_session_save
			echo "l2: L2's agent answered $(since "$start") s after its QEMU started (L2 uptime at user space: $(sed -n 's/^@@L2-USERSPACE \([0-9.]*\).*/\1/p' "$L2_DIR/output.log" | head -1) s)"
			return 0
		fi
		l2_alive || break
		sleep 0.5
	done
	echo "l2: L2 did not come up ($(l2_alive && echo "still booting after ${L2_BOOT_TIMEOUT} s" || echo "QEMU exited"))" >&2
	cat "$L2_DIR/qemu.log" >&2
	l2_kill KILL
	l2_reader_done
	l2_console_check l2 >&2
	return 1
}

# l2_alive: L2's QEMU still runs (not a zombie its parent did not reap:
# a scenario's subshell cannot wait for the runner's child)
l2_alive() {
	local stat

	[ -n "${L2_PID:-}" ] && stat=$(cat "/proc/$L2_PID/stat" 2>/dev/null) &&
		[ "$(echo "${stat##*) }" | cut -d' ' -f1)" != Z ]
}

# l2_send COMMAND...: have the agent run COMMAND (a shell line, in /test,
# bash, lib/guest.sh not yet sourced); L2_LAST is its id.
l2_send() {
	# Unique without shared state: callers run l2 in pipelines (subshells)
	L2_LAST=$BASHPID.$(date +%s%N)
	l2_alive || return 1
	# The agent's FIFO is held open by QEMU: a write blocks only if QEMU
	# is gone between the check above and here.
	timeout 10 bash -c 'printf "@@RUN %s %s\n" "$1" "$2" >"$3"' _ \
		"$L2_LAST" "$*" "$L2_DIR/agent.in"
}

# l2_wait ID TIMEOUT: wait for command ID, print its output ("  l2| "
# before each line) and return its exit status; 124 on a timeout, 125 if
# L2 went away.
l2_wait() {
	local id=$1 timeout=$2 t rc

	for ((t = 0; t < timeout * 2; t++)); do
		grep -aq "^@@L2-DONE $id " "$L2_DIR/output.log" && break
		l2_alive || break
		sleep 0.5
	done
	awk -v id="$id" '$0 == "@@L2-BEGIN " id { on = 1; next }
		$1 == "@@L2-DONE" && $2 == id { exit }
		on { print "  l2| " $0 }' "$L2_DIR/output.log"
	rc=$(awk -v id="$id" '$1 == "@@L2-DONE" && $2 == id { print $3 }' "$L2_DIR/output.log")
	if [ -n "$rc" ]; then
		return "$rc"
	fi
	if l2_alive; then
		echo "l2: command $id still running after ${timeout} s" >&2
		return 124
	fi
	echo "l2: L2 went away during command $id" >&2
	return 125
}

# l2 [--timeout S] COMMAND...: run COMMAND in L2 (default timeout 900 s)
l2() {
	local timeout=900

	if [ "$1" = --timeout ]; then
		timeout=$2
		shift 2
	fi
	l2_send "$@" || { echo "l2: L2 is not running" >&2; return 125; }
	l2_wait "$L2_LAST" "$timeout"
}

l2_qmp() {
	python3 "$VM_LIB/qmp.py" "$L2_DIR/qmp.sock" "$@"
}

# l2_kill SIGNAL: signal QEMU itself (its timeout wrapper's child) and
# wait up to a minute for it to go; L2_QEMU_PID is the pid signalled.
l2_kill() {
	local t

	L2_QEMU_PID=$(pgrep -P "$L2_PID" 2>/dev/null | head -1)
	kill -"$1" "${L2_QEMU_PID:-$L2_PID}" 2>/dev/null
	for ((t = 0; t < 120; t++)); do
		l2_alive || break
		sleep 0.5
	done
	! l2_alive || return 1
	l2_reader_done
}

# l2_reader_done: the reader of the agent's port ends with QEMU; if QEMU
# never opened the port, the reader is still blocked in its open: end it
l2_reader_done() {
	local t

	for ((t = 0; t < 10; t++)); do
		kill -0 "$L2_READER" 2>/dev/null || return 0
		sleep 0.2
	done
	kill "$L2_READER" 2>/dev/null
	return 0
}

# l2_stop: power L2 off through its agent (killed after 120 s); 0 if its
# QEMU exited by itself and its kernel reported no problem.
l2_stop() {
	local rc=0

	l2_alive && timeout 10 bash -c 'echo @@QUIT >"$1"' _ "$L2_DIR/agent.in"
	l2_end 120 "L2 did not power off" || rc=1
	l2_console_check l2 || rc=1
	return $rc
}

# l2_end SECONDS WHY: wait up to SECONDS for the current session's QEMU to
# go (killed after, saying WHY), then reap it: L2_STATUS, its console
# reader.  0 if it went by itself and exited 0.
l2_end() {
	local t rc=0

	for ((t = 0; t < $1 * 2; t++)); do
		l2_alive || break
		sleep 0.5
	done
	if l2_alive; then
		echo "l2: $2" >&2
		l2_kill KILL
		rc=1
	fi
	wait "$L2_PID" 2>/dev/null
	L2_STATUS=$?
	# A QEMU another shell started (the boot's, from a scenario): its
	# status is that shell's to know; it went by itself, which is enough
	[ "$L2_STATUS" = 127 ] && [ ! -e "$L2_DIR/pid" ] && L2_STATUS=0
	l2_status
	l2_reader_done
	if [ "$L2_STATUS" != 0 ]; then
		echo "l2: the QEMU of $L2_DIR exited $L2_STATUS" >&2
		cat "$L2_DIR/qemu.log" >&2
		rc=1
	fi
	return $rc
}

# l2_status: L2_STATUS of a QEMU that l2_incoming started (not a child
# of this shell when a scenario's subshell started it): what its
# wrapper wrote when it ended
l2_status() {
	local t

	[ -e "$L2_DIR/pid" ] || return 0
	for ((t = 0; t < 50; t++)); do
		[ -s "$L2_DIR/status" ] && break
		sleep 0.2
	done
	L2_STATUS=$(cat "$L2_DIR/status" 2>/dev/null)
	L2_STATUS=${L2_STATUS:-255}
}

# l2_session_save: the current session's variables in its DIR/session
l2_session_save() {
	local v

	for v in $L2_SESSION_VARS; do
		printf '%s=%q\n' "$v" "${!v:-}"
	done >"$L2_DIR/session"
}

# l2_use DIR: the session in DIR is the current one, in this shell
l2_use() {
	# shellcheck source=/dev/null
	. "$1/session"
}

# l2_switch DIR: the session in DIR is the current one, here and (through
# L2_SESSION_FILE) for the shell that runs the scenarios
l2_switch() {
	l2_use "$1" || return 1
	[ -z "$L2_SESSION_FILE" ] || echo "$1" >"$L2_SESSION_FILE"
}

# l2_pickup: after a scenario, take up the session it switched to, if any
l2_pickup() {
	[ -n "$L2_SESSION_FILE" ] && [ -s "$L2_SESSION_FILE" ] || return 0
	l2_use "$(cat "$L2_SESSION_FILE")"
	rm -f "$L2_SESSION_FILE"
}

l2_qmp_to() {
	local dir=$1
	shift
	python3 "$VM_LIB/qmp.py" "$dir/qmp.sock" "$@"
}

# l2_close_fds: close every file descriptor above 2 in this (sub)shell.
# A background subshell that does not exec inherits the copies bash
# keeps of the fds a redirection of its caller replaced (e.g. the
# scenario's output pipe behind a "... >/dev/null"), and would hold them
# open as long as it lives.
l2_close_fds() {
	local fd

	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	done 2>/dev/null
}

# l2_incoming DIR QEMU [--launch CMD...] -- QEMU-ARG...: start QEMU for
# the current session's L2 as the destination of a live migration: the
# same machine, kernel and initramfs (the same files), its own console,
# agent port and QMP socket in DIR, QEMU-ARG... (the same devices as the
# source), and "-incoming defer": it waits for migrate-incoming.  Its
# session is saved in DIR/session; the current session stays current.
# QEMU runs under a wrapper that writes its exit status to DIR/status,
# since the shell that started it (a scenario's) may be gone when the
# runner stops it; nothing it starts keeps the caller's output open.
l2_incoming() {
	local dir=$1 qemu=$2 launch=() t src=$L2_DIR v
	local -A saved
	shift 2
	if [ "${1:-}" = --launch ]; then
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			launch+=("$1")
			shift
		done
	fi
	[ "${1:-}" = -- ] && shift

	for v in $L2_SESSION_VARS; do
		saved[$v]=${!v:-}
	done
	rm -rf "$dir"
	mkdir -p "$dir"
	: >"$dir/console.log"
	: >"$dir/output.log"
	ln "$src/initrd.img" "$dir/initrd.img" 2>/dev/null ||
		cp "$src/initrd.img" "$dir/initrd.img" || return 1
	mkfifo "$dir/agent.in" "$dir/agent.out"
	l2_qemu_args "${L2_CPU:-max}" "${L2_CPUS:-1}" "${L2_MEM:-512M}" "$dir" \
		"pipe,id=out,path=$dir/agent"
	QEMU_ARGS+=(-qmp "unix:$dir/qmp.sock,server=on,wait=off" "$@" -incoming defer)
	(
		l2_close_fds
		qemu_start "$dir" "${L2_TIMEOUT:-3600}" ${launch[@]+"${launch[@]}"} "$qemu" "${QEMU_ARGS[@]}"
		echo "$QEMU_PID" >"$dir/pid"
		wait "$QEMU_PID"
		echo $? >"$dir/status"
	) </dev/null >/dev/null 2>&1 &
	for ((t = 0; t < 50; t++)); do
		[ -s "$dir/pid" ] && break
		sleep 0.1
	done
	L2_DIR=$dir
	L2_QEMU=$qemu
	L2_PID=$(cat "$dir/pid" 2>/dev/null)
	cat "$dir/agent.out" 2>/dev/null >>"$dir/output.log" &
	L2_READER=$!
	{ l2_close_fds; tail -n +1 -F --pid="$L2_PID" "$dir/console.log" 2>/dev/null |
		sed -u -e 's/\r$//' -e 's/^/L2| /'; } >&"$L2_LOG_FD" 2>/dev/null &
	L2_TAIL=$!
	l2_session_save
	echo "l2: incoming QEMU for L2 started, $qemu (run directory $dir)"
	for ((t = 0; t < 240; t++)); do
		l2_qmp_to "$dir" query-status >/dev/null 2>&1 && break
		l2_alive || break
		sleep 0.5
	done
	for v in $L2_SESSION_VARS; do
		printf -v "$v" '%s' "${saved[$v]}"
	done
	if ! l2_qmp_to "$dir" query-status 2>&1; then
		echo "l2: the incoming QEMU does not answer QMP:" >&2
		cat "$dir/qemu.log" >&2
		return 1
	fi
}

# l2_quit DIR: end the QEMU of the session in DIR (e.g. a migration's
# source, paused) with QMP quit, killed after a minute; 0 if it exited
# by itself with status 0 and the console of L2 it kept is clean.
l2_quit() {
	local dir=$1 rc=0 v
	local -A saved

	for v in $L2_SESSION_VARS; do
		saved[$v]=${!v:-}
	done
	l2_use "$dir"
	l2_alive && l2_qmp_to "$dir" quit >/dev/null 2>&1
	l2_end 60 "the QEMU of $dir did not quit" || rc=1
	splat_report l2 "$dir/console.log" || rc=1
	for v in $L2_SESSION_VARS; do
		printf -v "$v" '%s' "${saved[$v]}"
	done
	return $rc
}
