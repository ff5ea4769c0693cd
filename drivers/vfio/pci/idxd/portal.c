// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: BAR2, the portals of the vdev's WQs.
 *
 * BAR2 has four pages per virtual WQ, as on the device.  Pages 0 and 1,
 * the unlimited and limited MSI-X portals that the guest uses, are the
 * IMS portals of the host WQ, which follow each other.  The user maps
 * them with mmap(), and the sparse mmap capability of the region lists
 * them.  Pages 2 and 3 are the IMS portals of a device with IMS; the vdev
 * has no IMS, so they are not offered.
 *
 * The pages are mapped at fault time.  A page maps the host WQ's portal
 * while the guest has the WQ enabled and PCI_COMMAND has memory decoding
 * and bus mastering on.  Otherwise it maps the vdev's sink page, whose
 * descriptors go nowhere, so that a disabled WQ takes no descriptors
 * although its host WQ stays enabled.  When one of these conditions
 * changes, the user's mappings of the WQ's pages are zapped, and the next
 * access faults in what the new state calls for.
 *
 * Descriptors never pass through the kernel.  Reads and writes of BAR2
 * through the device file act as on a portal of a disabled WQ: reads
 * return zeros and writes go nowhere.
 *
 * Locking: the emulation changes the state that selects a page (the
 * vdev's gone, wq_enabled and decode) under the vdev's lock, and under
 * map_lock through the idxd_vdev_portal_set_*() helpers here.  The fault
 * handler and mmap() take only map_lock: the vdev's lock is held around
 * iommufd calls, which take the mm's mmap_lock inside, and a fault comes
 * with mmap_lock held.  map_lock nests inside both.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vdev.h"

/**
 * idxd_vdev_portal_init() - set up the BAR2 state of a new vdev
 * @v: the vdev
 *
 * Return: 0, or -ENOMEM if there is no sink page.
 */
int idxd_vdev_portal_init(struct idxd_vdev *v)
{
	v->sink = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->sink)
		return -ENOMEM;
	mutex_init(&v->map_lock);
	init_waitqueue_head(&v->hold_wait);
	return 0;
}

/**
 * idxd_vdev_portal_release() - tear down the BAR2 state of a vdev
 * @v: the vdev, which has no user mapping left
 */
void idxd_vdev_portal_release(struct idxd_vdev *v)
{
	__free_page(v->sink);
	mutex_destroy(&v->map_lock);
}

/**
 * idxd_vdev_portal_open() - give a new user a clean BAR2
 * @v: the vdev, its lock held, which no user maps: the previous user's
 *     mappings held its file open, so they went before its close
 *
 * The sink page is memory: it keeps what a user stores in the portals of
 * a disabled WQ, and reads give it back.  A new user must not read what
 * the previous one left there.
 */
void idxd_vdev_portal_open(struct idxd_vdev *v)
{
	lockdep_assert_held(&v->lock);
	clear_highpage(v->sink);
}

/*
 * Make the user's mappings of the portals of virtual WQ @vwq fault, so
 * that the next access maps what the WQ's state calls for (see
 * idxd_vdev_fault()).
 */
static void idxd_vdev_zap_portals(struct idxd_vdev *v, unsigned int vwq)
{
	u64 bar2 = IDXD_VDEV_OFFSET(VFIO_PCI_BAR2_REGION_INDEX);

	unmap_mapping_range(v->vdev.inode->i_mapping,
			    bar2 + vwq * IDXD_VDEV_WQ_PORTALS_SIZE,
			    IDXD_VDEV_WQ_PORTALS_SIZE, true);
}

/**
 * idxd_vdev_portal_set_decode() - follow PCI_COMMAND's decoding bits
 * @v: the vdev, its lock held
 * @decode: PCI_COMMAND has both memory decoding and bus mastering on
 *
 * A function's BARs answer only with memory decoding on, and the function
 * sends nothing (no DMA, no MSI) without bus mastering.  The portals
 * therefore take descriptors only while both are on.  When that changes,
 * the portals of every WQ are zapped.
 */
void idxd_vdev_portal_set_decode(struct idxd_vdev *v, bool decode)
{
	unsigned int i;

	lockdep_assert_held(&v->lock);
	if (decode == v->decode)
		return;
	mutex_lock(&v->map_lock);
	v->decode = decode;
	mutex_unlock(&v->map_lock);
	for (i = 0; i < v->nwqs; i++)
		idxd_vdev_zap_portals(v, i);
}

/**
 * idxd_vdev_portal_set_enabled() - follow the state of a virtual WQ
 * @v: the vdev, its lock held unless it is being created
 * @vwq: the virtual WQ
 * @enabled: the guest has the WQ enabled
 *
 * A disabled WQ takes no descriptors.  While the guest has the WQ
 * disabled its portals map the sink page, so that the host WQ, which
 * stays enabled, never sees them.  When the state changes, the WQ's
 * portals are zapped.
 */
void idxd_vdev_portal_set_enabled(struct idxd_vdev *v, unsigned int vwq,
				  bool enabled)
{
	if (test_bit(vwq, &v->wq_enabled) == enabled)
		return;
	mutex_lock(&v->map_lock);
	if (enabled)
		set_bit(vwq, &v->wq_enabled);
	else
		clear_bit(vwq, &v->wq_enabled);
	mutex_unlock(&v->map_lock);
	idxd_vdev_zap_portals(v, vwq);
}

/**
 * idxd_vdev_portal_set_gone() - the host WQ behind a virtual WQ is gone
 * @v: the vdev, its lock held
 * @vwq: the virtual WQ
 *
 * From now on the WQ's portal pages map the sink page, and mmap() refuses
 * them.  The caller has disabled the WQ already, which zapped its
 * portals.
 */
void idxd_vdev_portal_set_gone(struct idxd_vdev *v, unsigned int vwq)
{
	lockdep_assert_held(&v->lock);
	mutex_lock(&v->map_lock);
	set_bit(vwq, &v->gone);
	mutex_unlock(&v->map_lock);
}

/**
 * idxd_vdev_portal_set_stopped() - block or unblock every portal
 * @v: the vdev, its lock held
 * @stopped: the vdev is stopped for migration
 *
 * A stopped vdev takes no descriptors: every portal page maps the sink
 * page until the vdev runs again.  The portals of every WQ are zapped when
 * this changes.
 */
void idxd_vdev_portal_set_stopped(struct idxd_vdev *v, bool stopped)
{
	unsigned int i;

	lockdep_assert_held(&v->lock);
	if (stopped == v->mig_stopped)
		return;
	mutex_lock(&v->map_lock);
	WRITE_ONCE(v->mig_stopped, stopped);
	mutex_unlock(&v->map_lock);
	for (i = 0; i < v->nwqs; i++)
		idxd_vdev_zap_portals(v, i);
}

/* Set or clear @vwq in @bits, one of the hold bitmaps, and act on it */
static void idxd_vdev_portal_hold_bit(struct idxd_vdev *v, unsigned long *bits,
				      unsigned int vwq, bool hold)
{
	mutex_lock(&v->map_lock);
	if (hold)
		set_bit(vwq, bits);
	else
		clear_bit(vwq, bits);
	mutex_unlock(&v->map_lock);
	if (hold)
		idxd_vdev_zap_portals(v, vwq);
	else
		wake_up_all(&v->hold_wait);
}

/**
 * idxd_vdev_portal_hold() - hold the user's stores to a WQ's portals back
 * @v: the vdev
 * @vwq: the virtual WQ
 * @hold: hold them back, or let them go
 *
 * While its host WQ is drained, a WQ's portals take no descriptor: the
 * drain then waits only for what the WQ held when it was issued.  The
 * portals are zapped, and a store to them waits in the fault handler
 * until they are let go, then goes to the portal the WQ's state calls
 * for: nothing the user submits meanwhile is lost.
 *
 * Context: the parent's cmd_lock held, around a host drain only.
 */
void idxd_vdev_portal_hold(struct idxd_vdev *v, unsigned int vwq, bool hold)
{
	lockdep_assert_held(&v->parent->cmd_lock);
	idxd_vdev_portal_hold_bit(v, &v->held, vwq, hold);
}

/**
 * idxd_vdev_portal_reset_hold() - hold a WQ's portals back across a reset
 * @v: the vdev
 * @vwq: the virtual WQ
 * @hold: hold them back, or let them go
 *
 * As idxd_vdev_portal_hold(), while the DSA is reset: a store the user
 * makes meanwhile waits until the DSA and its WQs are back, instead of
 * going to a disabled WQ and being lost.
 *
 * Context: idxd_vdev_pool_lock held, from the reset's callbacks.
 */
void idxd_vdev_portal_reset_hold(struct idxd_vdev *v, unsigned int vwq,
				 bool hold)
{
	idxd_vdev_portal_hold_bit(v, &v->reset_held, vwq, hold);
}

/* Whether the user's stores to the portals of virtual WQ @vwq wait */
static bool idxd_vdev_portal_held(struct idxd_vdev *v, unsigned int vwq)
{
	return test_bit(vwq, &v->held) || test_bit(vwq, &v->reset_held);
}

/*
 * Find the host portal page behind offset @off of BAR2.  Pages 0 and 1 of
 * virtual WQ i's four are the unlimited and limited IMS portals of its
 * host WQ.  Returns false for any other page, and for the pages of a WQ
 * that is gone.  The caller holds map_lock.
 */
static bool idxd_vdev_portal_page(struct idxd_vdev *v, u64 off,
				  unsigned long *pfn)
{
	unsigned int vwq = off / IDXD_VDEV_WQ_PORTALS_SIZE;
	unsigned int page = (off % IDXD_VDEV_WQ_PORTALS_SIZE) / PAGE_SIZE;
	phys_addr_t base;

	lockdep_assert_held(&v->map_lock);
	if (vwq >= v->nwqs || page >= IDXD_VDEV_MAPPED_PER_WQ ||
	    test_bit(vwq, &v->gone))
		return false;
	base = idxd_wq_ims_portal(idxd_vdev_host_wq(v, vwq),
				  IDXD_PORTAL_UNLIMITED);
	*pfn = PHYS_PFN(base) + page;
	return true;
}

/*
 * Map the host WQ's portal while the guest has the WQ enabled, memory
 * decoding and bus mastering are on and the vdev is not stopped for
 * migration; the sink page otherwise.  The
 * idxd_vdev_portal_set_*() helpers zap the mappings when that changes.
 * While the WQ's portals are held (idxd_vdev_portal_hold()), the access
 * waits, then faults again.
 */
static vm_fault_t idxd_vdev_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct idxd_vdev *v = vma->vm_private_data;
	u64 off = ((u64)vmf->pgoff << PAGE_SHIFT) & VFIO_PCI_OFFSET_MASK;
	unsigned int vwq = off / IDXD_VDEV_WQ_PORTALS_SIZE;
	unsigned long pfn;
	vm_fault_t ret;

	mutex_lock(&v->map_lock);
	if (vwq < v->nwqs && idxd_vdev_portal_held(v, vwq)) {
		mutex_unlock(&v->map_lock);
		/* A fatal signal ends the wait; the access faults again. */
		wait_event_killable(v->hold_wait, !idxd_vdev_portal_held(v, vwq));
		return VM_FAULT_NOPAGE;
	}
	if (!idxd_vdev_portal_page(v, off, &pfn) || !v->decode ||
	    v->mig_stopped || !test_bit(vwq, &v->wq_enabled))
		pfn = page_to_pfn(v->sink);
	ret = vmf_insert_pfn(vma, vmf->address, pfn);
	mutex_unlock(&v->map_lock);
	return ret;
}

static const struct vm_operations_struct idxd_vdev_vm_ops = {
	.fault = idxd_vdev_fault,
};

/**
 * idxd_vdev_mmap() - map portal pages of BAR2
 * @vdev: the VFIO device of the vdev
 * @vma: the user's mapping, shared
 *
 * Only the pages that the sparse mmap capability lists may be mapped.
 * They are mapped at fault time, see idxd_vdev_fault().
 *
 * Return: 0, or -EINVAL for a mapping of anything else.
 */
int idxd_vdev_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned int index = pos >> VFIO_PCI_OFFSET_SHIFT;
	u64 off = pos & VFIO_PCI_OFFSET_MASK;
	unsigned long len = vma->vm_end - vma->vm_start, i, pfn;
	int rc = 0;

	if (index != VFIO_PCI_BAR2_REGION_INDEX || !(vma->vm_flags & VM_SHARED) ||
	    off + len > v->bar_size[1] || off + len < off) {
		dev_dbg_ratelimited(vdev->dev,
				    "mmap of %#lx bytes at %#llx refused\n",
				    len, pos);
		return -EINVAL;
	}

	/* This takes map_lock only, as the fault handler does. */
	mutex_lock(&v->map_lock);
	for (i = 0; i < len; i += PAGE_SIZE) {
		if (!idxd_vdev_portal_page(v, off + i, &pfn)) {
			dev_dbg_ratelimited(vdev->dev,
					    "BAR2 page %#llx is not mappable\n",
					    off + i);
			rc = -EINVAL;
			break;
		}
	}
	mutex_unlock(&v->map_lock);
	if (rc)
		return rc;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = v;
	vma->vm_ops = &idxd_vdev_vm_ops;
	return 0;
}

/**
 * idxd_vdev_bar2_rw() - read or write BAR2 through the device file
 * @v: the vdev
 * @buf: the user's buffer
 * @count: the number of bytes
 * @pos: the offset in BAR2
 * @write: the access is a write
 *
 * A portal takes descriptors only through the user's mapping.  Reads
 * return zeros and writes go nowhere, as on a portal of a disabled WQ.
 *
 * Return: @count or a negative errno.
 */
ssize_t idxd_vdev_bar2_rw(struct idxd_vdev *v, char __user *buf, size_t count,
			  loff_t pos, bool write)
{
	if (pos < 0 || pos >= v->bar_size[1] || count > v->bar_size[1] - pos)
		return -EINVAL;
	dev_dbg_ratelimited(v->vdev.dev,
			    "BAR2 %s of %zu bytes at %#llx: portals take descriptors through mmap only\n",
			    write ? "write" : "read", count, pos);
	if (!write && clear_user(buf, count))
		return -EFAULT;
	return count;
}

/**
 * idxd_vdev_bar2_caps() - the sparse mmap capability of BAR2
 * @v: the vdev
 * @caps: the capabilities of the region info, to add it to
 *
 * Pages 0 and 1 of each virtual WQ's four can be mapped.
 *
 * Return: 0 or a negative errno.
 */
int idxd_vdev_bar2_caps(struct idxd_vdev *v, struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t size = struct_size(sparse, areas, v->nwqs);
	unsigned int i;
	int rc;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = v->nwqs;
	for (i = 0; i < v->nwqs; i++) {
		sparse->areas[i].offset = i * IDXD_VDEV_WQ_PORTALS_SIZE;
		sparse->areas[i].size = IDXD_VDEV_MAPPED_PER_WQ * PAGE_SIZE;
	}
	rc = vfio_info_add_capability(caps, &sparse->header, size);
	kfree(sparse);
	return rc;
}
