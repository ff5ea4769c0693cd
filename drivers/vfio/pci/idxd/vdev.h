/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * idxd vdev: Intel DSA work queues composed into mediated devices.
 *
 * See Documentation/driver-api/vfio-idxd-vdev.rst for the architecture.
 */
#ifndef IDXD_VDEV_H
#define IDXD_VDEV_H

#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/pci_regs.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/vfio_pci_irq.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>
#include "idxd.h"
#include "registers.h"

#define IDXD_VDEV_NAME			"idxd_vdev"

/*
 * A vdev composes at most two WQs.  It has one MSI-X vector per WQ, and
 * vector 0 for everything else.
 */
#define IDXD_VDEV_MAX_WQS		2
#define IDXD_VDEV_MAX_VECS		(1 + IDXD_VDEV_MAX_WQS)

/*
 * The layout of the virtual BAR0.  The registers whose offsets the DSA
 * specification fixes use the names of registers.h.  The tables below
 * are placed by the vdev and announced in its TABLE_OFFSET register; the
 * MSI-X table and PBA follow in the upper half.
 */
#define IDXD_VDEV_BAR0_SIZE		0x2000
#define IDXD_VDEV_MSIX_PERM_OFFSET	0x300
#define IDXD_VDEV_GRPCFG_OFFSET		0x400
#define IDXD_VDEV_WQCFG_OFFSET		0x500
#define IDXD_VDEV_WQCFG_SIZE		32
#define IDXD_VDEV_MSIX_TABLE_OFFSET	0x1000
#define IDXD_VDEV_MSIX_PBA_OFFSET	0x1800

/*
 * Virtual BAR2: four portal pages per WQ as on the device.  Pages 0 and 1
 * (the MSI-X portals the guest uses) are the host WQ's IMS portals, mapped
 * into the user; pages 2 and 3 (IMS portals) are not offered, since the
 * vdev has no IMS.
 */
#define IDXD_VDEV_PORTALS_PER_WQ	4
#define IDXD_VDEV_WQ_PORTALS_SIZE	(IDXD_VDEV_PORTALS_PER_WQ * PAGE_SIZE)
#define IDXD_VDEV_MAPPED_PER_WQ		2

/*
 * The virtual config space is a PCI Express one.  Its capabilities are
 * at fixed offsets.
 */
#define IDXD_VDEV_CFG_SIZE		PCI_CFG_SPACE_EXP_SIZE
#define IDXD_VDEV_PCIE_CAP		0x40
#define IDXD_VDEV_MSIX_CAP		0x80
#define IDXD_VDEV_PASID_CAP		0x100
#define IDXD_VDEV_PASID_WIDTH		20

/* The offset of VFIO region @index in the device file. */
#define IDXD_VDEV_OFFSET(index)		((u64)(index) << VFIO_PCI_OFFSET_SHIFT)

struct idxd_vdev;
struct idxd_vdev_mig_file;
struct iommufd_device;

/**
 * struct idxd_vdev_wq - a WQ bound to the idxd_vdev WQ driver
 * @node: the entry in &idxd_vdev_parent.wqs
 * @wq: the WQ
 * @parent: the parent whose pool the WQ is in
 * @vdev: the vdev the WQ is composed into, NULL while it is free
 * @vwq: the WQ's number in @vdev
 * @unbound: the WQ was unbound while it was in @vdev; the vdev frees the
 *	     entry when it gives its WQs back
 *
 * @node, @parent, @vdev, @vwq and @unbound are protected by
 * idxd_vdev_pool_lock.  The entry holds a reference on @wq's device, so
 * that @wq outlives its unregistration until the entry is freed.
 */
struct idxd_vdev_wq {
	struct list_head	node;
	struct idxd_wq		*wq;
	struct idxd_vdev_parent	*parent;
	struct idxd_vdev	*vdev;
	unsigned int		vwq;
	bool			unbound;
};

/**
 * struct idxd_vdev_type - an mdev type: how many WQs a vdev composes
 * @type: the mdev type
 * @nwqs: the number of WQs a vdev of the type composes
 */
struct idxd_vdev_type {
	struct mdev_type	type;
	unsigned int		nwqs;
};

/**
 * struct idxd_vdev_parent - the mdev parent of a DSA with bound WQs
 * @node: the entry in the driver's list of parents
 * @idxd: the DSA
 * @parent: the mdev parent, registered on the DSA's PCI device
 * @types: the mdev types the parent offers
 * @type_ptrs: pointers to @types, for mdev_register_parent()
 * @wqs: the pool: the bound WQs, free or composed into a vdev
 * @user_int_was_on: GENCFG.user_int_en was set before the first WQ was
 *		     bound
 * @dying: the last WQ was unbound and the parent is being unregistered,
 *	   which waits for the vdevs' users; no WQ of the DSA is bound
 *	   until it is freed
 * @cmd_lock: serialises the host commands (drain, abort) that the vdevs'
 *	      guests cause, so that the device's command channel goes to
 *	      them in turn: a mutex hands itself to a waiter that failed to
 *	      get it, so a guest that loops on DRAIN delays another vdev's
 *	      command, or the host's, by one command at most.  No command
 *	      under it waits for the descriptors a guest queued: a drain is
 *	      issued only once its host WQ holds none
 *	      (idxd_vdev_drain_idle()), and an abort discards them.  Nests
 *	      inside a vdev's lock, outside its map_lock.
 *
 * A parent is created when the first WQ of the DSA is bound and removed
 * when the last one goes, which removes every vdev of the DSA first.  The
 * list of parents (@node), @wqs and @dying are protected by
 * idxd_vdev_pool_lock.
 */
struct idxd_vdev_parent {
	struct list_head	node;
	struct idxd_device	*idxd;
	struct mdev_parent	parent;
	struct idxd_vdev_type	types[IDXD_VDEV_MAX_WQS];
	struct mdev_type	*type_ptrs[IDXD_VDEV_MAX_WQS];
	struct list_head	wqs;
	bool			user_int_was_on;
	bool			dying;
	struct mutex		cmd_lock; /* see above */
};

/**
 * struct idxd_vdev_vec - the host IMS interrupt behind MSI-X vector N >= 1
 * @ims: the IMS entry, its Linux interrupt and its interrupt handle
 * @allocated: @ims is allocated.  It stays allocated while the vector's
 *	       eventfd and the MSI-X index come and go, so that the handle
 *	       the guest holds stays valid, until the device is closed.
 * @requested: the interrupt is requested and signals the vector's eventfd
 * @granted: the guest got @ims.handle through REQUEST_INT_HANDLE
 * @stale: the DSA revoked @ims.handle and refused a new one: the guest's
 *	   next REQUEST_INT_HANDLE asks the DSA again, and gets no handle
 *	   if it refuses again
 * @ims_allocs: IMS entries allocated for the vector since the device was
 *		last opened
 * @requests: times the vector got an eventfd since the device was opened
 * @name: the interrupt's name in /proc/interrupts
 *
 * Protected by the frontend's lock (vfio_pci_irq_lock()).
 */
struct idxd_vdev_vec {
	struct idxd_ims_irq	ims;
	bool			allocated;
	bool			requested;
	bool			granted;
	bool			stale;
	unsigned int		ims_allocs;
	unsigned int		requests;
	char			name[64];
};

/**
 * struct idxd_vdev_irq_stats - how the user drove the MSI-X index
 * @enables: the index was enabled
 * @disables: the index was disabled as a whole, closes included
 * @regrows: the index was enabled for more vectors than it had when it was
 *	     last disabled: the whole-index way of growing it, which VMMs
 *	     without dynamic MSI-X use (QEMU before 8.1)
 * @added: a vector was given its first eventfd beyond the vectors the
 *	   index had: dynamic MSI-X, one vector at a time
 * @size: the vectors the index has: those it was enabled for and those
 *	  added since
 * @prev_size: @size when the index was last disabled
 *
 * Counted from the user's open of the device; kept after the close until
 * the next open, for debugfs.  Protected by the frontend's lock.
 */
struct idxd_vdev_irq_stats {
	unsigned int		enables;
	unsigned int		disables;
	unsigned int		regrows;
	unsigned int		added;
	unsigned int		size;
	unsigned int		prev_size;
};

/**
 * struct idxd_vdev - a mediated device composed of WQs
 * @vdev: the VFIO device
 * @irq: the interrupt frontend: MSI-X vector 0 emulated, 1..N from @be
 * @be: the IMS backend of the MSI-X index
 * @parent: the mdev parent
 * @idxd: the DSA
 * @nwqs: the number of WQs composed
 * @wqs: the WQs; virtual WQ i is @wqs[i]
 * @pasid: the host PASID of the vdev, in its WQs and IMS entries
 * @debugfs: the vdev's debugfs directory
 * @lock: protects the emulated device (config space, BAR0, commands) and
 *	  the DMA binding; see "Emulated device" below
 * @idev: the binding of @pasid of the DSA to the user's iommufd, NULL
 *	  while the user has none
 * @attached: @pasid is attached to a domain of the user
 * @pt_id: with @attached, the IOAS or domain the user attached, as it
 *	   named it: a failed attach to another attaches it again
 * @cfg: the virtual config space
 * @cfg_wmask: the bits of @cfg the user may write
 * @bar_size: the sizes of BAR0 and BAR2
 * @bar0: the virtual BAR0 register file, MSI-X table and PBA included
 * @intcause: INTCAUSE, set from anywhere and cleared by the user writing
 *	      ones to it
 * @cmd_active: the CMD value of the guest's command that waits for its
 *		host WQs to drain, 0 while there is none; see "Commands"
 *		below
 * @cmd_wqs: the virtual WQs whose host WQs that command waits for
 * @cmd_seq: changes whenever a command starts waiting or is dropped, so
 *	     that @cmd_work knows the command it looked at is still the one
 * @cmd_work: completes the command once its host WQs drained
 * @vecs: the host side of vectors 1..N, see &struct idxd_vdev_vec
 * @irq_stats: how the user drove the MSI-X index
 * @v0_pending: vector 0 holds an interrupt back for want of an eventfd
 * @sw_pending: vectors N >= 1 that hold an interrupt back in software: one
 *		their host IMS entry held on the migration source, delivered
 *		once the vector has an eventfd and the vdev runs
 * @map_lock: orders the choice of what a BAR2 page maps against changes
 *	      of that choice; see "BAR2" below
 * @held: the virtual WQs whose portals hold the user's stores back while
 *	  their host WQ is drained (idxd_vdev_portal_hold())
 * @reset_held: the same while the DSA is reset
 *		(idxd_vdev_portal_reset_hold())
 * @hold_wait: where faults on held portals wait
 * @gone: the virtual WQs whose host WQ was unbound.  The vdev is halted
 *	  for good once one is set (idxd_vdev_lost()).
 * @wq_enabled: the virtual WQs the guest enabled
 * @decode: PCI_COMMAND has memory decoding and bus mastering on.  The
 *	    portals take descriptors only then.
 * @sink: the page that a virtual WQ's portals map while the guest has the
 *	  WQ disabled: its descriptors go nowhere, as on the device.  It
 *	  keeps what the user stores there, so each open clears it.
 * @err_lock: protects @err and @err_overflow; see "Host events" below
 * @err: the first host software error of the vdev's WQs that is not yet
 *	 in the virtual SWERR; .valid is set while there is one
 * @err_overflow: errors were lost after @err
 * @events: the events for @event_work, IDXD_VDEV_EV_SWERR and
 *	    IDXD_VDEV_EV_RESET()
 * @event_work: delivers host software errors and resets to the virtual
 *		device, under @lock
 * @mig_state: the VFIO migration state
 * @mig_stopped: the vdev is stopped for migration (STOP and the states
 *		 that save or load the device state): the portals map the
 *		 sink page, host events wait and no interrupt is raised
 * @saving: the data file of the state being saved, or NULL
 * @resuming: the data file of the state being loaded, or NULL
 * @mig_restored: the state was loaded; the handles the guest held are
 *		  checked against the new entries when the vdev next runs
 * @mig_granted: with @mig_restored, the vectors whose handle the guest
 *		 held on the source
 * @mig_handle: with @mig_restored, those handles
 * @drain_work: drains the host WQs for a stop, so that the wait for it
 *		has a bound
 * @drain_done: completed by @drain_work
 * @drain_wqs: the virtual WQs @drain_work drains
 * @drain_cancel: tells @drain_work to give up: the vdev is reset
 * @logging: DMA logging was started (dirty.c)
 */
struct idxd_vdev {
	/* Set when the vdev is created and constant until it is freed. */
	struct vfio_device		vdev;
	struct vfio_pci_irq		irq;
	struct vfio_pci_irq_backend	be;
	struct idxd_vdev_parent		*parent;
	struct idxd_device		*idxd;
	unsigned int			nwqs;
	struct idxd_vdev_wq		*wqs[IDXD_VDEV_MAX_WQS];
	ioasid_t			pasid;
	struct dentry			*debugfs;

	/*
	 * Emulated device (emu.c) and DMA binding (main.c).  @lock protects
	 * the fields below, except @intcause, which is an atomic.  It nests
	 * outside the interrupt frontend's lock, @map_lock and the parent's
	 * cmd_lock.  User copies are done outside it.
	 */
	struct mutex			lock;
	struct iommufd_device		*idev;
	bool				attached;
	u32				pt_id;
	u8				cfg[IDXD_VDEV_CFG_SIZE];
	u8				cfg_wmask[IDXD_VDEV_CFG_SIZE];
	u64				bar_size[2];
	u8				bar0[IDXD_VDEV_BAR0_SIZE] __aligned(8);
	atomic_t			intcause;

	/*
	 * Commands (emu.c).  A guest's drain must not hold the DSA's
	 * command channel, which the host and the other vdevs share, for
	 * as long as the guest's descriptors take.  A command that waits
	 * for descriptors stays active (CMDSTS.active) without holding
	 * anything, and @cmd_work polls the host WQs' occupancy; only once
	 * a host WQ holds no descriptor does it run the host drain, which
	 * then waits for the descriptors in the engines alone.  The fields
	 * are under @lock; @cmd_work takes it only to look and to complete.
	 */
	u32				cmd_active;
	unsigned long			cmd_wqs;
	unsigned int			cmd_seq;
	struct delayed_work		cmd_work;

	/*
	 * Interrupts (irq.c).  The interrupt frontend's lock
	 * (vfio_pci_irq_lock()) protects these, and orders vector 0's
	 * pending interrupt against the vector getting an eventfd.
	 */
	struct idxd_vdev_vec		vecs[IDXD_VDEV_MAX_VECS];
	struct idxd_vdev_irq_stats	irq_stats;
	bool				v0_pending;
	unsigned long			sw_pending;

	/*
	 * BAR2 (portal.c).  What a portal page maps depends on @gone,
	 * @wq_enabled and @decode.  They are changed under both @lock and
	 * @map_lock, so they may be read under either.  The fault handler
	 * and mmap take only @map_lock, since the vdev's @lock is held
	 * around iommufd calls, which take the mm's mmap_lock inside.
	 * @map_lock therefore nests inside @lock and inside mmap_lock.
	 * idxd_vdev_lost() reads @gone without a lock.  @held is changed
	 * under @map_lock with the parent's cmd_lock held, @reset_held under
	 * @map_lock with idxd_vdev_pool_lock held, and a fault on a held
	 * portal waits with no lock but mmap_lock.
	 */
	struct mutex			map_lock;
	unsigned long			gone;
	unsigned long			wq_enabled;
	bool				decode;
	struct page			*sink;
	unsigned long			held;
	unsigned long			reset_held;
	wait_queue_head_t		hold_wait;

	/*
	 * Host events (emu.c).  The host's error handler runs in the DSA's
	 * misc interrupt thread under the DSA's dev_lock.  It must not take
	 * @lock, so it takes only @err_lock and passes the error to
	 * @event_work, which takes @lock.  @events is changed with atomic
	 * bit operations.
	 */
	spinlock_t			err_lock;
	union sw_err_reg		err;
	bool				err_overflow;
	unsigned long			events;
	struct work_struct		event_work;

	/*
	 * Migration (lm.c) and DMA logging (dirty.c), under @lock.
	 * @mig_stopped is changed under @lock and @map_lock, and read without
	 * a lock by the interrupt paths (see idxd_vdev_mig_resume()).
	 * @drain_work runs without @lock, while its waiter holds it.
	 */
	enum vfio_device_mig_state	mig_state;
	bool				mig_stopped;
	struct idxd_vdev_mig_file	*saving;
	struct idxd_vdev_mig_file	*resuming;
	bool				mig_restored;
	unsigned long			mig_granted;
	u16				mig_handle[IDXD_VDEV_MAX_VECS];
	struct work_struct		drain_work;
	struct completion		drain_done;
	unsigned long			drain_wqs;
	bool				drain_cancel;
	bool				logging;
};

/*
 * The bits of &idxd_vdev.events.  IDXD_VDEV_EV_SWERR is set when a host
 * software error waits in &idxd_vdev.err.  IDXD_VDEV_EV_RESET(vwq) is set
 * when the DSA was reset under virtual WQ @vwq: the event work gets the
 * IMS handle of the WQ's vector again.
 */
#define IDXD_VDEV_EV_SWERR		0
#define IDXD_VDEV_EV_RESET(vwq)		(1 + (vwq))

static inline struct idxd_vdev *to_idxd_vdev(struct vfio_device *vdev)
{
	return container_of(vdev, struct idxd_vdev, vdev);
}

/* The register file is little endian, like the device's. */
static inline u32 idxd_vdev_r32(struct idxd_vdev *v, unsigned int off)
{
	return get_unaligned_le32(&v->bar0[off]);
}

static inline void idxd_vdev_w32(struct idxd_vdev *v, unsigned int off, u32 val)
{
	put_unaligned_le32(val, &v->bar0[off]);
}

static inline u64 idxd_vdev_r64(struct idxd_vdev *v, unsigned int off)
{
	return get_unaligned_le64(&v->bar0[off]);
}

static inline void idxd_vdev_w64(struct idxd_vdev *v, unsigned int off, u64 val)
{
	put_unaligned_le64(val, &v->bar0[off]);
}

/* Whether a WQ of the vdev was unbound, which halts the vdev for good. */
static inline bool idxd_vdev_lost(struct idxd_vdev *v)
{
	return READ_ONCE(v->gone);
}

static inline unsigned int idxd_vdev_nvec(struct idxd_vdev *v)
{
	return 1 + v->nwqs;
}

static inline struct idxd_wq *idxd_vdev_host_wq(struct idxd_vdev *v,
						unsigned int vwq)
{
	return v->wqs[vwq]->wq;
}

/* emu.c: the config space, BAR0, the commands and the host events */
void idxd_vdev_emu_init(struct idxd_vdev *v);
void idxd_vdev_emu_reset(struct idxd_vdev *v);
ssize_t idxd_vdev_cfg_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			 loff_t pos, bool write);
ssize_t idxd_vdev_bar0_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			  loff_t pos, bool write);
void idxd_vdev_wq_gone(struct idxd_vdev *v, unsigned int vwq);
void idxd_vdev_quiesce_dma(struct idxd_vdev *v);
void idxd_vdev_events_init(struct idxd_vdev *v);
void idxd_vdev_events_cancel(struct idxd_vdev *v);
void idxd_vdev_wq_err(struct idxd_wq *wq, const union sw_err_reg *err,
		      void *data);
void idxd_vdev_host_reset_prepare(struct idxd_vdev *v, unsigned int vwq,
				  struct idxd_wq *wq);
void idxd_vdev_host_reset_done(struct idxd_vdev *v, unsigned int vwq);
void idxd_vdev_wq_revoked(struct idxd_wq *wq, void *data);
void idxd_vdev_abort_wqs(struct idxd_vdev *v, unsigned long wqs);
unsigned long idxd_vdev_drain_idle(struct idxd_vdev *v, unsigned long wqs);
void idxd_vdev_cmd_init(struct idxd_vdev *v);
void idxd_vdev_cmd_flush(struct idxd_vdev *v);
void idxd_vdev_cmd_stopped(struct idxd_vdev *v);
int idxd_vdev_emu_restore(struct idxd_vdev *v, const u8 *cfg, const u8 *bar0);

/* lm.c: VFIO migration v2, the state machine and the device state stream */
extern const struct vfio_migration_ops idxd_vdev_mig_ops;
void idxd_vdev_mig_init(struct idxd_vdev *v);
void idxd_vdev_mig_reset(struct idxd_vdev *v);

/* dirty.c: VFIO device DMA logging */
extern const struct vfio_log_ops idxd_vdev_log_ops;

/* portal.c: BAR2, the WQs' portals */
int idxd_vdev_portal_init(struct idxd_vdev *v);
void idxd_vdev_portal_release(struct idxd_vdev *v);
void idxd_vdev_portal_open(struct idxd_vdev *v);
void idxd_vdev_portal_set_decode(struct idxd_vdev *v, bool decode);
void idxd_vdev_portal_set_enabled(struct idxd_vdev *v, unsigned int vwq,
				  bool enabled);
void idxd_vdev_portal_set_gone(struct idxd_vdev *v, unsigned int vwq);
void idxd_vdev_portal_set_stopped(struct idxd_vdev *v, bool stopped);
void idxd_vdev_portal_hold(struct idxd_vdev *v, unsigned int vwq, bool hold);
void idxd_vdev_portal_reset_hold(struct idxd_vdev *v, unsigned int vwq,
				 bool hold);
ssize_t idxd_vdev_bar2_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			  loff_t pos, bool write);
int idxd_vdev_bar2_caps(struct idxd_vdev *v, struct vfio_info_cap *caps);
int idxd_vdev_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);

/* irq.c: vector 0 and the IMS backend of vectors 1..N */
extern const struct vfio_pci_irq_ops idxd_vdev_irq_ops;
int idxd_vdev_irq_init(struct idxd_vdev *v);
void idxd_vdev_irq_raise(struct idxd_vdev *v, u32 cause);
u64 idxd_vdev_irq_pba(struct idxd_vdev *v);
int idxd_vdev_irq_handle(struct idxd_vdev *v, unsigned int vector, u16 *handle);
int idxd_vdev_irq_release_handle(struct idxd_vdev *v, u16 handle);
bool idxd_vdev_irq_refresh(struct idxd_vdev *v, unsigned int vwq);
void idxd_vdev_irq_reset(struct idxd_vdev *v);
void idxd_vdev_irq_open(struct idxd_vdev *v);
void idxd_vdev_irq_close(struct idxd_vdev *v);
void idxd_vdev_irq_debugfs(struct idxd_vdev *v, struct dentry *dir);
void idxd_vdev_irq_save(struct idxd_vdev *v, bool *v0_pending,
			unsigned long *pending, unsigned long *granted,
			u16 *handle);
void idxd_vdev_irq_restore(struct idxd_vdev *v, bool v0_pending,
			   unsigned long pending);
unsigned long idxd_vdev_irq_recheck(struct idxd_vdev *v,
				    unsigned long granted, const u16 *handle);
void idxd_vdev_irq_deliver_held(struct idxd_vdev *v);

#endif /* IDXD_VDEV_H */
