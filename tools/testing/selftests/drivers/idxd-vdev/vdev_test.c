// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_test - the idxd vdev driver, played from the guest driver's seat.
 *
 * Two dedicated WQs of the first DSA with IMS entries are bound to the
 * idxd_vdev WQ driver (with its INTEL-SA-01084 opt-in set); each test
 * creates vdevs through mdev sysfs, opens them through the VFIO device
 * cdev and iommufd, and drives them as the guest's idxd driver would
 * behind QEMU 7.2's vfio-pci: config space, BAR0 commands, MSI-X vectors
 * through VFIO_DEVICE_SET_IRQS the way 7.2 enables them (and, in one case,
 * the way QEMU 10.0's dynamic MSI-X does), NOOP descriptors
 * through the portal mapped as the region's flags allow, with the handle
 * from REQUEST_INT_HANDLE.  Nothing here writes the vdev's MSI-X table or
 * PBA: QEMU emulates them and never does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vdev.h"

#define WQ_SIZE		16
#define QUIET_MS	300
#define FIRE_MS		5000
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX

static uint16_t cfg16(struct vdev *v, unsigned int off)
{
	uint16_t val = 0xffff;

	cfg_read(v, off, &val, 2);
	return val;
}

static uint32_t cfg32(struct vdev *v, unsigned int off)
{
	uint32_t val = ~0u;

	cfg_read(v, off, &val, 4);
	return val;
}

static void set_cfg16(struct vdev *v, unsigned int off, uint16_t val)
{
	cfg_write(v, off, &val, 2);
}

FIXTURE(host) {
	char dsa[32];
	char bdf[32];
	char uuid[2][40];
	struct vdev v[2];
	int setup;
};

FIXTURE_SETUP(host)
{
	memset(self->uuid, 0, sizeof(self->uuid));
	self->v[0].device = -1;
	self->v[1].device = -1;
	self->setup = 0;
	ASSERT_EQ(0, vdev_host_setup(self->dsa, sizeof(self->dsa), self->bdf,
				     sizeof(self->bdf), 2, WQ_SIZE,
				     &self->setup));
}

FIXTURE_TEARDOWN(host)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->v[i].device >= 0)
			vdev_close(&self->v[i]);
		if (self->uuid[i][0])
			vdev_remove(self->uuid[i]);
	}
	if (self->setup) {
		int rc = dsa_teardown(self->dsa, 2);

		EXPECT_EQ(0, rc) TH_LOG("tearing %s down: %s", self->dsa, strerror(-rc));
	}
}

/* Create a vdev of @type and open it */
static int vdev_create_open(const char *bdf, char *uuid, size_t len,
			    struct vdev *v, const char *type)
{
	int rc = vdev_create(bdf, type, uuid, len);

	if (rc) {
		uuid[0] = 0;
		return rc;
	}
	return vdev_open(v, uuid);
}

/* The types, their names and how many instances are left at each moment */
TEST_F(host, mdev_types)
{
	char path[PATH_MAX], buf[256];

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("2", buf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-2dwq-v1/available_instances",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-2dwq-v1/device_api",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("vfio-pci", buf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-2dwq-v1/name",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("DSA with 2 dedicated WQs", buf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/description",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "1 dedicated WQ")) TH_LOG("%s", buf);

	ASSERT_EQ(0, vdev_create(self->bdf, "idxd-dsa-1dwq-v1", self->uuid[0],
				 sizeof(self->uuid[0])));
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-2dwq-v1/available_instances",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("0", buf);
	/* No two WQs left: the 2-WQ type is refused */
	EXPECT_EQ(-ENOSPC, vdev_create(self->bdf, "idxd-dsa-2dwq-v1", self->uuid[1],
				       sizeof(self->uuid[1])));
	self->uuid[1][0] = 0;
	ASSERT_EQ(0, vdev_remove(self->uuid[0]));
	self->uuid[0][0] = 0;
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
}

/* mdevctl sees the types and creates and removes vdevs with no help */
TEST_F(host, mdevctl)
{
	char cmd[512], path[PATH_MAX], uuid[40] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mdevctl types -p %s | grep -q idxd-dsa-2dwq-v1",
		 self->bdf);
	ASSERT_EQ(0, system(cmd));
	f = fopen("/proc/sys/kernel/random/uuid", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(uuid, sizeof(uuid), f));
	fclose(f);
	uuid[36] = 0;
	snprintf(cmd, sizeof(cmd), "mdevctl start -u %s -p %s -t idxd-dsa-1dwq-v1",
		 uuid, self->bdf);
	ASSERT_EQ(0, system(cmd));
	snprintf(self->uuid[0], sizeof(self->uuid[0]), "%s", uuid);
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vfio-dev", uuid);
	EXPECT_EQ(0, access(path, F_OK));
	snprintf(cmd, sizeof(cmd), "mdevctl list | grep -q '%s %s idxd-dsa-1dwq-v1'",
		 uuid, self->bdf);
	EXPECT_EQ(0, system(cmd));
	snprintf(cmd, sizeof(cmd), "mdevctl stop -u %s", uuid);
	ASSERT_EQ(0, system(cmd));
	self->uuid[0][0] = 0;
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s", uuid);
	EXPECT_NE(0, access(path, F_OK));
}

/* Config space of a DSA function, read-only where the hardware is */
TEST_F(host, config_space)
{
	struct vdev *v = &self->v[0];
	uint32_t val, table, pba;
	uint16_t flags;
	uint8_t cap;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	EXPECT_EQ(0x8086, cfg16(v, PCI_VENDOR_ID));
	EXPECT_EQ(0x0b25, cfg16(v, PCI_DEVICE_ID));
	EXPECT_EQ(0x0880, cfg16(v, PCI_CLASS_DEVICE));
	EXPECT_TRUE(cfg16(v, PCI_STATUS) & PCI_STATUS_CAP_LIST);

	/* Read-only: the IDs do not change */
	set_cfg16(v, PCI_VENDOR_ID, 0x1234);
	set_cfg16(v, PCI_DEVICE_ID, 0x5678);
	EXPECT_EQ(0x8086, cfg16(v, PCI_VENDOR_ID));
	EXPECT_EQ(0x0b25, cfg16(v, PCI_DEVICE_ID));

	/* BARs read back their size: 8 KiB BAR0, 2 WQs x 16 KiB BAR2 */
	val = ~0u;
	cfg_write(v, PCI_BASE_ADDRESS_0, &val, 4);
	EXPECT_EQ(0xffffe004, cfg32(v, PCI_BASE_ADDRESS_0));
	cfg_write(v, PCI_BASE_ADDRESS_2, &val, 4);
	EXPECT_EQ(0xffff8004, cfg32(v, PCI_BASE_ADDRESS_2));

	/* Capabilities: PCIe (RCiEP), MSI-X with exact table/PBA, PASID */
	cap = cfg16(v, PCI_CAPABILITY_LIST) & 0xff;
	ASSERT_EQ(PCI_CAP_ID_EXP, cfg16(v, cap) & 0xff);
	EXPECT_EQ(PCI_EXP_TYPE_RC_END, (cfg16(v, cap + PCI_EXP_FLAGS) >> 4) & 0xf);
	cap = cfg16(v, cap) >> 8;
	ASSERT_EQ(PCI_CAP_ID_MSIX, cfg16(v, cap) & 0xff);
	flags = cfg16(v, cap + PCI_MSIX_FLAGS);
	EXPECT_EQ(2, flags & PCI_MSIX_FLAGS_QSIZE);	/* 3 vectors */
	table = cfg32(v, cap + PCI_MSIX_TABLE);
	pba = cfg32(v, cap + PCI_MSIX_PBA);
	EXPECT_EQ(REG_MSIX_TABLE, table);		/* BIR 0 */
	EXPECT_EQ(REG_MSIX_PBA, pba);
	EXPECT_EQ(0, cfg16(v, cap) >> 8);
	/* Only enable and function mask are writable */
	set_cfg16(v, cap + PCI_MSIX_FLAGS, 0xffff);
	EXPECT_EQ(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 2,
		  cfg16(v, cap + PCI_MSIX_FLAGS));
	set_cfg16(v, cap + PCI_MSIX_FLAGS, 0);
	cfg_write(v, cap + PCI_MSIX_TABLE, &val, 4);
	EXPECT_EQ(REG_MSIX_TABLE, cfg32(v, cap + PCI_MSIX_TABLE));

	val = cfg32(v, 0x100);
	EXPECT_EQ(PCI_EXT_CAP_ID_PASID, val & 0xffff);
	EXPECT_EQ(20, (cfg16(v, 0x100 + PCI_PASID_CAP) >> 8) & 0x1f);

	/* BAR0 agrees: 2 WQs, no IMS, fixed configuration, DSA 1.0 */
	EXPECT_EQ(0x100, reg_read32(v, 0));
	EXPECT_EQ(2, (reg_read64(v, REG_WQCAP) >> 16) & 0xff);
	EXPECT_EQ(2 * WQ_SIZE, reg_read64(v, REG_WQCAP) & 0xffff);
	EXPECT_EQ(0, (reg_read64(v, REG_GENCAP) >> 25) & 0x7f);
	EXPECT_TRUE(reg_read32(v, REG_CMDCAP) & (1 << CMD_REQUEST_INT_HANDLE));
	EXPECT_EQ(WQ_SIZE, reg_read32(v, REG_WQCFG) & 0xffff);
	EXPECT_EQ(WQ_SIZE, reg_read32(v, REG_WQCFG + 32) & 0xffff);
}

/* BAR2's flags and sparse areas: pages 0 and 1 of each WQ's four */
static void check_bar2(struct __test_metadata *_metadata, struct vdev *v,
		       unsigned int nwqs)
{
	const uint32_t want = VFIO_REGION_INFO_FLAG_READ |
			      VFIO_REGION_INFO_FLAG_WRITE |
			      VFIO_REGION_INFO_FLAG_MMAP |
			      VFIO_REGION_INFO_FLAG_CAPS;
	unsigned int i;

	EXPECT_EQ(nwqs * PORTAL_PAGES_PER_WQ * 4096, v->bar2_size);
	EXPECT_EQ(want, v->bar2_flags) TH_LOG("BAR2 flags %#x", v->bar2_flags);
	ASSERT_EQ(nwqs, v->nareas);
	for (i = 0; i < nwqs; i++) {
		EXPECT_EQ(i * PORTAL_PAGES_PER_WQ * 4096, v->area[i].offset);
		EXPECT_EQ(2 * 4096, v->area[i].size);
	}
	/* Mapped as QEMU maps it: every area, with the flags' protection */
	ASSERT_EQ(0, vdev_map_portals(v));
}

/* Region and interrupt information */
TEST_F(host, vfio_info)
{
	struct vdev *v = &self->v[0];
	struct vfio_irq_info irq = { .argsz = sizeof(irq) };
	struct vfio_region_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	EXPECT_EQ(2, v->nvec);
	irq.index = MSIX;
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(0, irq.flags & VFIO_IRQ_INFO_NORESIZE);
	irq.index = VFIO_PCI_REQ_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(1, irq.count);

	/* BAR0 goes through the file only */
	info.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
		  info.flags);
	EXPECT_EQ(8192, info.size);
	check_bar2(_metadata, v, 1);
	vdev_close(v);
	ASSERT_EQ(0, vdev_remove(self->uuid[0]));
	self->uuid[0][0] = 0;

	/* Two WQs: an area per WQ */
	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	EXPECT_EQ(3, v->nvec);
	check_bar2(_metadata, v, 2);
}

/*
 * Enable the device and a WQ with int_req: the emulated vector 0 fires;
 * the commands fail with the specification's codes where they must.
 */
TEST_F(host, commands_and_vector0)
{
	struct vdev *v = &self->v[0];

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_msix_enable(v));
	ASSERT_EQ(0, vdev_vector_use(v, 0));

	/* Without bus master */
	EXPECT_EQ(ERR_BUSMASTER_EN, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(ERR_DEV_NOTEN, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	set_cfg16(v, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	EXPECT_EQ(0, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(1, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(INTC_CMD, reg_read32(v, REG_INTCAUSE));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);		/* W1C */
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE));

	EXPECT_EQ(ERR_DEV_ENABLED, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 0));
	EXPECT_EQ(2, vdev_cmd(v, CMD_ENABLE_WQ, 1, 0));	/* bad WQ index */

	/* A guest PASID needs the PASID capability enabled */
	reg_write32(v, REG_WQCFG + 8, reg_read32(v, REG_WQCFG + 8) |
				      (1u << 28) | (0x77 << 8));
	EXPECT_EQ(ERR_PASID_EN, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	set_cfg16(v, 0x100 + PCI_PASID_CTRL, PCI_PASID_CTRL_ENABLE);
	EXPECT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 1));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(1u << 30, reg_read32(v, REG_WQCFG + 24) & (3u << 30));
	EXPECT_EQ(ERR_WQ_ENABLED, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	/* No interrupt without int_req */
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));

	/*
	 * Vector 0 without an eventfd keeps its message pending, in the PBA
	 * too, and sends it once when it has one again
	 */
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE));
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA) & 1);
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 0, -1));
	EXPECT_EQ(0, vdev_cmd(v, CMD_DRAIN_WQ, 1, 1));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));
	EXPECT_EQ(1, reg_read64(v, REG_MSIX_PBA) & 1);
	EXPECT_EQ(INTC_CMD, reg_read32(v, REG_INTCAUSE));
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 0, v->efd[0]));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA) & 1);
	reg_write32(v, REG_INTCAUSE, INTC_CMD);

	EXPECT_EQ(0, vdev_cmd(v, CMD_DISABLE_WQ, 1, 0));
	EXPECT_EQ(0, reg_read32(v, REG_WQCFG + 24) & (3u << 30));
	EXPECT_EQ(0, vdev_cmd(v, CMD_DISABLE_DEVICE, 0, 0));
	EXPECT_EQ(0x31, vdev_cmd(v, CMD_DISABLE_DEVICE, 0, 0));
	EXPECT_EQ(1, vdev_cmd(v, 0x1f, 0, 0));		/* unknown command */
}

/*
 * REQUEST_INT_HANDLE, then a NOOP with RCI through the mapped portal:
 * the IMS-backed vector fires, exactly once, and vector 0 stays quiet.
 */
TEST_F(host, noop_fires_ims_vector_once)
{
	struct vdev *v = &self->v[0];
	uint16_t handle;
	int i;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));

	/* Vector 0 and out-of-range vectors have no handle */
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 0, 0) & 0xff);
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0) & 0xff);
	EXPECT_EQ(ERR_INVAL_INT_IDX,
		  vdev_cmd(v, CMD_REQUEST_INT_HANDLE, CMD_IMS | 1, 0) & 0xff);

	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, vdev_map_portals(v));
	for (i = 0; i < 3; i++) {
		vdev_submit_noop(v, 0, handle);
		EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS))
			TH_LOG("NOOP %d", i);
		EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS))
			TH_LOG("NOOP %d", i);
	}
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));

	/*
	 * Vector 1 without its eventfd keeps its IMS entry: the NOOP's
	 * interrupt waits in the entry, in the PBA too, and is delivered
	 * once when the vector has an eventfd again, on the same handle
	 */
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA));
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 1, -1));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(2, reg_read64(v, REG_MSIX_PBA));
	EXPECT_EQ(2, reg_read32(v, REG_MSIX_PBA));
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 1, v->efd[1]));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA));
	EXPECT_EQ(handle, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) >> 8);
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));

	/* Released, the handle is no longer the guest's */
	EXPECT_EQ(0, vdev_cmd(v, CMD_RELEASE_INT_HANDLE, handle, 0));
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_RELEASE_INT_HANDLE, handle, 0));
}

/*
 * The guest may ask for a vector's handle before its VMM gave the vector
 * an eventfd (nothing orders the two; QEMU happens to set the vector up
 * first): the handle is the vector's IMS entry's all the same, an
 * interrupt waits in the entry (and the PBA) until the eventfd comes, and
 * the entry is the one the eventfd then uses, allocated once.
 */
TEST_F(host, handle_before_eventfd)
{
	struct vdev *v = &self->v[0];
	uint16_t handle, again;
	uint32_t sts;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_map_portals(v));

	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, sts & 0xff);
	handle = sts >> 8;
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(2, reg_read64(v, REG_MSIX_PBA));

	/* The VMM sets the vector up: the held interrupt, once */
	ASSERT_EQ(0, vdev_vector_up(v, 1, &again));
	EXPECT_EQ(handle, again);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(1, vdev_irq_stat(self->uuid[0], "vector 1: ims_allocs"));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
}

/*
 * A vdev of two WQs: vectors 1 and 2, one per WQ.  A vector added (QEMU
 * 7.2: the whole index off and on again), taken away and added again
 * (QEMU 8.1+: one vector) while the other one has an interrupt in flight
 * loses nothing, and keeps the handle the guest was given.  (Interrupts
 * of one vector that arrive before the first is handled may coalesce,
 * as MSIs do: each NOOP is awaited before the next.)
 */
TEST_F(host, two_wqs_vectors_come_and_go)
{
	struct vdev *v = &self->v[0];
	uint16_t h1, h2, h2b;
	int i;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	ASSERT_EQ(3, v->nvec);
	ASSERT_EQ(0, vdev_bring_up(v, 2));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &h1));
	ASSERT_EQ(0, vdev_map_portals(v));

	/*
	 * Vector 2 arrives while vector 1's NOOP is in flight: QEMU 7.2
	 * takes every vector away and gives them back
	 */
	vdev_submit_noop(v, 0, h1);
	ASSERT_EQ(0, vdev_vector_up(v, 2, &h2));
	EXPECT_NE(h1, h2);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	for (i = 0; i < 5; i++) {
		vdev_submit_noop(v, 0, h1);
		EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS))
			TH_LOG("round %d", i);
		vdev_submit_noop(v, 1, h2);
		EXPECT_EQ(1, efd_wait(v->efd[2], 1, FIRE_MS))
			TH_LOG("round %d", i);
	}
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[2], 1, 0));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));

	/* Vector 2 loses its eventfd while vector 1's NOOP is in flight */
	vdev_submit_noop(v, 0, h1);
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 2, -1));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	/* Its entry, hence its handle, stays */
	EXPECT_EQ((uint32_t)h2 << 8, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0));
	/* A NOOP for vector 2 meanwhile is kept for it */
	vdev_submit_noop(v, 1, h2);
	usleep(QUIET_MS * 1000);
	ASSERT_EQ(0, vdev_vector_up(v, 2, &h2b));
	EXPECT_EQ(h2, h2b);
	EXPECT_EQ(1, efd_wait(v->efd[2], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	/* With MSI-X off, the entries and the guest's handles stay */
	ASSERT_EQ(0, vdev_disable_msix(v));
	EXPECT_EQ((uint32_t)h1 << 8, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0));
	EXPECT_EQ((uint32_t)h2 << 8, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0));
}

/*
 * IMS entries are the vdev's for as long as it is open: with A's MSI-X
 * index disabled, B's vector gets another entry; A's vector comes back
 * (the QEMU 7.2 way) on its own entry with the handle the guest holds,
 * nothing is revoked and that handle fires A's vector.  Closed, A gives
 * its entry back.
 */
TEST_F(host, handle_kept_across_index_off)
{
	struct vdev *a = &self->v[0], *b = &self->v[1];
	uint16_t ha, hb, again;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[1], sizeof(self->uuid[1]),
				      &self->v[1], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(a, 1));
	ASSERT_EQ(0, vdev_vector_up(a, 1, &ha));
	ASSERT_EQ(0, vdev_map_portals(a));

	/* A's index off: B allocates a vector meanwhile */
	ASSERT_EQ(0, vdev_disable_msix(a));
	ASSERT_EQ(0, vdev_bring_up(b, 1));
	ASSERT_EQ(0, vdev_vector_up(b, 1, &hb));
	EXPECT_NE(ha, hb) TH_LOG("B got the IMS entry A still holds");
	ASSERT_EQ(0, vdev_map_portals(b));

	/* A's guest enables MSI-X and requests its vector again */
	ASSERT_EQ(0, vdev_msix_enable(a));
	ASSERT_EQ(0, vdev_vector_use(a, 1));
	EXPECT_EQ(0, efd_wait(a->efd[0], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read32(a, REG_INTCAUSE) & INTC_REVOKED);

	/* The old handle fires A's vector, once, and not B's */
	vdev_submit_noop(a, 0, ha);
	EXPECT_EQ(1, efd_wait(a->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(b->efd[1], 1, 0));
	EXPECT_EQ(ha, vdev_cmd(a, CMD_REQUEST_INT_HANDLE, 1, 0) >> 8);
	vdev_submit_noop(b, 0, hb);
	EXPECT_EQ(1, efd_wait(b->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(a->efd[0], 1, 0));
	EXPECT_EQ(0, efd_wait(b->efd[0], 1, 0));
	EXPECT_EQ(0, reg_read32(a, REG_INTCAUSE) & INTC_REVOKED);
	EXPECT_EQ(0, reg_read32(b, REG_INTCAUSE) & INTC_REVOKED);

	/*
	 * Closed, A's entry is free: the next vector allocated gets it
	 * (entries are taken lowest first, and A's came before B's)
	 */
	vdev_close(a);
	ASSERT_EQ(0, vdev_open(a, self->uuid[0]));
	ASSERT_EQ(0, vdev_bring_up(a, 1));
	ASSERT_EQ(0, vdev_vector_up(a, 1, &again));
	EXPECT_EQ(ha, again);
}

/*
 * How the host saw a two-WQ vdev's MSI-X index grow (debugfs "irqs"): the
 * counts given, and one IMS entry for each of vectors 1 and 2.
 */
static void expect_growth(struct __test_metadata *_metadata, struct vdev *v,
			  long enables, long disables, long regrows, long added)
{
	EXPECT_EQ(enables, vdev_irq_stat(v->uuid, "enables"));
	EXPECT_EQ(disables, vdev_irq_stat(v->uuid, "disables"));
	EXPECT_EQ(regrows, vdev_irq_stat(v->uuid, "regrows"));
	EXPECT_EQ(added, vdev_irq_stat(v->uuid, "added"));
	EXPECT_EQ(1, vdev_irq_stat(v->uuid, "vector 1: ims_allocs"));
	EXPECT_EQ(1, vdev_irq_stat(v->uuid, "vector 2: ims_allocs"));
}

/*
 * QEMU 7.2's MSI-X pattern, exactly: at MSI-X enable, vector 0 alone;
 * for each new highest vector N, the whole index disabled, then vectors
 * 0..N enabled in one SET_IRQS (-1 for those not in use); a lower vector
 * re-used gets its own SET_IRQS.  Vector 1's handle, asked for before the
 * index grew to vector 2, still fires vector 1 exactly once, and nothing
 * is revoked.
 */
TEST_F(host, qemu72_msix_pattern)
{
	struct vdev *v = &self->v[0];
	int32_t fds[3];
	uint16_t h1, h2;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	ASSERT_EQ(3, v->nvec);
	ASSERT_EQ(0, vdev_map_portals(v));

	/* Probe: bus master, RESET_DEVICE, MSI-X: vector 0 alone */
	set_cfg16(v, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(0, vdev_cmd(v, CMD_RESET_DEVICE, 0, 0));
	ASSERT_EQ(0, vdev_msix_enable(v));
	EXPECT_EQ(1, v->msix_nr);
	/* request_irq() of the misc vector: vector 0 on its own */
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 0, v->efd[0]));
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);

	/* WQ 0's vector 1: index off, then vectors 0 and 1 at once */
	ASSERT_EQ(0, vdev_disable_msix(v));
	fds[0] = v->efd[0];
	fds[1] = v->efd[1];
	ASSERT_EQ(0, vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
					  VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, 0,
					  2, fds, 2 * sizeof(fds[0])));
	h1 = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) >> 8;
	ASSERT_EQ(0, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) & 0xff);
	vdev_submit_noop(v, 0, h1);
	ASSERT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	/*
	 * WQ 1's vector 2 (the guest's request_irq() unmasks it in QEMU's
	 * table): index off, then vectors 0..2 at once
	 */
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 1, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	ASSERT_EQ(0, vdev_disable_msix(v));
	fds[2] = v->efd[2];
	ASSERT_EQ(0, vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
					  VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, 0,
					  3, fds, 3 * sizeof(fds[0])));
	h2 = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0) >> 8;
	ASSERT_EQ(0, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0) & 0xff);
	EXPECT_NE(h1, h2);

	/* No revocation; vector 1's handle fires vector 1, once */
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE) & INTC_REVOKED);
	vdev_submit_noop(v, 0, h1);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[2], 1, 0));
	vdev_submit_noop(v, 1, h2);
	EXPECT_EQ(1, efd_wait(v->efd[2], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	/* Vector 1 re-used (masked and unmasked): its own SET_IRQS */
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 1, v->efd[1]));
	vdev_submit_noop(v, 0, h1);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE) & INTC_REVOKED);

	/* The host saw the index grown whole twice, no vector added alone */
	expect_growth(_metadata, v, 3, 2, 2, 0);
}

/*
 * QEMU 10.0's MSI-X pattern (dynamic MSI-X, since QEMU 8.1, for a device
 * whose MSI-X index lacks VFIO_IRQ_INFO_NORESIZE): at MSI-X enable, with
 * every vector masked in the guest, vfio_enable_msix_no_vec() enables the
 * index with vector 0 given no eventfd (-1); each vector the guest then
 * unmasks gets its own SET_IRQS, the index staying enabled.  Each vector
 * is added once with one IMS entry, the index is never disabled, and the
 * handles fire their vectors.
 */
TEST_F(host, qemu10_dynamic_msix)
{
	struct vdev *v = &self->v[0];
	uint16_t h1, h2;
	int32_t none = -1;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	ASSERT_EQ(3, v->nvec);
	ASSERT_EQ(0, vdev_map_portals(v));

	set_cfg16(v, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(0, vdev_cmd(v, CMD_RESET_DEVICE, 0, 0));
	/* vfio_enable_msix_no_vec() */
	ASSERT_EQ(0, vfio_device_set_irqs(v->device, VFIO_IRQ_SET_DATA_EVENTFD |
					  VFIO_IRQ_SET_ACTION_TRIGGER, MSIX, 0,
					  1, &none, sizeof(none)));
	/* The guest's misc vector, then WQ 0's */
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 0, v->efd[0]));
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 1, v->efd[1]));
	h1 = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) >> 8;
	ASSERT_EQ(0, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) & 0xff);
	vdev_submit_noop(v, 0, h1);
	ASSERT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	/* WQ 1's vector 2, alone */
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 1, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_CMD);
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 2, v->efd[2]));
	h2 = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0) >> 8;
	ASSERT_EQ(0, vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 2, 0) & 0xff);
	EXPECT_NE(h1, h2);
	vdev_submit_noop(v, 1, h2);
	EXPECT_EQ(1, efd_wait(v->efd[2], 1, FIRE_MS));
	vdev_submit_noop(v, 0, h1);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[2], 1, 0));
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE) & INTC_REVOKED);

	expect_growth(_metadata, v, 1, 0, 0, 2);
	EXPECT_EQ(1, vdev_irq_stat(v->uuid, "vector 1: ims_allocs 1 requests"));

	/* The counts outlive the close, until the next open */
	vdev_close(v);
	EXPECT_EQ(1, vdev_irq_stat(self->uuid[0], "disables"));
	EXPECT_EQ(2, vdev_irq_stat(self->uuid[0], "added"));
	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	EXPECT_EQ(0, vdev_irq_stat(self->uuid[0], "enables"));
	EXPECT_EQ(0, vdev_irq_stat(self->uuid[0], "vector 1: ims_allocs"));
}

/*
 * What arrives while QEMU 7.2 has the whole index off to grow it is not
 * lost: a NOOP for vector 1 and a command completion for vector 0 are
 * delivered once each when the vectors are back.
 */
TEST_F(host, qemu72_grow_loses_nothing)
{
	struct vdev *v = &self->v[0];
	uint16_t h1;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-2dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 2));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &h1));
	ASSERT_EQ(0, vdev_map_portals(v));

	/* vfio_msix_vector_do_use() for vector 2, in two steps */
	ASSERT_EQ(0, vdev_disable_msix(v));
	vdev_submit_noop(v, 0, h1);
	EXPECT_EQ(0, vdev_cmd(v, CMD_DRAIN_WQ, 0, 1));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
	v->in_use |= 1u << 2;
	v->msix_nr = 3;
	ASSERT_EQ(0, vdev_enable_vectors(v));
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(INTC_CMD, reg_read32(v, REG_INTCAUSE));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
	EXPECT_EQ(0, efd_wait(v->efd[2], 1, 0));
	EXPECT_EQ(0, reg_read64(v, REG_MSIX_PBA));
}

/* Read SWERR's first quadword once it has @bits, or after @timeout_ms */
static uint64_t swerr_wait(struct vdev *v, uint64_t bits, int timeout_ms)
{
	uint64_t val;
	int ms;

	for (ms = 0; ; ms += 10) {
		val = reg_read64(v, REG_SWERR);
		if ((val & bits) == bits || ms >= timeout_ms)
			return val;
		usleep(10000);
	}
}

#define SWERR_VALID		0x1ull
#define SWERR_OVERFLOW		0x2ull
#define SWERR_DESC_VALID	0x4ull
#define SWERR_WQ_IDX_VALID	0x8ull
#define BAD_OPCODE		0x10	/* DSA_COMP_BAD_OPCODE */
#define GUEST_PASID		0x123

/*
 * A descriptor that fails with no completion record to go to reaches the
 * virtual SWERR with the guest's WQ index and PASID, and vector 0 when
 * the guest enabled software error interrupts.
 */
TEST_F(host, software_error)
{
	struct vdev *v = &self->v[0];
	uint64_t err;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 0));
	/* The guest's PASID, which must never reach the device */
	set_cfg16(v, 0x100 + PCI_PASID_CTRL, PCI_PASID_CTRL_ENABLE);
	reg_write32(v, REG_WQCFG + 8, (1u << 28) | (GUEST_PASID << 8));
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	reg_write32(v, REG_GENCTRL, 0x1);	/* software error interrupts */
	ASSERT_EQ(0, vdev_map_portals(v));

	vdev_submit(v, 0, 0x3f, 0, 0);
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(INTC_ERR, reg_read32(v, REG_INTCAUSE) & INTC_ERR);
	err = reg_read64(v, REG_SWERR);
	EXPECT_EQ(SWERR_VALID | SWERR_DESC_VALID | SWERR_WQ_IDX_VALID,
		  err & (SWERR_VALID | SWERR_OVERFLOW | SWERR_DESC_VALID |
			 SWERR_WQ_IDX_VALID)) TH_LOG("SWERR %#llx", (unsigned long long)err);
	EXPECT_EQ(BAD_OPCODE, (err >> 8) & 0xff);
	EXPECT_EQ(0, (err >> 16) & 0xff);		/* WQ index */
	EXPECT_EQ(0x3f, (err >> 32) & 0xff);		/* operation */
	EXPECT_EQ(GUEST_PASID, (err >> 40) & 0xfffff);

	/* Cleared by the guest; without the interrupt enable, silent */
	reg_write32(v, REG_INTCAUSE, INTC_ERR);
	reg_write32(v, REG_SWERR, SWERR_VALID);
	EXPECT_EQ(0, reg_read64(v, REG_SWERR));
	reg_write32(v, REG_GENCTRL, 0);
	vdev_submit(v, 0, 0x3f, 0, 0);
	err = swerr_wait(v, SWERR_VALID, FIRE_MS);
	EXPECT_EQ(SWERR_VALID, err & (SWERR_VALID | SWERR_OVERFLOW));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, 0));
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE) & INTC_ERR);

	/* Another one before the guest clears SWERR overflows it */
	vdev_submit(v, 0, 0x3f, 0, 0);
	err = swerr_wait(v, SWERR_OVERFLOW, FIRE_MS);
	EXPECT_EQ(SWERR_VALID | SWERR_OVERFLOW, err & (SWERR_VALID | SWERR_OVERFLOW));

	/* A reset forgets the error */
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, reg_read64(v, REG_SWERR));
}

/*
 * A one-WQ vdev created on @bdf and opened as @v, its portal mapped,
 * brought up with its WQ enabled if @wq_on, and vector 1 with its handle
 */
static int one_wq_up(const char *bdf, char *uuid, size_t len, struct vdev *v,
		     int wq_on, uint16_t *handle)
{
	int rc;

	rc = vdev_create_open(bdf, uuid, len, v, "idxd-dsa-1dwq-v1");
	if (!rc)
		rc = vdev_map_portals(v);
	if (!rc)
		rc = vdev_bring_up(v, wq_on);
	if (!rc)
		rc = vdev_vector_up(v, 1, handle);
	return rc;
}

/*
 * A WQ the guest has not enabled, or disabled, takes no descriptors
 * although its host WQ stays enabled: its portals go nowhere.
 */
TEST_F(host, disabled_wq_takes_nothing)
{
	struct vdev *v = &self->v[0];
	uint16_t handle;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 0, &handle));

	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	ASSERT_EQ(0, vdev_cmd(v, CMD_DISABLE_WQ, 1, 0));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	/* Enabled again: one NOOP, one interrupt, nothing left over */
	ASSERT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	/* Disabling the device disables its WQs */
	ASSERT_EQ(0, vdev_cmd(v, CMD_DISABLE_DEVICE, 0, 0));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
}

/*
 * Without memory decoding or without bus mastering in PCI_COMMAND the
 * function takes no descriptor and sends no interrupt: its portals go
 * nowhere until both are on again.
 */
TEST_F(host, portals_need_memory_and_master)
{
	const uint16_t both = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	struct vdev *v = &self->v[0];
	uint16_t handle;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 1, &handle));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	set_cfg16(v, PCI_COMMAND, PCI_COMMAND_MEMORY);
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	set_cfg16(v, PCI_COMMAND, PCI_COMMAND_MASTER);
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	/* Both on: one NOOP, one interrupt, nothing left over */
	set_cfg16(v, PCI_COMMAND, both);
	EXPECT_EQ(both, cfg16(v, PCI_COMMAND) & both);
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
}

/* Two vdevs: A's descriptor with B's handle never fires B */
TEST_F(host, isolation)
{
	struct vdev *a = &self->v[0], *b = &self->v[1];
	uint16_t ha, hb;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[1], sizeof(self->uuid[1]),
				      &self->v[1], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(a, 1));
	ASSERT_EQ(0, vdev_bring_up(b, 1));
	ASSERT_EQ(0, vdev_vector_up(a, 1, &ha));
	ASSERT_EQ(0, vdev_vector_up(b, 1, &hb));
	EXPECT_NE(ha, hb);
	ASSERT_EQ(0, vdev_map_portals(a));
	ASSERT_EQ(0, vdev_map_portals(b));

	vdev_submit_noop(a, 0, hb);
	EXPECT_EQ(0, efd_wait(b->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, 0));
	/* B's handle works for B, A's for A */
	vdev_submit_noop(b, 0, hb);
	EXPECT_EQ(1, efd_wait(b->efd[1], 1, FIRE_MS));
	vdev_submit_noop(a, 0, ha);
	EXPECT_EQ(1, efd_wait(a->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(b->efd[1], 1, QUIET_MS));
}

/*
 * Handles that name free IMS entries raise nothing, not even later: a
 * guest that forges them leaves no message pending for the entry's next
 * user.  On a DSA without the interrupt handle commands a handle is the
 * entry's index and names free entries too; only the PASID check of a
 * parked entry keeps the message out (make check runs this suite on such
 * a DSA as well).
 */
TEST_F(host, free_ims_entries_fire_nothing)
{
	struct vdev *a = &self->v[0], *b = &self->v[1];
	uint16_t ha, hb, h;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       a, 1, &ha));
	/* The entries the next users get are free now */
	for (h = 0; h < 16; h++)
		if (h != ha)
			vdev_submit_noop(a, 0, h);
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[1], sizeof(self->uuid[1]),
				      &self->v[1], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(b, 1));
	ASSERT_EQ(0, vdev_vector_up(b, 1, &hb));
	EXPECT_GT(16, hb);
	EXPECT_EQ(0, efd_wait(b->efd[1], 1, QUIET_MS));
	ASSERT_EQ(0, vdev_map_portals(b));
	vdev_submit_noop(b, 0, hb);
	EXPECT_EQ(1, efd_wait(b->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(b->efd[1], 1, QUIET_MS));
}

/* VFIO_DEVICE_RESET: disabled device, no handles, vectors stay */
TEST_F(host, reset)
{
	struct vdev *v = &self->v[0];
	uint16_t handle, again;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0, reg_read32(v, REG_WQCFG + 24) & (3u << 30));
	EXPECT_EQ(0, cfg16(v, PCI_COMMAND) & PCI_COMMAND_MASTER);
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_RELEASE_INT_HANDLE, handle, 0));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &again));
	EXPECT_EQ(handle, again);
	ASSERT_EQ(0, vdev_map_portals(v));
	vdev_submit_noop(v, 0, again);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
}

/*
 * RESET_DEVICE resets the device (registers, WQs, the handles granted)
 * but not the config space: the stock guest enables bus master, then
 * resets, then enables the device, which must work.
 */
TEST_F(host, reset_device_keeps_config)
{
	struct vdev *v = &self->v[0];
	uint16_t cmd, msix, pasid, devctl, handle, again;
	int exp, msix_cap;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	exp = cfg_find_cap(v, PCI_CAP_ID_EXP);
	msix_cap = cfg_find_cap(v, PCI_CAP_ID_MSIX);
	ASSERT_NE(0, exp);
	ASSERT_NE(0, msix_cap);

	/* What a guest sets in config space before and after its reset */
	set_cfg16(v, exp + PCI_EXP_DEVCTL, cfg16(v, exp + PCI_EXP_DEVCTL) |
		  PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG);
	set_cfg16(v, 0x100 + PCI_PASID_CTRL, PCI_PASID_CTRL_ENABLE);
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, vdev_map_portals(v));
	reg_write32(v, REG_GENCTRL, 0x3);
	cmd = cfg16(v, PCI_COMMAND);
	msix = cfg16(v, msix_cap + PCI_MSIX_FLAGS);
	pasid = cfg16(v, 0x100 + PCI_PASID_CTRL);
	devctl = cfg16(v, exp + PCI_EXP_DEVCTL);
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, cmd);
	EXPECT_EQ(PCI_MSIX_FLAGS_ENABLE, msix & (PCI_MSIX_FLAGS_ENABLE |
						 PCI_MSIX_FLAGS_MASKALL));
	EXPECT_EQ(PCI_PASID_CTRL_ENABLE, pasid);
	EXPECT_EQ(PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG,
		  devctl & (PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG));

	/* The guest's reset, polled as idxd_device_init_reset() does */
	EXPECT_EQ(0, vdev_cmd(v, CMD_RESET_DEVICE, 0, 0));
	EXPECT_EQ(0, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0, reg_read32(v, REG_WQCFG + 24) & (3u << 30));
	EXPECT_EQ(0, reg_read32(v, REG_GENCTRL));
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_RELEASE_INT_HANDLE, handle, 0));
	/* The config space is untouched */
	EXPECT_EQ(cmd, cfg16(v, PCI_COMMAND));
	EXPECT_EQ(msix, cfg16(v, msix_cap + PCI_MSIX_FLAGS));
	EXPECT_EQ(pasid, cfg16(v, 0x100 + PCI_PASID_CTRL));
	EXPECT_EQ(devctl, cfg16(v, exp + PCI_EXP_DEVCTL));
	/* A reset without int_req interrupts nobody */
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));

	/* Enabling works at once, and vector 0 (its eventfd kept) says so */
	EXPECT_EQ(0, vdev_cmd(v, CMD_ENABLE_DEVICE, 0, 1));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_EQ(1, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	again = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0) >> 8;
	EXPECT_EQ(handle, again);
	vdev_submit_noop(v, 0, again);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
}

/* DSA 1.0's operations: 0x00-0x09, 0x10-0x15 and 0x20 (cache flush) */
#define OPCAP_DSA1	(0x3ffull | (0x3full << 0x10) | (1ull << 0x20))
#define OP_BATCH	0x01

/*
 * VERSION says 1.0, so OPCAP offers the host's operations that DSA 1.0
 * has and no other.  The host's sysfs op_cap hides BATCH on a DSA not
 * safe for user submission; the vdev offers what the device has.
 */
TEST_F(host, opcap_matches_version)
{
	struct vdev *v = &self->v[0];
	unsigned int g[8], i;
	char buf[256], path[PATH_MAX];
	int n;
	uint64_t host, got;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	EXPECT_EQ(0x100, reg_read32(v, 0));
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/%s/op_cap", self->dsa);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	n = sscanf(buf, "%x,%x,%x,%x,%x,%x,%x,%x", &g[0], &g[1], &g[2], &g[3],
		   &g[4], &g[5], &g[6], &g[7]);
	ASSERT_EQ(8, n) TH_LOG("op_cap: %s", buf);
	host = (uint64_t)g[6] << 32 | g[7];
	got = reg_read64(v, 0x40);
	EXPECT_EQ(0, got & ~OPCAP_DSA1) TH_LOG("OPCAP %#llx", (unsigned long long)got);
	EXPECT_EQ(host & OPCAP_DSA1 & ~(1ull << OP_BATCH),
		  got & ~(1ull << OP_BATCH));
	for (i = 1; i < 4; i++)
		EXPECT_EQ(0, reg_read64(v, 0x40 + 8 * i));
}

/*
 * The MSI-X table is PCI's, not the device's: RESET_DEVICE leaves it as
 * it was, a function level reset masks and clears it.  QEMU emulates the
 * table itself; a VMM that passed the guest's table through would read it
 * back from the vdev, so this is the one test that writes it.
 */
TEST_F(host, reset_device_keeps_msix_table)
{
	struct vdev *v = &self->v[0];
	unsigned int e = REG_MSIX_TABLE + 16;	/* vector 1 */

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	EXPECT_EQ(1, reg_read32(v, e + 12));
	reg_write32(v, e, 0xfee01000);
	reg_write32(v, e + 8, 0x4041);
	reg_write32(v, e + 12, 0);

	EXPECT_EQ(0, vdev_cmd(v, CMD_RESET_DEVICE, 0, 0));
	EXPECT_EQ(0, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0xfee01000, reg_read32(v, e));
	EXPECT_EQ(0x4041, reg_read32(v, e + 8));
	EXPECT_EQ(0, reg_read32(v, e + 12));

	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, reg_read32(v, e));
	EXPECT_EQ(0, reg_read32(v, e + 8));
	EXPECT_EQ(1, reg_read32(v, e + 12));
}

/*
 * The event log, as the stock idxd sets it up at probe and frees it at
 * unbind (idxd_device_evl_setup() and _free()): offered, configurable
 * while off, and never written; errors stay in SWERR.
 */
TEST_F(host, event_log)
{
	struct vdev *v = &self->v[0];
	uint64_t base = 0x12345000ull;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	/* GENCAP.evl_support */
	EXPECT_EQ(1, (reg_read64(v, REG_GENCAP) >> 13) & 3);

	/* Base and size, then the log and its interrupt on */
	reg_write64(v, REG_EVLCFG, base | 0x3);
	reg_write64(v, REG_EVLCFG + 8, 0x40 | (0x12345ull << 16));
	reg_write32(v, REG_GENCTRL, 0x7);
	reg_write32(v, REG_GENCFG, 1u << 13);
	EXPECT_EQ(base | 0x3, reg_read64(v, REG_EVLCFG));
	EXPECT_EQ(0x40 | (0x12345ull << 16), reg_read64(v, REG_EVLCFG + 8));
	EXPECT_EQ(0x7, reg_read32(v, REG_GENCTRL));
	EXPECT_EQ(1u << 13, reg_read32(v, REG_GENCFG));
	/* EVLCFG holds while the log is on; the log stays empty */
	reg_write64(v, REG_EVLCFG, 0);
	EXPECT_EQ(base | 0x3, reg_read64(v, REG_EVLCFG));
	EXPECT_EQ(0, reg_read64(v, REG_EVLSTATUS));

	/* A software error goes to SWERR, with the log on */
	ASSERT_EQ(0, vdev_map_portals(v));
	vdev_submit(v, 0, 0x3f, 0, 0);
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_NE(0, reg_read64(v, REG_SWERR) & 1);
	EXPECT_EQ(0, reg_read64(v, REG_EVLSTATUS));

	/* Off, and cleared as idxd_device_evl_free() does */
	reg_write32(v, REG_GENCFG, 0);
	reg_write32(v, REG_GENCTRL, 0x3);
	reg_write64(v, REG_EVLCFG, 0);
	reg_write64(v, REG_EVLCFG + 8, 0);
	EXPECT_EQ(0, reg_read64(v, REG_EVLCFG));
	EXPECT_EQ(0, reg_read64(v, REG_EVLCFG + 8));

	/* A reset turns it off */
	reg_write64(v, REG_EVLCFG, base);
	reg_write32(v, REG_GENCFG, 1u << 13);
	EXPECT_EQ(0, vdev_cmd(v, CMD_RESET_DEVICE, 0, 0));
	EXPECT_EQ(0, reg_read32(v, REG_GENCFG));
	EXPECT_EQ(0, reg_read64(v, REG_EVLCFG));
}

/*
 * What one user leaves in the vdev never reaches the next one: the sink
 * page behind the portals of a disabled WQ, which gives back what was
 * stored in it, the registers, the event log configuration, a software
 * error not yet read, the handles granted.
 */
TEST_F(host, next_user_inherits_nothing)
{
	static const char secret[] = "the first tenant's bytes";
	struct vdev *v = &self->v[0];
	uint64_t *sink, word, stored[8];
	uint16_t handle;
	unsigned int i;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, vdev_map_portals(v));
	/* A software error with its interrupt, left unread; the event log on */
	reg_write32(v, REG_GENCTRL, 0x1);
	vdev_submit(v, 0, 0x3f, 0, 0);
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_NE(0, reg_read64(v, REG_SWERR) & 1);
	reg_write64(v, REG_EVLCFG, 0x12345000ull | 0x3);
	reg_write32(v, REG_GENCFG, 1u << 13);
	/* WQ 0 disabled: its portal is the sink page, which keeps a store */
	ASSERT_EQ(0, vdev_cmd(v, CMD_DISABLE_WQ, 1, 0));
	memset(stored, 0, sizeof(stored));
	memcpy(stored, secret, sizeof(secret));
	sink = v->portals;
	for (i = 0; i < 8; i++)
		__atomic_store_n(&sink[i], stored[i], __ATOMIC_RELAXED);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(stored[i], __atomic_load_n(&sink[i], __ATOMIC_RELAXED));
	vdev_close(v);

	/* The next user */
	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	EXPECT_EQ(0, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0, reg_read32(v, REG_WQCFG + 24) & (3u << 30));
	EXPECT_EQ(0, reg_read64(v, REG_SWERR));
	EXPECT_EQ(0, reg_read32(v, REG_INTCAUSE));
	EXPECT_EQ(0, reg_read32(v, REG_GENCTRL));
	EXPECT_EQ(0, reg_read32(v, REG_GENCFG));
	EXPECT_EQ(0, reg_read64(v, REG_EVLCFG));
	EXPECT_EQ(0, cfg16(v, PCI_COMMAND) & PCI_COMMAND_MASTER);
	EXPECT_EQ(ERR_INVAL_INT_IDX, vdev_cmd(v, CMD_RELEASE_INT_HANDLE, handle, 0));
	ASSERT_EQ(0, vdev_map_portals(v));
	sink = v->portals;
	word = 0;
	for (i = 0; i < 4096 / 8; i++)
		word |= __atomic_load_n(&sink[i], __ATOMIC_RELAXED);
	EXPECT_EQ(0, word) TH_LOG("the sink page shows the previous user's stores");
	/* Nothing pending fires once the next user's vector 0 is up */
	ASSERT_EQ(0, vdev_bring_up(v, 0));
	EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));
	EXPECT_EQ(0, reg_read64(v, REG_SWERR));
}

static unsigned int rnd(void)
{
	return (unsigned int)random();
}

/* A hostile user gets errors and nothing else; the vdev still works */
TEST_F(host, hostile_user)
{
	struct vdev *v = &self->v[0];
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *set = (void *)buf;
	struct vfio_region_info info = { .argsz = sizeof(info) };
	uint64_t val64;
	uint8_t junk[64];
	uint16_t handle;
	void *p;
	int i;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	srandom(1234);
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 0, v->efd[0]));
	ASSERT_EQ(0, vdev_set_eventfd(v, MSIX, 1, v->efd[1]));

	/*
	 * Random registers, random values, commands included; not the MSI-X
	 * table and PBA (0x1000 on), which no VMM writes
	 */
	for (i = 0; i < 20000; i++) {
		uint32_t off = (rnd() % REG_MSIX_TABLE) & ~3u, val = rnd();

		if (i & 1)
			val = (rnd() % 16) << 20 | (rnd() & 0xfffff) | (rnd() & 1) << 31;
		reg_write32(v, off, val);
		reg_read32(v, off);
	}
	for (i = 0; i < 5000; i++) {
		uint32_t off = rnd() % 4096, len = 1 + rnd() % 64;

		if (off + len > 4096)
			len = 4096 - off;
		for (unsigned int j = 0; j < len; j++)
			junk[j] = rnd();
		EXPECT_EQ((ssize_t)len, pwrite(v->device, junk, len, v->cfg + off));
	}

	/* Bad accesses */
	EXPECT_EQ(-1, pread(v->device, junk, 3, v->bar0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(v->device, junk, 4, v->bar0 + 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(v->device, &val64, 8, v->bar0 + 0x2000));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(v->device, junk, 8, v->cfg + 4092));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(v->device, junk, 64, v->bar2 + v->bar2_size - 32));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(v->device, junk, 4, 5ull << 40));
	EXPECT_EQ(EINVAL, errno);

	/* Bad mmaps: BAR0, the IMS portal pages, beyond BAR2, private */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, v->device, v->bar0);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, v->device, v->bar2 + 2 * 4096);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 4 * 4096, PROT_WRITE, MAP_SHARED, v->device, v->bar2);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, v->device, v->bar2 + 16384);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, 4096, PROT_WRITE, MAP_PRIVATE, v->device, v->bar2);
	EXPECT_EQ(MAP_FAILED, p);

	/* Bad ioctls */
	info.index = 42;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.argsz = 4;
	info.index = 0;
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(v->device, _IO(VFIO_TYPE, VFIO_BASE + 60)));
	EXPECT_EQ(ENOTTY, errno);
	for (i = 0; i < 2000; i++) {
		memset(buf, 0, sizeof(buf));
		set->argsz = rnd() % (sizeof(buf) + 8);
		set->flags = 1u << (rnd() % 6) | 1u << (3 + rnd() % 3);
		set->index = rnd() % 7;
		set->start = rnd() % 5;
		set->count = rnd() % 5;
		if (!(rnd() % 8))
			set->count = rnd();
		for (unsigned int j = 0; j < 16; j++)
			((int32_t *)set->data)[j] = (int32_t)(rnd() % 12) - 2;
		ioctl(v->device, VFIO_DEVICE_SET_IRQS, set);
	}

	/* Reopened, the vdev works */
	vdev_close(v);
	ASSERT_EQ(0, vdev_open(v, self->uuid[0]));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, vdev_map_portals(v));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	/*
	 * BAR2 through the file, which a VMM may use where it has no mmap:
	 * as a portal of a disabled WQ, it takes writes, reads zeros and
	 * passes no descriptor on
	 */
	memset(junk, 0, sizeof(junk));
	((uint32_t *)junk)[1] = DESC_RCI;		/* NOOP */
	((uint32_t *)junk)[9] = handle;
	EXPECT_EQ(64, pwrite(v->device, junk, 64, v->bar2));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	memset(junk, 0xff, sizeof(junk));
	EXPECT_EQ(64, pread(v->device, junk, 64, v->bar2 + 4096));
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, junk[i]);
}

struct remover {
	char uuid[40];
	int rc;
	int done;
};

static void *remove_thread(void *arg)
{
	struct remover *r = arg;

	r->rc = vdev_remove(r->uuid);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Removing an open vdev asks through REQ and completes on close */
TEST_F(host, remove_while_open)
{
	struct vdev *v = &self->v[0];
	struct remover r = { .rc = -1 };
	char path[PATH_MAX];
	pthread_t t;
	int req;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	req = v->efd[1];
	ASSERT_EQ(0, vdev_set_eventfd(v, VFIO_PCI_REQ_IRQ_INDEX, 0, req));

	snprintf(r.uuid, sizeof(r.uuid), "%s", self->uuid[0]);
	ASSERT_EQ(0, pthread_create(&t, NULL, remove_thread, &r));
	EXPECT_LE(1, efd_wait(req, 1, FIRE_MS));
	usleep(QUIET_MS * 1000);
	EXPECT_EQ(0, __atomic_load_n(&r.done, __ATOMIC_SEQ_CST));
	vdev_close(v);
	pthread_join(t, NULL);
	EXPECT_EQ(0, r.rc);
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s", self->uuid[0]);
	EXPECT_NE(0, access(path, F_OK));
	self->uuid[0][0] = 0;
}

/*
 * Unbinding a WQ of an open vdev: the vdev halts with its halt
 * interrupt, asks to be released, and refuses to be used; the other
 * vdevs and the pool go on.
 */
TEST_F(host, wq_unbind_while_open)
{
	struct vdev *v = &self->v[0];
	char wq[32], path[PATH_MAX], buf[16];
	uint16_t handle;
	int req, status;
	pid_t child;

	ASSERT_EQ(0, vdev_create_open(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
				      &self->v[0], "idxd-dsa-1dwq-v1"));
	ASSERT_EQ(0, vdev_bring_up(v, 1));
	ASSERT_EQ(0, vdev_vector_up(v, 1, &handle));
	ASSERT_EQ(0, vdev_map_portals(v));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	reg_write32(v, REG_GENCTRL, 0x3);	/* halt interrupt enabled */
	req = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, req);
	v->efd[7] = req;			/* closed with the vdev */
	ASSERT_EQ(0, vdev_set_eventfd(v, VFIO_PCI_REQ_IRQ_INDEX, 0, req));

	/* The vdev has the first WQ */
	snprintf(wq, sizeof(wq), "wq%s.0", self->dsa + 3);
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	EXPECT_LE(1, efd_wait(req, 1, FIRE_MS));
	EXPECT_EQ(3, reg_read32(v, REG_GENSTS) & 3);
	/* reset_type: cold, so that the guest's idxd does not try to reset */
	EXPECT_EQ(3, (reg_read32(v, REG_GENSTS) >> 2) & 3);
	EXPECT_EQ(INTC_HALT, reg_read32(v, REG_INTCAUSE) & INTC_HALT);
	EXPECT_EQ(3, vdev_cmd(v, CMD_ENABLE_WQ, 0, 0));
	EXPECT_EQ(-1, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_WRITE, MAP_SHARED,
				   v->device, v->bar2));
	/* The portal the user had mapped goes nowhere, as on a halted device */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		vdev_submit_noop(v, 0, handle);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("status %#x", status);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	/* The other WQ is free for a new vdev */
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 self->bdf);
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);

	vdev_close(v);
	EXPECT_EQ(-ENODEV, vdev_open(v, self->uuid[0]));
	vdev_close(v);
	ASSERT_EQ(0, vdev_remove(self->uuid[0]));
	self->uuid[0][0] = 0;
	/* Configured and bound again, the WQ is in the pool again */
	ASSERT_EQ(0, dsa_config_wq(self->dsa, 0, 0));
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", wq));
	ASSERT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("2", buf);
}

struct pci_unbinder {
	char bdf[32];
	int rc;
};

static void *pci_unbind_thread(void *arg)
{
	struct pci_unbinder *u = arg;

	u->rc = sysfs_write("/sys/bus/pci/drivers/idxd/unbind", u->bdf);
	return NULL;
}

/*
 * The DSA's PCI function unbound from idxd under an open vdev: idxd
 * unregisters the WQs one by one, the first (the vdev's) before the last
 * one's removal waits for the user.  The vdev still reads its host WQ
 * when the user closes it, so the WQ must outlive its unregistration.
 * Afterwards the DSA is bound and set up again.
 */
TEST_F(host, dsa_unbound_while_open)
{
	struct vdev *v = &self->v[0];
	struct pci_unbinder u;
	uint16_t handle;
	uint64_t reqs = 0;
	pthread_t t;
	int req, kmsg, i;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 1, &handle));
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
	req = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, req);
	v->efd[7] = req;
	ASSERT_EQ(0, vdev_set_eventfd(v, VFIO_PCI_REQ_IRQ_INDEX, 0, req));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	snprintf(u.bdf, sizeof(u.bdf), "%s", self->bdf);
	u.rc = -1;
	ASSERT_EQ(0, pthread_create(&t, NULL, pci_unbind_thread, &u));
	/*
	 * One request when the vdev's WQ goes, one when the last WQ's
	 * removal takes the vdev: by then the first WQ is unregistered.
	 */
	for (i = 0; i < 2 * FIRE_MS / 100 && reqs < 2; i++)
		reqs += efd_wait(req, 1, 100);
	EXPECT_LE(2, reqs);
	vdev_close(v);
	pthread_join(t, NULL);
	EXPECT_EQ(0, u.rc);
	self->uuid[0][0] = 0;
	EXPECT_EQ(0, kmsg_find(kmsg, "KASAN", NULL));
	close(kmsg);

	/* Bound and set up again for the next test */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers/idxd/bind", self->bdf));
	ASSERT_EQ(0, dsa_find(self->dsa, sizeof(self->dsa), self->bdf,
			      sizeof(self->bdf), 1));
	ASSERT_EQ(0, dsa_setup(self->dsa, 2, WQ_SIZE));
}

/* A sysfs write in a thread of its own, which may be held up */
struct sysfs_writer {
	char path[PATH_MAX];
	char val[32];
	int rc;
	int done;	/* read with __atomic_load_n() */
	pthread_t t;
};

static void *sysfs_writer_fn(void *arg)
{
	struct sysfs_writer *w = arg;

	w->rc = sysfs_write(w->path, w->val);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int sysfs_write_async(struct sysfs_writer *w, const char *path,
			     const char *val)
{
	if (snprintf(w->path, sizeof(w->path), "%s", path) >= (int)sizeof(w->path) ||
	    snprintf(w->val, sizeof(w->val), "%s", val) >= (int)sizeof(w->val))
		return -ENAMETOOLONG;
	w->rc = -1;
	w->done = 0;
	return -pthread_create(&w->t, NULL, sysfs_writer_fn, w);
}

/* Whether @w's write returned within @ms */
static int sysfs_write_done(struct sysfs_writer *w, int ms)
{
	for (; ms > 0 && !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE); ms -= 10)
		usleep(10000);
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

/*
 * A VMM that ignores the request to let go of its vdev holds up the
 * unbinding of its DSA's last WQ, which waits for it, and nothing else:
 * meanwhile a WQ of another DSA is bound (the DSA without IMS refuses it
 * with its own error), and binding a WQ of the DSA whose vdevs are being
 * removed fails with EBUSY instead of waiting.  Once the user lets go,
 * the unbinding ends and the WQ binds again.
 */
TEST_F(host, ignored_request_holds_only_its_dsa)
{
	struct vdev *v = &self->v[0];
	struct sysfs_writer unbind, other_bind, busy_bind;
	char other[32], obdf[32], wq[32], path[PATH_MAX];
	uint16_t handle;
	int req;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 1, &handle));
	req = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, req);
	v->efd[7] = req;			/* closed with the vdev */
	ASSERT_EQ(0, vdev_set_eventfd(v, VFIO_PCI_REQ_IRQ_INDEX, 0, req));
	ASSERT_EQ(0, dsa_find(other, sizeof(other), obdf, sizeof(obdf), 0))
		TH_LOG("no DSA without IMS");
	dsa_teardown(other, 1);

	/* WQ 1 is free and goes at once; WQ 0, the vdev's, is the last */
	snprintf(wq, sizeof(wq), "wq%s.1", self->dsa + 3);
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind", wq));
	snprintf(wq, sizeof(wq), "wq%s.0", self->dsa + 3);
	ASSERT_EQ(0, sysfs_write_async(&unbind, DSA_SYSFS "/drivers/" VDEV_DRIVER "/unbind",
				       wq));
	/* The user is asked to let go, and does not */
	EXPECT_LE(1, efd_wait(req, 1, FIRE_MS));
	EXPECT_FALSE(sysfs_write_done(&unbind, QUIET_MS));

	/* Another DSA's WQ is bound meanwhile, and refused for want of IMS */
	ASSERT_EQ(0, sysfs_writef("0", DSA_SYSFS "/devices/%s/engine%s.0/group_id",
				  other, other + 3));
	ASSERT_EQ(0, dsa_config_wq(other, 0, WQ_SIZE));
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/idxd/bind", other));
	snprintf(path, sizeof(path), "wq%s.0", other + 3);
	ASSERT_EQ(0, sysfs_write_async(&other_bind,
				       DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", path));
	EXPECT_TRUE(sysfs_write_done(&other_bind, FIRE_MS))
		TH_LOG("binding %s waits for the user of a vdev of %s", path, self->dsa);

	/* A WQ of the dying DSA is refused, not held */
	snprintf(wq, sizeof(wq), "wq%s.1", self->dsa + 3);
	ASSERT_EQ(0, dsa_config_wq(self->dsa, 1, 0));
	ASSERT_EQ(0, sysfs_write_async(&busy_bind,
				       DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", wq));
	EXPECT_TRUE(sysfs_write_done(&busy_bind, FIRE_MS));
	EXPECT_FALSE(__atomic_load_n(&unbind.done, __ATOMIC_ACQUIRE));

	/* The user lets go: everything that waited ends */
	vdev_close(v);
	pthread_join(unbind.t, NULL);
	pthread_join(other_bind.t, NULL);
	pthread_join(busy_bind.t, NULL);
	self->uuid[0][0] = 0;			/* removed with its parent */
	EXPECT_EQ(0, unbind.rc);
	EXPECT_EQ(-EOPNOTSUPP, other_bind.rc);
	EXPECT_EQ(-EBUSY, busy_bind.rc);
	dsa_teardown(other, 1);

	/*
	 * The DSA's WQ binds again, into a new parent.  The unbinding reset
	 * WQ 0's mode, which idxd's configuration of the device refuses.
	 */
	ASSERT_EQ(0, dsa_config_wq(self->dsa, 0, 0));
	ASSERT_EQ(0, sysfs_write(DSA_SYSFS "/drivers/" VDEV_DRIVER "/bind", wq));
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 self->bdf);
	EXPECT_EQ(0, access(path, F_OK));
}

/* A 32-bit register at @off of a mapped BAR, read as one load */
static uint32_t mmio32(const uint32_t *bar, uint64_t off)
{
	return __atomic_load_n(&bar[off / 4], __ATOMIC_RELAXED);
}

/*
 * Read the DSA's BAR0 dword at @off into *@val, or write @val there
 * (@write), through sysfs resource0; 0 or a negative errno
 */
static int dsa_bar0_rw(const char *bdf, unsigned int off, uint32_t *val,
		       int write)
{
	char path[PATH_MAX];
	uint32_t *bar;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED)
		return -errno;
	if (write)
		__atomic_store_n(&bar[off / 4], *val, __ATOMIC_RELAXED);
	else
		*val = mmio32(bar, off);
	munmap(bar, 4096);
	return 0;
}

/* The model's test register (x-test-events) and what it does */
#define DSA_TEST_EVENTS		0x78
#define TEST_EV_REVOKE		0x1	/* revoke every handle */
#define TEST_EV_REFUSE_IMS	0x2	/* refuse IMS handles until a reset */
#define DSA_CMDCAP		0xb0

/*
 * The DSA revokes its handles by itself, as it may at any time (the
 * model's x-test-events=on, which make check gives the DSA): the vdev
 * whose guest holds one raises INT_HANDLE_REVOKED on vector 0, the old
 * handle fires nothing, and the new one the guest asks for fires the
 * vector.  Before, only the host's kernel WQs got new handles and the
 * guest kept a dead one.  Then the DSA revokes them and refuses new ones
 * for IMS entries: the guest is told, and its REQUEST_INT_HANDLE fails
 * with NO_HANDLE rather than give it the dead handle again; after a
 * function level reset of the DSA, which ends the refusal, the guest is
 * told again and its new handle works.  On a DSA without the handle
 * commands a handle is the entry's index: nothing is revoked.
 */
TEST_F(host, device_revokes_handles)
{
	struct vdev *v = &self->v[0];
	uint32_t ev, cmdcap = 0, sts;
	uint16_t handle, h2;
	char path[PATH_MAX];
	int handles;

	ASSERT_EQ(0, dsa_bar0_rw(self->bdf, DSA_CMDCAP, &cmdcap, 0));
	handles = !!(cmdcap & (1u << CMD_REQUEST_INT_HANDLE));
	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 1, &handle));
	vdev_submit_noop(v, 0, handle);
	ASSERT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	ev = TEST_EV_REVOKE;
	ASSERT_EQ(0, dsa_bar0_rw(self->bdf, DSA_TEST_EVENTS, &ev, 1));
	if (!handles) {
		EXPECT_EQ(0, efd_wait(v->efd[0], 1, QUIET_MS));
		vdev_submit_noop(v, 0, handle);
		EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
		return;
	}
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS))
		TH_LOG("no INT_HANDLE_REVOKED (is the DSA's x-test-events on?)");
	EXPECT_EQ(INTC_REVOKED, reg_read32(v, REG_INTCAUSE) & INTC_REVOKED);
	reg_write32(v, REG_INTCAUSE, INTC_REVOKED);
	vdev_submit_noop(v, 0, handle);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));
	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, sts & 0xff);
	h2 = sts >> 8;
	EXPECT_NE(handle, h2);
	vdev_submit_noop(v, 0, h2);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));

	/* Revoked, and no new handle for the IMS entries until a reset */
	ev = TEST_EV_REFUSE_IMS | TEST_EV_REVOKE;
	ASSERT_EQ(0, dsa_bar0_rw(self->bdf, DSA_TEST_EVENTS, &ev, 1));
	ASSERT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	reg_write32(v, REG_INTCAUSE, INTC_REVOKED);
	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);
	EXPECT_EQ(ERR_NO_HANDLE, sts & 0xff) TH_LOG("CMDSTS %#x", sts);
	vdev_submit_noop(v, 0, h2);
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, QUIET_MS));

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	EXPECT_EQ(1, efd_wait(v->efd[0], 1, FIRE_MS));
	sts = vdev_cmd(v, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, sts & 0xff);
	vdev_submit_noop(v, 0, sts >> 8);
	EXPECT_EQ(1, efd_wait(v->efd[1], 1, FIRE_MS));
}

#define REC_IOVA	0x20000000ull
#define NREC		128

/* A guest that submits NOOPs one at a time, each waiting for its record */
struct submitter {
	struct vdev *v;
	uint8_t *rec;			/* NREC records, mapped at REC_IOVA */
	int stop;			/* read with __atomic_load_n() */
	unsigned int sent;		/* read with __atomic_load_n() */
	unsigned int lost;
};

static void *submitter_fn(void *arg)
{
	struct submitter *s = arg;
	uint32_t desc[16];
	unsigned int i;
	uint64_t comp;
	int ms;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		i = s->sent % NREC;
		comp = REC_IOVA + 32ull * i;
		__atomic_store_n(&s->rec[32 * i], 0, __ATOMIC_RELAXED);
		memset(desc, 0, sizeof(desc));
		desc[1] = (OP_NOOP << 24) | DESC_CRAV | DESC_RCR;
		memcpy(&desc[2], &comp, 8);
		vdev_submit_desc(s->v, 0, desc);
		/* The device writes the record behind the compiler's back */
		for (ms = 0; ms < FIRE_MS && !__atomic_load_n(&s->rec[32 * i], __ATOMIC_ACQUIRE);
		     ms++)
			usleep(1000);
		if (!__atomic_load_n(&s->rec[32 * i], __ATOMIC_ACQUIRE))
			s->lost++;
		__atomic_store_n(&s->sent, s->sent + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * A function level reset of the DSA while the guest of a vdev submits
 * descriptors: none is lost.  What the WQ holds when the reset comes runs
 * first, and the guest's stores during the reset wait in the held
 * portals until the DSA and its WQs are back.  Before, a store during
 * the reset went to a disabled WQ and its descriptor never completed.
 */
TEST_F(host, dsa_reset_loses_no_descriptor)
{
	struct vdev *v = &self->v[0];
	struct submitter s = { .v = v };
	unsigned int before, after;
	char path[PATH_MAX];
	uint16_t handle;
	uint32_t ioas;
	pthread_t t;
	void *mem;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       v, 1, &handle));
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	s.rec = mem;
	ASSERT_EQ(0, vdev_ioas_alloc(v->iommufd, &ioas));
	ASSERT_EQ(0, vdev_attach_pt(v, ioas));
	ASSERT_EQ(0, vdev_ioas_map(v->iommufd, ioas, mem, 4096, REC_IOVA));

	ASSERT_EQ(0, pthread_create(&t, NULL, submitter_fn, &s));
	usleep(QUIET_MS * 1000);
	before = __atomic_load_n(&s.sent, __ATOMIC_ACQUIRE);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	EXPECT_EQ(0, sysfs_write(path, "1"));
	after = __atomic_load_n(&s.sent, __ATOMIC_ACQUIRE);
	usleep(QUIET_MS * 1000);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.lost) TH_LOG("%u of %u descriptors never completed", s.lost, s.sent);
	EXPECT_LT(0, before);
	EXPECT_LT(after, s.sent) TH_LOG("nothing submitted after the reset");
	munmap(mem, 4096);
}

/*
 * A function level reset of the DSA under an open vdev whose vector is in
 * use.  idxd brings the DSA back, WQs and IMS entries as they were, and
 * the vdev gets its entry's handle again.  The model's handles carry a
 * count of resets, so the handle changes: the guest learns it through
 * INT_HANDLE_REVOKED on vector 0, and the new handle fires the vector, the
 * old one nothing.  On a DSA without the handle commands a handle is the
 * entry's index: it stays, nothing is revoked, and it fires the vector
 * again.  The other host WQ works too: a vdev comes up on it.
 */
TEST_F(host, dsa_reset_under_open_vdev)
{
	struct vdev *a = &self->v[0], *b = &self->v[1];
	uint16_t handle, hb;
	char path[PATH_MAX];
	int kmsg[3], i, revoked;
	uint32_t sts;

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[0], sizeof(self->uuid[0]),
			       a, 1, &handle));
	vdev_submit_noop(a, 0, handle);
	EXPECT_EQ(1, efd_wait(a->efd[1], 1, FIRE_MS));
	/* One reader of the kernel log per message looked for */
	for (i = 0; i < 3; i++) {
		kmsg[i] = kmsg_open();
		ASSERT_LE(0, kmsg[i]);
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	revoked = efd_wait(a->efd[0], 1, FIRE_MS);
	sts = vdev_cmd(a, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, sts & 0xff);
	if (revoked) {
		EXPECT_EQ(INTC_REVOKED, reg_read32(a, REG_INTCAUSE) & INTC_REVOKED);
		ASSERT_EQ(0, reg_write32(a, REG_INTCAUSE, INTC_REVOKED));
		EXPECT_EQ(0, reg_read32(a, REG_INTCAUSE) & INTC_REVOKED);
		EXPECT_NE(handle, sts >> 8);
		vdev_submit_noop(a, 0, handle);
		EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));
	} else {
		/* No handle commands: the index, unchanged, not revoked */
		EXPECT_EQ(0, reg_read32(a, REG_INTCAUSE) & INTC_REVOKED);
		EXPECT_EQ(handle, sts >> 8);
	}
	vdev_submit_noop(a, 0, sts >> 8);
	EXPECT_EQ(1, efd_wait(a->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(a->efd[0], 1, 0));

	ASSERT_EQ(0, one_wq_up(self->bdf, self->uuid[1], sizeof(self->uuid[1]),
			       b, 1, &hb));
	vdev_submit_noop(b, 0, hb);
	EXPECT_EQ(1, efd_wait(b->efd[1], 1, FIRE_MS));
	EXPECT_EQ(0, efd_wait(a->efd[1], 1, QUIET_MS));

	EXPECT_EQ(1, kmsg_find(kmsg[0], "Device restored after its reset", NULL));
	EXPECT_EQ(0, kmsg_find(kmsg[1], "KASAN", NULL));
	EXPECT_EQ(0, kmsg_find(kmsg[2], "WARNING", NULL));
	for (i = 0; i < 3; i++)
		close(kmsg[i]);
}

/*
 * The WQs of the DSA at @bdf whose WQCFG has pasid_en set, read from the
 * DSA's BAR0 (sysfs resource0, mapped read only): TABLE_OFFSET gives the
 * WQCFG table (in 256-byte units), WQCAP the number of WQs and the size of
 * an entry (32 bytes << wqcfg_size); pasid_en is bit 28 of its third dword.
 * A negative errno if BAR0 cannot be read.
 */
static int wqs_with_pasid(const char *bdf)
{
	const uint32_t *bar;
	unsigned int nwqs, entry, i;
	char path[PATH_MAX];
	uint64_t wqcfg, wqcap;
	struct stat st;
	int fd, n = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDONLY | O_SYNC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	bar = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED)
		return -errno;
	wqcap = mmio32(bar, 0x20) | (uint64_t)mmio32(bar, 0x24) << 32;
	wqcfg = ((mmio32(bar, 0x60) >> 16) & 0xffff) * 0x100ull;
	nwqs = (wqcap >> 16) & 0xff;
	entry = 32u << ((wqcap >> 24) & 0xf);
	if (wqcfg + (uint64_t)nwqs * entry > (uint64_t)st.st_size) {
		n = -ERANGE;
		nwqs = 0;
	}
	for (i = 0; i < nwqs; i++)
		if (mmio32(bar, wqcfg + i * entry + 8) & (1u << 28))
			n++;
	munmap((void *)bar, st.st_size);
	return n;
}

/*
 * A WQ back in the pool has no PASID, also after a reset of the DSA, which
 * writes the WQ configuration back from idxd's copy of it: the PASID of a
 * removed vdev, which the IOMMU may give to someone else, must not come
 * back on its free WQ.
 */
TEST_F(host, reset_gives_free_wq_no_pasid)
{
	char path[PATH_MAX];
	int before, kmsg;

	before = wqs_with_pasid(self->bdf);
	ASSERT_LE(0, before) TH_LOG("reading WQCFG: %s", strerror(-before));
	ASSERT_EQ(0, vdev_create(self->bdf, "idxd-dsa-1dwq-v1", self->uuid[0],
				 sizeof(self->uuid[0])));
	/* The vdev's WQ has its PASID: the reading sees it */
	EXPECT_EQ(before + 1, wqs_with_pasid(self->bdf));
	ASSERT_EQ(0, vdev_remove(self->uuid[0]));
	self->uuid[0][0] = 0;
	EXPECT_EQ(before, wqs_with_pasid(self->bdf));

	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", self->bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	EXPECT_EQ(1, kmsg_find(kmsg, "Device restored after its reset", NULL));
	close(kmsg);
	EXPECT_EQ(before, wqs_with_pasid(self->bdf));
}

static int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/*
 * Debian's accel-config, unmodified, binds a WQ to idxd_vdev by its
 * driver_name and takes it back: the pool and the mdev types follow.
 */
TEST(accel_config)
{
	static const char wq_opts[] =
		"--group-id=0 --mode=dedicated --wq-size=16 --priority=10 --type=user --name=vdev";
	char dsa[32], bdf[32], path[PATH_MAX], buf[16];
	const char *d;

	ASSERT_EQ(0, vdev_modules_load(1));
	ASSERT_EQ(0, dsa_find(dsa, sizeof(dsa), bdf, sizeof(bdf), 1));
	dsa_teardown(dsa, 2);
	d = dsa + 3;
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 bdf);

	ASSERT_EQ(0, run_cmd("accel-config config-engine dsa%s/engine%s.0 --group-id=0", d, d));
	ASSERT_EQ(0, run_cmd("accel-config config-wq dsa%s/wq%s.0 %s --driver-name=%s",
			     d, d, wq_opts, VDEV_DRIVER));
	ASSERT_EQ(0, run_cmd("accel-config enable-device dsa%s", d));
	/* No WQ bound yet: no mdev parent */
	EXPECT_NE(0, access(path, F_OK));
	ASSERT_EQ(0, run_cmd("accel-config enable-wq dsa%s/wq%s.0", d, d));
	snprintf(buf, sizeof(buf), "%s", "");
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	EXPECT_EQ(0, run_cmd("accel-config list -d dsa%s | grep -q 'driver_name.*"
			     VDEV_DRIVER "'", d));
	EXPECT_EQ(0, run_cmd("accel-config disable-wq dsa%s/wq%s.0", d, d));
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(0, run_cmd("accel-config disable-device dsa%s", d));
}

/*
 * INTEL-SA-01084: no DSA of Linux 6.12 is user_submission_safe, and
 * idxd_vdev binds a WQ of such a DSA only when the administrator opts in
 * with allow_unsafe_submission (default N, writable by root).  Without
 * it, accel-config enable-wq fails and the kernel log says why.
 */
TEST(unsafe_submission_opt_in)
{
	static const char wq_opts[] =
		"--group-id=0 --mode=dedicated --wq-size=16 --priority=10 --type=user --name=vdev";
	char dsa[32], bdf[32], path[PATH_MAX], buf[16];
	struct stat st;
	const char *d;
	int kmsg;

	ASSERT_EQ(0, vdev_modules_load(1));
	ASSERT_EQ(0, dsa_find(dsa, sizeof(dsa), bdf, sizeof(bdf), 1));
	dsa_teardown(dsa, 2);
	d = dsa + 3;

	/* Loaded afresh, the module does not allow it */
	ASSERT_EQ(0, system("modprobe -r " VDEV_DRIVER));
	ASSERT_EQ(0, system("modprobe " VDEV_DRIVER));
	ASSERT_EQ(0, sysfs_read(VDEV_UNSAFE_PARAM, buf, sizeof(buf)));
	EXPECT_STREQ("N", buf);
	ASSERT_EQ(0, stat(VDEV_UNSAFE_PARAM, &st));
	EXPECT_EQ(0644, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);

	ASSERT_EQ(0, run_cmd("accel-config config-engine dsa%s/engine%s.0 --group-id=0", d, d));
	ASSERT_EQ(0, run_cmd("accel-config config-wq dsa%s/wq%s.0 %s --driver-name=%s",
			     d, d, wq_opts, VDEV_DRIVER));
	ASSERT_EQ(0, run_cmd("accel-config enable-device dsa%s", d));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_NE(0, run_cmd("accel-config enable-wq dsa%s/wq%s.0", d, d));
	snprintf(path, sizeof(path), DSA_SYSFS "/devices/wq%s.0/driver", d);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(1, kmsg_find(kmsg, "INTEL-SA-01084", "allow_unsafe_submission"));
	close(kmsg);
	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/mdev_supported_types/idxd-dsa-1dwq-v1/available_instances",
		 bdf);
	EXPECT_NE(0, access(path, F_OK));

	/* Opted in, the same command binds it */
	ASSERT_EQ(0, sysfs_write(VDEV_UNSAFE_PARAM, "1"));
	ASSERT_EQ(0, sysfs_read(VDEV_UNSAFE_PARAM, buf, sizeof(buf)));
	EXPECT_STREQ("Y", buf);
	EXPECT_EQ(0, run_cmd("accel-config enable-wq dsa%s/wq%s.0", d, d));
	snprintf(buf, sizeof(buf), "%s", "");
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("1", buf);
	EXPECT_EQ(0, run_cmd("accel-config disable-wq dsa%s/wq%s.0", d, d));
	EXPECT_EQ(0, run_cmd("accel-config disable-device dsa%s", d));
}

/* A DSA without IMS refuses the idxd_vdev WQ driver, saying why */
TEST(device_without_ims)
{
	char dsa[32], bdf[32];
	int rc;

	ASSERT_EQ(0, vdev_modules_load(1));
	ASSERT_EQ(0, dsa_find(dsa, sizeof(dsa), bdf, sizeof(bdf), 0))
		TH_LOG("no DSA without IMS");
	rc = dsa_setup(dsa, 1, WQ_SIZE);
	EXPECT_EQ(-EOPNOTSUPP, rc);
	dsa_teardown(dsa, 1);
}

TEST_HARNESS_MAIN
