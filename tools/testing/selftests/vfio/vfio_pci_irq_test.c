// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupt behaviour of vfio-pci as user space sees it: what
 * VFIO_DEVICE_GET_IRQ_INFO reports, what VFIO_DEVICE_SET_IRQS accepts and
 * rejects with which errno, loopback triggers, MSI-X vectors added and
 * removed one at a time, and real interrupts from two devices: an Intel
 * DSA (8086:0b25, MSI-X; completion interrupts of descriptors submitted
 * through its portals with MOVDIR64B) and an e1000e NIC (8086:10d3, INTx,
 * MSI and MSI-X; interrupts caused through its ICS register).
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
#include <linux/pci_regs.h>
#include <sys/ioctl.h>

#include "../kselftest_harness.h"
#include "vfio_pci_dsa.h"
#include "vfio_pci_util.h"

#define MAX_VECTORS	64
#define WAIT_MS		5000	/* for an interrupt that must come */
#define SETTLE_MS	100	/* for one that must not */

#define INTX		VFIO_PCI_INTX_IRQ_INDEX
#define MSI		VFIO_PCI_MSI_IRQ_INDEX
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define ERR		VFIO_PCI_ERR_IRQ_INDEX
#define REQ		VFIO_PCI_REQ_IRQ_INDEX
#define NUM_IRQS	VFIO_PCI_NUM_IRQS

#define TRIGGER_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_BOOL	(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define SET_IRQS_MINSZ	(offsetof(struct vfio_irq_set, count) + sizeof(__u32))
#define IRQ_INFO_MINSZ	(offsetof(struct vfio_irq_info, count) + sizeof(__u32))

static const char * const index_name[NUM_IRQS] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

/* e1000e (82574L): BAR0 interrupt registers */
#define E1000_ICR		0xc0	/* cause; read clears it unless MSI-X */
#define E1000_ICS		0xc8	/* write: set causes */
#define E1000_IMS		0xd0	/* write: unmask causes */
#define E1000_IMC		0xd8	/* write: mask causes */
#define E1000_IVAR		0xe4	/* MSI-X vector of each queue cause */
#define  E1000_IVAR_VALID	0x8
#define E1000_CAUSE_SRPD	0x00010000
#define E1000_CAUSE_RXQ0	0x00100000	/* IVAR bits 3:0 route it */

struct testdev;

/* What a device model is, and how to make it interrupt for real. */
struct model {
	const char *name;
	unsigned int vendor, device;
	/* Interrupt types it has; config space must agree. */
	bool intx, msi, msix;
	/* On vfio-pci's denylist (DSA: portals and ENQCMD). */
	bool denylisted;
	int (*prepare)(struct testdev *t);
	/* Raise MSI-X vector @v, or MSI/INTx for @v < 0. */
	int (*fire)(struct testdev *t, int v);
};

struct testdev {
	const struct model *model;
	struct vfio_pci_dev dev;
	__u8 cfg[PCI_CFG_SIZE];
	unsigned int msi_cap, msix_cap;
	bool pcie;
	__u32 count[NUM_IRQS];		/* expected, from config space */
	int efd[MAX_VECTORS];
	int nefd;
	bool prepared;
	/* DSA */
	struct dsa dsa;
	__u16 handle[MAX_VECTORS];
};

/* DSA */

/*
 * WQ 0 of at most 32 descriptors (vfio_pci_dsa.c) and an interrupt handle
 * for each MSI-X vector.
 */
static int dsa_prepare(struct testdev *t)
{
	unsigned int v;
	int err;

	err = dsa_init(&t->dsa, &t->dev, 32);
	for (v = 0; !err && v < t->count[MSIX]; v++)
		err = dsa_int_handle(&t->dsa, v, &t->handle[v]);
	return err;
}

/* Submit a NOOP to WQ 0; with @rci, its completion interrupts vector @v. */
static void noop(struct testdev *t, bool rci, unsigned int v)
{
	dsa_noop(&t->dsa, rci ? DSA_DESC_FLAG_RCI : 0, rci ? t->handle[v] : 0, 0);
}

static int dsa_fire(struct testdev *t, int v)
{
	if (v < 0 || (unsigned int)v >= t->count[MSIX])
		return -EINVAL;
	noop(t, true, v);
	return 0;
}

/* e1000e */

static void e1000e_write(struct testdev *t, __u64 reg, __u32 val)
{
	vfio_pci_write32(&t->dev, 0, reg, val);
}

static __u32 e1000e_read(struct testdev *t, __u64 reg)
{
	return vfio_pci_read32(&t->dev, 0, reg);
}

static int e1000e_prepare(struct testdev *t)
{
	int err = vfio_pci_enable_command(&t->dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	if (err)
		return err;
	e1000e_write(t, E1000_IMC, ~0U);
	e1000e_write(t, E1000_ICR, ~0U);
	e1000e_write(t, E1000_IVAR, 0);
	return 0;
}

/*
 * An RXQ0 cause, routed by IVAR to MSI-X vector @v (ignored for MSI), then
 * cleared (write 1 to clear) so that the next one is a new interrupt.
 */
static int e1000e_fire(struct testdev *t, int v)
{
	if (v >= 0)
		e1000e_write(t, E1000_IVAR, E1000_IVAR_VALID | v);
	e1000e_write(t, E1000_IMS, E1000_CAUSE_RXQ0);
	e1000e_write(t, E1000_ICS, E1000_CAUSE_RXQ0);
	e1000e_write(t, E1000_ICR, E1000_CAUSE_RXQ0);
	return 0;
}

static const struct model dsa_model = {
	.name = "intel-dsa",
	.vendor = DSA_VENDOR,
	.device = DSA_DEVICE,
	.msix = true,
	.denylisted = true,
	.prepare = dsa_prepare,
	.fire = dsa_fire,
};

static const struct model e1000e_model = {
	.name = "e1000e",
	.vendor = 0x8086,
	.device = 0x10d3,
	.intx = true,
	.msi = true,
	.msix = true,
	.prepare = e1000e_prepare,
	.fire = e1000e_fire,
};

/* Common fixture code */

/* Every I/O APIC line and PCI MSI in /proc/interrupts goes through IR. */
static bool host_remaps_interrupts(void)
{
	bool ioapic_remapped, msi_remapped;
	int ioapic = proc_interrupts_count("IO-APIC", &ioapic_remapped);
	int msi = proc_interrupts_count("PCI-MSI", &msi_remapped);

	return ioapic + msi > 0 && ioapic_remapped && msi_remapped;
}

static void testdev_setup(struct __test_metadata *_metadata, struct testdev *t,
			  const struct model *m)
{
	char bdf[32];
	__u16 flags;
	int i, err;

	memset(t, 0, sizeof(*t));
	t->model = m;
	t->dev.fd = -1;
	t->dev.group = -1;
	t->dev.container = -1;

	if (pci_find_device(m->vendor, m->device, bdf, sizeof(bdf)))
		SKIP(return, "no %s (%04x:%04x) device", m->name, m->vendor, m->device);
	ASSERT_EQ(0, pci_phys_config(bdf, t->cfg, sizeof(t->cfg)));

	/* What vfio-pci must report, derived from config space. */
	t->count[INTX] = t->cfg[PCI_INTERRUPT_PIN] ? 1 : 0;
	t->msi_cap = pci_find_cap(t->cfg, PCI_CAP_ID_MSI);
	if (t->msi_cap) {
		memcpy(&flags, t->cfg + t->msi_cap + PCI_MSI_FLAGS, sizeof(flags));
		t->count[MSI] = 1U << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	}
	t->msix_cap = pci_find_cap(t->cfg, PCI_CAP_ID_MSIX);
	if (t->msix_cap) {
		memcpy(&flags, t->cfg + t->msix_cap + PCI_MSIX_FLAGS, sizeof(flags));
		t->count[MSIX] = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	}
	t->pcie = pci_find_cap(t->cfg, PCI_CAP_ID_EXP);
	t->count[ERR] = t->pcie ? 1 : 0;
	t->count[REQ] = 1;

	/* The device must be the one the tests are written for. */
	ASSERT_EQ(m->intx, t->count[INTX] > 0);
	ASSERT_EQ(m->msi, t->count[MSI] > 0);
	ASSERT_EQ(m->msix, t->count[MSIX] > 1);
	ASSERT_LE(t->count[MSIX], MAX_VECTORS);

	t->nefd = MAX_VECTORS;
	for (i = 0; i < t->nefd; i++) {
		t->efd[i] = efd_new();
		ASSERT_LE(0, t->efd[i]);
	}

	err = vfio_pci_open(&t->dev, bdf, m->denylisted);
	ASSERT_EQ(0, err) {
		TH_LOG("%s %s: cannot open through vfio-pci: %s", m->name, bdf, strerror(-err));
	}
}

static void testdev_teardown(struct testdev *t)
{
	int i;

	vfio_pci_close(&t->dev);
	for (i = 0; i < t->nefd; i++)
		close(t->efd[i]);
}

static int testdev_prepare(struct testdev *t)
{
	int err = 0;

	if (!t->prepared)
		err = t->model->prepare(t);
	t->prepared = !err;
	return err;
}

/* The /proc/interrupts action name vfio-pci gives a vector. */
static const char *irq_name(struct testdev *t, unsigned int index, unsigned int v)
{
	static char name[96];

	if (index == INTX)
		snprintf(name, sizeof(name), "vfio-intx(%s)", t->dev.bdf);
	else
		snprintf(name, sizeof(name), "vfio-msi%s[%u](%s)", index == MSIX ? "x" : "", v,
			 t->dev.bdf);
	return name;
}

/* Is MSI or MSI-X enabled in the device itself? */
static bool phys_enabled(struct testdev *t, unsigned int index)
{
	__u8 cfg[PCI_CFG_SIZE];
	__u16 flags;

	if (pci_phys_config(t->dev.bdf, cfg, sizeof(cfg)))
		return false;
	if (index == MSI) {
		memcpy(&flags, cfg + t->msi_cap + PCI_MSI_FLAGS, sizeof(flags));
		return flags & PCI_MSI_FLAGS_ENABLE;
	}
	memcpy(&flags, cfg + t->msix_cap + PCI_MSIX_FLAGS, sizeof(flags));
	return flags & PCI_MSIX_FLAGS_ENABLE;
}

/*
 * The vectors of @index with a handler: @present[v] says which must have
 * one, named as vfio-pci names it and remapped.
 */
static void check_handlers(struct __test_metadata *_metadata, struct testdev *t,
			   unsigned int index, const bool *present)
{
	unsigned int v, n = index == INTX ? 1 : t->count[index];
	bool remapped;

	for (v = 0; v < n; v++) {
		int lines = proc_interrupts_count(irq_name(t, index, v), &remapped);

		EXPECT_EQ(present[v] ? 1 : 0, lines) {
			TH_LOG("%s: /proc/interrupts lines for %s", t->model->name,
			       irq_name(t, index, v));
		}
		if (lines > 0)
			EXPECT_TRUE(remapped) {
				TH_LOG("%s is not remapped", irq_name(t, index, v));
			}
	}
}

static void check_all_handlers(struct __test_metadata *_metadata, struct testdev *t,
			       unsigned int index, bool present)
{
	bool p[MAX_VECTORS];

	memset(p, present, sizeof(p));
	check_handlers(_metadata, t, index, p);
}

/*
 * The end of one round of interrupts: eventfd @fds[i] must have been
 * signalled exactly @want[i] times, and no more after a while.
 */
static void check_round(struct __test_metadata *_metadata, const char *what,
			const int *fds, const __u64 *want, unsigned int n)
{
	__u64 got[MAX_VECTORS];
	unsigned int i;

	for (i = 0; i < n; i++)
		got[i] = want[i] ? efd_wait(fds[i], want[i], WAIT_MS) : 0;
	sleep_ms(SETTLE_MS);
	for (i = 0; i < n; i++) {
		got[i] += efd_take(fds[i]);
		EXPECT_EQ(want[i], got[i]) {
			TH_LOG("%s: eventfd %u signalled %llu times, expected %llu", what, i,
			       (unsigned long long)got[i], (unsigned long long)want[i]);
		}
	}
}

/* Only eventfd @v (of @n) signalled, @times times. */
static void check_only(struct __test_metadata *_metadata, const char *what, const int *fds,
		       unsigned int n, int v, __u64 times)
{
	__u64 want[MAX_VECTORS] = { 0 };

	if (v >= 0)
		want[v] = times;
	check_round(_metadata, what, fds, want, n);
}

static int enable_all(struct testdev *t, unsigned int index)
{
	return vfio_set_eventfds(&t->dev, index, 0, t->count[index], t->efd);
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
		ASSERT_EQ(0, t->model->fire(t, v));
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
	const struct model *model;
};

FIXTURE_VARIANT_ADD(vfio_pci, dsa) {
	.model = &dsa_model,
};

FIXTURE_VARIANT_ADD(vfio_pci, e1000e) {
	.model = &e1000e_model,
};

FIXTURE_SETUP(vfio_pci)
{
	testdev_setup(_metadata, &self->t, variant->model);
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
				TH_LOG("%s: GET_IRQ_INFO %s", t->model->name, index_name[i]);
			}
			EXPECT_EQ(i, info.index);
			EXPECT_EQ(t->count[i], info.count) {
				TH_LOG("%s: %s count", t->model->name, index_name[i]);
			}
			EXPECT_EQ(flags[i], info.flags) {
				TH_LOG("%s: %s flags", t->model->name, index_name[i]);
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
			TH_LOG("%s: %s has no vector", t->model->name, index_name[i]);
		}
		EXPECT_EQ(-EINVAL, vfio_trigger(&t->dev, i, 0, 1));
		EXPECT_EQ(-EINVAL, vfio_disable_index(&t->dev, i));
	}
	/* The DSA has neither INTx nor MSI; the e1000e has every index. */
	EXPECT_EQ(empty, !t->model->intx + !t->model->msi + !t->pcie);
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
				TH_LOG("%s: %s flags %#x", t->model->name, index_name[index],
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
			TH_LOG("%s: %s start %u", t->model->name, index_name[index], n);
		}
		EXPECT_EQ(-EINVAL, vfio_set_eventfds(&t->dev, index, 0, n + 1, fds)) {
			TH_LOG("%s: %s count %u", t->model->name, index_name[index], n + 1);
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
						TH_LOG("%s: %s action %#x data %#x", t->model->name,
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
			TH_LOG("%s: disabling %s before enabling", t->model->name,
			       index_name[index]);
		}
		ASSERT_EQ(0, enable_all(t, index)) {
			TH_LOG("%s: enabling %s", t->model->name, index_name[index]);
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

/* The DSA: completion interrupts of descriptors, and the misc vector. */
FIXTURE(dsa) {
	struct testdev t;
};

FIXTURE_SETUP(dsa)
{
	testdev_setup(_metadata, &self->t, &dsa_model);
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

	EXPECT_EQ(0, dsa_cmd(&t->dsa, DSA_CMD_DRAIN_ALL, 0, true, NULL));
	check_only(_metadata, "command with int_req", t->efd, n, 0, 1);
	cause = vfio_pci_read32(&t->dev, 0, DSA_INTCAUSE);
	EXPECT_EQ(DSA_INTC_CMD, cause);
	dsa_write32(&t->dsa, DSA_INTCAUSE, cause);
	EXPECT_EQ(0, vfio_pci_read32(&t->dev, 0, DSA_INTCAUSE));

	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSIX));
}

/*
 * vfio-pci refuses the DSA unless loaded with disable_denylist=1: probe
 * fails with EINVAL and the device stays without a driver.
 */
static int write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, str, strlen(str)) != (ssize_t)strlen(str))
		err = -errno;
	close(fd);
	return err;
}

/* The name of @bdf's driver, "" if none. */
static void driver_of(const char *bdf, char *name, size_t len)
{
	char path[128], target[256], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = '\0';
	base = strrchr(target, '/');
	snprintf(name, len, "%s", base ? base + 1 : target);
}

TEST(dsa_denylisted)
{
	char bdf[32], before[256], after[256];
	struct vfio_pci_dev dev;

	if (pci_find_device(dsa_model.vendor, dsa_model.device, bdf, sizeof(bdf)))
		SKIP(return, "no %s device", dsa_model.name);
	ASSERT_EQ(0, vfio_pci_driver_load(false, true));
	driver_of(bdf, before, sizeof(before));
	EXPECT_EQ(-EINVAL, vfio_pci_open(&dev, bdf, false));
	driver_of(bdf, after, sizeof(after));
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

	if (pci_find_device(dsa_model.vendor, dsa_model.device, bdf, sizeof(bdf)))
		SKIP(return, "no %s device", dsa_model.name);
	driver_of(bdf, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(0, system("modprobe -q idxd"));
	driver_of(bdf, drv, sizeof(drv));
	if (!drv[0]) {
		/* idxd was loaded already: probe it now. */
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/idxd/bind");
		ASSERT_EQ(0, write_str(path, bdf));
		driver_of(bdf, drv, sizeof(drv));
	}
	ASSERT_STREQ("idxd", drv);

	ASSERT_EQ(0, vfio_pci_open(&dev, bdf, true));
	driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("vfio-pci", drv);
	EXPECT_EQ(0, vfio_irq_info(&dev, MSIX, &info));
	vfio_pci_close(&dev);
	driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("idxd", drv);

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/idxd/unbind");
	EXPECT_EQ(0, write_str(path, bdf));
	driver_of(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
}

/* The e1000e: INTx, its masking, MSI, and the exclusive interrupt types. */
FIXTURE(e1000e) {
	struct testdev t;
};

FIXTURE_SETUP(e1000e)
{
	int err;

	testdev_setup(_metadata, &self->t, &e1000e_model);
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

/* Assert the INTx line with a cause; reading ICR deasserts it. */
static void intx_assert(struct testdev *t)
{
	e1000e_write(t, E1000_IMS, E1000_CAUSE_SRPD);
	e1000e_write(t, E1000_ICS, E1000_CAUSE_SRPD);
}

static void intx_clear(struct testdev *t)
{
	e1000e_read(t, E1000_ICR);
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

	intx_assert(t);
	check_only(_metadata, "INTx", efd, 2, 0, 1);
	/* Deasserted and asserted again: masked, no signal. */
	intx_clear(t);
	intx_assert(t);
	check_only(_metadata, "INTx while automasked", efd, 2, -1, 0);
	/* Still asserted at UNMASK: signalled (and masked) again. */
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK while asserted", efd, 2, 0, 1);
	/* Deasserted at UNMASK: nothing, then the next one comes. */
	intx_clear(t);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK while deasserted", efd, 2, -1, 0);
	intx_assert(t);
	check_only(_metadata, "INTx after UNMASK", efd, 2, 0, 1);
	intx_clear(t);
	EXPECT_EQ(0, intx_unmask(t));

	/* A new eventfd takes over. */
	ASSERT_EQ(0, vfio_set_eventfd(&t->dev, INTX, 0, efd[1]));
	intx_assert(t);
	check_only(_metadata, "INTx, swapped eventfd", efd, 2, 1, 1);
	intx_clear(t);

	EXPECT_EQ(0, vfio_disable_index(&t->dev, INTX));
	check_all_handlers(_metadata, t, INTX, false);
	intx_assert(t);
	check_only(_metadata, "INTx disabled", efd, 2, -1, 0);
	intx_clear(t);
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
	intx_assert(t);
	check_only(_metadata, "INTx masked", efd, 1, -1, 0);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK of a pending INTx", efd, 1, 0, 1);
	intx_clear(t);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK, nothing pending", efd, 1, -1, 0);

	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_BOOL, &no, 1));
	intx_assert(t);
	check_only(_metadata, "INTx after a false MASK", efd, 1, 0, 1);
	intx_clear(t);
	EXPECT_EQ(0, intx_unmask(t));

	/* Masked twice, unmasked once. */
	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_BOOL, &yes, 1));
	EXPECT_EQ(0, intx_mask(t, VFIO_IRQ_SET_DATA_NONE, NULL, 0));
	intx_assert(t);
	check_only(_metadata, "INTx masked by DATA_BOOL", efd, 1, -1, 0);
	intx_clear(t);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK after the cause went", efd, 1, -1, 0);
	intx_assert(t);
	check_only(_metadata, "INTx after UNMASK", efd, 1, 0, 1);
	intx_clear(t);
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

	intx_assert(t);
	check_only(_metadata, "INTx", efd, 1, 0, 1);
	intx_clear(t);
	ASSERT_EQ((ssize_t)sizeof(one), write(efd[1], &one, sizeof(one)));
	sleep_ms(SETTLE_MS);
	intx_assert(t);
	check_only(_metadata, "INTx after the unmask eventfd", efd, 1, 0, 1);
	intx_clear(t);

	ASSERT_EQ(0, vfio_set_irqs(&t->dev, VFIO_IRQ_SET_DATA_EVENTFD |
				   VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, &off, sizeof(off)));
	ASSERT_EQ((ssize_t)sizeof(one), write(efd[1], &one, sizeof(one)));
	sleep_ms(SETTLE_MS);
	intx_assert(t);
	check_only(_metadata, "INTx after a removed unmask eventfd", efd, 1, -1, 0);
	EXPECT_EQ(0, intx_unmask(t));
	check_only(_metadata, "UNMASK", efd, 1, 0, 1);
	intx_clear(t);
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
		ASSERT_EQ(0, e1000e_fire(t, -1));
		check_only(_metadata, "MSI", t->efd, 1, 0, 1);
	}
	EXPECT_EQ(0, vfio_disable_index(&t->dev, MSI));
	EXPECT_FALSE(phys_enabled(t, MSI));
	ASSERT_EQ(0, e1000e_fire(t, -1));
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
