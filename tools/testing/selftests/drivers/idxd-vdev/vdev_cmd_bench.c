// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_cmd_bench - how long a vdev's guest waits for its commands while
 * another vdev's guest drains its WQ, over and over.
 *
 * Two one-WQ vdevs of one DSA are brought up as the guest's idxd does.
 * vdev B then times its commands, one at a time: ENABLE_WQ and
 * DISABLE_WQ in turn (the disable drains B's host WQ) and DRAIN_WQ (a
 * host drain of its own), under three loads of vdev A:
 *
 *   idle       A does nothing;
 *   DRAINs     a thread issues DRAIN_WQ on A's empty WQ as fast as it
 *              can, each a host command on the DSA's command channel,
 *              which the vdevs' host commands take in turn
 *              (idxd_vdev_parent.cmd_lock): B waits for that storm by one
 *              short command at most;
 *   slow drain a thread fills A's WQ with 16 batches of 32 NOOPs and
 *              issues DRAIN_WQ, polling CMDSTS until it is no longer
 *              active, over and over, on the slow DSA
 *              ("-device intel-dsa,x-desc-delay-us=N", named by
 *              $VDEV_SLOW_DSA, see vdev.h), where each such drain lasts
 *              seconds.  A drain that held the DSA's command channel
 *              until A's WQ is empty would hold each of B's host commands
 *              that long; a drain that waits for A's descriptors without
 *              it leaves B's latency as it is idle.  The goal: B's p99,
 *              over its three commands, under the slow drain within twice
 *              its idle p99.
 *
 *   vdev_cmd_bench [-n SAMPLES] [-t SECONDS]
 *
 * With $VDEV_SLOW_DSA set, both vdevs are on the slow DSA, for all three
 * loads; without it, on the first DSA with IMS entries, and the slow
 * drain is skipped, which is said.  The idle and DRAINs loads take
 * SAMPLES (1000) of each command; the slow drain goes on until A has
 * completed 3 drains and B took SAMPLES of each (100000 at most),
 * or until SECONDS (30) passed, which is what a kernel whose
 * drains hold B's commands gets to.  Prints a table, A's drain times and
 * the goal, met or missed; exits non-zero if a command failed.  The
 * figures and the goal are not judged by the exit status.
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
#include <sys/mman.h>
#include "vdev.h"

#define WQ_SIZE		16
#define NBATCH		WQ_SIZE		/* A's WQ full */
#define BATCH_LEN	32		/* NOOPs per batch */
#define LIST_IOVA	0x10000000ull
#define LIST_SIZE	4096
#define NCMDS		3
#define NLOADS		3
#define MAX_DRAINS	4096
#define MIN_DRAINS	3
#define SLOW_CAP	100000	/* samples per command, at most */

#define DRAINS_FMT \
	"vdev A: %lu drains of a full WQ (%d batches of %d NOOPs), median %.0f ms, max %.0f ms; B measured for %.1f s meanwhile\n"
#define GOAL_FMT \
	"vdev_cmd_bench: goal: B's p99 under a slow drain within 2x its idle p99: %s (%.1f us vs %.1f us)\n"

struct storm {
	struct vdev *v;
	int stop;		/* read with __atomic_load_n() */
	int started;		/* read with __atomic_load_n() */
	unsigned long drains;	/* the slow drain's: __atomic_load_n() */
	int failed;
	double *ms;		/* the slow drains' times */
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

/*
 * A's WQ filled and drained, over and over: each DRAIN_WQ polled until
 * CMDSTS is no longer active, and timed from its write
 */
static void *slow_drain_fn(void *arg)
{
	struct storm *s = arg;
	unsigned int b;
	uint32_t sts;
	double t0;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) &&
	       s->drains < MAX_DRAINS) {
		for (b = 0; b < NBATCH; b++)
			vdev_submit_batch(s->v, 0, LIST_IOVA, BATCH_LEN, 0);
		t0 = now_us();
		sts = vdev_cmd(s->v, CMD_DRAIN_WQ, 1, 0);
		__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
		while (sts & CMDSTS_ACTIVE) {
			usleep(1000);
			sts = reg_read32(s->v, REG_CMDSTS);
		}
		if (sts) {
			s->failed = 1;
			break;
		}
		s->ms[s->drains] = (now_us() - t0) / 1e3;
		__atomic_store_n(&s->drains, s->drains + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
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

/*
 * How long B measures: @samples of each command, and until *@drains (if
 * not NULL) reached MIN_DRAINS, but @cap at most, and no longer than
 * @secs if > 0
 */
struct until {
	unsigned int samples;
	unsigned int cap;
	double secs;
	const unsigned long *drains;
};

/* ENABLE_WQ, DRAIN_WQ, DISABLE_WQ of WQ 0 of @v, in turn, for @u */
static int measure(struct vdev *v, struct series *s, const struct until *u)
{
	double end = now_us() + u->secs * 1e6;
	unsigned int i;

	for (i = 0; i < u->cap; i++) {
		if (timed_cmd(v, CMD_ENABLE_WQ, &s[0]) ||
		    timed_cmd(v, CMD_DRAIN_WQ, &s[2]) ||
		    timed_cmd(v, CMD_DISABLE_WQ, &s[1]))
			return -EIO;
		if (u->secs > 0 && now_us() > end)
			break;
		if (i + 1 >= u->samples &&
		    (!u->drains ||
		     __atomic_load_n(u->drains, __ATOMIC_ACQUIRE) >= MIN_DRAINS))
			break;
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
	printf("%-10s  %-10s  %7u  %10.1f  %10.1f  %10.1f\n", s->name, load,
	       s->n, s->us[s->n / 2], s->us[s->n * 99 / 100],
	       s->us[s->n - 1]);
}

/* The p99 of the NCMDS series of one load together */
static double p99_all(struct series *s, double *buf)
{
	unsigned int j, n = 0;

	for (j = 0; j < NCMDS; j++) {
		memcpy(buf + n, s[j].us, s[j].n * sizeof(double));
		n += s[j].n;
	}
	qsort(buf, n, sizeof(double), cmp_double);
	return buf[n * 99 / 100];
}

/* Run @fn on @st while B measures; -EIO if a command failed */
static int under_load(void *(*fn)(void *), struct storm *st, struct vdev *b,
		      struct series *s, const struct until *u, double *took)
{
	pthread_t thread;
	double t0;
	int rc;

	rc = -pthread_create(&thread, NULL, fn, st);
	if (rc)
		return rc;
	while (!__atomic_load_n(&st->started, __ATOMIC_ACQUIRE))
		usleep(1000);
	t0 = now_us();
	rc = measure(b, s, u);
	*took = (now_us() - t0) / 1e6;
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	if (st->failed) {
		fprintf(stderr, "vdev A's DRAIN_WQ failed\n");
		rc = -EIO;
	}
	return rc;
}

/*
 * A's guest memory for the slow drain: one list of BATCH_LEN NOOPs
 * without completion records, which every batch names
 */
static int slow_setup(struct vdev *a, void **list)
{
	uint32_t ioas;

	*list = mmap(NULL, LIST_SIZE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (*list == MAP_FAILED) {
		*list = NULL;
		return -ENOMEM;
	}
	vdev_noop_list(*list, BATCH_LEN, 0);
	if (vdev_ioas_alloc(a->iommufd, &ioas) || vdev_attach_pt(a, ioas) ||
	    vdev_ioas_map(a->iommufd, ioas, *list, LIST_SIZE, LIST_IOVA) ||
	    vdev_map_portals(a))
		return -EIO;
	return 0;
}

int main(int argc, char **argv)
{
	static const char * const names[NCMDS] = { "ENABLE_WQ", "DISABLE_WQ",
						   "DRAIN_WQ" };
	static const char * const loads[NLOADS] = { "idle", "DRAINs",
						    "slow drain" };
	char dsa[64], bdf[64], uuid[2][40] = { "", "" };
	struct series s[NLOADS][NCMDS];
	struct vdev a, b;
	struct storm st = { 0 }, sd = { 0 };
	unsigned int samples = 1000, cap, i, j;
	struct until u = { 0 };
	int setup = 0, opt, rc, slow;
	double secs, slow_secs = 30, *buf = NULL, idle99, slow99;
	void *list = NULL;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			samples = strtoul(optarg, NULL, 0);
			break;
		case 't':
			slow_secs = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-n SAMPLES] [-t SECONDS]\n", argv[0]);
			return 2;
		}
	}
	if (!samples || slow_secs <= 0)
		return 2;
	cap = samples > SLOW_CAP ? samples : SLOW_CAP;
	for (i = 0; i < NLOADS; i++) {
		for (j = 0; j < NCMDS; j++) {
			s[i][j].name = names[j];
			s[i][j].n = 0;
			s[i][j].us = calloc(i == 2 ? cap : samples, sizeof(double));
			if (!s[i][j].us)
				return 1;
		}
	}
	buf = calloc(NCMDS * cap, sizeof(double));
	sd.ms = calloc(MAX_DRAINS, sizeof(double));
	if (!buf || !sd.ms)
		return 1;
	vdev_init(&a, "");
	vdev_init(&b, "");

	slow = getenv(VDEV_SLOW_DSA_ENV) && *getenv(VDEV_SLOW_DSA_ENV);
	if (slow)
		rc = vdev_host_setup_slow(dsa, sizeof(dsa), bdf, sizeof(bdf), 2,
					  WQ_SIZE, &setup);
	else
		rc = vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), 2,
				     WQ_SIZE, &setup);
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
	if (slow) {
		rc = slow_setup(&a, &list);
		if (rc) {
			fprintf(stderr, "vdev A's memory and portal: %s\n", strerror(-rc));
			goto out;
		}
	}
	if (vdev_bring_up(&a, 1) || vdev_bring_up(&b, 1) ||
	    vdev_cmd(&b, CMD_DISABLE_WQ, 1, 0)) {
		fprintf(stderr, "bringing the vdevs up failed\n");
		rc = -EIO;
		goto out;
	}

	printf("vdev_cmd_bench: %u samples per command of vdev B on %s (%s)%s\n",
	       samples, dsa, bdf, slow ? ", the slow DSA" : "");
	u.samples = samples;
	u.cap = samples;
	rc = measure(&b, s[0], &u);
	if (rc)
		goto out;

	st.v = &a;
	st.started = 1;
	rc = under_load(storm_fn, &st, &b, s[1], &u, &secs);
	if (rc)
		goto out;

	printf("%-10s  %-10s  %7s  %10s  %10s  %10s\n", "command", "vdev A",
	       "samples", "median us", "p99 us", "max us");
	idle99 = p99_all(s[0], buf);
	for (i = 0; i < 2; i++)
		for (j = 0; j < NCMDS; j++)
			report(loads[i], &s[i][j]);
	printf("vdev A: %lu DRAIN_WQ in %.1f s (%.0f/s) meanwhile\n",
	       st.drains, secs, st.drains / secs);

	if (!slow) {
		printf("vdev_cmd_bench: slow drain: skipped: %s is not set, no slow DSA\n",
		       VDEV_SLOW_DSA_ENV);
		goto out;
	}
	sd.v = &a;
	u.cap = cap;
	u.secs = slow_secs;
	u.drains = &sd.drains;
	rc = under_load(slow_drain_fn, &sd, &b, s[2], &u, &secs);
	if (rc)
		goto out;
	slow99 = p99_all(s[2], buf);
	for (j = 0; j < NCMDS; j++)
		report(loads[2], &s[2][j]);
	qsort(sd.ms, sd.drains, sizeof(double), cmp_double);
	printf(DRAINS_FMT, sd.drains, NBATCH, BATCH_LEN,
	       sd.drains ? sd.ms[sd.drains / 2] : 0,
	       sd.drains ? sd.ms[sd.drains - 1] : 0, secs);
	printf(GOAL_FMT, slow99 <= 2 * idle99 ? "met" : "missed", slow99, idle99);
out:
	vdev_close(&a);
	vdev_close(&b);
	for (i = 0; i < 2; i++)
		if (uuid[i][0])
			vdev_remove(uuid[i]);
	if (setup)
		dsa_teardown(dsa, 2);
	if (list)
		munmap(list, LIST_SIZE);
	for (i = 0; i < NLOADS; i++)
		for (j = 0; j < NCMDS; j++)
			free(s[i][j].us);
	free(buf);
	free(sd.ms);
	return rc ? 1 : 0;
}
