/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the vfio-pci interrupt tests share: a device opened through
 * vfio-pci with what GET_IRQ_INFO must report for it, derived from its
 * config space as the PCI core reads it (sysfs), its driver of
 * lib/drivers/ to make it interrupt for real, eventfds, and the checks of
 * the eventfds and of /proc/interrupts.  For the test programs only:
 * include it after kselftest_harness.h.
 */
#ifndef VFIO_PCI_IRQ_TEST_H
#define VFIO_PCI_IRQ_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "vfio_util.h"

#define MAX_VECTORS	64
#define WAIT_MS		5000	/* for an interrupt that must come */
#define SETTLE_MS	100	/* for one that must not */

#define INTX		VFIO_PCI_INTX_IRQ_INDEX
#define MSI		VFIO_PCI_MSI_IRQ_INDEX
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX
#define ERR		VFIO_PCI_ERR_IRQ_INDEX
#define REQ		VFIO_PCI_REQ_IRQ_INDEX
#define NUM_IRQS	VFIO_PCI_NUM_IRQS

static const char * const index_name[NUM_IRQS] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

struct testdev {
	const struct vfio_pci_driver_ops *ops;
	struct vfio_pci_dev dev;
	struct vfio_pci_driver drv;
	__u8 cfg[PCI_CFG_SIZE];
	unsigned int msi_cap, msix_cap;
	bool pcie;
	__u32 count[NUM_IRQS];		/* expected, from config space */
	int efd[MAX_VECTORS];
	int nefd;
};

static inline void testdev_setup(struct __test_metadata *_metadata, struct testdev *t,
				 const struct vfio_pci_driver_ops *m)
{
	char bdf[32];
	__u16 flags;
	int i, err;

	memset(t, 0, sizeof(*t));
	t->ops = m;
	t->drv.ops = m;
	t->drv.dev = &t->dev;
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
	t->drv.nvec = t->count[MSIX];

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

static inline void testdev_teardown(struct testdev *t)
{
	int i;

	vfio_pci_driver_remove(&t->drv);
	vfio_pci_close(&t->dev);
	for (i = 0; i < t->nefd; i++)
		close(t->efd[i]);
}

/* Ready the device to interrupt for real (once). */
static inline int testdev_prepare(struct testdev *t)
{
	return vfio_pci_driver_init(&t->drv);
}

/* The /proc/interrupts action name vfio-pci gives a vector. */
static inline const char *irq_name(struct testdev *t, unsigned int index, unsigned int v)
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
static inline bool phys_enabled(struct testdev *t, unsigned int index)
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
static inline void check_handlers(struct __test_metadata *_metadata, struct testdev *t,
				  unsigned int index, const bool *present)
{
	unsigned int v, n = index == INTX ? 1 : t->count[index];
	bool remapped;

	for (v = 0; v < n; v++) {
		int lines = proc_interrupts_count(irq_name(t, index, v), &remapped);

		EXPECT_EQ(present[v] ? 1 : 0, lines) {
			TH_LOG("%s: /proc/interrupts lines for %s", t->ops->name,
			       irq_name(t, index, v));
		}
		if (lines > 0)
			EXPECT_TRUE(remapped) {
				TH_LOG("%s is not remapped", irq_name(t, index, v));
			}
	}
}

static inline void check_all_handlers(struct __test_metadata *_metadata, struct testdev *t,
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
static inline void check_round(struct __test_metadata *_metadata, const char *what,
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
static inline void check_only(struct __test_metadata *_metadata, const char *what,
			      const int *fds, unsigned int n, int v, __u64 times)
{
	__u64 want[MAX_VECTORS] = { 0 };

	if (v >= 0)
		want[v] = times;
	check_round(_metadata, what, fds, want, n);
}

/* An eventfd on every vector of @index. */
static inline int enable_all(struct testdev *t, unsigned int index)
{
	return vfio_set_eventfds(&t->dev, index, 0, t->count[index], t->efd);
}

#endif /* VFIO_PCI_IRQ_TEST_H */
