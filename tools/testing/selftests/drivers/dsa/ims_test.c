// SPDX-License-Identifier: GPL-2.0
/*
 * ims_test - IMS interrupts of a DSA work queue, end to end.
 *
 * Runs on a host with interrupt remapping and a DSA whose GENCAP reports
 * IMS entries (the rig's QEMU model). The idxd IMS test module
 * (idxd_ims_test/, installed beside this program) is bound to a
 * dedicated WQ through the WQ's driver_name; through it the test
 * allocates IMS interrupts for the WQ, submits NOOP descriptors with a
 * completion interrupt request through the WQ's IMS portal, and counts
 * the interrupts each vector receives.
 *
 * A DSA without IMS entries in the same machine must keep working
 * without an IMS domain and say so once in the kernel log.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>

#include "../../kselftest_harness.h"
#include "drivers/dsa/dsa_sysfs.h"
#include "idxd_ims_test.h"
#include "ims_util.h"

#define WQ_PASID	0x123
#define OTHER_PASID	0x456
#define MANY		64
#define CYCLES		1000
/* Per-test timeouts in seconds: TCG on a loaded host is slow. */
#define TIMEOUT		120
#define CYCLES_TIMEOUT	300

static char *kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;

	if (len <= 0)
		return NULL;
	buf = calloc(1, len + 1);
	if (!buf)
		return NULL;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;

	while (hay && (hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The /proc/interrupts line of Linux interrupt @virq, or "" */
static void proc_interrupts_line(unsigned int virq, char *line, size_t len)
{
	char buf[1024], want[32];
	FILE *f = fopen("/proc/interrupts", "r");

	line[0] = 0;
	if (!f)
		return;
	snprintf(want, sizeof(want), "%u:", virq);
	while (fgets(buf, sizeof(buf), f)) {
		char *p = buf;

		while (*p == ' ')
			p++;
		if (!strncmp(p, want, strlen(want))) {
			snprintf(line, len, "%s", buf);
			break;
		}
	}
	fclose(f);
}

FIXTURE(ims) {
	char dsa[32];
	char wq[32];
	char bdf[32];
	int entries;
	int fd;
	int bound;
};

FIXTURE_SETUP(ims)
{
	/* The slow DSA of tools/testing/vm/check is the drain tests' */
	const char *slow = getenv("VDEV_SLOW_DSA");
	uint32_t pasid = WQ_PASID;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int rc;

	self->fd = -1;
	self->bound = 0;
	ASSERT_EQ(0, system("modprobe idxd"));
	module_path(path, sizeof(path), "idxd_ims_test/idxd_ims_test.ko");
	ASSERT_EQ(0, load_module(path)) TH_LOG("cannot load %s", path);

	/* The first DSA with IMS entries, other than the slow one */
	self->dsa[0] = 0;
	dir = opendir(DSA_SYSFS "/devices");
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dsa", 3))
			continue;
		if (dsa_pci_addr(de->d_name, self->bdf, sizeof(self->bdf)))
			continue;
		if (slow && !strcmp(self->bdf, slow))
			continue;
		self->entries = dsa_ims_entries(de->d_name);
		if (self->entries > 0 && !copy_str(self->dsa, sizeof(self->dsa), de->d_name))
			break;
	}
	closedir(dir);
	ASSERT_NE(0, self->dsa[0]) TH_LOG("no DSA with IMS entries");
	snprintf(self->wq, sizeof(self->wq), "wq%s.0", self->dsa + 3);

	/* What a test killed at its timeout may have left bound. */
	sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/unbind", self->wq);
	sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", self->dsa);

	ASSERT_EQ(0, ims_configure(self->dsa, self->wq));
	rc = sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/bind", self->wq);
	ASSERT_EQ(0, rc) TH_LOG("binding %s to %s: %s", self->wq, IMS_TEST_DRIVER, strerror(-rc));
	self->bound = 1;

	self->fd = open(IMS_TEST_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, IMS_TEST_SET_WQ_PASID, &pasid))
		TH_LOG("setting the WQ PASID: %s", strerror(errno));
}

FIXTURE_TEARDOWN(ims)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->bound)
		sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/unbind", self->wq);
	if (self->dsa[0])
		sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", self->dsa);
	EXPECT_EQ(0, unload_module("idxd_ims_test"));
}

/*
 * Many vectors: a NOOP with RCI and vector i's handle raises exactly one
 * interrupt, on vector i, and /proc/interrupts names each vector.
 */
TEST_F_TIMEOUT(ims, many_vectors_fire_exactly_once, TIMEOUT)
{
	struct ims_test_vec v[MANY], g;
	char line[1024], chip[64], hw[32];
	int i, j, n = self->entries > MANY ? MANY : self->entries;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &v[i])) TH_LOG("vector %d", i);
		for (j = 0; j < i; j++)
			ASSERT_NE(v[j].index, v[i].index);
		ASSERT_LE(0, v[i].index);
		ASSERT_GT(self->entries, v[i].index);
	}
	ASSERT_EQ(0, total(self->fd));

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, submit(self->fd, v[i].id));
		ASSERT_EQ(1, wait_count(self->fd, v[i].id, 1))
			TH_LOG("vector %d (entry %d)", i, v[i].index);
		/* Every interrupt so far is accounted for by one vector each. */
		ASSERT_EQ(i + 1, total(self->fd));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, vec_get(self->fd, v[i].id, &g));
		EXPECT_EQ(1, g.count) TH_LOG("vector %d", i);
		/* Unmasked, with the WQ's PASID. */
		EXPECT_EQ(IMS_TEST_CTRL_PASID_EN | WQ_PASID << IMS_TEST_CTRL_PASID_SHIFT,
			  g.ctrl & ~0x6u);
	}

	snprintf(chip, sizeof(chip), "IR-IDXD-IMS-%s", self->bdf);
	for (i = 0; i < n; i++) {
		proc_interrupts_line(v[i].virq, line, sizeof(line));
		snprintf(hw, sizeof(hw), " %d-edge ", v[i].index);
		EXPECT_NE(NULL, strstr(line, chip)) TH_LOG("irq %u: %s", v[i].virq, line);
		EXPECT_NE(NULL, strstr(line, hw)) TH_LOG("irq %u: %s", v[i].virq, line);
		EXPECT_NE(NULL, strstr(line, "ims-test-")) TH_LOG("irq %u: %s", v[i].virq, line);
	}
}

/* A masked vector does not fire; unmasked, it fires once. */
TEST_F_TIMEOUT(ims, masked_vector_fires_once_unmasked, TIMEOUT)
{
	struct ims_test_vec a, b, g;

	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &a));
	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &b));

	ASSERT_EQ(0, mask(self->fd, a.id, 1));
	ASSERT_EQ(0, vec_get(self->fd, a.id, &g));
	/* Masking is synchronous: the entry is masked when the call returns. */
	ASSERT_EQ(IMS_TEST_CTRL_MASK, g.ctrl & IMS_TEST_CTRL_MASK);

	ASSERT_EQ(0, submit(self->fd, a.id));
	/* The WQ runs in order: once b has fired, a's NOOP is done. */
	ASSERT_EQ(0, submit(self->fd, b.id));
	ASSERT_EQ(1, wait_count(self->fd, b.id, 1));
	ASSERT_EQ(0, vec_get(self->fd, a.id, &g));
	ASSERT_EQ(0, g.count);

	ASSERT_EQ(0, mask(self->fd, a.id, 0));
	ASSERT_EQ(1, wait_count(self->fd, a.id, 1));
	ASSERT_EQ(0, vec_get(self->fd, a.id, &g));
	ASSERT_EQ(0, g.ctrl & IMS_TEST_CTRL_MASK);

	/* Exactly once: another round trip through b adds nothing to a. */
	ASSERT_EQ(0, submit(self->fd, b.id));
	ASSERT_EQ(2, wait_count(self->fd, b.id, 2));
	ASSERT_EQ(0, vec_get(self->fd, a.id, &g));
	ASSERT_EQ(1, g.count);
	ASSERT_EQ(3, total(self->fd));
}

/* An entry whose PASID is not the WQ's does not fire. */
TEST_F_TIMEOUT(ims, other_pasid_does_not_fire, TIMEOUT)
{
	struct ims_test_vec own, other, g;

	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &own));
	ASSERT_EQ(0, alloc_vec(self->fd, OTHER_PASID, &other));
	ASSERT_EQ(0, vec_get(self->fd, other.id, &g));
	ASSERT_EQ(IMS_TEST_CTRL_PASID_EN | OTHER_PASID << IMS_TEST_CTRL_PASID_SHIFT,
		  g.ctrl & ~0x6u);

	ASSERT_EQ(0, submit(self->fd, other.id));
	ASSERT_EQ(0, submit(self->fd, own.id));
	ASSERT_EQ(1, wait_count(self->fd, own.id, 1));
	ASSERT_EQ(0, vec_get(self->fd, other.id, &g));
	ASSERT_EQ(0, g.count);
	ASSERT_EQ(1, total(self->fd));
}

/* 1000 allocate/request/free cycles reuse the same entry and leak nothing. */
TEST_F_TIMEOUT(ims, alloc_free_cycles, CYCLES_TIMEOUT)
{
	struct ims_test_vec v, first;
	char line[1024];
	int i;

	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &first));
	ASSERT_EQ(0, ioctl(self->fd, IMS_TEST_FREE, &first.id));
	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &v)) TH_LOG("cycle %d", i);
		ASSERT_EQ(first.index, v.index) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, ioctl(self->fd, IMS_TEST_FREE, &v.id)) TH_LOG("cycle %d", i);
	}
	/* The last one's interrupt is gone from /proc/interrupts. */
	proc_interrupts_line(v.virq, line, sizeof(line));
	EXPECT_EQ(NULL, strstr(line, "ims-test-")) TH_LOG("%s", line);

	/* And the entry still works. */
	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &v));
	ASSERT_EQ(0, submit(self->fd, v.id));
	ASSERT_EQ(1, wait_count(self->fd, v.id, 1));
}

/* Bad requests get errors, nothing else. */
TEST_F_TIMEOUT(ims, bad_requests, TIMEOUT)
{
	struct ims_test_vec v;
	struct ims_test_submit s = { .id = 12345, .count = 1 };
	uint32_t id = 12345, pasid = 0x100000;

	EXPECT_EQ(-EINVAL, alloc_vec(self->fd, 0x100000, &v));
	EXPECT_EQ(-1, ioctl(self->fd, IMS_TEST_FREE, &id));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IMS_TEST_SUBMIT, &s));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, IMS_TEST_SET_WQ_PASID, &pasid));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, alloc_vec(self->fd, WQ_PASID, &v));
	/* Unbalanced unmask and double mask are harmless. */
	EXPECT_EQ(0, mask(self->fd, v.id, 0));
	EXPECT_EQ(0, mask(self->fd, v.id, 1));
	EXPECT_EQ(0, mask(self->fd, v.id, 1));
	EXPECT_EQ(0, ioctl(self->fd, IMS_TEST_FREE, &v.id));
	EXPECT_EQ(-1, ioctl(self->fd, IMS_TEST_FREE, &v.id));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * A DSA without IMS entries has no IMS domain, says so once, and refuses
 * the IMS test driver cleanly.
 */
TEST(device_without_ims)
{
	char bdf[32], path[PATH_MAX], wq[32], msg[128], *log;
	struct dirent *de;
	int found = 0, rc;
	DIR *dir;

	ASSERT_EQ(0, system("modprobe idxd"));
	module_path(path, sizeof(path), "idxd_ims_test/idxd_ims_test.ko");
	ASSERT_EQ(0, load_module(path));
	dir = opendir(DSA_SYSFS "/devices");
	ASSERT_NE(NULL, dir);
	log = kernel_log();
	ASSERT_NE(NULL, log);
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dsa", 3) || dsa_pci_addr(de->d_name, bdf, sizeof(bdf)))
			continue;
		snprintf(msg, sizeof(msg), "%s: IMS off: ", bdf);
		if (dsa_ims_entries(de->d_name) > 0) {
			EXPECT_EQ(0, count_str(log, msg)) TH_LOG("%s has IMS", bdf);
			continue;
		}
		found = 1;
		snprintf(msg, sizeof(msg), "%s: IMS off: the device has no interrupt message store",
			 bdf);
		EXPECT_EQ(1, count_str(log, msg)) TH_LOG("%s", msg);

		snprintf(wq, sizeof(wq), "wq%s.0", de->d_name + 3);
		ASSERT_EQ(0, ims_configure(de->d_name, wq));
		rc = sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/bind", wq);
		EXPECT_EQ(-EOPNOTSUPP, rc) TH_LOG("%s", strerror(-rc));
		EXPECT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", de->d_name));
	}
	closedir(dir);
	free(log);
	EXPECT_EQ(1, found) TH_LOG("no DSA without IMS entries");
	EXPECT_EQ(0, unload_module("idxd_ims_test"));
}

TEST_HARNESS_MAIN
