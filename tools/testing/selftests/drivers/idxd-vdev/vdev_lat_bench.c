// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_lat_bench - completion-to-wakeup latency of a DSA interrupt, from
 * the submission that causes it to the return of a thread blocked on the
 * vector's eventfd, measured three ways on one DSA in one run:
 *
 *   (a) vdev vector 1   a vdev's WQ vector, backed by a host IMS entry,
 *                       driven through VFIO as a VMM would: a NOOP with a
 *                       completion interrupt request (RCI) naming the
 *                       handle of REQUEST_INT_HANDLE, MOVDIR64B to WQ 0's
 *                       portal mapped from the vdev's BAR2
 *   (b) vfio-pci MSI-X  the same DSA bound to vfio-pci: the same NOOP to
 *                       WQ 0's portal, its interrupt on MSI-X vector 1
 *   (c) vdev vector 0   the vdev's emulated misc vector: REQUEST_INT_HANDLE
 *                       with int_req (harmless, always succeeds) written
 *                       to the vdev's BAR0 CMD register; the driver
 *                       completes it within the write and signals vector 0
 *
 * Latency is CLOCK_MONOTONIC from just before the MOVDIR64B (the BAR0
 * write for (c)) to the return of poll() in a second thread blocked on
 * the vector's eventfd.  The main thread submits; the reader is a thread
 * of its own because the issue asks for a thread blocked on the eventfd:
 * a submitter that blocked on read() after the MOVDIR64B could find the
 * interrupt already there, and would time the completion, not a wakeup.
 * Before each submission the main thread waits for the reader to say it
 * is about to poll and for /proc to show it asleep (state S).  One
 * descriptor or command is in flight at a time.  Unless -a is given the
 * reader is pinned to CPU 0 and the submitter to the last CPU, so that
 * every path wakes its reader the same way (where the scheduler puts an
 * unpinned reader, on the interrupt's CPU or across an IPI, otherwise
 * differs from path to path and round to round); the placement table
 * says where the host interrupt came.
 *
 * A round runs the vdev parts first (vdev_host_setup(), a one-WQ vdev
 * brought up as the guest's idxd does, (a) then (c)); then the DSA's WQs
 * are torn down, the DSA is unbound from idxd and bound to vfio-pci for
 * (b), and given back to idxd (vfio_pci_close(): unbind from vfio-pci,
 * driver_override cleared, bind to idxd), so the machine ends as it was.
 * The samples are split over -r rounds (default 4) so that a slow phase
 * of the host (a TCG guest shares its CPUs) weighs on each path alike;
 * each round's medians are printed, then the percentiles of all samples.
 *
 *   vdev_lat_bench [-a] [-c] [-n SAMPLES] [-r ROUNDS] [-w WARMUP]
 *
 *   -a  leave the reader and the submitter to the scheduler
 *   -c  split (a) and (b): the NOOP also writes a completion record
 *       (CRAV, RCR; mapped through the vdev's iommufd or vfio-pci's
 *       container) on which the submitter spins, so that "dev" is the
 *       MOVDIR64B to the record's status and "irq" the status to the
 *       reader's wakeup: the device model, then interrupt delivery.
 *       The spinning CPU changes what is measured, and in a TCG guest
 *       on a busy host the spinning vCPU may see the record after the
 *       reader woke (a negative "irq")
 *   -n  samples per path, all rounds together (default 10000)
 *   -r  rounds (default 4)
 *   -w  unrecorded interrupts before each path's samples (default 100)
 *
 * Prints p50, p90, p99 and max per path ("awake": samples whose reader
 * was not seen asleep before the submission, 0 normally), the ratios
 * (a)/(b) of the medians and of the p99s, and where the host interrupt,
 * the reader's wakeup and the submitter ran (/proc/interrupts,
 * sched_getcpu()); exits non-zero if an interrupt did not come (within
 * READ_MS) or a part could not run.  Needs a DSA with IMS, as vdev_test, MOVDIR64B and vfio-pci
 * (loaded with disable_denylist=1).  Figures are not judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "vfio_util.h"
#include "vdev.h"
#include "drivers/dsa/dsa.h"

#define WQ_SIZE		16
#define READ_MS		2000	/* an interrupt not there by then is missing */
#define DONE_MS		(READ_MS + 3000)
#define ASLEEP_TRIES	100000	/* /proc reads before giving up waiting */
#define MAX_CPUS	8	/* CPUs the placement table shows */
#define COMP_IOVA	0x10000000ull	/* -c: the completion record's IOVA */

enum path { VDEV_IMS, VFIO_MSIX, VDEV_EMU, NUM_PATHS };

static const char * const path_name[] = {
	"(a) vdev vector 1 (host IMS)",
	"(b) vfio-pci MSI-X vector 1",
	"(c) vdev vector 0 (emulated)",
};

/* What the main thread does to cause one interrupt */
struct source {
	enum path path;
	const char *irq_name;	/* (a), (b): its /proc/interrupts action */
	void *portal;		/* (a), (b): WQ 0's portal */
	uint32_t *desc;		/* (a), (b): the descriptor, 64-byte aligned */
	uint8_t *comp;		/* -c: its completion record, or NULL */
	struct vdev *v;		/* (c) */
};

struct reader {
	int efd;		/* the vector's eventfd */
	int ready;		/* eventfd: the reader is about to poll */
	int done;		/* eventfd: the reader returned from poll */
	int stat;		/* /proc/self/task/TID/stat, or -1 */
	pid_t tid;
	int stop;		/* __atomic */
	uint64_t t1;		/* ns, when poll() returned */
	uint64_t count;		/* what read() consumed, 0: timeout */
	int cpu;		/* where poll() returned */
	int pin;		/* the CPU to run on, or -1 */
};

struct result {
	double *us;
	double *dev_us;		/* -c: MOVDIR64B to the completion record */
	double *irq_us;		/* -c: the completion record to the wakeup */
	unsigned int n;
	unsigned int missing;
	unsigned int extra;	/* samples whose eventfd counted more than 1 */
	unsigned int awake;	/* samples the reader was not seen asleep */
	int ran;
	/* Placement: where the host interrupt, the wakeup, the submitter ran */
	unsigned long irq_cpu[MAX_CPUS];
	unsigned long wake_cpu[MAX_CPUS];
	unsigned long fire_cpu[MAX_CPUS];
	unsigned long same_cpu;	/* the reader woke where the main thread was */
	char irq_line[256];	/* its /proc/interrupts line, CPU columns cut */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void movdir64b(void *dst, const void *src)
{
	/* movdir64b (%rdx), %rax */
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

static void post(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		perror("eventfd write");
}

/* Wait for @efd up to @ms; 1 if it was signalled (and is consumed) */
static int take(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t val;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	return read(efd, &val, sizeof(val)) == sizeof(val);
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	struct pollfd pfd = { .fd = r->efd, .events = POLLIN };
	uint64_t val, t1;
	int rc;

	r->tid = syscall(SYS_gettid);
	if (r->pin >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->pin, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("pinning the reader");
	}
	for (;;) {
		post(r->ready);
		rc = poll(&pfd, 1, READ_MS);
		t1 = now_ns();
		r->cpu = sched_getcpu();
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
		val = 0;
		if (rc == 1 && read(r->efd, &val, sizeof(val)) != sizeof(val))
			val = 0;
		r->t1 = t1;
		r->count = val;
		post(r->done);
	}
	return NULL;
}

/*
 * The per-CPU counts of the first /proc/interrupts line whose action
 * contains @name, added to @cpus with @sign, and the rest of the line
 * (chip, flow, action) in @desc; 0 or -ENOENT.
 */
static int irq_count(const char *name, unsigned long *cpus, int sign,
		     char *desc, size_t len)
{
	char line[2048], *p, *end;
	int rc = -ENOENT, i;
	FILE *f;

	if (!name)
		return rc;
	f = fopen("/proc/interrupts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, name))
			continue;
		p = strchr(line, ':');
		for (i = 0; p; i++) {
			unsigned long c = strtoul(p + 1, &end, 10);

			if (end == p + 1)
				break;
			if (i < MAX_CPUS)
				cpus[i] += sign * c;
			p = end;
		}
		if (p) {
			p += strspn(p, " ");
			p[strcspn(p, "\n")] = '\0';
			snprintf(desc, len, "%s", p);
		}
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* Whether the reader thread sleeps (in its poll(), the only place it can) */
static int reader_asleep(struct reader *r)
{
	char buf[512], *p;
	ssize_t len;

	if (r->stat < 0)
		return 0;
	len = pread(r->stat, buf, sizeof(buf) - 1, 0);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static void wait_asleep(struct reader *r, struct result *res)
{
	unsigned int i;

	if (r->stat < 0) {
		usleep(1000);
		return;
	}
	for (i = 0; i < ASLEEP_TRIES; i++) {
		if (reader_asleep(r))
			return;
		sched_yield();
	}
	res->awake++;
}

static void fire(struct source *s)
{
	if (s->path == VDEV_EMU)
		vdev_cmd(s->v, CMD_REQUEST_INT_HANDLE, 1, 1);
	else
		movdir64b(s->portal, s->desc);
}

/* After the interrupt: what the guest's handler would do */
static void ack(struct source *s)
{
	if (s->path == VDEV_EMU)
		reg_write32(s->v, REG_INTCAUSE, INTC_CMD);
}

static int reader_cpu = -1;	/* where the reader runs, -1: anywhere */
static int split;		/* -c: time the completion record too */

/* -c: when @s's completion record gets its status; 0 if it never does */
static uint64_t comp_wait(struct source *s)
{
	uint64_t t, end = now_ns() + READ_MS * 1000000ull;

	do {
		t = now_ns();
		if (__atomic_load_n(s->comp, __ATOMIC_ACQUIRE))
			return t;
	} while (t < end);
	return 0;
}

/*
 * @warmup unrecorded then @n recorded interrupts of @s, each waited for
 * by the reader thread blocked on @efd, added to @res->us (which has room
 * for them).  With -c the main thread spins on the completion record
 * meanwhile.  Stops at the first missing one.  Returns 0 or a negative
 * errno.
 */
static int measure(struct source *s, int efd, unsigned int n,
		   unsigned int warmup, struct result *res)
{
	struct reader r = { .efd = efd, .stat = -1, .pin = reader_cpu };
	char path[64];
	pthread_t thread;
	unsigned int i;
	uint64_t t0, tc = 0;
	int rc = 0;

	res->ran = 1;
	r.ready = eventfd(0, EFD_CLOEXEC);
	r.done = eventfd(0, EFD_CLOEXEC);
	if (r.ready < 0 || r.done < 0) {
		rc = -errno;
		goto out;
	}
	while (take(efd, 0))
		;	/* whatever an earlier step left */
	rc = -pthread_create(&thread, NULL, reader_fn, &r);
	if (rc)
		goto out;

	for (i = 0; i < warmup + n; i++) {
		int cpu;

		if (i == warmup)
			irq_count(s->irq_name, res->irq_cpu, -1,
				  res->irq_line, sizeof(res->irq_line));
		if (!take(r.ready, DONE_MS)) {
			rc = -ETIMEDOUT;
			break;
		}
		if (r.stat < 0) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/stat",
				 __atomic_load_n(&r.tid, __ATOMIC_ACQUIRE));
			r.stat = open(path, O_RDONLY | O_CLOEXEC);
		}
		wait_asleep(&r, res);
		cpu = sched_getcpu();
		if (s->comp)
			__atomic_store_n(s->comp, 0, __ATOMIC_RELEASE);
		t0 = now_ns();
		fire(s);
		if (s->comp)
			tc = comp_wait(s);
		if (!take(r.done, DONE_MS)) {
			rc = -ETIMEDOUT;
			break;
		}
		if (!r.count) {
			fprintf(stderr, "%s: interrupt %u missing after %d ms\n",
				path_name[s->path], i, READ_MS);
			res->missing++;
			rc = -ETIMEDOUT;
			break;
		}
		if (r.count > 1)
			res->extra++;
		ack(s);
		if (i < warmup)
			continue;
		if (s->comp && res->dev_us) {
			res->dev_us[res->n] = tc ? (tc - t0) / 1e3 : -1;
			res->irq_us[res->n] = tc ? ((double)r.t1 - tc) / 1e3 : -1;
		}
		res->us[res->n++] = (r.t1 - t0) / 1e3;
		if (cpu >= 0 && cpu < MAX_CPUS)
			res->fire_cpu[cpu]++;
		if (r.cpu >= 0 && r.cpu < MAX_CPUS)
			res->wake_cpu[r.cpu]++;
		res->same_cpu += cpu == r.cpu;
	}
	if (i > warmup && irq_count(s->irq_name, res->irq_cpu, 1,
				    res->irq_line, sizeof(res->irq_line)))
		memset(res->irq_cpu, 0, sizeof(res->irq_cpu));

	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	post(efd);
	pthread_join(thread, NULL);
	while (take(efd, 0))
		;
out:
	if (r.stat >= 0)
		close(r.stat);
	if (r.ready >= 0)
		close(r.ready);
	if (r.done >= 0)
		close(r.done);
	return rc;
}

/* A NOOP with RCI naming @handle, no completion record */
static uint32_t *noop_desc(uint16_t handle, uint64_t comp)
{
	uint32_t *desc = aligned_alloc(64, 64);

	if (!desc)
		return NULL;
	memset(desc, 0, 64);
	desc[1] = (uint32_t)OP_NOOP << 24 | DESC_RCI;
	if (comp) {
		desc[1] |= DESC_CRAV | DESC_RCR;
		memcpy(&desc[2], &comp, 8);	/* completion_addr at byte 8 */
	}
	desc[9] = handle;		/* int_handle at byte 36 */
	return desc;
}

/* A page for the completion record, or NULL */
static void *comp_page(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* -c: @page at COMP_IOVA in a new IOAS of the vdev's iommufd, attached */
static int vdev_dma_setup(struct vdev *v, void *page)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)page,
		.length = getpagesize(),
		.iova = COMP_IOVA,
	};
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	if (ioctl(v->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	map.ioas_id = alloc.out_ioas_id;
	at.pt_id = alloc.out_ioas_id;
	if (ioctl(v->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ||
	    ioctl(v->iommufd, IOMMU_IOAS_MAP, &map))
		return -errno;
	return 0;
}

/* Parts (a) and (c) */
static int run_vdev(const char *bdf, unsigned int n, unsigned int warmup,
		    struct result *res)
{
	struct source s = { 0 };
	void *page = NULL;
	char uuid[40];
	struct vdev v;
	uint16_t handle;
	int rc;

	rc = vdev_create(bdf, "idxd-dsa-1dwq-v1", uuid, sizeof(uuid));
	if (rc) {
		fprintf(stderr, "creating a vdev on %s: %s\n", bdf,
			strerror(-rc));
		return rc;
	}
	rc = vdev_open(&v, uuid);
	if (rc) {
		fprintf(stderr, "opening vdev %s: %s\n", uuid, strerror(-rc));
		goto remove;
	}
	rc = vdev_map_portals(&v);
	if (rc) {
		fprintf(stderr, "mapping the portals: %s\n", strerror(-rc));
		goto close;
	}
	rc = vdev_bring_up(&v, 1);
	if (rc) {
		fprintf(stderr, "bringing the vdev up: step %d\n", -rc);
		rc = -EIO;
		goto close;
	}
	rc = vdev_vector_up(&v, 1, &handle);
	if (rc) {
		fprintf(stderr, "vector 1: %d\n", rc);
		rc = -EIO;
		goto close;
	}

	if (split) {
		page = comp_page();
		rc = page ? vdev_dma_setup(&v, page) : -ENOMEM;
		if (rc) {
			fprintf(stderr, "the completion record's IOAS: %s\n",
				strerror(-rc));
			goto close;
		}
		s.comp = page;
	}

	s.path = VDEV_IMS;
	s.irq_name = "idxd-vdev-";	/* its only host interrupt */
	s.portal = v.portals;
	s.desc = noop_desc(handle, page ? COMP_IOVA : 0);
	if (!s.desc) {
		rc = -ENOMEM;
		goto close;
	}
	rc = measure(&s, v.efd[1], n, warmup, &res[VDEV_IMS]);
	free(s.desc);
	if (rc) {
		fprintf(stderr, "%s: %s\n", path_name[VDEV_IMS], strerror(-rc));
		goto close;
	}

	s.path = VDEV_EMU;
	s.irq_name = NULL;
	s.comp = NULL;
	s.v = &v;
	rc = measure(&s, v.efd[0], n, warmup, &res[VDEV_EMU]);
	if (rc)
		fprintf(stderr, "%s: %s\n", path_name[VDEV_EMU], strerror(-rc));
close:
	vdev_close(&v);
	if (page)
		munmap(page, getpagesize());
remove:
	vdev_remove(uuid);
	return rc;
}

/* Part (b): @bdf, without a driver, through vfio-pci and back to idxd */
static int run_vfio(const char *bdf, unsigned int n, unsigned int warmup,
		    struct result *res)
{
	struct vfio_pci_dev dev;
	struct source s = { .path = VFIO_MSIX };
	struct dsa d = { 0 };
	int efd[2] = { -1, -1 };
	char irq_name[96];
	void *page = NULL;
	uint16_t handle;
	int rc, i;

	rc = vfio_pci_open(&dev, bdf, true);
	if (rc) {
		fprintf(stderr, "%s through vfio-pci: %s\n", bdf, strerror(-rc));
		return rc;
	}
	for (i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd[i] < 0) {
			rc = -errno;
			goto out;
		}
	}
	rc = dsa_init(&d, &dev, WQ_SIZE);
	if (rc)
		goto out;
	rc = dsa_int_handle(&d, 1, &handle);
	if (rc)
		goto out;
	rc = vfio_set_eventfds(&dev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, efd);
	if (rc) {
		fprintf(stderr, "MSI-X vectors 0-1: %s\n", strerror(-rc));
		goto out;
	}
	snprintf(irq_name, sizeof(irq_name), "vfio-msix[1](%s)", bdf);
	s.irq_name = irq_name;
	if (split) {
		page = comp_page();
		rc = page ? vfio_dma_map(&dev, page, COMP_IOVA, getpagesize()) :
			    -ENOMEM;
		if (rc) {
			fprintf(stderr, "mapping the completion record: %s\n",
				strerror(-rc));
			goto disable;
		}
		s.comp = page;
	}
	s.portal = d.portal;
	s.desc = noop_desc(handle, page ? COMP_IOVA : 0);
	if (!s.desc) {
		rc = -ENOMEM;
		goto disable;
	}
	rc = measure(&s, efd[1], n, warmup, &res[VFIO_MSIX]);
	free(s.desc);
	if (rc)
		fprintf(stderr, "%s: %s\n", path_name[VFIO_MSIX], strerror(-rc));
disable:
	vfio_disable_index(&dev, VFIO_PCI_MSIX_IRQ_INDEX);
out:
	vfio_pci_close(&dev);
	if (page)
		munmap(page, getpagesize());
	for (i = 0; i < 2; i++)
		if (efd[i] >= 0)
			close(efd[i]);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of samples @from.. of @r, which stay in their order */
static double median_from(struct result *r, unsigned int from)
{
	unsigned int n = r->n - from;
	double *tmp, m;

	if (!n || from > r->n)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return 0;
	memcpy(tmp, r->us + from, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	m = tmp[(n + 1) / 2 - 1];
	free(tmp);
	return m;
}

/* Nearest rank: the smallest sample at least @pct % of them are below */
static double pctl(struct result *r, unsigned int pct)
{
	unsigned int rank = (r->n * pct + 99) / 100;

	return r->us[rank ? rank - 1 : 0];
}

static void report(enum path p, struct result *r)
{
	if (!r->n) {
		printf("%-30s  %s\n", path_name[p],
		       r->ran ? "(no sample)" : "(not run)");
		return;
	}
	qsort(r->us, r->n, sizeof(double), cmp_double);
	printf("%-30s  %7u  %8.1f  %8.1f  %8.1f  %9.1f  %7u  %5u\n",
	       path_name[p], r->n, pctl(r, 50), pctl(r, 90), pctl(r, 99),
	       r->us[r->n - 1], r->missing, r->awake);
}

/* -c: the two halves, submission to completion record to wakeup */
static void report_split(enum path p, struct result *r)
{
	struct result d = { .us = r->dev_us, .n = r->n };
	struct result w = { .us = r->irq_us, .n = r->n };

	if (!r->n || !r->dev_us || p == VDEV_EMU)
		return;
	qsort(d.us, d.n, sizeof(double), cmp_double);
	qsort(w.us, w.n, sizeof(double), cmp_double);
	printf("%-30s  %8.1f  %8.1f  %8.1f  %8.1f  %8.1f  %8.1f\n",
	       path_name[p], pctl(&d, 50), pctl(&d, 90), pctl(&d, 99),
	       pctl(&w, 50), pctl(&w, 90), pctl(&w, 99));
}

static void cpus(const char *what, const unsigned long *c, int ncpus)
{
	int i;

	printf("  %-14s", what);
	for (i = 0; i < ncpus; i++)
		printf(" %7lu", c[i]);
	printf("\n");
}

static void placement(enum path p, struct result *r, int ncpus)
{
	if (!r->n)
		return;
	printf("%s: the reader woke on the submitter's CPU %lu times of %u\n",
	       path_name[p], r->same_cpu, r->n);
	if (p != VDEV_EMU) {
		printf("  host irq: %s\n", r->irq_line);
		cpus("host irq on", r->irq_cpu, ncpus);
	}
	cpus("reader woke on", r->wake_cpu, ncpus);
	cpus("submitter on", r->fire_cpu, ncpus);
}

int main(int argc, char **argv)
{
	struct result res[NUM_PATHS] = { 0 };
	unsigned int n = 10000, warmup = 100, rounds = 4, r, cnt;
	unsigned int from[NUM_PATHS];
	double ma, mb;
	char dsa[64], bdf[64];
	int setup = 0, failed = 0, pin = 1, ncpus, opt, rc;
	struct utsname u;
	enum path p;

	while ((opt = getopt(argc, argv, "acn:r:w:")) != -1) {
		switch (opt) {
		case 'a':
			pin = 0;
			break;
		case 'c':
			split = 1;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-a] [-c] [-n SAMPLES] [-r ROUNDS] [-w WARMUP]\n",
				argv[0]);
			return 2;
		}
	}
	if (!n || !rounds || rounds > n)
		return 2;
	for (p = 0; p < NUM_PATHS; p++) {
		res[p].us = calloc(n, sizeof(*res[p].us));
		if (!res[p].us)
			return 1;
		if (!split)
			continue;
		res[p].dev_us = calloc(n, sizeof(*res[p].dev_us));
		res[p].irq_us = calloc(n, sizeof(*res[p].irq_us));
		if (!res[p].dev_us || !res[p].irq_us)
			return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (pin && ncpus >= 2) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(ncpus - 1, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			reader_cpu = 0;
	}
	if (!cpu_has_movdir64b()) {
		printf("vdev_lat_bench: the CPU has no MOVDIR64B\n");
		return KSFT_SKIP;
	}

	rc = vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), 1, WQ_SIZE,
			     &setup);
	if (rc)
		goto out;
	uname(&u);
	printf("vdev_lat_bench: %s, %s (%s), %d CPUs\n", u.release, dsa, bdf,
	       ncpus);
	if (reader_cpu >= 0)
		printf("reader pinned to CPU %d, submitter to CPU %d\n",
		       reader_cpu, ncpus - 1);
	else
		printf("reader and submitter not pinned\n");
	printf("%u samples per path in %u rounds, each after %u unrecorded\n",
	       n, rounds, warmup);
	printf("latency: MOVDIR64B (BAR0 write for (c)) to the return of poll()\n"
	       "in a second thread blocked on the vector's eventfd\n");

	for (r = 0; r < rounds && !failed; r++) {
		cnt = n / rounds + (r < n % rounds);
		for (p = 0; p < NUM_PATHS; p++)
			from[p] = res[p].n;
		if (r && vdev_host_setup(dsa, sizeof(dsa), bdf, sizeof(bdf), 1,
					 WQ_SIZE, &setup)) {
			failed = 1;
			break;
		}
		if (run_vdev(bdf, cnt, warmup, res))
			failed = 1;
		/* The DSA leaves idxd: its WQs first, then the PCI driver */
		rc = dsa_teardown(dsa, 1);
		setup = 0;
		if (rc) {
			fprintf(stderr, "tearing %s down: %s\n", dsa,
				strerror(-rc));
			failed = 1;
		} else if (!failed && run_vfio(bdf, cnt, warmup, res)) {
			failed = 1;
		}
		ma = median_from(&res[VDEV_IMS], from[VDEV_IMS]);
		mb = median_from(&res[VFIO_MSIX], from[VFIO_MSIX]);
		printf("round %u: medians (a) %.1f us, (b) %.1f us, (c) %.1f us; (a)/(b) %.2f\n",
		       r + 1, ma, mb,
		       median_from(&res[VDEV_EMU], from[VDEV_EMU]),
		       mb ? ma / mb : 0);
	}

	printf("%-30s  %7s  %8s  %8s  %8s  %9s  %7s  %5s\n", "path", "samples",
	       "p50 us", "p90 us", "p99 us", "max us", "missing", "awake");
	for (p = 0; p < NUM_PATHS; p++)
		report(p, &res[p]);
	if (res[VDEV_IMS].n && res[VFIO_MSIX].n)
		printf("(a)/(b): median %.2f, p99 %.2f\n",
		       pctl(&res[VDEV_IMS], 50) / pctl(&res[VFIO_MSIX], 50),
		       pctl(&res[VDEV_IMS], 99) / pctl(&res[VFIO_MSIX], 99));
	if (split) {
		printf("with -c, the submitter spins on a completion record meanwhile:\n");
		printf("%-30s  %8s  %8s  %8s  %8s  %8s  %8s\n", "(us)",
		       "dev p50", "dev p90", "dev p99", "irq p50", "irq p90",
		       "irq p99");
		for (p = 0; p < NUM_PATHS; p++)
			report_split(p, &res[p]);
	}
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	printf("placement, samples per CPU (%d CPUs):\n", ncpus);
	for (p = 0; p < NUM_PATHS; p++)
		placement(p, &res[p], ncpus);
	for (p = 0; p < NUM_PATHS; p++)
		if (res[p].missing || !res[p].n)
			failed = 1;
	rc = failed ? -EIO : 0;
out:
	if (setup)
		dsa_teardown(dsa, 1);
	for (p = 0; p < NUM_PATHS; p++) {
		free(res[p].us);
		free(res[p].dev_us);
		free(res[p].irq_us);
	}
	return rc ? 1 : 0;
}
