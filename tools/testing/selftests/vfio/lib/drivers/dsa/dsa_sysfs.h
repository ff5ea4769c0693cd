/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DSA devices of the dsa bus, as the idxd driver shows them
 * (drivers/dsa, drivers/idxd-vdev).
 */
#ifndef DSA_SYSFS_H
#define DSA_SYSFS_H

#include <stddef.h>

#include "vfio_util.h"

#define DSA_SYSFS		"/sys/bus/dsa"

int dsa_pci_addr(const char *dsa, char *bdf, size_t len);
int dsa_ims_entries(const char *dsa);

#endif /* DSA_SYSFS_H */
