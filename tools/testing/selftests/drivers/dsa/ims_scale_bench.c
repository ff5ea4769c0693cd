// SPDX-License-Identifier: GPL-2.0
/*
 * ims_scale_bench - IMS interrupts of one DSA work queue at scale.
 *
 * Through the idxd IMS test module (idxd_ims_test/, bound to a dedicated
 * WQ), IMS interrupts are allocated and requested one at a time until
 * the WQ has N of them, for N = 16, 64, 256, 1024, 2048 in turn (-n):
 * printed per N is the mean cost of the allocations that took the count
 * from the previous N to this one, and the ratio to the first.  Then
 * every interrupt fires once, a NOOP with a completion interrupt request
 * through the WQ's IMS portal each, one in flight; each must receive
 * exactly one interrupt.  Then all are freed, timed, and the IMS domain
 * must be empty: no interrupt of the IDXD-IMS chip left in
 * /proc/interrupts.
 *
 * Needs a DSA whose IMS has at least the largest N entries (e.g. QEMU's
 * "-device intel-dsa,ims-entries=2048") and CPUs for that many vectors
 * (about 200 per CPU on x86).  Figures are printed, not judged; the exit
 * status is non-zero if an interrupt was missing, doubled or left behind.
 *
 *   ims_scale_bench [-n N,N,...]
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "vfio_util.h"
#include "drivers/dsa/dsa_sysfs.h"
#include "ims_util.h"

#define MAX_SIZES	16
#define IMS_CHIP	"IDXD-IMS"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Lines of /proc/interrupts that name @chip */
static int chip_interrupts(const char *chip)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char buf[4096];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, chip))
			n++;
	fclose(f);
	return n;
}

/* The DSA with the most IMS entries: its name, PCI address and entries */
static int find_dsa(char *dsa, size_t dlen, char *bdf, size_t blen)
{
	struct dirent *de;
	int best = 0, n;
	DIR *dir;

	dir = opendir(DSA_SYSFS "/devices");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dsa", 3))
			continue;
		n = dsa_ims_entries(de->d_name);
		if (n <= best || dsa_pci_addr(de->d_name, bdf, blen) ||
		    copy_str(dsa, dlen, de->d_name))
			continue;
		best = n;
	}
	closedir(dir);
	if (best)
		dsa_pci_addr(dsa, bdf, blen);
	return best;
}

static int parse_sizes(char *arg, unsigned int *sizes)
{
	unsigned int n = 0, prev = 0;
	char *tok;

	for (tok = strtok(arg, ","); tok && n < MAX_SIZES;
	     tok = strtok(NULL, ",")) {
		sizes[n] = strtoul(tok, NULL, 0);
		if (sizes[n] <= prev)
			return -EINVAL;
		prev = sizes[n++];
	}
	return n ? (int)n : -EINVAL;
}

int main(int argc, char **argv)
{
	unsigned int sizes[MAX_SIZES] = { 16, 64, 256, 1024, 2048 };
	unsigned int nsizes = 5, i, s, have = 0, max, bad = 0;
	char dsa[32], bdf[32], wq[40], path[PATH_MAX];
	struct ims_test_vec *vecs = NULL;
	double cost[MAX_SIZES], t0, t;
	int fd = -1, entries, opt, rc = 1, n;
	uint32_t pasid = 0x123;
	uint64_t before;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		n = opt == 'n' ? parse_sizes(optarg, sizes) : -EINVAL;
		if (n < 0) {
			fprintf(stderr, "usage: %s [-n N,N,...]\n", argv[0]);
			return 2;
		}
		nsizes = n;
	}
	max = sizes[nsizes - 1];

	if (system("modprobe idxd"))
		return 1;
	module_path(path, sizeof(path), "idxd_ims_test/idxd_ims_test.ko");
	if (load_module(path)) {
		fprintf(stderr, "cannot load %s\n", path);
		return 1;
	}
	entries = find_dsa(dsa, sizeof(dsa), bdf, sizeof(bdf));
	if (entries < (int)max) {
		fprintf(stderr, "no DSA with %u IMS entries (largest: %d)\n",
			max, entries);
		goto out;
	}
	snprintf(wq, sizeof(wq), "wq%s.0", dsa + 3);
	sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/unbind", wq);
	sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", dsa);
	if (ims_configure(dsa, wq) ||
	    sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/bind", wq)) {
		fprintf(stderr, "cannot bind %s to %s\n", wq, IMS_TEST_DRIVER);
		goto out;
	}
	fd = open(IMS_TEST_DEV, O_RDWR);
	if (fd < 0 || ioctl(fd, IMS_TEST_SET_WQ_PASID, &pasid)) {
		perror(IMS_TEST_DEV);
		goto unbind;
	}
	vecs = calloc(max, sizeof(*vecs));
	if (!vecs)
		goto unbind;

	printf("ims_scale_bench: %s (%s), %d IMS entries, %ld CPUs\n", dsa, bdf,
	       entries, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%8s  %14s  %8s\n", "vectors", "us per alloc", "ratio");
	for (s = 0; s < nsizes; s++) {
		unsigned int from = have;

		t0 = now_us();
		for (; have < sizes[s]; have++) {
			if (alloc_vec(fd, pasid, &vecs[have])) {
				fprintf(stderr, "allocating vector %u: %s\n",
					have + 1, strerror(errno));
				goto free;
			}
		}
		cost[s] = (now_us() - t0) / (sizes[s] - from);
		printf("%8u  %14.1f  %8.2f\n", sizes[s], cost[s], cost[s] / cost[0]);
	}

	n = chip_interrupts(IMS_CHIP);
	printf("%s interrupts in /proc/interrupts: %d\n", IMS_CHIP, n);
	if (n != (int)max)
		bad++;

	/* Every vector fires once: one descriptor in flight */
	before = total(fd);
	t0 = now_us();
	for (i = 0; i < max; i++) {
		if (submit(fd, vecs[i].id) ||
		    wait_count(fd, vecs[i].id, 1) != 1) {
			fprintf(stderr, "vector %u (entry %d): no interrupt\n",
				i + 1, vecs[i].index);
			bad++;
			break;
		}
	}
	t = now_us() - t0;
	for (i = 0; i < max; i++) {
		struct ims_test_vec v;

		if (vec_get(fd, vecs[i].id, &v) || v.count != 1) {
			fprintf(stderr, "vector %u (entry %d): %u interrupts\n",
				i + 1, vecs[i].index, v.count);
			bad++;
		}
	}
	printf("fired %u vectors once each in %.0f ms: %llu interrupts received\n",
	       max, t / 1e3, (unsigned long long)(total(fd) - before));
	if (total(fd) - before != max)
		bad++;

free:
	t0 = now_us();
	for (i = 0; i < have; i++)
		if (ioctl(fd, IMS_TEST_FREE, &vecs[i].id))
			bad++;
	if (have)
		printf("freed %u vectors: %.1f us each\n", have,
		       (now_us() - t0) / have);
	n = chip_interrupts(IMS_CHIP);
	printf("%s interrupts left: %d\n", IMS_CHIP, n);
	if (n)
		bad++;
	rc = have == max && !bad ? 0 : 1;
unbind:
	if (fd >= 0)
		close(fd);
	sysfs_write(DSA_SYSFS "/drivers/" IMS_TEST_DRIVER "/unbind", wq);
	sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", dsa);
out:
	free(vecs);
	return rc;
}
