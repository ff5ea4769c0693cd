// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_scale_bench - vdevs at scale: every WQ of a DSA bound to
 * idxd_vdev, and the whole life of a vdev over and over.
 *
 * One cycle is what a VMM and its guest do to a vdev from start to end:
 * create it (mdev sysfs), open it (VFIO cdev, iommufd), bring it up as
 * the guest's idxd does (bus master, RESET_DEVICE, MSI-X, ENABLE_DEVICE,
 * ENABLE_WQ), give vector 1 its eventfd and ask for its handle, fire it
 * with a NOOP through the mapped portal, wait for the interrupt, close
 * and remove it.  Printed: cycles per second for one vdev at a time, and
 * for as many vdevs as the DSA has WQs at once (one thread each); and
 * the slab memory (/proc/meminfo's Slab) one created and opened vdev
 * costs, all of them created and opened together.
 *
 *   vdev_scale_bench [-c CYCLES]
 *
 * Needs a DSA with IMS entries whose WQs are all free (e.g. QEMU's
 * "-device intel-dsa" with 8 WQs, or "wqs=64,wq-size=1024").  Exits
 * non-zero if a cycle failed.  Figures are not judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vfio_util.h"
#include "vdev.h"

#define FIRE_MS		5000
#define TYPE		"idxd-dsa-1dwq-v1"

struct worker {
	const char *bdf;
	unsigned int cycles;
	unsigned int done;
	int rc;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A vdev created and opened, up, with vector 1's handle; -step on error */
static int vdev_start(const char *bdf, char *uuid, size_t len,
		      struct vdev *v, uint16_t *handle)
{
	vdev_init(v, "");
	if (vdev_create(bdf, TYPE, uuid, len))
		return -1;
	if (vdev_open(v, uuid))
		return -2;
	if (vdev_bring_up(v, 1))
		return -3;
	if (vdev_vector_up(v, 1, handle))
		return -4;
	if (vdev_map_portals(v))
		return -5;
	return 0;
}

static void vdev_stop(struct vdev *v, const char *uuid)
{
	vdev_close(v);
	if (uuid[0])
		vdev_remove(uuid);
}

static int cycle(const char *bdf)
{
	char uuid[40] = "";
	struct vdev v;
	uint16_t h;
	int rc;

	rc = vdev_start(bdf, uuid, sizeof(uuid), &v, &h);
	if (!rc) {
		vdev_submit_noop(&v, 0, h);
		if (efd_wait(v.efd[1], 1, FIRE_MS) != 1)
			rc = -6;
	}
	vdev_stop(&v, uuid);
	return rc;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	for (w->done = 0; w->done < w->cycles; w->done++) {
		w->rc = cycle(w->bdf);
		if (w->rc)
			break;
	}
	return NULL;
}

/* Cycles per second of @n vdevs at once, @cycles each; < 0 on failure */
static double run(const char *bdf, unsigned int n, unsigned int cycles)
{
	struct worker *w = calloc(n, sizeof(*w));
	pthread_t *t = calloc(n, sizeof(*t));
	unsigned int i, done = 0;
	double t0, secs = -1;
	int failed = 0;

	if (!w || !t)
		goto out;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		w[i].bdf = bdf;
		w[i].cycles = cycles;
		if (pthread_create(&t[i], NULL, worker_fn, &w[i])) {
			n = i;
			failed = 1;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		if (w[i].rc) {
			fprintf(stderr, "vdev %u: cycle %u failed at step %d\n",
				i, w[i].done, -w[i].rc);
			failed = 1;
		}
	}
	secs = now_s() - t0;
	printf("%6u  %8u  %8.1f  %10.2f\n", n, done, secs, done / secs);
	if (failed)
		secs = -1;
out:
	free(w);
	free(t);
	return secs;
}

static long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Slab memory per vdev, @n of them created, opened and up */
static int slab_per_vdev(const char *bdf, unsigned int n)
{
	char (*uuid)[40] = calloc(n, sizeof(*uuid));
	struct vdev *v = calloc(n, sizeof(*v));
	unsigned int i, up = 0;
	long before, after;
	uint16_t h;
	int rc = -ENOMEM;

	if (!uuid || !v)
		goto out;
	/* Settle what earlier cycles freed (RCU, kfree_rcu) */
	sleep(2);
	before = slab_kb();
	for (i = 0; i < n; i++, up++) {
		rc = vdev_start(bdf, uuid[i], sizeof(uuid[i]), &v[i], &h);
		if (rc) {
			fprintf(stderr, "vdev %u: step %d failed\n", i, -rc);
			up++;
			break;
		}
	}
	after = slab_kb();
	if (!rc)
		printf("slab: %ld kB before, %ld kB with %u vdevs: %.1f kB per vdev\n",
		       before, after, n, (double)(after - before) / n);
	for (i = 0; i < up; i++)
		vdev_stop(&v[i], uuid[i]);
out:
	free(uuid);
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned int cycles = 10, nwqs, size;
	char dsa[64], bdf[64], buf[32], path[PATH_MAX];
	int setup = 0, opt, rc;

	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: %s [-c CYCLES]\n", argv[0]);
			return 2;
		}
		cycles = strtoul(optarg, NULL, 0);
	}
	if (!cycles)
		return 2;

	rc = vdev_modules_load(1);
	if (!rc)
		rc = dsa_find(dsa, sizeof(dsa), bdf, sizeof(bdf), 1);
	if (rc) {
		fprintf(stderr, "no DSA with IMS entries\n");
		return 1;
	}
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/max_work_queues", dsa);
	if (sysfs_read(path, buf, sizeof(buf)))
		return 1;
	nwqs = strtoul(buf, NULL, 0);
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/max_work_queues_size",
		 dsa);
	if (sysfs_read(path, buf, sizeof(buf)) || !nwqs)
		return 1;
	size = strtoul(buf, NULL, 0) / nwqs;
	rc = vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), nwqs, size, &setup);
	if (rc)
		goto out;

	printf("vdev_scale_bench: %s, %u WQs of %u entries bound to %s, %u cycles per vdev\n",
	       dsa, nwqs, size, VDEV_DRIVER, cycles);
	printf("%6s  %8s  %8s  %10s\n", "vdevs", "cycles", "seconds", "cycles/s");
	rc = -EIO;
	if (run(bdf, 1, cycles) < 0 || run(bdf, nwqs, cycles) < 0)
		goto out;
	rc = slab_per_vdev(bdf, nwqs);
out:
	if (setup)
		dsa_teardown(dsa, nwqs);
	return rc ? 1 : 0;
}
