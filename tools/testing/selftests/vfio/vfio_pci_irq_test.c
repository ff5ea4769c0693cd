// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupt behaviour of vfio-pci as user space sees it, on any
 * device: what VFIO_DEVICE_GET_IRQ_INFO reports, what
 * VFIO_DEVICE_SET_IRQS accepts and rejects with which errno, loopback
 * triggers, MSI-X vectors added and removed one at a time, and real
 * MSI-X interrupts raised by the device's driver of lib/drivers/.  It
 * runs on each device that has such a driver: an Intel DSA (8086:0b25,
 * MSI-X) and an e1000e NIC (8086:10d3, INTx, MSI and MSI-X).  What only
 * one of them can show is in vfio_pci_irq_dsa_test.c and
 * vfio_pci_irq_e1000e_test.c.
 *
 * Only the 6.12 uAPI is used (group/container, VFIO_TYPE1v2_IOMMU), so
 * that the same expectations hold for an unmodified kernel and for ours.
 * Expected values come from the device's config space as the PCI core
 * reads it (sysfs), not from vfio.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "../kselftest_harness.h"
#include "vfio_pci_irq_test.h"

#define TRIGGER_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_BOOL	(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define SET_IRQS_MINSZ	(offsetof(struct vfio_irq_set, count) + sizeof(__u32))
#define IRQ_INFO_MINSZ	(offsetof(struct vfio_irq_info, count) + sizeof(__u32))

/* Every I/O APIC line and PCI MSI in /proc/interrupts goes through IR. */
static bool host_remaps_interrupts(void)
{
	bool ioapic_remapped, msi_remapped;
	int ioapic = proc_interrupts_count("IO-APIC", &ioapic_remapped);
	int msi = proc_interrupts_count("PCI-MSI", &msi_remapped);

	return ioapic + msi > 0 && ioapic_remapped && msi_remapped;
}

/* Real interrupts on each of the @n vectors in @on, one at a time. */
static void fire_each(struct __test_metadata *_metadata, struct testdev *t, const char *what,
		      const int *fds, const bool *on, unsigned int n)
{
	__u64 want[MAX_VECTORS] = { 0 };
	unsigned int v;

	for (v = 0; v < n; v++) {
		if (!on[v])
			continue;
		ASSERT_EQ(0, vfio_pci_driver_fire(&t->drv, v));
		/* One at a time: two MSIs in flight may merge in the APIC. */
		EXPECT_EQ(1, efd_wait(fds[v], 1, WAIT_MS)) {
			TH_LOG("%s: no interrupt on vector %u", what, v);
		}
	}
	/* Anything else, on any vector, is an error. */
	check_round(_metadata, what, fds, want, n);
}

/* Loopback: DATA_NONE on the vectors in @on, each once. */
static void loop_each(struct __test_metadata *_metadata, struct testdev *t, unsigned int index,
		      const char *what, const int *fds, const bool *on, unsigned int n)
{
	__u64 want[MAX_VECTORS] = { 0 };
	unsigned int v;

	ASSERT_EQ(0, vfio_trigger(&t->dev, index, 0, n));
	for (v = 0; v < n; v++)
		want[v] = on[v];
	check_round(_metadata, what, fds, want, n);
}

/*
 * The device under test, in every test of vfio_pci: everything that holds
 * for any vfio-pci device.
 */
FIXTURE(vfio_pci) {
	struct testdev t;
};

FIXTURE_VARIANT(vfio_pci) {
	const struct vfio_pci_driver_ops *ops;
};

FIXTURE_VARIANT_ADD(vfio_pci, dsa) {
	.ops = &dsa_driver_ops,
};

FIXTURE_VARIANT_ADD(vfio_pci, e1000e) {
	.ops = &e1000e_driver_ops,
};

FIXTURE_SETUP(vfio_pci)
{
	testdev_setup(_metadata, &self->t, variant->ops);
}

FIXTURE_TEARDOWN(vfio_pci)
{
	testdev_teardown(&self->t);
}

/*
 * GET_IRQ_INFO: the count of every index is what config space says, and
 * the flags are those 6.12 documents: INTx maskable and automasked, MSI-X
 * resizable (no NORESIZE) on a host with interrupt remapping, every other
 * index NORESIZE; ERR only for PCIe.  Bad index and argsz: EINVAL.
 */
TEST_F(vfio_pci, irq_info)
{
	static const __u32 flags[NUM_IRQS] = {
		[INTX] = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			 VFIO_IRQ_INFO_AUTOMASKED,
		[MSI] = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		[MSIX] = VFIO_IRQ_INFO_EVENTFD,
		[ERR] = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
		[REQ] = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE,
	};
	static const __u32 bad[] = { NUM_IRQS, NUM_IRQS + 1, 0x80000000, ~0U };
	struct testdev *t = &self->t;
	struct vfio_irq_info info;
	unsigned int i, pass;

	ASSERT_TRUE(host_remaps_interrupts()) {
		TH_LOG("interrupt remapping is off: the MSI-X expectations do not apply");
	}

	/* Twice: with no interrupt enabled, and with MSI-X enabled. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < NUM_IRQS; i++) {
			int ret = vfio_irq_info(&t->dev, i, &info);

			if (i == ERR && !t->pcie) {
				EXPECT_EQ(-EINVAL, ret);
				continue;
			}
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: GET_IRQ_INFO %s", t->ops->name, index_name[i]);
			}
			EXPECT_EQ(i, info.index);
			EXPECT_EQ(t->count[i], info.count) {
				TH_LOG("%s: %s count", t->ops->name, index_name[i]);
			}
			EXPECT_EQ(flags[i], info.flags) {
				TH_LOG("%s: %s flags", t->ops->name, index_name[i]);
			}
		}
		if (!pass)
			ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, 0, t->efd[0]));
	}

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, vfio_irq_info(&t->dev, bad[i], &info));

	memset(&info, 0, sizeof(info));
	info.index = MSIX;
	info.argsz = IRQ_INFO_MINSZ - 1;
	EXPECT_EQ(-1, ioctl(t->dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.argsz = IRQ_INFO_MINSZ;
	EXPECT_EQ(0, ioctl(t->dev.fd, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(t->count[MSIX], info.count);
}

/* An index that does not exist, or has no vector: EINVAL. */
TEST_F(vfio_pci, set_irqs_bad_index)
{
	static const __u32 bad[] = { NUM_IRQS, NUM_IRQS + 1, 0x80000000, ~0U };
	struct testdev *t = &self->t;
	unsigned int i;
	int empty = 0;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, bad[i], 0, 0));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, bad[i], 0, 1));
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, bad[i], 0, t->efd[0]));
	}
	for (i = 0; i < NUM_IRQS; i++) {
		if (t->count[i])
			continue;
		empty++;
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, i, 0, t->efd[0])) {
			TH_LOG("%s: %s has no vector", t->ops->name, index_name[i]);
		}
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, i, 0, 1));
		EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, i));
	}
	/* The DSA has neither INTx nor MSI; the e1000e has every index. */
	EXPECT_EQ(empty, !t->ops->intx + !t->ops->msi + !t->pcie);
}

/*
 * Flags: an unknown bit, no or several DATA_ types are EINVAL (checked
 * with the header); no or several ACTION_ types are ENOTTY (vfio-pci
 * finds no handler).  Nothing gets enabled on the way.
 */
TEST_F(vfio_pci, set_irqs_bad_flags)
{
	static const struct {
		__u32 flags;
		int err;
	} cases[] = {
		{ TRIGGER_NONE | 1U << 6, -EINVAL },
		{ TRIGGER_NONE | 1U << 31, -EINVAL },
		{ TRIGGER_EVENTFD | 0xffc0, -EINVAL },
		{ VFIO_IRQ_SET_ACTION_TRIGGER, -EINVAL },
		{ TRIGGER_NONE | VFIO_IRQ_SET_DATA_BOOL, -EINVAL },
		{ TRIGGER_BOOL | VFIO_IRQ_SET_DATA_EVENTFD, -EINVAL },
		{ TRIGGER_NONE | VFIO_IRQ_SET_DATA_TYPE_MASK, -EINVAL },
		{ VFIO_IRQ_SET_DATA_NONE, -ENOTTY },
		{ VFIO_IRQ_SET_DATA_EVENTFD, -ENOTTY },
		{ TRIGGER_NONE | VFIO_IRQ_SET_ACTION_MASK, -ENOTTY },
		{ TRIGGER_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, -ENOTTY },
		{ VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
		  VFIO_IRQ_SET_ACTION_UNMASK, -ENOTTY },
		{ VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TYPE_MASK, -ENOTTY },
	};
	static const unsigned int indexes[] = { INTX, MSI, MSIX, ERR, REQ };
	struct testdev *t = &self->t;
	unsigned int i, j;
	int data[2];

	data[0] = t->efd[0];
	data[1] = t->efd[1];
	for (j = 0; j < ARRAY_SIZE(indexes); j++) {
		unsigned int index = indexes[j];

		if (!t->count[index])
			continue;
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			EXPECT_EQ(cases[i].err, vfio_set_irqs(&t->dev, cases[i].flags, index, 0, 1,
							      data, sizeof(data))) {
				TH_LOG("%s: %s flags %#x", t->ops->name, index_name[index],
				       cases[i].flags);
			}
		}
	}
	if (t->count[MSI])
		EXPECT_FALSE(phys_enabled(t, MSI));
	EXPECT_FALSE(phys_enabled(t, MSIX));
	EXPECT_EQ(0, efd_take(t->efd[0]));
	/* Nothing was enabled: there is nothing to disable. */
	EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, MSIX));
}

/* argsz shorter than the header or than its data: EINVAL; longer is fine. */
TEST_F(vfio_pci, set_irqs_bad_argsz)
{
	size_t size = sizeof(struct vfio_irq_set) + 4 * sizeof(int);
	struct testdev *t = &self->t;
	__u8 bools[4] = { 1, 1, 1, 1 };
	struct vfio_irq_set *set;

	set = calloc(1, size);
	ASSERT_NE(NULL, set);
	set->flags = TRIGGER_EVENTFD;
	set->index = MSIX;
	set->count = 1;
	memcpy(set->data, t->efd, 2 * sizeof(int));

	set->argsz = 0;
	EXPECT_EQ(-EINVAL, vfio_set_irqs_raw(&t->dev, set));
	set->argsz = SET_IRQS_MINSZ - 1;
	EXPECT_EQ(-EINVAL, vfio_set_irqs_raw(&t->dev, set));
	/* No room for the one eventfd. */
	set->argsz = SET_IRQS_MINSZ;
	EXPECT_EQ(-EINVAL, vfio_set_irqs_raw(&t->dev, set));
	set->argsz = SET_IRQS_MINSZ + sizeof(int) - 1;
	EXPECT_EQ(-EINVAL, vfio_set_irqs_raw(&t->dev, set));
	/* Room for one of two. */
	set->count = 2;
	set->argsz = SET_IRQS_MINSZ + sizeof(int);
	EXPECT_EQ(-EINVAL, vfio_set_irqs_raw(&t->dev, set));
	EXPECT_FALSE(phys_enabled(t, MSIX));

	/* Booleans: one byte each. */
	ASSERT_EQ(0, vfio_set_eventfds(&t->dev, MSIX, 0, 2, t->efd));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, TRIGGER_BOOL, MSIX, 0, 2, bools, 1));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, TRIGGER_BOOL, MSIX, 0, 1, bools, 0));
	check_only(_metadata, "short DATA_BOOL", t->efd, 2, -1, 0);
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));

	/* More than the data needs is accepted. */
	set->count = 1;
	set->argsz = size;
	EXPECT_EQ(0, vfio_set_irqs_raw(&t->dev, set));
	EXPECT_TRUE(phys_enabled(t, MSIX));
	EXPECT_EQ(0, vfio_set_irqs(&t->dev, TRIGGER_BOOL, MSIX, 0, 1, bools, sizeof(bools)));
	check_only(_metadata, "long DATA_BOOL", t->efd, 2, 0, 1);
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));
	free(set);
}

/* start and count outside the index, or overflowing: EINVAL. */
TEST_F(vfio_pci, set_irqs_bad_range)
{
	struct testdev *t = &self->t;
	unsigned int index;
	int fds[MAX_VECTORS + 1];

	memcpy(fds, t->efd, sizeof(t->efd));
	fds[MAX_VECTORS] = t->efd[0];
	for (index = 0; index < NUM_IRQS; index++) {
		__u32 n = t->count[index];

		if (!n)
			continue;
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, n, 1, fds)) {
			TH_LOG("%s: %s start %u", t->ops->name, index_name[index], n);
		}
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, 0, n + 1, fds)) {
			TH_LOG("%s: %s count %u", t->ops->name, index_name[index], n + 1);
		}
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, n - 1, 2, fds));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 1, ~0U));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, ~0U, 1));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, ~0U, 0));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0x80000000, 0x80000000));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, n, 0));
	}
	EXPECT_FALSE(phys_enabled(t, MSIX));
	check_all_handlers(_metadata, t, MSIX, false);
	if (t->count[INTX])
		check_all_handlers(_metadata, t, INTX, false);
}

/*
 * An fd that is not an eventfd: EINVAL; a closed one: EBADF.  A block of
 * MSI-X eventfds is all or nothing: a bad one leaves the index as it was.
 */
TEST_F(vfio_pci, set_irqs_bad_eventfd)
{
	struct testdev *t = &self->t;
	int notefd, closed, fds[2];
	bool present[MAX_VECTORS] = { true };

	notefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, notefd);
	closed = dup(notefd);
	ASSERT_LE(0, closed);
	close(closed);

	/* Enabling MSI-X with a bad second eventfd enables nothing. */
	fds[0] = t->efd[0];
	fds[1] = notefd;
	EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, MSIX, 0, 2, fds));
	EXPECT_FALSE(phys_enabled(t, MSIX));
	check_all_handlers(_metadata, t, MSIX, false);
	EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, MSIX, 0, 1));
	fds[1] = closed;
	EXPECT_EQ(-EBADF, vfio_set_eventfds(&t->dev, MSIX, 0, 2, fds));
	EXPECT_FALSE(phys_enabled(t, MSIX));

	/* On an enabled index, only the block is undone. */
	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, 0, t->efd[0]));
	fds[0] = t->efd[1];
	fds[1] = notefd;
	EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, MSIX, 1, 2, fds));
	check_handlers(_metadata, t, MSIX, present);
	EXPECT_TRUE(phys_enabled(t, MSIX));
	EXPECT_EQ(0, vfio_trigger(&t->dev, MSIX, 0, 3));
	check_only(_metadata, "MSI-X after a bad block", t->efd, 3, 0, 1);
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));

	/* INTx, MSI: the same checks on enabling. */
	if (t->count[INTX]) {
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, INTX, 0, notefd));
		EXPECT_EQ(-EBADF, vfio_set_eventfd(&t->dev, INTX, 0, closed));
		check_all_handlers(_metadata, t, INTX, false);
	}
	if (t->count[MSI]) {
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, MSI, 0, notefd));
		EXPECT_FALSE(phys_enabled(t, MSI));
	}

	/* ERR and REQ take -1 (none) or an eventfd, nothing else. */
	EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, REQ, 0, notefd));
	EXPECT_EQ(-EBADF, vfio_set_eventfd(&t->dev, REQ, 0, closed));
	EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, REQ, 0, -2));
	if (t->pcie)
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, ERR, 0, -2));
	close(notefd);
}

/* MASK and UNMASK exist for INTx only: ENOTTY elsewhere, enabled or not. */
TEST_F(vfio_pci, mask_unmask_unsupported)
{
	static const __u32 actions[] = { VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK };
	static const __u32 data[] = {
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD
	};
	static const unsigned int indexes[] = { MSI, MSIX, ERR, REQ };
	struct testdev *t = &self->t;
	unsigned int i, a, d, pass;
	int arg = t->efd[1];

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ARRAY_SIZE(indexes); i++) {
			if (!t->count[indexes[i]])
				continue;
			for (a = 0; a < 2; a++)
				for (d = 0; d < 3; d++)
					EXPECT_EQ(-ENOTTY, vfio_set_irqs(&t->dev,
									 actions[a] | data[d],
									 indexes[i], 0, 1, &arg,
									 sizeof(arg))) {
						TH_LOG("%s: %s action %#x data %#x", t->ops->name,
						       index_name[indexes[i]], actions[a], data[d]);
					}
		}
		/* Again with MSI-X enabled: still ENOTTY. */
		if (!pass)
			ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, 0, t->efd[0]));
	}
	/* And the MSI-X vector still works. */
	EXPECT_EQ(0, vfio_trigger(&t->dev, MSIX, 0, 1));
	check_only(_metadata, "MSI-X after MASK", t->efd, 2, 0, 1);

	/* INTx masking needs INTx enabled. */
	if (t->count[INTX]) {
		EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE |
						 VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 1, NULL, 0));
		EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE |
						 VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, NULL, 0));
	}
}

/*
 * count 0 with DATA_NONE | ACTION_TRIGGER disables an enabled index: the
 * handlers go, the device's enable bit is cleared, loopback is refused.
 * On an index that is not enabled it is EINVAL.
 */
TEST_F(vfio_pci, disable_index)
{
	static const unsigned int indexes[] = { INTX, MSI, MSIX };
	struct testdev *t = &self->t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(indexes); i++) {
		unsigned int index = indexes[i];

		if (!t->count[index])
			continue;
		EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, index)) {
			TH_LOG("%s: disabling %s before enabling", t->ops->name,
			       index_name[index]);
		}
		ASSERT_EQ(0, enable_all(t, index)) {
			TH_LOG("%s: enabling %s", t->ops->name, index_name[index]);
		}
		check_all_handlers(_metadata, t, index, true);
		if (index != INTX)
			EXPECT_TRUE(phys_enabled(t, index));

		EXPECT_EQ(0, vfio_disable_index(&t->dev, index));
		check_all_handlers(_metadata, t, index, false);
		if (index != INTX)
			EXPECT_FALSE(phys_enabled(t, index));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 1));
		EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, index));
		check_only(_metadata, index_name[index], t->efd, t->count[index], -1, 0);
	}
}

/*
 * Loopback on every interrupt index the device has: DATA_NONE and
 * DATA_BOOL triggers signal exactly the eventfds of the vectors named, as
 * many times as triggered; false booleans and vectors without an eventfd
 * signal nothing.
 */
TEST_F_TIMEOUT(vfio_pci, loopback, 120)
{
	static const unsigned int indexes[] = { INTX, MSI, MSIX };
	struct testdev *t = &self->t;
	__u8 bools[MAX_VECTORS];
	__u64 want[MAX_VECTORS];
	unsigned int i, v, k;

	for (i = 0; i < ARRAY_SIZE(indexes); i++) {
		unsigned int index = indexes[i], n = t->count[index];

		if (!n)
			continue;
		ASSERT_EQ(0, enable_all(t, index));

		/* All at once. */
		EXPECT_EQ(0, vfio_trigger(&t->dev, index, 0, n));
		for (v = 0; v < n; v++)
			want[v] = 1;
		check_round(_metadata, "DATA_NONE, all", t->efd, want, n);

		/* Vector v, v + 1 times. */
		for (v = 0; v < n; v++) {
			for (k = 0; k <= v; k++)
				EXPECT_EQ(0, vfio_trigger(&t->dev, index, v, 1));
			want[v] = v + 1;
		}
		check_round(_metadata, "DATA_NONE, one by one", t->efd, want, n);

		/* Booleans: odd vectors only, then a range from 1, then none. */
		for (v = 0; v < n; v++) {
			bools[v] = v & 1;
			want[v] = v & 1;
		}
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, n, bools));
		check_round(_metadata, "DATA_BOOL, odd", t->efd, want, n);
		if (n > 1) {
			memset(bools, 1, sizeof(bools));
			EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 1, n - 1, bools));
			for (v = 0; v < n; v++)
				want[v] = v > 0;
			check_round(_metadata, "DATA_BOOL, from 1", t->efd, want, n);
		}
		memset(bools, 0, sizeof(bools));
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, n, bools));
		check_only(_metadata, "DATA_BOOL, false", t->efd, n, -1, 0);

		/* A vector without an eventfd is skipped, silently. */
		if (index == MSIX) {
			EXPECT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, n - 1, -1));
			EXPECT_EQ(0, vfio_trigger(&t->dev, MSIX, n - 1, 1));
			EXPECT_EQ(0, vfio_trigger(&t->dev, MSIX, 0, n));
			for (v = 0; v < n; v++)
				want[v] = v < n - 1;
			check_round(_metadata, "DATA_NONE without an eventfd", t->efd, want, n);
		}
		EXPECT_EQ(0, vfio_disable_index(&t->dev, index));
	}
}

/* Real MSI-X interrupts: each vector signals its own eventfd, once. */
TEST_F_TIMEOUT(vfio_pci, msix_real, 120)
{
	struct testdev *t = &self->t;
	bool all[MAX_VECTORS];

	ASSERT_EQ(0, testdev_prepare(t));
	ASSERT_EQ(0, enable_all(t, MSIX));
	memset(all, true, sizeof(all));
	fire_each(_metadata, t, "MSI-X, all enabled", t->efd, all, t->count[MSIX]);
	/* And again: nothing was left masked or pending. */
	fire_each(_metadata, t, "MSI-X, again", t->efd, all, t->count[MSIX]);
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));
}

/*
 * MSI-X vectors come and go one SET_IRQS at a time, as QEMU does with a
 * resizable index: enable with one vector and no eventfd, add each
 * vector, swap an eventfd, remove the vectors in a mixed order, add one
 * back.  After every step the vectors that have an eventfd fire exactly
 * once each, by loopback and for real, and the others never.
 */
TEST_F_TIMEOUT(vfio_pci, msix_dynamic, 300)
{
	struct testdev *t = &self->t;
	unsigned int n = t->count[MSIX], v, i;
	bool on[MAX_VECTORS] = { false };
	int order[MAX_VECTORS], k = 0;
	int fds[MAX_VECTORS], swapped;
	char what[64];

	ASSERT_EQ(0, testdev_prepare(t));
	memcpy(fds, t->efd, sizeof(fds));

	EXPECT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, 0, -1));
	EXPECT_TRUE(phys_enabled(t, MSIX));
	check_handlers(_metadata, t, MSIX, on);

	for (v = 0; v < n; v++) {
		ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, v, fds[v]));
		on[v] = true;
		check_handlers(_metadata, t, MSIX, on);
		snprintf(what, sizeof(what), "added vector %u, loopback", v);
		loop_each(_metadata, t, MSIX, what, fds, on, n);
		snprintf(what, sizeof(what), "added vector %u, device", v);
		fire_each(_metadata, t, what, fds, on, n);
	}

	/* A new eventfd for vector 0: the old one is left alone. */
	swapped = efd_new();
	ASSERT_LE(0, swapped);
	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, 0, swapped));
	fds[0] = swapped;
	loop_each(_metadata, t, MSIX, "swapped vector 0, loopback", fds, on, n);
	fire_each(_metadata, t, "swapped vector 0, device", fds, on, n);
	EXPECT_EQ(0, efd_take(t->efd[0]));

	/* Odd vectors up, then even vectors down to 0. */
	for (v = 1; v < n; v += 2)
		order[k++] = v;
	for (v = (n - 1) & ~1U; (int)v >= 0; v -= 2)
		order[k++] = v;
	for (i = 0; i < n; i++) {
		v = order[i];
		ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, v, -1));
		on[v] = false;
		check_handlers(_metadata, t, MSIX, on);
		EXPECT_TRUE(phys_enabled(t, MSIX));
		snprintf(what, sizeof(what), "removed vector %u, loopback", v);
		loop_each(_metadata, t, MSIX, what, fds, on, n);
		snprintf(what, sizeof(what), "removed vector %u, device", v);
		fire_each(_metadata, t, what, fds, on, n);
	}

	/* No vector left, the index still enabled: one comes back. */
	v = n - 1;
	fds[v] = t->efd[v];
	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, MSIX, v, fds[v]));
	on[v] = true;
	check_handlers(_metadata, t, MSIX, on);
	loop_each(_metadata, t, MSIX, "re-added, loopback", fds, on, n);
	fire_each(_metadata, t, "re-added, device", fds, on, n);

	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));
	EXPECT_FALSE(phys_enabled(t, MSIX));
	close(swapped);
}

/*
 * ERR and REQ: one eventfd each, set and removed (-1 or count 0 with
 * DATA_NONE); DATA_NONE and DATA_BOOL loopback; start other than 0 or a
 * count over 1: EINVAL.
 */
TEST_F(vfio_pci, err_req)
{
	static const unsigned int indexes[] = { ERR, REQ };
	struct testdev *t = &self->t;
	unsigned int i;
	__u8 yes = 1, no = 0;
	int fds[2];

	for (i = 0; i < 2; i++) {
		unsigned int index = indexes[i];
		const char *name = index_name[index];

		if (!t->count[index]) {
			EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, index, 0, t->efd[0]));
			continue;
		}
		/* No eventfd yet: nothing to trigger or remove. */
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 1));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 0));
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, 1, &yes));

		ASSERT_EQ(0, vfio_set_eventfd(&t->dev, index, 0, t->efd[0]));
		EXPECT_EQ(0, vfio_trigger(&t->dev, index, 0, 1));
		EXPECT_EQ(0, vfio_trigger(&t->dev, index, 0, 1));
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, 1, &yes));
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, 1, &no));
		check_only(_metadata, name, t->efd, 2, 0, 3);

		/* Replaced by another. */
		ASSERT_EQ(0, vfio_set_eventfd(&t->dev, index, 0, t->efd[1]));
		EXPECT_EQ(0, vfio_trigger(&t->dev, index, 0, 1));
		check_only(_metadata, name, t->efd, 2, 1, 1);

		/* Removed with -1. */
		EXPECT_EQ(0, vfio_set_eventfd(&t->dev, index, 0, -1));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 1));
		EXPECT_EQ(0, vfio_trigger_bool(&t->dev, index, 0, 1, &yes));
		check_only(_metadata, name, t->efd, 2, -1, 0);

		/* Removed with count 0 and DATA_NONE, once. */
		ASSERT_EQ(0, vfio_set_eventfd(&t->dev, index, 0, t->efd[0]));
		EXPECT_EQ(0, vfio_trigger(&t->dev, index, 0, 0));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 0));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 0, 1));
		check_only(_metadata, name, t->efd, 2, -1, 0);

		/* One vector at 0, and counts that mean nothing here. */
		fds[0] = t->efd[0];
		fds[1] = t->efd[1];
		EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, index, 1, t->efd[0]));
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, 0, 2, fds));
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, 0, 0, fds));
		EXPECT_EQ(-EINVAL, vfio_trigger_bool(&t->dev, index, 0, 0, &yes));
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, index, 1, 1));
		check_only(_metadata, name, t->efd, 2, -1, 0);
	}
}

TEST_HARNESS_MAIN
