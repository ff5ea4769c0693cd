// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_fault - the idxd vdev driver under systematic allocation failures.
 *
 * failslab and fail_page_alloc, driven by /proc/thread-self/fail-nth,
 * fail the 1st fault-injectable call of the task inside one path of the
 * driver, then the 2nd, and so on until the path runs through without a
 * fault injected.  Each injected failure must end in a clean negative
 * errno with the state fully unwound and the vdev as usable as before, or
 * in a success whose state works; nothing may splat.  The paths, one test
 * each: creating a vdev through mdev sysfs (its probe runs in the writing
 * task), opening it (the VFIO cdev, VFIO_DEVICE_BIND_IOMMUFD with the
 * first open, the BAR2 region info), attaching its PASID to an IOAS,
 * SET_IRQS enabling vectors 0 and 1 and adding vector 1 to an enabled
 * index, and the REQUEST_INT_HANDLE command.  The last test asks kmemleak
 * for what leaked since the program started.
 *
 * The test's own memory is locked and its stack grown beforehand, so that
 * no fault point of the task is a page fault of its own buffers.  The
 * kernel's background allocations (kmemleak's metadata, slab refills) make
 * the sequence of fault points vary a little from one attempt to the
 * next: a walk covers nearly every point, not strictly each one.
 *
 * VDEV_FAULT_TRACE=1 in the environment logs each attempt to the kernel
 * log ("vdev_fault: PATH: nth N"), VDEV_FAULT_VERBOSE=N sets the verbose
 * knob of failslab and fail_page_alloc (2: a backtrace per failure),
 * VDEV_FAULT_START=N starts each walk at the Nth fault point.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vdev.h"

#define WQ_SIZE		16
#define FIRE_MS		VDEV_FIRE_MS
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define PAGE		4096
#define IOVA		0x10000000ull
#define TYPE_SUFFIX	"-dsa-1dwq-v1"
#define DEBUGFS		"/sys/kernel/debug"
#define KMEMLEAK	DEBUGFS "/kmemleak"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		4000	/* fault points walked at most per path */
#define MAX_BAD		5	/* bad injections (or splats) reported at most */
#define MAX_ERRNO	256
#define PATH_TIMEOUT	240

/* The fault injection knobs this test sets, and what they were */
struct knob {
	const char *name;
	const char *val;
	char old[32];
	int saved;
};

static struct knob knobs[] = {
	{ "failslab/probability", "0" },
	{ "failslab/interval", "1" },
	{ "failslab/times", "-1" },
	{ "failslab/space", "0" },
	{ "failslab/task-filter", "N" },
	{ "failslab/cache-filter", "N" },
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/verbose_ratelimit_burst", "100000" },
	{ "fail_page_alloc/probability", "0" },
	{ "fail_page_alloc/interval", "1" },
	{ "fail_page_alloc/times", "-1" },
	{ "fail_page_alloc/space", "0" },
	{ "fail_page_alloc/task-filter", "N" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/verbose_ratelimit_burst", "100000" },
};

/* What the kernel log shows of a splat (tools/testing/vm/run-vm's list) */
static const char * const splats[] = {
	"Kernel panic", "WARNING:", "BUG:", "Oops", "general protection fault",
	"INFO: possible", "INFO: task", "INFO: rcu", "inconsistent lock state",
	"circular locking", "UBSAN:", NULL,
};

/* How one path's walk went */
struct walk {
	const char *name;
	unsigned int points;	/* injections that fired */
	unsigned int failed;	/* of which the call failed */
	unsigned int bad;	/* injections that broke a rule */
	unsigned int splats;	/* injections after which the kernel splats */
	int complete;		/* the call went through with no fault */
	unsigned int err[MAX_ERRNO];
};

FIXTURE(fault) {
	char dsa[32];
	char bdf[32];
	char type[64];
	char uuid[40];
	char create[PATH_MAX];
	char cdev[PATH_MAX];
	int setup;
	int created;
	int avail;		/* available_instances before the walk */
	int fd;			/* the path's own file: create, device */
	int fnth;		/* this thread's fail-nth */
	int kmsg;
	struct vdev v;
	uint32_t ioas;
	void *page;
};

static int fail_open(void)
{
	return open(FAIL_NTH, O_RDWR | O_CLOEXEC);
}

/* Fail the @nth fault-injectable call of this task from now on */
static int fail_arm(int fnth, unsigned int nth)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(fnth, buf, n, 0) == n ? 0 : -errno;
}

/* Stop injecting; whether the armed fault was injected */
static int fail_disarm(int fnth)
{
	char buf[16];
	ssize_t n = pread(fnth, buf, sizeof(buf) - 1, 0);
	int fired;

	buf[n > 0 ? n : 0] = 0;
	fired = n > 0 && !strtoul(buf, NULL, 10);
	if (pwrite(fnth, "0", 1, 0) != 1)
		fired = -1;
	return fired;
}

static int knob_path(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, DEBUGFS "/%s", name) >= (int)len ? -1 : 0;
}

/*
 * Let fail-nth alone decide: no random failures, none filtered out by
 * the GFP flags or the order of an allocation
 */
static int knobs_set(void)
{
	const char *verbose = getenv("VDEV_FAULT_VERBOSE");
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		const char *val = knobs[i].val;

		if (knob_path(path, sizeof(path), knobs[i].name))
			return -ENAMETOOLONG;
		knobs[i].saved = !sysfs_read(path, knobs[i].old,
					     sizeof(knobs[i].old));
		if (verbose && strstr(knobs[i].name, "verbose") &&
		    !strstr(knobs[i].name, "ratelimit"))
			val = verbose;
		if (sysfs_write(path, val)) {
			fprintf(stderr, "cannot set %s to %s\n", path, val);
			return -EIO;
		}
	}
	return 0;
}

static void knobs_restore(void)
{
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (!knobs[i].saved || knob_path(path, sizeof(path), knobs[i].name))
			continue;
		sysfs_write(path, knobs[i].old);
		knobs[i].saved = 0;
	}
}

static void debugfs_mount(void)
{
	if (access(DEBUGFS "/failslab", F_OK) && access(KMEMLEAK, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
}

/*
 * What kmemleak reports from now on is this program's.  Where debugfs is
 * not mounted there is nothing to clear: the test mounts it later.
 */
static void __attribute__((constructor)) kmemleak_clear(void)
{
	if (!access(KMEMLEAK, W_OK))
		sysfs_write(KMEMLEAK, "clear");
}

/*
 * Grow the stack beyond what the test will use, then lock everything:
 * a page fault of the test's own memory inside a syscall would be a
 * fault point of the task, and a failure there an EFAULT of the test's
 * own making.
 */
static void stack_grow(void)
{
	char buf[256 * 1024];

	memset(buf, 0, sizeof(buf));
	asm volatile("" : : "r" (buf) : "memory");
}

static int memory_lock(void)
{
	stack_grow();
	return mlockall(MCL_CURRENT | MCL_FUTURE) ? -errno : 0;
}

/*
 * A kernel log record since the last call (or kmsg_open()) that reads
 * like a splat, in @out; 1 if there is one.
 */
static int kmsg_splat(int fd, char *out, size_t len)
{
	char rec[2048];
	int found = 0, i;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		for (i = 0; splats[i] && !found; i++) {
			if (strstr(rec, splats[i])) {
				snprintf(out, len, "%s", rec);
				found = 1;
			}
		}
	}
	return found;
}

static void kmsg_mark(const char *name, unsigned int nth)
{
	char buf[256];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (nth)
		snprintf(buf, sizeof(buf), "vdev_fault: %s: nth %u\n", name, nth);
	else
		snprintf(buf, sizeof(buf), "vdev_fault: %s: walking its fault points\n",
			 name);
	if (write(fd, buf, strlen(buf)) < 0)
		perror("/dev/kmsg");
	close(fd);
}

/* The 1-WQ type's directory name: the parent driver's name, then ours */
static int type_find(const char *bdf, char *type, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n, s = strlen(TYPE_SUFFIX);
	int rc = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types",
		 bdf);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (n > s && !strcmp(de->d_name + n - s, TYPE_SUFFIX)) {
			rc = copy_str(type, len, de->d_name);
			break;
		}
	}
	closedir(d);
	return rc;
}

static int avail_read(struct _test_data_fault *self)
{
	char path[PATH_MAX], buf[16];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/%s/available_instances",
		 self->bdf, self->type);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

/* Neither the mdev bus nor the parent knows the vdev */
static int mdev_gone(struct _test_data_fault *self)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s", self->uuid);
	if (!access(path, F_OK))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", self->bdf,
		 self->uuid);
	return access(path, F_OK) != 0;
}

/* /dev/vfio/devices/vfioN of the vdev */
static int cdev_find(struct _test_data_fault *self)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int rc = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), MDEV_DEVICES "/%s/vfio-dev", self->uuid);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) && strlen(de->d_name) < 32) {
			snprintf(self->cdev, sizeof(self->cdev),
				 "/dev/vfio/devices/%s", de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

static int bind_iommufd(int device, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind), .iommufd = iommufd,
	};

	return ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind) ? -errno : 0;
}

/* BAR2's region info with its sparse mmap capability */
static int bar2_info(struct vdev *v)
{
	static char buf[1024];
	struct vfio_region_info *info = (struct vfio_region_info *)buf;

	memset(buf, 0, sizeof(buf));
	info->argsz = sizeof(buf);
	info->index = VFIO_PCI_BAR2_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, info))
		return -errno;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS) || !info->cap_offset ||
	    info->argsz > sizeof(buf))
		return -EPROTO;
	return 0;
}

static int set_vectors(struct vdev *v, unsigned int start, unsigned int count)
{
	int32_t fds[2] = { v->efd[start], v->efd[start + 1] };

	return vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, start,
				    count, fds, count * sizeof(fds[0]));
}

/* A loopback trigger of @count vectors from @start */
static int loopback(struct vdev *v, unsigned int start, unsigned int count)
{
	return vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, start,
				    count, NULL, 0);
}

static int vendor_ok(struct vdev *v)
{
	uint16_t vendor = 0;

	return !cfg_read(v, PCI_VENDOR_ID, &vendor, 2) && vendor == 0x8086;
}

/*
 * The guest's driver up to its first vector: memory and bus master on,
 * the device reset and enabled, WQ 0 enabled, the portals mapped; the
 * MSI-X index stays disabled.
 */
static int device_up(struct vdev *v)
{
	uint16_t command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	if (cfg_write(v, PCI_COMMAND, &command, 2))
		return -1;
	if (vdev_cmd(v, CMD_RESET_DEVICE, 0, 0))
		return -2;
	if (vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 0))
		return -3;
	if (vdev_cmd(v, CMD_ENABLE_WQ, 0, 0))
		return -4;
	if (vdev_map_portals(v))
		return -5;
	return 0;
}

static void eventfd_drain(int efd)
{
	uint64_t val;

	if (read(efd, &val, sizeof(val)) < 0 && errno != EAGAIN)
		perror("eventfd");
}

/*
 * Vector 0 fires for a command with int_req, here one that changes
 * nothing (REQUEST_INT_HANDLE of vector 0 is refused, and completes)
 */
static int vec0_works(struct vdev *v)
{
	int ok;

	eventfd_drain(v->efd[0]);
	vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 0, 1);
	ok = efd_wait(v->efd[0], 1, FIRE_MS) != 0;
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	return ok;
}

/* Vector 1 fires for a NOOP with its handle */
static int vec1_works(struct vdev *v)
{
	uint32_t sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);

	if (sts & 0xff)
		return 0;
	eventfd_drain(v->efd[1]);
	vdev_submit_noop(v, 0, sts >> 8);
	return efd_wait(v->efd[1], 1, FIRE_MS) != 0;
}

/* Open the vdev and bring it up as far as device_up() */
static int open_up(struct _test_data_fault *self)
{
	int rc = vdev_open(&self->v, self->uuid);

	if (rc)
		return rc;
	return device_up(&self->v) ? -EIO : 0;
}

/*
 * One path: @prep sets up what the injected call needs (no injection),
 * @call is the call with the fault armed and returns 0 or -errno, @ok
 * checks the state after the call succeeded, @err after it failed with
 * the errno given (each returns 0, or logs and returns -1), @done undoes
 * what is left for the next attempt.  Any may be NULL but @call.
 */
struct path {
	const char *name;
	int (*prep)(struct __test_metadata *_metadata, struct _test_data_fault *self);
	int (*call)(struct _test_data_fault *self);
	int (*ok)(struct __test_metadata *_metadata, struct _test_data_fault *self);
	int (*err)(struct __test_metadata *_metadata, struct _test_data_fault *self,
		   int rc);
	void (*done)(struct _test_data_fault *self);
};

/*
 * What an allocation failure may answer: -ENOSPC too, which the MSI core
 * gives for any failure in an IMS domain (msi_handle_pci_fail())
 */
static int errno_clean(int rc)
{
	return rc == -ENOMEM || rc == -ENOSPC;
}

static void walk_report(struct __test_metadata *_metadata, struct walk *w)
{
	char errs[512] = "";
	size_t len = 0;
	unsigned int e;

	for (e = 1; e < MAX_ERRNO; e++) {
		const char *name;

		if (!w->err[e] || len >= sizeof(errs))
			continue;
		name = strerrorname_np(e);
		len += snprintf(errs + len, sizeof(errs) - len, "%s%s x%u",
				len ? ", " : "", name ? name : "?", w->err[e]);
	}
	ksft_print_msg("%s: %u fault points%s: %u failed (%s), %u survived; %u bad, %u splats\n",
		       w->name, w->points, w->complete ? "" : " (stopped)",
		       w->failed, len ? errs : "-", w->points - w->failed,
		       w->bad, w->splats);
}

static void walk(struct __test_metadata *_metadata, struct _test_data_fault *self,
		 const struct path *p)
{
	const char *start = getenv("VDEV_FAULT_START");
	int trace = !!getenv("VDEV_FAULT_TRACE");
	struct walk w = { .name = p->name };
	char rec[2048];
	unsigned int nth;
	int rc, fired;

	kmsg_mark(p->name, 0);
	kmsg_splat(self->kmsg, rec, sizeof(rec));
	nth = start ? strtoul(start, NULL, 10) : 1;
	for (nth = nth ? nth : 1; nth <= MAX_NTH && w.bad < MAX_BAD; nth++) {
		if (p->prep && p->prep(_metadata, self)) {
			w.bad++;
			TH_LOG("%s: nth %u: setting up the call failed", p->name, nth);
			break;
		}
		if (trace)
			kmsg_mark(p->name, nth);
		ASSERT_EQ(0, fail_arm(self->fnth, nth));
		rc = p->call(self);
		fired = fail_disarm(self->fnth);
		ASSERT_LE(0, fired);

		if (!fired && rc) {
			w.bad++;
			TH_LOG("%s: fails (%s) with no fault injected", p->name,
			       strerror(-rc));
		} else if (rc) {
			w.failed++;
			if (-rc < MAX_ERRNO)
				w.err[-rc]++;
			if (!errno_clean(rc)) {
				w.bad++;
				TH_LOG("%s: nth %u: %s (%d), not an allocation failure's errno",
				       p->name, nth, strerror(-rc), rc);
			}
			if (p->err && p->err(_metadata, self, rc)) {
				w.bad++;
				TH_LOG("%s: nth %u: state not unwound after %s",
				       p->name, nth, strerror(-rc));
			}
		} else if (p->ok && p->ok(_metadata, self)) {
			w.bad++;
			TH_LOG("%s: nth %u: %s, but the state does not work",
			       p->name, nth, fired ? "survived the failure" :
			       "succeeded with no fault injected");
		}
		if (p->done)
			p->done(self);
		if (kmsg_splat(self->kmsg, rec, sizeof(rec)) &&
		    w.splats++ < MAX_BAD)
			TH_LOG("%s: nth %u: the kernel splats: %s", p->name, nth,
			       rec);
		if (!fired) {
			w.complete = 1;
			break;
		}
		w.points++;
	}
	walk_report(_metadata, &w);
	EXPECT_EQ(0, w.bad);
	EXPECT_EQ(0, w.splats);
	EXPECT_GE(MAX_NTH, nth) TH_LOG("%s: more than %u fault points", p->name,
				       MAX_NTH);
}

FIXTURE_SETUP(fault)
{
	int rc;

	memset(self, 0, sizeof(*self));
	self->fd = -1;
	self->fnth = -1;
	self->kmsg = -1;
	vdev_init(&self->v, "");
	debugfs_mount();
	self->fnth = fail_open();
	if (self->fnth < 0)
		SKIP(return, "no %s: the kernel lacks CONFIG_FAULT_INJECTION", FAIL_NTH);
	if (access(DEBUGFS "/failslab", F_OK) || access(DEBUGFS "/fail_page_alloc", F_OK))
		SKIP(return, "no failslab or fail_page_alloc in debugfs");
	ASSERT_EQ(0, vdev_host_setup(self->dsa, sizeof(self->dsa), self->bdf,
				     sizeof(self->bdf), 1, WQ_SIZE,
				     &self->setup));
	ASSERT_EQ(0, type_find(self->bdf, self->type, sizeof(self->type)));
	snprintf(self->create, sizeof(self->create),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/%s/create",
		 self->bdf, self->type);
	mdev_make_uuid(self->uuid, sizeof(self->uuid));
	ASSERT_EQ(0, knobs_set());
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	rc = memory_lock();
	ASSERT_EQ(0, rc) TH_LOG("mlockall: %s", strerror(-rc));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->fnth >= 0) {
		if (pwrite(self->fnth, "0", 1, 0) != 1)
			perror(FAIL_NTH);
		close(self->fnth);
	}
	knobs_restore();
	if (self->fd >= 0)
		close(self->fd);
	vdev_close(&self->v);
	if (self->created || (self->uuid[0] && !mdev_gone(self)))
		vdev_remove(self->uuid);
	if (self->kmsg >= 0)
		close(self->kmsg);
	if (self->setup) {
		int rc = dsa_teardown(self->dsa, 1);

		EXPECT_EQ(0, rc) TH_LOG("tearing %s down: %s", self->dsa,
					strerror(-rc));
	}
}

/* A vdev to work with, created without injection */
static int vdev_made(struct _test_data_fault *self)
{
	int rc = sysfs_write(self->create, self->uuid);

	if (rc)
		return rc;
	self->created = 1;
	return cdev_find(self);
}

/* 1. create: the mdev core, the probe, the VFIO device's registration */

static int create_call(struct _test_data_fault *self)
{
	size_t len = strlen(self->uuid);

	return pwrite(self->fd, self->uuid, len, 0) == (ssize_t)len ? 0 : -errno;
}

/*
 * The device node udev would make from the uevent: devtmpfs's own is
 * best effort (device_add() ignores its failure) and this rig has no udev
 */
static int cdev_mknod(struct _test_data_fault *self)
{
	char path[PATH_MAX], buf[32];
	const char *name = strrchr(self->cdev, '/') + 1;
	unsigned int major, minor;

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vfio-dev/%s/dev",
		 self->uuid, name);
	if (sysfs_read(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%u:%u", &major, &minor) != 2)
		return -1;
	/* devtmpfs took the directories away with the last node in them */
	mkdir("/dev/vfio", 0755);
	mkdir("/dev/vfio/devices", 0755);
	return mknod(self->cdev, S_IFCHR | 0600, makedev(major, minor));
}

static void cdev_unlink(struct _test_data_fault *self)
{
	unlink(self->cdev);
	rmdir("/dev/vfio/devices");
	rmdir("/dev/vfio");
}

static int create_ok(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	int rc = 0, made = 0;

	if (mdev_gone(self)) {
		TH_LOG("create: no mdev device after a successful create");
		return -1;
	}
	if (cdev_find(self)) {
		TH_LOG("create: the vdev created has no vfio-dev in sysfs");
		rc = -1;
	} else if (access(self->cdev, F_OK) && !cdev_mknod(self)) {
		made = 1;
	}
	if (!rc) {
		rc = vdev_open(&self->v, self->uuid);
		if (rc || !vendor_ok(&self->v))
			TH_LOG("create: the vdev created does not open: %s",
			       rc ? strerror(-rc) : "config space");
		rc = rc || !vendor_ok(&self->v) ? -1 : 0;
	}
	vdev_close(&self->v);
	if (made)
		cdev_unlink(self);
	if (vdev_remove(self->uuid) || !mdev_gone(self)) {
		TH_LOG("create: the vdev created is not removed");
		return -1;
	}
	if (avail_read(self) != self->avail) {
		TH_LOG("create: %d instances available after the remove, %d before",
		       avail_read(self), self->avail);
		rc = -1;
	}
	return rc;
}

static int create_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	int rc = 0;

	if (!mdev_gone(self)) {
		TH_LOG("create: the mdev device %s stays after the failure",
		       self->uuid);
		vdev_remove(self->uuid);
		rc = -1;
	}
	if (avail_read(self) != self->avail) {
		TH_LOG("create: %d instances available after the failure, %d before",
		       avail_read(self), self->avail);
		rc = -1;
	}
	return rc;
}

TEST_F_TIMEOUT(fault, create, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "create", .call = create_call, .ok = create_ok,
		.err = create_err,
	};

	self->avail = avail_read(self);
	ASSERT_LT(0, self->avail);
	self->fd = open(self->create, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	walk(_metadata, self, &p);
	/* Made and removed every time, with the same UUID */
	ASSERT_EQ(0, vdev_made(self));
	ASSERT_EQ(0, vdev_open(&self->v, self->uuid));
	EXPECT_TRUE(vendor_ok(&self->v));
}

/* 2. open: the cdev, the bind with the first open, BAR2's region info */

static int cdev_call(struct _test_data_fault *self)
{
	self->fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	return self->fd < 0 ? -errno : 0;
}

static int cdev_ok(struct __test_metadata *_metadata, struct _test_data_fault *self)
{
	struct vdev *v = &self->v;

	vdev_init(v, self->uuid);
	v->device = self->fd;
	self->fd = -1;
	v->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (v->iommufd < 0 || bind_iommufd(v->device, v->iommufd) ||
	    vdev_open_fd(v, v->device) || !vendor_ok(v)) {
		TH_LOG("open cdev: the device file opened does not bind");
		return -1;
	}
	return 0;
}

static int cdev_err(struct __test_metadata *_metadata,
		    struct _test_data_fault *self, int err)
{
	if (vdev_open(&self->v, self->uuid) || !vendor_ok(&self->v)) {
		TH_LOG("open cdev: the vdev does not open after the failure");
		return -1;
	}
	return 0;
}

static void open_done(struct _test_data_fault *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	vdev_close(&self->v);
}

static int bind_prep(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	struct vdev *v = &self->v;

	vdev_init(v, self->uuid);
	v->device = open(self->cdev, O_RDWR | O_CLOEXEC);
	v->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	return v->device < 0 || v->iommufd < 0 ? -1 : 0;
}

static int bind_call(struct _test_data_fault *self)
{
	return bind_iommufd(self->v.device, self->v.iommufd);
}

static int bind_ok(struct __test_metadata *_metadata, struct _test_data_fault *self)
{
	if (vdev_open_fd(&self->v, self->v.device) || !vendor_ok(&self->v)) {
		TH_LOG("open bind: the vdev bound does not work");
		return -1;
	}
	return 0;
}

/* The same device file binds once nothing is injected */
static int bind_err(struct __test_metadata *_metadata,
		    struct _test_data_fault *self, int err)
{
	int rc = bind_iommufd(self->v.device, self->v.iommufd);

	if (rc) {
		TH_LOG("open bind: binding again after the failure: %s",
		       strerror(-rc));
		return -1;
	}
	return bind_ok(_metadata, self);
}

static int info_call(struct _test_data_fault *self)
{
	return bar2_info(&self->v);
}

static int info_err(struct __test_metadata *_metadata,
		    struct _test_data_fault *self, int err)
{
	int rc = bar2_info(&self->v);

	if (rc) {
		TH_LOG("open region info: again after the failure: %s",
		       strerror(-rc));
		return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(fault, open, PATH_TIMEOUT)
{
	const struct path cdev = {
		.name = "open: cdev", .call = cdev_call, .ok = cdev_ok,
		.err = cdev_err, .done = open_done,
	};
	const struct path bind = {
		.name = "open: BIND_IOMMUFD", .prep = bind_prep,
		.call = bind_call, .ok = bind_ok, .err = bind_err,
		.done = open_done,
	};
	const struct path info = {
		.name = "open: BAR2 region info", .call = info_call,
		.err = info_err,
	};

	ASSERT_EQ(0, vdev_made(self));
	walk(_metadata, self, &cdev);
	walk(_metadata, self, &bind);
	ASSERT_EQ(0, vdev_open(&self->v, self->uuid));
	walk(_metadata, self, &info);
}

/* 3. PASID attach: the auto domain of an IOAS with a page mapped */

static int attach_call(struct _test_data_fault *self)
{
	return vdev_attach_pt(&self->v, self->ioas);
}

static int attach_ok(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	int rc = vdev_detach_pt(&self->v);

	if (rc) {
		TH_LOG("attach: detaching the PASID attached: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* The PASID attaches once nothing is injected */
static int attach_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	int rc = vdev_attach_pt(&self->v, self->ioas);

	if (rc) {
		TH_LOG("attach: attaching again after the failure: %s",
		       strerror(-rc));
		return -1;
	}
	return attach_ok(_metadata, self);
}

TEST_F_TIMEOUT(fault, pasid_attach, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "PASID attach", .call = attach_call, .ok = attach_ok,
		.err = attach_err,
	};

	ASSERT_EQ(0, vdev_made(self));
	ASSERT_EQ(0, vdev_open(&self->v, self->uuid));
	ASSERT_EQ(0, vdev_ioas_alloc(self->v.iommufd, &self->ioas));
	ASSERT_EQ(0, vdev_ioas_map(self->v.iommufd, self->ioas, self->page,
				   PAGE, IOVA));
	walk(_metadata, self, &p);
}

/*
 * 4. SET_IRQS: MSI-X enabled with vectors 0 and 1 (an IMS entry
 * allocated and requested for vector 1), and vector 1 added to an index
 * enabled with vector 0 alone.  Each attempt starts from a fresh open:
 * vector 1's IMS entry stays allocated until the close.
 */

static int irq_prep(struct __test_metadata *_metadata,
		    struct _test_data_fault *self)
{
	int rc = open_up(self);

	if (rc)
		TH_LOG("SET_IRQS: bringing the vdev up: %d", rc);
	return rc;
}

static int enable_call(struct _test_data_fault *self)
{
	return set_vectors(&self->v, 0, 2);
}

static int vectors_work(struct __test_metadata *_metadata,
			struct _test_data_fault *self)
{
	int rc = 0;

	if (!vec0_works(&self->v)) {
		TH_LOG("SET_IRQS: vector 0 does not fire");
		rc = -1;
	}
	if (!vec1_works(&self->v)) {
		TH_LOG("SET_IRQS: vector 1 does not fire");
		rc = -1;
	}
	return rc;
}

/* The index stays disabled, and enables once nothing is injected */
static int enable_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	int rc = loopback(&self->v, 0, 1);

	if (rc != -EINVAL) {
		TH_LOG("SET_IRQS enable: index not disabled after the failure: loopback %d",
		       rc);
		return -1;
	}
	rc = set_vectors(&self->v, 0, 2);
	if (rc) {
		TH_LOG("SET_IRQS enable: enabling again after the failure: %s",
		       strerror(-rc));
		return -1;
	}
	return vectors_work(_metadata, self);
}

static void irq_done(struct _test_data_fault *self)
{
	vdev_close(&self->v);
}

static int add_prep(struct __test_metadata *_metadata,
		    struct _test_data_fault *self)
{
	int rc = irq_prep(_metadata, self);

	if (!rc)
		rc = set_vectors(&self->v, 0, 1);
	if (rc)
		TH_LOG("SET_IRQS add: enabling vector 0: %d", rc);
	return rc;
}

static int add_call(struct _test_data_fault *self)
{
	return set_vectors(&self->v, 1, 1);
}

/*
 * Vector 0 goes on firing, vector 1 has no eventfd, and it gets one once
 * nothing is injected
 */
static int add_err(struct __test_metadata *_metadata,
		   struct _test_data_fault *self, int err)
{
	int rc = 0;

	if (!vec0_works(&self->v)) {
		TH_LOG("SET_IRQS add: vector 0 does not fire after the failure");
		rc = -1;
	}
	eventfd_drain(self->v.efd[1]);
	if (loopback(&self->v, 1, 1) || efd_wait(self->v.efd[1], 1, 0)) {
		TH_LOG("SET_IRQS add: vector 1 is in use after the failure");
		rc = -1;
	}
	if (set_vectors(&self->v, 1, 1)) {
		TH_LOG("SET_IRQS add: adding vector 1 again after the failure: %s",
		       strerror(errno));
		return -1;
	}
	if (!vec1_works(&self->v)) {
		TH_LOG("SET_IRQS add: vector 1 does not fire");
		rc = -1;
	}
	return rc;
}

TEST_F_TIMEOUT(fault, set_irqs, PATH_TIMEOUT)
{
	const struct path enable = {
		.name = "SET_IRQS: enable vectors 0 and 1", .prep = irq_prep,
		.call = enable_call, .ok = vectors_work, .err = enable_err,
		.done = irq_done,
	};
	const struct path add = {
		.name = "SET_IRQS: add vector 1", .prep = add_prep,
		.call = add_call, .ok = vectors_work, .err = add_err,
		.done = irq_done,
	};

	ASSERT_EQ(0, vdev_made(self));
	walk(_metadata, self, &enable);
	walk(_metadata, self, &add);
}

/* 5. REQUEST_INT_HANDLE of vector 1, through the BAR0 region write */

static int handle_prep(struct __test_metadata *_metadata,
		       struct _test_data_fault *self)
{
	int rc = irq_prep(_metadata, self);

	if (!rc)
		rc = set_vectors(&self->v, 0, 2);
	if (rc)
		TH_LOG("REQUEST_INT_HANDLE: enabling vectors 0 and 1: %d", rc);
	return rc;
}

static int handle_call(struct _test_data_fault *self)
{
	return reg_write32(&self->v, REG_CMD, CMD_REQUEST_INT_HANDLE << 20 | 1);
}

static int handle_ok(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	uint32_t sts = reg_read32(&self->v, REG_CMDSTS);

	if (sts & 0xff) {
		TH_LOG("REQUEST_INT_HANDLE: CMDSTS %#x", sts);
		return -1;
	}
	eventfd_drain(self->v.efd[1]);
	vdev_submit_noop(&self->v, 0, sts >> 8);
	if (!efd_wait(self->v.efd[1], 1, FIRE_MS)) {
		TH_LOG("REQUEST_INT_HANDLE: vector 1 does not fire for handle %#x",
		       sts >> 8);
		return -1;
	}
	return 0;
}

static int handle_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	if (!vec1_works(&self->v)) {
		TH_LOG("REQUEST_INT_HANDLE: no working handle after the failure");
		return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(fault, request_int_handle, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "REQUEST_INT_HANDLE", .prep = handle_prep,
		.call = handle_call, .ok = handle_ok, .err = handle_err,
		.done = irq_done,
	};

	ASSERT_EQ(0, vdev_made(self));
	walk(_metadata, self, &p);
}

/*
 * Leaks since the program started (kmemleak_clear()): two scans apart,
 * as kmemleak reports only objects older than 5 s.  A leak whose
 * backtrace names the idxd vdev driver, VFIO, iommufd or idxd fails.
 */
static int leak_ours(const char *block)
{
	static const char * const ours[] = { "idxd", "vfio", "iommufd", NULL };
	int i;

	for (i = 0; ours[i]; i++)
		if (strstr(block, ours[i]))
			return 1;
	return 0;
}

static char *file_slurp(const char *path)
{
	size_t len = 0, size = 1 << 16;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (len + 1 == size) {
			char *more = realloc(buf, size * 2);

			if (!more)
				break;
			buf = more;
			size *= 2;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

FIXTURE(leaks) {
};

FIXTURE_SETUP(leaks)
{
}

FIXTURE_TEARDOWN(leaks)
{
}

TEST_F_TIMEOUT(leaks, kmemleak, PATH_TIMEOUT)
{
	const char *mark = "unreferenced object";
	unsigned int ours = 0, others = 0;
	char *report, *block, *next;

	debugfs_mount();
	if (access(KMEMLEAK, W_OK))
		SKIP(return, "no kmemleak");
	ASSERT_EQ(0, sysfs_write(KMEMLEAK, "scan"));
	sleep(6);
	ASSERT_EQ(0, sysfs_write(KMEMLEAK, "scan"));
	report = file_slurp(KMEMLEAK);
	ASSERT_NE(NULL, report);
	for (block = strstr(report, mark); block; block = next) {
		next = strstr(block + 1, mark);
		if (next)
			next[-1] = 0;
		if (leak_ours(block)) {
			ours++;
			TH_LOG("leak:\n%s", block);
		} else {
			others++;
		}
	}
	if (others)
		ksft_print_msg("%u leaks elsewhere in the kernel\n", others);
	free(report);
	EXPECT_EQ(0, ours);
}

TEST_HARNESS_MAIN
