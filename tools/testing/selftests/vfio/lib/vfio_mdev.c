// SPDX-License-Identifier: GPL-2.0
/*
 * Mediated devices opened through the VFIO device cdev and iommufd.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "vfio_util.h"

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
