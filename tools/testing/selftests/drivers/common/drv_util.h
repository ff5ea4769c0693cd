/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the driver kselftests of this tree share (drivers/dsa,
 * drivers/idxd-vdev, drivers/vfio-mtty): sysfs
 * attributes, test modules installed beside the test, mediated devices
 * opened through the VFIO device cdev and iommufd, SET_IRQS and eventfds.
 * Errors are negative errnos unless said otherwise.
 */
#ifndef DRV_UTIL_H
#define DRV_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define MDEV_DEVICES		"/sys/bus/mdev/devices"

int copy_str(char *dst, size_t len, const char *src);
int sysfs_write(const char *path, const char *val);
int sysfs_writef(const char *val, const char *fmt, ...);
int sysfs_read(const char *path, char *buf, size_t len);

int load_module(const char *path);
int unload_module(const char *name);
void module_path(char *buf, size_t len, const char *rel);

void mdev_make_uuid(char *buf, size_t len);
int mdev_open(const char *uuid, int *iommufd);

/* VFIO_DEVICE_SET_IRQS; returns what ioctl() returns (errno set) */
int set_irqs(int device, uint32_t flags, uint32_t index, uint32_t start,
	     uint32_t count, const void *data, size_t size);
uint64_t eventfd_wait(int efd, int timeout_ms);

#endif /* DRV_UTIL_H */
