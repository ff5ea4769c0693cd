// SPDX-License-Identifier: GPL-2.0
/*
 * idxd IMS test module: a WQ driver that exercises the idxd IMS domain.
 *
 * Bound to a dedicated "user" WQ (its WQ driver_name "ims_test"), it lets
 * ims_test.c allocate IMS interrupts for the WQ with a PASID, submit NOOP
 * descriptors with a completion interrupt request through the WQ's IMS
 * portal, mask and unmask the interrupts and count what each receives.
 * See idxd_ims_test.h for the ioctls. It ships with the tests, not with
 * the driver.
 */

#include <linux/cpufeature.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/idxd.h>
#include "idxd.h"
#include "registers.h"
#include "idxd_ims_test.h"

/**
 * struct ims_test_irq - One IMS interrupt of the test
 * @ims: The interrupt, from idxd_wq_ims_alloc()
 * @pasid: Its PASID, IOMMU_PASID_INVALID for none
 * @masked: Masked by IMS_TEST_MASK (disable_irq() depth 1)
 * @count: Interrupts received; written by the handler
 * @name: The action name /proc/interrupts shows
 */
struct ims_test_irq {
	struct idxd_ims_irq ims;
	u32 pasid;
	bool masked;
	atomic_t count;
	char name[32];
};

/*
 * The bound WQ and its interrupts. ims_test_lock protects all of it and
 * nests outside wq->wq_lock; the interrupt handler only touches an
 * ims_test_irq's count and the total.
 */
static DEFINE_MUTEX(ims_test_lock);
static struct idxd_wq *ims_test_wq;
static void __iomem *ims_test_portal;
static bool ims_test_user_int_was_on;
static DEFINE_XARRAY_ALLOC(ims_test_irqs);
static atomic64_t ims_test_total;

static irqreturn_t ims_test_handler(int irq, void *data)
{
	struct ims_test_irq *ti = data;

	atomic_inc(&ti->count);
	atomic64_inc(&ims_test_total);
	return IRQ_HANDLED;
}

static void ims_test_irq_free(struct ims_test_irq *ti)
{
	free_irq(ti->ims.map.virq, ti);
	idxd_wq_ims_free(ims_test_wq, &ti->ims);
	kfree(ti);
}

static void ims_test_free_all(void)
{
	struct ims_test_irq *ti;
	unsigned long id;

	xa_for_each(&ims_test_irqs, id, ti) {
		xa_erase(&ims_test_irqs, id);
		ims_test_irq_free(ti);
	}
}

static int ims_test_alloc(struct ims_test_vec *v)
{
	struct ims_test_irq *ti;
	u32 id;
	int rc;

	ti = kzalloc(sizeof(*ti), GFP_KERNEL);
	if (!ti)
		return -ENOMEM;
	ti->pasid = v->pasid == IMS_TEST_NO_PASID ? IOMMU_PASID_INVALID : v->pasid;

	rc = idxd_wq_ims_alloc(ims_test_wq, ti->pasid, &ti->ims);
	if (rc)
		goto free;

	snprintf(ti->name, sizeof(ti->name), "ims-test-%s-e%d",
		 dev_name(wq_confdev(ims_test_wq)), ti->ims.map.index);
	/* Mask and unmask reach the IMS entry at once, not lazily. */
	irq_set_status_flags(ti->ims.map.virq, IRQ_DISABLE_UNLAZY);
	rc = request_irq(ti->ims.map.virq, ims_test_handler, 0, ti->name, ti);
	if (rc)
		goto free_ims;

	rc = xa_alloc(&ims_test_irqs, &id, ti, xa_limit_31b, GFP_KERNEL);
	if (rc)
		goto free_irq;

	v->id = id;
	v->index = ti->ims.map.index;
	v->handle = ti->ims.handle;
	v->virq = ti->ims.map.virq;
	return 0;

free_irq:
	free_irq(ti->ims.map.virq, ti);
free_ims:
	idxd_wq_ims_free(ims_test_wq, &ti->ims);
free:
	kfree(ti);
	return rc;
}

static u32 ims_test_ctrl(struct ims_test_irq *ti)
{
	struct idxd_device *idxd = ims_test_wq->idxd;

	return ioread32(idxd->reg_base + idxd->ims_offset +
			ti->ims.map.index * IDXD_IMS_ENTRY_SIZE + IDXD_IMS_CTRL);
}

static int ims_test_submit(struct ims_test_irq *ti, u32 count)
{
	struct dsa_hw_desc desc = {
		.opcode = DSA_OPCODE_NOOP,
		.flags = IDXD_OP_FLAG_RCI,
	};

	if (!count || count > ims_test_wq->size)
		return -EINVAL;
	desc.int_handle = ti->ims.handle;
	/* A dedicated WQ runs descriptors with its own PASID. */
	while (count--) {
		/* The descriptor is complete before MOVDIR64B reads it. */
		wmb();
		iosubmit_cmds512(ims_test_portal, &desc, 1);
	}
	return 0;
}

static int ims_test_set_wq_pasid(u32 pasid)
{
	int rc;

	if (pasid != IMS_TEST_NO_PASID && pasid > IDXD_IMS_PASID_MAX)
		return -EINVAL;
	mutex_lock(&ims_test_wq->wq_lock);
	if (pasid == IMS_TEST_NO_PASID)
		rc = idxd_wq_disable_pasid(ims_test_wq);
	else
		rc = idxd_wq_set_pasid(ims_test_wq, pasid);
	mutex_unlock(&ims_test_wq->wq_lock);
	return rc;
}

static long ims_test_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct ims_test_submit sub;
	struct ims_test_mask mask;
	struct ims_test_irq *ti;
	struct ims_test_vec v;
	u64 total;
	u32 val;
	long rc = 0;

	mutex_lock(&ims_test_lock);
	if (!ims_test_wq) {
		rc = -ENODEV;
		goto out;
	}

	switch (cmd) {
	case IMS_TEST_SET_WQ_PASID:
		if (get_user(val, (u32 __user *)uarg))
			rc = -EFAULT;
		else
			rc = ims_test_set_wq_pasid(val);
		break;
	case IMS_TEST_ALLOC:
		if (copy_from_user(&v, uarg, sizeof(v))) {
			rc = -EFAULT;
			break;
		}
		rc = ims_test_alloc(&v);
		if (!rc && copy_to_user(uarg, &v, sizeof(v)))
			rc = -EFAULT;
		break;
	case IMS_TEST_FREE:
		if (get_user(val, (u32 __user *)uarg)) {
			rc = -EFAULT;
			break;
		}
		ti = xa_erase(&ims_test_irqs, val);
		if (ti)
			ims_test_irq_free(ti);
		else
			rc = -ENOENT;
		break;
	case IMS_TEST_SUBMIT:
		if (copy_from_user(&sub, uarg, sizeof(sub))) {
			rc = -EFAULT;
			break;
		}
		ti = xa_load(&ims_test_irqs, sub.id);
		rc = ti ? ims_test_submit(ti, sub.count) : -ENOENT;
		break;
	case IMS_TEST_GET:
		if (copy_from_user(&v, uarg, sizeof(v))) {
			rc = -EFAULT;
			break;
		}
		ti = xa_load(&ims_test_irqs, v.id);
		if (!ti) {
			rc = -ENOENT;
			break;
		}
		v.pasid = ti->pasid == IOMMU_PASID_INVALID ? IMS_TEST_NO_PASID : ti->pasid;
		v.index = ti->ims.map.index;
		v.handle = ti->ims.handle;
		v.virq = ti->ims.map.virq;
		v.count = atomic_read(&ti->count);
		v.ctrl = ims_test_ctrl(ti);
		if (copy_to_user(uarg, &v, sizeof(v)))
			rc = -EFAULT;
		break;
	case IMS_TEST_MASK:
		if (copy_from_user(&mask, uarg, sizeof(mask))) {
			rc = -EFAULT;
			break;
		}
		ti = xa_load(&ims_test_irqs, mask.id);
		if (!ti) {
			rc = -ENOENT;
		} else if (mask.masked && !ti->masked) {
			disable_irq(ti->ims.map.virq);
			ti->masked = true;
		} else if (!mask.masked && ti->masked) {
			enable_irq(ti->ims.map.virq);
			ti->masked = false;
		}
		break;
	case IMS_TEST_TOTAL:
		total = atomic64_read(&ims_test_total);
		if (copy_to_user(uarg, &total, sizeof(total)))
			rc = -EFAULT;
		break;
	default:
		rc = -ENOTTY;
	}
out:
	mutex_unlock(&ims_test_lock);
	return rc;
}

static const struct file_operations ims_test_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ims_test_ioctl,
};

static struct miscdevice ims_test_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "idxd_ims_test",
	.fops	= &ims_test_fops,
};

static bool ims_test_user_int(struct idxd_device *idxd)
{
	union gencfg_reg reg;

	reg.bits = ioread32(idxd->reg_base + IDXD_GENCFG_OFFSET);
	return reg.user_int_en;
}

static int ims_test_probe(struct idxd_dev *idxd_dev)
{
	struct device *dev = &idxd_dev->conf_dev;
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_device *idxd = wq->idxd;
	int rc;

	mutex_lock(&ims_test_lock);
	mutex_lock(&wq->wq_lock);
	if (!idxd_wq_driver_name_match(wq, dev)) {
		rc = -ENODEV;
		goto unlock;
	}
	/* Quietly: the driver core tries every WQ when the module loads. */
	if (idxd->state != IDXD_DEV_ENABLED) {
		rc = -ENXIO;
		goto unlock;
	}
	if (ims_test_wq) {
		dev_err(dev, "ims_test: bound to %s already\n",
			dev_name(wq_confdev(ims_test_wq)));
		rc = -EBUSY;
		goto unlock;
	}
	if (!is_idxd_wq_user(wq) || !wq_dedicated(wq)) {
		dev_err(dev, "ims_test: needs a dedicated WQ of type user\n");
		rc = -EINVAL;
		goto unlock;
	}
	if (!idxd->ims_size) {
		dev_err(dev, "ims_test: %s has no IMS domain\n", dev_name(idxd_confdev(idxd)));
		rc = -EOPNOTSUPP;
		goto unlock;
	}

	rc = idxd_drv_enable_wq(wq);
	if (rc)
		goto unlock;

	ims_test_portal = ioremap(idxd_wq_ims_portal(wq, IDXD_PORTAL_UNLIMITED),
				  IDXD_PORTAL_SIZE);
	if (!ims_test_portal) {
		rc = -ENOMEM;
		idxd_drv_disable_wq(wq);
		goto unlock;
	}
	/* The WQ runs unprivileged descriptors: let them interrupt. */
	ims_test_user_int_was_on = ims_test_user_int(idxd);
	idxd_set_user_intr(idxd, 1);
	atomic64_set(&ims_test_total, 0);
	ims_test_wq = wq;
unlock:
	mutex_unlock(&wq->wq_lock);
	mutex_unlock(&ims_test_lock);
	return rc;
}

static void ims_test_remove(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);

	mutex_lock(&ims_test_lock);
	if (ims_test_wq == wq) {
		ims_test_free_all();
		iounmap(ims_test_portal);
		ims_test_portal = NULL;
		if (!ims_test_user_int_was_on)
			idxd_set_user_intr(wq->idxd, 0);
		mutex_lock(&wq->wq_lock);
		idxd_drv_disable_wq(wq);
		mutex_unlock(&wq->wq_lock);
		ims_test_wq = NULL;
	}
	mutex_unlock(&ims_test_lock);
}

static enum idxd_dev_type ims_test_types[] = {
	IDXD_DEV_WQ,
	IDXD_DEV_NONE,
};

static struct idxd_device_driver ims_test_drv = {
	.name	= IMS_TEST_DRIVER,
	.probe	= ims_test_probe,
	.remove	= ims_test_remove,
	.type	= ims_test_types,
};

static int __init ims_test_init(void)
{
	int rc;

	if (!cpu_feature_enabled(X86_FEATURE_MOVDIR64B))
		return -ENODEV;
	rc = misc_register(&ims_test_misc);
	if (rc)
		return rc;
	rc = idxd_driver_register(&ims_test_drv);
	if (rc)
		misc_deregister(&ims_test_misc);
	return rc;
}

static void __exit ims_test_exit(void)
{
	idxd_driver_unregister(&ims_test_drv);
	misc_deregister(&ims_test_misc);
}

module_init(ims_test_init);
module_exit(ims_test_exit);

MODULE_DESCRIPTION("idxd IMS interrupt domain test driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IDXD);
