// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_fault - the idxd vdev driver under systematic allocation failures.
 *
 * failslab and fail_page_alloc, driven by /proc/thread-self/fail-nth,
 * fail the 1st fault-injectable call of the task inside one path of the
 * driver, then the 2nd, and so on until the path runs through without a
 * fault injected.  Each injected failure must end in a clean negative
 * errno with the state fully unwound and the vdev as usable as before, or
 * in a success whose state works; nothing may splat (a kernel log record
 * that matches a pattern of the file $KSFT_SPLAT_FILE names; without it
 * every test fails).  A walk that injected at no point fails: it tested
 * nothing (walk_rules checks that rule on calls of its own).  The paths,
 * one test each: creating a vdev through mdev sysfs (its probe runs in
 * the writing task), opening it (the VFIO cdev, VFIO_DEVICE_BIND_IOMMUFD
 * with the first open, the BAR2 region info), attaching its PASID to an
 * IOAS, SET_IRQS enabling vectors 0 and 1 and adding vector 1 to an
 * enabled index, REQUEST_INT_HANDLE as the guest asks (vector 1's
 * eventfd, then the command), binding a WQ to idxd_vdev (the DSA's mdev
 * parent with it), mapping BAR2's portals, VFIO_DEVICE_RESET with the
 * vectors enabled again after it, closing a vdev in use, removing a vdev,
 * and a function level reset of the DSA under a vdev in use.  The last
 * test asks kmemleak for what leaked since the program started.
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
	void *resv;		/* mmap: BAR2's reservation */
	const char *what;	/* the path, in messages */
	uint32_t sts;		/* CMDSTS of the walked command */
	uint16_t handle;	/* vector 1's handle before the call */
	int revokes;		/* FLR: the DSA revokes handles */
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
 * the device reset and enabled, WQ 0 enabled; the MSI-X index stays as
 * it is.
 */
static int device_enable(struct vdev *v)
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
	return 0;
}

/* device_enable(), and the portals mapped */
static int device_up(struct vdev *v)
{
	int rc = device_enable(v);

	if (rc)
		return rc;
	return vdev_map_portals(v) ? -5 : 0;
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

/*
 * Walk @p's fault points into @w: the 1st fault-injectable call of the
 * path fails, then the 2nd, and so on until the path goes through with
 * no fault injected (@w->complete), MAX_NTH points or MAX_BAD broken
 * rules.  Splats since the last walk count as this walk's.
 */
static void walk_run(struct __test_metadata *_metadata,
		     struct _test_data_fault *self, const struct path *p,
		     struct walk *w)
{
	const char *start = getenv("VDEV_FAULT_START");
	int trace = !!getenv("VDEV_FAULT_TRACE");
	char rec[2048];
	unsigned int nth;
	int rc, fired;

	memset(w, 0, sizeof(*w));
	w->name = p->name;
	if (kmsg_splat(self->kmsg, rec, sizeof(rec))) {
		w->splats++;
		TH_LOG("%s: the kernel splatted before the walk: %s", p->name, rec);
	}
	kmsg_mark(p->name, 0);
	nth = start ? strtoul(start, NULL, 10) : 1;
	for (nth = nth ? nth : 1; nth <= MAX_NTH && w->bad < MAX_BAD; nth++) {
		if (p->prep && p->prep(_metadata, self)) {
			w->bad++;
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
			w->bad++;
			TH_LOG("%s: fails (%s) with no fault injected", p->name,
			       strerror(-rc));
		} else if (rc) {
			w->failed++;
			if (-rc < MAX_ERRNO)
				w->err[-rc]++;
			if (!errno_clean(rc)) {
				w->bad++;
				TH_LOG("%s: nth %u: %s (%d), not an allocation failure's errno",
				       p->name, nth, strerror(-rc), rc);
			}
			if (p->err && p->err(_metadata, self, rc)) {
				w->bad++;
				TH_LOG("%s: nth %u: state not unwound after %s",
				       p->name, nth, strerror(-rc));
			}
		} else if (p->ok && p->ok(_metadata, self)) {
			w->bad++;
			TH_LOG("%s: nth %u: %s, but the state does not work",
			       p->name, nth, fired ? "survived the failure" :
			       "succeeded with no fault injected");
		}
		if (p->done)
			p->done(self);
		if (kmsg_splat(self->kmsg, rec, sizeof(rec)) &&
		    w->splats++ < MAX_BAD)
			TH_LOG("%s: nth %u: the kernel splats: %s", p->name, nth,
			       rec);
		if (!fired) {
			w->complete = 1;
			break;
		}
		w->points++;
	}
	walk_report(_metadata, w);
}

/*
 * The rules a walk broke, 0 if none: an injection that broke a rule, a
 * splat, a walk that did not end with the path going through, and a walk
 * that injected nothing, which tested nothing.
 */
static unsigned int walk_broken(const struct walk *w)
{
	return !!w->bad + !!w->splats + !w->complete + !w->points;
}

static void walk(struct __test_metadata *_metadata, struct _test_data_fault *self,
		 const struct path *p)
{
	struct walk w;

	walk_run(_metadata, self, p, &w);
	EXPECT_EQ(0, w.bad);
	EXPECT_EQ(0, w.splats);
	EXPECT_TRUE(w.complete)
		TH_LOG("%s: stopped before the path went through", p->name);
	EXPECT_LT(0, w.points)
		TH_LOG("%s: no fault point: nothing injected, nothing tested",
		       p->name);
	EXPECT_EQ(0, walk_broken(&w));
}

FIXTURE_SETUP(fault)
{
	int rc;

	memset(self, 0, sizeof(*self));
	self->fd = -1;
	self->fnth = -1;
	self->kmsg = -1;
	self->resv = MAP_FAILED;
	vdev_init(&self->v, "");
	ASSERT_EQ(0, splat_load())
		TH_LOG("no kernel log patterns: the kernel log cannot be judged");
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

/*
 * 5. REQUEST_INT_HANDLE of vector 1 as the guest's idxd asks for it: its
 * request_irq() has the VMM give the vector its eventfd (SET_IRQS on the
 * index enabled with vector 0 alone, which allocates the vector's host
 * IMS entry and gets the entry's host handle), then the command, with
 * int_req as idxd_cmd_exec() issues it.  The handle it returns is the
 * IMS entry's, which comes with SET_IRQS; the command allocates the entry
 * itself only if SET_IRQS failed to.  After a failure the command answers
 * NO_HANDLE, or the handle of an entry the failed call kept or the command
 * allocated, which must be the handle the guest gets once the vector has
 * its eventfd.
 */

static int handle_call(struct _test_data_fault *self)
{
	int rc = set_vectors(&self->v, 1, 1);

	self->sts = vdev_cmd(&self->v, CMD_REQUEST_INT_HANDLE, 1, 1);
	return rc;
}

/* Vector 0 fired once for the command's int_req */
static int handle_cmd_irq(struct __test_metadata *_metadata,
			  struct _test_data_fault *self)
{
	uint64_t n = efd_wait(self->v.efd[0], 1, FIRE_MS);

	reg_write32(&self->v, REG_INTCAUSE, INTC_CMD);
	if (n != 1) {
		TH_LOG("REQUEST_INT_HANDLE: vector 0 fired %llu times for int_req, not once",
		       (unsigned long long)n);
		return -1;
	}
	return 0;
}

/* A NOOP with @handle fires vector 1 */
static int handle_fires(struct __test_metadata *_metadata,
			struct _test_data_fault *self, uint16_t handle)
{
	eventfd_drain(self->v.efd[1]);
	vdev_submit_noop(&self->v, 0, handle);
	if (!efd_wait(self->v.efd[1], 1, FIRE_MS)) {
		TH_LOG("%s: vector 1 does not fire for handle %#x",
		       self->what, handle);
		return -1;
	}
	return 0;
}

static int handle_ok(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	int rc = handle_cmd_irq(_metadata, self);

	if (self->sts & 0xff) {
		TH_LOG("REQUEST_INT_HANDLE: CMDSTS %#x", self->sts);
		return -1;
	}
	return handle_fires(_metadata, self, self->sts >> 8) || rc ? -1 : 0;
}

static int handle_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	uint32_t sts = self->sts, again;
	int rc = handle_cmd_irq(_metadata, self);

	if ((sts & 0xff) && (sts & 0xff) != ERR_NO_HANDLE) {
		TH_LOG("REQUEST_INT_HANDLE: CMDSTS %#x after the failure",
		       sts);
		rc = -1;
	}
	eventfd_drain(self->v.efd[1]);
	if (loopback(&self->v, 1, 1) || efd_wait(self->v.efd[1], 1, 0)) {
		TH_LOG("REQUEST_INT_HANDLE: vector 1 is in use after the failure");
		rc = -1;
	}
	if (set_vectors(&self->v, 1, 1)) {
		TH_LOG("REQUEST_INT_HANDLE: adding vector 1 again after the failure: %s",
		       strerror(errno));
		return -1;
	}
	again = vdev_cmd(&self->v, CMD_REQUEST_INT_HANDLE, 1, 0);
	if (again & 0xff) {
		TH_LOG("REQUEST_INT_HANDLE: CMDSTS %#x once vector 1 has its eventfd",
		       again);
		return -1;
	}
	if (!(sts & 0xff) && sts >> 8 != again >> 8) {
		TH_LOG("REQUEST_INT_HANDLE: handle %#x during the failure, %#x after",
		       sts >> 8, again >> 8);
		rc = -1;
	}
	return handle_fires(_metadata, self, again >> 8) || rc ? -1 : 0;
}

TEST_F_TIMEOUT(fault, request_int_handle, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "REQUEST_INT_HANDLE: vector 1's eventfd, then the command",
		.prep = add_prep, .call = handle_call, .ok = handle_ok,
		.err = handle_err, .done = irq_done,
	};

	self->what = "REQUEST_INT_HANDLE";
	ASSERT_EQ(0, vdev_made(self));
	walk(_metadata, self, &p);
}

/*
 * The walk's own rules, on calls that are not the driver's: a call with
 * no fault point fails its walk (it tested nothing), and one with fault
 * points passes.
 */

static int nothing_call(struct _test_data_fault *self)
{
	return getppid() > 0 ? 0 : -EIO;
}

static int devnull_call(struct _test_data_fault *self)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(fault, walk_rules, PATH_TIMEOUT)
{
	const struct path none = {
		.name = "rules: getppid(), no fault point", .call = nothing_call,
	};
	const struct path some = {
		.name = "rules: open() of /dev/null", .call = devnull_call,
	};
	struct walk w;

	walk_run(_metadata, self, &none, &w);
	EXPECT_TRUE(w.complete);
	EXPECT_EQ(0, w.points);
	EXPECT_NE(0, walk_broken(&w)) TH_LOG("a walk that injected nothing passed");
	walk(_metadata, self, &some);
}

/* Whether @file has a line with @a and @b */
static int file_has(const char *file, const char *a, const char *b)
{
	char line[512];
	int found = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) && strstr(line, b);
	fclose(f);
	return found;
}

/* A vdev made, opened, brought up and firing both vectors, then gone */
static int vdev_cycle(struct __test_metadata *_metadata,
		      struct _test_data_fault *self)
{
	int rc;

	rc = vdev_made(self);
	if (!rc)
		rc = open_up(self);
	if (!rc)
		rc = set_vectors(&self->v, 0, 2);
	if (!rc && (!vec0_works(&self->v) || !vec1_works(&self->v)))
		rc = -EIO;
	if (rc)
		TH_LOG("%s: a new vdev does not work: %s", self->what,
		       strerror(-rc));
	vdev_close(&self->v);
	if (self->created && vdev_remove(self->uuid)) {
		TH_LOG("%s: the new vdev is not removed", self->what);
		rc = -EIO;
	}
	self->created = 0;
	return rc;
}

/*
 * 6. bind: WQ 0 bound to idxd_vdev through the driver's bind file.  The
 * WQ driver's probe enables the WQ and adds it to the DSA's pool, which,
 * its first WQ, registers the DSA's mdev parent.  After a failure the WQ
 * is not bound and the DSA has no mdev types; once bound, a vdev works.
 */

static void wq_name(struct _test_data_fault *self, char *buf, size_t len)
{
	snprintf(buf, len, "wq%s.0", self->dsa + 3);
}

static int wq_bound(struct _test_data_fault *self)
{
	char path[PATH_MAX], wq[32];

	wq_name(self, wq, sizeof(wq));
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/driver", wq);
	return !access(path, F_OK);
}

static int parent_gone(struct _test_data_fault *self)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/mdev_supported_types",
		 self->bdf);
	return access(path, F_OK) != 0;
}

/* Unbinding took the WQ's configuration, but for its size */
static int wq_bind_prep(struct __test_metadata *_metadata,
			struct _test_data_fault *self)
{
	if (dsa_config_wq(self->dsa, 0, 0)) {
		TH_LOG("bind: configuring the WQ");
		return -1;
	}
	self->fd = open(DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind",
			O_WRONLY | O_CLOEXEC);
	return self->fd < 0 ? -1 : 0;
}

static int wq_bind_call(struct _test_data_fault *self)
{
	char wq[32];
	size_t len;

	wq_name(self, wq, sizeof(wq));
	len = strlen(wq);
	return pwrite(self->fd, wq, len, 0) == (ssize_t)len ? 0 : -errno;
}

static int wq_bind_ok(struct __test_metadata *_metadata,
		      struct _test_data_fault *self)
{
	int avail = avail_read(self);

	if (!wq_bound(self)) {
		TH_LOG("bind: the WQ is not bound after a successful bind");
		return -1;
	}
	if (avail != 1) {
		TH_LOG("bind: %d instances available, not 1", avail);
		return -1;
	}
	return vdev_cycle(_metadata, self);
}

static int wq_bind_err(struct __test_metadata *_metadata,
		       struct _test_data_fault *self, int err)
{
	int rc = 0;

	if (wq_bound(self)) {
		TH_LOG("bind: the WQ is bound after the failure");
		rc = -1;
	}
	if (!parent_gone(self)) {
		TH_LOG("bind: the DSA has mdev types after the failure");
		rc = -1;
	}
	if (dsa_config_wq(self->dsa, 0, 0) || wq_bind_call(self)) {
		TH_LOG("bind: binding again after the failure: %s", strerror(errno));
		return -1;
	}
	return wq_bind_ok(_metadata, self) || rc ? -1 : 0;
}

static void wq_bind_done(struct _test_data_fault *self)
{
	char wq[32];

	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	wq_name(self, wq, sizeof(wq));
	if (wq_bound(self))
		sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq);
}

TEST_F_TIMEOUT(fault, wq_bind, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "bind: a WQ to idxd_vdev, the DSA's mdev parent",
		.prep = wq_bind_prep, .call = wq_bind_call, .ok = wq_bind_ok,
		.err = wq_bind_err, .done = wq_bind_done,
	};
	char wq[32];

	self->what = "bind";
	wq_name(self, wq, sizeof(wq));
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq));
	ASSERT_TRUE(parent_gone(self));
	walk(_metadata, self, &p);
}

/*
 * The guest's driver up to its first vector, its portals not mapped, then
 * vectors 0 and 1 with their eventfds and vector 1's handle
 */
static int vdev_in_use(struct __test_metadata *_metadata,
		       struct _test_data_fault *self, int map)
{
	uint32_t sts;
	int rc;

	rc = vdev_open(&self->v, self->uuid);
	if (!rc)
		rc = device_enable(&self->v) ? -EIO : 0;
	if (!rc && map)
		rc = vdev_map_portals(&self->v);
	if (!rc)
		rc = set_vectors(&self->v, 0, 2);
	if (rc) {
		TH_LOG("%s: bringing the vdev up: %s", self->what, strerror(-rc));
		return rc;
	}
	sts = vdev_cmd(&self->v, CMD_REQUEST_INT_HANDLE, 1, 0);
	if (sts & 0xff) {
		TH_LOG("%s: REQUEST_INT_HANDLE: CMDSTS %#x", self->what, sts);
		return -EIO;
	}
	self->handle = sts >> 8;
	return 0;
}

/*
 * 7. mmap: BAR2's portals mapped as QEMU maps them (vdev_map_portals()),
 * into a reservation made beforehand, on a vdev in use.  After a failure
 * nothing is left mapped that fires; once mapped, a NOOP through the
 * portal fires vector 1.
 */

static int mmap_prep(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	self->resv = mmap(NULL, self->v.bar2_size, PROT_NONE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return self->resv == MAP_FAILED ? -1 : 0;
}

static int mmap_call(struct _test_data_fault *self)
{
	struct vdev *v = &self->v;
	unsigned int i;

	for (i = 0; i < v->nareas; i++)
		if (mmap((char *)self->resv + v->area[i].offset,
			 v->area[i].size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, v->device,
			 v->bar2 + v->area[i].offset) == MAP_FAILED)
			return -errno;
	v->portals = self->resv;
	return 0;
}

static int mmap_ok(struct __test_metadata *_metadata,
		   struct _test_data_fault *self)
{
	return handle_fires(_metadata, self, self->handle);
}

/* Whether this process maps a VFIO device file */
static int vfio_mapped(void)
{
	return file_has("/proc/self/maps", "/dev/vfio/", "/dev/vfio/");
}

static int mmap_err(struct __test_metadata *_metadata,
		    struct _test_data_fault *self, int err)
{
	int rc;

	if (vfio_mapped()) {
		TH_LOG("mmap: a portal is mapped after the failure");
		return -1;
	}
	rc = mmap_call(self);
	if (rc) {
		TH_LOG("mmap: mapping again after the failure: %s", strerror(-rc));
		return -1;
	}
	return mmap_ok(_metadata, self);
}

static void mmap_done(struct _test_data_fault *self)
{
	if (self->resv != MAP_FAILED)
		munmap(self->resv, self->v.bar2_size);
	self->resv = MAP_FAILED;
	self->v.portals = NULL;
}

TEST_F_TIMEOUT(fault, mmap, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "mmap: BAR2's portals", .prep = mmap_prep,
		.call = mmap_call, .ok = mmap_ok, .err = mmap_err,
		.done = mmap_done,
	};

	self->what = "mmap";
	ASSERT_EQ(0, vdev_made(self));
	ASSERT_EQ(0, vdev_in_use(_metadata, self, 0));
	ASSERT_LT(0, self->v.nareas);
	walk(_metadata, self, &p);
}

/*
 * 8. reset: VFIO_DEVICE_RESET as QEMU issues it at a system reset
 * (vfio_pci_pre_reset() disables the MSI-X index first), then the
 * guest's driver enabling vectors 0 and 1 again.  The reset itself
 * allocates nothing (it resets the emulated device and drains the host
 * WQs); the vectors' interrupts are requested again on the IMS entry kept
 * since the open, so the guest's handle stays and the entry is not
 * allocated again.
 */

static int reset_call(struct _test_data_fault *self)
{
	int rc = vdev_disable_msix(&self->v);

	if (!rc && ioctl(self->v.device, VFIO_DEVICE_RESET))
		rc = -errno;
	if (!rc)
		rc = set_vectors(&self->v, 0, 2);
	return rc;
}

static int reset_ok(struct __test_metadata *_metadata,
		    struct _test_data_fault *self)
{
	long allocs = vdev_irq_stat(self->uuid, "vector 1: ims_allocs");
	uint32_t sts;
	int rc = 0;

	if (allocs != 1) {
		TH_LOG("reset: vector 1's IMS entry allocated %ld times since the open, not once",
		       allocs);
		rc = -1;
	}
	if (device_enable(&self->v)) {
		TH_LOG("reset: the guest's driver cannot enable the vdev again");
		return -1;
	}
	if (!vec0_works(&self->v)) {
		TH_LOG("reset: vector 0 does not fire");
		rc = -1;
	}
	sts = vdev_cmd(&self->v, CMD_REQUEST_INT_HANDLE, 1, 0);
	if ((sts & 0xff) || sts >> 8 != self->handle) {
		TH_LOG("reset: REQUEST_INT_HANDLE: CMDSTS %#x, the handle was %#x",
		       sts, self->handle);
		return -1;
	}
	return handle_fires(_metadata, self, self->handle) || rc ? -1 : 0;
}

static int reset_err(struct __test_metadata *_metadata,
		     struct _test_data_fault *self, int err)
{
	int rc = set_vectors(&self->v, 0, 2);

	if (rc) {
		TH_LOG("reset: enabling vectors 0 and 1 again after the failure: %s",
		       strerror(-rc));
		return -1;
	}
	return reset_ok(_metadata, self);
}

TEST_F_TIMEOUT(fault, reset, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "reset: VFIO_DEVICE_RESET and the vectors after it",
		.call = reset_call, .ok = reset_ok, .err = reset_err,
	};

	self->what = "reset";
	ASSERT_EQ(0, vdev_made(self));
	ASSERT_EQ(0, vdev_in_use(_metadata, self, 1));
	walk(_metadata, self, &p);
}

/*
 * 9. close: the VMM lets go of a vdev in use, as when it exits: the
 * device file and the iommufd closed with vectors 0 and 1 in use, a
 * handle granted, the PASID attached to an IOAS with a page mapped (the
 * portals are not mapped: the VMM's exit unmaps them before, and a
 * munmap() could fail on its own).  The
 * close frees the vectors' IMS entries and interrupts, resets the vdev,
 * detaches and unbinds the PASID; the IOAS goes with the iommufd.  Then
 * the vdev has no IMS entry and no interrupt left, and opens and works.
 */

static int close_prep(struct __test_metadata *_metadata,
		      struct _test_data_fault *self)
{
	/* No portal mapped: a failed munmap would be the test's own */
	int rc = vdev_in_use(_metadata, self, 0);

	if (!rc)
		rc = vdev_ioas_alloc(self->v.iommufd, &self->ioas);
	if (!rc)
		rc = vdev_ioas_map(self->v.iommufd, self->ioas, self->page,
				   PAGE, IOVA);
	if (!rc)
		rc = vdev_attach_pt(&self->v, self->ioas);
	if (rc)
		TH_LOG("close: setting up the vdev: %s", strerror(-rc));
	return rc;
}

static int close_call(struct _test_data_fault *self)
{
	vdev_close(&self->v);
	return 0;
}

static int close_ok(struct __test_metadata *_metadata,
		    struct _test_data_fault *self)
{
	char irqs[PATH_MAX], name[64];
	int rc = 0;

	snprintf(irqs, sizeof(irqs), DEBUGFS "/idxd_vdev/%s/irqs", self->uuid);
	if (file_has(irqs, "vector 1:", "handle")) {
		TH_LOG("close: vector 1 keeps its IMS entry after the close");
		rc = -1;
	}
	snprintf(name, sizeof(name), "idxd-vdev-%s-", self->uuid);
	if (file_has("/proc/interrupts", name, name)) {
		TH_LOG("close: an interrupt of the vdev is left after the close");
		rc = -1;
	}
	if (open_up(self) || set_vectors(&self->v, 0, 2) ||
	    !vec0_works(&self->v) || !vec1_works(&self->v)) {
		TH_LOG("close: the vdev does not work once opened again");
		rc = -1;
	}
	vdev_close(&self->v);
	return rc;
}

TEST_F_TIMEOUT(fault, close, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "close: the device and the iommufd of a vdev in use",
		.prep = close_prep, .call = close_call, .ok = close_ok,
		.done = irq_done,
	};

	self->what = "close";
	ASSERT_EQ(0, vdev_made(self));
	walk(_metadata, self, &p);
}

/*
 * 10. remove: a vdev removed through its mdev remove file (its driver's
 * remove runs in the writing task).  After a failure the vdev is there
 * and works; once removed, the mdev bus and the parent have forgotten it
 * and its WQ is available again.
 */

static int remove_prep(struct __test_metadata *_metadata,
		       struct _test_data_fault *self)
{
	char path[PATH_MAX];

	if (vdev_made(self)) {
		TH_LOG("remove: creating the vdev");
		return -1;
	}
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", self->uuid);
	self->fd = open(path, O_WRONLY | O_CLOEXEC);
	return self->fd < 0 ? -1 : 0;
}

static int remove_call(struct _test_data_fault *self)
{
	return pwrite(self->fd, "1", 1, 0) == 1 ? 0 : -errno;
}

static int remove_ok(struct __test_metadata *_metadata,
		     struct _test_data_fault *self)
{
	int avail = avail_read(self);

	if (!mdev_gone(self)) {
		TH_LOG("remove: the vdev is there after a successful remove");
		return -1;
	}
	self->created = 0;
	if (avail != self->avail) {
		TH_LOG("remove: %d instances available after the remove, %d before",
		       avail, self->avail);
		return -1;
	}
	return 0;
}

static int remove_err(struct __test_metadata *_metadata,
		      struct _test_data_fault *self, int err)
{
	int rc = 0;

	if (mdev_gone(self)) {
		TH_LOG("remove: the vdev is gone after a failed remove");
		return -1;
	}
	if (open_up(self) || set_vectors(&self->v, 0, 2) ||
	    !vec1_works(&self->v)) {
		TH_LOG("remove: the vdev does not work after the failure");
		rc = -1;
	}
	vdev_close(&self->v);
	if (vdev_remove(self->uuid)) {
		TH_LOG("remove: removing again after the failure");
		return -1;
	}
	return remove_ok(_metadata, self) || rc ? -1 : 0;
}

static void remove_done(struct _test_data_fault *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (!mdev_gone(self))
		vdev_remove(self->uuid);
	self->created = 0;
}

TEST_F_TIMEOUT(fault, remove, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "remove: a vdev through mdev sysfs", .prep = remove_prep,
		.call = remove_call, .ok = remove_ok, .err = remove_err,
		.done = remove_done,
	};

	self->what = "remove";
	self->avail = avail_read(self);
	ASSERT_LT(0, self->avail);
	walk(_metadata, self, &p);
}

/*
 * 11. FLR: a function level reset of the DSA through its PCI sysfs reset
 * file under an open vdev in use (idxd's reset_prepare and reset_done
 * run in the writing task, and the vdev's WQ driver's reset_done, which
 * hands the handle refresh to the vdev's event work).  A reset revokes
 * the handle the guest holds: INT_HANDLE_REVOKED on vector 0 and a new
 * handle that fires vector 1, as vdev_test's dsa_reset_under_open_vdev
 * sees it; on a DSA without handle commands the handle, an index, stays.
 * After a failure that reset nothing the old handle fires.
 */

static int flr_prep(struct __test_metadata *_metadata,
		    struct _test_data_fault *self)
{
	char path[PATH_MAX];
	int rc = vdev_in_use(_metadata, self, 1);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	self->fd = open(path, O_WRONLY | O_CLOEXEC);
	return self->fd < 0 ? -1 : 0;
}

static int flr_call(struct _test_data_fault *self)
{
	return pwrite(self->fd, "1", 1, 0) == 1 ? 0 : -errno;
}

/* Whether the reset revoked the handle; -1 if the vdev is wrong */
static int flr_revoked(struct __test_metadata *_metadata,
		       struct _test_data_fault *self)
{
	int revoked = efd_wait(self->v.efd[0], 1, FIRE_MS) != 0;
	uint32_t cause = reg_read32(&self->v, REG_INTCAUSE), sts;
	uint16_t handle;
	int same;

	if (revoked != !!(cause & INTC_REVOKED)) {
		TH_LOG("FLR: vector 0 %s, INTCAUSE %#x", revoked ? "fired" :
		       "did not fire", cause);
		return -1;
	}
	reg_write32(&self->v, REG_INTCAUSE, cause);
	sts = vdev_cmd(&self->v, CMD_REQUEST_INT_HANDLE, 1, 0);
	if (sts & 0xff) {
		TH_LOG("FLR: REQUEST_INT_HANDLE: CMDSTS %#x", sts);
		return -1;
	}
	handle = sts >> 8;
	same = handle == self->handle;
	if (revoked == same) {
		TH_LOG("FLR: handle %#x, %#x before, %srevoked", handle,
		       self->handle, revoked ? "" : "not ");
		return -1;
	}
	if (handle_fires(_metadata, self, handle))
		return -1;
	return revoked;
}

static int flr_ok(struct __test_metadata *_metadata,
		  struct _test_data_fault *self)
{
	int revoked = flr_revoked(_metadata, self);

	if (revoked < 0)
		return -1;
	if (revoked != self->revokes) {
		TH_LOG("FLR: the handle %s revoked, the reset before the walk %s",
		       revoked ? "was" : "was not", self->revokes ? "did" : "did not");
		return -1;
	}
	return 0;
}

static int flr_err(struct __test_metadata *_metadata,
		   struct _test_data_fault *self, int err)
{
	return flr_revoked(_metadata, self) < 0 ? -1 : 0;
}

static void flr_done(struct _test_data_fault *self)
{
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	vdev_close(&self->v);
}

TEST_F_TIMEOUT(fault, flr, PATH_TIMEOUT)
{
	const struct path p = {
		.name = "FLR: the DSA reset under a vdev in use",
		.prep = flr_prep, .call = flr_call, .ok = flr_ok,
		.err = flr_err, .done = flr_done,
	};
	int revoked;

	self->what = "FLR";
	ASSERT_EQ(0, vdev_made(self));
	/* Whether this DSA revokes handles: a reset with nothing injected */
	ASSERT_EQ(0, flr_prep(_metadata, self));
	ASSERT_EQ(0, flr_call(self));
	revoked = flr_revoked(_metadata, self);
	ASSERT_LE(0, revoked);
	self->revokes = revoked;
	flr_done(self);
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
