# SPDX-License-Identifier: GPL-2.0
#
# e2e.sh - the emulated host's (L1's) side of the end-to-end scenarios:
# its DSA, the vdevs it makes and what it sees of them.  Sourced by
# vdev-e2e after common.sh, qemu.sh and l2.sh.
#
#   vdev_create [DSA [TYPE]]    a new vdev through mdev sysfs: VDEV (uuid)
#   vdev_wq DSA WQ              wqDSA.WQ is bound to idxd_vdev
#   vdev_handle UUID            the IMS handle of its vector 1
#   vdev_plug ID [PROP...]      QMP device_add of vdev VDEV as ID (rp0)
#   vdev_unplug ID              QMP device_del, waiting for the guest
#   vdev_irqs UUID              its IMS vector's interrupts (/proc)
#   irq_stat UUID NAME          a count of its debugfs "irqs"
#   vdev_checks LABEL GROWTH    what the host saw of vdev VDEV's vectors
#   vdev_released UUID [SECS]   nothing of it is allocated (within SECS)
#   host_reset                  a function level reset of the DSA
#   host_dmatest N              dmatest on the host's own kernel WQ
#   mig_run SRC DST LIMIT       live migration of L2 from the session in
#                               SRC to the incoming one in DST (QMP)
#   mig_figures LABEL           its figures, from query-migrate

DSA_BDF=${DSA_BDF:-}
MDEV_TYPE=${MDEV_TYPE:-idxd-dsa-1dwq-v1}

dsa_bdf() {
	[ -n "$DSA_BDF" ] ||
		DSA_BDF=$(basename "$(readlink -f /sys/bus/dsa/devices/dsa0/..)")
	echo "$DSA_BDF"
}

# dsa_bdf_of N: the PCI address of the host's dsaN
dsa_bdf_of() {
	basename "$(readlink -f "/sys/bus/dsa/devices/dsa$1/..")"
}

# vdev_create [DSA [TYPE]]: a new vdev of mdev type TYPE (default
# MDEV_TYPE) on the host's dsaDSA (default the first): VDEV is its uuid
vdev_create() {
	local bdf

	bdf=$(dsa_bdf)
	[ -z "${1:-}" ] || bdf=$(dsa_bdf_of "$1")
	VDEV=$(cat /proc/sys/kernel/random/uuid)
	echo "$VDEV" >"/sys/bus/pci/devices/$bdf/mdev_supported_types/${2:-$MDEV_TYPE}/create"
}

# vdev_wq DSA WQ: wqDSA.WQ is bound to idxd_vdev (vdev-e2e configures
# the WQs: a WQ's size is fixed while its DSA is enabled)
vdev_wq() {
	[ "$(readlink -f "/sys/bus/dsa/devices/wq$1.$2/driver")" = /sys/bus/dsa/drivers/idxd_vdev ]
}

# vdev_handle UUID: the interrupt handle of the vdev's vector 1 (its host
# IMS entry), or nothing if it holds none
vdev_handle() {
	sed -n 's/^vector 1: .* handle \(0x[0-9a-f]*\).*/\1/p' \
		"/sys/kernel/debug/idxd_vdev/$1/irqs" 2>/dev/null
}

vdev_remove() {
	echo 1 >"/sys/bus/mdev/devices/$1/remove" && [ ! -e "/sys/bus/mdev/devices/$1" ]
}

# vdev_plug ID [PROP...]: hot-add vdev VDEV to L2 as vfio-pci device ID on
# the root port rp0 (PROP: more properties, e.g. iommufd=iommufd0, or
# bus=rp1 for another root port)
vdev_plug() {
	local id=$1 props bus=rp0
	shift
	props="{\"driver\": \"vfio-pci\", \"id\": \"$id\""
	props+=", \"sysfsdev\": \"/sys/bus/mdev/devices/$VDEV\""
	while [ $# -gt 0 ]; do
		if [ "${1%%=*}" = bus ]; then
			bus=${1#*=}
		else
			props+=", \"${1%%=*}\": \"${1#*=}\""
		fi
		shift
	done
	l2_qmp device_add "$props, \"bus\": \"$bus\"}"
}

# vdev_unplug ID: device_del, and wait until the guest let the device go
# and QEMU deleted it (DEVICE_DELETED)
vdev_unplug() {
	l2_qmp device_del "{\"id\": \"$1\"}" --event "DEVICE_DELETED:$1" --timeout 300
}

# vdev_irqs UUID: interrupts of the vdev's IMS-backed vector 1, all CPUs
vdev_irqs() {
	awk -v name="idxd-vdev-$1-1" '$NF == name {
		for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i }
	     END { print n + 0 }' /proc/interrupts
}

# irq_stat UUID NAME: a count of the vdev's debugfs "irqs" (since the
# user's last open; kept after the close)
irq_stat() {
	sed -n "s/^$2: //p" "/sys/kernel/debug/idxd_vdev/$1/irqs"
}

# vdev_released UUID [SECONDS]: no vector of the vdev holds an IMS entry,
# and no interrupt line of it is left, now or within SECONDS (a closing
# VMM releases it as it exits)
vdev_released() {
	local t=0

	while grep -q ' handle ' "/sys/kernel/debug/idxd_vdev/$1/irqs" ||
	      grep -q "idxd-vdev-$1-" /proc/interrupts; do
		[ $((t += 1)) -le $((${2:-0} * 2)) ] || return 1
		sleep 0.5
	done
}

# vdev_checks LABEL GROWTH IRQS: what the host saw of vdev VDEV while the
# guest ran IRQS interrupt-driven descriptors at least: its IMS vector
# took them (read while the vector is still up), the VMM grew its MSI-X
# index the GROWTH way ("dynamic": one vector at a time, QEMU >= 8.1;
# "whole": a disable and a larger enable, QEMU 7.2), and each vector's
# IMS entry was allocated once, so the guest's handle never changed.
vdev_checks() {
	local label=$1 growth=$2 want=$3 n regrows added allocs

	n=$(vdev_irqs "$VDEV")
	echo "e2e: $label: host IMS vector idxd-vdev-$VDEV-1: $n interrupts"
	if [ "$n" -ge "$want" ]; then
		pass "$label: the vdev's IMS vector took the guest's completions ($n)"
	else
		fail "$label: the vdev's IMS vector took $n interrupts, want >= $want"
	fi
	echo "e2e: $label: the vdev's MSI-X index as the host saw it:"
	sed 's/^/e2e:   /' "/sys/kernel/debug/idxd_vdev/$VDEV/irqs"
	regrows=$(irq_stat "$VDEV" regrows)
	added=$(irq_stat "$VDEV" added)
	allocs=$(sed -n 's/^vector [0-9]*: ims_allocs \([0-9]*\).*/\1/p' \
		"/sys/kernel/debug/idxd_vdev/$VDEV/irqs" | sort -u | tr '\n' ' ')
	if [ "$growth" = dynamic ] && [ "${regrows:-x}" = 0 ] && [ "${added:-0}" -ge 1 ]; then
		pass "$label: vectors added one at a time ($added), no whole-index regrowth"
	elif [ "$growth" = whole ] && [ "${regrows:-0}" -ge 1 ] && [ "${added:-x}" = 0 ]; then
		pass "$label: the index grown whole ($regrows disable and larger enable), no vector added alone"
	else
		fail "$label: MSI-X growth: regrows ${regrows:-?}, added ${added:-?}, want the $growth pattern"
	fi
	if [ "$allocs" = "1 " ]; then
		pass "$label: every vector's IMS entry allocated once"
	else
		fail "$label: IMS entries allocated per vector: ${allocs:-none}, want 1"
	fi
}

# host_reset: a function level reset of the host's DSA (under the
# guests' enabled WQs)
host_reset() {
	echo 1 >"/sys/bus/pci/devices/$(dsa_bdf)/reset"
}

# host_dmatest N: dmatest of N iterations on the host's own kernel WQ
# (wq0.0); prints its iops
host_dmatest() {
	local chan summary

	chan=$(ls -d /sys/bus/dsa/devices/wq0.0/dma*chan* 2>/dev/null | head -1)
	chan=${chan##*/}
	[ -n "$chan" ] || chan=dma0chan0
	dmesg -C
	modprobe dmatest timeout=20000 iterations="$1" threads_per_chan=1 \
		channel="$chan" run=1 wait=1 || return 1
	while [ "$(cat /sys/module/dmatest/parameters/run)" != N ]; do
		sleep 0.2
	done
	summary=$(dmesg | grep -E 'dmatest: .*summary' | tail -1)
	modprobe -r dmatest
	echo "$summary" | grep -q " $1 tests, 0 failures" || return 1
	echo "$summary" | sed -n 's/.* \([0-9.]*\) iops.*/\1/p'
}

# guest COMMAND...: run COMMAND in L2 after sourcing guest.sh and the
# running scenario's file (its guest part), with its output shown
guest() {
	local timeout=900

	if [ "$1" = --timeout ]; then
		timeout=$2
		shift 2
	fi
	l2 --timeout "$timeout" "export VDEV_ITERATIONS=$iterations; . /test/guest.sh &&" \
		"${SCENARIO:+. /test/scenarios/$SCENARIO &&}" "$@"
}

# figures LABEL FILE: the guest's dmatest figures in FILE (guest output)
# as e2e figure lines
figures() {
	sed -n "s/^  l2| guest: iops \([0-9]*\) /e2e: figure: $1: guest dmatest iops on the vdev, run \1: /p" "$2"
}

# stock_guest LABEL: the stock guest's idxd on the vdev plugged in L2:
# it probes, dmatest runs on its WQ; idxd is unbound and bound again
# (a new probe, the device's reset and handles), dmatest; the host's
# DSA takes a function level reset under the guest's enabled WQ: the
# vdev revokes the WQ's handle, the guest's idxd (ftrace) takes the
# revocation and asks for a new handle, its log stays clean, and dmatest
# runs on the new handle; the host's own kernel WQ works after the reset.
stock_guest() {
	local label=$1 log=$STATE/guest.log

	: >"$log"
	if guest --timeout 1200 probe_ok | tee -a "$log" &&
	   guest wq_up | tee -a "$log" &&
	   guest dmatest 1 | tee -a "$log"; then
		pass "$label: stock guest: idxd probes the vdev, dmatest (${iterations} iterations, 0 failures, interrupt driven)"
	else
		fail "$label: stock guest: idxd probes the vdev, dmatest"
		return 1
	fi
	if guest "accel-config disable-wq dsa0/wq0.0" | tee -a "$log" &&
	   guest unbind_bind | tee -a "$log" &&
	   guest wq_up | tee -a "$log" &&
	   guest dmatest 2 | tee -a "$log"; then
		pass "$label: idxd unbound and bound again, dmatest"
	else
		fail "$label: idxd unbound and bound again, dmatest"
	fi
	# (The same WQ: the vdev's configuration is fixed, and the stock idxd
	# forgets a fixed WQ's mode when it disables the WQ, so it cannot
	# enable it again before the driver is bound anew.)
	if guest revoke_watch | tee -a "$log" && host_reset &&
	   guest revoke_check | tee -a "$log" &&
	   guest dmatest 3 | tee -a "$log"; then
		pass "$label: host DSA reset under the guest's WQ: the guest's idxd took the revocation and a new handle, its log is clean, dmatest on the new handle"
	else
		fail "$label: host DSA reset under the guest's WQ, the guest's revocation and dmatest after it"
	fi
	if host_dmatest 20 >/dev/null; then
		pass "$label: the host's kernel WQ runs dmatest after the reset"
	else
		fail "$label: the host's kernel WQ runs dmatest after the reset"
	fi
	figures "$label" "$log"
}

# mig_run SRC DST LIMIT: migrate L2 live from the QEMU of the session in
# SRC to the one l2_incoming started in DST, over a unix socket, as
# libvirt drives it: the return path on (so that a destination that
# fails to load fails the migration and the source runs on), the
# downtime limit LIMIT ms, migrate-incoming on the destination, migrate
# on the source, query-migrate until it ends.  MIG_INFO is query-migrate's
# last return; 0 if the migration completed.
mig_run() {
	local src=$1 dst=$2 limit=$3 caps status

	caps='{"capabilities": [{"capability": "return-path", "state": true}]}'
	MIG_INFO=
	l2_qmp_to "$dst" migrate-set-capabilities "$caps" >/dev/null &&
	l2_qmp_to "$dst" migrate-incoming "{\"uri\": \"unix:$dst/mig.sock\"}" >/dev/null &&
	l2_qmp_to "$src" migrate-set-capabilities "$caps" >/dev/null &&
	l2_qmp_to "$src" migrate-set-parameters "{\"downtime-limit\": $limit}" >/dev/null &&
	l2_qmp_to "$src" migrate "{\"uri\": \"unix:$dst/mig.sock\"}" >/dev/null || return 1
	MIG_INFO=$(l2_qmp_to "$src" query-migrate --until status=completed,failed,cancelled \
		--interval 1 --timeout "${MIG_TIMEOUT:-1200}")
	status=$(echo "$MIG_INFO" | jq -r .status)
	echo "e2e: migration $(basename "$src") -> $(basename "$dst"): $status"
	[ "$status" = completed ]
}

# mig_figures LABEL: the figures of the last mig_run, as e2e lines
mig_figures() {
	echo "$MIG_INFO" | jq -r --arg l "$1" '
		"e2e: figure: \($l): total-time \(.["total-time"] // "?") ms, downtime \(.downtime // "?") ms, setup \(.["setup-time"] // "?") ms",
		"e2e: figure: \($l): ram transferred \(.ram.transferred // "?") bytes (total \(.ram.total // "?"), normal pages \(.ram.normal // "?"), zero pages \(.ram.duplicate // "?"), dirty syncs \(.ram["dirty-sync-count"] // "?"))",
		"e2e: figure: \($l): sent while the guest was stopped (the last round): \(.ram["downtime-bytes"] // "?") bytes, \(if .ram["downtime-bytes"] and .ram["page-size"] then (.ram["downtime-bytes"] / .ram["page-size"] | floor | tostring) else "?" end) pages; before it: \(.ram["precopy-bytes"] // "?") bytes",
		"e2e: figure: \($l): device state transferred (vfio) \(.vfio.transferred // "n/a") bytes"' 2>/dev/null
}
