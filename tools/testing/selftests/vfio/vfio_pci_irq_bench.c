// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pci_irq_bench - what it costs, and what it loses, to grow an MSI-X
 * index one vector at a time, as QEMU does for a guest that unmasks its
 * vectors one by one:
 *
 *  dynamic   the index is enabled with one vector, then each vector added
 *            takes one VFIO_DEVICE_SET_IRQS (start = v, count = 1); what
 *            QEMU does when MSI-X has no VFIO_IRQ_INFO_NORESIZE;
 *  noresize  each vector added disables the whole index (count 0) and
 *            enables vectors 0..v again in one VFIO_DEVICE_SET_IRQS; what
 *            QEMU does when NORESIZE is set.
 *
 * Part 1, growth: for N = 16, 32, ... 1024, the index grows from 1 to N
 * vectors by each path; printed per N: the wall time (CLOCK_MONOTONIC)
 * of the N - 1 additions, the cost per added vector, and the ratio.
 *
 * Part 2, loss: a thread streams real device interrupts to vector 1
 * while the main thread adds vectors 2..N by each path.  The device is an
 * Intel DSA (8086:0b25, e.g. QEMU's "-device intel-dsa,msix-vectors=1025")
 * opened through vfio-pci: NOOP descriptors with a completion interrupt
 * request (RCI) and a completion record (in memory mapped with
 * VFIO_IOMMU_MAP_DMA) go through WQ 0's portal with MOVDIR64B.  "sent"
 * counts the descriptors the device completed successfully, each of which
 * raised one MSI-X message for vector 1; "received" is the total of
 * vector 1's eventfd counter.
 *
 * The stream keeps one descriptor in flight: the next is submitted once
 * the interrupt of the previous one has arrived, or once it has been late
 * for -w milliseconds after the device completed the descriptor.  So the
 * WQ never overflows (a MOVDIR64B to a full dedicated WQ is dropped), and
 * two MSIs to the same vector are never in flight together (the local
 * APIC would merge them: one interrupt for two).  What the noresize path
 * loses is what the device sends to vector 1 while the index is torn down
 * and set up again.  A lost interrupt holds the stream back for -w ms,
 * so the losses counted are a lower bound, which a smaller -w raises.
 *
 * The figures are printed, not judged; but the dynamic path must lose no
 * interrupt: the exit status is 1 if it lost any (or the device did not
 * complete descriptors), 0 otherwise, 4 (KSFT_SKIP) without the device.
 *
 * It needs root, a DSA without a driver (or with one it can be unbound
 * from) and vfio-pci; it loads vfio-pci with disable_denylist=1.  The x86
 * vector space is about 200 vectors per CPU: N = 1024 needs 6 CPUs or
 * more; sizes the host cannot allocate are cut, and the reason printed.
 *
 *   vfio_pci_irq_bench [-g N,N,...] [-l N] [-w MS] [-d BDF]
 *
 *   -g  growth sizes (default 16,32,64,128,256,512,1024, limited to the
 *       device's MSI-X vectors)
 *   -l  the loss test adds vectors 2..N (default: the largest N, limited
 *       to the device's MSI-X vectors - 1); 0 skips it
 *   -w  how long an interrupt may be late before the stream goes on
 *       (default 50 ms)
 *   -d  the DSA's PCI address (default: the first 8086:0b25)
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "drivers/dsa/dsa.h"
#include "vfio_util.h"

#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define MAX_SIZES	16
#define COMPL_IOVA	0x10000000ULL	/* any IOVA outside the MSI window */
#define COMPL_TIMEOUT_MS 5000		/* the device completes a NOOP */
#define SETTLE_MS	500		/* for interrupts still on their way */
#define STREAM_WARMUP	5		/* interrupts received before growing */
#define GROW_RUNS	5
#define GROW_BUDGET_US	3e6

enum grow_path { DYNAMIC, NORESIZE, NUM_PATHS };

static const char * const path_name[NUM_PATHS] = { "dynamic", "noresize" };

struct bench {
	struct vfio_pci_dev dev;
	struct dsa dsa;
	unsigned int nvec;	/* MSI-X vectors of the device */
	unsigned int limit;	/* vectors the host allocated at most, 0: no limit seen */
	int *efd;		/* one eventfd per vector, as QEMU has */
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Enable the index with vectors 0..n-1 in one SET_IRQS. */
static int enable_block(struct bench *b, unsigned int n)
{
	return vfio_set_eventfds(&b->dev, MSIX, 0, n, b->efd);
}

/*
 * Add vector @v (0..v-1 are enabled) by @path.  Returns 0 or -errno.
 */
static int add_vector(struct bench *b, enum grow_path path, unsigned int v)
{
	int err;

	if (path == DYNAMIC)
		return vfio_set_eventfd(&b->dev, MSIX, v, b->efd[v]);
	err = vfio_disable_index(&b->dev, MSIX);
	return err ? err : enable_block(b, v + 1);
}

/*
 * Grow the index from vector @from + 1 up to @to vectors (indexes from
 * + 1..to - 1 added) by @path.  Returns 0, or -errno with *@failed the
 * vector that could not be added.
 */
static int grow(struct bench *b, enum grow_path path, unsigned int from, unsigned int to,
		unsigned int *failed)
{
	unsigned int v;
	int err;

	for (v = from + 1; v < to; v++) {
		err = add_vector(b, path, v);
		if (err) {
			*failed = v;
			return err;
		}
	}
	return 0;
}

/* ENOSPC, or anything the interrupt core says when it runs out. */
static bool out_of_vectors(int err)
{
	return err == -ENOSPC || err == -ENOMEM || err == -EBUSY;
}

static void report_limit(struct bench *b, enum grow_path path, unsigned int n,
			 unsigned int failed, int err)
{
	printf("# %6u  %s: adding vector %u failed: %s\n", n, path_name[path], failed,
	       strerror(-err));
	if (out_of_vectors(err)) {
		printf("# the host allocated %u MSI-X vectors at most: the x86 vector space is\n"
		       "# about 200 per CPU and this host has %ld; larger sizes are left out\n",
		       failed, sysconf(_SC_NPROCESSORS_ONLN));
		b->limit = failed;
	}
}

/*
 * One growth from 1 to @n vectors by @path, timed in *@us.  Returns 0,
 * or -errno with *@failed the vector that could not be added.
 */
static int grow_once(struct bench *b, enum grow_path path, unsigned int n, double *us,
		     unsigned int *failed)
{
	double t0;
	int err;

	*us = 0;
	err = enable_block(b, 1);
	if (err) {
		printf("# enabling MSI-X with one vector: %s\n", strerror(-err));
		*failed = 0;
		return err;
	}
	t0 = now_us();
	err = grow(b, path, 0, n, failed);
	*us = now_us() - t0;
	vfio_disable_index(&b->dev, MSIX);
	return err;
}

/*
 * Part 1.  Each N is measured up to GROW_RUNS times by each path in turn,
 * fewer when that takes over GROW_BUDGET_US, and the best run is printed:
 * the host is shared and what it does meanwhile only adds time.  Returns
 * 0, or -errno on an error other than running out of vectors.
 */
static int bench_growth(struct bench *b, const unsigned int *sizes, unsigned int nsizes)
{
	double us[NUM_PATHS], t, start;
	unsigned int i, n, run, failed;
	enum grow_path p, bad = DYNAMIC;
	int err = 0;

	printf("\n# Growth: the index goes from 1 to N vectors; \"ms\": the N - 1 additions,\n"
	       "# \"us/vec\": one addition; the best of \"runs\" runs of each path\n");
	printf("# %6s %4s  %12s %9s  %12s %9s  %8s\n", "N", "runs", "dynamic ms", "us/vec",
	       "noresize ms", "us/vec", "ratio");
	for (i = 0; i < nsizes; i++) {
		n = sizes[i];
		if (b->limit && n > b->limit) {
			printf("# %6u  left out: more vectors than the host allocates (%u)\n",
			       n, b->limit);
			continue;
		}
		start = now_us();
		for (run = 0; run < GROW_RUNS && !err; run++) {
			if (run && now_us() - start > GROW_BUDGET_US)
				break;
			for (p = 0; p < NUM_PATHS && !err; p++) {
				err = grow_once(b, p, n, &t, &failed);
				if (err)
					bad = p;
				else if (!run || t < us[p])
					us[p] = t;
			}
		}
		if (err) {
			report_limit(b, bad, n, failed, err);
			if (!out_of_vectors(err))
				return err;
			err = 0;
			continue;
		}
		printf("  %6u %4u  %12.1f %9.1f  %12.1f %9.1f  %8.1f\n", n, run,
		       us[DYNAMIC] / 1e3, us[DYNAMIC] / (n - 1),
		       us[NORESIZE] / 1e3, us[NORESIZE] / (n - 1),
		       us[NORESIZE] / us[DYNAMIC]);
	}
	return 0;
}

/* Part 2: the stream of completion interrupts to vector 1. */
struct stream {
	struct bench *b;
	__u16 handle;			/* vector 1's interrupt handle */
	__u8 *rec;			/* the completion record */
	unsigned int late_ms;
	atomic_bool stop;
	atomic_ulong sent, received;
	unsigned long late;		/* interrupts that took more than late_ms */
	int error;			/* -ETIMEDOUT, or -EIO: status in bad_status */
	__u8 bad_status;
};

/* The completion record's status, written by the device. */
static __u8 rec_status(struct stream *s)
{
	return __atomic_load_n(&s->rec[0], __ATOMIC_ACQUIRE);
}

static void *stream_fn(void *arg)
{
	struct stream *s = arg;
	int efd = s->b->efd[1];
	__u64 got;
	double end;

	while (!atomic_load(&s->stop)) {
		memset(s->rec, 0, DSA_COMPL_SIZE);
		__sync_synchronize();
		dsa_noop(&s->b->dsa, DSA_DESC_FLAG_CRAV | DSA_DESC_FLAG_RCR | DSA_DESC_FLAG_RCI,
			 s->handle, COMPL_IOVA);

		/* The record is written before the interrupt is raised. */
		got = 0;
		end = now_us() + COMPL_TIMEOUT_MS * 1e3;
		while (!rec_status(s) && now_us() < end)
			got += efd_wait(efd, 1, 1);
		if (!rec_status(s)) {
			s->error = -ETIMEDOUT;
			break;
		}
		if (rec_status(s) != DSA_COMP_SUCCESS) {
			s->bad_status = rec_status(s);
			s->error = -EIO;
			break;
		}
		atomic_fetch_add(&s->sent, 1);
		if (!got) {
			got = efd_wait(efd, 1, s->late_ms);
			if (!got)
				s->late++;
		}
		atomic_fetch_add(&s->received, got);
	}
	return NULL;
}

struct loss {
	unsigned long sent, received, late;
	double us;
};

/*
 * Vectors 0 and 1 enabled, vector 1 streaming; vectors 2..@n added by
 * @path.  Returns 0, or -errno when the stream or the index failed.
 */
static int bench_loss_path(struct bench *b, struct stream *s, enum grow_path path, unsigned int n,
			   struct loss *out)
{
	unsigned int failed;
	pthread_t thread;
	double t0;
	int err;

	memset(out, 0, sizeof(*out));
	err = path == DYNAMIC ? enable_block(b, 1) : enable_block(b, 2);
	if (!err && path == DYNAMIC)
		err = add_vector(b, DYNAMIC, 1);
	if (err) {
		printf("# %s: enabling vectors 0 and 1: %s\n", path_name[path], strerror(-err));
		return err;
	}
	efd_take(b->efd[1]);
	atomic_store(&s->stop, false);
	atomic_store(&s->sent, 0);
	atomic_store(&s->received, 0);
	s->late = 0;
	s->error = 0;
	err = pthread_create(&thread, NULL, stream_fn, s);
	if (err) {
		vfio_disable_index(&b->dev, MSIX);
		return -err;
	}

	/* The stream is flowing before the first vector is added. */
	t0 = now_us();
	while (atomic_load(&s->received) < STREAM_WARMUP && now_us() - t0 < COMPL_TIMEOUT_MS * 1e3)
		sleep_ms(1);

	t0 = now_us();
	err = grow(b, path, 1, n + 1, &failed);
	out->us = now_us() - t0;

	atomic_store(&s->stop, true);
	pthread_join(thread, NULL);
	sleep_ms(SETTLE_MS);
	out->sent = atomic_load(&s->sent);
	out->received = atomic_load(&s->received) + efd_take(b->efd[1]);
	out->late = s->late;
	vfio_disable_index(&b->dev, MSIX);

	if (err) {
		printf("# %s: adding vector %u: %s\n", path_name[path], failed, strerror(-err));
		return err;
	}
	if (s->error == -EIO)
		printf("# %s: a NOOP completed with status %#x\n", path_name[path], s->bad_status);
	else if (s->error)
		printf("# %s: the device did not complete a NOOP in %d ms\n", path_name[path],
		       COMPL_TIMEOUT_MS);
	return s->error;
}

/* Part 2.  Returns 0, 1 if the dynamic path lost interrupts, or -errno. */
static int bench_loss(struct bench *b, unsigned int n, unsigned int late_ms)
{
	struct loss res[NUM_PATHS];
	struct stream s = { .b = b, .late_ms = late_ms };
	void *buf;
	enum grow_path p;
	int err, ret = 0;

	err = dsa_int_handle(&b->dsa, 1, &s.handle);
	if (err)
		return err;
	buf = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	err = vfio_dma_map(&b->dev, buf, COMPL_IOVA, getpagesize());
	if (err) {
		printf("# VFIO_IOMMU_MAP_DMA: %s\n", strerror(-err));
		munmap(buf, getpagesize());
		return err;
	}
	s.rec = buf;

	printf("\n# Loss: vector 1 receives a stream of NOOP completion interrupts (one in\n"
	       "# flight) while vectors 2..%u are added; \"late\": interrupts not there %u ms\n"
	       "# after the device completed the NOOP\n", n, late_ms);
	printf("# %-9s %6s %10s %8s %9s %6s %6s\n", "path", "added", "seconds", "sent",
	       "received", "lost", "late");
	for (p = 0; p < NUM_PATHS; p++) {
		err = bench_loss_path(b, &s, p, n, &res[p]);
		if (err)
			break;
		printf("  %-9s %6u %10.2f %8lu %9lu %6ld %6lu\n", path_name[p], n - 1,
		       res[p].us / 1e6, res[p].sent, res[p].received,
		       (long)(res[p].sent - res[p].received), res[p].late);
		fflush(stdout);
	}

	vfio_dma_unmap(&b->dev, COMPL_IOVA, getpagesize());
	munmap(buf, getpagesize());
	if (err)
		return err;

	if (!res[DYNAMIC].sent) {
		printf("# dynamic: the device sent no interrupt: nothing was measured\n");
		ret = 1;
	} else if (res[DYNAMIC].received != res[DYNAMIC].sent) {
		printf("# dynamic: %ld interrupts lost: adding a vector disturbed vector 1\n",
		       (long)(res[DYNAMIC].sent - res[DYNAMIC].received));
		ret = 1;
	} else {
		printf("# dynamic: 0 lost of %lu\n", res[DYNAMIC].sent);
	}
	printf("# noresize: %ld lost of %lu (%.1f%%)\n",
	       (long)(res[NORESIZE].sent - res[NORESIZE].received), res[NORESIZE].sent,
	       res[NORESIZE].sent ?
	       100.0 * ((double)res[NORESIZE].sent - res[NORESIZE].received) /
	       res[NORESIZE].sent : 0.0);
	return ret;
}

static unsigned int parse_sizes(const char *arg, unsigned int *sizes)
{
	unsigned int n = 0;
	char *end;

	while (*arg && n < MAX_SIZES) {
		sizes[n] = strtoul(arg, &end, 0);
		if (end == arg || sizes[n] < 2)
			return 0;
		n++;
		arg = *end == ',' ? end + 1 : end;
	}
	return *arg ? 0 : n;
}

static void help(const char *prog)
{
	fprintf(stderr, "usage: %s [-g N,N,...] [-l N] [-w MS] [-d BDF]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const unsigned int default_sizes[] = { 16, 32, 64, 128, 256, 512, 1024 };
	unsigned int sizes[MAX_SIZES], nsizes = 0, loss_n = ~0U, late_ms = 50, i, n;
	struct rlimit rl = { 8192, 8192 };
	struct vfio_irq_info info;
	struct bench b = { 0 };
	char bdf[32] = "";
	struct utsname u;
	int opt, err, ret;

	while ((opt = getopt(argc, argv, "g:l:w:d:h")) != -1) {
		switch (opt) {
		case 'g':
			nsizes = parse_sizes(optarg, sizes);
			if (!nsizes)
				help(argv[0]);
			break;
		case 'l':
			loss_n = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			late_ms = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			snprintf(bdf, sizeof(bdf), "%s", optarg);
			break;
		default:
			help(argv[0]);
		}
	}
	if (!nsizes) {
		nsizes = ARRAY_SIZE(default_sizes);
		memcpy(sizes, default_sizes, sizeof(default_sizes));
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!bdf[0] && pci_find_device(DSA_VENDOR, DSA_DEVICE, bdf, sizeof(bdf))) {
		printf("# no Intel DSA (%04x:%04x)\n", DSA_VENDOR, DSA_DEVICE);
		return KSFT_SKIP;
	}
	if (!cpu_has_movdir64b()) {
		printf("# the CPU has no MOVDIR64B\n");
		return KSFT_SKIP;
	}
	/* An eventfd per vector: more than the usual 1024 files. */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		printf("# setrlimit(RLIMIT_NOFILE, 8192): %s\n", strerror(errno));

	err = vfio_pci_open(&b.dev, bdf, true);
	if (err) {
		printf("# %s: cannot open through vfio-pci: %s\n", bdf, strerror(-err));
		return 1;
	}
	ret = 1;
	err = vfio_irq_info(&b.dev, MSIX, &info);
	if (err || info.count < 3) {
		printf("# %s: MSI-X: %s, %u vectors\n", bdf, strerror(-err), err ? 0 : info.count);
		goto out;
	}
	b.nvec = info.count;
	uname(&u);
	printf("# vfio-pci MSI-X growth and loss: %s, DSA %s, %u MSI-X vectors, NORESIZE %s\n",
	       u.release, bdf, b.nvec, info.flags & VFIO_IRQ_INFO_NORESIZE ? "set" : "not set");
	printf("# %ld CPUs\n", sysconf(_SC_NPROCESSORS_ONLN));
	if (info.flags & VFIO_IRQ_INFO_NORESIZE) {
		printf("# the dynamic path needs an index without NORESIZE\n");
		goto out;
	}

	b.efd = malloc(b.nvec * sizeof(*b.efd));
	if (!b.efd)
		goto out;
	memset(b.efd, 0xff, b.nvec * sizeof(*b.efd));
	for (i = 0; i < b.nvec; i++) {
		b.efd[i] = efd_new();
		if (b.efd[i] < 0) {
			printf("# eventfd %u: %s\n", i, strerror(errno));
			goto out;
		}
	}
	err = dsa_init(&b.dsa, &b.dev, 32);
	if (err)
		goto out;

	/* Sizes beyond the device are left out, with a word. */
	for (i = n = 0; i < nsizes; i++) {
		if (sizes[i] <= b.nvec)
			sizes[n++] = sizes[i];
		else
			printf("# N = %u left out: the device has %u MSI-X vectors\n", sizes[i],
			       b.nvec);
	}
	nsizes = n;
	if (nsizes) {
		err = bench_growth(&b, sizes, nsizes);
		if (err)
			goto out;
	}

	if (loss_n == ~0U)
		loss_n = nsizes ? sizes[nsizes - 1] : b.nvec - 1;
	if (loss_n > b.nvec - 1)
		loss_n = b.nvec - 1;
	/* Vectors 0..loss_n are enabled at the end. */
	if (b.limit && loss_n + 1 > b.limit) {
		printf("# loss test: vectors 2..%u instead of 2..%u, the most the host allocates\n",
		       b.limit - 1, loss_n);
		loss_n = b.limit - 1;
	}
	ret = 0;
	if (loss_n >= 2)
		ret = bench_loss(&b, loss_n, late_ms);
	if (ret < 0)
		ret = 1;
out:
	vfio_pci_close(&b.dev);
	if (b.efd) {
		for (i = 0; i < b.nvec; i++)
			if (b.efd[i] >= 0)
				close(b.efd[i]);
		free(b.efd);
	}
	return ret;
}
