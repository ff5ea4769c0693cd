// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the idxd vdev kselftests: the host side through sysfs, the
 * guest side through VFIO, played the way QEMU 7.2's vfio-pci does it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vdev.h"

/*
 * idxd and idxd_vdev loaded, and idxd_vdev's INTEL-SA-01084 opt-in set to
 * @allow_unsafe: no DSA of Linux 6.12 is user_submission_safe, so without
 * it no WQ binds to idxd_vdev.  Written to the parameter rather than given
 * to modprobe, which ignores parameters of a module already loaded.
 */
int vdev_modules_load(int allow_unsafe)
{
	char buf[8];
	int rc;

	if (system("modprobe idxd && modprobe " VDEV_DRIVER))
		return -ENOENT;
	rc = sysfs_write(VDEV_UNSAFE_PARAM, allow_unsafe ? "Y" : "N");
	if (rc)
		return rc;
	rc = sysfs_read(VDEV_UNSAFE_PARAM, buf, sizeof(buf));
	if (rc)
		return rc;
	return strcmp(buf, allow_unsafe ? "Y" : "N") ? -EIO : 0;
}

/*
 * What every fixture starts from: the modules with the INTEL-SA-01084
 * opt-in, the first DSA with IMS entries (the slow DSA if @slow), and
 * @nwqs WQs of @wq_size bound to idxd_vdev, after whatever an earlier
 * test left behind is gone.  *@setup is set once the WQs may need
 * dsa_teardown().  Says what failed.
 */
static int host_setup(char *dsa, size_t dlen, char *bdf, size_t blen,
		      int nwqs, int wq_size, int *setup, int slow)
{
	int rc;

	rc = vdev_modules_load(1);
	if (rc) {
		fprintf(stderr, "loading %s with allow_unsafe_submission: %s\n",
			VDEV_DRIVER, strerror(-rc));
		return rc;
	}
	if (slow) {
		rc = dsa_find_slow(dsa, dlen, bdf, blen);
		if (rc)
			return rc;
	} else {
		rc = dsa_find(dsa, dlen, bdf, blen, 1);
		if (rc) {
			fprintf(stderr, "no DSA with IMS\n");
			return rc;
		}
	}
	dsa_teardown(dsa, nwqs);
	rc = dsa_setup(dsa, nwqs, wq_size);
	*setup = 1;
	if (rc)
		fprintf(stderr, "setting up %s: %s\n", dsa, strerror(-rc));
	return rc;
}

int vdev_host_setup(char *dsa, size_t dlen, char *bdf, size_t blen,
		    int nwqs, int wq_size, int *setup)
{
	return host_setup(dsa, dlen, bdf, blen, nwqs, wq_size, setup, 0);
}

/* vdev_host_setup() on the slow DSA ($VDEV_SLOW_DSA) */
int vdev_host_setup_slow(char *dsa, size_t dlen, char *bdf, size_t blen,
			 int nwqs, int wq_size, int *setup)
{
	return host_setup(dsa, dlen, bdf, blen, nwqs, wq_size, setup, 1);
}

/* The PCI address $VDEV_SLOW_DSA names, or NULL if it is unset or empty */
static const char *slow_dsa_addr(void)
{
	const char *addr = getenv(VDEV_SLOW_DSA_ENV);

	return addr && *addr ? addr : NULL;
}

/*
 * The first DSA with (@want_ims) or without IMS entries, other than the
 * slow DSA ($VDEV_SLOW_DSA)
 */
int dsa_find(char *dsa, size_t dlen, char *bdf, size_t blen, int want_ims)
{
	const char *slow = slow_dsa_addr();
	struct dirent *de;
	int rc = -ENODEV;
	DIR *dir;

	dir = opendir(DSA_SYSFS "/devices");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		int ims;

		if (strncmp(de->d_name, "dsa", 3))
			continue;
		ims = dsa_ims_entries(de->d_name);
		if (ims < 0 || !ims == !!want_ims)
			continue;
		if (dsa_pci_addr(de->d_name, bdf, blen))
			continue;
		if (slow && !strcmp(bdf, slow))
			continue;
		snprintf(dsa, dlen, "%s", de->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
	return rc;
}

/*
 * The slow DSA: the one whose PCI address $VDEV_SLOW_DSA names.  -ENODEV,
 * said on stderr, if the variable is unset or no DSA has that address.
 */
int dsa_find_slow(char *dsa, size_t dlen, char *bdf, size_t blen)
{
	const char *slow = slow_dsa_addr();
	struct dirent *de;
	int rc = -ENODEV;
	DIR *dir;

	if (!slow) {
		fprintf(stderr,
			"%s is not set: it names the slow DSA (-device intel-dsa,x-desc-delay-us=N) by its PCI address, e.g. 0000:00:10.0 (tools/testing/vm/check sets it)\n",
			VDEV_SLOW_DSA_ENV);
		return -ENODEV;
	}
	dir = opendir(DSA_SYSFS "/devices");
	if (!dir) {
		rc = -errno;
		fprintf(stderr, "%s: %s\n", DSA_SYSFS "/devices", strerror(-rc));
		return rc;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "dsa", 3) ||
		    dsa_pci_addr(de->d_name, bdf, blen) || strcmp(bdf, slow))
			continue;
		snprintf(dsa, dlen, "%s", de->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
	if (rc)
		fprintf(stderr, "%s=%s: no DSA has that PCI address\n",
			VDEV_SLOW_DSA_ENV, slow);
	return rc;
}

/*
 * WQ @i of @dsa: dedicated, of type user, for the idxd_vdev driver.  The
 * size only while the device is disabled (@wq_size > 0): unbinding a WQ
 * resets the rest of its configuration, not its size.
 */
int dsa_config_wq(const char *dsa, int i, int wq_size)
{
	char size[16], wq[32];

	snprintf(size, sizeof(size), "%d", wq_size);
	snprintf(wq, sizeof(wq), "wq%s.%d", dsa + 3, i);
	if (sysfs_writef("0", DSA_SYSFS "/devices/%s/%s/group_id", dsa, wq) ||
	    sysfs_writef("dedicated", DSA_SYSFS "/devices/%s/%s/mode", dsa, wq) ||
	    (wq_size > 0 &&
	     sysfs_writef(size, DSA_SYSFS "/devices/%s/%s/size", dsa, wq)) ||
	    sysfs_writef("10", DSA_SYSFS "/devices/%s/%s/priority", dsa, wq) ||
	    sysfs_writef("user", DSA_SYSFS "/devices/%s/%s/type", dsa, wq) ||
	    sysfs_writef("vdev", DSA_SYSFS "/devices/%s/%s/name", dsa, wq) ||
	    sysfs_writef(VDEV_DRIVER, DSA_SYSFS "/devices/%s/%s/driver_name", dsa, wq))
		return -EIO;
	return 0;
}

/*
 * One group with one engine and @nwqs dedicated user WQs named for the
 * idxd_vdev driver, the device enabled, the WQs bound to idxd_vdev.
 */
int dsa_setup(const char *dsa, int nwqs, int wq_size)
{
	char wq[32];
	int i, rc;

	rc = sysfs_writef("0", DSA_SYSFS "/devices/%s/engine%s.0/group_id",
			  dsa, dsa + 3);
	for (i = 0; i < nwqs && !rc; i++)
		rc = dsa_config_wq(dsa, i, wq_size);
	if (rc)
		return -EIO;
	rc = sysfs_write(DSA_SYSFS "/drivers/idxd/bind", dsa);
	if (rc)
		return rc;
	for (i = 0; i < nwqs; i++) {
		snprintf(wq, sizeof(wq), "wq%s.%d", dsa + 3, i);
		rc = sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", wq);
		if (rc)
			return rc;
	}
	return 0;
}

/* Unbind what is bound; returns the first error */
int dsa_teardown(const char *dsa, int nwqs)
{
	char wq[32], path[PATH_MAX];
	int i, rc = 0, err;

	for (i = 0; i < nwqs; i++) {
		snprintf(wq, sizeof(wq), "wq%s.%d", dsa + 3, i);
		snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/driver", wq);
		if (access(path, F_OK))
			continue;
		err = sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq);
		if (err && !rc)
			rc = err;
	}
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/driver", dsa);
	if (!access(path, F_OK)) {
		err = sysfs_write(DSA_SYSFS "/drivers/idxd/unbind", dsa);
		if (err && !rc)
			rc = err;
	}
	return rc;
}

int vdev_create(const char *bdf, const char *type, char *uuid, size_t len)
{
	mdev_make_uuid(uuid, len);
	return sysfs_writef(uuid, "/sys/bus/pci/devices/%s/mdev_supported_types/%s/create",
			    bdf, type);
}

int vdev_remove(const char *uuid)
{
	return sysfs_writef("1", MDEV_DEVICES "/%s/remove", uuid);
}

static int region(struct vdev *v, unsigned int index, uint64_t *offset,
		  uint64_t *size)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	*offset = info.offset;
	if (size)
		*size = info.size;
	return 0;
}

/*
 * BAR2's flags and sparse mmap areas, as QEMU reads them
 * (vfio_region_setup(), vfio_setup_region_sparse_mmaps())
 */
static int bar2_info(struct vdev *v)
{
	char buf[1024];
	struct vfio_region_info *info = (struct vfio_region_info *)buf;
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap_header *hdr;
	unsigned int i, n = 0;

	memset(buf, 0, sizeof(buf));
	info->argsz = sizeof(buf);
	info->index = VFIO_PCI_BAR2_REGION_INDEX;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, info))
		return -errno;
	if (info->argsz > sizeof(buf))
		return -E2BIG;
	v->bar2 = info->offset;
	v->bar2_size = info->size;
	v->bar2_flags = info->flags;
	v->nareas = 0;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return 0;
	for (i = info->cap_offset; i && i + sizeof(*hdr) <= sizeof(buf) &&
	     n < 16; i = hdr->next, n++) {
		hdr = (struct vfio_info_cap_header *)(buf + i);
		if (hdr->id != VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			continue;
		sparse = (struct vfio_region_info_cap_sparse_mmap *)hdr;
		if (sparse->nr_areas > VDEV_MAX_AREAS ||
		    i + sizeof(*sparse) + sparse->nr_areas *
		    sizeof(sparse->areas[0]) > sizeof(buf))
			return -E2BIG;
		for (v->nareas = 0; v->nareas < sparse->nr_areas; v->nareas++) {
			v->area[v->nareas].offset = sparse->areas[v->nareas].offset;
			v->area[v->nareas].size = sparse->areas[v->nareas].size;
		}
		break;
	}
	return 0;
}

/* A closed vdev named @uuid */
void vdev_init(struct vdev *v, const char *uuid)
{
	int i;

	memset(v, 0, sizeof(*v));
	v->device = -1;
	v->iommufd = -1;
	v->group = -1;
	v->container = -1;
	for (i = 0; i < VDEV_MAX_VEC; i++)
		v->efd[i] = -1;
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);
}

/* The regions and vectors of the VFIO device @device, now @v's */
int vdev_open_fd(struct vdev *v, int device)
{
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	int rc, i;

	v->device = device;
	rc = region(v, VFIO_PCI_CONFIG_REGION_INDEX, &v->cfg, NULL) ||
	     region(v, VFIO_PCI_BAR0_REGION_INDEX, &v->bar0, NULL) ||
	     bar2_info(v);
	if (rc)
		return -EIO;
	if (ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, &irq))
		return -errno;
	v->nvec = irq.count;
	for (i = 0; i < v->nvec && i < VDEV_MAX_VEC; i++) {
		v->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (v->efd[i] < 0)
			return -errno;
	}
	return 0;
}

/* Open @uuid through its VFIO device cdev, bound to a new iommufd */
int vdev_open(struct vdev *v, const char *uuid)
{
	int device;

	vdev_init(v, uuid);
	device = mdev_open(uuid, &v->iommufd);
	if (device < 0)
		return device;
	return vdev_open_fd(v, device);
}

void vdev_close(struct vdev *v)
{
	int i;

	if (v->portals)
		munmap(v->portals, v->bar2_size);
	v->portals = NULL;
	if (v->device >= 0)
		close(v->device);
	if (v->iommufd >= 0)
		close(v->iommufd);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	for (i = 0; i < VDEV_MAX_VEC; i++)
		if (v->efd[i] >= 0)
			close(v->efd[i]);
	v->device = -1;
	v->iommufd = -1;
	v->group = -1;
	v->container = -1;
	for (i = 0; i < VDEV_MAX_VEC; i++)
		v->efd[i] = -1;
	v->msix_nr = 0;
	v->in_use = 0;
}

int cfg_read(struct vdev *v, unsigned int off, void *buf, size_t len)
{
	return pread(v->device, buf, len, v->cfg + off) == (ssize_t)len ? 0 : -1;
}

int cfg_write(struct vdev *v, unsigned int off, const void *buf, size_t len)
{
	return pwrite(v->device, buf, len, v->cfg + off) == (ssize_t)len ? 0 : -1;
}

/* The offset of capability @id in the config space, 0 if none */
int cfg_find_cap(struct vdev *v, unsigned int id)
{
	uint8_t pos = 0, hdr[2];
	int n;

	if (cfg_read(v, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	for (n = 0; pos && n < 48; n++) {
		if (cfg_read(v, pos, hdr, 2))
			return 0;
		if (hdr[0] == id)
			return pos;
		pos = hdr[1];
	}
	return 0;
}

uint32_t reg_read32(struct vdev *v, unsigned int off)
{
	uint32_t val = ~0u;

	if (pread(v->device, &val, 4, v->bar0 + off) != 4)
		return ~0u;
	return val;
}

uint64_t reg_read64(struct vdev *v, unsigned int off)
{
	uint64_t val = ~0ull;

	if (pread(v->device, &val, 8, v->bar0 + off) != 8)
		return ~0ull;
	return val;
}

int reg_write32(struct vdev *v, unsigned int off, uint32_t val)
{
	return pwrite(v->device, &val, 4, v->bar0 + off) == 4 ? 0 : -errno;
}

/* One 8-byte access, as the guest's iowrite64() */
int reg_write64(struct vdev *v, unsigned int off, uint64_t val)
{
	return pwrite(v->device, &val, 8, v->bar0 + off) == 8 ? 0 : -errno;
}

/* Give (@fd >= 0) or take (-1) the eventfd of one vector */
int vdev_set_eventfd(struct vdev *v, unsigned int index, unsigned int vector,
		     int fd)
{
	int32_t efd = fd;

	return vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_TRIGGER, index, vector,
				    1, &efd, sizeof(efd));
}

int vdev_disable_msix(struct vdev *v)
{
	return vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_NONE |
				    VFIO_IRQ_SET_ACTION_TRIGGER,
				    VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, 0);
}

/*
 * QEMU 7.2's vfio_enable_vectors(): one SET_IRQS for vectors 0 to
 * msix_nr - 1, the eventfd of each vector in use, -1 for the others
 */
int vdev_enable_vectors(struct vdev *v)
{
	int32_t fds[VDEV_MAX_VEC];
	unsigned int i;

	if (!v->msix_nr || v->msix_nr > VDEV_MAX_VEC)
		return -EINVAL;
	for (i = 0; i < v->msix_nr; i++)
		fds[i] = v->in_use & (1u << i) ? v->efd[i] : -1;
	return vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_TRIGGER,
				    VFIO_PCI_MSIX_IRQ_INDEX, 0, v->msix_nr, fds,
				    v->msix_nr * sizeof(fds[0]));
}

static int msix_ctrl(struct vdev *v, uint16_t clear, uint16_t set)
{
	int cap = cfg_find_cap(v, PCI_CAP_ID_MSIX);
	uint16_t flags;

	if (!cap || cfg_read(v, cap + PCI_MSIX_FLAGS, &flags, 2))
		return -EIO;
	flags = (flags & ~clear) | set;
	return cfg_write(v, cap + PCI_MSIX_FLAGS, &flags, 2) ? -EIO : 0;
}

/*
 * The guest's pci_alloc_irq_vectors() enables MSI-X with the function
 * masked, QEMU passes the config write through and, in vfio_msix_enable(),
 * has vfio_msix_vector_do_use() put vector 0 alone in place: the index
 * disabled (QEMU ignores that this fails while it is not enabled), then
 * enabled with vector 0's eventfd, count 1.  vfio_msix_vector_release()
 * leaves it there when there is no KVM irqfd.  The guest then clears the
 * function mask.  Vector 0 stays in use, as QEMU's notifier is kept.
 */
int vdev_msix_enable(struct vdev *v)
{
	int rc;

	rc = msix_ctrl(v, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	if (rc)
		return rc;
	vdev_disable_msix(v);
	v->in_use = 1;
	v->msix_nr = 1;
	rc = vdev_enable_vectors(v);
	if (rc)
		return rc;
	return msix_ctrl(v, PCI_MSIX_FLAGS_MASKALL, 0);
}

/*
 * The guest unmasks vector @n in the MSI-X table QEMU emulates;
 * vfio_msix_vector_do_use() in QEMU 7.2: a vector above the highest
 * enabled one disables the whole index and enables vectors 0..@n again
 * in one call; a lower one gets its own SET_IRQS.
 */
int vdev_vector_use(struct vdev *v, unsigned int n)
{
	int rc;

	if (n >= VDEV_MAX_VEC)
		return -EINVAL;
	v->in_use |= 1u << n;
	if (v->msix_nr < n + 1) {
		rc = vdev_disable_msix(v);
		if (rc)
			return rc;
		v->msix_nr = n + 1;
		return vdev_enable_vectors(v);
	}
	return vdev_set_eventfd(v, VFIO_PCI_MSIX_IRQ_INDEX, n, v->efd[n]);
}

/* Run a command; returns CMDSTS */
uint32_t vdev_cmd(struct vdev *v, unsigned int cmd, uint32_t operand,
		  int int_req)
{
	uint32_t val = (cmd << 20) | (operand & 0xfffff);

	if (int_req)
		val |= CMD_INT_REQ;
	if (reg_write32(v, REG_CMD, val))
		return ~0u;
	return reg_read32(v, REG_CMDSTS);
}

/*
 * The stock guest idxd's probe behind QEMU 7.2: memory and bus master
 * on, RESET_DEVICE (polled, no int_req), MSI-X enabled (QEMU: vector 0
 * alone), the misc vector requested (unmasked: QEMU gives vector 0 its
 * eventfd again), ENABLE_DEVICE with int_req, which vector 0 completes;
 * then WQs 0..@nwqs-1 enabled.  Returns 0, or minus the step that
 * failed: 1 config space, 2 RESET_DEVICE, 3 MSI-X, 4 ENABLE_DEVICE,
 * 5 its interrupt, 6 ENABLE_WQ.
 */
int vdev_bring_up(struct vdev *v, int nwqs)
{
	uint16_t command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	int i;

	if (cfg_write(v, PCI_COMMAND, &command, 2))
		return -1;
	if (vdev_cmd(v, CMD_RESET_DEVICE, 0, 0))
		return -2;
	if (vdev_msix_enable(v) || vdev_vector_use(v, 0))
		return -3;
	if (vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1))
		return -4;
	if (efd_wait(v->efd[0], 1, VDEV_FIRE_MS) != 1)
		return -5;
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	for (i = 0; i < nwqs; i++)
		if (vdev_cmd(v, CMD_ENABLE_WQ, i, 0))
			return -6;
	return 0;
}

/*
 * The guest requests vector @n's interrupt (QEMU 7.2 puts it in place)
 * and asks for its handle
 */
int vdev_vector_up(struct vdev *v, unsigned int n, uint16_t *handle)
{
	uint32_t sts;

	if (vdev_vector_use(v, n))
		return -1;
	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, n, 0);
	if (sts & 0xff)
		return -(int)(sts & 0xff);
	*handle = sts >> 8;
	return 0;
}

/*
 * BAR2 as QEMU maps it (vfio_region_mmap()): each sparse mmap area with
 * PROT_READ if the region is readable and PROT_WRITE if it is writable,
 * here into one reservation so that WQ i's portal is at i x 16 KiB.  A
 * region without the write flag is refused rather than mapped read-only:
 * the first descriptor would fault in QEMU as it would here.
 */
int vdev_map_portals(struct vdev *v)
{
	int prot = 0, rc;
	unsigned int i;
	void *p;

	if (!(v->bar2_flags & VFIO_REGION_INFO_FLAG_MMAP) || !v->nareas)
		return -ENODEV;
	if (v->bar2_flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (v->bar2_flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	if (!(prot & PROT_WRITE))
		return -EACCES;
	p = mmap(NULL, v->bar2_size, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < v->nareas; i++) {
		if (v->area[i].offset + v->area[i].size > v->bar2_size ||
		    mmap((char *)p + v->area[i].offset, v->area[i].size, prot,
			 MAP_SHARED | MAP_FIXED, v->device,
			 v->bar2 + v->area[i].offset) == MAP_FAILED) {
			rc = errno ? -errno : -EINVAL;
			munmap(p, v->bar2_size);
			return rc;
		}
	}
	v->portals = p;
	return 0;
}

static void movdir64b(void *dst, const void *src)
{
	/* movdir64b (%rdx), %rax */
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

/* The 64-byte descriptor @desc to virtual WQ @vwq's portal */
void vdev_submit_desc(struct vdev *v, unsigned int vwq, const void *desc)
{
	/* MOVDIR64B reads 64 aligned bytes; per call, so threads may submit */
	alignas(64) uint32_t buf[16];
	char *portal = (char *)v->portals + vwq * PORTAL_PAGES_PER_WQ * 4096;

	memcpy(buf, desc, 64);
	__sync_synchronize();
	movdir64b(portal, buf);
}

/* A descriptor of @opcode and @flags, no completion record */
void vdev_submit(struct vdev *v, unsigned int vwq, uint8_t opcode,
		 uint32_t flags, uint16_t handle)
{
	uint32_t desc[16];

	memset(desc, 0, sizeof(desc));
	desc[1] = ((uint32_t)opcode << 24) | (flags & 0xffffff);
	desc[9] = handle;		/* int_handle at byte 36 */
	vdev_submit_desc(v, vwq, desc);
}

/* A NOOP with a completion interrupt request (RCI), no completion record */
void vdev_submit_noop(struct vdev *v, unsigned int vwq, uint16_t handle)
{
	vdev_submit(v, vwq, OP_NOOP, DESC_RCI, handle);
}

/*
 * @n NOOPs at @list (64-byte aligned), the elements of a batch; each with
 * a completion record, the i-th at IOVA @comp + 32 x i, unless @comp is 0
 */
void vdev_noop_list(void *list, unsigned int n, uint64_t comp)
{
	uint32_t *desc = list;
	unsigned int i;

	memset(list, 0, (size_t)n * 64);
	for (i = 0; i < n; i++, desc += 16) {
		uint64_t rec = comp + (uint64_t)i * COMP_RECORD_SIZE;

		desc[1] = (uint32_t)OP_NOOP << 24;
		if (comp) {
			desc[1] |= DESC_CRAV | DESC_RCR;
			memcpy(&desc[2], &rec, 8);	/* completion_addr at byte 8 */
		}
	}
}

/*
 * A batch descriptor to virtual WQ @vwq: the @count descriptors at IOVA
 * @list, a completion record at IOVA @comp unless @comp is 0
 */
void vdev_submit_batch(struct vdev *v, unsigned int vwq, uint64_t list,
		       uint32_t count, uint64_t comp)
{
	uint32_t desc[16];

	memset(desc, 0, sizeof(desc));
	desc[1] = (uint32_t)OP_BATCH << 24;
	if (comp) {
		desc[1] |= DESC_CRAV | DESC_RCR;
		memcpy(&desc[2], &comp, 8);	/* completion_addr at byte 8 */
	}
	memcpy(&desc[4], &list, 8);		/* desc_list_addr at byte 16 */
	desc[8] = count;			/* desc_count at byte 32 */
	vdev_submit_desc(v, vwq, desc);
}

/* An IOAS of @iommufd; its ID in *@id */
int vdev_ioas_alloc(int iommufd, uint32_t *id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	*id = alloc.out_ioas_id;
	return 0;
}

/* Map @len bytes at @va to @iova of @ioas, readable and writable */
int vdev_ioas_map(int iommufd, uint32_t ioas, void *va, size_t len,
		  uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &map) ? -errno : 0;
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT of @v to @pt_id (an IOAS or a HWPT) */
int vdev_attach_pt(struct vdev *v, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at), .pt_id = pt_id,
	};

	return ioctl(v->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT of @v */
int vdev_detach_pt(struct vdev *v)
{
	struct vfio_device_detach_iommufd_pt de = { .argsz = sizeof(de) };

	return ioctl(v->device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &de) ? -errno : 0;
}

/*
 * The kernel log from now on: /dev/kmsg, positioned at its end.  Returns
 * the descriptor or a negative errno.
 */
int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * The kernel log records since kmsg_open() (or the last call) that
 * @match accepts: their number, the first in @first (unless NULL).
 * Records overwritten before they were read are skipped.
 */
int kmsg_scan(int fd, int (*match)(const char *rec, const void *arg),
	      const void *arg, char *first, size_t len)
{
	char rec[2048];
	int found = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		if (!match(rec, arg))
			continue;
		if (!found && first)
			snprintf(first, len, "%s", rec);
		found++;
	}
	return found;
}

struct kmsg_pair {
	const char *a;
	const char *b;
};

static int kmsg_has_pair(const char *rec, const void *arg)
{
	const struct kmsg_pair *p = arg;

	return strstr(rec, p->a) && (!p->b || strstr(rec, p->b));
}

/*
 * Whether a record logged since kmsg_open() (or the last call) contains
 * @a and, unless NULL, @b; 1 if so, 0 if not.
 */
int kmsg_find(int fd, const char *a, const char *b)
{
	struct kmsg_pair p = { a, b };

	return kmsg_scan(fd, kmsg_has_pair, &p, NULL, 0) > 0;
}

static int kmsg_is_splat(const char *rec, const void *arg)
{
	return !!splat_match(rec);
}

/*
 * A kernel log record since the last call (or kmsg_open()) that matches
 * a pattern of $KSFT_SPLAT_FILE (splat_match()), in @out; 1 if there is
 * one.
 */
int kmsg_splat(int fd, char *out, size_t len)
{
	return kmsg_scan(fd, kmsg_is_splat, NULL, out, len) > 0;
}

/*
 * A count of the vdev's debugfs "irqs" (idxd_vdev/UUID/irqs): @key is the
 * text before the number, e.g. "regrows" or "vector 1: ims_allocs".
 * Returns the count, or -1 if the file or the key is missing.
 */
long vdev_irq_stat(const char *uuid, const char *key)
{
	size_t klen = strlen(key);
	char path[PATH_MAX], line[256];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/idxd_vdev/%s/irqs",
		 uuid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + klen;

		if (strncmp(line, key, klen))
			continue;
		if (*p == ':')
			p++;
		if (*p != ' ')
			continue;
		val = strtol(p, NULL, 10);
		break;
	}
	fclose(f);
	return val;
}

/* The patterns of $KSFT_SPLAT_FILE, compiled */
#define SPLAT_MAX	128
static regex_t splat_re[SPLAT_MAX];
static char *splat_text[SPLAT_MAX];
static unsigned int splat_n;

/*
 * Load the kernel log patterns that mean a kernel problem from the file
 * $KSFT_SPLAT_FILE names: POSIX extended regular expressions, one per
 * line.  Returns 0, or a negative errno after saying what is wrong: the
 * variable unset, the file unreadable, empty or with a pattern that does
 * not compile.  A test that cannot judge the kernel log must fail.
 */
int splat_load(void)
{
	const char *path = getenv(SPLAT_FILE_ENV);
	unsigned int lineno = 0;
	char line[512], err[128];
	int rc = 0, e;
	FILE *f;

	if (splat_n)
		return 0;
	if (!path || !*path) {
		fprintf(stderr,
			"%s is not set: it names the kernel log patterns that mean a kernel problem (tools/testing/vm/lib/splat-patterns; run-vm sets it)\n",
			SPLAT_FILE_ENV);
		return -ENOENT;
	}
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "%s=%s: %s\n", SPLAT_FILE_ENV, path, strerror(-rc));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (splat_n == SPLAT_MAX) {
			fprintf(stderr, "%s=%s: more than %u patterns\n",
				SPLAT_FILE_ENV, path, SPLAT_MAX);
			rc = -E2BIG;
			break;
		}
		e = regcomp(&splat_re[splat_n], line, REG_EXTENDED | REG_NOSUB);
		if (e) {
			regerror(e, &splat_re[splat_n], err, sizeof(err));
			fprintf(stderr, "%s=%s: line %u: %s: %s\n", SPLAT_FILE_ENV,
				path, lineno, line, err);
			rc = -EINVAL;
			break;
		}
		splat_text[splat_n] = strdup(line);
		if (!splat_text[splat_n]) {
			regfree(&splat_re[splat_n]);
			rc = -ENOMEM;
			break;
		}
		splat_n++;
	}
	if (!rc && ferror(f)) {
		fprintf(stderr, "%s=%s: read error\n", SPLAT_FILE_ENV, path);
		rc = -EIO;
	}
	fclose(f);
	if (!rc && !splat_n) {
		fprintf(stderr, "%s=%s: no pattern in it\n", SPLAT_FILE_ENV, path);
		rc = -ENODATA;
	}
	if (rc) {
		while (splat_n--) {
			regfree(&splat_re[splat_n]);
			free(splat_text[splat_n]);
		}
		splat_n = 0;
	}
	return rc;
}

/*
 * The pattern of $KSFT_SPLAT_FILE that the message of the kernel log
 * record @rec (as read from /dev/kmsg, or the message alone) matches, or
 * NULL if none does.  Without patterns loaded every record is a problem.
 */
const char *splat_match(const char *rec)
{
	const char *msg = rec, *semi, *nl;
	char text[2048];
	unsigned int i;
	size_t len;

	if (!splat_n && splat_load())
		return "(no kernel log patterns: " SPLAT_FILE_ENV ")";
	nl = strchr(rec, '\n');
	semi = strchr(rec, ';');
	if (semi && (!nl || semi < nl))
		msg = semi + 1;
	len = strcspn(msg, "\n");
	if (len >= sizeof(text))
		len = sizeof(text) - 1;
	memcpy(text, msg, len);
	text[len] = 0;
	for (i = 0; i < splat_n; i++)
		if (!regexec(&splat_re[i], text, 0, NULL, 0))
			return splat_text[i];
	return NULL;
}

/*
 * VFIO_DEVICE_FEATURE with @flags (GET, SET or PROBE and the feature) and
 * @len bytes of @data, which receives what a GET returns
 */
int vdev_feature(struct vdev *v, uint32_t flags, void *data, size_t len)
{
	uint64_t buf[(sizeof(struct vfio_device_feature) + 64 + 7) / 8];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;

	if (len > 64)
		return -EINVAL;
	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(*f) + len;
	f->flags = flags;
	if (len)
		memcpy(f->data, data, len);
	if (ioctl(v->device, VFIO_DEVICE_FEATURE, f))
		return -errno;
	if (len)
		memcpy(data, f->data, len);
	return 0;
}

/* PROBE of @feature, as QEMU's vfio_dma_logging_supported() does it */
int vdev_feature_probe(struct vdev *v, uint32_t feature)
{
	return vdev_feature(v, VFIO_DEVICE_FEATURE_PROBE | feature, NULL, 0);
}

int vdev_mig_flags(struct vdev *v, uint64_t *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int rc;

	rc = vdev_feature(v, VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_MIGRATION, &mig, sizeof(mig));
	if (!rc)
		*flags = mig.flags;
	return rc;
}

int vdev_mig_get_state(struct vdev *v, uint32_t *state)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };
	int rc;

	rc = vdev_feature(v, VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	if (!rc)
		*state = st.device_state;
	return rc;
}

/* QEMU's vfio_migration_set_state() without its recovery */
int vdev_mig_set_state(struct vdev *v, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state st = {
		.device_state = state, .data_fd = -1,
	};
	int rc;

	rc = vdev_feature(v, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	if (data_fd)
		*data_fd = rc ? -1 : st.data_fd;
	else if (!rc && st.data_fd >= 0)
		close(st.data_fd);
	return rc;
}

int vdev_mig_data_size(struct vdev *v, uint64_t *len)
{
	struct vfio_device_feature_mig_data_size ds = { 0 };
	int rc;

	rc = vdev_feature(v, VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &ds, sizeof(ds));
	if (!rc)
		*len = ds.stop_copy_length;
	return rc;
}

int vdev_mig_precopy_info(int data_fd, uint64_t *initial, uint64_t *dirty)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (ioctl(data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info))
		return -errno;
	*initial = info.initial_bytes;
	*dirty = info.dirty_bytes;
	return 0;
}

const char *vdev_mig_state_name(uint32_t state)
{
	static const char * const name[] = {
		[VFIO_DEVICE_STATE_ERROR] = "ERROR",
		[VFIO_DEVICE_STATE_STOP] = "STOP",
		[VFIO_DEVICE_STATE_RUNNING] = "RUNNING",
		[VFIO_DEVICE_STATE_STOP_COPY] = "STOP_COPY",
		[VFIO_DEVICE_STATE_RESUMING] = "RESUMING",
		[VFIO_DEVICE_STATE_RUNNING_P2P] = "RUNNING_P2P",
		[VFIO_DEVICE_STATE_PRE_COPY] = "PRE_COPY",
		[VFIO_DEVICE_STATE_PRE_COPY_P2P] = "PRE_COPY_P2P",
	};

	return state < ARRAY_SIZE(name) && name[state] ?
	       name[state] : "?";
}

/* QEMU's vfio_devices_dma_logging_start(): @n ranges of @page_size */
int vdev_dma_log_start(struct vdev *v, uint64_t *page_size,
		       const struct vdev_log_range *ranges, unsigned int n)
{
	struct vfio_device_feature_dma_logging_range *r;
	struct vfio_device_feature_dma_logging_control ctl = {
		.page_size = *page_size, .num_ranges = n,
	};
	unsigned int i;
	int rc;

	r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r[i].iova = ranges[i].iova;
		r[i].length = ranges[i].length;
	}
	ctl.ranges = (uintptr_t)r;
	rc = vdev_feature(v, VFIO_DEVICE_FEATURE_SET |
			  VFIO_DEVICE_FEATURE_DMA_LOGGING_START, &ctl, sizeof(ctl));
	free(r);
	if (!rc)
		*page_size = ctl.page_size;
	return rc;
}

int vdev_dma_log_stop(struct vdev *v)
{
	return vdev_feature(v, VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, NULL, 0);
}

/* The bitmap of [@iova, @iova + @length) into @bitmap, one bit a page */
int vdev_dma_log_report(struct vdev *v, uint64_t iova, uint64_t length,
			uint64_t page_size, void *bitmap)
{
	struct vfio_device_feature_dma_logging_report rep = {
		.iova = iova, .length = length, .page_size = page_size,
		.bitmap = (uintptr_t)bitmap,
	};

	return vdev_feature(v, VFIO_DEVICE_FEATURE_GET |
			    VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, &rep,
			    sizeof(rep));
}
