// SPDX-License-Identifier: GPL-2.0
/*
 * The host a virtual DSA device runs on must translate DMA per PASID and
 * remap interrupts: IMS messages are only trusted because interrupt
 * remapping validates their requester.  Check that every Intel IOMMU of
 * the running host has interrupt remapping and scalable-mode translation
 * enabled, from the hardware registers themselves, and that PCI MSI
 * interrupts really go through the remapping domain.
 */

#include <linux/const.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kselftest_harness.h"

#define REGSET		"/sys/kernel/debug/iommu/intel/iommu_regset"
#define MAX_IOMMUS	16

/* VT-d register bits (VT-d specification, chapter 11). */
#define GSTS_TES	_BITULL(31)	/* translation enabled */
#define GSTS_IRES	_BITULL(25)	/* interrupt remapping enabled */
#define GSTS_IRTPS	_BITULL(24)	/* interrupt remap table pointer set */
#define RTADDR_TTM(r)	(((r) >> 10) & 3) /* translation table mode */
#define TTM_SCALABLE	1
#define ECAP_PASID	_BITULL(40)
#define ECAP_SMTS	_BITULL(43)

struct iommu_regs {
	char name[64];
	unsigned long long gsts, rtaddr, ecap, irta;
	unsigned int seen;
};

/* Parse the register dump of every IOMMU; returns how many were found. */
static int read_regset(struct iommu_regs *regs, int max)
{
	char line[256], reg[32];
	unsigned long long val;
	unsigned int off;
	int n = -1;
	FILE *f;

	f = fopen(REGSET, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "IOMMU: ", 7)) {
			if (++n >= max)
				break;
			memset(&regs[n], 0, sizeof(regs[n]));
			if (sscanf(line, "IOMMU: %63s", regs[n].name) != 1)
				snprintf(regs[n].name, sizeof(regs[n].name), "dmar?");
			continue;
		}
		if (n < 0 || sscanf(line, "%31s 0x%x 0x%llx", reg, &off, &val) != 3)
			continue;
		if (!strcmp(reg, "GSTS")) {
			regs[n].gsts = val;
			regs[n].seen |= 1;
		} else if (!strcmp(reg, "RTADDR")) {
			regs[n].rtaddr = val;
			regs[n].seen |= 2;
		} else if (!strcmp(reg, "ECAP")) {
			regs[n].ecap = val;
			regs[n].seen |= 4;
		} else if (!strcmp(reg, "IRTA")) {
			regs[n].irta = val;
			regs[n].seen |= 8;
		}
	}
	fclose(f);
	return n < max ? n + 1 : max;
}

FIXTURE(iommu) {
	struct iommu_regs regs[MAX_IOMMUS];
	int count;
};

FIXTURE_SETUP(iommu)
{
	int i;

	self->count = read_regset(self->regs, MAX_IOMMUS);
	ASSERT_GE(self->count, 1) {
		TH_LOG("no Intel IOMMU register dump in %s", REGSET);
	}
	for (i = 0; i < self->count; i++)
		ASSERT_EQ(self->regs[i].seen, 0xf) {
			TH_LOG("%s: incomplete register dump", self->regs[i].name);
		}
}

FIXTURE_TEARDOWN(iommu)
{
}

TEST_F(iommu, interrupt_remapping_enabled)
{
	int i;

	for (i = 0; i < self->count; i++) {
		struct iommu_regs *r = &self->regs[i];

		TH_LOG("%s: GSTS %#llx IRTA %#llx", r->name, r->gsts, r->irta);
		EXPECT_TRUE(r->gsts & GSTS_IRTPS);
		EXPECT_TRUE(r->gsts & GSTS_IRES);
		EXPECT_NE(r->irta & ~0xfffULL, 0);
	}
}

TEST_F(iommu, scalable_mode_enabled)
{
	int i;

	for (i = 0; i < self->count; i++) {
		struct iommu_regs *r = &self->regs[i];

		TH_LOG("%s: ECAP %#llx RTADDR %#llx", r->name, r->ecap, r->rtaddr);
		EXPECT_TRUE(r->ecap & ECAP_SMTS);
		EXPECT_TRUE(r->ecap & ECAP_PASID);
		EXPECT_TRUE(r->gsts & GSTS_TES);
		EXPECT_EQ(RTADDR_TTM(r->rtaddr), TTM_SCALABLE);
	}
}

/*
 * PCI MSI vectors on a remapping host are allocated from the IR domains,
 * whose chips are named "IR-PCI-MSI..." in /proc/interrupts; a vector of
 * the bare "PCI-MSI" domain would bypass remapping.
 */
TEST(pci_msi_is_remapped)
{
	int remapped = 0, bare = 0;
	char line[512];
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	ASSERT_NE(f, NULL);
	while (fgets(line, sizeof(line), f)) {
		char *chip = strstr(line, "PCI-MSI");

		if (!chip)
			continue;
		if (chip - line >= 3 && !strncmp(chip - 3, "IR-", 3))
			remapped++;
		else
			bare++;
	}
	fclose(f);
	TH_LOG("%d remapped, %d bare PCI MSI vectors", remapped, bare);
	EXPECT_GT(remapped, 0);
	EXPECT_EQ(bare, 0);
}

TEST_HARNESS_MAIN
