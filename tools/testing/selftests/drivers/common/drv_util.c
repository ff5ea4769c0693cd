// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers the driver kselftests of this tree share: see drv_util.h.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "drv_util.h"

/* Copy @src to @dst of @len bytes, or fail if it does not fit */
int copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

int sysfs_write(const char *path, const char *val)
{
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Write @val to the attribute whose path @fmt makes */
int sysfs_writef(const char *val, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return sysfs_write(path, val);
}

/* Read an attribute into @buf, without its trailing newline */
int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Load the module at @path; one already loaded will do */
int load_module(const char *path)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		rc = -errno;
	close(fd);
	return rc;
}

int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* @rel, a test module's path relative to the directory of this program */
void module_path(char *buf, size_t len, const char *rel)
{
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(buf, len, "%s/%s", exe, rel);
}

/* A fresh UUID, so that a leftover mdev does not get in the way */
void mdev_make_uuid(char *buf, size_t len)
{
	int fd = open("/proc/sys/kernel/random/uuid", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 36)
		snprintf(buf, len, "8a3a2c2e-6f0b-4d8e-9a53-%012x", getpid());
	buf[36] = 0;
}

/* /dev/vfio/devices/vfioN of the mdev, from its vfio-dev directory */
static int mdev_cdev_path(const char *uuid, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), MDEV_DEVICES "/%s/vfio-dev", uuid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) && strlen(de->d_name) < 32) {
			snprintf(path, len, "/dev/vfio/devices/%.31s", de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

/*
 * Open mdev @uuid through its VFIO device cdev, bound to a new iommufd
 * (*@iommufd, -1 if none was opened).  Returns the device's fd.
 */
int mdev_open(const char *uuid, int *iommufd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[PATH_MAX];
	int device, rc;

	*iommufd = -1;
	rc = mdev_cdev_path(uuid, path, sizeof(path));
	if (rc)
		return rc;
	device = open(path, O_RDWR | O_CLOEXEC);
	if (device < 0)
		return -errno;
	*iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (*iommufd < 0) {
		rc = -errno;
		goto err;
	}
	bind.iommufd = *iommufd;
	if (ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		rc = -errno;
		close(*iommufd);
		*iommufd = -1;
		goto err;
	}
	return device;
err:
	close(device);
	return rc;
}

int set_irqs(int device, uint32_t flags, uint32_t index, uint32_t start,
	     uint32_t count, const void *data, size_t size)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	if (size > 64) {
		errno = EINVAL;
		return -1;
	}
	set->argsz = sizeof(*set) + size;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (size)
		memcpy(set->data, data, size);
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set);
}

/* Wait up to @timeout_ms for @efd; returns its counter, 0 if silent */
uint64_t eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t val = 0;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	if (read(efd, &val, sizeof(val)) != sizeof(val))
		return 0;
	return val;
}
