// SPDX-License-Identifier: GPL-2.0
/*
 * The DSA devices of the dsa bus, as the idxd driver shows them.
 * Errors are negative errnos.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio_util.h"
#include "dsa_sysfs.h"

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
