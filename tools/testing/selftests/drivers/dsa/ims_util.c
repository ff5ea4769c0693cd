// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the programs that drive the idxd IMS test module: its WQ's
 * configuration and its ioctls.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "drivers/dsa/dsa_sysfs.h"
#include "ims_util.h"

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int vec_get(int fd, uint32_t id, struct ims_test_vec *v)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	return ioctl(fd, IMS_TEST_GET, v) ? -errno : 0;
}

/* Wait until vector @id has received @count interrupts. */
int wait_count(int fd, uint32_t id, uint32_t count)
{
	uint64_t end = now_ms() + IMS_WAIT_MS;
	struct ims_test_vec v;

	do {
		if (vec_get(fd, id, &v))
			return -errno;
		if (v.count >= count)
			return v.count;
		usleep(1000);
	} while (now_ms() < end);
	return v.count;
}

uint64_t total(int fd)
{
	uint64_t t = ~0ull;

	ioctl(fd, IMS_TEST_TOTAL, &t);
	return t;
}

int submit(int fd, uint32_t id)
{
	struct ims_test_submit s = { .id = id, .count = 1 };

	return ioctl(fd, IMS_TEST_SUBMIT, &s) ? -errno : 0;
}

int mask(int fd, uint32_t id, int masked)
{
	struct ims_test_mask m = { .id = id, .masked = masked };

	return ioctl(fd, IMS_TEST_MASK, &m) ? -errno : 0;
}

int alloc_vec(int fd, uint32_t pasid, struct ims_test_vec *v)
{
	memset(v, 0, sizeof(*v));
	v->pasid = pasid;
	return ioctl(fd, IMS_TEST_ALLOC, v) ? -errno : 0;
}

/*
 * One group with one engine and @wq, a dedicated user WQ for the IMS test
 * driver; then the device enabled.
 */
int ims_configure(const char *dsa, const char *wq)
{
	char engine[32], size[16];

	snprintf(engine, sizeof(engine), "engine%s.0", dsa + 3);
	snprintf(size, sizeof(size), "%d", IMS_WQ_SIZE);
	if (sysfs_writef("0", DSA_SYSFS "/devices/%s/%s/group_id", dsa, engine) ||
	    sysfs_writef("0", DSA_SYSFS "/devices/%s/%s/group_id", dsa, wq) ||
	    sysfs_writef("dedicated", DSA_SYSFS "/devices/%s/%s/mode", dsa, wq) ||
	    sysfs_writef(size, DSA_SYSFS "/devices/%s/%s/size", dsa, wq) ||
	    sysfs_writef("10", DSA_SYSFS "/devices/%s/%s/priority", dsa, wq) ||
	    sysfs_writef("user", DSA_SYSFS "/devices/%s/%s/type", dsa, wq) ||
	    sysfs_writef("ims-test", DSA_SYSFS "/devices/%s/%s/name", dsa, wq) ||
	    sysfs_writef(IMS_TEST_DRIVER, DSA_SYSFS "/devices/%s/%s/driver_name", dsa, wq))
		return -1;
	return sysfs_write(DSA_SYSFS "/drivers/idxd/bind", dsa);
}
