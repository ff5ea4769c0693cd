// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: Intel DSA work queues composed into mediated devices.
 *
 * A dedicated WQ of type "user" whose driver_name is "idxd_vdev" is bound
 * to this driver (accel-config config-wq --driver-name=idxd_vdev, then
 * enable-wq).  The driver enables it and adds it to the pool of its DSA.
 * While the pool is not empty the DSA's PCI device is an mdev parent
 * whose types compose one or two WQs into a vdev: a VFIO device with the
 * PCI device API that looks like a DSA function of its own.  Each vdev
 * has a host PASID of its own, in its WQs and in its IMS entries; its
 * user's iommufd IOAS is attached to that PASID of the DSA, so that the
 * user's descriptors reach the user's mappings and nothing else.
 *
 * Locking, outermost first:
 * - idxd_vdev_bind_lock serialises binding and unbinding WQs, hence the
 *   registration of the mdev parents;
 * - the mdev core's parent lock (create and remove of vdevs);
 * - idxd_vdev_pool_lock protects the list of parents, their WQ lists and
 *   which vdev each WQ belongs to;
 * - a WQ's wq_lock, or a vdev's lock (which nests outside the vdev's
 *   interrupt frontend's lock).
 */

#include <linux/cpufeature.h>
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vdev.h"

/*
 * INTEL-SA-01084: on a DSA that is not user_submission_safe, the idxd char
 * device lets only CAP_SYS_RAWIO map a portal and filters what it submits;
 * a vdev gives raw portals to an unprivileged VFIO user.  Such DSAs get no
 * vdevs unless the administrator says so.
 */
static bool allow_unsafe_submission;
module_param(allow_unsafe_submission, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_submission,
		 "Offer vdevs on DSAs not safe for user submission (INTEL-SA-01084): their users submit unfiltered descriptors (default: no)");

static DEFINE_MUTEX(idxd_vdev_bind_lock);
static DEFINE_MUTEX(idxd_vdev_pool_lock);
static LIST_HEAD(idxd_vdev_parents);

/* idxd_vdev/ in debugfs: a directory per vdev */
static struct dentry *idxd_vdev_debugfs;

static struct mdev_driver idxd_vdev_mdev_driver;

static const char * const idxd_vdev_type_names[IDXD_VDEV_MAX_WQS] = {
	"dsa-1dwq-v1", "dsa-2dwq-v1",
};

static const char * const idxd_vdev_type_pretty[IDXD_VDEV_MAX_WQS] = {
	"DSA with 1 dedicated WQ", "DSA with 2 dedicated WQs",
};

static struct idxd_vdev_parent *to_parent(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct idxd_vdev_parent, parent);
}

static struct idxd_vdev_type *to_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct idxd_vdev_type, type);
}

static unsigned int idxd_vdev_free_wqs(struct idxd_vdev_parent *p)
{
	struct idxd_vdev_wq *vw;
	unsigned int n = 0;

	lockdep_assert_held(&idxd_vdev_pool_lock);
	list_for_each_entry(vw, &p->wqs, node)
		if (!vw->vdev)
			n++;
	return n;
}

static unsigned int idxd_vdev_get_available(struct mdev_type *mtype)
{
	unsigned int n;

	mutex_lock(&idxd_vdev_pool_lock);
	n = idxd_vdev_free_wqs(to_parent(mtype)) / to_type(mtype)->nwqs;
	mutex_unlock(&idxd_vdev_pool_lock);
	return n;
}

static ssize_t idxd_vdev_show_description(struct mdev_type *mtype, char *buf)
{
	unsigned int nwqs = to_type(mtype)->nwqs;

	return sysfs_emit(buf,
			  "%u dedicated WQ%s, MSI-X vectors: 0 emulated, 1..%u host IMS\n",
			  nwqs, nwqs > 1 ? "s" : "", nwqs);
}

/*
 * A bound WQ's entry in the pool holds a reference on the WQ: a vdev
 * still reads a WQ unregistered under it (the DSA's removal unregisters
 * its WQs one by one before the last one's removal waits for the vdevs'
 * users), until it frees the entry.
 */
static struct idxd_vdev_wq *idxd_vdev_wq_alloc(struct idxd_wq *wq)
{
	struct idxd_vdev_wq *vw = kzalloc(sizeof(*vw), GFP_KERNEL);

	if (!vw)
		return NULL;
	get_device(wq_confdev(wq));
	vw->wq = wq;
	return vw;
}

static void idxd_vdev_wq_free(struct idxd_vdev_wq *vw)
{
	put_device(wq_confdev(vw->wq));
	kfree(vw);
}

/* Give @v the first free WQs of its parent and its PASID to them */
static int idxd_vdev_claim(struct idxd_vdev *v)
{
	struct idxd_vdev_parent *p = v->parent;
	struct idxd_vdev_wq *vw;
	unsigned int n = 0;
	int rc = 0;

	mutex_lock(&idxd_vdev_pool_lock);
	if (idxd_vdev_free_wqs(p) < v->nwqs) {
		dev_info(v->vdev.dev, "needs %u free WQs, %s has %u\n", v->nwqs,
			 dev_name(&p->idxd->pdev->dev), idxd_vdev_free_wqs(p));
		rc = -ENOSPC;
		goto out;
	}
	list_for_each_entry(vw, &p->wqs, node) {
		if (vw->vdev)
			continue;
		mutex_lock(&vw->wq->wq_lock);
		rc = idxd_wq_set_pasid(vw->wq, v->pasid);
		mutex_unlock(&vw->wq->wq_lock);
		if (rc) {
			dev_warn(v->vdev.dev, "%s: cannot set PASID %u: %d\n",
				 dev_name(wq_confdev(vw->wq)), v->pasid, rc);
			break;
		}
		vw->vdev = v;
		vw->vwq = n;
		v->wqs[n++] = vw;
		idxd_wq_set_err_handler(vw->wq, idxd_vdev_wq_err, vw);
		if (n == v->nwqs)
			break;
	}
out:
	mutex_unlock(&idxd_vdev_pool_lock);
	return rc;
}

/* Give the WQs of @v back to the pool, without its PASID */
static void idxd_vdev_unclaim(struct idxd_vdev *v)
{
	unsigned int i;

	mutex_lock(&idxd_vdev_pool_lock);
	/* No error handler runs once they are gone (an unbound WQ has none) */
	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++)
		if (v->wqs[i] && !v->wqs[i]->unbound)
			idxd_wq_set_err_handler(v->wqs[i]->wq, NULL, NULL);
	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++) {
		struct idxd_vdev_wq *vw = v->wqs[i];

		if (!vw)
			continue;
		v->wqs[i] = NULL;
		vw->vdev = NULL;
		if (vw->unbound) {
			/* Its WQ was unbound while we had it: ours to free */
			idxd_vdev_wq_free(vw);
			continue;
		}
		mutex_lock(&vw->wq->wq_lock);
		if (idxd_wq_disable_pasid(vw->wq))
			dev_warn(v->vdev.dev, "%s: cannot clear its PASID\n",
				 dev_name(wq_confdev(vw->wq)));
		mutex_unlock(&vw->wq->wq_lock);
	}
	mutex_unlock(&idxd_vdev_pool_lock);
}

/* VFIO device operations */

static int idxd_vdev_init_dev(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);

	v->sink = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->sink)
		return -ENOMEM;
	mutex_init(&v->lock);
	mutex_init(&v->map_lock);
	spin_lock_init(&v->err_lock);
	INIT_WORK(&v->event_work, idxd_vdev_event_work);
	v->parent = to_parent(mdev->type);
	v->idxd = v->parent->idxd;
	v->nwqs = to_type(mdev->type)->nwqs;
	v->pasid = IOMMU_PASID_INVALID;
	vfio_pci_irq_init(&v->irq, &v->vdev.device, &idxd_vdev_irq_ops);
	return 0;
}

static void idxd_vdev_release_dev(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	cancel_work_sync(&v->event_work);
	vfio_pci_irq_release(&v->irq);
	__free_page(v->sink);
	mutex_destroy(&v->map_lock);
	mutex_destroy(&v->lock);
}

static int idxd_vdev_open(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	int rc = 0;

	mutex_lock(&v->lock);
	if (!v->idev) {
		/* Legacy type1 never tells an emulated device the mappings */
		dev_warn(vdev->dev,
			 "not opened: the legacy VFIO container cannot give the vdev its user's mappings; use iommufd (the VFIO device cdev, or /dev/iommu as the container)\n");
		rc = -EOPNOTSUPP;
	} else if (idxd_vdev_lost(v)) {
		dev_info(vdev->dev, "not opened: a WQ of the vdev was unbound\n");
		rc = -ENODEV;
	} else {
		idxd_vdev_emu_reset(v);
		idxd_vdev_irq_open(v);
	}
	mutex_unlock(&v->lock);
	return rc;
}

static void idxd_vdev_close(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	/*
	 * The host entries go with the index, then the descriptors; the
	 * PASID is detached when the user unbinds from iommufd, next.
	 */
	idxd_vdev_irq_close(v);
	cancel_work_sync(&v->event_work);
	mutex_lock(&v->lock);
	idxd_vdev_emu_reset(v);
	mutex_unlock(&v->lock);
}

/*
 * Descriptors never pass through the kernel: a portal only takes them
 * through the user's mapping.  Accesses through read() and write() act as
 * on a portal page that is not a portal of an enabled WQ: reads return
 * zeros, writes go nowhere.
 */
static ssize_t idxd_vdev_bar2_rw(struct idxd_vdev *v, char __user *buf,
				 size_t count, loff_t pos, bool write)
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

static ssize_t idxd_vdev_rw(struct idxd_vdev *v, char __user *buf,
			    size_t count, loff_t *ppos, bool write)
{
	unsigned int index = *ppos >> VFIO_PCI_OFFSET_SHIFT;
	loff_t pos = *ppos & VFIO_PCI_OFFSET_MASK;
	ssize_t rc;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		rc = idxd_vdev_cfg_rw(v, buf, count, pos, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		rc = idxd_vdev_bar0_rw(v, buf, count, pos, write);
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		rc = idxd_vdev_bar2_rw(v, buf, count, pos, write);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc > 0)
		*ppos += rc;
	return rc;
}

static ssize_t idxd_vdev_read(struct vfio_device *vdev, char __user *buf,
			      size_t count, loff_t *ppos)
{
	return idxd_vdev_rw(to_idxd_vdev(vdev), buf, count, ppos, false);
}

static ssize_t idxd_vdev_write(struct vfio_device *vdev,
			       const char __user *buf, size_t count,
			       loff_t *ppos)
{
	return idxd_vdev_rw(to_idxd_vdev(vdev), (char __user *)buf, count,
			    ppos, true);
}

/*
 * BAR2: page 0 and 1 of virtual WQ i's four are the unlimited and limited
 * IMS portals of its host WQ, which follow each other.
 */
static bool idxd_vdev_portal_page(struct idxd_vdev *v, u64 off,
				  unsigned long *pfn)
{
	unsigned int vwq = off / IDXD_VDEV_WQ_PORTALS_SIZE;
	unsigned int page = (off % IDXD_VDEV_WQ_PORTALS_SIZE) / PAGE_SIZE;
	phys_addr_t base;

	if (vwq >= v->nwqs || page >= IDXD_VDEV_MAPPED_PER_WQ ||
	    test_bit(vwq, &v->gone))
		return false;
	base = idxd_wq_ims_portal(idxd_vdev_host_wq(v, vwq),
				  IDXD_PORTAL_UNLIMITED);
	*pfn = PHYS_PFN(base) + page;
	return true;
}

/*
 * A portal page maps the host WQ's portal while the guest has the WQ
 * enabled and memory decoding and bus mastering on, the sink page
 * otherwise; wq_set_state() and cfg_update_decode() zap the mappings when
 * that changes.
 */
static vm_fault_t idxd_vdev_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct idxd_vdev *v = vma->vm_private_data;
	u64 off = ((u64)vmf->pgoff << PAGE_SHIFT) & VFIO_PCI_OFFSET_MASK;
	unsigned long pfn;
	vm_fault_t ret;

	mutex_lock(&v->map_lock);
	if (!idxd_vdev_portal_page(v, off, &pfn) || !v->decode ||
	    !test_bit(off / IDXD_VDEV_WQ_PORTALS_SIZE, &v->wq_enabled))
		pfn = page_to_pfn(v->sink);
	ret = vmf_insert_pfn(vma, vmf->address, pfn);
	mutex_unlock(&v->map_lock);
	return ret;
}

static const struct vm_operations_struct idxd_vdev_vm_ops = {
	.fault = idxd_vdev_fault,
};

static int idxd_vdev_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
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

	/*
	 * Under map_lock, as the fault handler: the vdev's lock is taken
	 * around iommufd calls, which take the mm's mmap_lock inside.
	 */
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

static int idxd_vdev_get_region_info(struct idxd_vdev *v,
				     struct vfio_region_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	struct vfio_region_info_cap_sparse_mmap *sparse;
	unsigned int i;
	size_t size;
	int rc;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	info.offset = IDXD_VDEV_OFFSET(info.index);
	info.flags = 0;
	info.size = 0;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.size = IDXD_VDEV_CFG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		info.size = v->bar_size[0];
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR2_REGION_INDEX:
		info.size = v->bar_size[1];
		/* A VMM maps the portals with the protection these give */
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP |
			     VFIO_REGION_INFO_FLAG_CAPS;
		size = struct_size(sparse, areas, v->nwqs);
		sparse = kzalloc(size, GFP_KERNEL);
		if (!sparse)
			return -ENOMEM;
		sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		sparse->header.version = 1;
		sparse->nr_areas = v->nwqs;
		for (i = 0; i < v->nwqs; i++) {
			sparse->areas[i].offset = i * IDXD_VDEV_WQ_PORTALS_SIZE;
			sparse->areas[i].size = IDXD_VDEV_MAPPED_PER_WQ *
						PAGE_SIZE;
		}
		rc = vfio_info_add_capability(&caps, &sparse->header, size);
		kfree(sparse);
		if (rc)
			return rc;
		break;
	default:
		if (info.index >= VFIO_PCI_NUM_REGIONS)
			return -EINVAL;
		break;
	}

	if (caps.size) {
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + 1, caps.buf, caps.size)) {
				kfree(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int idxd_vdev_reset(struct idxd_vdev *v)
{
	int rc = 0;

	mutex_lock(&v->lock);
	if (idxd_vdev_lost(v))
		rc = -ENODEV;
	else
		idxd_vdev_emu_reset(v);
	mutex_unlock(&v->lock);
	return rc;
}

static long idxd_vdev_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	void __user *uarg = (void __user *)arg;
	unsigned long minsz;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;

		minsz = offsetofend(struct vfio_device_info, num_irqs);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return idxd_vdev_get_region_info(v, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_pci_irq_get_irq_info(&v->irq, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_irq_set_irqs(&v->irq, uarg);
	case VFIO_DEVICE_RESET:
		return idxd_vdev_reset(v);
	}
	return -ENOTTY;
}

/* The vdev is being removed while the user has it open */
static void idxd_vdev_request(struct vfio_device *vdev, unsigned int count)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	if (vfio_pci_irq_signal_req(&v->irq)) {
		if (!(count % 10))
			dev_notice_ratelimited(vdev->dev,
					       "asking the user to release the device (%u)\n",
					       count);
	} else if (!count) {
		dev_notice(vdev->dev,
			   "removal waits for the user to release the device\n");
	}
}

/*
 * DMA.  The user binds the vdev to an iommufd: that binds the vdev's PASID
 * of the DSA, whose RID the host's idxd driver keeps.  Attaching an IOAS
 * (or a paging HWPT) attaches that PASID to a domain that follows the
 * user's mappings, so that the user's descriptors reach them and nothing
 * else.  The PASID is detached before its WQs could take descriptors
 * into another domain: after the portals are zapped and the host WQs
 * drained (close, then unbind), or after the host WQs are aborted (the
 * user detaches), or when a WQ of the vdev is unbound on the host.
 */
static int idxd_vdev_bind_iommufd(struct vfio_device *vdev,
				  struct iommufd_ctx *ictx, u32 *out_device_id)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	struct iommufd_device *idev;
	int rc = 0;

	idev = iommufd_device_bind_pasid(ictx, &v->idxd->pdev->dev,
					 out_device_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		dev_warn(vdev->dev, "cannot bind PASID %u of %s to iommufd: %d\n",
			 v->pasid, dev_name(&v->idxd->pdev->dev), rc);
		return rc;
	}
	mutex_lock(&v->lock);
	v->idev = idev;
	mutex_unlock(&v->lock);
	return 0;
}

/* Detach the vdev's PASID; its host WQs take no descriptors of the user */
static void idxd_vdev_dma_detach(struct idxd_vdev *v)
{
	lockdep_assert_held(&v->lock);
	if (!v->attached)
		return;
	iommufd_device_detach(v->idev, v->pasid);
	v->attached = false;
}

static void idxd_vdev_unbind_iommufd(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	mutex_lock(&v->lock);
	idxd_vdev_dma_detach(v);
	iommufd_device_unbind(v->idev);
	v->idev = NULL;
	mutex_unlock(&v->lock);
}

static int idxd_vdev_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	int rc;

	mutex_lock(&v->lock);
	if (idxd_vdev_lost(v)) {
		rc = -ENODEV;
		goto out;
	}
	/* A PASID's domain is not replaced in place: in between, DMA faults */
	if (v->attached) {
		idxd_vdev_quiesce_dma(v);
		idxd_vdev_dma_detach(v);
	}
	rc = iommufd_device_attach(v->idev, v->pasid, pt_id);
	if (rc)
		dev_warn(vdev->dev, "cannot attach PASID %u to %u: %d\n",
			 v->pasid, *pt_id, rc);
	else
		v->attached = true;
out:
	mutex_unlock(&v->lock);
	return rc;
}

static void idxd_vdev_detach_ioas(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	mutex_lock(&v->lock);
	if (v->attached) {
		idxd_vdev_quiesce_dma(v);
		idxd_vdev_dma_detach(v);
	}
	mutex_unlock(&v->lock);
}

static const struct vfio_device_ops idxd_vdev_ops = {
	.name		= "idxd-vdev",
	.init		= idxd_vdev_init_dev,
	.release	= idxd_vdev_release_dev,
	.open_device	= idxd_vdev_open,
	.close_device	= idxd_vdev_close,
	.read		= idxd_vdev_read,
	.write		= idxd_vdev_write,
	.mmap		= idxd_vdev_mmap,
	.ioctl		= idxd_vdev_ioctl,
	.request	= idxd_vdev_request,
	.bind_iommufd	= idxd_vdev_bind_iommufd,
	.unbind_iommufd	= idxd_vdev_unbind_iommufd,
	.attach_ioas	= idxd_vdev_attach_ioas,
	.detach_ioas	= idxd_vdev_detach_ioas,
};

/* mdev driver: create and remove vdevs */

static int idxd_vdev_mdev_probe(struct mdev_device *mdev)
{
	struct idxd_vdev *v;
	int rc;

	v = vfio_alloc_device(idxd_vdev, vdev, &mdev->dev, &idxd_vdev_ops);
	if (IS_ERR(v))
		return PTR_ERR(v);

	v->pasid = iommu_alloc_global_pasid(&v->idxd->pdev->dev);
	if (v->pasid == IOMMU_PASID_INVALID) {
		dev_warn(&mdev->dev, "no host PASID for %s\n",
			 dev_name(&v->idxd->pdev->dev));
		rc = -ENOSPC;
		goto err_put;
	}
	rc = idxd_vdev_claim(v);
	if (rc)
		goto err_unclaim;
	rc = idxd_vdev_irq_init(v);
	if (rc)
		goto err_unclaim;
	idxd_vdev_emu_init(v);

	v->debugfs = debugfs_create_dir(dev_name(&mdev->dev), idxd_vdev_debugfs);
	idxd_vdev_irq_debugfs(v, v->debugfs);

	rc = vfio_register_emulated_iommu_dev(&v->vdev);
	if (rc)
		goto err_debugfs;
	dev_set_drvdata(&mdev->dev, v);
	dev_info(&mdev->dev, "%u WQ%s of %s, host PASID %u\n", v->nwqs,
		 v->nwqs > 1 ? "s" : "", dev_name(&v->idxd->pdev->dev),
		 v->pasid);
	return 0;

err_debugfs:
	debugfs_remove_recursive(v->debugfs);
err_unclaim:
	idxd_vdev_unclaim(v);
	iommu_free_global_pasid(v->pasid);
err_put:
	vfio_put_device(&v->vdev);
	return rc;
}

static void idxd_vdev_mdev_remove(struct mdev_device *mdev)
{
	struct idxd_vdev *v = dev_get_drvdata(&mdev->dev);

	/* Waits until the user lets go, asking through REQ */
	vfio_unregister_group_dev(&v->vdev);
	debugfs_remove_recursive(v->debugfs);
	idxd_vdev_unclaim(v);
	cancel_work_sync(&v->event_work);
	iommu_free_global_pasid(v->pasid);
	vfio_put_device(&v->vdev);
}

static struct mdev_driver idxd_vdev_mdev_driver = {
	.device_api	= VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name		= IDXD_VDEV_NAME,
		.owner		= THIS_MODULE,
		.mod_name	= KBUILD_MODNAME,
	},
	.probe		= idxd_vdev_mdev_probe,
	.remove		= idxd_vdev_mdev_remove,
	.get_available	= idxd_vdev_get_available,
	.show_description = idxd_vdev_show_description,
};

/* WQ driver: the pool */

static struct idxd_vdev_parent *idxd_vdev_find_parent(struct idxd_device *idxd)
{
	struct idxd_vdev_parent *p;

	lockdep_assert_held(&idxd_vdev_pool_lock);
	list_for_each_entry(p, &idxd_vdev_parents, node)
		if (p->idxd == idxd)
			return p;
	return NULL;
}

static struct idxd_vdev_parent *idxd_vdev_parent_alloc(struct idxd_device *idxd)
{
	struct idxd_vdev_parent *p;
	unsigned int i;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	p->idxd = idxd;
	INIT_LIST_HEAD(&p->wqs);
	mutex_init(&p->cmd_lock);
	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++) {
		p->types[i].nwqs = i + 1;
		p->types[i].type.sysfs_name = idxd_vdev_type_names[i];
		p->types[i].type.pretty_name = idxd_vdev_type_pretty[i];
		p->type_ptrs[i] = &p->types[i].type;
	}
	return p;
}

static bool idxd_vdev_user_int(struct idxd_device *idxd)
{
	union gencfg_reg reg;

	reg.bits = ioread32(idxd->reg_base + IDXD_GENCFG_OFFSET);
	return reg.user_int_en;
}

/*
 * The vdevs' guests submit user-mode descriptors (their WQs have the
 * vdev's PASID and no privilege), whose completion interrupts need
 * GENCFG.user_int_en.  That bit is the device's, not a WQ's: it also lets
 * the user-mode descriptors of the host's char device users ask for
 * interrupts, through the MSI-X table.  The host's vectors are safe from
 * them only if their permission entries check a PASID: idxd sets one
 * (the system PASID) when it has one.  A device whose users have PASIDs
 * while the kernel has none would have vectors any of them could raise,
 * so its WQs get no vdevs, unless user interrupts are on already.
 */
static bool idxd_vdev_user_int_safe(struct idxd_device *idxd)
{
	return idxd_vdev_user_int(idxd) || !device_user_pasid_enabled(idxd) ||
	       device_pasid_enabled(idxd);
}

static int idxd_vdev_wq_probe(struct idxd_dev *idxd_dev)
{
	struct device *dev = &idxd_dev->conf_dev;
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_device *idxd = wq->idxd;
	struct idxd_vdev_parent *p, *new = NULL;
	struct idxd_vdev_wq *vw;
	int rc;

	vw = idxd_vdev_wq_alloc(wq);
	if (!vw)
		return -ENOMEM;

	mutex_lock(&idxd_vdev_bind_lock);
	mutex_lock(&wq->wq_lock);
	if (!idxd_wq_driver_name_match(wq, dev)) {
		rc = -ENODEV;
		goto err_unlock_wq;
	}
	/* Quietly: the driver core offers every WQ when the module loads */
	if (idxd->state != IDXD_DEV_ENABLED) {
		rc = -ENXIO;
		goto err_unlock_wq;
	}
	if (!is_idxd_wq_user(wq) || !wq_dedicated(wq)) {
		dev_err(dev, "%s needs a dedicated WQ of type user\n",
			IDXD_VDEV_NAME);
		rc = -EINVAL;
		goto err_unlock_wq;
	}
	if (!idxd->user_submission_safe && !READ_ONCE(allow_unsafe_submission)) {
		dev_err(dev,
			"%s: %s is not safe for user submission (INTEL-SA-01084); set %s.allow_unsafe_submission=1 to offer its WQs to guests anyway\n",
			IDXD_VDEV_NAME, dev_name(idxd_confdev(idxd)),
			IDXD_VDEV_NAME);
		rc = -EPERM;
		goto err_unlock_wq;
	}
	if (!idxd->ims_size) {
		dev_err(dev, "%s: %s has no IMS for the vdevs' vectors\n",
			IDXD_VDEV_NAME, dev_name(idxd_confdev(idxd)));
		rc = -EOPNOTSUPP;
		goto err_unlock_wq;
	}
	if (!idxd_vdev_user_int_safe(idxd)) {
		dev_err(dev,
			"%s: %s has user PASIDs but no system PASID: the user interrupts the vdevs need would let its char device users raise its MSI-X vectors\n",
			IDXD_VDEV_NAME, dev_name(idxd_confdev(idxd)));
		rc = -EPERM;
		goto err_unlock_wq;
	}
	rc = idxd_drv_enable_wq(wq);
	if (rc)
		goto err_unlock_wq;
	mutex_unlock(&wq->wq_lock);

	mutex_lock(&idxd_vdev_pool_lock);
	p = idxd_vdev_find_parent(idxd);
	if (!p) {
		new = idxd_vdev_parent_alloc(idxd);
		if (!new) {
			mutex_unlock(&idxd_vdev_pool_lock);
			rc = -ENOMEM;
			goto err_disable;
		}
		/* The guests' unprivileged descriptors may interrupt */
		new->user_int_was_on = idxd_vdev_user_int(idxd);
		idxd_set_user_intr(idxd, 1);
		list_add(&new->node, &idxd_vdev_parents);
		p = new;
	}
	list_add_tail(&vw->node, &p->wqs);
	idxd_wq_set_private(wq, vw);
	mutex_unlock(&idxd_vdev_pool_lock);

	if (new) {
		rc = mdev_register_parent(&new->parent, &idxd->pdev->dev,
					  &idxd_vdev_mdev_driver,
					  new->type_ptrs, IDXD_VDEV_MAX_WQS);
		if (rc) {
			dev_err(dev, "%s: cannot register the mdev parent: %d\n",
				IDXD_VDEV_NAME, rc);
			mutex_lock(&idxd_vdev_pool_lock);
			list_del(&vw->node);
			list_del(&new->node);
			mutex_unlock(&idxd_vdev_pool_lock);
			if (!new->user_int_was_on)
				idxd_set_user_intr(idxd, 0);
			mutex_destroy(&new->cmd_lock);
			kfree(new);
			goto err_disable;
		}
	}
	mutex_unlock(&idxd_vdev_bind_lock);
	return 0;

err_disable:
	idxd_wq_set_private(wq, NULL);
	mutex_lock(&wq->wq_lock);
	idxd_drv_disable_wq(wq);
err_unlock_wq:
	mutex_unlock(&wq->wq_lock);
	mutex_unlock(&idxd_vdev_bind_lock);
	idxd_vdev_wq_free(vw);
	return rc;
}

/*
 * Unbinding cannot be refused.  A WQ in a vdev is taken from it first:
 * the vdev halts for good and its user is asked to release it; the last
 * WQ of a DSA removes the mdev parent, which removes its vdevs once their
 * users let go.
 */
static void idxd_vdev_wq_remove(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_vdev_parent *p, *last = NULL;
	struct idxd_vdev_wq *vw;
	struct idxd_vdev *v;

	mutex_lock(&idxd_vdev_bind_lock);
	mutex_lock(&idxd_vdev_pool_lock);
	vw = idxd_wq_get_private(wq);
	p = idxd_vdev_find_parent(wq->idxd);
	if (WARN_ON_ONCE(!vw || !p)) {
		mutex_unlock(&idxd_vdev_pool_lock);
		mutex_unlock(&idxd_vdev_bind_lock);
		return;
	}
	idxd_wq_set_private(wq, NULL);
	list_del(&vw->node);
	v = vw->vdev;
	if (v) {
		/*
		 * No call of the handler, whose data is @vw, may outlive the
		 * pool lock: once it is dropped, the vdev's removal frees an
		 * unbound @vw (idxd_vdev_unclaim()).
		 */
		idxd_wq_set_err_handler(wq, NULL, NULL);
		dev_warn(v->vdev.dev, "%s unbound: the vdev is halted\n",
			 dev_name(wq_confdev(wq)));
		mutex_lock(&v->lock);
		idxd_vdev_wq_gone(v, vw->vwq);
		idxd_vdev_dma_detach(v);
		mutex_unlock(&v->lock);
		vfio_pci_irq_signal_req(&v->irq);
		vw->unbound = true;
	} else {
		idxd_vdev_wq_free(vw);
	}
	if (list_empty(&p->wqs)) {
		list_del(&p->node);
		last = p;
	}
	mutex_unlock(&idxd_vdev_pool_lock);

	mutex_lock(&wq->wq_lock);
	idxd_drv_disable_wq(wq);
	mutex_unlock(&wq->wq_lock);

	if (last) {
		mdev_unregister_parent(&last->parent);
		if (!last->user_int_was_on)
			idxd_set_user_intr(last->idxd, 0);
		mutex_destroy(&last->cmd_lock);
		kfree(last);
	}
	mutex_unlock(&idxd_vdev_bind_lock);
}

/*
 * The DSA was reset and idxd brought it back, which revoked the handles
 * of the IMS entries: the event work of the WQ's vdev gets them again.
 */
static void idxd_vdev_wq_reset_done(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_vdev_wq *vw;

	mutex_lock(&idxd_vdev_pool_lock);
	vw = idxd_wq_get_private(wq);
	if (vw && vw->vdev) {
		dev_info(vw->vdev->vdev.dev, "%s: its DSA was reset\n",
			 dev_name(wq_confdev(wq)));
		set_bit(IDXD_VDEV_EV_RESET(vw->vwq), &vw->vdev->events);
		schedule_work(&vw->vdev->event_work);
	}
	mutex_unlock(&idxd_vdev_pool_lock);
}

static enum idxd_dev_type idxd_vdev_wq_types[] = {
	IDXD_DEV_WQ,
	IDXD_DEV_NONE,
};

static struct idxd_device_driver idxd_vdev_wq_driver = {
	.name		= IDXD_VDEV_NAME,
	.probe		= idxd_vdev_wq_probe,
	.remove		= idxd_vdev_wq_remove,
	.reset_done	= idxd_vdev_wq_reset_done,
	.type		= idxd_vdev_wq_types,
};

static int __init idxd_vdev_init(void)
{
	int rc;

	idxd_vdev_debugfs = debugfs_create_dir(IDXD_VDEV_NAME, NULL);
	rc = mdev_register_driver(&idxd_vdev_mdev_driver);
	if (rc)
		goto err_debugfs;
	rc = idxd_driver_register(&idxd_vdev_wq_driver);
	if (rc)
		goto err_mdev;
	return 0;

err_mdev:
	mdev_unregister_driver(&idxd_vdev_mdev_driver);
err_debugfs:
	debugfs_remove_recursive(idxd_vdev_debugfs);
	return rc;
}

static void __exit idxd_vdev_exit(void)
{
	idxd_driver_unregister(&idxd_vdev_wq_driver);
	mdev_unregister_driver(&idxd_vdev_mdev_driver);
	debugfs_remove_recursive(idxd_vdev_debugfs);
}

module_init(idxd_vdev_init);
module_exit(idxd_vdev_exit);

MODULE_DESCRIPTION("VFIO mediated devices made of Intel DSA work queues");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IDXD);
MODULE_IMPORT_NS(IOMMUFD);
