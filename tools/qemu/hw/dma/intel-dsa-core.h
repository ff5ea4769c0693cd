/*
 * Intel Data Streaming Accelerator (DSA) device model: the state of the
 * registers, commands, portals and descriptor engine (intel-dsa-core.c),
 * and their interface to the PCI function (intel-dsa.c)
 *
 * Copyright (c) 2025 idxd-vdev developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_DMA_INTEL_DSA_CORE_H
#define HW_DMA_INTEL_DSA_CORE_H

#include "exec/hwaddr.h"
#include "exec/memattrs.h"
#include "hw/dma/intel-dsa.h"

#define DSA_MAX_WQS             64
#define DSA_MAX_ENGINES         64
#define DSA_MAX_GROUPS          16
#define DSA_MAX_WQ_SIZE         1024
#define DSA_MAX_MSIX            2048
#define DSA_MAX_IMS_MULT        63

/* The PASID capability, whose control register the engine follows */
#define DSA_PASID_CAP_OFFSET    0x108

typedef struct DSAWorkQueue DSAWorkQueue;

typedef struct IntelDSACore {
    PCIDevice *owner;
    QEMUBH *bh;

    /* Configuration: the device's properties */
    uint8_t num_wqs;
    uint8_t num_engines;
    uint8_t num_groups;
    uint16_t total_wq_size;
    uint16_t num_ims;
    uint16_t num_msix;
    bool evl;
    /*
     * REQUEST_INT_HANDLE and RELEASE_INT_HANDLE are offered, and a
     * descriptor may only name an entry whose handle was requested.
     * Without them, as on devices that lack the commands, a handle is the
     * table index and names any entry.
     */
    bool int_handles;
    /*
     * For tests (x-desc-delay-us): each step of the engine, a descriptor
     * or a piece of a large one, waits this long in virtual time after
     * the one before, so that descriptors, and the drains that wait for
     * them, take as long as a test needs.  0: the engine runs at once.
     */
    uint32_t desc_delay_us;
    /*
     * For tests (x-test-events): DSA_REG_TEST_EVENTS makes the device
     * revoke its interrupt handles, as a device may at any time, and
     * refuse REQUEST_INT_HANDLE for IMS entries until its next reset.
     */
    bool test_events;

    /* BAR0 layout, set by the device before intel_dsa_core_realize() */
    uint32_t msix_perm_off;
    uint32_t grpcfg_off;
    uint32_t wqcfg_off;
    uint32_t regs_size;
    uint32_t msix_table_off;
    uint32_t msix_pba_off;
    uint32_t ims_off;

    /* Registers */
    uint32_t gencfg;
    uint32_t genctrl;
    uint32_t gensts;
    uint32_t intcause;
    uint32_t cmd;
    uint32_t cmdsts;
    uint64_t swerr[4];
    uint64_t evlcfg[2];
    uint32_t evl_head;
    uint32_t evl_tail;
    bool evl_int_pending;
    uint64_t (*grpcfg)[DSA_GRPCFG_SIZE / 8];
    DSAWorkQueue *wqs;
    uint32_t *msix_perm;
    uint32_t (*ims)[DSA_IMS_ENTRY_SIZE / 4];
    unsigned long *msix_handles;
    unsigned long *ims_handles;

    /* The command waiting for WQs to drain, 0 if none. */
    unsigned pending_cmd;
    unsigned rr;
    /* With desc_delay_us: the engine's next step, and its timer */
    QEMUTimer *delay_timer;
    int64_t next_step_ns;

    /*
     * Function level resets so far, kept across resets.  A handle
     * carries it above the table index, so that a handle granted before
     * a function level reset names no entry after it.
     */
    uint16_t flr_epoch;
    /* REQUEST_INT_HANDLE of IMS entries fails until the next reset */
    bool refuse_ims_handles;

    /* Portal writes, for tests; kept across resets. */
    uint64_t portal_whole_stores;
    uint64_t portal_partial_writes;
} IntelDSACore;

/* Allocate the tables and the engine of a validated configuration. */
void intel_dsa_core_realize(IntelDSACore *core, PCIDevice *owner);
void intel_dsa_core_unrealize(IntelDSACore *core);

/* Conventional and function level reset. */
void intel_dsa_core_reset(IntelDSACore *core);
/* A function level reset was initiated: the reset follows. */
void intel_dsa_core_prepare_flr(IntelDSACore *core);

/* BAR0 registers and tables below regs_size, 32 bits at a time. */
uint32_t intel_dsa_core_reg_read(IntelDSACore *core, hwaddr addr);
void intel_dsa_core_reg_write(IntelDSACore *core, hwaddr addr, uint32_t val);

/* The Interrupt Message Store, 32 bits at a time, from its first slot. */
uint32_t intel_dsa_core_ims_read(IntelDSACore *core, hwaddr addr);
void intel_dsa_core_ims_write(IntelDSACore *core, hwaddr addr, uint32_t val);

/* A quadword written to BAR2, the WQ portals. */
MemTxResult intel_dsa_core_portal_write(IntelDSACore *core, hwaddr addr,
                                        uint64_t val, unsigned size,
                                        MemTxAttrs attrs);

#endif
