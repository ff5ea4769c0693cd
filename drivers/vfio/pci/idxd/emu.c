// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: the virtual DSA function's config space, BAR0 and commands.
 *
 * The vdev is a DSA 1.0 function whose configuration is fixed by its
 * composition (GENCAP.config_en 0): one group with one engine and the
 * vdev's N dedicated WQs, each the size, priority and limits of its host
 * WQ.  It offers an event log, which the guest may configure and enable
 * but which never receives an entry: software errors are reported in
 * SWERR, which the guest's driver reads whether the log is on or not.
 * The stock idxd of Linux 6.12 needs the offer: unbound from a device
 * without an event log, it frees the log it does not have and oopses.
 *
 * The guest's idxd driver reads that configuration; in WQCFG only the
 * PASID, PASID enable and privilege bits are the guest's to write, and the
 * guest's PASID stays in the virtual register: the host WQ runs with the
 * vdev's host PASID.
 *
 * Each command is checked against the vdev's state and fails with the
 * DSA specification's error codes.  WQ commands that act on descriptors
 * (drain, abort, and disable, which drains) act on the host WQs.  Most
 * commands complete before the guest's write returns.  A drain waits
 * for the guest's descriptors, which a guest may make take minutes, and
 * must not hold the DSA's command channel, shared with the host and the
 * other vdevs, meanwhile: it stays active (CMDSTS.active) while the host
 * WQs hold descriptors, and the command work completes it once they
 * drained.
 *
 * Host events reach the virtual device through the vdev's event work,
 * which is the only place that raises vector 0 for something the host
 * did.  Software errors of the vdev's descriptors go into the virtual
 * SWERR.  After a reset of the DSA, which revokes the handles of the IMS
 * entries, the work gets them again from irq.c and, where one the guest
 * holds changed, raises INT_HANDLE_REVOKED.
 *
 * Locking: everything here runs under the vdev's lock, except the host's
 * error handler, idxd_vdev_wq_err().  That runs under the DSA's dev_lock
 * in the misc interrupt thread, which completes the host commands that a
 * vdev waits for under its lock, so it takes only the vdev's err_lock and
 * leaves the rest to the event work.
 */

#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/module.h>
#include "vdev.h"

static unsigned int reset_drain_ms = 1000;
module_param(reset_drain_ms, uint, 0644);
MODULE_PARM_DESC(reset_drain_ms,
		 "How long a reset of the DSA waits for a vdev's WQ to run what it holds, in ms; the rest is lost to the reset (default: 1000)");

/* These are the commands the vdev supports, for CMDCAP. */
#define IDXD_VDEV_CMDCAP						\
	(BIT(IDXD_CMD_ENABLE_DEVICE) | BIT(IDXD_CMD_DISABLE_DEVICE) |	\
	 BIT(IDXD_CMD_DRAIN_ALL) | BIT(IDXD_CMD_ABORT_ALL) |		\
	 BIT(IDXD_CMD_RESET_DEVICE) | BIT(IDXD_CMD_ENABLE_WQ) |		\
	 BIT(IDXD_CMD_DISABLE_WQ) | BIT(IDXD_CMD_DRAIN_WQ) |		\
	 BIT(IDXD_CMD_ABORT_WQ) | BIT(IDXD_CMD_RESET_WQ) |		\
	 BIT(IDXD_CMD_DRAIN_PASID) | BIT(IDXD_CMD_ABORT_PASID) |	\
	 BIT(IDXD_CMD_REQUEST_INT_HANDLE) |				\
	 BIT(IDXD_CMD_RELEASE_INT_HANDLE))

/*
 * The guest may write the PASID, PASID enable and privilege bits of WQCFG's
 * dword 2 while the WQ is disabled.  Dword 6 holds the WQ's state.
 */
#define IDXD_VDEV_WQCFG2_PASID		GENMASK(27, 8)
#define IDXD_VDEV_WQCFG2_PASID_EN	BIT(28)
#define IDXD_VDEV_WQCFG2_PRIV		BIT(29)
#define IDXD_VDEV_WQCFG2_WMASK		(IDXD_VDEV_WQCFG2_PASID |	\
					 IDXD_VDEV_WQCFG2_PASID_EN |	\
					 IDXD_VDEV_WQCFG2_PRIV)
#define IDXD_VDEV_WQCFG6_STATE		GENMASK(31, 30)
#define IDXD_VDEV_WQCFG6_MODE_SUPPORT	BIT(29)

/* The guest may write the ignore, PASID enable and PASID bits of MSIX_PERM. */
#define IDXD_VDEV_MSIX_PERM_WMASK	(BIT(2) | BIT(3) | GENMASK(31, 12))

/* The bits of GENCFG and GENCTRL the guest may write. */
#define IDXD_VDEV_GENCFG_EVL_EN		BIT(13)
#define IDXD_VDEV_GENCFG_WMASK		(GENMASK(7, 0) | BIT(12) |	\
					 IDXD_VDEV_GENCFG_EVL_EN)
#define IDXD_VDEV_GENCTRL_WMASK		(BIT(0) | BIT(1) | BIT(2))

/*
 * The bits of EVLCFG the guest may write, by dword: PASID enable,
 * privilege and base in the first three, size and PASID in the last.
 */
static const u32 idxd_vdev_evlcfg_wmask[4] = {
	GENMASK(31, 12) | BIT(1) | BIT(0), ~0u, ~0u, GENMASK(3, 0),
};

/*
 * The guest writes EVLSTATUS's head.  GENCTRL enables interrupts for
 * software errors and halts.
 */
#define IDXD_VDEV_EVLSTATUS_HEAD	GENMASK(15, 0)
#define IDXD_VDEV_GENCTRL_SOFTERR	BIT(0)
#define IDXD_VDEV_GENCTRL_HALT		BIT(1)

static u16 cfg_r16(struct idxd_vdev *v, unsigned int off)
{
	return get_unaligned_le16(&v->cfg[off]);
}

static u32 cfg_r32(struct idxd_vdev *v, unsigned int off)
{
	return get_unaligned_le32(&v->cfg[off]);
}

static void cfg_w16(struct idxd_vdev *v, unsigned int off, u16 val, u16 wmask)
{
	put_unaligned_le16(val, &v->cfg[off]);
	put_unaligned_le16(wmask, &v->cfg_wmask[off]);
}

static void cfg_w32(struct idxd_vdev *v, unsigned int off, u32 val, u32 wmask)
{
	put_unaligned_le32(val, &v->cfg[off]);
	put_unaligned_le32(wmask, &v->cfg_wmask[off]);
}

static unsigned int wqcfg(unsigned int vwq, unsigned int dword)
{
	return IDXD_VDEV_WQCFG_OFFSET + vwq * IDXD_VDEV_WQCFG_SIZE + 4 * dword;
}

static unsigned int msix_entry(unsigned int vector, unsigned int dword)
{
	return IDXD_VDEV_MSIX_TABLE_OFFSET + vector * PCI_MSIX_ENTRY_SIZE +
	       4 * dword;
}

static void wq_set_state(struct idxd_vdev *v, unsigned int vwq, bool enabled);
static void idxd_vdev_cmd_drop(struct idxd_vdev *v);

/* The config space is that of a DSA, a root complex integrated endpoint. */
static void idxd_vdev_cfg_init(struct idxd_vdev *v)
{
	struct pci_dev *pdev = v->idxd->pdev;
	unsigned int p;

	memset(v->cfg, 0, sizeof(v->cfg));
	memset(v->cfg_wmask, 0, sizeof(v->cfg_wmask));

	cfg_w16(v, PCI_VENDOR_ID, PCI_VENDOR_ID_INTEL, 0);
	cfg_w16(v, PCI_DEVICE_ID, PCI_DEVICE_ID_INTEL_DSA_SPR0, 0);
	cfg_w16(v, PCI_COMMAND, 0,
		PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
		PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	cfg_w16(v, PCI_STATUS, PCI_STATUS_CAP_LIST, 0);
	v->cfg[PCI_REVISION_ID] = pdev->revision;
	v->cfg[PCI_CLASS_PROG] = 0;
	cfg_w16(v, PCI_CLASS_DEVICE, PCI_CLASS_SYSTEM_OTHER, 0);

	/* BARs 0 and 2 are 64-bit memory BARs; cfg_fix_bars() sizes them. */
	v->bar_size[0] = IDXD_VDEV_BAR0_SIZE;
	v->bar_size[1] = roundup_pow_of_two(v->nwqs * IDXD_VDEV_WQ_PORTALS_SIZE);
	cfg_w32(v, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_64, ~0u);
	cfg_w32(v, PCI_BASE_ADDRESS_1, 0, ~0u);
	cfg_w32(v, PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_MEM_TYPE_64, ~0u);
	cfg_w32(v, PCI_BASE_ADDRESS_3, 0, ~0u);

	cfg_w16(v, PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_INTEL, 0);
	cfg_w16(v, PCI_SUBSYSTEM_ID, 0, 0);
	v->cfg[PCI_CAPABILITY_LIST] = IDXD_VDEV_PCIE_CAP;
	v->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;

	/* PCI Express v2, as a root complex integrated endpoint. */
	p = IDXD_VDEV_PCIE_CAP;
	v->cfg[p] = PCI_CAP_ID_EXP;
	v->cfg[p + PCI_CAP_LIST_NEXT] = IDXD_VDEV_MSIX_CAP;
	cfg_w16(v, p + PCI_EXP_FLAGS, 2 | (PCI_EXP_TYPE_RC_END << 4), 0);
	cfg_w32(v, p + PCI_EXP_DEVCAP, 0, 0);
	cfg_w16(v, p + PCI_EXP_DEVCTL, 0,
		PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
		PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE |
		PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_PAYLOAD |
		PCI_EXP_DEVCTL_EXT_TAG | PCI_EXP_DEVCTL_NOSNOOP_EN |
		PCI_EXP_DEVCTL_READRQ);
	cfg_w32(v, p + PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX, 0);

	/* MSI-X has 1 + N vectors; its table and PBA are in BAR0. */
	p = IDXD_VDEV_MSIX_CAP;
	v->cfg[p] = PCI_CAP_ID_MSIX;
	v->cfg[p + PCI_CAP_LIST_NEXT] = 0;
	cfg_w16(v, p + PCI_MSIX_FLAGS, idxd_vdev_nvec(v) - 1,
		PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	cfg_w32(v, p + PCI_MSIX_TABLE, IDXD_VDEV_MSIX_TABLE_OFFSET, 0);
	cfg_w32(v, p + PCI_MSIX_PBA, IDXD_VDEV_MSIX_PBA_OFFSET, 0);

	/* PASID is the only extended capability. */
	p = IDXD_VDEV_PASID_CAP;
	cfg_w32(v, p, PCI_EXT_CAP_ID_PASID | (1 << 16), 0);
	cfg_w16(v, p + PCI_PASID_CAP,
		PCI_PASID_CAP_PRIV | (IDXD_VDEV_PASID_WIDTH << 8), 0);
	cfg_w16(v, p + PCI_PASID_CTRL, 0,
		PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);
}

/* A BAR reads back its size mask and flags, whatever was written. */
static void cfg_fix_bars(struct idxd_vdev *v)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		unsigned int off = PCI_BASE_ADDRESS_0 + 8 * i;
		u32 lo = cfg_r32(v, off);

		lo &= ~(u32)(v->bar_size[i] - 1) & PCI_BASE_ADDRESS_MEM_MASK;
		put_unaligned_le32(lo | PCI_BASE_ADDRESS_MEM_TYPE_64, &v->cfg[off]);
	}
}

static bool cfg_bus_master(struct idxd_vdev *v)
{
	return cfg_r16(v, PCI_COMMAND) & PCI_COMMAND_MASTER;
}

/*
 * The portals take descriptors only while PCI_COMMAND has both memory
 * decoding and bus mastering on: see idxd_vdev_portal_set_decode().
 */
static void cfg_update_decode(struct idxd_vdev *v)
{
	const u16 both = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	idxd_vdev_portal_set_decode(v, (cfg_r16(v, PCI_COMMAND) & both) == both);
}

static u16 cfg_pasid_ctrl(struct idxd_vdev *v)
{
	return cfg_r16(v, IDXD_VDEV_PASID_CAP + PCI_PASID_CTRL);
}

/* These are the operations of DSA 1.0, in the first quadword of OPCAP. */
#define IDXD_VDEV_OPCAP_DSA1	(GENMASK_ULL(DSA_OPCODE_DUALCAST, DSA_OPCODE_NOOP) | \
				 GENMASK_ULL(DSA_OPCODE_DIF_UPDT, DSA_OPCODE_CRCGEN) | \
				 BIT_ULL(DSA_OPCODE_CFLUSH))

/*
 * BAR0: the register file as the device comes out of reset.  The MSI-X
 * table is not the device's: RESET_DEVICE leaves it, only a function
 * level reset resets it (idxd_vdev_msix_init()).
 */
static void idxd_vdev_regs_init(struct idxd_vdev *v)
{
	struct idxd_device *idxd = v->idxd;
	union gen_cap_reg gencap = { .bits = 0 };
	union wq_cap_reg wqcap = { .bits = 0 };
	union group_cap_reg grpcap = { .bits = 0 };
	union offsets_reg offsets = { .bits = { 0, 0 } };
	unsigned int i, total = 0;

	memset(v->bar0, 0, IDXD_VDEV_MSIX_TABLE_OFFSET);
	idxd_vdev_w32(v, IDXD_VER_OFFSET, DEVICE_VERSION_1);

	gencap.overlap_copy = idxd->hw.gen_cap.overlap_copy;
	gencap.cache_control_mem = idxd->hw.gen_cap.cache_control_mem;
	gencap.cache_control_cache = idxd->hw.gen_cap.cache_control_cache;
	gencap.cmd_cap = 1;
	gencap.evl_support = 1;
	gencap.max_xfer_shift = idxd->hw.gen_cap.max_xfer_shift;
	gencap.max_batch_shift = idxd->hw.gen_cap.max_batch_shift;
	/* The vdev has no IMS, and its composition fixes its configuration. */
	idxd_vdev_w64(v, IDXD_GENCAP_OFFSET, gencap.bits);

	for (i = 0; i < v->nwqs; i++)
		total += idxd_vdev_host_wq(v, i)->size;
	wqcap.total_wq_size = total;
	wqcap.num_wqs = v->nwqs;
	wqcap.dedicated_mode = 1;
	wqcap.priority = 1;
	idxd_vdev_w64(v, IDXD_WQCAP_OFFSET, wqcap.bits);

	grpcap.num_groups = 1;
	grpcap.total_rdbufs = idxd->hw.group_cap.total_rdbufs;
	idxd_vdev_w64(v, IDXD_GRPCAP_OFFSET, grpcap.bits);
	idxd_vdev_w64(v, IDXD_ENGCAP_OFFSET, 1);
	/* VERSION says 1.0, so OPCAP offers the host's operations of DSA 1.0. */
	idxd_vdev_w64(v, IDXD_OPCAP_OFFSET,
		      idxd->hw.opcap.bits[0] & IDXD_VDEV_OPCAP_DSA1);

	offsets.grpcfg = IDXD_VDEV_GRPCFG_OFFSET / IDXD_TABLE_MULT;
	offsets.wqcfg = IDXD_VDEV_WQCFG_OFFSET / IDXD_TABLE_MULT;
	offsets.msix_perm = IDXD_VDEV_MSIX_PERM_OFFSET / IDXD_TABLE_MULT;
	idxd_vdev_w64(v, IDXD_TABLE_OFFSET, offsets.bits[0]);
	idxd_vdev_w64(v, IDXD_TABLE_OFFSET + 8, offsets.bits[1]);
	idxd_vdev_w32(v, IDXD_CMDCAP_OFFSET, IDXD_VDEV_CMDCAP);

	/* Group 0 has every WQ and engine 0. */
	idxd_vdev_w64(v, IDXD_VDEV_GRPCFG_OFFSET, BIT_ULL(v->nwqs) - 1);
	idxd_vdev_w64(v, IDXD_VDEV_GRPCFG_OFFSET + 32, 1);

	for (i = 0; i < v->nwqs; i++) {
		struct idxd_wq *wq = idxd_vdev_host_wq(v, i);
		union wqcfg cfg = { .bits = { 0 } };

		cfg.wq_size = wq->size;
		cfg.mode = 1;
		cfg.priority = wq->priority;
		cfg.max_xfer_shift = ilog2(wq->max_xfer_bytes);
		cfg.max_batch_shift = wq->max_batch_size ?
				      ilog2(wq->max_batch_size) : 0;
		cfg.mode_support = 1;
		idxd_vdev_w32(v, wqcfg(i, 0), cfg.bits[0]);
		idxd_vdev_w32(v, wqcfg(i, 2), cfg.bits[2]);
		idxd_vdev_w32(v, wqcfg(i, 3), cfg.bits[3]);
		idxd_vdev_w32(v, wqcfg(i, 6), cfg.bits[6]);
	}

	atomic_set(&v->intcause, 0);
	for (i = 0; i < v->nwqs; i++)
		wq_set_state(v, i, false);
	if (idxd_vdev_lost(v))
		idxd_vdev_w32(v, IDXD_GENSTATS_OFFSET, IDXD_DEVICE_STATE_HALT);
}

/*
 * The MSI-X table as after a function level reset: every vector masked.
 * It is storage only: a VMM emulates the guest's table itself and tells
 * the vdev which vectors to signal through VFIO_DEVICE_SET_IRQS.
 */
static void idxd_vdev_msix_init(struct idxd_vdev *v)
{
	unsigned int i;

	memset(&v->bar0[IDXD_VDEV_MSIX_TABLE_OFFSET], 0,
	       IDXD_VDEV_BAR0_SIZE - IDXD_VDEV_MSIX_TABLE_OFFSET);
	for (i = 0; i < idxd_vdev_nvec(v); i++)
		idxd_vdev_w32(v, msix_entry(i, 3), PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/**
 * idxd_vdev_emu_init() - config space and BAR0 of a new vdev
 * @v: the vdev, with its WQs
 */
void idxd_vdev_emu_init(struct idxd_vdev *v)
{
	idxd_vdev_cfg_init(v);
	cfg_fix_bars(v);
	idxd_vdev_regs_init(v);
	idxd_vdev_msix_init(v);
}

/**
 * idxd_vdev_abort_wqs() - abort the descriptors of the host WQs behind
 *			   virtual WQs
 * @v: the vdev, its lock held
 * @wqs: the virtual WQs
 *
 * WQs that are gone are skipped.  Each host WQ's queued descriptors are
 * discarded, and the drain that follows waits only for those the engines
 * run.  The parent's cmd_lock gives the DSA's command channel to the
 * vdevs in turn.
 */
void idxd_vdev_abort_wqs(struct idxd_vdev *v, unsigned long wqs)
{
	unsigned int i;

	lockdep_assert_held(&v->lock);
	for_each_set_bit(i, &wqs, v->nwqs) {
		struct idxd_wq *wq = idxd_vdev_host_wq(v, i);

		if (test_bit(i, &v->gone))
			continue;
		mutex_lock(&v->parent->cmd_lock);
		idxd_wq_abort(wq);
		idxd_wq_drain(wq);
		mutex_unlock(&v->parent->cmd_lock);
	}
}

/* The descriptors a host WQ holds, from its WQCFG's occupancy. */
static unsigned int idxd_vdev_wq_occupancy(struct idxd_wq *wq)
{
	struct idxd_device *idxd = wq->idxd;
	union wqcfg cfg;

	cfg.bits[WQCFG_OCCUP_IDX] = ioread32(idxd->reg_base +
					     WQCFG_OFFSET(idxd, wq->id,
							  WQCFG_OCCUP_IDX));
	return cfg.occupancy;
}

/**
 * idxd_vdev_drain_idle() - drain the host WQs that hold no descriptor
 * @v: the vdev, its lock held or not: the caller keeps the vdev's WQs
 * @wqs: the virtual WQs to drain
 *
 * A host drain waits for every descriptor its WQ holds, and holds the
 * DSA's command channel, shared with the host and the other vdevs, for
 * as long.  It is issued here only for a host WQ whose occupancy reads
 * 0, with its portals held (idxd_vdev_portal_hold()) and the occupancy
 * read again: the drain then waits only for the descriptors the engines
 * run.  WQs that are gone count as drained.
 *
 * Return: the WQs of @wqs that still hold descriptors, to try again.
 */
unsigned long idxd_vdev_drain_idle(struct idxd_vdev *v, unsigned long wqs)
{
	unsigned long busy = 0;
	unsigned int i;

	for_each_set_bit(i, &wqs, v->nwqs) {
		struct idxd_wq *wq = idxd_vdev_host_wq(v, i);

		if (test_bit(i, &v->gone))
			continue;
		if (idxd_vdev_wq_occupancy(wq)) {
			busy |= BIT(i);
			continue;
		}
		mutex_lock(&v->parent->cmd_lock);
		idxd_vdev_portal_hold(v, i, true);
		if (idxd_vdev_wq_occupancy(wq))
			busy |= BIT(i);
		else
			idxd_wq_drain(wq);
		idxd_vdev_portal_hold(v, i, false);
		mutex_unlock(&v->parent->cmd_lock);
	}
	return busy;
}

/**
 * idxd_vdev_quiesce_dma() - abort the descriptors the host WQs hold
 * @v: the vdev, its lock held
 *
 * Before the domain behind the vdev's PASID goes: the descriptors the host
 * WQs took are aborted or complete first.
 */
void idxd_vdev_quiesce_dma(struct idxd_vdev *v)
{
	lockdep_assert_held(&v->lock);
	idxd_vdev_abort_wqs(v, BIT(v->nwqs) - 1);
}

/*
 * Bus mastering went off: a function without it sends nothing, so the
 * descriptors the host WQs hold are aborted, not merely kept from coming
 * (the portals take none, see cfg_update_decode()).  Those the engines
 * run complete first; nothing is written for the others.
 */
static void cfg_bus_master_off(struct idxd_vdev *v)
{
	/* The WQs of a disable in progress are no longer enabled. */
	unsigned long wqs = v->wq_enabled | v->cmd_wqs;

	lockdep_assert_held(&v->lock);
	if (!wqs)
		return;
	dev_dbg(&v->vdev.device,
		"bus mastering off: aborting the descriptors of WQs %#lx\n",
		wqs);
	idxd_vdev_abort_wqs(v, wqs);
}

/*
 * RESET_DEVICE: descriptors are aborted, the registers return to their
 * reset values and the guest's interrupt handles are gone.  The MSI-X
 * table and the config space are not the device's to reset: the guest's
 * driver enables bus master and memory decoding before it resets the
 * device, and a VMM reads PCI_COMMAND back from the vdev.
 */
static void idxd_vdev_dev_reset(struct idxd_vdev *v)
{
	unsigned int i;

	lockdep_assert_held(&v->lock);
	idxd_vdev_cmd_drop(v);
	for (i = 0; i < v->nwqs; i++)
		wq_set_state(v, i, false);
	idxd_vdev_abort_wqs(v, BIT(v->nwqs) - 1);
	idxd_vdev_irq_reset(v);
	/* Errors of descriptors from before the reset are not the guest's. */
	spin_lock(&v->err_lock);
	v->err.valid = 0;
	v->err_overflow = false;
	clear_bit(IDXD_VDEV_EV_SWERR, &v->events);
	spin_unlock(&v->err_lock);
	idxd_vdev_regs_init(v);
}

/**
 * idxd_vdev_emu_reset() - function level reset of the virtual function
 * @v: the vdev, its lock held
 *
 * A device reset (see idxd_vdev_dev_reset()), and the MSI-X table and
 * the config space's control bits return to their reset values; the BAR
 * addresses and the interrupt line stay.  The user's eventfds and the
 * host IMS entries stay.
 */
void idxd_vdev_emu_reset(struct idxd_vdev *v)
{
	u32 bar[4];
	u8 line;

	lockdep_assert_held(&v->lock);
	idxd_vdev_dev_reset(v);
	idxd_vdev_msix_init(v);
	memcpy(bar, &v->cfg[PCI_BASE_ADDRESS_0], sizeof(bar));
	line = v->cfg[PCI_INTERRUPT_LINE];
	idxd_vdev_cfg_init(v);
	memcpy(&v->cfg[PCI_BASE_ADDRESS_0], bar, sizeof(bar));
	v->cfg[PCI_INTERRUPT_LINE] = line;
	cfg_fix_bars(v);
	cfg_update_decode(v);
}

/**
 * idxd_vdev_cfg_rw() - read or write the virtual config space
 * @v: the vdev
 * @buf: the user's buffer
 * @count: bytes
 * @pos: offset in the config space
 * @write: a write
 *
 * Any size and alignment.  Writes change the writable bits only; BARs
 * read back their size.
 *
 * Return: @count or a negative errno.
 */
ssize_t idxd_vdev_cfg_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			 loff_t pos, bool write)
{
	u8 data[64];
	size_t done = 0;
	bool master;

	if (pos < 0 || pos >= IDXD_VDEV_CFG_SIZE ||
	    count > IDXD_VDEV_CFG_SIZE - pos)
		return -EINVAL;

	while (done < count) {
		size_t n = min(count - done, sizeof(data));
		unsigned int off = pos + done, i;

		if (!write) {
			mutex_lock(&v->lock);
			memcpy(data, &v->cfg[off], n);
			mutex_unlock(&v->lock);
			if (copy_to_user(buf + done, data, n))
				return -EFAULT;
			done += n;
			continue;
		}

		if (copy_from_user(data, buf + done, n))
			return -EFAULT;
		mutex_lock(&v->lock);
		master = cfg_bus_master(v);
		for (i = 0; i < n; i++) {
			u8 m = v->cfg_wmask[off + i];

			v->cfg[off + i] = (v->cfg[off + i] & ~m) | (data[i] & m);
		}
		cfg_fix_bars(v);
		cfg_update_decode(v);
		if (master && !cfg_bus_master(v))
			cfg_bus_master_off(v);
		mutex_unlock(&v->lock);
		done += n;
	}
	return count;
}

/* Whether the guest enabled the virtual device. */
static bool idxd_vdev_enabled(struct idxd_vdev *v)
{
	return (idxd_vdev_r32(v, IDXD_GENSTATS_OFFSET) & 0x3) ==
	       IDXD_DEVICE_STATE_ENABLED;
}

/*
 * Set the state of virtual WQ @vwq in its WQCFG.  The WQ's portals map the
 * host WQ's portal only while the WQ is enabled (see
 * idxd_vdev_portal_set_enabled()).
 */
static void wq_set_state(struct idxd_vdev *v, unsigned int vwq, bool enabled)
{
	u32 d6 = idxd_vdev_r32(v, wqcfg(vwq, 6)) & ~IDXD_VDEV_WQCFG6_STATE;

	if (enabled)
		d6 |= FIELD_PREP(IDXD_VDEV_WQCFG6_STATE, 1);
	idxd_vdev_w32(v, wqcfg(vwq, 6), d6);
	idxd_vdev_portal_set_enabled(v, vwq, enabled);
}

/*
 * Find the WQs a bitmap operand names: bits 15:0 name WQs of the set of 16
 * that bits 19:16 select.
 */
static u32 wq_operand(struct idxd_vdev *v, u32 operand, unsigned long *wqs)
{
	unsigned int set = operand >> 16, bit;
	unsigned long bits = operand & 0xffff;

	*wqs = 0;
	for_each_set_bit(bit, &bits, 16) {
		unsigned int id = set * 16 + bit;

		if (id >= v->nwqs)
			return IDXD_CMDSTS_INVAL_WQIDX;
		*wqs |= BIT(id);
	}
	return IDXD_CMDSTS_SUCCESS;
}

/* Find the enabled WQs whose guest PASID is @pasid. */
static unsigned long wqs_of_pasid(struct idxd_vdev *v, u32 pasid)
{
	unsigned long wqs = 0;
	unsigned int i;

	for_each_set_bit(i, &v->wq_enabled, v->nwqs) {
		u32 d2 = idxd_vdev_r32(v, wqcfg(i, 2));

		if ((d2 & IDXD_VDEV_WQCFG2_PASID_EN) &&
		    FIELD_GET(IDXD_VDEV_WQCFG2_PASID, d2) == pasid)
			wqs |= BIT(i);
	}
	return wqs;
}

/*
 * ENABLE_WQ: the device must be enabled and the WQ disabled.  A WQ with
 * PASID enabled in WQCFG needs PASID (and privilege, for a privileged WQ)
 * enabled in the config space.
 */
static u32 cmd_enable_wq(struct idxd_vdev *v, u32 operand)
{
	u32 d2;

	if (operand >= v->nwqs)
		return IDXD_CMDSTS_INVAL_WQIDX;
	if (!idxd_vdev_enabled(v))
		return IDXD_CMDSTS_ERR_DEV_NOTEN;
	if (test_bit(operand, &v->wq_enabled))
		return IDXD_CMDSTS_ERR_WQ_ENABLED;
	d2 = idxd_vdev_r32(v, wqcfg(operand, 2));
	if ((d2 & IDXD_VDEV_WQCFG2_PASID_EN) &&
	    (!(cfg_pasid_ctrl(v) & PCI_PASID_CTRL_ENABLE) ||
	     ((d2 & IDXD_VDEV_WQCFG2_PRIV) &&
	      !(cfg_pasid_ctrl(v) & PCI_PASID_CTRL_PRIV))))
		return IDXD_CMDSTS_ERR_PASID_EN;
	wq_set_state(v, operand, true);
	return IDXD_CMDSTS_SUCCESS;
}

/**
 * cmd_wqs() - DISABLE_WQ, DRAIN_WQ, ABORT_WQ or RESET_WQ
 * @v: the vdev, its lock held
 * @cmd: the command
 * @operand: the bitmap operand that names the WQs
 * @drain: the WQs whose descriptors the command waits for, set here
 *
 * Drain and abort act on the enabled WQs among those named.  Disable
 * fails unless every WQ named is enabled.  Reset disables the WQs and
 * clears the PASID fields of their WQCFG.  Aborts are done here; the
 * caller waits for the WQs in @drain.
 *
 * Return: the CMDSTS error code, IDXD_CMDSTS_SUCCESS on success.
 */
static u32 cmd_wqs(struct idxd_vdev *v, unsigned int cmd, u32 operand,
		   unsigned long *drain)
{
	unsigned long wqs, enabled;
	unsigned int i;
	u32 err;

	err = wq_operand(v, operand, &wqs);
	if (err)
		return err;
	if (!idxd_vdev_enabled(v))
		return IDXD_CMDSTS_ERR_DEV_NOT_EN;

	switch (cmd) {
	case IDXD_CMD_DISABLE_WQ:
		if (wqs & ~v->wq_enabled)
			return IDXD_CMDSTS_ERR_DEV_NOT_EN;
		/*
		 * The WQs take no new descriptors first, then the ones they
		 * took complete.
		 */
		for_each_set_bit(i, &wqs, v->nwqs)
			wq_set_state(v, i, false);
		*drain = wqs;
		break;
	case IDXD_CMD_DRAIN_WQ:
		*drain = wqs & v->wq_enabled;
		break;
	case IDXD_CMD_ABORT_WQ:
		idxd_vdev_abort_wqs(v, wqs & v->wq_enabled);
		break;
	case IDXD_CMD_RESET_WQ:
		enabled = wqs & v->wq_enabled;
		for_each_set_bit(i, &wqs, v->nwqs) {
			u32 d2 = idxd_vdev_r32(v, wqcfg(i, 2));

			wq_set_state(v, i, false);
			idxd_vdev_w32(v, wqcfg(i, 2),
				      d2 & ~IDXD_VDEV_WQCFG2_WMASK);
		}
		idxd_vdev_abort_wqs(v, enabled);
		break;
	}
	return IDXD_CMDSTS_SUCCESS;
}

/*
 * REQUEST_INT_HANDLE and RELEASE_INT_HANDLE.  The handle of a vector N >= 1
 * is that of its host IMS entry (see idxd_vdev_irq_handle()).
 */
static u32 cmd_int_handle(struct idxd_vdev *v, unsigned int cmd, u32 operand,
			  u16 *result)
{
	int rc;

	/* The vdev has no IMS: its guest's handles index its MSI-X table. */
	if (operand & CMD_INT_HANDLE_IMS)
		return IDXD_CMDSTS_ERR_INVAL_INT_IDX;
	if (cmd == IDXD_CMD_RELEASE_INT_HANDLE)
		return idxd_vdev_irq_release_handle(v, operand & 0xffff) ?
		       IDXD_CMDSTS_ERR_INVAL_INT_IDX : IDXD_CMDSTS_SUCCESS;

	rc = idxd_vdev_irq_handle(v, operand & 0xffff, result);
	if (rc == -EINVAL)
		return IDXD_CMDSTS_ERR_INVAL_INT_IDX;
	if (rc)
		return IDXD_CMDSTS_ERR_NO_HANDLE;
	return IDXD_CMDSTS_SUCCESS;
}

/*
 * The end of a command: its result goes to CMDSTS, and vector 0
 * interrupts with INTCAUSE's command bit if the guest asked for it.  A
 * DISABLE_DEVICE that waited for its WQs disables the device now.
 */
static void idxd_vdev_cmd_done(struct idxd_vdev *v, u32 val, u32 err,
			       u16 result)
{
	union idxd_command_reg cmd = { .bits = val };
	union cmdsts_reg sts = { .bits = 0 };

	lockdep_assert_held(&v->lock);
	if (err)
		dev_dbg(&v->vdev.device, "command %u operand %#x: error %#x\n",
			cmd.cmd, cmd.operand, err);
	else if (cmd.cmd == IDXD_CMD_DISABLE_DEVICE)
		idxd_vdev_w32(v, IDXD_GENSTATS_OFFSET,
			      IDXD_DEVICE_STATE_DISABLED);
	sts.err = err;
	sts.result = result;
	idxd_vdev_w32(v, IDXD_CMDSTS_OFFSET, sts.bits);
	/* A reset command clears INTCAUSE first, then completes. */
	if (cmd.int_req)
		idxd_vdev_irq_raise(v, IDXD_INTC_CMD);
}

/*
 * A command that waits for descriptors: the host WQs behind @wqs are
 * drained at once where they hold none (idxd_vdev_drain_idle()).  If
 * some still do, the command stays active, CMDSTS says so, and the
 * command work completes it once they drained.  Returns whether the
 * command is left active.
 */
static bool idxd_vdev_cmd_wait(struct idxd_vdev *v, u32 val,
			       unsigned long wqs)
{
	union cmdsts_reg sts = { .bits = 0 };

	lockdep_assert_held(&v->lock);
	wqs = idxd_vdev_drain_idle(v, wqs);
	if (!wqs)
		return false;
	v->cmd_active = val;
	v->cmd_wqs = wqs;
	v->cmd_seq++;
	sts.active = 1;
	idxd_vdev_w32(v, IDXD_CMDSTS_OFFSET, sts.bits);
	queue_delayed_work(system_unbound_wq, &v->cmd_work, 1);
	return true;
}

/*
 * Forget the active command, so that the work that waits for it stops.
 * Returns its CMD value, 0 if there was none.
 */
static u32 idxd_vdev_cmd_clear(struct idxd_vdev *v)
{
	u32 val = v->cmd_active;

	lockdep_assert_held(&v->lock);
	v->cmd_active = 0;
	v->cmd_wqs = 0;
	v->cmd_seq++;
	return val;
}

/* Drop the active command, for a reset of the virtual device */
static void idxd_vdev_cmd_drop(struct idxd_vdev *v)
{
	if (idxd_vdev_cmd_clear(v))
		idxd_vdev_w32(v, IDXD_CMDSTS_OFFSET, 0);
}

/* End the active command, if any, with CMDSTS error @err */
static void idxd_vdev_cmd_end(struct idxd_vdev *v, u32 err)
{
	u32 val = idxd_vdev_cmd_clear(v);

	if (val)
		idxd_vdev_cmd_done(v, val, err, 0);
}

/*
 * Poll the host WQs the active command waits for, each jiffy, and
 * complete it once they drained.  The vdev's lock is not held while the
 * host WQs are looked at and drained, so that the vdev's user is not held
 * either; @cmd_seq says whether the command is still the same afterwards.
 */
static void idxd_vdev_cmd_work(struct work_struct *work)
{
	struct idxd_vdev *v = container_of(to_delayed_work(work),
					   struct idxd_vdev, cmd_work);
	unsigned long wqs, busy;
	unsigned int seq;

	mutex_lock(&v->lock);
	wqs = v->cmd_wqs;
	seq = v->cmd_seq;
	mutex_unlock(&v->lock);
	if (!wqs)
		return;

	busy = idxd_vdev_drain_idle(v, wqs);

	mutex_lock(&v->lock);
	if (v->cmd_active && v->cmd_seq == seq) {
		if (busy) {
			v->cmd_wqs = busy;
			queue_delayed_work(system_unbound_wq, &v->cmd_work, 1);
		} else {
			idxd_vdev_cmd_end(v, IDXD_CMDSTS_SUCCESS);
		}
	}
	mutex_unlock(&v->lock);
}

/**
 * idxd_vdev_cmd_init() - set up the commands of a new vdev
 * @v: the vdev
 */
void idxd_vdev_cmd_init(struct idxd_vdev *v)
{
	INIT_DELAYED_WORK(&v->cmd_work, idxd_vdev_cmd_work);
}

/**
 * idxd_vdev_cmd_flush() - wait until the command work is done with a vdev
 * @v: the vdev, its lock not held, reset since its last command
 *
 * For a close: once this returns, nothing looks at the vdev's WQs for a
 * command of its last user.
 */
void idxd_vdev_cmd_flush(struct idxd_vdev *v)
{
	cancel_delayed_work_sync(&v->cmd_work);
}

/**
 * idxd_vdev_cmd_stopped() - the vdev's WQs drained for a migration stop
 * @v: the vdev, its lock held
 *
 * An active command completes: everything it waited for is done, and the
 * device state saved next has no active command.  Its interrupt waits
 * with the others until the vdev runs.
 */
void idxd_vdev_cmd_stopped(struct idxd_vdev *v)
{
	idxd_vdev_cmd_end(v, IDXD_CMDSTS_SUCCESS);
}

/**
 * idxd_vdev_cmd() - run a command the guest wrote to CMD
 * @v: the vdev, its lock held
 * @val: the value written
 *
 * Most commands run to completion before this returns.  Those that wait
 * for descriptors (the drains, and the disables, which drain) complete
 * before it returns if the host WQs hold none, and otherwise stay active
 * until they drained (idxd_vdev_cmd_wait()); a command written while one
 * is active is ignored.  A vdev that lost a WQ fails every command but
 * those of interrupt handles.
 */
static void idxd_vdev_cmd(struct idxd_vdev *v, u32 val)
{
	union idxd_command_reg cmd = { .bits = val };
	unsigned long wqs, drain = 0;
	u16 result = 0;
	u32 err = IDXD_CMDSTS_SUCCESS;
	unsigned int i;

	if (v->cmd_active) {
		dev_dbg_ratelimited(&v->vdev.device,
				    "command %#x ignored: command %#x is active\n",
				    val, v->cmd_active);
		return;
	}
	idxd_vdev_w32(v, IDXD_CMD_OFFSET, val);

	if (idxd_vdev_lost(v) && cmd.cmd != IDXD_CMD_REQUEST_INT_HANDLE &&
	    cmd.cmd != IDXD_CMD_RELEASE_INT_HANDLE) {
		/* The vdev is halted for good: a host WQ is gone. */
		err = IDXD_CMDSTS_HW_ERR;
		goto done;
	}

	switch (cmd.cmd) {
	case IDXD_CMD_ENABLE_DEVICE:
		if (idxd_vdev_enabled(v))
			err = IDXD_CMDSTS_ERR_DEV_ENABLED;
		else if (!cfg_bus_master(v))
			err = IDXD_CMDSTS_ERR_BUSMASTER_EN;
		else
			idxd_vdev_w32(v, IDXD_GENSTATS_OFFSET,
				      IDXD_DEVICE_STATE_ENABLED);
		break;
	case IDXD_CMD_DISABLE_DEVICE:
		if (!idxd_vdev_enabled(v)) {
			err = IDXD_CMDSTS_ERR_DIS_DEV_EN;
			break;
		}
		drain = v->wq_enabled;
		for (i = 0; i < v->nwqs; i++)
			wq_set_state(v, i, false);
		break;
	case IDXD_CMD_DRAIN_ALL:
	case IDXD_CMD_ABORT_ALL:
		if (!idxd_vdev_enabled(v))
			err = IDXD_CMDSTS_ERR_DEV_NOT_EN;
		else if (cmd.cmd == IDXD_CMD_ABORT_ALL)
			idxd_vdev_abort_wqs(v, v->wq_enabled);
		else
			drain = v->wq_enabled;
		break;
	case IDXD_CMD_RESET_DEVICE:
		idxd_vdev_dev_reset(v);
		break;
	case IDXD_CMD_ENABLE_WQ:
		err = cmd_enable_wq(v, cmd.operand);
		break;
	case IDXD_CMD_DISABLE_WQ:
	case IDXD_CMD_DRAIN_WQ:
	case IDXD_CMD_ABORT_WQ:
	case IDXD_CMD_RESET_WQ:
		err = cmd_wqs(v, cmd.cmd, cmd.operand, &drain);
		break;
	case IDXD_CMD_DRAIN_PASID:
	case IDXD_CMD_ABORT_PASID:
		if (!idxd_vdev_enabled(v)) {
			err = IDXD_CMDSTS_ERR_DEV_NOT_EN;
			break;
		}
		wqs = wqs_of_pasid(v, cmd.operand);
		if (cmd.cmd == IDXD_CMD_ABORT_PASID)
			idxd_vdev_abort_wqs(v, wqs);
		else
			drain = wqs;
		break;
	case IDXD_CMD_REQUEST_INT_HANDLE:
	case IDXD_CMD_RELEASE_INT_HANDLE:
		err = cmd_int_handle(v, cmd.cmd, cmd.operand, &result);
		break;
	default:
		err = IDXD_CMDSTS_INVAL_CMD;
		break;
	}

	if (!err && drain && idxd_vdev_cmd_wait(v, val, drain))
		return;
done:
	idxd_vdev_cmd_done(v, val, err, result);
}

/**
 * idxd_vdev_bar0_write32() - write a dword of BAR0
 * @v: the vdev, its lock held
 * @off: the offset of the dword in BAR0
 * @val: the value written
 *
 * Only the registers and bits a guest may write change.  Writes to the
 * rest are dropped.
 */
static void idxd_vdev_bar0_write32(struct idxd_vdev *v, unsigned int off,
				   u32 val)
{
	unsigned int rel;

	switch (off) {
	case IDXD_GENCFG_OFFSET:
		idxd_vdev_w32(v, off, val & IDXD_VDEV_GENCFG_WMASK);
		return;
	case IDXD_GENCTRL_OFFSET:
		idxd_vdev_w32(v, off, val & IDXD_VDEV_GENCTRL_WMASK);
		return;
	case IDXD_EVLSTATUS_OFFSET:
		/* The guest consumes entries up to the tail, which stays 0. */
		idxd_vdev_w32(v, off, val & IDXD_VDEV_EVLSTATUS_HEAD);
		return;
	case IDXD_EVLSTATUS_OFFSET + 4:
		return;
	case IDXD_INTCAUSE_OFFSET:
		atomic_andnot(val, &v->intcause);
		return;
	case IDXD_CMD_OFFSET:
		idxd_vdev_cmd(v, val);
		return;
	case IDXD_SWERR_OFFSET:
		/* Clearing the valid bit clears the record. */
		if (val & IDXD_SWERR_VALID)
			memset(&v->bar0[IDXD_SWERR_OFFSET], 0, 32);
		else
			idxd_vdev_w32(v, off, idxd_vdev_r32(v, off) & ~(val & 0x2));
		return;
	}

	if (off >= IDXD_EVLCFG_OFFSET && off < IDXD_EVLCFG_OFFSET + 16) {
		/* EVLCFG changes only while the event log is off. */
		if (idxd_vdev_r32(v, IDXD_GENCFG_OFFSET) & IDXD_VDEV_GENCFG_EVL_EN)
			return;
		rel = (off - IDXD_EVLCFG_OFFSET) / 4;
		idxd_vdev_w32(v, off, val & idxd_vdev_evlcfg_wmask[rel]);
		return;
	}

	if (off >= IDXD_VDEV_MSIX_PERM_OFFSET &&
	    off < IDXD_VDEV_MSIX_PERM_OFFSET + 8 * idxd_vdev_nvec(v)) {
		/* It is kept for the guest to read back, never for hardware. */
		if (!(off & 7))
			idxd_vdev_w32(v, off, val & IDXD_VDEV_MSIX_PERM_WMASK);
		return;
	}

	if (off >= IDXD_VDEV_WQCFG_OFFSET &&
	    off < IDXD_VDEV_WQCFG_OFFSET + v->nwqs * IDXD_VDEV_WQCFG_SIZE) {
		unsigned int vwq = (off - IDXD_VDEV_WQCFG_OFFSET) /
				   IDXD_VDEV_WQCFG_SIZE;
		u32 d2;

		if (off != wqcfg(vwq, 2) || test_bit(vwq, &v->wq_enabled))
			return;
		/* The guest's PASID stays here: the host WQ has the vdev's. */
		d2 = idxd_vdev_r32(v, off) & ~IDXD_VDEV_WQCFG2_WMASK;
		idxd_vdev_w32(v, off, d2 | (val & IDXD_VDEV_WQCFG2_WMASK));
		return;
	}

	if (off >= IDXD_VDEV_MSIX_TABLE_OFFSET &&
	    off < IDXD_VDEV_MSIX_TABLE_OFFSET +
		  idxd_vdev_nvec(v) * PCI_MSIX_ENTRY_SIZE) {
		/* The table is storage only, see idxd_vdev_msix_init(). */
		rel = off - IDXD_VDEV_MSIX_TABLE_OFFSET;
		if ((rel % PCI_MSIX_ENTRY_SIZE) == PCI_MSIX_ENTRY_VECTOR_CTRL)
			val &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
		idxd_vdev_w32(v, off, val);
		return;
	}

	/* Everything else is read-only. */
	dev_dbg_ratelimited(&v->vdev.device,
			    "write %#x to read-only BAR0 offset %#x ignored\n",
			    val, off);
}

/*
 * The bits of BAR0 dword @off that a migration stream sets: those the
 * guest writes and the state the device keeps.  The other bits follow
 * from the vdev's composition; a stream in which they differ is
 * inconsistent.
 */
static u32 bar0_state_mask(struct idxd_vdev *v, unsigned int off)
{
	unsigned int vwq;

	switch (off) {
	case IDXD_GENCFG_OFFSET:
		return IDXD_VDEV_GENCFG_WMASK;
	case IDXD_GENCTRL_OFFSET:
		return IDXD_VDEV_GENCTRL_WMASK;
	case IDXD_GENSTATS_OFFSET:
	case IDXD_INTCAUSE_OFFSET:
	case IDXD_CMD_OFFSET:
	case IDXD_CMDSTS_OFFSET:
		return ~0u;
	case IDXD_EVLSTATUS_OFFSET:
		return IDXD_VDEV_EVLSTATUS_HEAD;
	}
	if (off >= IDXD_SWERR_OFFSET && off < IDXD_SWERR_OFFSET + 32)
		return ~0u;
	if (off >= IDXD_EVLCFG_OFFSET && off < IDXD_EVLCFG_OFFSET + 16)
		return idxd_vdev_evlcfg_wmask[(off - IDXD_EVLCFG_OFFSET) / 4];
	if (off >= IDXD_VDEV_MSIX_PERM_OFFSET &&
	    off < IDXD_VDEV_MSIX_PERM_OFFSET + 8 * idxd_vdev_nvec(v))
		return (off & 7) ? 0 : IDXD_VDEV_MSIX_PERM_WMASK;
	if (off >= IDXD_VDEV_WQCFG_OFFSET &&
	    off < IDXD_VDEV_WQCFG_OFFSET + v->nwqs * IDXD_VDEV_WQCFG_SIZE) {
		vwq = (off - IDXD_VDEV_WQCFG_OFFSET) / IDXD_VDEV_WQCFG_SIZE;
		if (off == wqcfg(vwq, 2))
			return IDXD_VDEV_WQCFG2_WMASK;
		if (off == wqcfg(vwq, 6))
			return IDXD_VDEV_WQCFG6_STATE;
		return 0;
	}
	if (off >= IDXD_VDEV_MSIX_TABLE_OFFSET &&
	    off < IDXD_VDEV_MSIX_TABLE_OFFSET +
		  idxd_vdev_nvec(v) * PCI_MSIX_ENTRY_SIZE) {
		if (((off - IDXD_VDEV_MSIX_TABLE_OFFSET) % PCI_MSIX_ENTRY_SIZE) ==
		    PCI_MSIX_ENTRY_VECTOR_CTRL)
			return PCI_MSIX_ENTRY_CTRL_MASKBIT;
		return ~0u;
	}
	return 0;
}

/* Check the device state of a migration stream's BAR0 for idxd_vdev_emu_restore(). */
static int bar0_check(struct idxd_vdev *v, const u8 *bar0)
{
	u32 gensts = get_unaligned_le32(&bar0[IDXD_GENSTATS_OFFSET]);
	u32 cmdsts = get_unaligned_le32(&bar0[IDXD_CMDSTS_OFFSET]);
	unsigned int off, vwq, state;

	/* The PBA is not restored: irq.c carries what is pending. */
	for (off = 0; off < IDXD_VDEV_MSIX_PBA_OFFSET; off += 4) {
		u32 val = get_unaligned_le32(&bar0[off]);
		u32 cur = idxd_vdev_r32(v, off);

		if ((val ^ cur) & ~bar0_state_mask(v, off)) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: BAR0 offset %#x is %#x, %#x on this vdev\n",
				 off, val, cur);
			return -EINVAL;
		}
	}
	/* A halted vdev is not migrated, so a stream has no halt. */
	if (gensts != IDXD_DEVICE_STATE_DISABLED &&
	    gensts != IDXD_DEVICE_STATE_ENABLED) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: GENSTS %#x\n", gensts);
		return -EINVAL;
	}
	if (cmdsts & IDXD_CMDSTS_ACTIVE) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: a command is active\n");
		return -EINVAL;
	}
	for (vwq = 0; vwq < v->nwqs; vwq++) {
		state = FIELD_GET(IDXD_VDEV_WQCFG6_STATE,
				  get_unaligned_le32(&bar0[wqcfg(vwq, 6)]));
		if (state > 1 ||
		    (state && gensts != IDXD_DEVICE_STATE_ENABLED)) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: WQ %u state %u with GENSTS %#x\n",
				 vwq, state, gensts);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * idxd_vdev_emu_restore() - load the virtual device from a migration stream
 * @v: the vdev, its lock held, stopped for migration
 * @cfg: the source's config space, %IDXD_VDEV_CFG_SIZE bytes
 * @bar0: the source's BAR0, %IDXD_VDEV_BAR0_SIZE bytes
 *
 * The caller checked that the source's vdev has the composition of @v.
 * Only what the guest writes and the state the device keeps are taken
 * from the stream; everything else must be what @v has already, or the
 * stream is refused and @v is left as it was.  The PBA is not taken:
 * irq.c restores what is pending.
 *
 * Return: 0, or -EINVAL for an inconsistent stream (with a log line).
 */
int idxd_vdev_emu_restore(struct idxd_vdev *v, const u8 *cfg, const u8 *bar0)
{
	unsigned int i, off;
	u32 d6;
	int rc;

	lockdep_assert_held(&v->lock);
	for (i = 0; i < IDXD_VDEV_CFG_SIZE; i++) {
		if ((cfg[i] ^ v->cfg[i]) & ~v->cfg_wmask[i]) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: config space byte %#x is %#x, %#x on this vdev\n",
				 i, cfg[i], v->cfg[i]);
			return -EINVAL;
		}
	}
	rc = bar0_check(v, bar0);
	if (rc)
		return rc;

	for (i = 0; i < IDXD_VDEV_CFG_SIZE; i++)
		v->cfg[i] = (v->cfg[i] & ~v->cfg_wmask[i]) |
			    (cfg[i] & v->cfg_wmask[i]);
	cfg_fix_bars(v);
	cfg_update_decode(v);

	for (off = 0; off < IDXD_VDEV_MSIX_PBA_OFFSET; off += 4) {
		u32 m = bar0_state_mask(v, off);

		idxd_vdev_w32(v, off, (idxd_vdev_r32(v, off) & ~m) |
			      (get_unaligned_le32(&bar0[off]) & m));
	}
	atomic_set(&v->intcause, idxd_vdev_r32(v, IDXD_INTCAUSE_OFFSET));
	for (i = 0; i < v->nwqs; i++) {
		d6 = idxd_vdev_r32(v, wqcfg(i, 6));
		/* The bit is the state, so that the portals follow it. */
		idxd_vdev_w32(v, wqcfg(i, 6), d6 & ~IDXD_VDEV_WQCFG6_STATE);
		wq_set_state(v, i, FIELD_GET(IDXD_VDEV_WQCFG6_STATE, d6));
	}
	return 0;
}

/**
 * idxd_vdev_bar0_rw() - read or write a BAR0 register
 * @v: the vdev
 * @buf: the user's buffer
 * @count: 4 or 8
 * @pos: offset in BAR0, aligned to @count
 * @write: a write
 *
 * Return: @count or a negative errno.
 */
ssize_t idxd_vdev_bar0_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			  loff_t pos, bool write)
{
	unsigned int off = pos;
	u8 data[8];

	if ((count != 4 && count != 8) || pos < 0 ||
	    pos > IDXD_VDEV_BAR0_SIZE - count || (pos & (count - 1))) {
		dev_dbg_ratelimited(&v->vdev.device,
				    "BAR0 access of %zu bytes at %#llx refused\n",
				    count, pos);
		return -EINVAL;
	}

	if (!write) {
		mutex_lock(&v->lock);
		idxd_vdev_w32(v, IDXD_INTCAUSE_OFFSET, atomic_read(&v->intcause));
		memcpy(data, &v->bar0[off], count);
		if (off >= IDXD_VDEV_MSIX_PBA_OFFSET &&
		    off < IDXD_VDEV_MSIX_PBA_OFFSET + 8) {
			u8 pba[8];

			put_unaligned_le64(idxd_vdev_irq_pba(v), pba);
			memcpy(data, &pba[off - IDXD_VDEV_MSIX_PBA_OFFSET], count);
		}
		mutex_unlock(&v->lock);
		return copy_to_user(buf, data, count) ? -EFAULT : count;
	}

	if (copy_from_user(data, buf, count))
		return -EFAULT;
	mutex_lock(&v->lock);
	idxd_vdev_bar0_write32(v, off, get_unaligned_le32(data));
	if (count == 8)
		idxd_vdev_bar0_write32(v, off + 4, get_unaligned_le32(data + 4));
	mutex_unlock(&v->lock);
	return count;
}

/**
 * idxd_vdev_wq_gone() - the host WQ behind a virtual WQ was unbound
 * @v: the vdev, its lock held
 * @vwq: the virtual WQ
 *
 * The user loses the portals of every WQ of the vdev and the descriptors
 * they took, the virtual device halts (raising the misc vector if the
 * guest enabled halt interrupts) and stays halted, asking for a cold
 * reset, which only the host can give it (a new vdev).
 */
void idxd_vdev_wq_gone(struct idxd_vdev *v, unsigned int vwq)
{
	union gensts_reg gensts = { .bits = 0 };
	unsigned int i;

	lockdep_assert_held(&v->lock);
	/* Every WQ is disabled, so its portals map the sink page from now on. */
	for (i = 0; i < v->nwqs; i++)
		wq_set_state(v, i, false);
	idxd_vdev_quiesce_dma(v);
	idxd_vdev_portal_set_gone(v, vwq);

	/*
	 * Nothing the guest can do brings the WQ back, no reset of its own
	 * included: a reset_type of 0 would have its driver queue a software
	 * reset and re-enable, which fail.  "Cold" tells it to give up.
	 */
	gensts.state = IDXD_DEVICE_STATE_HALT;
	gensts.reset_type = IDXD_DEVICE_RESET_COLD;
	idxd_vdev_w32(v, IDXD_GENSTATS_OFFSET, gensts.bits);
	/* A command that waited for the WQs fails, as on a halted device. */
	idxd_vdev_cmd_end(v, IDXD_CMDSTS_HW_ERR);
	if (idxd_vdev_r32(v, IDXD_GENCTRL_OFFSET) & IDXD_VDEV_GENCTRL_HALT)
		idxd_vdev_irq_raise(v, IDXD_INTC_HALT_STATE);
}

/* Host events: software errors and resets of the DSA */

/**
 * idxd_vdev_swerr() - a software error of the vdev's descriptors
 * @v: the vdev, its lock held
 * @err: the host's error, its WQ index the virtual WQ's
 * @overflow: errors were lost after @err
 *
 * The virtual SWERR takes it unless it holds an error the guest has not
 * cleared, which sets its overflow bit instead.  The PASID and privilege
 * reported are the guest's, from the virtual WQCFG, never the host's.
 * Vector 0 interrupts if the guest enabled software error interrupts.
 */
static void idxd_vdev_swerr(struct idxd_vdev *v, union sw_err_reg *err,
			    bool overflow)
{
	unsigned int off = IDXD_SWERR_OFFSET, i;
	u64 cur = idxd_vdev_r64(v, off);
	u32 d2;

	lockdep_assert_held(&v->lock);
	if (cur & IDXD_SWERR_VALID) {
		idxd_vdev_w64(v, off, cur | IDXD_SWERR_OVERFLOW);
	} else {
		d2 = idxd_vdev_r32(v, wqcfg(err->wq_idx, 2));
		err->pasid = 0;
		err->priv = 0;
		if (d2 & IDXD_VDEV_WQCFG2_PASID_EN) {
			err->pasid = FIELD_GET(IDXD_VDEV_WQCFG2_PASID, d2);
			err->priv = !!(d2 & IDXD_VDEV_WQCFG2_PRIV);
		}
		err->overflow = overflow;
		err->rsvd5 = 0;
		for (i = 0; i < 4; i++)
			idxd_vdev_w64(v, off + 8 * i, err->bits[i]);
	}
	dev_dbg_ratelimited(&v->vdev.device, "software error %#x on WQ %u\n",
			    err->error, err->wq_idx);
	if (idxd_vdev_r32(v, IDXD_GENCTRL_OFFSET) & IDXD_VDEV_GENCTRL_SOFTERR)
		idxd_vdev_irq_raise(v, IDXD_INTC_ERR);
}

/**
 * idxd_vdev_wq_err() - a software error of a host WQ of a vdev
 * @wq: the host WQ
 * @err: the error, in the layout of SWERR
 * @data: the &struct idxd_vdev_wq of @wq
 *
 * This is the host's error handler for the vdev's WQs
 * (idxd_wq_set_err_handler()).  It is called in the misc interrupt thread
 * under the DSA's dev_lock.  It is registered while the WQ is in the vdev,
 * so the WQ's vdev and virtual index are stable here.  The error is kept,
 * with the virtual WQ's index in place of the host WQ's, until
 * idxd_vdev_event_work() puts it into the virtual SWERR.  Errors that come
 * while one is kept are counted as an overflow, as SWERR does.
 */
void idxd_vdev_wq_err(struct idxd_wq *wq, const union sw_err_reg *err,
		      void *data)
{
	struct idxd_vdev_wq *vw = data;
	struct idxd_vdev *v = vw->vdev;

	spin_lock(&v->err_lock);
	if (v->err.valid) {
		v->err_overflow = true;
	} else {
		v->err = *err;
		v->err.valid = 1;
		v->err.wq_idx = vw->vwq;
	}
	spin_unlock(&v->err_lock);
	set_bit(IDXD_VDEV_EV_SWERR, &v->events);
	schedule_work(&v->event_work);
}

/**
 * idxd_vdev_host_reset_prepare() - the DSA is about to be reset under a
 *				    virtual WQ
 * @v: the vdev, a reference held, the WQ's portals held back
 *	(idxd_vdev_portal_reset_hold())
 * @vwq: the virtual WQ
 * @wq: its host WQ
 *
 * What the host WQ holds would be lost to the reset, with no completion
 * for the guest: it runs first, for reset_drain_ms at most, and the host
 * WQ is drained then, which waits for what the engines run.  The guest's
 * stores meanwhile wait in the held portals.
 */
void idxd_vdev_host_reset_prepare(struct idxd_vdev *v, unsigned int vwq,
				  struct idxd_wq *wq)
{
	unsigned long end = jiffies + msecs_to_jiffies(READ_ONCE(reset_drain_ms));

	while (idxd_vdev_wq_occupancy(wq)) {
		if (time_after(jiffies, end)) {
			dev_warn(&v->vdev.device,
				 "WQ %u: what it holds is lost to the DSA's reset\n",
				 vwq);
			return;
		}
		usleep_range(500, 1000);
	}
	mutex_lock(&v->parent->cmd_lock);
	idxd_wq_drain(wq);
	mutex_unlock(&v->parent->cmd_lock);
}

/**
 * idxd_vdev_host_reset_done() - the DSA revoked its handles under a
 *				 virtual WQ
 * @v: the vdev
 * @vwq: the virtual WQ
 *
 * A reset of the DSA, or the DSA itself, revoked the handles of the IMS
 * entries.  The event work gets the handle of the WQ's vector again.
 * Context: any; does not sleep.
 */
void idxd_vdev_host_reset_done(struct idxd_vdev *v, unsigned int vwq)
{
	set_bit(IDXD_VDEV_EV_RESET(vwq), &v->events);
	schedule_work(&v->event_work);
}

/**
 * idxd_vdev_wq_revoked() - the DSA revoked the handles of a host WQ's vdev
 * @wq: the host WQ
 * @data: the &struct idxd_vdev_wq of @wq
 *
 * This is the host's revocation handler for the vdev's WQs
 * (idxd_wq_set_revoke_handler()), called under the DSA's dev_lock when the
 * DSA says it revoked its handles or a function level reset did.  It is
 * registered while the WQ is in the vdev, as the error handler is.
 */
void idxd_vdev_wq_revoked(struct idxd_wq *wq, void *data)
{
	struct idxd_vdev_wq *vw = data;

	idxd_vdev_host_reset_done(vw->vdev, vw->vwq);
}

/*
 * Deliver host events to the virtual device.  After a reset of the DSA the
 * vectors' handles are got again; if one the guest holds changed,
 * INT_HANDLE_REVOKED interrupts through vector 0.  Host software errors go
 * into the virtual SWERR, and interrupt through vector 0 if the guest
 * enabled software error interrupts.
 */
static void idxd_vdev_event_work(struct work_struct *work)
{
	struct idxd_vdev *v = container_of(work, struct idxd_vdev, event_work);
	bool revoked = false;
	union sw_err_reg err;
	unsigned int vwq;
	bool overflow;

	mutex_lock(&v->lock);
	/* A vdev stopped for migration raises nothing: lm.c kicks the work. */
	if (v->mig_stopped) {
		mutex_unlock(&v->lock);
		return;
	}
	for (vwq = 0; vwq < v->nwqs; vwq++)
		if (test_and_clear_bit(IDXD_VDEV_EV_RESET(vwq), &v->events) &&
		    idxd_vdev_irq_refresh(v, vwq))
			revoked = true;
	if (revoked && !idxd_vdev_lost(v))
		idxd_vdev_irq_raise(v, IDXD_INTC_INT_HANDLE_REVOKED);
	if (test_and_clear_bit(IDXD_VDEV_EV_SWERR, &v->events)) {
		spin_lock(&v->err_lock);
		err = v->err;
		overflow = v->err_overflow;
		v->err.valid = 0;
		v->err_overflow = false;
		spin_unlock(&v->err_lock);
		if (err.valid)
			idxd_vdev_swerr(v, &err, overflow);
	}
	mutex_unlock(&v->lock);
}

/**
 * idxd_vdev_events_init() - set up the host events of a new vdev
 * @v: the vdev
 */
void idxd_vdev_events_init(struct idxd_vdev *v)
{
	spin_lock_init(&v->err_lock);
	INIT_WORK(&v->event_work, idxd_vdev_event_work);
}

/**
 * idxd_vdev_events_cancel() - cancel the event work and wait for it
 * @v: the vdev, its lock not held
 *
 * The events the work had not delivered yet are dropped: the caller resets
 * the virtual device next, or frees it.
 */
void idxd_vdev_events_cancel(struct idxd_vdev *v)
{
	cancel_work_sync(&v->event_work);
}
