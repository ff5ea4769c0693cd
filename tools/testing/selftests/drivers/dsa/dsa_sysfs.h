/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the DSA kselftests share (drivers/dsa, drivers/idxd-vdev):
 * sysfs attributes and the DSA devices of the dsa bus.
 */
#ifndef DSA_SYSFS_H
#define DSA_SYSFS_H

#include <stddef.h>

#define DSA_SYSFS		"/sys/bus/dsa"

int copy_str(char *dst, size_t len, const char *src);
int sysfs_write(const char *path, const char *val);
int sysfs_writef(const char *val, const char *fmt, ...);
int sysfs_read(const char *path, char *buf, size_t len);
int dsa_pci_addr(const char *dsa, char *bdf, size_t len);
int dsa_ims_entries(const char *dsa);

#endif /* DSA_SYSFS_H */
