// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI interrupt frontend: the IMS backend
 *
 * Backs the vectors of an index (the MSI-X index of a virtual device)
 * with interrupts of a PCI device's IMS domain (pci_create_ims_domain()):
 * one IMS interrupt per vector, allocated when the vector gets an eventfd
 * and freed when it loses it, carrying the vector's cookie (for instance
 * the PASID the device must tag the interrupt's messages with).  Every
 * vector comes and goes alone, so the index is not NORESIZE.
 */

#include <linux/interrupt.h>
#include <linux/eventfd.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio_pci_irq.h>

static struct vfio_pci_irq_ims *to_ims(struct vfio_pci_irq_backend *be)
{
	return container_of(be, struct vfio_pci_irq_ims, be);
}

static irqreturn_t vfio_pci_irq_ims_handler(int irq, void *arg)
{
	struct eventfd_ctx *trigger = arg;

	eventfd_signal(trigger);
	return IRQ_HANDLED;
}

static int vfio_pci_irq_ims_request(struct vfio_pci_irq_backend *be,
				    struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_ims *ims = to_ims(be);
	struct msi_map map;
	char *name;
	int ret;

	name = kasprintf(GFP_KERNEL_ACCOUNT, "vfio-ims[%u](%s)", vec->vector,
			 dev_name(vec->irq->dev));
	if (!name)
		return -ENOMEM;

	map = pci_ims_alloc_irq(ims->pdev, &vec->cookie, NULL);
	if (map.index < 0) {
		ret = map.index;
		goto err_name;
	}

	ret = request_irq(map.virq, vfio_pci_irq_ims_handler, 0, name,
			  vec->trigger);
	if (ret)
		goto err_free;

	vec->map = map;
	vec->name = name;
	return 0;

err_free:
	pci_ims_free_irq(ims->pdev, map);
err_name:
	kfree(name);
	return ret;
}

static void vfio_pci_irq_ims_free(struct vfio_pci_irq_backend *be,
				  struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_ims *ims = to_ims(be);

	free_irq(vec->map.virq, vec->trigger);
	pci_ims_free_irq(ims->pdev, vec->map);
	vec->map.index = 0;
	vec->map.virq = 0;
	kfree(vec->name);
	vec->name = NULL;
}

static bool vfio_pci_irq_ims_is_dynamic(struct vfio_pci_irq_backend *be)
{
	return true;
}

static const struct vfio_pci_irq_backend_ops vfio_pci_irq_ims_ops = {
	.request = vfio_pci_irq_ims_request,
	.free = vfio_pci_irq_ims_free,
	.is_dynamic = vfio_pci_irq_ims_is_dynamic,
};

/**
 * vfio_pci_irq_ims_init() - initialise an IMS backend
 * @ims: the backend, embedded in the driver's structure
 * @pdev: the PCI device that owns the IMS domain the interrupts come from
 *
 * The driver then makes @ims->be the backend of an index with
 * vfio_pci_irq_set_backend(), usually the MSI-X index, and configures the
 * vectors' cookies with vfio_pci_irq_set_cookie().  The IMS domain must
 * outlive every vector in use: close the frontend before removing it.
 */
void vfio_pci_irq_ims_init(struct vfio_pci_irq_ims *ims, struct pci_dev *pdev)
{
	ims->be.ops = &vfio_pci_irq_ims_ops;
	ims->pdev = pdev;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_ims_init);
