// SPDX-License-Identifier: GPL-2.0
/*
 * The IMS backend of the VFIO PCI interrupt frontend, on a DSA with an IMS
 * domain, through the stand-in VFIO device of the test module
 * (vfio_ims_test/): one IMS interrupt per MSI-X vector, allocated when the
 * vector gets an eventfd and freed when it loses it, with the vector's
 * cookie; the emulated vector 0 beside them; vectors enabled one by one.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "../common/drv_util.h"
#include "vfio_ims_test.h"

/* One SET_IRQS per vector, as QEMU does for a resizable MSI-X index */
static int set_vector(int dev, uint32_t vector, int32_t fd)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX,
			vector, 1, &fd, sizeof(fd));
}

static int disable(int dev)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_NONE |
			VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX,
			0, 0, NULL, 0);
}

static int query(int dev, uint32_t vector, struct vfio_ims_test_vec *vec)
{
	memset(vec, 0, sizeof(*vec));
	vec->vector = vector;
	return ioctl(dev, VFIO_IMS_TEST_QUERY, vec) ? -errno : 0;
}

static int fire(int dev, uint32_t vector)
{
	return ioctl(dev, VFIO_IMS_TEST_FIRE, &vector) ? -errno : 0;
}

/* Whether /proc/interrupts has an interrupt named vfio-ims[vector] */
static int named_irqs(uint32_t vector)
{
	char line[1024], name[32];
	int n = 0;
	FILE *f;

	snprintf(name, sizeof(name), "vfio-ims[%u](", vector);
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name))
			n++;
	fclose(f);
	return n;
}

FIXTURE(ims) {
	int dev;
	int efd[VFIO_IMS_TEST_NVEC];
};

FIXTURE_SETUP(ims)
{
	char path[PATH_MAX];
	int i, rc;

	self->dev = -1;
	for (i = 0; i < VFIO_IMS_TEST_NVEC; i++)
		self->efd[i] = -1;

	ASSERT_EQ(0, system("modprobe idxd"));
	module_path(path, sizeof(path), "vfio_ims_test/vfio_ims_test.ko");
	rc = load_module(path);
	if (rc == -ENODEV)
		SKIP(return, "no DSA with an IMS domain");
	ASSERT_EQ(0, rc) TH_LOG("loading %s: %s", path, strerror(-rc));

	self->dev = open(VFIO_IMS_TEST_DEV, O_RDWR);
	ASSERT_LE(0, self->dev)
		TH_LOG("open %s: %s", VFIO_IMS_TEST_DEV, strerror(errno));
	for (i = 0; i < VFIO_IMS_TEST_NVEC; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(ims)
{
	int i;

	for (i = 0; i < VFIO_IMS_TEST_NVEC; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
	if (self->dev >= 0)
		close(self->dev);
	unload_module("vfio_ims_test");
}

TEST_F(ims, irq_info)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
	};

	/* IMS allocates per vector: MSI-X is resizable */
	ASSERT_EQ(0, ioctl(self->dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(VFIO_IMS_TEST_NVEC, info.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD, info.flags);
	info.index = VFIO_PCI_INTX_IRQ_INDEX;
	EXPECT_EQ(-1, ioctl(self->dev, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(ims, vectors)
{
	struct vfio_ims_test_vec v1, v3, vec;

	/* vector 0 first, emulated: no IMS interrupt */
	ASSERT_EQ(0, set_vector(self->dev, 0, self->efd[0]));
	EXPECT_EQ(-ENOENT, query(self->dev, 0, &vec));

	/* vectors 1 and 3 one by one, each with its IMS interrupt */
	ASSERT_EQ(0, set_vector(self->dev, 1, self->efd[1]));
	ASSERT_EQ(0, set_vector(self->dev, 3, self->efd[3]));
	ASSERT_EQ(0, query(self->dev, 1, &v1));
	ASSERT_EQ(0, query(self->dev, 3, &v3));
	EXPECT_LE(0, v1.index);
	EXPECT_LE(0, v3.index);
	EXPECT_NE(v1.index, v3.index);
	EXPECT_LT(0, v1.virq);
	EXPECT_LT(0, v3.virq);
	EXPECT_EQ(VFIO_IMS_TEST_COOKIE(1), v1.cookie);
	EXPECT_EQ(VFIO_IMS_TEST_COOKIE(3), v3.cookie);
	EXPECT_EQ(-ENOENT, query(self->dev, 2, &vec));
	EXPECT_EQ(1, named_irqs(1));
	EXPECT_EQ(1, named_irqs(3));
	EXPECT_EQ(0, named_irqs(2));

	/* each interrupt reaches its own eventfd, and only that */
	ASSERT_EQ(0, fire(self->dev, 1));
	EXPECT_EQ(1, eventfd_wait(self->efd[1], 2000));
	EXPECT_EQ(0, eventfd_wait(self->efd[3], 100));
	ASSERT_EQ(0, fire(self->dev, 3));
	EXPECT_EQ(1, eventfd_wait(self->efd[3], 2000));
	EXPECT_EQ(0, eventfd_wait(self->efd[1], 100));
	ASSERT_EQ(0, fire(self->dev, 0));
	EXPECT_EQ(1, eventfd_wait(self->efd[0], 2000));

	/* loopback reaches the IMS vectors too */
	ASSERT_EQ(0, set_irqs(self->dev, VFIO_IRQ_SET_DATA_NONE |
			      VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX,
			      0, 4, NULL, 0));
	EXPECT_EQ(1, eventfd_wait(self->efd[0], 2000));
	EXPECT_EQ(1, eventfd_wait(self->efd[1], 2000));
	EXPECT_EQ(1, eventfd_wait(self->efd[3], 2000));
	EXPECT_EQ(0, eventfd_wait(self->efd[2], 100));

	/* losing its eventfd frees the IMS interrupt, and only that one */
	ASSERT_EQ(0, set_vector(self->dev, 1, -1));
	EXPECT_EQ(-ENOENT, query(self->dev, 1, &vec));
	EXPECT_EQ(0, named_irqs(1));
	EXPECT_EQ(1, named_irqs(3));
	ASSERT_EQ(0, fire(self->dev, 3));
	EXPECT_EQ(1, eventfd_wait(self->efd[3], 2000));
	/* the freed entry is the lowest free one again */
	ASSERT_EQ(0, set_vector(self->dev, 2, self->efd[2]));
	ASSERT_EQ(0, query(self->dev, 2, &vec));
	EXPECT_EQ(v1.index, vec.index);
	EXPECT_EQ(VFIO_IMS_TEST_COOKIE(2), vec.cookie);

	/* disabling the index frees everything */
	ASSERT_EQ(0, disable(self->dev));
	EXPECT_EQ(-ENOENT, query(self->dev, 2, &vec));
	EXPECT_EQ(-ENOENT, query(self->dev, 3, &vec));
	EXPECT_EQ(0, named_irqs(2));
	EXPECT_EQ(0, named_irqs(3));
	EXPECT_EQ(-EAGAIN, fire(self->dev, 0));
}

TEST_F(ims, cookie)
{
	struct vfio_ims_test_vec vec = { .vector = 3, .cookie = 0x555 };

	ASSERT_EQ(0, set_vector(self->dev, 3, self->efd[3]));

	/* a new cookie leaves the interrupt in use alone ... */
	ASSERT_EQ(0, ioctl(self->dev, VFIO_IMS_TEST_COOKIE_SET, &vec));
	ASSERT_EQ(0, query(self->dev, 3, &vec));
	EXPECT_EQ(VFIO_IMS_TEST_COOKIE(3), vec.cookie);

	/* ... and the next one carries it */
	ASSERT_EQ(0, set_vector(self->dev, 3, self->efd[4]));
	ASSERT_EQ(0, query(self->dev, 3, &vec));
	EXPECT_EQ(0x555, vec.cookie);
	ASSERT_EQ(0, fire(self->dev, 3));
	EXPECT_EQ(1, eventfd_wait(self->efd[4], 2000));
	EXPECT_EQ(0, eventfd_wait(self->efd[3], 100));
}

TEST_F(ims, close_frees)
{
	struct vfio_ims_test_vec vec;
	int32_t fds[3] = { self->efd[0], self->efd[1], self->efd[2] };

	/* a block of three at once, then the device is closed */
	ASSERT_EQ(0, set_irqs(self->dev, VFIO_IRQ_SET_DATA_EVENTFD |
			      VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX,
			      0, 3, fds, sizeof(fds)));
	EXPECT_EQ(1, named_irqs(1));
	EXPECT_EQ(1, named_irqs(2));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(0, named_irqs(1));
	EXPECT_EQ(0, named_irqs(2));

	self->dev = open(VFIO_IMS_TEST_DEV, O_RDWR);
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-ENOENT, query(self->dev, 1, &vec));
}

TEST_HARNESS_MAIN
