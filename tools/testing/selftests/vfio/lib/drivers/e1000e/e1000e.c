// SPDX-License-Identifier: GPL-2.0
/*
 * An e1000e driven from user space through vfio-pci: just enough of the
 * device (its interrupt cause registers) to make it raise real INTx, MSI
 * and MSI-X interrupts.
 */

#include <linux/pci_regs.h>

#include "e1000e.h"

void e1000e_write(struct vfio_pci_dev *dev, __u64 reg, __u32 val)
{
	vfio_pci_write32(dev, 0, reg, val);
}

__u32 e1000e_read(struct vfio_pci_dev *dev, __u64 reg)
{
	return vfio_pci_read32(dev, 0, reg);
}

void e1000e_intx_assert(struct vfio_pci_dev *dev)
{
	e1000e_write(dev, E1000_IMS, E1000_CAUSE_SRPD);
	e1000e_write(dev, E1000_ICS, E1000_CAUSE_SRPD);
}

/* Reading ICR clears the causes and deasserts the line. */
void e1000e_intx_clear(struct vfio_pci_dev *dev)
{
	e1000e_read(dev, E1000_ICR);
}

/* Memory decoding and bus mastering on, every cause masked and clear. */
static int e1000e_driver_init(struct vfio_pci_driver *drv)
{
	int err;

	err = vfio_pci_enable_command(drv->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (err)
		return err;
	e1000e_write(drv->dev, E1000_IMC, ~0U);
	e1000e_write(drv->dev, E1000_ICR, ~0U);
	e1000e_write(drv->dev, E1000_IVAR, 0);
	return 0;
}

/*
 * An RXQ0 cause, routed by IVAR to MSI-X vector @v (ignored for MSI), then
 * cleared (write 1 to clear) so that the next one is a new interrupt.
 */
static int e1000e_driver_fire(struct vfio_pci_driver *drv, int v)
{
	if (v >= 0)
		e1000e_write(drv->dev, E1000_IVAR, E1000_IVAR_VALID | v);
	e1000e_write(drv->dev, E1000_IMS, E1000_CAUSE_RXQ0);
	e1000e_write(drv->dev, E1000_ICS, E1000_CAUSE_RXQ0);
	e1000e_write(drv->dev, E1000_ICR, E1000_CAUSE_RXQ0);
	return 0;
}

const struct vfio_pci_driver_ops e1000e_driver_ops = {
	.name = "e1000e",
	.vendor = E1000E_VENDOR,
	.device = E1000E_DEVICE,
	.intx = true,
	.msi = true,
	.msix = true,
	.init = e1000e_driver_init,
	.fire = e1000e_driver_fire,
};
