// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_dma_test - DMA of an idxd vdev through its host PASID.
 *
 * The DSA tags a vdev's DMA with the vdev's host PASID, and the idxd vdev
 * driver attaches that PASID of the parent DSA to the IOAS the vdev's
 * user attached it to: descriptors address the IOVAs the user mapped
 * there, and nothing else.  Each test binds two dedicated WQs to
 * idxd_vdev, opens vdevs through the VFIO device cdev (or the group path,
 * as QEMU 7.2 does) and plays the guest: MEMMOVE descriptors with a
 * completion record and interrupt, submitted with MOVDIR64B through the
 * portal with the handle of the IMS-backed vector 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vdev.h"

#define WQ_SIZE		16
#define QUIET_MS	300
#define FIRE_MS		VDEV_FIRE_MS
#define PAGE		4096
#define XFER		PAGE

/* The guest's physical addresses of its buffers: IOVAs of the IOAS */
#define SRC_IOVA	0x10000000ull
#define DST_IOVA	0x10100000ull
#define COMP_IOVA	0x10200000ull
#define OTHER_IOVA	0x10300000ull

#define SWERR_VALID	0x1ull
#define STATUS_SUCCESS	1

/*
 * The guest's memory: a source page, a destination page followed by a
 * guard page that is never mapped for DMA, a page of completion records
 */
struct guest_mem {
	uint8_t *src;
	uint8_t *dst;
	uint8_t *guard;
	uint8_t *comp;
};

static int mem_alloc(struct guest_mem *m)
{
	uint8_t *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	m->src = p;
	m->dst = p + PAGE;
	m->guard = p + 2 * PAGE;
	m->comp = p + 3 * PAGE;
	return 0;
}

static void mem_free(struct guest_mem *m)
{
	if (m->src)
		munmap(m->src, 4 * PAGE);
	memset(m, 0, sizeof(*m));
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int filled(const uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/* A new IOAS of the vdev's iommufd, attached, with @m's pages mapped */
static int ioas_setup(struct vdev *v, struct guest_mem *m, uint32_t *ioas)
{
	int rc;

	rc = vdev_ioas_alloc(v->iommufd, ioas);
	if (!rc)
		rc = vdev_attach_pt(v, *ioas);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, *ioas, m->src, PAGE, SRC_IOVA);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, *ioas, m->dst, PAGE, DST_IOVA);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, *ioas, m->comp, PAGE, COMP_IOVA);
	return rc;
}

/* MEMMOVE of @len bytes, a completion record at @comp and an interrupt */
static void submit_memmove(struct vdev *v, uint64_t comp, uint64_t src,
			   uint64_t dst, uint32_t len, uint16_t handle)
{
	uint32_t desc[16];

	memset(desc, 0, sizeof(desc));
	desc[1] = (OP_MEMMOVE << 24) | DESC_CRAV | DESC_RCR | DESC_RCI;
	memcpy(&desc[2], &comp, 8);	/* completion_addr at byte 8 */
	memcpy(&desc[4], &src, 8);	/* src at byte 16 */
	memcpy(&desc[6], &dst, 8);	/* dst at byte 24 */
	desc[8] = len;			/* xfer_size at byte 32 */
	desc[9] = handle;		/* int_handle at byte 36 */
	vdev_submit_desc(v, 0, desc);
}

/*
 * How a descriptor ended: its completion record's status, or 0x100 for
 * an error in the virtual SWERR (no record could be written), or -1 if
 * nothing was heard of it within @ms
 */
static int outcome(struct vdev *v, uint8_t *comp, int ms)
{
	uint8_t status;
	int t;

	for (t = 0; t <= ms; t++) {
		/* The device writes the record behind the compiler's back */
		status = __atomic_load_n(&comp[0], __ATOMIC_ACQUIRE);
		if (status)
			return status;
		if (!(t % 10) && (reg_read64(v, REG_SWERR) & SWERR_VALID))
			return 0x100;
		usleep(1000);
	}
	return -1;
}

/* The vdev's guest: device and WQ 0 enabled, vector 1's handle, portals */
static int guest_up(struct vdev *v, uint16_t *handle)
{
	int rc = vdev_bring_up(v, 1);

	if (rc)
		return rc;
	rc = vdev_vector_up(v, 1, handle);
	if (rc)
		return rc - 100;
	return vdev_map_portals(v) ? -200 : 0;
}

FIXTURE(dma) {
	char dsa[32];
	char bdf[32];
	char uuid[2][40];
	struct vdev v[2];
	struct guest_mem m;
	int setup;
	pid_t child;		/* the other process, and its go pipe */
	int go;
};

FIXTURE_SETUP(dma)
{
	memset(self->uuid, 0, sizeof(self->uuid));
	memset(&self->m, 0, sizeof(self->m));
	vdev_init(&self->v[0], "");
	vdev_init(&self->v[1], "");
	self->setup = 0;
	self->child = -1;
	self->go = -1;
	ASSERT_EQ(0, vdev_host_setup(self->dsa, sizeof(self->dsa), self->bdf,
				     sizeof(self->bdf), 2, WQ_SIZE,
				     &self->setup));
	ASSERT_EQ(0, mem_alloc(&self->m));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, vdev_create(self->bdf, "idxd-dsa-1dwq-v1", self->uuid[i],
					 sizeof(self->uuid[i])));
}

FIXTURE_TEARDOWN(dma)
{
	int i;

	/* The other process lets its vdev go when told, or on EOF */
	if (self->go >= 0)
		close(self->go);
	if (self->child > 0)
		waitpid(self->child, NULL, 0);
	for (i = 0; i < 2; i++) {
		vdev_close(&self->v[i]);
		if (self->uuid[i][0])
			vdev_remove(self->uuid[i]);
	}
	mem_free(&self->m);
	if (self->setup) {
		int rc = dsa_teardown(self->dsa, 2);

		EXPECT_EQ(0, rc) TH_LOG("tearing %s down: %s", self->dsa, strerror(-rc));
	}
}

/*
 * Through the cdev and an IOAS: a MEMMOVE moves the data, writes a
 * successful completion record and fires vector 1 once.
 */
TEST_F(dma, memmove_through_ioas)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint16_t handle;
	uint32_t ioas = 0;
	int rc;

	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, ioas_setup(v, m, &ioas));
	rc = guest_up(v, &handle);
	ASSERT_EQ(0, rc);

	fill(m->src, XFER, 0x5a);
	memset(m->dst, 0, XFER);
	fill(m->guard, PAGE, 0xc3);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x5a));
	EXPECT_TRUE(filled(m->src, XFER, 0x5a));
	EXPECT_TRUE(filled(m->guard, PAGE, 0xc3));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
	EXPECT_EQ(0, reg_read64(v, REG_SWERR));

	/* A second one, to the same place, with other data */
	memset(m->comp, 0, 32);
	fill(m->src, XFER, 0x17);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x17));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
}

/*
 * A destination IOVA that is not mapped ends in an error, in the
 * completion record or the virtual SWERR, and no memory changes: not the
 * mapped destination, not the page after it, which is not mapped.
 */
TEST_F(dma, unmapped_destination_fails)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint16_t handle;
	uint32_t ioas = 0;
	int res;

	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, ioas_setup(v, m, &ioas));
	ASSERT_EQ(0, guest_up(v, &handle));

	/* DMA works at all */
	fill(m->src, XFER, 0x21);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	ASSERT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	ASSERT_TRUE(filled(m->dst, XFER, 0x21));
	ASSERT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	/* Into the guard page's IOVA, right after the destination's */
	memset(m->comp, 0, 32);
	fill(m->src, XFER, 0x42);
	fill(m->guard, PAGE, 0xc3);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA + PAGE, XFER, handle);
	res = outcome(v, m->comp, FIRE_MS);
	EXPECT_NE(-1, res) TH_LOG("no completion and no software error");
	EXPECT_NE(STATUS_SUCCESS, res);
	/* Straddling the end of the mapping */
	memset(m->comp, 0, 32);
	reg_write32(v, REG_SWERR, SWERR_VALID);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA + PAGE / 2, XFER, handle);
	res = outcome(v, m->comp, FIRE_MS);
	EXPECT_NE(-1, res) TH_LOG("no completion and no software error");
	EXPECT_NE(STATUS_SUCCESS, res);
	usleep(QUIET_MS * 1000);
	EXPECT_TRUE(filled(m->guard, PAGE, 0xc3));
	EXPECT_TRUE(filled(m->dst, PAGE / 2, 0x21));
	EXPECT_TRUE(filled(m->src, XFER, 0x42));
}

/*
 * Detached, the vdev's PASID reaches no memory: the descriptor fails and
 * the destination keeps its data.
 */
TEST_F(dma, detached_does_no_dma)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint16_t handle;
	uint32_t ioas = 0;
	int res;

	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, ioas_setup(v, m, &ioas));
	ASSERT_EQ(0, guest_up(v, &handle));
	fill(m->src, XFER, 0x33);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	ASSERT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	ASSERT_TRUE(filled(m->dst, XFER, 0x33));

	ASSERT_EQ(0, vdev_detach_pt(v));
	memset(m->comp, 0, 32);
	fill(m->src, XFER, 0x44);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	res = outcome(v, m->comp, FIRE_MS);
	EXPECT_NE(-1, res) TH_LOG("no completion and no software error");
	EXPECT_EQ(0x100, res) TH_LOG("status %#x: the record was written", res);
	EXPECT_TRUE(filled(m->dst, XFER, 0x33));

	/* Attached again, it works again */
	ASSERT_EQ(0, vdev_attach_pt(v, ioas));
	reg_write32(v, REG_SWERR, SWERR_VALID);
	memset(m->comp, 0, 32);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x44));
}

/*
 * An attach that fails leaves the vdev's DMA where it was, as a
 * vfio-pci device keeps its domain when a replace fails: the user, told
 * its attach failed, still has its mapping.  Before, the vdev was left
 * detached and the next descriptor failed.
 */
TEST_F(dma, failed_attach_keeps_mapping)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint16_t handle;
	uint32_t ioas = 0, bogus;

	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, ioas_setup(v, m, &ioas));
	ASSERT_EQ(0, guest_up(v, &handle));

	/* No such object */
	bogus = ioas + 1000;
	EXPECT_EQ(-ENOENT, vdev_attach_pt(v, bogus));
	fill(m->src, XFER, 0x55);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x55));

	/* A good attach after it replaces the mapping as usual */
	ASSERT_EQ(0, vdev_attach_pt(v, ioas));
	memset(m->comp, 0, 32);
	fill(m->src, XFER, 0x66);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x66));
}

/*
 * The second vdev, opened by another process with its own IOAS: its
 * pages at DST_IOVA and OTHER_IOVA hold a pattern.  Exit status 0 if
 * they still do when told to look.
 */
static int other_guest(const char *uuid, int ready, int go)
{
	struct vdev v;
	uint8_t *p;
	uint32_t ioas = 0;
	char c = 1;

	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || vdev_open(&v, uuid) ||
	    vdev_ioas_alloc(v.iommufd, &ioas) || vdev_attach_pt(&v, ioas) ||
	    vdev_ioas_map(v.iommufd, ioas, p, PAGE, DST_IOVA) ||
	    vdev_ioas_map(v.iommufd, ioas, p + PAGE, PAGE, OTHER_IOVA))
		c = 2;
	else
		fill(p, 2 * PAGE, 0x99);
	if (write(ready, &c, 1) != 1 || c != 1)
		return 2;
	if (read(go, &c, 1) != 1)
		return 2;
	return filled(p, 2 * PAGE, 0x99) ? 0 : 1;
}

/*
 * Isolation: the first vdev's descriptors aimed at IOVAs the other
 * process's vdev has mapped reach the first vdev's own page (where it
 * has one) or fail (where it has none), never the other's memory.
 */
TEST_F(dma, isolation_between_processes)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	int ready[2], go[2], status, res;
	uint16_t handle;
	uint32_t ioas = 0;
	pid_t child;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(ready[0]);
		close(go[1]);
		_exit(other_guest(self->uuid[1], ready[1], go[0]));
	}
	self->child = child;
	self->go = go[1];
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, c) TH_LOG("the other process could not set its vdev up");

	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, ioas_setup(v, m, &ioas));
	ASSERT_EQ(0, guest_up(v, &handle));

	/* Same IOVA number, mapped in both IOASes: our page */
	fill(m->src, XFER, 0x66);
	memset(m->dst, 0, XFER);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x66));

	/* An IOVA only the other IOAS has: an error */
	memset(m->comp, 0, 32);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, OTHER_IOVA, XFER, handle);
	res = outcome(v, m->comp, FIRE_MS);
	EXPECT_NE(-1, res) TH_LOG("no completion and no software error");
	EXPECT_NE(STATUS_SUCCESS, res);
	usleep(QUIET_MS * 1000);

	c = 1;
	EXPECT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	self->child = -1;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the other vdev's memory changed");
	close(ready[0]);
}

/* The mdev's VFIO group: /dev/vfio/N, N from its iommu_group link */
static int group_open(const char *uuid)
{
	char path[PATH_MAX], target[PATH_MAX], *n;
	ssize_t len;

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/iommu_group", uuid);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = 0;
	n = strrchr(target, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%.32s", n ? n + 1 : target);
	len = open(path, O_RDWR | O_CLOEXEC);
	return len < 0 ? -errno : (int)len;
}

/*
 * QEMU 7.2's vfio_connect_container() and vfio_get_device() on @container:
 * API version, type1v2 extension, group viable, group to container,
 * VFIO_SET_IOMMU type1v2, IOMMU info, then the guest's RAM mapped
 * (VFIO_IOMMU_MAP_DMA, before any device is opened), then the device.
 * Returns the device's fd or a negative errno (of the last step).
 */
static int qemu72_group_open(struct vdev *v, const char *uuid, int container,
			     struct guest_mem *m, int *step)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	const struct {
		void *va;
		uint64_t iova;
	} ram[] = {
		{ m->src, SRC_IOVA }, { m->dst, DST_IOVA },
		{ m->comp, COMP_IOVA },
	};
	unsigned int i;
	int fd;

	v->container = container;
	*step = 1;
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EINVAL;
	*step = 2;
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		return -EINVAL;
	*step = 3;
	v->group = group_open(uuid);
	if (v->group < 0)
		return v->group;
	*step = 4;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &gs))
		return -errno;
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	*step = 5;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &container))
		return -errno;
	*step = 6;
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	*step = 7;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, &info))
		return -errno;
	*step = 8;
	for (i = 0; i < ARRAY_SIZE(ram); i++) {
		map.vaddr = (uintptr_t)ram[i].va;
		map.iova = ram[i].iova;
		map.size = PAGE;
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
			return -errno;
	}
	*step = 9;
	fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (fd < 0)
		return -errno;
	return fd;
}

/*
 * Unmodified QEMU 7.2 with /dev/iommu bind-mounted over /dev/vfio/vfio:
 * the group path with iommufd as the container.  Opening the device
 * attaches it to iommufd's compat IOAS, which holds what MAP_DMA mapped.
 */
TEST_F(dma, group_with_iommufd_container)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	struct stat iommu, seen;
	int container, device, step;
	uint16_t handle;

	/* The bind mount, in a mount namespace of this test's own */
	ASSERT_EQ(0, stat("/dev/iommu", &iommu));
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, mount("/dev/iommu", "/dev/vfio/vfio", NULL, MS_BIND, NULL));
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, container);
	ASSERT_EQ(0, fstat(container, &seen));
	ASSERT_EQ(iommu.st_rdev, seen.st_rdev);

	vdev_init(v, self->uuid[0]);
	device = qemu72_group_open(v, self->uuid[0], container, m, &step);
	ASSERT_LE(0, device) TH_LOG("step %d: %s", step, strerror(-device));
	ASSERT_EQ(0, vdev_open_fd(v, device));
	ASSERT_EQ(0, guest_up(v, &handle));

	fill(m->src, XFER, 0x7e);
	memset(m->dst, 0, XFER);
	fill(m->guard, PAGE, 0xc3);
	submit_memmove(v, COMP_IOVA, SRC_IOVA, DST_IOVA, XFER, handle);
	EXPECT_EQ(STATUS_SUCCESS, outcome(v, m->comp, FIRE_MS));
	EXPECT_TRUE(filled(m->dst, XFER, 0x7e));
	EXPECT_TRUE(filled(m->guard, PAGE, 0xc3));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
}

/*
 * The legacy type1 container never tells an emulated device its user's
 * mappings: opening the vdev through it fails with EOPNOTSUPP, and the
 * kernel log points at iommufd.
 */
TEST_F(dma, legacy_type1_container_refused)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	int container, device, step, kmsg;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, container) TH_LOG("/dev/vfio/vfio: %s", strerror(errno));
	vdev_init(v, self->uuid[0]);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	device = qemu72_group_open(v, self->uuid[0], container, m, &step);
	if (device >= 0)
		close(device);
	EXPECT_EQ(9, step) TH_LOG("failed before VFIO_GROUP_GET_DEVICE_FD: %s",
				  strerror(-device));
	EXPECT_EQ(-EOPNOTSUPP, device);
	EXPECT_EQ(1, kmsg_find(kmsg, "iommufd", NULL));
	close(kmsg);
}

TEST_HARNESS_MAIN
