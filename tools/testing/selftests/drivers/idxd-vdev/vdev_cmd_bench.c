// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_cmd_bench - how long a vdev's guest waits for its commands while
 * another vdev's guest loops on DRAIN_WQ.
 *
 * Two one-WQ vdevs of one DSA are brought up as the guest's idxd does.
 * vdev B then times its commands, one at a time: ENABLE_WQ and
 * DISABLE_WQ in turn (the disable drains B's host WQ) and DRAIN_WQ (a
 * host drain of its own), first on a quiet device, then while a thread
 * issues DRAIN_WQ on vdev A as fast as it can, each of which is a host
 * command on the DSA's command channel.  The vdevs' host commands take
 * that channel in turn (idxd_vdev_parent.cmd_lock), so B waits for A's
 * storm by one command at most.
 *
 *   vdev_cmd_bench [-n SAMPLES]
 *
 * Needs a DSA with IMS entries, as vdev_test; prints a table, exits
 * non-zero if a command failed.  Figures are not judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "vdev.h"

#define WQ_SIZE		16

struct storm {
	struct vdev *v;
	int stop;		/* read with __atomic_load_n() */
	unsigned long drains;
	int failed;
};

struct series {
	const char *name;
	double *us;
	unsigned int n;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *storm_fn(void *arg)
{
	struct storm *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (vdev_cmd(s->v, CMD_DRAIN_WQ, 1, 0)) {
			s->failed = 1;
			break;
		}
		s->drains++;
	}
	return NULL;
}

/* Time one command of @v into @s; 0 or -EIO if the device refused it */
static int timed_cmd(struct vdev *v, unsigned int cmd, struct series *s)
{
	double t0 = now_us();
	/* ENABLE_WQ names WQ 0 by its index, the others by a bitmap */
	uint32_t sts = vdev_cmd(v, cmd, cmd == CMD_ENABLE_WQ ? 0 : 1, 0);

	s->us[s->n++] = now_us() - t0;
	return sts ? -EIO : 0;
}

/* @samples of each: ENABLE_WQ, DISABLE_WQ, DRAIN_WQ (WQ 0 of @v) */
static int measure(struct vdev *v, struct series *s, unsigned int samples)
{
	unsigned int i;

	for (i = 0; i < samples; i++) {
		if (timed_cmd(v, CMD_ENABLE_WQ, &s[0]) ||
		    timed_cmd(v, CMD_DRAIN_WQ, &s[2]) ||
		    timed_cmd(v, CMD_DISABLE_WQ, &s[1]))
			return -EIO;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *load, struct series *s)
{
	qsort(s->us, s->n, sizeof(double), cmp_double);
	printf("%-10s  %-8s  %7u  %10.1f  %10.1f  %10.1f\n", s->name, load,
	       s->n, s->us[s->n / 2], s->us[s->n * 99 / 100],
	       s->us[s->n - 1]);
}

int main(int argc, char **argv)
{
	static const char * const names[] = { "ENABLE_WQ", "DISABLE_WQ",
					      "DRAIN_WQ" };
	char dsa[64], bdf[64], uuid[2][40] = { "", "" };
	struct series s[2][3];
	struct vdev a, b;
	struct storm st = { 0 };
	unsigned int samples = 1000, i, j;
	int setup = 0, opt, rc;
	pthread_t thread;
	double t0, secs;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n':
			samples = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n SAMPLES]\n", argv[0]);
			return 2;
		}
	}
	if (!samples)
		return 2;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 3; j++) {
			s[i][j].name = names[j];
			s[i][j].n = 0;
			s[i][j].us = calloc(samples, sizeof(double));
			if (!s[i][j].us)
				return 1;
		}
	}
	vdev_init(&a, "");
	vdev_init(&b, "");

	rc = vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), 2, WQ_SIZE,
			     &setup);
	if (rc)
		goto out;
	for (i = 0; i < 2 && !rc; i++)
		rc = vdev_create(bdf, "idxd-dsa-1dwq-v1", uuid[i], sizeof(uuid[i]));
	if (!rc)
		rc = vdev_open(&a, uuid[0]);
	if (!rc)
		rc = vdev_open(&b, uuid[1]);
	if (rc) {
		fprintf(stderr, "two vdevs on %s: %s\n", bdf, strerror(-rc));
		goto out;
	}
	if (vdev_bring_up(&a, 1) || vdev_bring_up(&b, 1) ||
	    vdev_cmd(&b, CMD_DISABLE_WQ, 1, 0)) {
		fprintf(stderr, "bringing the vdevs up failed\n");
		rc = -EIO;
		goto out;
	}

	printf("vdev_cmd_bench: %u samples per command of vdev B on %s\n",
	       samples, dsa);
	rc = measure(&b, s[0], samples);
	if (rc)
		goto out;

	st.v = &a;
	rc = -pthread_create(&thread, NULL, storm_fn, &st);
	if (rc)
		goto out;
	t0 = now_us();
	rc = measure(&b, s[1], samples);
	secs = (now_us() - t0) / 1e6;
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	if (st.failed) {
		fprintf(stderr, "vdev A's DRAIN_WQ failed\n");
		rc = -EIO;
	}
	if (rc)
		goto out;

	printf("%-10s  %-8s  %7s  %10s  %10s  %10s\n", "command", "vdev A",
	       "samples", "median us", "p99 us", "max us");
	for (j = 0; j < 3; j++)
		report("idle", &s[0][j]);
	for (j = 0; j < 3; j++)
		report("DRAINs", &s[1][j]);
	printf("vdev A: %lu DRAIN_WQ in %.1f s (%.0f/s) meanwhile\n",
	       st.drains, secs, st.drains / secs);
out:
	vdev_close(&a);
	vdev_close(&b);
	for (i = 0; i < 2; i++)
		if (uuid[i][0])
			vdev_remove(uuid[i]);
	if (setup)
		dsa_teardown(dsa, 2);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++)
			free(s[i][j].us);
	return rc ? 1 : 0;
}
