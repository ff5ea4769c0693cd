// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_irq_bench - what adding a vector to a vdev's MSI-X index costs,
 * the index driven the way each VMM drives it, and whether a WQ vector
 * that streams completions loses interrupts meanwhile.
 *
 *   whole    QEMU 7.2 (and QEMU with VFIO_IRQ_INFO_NORESIZE): for the
 *            guest's new highest vector N, the whole index is disabled and
 *            vectors 0..N are enabled again in one VFIO_DEVICE_SET_IRQS
 *   dynamic  QEMU 8.1 and later: vector N gets its own SET_IRQS, the
 *            index staying enabled
 *
 * Each round opens a two-WQ vdev, attaches its PASID to an IOAS with a
 * page for completion records, brings it up as the guest's idxd does
 * (bus master, RESET_DEVICE, MSI-X, vector 0, ENABLE_DEVICE, the WQs),
 * gives WQ 0's vector 1 its eventfd the VMM's way and asks for its
 * handle; then, while a thread streams NOOPs with a completion record and
 * a completion interrupt through WQ 0's portal to vector 1 (one in
 * flight: its record waited for, then its interrupt), it adds WQ 1's
 * vector 2 the VMM's way, timing the SET_IRQS calls, and closes the vdev.
 *
 * A completion is a NOOP whose completion record the device wrote with
 * success; one whose record never came (or came with an error) is counted
 * apart and fails the round.  Each completion must bring exactly one
 * interrupt of vector 1: the interrupts its eventfd counted, late ones
 * included, are compared with the completions, and what is missing is
 * lost, what is over is duplicated.  The goal is 0 lost and 0 duplicated
 * with either pattern: each vector keeps its IMS entry for the whole
 * open, the entry holds an interrupt in its pending bit while the index
 * is down, and the frontend delivers it when the vector gets its eventfd
 * back.
 *
 *   vdev_irq_bench [-r ROUNDS]
 *
 * Needs a DSA with IMS entries, as vdev_test; prints a table and, per
 * pattern, whether the goal was met ("goal: 0 lost, 0 duplicated: met" or
 * "NOT met"); exits non-zero if a round failed or the goal was not met.
 * The times are figures, not judged.
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
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include "vfio_util.h"
#include "vdev.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define WQ_SIZE		16
#define FIRE_MS		5000
/* A streamed completion's record, then its interrupt, waited for this long */
#define STREAM_MS	1000
/* Late or duplicated interrupts, waited for after the stream */
#define QUIET_MS	100
#define PAGE		4096
#define COMP_IOVA	0x10000000ull
#define COMP_SUCCESS	0x01

enum pattern { WHOLE, DYNAMIC };

static const char * const pattern_name[] = { "whole", "dynamic" };

struct stream {
	struct vdev *v;
	uint8_t *comp;		/* the completion record, at COMP_IOVA */
	uint16_t handle;
	int stop;		/* read with __atomic_load_n() */
	unsigned long submitted;
	unsigned long completed;	/* records written with success */
	unsigned long failed;	/* records with an error, or none */
	unsigned long received;	/* interrupts of vector 1 */
};

struct result {
	double *add_us;
	unsigned int rounds;
	unsigned long submitted;
	unsigned long completed;
	unsigned long failed;
	unsigned long received;
	unsigned long lost;
	unsigned long duplicated;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A NOOP with a completion record at COMP_IOVA and an interrupt */
static void submit_noop_rec(struct stream *s)
{
	uint64_t comp = COMP_IOVA;
	uint32_t desc[16];

	memset(desc, 0, sizeof(desc));
	desc[1] = (OP_NOOP << 24) | DESC_CRAV | DESC_RCR | DESC_RCI;
	memcpy(&desc[2], &comp, 8);	/* completion_addr at byte 8 */
	desc[9] = s->handle;		/* int_handle at byte 36 */
	vdev_submit_desc(s->v, 0, desc);
}

/* The record's status, 0 if the device wrote none within STREAM_MS */
static uint8_t record_wait(struct stream *s)
{
	double end = now_us() + STREAM_MS * 1000.0;
	uint8_t status;

	do {
		/* The device writes the record behind the compiler's back */
		status = __atomic_load_n(&s->comp[0], __ATOMIC_ACQUIRE);
		if (status)
			return status;
		usleep(20);
	} while (now_us() < end);
	return 0;
}

static void *stream_fn(void *arg)
{
	struct stream *s = arg;
	uint8_t status;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		memset(s->comp, 0, 32);
		__sync_synchronize();
		submit_noop_rec(s);
		s->submitted++;
		status = record_wait(s);
		if (status != COMP_SUCCESS) {
			/* The WQ may hold it yet: nothing more goes in */
			fprintf(stderr, "NOOP %lu: completion record status %#x\n",
				s->submitted, status);
			s->failed++;
			break;
		}
		s->completed++;
		s->received += efd_wait(s->v->efd[1], 1, STREAM_MS);
	}
	/* Whatever is still on its way, then what comes over */
	while (s->received < s->completed) {
		uint64_t n = efd_wait(s->v->efd[1], 1, STREAM_MS);

		if (!n)
			break;
		s->received += n;
	}
	s->received += efd_wait(s->v->efd[1], ~0ull, QUIET_MS);
	return NULL;
}

/* Vector @n gets its eventfd the way @p's VMM gives it */
static int vector_use(struct vdev *v, enum pattern p, unsigned int n)
{
	if (p == WHOLE)
		return vdev_vector_use(v, n);
	return vdev_set_eventfd(v, MSIX, n, v->efd[n]);
}

static int bring_up(struct vdev *v, enum pattern p, uint16_t *h1)
{
	uint16_t command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	int32_t none = -1;
	uint32_t sts;

	if (cfg_write(v, PCI_COMMAND, &command, 2) ||
	    vdev_cmd(v, CMD_RESET_DEVICE, 0, 0))
		return -EIO;
	if (p == WHOLE) {
		if (vdev_msix_enable(v))
			return -EIO;
	} else if (vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
					VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, 0, 1,
					&none, sizeof(none))) {
		return -errno;
	}
	if (vector_use(v, p, 0) || vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1) ||
	    efd_wait(v->efd[0], 1, FIRE_MS) != 1)
		return -EIO;
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	if (vdev_cmd(v, CMD_ENABLE_WQ, 0, 0) || vdev_cmd(v, CMD_ENABLE_WQ, 1, 0))
		return -EIO;
	if (vector_use(v, p, 1))
		return -EIO;
	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);
	if (sts & 0xff)
		return -EIO;
	*h1 = sts >> 8;
	return 0;
}

static int round_run(const char *uuid, uint8_t *comp, enum pattern p,
		     struct result *r)
{
	struct stream s = { .comp = comp };
	struct vdev v;
	pthread_t thread;
	double t0, t1;
	uint32_t ioas;
	int rc;

	rc = vdev_open(&v, uuid);
	if (rc)
		return rc;
	rc = vdev_ioas_alloc(v.iommufd, &ioas);
	if (!rc)
		rc = vdev_attach_pt(&v, ioas);
	if (!rc)
		rc = vdev_ioas_map(v.iommufd, ioas, comp, PAGE, COMP_IOVA);
	if (!rc)
		rc = vdev_map_portals(&v);
	if (!rc)
		rc = bring_up(&v, p, &s.handle);
	if (rc)
		goto out;

	s.v = &v;
	rc = -pthread_create(&thread, NULL, stream_fn, &s);
	if (rc)
		goto out;
	/* Let the stream run before the index changes, and after */
	usleep(20000);
	t0 = now_us();
	rc = vector_use(&v, p, 2);
	t1 = now_us();
	usleep(20000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	r->submitted += s.submitted;
	r->completed += s.completed;
	r->failed += s.failed;
	r->received += s.received;
	if (s.received < s.completed)
		r->lost += s.completed - s.received;
	else
		r->duplicated += s.received - s.completed;
	if (!rc && s.failed)
		rc = -EIO;
	if (rc)
		goto out;
	r->add_us[r->rounds++] = t1 - t0;
out:
	vdev_close(&v);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(enum pattern p, struct result *r)
{
	double sum = 0;
	unsigned int i;

	if (!r->rounds) {
		printf("%-8s  (no round completed)  %11lu  %10lu  %5lu  %10lu\n",
		       pattern_name[p], r->completed, r->received, r->lost,
		       r->duplicated);
		return;
	}
	qsort(r->add_us, r->rounds, sizeof(double), cmp_double);
	for (i = 0; i < r->rounds; i++)
		sum += r->add_us[i];
	printf("%-8s  %6u  %10.1f  %10.1f  %10.1f  %11lu  %10lu  %5lu  %10lu\n",
	       pattern_name[p], r->rounds, r->add_us[r->rounds / 2],
	       sum / r->rounds, r->add_us[r->rounds - 1], r->completed,
	       r->received, r->lost, r->duplicated);
}

/* The goal: every completion brought exactly one interrupt */
static int goal_met(enum pattern p, struct result *r, unsigned int rounds)
{
	int met = !r->lost && !r->duplicated && !r->failed &&
		  r->rounds == rounds && r->completed;

	printf("%s: goal: 0 lost, 0 duplicated: %s", pattern_name[p],
	       met ? "met" : "NOT met");
	printf(" (%lu completions of %lu NOOPs, %lu interrupts, %lu lost,",
	       r->completed, r->submitted, r->received, r->lost);
	printf(" %lu duplicated, %lu without a good record, %u of %u rounds)\n",
	       r->duplicated, r->failed, r->rounds, rounds);
	return met;
}

int main(int argc, char **argv)
{
	char dsa[64], bdf[64], uuid[40];
	struct result res[2] = { 0 };
	unsigned int rounds = 50, i;
	int setup = 0, failed = 0, opt, rc;
	enum pattern p;
	uint8_t *comp;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS]\n", argv[0]);
			return 2;
		}
	}
	if (!rounds)
		return 2;
	comp = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (comp == MAP_FAILED)
		return 1;

	rc = vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), 2, WQ_SIZE,
			     &setup);
	if (rc)
		goto out;
	rc = vdev_create(bdf, "idxd-dsa-2dwq-v1", uuid, sizeof(uuid));
	if (rc) {
		fprintf(stderr, "creating a vdev on %s: %s\n", bdf, strerror(-rc));
		goto out;
	}

	printf("vdev_irq_bench: %u rounds per pattern on %s\n", rounds, dsa);
	printf("vector 2 added while WQ 0 streams NOOP completions to vector 1\n");
	for (p = WHOLE; p <= DYNAMIC; p++) {
		res[p].add_us = calloc(rounds, sizeof(double));
		if (!res[p].add_us) {
			rc = -ENOMEM;
			goto remove;
		}
	}
	for (p = WHOLE; p <= DYNAMIC; p++) {
		for (i = 0; i < rounds; i++) {
			rc = round_run(uuid, comp, p, &res[p]);
			if (rc) {
				fprintf(stderr, "%s round %u: %s\n",
					pattern_name[p], i, strerror(-rc));
				failed = 1;
				break;
			}
		}
	}
	printf("%-8s  %6s  %10s  %10s  %10s  %11s  %10s  %5s  %10s\n",
	       "pattern", "rounds", "median us", "mean us", "max us",
	       "completions", "interrupts", "lost", "duplicated");
	for (p = WHOLE; p <= DYNAMIC; p++)
		report(p, &res[p]);
	for (p = WHOLE; p <= DYNAMIC; p++)
		if (!goal_met(p, &res[p], rounds))
			failed = 1;
	rc = failed ? -EIO : 0;
remove:
	for (p = WHOLE; p <= DYNAMIC; p++)
		free(res[p].add_us);
	vdev_remove(uuid);
out:
	if (setup)
		dsa_teardown(dsa, 2);
	return rc ? 1 : 0;
}
