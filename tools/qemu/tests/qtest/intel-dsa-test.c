/*
 * QTest testcase for the Intel DSA device model
 *
 * Interrupt messages are pointed at guest RAM, where the test reads
 * what the device wrote: qtest has no interrupt controller to look at.
 *
 * Copyright (c) 2025 idxd-vdev developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qapi/qmp/qdict.h"
#include "libqos/pci.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "hw/dma/intel-dsa.h"

#define DSA_SLOT        4
#define DSA_WQS         4
#define DSA_ENGINES     2
#define DSA_GROUPS      2
#define DSA_WQ_SIZE     32
#define DSA_IMS         256
#define DSA_MSIX        8

/* q35 MMCONFIG, enabled by the test: extended config space. */
#define ECAM_BASE       0xb0000000ULL
#define MCH_PCIEXBAR    0x60

/* Guest RAM handed out to the tests. */
#define MEM_START       0x1000000ULL
#define MEM_END         0x8000000ULL

#define POLL_MAX        100000

/* The end of RAM below 4 GiB, with -m 256M: nothing is mapped above. */
#define RAM_END         0x10000000ULL

typedef struct DSATest {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar bar0;
    QPCIBar bar2;
    uint64_t mem;
    uint32_t grpcfg;
    uint32_t wqcfg;
    uint32_t msix_perm;
    uint32_t ims;
    uint32_t msix_table;
    uint32_t msix_pba;
} DSATest;

static uint32_t rd32(DSATest *t, uint32_t off)
{
    return qpci_io_readl(t->dev, t->bar0, off);
}

static uint64_t rd64(DSATest *t, uint32_t off)
{
    return qpci_io_readq(t->dev, t->bar0, off);
}

static void wr32(DSATest *t, uint32_t off, uint32_t val)
{
    qpci_io_writel(t->dev, t->bar0, off, val);
}

static void wr64(DSATest *t, uint32_t off, uint64_t val)
{
    qpci_io_writeq(t->dev, t->bar0, off, val);
}

static uint64_t alloc_mem(DSATest *t, uint64_t size, uint64_t align)
{
    uint64_t addr = QEMU_ALIGN_UP(t->mem, align);

    t->mem = addr + size;
    g_assert_cmpuint(t->mem, <=, MEM_END);
    qtest_memset(t->qts, addr, 0, size);
    return addr;
}

static uint64_t ecam(DSATest *t, uint32_t reg)
{
    return ECAM_BASE + (t->dev->devfn << 12) + reg;
}

/* @pre: arguments before the device; @extra: more device properties */
static DSATest *dsa_start_args(const char *pre, const char *extra)
{
    DSATest *t = g_new0(DSATest, 1);
    QPCIDevice *host;
    uint64_t tables;

    t->qts = qtest_initf("-nodefaults -machine q35 -m 256M %s "
                         "-device intel-dsa,id=dsa,"
                         "addr=%d.0,wqs=%d,engines=%d,groups=%d,"
                         "wq-size=%d,ims-entries=%d,msix-vectors=%d%s",
                         pre ? pre : "", DSA_SLOT, DSA_WQS, DSA_ENGINES,
                         DSA_GROUPS, DSA_WQ_SIZE, DSA_IMS, DSA_MSIX,
                         extra ? extra : "");
    t->bus = qpci_new_pc(t->qts, NULL);

    /* Enable MMCONFIG, to reach the extended capabilities. */
    host = qpci_device_find(t->bus, 0);
    qpci_config_writel(host, MCH_PCIEXBAR + 4, 0);
    qpci_config_writel(host, MCH_PCIEXBAR, ECAM_BASE | 1);
    g_free(host);

    t->dev = qpci_device_find(t->bus, QPCI_DEVFN(DSA_SLOT, 0));
    g_assert(t->dev);
    qpci_device_enable(t->dev);
    t->bar0 = qpci_iomap(t->dev, DSA_BAR_REGS, NULL);
    t->bar2 = qpci_iomap(t->dev, DSA_BAR_PORTALS, NULL);
    t->mem = MEM_START;

    tables = rd64(t, DSA_REG_TABLE_OFFSET);
    t->grpcfg = ((tables >> DSA_TABLE_GRPCFG_SHIFT) & 0xffff) *
                DSA_TABLE_MULT;
    t->wqcfg = ((tables >> DSA_TABLE_WQCFG_SHIFT) & 0xffff) * DSA_TABLE_MULT;
    t->msix_perm = ((tables >> DSA_TABLE_MSIX_PERM_SHIFT) & 0xffff) *
                   DSA_TABLE_MULT;
    t->ims = ((tables >> DSA_TABLE_IMS_SHIFT) & 0xffff) * DSA_TABLE_MULT;

    {
        uint8_t cap = qpci_find_capability(t->dev, PCI_CAP_ID_MSIX, 0);

        g_assert(cap);
        t->msix_table = qpci_config_readl(t->dev, cap + PCI_MSIX_TABLE);
        t->msix_pba = qpci_config_readl(t->dev, cap + PCI_MSIX_PBA);
        g_assert_cmpuint(t->msix_table & PCI_MSIX_FLAGS_BIRMASK, ==, 0);
        g_assert_cmpuint(t->msix_pba & PCI_MSIX_FLAGS_BIRMASK, ==, 0);
        t->msix_table &= ~PCI_MSIX_FLAGS_BIRMASK;
        t->msix_pba &= ~PCI_MSIX_FLAGS_BIRMASK;
    }
    return t;
}

static DSATest *dsa_start(const char *extra)
{
    return dsa_start_args(NULL, extra);
}

static void dsa_stop(DSATest *t)
{
    g_free(t->dev);
    qpci_free_pc(t->bus);
    qtest_quit(t->qts);
    g_free(t);
}

/* Issue a command and wait for it; returns CMDSTS. */
static uint32_t dsa_cmd(DSATest *t, unsigned cmd, uint32_t operand,
                        bool int_req)
{
    uint32_t sts;
    int i;

    wr32(t, DSA_REG_CMD, operand | cmd << DSA_CMD_SHIFT |
         (int_req ? DSA_CMD_INT_REQ : 0));
    for (i = 0; i < POLL_MAX; i++) {
        sts = rd32(t, DSA_REG_CMDSTS);
        if (!(sts & DSA_CMDSTS_ACTIVE)) {
            return sts;
        }
    }
    g_assert_not_reached();
}

static void msix_enable(DSATest *t)
{
    uint8_t cap = qpci_find_capability(t->dev, PCI_CAP_ID_MSIX, 0);
    uint16_t flags = qpci_config_readw(t->dev, cap + PCI_MSIX_FLAGS);

    qpci_config_writew(t->dev, cap + PCI_MSIX_FLAGS,
                       flags | PCI_MSIX_FLAGS_ENABLE);
}

static void msix_set(DSATest *t, unsigned vector, uint64_t addr,
                     uint32_t data, bool masked)
{
    uint32_t e = t->msix_table + vector * PCI_MSIX_ENTRY_SIZE;

    wr32(t, e + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
    wr32(t, e + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    wr32(t, e + PCI_MSIX_ENTRY_DATA, data);
    wr32(t, e + PCI_MSIX_ENTRY_VECTOR_CTRL,
         masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

static bool msix_pending(DSATest *t, unsigned vector)
{
    return rd32(t, t->msix_pba + vector / 32 * 4) & (1u << (vector % 32));
}

static void ims_set(DSATest *t, unsigned slot, uint64_t addr, uint32_t data,
                    uint32_t ctrl)
{
    uint32_t e = t->ims + slot * DSA_IMS_ENTRY_SIZE;

    wr32(t, e + DSA_IMS_ADDR_LO, addr);
    wr32(t, e + DSA_IMS_ADDR_HI, addr >> 32);
    wr32(t, e + DSA_IMS_DATA, data);
    wr32(t, e + DSA_IMS_CTRL, ctrl);
}

/* Put WQ @wq (with engine @wq % engines) in group @wq % groups. */
static void config_wq(DSATest *t, unsigned wq, unsigned size, uint32_t dw2)
{
    unsigned g = wq % DSA_GROUPS;
    uint32_t grp = t->grpcfg + g * DSA_GRPCFG_SIZE;

    wr64(t, grp + DSA_GRPCFG_WQS, rd64(t, grp + DSA_GRPCFG_WQS) | 1u << wq);
    wr64(t, grp + DSA_GRPCFG_ENGINES, 1u << (g % DSA_ENGINES));
    wr32(t, t->wqcfg + wq * DSA_WQCFG_SIZE, size);
    wr32(t, t->wqcfg + wq * DSA_WQCFG_SIZE + 8,
         DSA_WQCFG_MODE_DEDICATED | 10 << DSA_WQCFG_PRIORITY_SHIFT | dw2);
    /* 1 MiB transfers, batches of 32 */
    wr32(t, t->wqcfg + wq * DSA_WQCFG_SIZE + 12,
         20 | 5 << DSA_WQCFG_MAX_BATCH_SHIFT);
}

static void enable_wq(DSATest *t, unsigned wq)
{
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, wq, false), ==, 0);
}

/* A device with WQ 0 enabled, and MSI-X enabled. */
static DSATest *dsa_start_wq0(void)
{
    DSATest *t = dsa_start(NULL);

    msix_enable(t);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    return t;
}

static void desc_init(uint8_t *d, uint8_t opcode, uint32_t flags,
                      uint64_t compl, uint64_t src, uint64_t dst,
                      uint32_t size, uint16_t handle)
{
    memset(d, 0, DSA_DESC_SIZE);
    stl_le_p(d + 4, flags | (uint32_t)opcode << 24);
    stq_le_p(d + DSA_DESC_COMPL_ADDR, compl);
    stq_le_p(d + DSA_DESC_SRC, src);
    stq_le_p(d + DSA_DESC_DST, dst);
    stl_le_p(d + DSA_DESC_XFER_SIZE, size);
    stw_le_p(d + DSA_DESC_INT_HANDLE, handle);
}

static void submit(DSATest *t, unsigned wq, unsigned portal, const void *d)
{
    uint64_t addr = t->bar2.addr +
                    (wq * DSA_PORTALS_PER_WQ + portal) * DSA_PORTAL_SIZE;

    qtest_memwrite(t->qts, addr, d, DSA_DESC_SIZE);
}

static uint8_t wait_status(DSATest *t, uint64_t compl)
{
    uint8_t st;
    int i;

    for (i = 0; i < POLL_MAX; i++) {
        st = qtest_readb(t->qts, compl);
        if (st) {
            return st;
        }
    }
    g_assert_not_reached();
}

/* Let the engine run: a drain command completes once it is idle. */
static void settle(DSATest *t)
{
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_ALL, 0, false), ==, 0);
}

/* A read-only counter of the device, a QOM property. */
static uint64_t dsa_counter(DSATest *t, const char *name)
{
    QDict *rsp = qtest_qmp(t->qts, "{ 'execute': 'qom-get', 'arguments': "
                           "{ 'path': '/machine/peripheral/dsa', "
                           "'property': %s } }", name);
    uint64_t val;

    g_assert(qdict_haskey(rsp, "return"));
    val = qdict_get_int(rsp, "return");
    qobject_unref(rsp);
    return val;
}

static void test_reset_values(void)
{
    DSATest *t = dsa_start(NULL);
    uint64_t gencap, wqcap;
    unsigned i;
    uint16_t pasid;

    g_assert_cmphex(qpci_config_readw(t->dev, PCI_VENDOR_ID), ==, 0x8086);
    g_assert_cmphex(qpci_config_readw(t->dev, PCI_DEVICE_ID), ==, 0x0b25);

    g_assert_cmphex(rd32(t, DSA_REG_VERSION), ==, DSA_VERSION);
    gencap = rd64(t, DSA_REG_GENCAP);
    g_assert(gencap & DSA_GENCAP_CMD_CAP);
    g_assert(gencap & DSA_GENCAP_CONFIG_EN);
    g_assert_cmpuint((gencap >> DSA_GENCAP_MAX_IMS_MULT_SHIFT) & 0x3f, ==,
                     DSA_IMS / 256);
    g_assert_cmpuint((gencap >> DSA_GENCAP_MAX_XFER_SHIFT) & 0x1f, >=, 21);

    wqcap = rd64(t, DSA_REG_WQCAP);
    g_assert_cmpuint(wqcap & 0xffff, ==, DSA_WQ_SIZE);
    g_assert_cmpuint((wqcap >> DSA_WQCAP_NUM_WQS_SHIFT) & 0xff, ==, DSA_WQS);
    g_assert(wqcap & DSA_WQCAP_DEDICATED_MODE);
    g_assert_cmpuint(rd64(t, DSA_REG_GRPCAP) & 0xff, ==, DSA_GROUPS);
    g_assert_cmpuint(rd64(t, DSA_REG_ENGCAP) & 0xff, ==, DSA_ENGINES);
    g_assert_cmphex(rd64(t, DSA_REG_OPCAP), ==, 0x7f);
    g_assert_cmphex(rd32(t, DSA_REG_CMDCAP), ==, 0x7ffe);

    g_assert_cmphex(rd32(t, DSA_REG_GENCFG), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENCTRL), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENSTS), ==, DSA_STATE_DISABLED);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_CMDSTS), ==, 0);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(rd64(t, DSA_REG_SWERR + i * 8), ==, 0);
    }

    g_assert_cmpuint(t->grpcfg, !=, 0);
    g_assert_cmpuint(t->wqcfg, !=, 0);
    g_assert_cmpuint(t->msix_perm, !=, 0);
    g_assert_cmpuint(t->ims, !=, 0);
    for (i = 0; i < DSA_WQS; i++) {
        g_assert_cmphex(rd32(t, t->wqcfg + i * DSA_WQCFG_SIZE), ==, 0);
        g_assert_cmphex(rd32(t, t->wqcfg + i * DSA_WQCFG_SIZE + 24), ==, 0);
    }
    for (i = 0; i < DSA_IMS; i++) {
        g_assert_cmphex(rd32(t, t->ims + i * 16 + DSA_IMS_CTRL), ==,
                        DSA_IMS_CTRL_MASK);
    }
    g_assert_cmpuint(qpci_msix_table_size(t->dev), ==, DSA_MSIX);

    /* ATS at 0x100, then PASID with privileged mode, 20 bits. */
    g_assert_cmphex(qtest_readl(t->qts, ecam(t, 0x100)) & 0xffff, ==,
                    PCI_EXT_CAP_ID_ATS);
    g_assert_cmphex(qtest_readl(t->qts, ecam(t, 0x108)) & 0xffff, ==,
                    PCI_EXT_CAP_ID_PASID);
    pasid = qtest_readw(t->qts, ecam(t, 0x108 + PCI_PASID_CAP));
    g_assert(pasid & PCI_PASID_CAP_PRIV);
    g_assert_cmpuint((pasid >> 8) & 0x1f, ==, 20);
    dsa_stop(t);
}

static void test_commands(void)
{
    DSATest *t = dsa_start(NULL);
    uint64_t msi = alloc_mem(t, 4, 4);
    uint32_t cmd = qpci_config_readw(t->dev, PCI_COMMAND);
    uint32_t sts;

    /* Bus mastering off: the device cannot be enabled. */
    qpci_config_writew(t->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_BUSMASTER_EN);
    qpci_config_writew(t->dev, PCI_COMMAND, cmd);

    g_assert_cmphex(dsa_cmd(t, 0, 0, false), ==, DSA_CMDSTS_INVAL_CMD);
    g_assert_cmphex(dsa_cmd(t, 31, 0, false), ==, DSA_CMDSTS_INVAL_CMD);

    /* Command completion interrupt: INTCAUSE.CMD and MSI-X vector 0. */
    msix_enable(t);
    msix_set(t, 0, msi, 0x1234, false);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_DEVICE, 0, true), ==,
                    DSA_CMDSTS_ERR_DIS_DEV_EN);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, DSA_INTC_CMD);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x1234);
    wr32(t, DSA_REG_INTCAUSE, DSA_INTC_CMD);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, 0);
    /* ... and none without int_req. */
    qtest_writel(t->qts, msi, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_DIS_DEV_EN);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, 0);

    /* WQ commands need an enabled device. */
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 0, false), ==,
                    DSA_CMDSTS_ERR_DEV_NOTEN);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_DEV_NOT_EN);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_WQ, 1 << DSA_WQS, false), ==,
                    DSA_CMDSTS_INVAL_WQIDX);

    /* Bad configurations */
    config_wq(t, 0, DSA_WQ_SIZE, 0);
    config_wq(t, 1, 1, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_WQ_SIZE_ERANGE);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE, 0);
    /* WQ 0 in two groups */
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_WQS, 3);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_GRP_CONFIG);
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_WQS, 2);
    /* Engine 0 in two groups */
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_ENGINES, 1);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_GRP_CONFIG2);
    /* A group with WQs and no engine */
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_ENGINES, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_GRP_CONFIG3);
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_ENGINES, 2);
    /* Bits for missing WQs and engines do not stick */
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_WQS, ~1ULL);
    g_assert_cmphex(rd64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_WQS),
                    ==, (1 << DSA_WQS) - 2);
    wr64(t, t->grpcfg + DSA_GRPCFG_SIZE + DSA_GRPCFG_WQS, 2);

    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENSTS), ==, DSA_STATE_ENABLED);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_DEV_ENABLED);

    /* GRPCFG is read-only while the device is enabled. */
    wr64(t, t->grpcfg + DSA_GRPCFG_ENGINES, 2);
    g_assert_cmphex(rd64(t, t->grpcfg + DSA_GRPCFG_ENGINES), ==, 1);

    /* Enable WQ errors */
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, DSA_WQS, false), ==,
                    DSA_CMDSTS_INVAL_WQIDX);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_WQ_SIZE);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE, 1);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE + 8, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_WQ_MODE);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE + 8,
         DSA_WQCFG_MODE_DEDICATED | DSA_WQCFG_BOF);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_BOF_EN);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE + 8,
         DSA_WQCFG_MODE_DEDICATED | DSA_WQCFG_PASID_EN);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_PASID_EN);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE + 8, DSA_WQCFG_MODE_DEDICATED);
    wr32(t, t->wqcfg + DSA_WQCFG_SIZE + 12, 11 << 5);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 1, false), ==,
                    DSA_CMDSTS_ERR_MAX_BATCH_SIZE);
    /* WQ 2 has no group */
    wr32(t, t->wqcfg + 2 * DSA_WQCFG_SIZE, 1);
    wr32(t, t->wqcfg + 2 * DSA_WQCFG_SIZE + 8, DSA_WQCFG_MODE_DEDICATED);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 2, false), ==,
                    DSA_CMDSTS_ERR_CONFIG);

    enable_wq(t, 0);
    g_assert_cmphex(rd32(t, t->wqcfg + 24) >> DSA_WQCFG_STATE_SHIFT, ==,
                    DSA_WQ_STATE_ENABLED);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 0, false), ==,
                    DSA_CMDSTS_ERR_WQ_ENABLED);
    /* WQCFG is read-only while the WQ is enabled. */
    wr32(t, t->wqcfg, 5);
    g_assert_cmphex(rd32(t, t->wqcfg), ==, DSA_WQ_SIZE);

    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_WQ, 1, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ABORT_WQ, 1, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_ALL, 0, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ABORT_ALL, 0, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_PASID, 5, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ABORT_PASID, 5, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_WQ, 1, false), ==, 0);
    g_assert_cmphex(rd32(t, t->wqcfg + 24) >> DSA_WQCFG_STATE_SHIFT, ==,
                    DSA_WQ_STATE_DISABLED);
    g_assert_cmphex(rd32(t, t->wqcfg), ==, DSA_WQ_SIZE);
    enable_wq(t, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RESET_WQ, 1, false), ==, 0);
    g_assert_cmphex(rd32(t, t->wqcfg), ==, 0);
    g_assert_cmphex(rd32(t, t->wqcfg + 8), ==, 0);

    /* Interrupt handles */
    sts = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, 3, false);
    g_assert_cmphex(sts & DSA_CMDSTS_ERR_MASK, ==, 0);
    g_assert_cmphex(sts >> DSA_CMDSTS_RESULT_SHIFT, ==, 3);
    sts = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                  DSA_CMD_INT_HANDLE_IMS | 200, false);
    g_assert_cmphex(sts & DSA_CMDSTS_ERR_MASK, ==, 0);
    g_assert_cmphex(sts >> DSA_CMDSTS_RESULT_SHIFT, ==, 200);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_MSIX, false),
                    ==, DSA_CMDSTS_ERR_INVAL_INT_IDX);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | DSA_IMS, false),
                    ==, DSA_CMDSTS_ERR_INVAL_INT_IDX);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RELEASE_INT_HANDLE, 3, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RELEASE_INT_HANDLE, 3, false), ==,
                    DSA_CMDSTS_ERR_INVAL_INT_IDX);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RELEASE_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | 200, false), ==, 0);

    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_DEVICE, 0, false), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENSTS), ==, DSA_STATE_DISABLED);
    /* Configuration survives a disable, not a reset. */
    g_assert_cmphex(rd64(t, t->grpcfg + DSA_GRPCFG_ENGINES), ==, 1);
    wr32(t, DSA_REG_GENCTRL, DSA_GENCTRL_SOFTERR_INT_EN);
    wr32(t, DSA_REG_GENCFG, DSA_GENCFG_USER_INT_EN);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RESET_DEVICE, 0, false), ==, 0);
    g_assert_cmphex(rd64(t, t->grpcfg + DSA_GRPCFG_ENGINES), ==, 0);
    g_assert_cmphex(rd64(t, t->grpcfg + DSA_GRPCFG_WQS), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENCTRL), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENCFG), ==, 0);
    g_assert_cmphex(rd32(t, DSA_REG_GENSTS), ==, DSA_STATE_DISABLED);
    dsa_stop(t);
}

/* A NOOP asking for a completion record and interrupt. */
static void noop_irq(DSATest *t, unsigned portal, uint16_t handle,
                     uint64_t compl)
{
    uint8_t d[DSA_DESC_SIZE];

    desc_init(d, DSA_OPCODE_NOOP,
              DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_RCI, compl, 0, 0, 0,
              handle);
    submit(t, 0, portal, d);
}

static void test_noop_msix(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint8_t d[DSA_DESC_SIZE];

    msix_set(t, 1, msi, 0xabcd, false);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, 1, false) >> 8,
                    ==, 1);
    noop_irq(t, DSA_PORTAL_LIMITED, 1, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xabcd);

    /* RCI without RCR: the interrupt alone, no record. */
    qtest_writel(t->qts, msi, 0);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_RCI, 0, 0, 0, 0, 1);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xabcd);

    /* An ignored MSI-X permission entry suppresses it. */
    qtest_writel(t->qts, msi, 0);
    wr32(t, t->msix_perm + 8, DSA_MSIX_PERM_IGNORE);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    wr32(t, t->msix_perm + 8, 0);

    /* A handle that was not requested: error in the record, no irq. */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    msix_set(t, 2, msi, 0x5555, false);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCI, compl, 0, 0,
              0, 2);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    dsa_stop(t);
}

static void test_noop_ims(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);

    ims_set(t, 7, msi, 0xfeed, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | 7, false) >> 8, ==, 7);
    /* Handle 7 through the IMS portal is the IMS slot, not MSI-X 7. */
    msix_set(t, 7, msi + 0x100, 0xbad, false);
    noop_irq(t, DSA_PORTAL_IMS, 7, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xfeed);
    g_assert_cmphex(qtest_readl(t->qts, msi + 0x100), ==, 0);

    /* The limited IMS portal works the same. */
    qtest_writel(t->qts, msi, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    noop_irq(t, DSA_PORTAL_IMS + DSA_PORTAL_LIMITED, 7, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xfeed);

    /* IMS handle 7 was requested, MSI-X handle 7 was not. */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    noop_irq(t, DSA_PORTAL_UNLIMITED, 7, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    g_assert_cmphex(qtest_readl(t->qts, msi + 0x100), ==, 0);
    dsa_stop(t);
}

/*
 * A function level reset revokes every handle: the handle an entry is
 * granted after it differs from the one before, which names no entry any
 * more, even once the same entry is granted again.
 */
static void test_flr_revokes_handles(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint8_t exp = qpci_find_capability(t->dev, PCI_CAP_ID_EXP, 0);
    uint32_t bars[6], old, new;
    unsigned i;

    g_assert(exp);
    ims_set(t, 7, msi, 0xfeed, 0);
    old = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 7,
                  false);
    g_assert_cmphex(old & 0xff, ==, 0);
    old >>= 8;

    /* The reset, then the BARs back and the same setup as before */
    for (i = 0; i < 6; i++) {
        bars[i] = qpci_config_readl(t->dev, PCI_BASE_ADDRESS_0 + i * 4);
    }
    qpci_config_writew(t->dev, exp + PCI_EXP_DEVCTL,
                       qpci_config_readw(t->dev, exp + PCI_EXP_DEVCTL) |
                       PCI_EXP_DEVCTL_BCR_FLR);
    for (i = 0; i < 6; i++) {
        qpci_config_writel(t->dev, PCI_BASE_ADDRESS_0 + i * 4, bars[i]);
    }
    qpci_device_enable(t->dev);
    g_assert_cmphex(rd32(t, DSA_REG_GENSTS), ==, DSA_STATE_DISABLED);
    msix_enable(t);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    ims_set(t, 7, msi, 0xfeed, 0);
    new = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 7,
                  false);
    g_assert_cmphex(new & 0xff, ==, 0);
    new >>= 8;
    g_assert_cmphex(new, !=, old);
    g_assert_cmphex(new & 0xff, ==, 7);

    /* The old handle: refused, no interrupt, not releasable */
    noop_irq(t, DSA_PORTAL_IMS, old, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RELEASE_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | old, false), ==,
                    DSA_CMDSTS_ERR_INVAL_INT_IDX);

    /* The new one interrupts through the entry */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    noop_irq(t, DSA_PORTAL_IMS, new, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xfeed);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RELEASE_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | new, false), ==, 0);
    dsa_stop(t);
}

/*
 * int-handles=off: no handle commands, and a handle is the table index of
 * any entry, requested or not, as on devices without the commands.  The
 * PASID check of an entry still applies.
 */
static void test_no_int_handles(void)
{
    DSATest *t = dsa_start(",int-handles=off");
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);

    g_assert_cmphex(rd32(t, DSA_REG_CMDCAP), ==, 0x1ffe);
    msix_enable(t);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | 7, false), ==,
                    DSA_CMDSTS_INVAL_CMD);

    ims_set(t, 7, msi, 0xfeed, 0);
    noop_irq(t, DSA_PORTAL_IMS, 7, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xfeed);

    /* An entry for a PASID the WQ does not have refuses it. */
    qtest_writel(t->qts, msi, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    ims_set(t, 7, msi, 0xfeed,
            DSA_IMS_CTRL_PASID_EN | 5 << DSA_IMS_CTRL_PASID_SHIFT);
    noop_irq(t, DSA_PORTAL_IMS, 7, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    dsa_stop(t);
}

static void test_mask_pending(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint32_t e = t->msix_table + PCI_MSIX_ENTRY_SIZE;
    uint32_t ctrl = t->ims + 9 * DSA_IMS_ENTRY_SIZE + DSA_IMS_CTRL;

    /* MSI-X: a masked vector pends, and fires on unmask. */
    msix_set(t, 1, msi, 0x1111, true);
    dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, 1, false);
    noop_irq(t, DSA_PORTAL_UNLIMITED, 1, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    g_assert(msix_pending(t, 1));
    wr32(t, e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x1111);
    g_assert(!msix_pending(t, 1));

    /* IMS: the same, with the pending bit in the slot's control word. */
    qtest_writel(t->qts, msi, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    ims_set(t, 9, msi, 0x2222, DSA_IMS_CTRL_MASK);
    dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 9, false);
    noop_irq(t, DSA_PORTAL_IMS, 9, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    g_assert_cmphex(rd32(t, ctrl), ==,
                    DSA_IMS_CTRL_MASK | DSA_IMS_CTRL_PENDING);
    /* Rewriting the mask keeps it pending; software cannot set it. */
    wr32(t, ctrl, DSA_IMS_CTRL_MASK);
    g_assert_cmphex(rd32(t, ctrl), ==,
                    DSA_IMS_CTRL_MASK | DSA_IMS_CTRL_PENDING);
    wr32(t, ctrl, 0);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x2222);
    g_assert_cmphex(rd32(t, ctrl), ==, 0);
    wr32(t, ctrl, DSA_IMS_CTRL_PENDING);
    g_assert_cmphex(rd32(t, ctrl), ==, 0);

    /* MSI-X disabled: the function is masked, vectors pend. */
    qtest_writel(t->qts, msi, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    {
        uint8_t cap = qpci_find_capability(t->dev, PCI_CAP_ID_MSIX, 0);
        uint16_t flags = qpci_config_readw(t->dev, cap + PCI_MSIX_FLAGS);

        qpci_config_writew(t->dev, cap + PCI_MSIX_FLAGS,
                           flags & ~PCI_MSIX_FLAGS_ENABLE);
        noop_irq(t, DSA_PORTAL_UNLIMITED, 1, compl);
        g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
        settle(t);
        g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
        qpci_config_writew(t->dev, cap + PCI_MSIX_FLAGS, flags);
        g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x1111);
    }
    dsa_stop(t);
}

static void test_ims_pasid(void)
{
    DSATest *t = dsa_start(NULL);
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint32_t ctrl = t->ims + 3 * DSA_IMS_ENTRY_SIZE + DSA_IMS_CTRL;
    uint8_t d[DSA_DESC_SIZE];

    msix_enable(t);
    /* WQ 0 without PASID, WQ 1 with PASID 0x42 */
    config_wq(t, 0, 8, 0);
    config_wq(t, 1, 8, DSA_WQCFG_PASID_EN | 0x42 << DSA_WQCFG_PASID_SHIFT);
    qtest_writew(t->qts, ecam(t, 0x108 + PCI_PASID_CTRL),
                 PCI_PASID_CTRL_ENABLE);
    /* WQ 1's descriptors are user mode (WQCFG priv 0): allow their irqs */
    wr32(t, DSA_REG_GENCFG, DSA_GENCFG_USER_INT_EN);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    enable_wq(t, 1);
    dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 3, false);

    /* A slot bound to PASID 0x42 */
    ims_set(t, 3, msi, 0x4242, DSA_IMS_CTRL_PASID_EN |
            0x42 << DSA_IMS_CTRL_PASID_SHIFT);

    /* A descriptor without PASID may not use it. */
    noop_irq(t, DSA_PORTAL_IMS, 3, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);

    /* Neither may one with another PASID. */
    wr32(t, ctrl, DSA_IMS_CTRL_PASID_EN | 0x43 << DSA_IMS_CTRL_PASID_SHIFT);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_NOOP,
              DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_RCI, compl, 0, 0, 0, 3);
    submit(t, 1, DSA_PORTAL_IMS, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    settle(t);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);

    /* The matching PASID may. */
    wr32(t, ctrl, DSA_IMS_CTRL_PASID_EN | 0x42 << DSA_IMS_CTRL_PASID_SHIFT);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    submit(t, 1, DSA_PORTAL_IMS, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x4242);

    /* A slot without PASID checking takes any descriptor. */
    qtest_writel(t->qts, msi, 0);
    wr32(t, ctrl, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    submit(t, 1, DSA_PORTAL_IMS, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x4242);

    /* The MSI-X permission table checks PASIDs the same way. */
    msix_set(t, 2, msi, 0x7777, false);
    dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, 2, false);
    wr32(t, t->msix_perm + 2 * 8,
         DSA_MSIX_PERM_PASID_EN | 0x41 << DSA_MSIX_PERM_PASID_SHIFT);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_NOOP,
              DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_RCI, compl, 0, 0, 0, 2);
    submit(t, 1, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    wr32(t, t->msix_perm + 2 * 8,
         DSA_MSIX_PERM_PASID_EN | 0x42 << DSA_MSIX_PERM_PASID_SHIFT);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    submit(t, 1, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x7777);

    /* Without GENCFG.user_int_en, user-mode descriptors get no irq. */
    qtest_writel(t->qts, msi, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_DEVICE, 0, false), ==, 0);
    wr32(t, DSA_REG_GENCFG, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 1);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    submit(t, 1, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INVALID_FLAGS);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_INVALID_FLAGS), ==,
                    DSA_FLAG_RCI);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    dsa_stop(t);
}

/*
 * The portal's accounting of 64-byte stores.  qtest writes memory the
 * way a device or a vCPU's plain stores do, never as a MOVDIR64B: a
 * descriptor it writes whole and in order is still taken, but each of
 * its quadwords counts as a partial write, and no whole store is
 * counted.  (A guest's MOVDIR64B, counted as a whole store, is checked
 * in a VM: tools/testing/qemu/run-dsa-vm.)
 */
static void test_portal_accounting(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint64_t portal = t->bar2.addr + DSA_PORTAL_UNLIMITED * DSA_PORTAL_SIZE;
    uint8_t d[DSA_DESC_SIZE];

    g_assert_cmpuint(dsa_counter(t, "x-portal-whole-stores"), ==, 0);
    g_assert_cmpuint(dsa_counter(t, "x-portal-partial-writes"), ==, 0);

    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl, 0, 0,
              0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmpuint(dsa_counter(t, "x-portal-whole-stores"), ==, 0);
    g_assert_cmpuint(dsa_counter(t, "x-portal-partial-writes"), ==, 8);

    /* Half a descriptor, then the other half alone: both dropped. */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    qtest_memwrite(t->qts, portal, d, DSA_DESC_SIZE / 2);
    qtest_memwrite(t->qts, portal + DSA_DESC_SIZE + DSA_DESC_SIZE / 2,
                   d + DSA_DESC_SIZE / 2, DSA_DESC_SIZE / 2);
    settle(t);
    g_assert_cmphex(qtest_readb(t->qts, compl), ==, 0);
    g_assert_cmpuint(dsa_counter(t, "x-portal-whole-stores"), ==, 0);
    g_assert_cmpuint(dsa_counter(t, "x-portal-partial-writes"), ==, 16);

    /* The counters are the device's history: a reset keeps them. */
    qtest_qmp_assert_success(t->qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(t->qts, "RESET");
    g_assert_cmpuint(dsa_counter(t, "x-portal-partial-writes"), ==, 16);
    dsa_stop(t);
}

static void test_operations(void)
{
    DSATest *t = dsa_start_wq0();
    const uint32_t len = 3 * 4096 + 123;
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint64_t src = alloc_mem(t, len + 4096, 4096) + 7;
    uint64_t dst = alloc_mem(t, len + 4096, 4096) + 1;
    uint64_t list = alloc_mem(t, 4 * DSA_DESC_SIZE, DSA_DESC_SIZE);
    uint64_t crs = alloc_mem(t, 4 * DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    g_autofree uint8_t *a = g_malloc(len + 64);
    g_autofree uint8_t *b = g_malloc(len + 64);
    uint8_t d[DSA_DESC_SIZE];
    uint64_t pattern = 0x0123456789abcdefULL;
    uint32_t i;

    for (i = 0; i < len + 64; i++) {
        a[i] = i * 7 + 3;
    }
    qtest_memwrite(t->qts, src, a, len);

#define RUN(op, flags, s, dd, n) do {                                       \
        qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);                     \
        desc_init(d, op, DSA_FLAG_CRAV | DSA_FLAG_RCR | (flags), compl,     \
                  s, dd, n, 0);                                             \
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);                              \
    } while (0)

    /* memmove */
    RUN(DSA_OPCODE_MEMMOVE, 0, src, dst, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    qtest_memread(t->qts, dst, b, len);
    g_assert(!memcmp(a, b, len));

    /* compare: equal, then different at offset 5000 */
    RUN(DSA_OPCODE_COMPARE, 0, src, dst, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, compl + DSA_COMPL_RESULT), ==, 0);
    qtest_writeb(t->qts, dst + 5000, a[5000] ^ 1);
    RUN(DSA_OPCODE_COMPARE, 0, src, dst, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, compl + DSA_COMPL_RESULT), ==, 1);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_BYTES_COMPLETED),
                    ==, 5000);
    /* ... with an expected result that does not hold */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_COMPARE, DSA_FLAG_CRAV | DSA_FLAG_CR, compl, src,
              dst, len, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS_PRED);

    /* fill, then compare pattern */
    RUN(DSA_OPCODE_MEMFILL, 0, pattern, dst, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    qtest_memread(t->qts, dst, b, len);
    for (i = 0; i < len; i++) {
        g_assert_cmphex(b[i], ==, (uint8_t)(pattern >> ((i & 7) * 8)));
    }
    RUN(DSA_OPCODE_COMPVAL, 0, dst, pattern, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, compl + DSA_COMPL_RESULT), ==, 0);
    RUN(DSA_OPCODE_COMPVAL, 0, dst, pattern ^ 0xff00, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, compl + DSA_COMPL_RESULT), ==, 1);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_BYTES_COMPLETED),
                    ==, 1);

    /* Overlapping memmove, destination above the source */
    qtest_memwrite(t->qts, src, a, len + 64);
    RUN(DSA_OPCODE_MEMMOVE, 0, src, src + 64, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    qtest_memread(t->qts, src + 64, b, len);
    g_assert(!memcmp(a, b, len));
    /* ... and below */
    qtest_memwrite(t->qts, src, a, len + 64);
    RUN(DSA_OPCODE_MEMMOVE, 0, src + 64, src, len);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    qtest_memread(t->qts, src, b, len);
    g_assert(!memcmp(a + 64, b, len));

    /* drain */
    RUN(DSA_OPCODE_DRAIN, 0, 0, 0, 0);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);

    /* batch: a fill, a memmove, a failing noop, a fenced noop */
    qtest_memset(t->qts, crs, 0, 4 * DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_MEMFILL, DSA_FLAG_CRAV | DSA_FLAG_RCR, crs,
              pattern, dst, 100, 0);
    qtest_memwrite(t->qts, list, d, DSA_DESC_SIZE);
    desc_init(d, DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR,
              crs + 32, src, dst + 100, 100, 0);
    qtest_memwrite(t->qts, list + 64, d, DSA_DESC_SIZE);
    desc_init(d, DSA_OPCODE_BATCH, DSA_FLAG_CRAV | DSA_FLAG_RCR,
              crs + 64, 0, 0, 0, 0);
    qtest_memwrite(t->qts, list + 128, d, DSA_DESC_SIZE);
    desc_init(d, DSA_OPCODE_NOOP,
              DSA_FLAG_CRAV | DSA_FLAG_RCR | DSA_FLAG_FENCE, crs + 96, 0, 0,
              0, 0);
    qtest_memwrite(t->qts, list + 192, d, DSA_DESC_SIZE);
    RUN(DSA_OPCODE_BATCH, 0, list, 0, 4);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_BATCH_FAIL);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_BYTES_COMPLETED),
                    ==, 3);
    g_assert_cmphex(qtest_readb(t->qts, crs), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, crs + 32), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readb(t->qts, crs + 64), ==, DSA_COMP_BAD_OPCODE);
    g_assert_cmphex(qtest_readb(t->qts, crs + 96), ==, 0);
    /* The source holds a + 64 since the last memmove. */
    qtest_memread(t->qts, dst + 100, b, 100);
    g_assert(!memcmp(a + 64, b, 100));
    g_assert_cmphex(qtest_readq(t->qts, dst), ==, pattern);

    /* A successful batch */
    desc_init(d, DSA_OPCODE_NOOP, 0, 0, 0, 0, 0, 0);
    qtest_memwrite(t->qts, list + 128, d, DSA_DESC_SIZE);
    RUN(DSA_OPCODE_BATCH, 0, list, 0, 3);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_BYTES_COMPLETED),
                    ==, 3);
#undef RUN
    dsa_stop(t);
}

static void test_bad_descriptors(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint64_t buf = alloc_mem(t, 4096, 4096);
    uint8_t d[DSA_DESC_SIZE];
    uint64_t swerr;

    msix_set(t, 0, msi, 0x99, false);
    wr32(t, DSA_REG_GENCTRL, DSA_GENCTRL_SOFTERR_INT_EN);

#define BAD(op, flags, s, dd, n, expect) do {                               \
        qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);                     \
        desc_init(d, op, DSA_FLAG_CRAV | (flags), compl, s, dd, n, 0);      \
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);                              \
        g_assert_cmphex(wait_status(t, compl), ==, expect);                 \
    } while (0)

    BAD(0x3f, 0, 0, 0, 0, DSA_COMP_BAD_OPCODE);
    BAD(0x10, 0, 0, 0, 0, DSA_COMP_BAD_OPCODE);
    BAD(DSA_OPCODE_NOOP, DSA_FLAG_BOF, 0, 0, 0, DSA_COMP_INVALID_FLAGS);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_INVALID_FLAGS), ==,
                    DSA_FLAG_BOF);
    BAD(DSA_OPCODE_NOOP, 0x800000, 0, 0, 0, DSA_COMP_INVALID_FLAGS);
    BAD(DSA_OPCODE_MEMMOVE, DSA_FLAG_CR, buf, buf, 8,
        DSA_COMP_INVALID_FLAGS);
    BAD(DSA_OPCODE_MEMMOVE, 0, buf, buf + 8, 0, DSA_COMP_XFER_ERANGE);
    BAD(DSA_OPCODE_MEMMOVE, 0, buf, buf + 8, (1 << 20) + 1,
        DSA_COMP_XFER_ERANGE);
    BAD(DSA_OPCODE_MEMFILL, 0, 0, buf, 0, DSA_COMP_XFER_ERANGE);
    BAD(DSA_OPCODE_BATCH, 0, buf, 0, 1, DSA_COMP_DESC_CNT_ERANGE);
    BAD(DSA_OPCODE_BATCH, 0, buf, 0, 33, DSA_COMP_DESC_CNT_ERANGE);
    BAD(DSA_OPCODE_BATCH, 0, buf + 8, 0, 2, DSA_COMP_DESCLIST_ALIGN);
    /* Nothing mapped at 1 TiB: page faults */
    BAD(DSA_OPCODE_MEMMOVE, 0, 1ULL << 40, buf, 64,
        DSA_COMP_PAGE_FAULT_NOBOF);
    g_assert_cmphex(qtest_readq(t->qts, compl + DSA_COMPL_FAULT_ADDR), ==,
                    1ULL << 40);
    BAD(DSA_OPCODE_MEMMOVE, 0, buf, RAM_END - 16, 64,
        DSA_COMP_PAGE_FAULT_NOBOF | DSA_COMP_STATUS_WRITE);
    g_assert_cmphex(qtest_readq(t->qts, compl + DSA_COMPL_FAULT_ADDR), ==,
                    RAM_END);
    g_assert_cmphex(qtest_readl(t->qts, compl + DSA_COMPL_BYTES_COMPLETED),
                    ==, 16);
    BAD(DSA_OPCODE_BATCH, 0, 1ULL << 40, 0, 2, DSA_COMP_BATCH_PAGE_FAULT);

    /* Reserved bits */
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV, compl, 0, 0, 0, 0);
    d[38] = 1;
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_NOZERO_RESERVE);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR), ==, 0);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);

    /* Errors without a completion record go to SWERR. */
    desc_init(d, 0x3f, 0, 0, 0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert(swerr & DSA_SWERR_VALID);
    g_assert(swerr & DSA_SWERR_DESC_VALID);
    g_assert(swerr & DSA_SWERR_WQ_IDX_VALID);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_BAD_OPCODE);
    g_assert_cmphex((swerr >> DSA_SWERR_OPERATION_SHIFT) & 0xff, ==, 0x3f);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE) & DSA_INTC_ERR, ==,
                    DSA_INTC_ERR);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x99);

    /* A second error before software looked: overflow. */
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV, compl + 8, 0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    g_assert(rd64(t, DSA_REG_SWERR) & DSA_SWERR_OVERFLOW);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID | DSA_SWERR_OVERFLOW);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR), ==, 0);
    wr32(t, DSA_REG_INTCAUSE, DSA_INTC_ERR);

    /* A misaligned completion record cannot be written: SWERR. */
    qtest_writel(t->qts, msi, 0);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl + 8,
              0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_CRA_ALIGN);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x99);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /* Nor one at an unmapped address. */
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, 1ULL << 40,
              0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_CRA_XLAT);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR + 16), ==, 1ULL << 40);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /* RCR without CRAV */
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_RCR, 0, 0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_INVALID_FLAGS);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR + 8) >> 32, ==, DSA_FLAG_RCR);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /* A descriptor for a disabled WQ is dropped with an error. */
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl, 0, 0,
              0, 0);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    submit(t, 1, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_SWERR_WQ_NOT_ENABLED);
    g_assert_cmphex((swerr >> DSA_SWERR_WQ_IDX_SHIFT) & 0xff, ==, 1);
    g_assert_cmphex(qtest_readb(t->qts, compl), ==, 0);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /* Partial portal writes are dropped. */
    qtest_writeq(t->qts, t->bar2.addr, ldq_le_p(d));
    qtest_writeq(t->qts, t->bar2.addr + 8, ldq_le_p(d + 8));
    qtest_memwrite(t->qts, t->bar2.addr + 64 + 8, d + 8, 56);
    qtest_writel(t->qts, t->bar2.addr + 128, 0);
    settle(t);
    g_assert_cmphex(qtest_readb(t->qts, compl), ==, 0);
    /* ... and a later full one still works. */
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
#undef BAD
    dsa_stop(t);
}

static void test_event_log(void)
{
    DSATest *t = dsa_start(NULL);
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t log = alloc_mem(t, 64 * DSA_EVL_ENTRY_SIZE, 4096);
    uint8_t d[DSA_DESC_SIZE];
    uint64_t e, sts;
    unsigned i;

    g_assert_cmpuint((rd64(t, DSA_REG_GENCAP) >> DSA_GENCAP_EVL_SUPPORT_SHIFT)
                     & 3, ==, 1);
    g_assert_cmphex(rd64(t, DSA_REG_EVLCFG), ==, 0);
    g_assert_cmphex(rd64(t, DSA_REG_EVLSTATUS), ==, 0);

    msix_enable(t);
    msix_set(t, 0, msi, 0x3333, false);
    config_wq(t, 0, 16, 0);
    wr64(t, DSA_REG_EVLCFG, log | 0xff0);
    wr64(t, DSA_REG_EVLCFG + 8, 63);
    wr32(t, DSA_REG_GENCFG, DSA_GENCFG_EVL_EN);
    wr32(t, DSA_REG_GENCTRL, DSA_GENCTRL_EVL_INT_EN);
    g_assert_cmphex(rd64(t, DSA_REG_EVLCFG), ==, log);
    /* Too small a log */
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==,
                    DSA_CMDSTS_ERR_CONFIG);
    wr64(t, DSA_REG_EVLCFG + 8, 64);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    /* Read-only while enabled */
    wr64(t, DSA_REG_EVLCFG + 8, 128);
    g_assert_cmphex(rd64(t, DSA_REG_EVLCFG + 8), ==, 64);

    /* An error without a completion record goes to the log. */
    desc_init(d, 0x3f, 0, 0, 0, 0, 0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    sts = rd64(t, DSA_REG_EVLSTATUS);
    g_assert_cmphex(sts & 0xffff, ==, 0);
    g_assert_cmphex((sts >> DSA_EVLSTATUS_TAIL_SHIFT) & 0xffff, ==, 1);
    g_assert(sts & DSA_EVLSTATUS_INT_PENDING);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, DSA_INTC_EVL);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0x3333);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR), ==, 0);
    e = qtest_readq(t->qts, log);
    g_assert(e & DSA_SWERR_DESC_VALID);
    g_assert(e & DSA_SWERR_WQ_IDX_VALID);
    g_assert(e & DSA_EVL_ERR_INFO_VALID);
    g_assert_cmphex((e >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_BAD_OPCODE);
    g_assert_cmphex((e >> DSA_SWERR_OPERATION_SHIFT) & 0xff, ==, 0x3f);
    g_assert_cmphex(qtest_readb(t->qts, log + DSA_EVL_CR), ==,
                    DSA_COMP_BAD_OPCODE);

    /* Software consumed it: head 1, pending cleared. */
    wr32(t, DSA_REG_EVLSTATUS + 4, DSA_EVLSTATUS_INT_PENDING >> 32);
    wr32(t, DSA_REG_EVLSTATUS, 1);
    wr32(t, DSA_REG_INTCAUSE, DSA_INTC_EVL);
    sts = rd64(t, DSA_REG_EVLSTATUS);
    g_assert_cmphex(sts, ==, 1 | 1ULL << DSA_EVLSTATUS_TAIL_SHIFT);

    /* 63 entries fill the log (tail wraps to 0), the next one: SWERR */
    for (i = 0; i < 63; i++) {
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    }
    settle(t);
    g_assert_cmphex(rd64(t, DSA_REG_EVLSTATUS) >> DSA_EVLSTATUS_TAIL_SHIFT &
                    0xffff, ==, 0);
    g_assert_cmphex(rd64(t, DSA_REG_SWERR), ==, 0);
    g_assert_cmphex(qtest_readb(t->qts, log + 63 * 64 + DSA_EVL_CR), ==,
                    DSA_COMP_BAD_OPCODE);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    g_assert(rd64(t, DSA_REG_SWERR) & DSA_SWERR_VALID);
    g_assert(rd32(t, DSA_REG_INTCAUSE) & DSA_INTC_ERR);
    dsa_stop(t);

    /* Without event log support, GENCFG.evl_en does not stick. */
    t = dsa_start(",evl=off");
    g_assert_cmpuint((rd64(t, DSA_REG_GENCAP) >> DSA_GENCAP_EVL_SUPPORT_SHIFT)
                     & 3, ==, 0);
    wr32(t, DSA_REG_GENCFG, DSA_GENCFG_EVL_EN);
    g_assert_cmphex(rd32(t, DSA_REG_GENCFG), ==, 0);
    wr64(t, DSA_REG_EVLCFG, log);
    g_assert_cmphex(rd64(t, DSA_REG_EVLCFG), ==, 0);
    dsa_stop(t);
}

/*
 * A WQ with a PASID does its DMA through the IOMMU's address space for
 * that PASID when intel-iommu offers one (x-pasid-mode), through the
 * requester ID's otherwise.  Translation is off here (the guest did not
 * enable DMA remapping): both reach memory untranslated.
 */
static void test_pasid_dma(void)
{
    static const char *const iommu[] = {
        "-device intel-iommu,x-scalable-mode=on,x-pasid-mode=on",
        "-device intel-iommu,x-scalable-mode=on",
        NULL,
    };
    unsigned i;

    for (i = 0; i < ARRAY_SIZE(iommu); i++) {
        DSATest *t = dsa_start_args(iommu[i], NULL);
        uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
        uint64_t buf = alloc_mem(t, 8192, 4096);
        uint8_t d[DSA_DESC_SIZE];

        config_wq(t, 0, 8, DSA_WQCFG_PASID_EN | DSA_WQCFG_PRIV |
                  5 << DSA_WQCFG_PASID_SHIFT);
        qtest_writew(t->qts, ecam(t, 0x108 + PCI_PASID_CTRL),
                     PCI_PASID_CTRL_ENABLE);
        g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
        /* Privileged mode is not enabled in the PASID capability */
        g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_WQ, 0, false), ==,
                        DSA_CMDSTS_ERR_PASID_EN);
        qtest_writew(t->qts, ecam(t, 0x108 + PCI_PASID_CTRL),
                     PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);
        enable_wq(t, 0);

        qtest_writeq(t->qts, buf, 0x1122334455667788ULL);
        desc_init(d, DSA_OPCODE_MEMMOVE, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl,
                  buf, buf + 4096, 8, 0);
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
        g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
        g_assert_cmphex(qtest_readq(t->qts, buf + 4096), ==,
                        0x1122334455667788ULL);
        dsa_stop(t);
    }
}

/* Bus mastering off, the queue full, and aborts. */
static void test_queue(void)
{
    DSATest *t = dsa_start_wq0();
    uint64_t compl = alloc_mem(t, 32 * DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint64_t buf = alloc_mem(t, 1 << 20, 4096);
    uint32_t cmd = qpci_config_readw(t->dev, PCI_COMMAND);
    uint8_t d[DSA_DESC_SIZE];
    unsigned i, done;
    uint64_t swerr;

    /* Without bus mastering the record cannot be written. */
    qpci_config_writew(t->dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl, 0, 0,
              0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    settle(t);
    qpci_config_writew(t->dev, PCI_COMMAND, cmd);
    g_assert_cmphex(qtest_readb(t->qts, compl), ==, 0);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_COMP_CRA_XLAT);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /*
     * 32 large fills into a WQ of 16: the engine finishes one in 16
     * steps, so the WQ fills up.
     */
    for (i = 0; i < 32; i++) {
        desc_init(d, DSA_OPCODE_MEMFILL, DSA_FLAG_CRAV | DSA_FLAG_RCR,
                  compl + i * DSA_COMPL_SIZE, i, buf, 1 << 20, 0);
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    }
    g_assert_cmphex(rd32(t, t->wqcfg + 24) & 0xffff, <=, 16);
    swerr = rd64(t, DSA_REG_SWERR);
    g_assert_cmphex((swerr >> DSA_SWERR_ERROR_SHIFT) & 0xff, ==,
                    DSA_SWERR_WQ_FULL);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID);

    /* Abort drops what has not run: no completion for those. */
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ABORT_WQ, 1, false), ==, 0);
    g_assert_cmphex(rd32(t, t->wqcfg + 24) & 0xffff, ==, 0);
    settle(t);
    for (i = 0, done = 0; i < 32; i++) {
        done += qtest_readb(t->qts, compl + i * DSA_COMPL_SIZE) != 0;
    }
    g_assert_cmpuint(done, <, 16);

    /* A drain waits for the large fills. */
    for (i = 0; i < 4; i++) {
        qtest_writeb(t->qts, compl + i * DSA_COMPL_SIZE, 0);
        desc_init(d, DSA_OPCODE_MEMFILL, DSA_FLAG_CRAV | DSA_FLAG_RCR,
                  compl + i * DSA_COMPL_SIZE, i, buf, 1 << 20, 0);
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    }
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DRAIN_WQ, 1, false), ==, 0);
    for (i = 0; i < 4; i++) {
        g_assert_cmphex(qtest_readb(t->qts, compl + i * DSA_COMPL_SIZE), ==,
                        DSA_COMP_SUCCESS);
    }

    /* Disabling the device waits too, then drops new descriptors. */
    for (i = 0; i < 4; i++) {
        qtest_writeb(t->qts, compl + i * DSA_COMPL_SIZE, 0);
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    }
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_DISABLE_DEVICE, 0, false), ==, 0);
    g_assert_cmphex(qtest_readb(t->qts, compl + 3 * DSA_COMPL_SIZE), ==,
                    DSA_COMP_SUCCESS);
    dsa_stop(t);
}

/* The completion records of @n descriptors that have a status. */
static unsigned completed(DSATest *t, uint64_t compl, unsigned n)
{
    unsigned i, done = 0;

    for (i = 0; i < n; i++) {
        done += qtest_readb(t->qts, compl + i * DSA_COMPL_SIZE) != 0;
    }
    return done;
}

/*
 * x-desc-delay-us: the engine takes one step per delay of virtual time,
 * so a drain lasts as long as the descriptors it waits for.
 */
static void test_desc_delay(void)
{
    DSATest *t = dsa_start(",x-desc-delay-us=1000");
    uint64_t compl = alloc_mem(t, 4 * DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint8_t d[DSA_DESC_SIZE];
    unsigned i;

    msix_enable(t);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    for (i = 0; i < 4; i++) {
        desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR,
                  compl + i * DSA_COMPL_SIZE, 0, 0, 0, 0);
        submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    }
    /* No virtual time passed: one step at most */
    g_assert_cmpuint(completed(t, compl, 4), <=, 1);

    /* A drain stays active while they wait for their turn */
    wr32(t, DSA_REG_CMD, 1 | DSA_CMD_DRAIN_WQ << DSA_CMD_SHIFT);
    g_assert_cmphex(rd32(t, DSA_REG_CMDSTS) & DSA_CMDSTS_ACTIVE, !=, 0);
    qtest_clock_step(t->qts, 1000 * 1000);
    g_assert_cmpuint(completed(t, compl, 4), <=, 2);
    g_assert_cmphex(rd32(t, DSA_REG_CMDSTS) & DSA_CMDSTS_ACTIVE, !=, 0);
    qtest_clock_step(t->qts, 3 * 1000 * 1000);
    g_assert_cmpuint(completed(t, compl, 4), ==, 4);
    g_assert_cmphex(rd32(t, DSA_REG_CMDSTS), ==, 0);
    dsa_stop(t);
}

/*
 * x-test-events: the device revokes its handles on request, as it may at
 * any time: INTCAUSE says so, an old handle names nothing and a new one
 * differs.  Refusing IMS handles lasts until a reset.  Without the
 * property the register is read-only.
 */
static void test_test_events(void)
{
    DSATest *t = dsa_start(",x-test-events=on");
    uint64_t msi = alloc_mem(t, 4, 4);
    uint64_t compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    uint32_t old, new;

    msix_enable(t);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    ims_set(t, 3, msi, 0xbeef, 0);
    old = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 3,
                  false);
    g_assert_cmphex(old & 0xff, ==, 0);
    old >>= 8;

    wr32(t, DSA_REG_TEST_EVENTS, DSA_TEST_EV_REVOKE_HANDLES);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE) & DSA_INTC_INT_HANDLE_REVOKED,
                    !=, 0);
    g_assert_cmphex(rd32(t, DSA_REG_TEST_EVENTS), ==, 0);
    noop_irq(t, DSA_PORTAL_IMS, old, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_INT_HANDLE_INVAL);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0);
    new = dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | 3,
                  false);
    g_assert_cmphex(new & 0xff, ==, 0);
    new >>= 8;
    g_assert_cmphex(new, !=, old);
    qtest_memset(t->qts, compl, 0, DSA_COMPL_SIZE);
    noop_irq(t, DSA_PORTAL_IMS, new, compl);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    g_assert_cmphex(qtest_readl(t->qts, msi), ==, 0xbeef);

    /* Refused IMS handles, MSI-X ones granted, until a reset */
    wr32(t, DSA_REG_TEST_EVENTS, DSA_TEST_EV_REFUSE_IMS_HANDLES);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | 3, false), ==,
                    DSA_CMDSTS_ERR_NO_HANDLE);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, 1, false) & 0xff,
                    ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RESET_DEVICE, 0, false), ==, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE,
                            DSA_CMD_INT_HANDLE_IMS | 3, false) & 0xff, ==, 0);
    dsa_stop(t);

    /* Without x-test-events, nothing happens */
    t = dsa_start_wq0();
    wr32(t, DSA_REG_TEST_EVENTS, DSA_TEST_EV_REVOKE_HANDLES);
    g_assert_cmphex(rd32(t, DSA_REG_INTCAUSE), ==, 0);
    dsa_stop(t);
}

/* A random descriptor, mostly well formed, pointing into test memory. */
static void random_desc(GRand *rand, uint8_t *d)
{
    unsigned j;

    for (j = 0; j < DSA_DESC_SIZE; j += 4) {
        stl_le_p(d + j, g_rand_int(rand));
    }
    d[7] = g_rand_int_range(rand, 0, 8);
    if (g_rand_boolean(rand)) {
        /* No reserved bits, valid flags, an interrupt handle 0-7 */
        stl_le_p(d, 0);
        stl_le_p(d + 4, (g_rand_int(rand) & (DSA_FLAG_CRAV | DSA_FLAG_RCR |
                                             DSA_FLAG_RCI | DSA_FLAG_FENCE |
                                             DSA_FLAG_CR)) |
                 (uint32_t)d[7] << 24);
        stl_le_p(d + 36, g_rand_int_range(rand, 0, 8));
    }
    if (g_rand_int_range(rand, 0, 4)) {
        stq_le_p(d + DSA_DESC_SRC, MEM_START +
                 g_rand_int_range(rand, 0, 1 << 20));
        stq_le_p(d + DSA_DESC_DST, MEM_START +
                 g_rand_int_range(rand, 0, 1 << 20));
        stl_le_p(d + DSA_DESC_XFER_SIZE, g_rand_int_range(rand, 0, 1 << 16));
        stq_le_p(d + DSA_DESC_COMPL_ADDR,
                 MEM_START + (g_rand_int_range(rand, 0, 1 << 20) & ~31));
    }
    if (d[7] == DSA_OPCODE_BATCH && g_rand_boolean(rand)) {
        stq_le_p(d + DSA_DESC_SRC, MEM_START +
                 (g_rand_int_range(rand, 0, 1 << 20) & ~63));
        stl_le_p(d + DSA_DESC_XFER_SIZE, g_rand_int_range(rand, 0, 40));
    }
}

/*
 * Random register, table and portal writes, with a fixed seed: the
 * device must survive them and still work after a reset.  First on a
 * device in any state, then on one whose WQs are all enabled.
 */
static void test_fuzz(void)
{
    DSATest *t = dsa_start(NULL);
    GRand *rand = g_rand_new_with_seed(0x05a5a5a5);
    uint64_t compl;
    uint8_t d[DSA_DESC_SIZE];
    unsigned wq;
    int i;

    msix_enable(t);
    /* Random descriptors land in the first MiB of test memory. */
    t->mem = MEM_START + (2 << 20);
    for (i = 0; i < 20000; i++) {
        uint32_t r = g_rand_int(rand);
        uint32_t v = g_rand_int(rand);
        uint32_t off;

        switch (r % 8) {
        case 0:
            /* Commands, with any operand */
            wr32(t, DSA_REG_CMD, v);
            break;
        case 1:
            /* Control registers */
            off = g_rand_int_range(rand, 0, 0x100) & ~3;
            if (off != DSA_REG_CMD) {
                wr32(t, off, v);
            }
            break;
        case 2:
        case 3:
            /* Group and WQ tables, MSI-X permissions */
            off = t->msix_perm +
                  (g_rand_int_range(rand, 0, t->wqcfg + DSA_WQS * 32 -
                                    t->msix_perm) & ~3);
            wr32(t, off, v);
            break;
        case 4:
            /* IMS */
            off = t->ims + (g_rand_int_range(rand, 0, DSA_IMS * 16) & ~3);
            wr32(t, off, v);
            break;
        case 5:
        case 6:
            random_desc(rand, d);
            submit(t, g_rand_int_range(rand, 0, DSA_WQS),
                   g_rand_int_range(rand, 0, 4), d);
            break;
        default:
            /* Stray portal writes */
            off = g_rand_int_range(rand, 0, DSA_WQS * 0x4000) & ~7;
            qtest_writeq(t->qts, t->bar2.addr + off, v);
            break;
        }
    }

    /* All WQs enabled, handles requested: the engine gets to work. */
    for (i = 0; rd32(t, DSA_REG_CMDSTS) & DSA_CMDSTS_ACTIVE; i++) {
        g_assert_cmpint(i, <, POLL_MAX);
    }
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RESET_DEVICE, 0, false), ==, 0);
    for (wq = 0; wq < DSA_WQS; wq++) {
        config_wq(t, wq, DSA_WQ_SIZE / DSA_WQS, 0);
    }
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    for (wq = 0; wq < DSA_WQS; wq++) {
        enable_wq(t, wq);
    }
    for (i = 0; i < 8; i++) {
        dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, i, false);
        dsa_cmd(t, DSA_CMD_REQUEST_INT_HANDLE, DSA_CMD_INT_HANDLE_IMS | i,
                false);
    }
    for (i = 0; i < 20000; i++) {
        uint32_t r = g_rand_int(rand);
        uint32_t v = g_rand_int(rand);

        switch (r % 16) {
        case 0:
            /* Drain, abort, disable commands */
            wr32(t, DSA_REG_CMD, (v & 0xfffff) |
                 g_rand_int_range(rand, 2, 13) << DSA_CMD_SHIFT);
            break;
        case 1:
            /* Masks, PASIDs and addresses of the interrupt entries */
            wr32(t, t->ims + (g_rand_int_range(rand, 0, 8 * 16) & ~3),
                 g_rand_boolean(rand) ? v : MEM_START + (v & 0xffffc));
            break;
        case 2:
            wr32(t, t->msix_perm + g_rand_int_range(rand, 0, 8) * 8, v);
            break;
        case 3:
            msix_set(t, g_rand_int_range(rand, 0, DSA_MSIX),
                     MEM_START + (v & 0xffffc), v, r & 0x100);
            break;
        default:
            random_desc(rand, d);
            submit(t, g_rand_int_range(rand, 0, DSA_WQS),
                   g_rand_int_range(rand, 0, 4), d);
            break;
        }
    }
    g_rand_free(rand);

    /* Still alive and usable after a reset. */
    g_assert_cmphex(rd32(t, DSA_REG_VERSION), ==, DSA_VERSION);
    for (i = 0; rd32(t, DSA_REG_CMDSTS) & DSA_CMDSTS_ACTIVE; i++) {
        /* A drain or disable waits for the engine. */
        g_assert_cmpint(i, <, POLL_MAX);
    }
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_RESET_DEVICE, 0, false), ==, 0);
    wr64(t, DSA_REG_SWERR, DSA_SWERR_VALID | DSA_SWERR_OVERFLOW);
    config_wq(t, 0, 16, 0);
    g_assert_cmphex(dsa_cmd(t, DSA_CMD_ENABLE_DEVICE, 0, false), ==, 0);
    enable_wq(t, 0);
    compl = alloc_mem(t, DSA_COMPL_SIZE, DSA_COMPL_SIZE);
    desc_init(d, DSA_OPCODE_NOOP, DSA_FLAG_CRAV | DSA_FLAG_RCR, compl, 0, 0,
              0, 0);
    submit(t, 0, DSA_PORTAL_UNLIMITED, d);
    g_assert_cmphex(wait_status(t, compl), ==, DSA_COMP_SUCCESS);
    dsa_stop(t);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    qtest_add_func("/intel-dsa/reset-values", test_reset_values);
    qtest_add_func("/intel-dsa/commands", test_commands);
    qtest_add_func("/intel-dsa/noop-msix", test_noop_msix);
    qtest_add_func("/intel-dsa/noop-ims", test_noop_ims);
    qtest_add_func("/intel-dsa/flr-revokes-handles",
                   test_flr_revokes_handles);
    qtest_add_func("/intel-dsa/no-int-handles", test_no_int_handles);
    qtest_add_func("/intel-dsa/mask-pending", test_mask_pending);
    qtest_add_func("/intel-dsa/ims-pasid", test_ims_pasid);
    qtest_add_func("/intel-dsa/portal-accounting", test_portal_accounting);
    qtest_add_func("/intel-dsa/operations", test_operations);
    qtest_add_func("/intel-dsa/bad-descriptors", test_bad_descriptors);
    qtest_add_func("/intel-dsa/event-log", test_event_log);
    qtest_add_func("/intel-dsa/pasid-dma", test_pasid_dma);
    qtest_add_func("/intel-dsa/queue", test_queue);
    qtest_add_func("/intel-dsa/desc-delay", test_desc_delay);
    qtest_add_func("/intel-dsa/test-events", test_test_events);
    qtest_add_func("/intel-dsa/fuzz", test_fuzz);

    return g_test_run();
}
