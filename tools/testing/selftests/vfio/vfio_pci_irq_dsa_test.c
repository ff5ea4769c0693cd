// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupts of an Intel DSA (8086:0b25) through vfio-pci: the
 * completion interrupts of descriptors submitted through its portals with
 * MOVDIR64B arrive on the MSI-X vector their interrupt handle names, a
 * command raises the misc vector; vfio-pci takes the DSA only with its
 * denylist disabled, and gives it back to the driver it had.
 *
 * Only the 6.12 uAPI is used, as in vfio_pci_irq_test.c.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kselftest_harness.h"
#include "vfio_pci_irq_test.h"
#include "drivers/dsa/dsa.h"

/* Submit a NOOP to WQ 0; with @rci, its completion interrupts vector @v. */
static void noop(struct testdev *t, bool rci, unsigned int v)
{
	dsa_noop(dsa_driver_dsa(&t->drv), rci ? DSA_DESC_FLAG_RCI : 0,
		 rci ? dsa_driver_handle(&t->drv, v) : 0, 0);
}

/* The DSA: completion interrupts of descriptors, and the misc vector. */
FIXTURE(dsa) {
	struct testdev t;
};

FIXTURE_SETUP(dsa)
{
	testdev_setup(_metadata, &self->t, &dsa_driver_ops);
}

FIXTURE_TEARDOWN(dsa)
{
	testdev_teardown(&self->t);
}

/*
 * The interrupt of a NOOP with RCI arrives on the eventfd of the vector
 * its handle names and nowhere else; a NOOP without RCI raises none; a
 * command with int_req raises vector 0, the misc vector, only.
 */
TEST_F_TIMEOUT(dsa, completion_interrupts, 120)
{
	struct testdev *t = &self->t;
	unsigned int n = t->count[MSIX], v;
	__u32 cause;

	ASSERT_EQ(0, testdev_prepare(t));
	ASSERT_EQ(0, enable_all(t, MSIX));

	for (v = 0; v < n; v++) {
		noop(t, true, v);
		check_only(_metadata, "NOOP with RCI", t->efd, n, v, 1);
	}

	/* In order: when the last one interrupts, the others are done. */
	noop(t, false, 1);
	noop(t, false, 2);
	noop(t, true, 1);
	check_only(_metadata, "NOOPs without RCI", t->efd, n, 1, 1);

	EXPECT_EQ(0, dsa_cmd(dsa_driver_dsa(&t->drv), DSA_CMD_DRAIN_ALL, 0, true, NULL));
	check_only(_metadata, "command with int_req", t->efd, n, 0, 1);
	cause = vfio_pci_read32(&t->dev, 0, DSA_INTCAUSE);
	EXPECT_EQ(DSA_INTC_CMD, cause);
	dsa_write32(dsa_driver_dsa(&t->drv), DSA_INTCAUSE, cause);
	EXPECT_EQ(0, vfio_pci_read32(&t->dev, 0, DSA_INTCAUSE));

	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));
}

/*
 * vfio-pci refuses the DSA unless loaded with disable_denylist=1: probe
 * fails with EINVAL and the device stays without a driver.
 */
TEST(dsa_denylisted)
{
	char bdf[32], before[256], after[256];
	struct vfio_pci_dev dev;

	if (pci_find_device(dsa_driver_ops.vendor, dsa_driver_ops.device, bdf, sizeof(bdf)))
		SKIP(return, "no %s device", dsa_driver_ops.name);
	ASSERT_EQ(0, vfio_pci_driver_load(false, true));
	pci_driver_of(bdf, before, sizeof(before));
	EXPECT_EQ(-EINVAL, vfio_pci_open(&dev, bdf, false));
	pci_driver_of(bdf, after, sizeof(after));
	EXPECT_STREQ(before, after);
	/* Allowed again for the tests that follow. */
	ASSERT_EQ(0, vfio_pci_driver_load(true, true));
}

/*
 * The fixtures give a device back to the driver it had: the DSA, bound to
 * idxd, goes to vfio-pci and back to idxd.  It is left without a driver,
 * as the other tests expect to find it.
 */
TEST(dsa_driver_restored)
{
	char bdf[32], drv[256], path[128];
	struct vfio_irq_info info;
	struct vfio_pci_dev dev;

	if (pci_find_device(dsa_driver_ops.vendor, dsa_driver_ops.device, bdf, sizeof(bdf)))
		SKIP(return, "no %s device", dsa_driver_ops.name);
	pci_driver_of(bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(0, system("modprobe -q idxd"));
	pci_driver_of(bdf, drv, sizeof(drv));
	if (!drv[0]) {
		/* idxd was loaded already: probe it now. */
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/idxd/bind");
		ASSERT_EQ(0, sysfs_write(path, bdf));
		pci_driver_of(bdf, drv, sizeof(drv));
	}
	ASSERT_STREQ("idxd", drv);

	ASSERT_EQ(0, vfio_pci_open(&dev, bdf, true));
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("vfio-pci", drv);
	EXPECT_EQ(0, vfio_irq_info(&dev, MSIX, &info));
	vfio_pci_close(&dev);
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("idxd", drv);

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/idxd/unbind");
	EXPECT_EQ(0, sysfs_write(path, bdf));
	pci_driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
}

TEST_HARNESS_MAIN
