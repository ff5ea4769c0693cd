// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupts of an e1000e NIC (8086:10d3) through vfio-pci, caused
 * through its ICS register: INTx, automasked and masked through
 * SET_IRQS, unmasked by eventfd; real MSI; one interrupt type at a time.
 *
 * Only the 6.12 uAPI is used, as in vfio_pci_irq_test.c.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_pci_irq_test.h"
#include "drivers/e1000e/e1000e.h"

/* The e1000e: INTx, its masking, MSI, and the exclusive interrupt types. */
FIXTURE(e1000e) {
	struct testdev t;
};

FIXTURE_SETUP(e1000e)
{
	int err;

	testdev_setup(_metadata, &self->t, &e1000e_driver_ops);
	if (_metadata->exit_code)
		return;
	/* Teardown only runs after a complete setup: undo it here. */
	err = testdev_prepare(&self->t);
	if (err)
		testdev_teardown(&self->t);
	ASSERT_EQ(0, err);
}

FIXTURE_TEARDOWN(e1000e)
{
	testdev_teardown(&self->t);
}

static int intx_mask(struct testdev *t, __u32 data, const void *arg, size_t len)
{
	return vfio_set_irqs(&t->dev, data | VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 1, arg, len);
}

static int intx_unmask(struct testdev *t)
{
	return vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			     INTX, 0, 1, NULL, 0);
}

/*
 * INTx is automasked: one interrupt signals once and masks the line until
 * UNMASK; an UNMASK while the line is still asserted signals again at
 * once; disabled, nothing signals and UNMASK is EINVAL.
 */
TEST_F_TIMEOUT(e1000e, intx_automask, 120)
{
	struct testdev *t = &self->t;
	int *efd = t->efd;

	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, INTX, 0, efd[0]));
	check_all_handlers(_metadata, t, INTX, true);

	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx", efd, 2, 0, 1);
	/* Deasserted and asserted again: masked, no signal. */
	e1000e_intx_clear(&t->dev);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx while automasked", efd, 2, -1, 0);
	/* Still asserted at UNMASK: signalled (and masked) again. */
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK while asserted", efd, 2, 0, 1);
	/* Deasserted at UNMASK: nothing, then the next one comes. */
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK while deasserted", efd, 2, -1, 0);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx after UNMASK", efd, 2, 0, 1);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));

	/* A new eventfd takes over. */
	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, INTX, 0, efd[1]));
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx, swapped eventfd", efd, 2, 1, 1);
	e1000e_intx_clear(&t->dev);

	EXPECT_EQ(0, vfio_disable_index(&t->dev, INTX));
	check_all_handlers(_metadata, t, INTX, false);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx disabled", efd, 2, -1, 0);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(-EINVAL, intx_unmask(t));
}

/*
 * ACTION_MASK: DATA_NONE and a true DATA_BOOL mask the line (an interrupt
 * meanwhile is signalled at UNMASK), a false one does not; masking with
 * an eventfd is not implemented (ENOTTY); start or count other than 0
 * and 1: EINVAL.
 */
TEST_F_TIMEOUT(e1000e, intx_mask, 120)
{
	struct testdev *t = &self->t;
	__u8 yes = 1, no = 0;
	int *efd = t->efd;

	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, INTX, 0, efd[0]));

	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_NONE, NULL, 0));
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx masked", efd, 1, -1, 0);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK of a pending INTx", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK, nothing pending", efd, 1, -1, 0);

	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_BOOL, &no, 1));
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx after a false MASK", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));

	/* Masked twice, unmasked once. */
	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_BOOL, &yes, 1));
	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_NONE, NULL, 0));
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx masked by DATA_BOOL", efd, 1, -1, 0);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK after the cause went", efd, 1, -1, 0);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx after UNMASK", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, intx_unmask(t));

	EXPECT_EQ(-ENOTTY, intx_mask(t, VFIO_IRQ_SET_DATA_EVENTFD, &efd[1], sizeof(int)));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE |
					 VFIO_IRQ_SET_ACTION_MASK, INTX, 1, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE |
					 VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_NONE |
					 VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 2, NULL, 0));
	EXPECT_EQ(0, vfio_disable_index(&t->dev, INTX));
}

/*
 * UNMASK by eventfd (QEMU's resampling irqfd): a write to it unmasks the
 * line; once removed (-1), writes do nothing.
 */
TEST_F_TIMEOUT(e1000e, intx_unmask_eventfd, 120)
{
	struct testdev *t = &self->t;
	int *efd = t->efd, off = -1;
	__u64 one = 1;

	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, INTX, 0, efd[0]));
	ASSERT_EQ(0, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_EVENTFD |
				   VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, &efd[1],
				   sizeof(int)));

	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);
	ASSERT_EQ((ssize_t)sizeof(one), write(efd[1], &one, sizeof(one)));
	sleep_ms(SETTLE_MS);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx after the unmask eventfd", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);

	ASSERT_EQ(0, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_EVENTFD |
				   VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, &off, sizeof(off)));
	ASSERT_EQ((ssize_t)sizeof(one), write(efd[1], &one, sizeof(one)));
	sleep_ms(SETTLE_MS);
	e1000e_intx_assert(&t->dev);
	check_only(_metadata, "INTx after a removed unmask eventfd", efd, 1, -1, 0);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK", efd, 1, 0, 1);
	e1000e_intx_clear(&t->dev);
	EXPECT_EQ(0, vfio_disable_index(&t->dev, INTX));
}

/* Real MSI interrupts, one at a time. */
TEST_F_TIMEOUT(e1000e, msi_real, 120)
{
	struct testdev *t = &self->t;
	int i;

	ASSERT_EQ(0, enable_all(t, MSI));
	EXPECT_TRUE(phys_enabled(t, MSI));
	check_all_handlers(_metadata, t, MSI, true);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vfio_pci_driver_fire(&t->drv, -1));
		check_only(_metadata, "MSI", t->efd, 1, 0, 1);
	}
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSI));
	EXPECT_FALSE(phys_enabled(t, MSI));
	ASSERT_EQ(0, vfio_pci_driver_fire(&t->drv, -1));
	check_only(_metadata, "MSI disabled", t->efd, 1, -1, 0);
}

/*
 * One interrupt type at a time: with INTx, MSI or MSI-X enabled, enabling
 * or triggering another is EINVAL and leaves the enabled one working;
 * once it is disabled, the other can be enabled.
 */
TEST_F_TIMEOUT(e1000e, irq_type_exclusive, 120)
{
	static const unsigned int types[] = { INTX, MSI, MSIX };
	struct testdev *t = &self->t;
	unsigned int a, b;

	for (a = 0; a < 3; a++) {
		for (b = 0; b < 3; b++) {
			if (a == b)
				continue;
			ASSERT_EQ(0, vfio_set_eventfd(&t->dev, types[a], 0, t->efd[0]));
			EXPECT_EQ(-EINVAL, vfio_set_eventfd(&t->dev, types[b], 0, t->efd[1])) {
				TH_LOG("%s while %s is enabled", index_name[types[b]],
				       index_name[types[a]]);
			}
			EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, types[b], 0, 1));
			EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, types[b]));
			if (types[b] == INTX)
				EXPECT_EQ(-EINVAL, intx_unmask(t));
			EXPECT_EQ(0, vfio_trigger(&t->dev, types[a], 0, 1));
			check_only(_metadata, index_name[types[a]], t->efd, 2, 0, 1);
			EXPECT_EQ(0, vfio_disable_index(&t->dev, types[a]));

			ASSERT_EQ(0, vfio_set_eventfd(&t->dev, types[b], 0, t->efd[1]));
			EXPECT_EQ(0, vfio_disable_index(&t->dev, types[b]));
		}
	}
}

TEST_HARNESS_MAIN
