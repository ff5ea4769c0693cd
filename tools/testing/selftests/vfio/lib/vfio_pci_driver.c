// SPDX-License-Identifier: GPL-2.0
/*
 * A device opened through vfio-pci, made to interrupt for real by its
 * driver of lib/drivers/.
 */

#include "vfio_util.h"

int vfio_pci_driver_init(struct vfio_pci_driver *drv)
{
	int err = 0;

	if (!drv->initialized)
		err = drv->ops->init(drv);
	drv->initialized = !err;
	return err;
}

int vfio_pci_driver_fire(struct vfio_pci_driver *drv, int v)
{
	return drv->ops->fire(drv, v);
}

void vfio_pci_driver_remove(struct vfio_pci_driver *drv)
{
	if (drv->ops && drv->ops->remove)
		drv->ops->remove(drv);
	drv->initialized = false;
	drv->priv = NULL;
}
