// SPDX-License-Identifier: GPL-2.0
/*
 * The mtty sample mediated device on the VFIO PCI interrupt frontend:
 * create an mtty mdev, open it through the VFIO device cdev and iommufd,
 * and check that the interrupts its emulated 16550 UART raises
 * (lib/drivers/mtty) reach the user's eventfd, with INTx automasked until
 * unmasked and MSI not.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/serial_reg.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vfio_util.h"
#include "drivers/mtty/mtty.h"

FIXTURE(mtty) {
	char uuid[64];
	int iommufd;
	int device;
	int efd;
	uint64_t bar0;
};

FIXTURE_SETUP(mtty)
{
	struct vfio_region_info reg = {
		.argsz = sizeof(reg),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	self->device = -1;
	self->iommufd = -1;
	self->efd = -1;
	self->uuid[0] = '\0';

	if (access(MTTY_TYPES, F_OK) && system("modprobe mtty"))
		SKIP(return, "no mtty module");
	ASSERT_EQ(0, access(MTTY_TYPES "/mtty-1/create", W_OK));

	mdev_make_uuid(self->uuid, sizeof(self->uuid));
	ASSERT_EQ(0, sysfs_write(MTTY_TYPES "/mtty-1/create", self->uuid))
		TH_LOG("cannot create mdev %s", self->uuid);
	self->device = mdev_open(self->uuid, &self->iommufd);
	ASSERT_LE(0, self->device)
		TH_LOG("opening mdev %s through its VFIO device cdev and iommufd: %s",
		       self->uuid, strerror(-self->device));

	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_LE(8, reg.size);
	self->bar0 = reg.offset;

	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(mtty)
{
	char path[256];

	if (self->efd >= 0)
		close(self->efd);
	if (self->device >= 0)
		close(self->device);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->uuid[0]) {
		snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove",
			 self->uuid);
		sysfs_write(path, "1");
	}
}

static int set_trigger(int device, uint32_t index, int32_t fd)
{
	return vfio_device_set_irqs(device, VFIO_IRQ_SET_DATA_EVENTFD |
				    VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1,
				    &fd, sizeof(fd));
}

static int set_none(int device, uint32_t action, uint32_t index,
		    uint32_t count)
{
	return vfio_device_set_irqs(device, VFIO_IRQ_SET_DATA_NONE | action,
				    index, 0, count, NULL, 0);
}

TEST_F(mtty, irq_info)
{
	struct vfio_irq_info info = { .argsz = sizeof(info) };

	info.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		  VFIO_IRQ_INFO_AUTOMASKED, info.flags);

	info.index = VFIO_PCI_MSI_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, info.flags);

	/* mtty offers neither MSI-X nor ERR nor REQ */
	info.index = VFIO_PCI_MSIX_IRQ_INDEX;
	EXPECT_EQ(-1, ioctl(self->device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.index = VFIO_PCI_REQ_IRQ_INDEX;
	EXPECT_EQ(-1, ioctl(self->device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, set_trigger(self->device, VFIO_PCI_MSIX_IRQ_INDEX,
				       self->efd));
}

TEST_F(mtty, intx)
{
	ASSERT_EQ(0, set_trigger(self->device, VFIO_PCI_INTX_IRQ_INDEX,
				 self->efd));

	/* the UART's interrupt reaches the eventfd ... */
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));

	/* ... and masks INTx: nothing more until the user unmasks */
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_UNMASK,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));

	/* a mask from the user silences it too, loopback included */
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_UNMASK,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_MASK,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_UNMASK,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_INTX_IRQ_INDEX, 1));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));

	/* no mask eventfd */
	EXPECT_EQ(-ENOTTY, vfio_device_set_irqs(self->device,
						VFIO_IRQ_SET_DATA_EVENTFD |
						VFIO_IRQ_SET_ACTION_MASK,
						VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
						&self->efd, sizeof(int32_t)));

	/* disabled, the UART's interrupt goes nowhere */
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_INTX_IRQ_INDEX, 0));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));
}

TEST_F(mtty, intx_unmask_eventfd)
{
	int unmask = eventfd(0, 0);
	uint64_t one = 1;

	ASSERT_LE(0, unmask);
	ASSERT_EQ(0, set_trigger(self->device, VFIO_PCI_INTX_IRQ_INDEX,
				 self->efd));
	ASSERT_EQ(0, vfio_device_set_irqs(self->device,
					  VFIO_IRQ_SET_DATA_EVENTFD |
					  VFIO_IRQ_SET_ACTION_UNMASK,
					  VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
					  &unmask, sizeof(int32_t)));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));

	/* a write to the unmask eventfd unmasks */
	ASSERT_EQ(sizeof(one), write(unmask, &one, sizeof(one)));
	usleep(100000);
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));
	close(unmask);
}

TEST_F(mtty, msi)
{
	int other = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, set_trigger(self->device, VFIO_PCI_MSI_IRQ_INDEX,
				 self->efd));

	/* MSI is not masked: every interrupt arrives */
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(2, efd_wait(self->efd, 1, 2000));

	/* data in the FIFO at the trigger level raises it too */
	ASSERT_EQ(0, mtty_uart_write(self->device, self->bar0, UART_FCR,
				     UART_FCR_ENABLE_FIFO |
				     UART_FCR_CLEAR_RCVR |
				     UART_FCR_CLEAR_XMIT));
	ASSERT_EQ(0, mtty_uart_write(self->device, self->bar0, UART_IER,
				     UART_IER_RDI));
	ASSERT_EQ(0, mtty_uart_write(self->device, self->bar0, UART_TX, 'x'));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));

	/* one index at a time */
	EXPECT_EQ(-EINVAL, set_trigger(self->device, VFIO_PCI_INTX_IRQ_INDEX,
				       other));

	/* a new eventfd takes over */
	ASSERT_EQ(0, set_trigger(self->device, VFIO_PCI_MSI_IRQ_INDEX, other));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(other, 1, 2000));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));

	/* loopback */
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_MSI_IRQ_INDEX, 1));
	EXPECT_EQ(1, efd_wait(other, 1, 2000));

	/* no masking of MSI through VFIO */
	EXPECT_EQ(-ENOTTY, set_none(self->device, VFIO_IRQ_SET_ACTION_MASK,
				    VFIO_PCI_MSI_IRQ_INDEX, 1));

	/* disabled, then INTx may take over */
	ASSERT_EQ(0, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_MSI_IRQ_INDEX, 0));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(0, efd_wait(other, 1, 200));
	EXPECT_EQ(0, set_trigger(self->device, VFIO_PCI_INTX_IRQ_INDEX,
				 self->efd));
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(1, efd_wait(self->efd, 1, 2000));
	close(other);
}

TEST_F(mtty, close_drops_eventfds)
{
	ASSERT_EQ(0, set_trigger(self->device, VFIO_PCI_MSI_IRQ_INDEX,
				 self->efd));
	close(self->device);
	close(self->iommufd);

	/* reopened, the device has no index enabled */
	self->device = mdev_open(self->uuid, &self->iommufd);
	ASSERT_LE(0, self->device);
	ASSERT_EQ(0, mtty_raise_thri(self->device, self->bar0));
	EXPECT_EQ(0, efd_wait(self->efd, 1, 200));
	EXPECT_EQ(-EINVAL, set_none(self->device, VFIO_IRQ_SET_ACTION_TRIGGER,
				    VFIO_PCI_MSI_IRQ_INDEX, 1));
}

TEST_HARNESS_MAIN
