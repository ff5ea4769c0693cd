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
 *   registration of the mdev parents.  Their unregistration, which waits
 *   for the vdevs' users, runs outside it, so that a VMM that ignores the
 *   request to let go holds up only its own DSA.
 * - The mdev core's parent lock serialises the creation and removal of
 *   vdevs.
 * - idxd_vdev_pool_lock protects the list of parents, their pools of WQs
 *   and which vdev each WQ belongs to.
 * - A WQ's wq_lock, or a vdev's lock.  &struct idxd_vdev says what nests
 *   inside a vdev's lock.
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

/* The driver's debugfs directory, idxd_vdev/, has a directory per vdev. */
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

/* Count the WQs of @p's pool that are in no vdev. */
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
 * A bound WQ's entry in the pool holds a reference on the WQ.  A vdev
 * still reads a WQ that was unregistered under it, until it frees the
 * entry: the DSA's removal unregisters its WQs one by one before the last
 * one's removal waits for the vdevs' users.
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

/*
 * Put @pasid into a WQ of the pool, or take a vdev's PASID out of it
 * (@pasid IOMMU_PASID_INVALID).  That disables and enables the WQ: device
 * commands, which run under the WQ's lock and no global one.  A WQ that
 * its unbinding disabled meanwhile is left alone.
 */
static int idxd_vdev_wq_pasid(struct idxd_vdev *v, struct idxd_vdev_wq *vw,
			      ioasid_t pasid)
{
	struct idxd_wq *wq = vw->wq;
	int rc = 0;

	mutex_lock(&wq->wq_lock);
	if (wq->state != IDXD_WQ_ENABLED)
		rc = -ENODEV;
	else if (pasid == IOMMU_PASID_INVALID)
		rc = idxd_wq_disable_pasid(wq);
	else
		rc = idxd_wq_set_pasid(wq, pasid);
	mutex_unlock(&wq->wq_lock);
	if (rc && pasid != IOMMU_PASID_INVALID)
		dev_warn(v->vdev.dev, "%s: cannot set PASID %u: %d\n",
			 dev_name(wq_confdev(wq)), pasid, rc);
	else if (rc && rc != -ENODEV)
		dev_warn(v->vdev.dev, "%s: cannot clear its PASID: %d\n",
			 dev_name(wq_confdev(wq)), rc);
	return rc;
}

/*
 * Register the vdev's error and revocation handlers on a WQ of it, whose
 * data is @vw, or clear them.  Under idxd_vdev_pool_lock, which orders
 * them against the WQ's unbinding.
 */
static void idxd_vdev_wq_handlers(struct idxd_vdev_wq *vw, bool on)
{
	lockdep_assert_held(&idxd_vdev_pool_lock);
	idxd_wq_set_err_handler(vw->wq, on ? idxd_vdev_wq_err : NULL,
				on ? vw : NULL);
	idxd_wq_set_revoke_handler(vw->wq, on ? idxd_vdev_wq_revoked : NULL,
				   on ? vw : NULL);
}

/**
 * idxd_vdev_claim() - take the WQs of a new vdev from the pool
 * @v: the vdev, with its parent, number of WQs and PASID
 *
 * This gives @v the first free WQs of its parent's pool, puts @v's PASID
 * into them and registers @v's error and revocation handlers on them.  The
 * WQs are taken
 * under idxd_vdev_pool_lock, and their PASIDs set after it is dropped:
 * setting one runs device commands, which no global lock is held across.
 * A WQ unbound meanwhile halts @v (idxd_vdev_wq_unbound()) and gets no
 * handler.  idxd_vdev_unclaim() undoes this, also after a failure.
 *
 * Return: 0; -ENOSPC if the pool has too few free WQs; or the error of
 * setting a WQ's PASID.
 */
static int idxd_vdev_claim(struct idxd_vdev *v)
{
	struct idxd_vdev_parent *p = v->parent;
	struct idxd_vdev_wq *vw;
	unsigned int n = 0, i;
	int rc;

	mutex_lock(&idxd_vdev_pool_lock);
	if (idxd_vdev_free_wqs(p) < v->nwqs) {
		dev_info(v->vdev.dev, "needs %u free WQs, %s has %u\n", v->nwqs,
			 dev_name(&p->idxd->pdev->dev), idxd_vdev_free_wqs(p));
		mutex_unlock(&idxd_vdev_pool_lock);
		return -ENOSPC;
	}
	list_for_each_entry(vw, &p->wqs, node) {
		if (vw->vdev)
			continue;
		vw->vdev = v;
		vw->vwq = n;
		v->wqs[n++] = vw;
		if (n == v->nwqs)
			break;
	}
	mutex_unlock(&idxd_vdev_pool_lock);

	for (i = 0; i < v->nwqs; i++) {
		rc = idxd_vdev_wq_pasid(v, v->wqs[i], v->pasid);
		if (rc)
			return rc;
	}

	mutex_lock(&idxd_vdev_pool_lock);
	for (i = 0; i < v->nwqs; i++)
		if (!v->wqs[i]->unbound)
			idxd_vdev_wq_handlers(v->wqs[i], true);
	mutex_unlock(&idxd_vdev_pool_lock);
	return 0;
}

/**
 * idxd_vdev_unclaim() - give the WQs of a vdev back to the pool
 * @v: the vdev
 *
 * The WQs lose @v's handlers, then its PASID, and go back to the pool
 * only then: the PASID is cleared by device commands, which run without
 * idxd_vdev_pool_lock, while the WQs are still @v's.  The entry of a WQ
 * that was unbound while it was in @v is freed: the pool no longer has
 * it.
 */
static void idxd_vdev_unclaim(struct idxd_vdev *v)
{
	unsigned int i;

	/* No error or revocation handler may run once the WQs are gone. */
	mutex_lock(&idxd_vdev_pool_lock);
	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++)
		if (v->wqs[i] && !v->wqs[i]->unbound)
			idxd_vdev_wq_handlers(v->wqs[i], false);
	mutex_unlock(&idxd_vdev_pool_lock);

	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++)
		if (v->wqs[i])
			idxd_vdev_wq_pasid(v, v->wqs[i], IOMMU_PASID_INVALID);

	mutex_lock(&idxd_vdev_pool_lock);
	for (i = 0; i < IDXD_VDEV_MAX_WQS; i++) {
		struct idxd_vdev_wq *vw = v->wqs[i];

		if (!vw)
			continue;
		v->wqs[i] = NULL;
		vw->vdev = NULL;
		/* A WQ unbound while @v had it: @v frees it. */
		if (vw->unbound)
			idxd_vdev_wq_free(vw);
	}
	mutex_unlock(&idxd_vdev_pool_lock);
}

/* The VFIO device operations */

static int idxd_vdev_init_dev(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	int rc;

	rc = idxd_vdev_portal_init(v);
	if (rc)
		return rc;
	mutex_init(&v->lock);
	idxd_vdev_events_init(v);
	idxd_vdev_cmd_init(v);
	v->parent = to_parent(mdev->type);
	v->idxd = v->parent->idxd;
	v->nwqs = to_type(mdev->type)->nwqs;
	v->pasid = IOMMU_PASID_INVALID;
	vfio_pci_irq_init(&v->irq, &v->vdev.device, &idxd_vdev_irq_ops);
	idxd_vdev_mig_init(v);
	return 0;
}

static void idxd_vdev_release_dev(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	idxd_vdev_events_cancel(v);
	idxd_vdev_cmd_flush(v);
	vfio_pci_irq_release(&v->irq);
	idxd_vdev_portal_release(v);
	mutex_destroy(&v->lock);
}

static int idxd_vdev_open(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	int rc = 0;

	mutex_lock(&v->lock);
	if (!v->idev) {
		/*
		 * The legacy type1 container never tells an emulated device
		 * the user's mappings.
		 */
		dev_warn(vdev->dev,
			 "not opened: the legacy VFIO container cannot give the vdev its user's mappings; use iommufd (the VFIO device cdev, or /dev/iommu as the container)\n");
		rc = -EOPNOTSUPP;
	} else if (idxd_vdev_lost(v)) {
		dev_info(vdev->dev, "not opened: a WQ of the vdev was unbound\n");
		rc = -ENODEV;
	} else {
		idxd_vdev_mig_reset(v);
		idxd_vdev_emu_reset(v);
		idxd_vdev_portal_open(v);
		idxd_vdev_irq_open(v);
	}
	mutex_unlock(&v->lock);
	return rc;
}

static void idxd_vdev_close(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	/*
	 * The host IMS entries go with the MSI-X index first, then the reset
	 * aborts the descriptors.  The PASID is detached next, when the user
	 * unbinds from iommufd.  The migration's data files are let go and
	 * DMA logging stops.
	 */
	idxd_vdev_irq_close(v);
	idxd_vdev_events_cancel(v);
	mutex_lock(&v->lock);
	idxd_vdev_mig_reset(v);
	WRITE_ONCE(v->logging, false);
	idxd_vdev_emu_reset(v);
	mutex_unlock(&v->lock);
	/* The reset dropped the guest's command in progress. */
	idxd_vdev_cmd_flush(v);
}

/* Read or write a region: the config space, BAR0 or BAR2. */
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

/**
 * idxd_vdev_get_region_info() - VFIO_DEVICE_GET_REGION_INFO
 * @v: the vdev
 * @arg: the user's &struct vfio_region_info
 *
 * The vdev has the config space, BAR0 and BAR2.  The other PCI regions
 * have a size of 0.
 *
 * Return: 0 or a negative errno.
 */
static int idxd_vdev_get_region_info(struct idxd_vdev *v,
				     struct vfio_region_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
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
		/* A VMM maps the portals with the protection these flags give. */
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE |
			     VFIO_REGION_INFO_FLAG_MMAP |
			     VFIO_REGION_INFO_FLAG_CAPS;
		rc = idxd_vdev_bar2_caps(v, &caps);
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

/*
 * VFIO_DEVICE_RESET is a function level reset, refused once a WQ is gone.
 * It also returns the migration state to RUNNING, from any state.
 */
static int idxd_vdev_reset(struct idxd_vdev *v)
{
	int rc = 0;

	mutex_lock(&v->lock);
	if (idxd_vdev_lost(v)) {
		rc = -ENODEV;
	} else {
		idxd_vdev_mig_reset(v);
		idxd_vdev_emu_reset(v);
	}
	mutex_unlock(&v->lock);
	/* Host events held while the vdev was stopped. */
	if (!rc && READ_ONCE(v->events))
		schedule_work(&v->event_work);
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

/*
 * The vdev is being removed while the user has it open.  Ask the user to
 * release it through the REQ interrupt.
 */
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

/*
 * Detach the vdev's PASID from the user's domain.  The caller made sure
 * that the host WQs hold no descriptors of the user.
 */
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
	bool was_attached;
	u32 id;
	int rc;

	mutex_lock(&v->lock);
	if (idxd_vdev_lost(v)) {
		rc = -ENODEV;
		goto out;
	}
	/*
	 * A PASID's domain is not replaced in place: DMA faults between the
	 * detach and the attach.
	 */
	was_attached = v->attached;
	if (was_attached) {
		idxd_vdev_quiesce_dma(v);
		idxd_vdev_dma_detach(v);
	}
	id = *pt_id;
	rc = iommufd_device_attach(v->idev, v->pasid, &id);
	if (!rc) {
		v->attached = true;
		v->pt_id = *pt_id;
		*pt_id = id;
		goto out;
	}
	dev_warn(vdev->dev, "cannot attach PASID %u to %u: %d\n", v->pasid,
		 *pt_id, rc);
	/*
	 * The user keeps what it had, as vfio-pci's devices keep their
	 * domain when a replace fails.  The domain an IOAS had may have
	 * gone with the detach: the IOAS (or the user's domain) is attached
	 * again.
	 */
	if (was_attached) {
		id = v->pt_id;
		if (iommufd_device_attach(v->idev, v->pasid, &id))
			dev_warn(vdev->dev,
				 "PASID %u left detached: %u cannot be attached again\n",
				 v->pasid, v->pt_id);
		else
			v->attached = true;
	}
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

/* The mdev driver: the creation and removal of vdevs */

/**
 * idxd_vdev_mdev_probe() - create a vdev
 * @mdev: the mediated device, of the type that says how many WQs it has
 *
 * The vdev gets a host PASID of the DSA and free WQs of the DSA's pool,
 * and is registered as a VFIO device with an emulated IOMMU.
 * idxd_vdev_mdev_remove() undoes this, in the opposite order.
 *
 * Return: 0 or a negative errno.
 */
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

	/* This waits until the user lets go, asking through REQ. */
	vfio_unregister_group_dev(&v->vdev);
	debugfs_remove_recursive(v->debugfs);
	idxd_vdev_unclaim(v);
	idxd_vdev_events_cancel(v);
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

/* The WQ driver: the pool of bound WQs */

static struct idxd_vdev_parent *idxd_vdev_find_parent(struct idxd_device *idxd)
{
	struct idxd_vdev_parent *p;

	lockdep_assert_held(&idxd_vdev_pool_lock);
	list_for_each_entry(p, &idxd_vdev_parents, node)
		if (p->idxd == idxd)
			return p;
	return NULL;
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

/**
 * idxd_vdev_parent_alloc() - create the mdev parent of a DSA
 * @idxd: the DSA
 *
 * This also turns the DSA's user interrupts on: the guests' descriptors
 * are unprivileged, and they may ask for completion interrupts.
 * idxd_vdev_parent_free() turns them off again unless they were on
 * before.
 *
 * Return: the parent, not registered yet, or NULL.
 */
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
	p->user_int_was_on = idxd_vdev_user_int(idxd);
	idxd_set_user_intr(idxd, 1);
	return p;
}

/**
 * idxd_vdev_parent_free() - free the mdev parent of a DSA
 * @p: the parent, dying and not registered
 *
 * The DSA's user interrupts go back to what they were before its WQs were
 * bound, before the parent leaves the list: from then on, a WQ of the DSA
 * may be bound again, which creates a new parent.
 */
static void idxd_vdev_parent_free(struct idxd_vdev_parent *p)
{
	mutex_lock(&idxd_vdev_pool_lock);
	if (!p->user_int_was_on)
		idxd_set_user_intr(p->idxd, 0);
	list_del(&p->node);
	mutex_unlock(&idxd_vdev_pool_lock);
	mutex_destroy(&p->cmd_lock);
	kfree(p);
}

/**
 * idxd_vdev_pool_add() - add a bound WQ to the pool of its DSA
 * @vw: the WQ's entry
 *
 * The DSA's first WQ creates the DSA's parent, which the caller registers.
 * The pool owns @vw from now on, and the WQ's private data points to it.
 * That changes only under idxd_vdev_bind_lock and idxd_vdev_pool_lock,
 * so it may be read under either.  idxd_vdev_pool_del() undoes this.
 *
 * Return: the new parent if @vw is the DSA's first WQ, NULL if the DSA had
 * a parent already, or ERR_PTR(-ENOMEM).
 */
static struct idxd_vdev_parent *idxd_vdev_pool_add(struct idxd_vdev_wq *vw)
{
	struct idxd_device *idxd = vw->wq->idxd;
	struct idxd_vdev_parent *p, *new = NULL;

	lockdep_assert_held(&idxd_vdev_bind_lock);
	mutex_lock(&idxd_vdev_pool_lock);
	p = idxd_vdev_find_parent(idxd);
	if (WARN_ON_ONCE(p && p->dying)) {
		mutex_unlock(&idxd_vdev_pool_lock);
		return ERR_PTR(-EBUSY);
	}
	if (!p) {
		new = idxd_vdev_parent_alloc(idxd);
		if (!new) {
			mutex_unlock(&idxd_vdev_pool_lock);
			return ERR_PTR(-ENOMEM);
		}
		list_add(&new->node, &idxd_vdev_parents);
		p = new;
	}
	vw->parent = p;
	list_add_tail(&vw->node, &p->wqs);
	idxd_wq_set_private(vw->wq, vw);
	mutex_unlock(&idxd_vdev_pool_lock);
	return new;
}

/*
 * Whether the mdev parent of @idxd is being unregistered: its last WQ was
 * unbound, and the unbinding waits for the vdevs' users.  The caller holds
 * idxd_vdev_bind_lock, under which a parent starts dying.
 */
static bool idxd_vdev_parent_dying(struct idxd_device *idxd)
{
	struct idxd_vdev_parent *p;
	bool dying;

	lockdep_assert_held(&idxd_vdev_bind_lock);
	mutex_lock(&idxd_vdev_pool_lock);
	p = idxd_vdev_find_parent(idxd);
	dying = p && p->dying;
	mutex_unlock(&idxd_vdev_pool_lock);
	return dying;
}

/*
 * Take the WQ of @vw, which is being unbound, from the vdev it is in.  The
 * vdev halts for good, loses its DMA and asks its user to release it.
 */
static void idxd_vdev_wq_unbound(struct idxd_vdev_wq *vw)
{
	struct idxd_vdev *v = vw->vdev;

	lockdep_assert_held(&idxd_vdev_pool_lock);
	/*
	 * No call of the handlers, whose data is @vw, may outlive the
	 * pool lock: once it is dropped, the vdev's removal frees an unbound
	 * @vw (idxd_vdev_unclaim()).
	 */
	idxd_vdev_wq_handlers(vw, false);
	dev_warn(v->vdev.dev, "%s unbound: the vdev is halted\n",
		 dev_name(wq_confdev(vw->wq)));
	mutex_lock(&v->lock);
	idxd_vdev_wq_gone(v, vw->vwq);
	idxd_vdev_dma_detach(v);
	mutex_unlock(&v->lock);
	vfio_pci_irq_signal_req(&v->irq);
	vw->unbound = true;
}

/**
 * idxd_vdev_pool_del() - take a WQ out of the pool of its DSA
 * @vw: the WQ's entry, which idxd_vdev_pool_add() added
 *
 * This undoes idxd_vdev_pool_add().  A WQ that is in a vdev is taken from
 * the vdev first, and the vdev frees @vw when it gives its WQs back.
 * Otherwise @vw is freed here.
 *
 * Return: the parent if @vw was its last WQ, for the caller to unregister
 * and free with idxd_vdev_parent_free(); NULL otherwise.  The parent
 * stays in the list until it is freed, dying, so that no WQ of its DSA
 * is bound meanwhile.
 */
static struct idxd_vdev_parent *idxd_vdev_pool_del(struct idxd_vdev_wq *vw)
{
	struct idxd_vdev_parent *p = vw->parent, *last = NULL;

	lockdep_assert_held(&idxd_vdev_bind_lock);
	mutex_lock(&idxd_vdev_pool_lock);
	idxd_wq_set_private(vw->wq, NULL);
	list_del(&vw->node);
	if (vw->vdev)
		idxd_vdev_wq_unbound(vw);
	else
		idxd_vdev_wq_free(vw);
	if (list_empty(&p->wqs)) {
		p->dying = true;
		last = p;
	}
	mutex_unlock(&idxd_vdev_pool_lock);
	return last;
}

/*
 * Bind a WQ: check that it can be offered to guests, enable it and add it
 * to the pool of its DSA.  The DSA's first WQ registers the DSA's mdev
 * parent.
 */
static int idxd_vdev_wq_probe(struct idxd_dev *idxd_dev)
{
	struct device *dev = &idxd_dev->conf_dev;
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_device *idxd = wq->idxd;
	struct idxd_vdev_parent *new, *last;
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
	/*
	 * This fails quietly: the driver core offers every WQ to the driver
	 * when the module loads.
	 */
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
	if (idxd_vdev_parent_dying(idxd)) {
		dev_warn(dev,
			 "%s: the vdevs of %s are still being removed, waiting for their users; bind the WQ again then\n",
			 IDXD_VDEV_NAME, dev_name(idxd_confdev(idxd)));
		rc = -EBUSY;
		goto err_unlock_wq;
	}
	rc = idxd_drv_enable_wq(wq);
	if (rc)
		goto err_unlock_wq;
	mutex_unlock(&wq->wq_lock);

	new = idxd_vdev_pool_add(vw);
	if (IS_ERR(new)) {
		rc = PTR_ERR(new);
		goto err_disable;
	}
	if (new) {
		rc = mdev_register_parent(&new->parent, &idxd->pdev->dev,
					  &idxd_vdev_mdev_driver,
					  new->type_ptrs, IDXD_VDEV_MAX_WQS);
		if (rc) {
			dev_err(dev, "%s: cannot register the mdev parent: %d\n",
				IDXD_VDEV_NAME, rc);
			goto err_del;
		}
	}
	mutex_unlock(&idxd_vdev_bind_lock);
	return 0;

err_del:
	/* This frees @vw, and the new parent, which had no other WQ. */
	last = idxd_vdev_pool_del(vw);
	idxd_vdev_parent_free(last);
	vw = NULL;
err_disable:
	mutex_lock(&wq->wq_lock);
	idxd_drv_disable_wq(wq);
err_unlock_wq:
	mutex_unlock(&wq->wq_lock);
	mutex_unlock(&idxd_vdev_bind_lock);
	if (vw)
		idxd_vdev_wq_free(vw);
	return rc;
}

/*
 * Unbind a WQ.  This cannot be refused.  A WQ in a vdev is taken from it
 * first: the vdev halts for good and its user is asked to release it.
 * The last WQ of a DSA removes the mdev parent, which removes its vdevs
 * once their users let go.
 */
static void idxd_vdev_wq_remove(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_vdev_parent *last;
	struct idxd_vdev_wq *vw;

	mutex_lock(&idxd_vdev_bind_lock);
	vw = idxd_wq_get_private(wq);
	if (WARN_ON_ONCE(!vw)) {
		mutex_unlock(&idxd_vdev_bind_lock);
		return;
	}
	last = idxd_vdev_pool_del(vw);

	mutex_lock(&wq->wq_lock);
	idxd_drv_disable_wq(wq);
	mutex_unlock(&wq->wq_lock);
	mutex_unlock(&idxd_vdev_bind_lock);

	/* This waits for the vdevs' users; the parent is dying meanwhile. */
	if (last) {
		mdev_unregister_parent(&last->parent);
		idxd_vdev_parent_free(last);
	}
}

/*
 * The DSA is about to be reset.  The WQ's vdev holds its user's stores to
 * the WQ's portals back until the DSA is back, and lets what the WQ holds
 * run first.  A reference keeps the vdev while that runs without the pool
 * lock.
 */
static void idxd_vdev_wq_reset_prepare(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_vdev *v = NULL;
	struct idxd_vdev_wq *vw;
	unsigned int vwq = 0;

	mutex_lock(&idxd_vdev_pool_lock);
	vw = idxd_wq_get_private(wq);
	if (vw && vw->vdev) {
		v = vw->vdev;
		vwq = vw->vwq;
		get_device(&v->vdev.device);
		idxd_vdev_portal_reset_hold(v, vwq, true);
	}
	mutex_unlock(&idxd_vdev_pool_lock);
	if (!v)
		return;
	idxd_vdev_host_reset_prepare(v, vwq, wq);
	vfio_put_device(&v->vdev);
}

/*
 * The DSA was reset and idxd brought it back, which revoked the handles of
 * the IMS entries.  The WQ's portals take stores again, and the event work
 * of the WQ's vdev gets the handles again.
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
		idxd_vdev_portal_reset_hold(vw->vdev, vw->vwq, false);
		idxd_vdev_host_reset_done(vw->vdev, vw->vwq);
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
	.reset_prepare	= idxd_vdev_wq_reset_prepare,
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
