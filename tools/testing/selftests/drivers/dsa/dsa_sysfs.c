// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers the DSA kselftests share: sysfs attributes and the DSA devices
 * of the dsa bus.  Errors are negative errnos.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsa_sysfs.h"

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

/* The PCI address of dsa device @dsa ("dsa0") */
int dsa_pci_addr(const char *dsa, char *bdf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s", dsa);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	/* .../0000:00:03.0/dsa0 */
	slash = strrchr(target, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	slash = strrchr(target, '/');
	return copy_str(bdf, len, slash ? slash + 1 : target);
}

/* IMS entries of dsa device @dsa: GENCAP.max_ims_mult x 256 */
int dsa_ims_entries(const char *dsa)
{
	char path[PATH_MAX], buf[64];
	unsigned long long gencap;
	int rc;

	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/gen_cap", dsa);
	rc = sysfs_read(path, buf, sizeof(buf));
	if (rc)
		return rc;
	gencap = strtoull(buf, NULL, 16);
	return ((gencap >> 25) & 0x3f) * 256;
}
