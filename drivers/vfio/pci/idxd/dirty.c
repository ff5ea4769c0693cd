// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: VFIO device DMA logging.
 *
 * The DSA writes guest memory through the vdev's host PASID, behind the
 * VMM's back: a VMM that migrates the guest must learn which pages the
 * device wrote, or it sends stale copies of them.  Until the vdev reads
 * the IOMMU's dirty bits, it reports every page of every range it is
 * asked about dirty, on every report.  That is always correct, and costs
 * a migration that resends all of the guest's memory in each round.
 *
 * The report covers any range the user asks about, whether or not it was
 * among the ranges logging started with: a mapping the user adds while
 * logging runs (memory hot-plug) is reported dirty like the others, so
 * no write of the device escapes.
 *
 * QEMU (10.0) uses device DMA logging whenever a device offers it.  A
 * device with neither it nor IOMMU dirty tracking has its migration
 * blocked unless the user forces it (enable-migration=on), and then
 * nothing marks the device's writes dirty: QEMU syncs a container's dirty
 * log only once tracking started, which it never does there, so pages
 * the device wrote after they were sent would reach the destination
 * stale.  Hence the logging here, however coarse.
 *
 * Locking: @logging changes under the vdev's lock; a report reads it
 * without it.
 */

#include "vdev.h"

static int idxd_vdev_log_start(struct vfio_device *vdev,
			       struct rb_root_cached *ranges, u32 nnodes,
			       u64 *page_size)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	int rc = 0;

	mutex_lock(&v->lock);
	if (v->logging) {
		rc = -EBUSY;
	} else {
		WRITE_ONCE(v->logging, true);
		dev_info(vdev->dev,
			 "DMA logging of %u range%s: every page is reported dirty (no dirty tracking of the DSA's writes)\n",
			 nnodes, nnodes == 1 ? "" : "s");
	}
	mutex_unlock(&v->lock);
	return rc;
}

static int idxd_vdev_log_stop(struct vfio_device *vdev)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	mutex_lock(&v->lock);
	WRITE_ONCE(v->logging, false);
	mutex_unlock(&v->lock);
	return 0;
}

static int idxd_vdev_log_read_and_clear(struct vfio_device *vdev,
					unsigned long iova, unsigned long length,
					struct iova_bitmap *dirty)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	if (!READ_ONCE(v->logging))
		return -EINVAL;
	iova_bitmap_set(dirty, iova, length);
	return 0;
}

const struct vfio_log_ops idxd_vdev_log_ops = {
	.log_start		= idxd_vdev_log_start,
	.log_stop		= idxd_vdev_log_stop,
	.log_read_and_clear	= idxd_vdev_log_read_and_clear,
};
