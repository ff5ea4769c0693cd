// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the IMS backend of the VFIO PCI interrupt frontend.
 *
 * /dev/vfio_ims_test stands in for a VFIO device: its GET_IRQ_INFO and
 * SET_IRQS are the frontend's, MSI-X only, vector 0 emulated and the
 * others backed by IMS interrupts of the first DSA with an IMS domain,
 * each with a cookie of its own.  It ships with the tests, not with the
 * kernel.  See vfio_ims_test.h.
 */

#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_irq.h>

#include "vfio_ims_test.h"

#define PCI_DEVICE_ID_INTEL_DSA	0x0b25

static struct pci_dev *test_pdev;
static struct vfio_pci_irq test_irq;
static struct vfio_pci_irq_ims test_ims;

/* One user at a time, like a VFIO device's single open */
static DEFINE_MUTEX(test_open_lock);
static bool test_opened;

static int test_count(struct vfio_pci_irq *irq, unsigned int index)
{
	return index == VFIO_PCI_MSIX_IRQ_INDEX ? VFIO_IMS_TEST_NVEC : -EINVAL;
}

static const struct vfio_pci_irq_ops test_irq_ops = {
	.count = test_count,
};

static int test_query(struct vfio_ims_test_vec __user *uvec)
{
	struct vfio_ims_test_vec vec;
	struct msi_desc *desc;
	struct msi_map map;
	int ret;

	if (copy_from_user(&vec, uvec, sizeof(vec)))
		return -EFAULT;
	ret = vfio_pci_irq_get_map(&test_irq, VFIO_PCI_MSIX_IRQ_INDEX,
				   vec.vector, &map);
	if (ret)
		return ret;
	desc = irq_get_msi_desc(map.virq);
	if (!desc)
		return -EIO;
	vec.index = map.index;
	vec.virq = map.virq;
	vec.cookie = desc->data.icookie.value;
	return copy_to_user(uvec, &vec, sizeof(vec)) ? -EFAULT : 0;
}

static int test_fire(u32 __user *uvector)
{
	struct msi_map map;
	u32 vector;
	int ret;

	if (get_user(vector, uvector))
		return -EFAULT;
	if (vector == 0)
		return vfio_pci_irq_signal(&test_irq, VFIO_PCI_MSIX_IRQ_INDEX,
					   0) ? 0 : -EAGAIN;
	ret = vfio_pci_irq_get_map(&test_irq, VFIO_PCI_MSIX_IRQ_INDEX, vector,
				   &map);
	if (ret)
		return ret;
	/* A real interrupt on the IMS interrupt's vector, in hard irq */
	return irq_inject_interrupt(map.virq);
}

static int test_cookie_set(struct vfio_ims_test_vec __user *uvec)
{
	union msi_instance_cookie cookie;
	struct vfio_ims_test_vec vec;

	if (copy_from_user(&vec, uvec, sizeof(vec)))
		return -EFAULT;
	cookie.value = vec.cookie;
	return vfio_pci_irq_set_cookie(&test_irq, VFIO_PCI_MSIX_IRQ_INDEX,
				       vec.vector, &cookie);
}

static long test_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_pci_irq_get_irq_info(&test_irq, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_irq_set_irqs(&test_irq, uarg);
	case VFIO_IMS_TEST_QUERY:
		return test_query(uarg);
	case VFIO_IMS_TEST_FIRE:
		return test_fire(uarg);
	case VFIO_IMS_TEST_COOKIE_SET:
		return test_cookie_set(uarg);
	}
	return -ENOTTY;
}

static int test_open(struct inode *inode, struct file *file)
{
	int ret = 0;

	mutex_lock(&test_open_lock);
	if (test_opened)
		ret = -EBUSY;
	else
		test_opened = true;
	mutex_unlock(&test_open_lock);
	return ret;
}

/* The device's close: the frontend drops every vector and eventfd */
static int test_release(struct inode *inode, struct file *file)
{
	vfio_pci_irq_close(&test_irq);
	mutex_lock(&test_open_lock);
	test_opened = false;
	mutex_unlock(&test_open_lock);
	return 0;
}

static const struct file_operations test_fops = {
	.owner		= THIS_MODULE,
	.open		= test_open,
	.release	= test_release,
	.unlocked_ioctl	= test_ioctl,
};

static struct miscdevice test_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vfio_ims_test",
	.fops	= &test_fops,
};

static int __init vfio_ims_test_init(void)
{
	struct pci_dev *pdev = NULL;
	union msi_instance_cookie cookie;
	unsigned int v;
	int ret;

	while ((pdev = pci_get_device(PCI_VENDOR_ID_INTEL,
				      PCI_DEVICE_ID_INTEL_DSA, pdev))) {
		if (pci_has_ims_domain(pdev)) {
			test_pdev = pdev;
			break;
		}
	}
	if (!test_pdev)
		return -ENODEV;

	vfio_pci_irq_init(&test_irq, &test_pdev->dev, &test_irq_ops);
	ret = vfio_pci_irq_set_emulated(&test_irq, VFIO_PCI_MSIX_IRQ_INDEX, 0,
					true);
	for (v = 1; !ret && v < VFIO_IMS_TEST_NVEC; v++) {
		cookie.value = VFIO_IMS_TEST_COOKIE(v);
		ret = vfio_pci_irq_set_cookie(&test_irq,
					      VFIO_PCI_MSIX_IRQ_INDEX, v,
					      &cookie);
	}
	vfio_pci_irq_ims_init(&test_ims, test_pdev);
	if (!ret)
		ret = vfio_pci_irq_set_backend(&test_irq,
					       VFIO_PCI_MSIX_IRQ_INDEX,
					       &test_ims.be);
	if (!ret)
		ret = misc_register(&test_misc);
	if (ret) {
		vfio_pci_irq_release(&test_irq);
		pci_dev_put(test_pdev);
	}
	return ret;
}

static void __exit vfio_ims_test_exit(void)
{
	misc_deregister(&test_misc);
	vfio_pci_irq_release(&test_irq);
	pci_dev_put(test_pdev);
}

module_init(vfio_ims_test_init);
module_exit(vfio_ims_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test of the IMS backend of the VFIO PCI interrupt frontend");
