// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the idxd vdev kselftest: the host side through sysfs, the
 * guest side through VFIO.
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
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

#include "vdev.h"

/* The first DSA with (@want_ims) or without IMS entries */
int dsa_find(char *dsa, size_t dlen, char *bdf, size_t blen, int want_ims)
{
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
		snprintf(dsa, dlen, "%s", de->d_name);
		rc = 0;
		break;
	}
	closedir(dir);
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

int vdev_open(struct vdev *v, const char *uuid)
{
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	int rc, i;

	memset(v, 0, sizeof(*v));
	v->device = -1;
	v->iommufd = -1;
	for (i = 0; i < 8; i++)
		v->efd[i] = -1;
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);

	v->device = mdev_open(uuid, &v->iommufd);
	if (v->device < 0)
		return v->device;
	rc = region(v, VFIO_PCI_CONFIG_REGION_INDEX, &v->cfg, NULL) ||
	     region(v, VFIO_PCI_BAR0_REGION_INDEX, &v->bar0, NULL) ||
	     region(v, VFIO_PCI_BAR2_REGION_INDEX, &v->bar2, &v->bar2_size);
	if (rc)
		return -EIO;
	if (ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, &irq))
		return -errno;
	v->nvec = irq.count;
	for (i = 0; i < v->nvec && i < 8; i++) {
		v->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (v->efd[i] < 0)
			return -errno;
	}
	return 0;
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
	for (i = 0; i < 8; i++)
		if (v->efd[i] >= 0)
			close(v->efd[i]);
	v->device = -1;
	v->iommufd = -1;
	for (i = 0; i < 8; i++)
		v->efd[i] = -1;
}

int cfg_read(struct vdev *v, unsigned int off, void *buf, size_t len)
{
	return pread(v->device, buf, len, v->cfg + off) == (ssize_t)len ? 0 : -1;
}

int cfg_write(struct vdev *v, unsigned int off, const void *buf, size_t len)
{
	return pwrite(v->device, buf, len, v->cfg + off) == (ssize_t)len ? 0 : -1;
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

/* Give (@fd >= 0) or take (-1) the eventfd of one vector */
int vdev_set_eventfd(struct vdev *v, unsigned int index, unsigned int vector,
		     int fd)
{
	int32_t efd = fd;

	return set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, index, vector, 1, &efd,
			sizeof(efd)) ? -errno : 0;
}

int vdev_disable_msix(struct vdev *v)
{
	return set_irqs(v->device, VFIO_IRQ_SET_DATA_NONE |
			VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0,
			NULL, 0) ? -errno : 0;
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

/* The mask bit of MSI-X table entry @vector */
void vdev_unmask(struct vdev *v, unsigned int vector, int unmask)
{
	reg_write32(v, REG_MSIX_TABLE + 16 * vector + 12, unmask ? 0 : 1);
}

int vdev_map_portals(struct vdev *v)
{
	void *p;

	/* Pages 0 and 1 of each WQ's four; map the first WQ's two */
	p = mmap(NULL, v->bar2_size, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (uint64_t off = 0; off < v->bar2_size;
	     off += PORTAL_PAGES_PER_WQ * 4096) {
		if (mmap((char *)p + off, 2 * 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, v->device, v->bar2 + off) ==
		    MAP_FAILED) {
			int rc = -errno;

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

/* A descriptor of @opcode and @flags, no completion record */
void vdev_submit(struct vdev *v, unsigned int vwq, uint8_t opcode,
		 uint32_t flags, uint16_t handle)
{
	static uint32_t *desc;
	char *portal = (char *)v->portals + vwq * PORTAL_PAGES_PER_WQ * 4096;

	if (!desc)
		desc = aligned_alloc(64, 64);
	if (!desc)
		return;
	memset(desc, 0, 64);
	desc[1] = ((uint32_t)opcode << 24) | (flags & 0xffffff);
	desc[9] = handle;		/* int_handle at byte 36 */
	__sync_synchronize();
	movdir64b(portal, desc);
}

/* A NOOP with a completion interrupt request (RCI), no completion record */
void vdev_submit_noop(struct vdev *v, unsigned int vwq, uint16_t handle)
{
	vdev_submit(v, vwq, 0, 0x10, handle);
}
