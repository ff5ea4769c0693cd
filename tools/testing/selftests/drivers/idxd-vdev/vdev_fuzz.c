// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_fuzz - a seeded fuzzer of the idxd vdev driver.
 *
 * Two dedicated WQs of the first DSA with IMS entries are bound to
 * idxd_vdev and a third one is a kernel dmaengine WQ of the host's, in
 * the same group.  Two vdevs are created; each is opened by a process of
 * its own, through the VFIO device cdev and an IOAS of its own:
 *
 * - the victim keeps a known pattern in the memory it mapped for DMA and
 *   counts the interrupts of its vectors, and on each check submits one
 *   NOOP with a completion record and interrupt and expects exactly one
 *   interrupt, none while idle, the pattern intact and no software error;
 * - the attacker does random, weighted operations on its own vdev: config
 *   space and BAR0 accesses (commands included), VFIO_DEVICE_SET_IRQS of
 *   every kind, VFIO_DEVICE_RESET, mmap and munmap of BAR2 pages, random
 *   descriptors through its portals with MOVDIR64B (addresses inside and
 *   outside its mappings, batches), the migration uAPI (random arcs of
 *   VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, reads, writes and
 *   VFIO_MIG_GET_PRECOPY_INFO on its data fds in any state, streams it
 *   saved written back whole, in pieces or mutated, the drain timeout
 *   changed, data fds kept across the vdev's close) and DMA logging
 *   (START, REPORT and STOP with random ranges and page sizes), and
 *   rarely the host unbinding its WQ or removing its vdev while it is
 *   open.
 *
 * After each batch of operations (--batch, 1000) the parent checks the
 * victim, runs dmatest on the host's kernel WQ and reads the kernel log;
 * the first violation ends the run with the seed and the operation.  A
 * kernel log record that matches a pattern of the file $KSFT_SPLAT_FILE
 * names (tools/testing/vm/lib/splat-patterns; without it the run fails)
 * fails the run wherever it comes: during the attacker's batch, the
 * victim's check, dmatest, the processes' exit or the teardown.  Every
 * failure is printed as "FAIL: seed N, op N: why", and a failed run ends
 * with the command line that replays it.  The
 * seed (--seed N, else random) is printed first: the attacker's main
 * thread's operations depend on it alone.  --ops N (default 50000) or
 * --duration SECONDS; --threads N adds N - 1 attacker threads doing the
 * operations that change no mapping at the same time (races the seed does
 * not decide); --mig-ops N caps each thread's migration state and data
 * operations (default 50), whose stops drain what the attacker queued;
 * --rare N, one operation in N is a removal or WQ unbinding;
 * --skip OP,... leaves operations out (none by default); --kmemleak
 * scans for leaks at the end.  --inject-klog victim|dmatest|last|teardown
 * writes the text of $VDEV_FUZZ_INJECT to the kernel log during the
 * victim's checks, the batches' dmatest, the last dmatest or the
 * teardown: vdev_fuzz_klog.sh checks with it that each fails the run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../../kselftest.h"
#include "vdev.h"

#define WQ_SIZE		16
#define KWQ		2		/* the host's kernel WQ */
#define VTYPE		"idxd-dsa-1dwq-v1"
#define PAGE		4096
#define QUIET_MS	100

/* The memory of both processes for DMA: the same IOVAs, other IOASes */
#define MEM_SIZE	(16 * PAGE)
#define MEM_IOVA	0x10000000ull
#define VICTIM_IOVA	0x20000000ull	/* the victim's alone */
#define COMP_IOVA	0x30000000ull	/* the victim's completion records */

#define NMAPS		8
#define NTRACE		16
#define ATK_TIMEOUT_MS	300000
#define VIC_TIMEOUT_MS	60000
#define DMATEST_ITER	10
#define DMATEST_ITER_STR	"10"
#define DMATEST_MS	120000

#define DSA_OP_BATCH	0x01
#define SWERR_VALID	0x1ull

/* The migration stream the attacker saved last, to write back */
#define MIG_BUF		(MIG_MAX_STREAM + 8192)
/* DMA logging's bitmaps go to the end of this, a guard page after it */
#define BITMAP_SIZE	(64 * 1024)

enum {
	FOP_CFG_READ, FOP_CFG_WRITE, FOP_BAR0_READ, FOP_BAR0_WRITE, FOP_CMD,
	FOP_SET_IRQS, FOP_RESET, FOP_MMAP, FOP_MUNMAP, FOP_PORTAL, FOP_BATCH,
	FOP_REMAP, FOP_BRING_UP, FOP_MIG_STATE, FOP_MIG_DATA, FOP_DMA_LOG,
	FOP_WQ_UNBIND, FOP_REMOVE, NR_FOPS,
};

static const char * const fop_name[NR_FOPS] = {
	"cfg_read", "cfg_write", "bar0_read", "bar0_write", "cmd", "set_irqs",
	"reset", "mmap", "munmap", "portal", "batch", "remap", "bring_up",
	"mig_state", "mig_data", "dma_log", "wq_unbind", "remove",
};

/* Weights of the common operations; the last two are rare (--rare) */
static const unsigned int fop_weight[NR_FOPS] = {
	8, 6, 8, 8, 8, 10, 1, 3, 3, 25, 6, 2, 3, 1, 1, 2, 0, 0,
};

/* Between parent and children */
enum { MSG_READY, MSG_RUN, MSG_CHECK, MSG_QUIT };

struct msg {
	int cmd;
	int status;		/* 0, or a check failed: text says which */
	uint64_t arg;		/* ops to run; ops done */
	char text[512];
};

/* What the parent must know even if a child dies */
struct shared {
	char victim_uuid[40];
	char attacker_uuid[40];
	uint64_t op;			/* the attacker's current op */
	char trace[NTRACE][96];		/* its last ops */
};

static struct {
	uint64_t seed;
	uint64_t ops;
	unsigned int duration;
	unsigned int batch;
	unsigned int rare;
	unsigned int dmatest_every;
	int trace;
	int kmemleak;
	int inject;		/* --inject-klog: INJ_* */
	unsigned int threads;
	unsigned int skip;	/* operations not to do, 1 << FOP_* */
	char dsa[32];
	char bdf[32];
	char drain[32];		/* drain_timeout_ms to restore, "" if none */
	unsigned int mig_ops;	/* migration operations per thread, at most */
	struct shared *sh;
} cfg = {
	.ops = 50000, .batch = 1000, .rare = 1000, .dmatest_every = 1,
	.mig_ops = 50,
	.threads = 1,
};

/* xorshift64*, the one source of the choices of each attacker thread */
static __thread uint64_t rng_state;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd32(void)
{
	return rnd64() >> 32;
}

static uint32_t below(uint32_t n)
{
	return n ? rnd32() % n : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int msg_send(int fd, struct msg *m)
{
	return write(fd, m, sizeof(*m)) == sizeof(*m) ? 0 : -1;
}

/* A message, or -1 on EOF, error or after @ms */
static int msg_recv(int fd, struct msg *m, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*m)) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(fd, (char *)m + got, sizeof(*m) - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

struct klog;
static int klog_scan(struct klog *k);

/*
 * msg_recv(), reading the kernel log every second meanwhile: -2 as soon
 * as the kernel reports a problem
 */
static int msg_watch(int fd, struct msg *m, int ms, struct klog *k)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int waited, n;

	for (waited = 0; waited < ms; waited += 1000) {
		n = poll(&pfd, 1, 1000);
		if (n > 0)
			return msg_recv(fd, m, ms);
		if (n < 0 && errno != EINTR)
			return -1;
		if (klog_scan(k))
			return -2;
	}
	return -1;
}

/* Wait up to @ms for @pid to end */
static int reap(pid_t pid, int ms)
{
	int t;

	for (t = 0; t < ms; t += 10) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* IOMMUFD: an IOAS of the vdev's iommufd, attached, with @len at @iova */
static int ioas_new(struct vdev *v, uint32_t *ioas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };

	if (ioctl(v->iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	*ioas = alloc.out_ioas_id;
	at.pt_id = *ioas;
	return ioctl(v->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;
}

static uint64_t region_size(struct vdev *v, unsigned int index)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return 0;
	return info.size;
}

static uint8_t pattern(size_t i, unsigned int salt)
{
	return (uint8_t)(i * 13 + (i >> 9) + salt);
}

/*
 * The kernel log, read from where the fuzzer started.  A record that
 * matches a pattern of $KSFT_SPLAT_FILE is a kernel problem: the first is
 * kept in @problem and every one is counted in @problems, which nothing
 * clears, so that a problem fails the run whichever scan saw it.
 */
struct klog {
	int fd;
	char problem[512];
	unsigned int problems;
	unsigned int dmatest_tests, dmatest_failures;
	int dmatest_seen;
};

/* Read the records since the last call; the number of problems so far */
static int klog_scan(struct klog *k)
{
	char rec[2048], *msg;
	unsigned int t, f;
	ssize_t n;

	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (splat_match(rec)) {
			msg = strchr(rec, ';');
			msg = msg ? msg + 1 : rec;
			msg[strcspn(msg, "\n")] = 0;
			if (!k->problems++)
				snprintf(k->problem, sizeof(k->problem), "%.400s", msg);
			else if (k->problems <= 5)
				ksft_print_msg("kernel: %.400s\n", msg);
			continue;
		}
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		msg = strstr(msg, "dmatest: ") ? strstr(msg, "dmatest: ") : msg;
		if (sscanf(msg, "dmatest: %*s summary %u tests, %u failures",
			   &t, &f) == 2) {
			k->dmatest_tests = t;
			k->dmatest_failures = f;
			k->dmatest_seen = 1;
		}
	}
	return k->problems;
}

/*
 * --inject-klog WHERE (the fuzzer's own test, vdev_fuzz_klog.sh): a
 * record with the text of $VDEV_FUZZ_INJECT written to the kernel log
 * at one place where a problem must not go unseen
 */
enum { INJ_NONE, INJ_VICTIM, INJ_DMATEST, INJ_LAST, INJ_TEARDOWN, NR_INJ };

static const char * const inj_name[NR_INJ] = {
	"none", "victim", "dmatest", "last", "teardown",
};

static void klog_inject(int where)
{
	const char *text = getenv("VDEV_FUZZ_INJECT");
	char buf[256];
	int fd, n;

	if (where != cfg.inject || !text)
		return;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "vdev_fuzz: %s: %s\n", inj_name[where],
		     text);
	if (write(fd, buf, n) != n)
		perror("/dev/kmsg");
	close(fd);
}

/*
 * The attacker.  Everything it does is to its own vdev; its WQ is WQ 1,
 * which it may unbind and bind again from the host's side.
 */
struct atk {
	struct vdev v;
	uint32_t ioas;
	uint8_t *mem;
	uint64_t cfg_size;
	uint64_t bar0_size;
	uint16_t handle;
	int lost;		/* its WQ was unbound; recover after lost_ops */
	unsigned int lost_ops;
	struct {
		void *p;
		size_t len;
	} map[NMAPS];
	uint64_t op;
	uint64_t faults;
	uint64_t sigbus;
	uint64_t irqs;		/* of its own IMS-backed vector 1 */
	uint64_t up_fail;
	uint64_t ups;
	uint64_t failures;	/* vdevs not created or opened */
	uint64_t count[NR_FOPS];
	/* Migration: the data fds (the newest first), what was read of them */
	int mig_fd[2];
	int mig_resuming;	/* mig_fd[0] is a resuming one */
	uint8_t *cap;		/* MIG_BUF: read from the saving fd */
	size_t cap_len;
	uint8_t *saved;		/* MIG_BUF: the last stream read to EOF */
	size_t saved_len;
	uint8_t *bitmap;	/* BITMAP_SIZE, then a PROT_NONE page */
	uint64_t streams;	/* streams saved whole */
	uint64_t applied;	/* RESUMING -> STOP that worked */
	uint64_t arcs;		/* arcs that worked */
};

static __thread sigjmp_buf fault_env;
static __thread sig_atomic_t fault_armed;	/* set around a portal write */

/*
 * With --threads, helper threads do the operations that change no
 * mapping or descriptor (fop_plain()) on the attacker's vdev at the same
 * time, each under the read side; the main thread takes the write side
 * for the others.  Unbinding its WQ needs no lock: the kernel zaps the
 * portals under the helpers' writes.
 */
static pthread_rwlock_t atk_lock;

struct helper {
	struct atk *a;
	pthread_t thread;
	uint64_t seed;
	int stop;
	uint64_t ops;
};

static void fault_handler(int sig)
{
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_env, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void atk_wq_name(char *buf, size_t len)
{
	snprintf(buf, len, "wq%.16s.1", cfg.dsa + 3);
}

static void atk_unmap_all(struct atk *a)
{
	int i;

	for (i = 0; i < NMAPS; i++) {
		if (a->map[i].p)
			munmap(a->map[i].p, a->map[i].len);
		a->map[i].p = NULL;
	}
}

static void mig_fd_close_all(struct atk *a)
{
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = __atomic_exchange_n(&a->mig_fd[i], -1, __ATOMIC_ACQ_REL);
		if (fd >= 0)
			close(fd);
	}
}

static void atk_close(struct atk *a)
{
	uint64_t n;

	if (a->v.efd[1] >= 0 && read(a->v.efd[1], &n, sizeof(n)) == sizeof(n))
		a->irqs += n;
	/* A data fd may outlive its device: kept for the next ops, or not */
	if (below(2))
		mig_fd_close_all(a);
	atk_unmap_all(a);
	if (a->v.device >= 0)
		vdev_close(&a->v);
}

/* Open the attacker's vdev, map its memory and play the guest's probe */
/* A vdev the attacker should have had and did not: counted, told */
static int atk_failed(struct atk *a, const char *what, int rc)
{
	if (a->failures++ < 5)
		ksft_print_msg("attacker: op %llu: %s: %s\n",
			       (unsigned long long)a->op, what, strerror(-rc));
	return rc;
}

static int atk_open(struct atk *a)
{
	int rc;

	rc = vdev_open(&a->v, cfg.sh->attacker_uuid);
	if (rc)
		return rc;
	a->cfg_size = region_size(&a->v, VFIO_PCI_CONFIG_REGION_INDEX);
	a->bar0_size = region_size(&a->v, VFIO_PCI_BAR0_REGION_INDEX);
	rc = ioas_new(&a->v, &a->ioas);
	if (!rc)
		rc = vdev_ioas_map(a->v.iommufd, a->ioas, a->mem, MEM_SIZE, MEM_IOVA);
	if (rc)
		return rc;
	a->ups++;
	if (vdev_bring_up(&a->v, 1) || vdev_vector_up(&a->v, 1, &a->handle) ||
	    vdev_map_portals(&a->v)) {
		a->up_fail++;
		return -EIO;
	}
	return 0;
}

/* A new vdev in place of the old one, which is closed and removed */
static int atk_recreate(struct atk *a)
{
	char *uuid = cfg.sh->attacker_uuid;
	int rc;

	atk_close(a);
	if (uuid[0])
		vdev_remove(uuid);
	uuid[0] = 0;
	rc = vdev_create(cfg.bdf, VTYPE, uuid, sizeof(cfg.sh->attacker_uuid));
	if (rc) {
		uuid[0] = 0;
		return atk_failed(a, "creating a vdev", rc);
	}
	rc = atk_open(a);
	return rc ? atk_failed(a, "opening a new vdev", rc) : 0;
}

static void op_cfg(struct atk *a, int write)
{
	static const unsigned int sizes[] = { 1, 2, 4 };
	unsigned int size = sizes[below(3)];
	uint32_t off, val = rnd32();

	off = below(4) ? below(256) : below(a->cfg_size + 64);
	if (write)
		pwrite(a->v.device, &val, size, a->v.cfg + off);
	else
		pread(a->v.device, &val, size, a->v.cfg + off);
}

static const unsigned int regs[] = {
	REG_GENCAP, REG_WQCAP, REG_TABLE_OFFSET, REG_GENCFG, REG_GENCTRL,
	REG_GENSTS, REG_INTCAUSE, REG_CMD, REG_CMDSTS, REG_CMDCAP, REG_SWERR,
	REG_EVLCFG, REG_EVLSTATUS, REG_WQCFG, REG_MSIX_TABLE, REG_MSIX_PBA,
};

static void op_bar0(struct atk *a, int write)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int size = sizes[below(4)];
	uint64_t off, val = rnd64();

	switch (below(4)) {
	case 0:
	case 1:
		off = regs[below(ARRAY_SIZE(regs))] + below(4) * size;
		break;
	case 2:
		off = below(a->bar0_size);
		break;
	default:
		off = below(a->bar0_size + 256) & ~(uint64_t)(size - 1);
		break;
	}
	if (write)
		pwrite(a->v.device, &val, size, a->v.bar0 + off);
	else
		pread(a->v.device, &val, size, a->v.bar0 + off);
}

static void op_cmd(struct atk *a)
{
	uint32_t operand = below(2) ? below(8) : rnd32() & 0xfffff;
	uint32_t val = (below(32) << 20) | operand;

	if (below(2))
		val |= CMD_INT_REQ;
	reg_write32(&a->v, REG_CMD, val);
	if (below(2))
		reg_read32(&a->v, REG_CMDSTS);
}

/* An eventfd of the vdev's, -1, a closed descriptor or anything */
static int32_t pick_fd(struct atk *a)
{
	int fd;

	switch (below(5)) {
	case 0:
	case 1:
		return a->v.efd[below(a->v.nvec > 0 && a->v.nvec <= VDEV_MAX_VEC ?
				      a->v.nvec : 1)];
	case 2:
		return -1;
	case 3:
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd >= 0)
			close(fd);
		return fd;
	default:
		return below(2) ? (int32_t)rnd32() : 900 + below(64);
	}
}

static void op_set_irqs(struct atk *a)
{
	static const uint32_t data[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD,
	};
	static const uint32_t action[] = {
		VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
		VFIO_IRQ_SET_ACTION_TRIGGER,
	};
	uint32_t flags, index, start, count, i;
	uint8_t buf[64];
	size_t size = 0;
	int32_t fds[16];

	flags = data[below(3)] | action[below(3)];
	if (!below(32))
		flags = rnd32();
	index = below(6);
	start = below(8) ? below(a->v.nvec + 2) : rnd32();
	count = below(5);
	if (!below(32))
		count = rnd32();
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		for (i = 0; i < count && i < sizeof(buf); i++)
			buf[i] = below(3) ? below(2) : rnd32();
		size = count < sizeof(buf) ? count : sizeof(buf);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		for (i = 0; i < count && i < ARRAY_SIZE(fds); i++)
			fds[i] = pick_fd(a);
		size = (count < ARRAY_SIZE(fds) ? count : ARRAY_SIZE(fds)) *
		       sizeof(fds[0]);
		memcpy(buf, fds, size);
	}
	if (!below(16))
		size = below(size + 8);
	if (size > sizeof(buf))
		size = sizeof(buf);
	vfio_device_set_irqs(a->v.device, flags, index, start, count, buf,
			     size);
}

static void op_mmap(struct atk *a)
{
	static const int prots[] = {
		PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
	};
	uint64_t pages = a->v.bar2_size / PAGE, off;
	size_t len = PAGE * (1 + below(2));
	int slot = below(NMAPS);
	void *p;

	switch (below(8)) {
	case 0:
		off = a->v.bar0 + PAGE * below(4);
		break;
	case 1:
		off = a->v.cfg;
		break;
	case 2:
		off = rnd64() & ~(uint64_t)(PAGE - 1);
		break;
	default:
		off = a->v.bar2 + PAGE * below(pages + 3);
		break;
	}
	if (a->map[slot].p)
		munmap(a->map[slot].p, a->map[slot].len);
	a->map[slot].p = NULL;
	p = mmap(NULL, len, prots[below(3)], MAP_SHARED, a->v.device, off);
	if (p == MAP_FAILED)
		return;
	a->map[slot].p = p;
	a->map[slot].len = len;
}

/* Unmap one of the extra maps, or put a hole in the portals' reservation */
static void op_munmap(struct atk *a)
{
	int slot = below(NMAPS);

	if (below(4) || !a->v.portals) {
		if (a->map[slot].p)
			munmap(a->map[slot].p, a->map[slot].len);
		a->map[slot].p = NULL;
		return;
	}
	/* An anonymous page over it: the reservation stays ours */
	mmap((char *)a->v.portals + PAGE * below(a->v.bar2_size / PAGE), PAGE,
	     PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void op_remap(struct atk *a)
{
	if (a->v.portals)
		munmap(a->v.portals, a->v.bar2_size);
	a->v.portals = NULL;
	vdev_map_portals(&a->v);
}

/* An address inside the attacker's mappings, near them, or anywhere */
static uint64_t pick_addr(void)
{
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return MEM_IOVA + (below(MEM_SIZE) & ~(uint32_t)below(64));
	case 4:
		return MEM_IOVA + MEM_SIZE + below(2 * PAGE);
	case 5:
		return MEM_IOVA - 1 - below(2 * PAGE);
	case 6:
		return VICTIM_IOVA + below(MEM_SIZE);	/* the victim's IOVA */
	case 7:
		return COMP_IOVA + below(PAGE);
	case 8:
		return below(1 << 20);
	default:
		return rnd64();
	}
}

static const uint8_t opcodes[] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20,
};

static void gen_desc(struct atk *a, uint32_t *d, int nest)
{
	uint32_t flags, size;
	uint64_t addr;
	uint16_t handle;
	uint8_t op;
	int i;

	for (i = 0; i < 16; i++)
		d[i] = below(4) ? 0 : rnd32();
	op = below(8) ? opcodes[below(ARRAY_SIZE(opcodes))] : rnd32();
	if (op == DSA_OP_BATCH && !nest && below(4))
		op = OP_MEMMOVE;
	flags = below(4) ? below(0x400) : rnd32() & 0xffffff;
	if (below(2))
		flags |= DESC_CRAV | DESC_RCR;
	d[0] = below(8) ? 0 : rnd32();		/* PASID, priv */
	d[1] = ((uint32_t)op << 24) | flags;
	addr = pick_addr();
	memcpy(&d[2], &addr, 8);		/* completion record */
	addr = pick_addr();
	memcpy(&d[4], &addr, 8);		/* src, desc_list */
	addr = pick_addr();
	memcpy(&d[6], &addr, 8);		/* dst */
	switch (below(8)) {
	case 0:
		size = rnd32();
		break;
	case 1:
	case 2:
		size = below(2 * MEM_SIZE);
		break;
	default:
		size = below(PAGE + 1);
		break;
	}
	if (op == DSA_OP_BATCH)
		size = below(8) ? below(33) : rnd32();
	d[8] = size;
	switch (below(4)) {
	case 0:
	case 1:
		handle = a->handle;
		break;
	case 2:
		handle = below(16);
		break;
	default:
		handle = rnd32();
		break;
	}
	d[9] = (d[9] & 0xffff0000) | handle;
}

/* One descriptor through a random page of BAR2, or of an extra map */
static void submit_guarded(struct atk *a, const uint32_t *desc)
{
	/* Only .portals: vdev_submit_desc()'s target */
	static __thread struct vdev scratch;
	int slot = below(NMAPS), sig;
	char *target = NULL;

	if (below(8) && a->v.portals)
		target = (char *)a->v.portals +
			 PAGE * (below(4) ? below(PORTAL_PAGES_PER_WQ) :
				 below(a->v.bar2_size / PAGE));
	else if (a->map[slot].p)
		target = (char *)a->map[slot].p + PAGE * below(a->map[slot].len / PAGE);
	if (!target)
		return;
	scratch.portals = target;
	sig = sigsetjmp(fault_env, 1);
	if (sig) {
		__atomic_add_fetch(&a->faults, 1, __ATOMIC_RELAXED);
		if (sig == SIGBUS)
			__atomic_add_fetch(&a->sigbus, 1, __ATOMIC_RELAXED);
		return;
	}
	fault_armed = 1;
	vdev_submit_desc(&scratch, 0, desc);
	fault_armed = 0;
}

static void op_portal(struct atk *a, int batch)
{
	uint32_t desc[16], *list;
	unsigned int n, i, at;
	uint64_t addr;

	gen_desc(a, desc, 0);
	if (batch) {
		/* An array of descriptors in its memory */
		n = below(33);
		at = below(MEM_SIZE / 64 - n) * 64;
		list = (uint32_t *)(a->mem + at);
		for (i = 0; i < n; i++)
			gen_desc(a, list + 16 * i, 1);
		desc[1] = (DSA_OP_BATCH << 24) | (desc[1] & 0xffffff);
		addr = MEM_IOVA + at;
		if (!below(8))
			addr = pick_addr();
		memcpy(&desc[4], &addr, 8);
		desc[8] = below(8) ? n : rnd32();
	}
	submit_guarded(a, desc);
}

static void op_bring_up(struct atk *a)
{
	uint64_t n;
	int i;

	for (i = 0; i < VDEV_MAX_VEC; i++)
		if (a->v.efd[i] >= 0 && read(a->v.efd[i], &n, sizeof(n)) == sizeof(n) &&
		    i == 1)
			a->irqs += n;
	vdev_bring_up(&a->v, 1);
	vdev_vector_up(&a->v, 1, &a->handle);
	if (!a->v.portals)
		vdev_map_portals(&a->v);
}

/*
 * The migration states, RUNNING most often so that the guest's other ops
 * have a running device; now and then ERROR or no state at all
 */
static uint32_t pick_state(void)
{
	static const uint32_t st[] = {
		VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_RUNNING,
		VFIO_DEVICE_STATE_RUNNING, VFIO_DEVICE_STATE_RUNNING_P2P,
		VFIO_DEVICE_STATE_STOP, VFIO_DEVICE_STATE_STOP,
		VFIO_DEVICE_STATE_STOP_COPY, VFIO_DEVICE_STATE_STOP_COPY,
		VFIO_DEVICE_STATE_RESUMING, VFIO_DEVICE_STATE_RESUMING,
		VFIO_DEVICE_STATE_PRE_COPY, VFIO_DEVICE_STATE_PRE_COPY_P2P,
	};

	switch (below(32)) {
	case 0:
		return VFIO_DEVICE_STATE_ERROR;
	case 1:
		return below(2) ? 8 + below(8) : rnd32();
	default:
		return st[below(ARRAY_SIZE(st))];
	}
}

/* Read what a saving fd has into a->cap; a stream read to EOF is saved */
static void mig_drain_fd(struct atk *a, int fd, size_t chunk)
{
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		if (a->cap_len + chunk > MIG_BUF)
			chunk = MIG_BUF - a->cap_len;
		if (!chunk)
			return;
		n = read(fd, a->cap + a->cap_len, chunk);
		if (n < 0)
			return;
		if (!n) {
			if (a->cap_len > MIG_HDR_LEN &&
			    !memcmp(a->cap, MIG_MAGIC, 8)) {
				memcpy(a->saved, a->cap, a->cap_len);
				a->saved_len = a->cap_len;
				a->streams++;
			}
			return;
		}
		a->cap_len += n;
	}
}

/*
 * An arc of the migration state machine (through the steps the core
 * takes); a new data fd is kept, the oldest one closed.  The drain timeout
 * changed now and then, 0 included.  Helpers do this too.
 */
static void op_mig_state(struct atk *a)
{
	/* A stop waits for the drain up to this: the fuzzer's budget */
	static const char * const drain[] = { "0", "1", "20", "200" };
	uint32_t state = pick_state();
	int fd = -1, old, rc;

	if (!below(48))
		sysfs_write(VDEV_DRAIN_PARAM, drain[below(ARRAY_SIZE(drain))]);
	if (!below(16)) {
		uint32_t st;

		vdev_mig_get_state(&a->v, &st);
		return;
	}
	rc = vdev_mig_set_state(&a->v, state, &fd);
	if (rc || fd < 0)
		return;
	__atomic_add_fetch(&a->arcs, 1, __ATOMIC_RELAXED);
	old = __atomic_exchange_n(&a->mig_fd[1], -1, __ATOMIC_ACQ_REL);
	if (old >= 0)
		close(old);
	old = __atomic_exchange_n(&a->mig_fd[0], fd, __ATOMIC_ACQ_REL);
	if (below(2) && old >= 0) {
		close(old);
	} else if (old >= 0) {
		old = __atomic_exchange_n(&a->mig_fd[1], old, __ATOMIC_ACQ_REL);
		if (old >= 0)
			close(old);
	}
	a->mig_resuming = state == VFIO_DEVICE_STATE_RESUMING;
	if (!a->mig_resuming)
		a->cap_len = 0;
}

/* @a->saved (or what was read of a stream), mutated, into @buf */
static size_t mig_mutate(struct atk *a, uint8_t *buf)
{
	const uint8_t *base = a->saved_len ? a->saved : a->cap;
	size_t len = a->saved_len ? a->saved_len : a->cap_len, n, i, at;

	if (!len) {
		/* Nothing saved yet: a header and garbage */
		memcpy(buf, MIG_MAGIC "\x01\0\0\0\x10\0\0\0", 16);
		len = 16 + below(512);
		for (i = 16; i < len; i++)
			buf[i] = rnd32();
		return len;
	}
	memcpy(buf, base, len);
	switch (below(8)) {
	case 0:
		return len;				/* as saved */
	case 1:
		return below(len + 1);			/* truncated */
	case 2:					/* bytes flipped */
		for (n = 1 + below(8), i = 0; i < n; i++)
			buf[below(len)] ^= 1u << below(8);
		return len;
	case 3:					/* a record header changed */
		at = below(len / 8) * 8;
		for (i = 0; i < 8 && at + i < len; i++)
			if (below(2))
				buf[at + i] = rnd32();
		return len;
	case 4:					/* twice */
		if (2 * len <= MIG_BUF)
			memcpy(buf + len, base, len);
		return 2 * len <= MIG_BUF ? 2 * len : len;
	case 5:					/* garbage appended */
		n = below(MIG_BUF - len + 1);
		for (i = 0; i < n; i++)
			buf[len + i] = rnd32();
		return len + n;
	case 6:					/* a piece repeated */
		at = below(len);
		n = below(len - at + 1);
		if (len + n <= MIG_BUF) {
			memmove(buf + at + n, buf + at, len - at);
			memcpy(buf + at + n, base + at, len - at);
			return len + n;
		}
		return len;
	default:				/* an unknown record inserted */
		at = 16 + below(len > 16 ? (len - 16) / 8 + 1 : 1) * 8;
		if (at > len)
			at = len;
		n = 8 + below(4) * 8;
		if (len + n > MIG_BUF)
			return len;
		memmove(buf + at + n, base + at, len - at);
		buf[at] = rnd32();
		buf[at + 1] = below(2) ? 0 : rnd32();
		buf[at + 2] = below(2) ? 1 : rnd32();
		buf[at + 3] = 0;
		buf[at + 4] = n - 8;
		memset(&buf[at + 5], 0, 3);
		for (i = 8; i < n; i++)
			buf[at + i] = rnd32();
		return len + n;
	}
}

/*
 * The data fds: reads (in any state: what a saving fd gives is kept),
 * writes of streams (saved ones, mutated ones, too much), the precopy
 * ioctl, closes.  Main thread only: it closes fds.
 */
static void op_mig_data(struct atk *a)
{
	static __thread uint8_t *buf;
	struct vfio_precopy_info info;
	size_t len, at, n;
	int fd, which = below(4) ? 0 : 1;
	uint32_t st;

	fd = a->mig_fd[which];
	if (fd < 0) {
		/* No fd: make one, the QEMU way, now and then */
		if (!below(4))
			op_mig_state(a);
		return;
	}
	if (!buf) {
		buf = malloc(MIG_BUF);
		if (!buf)
			return;
	}
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
		n = below(4) ? 1 + below(20000) : below(MIG_BUF + 1);
		if (which == 0 && !a->mig_resuming)
			mig_drain_fd(a, fd, n ? n : 1);
		else
			read(fd, buf, n);
		break;
	case 3:
	case 4:
	case 5:
		/* A stream, in pieces; then, often, RESUMING -> STOP */
		len = mig_mutate(a, buf);
		for (at = 0; at < len; at += n) {
			n = below(4) ? len - at : 1 + below(len - at);
			if (write(fd, buf + at, n) < 0)
				break;
		}
		if (below(3)) {
			if (!vdev_mig_get_state(&a->v, &st) &&
			    st == VFIO_DEVICE_STATE_RESUMING &&
			    !vdev_mig_set_state(&a->v, VFIO_DEVICE_STATE_STOP, NULL))
				a->applied++;
			if (below(2))
				vdev_mig_set_state(&a->v, VFIO_DEVICE_STATE_RUNNING, NULL);
		}
		break;
	case 6:
		/* Too much at once */
		memset(buf, below(2) ? 0 : 0xff, MIG_BUF);
		write(fd, buf, MIG_BUF);
		break;
	case 7:
		memset(&info, 0, sizeof(info));
		info.argsz = below(4) ? sizeof(info) : below(64);
		ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, &info);
		if (!below(8))
			ioctl(fd, rnd32(), &info);
		break;
	case 8:
		lseek(fd, rnd64(), below(3));
		pread(fd, buf, below(4096), rnd64() & 0xffff);
		break;
	default:
		fd = __atomic_exchange_n(&a->mig_fd[which], -1, __ATOMIC_ACQ_REL);
		if (fd >= 0)
			close(fd);
		break;
	}
}

/* An IOVA and length for DMA logging: aligned to @page or not, any size */
static void pick_range(uint64_t page, uint64_t *iova, uint64_t *len)
{
	switch (below(6)) {
	case 0:
		*iova = rnd64();
		*len = rnd64();
		break;
	case 1:
		*iova = MEM_IOVA;
		*len = MEM_SIZE;
		break;
	default:
		*iova = (uint64_t)below(1 << 20) * page;
		*len = (1 + (uint64_t)below(below(8) ? 1024 : 1 << 20)) * page;
		break;
	}
	if (!below(8))
		*iova += below(page);
	if (!below(8))
		*len += below(page);
}

static uint64_t pick_page(void)
{
	switch (below(8)) {
	case 0:
		return rnd64();
	case 1:
		return 0;
	case 2:
		return 1ull << below(64);
	case 3:
		return 2 * 1024 * 1024;
	default:
		return PAGE << below(3);
	}
}

/*
 * DMA logging: START of 0..4 random ranges (overlapping ones too), STOP,
 * REPORT into the end of a->bitmap, or past it into its guard page, or to
 * an address the kernel must refuse; the other features' GET and PROBE.
 * Helpers do this too: the bitmap's contents do not matter.
 */
static void op_dma_log(struct atk *a)
{
	struct vdev_log_range r[4];
	uint64_t page, iova, len, need, x;
	unsigned int n, i;
	uint8_t *bm;

	switch (below(8)) {
	case 0:
	case 1:
		page = pick_page();
		n = below(8) ? 1 + below(4) : 0;
		for (i = 0; i < n; i++)
			pick_range(page ? page : PAGE, &r[i].iova, &r[i].length);
		vdev_dma_log_start(&a->v, &page, r, n);
		break;
	case 2:
		vdev_dma_log_stop(&a->v);
		break;
	case 3:
	case 4:
	case 5:
		page = below(4) ? PAGE << below(3) : pick_page();
		pick_range(page ? page : PAGE, &iova, &len);
		need = page && page <= len ? (len / page + 63) / 64 * 8 : 8;
		if (need <= BITMAP_SIZE && below(8))
			bm = a->bitmap + BITMAP_SIZE - need;
		else if (below(2))
			bm = a->bitmap;		/* runs into the guard */
		else
			bm = below(2) ? NULL : (uint8_t *)0xffff888000000000ull;
		vdev_dma_log_report(&a->v, iova, len, page, bm);
		break;
	case 6:
		vdev_mig_data_size(&a->v, &x);
		vdev_mig_flags(&a->v, &x);
		break;
	default:
		vdev_feature_probe(&a->v, below(12));
		if (!below(4))
			vdev_feature(&a->v, rnd32(), &x, below(2) ? 8 : 0);
		break;
	}
}

/* The host takes the attacker's WQ away: its vdev halts for good */
static void op_wq_unbind(struct atk *a)
{
	char wq[32];

	if (a->lost)
		return;
	atk_wq_name(wq, sizeof(wq));
	sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq);
	a->lost = 1;
	a->lost_ops = below(64);
}

/* The WQ back to idxd_vdev, and a new vdev (old one closed first or not) */
static int atk_recover(struct atk *a)
{
	char wq[32];
	int rc;

	atk_wq_name(wq, sizeof(wq));
	if (below(2)) {
		atk_close(a);
		vdev_remove(cfg.sh->attacker_uuid);
		cfg.sh->attacker_uuid[0] = 0;
	}
	rc = dsa_config_wq(cfg.dsa, 1, 0);
	if (rc)
		atk_failed(a, "configuring its WQ again", rc);
	rc = sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", wq);
	a->lost = 0;
	if (rc)
		return atk_failed(a, "binding its WQ again", rc);
	return atk_recreate(a);
}

static void *remover(void *uuid)
{
	vdev_remove(uuid);
	return NULL;
}

/*
 * The host removes the vdev while it is in use: REQ is signalled, the
 * user goes on for a few operations, then lets go; then a new vdev.
 */
static int op_remove(struct atk *a)
{
	char uuid[40];
	pthread_t t;
	int req, rc;

	snprintf(uuid, sizeof(uuid), "%s", cfg.sh->attacker_uuid);
	req = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (req >= 0)
		vdev_set_eventfd(&a->v, VFIO_PCI_REQ_IRQ_INDEX, 0, req);
	if (pthread_create(&t, NULL, remover, uuid)) {
		if (req >= 0)
			close(req);
		return -1;
	}
	if (req >= 0)
		efd_wait(req, 1, 2000);
	if (below(2))
		op_portal(a, 0);
	if (below(2))
		op_cmd(a);
	atk_close(a);
	pthread_join(t, NULL);
	if (req >= 0)
		close(req);
	cfg.sh->attacker_uuid[0] = 0;
	/* A vdev whose WQ the host took needs the WQ back first */
	rc = a->lost ? atk_recover(a) : atk_recreate(a);
	return rc;
}

static int pick_one(void)
{
	static unsigned int total;
	unsigned int i, r;

	if (cfg.rare && !below(cfg.rare)) {
		/* The one not skipped, if one is */
		if (cfg.skip & (1u << FOP_WQ_UNBIND))
			return FOP_REMOVE;
		if (cfg.skip & (1u << FOP_REMOVE))
			return FOP_WQ_UNBIND;
		return below(2) ? FOP_WQ_UNBIND : FOP_REMOVE;
	}
	if (!total)
		for (i = 0; i < NR_FOPS; i++)
			total += fop_weight[i];
	r = below(total);
	for (i = 0; i < NR_FOPS; i++) {
		if (r < fop_weight[i])
			return i;
		r -= fop_weight[i];
	}
	return FOP_PORTAL;
}

/* An operation --skip does not exclude */
static bool fop_mig(int fop)
{
	return fop == FOP_MIG_STATE || fop == FOP_MIG_DATA;
}

static int pick_fop(void)
{
	/* A stop drains what the attacker queued: each costs up to seconds */
	static __thread unsigned int mig_done;
	int fop;

	do
		fop = pick_one();
	while ((cfg.skip & (1u << fop)) ||
	       (fop_mig(fop) && mig_done >= cfg.mig_ops));
	if (fop_mig(fop))
		mig_done++;
	return fop;
}

/* Changes no mapping or descriptor of the vdev: for helpers too */
static int fop_plain(int fop)
{
	return (fop <= FOP_BATCH && fop != FOP_MMAP && fop != FOP_MUNMAP) ||
	       fop == FOP_MIG_STATE || fop == FOP_DMA_LOG;
}

static void do_op(struct atk *a, int fop);

static void atk_op(struct atk *a)
{
	int fop = pick_fop();

	a->op++;
	cfg.sh->op = a->op;
	snprintf(cfg.sh->trace[a->op % NTRACE], sizeof(cfg.sh->trace[0]),
		 "op %llu: %s%s", (unsigned long long)a->op, fop_name[fop],
		 a->lost ? " (lost vdev)" : "");
	if (cfg.trace)
		ksft_print_msg("%s\n", cfg.sh->trace[a->op % NTRACE]);
	a->count[fop]++;
	if (a->v.device < 0 && fop != FOP_WQ_UNBIND) {
		/* No vdev since a failed recreation: try again */
		if (!a->lost) {
			pthread_rwlock_wrlock(&atk_lock);
			atk_recreate(a);
			pthread_rwlock_unlock(&atk_lock);
		}
		return;
	}
	if (fop_plain(fop) || fop == FOP_WQ_UNBIND) {
		do_op(a, fop);
	} else {
		pthread_rwlock_wrlock(&atk_lock);
		do_op(a, fop);
		pthread_rwlock_unlock(&atk_lock);
	}
	if (a->lost && !a->lost_ops--) {
		pthread_rwlock_wrlock(&atk_lock);
		atk_recover(a);
		pthread_rwlock_unlock(&atk_lock);
	}
}

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	int fop;

	rng_state = h->seed;
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		fop = pick_fop();
		if (!fop_plain(fop))
			continue;
		pthread_rwlock_rdlock(&atk_lock);
		if (h->a->v.device >= 0) {
			do_op(h->a, fop);
			h->ops++;
		}
		pthread_rwlock_unlock(&atk_lock);
	}
	return NULL;
}

/* @n operations of the main thread, helpers alongside; ops of the helpers */
static uint64_t atk_run(struct atk *a, uint64_t n, uint64_t batch)
{
	struct helper h[8];
	unsigned int i, nh = cfg.threads - 1;
	uint64_t ops = 0;

	if (nh > ARRAY_SIZE(h))
		nh = ARRAY_SIZE(h);
	for (i = 0; i < nh; i++) {
		h[i].a = a;
		h[i].seed = (cfg.seed ^ (batch << 20) ^ (i + 1)) * 0x9e3779b97f4a7c15ull + 1;
		h[i].stop = 0;
		h[i].ops = 0;
		if (pthread_create(&h[i].thread, NULL, helper_main, &h[i]))
			break;
	}
	nh = i;
	while (n--)
		atk_op(a);
	for (i = 0; i < nh; i++) {
		__atomic_store_n(&h[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(h[i].thread, NULL);
		ops += h[i].ops;
	}
	return ops;
}

static void do_op(struct atk *a, int fop)
{
	switch (fop) {
	case FOP_CFG_READ:
	case FOP_CFG_WRITE:
		op_cfg(a, fop == FOP_CFG_WRITE);
		break;
	case FOP_BAR0_READ:
	case FOP_BAR0_WRITE:
		op_bar0(a, fop == FOP_BAR0_WRITE);
		break;
	case FOP_CMD:
		op_cmd(a);
		break;
	case FOP_SET_IRQS:
		op_set_irqs(a);
		break;
	case FOP_RESET:
		ioctl(a->v.device, VFIO_DEVICE_RESET);
		break;
	case FOP_MMAP:
		op_mmap(a);
		break;
	case FOP_MUNMAP:
		op_munmap(a);
		break;
	case FOP_PORTAL:
	case FOP_BATCH:
		op_portal(a, fop == FOP_BATCH);
		break;
	case FOP_REMAP:
		op_remap(a);
		break;
	case FOP_BRING_UP:
		op_bring_up(a);
		break;
	case FOP_MIG_STATE:
		op_mig_state(a);
		break;
	case FOP_MIG_DATA:
		op_mig_data(a);
		break;
	case FOP_DMA_LOG:
		op_dma_log(a);
		break;
	case FOP_WQ_UNBIND:
		op_wq_unbind(a);
		break;
	case FOP_REMOVE:
		op_remove(a);
		break;
	}
}

static void attacker_main(int in, int out)
{
	struct sigaction sa = { .sa_handler = fault_handler };
	uint64_t i, batch = 0, helper_ops = 0;
	pthread_rwlockattr_t attr;
	struct atk a;
	struct msg m;

	/* The main thread must not starve behind the helpers */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&atk_lock, &attr);
	memset(&a, 0, sizeof(a));
	vdev_init(&a.v, "");
	a.mig_fd[0] = -1;
	a.mig_fd[1] = -1;
	a.cap = malloc(MIG_BUF);
	a.saved = malloc(MIG_BUF);
	a.bitmap = mmap(NULL, BITMAP_SIZE + PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a.bitmap != MAP_FAILED)
		mprotect(a.bitmap + BITMAP_SIZE, PAGE, PROT_NONE);
	rng_state = cfg.seed * 0x9e3779b97f4a7c15ull + 1;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&m, 0, sizeof(m));
	a.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a.mem == MAP_FAILED || !a.cap || !a.saved || a.bitmap == MAP_FAILED) {
		m.status = -ENOMEM;
	} else {
		m.status = atk_open(&a);
		if (m.status)
			snprintf(m.text, sizeof(m.text),
				 "the attacker's vdev did not come up: %d",
				 m.status);
	}
	m.cmd = MSG_READY;
	if (msg_send(out, &m) || m.status)
		goto out;

	while (!msg_recv(in, &m, -1) && m.cmd == MSG_RUN) {
		helper_ops += atk_run(&a, m.arg, batch++);
		memset(&m, 0, sizeof(m));
		m.cmd = MSG_RUN;
		m.arg = a.op;
		snprintf(m.text, sizeof(m.text),
			 "faults %llu, vdevs brought up %llu (%llu failed)",
			 (unsigned long long)a.faults, (unsigned long long)a.ups,
			 (unsigned long long)a.up_fail);
		if (msg_send(out, &m))
			break;
	}
	for (i = 0; i < NR_FOPS; i++)
		ksft_print_msg("attacker: %-10s %llu\n", fop_name[i],
			       (unsigned long long)a.count[i]);
	atk_close(&a);
	ksft_print_msg("attacker: SIGSEGV/SIGBUS caught %llu, %llu of them SIGBUS\n",
		       (unsigned long long)a.faults, (unsigned long long)a.sigbus);
	if (cfg.threads > 1)
		ksft_print_msg("attacker: %u helper threads did %llu ops\n",
			       cfg.threads - 1, (unsigned long long)helper_ops);
	ksft_print_msg("attacker: interrupts of its vector 1 %llu\n",
		       (unsigned long long)a.irqs);
	ksft_print_msg("attacker: arcs with a data fd %llu, streams saved %llu, applied %llu\n",
		       (unsigned long long)a.arcs, (unsigned long long)a.streams,
		       (unsigned long long)a.applied);
	ksft_print_msg("attacker: vdevs brought up %llu (%llu failed), not made %llu\n",
		       (unsigned long long)a.ups, (unsigned long long)a.up_fail,
		       (unsigned long long)a.failures);
	if (a.lost)
		atk_recover(&a);
out:
	atk_close(&a);
	if (cfg.sh->attacker_uuid[0])
		vdev_remove(cfg.sh->attacker_uuid);
	cfg.sh->attacker_uuid[0] = 0;
	memset(&m, 0, sizeof(m));
	m.cmd = MSG_QUIT;
	m.arg = a.up_fail + a.failures;
	msg_send(out, &m);
	fflush(stdout);
	_exit(0);
}

/*
 * The victim: a pattern in all the memory it mapped, one NOOP with a
 * completion record and an interrupt per check.
 */
struct victim {
	struct vdev v;
	uint32_t ioas;
	uint8_t *mem;		/* MEM_SIZE at MEM_IOVA, MEM_SIZE at VICTIM_IOVA */
	uint8_t *comp;		/* a page at COMP_IOVA */
	uint16_t handle;
};

static int victim_up(struct victim *vi)
{
	size_t i;
	int rc;

	vi->mem = mmap(NULL, 2 * MEM_SIZE + PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vi->mem == MAP_FAILED)
		return -ENOMEM;
	vi->comp = vi->mem + 2 * MEM_SIZE;
	for (i = 0; i < 2 * MEM_SIZE; i++)
		vi->mem[i] = pattern(i, 0x5a);
	rc = vdev_open(&vi->v, cfg.sh->victim_uuid);
	if (!rc)
		rc = ioas_new(&vi->v, &vi->ioas);
	if (!rc)
		rc = vdev_ioas_map(vi->v.iommufd, vi->ioas, vi->mem, MEM_SIZE, MEM_IOVA);
	if (!rc)
		rc = vdev_ioas_map(vi->v.iommufd, vi->ioas, vi->mem + MEM_SIZE,
				   MEM_SIZE, VICTIM_IOVA);
	if (!rc)
		rc = vdev_ioas_map(vi->v.iommufd, vi->ioas, vi->comp, PAGE, COMP_IOVA);
	if (rc)
		return rc;
	rc = vdev_bring_up(&vi->v, 1);
	if (rc)
		return rc - 10;
	rc = vdev_vector_up(&vi->v, 1, &vi->handle);
	if (rc)
		return rc - 1000;
	return vdev_map_portals(&vi->v) ? -2000 : 0;
}

/* 0, or what is wrong in @text */
static int victim_check(struct victim *vi, char *text, size_t len)
{
	uint64_t n0, n1, comp = COMP_IOVA, swerr;
	uint32_t desc[16];
	uint8_t status = 0;
	size_t i;
	int t;

	n0 = efd_wait(vi->v.efd[0], 1, 0);
	n1 = efd_wait(vi->v.efd[1], 1, 0);
	if (n0 || n1) {
		snprintf(text, len,
			 "victim: interrupts it did not ask for: vector 0: %llu, vector 1: %llu",
			 (unsigned long long)n0, (unsigned long long)n1);
		return 1;
	}
	for (i = 0; i < 2 * MEM_SIZE; i++) {
		if (vi->mem[i] != pattern(i, 0x5a)) {
			snprintf(text, len,
				 "victim: memory at IOVA 0x%llx is 0x%02x, not 0x%02x",
				 (unsigned long long)(i < MEM_SIZE ? MEM_IOVA + i :
						      VICTIM_IOVA + i - MEM_SIZE),
				 vi->mem[i], pattern(i, 0x5a));
			return 2;
		}
	}
	swerr = reg_read64(&vi->v, REG_SWERR);
	if (swerr) {
		snprintf(text, len, "victim: SWERR 0x%llx", (unsigned long long)swerr);
		return 3;
	}
	memset(vi->comp, 0, 64);
	memset(desc, 0, sizeof(desc));
	desc[1] = (OP_NOOP << 24) | DESC_CRAV | DESC_RCR | DESC_RCI;
	memcpy(&desc[2], &comp, 8);
	desc[9] = vi->handle;
	vdev_submit_desc(&vi->v, 0, desc);
	for (t = 0; t < VDEV_FIRE_MS && !status; t++) {
		status = __atomic_load_n(&vi->comp[0], __ATOMIC_ACQUIRE);
		if (!status)
			usleep(1000);
	}
	if (status != 1) {
		snprintf(text, len, "victim: NOOP completion status 0x%x", status);
		return 3;
	}
	n1 = efd_wait(vi->v.efd[1], 1, VDEV_FIRE_MS);
	if (n1 != 1) {
		snprintf(text, len, "victim: %llu interrupts for its NOOP, not 1",
			 (unsigned long long)n1);
		return 1;
	}
	n1 = efd_wait(vi->v.efd[1], 1, QUIET_MS);
	n0 = efd_wait(vi->v.efd[0], 1, 0);
	if (n0 || n1) {
		snprintf(text, len,
			 "victim: interrupts after its NOOP: vector 0: %llu, vector 1: %llu",
			 (unsigned long long)n0, (unsigned long long)n1);
		return 1;
	}
	return 0;
}

static void victim_main(int in, int out)
{
	struct victim vi;
	struct msg m;

	memset(&vi, 0, sizeof(vi));
	memset(&m, 0, sizeof(m));
	signal(SIGPIPE, SIG_IGN);
	m.cmd = MSG_READY;
	m.status = victim_up(&vi);
	if (m.status)
		snprintf(m.text, sizeof(m.text), "the victim's vdev did not come up: %d",
			 m.status);
	if (msg_send(out, &m) || m.status)
		goto out;
	while (!msg_recv(in, &m, -1) && m.cmd == MSG_CHECK) {
		memset(&m, 0, sizeof(m));
		m.cmd = MSG_CHECK;
		m.status = victim_check(&vi, m.text, sizeof(m.text));
		klog_inject(INJ_VICTIM);
		if (msg_send(out, &m))
			break;
	}
out:
	vdev_close(&vi.v);
	fflush(stdout);
	_exit(0);
}

/* Host side: the kernel WQ and dmatest */
static int kwq_name(char *buf, size_t len)
{
	return snprintf(buf, len, "wq%.16s.%d", cfg.dsa + 3, KWQ);
}

static void kwq_unbind(void)
{
	char wq[32], path[PATH_MAX];

	kwq_name(wq, sizeof(wq));
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/driver", wq);
	if (!access(path, F_OK))
		sysfs_write(DSA_SYSFS "/drivers/dmaengine/unbind", wq);
}

static int kwq_config(int size)
{
	char wq[32], sz[16];

	kwq_name(wq, sizeof(wq));
	snprintf(sz, sizeof(sz), "%d", size);
	if (sysfs_writef(size ? "0" : "-1", DSA_SYSFS "/devices/%s/%s/group_id",
			 cfg.dsa, wq) ||
	    sysfs_writef(sz, DSA_SYSFS "/devices/%s/%s/size", cfg.dsa, wq))
		return -EIO;
	if (!size)
		return 0;
	if (sysfs_writef("dedicated", DSA_SYSFS "/devices/%s/%s/mode", cfg.dsa, wq) ||
	    sysfs_writef("10", DSA_SYSFS "/devices/%s/%s/priority", cfg.dsa, wq) ||
	    sysfs_writef("kernel", DSA_SYSFS "/devices/%s/%s/type", cfg.dsa, wq) ||
	    sysfs_writef("dmaengine", DSA_SYSFS "/devices/%s/%s/name", cfg.dsa, wq) ||
	    sysfs_writef("dmaengine", DSA_SYSFS "/devices/%s/%s/driver_name",
			 cfg.dsa, wq))
		return -EIO;
	return 0;
}

/*
 * The dmaengine channel of the kernel WQ: the DSA's only one, a child of
 * its PCI function in /sys/class/dma
 */
static int kwq_chan(char *chan, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int rc = -ENOENT;
	ssize_t n;
	DIR *d;

	d = opendir("/sys/class/dma");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "dma", 3) || !strstr(de->d_name, "chan"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/dma/%s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strstr(link, cfg.bdf)) {
			rc = copy_str(chan, len, de->d_name);
			break;
		}
	}
	closedir(d);
	return rc;
}

#define DMATEST_PARAM	"/sys/module/dmatest/parameters/"
#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/* kmemleak's report after a scan: the number of leaks, the first one */
static int kmemleak_scan(char *text, size_t len)
{
	char line[256];
	int leaks = 0;
	FILE *f;

	if (sysfs_write(KMEMLEAK, "scan"))
		return 0;	/* no kmemleak */
	f = fopen(KMEMLEAK, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "unreferenced object"))
			continue;
		if (!leaks++)
			snprintf(text, len, "kmemleak: %s", line);
	}
	fclose(f);
	return leaks;
}

/*
 * One dmatest run of DMATEST_ITER on the kernel WQ; 0 if all passed.  The
 * kernel log is read meanwhile: a problem in it stays in @k for the
 * caller's klog_scan().  @inject: the place of --inject-klog it is.
 */
static int dmatest_run(struct klog *k, const char *chan, int inject,
		       char *text, size_t len)
{
	char buf[16];
	double end;

	klog_scan(k);
	k->dmatest_seen = 0;
	if (sysfs_write(DMATEST_PARAM "iterations", DMATEST_ITER_STR) ||
	    sysfs_write(DMATEST_PARAM "threads_per_chan", "1") ||
	    sysfs_write(DMATEST_PARAM "timeout", "20000") ||
	    sysfs_write(DMATEST_PARAM "channel", chan) ||
	    sysfs_write(DMATEST_PARAM "run", "1")) {
		snprintf(text, len, "host: dmatest on %s could not start", chan);
		return -1;
	}
	klog_inject(inject);
	end = now() + DMATEST_MS / 1000;
	for (;;) {
		if (sysfs_read(DMATEST_PARAM "run", buf, sizeof(buf)) == 0 &&
		    buf[0] == 'N') {
			klog_scan(k);
			if (k->dmatest_seen)
				break;
		}
		if (now() > end) {
			snprintf(text, len, "host: dmatest on %s did not finish", chan);
			return -1;
		}
		usleep(20000);
	}
	if (k->dmatest_tests != DMATEST_ITER || k->dmatest_failures) {
		snprintf(text, len, "host: dmatest on %s: %u tests, %u failures",
			 chan, k->dmatest_tests, k->dmatest_failures);
		return -1;
	}
	return 0;
}

/* The host: modules, the DSA, WQs 0 and 1 for idxd_vdev, WQ 2 kernel */
static int host_setup(char *chan, size_t len)
{
	char wq[32];
	int rc;

	rc = vdev_modules_load(1);
	if (rc) {
		ksft_print_msg("loading %s: %s\n", VDEV_DRIVER, strerror(-rc));
		return rc;
	}
	rc = dsa_find(cfg.dsa, sizeof(cfg.dsa), cfg.bdf, sizeof(cfg.bdf), 1);
	if (rc) {
		ksft_print_msg("no DSA with IMS\n");
		return rc;
	}
	/* The attacker changes it; put back at the teardown */
	if (sysfs_read(VDEV_DRAIN_PARAM, cfg.drain, sizeof(cfg.drain)))
		cfg.drain[0] = 0;
	else
		sysfs_write(VDEV_DRAIN_PARAM, "200");
	kwq_unbind();
	dsa_teardown(cfg.dsa, 2);
	rc = kwq_config(WQ_SIZE);
	if (!rc)
		rc = dsa_setup(cfg.dsa, 2, WQ_SIZE);
	if (rc) {
		ksft_print_msg("setting up %s: %s\n", cfg.dsa, strerror(-rc));
		return rc;
	}
	kwq_name(wq, sizeof(wq));
	rc = sysfs_write(DSA_SYSFS "/drivers/dmaengine/bind", wq);
	if (rc) {
		ksft_print_msg("binding %s to dmaengine: %s\n", wq, strerror(-rc));
		return rc;
	}
	if (system("modprobe dmatest")) {
		ksft_print_msg("modprobe dmatest failed\n");
		return -ENOENT;
	}
	rc = kwq_chan(chan, len);
	if (rc)
		ksft_print_msg("no dmaengine channel on %s\n", wq);
	return rc;
}

/* Everything gone: 0, or the first error */
static int host_teardown(void)
{
	int rc, err;

	rc = system("modprobe -r dmatest") ? -EBUSY : 0;
	klog_inject(INJ_TEARDOWN);
	if (cfg.sh->victim_uuid[0] && vdev_remove(cfg.sh->victim_uuid) && !rc)
		rc = -EBUSY;
	if (cfg.sh->attacker_uuid[0] && vdev_remove(cfg.sh->attacker_uuid) && !rc)
		rc = -EBUSY;
	cfg.sh->victim_uuid[0] = 0;
	cfg.sh->attacker_uuid[0] = 0;
	kwq_unbind();
	if (cfg.drain[0] && sysfs_write(VDEV_DRAIN_PARAM, cfg.drain) && !rc)
		rc = -EIO;
	err = dsa_teardown(cfg.dsa, 2);
	if (err && !rc)
		rc = err;
	kwq_config(0);
	return rc;
}

static pid_t spawn(void (*fn)(int, int), int *to, int *from)
{
	int down[2], up[2];
	pid_t pid;

	if (pipe(down) || pipe(up))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(down[1]);
		close(up[0]);
		fn(down[0], up[1]);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	*to = down[1];
	*from = up[0];
	return pid;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--duration SECONDS] [--batch N]\n"
		"          [--rare N] [--mig-ops N] [--dmatest-every N] [--threads N]\n"
		"          [--kmemleak]\n"
		"          [--skip OP,...|none] [--trace]\n"
		"          [--inject-klog victim|dmatest|last|teardown]\n", prog);
	exit(KSFT_FAIL);
}

/* "--skip OP,OP...": names of fop_name[], or "none" */
static unsigned int parse_skip(const char *val)
{
	unsigned int skip = 0, i;
	char buf[256], *tok, *save;

	copy_str(buf, sizeof(buf), val);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_FOPS; i++)
			if (!strcmp(tok, fop_name[i]))
				break;
		if (i < NR_FOPS)
			skip |= 1u << i;
		else if (strcmp(tok, "none"))
			ksft_exit_fail_msg("--skip: no operation %s\n", tok);
	}
	/* Something must be left to do */
	if ((skip & ((1u << (FOP_BATCH + 1)) - 1)) == (1u << (FOP_BATCH + 1)) - 1)
		ksft_exit_fail_msg("--skip: nothing left\n");
	return skip;
}

static void parse_args(int argc, char **argv)
{
	int i, seeded = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--trace")) {
			cfg.trace = 1;
			continue;
		}
		if (!strcmp(a, "--kmemleak")) {
			cfg.kmemleak = 1;
			continue;
		}
		if (!val)
			print_usage(argv[0]);
		i++;
		if (!strcmp(a, "--seed")) {
			cfg.seed = strtoull(val, NULL, 0);
			seeded = 1;
		} else if (!strcmp(a, "--ops")) {
			cfg.ops = strtoull(val, NULL, 0);
		} else if (!strcmp(a, "--duration")) {
			cfg.duration = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--batch")) {
			cfg.batch = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--mig-ops")) {
			cfg.mig_ops = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--rare")) {
			cfg.rare = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--skip")) {
			cfg.skip = parse_skip(val);
		} else if (!strcmp(a, "--threads")) {
			cfg.threads = strtoul(val, NULL, 0);
		} else if (!strcmp(a, "--inject-klog")) {
			for (cfg.inject = 0; cfg.inject < NR_INJ; cfg.inject++)
				if (!strcmp(val, inj_name[cfg.inject]))
					break;
			if (cfg.inject == NR_INJ)
				print_usage(argv[0]);
		} else if (!strcmp(a, "--dmatest-every")) {
			cfg.dmatest_every = strtoul(val, NULL, 0);
		} else {
			print_usage(argv[0]);
		}
	}
	if (!cfg.batch)
		cfg.batch = 1000;
	if (!cfg.threads)
		cfg.threads = 1;
	if (!seeded &&
	    getrandom(&cfg.seed, sizeof(cfg.seed), 0) != sizeof(cfg.seed))
		cfg.seed = time(NULL) ^ ((uint64_t)getpid() << 32);
}

/*
 * A failure, with what replays it: the seed and the attacker's operation
 * (ksft_print_msg() lines "FAIL: seed N, op N: ...", which soak reads)
 */
static __printf(1, 2) void fail_seed(const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ksft_print_msg("FAIL: seed %llu, op %llu: %s\n",
		       (unsigned long long)cfg.seed,
		       (unsigned long long)cfg.sh->op, text);
}

/* The command line that runs the failed run's operations again */
static void print_replay(int argc, char **argv, uint64_t ops)
{
	static const char * const drop[] = {
		"--seed", "--ops", "--duration", "--inject-klog",
	};
	char line[1024];
	size_t len;
	int i, j;

	len = snprintf(line, sizeof(line), "%s --seed %llu --ops %llu", argv[0],
		       (unsigned long long)cfg.seed, (unsigned long long)ops);
	for (i = 1; i < argc && len < sizeof(line); i++) {
		for (j = 0; j < (int)ARRAY_SIZE(drop); j++)
			if (!strcmp(argv[i], drop[j]))
				break;
		if (j < (int)ARRAY_SIZE(drop)) {
			i++;	/* and its value */
			continue;
		}
		len += snprintf(line + len, sizeof(line) - len, " %s", argv[i]);
	}
	ksft_print_msg("FAIL: seed %llu: replay with: %s\n",
		       (unsigned long long)cfg.seed, line);
}

enum {
	CK_ATTACKER, CK_MEMORY, CK_IRQS, CK_NOOP, CK_DMATEST, CK_KLOG,
	CK_RECREATE, NR_CK,
};

static const char * const ck_name[NR_CK] = {
	"attacker ran its operations without taking the fuzzer down",
	"victim memory pattern intact",
	"victim got exactly the interrupts it asked for",
	"victim NOOPs completed, no software error",
	"host kernel WQ passed dmatest",
	"kernel reported no problem",
	"attacker vdevs came up after recreation",
};

int main(int argc, char **argv)
{
	int to_atk = -1, from_atk = -1, to_vic = -1, from_vic = -1;
	pid_t atk_pid = -1, vic_pid = -1;
	char chan[64] = "", why[512] = "";
	uint64_t ops = 0, batches = 0;
	int failed[NR_CK] = { 0 };
	int i, rc, rcv, quit_ms, leaks, bad = -1;
	char leak[512] = "";
	struct klog k;
	struct msg m;
	double t0, t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	ksft_print_header();
	ksft_print_msg("seed %llu\n", (unsigned long long)cfg.seed);
	for (i = 0; i < NR_FOPS; i++)
		if (cfg.skip & (1u << i))
			ksft_print_msg("skipped: %s\n", fop_name[i]);
	ksft_set_plan(NR_CK + 2);
	if (splat_load())
		ksft_exit_fail_msg("no kernel log patterns: the kernel log cannot be judged\n");
	signal(SIGPIPE, SIG_IGN);

	cfg.sh = mmap(NULL, sizeof(*cfg.sh), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cfg.sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	memset(cfg.sh, 0, sizeof(*cfg.sh));
	memset(&k, 0, sizeof(k));
	k.fd = kmsg_open();
	if (k.fd < 0)
		ksft_exit_fail_msg("/dev/kmsg: %s\n", strerror(-k.fd));
	/* Leaks from before are not the fuzzer's */
	if (cfg.kmemleak)
		sysfs_write(KMEMLEAK, "clear");

	rc = host_setup(chan, sizeof(chan));
	if (!rc)
		rc = vdev_create(cfg.bdf, VTYPE, cfg.sh->victim_uuid,
				 sizeof(cfg.sh->victim_uuid));
	if (!rc)
		rc = vdev_create(cfg.bdf, VTYPE, cfg.sh->attacker_uuid,
				 sizeof(cfg.sh->attacker_uuid));
	if (!rc) {
		vic_pid = spawn(victim_main, &to_vic, &from_vic);
		if (vic_pid < 0 || msg_recv(from_vic, &m, VIC_TIMEOUT_MS) ||
		    m.status) {
			ksft_print_msg("%s\n", vic_pid < 0 ? "fork" : m.text);
			rc = -EIO;
		}
	}
	if (!rc) {
		atk_pid = spawn(attacker_main, &to_atk, &from_atk);
		if (atk_pid < 0 || msg_recv(from_atk, &m, VIC_TIMEOUT_MS) ||
		    m.status) {
			ksft_print_msg("%s\n", atk_pid < 0 ? "fork" : m.text);
			rc = -EIO;
		}
	}
	/* The checks hold before anything was done */
	if (!rc && dmatest_run(&k, chan, INJ_NONE, why, sizeof(why))) {
		ksft_print_msg("%s\n", why);
		rc = -EIO;
	}
	if (!rc && klog_scan(&k)) {
		ksft_print_msg("kernel: %s\n", k.problem);
		rc = -EIO;
	}
	ksft_test_result(!rc, "setup: two vdevs, a victim and an attacker, and a kernel WQ\n");

	t0 = now();
	while (!rc && bad < 0) {
		uint64_t n = cfg.batch;

		if (cfg.duration) {
			if (now() - t0 >= cfg.duration)
				break;
		} else {
			if (ops >= cfg.ops)
				break;
			if (cfg.ops - ops < n)
				n = cfg.ops - ops;
		}
		memset(&m, 0, sizeof(m));
		m.cmd = MSG_RUN;
		m.arg = n;
		rcv = msg_send(to_atk, &m) ? -1 :
		      msg_watch(from_atk, &m, ATK_TIMEOUT_MS, &k);
		if (rcv == -2)
			break;
		if (rcv) {
			bad = CK_ATTACKER;
			snprintf(why, sizeof(why),
				 "the attacker died or hung (its last op %llu)",
				 (unsigned long long)cfg.sh->op);
			break;
		}
		ops = m.arg;
		batches++;
		if (klog_scan(&k))
			break;
		memset(&m, 0, sizeof(m));
		m.cmd = MSG_CHECK;
		rcv = msg_send(to_vic, &m) ? -1 :
		      msg_watch(from_vic, &m, VIC_TIMEOUT_MS, &k);
		if (rcv == -2)
			break;
		if (rcv) {
			bad = CK_NOOP;
			snprintf(why, sizeof(why), "the victim died or hung");
			break;
		}
		if (m.status) {
			bad = m.status == 1 ? CK_IRQS :
			      m.status == 2 ? CK_MEMORY : CK_NOOP;
			snprintf(why, sizeof(why), "%s", m.text);
			break;
		}
		/* What the kernel said during the victim's check */
		if (klog_scan(&k))
			break;
		if (cfg.dmatest_every && !(batches % cfg.dmatest_every) &&
		    dmatest_run(&k, chan, INJ_DMATEST, why, sizeof(why))) {
			bad = CK_DMATEST;
			break;
		}
		if (klog_scan(&k))
			break;
	}
	t = now() - t0;
	ops = cfg.sh->op;
	/* A kernel problem comes first: what else failed may follow from it */
	if (k.problems) {
		bad = CK_KLOG;
		snprintf(why, sizeof(why), "kernel: %.400s", k.problem);
	}
	if (bad >= 0) {
		failed[bad] = 1;
		fail_seed(why);
		for (i = 1; i <= NTRACE; i++) {
			const char *s = cfg.sh->trace[(cfg.sh->op + i) % NTRACE];

			if (s[0])
				ksft_print_msg("  %s\n", s);
		}
	}

	/*
	 * Ends: the attacker recovers and removes its vdev, the victim
	 * closes.  After a kernel problem they may never come back from the
	 * kernel: they are not waited for long, and the host is left as it
	 * is (a teardown could hang on what the kernel left locked).
	 */
	quit_ms = k.problems ? 5000 : ATK_TIMEOUT_MS;
	m.cmd = MSG_QUIT;
	if (atk_pid > 0) {
		msg_send(to_atk, &m);
		if (!msg_recv(from_atk, &m, quit_ms) && m.cmd == MSG_QUIT && m.arg) {
			failed[CK_RECREATE] = 1;
			fail_seed("attacker vdevs not made or not brought up: %llu",
				  (unsigned long long)m.arg);
		}
		kill(atk_pid, SIGKILL);
		reap(atk_pid, 5000);
	}
	m.cmd = MSG_QUIT;
	if (vic_pid > 0) {
		msg_send(to_vic, &m);
		close(to_vic);
		if (reap(vic_pid, quit_ms)) {
			kill(vic_pid, SIGKILL);
			reap(vic_pid, 5000);
		}
	}
	if (!rc && !failed[CK_DMATEST] && !k.problems &&
	    dmatest_run(&k, chan, INJ_LAST, why, sizeof(why))) {
		failed[CK_DMATEST] = 1;
		fail_seed("after the attacker left: %s", why);
	}
	/* What the kernel said while the processes left and during dmatest */
	if (!failed[CK_KLOG] && klog_scan(&k)) {
		failed[CK_KLOG] = 1;
		fail_seed("after the attacker left: kernel: %.400s", k.problem);
	}
	ksft_print_msg("ops %llu in %.1f s: %.1f ops/s (seed %llu)\n",
		       (unsigned long long)ops, t, t > 0 ? ops / t : 0.0,
		       (unsigned long long)cfg.seed);
	for (i = 0; i < NR_CK; i++) {
		if (rc)
			ksft_test_result_skip("%s\n", ck_name[i]);
		else
			ksft_test_result(!failed[i], "%s\n", ck_name[i]);
	}
	if (rc)
		fail_seed("setup failed");
	if (k.problems) {
		ksft_test_result_skip("teardown: not after a kernel problem\n");
		print_replay(argc, argv, ops);
		ksft_finished();
	}
	rc = host_teardown();
	if (rc)
		fail_seed("teardown: %s", strerror(-rc));
	if (klog_scan(&k))
		fail_seed("teardown: kernel: %.400s", k.problem);
	leaks = cfg.kmemleak ? kmemleak_scan(leak, sizeof(leak)) : 0;
	if (leaks)
		fail_seed("teardown: %d leaks, the first: %s", leaks, leak);
	ksft_test_result(!rc && !k.problems && !leaks,
			 "teardown: vdevs removed, WQs unbound, kernel quiet\n");
	if (ksft_get_fail_cnt() || ksft_get_xskip_cnt())
		print_replay(argc, argv, ops);
	ksft_finished();
}
