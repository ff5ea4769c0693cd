/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the DSA kselftests share (drivers/dsa, drivers/idxd-vdev): the
 * DSA devices of the dsa bus.
 */
#ifndef DSA_SYSFS_H
#define DSA_SYSFS_H

#include <stddef.h>

#include "../common/drv_util.h"

#define DSA_SYSFS		"/sys/bus/dsa"

int dsa_pci_addr(const char *dsa, char *bdf, size_t len);
int dsa_ims_entries(const char *dsa);

#endif /* DSA_SYSFS_H */
