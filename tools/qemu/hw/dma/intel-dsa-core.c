/*
 * Intel Data Streaming Accelerator (DSA) device model: registers,
 * commands, portals and the descriptor engine
 *
 * The PCI function around them (BARs, configuration space, properties,
 * reset) is in intel-dsa.c.
 *
 * Portal writes: the memory API delivers a 64-byte store as eight
 * 8-byte writes.  A MOVDIR64B to MMIO dispatches all eight with the
 * BQL held (see target/i386), so no other access reaches the device
 * between them, each marked as a piece of a direct store
 * (MemTxAttrs.direct_store); the portal assembles the quadwords of one
 * 64-byte slot arriving in order and submits the descriptor when the
 * last arrives.  A partial or out of order write is dropped.  Ordered
 * quadwords that are not a direct store (qtest's writes, or a vCPU's
 * plain stores) are still assembled, unlike on hardware, but counted:
 * the read-only properties x-portal-whole-stores (64-byte direct
 * stores received whole) and x-portal-partial-writes (portal writes
 * that were not a piece of one), and the trace points
 * intel_dsa_portal_whole_store and intel_dsa_portal_partial_write, tell
 * a test whether the descriptors of a guest, e.g. a nested one whose
 * VMM stores them through a mapping of the portal, arrived as single
 * 64-byte writes.  ENQCMD and ENQCMDS to shared WQs would use the same
 * assembly and answer accept or retry in the write's MemTxResult.
 *
 * Errors that have no completion record to go to are reported in SWERR,
 * or, once software enabled it, in the event log (evl=on, the default):
 * a ring of 64-byte entries in memory, as DSA 2.0 devices have it.
 *
 * Interrupts are memory writes with the device's requester ID, through
 * the device's bus master address space, like any MSI; so intel-iommu
 * remaps and validates IMS messages exactly as MSI-X messages.
 *
 * DMA goes through the device's IOMMU address space.  Descriptors of a
 * WQ with a PASID go through the IOMMU's address space for that PASID
 * when the IOMMU provides one (intel-iommu with x-pasid-mode=on), and
 * through the requester ID's address space otherwise.
 *
 * Copyright (c) 2025 idxd-vdev developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "sysemu/dma.h"
#include "intel-dsa-core.h"
#include "trace.h"

#define DSA_MAX_XFER_SHIFT      31
#define DSA_MAX_BATCH_SHIFT     10
#define DSA_TOTAL_RDBUFS        96

/* The engine's work per bottom half run, and per DMA chunk. */
#define DSA_STEP_BUDGET         (64 * KiB)
#define DSA_DESC_COST           256
#define DSA_CHUNK               (4 * KiB)
#define DSA_PAGE                (4 * KiB)

#define DSA_OPCAP_MASK          ((1ULL << DSA_OPCODE_NOOP) | \
                                 (1ULL << DSA_OPCODE_BATCH) | \
                                 (1ULL << DSA_OPCODE_DRAIN) | \
                                 (1ULL << DSA_OPCODE_MEMMOVE) | \
                                 (1ULL << DSA_OPCODE_MEMFILL) | \
                                 (1ULL << DSA_OPCODE_COMPARE) | \
                                 (1ULL << DSA_OPCODE_COMPVAL))

/* Commands 1 to RELEASE_INT_HANDLE */
#define DSA_CMDCAP_MASK \
    (((1u << (DSA_CMD_RELEASE_INT_HANDLE + 1)) - 1) & ~1u)

/* Flags every supported operation accepts. */
#define DSA_FLAGS_COMMON        (DSA_FLAG_FENCE | DSA_FLAG_CRAV | \
                                 DSA_FLAG_RCR | DSA_FLAG_RCI | \
                                 DSA_FLAG_ADDR1_TCS | DSA_FLAG_ADDR2_TCS | \
                                 DSA_FLAG_ADDR3_TCS | DSA_FLAG_CR_TCS)

/* WQCFG bits software may write, per dword. */
static const uint32_t dsa_wqcfg_wmask[DSA_WQCFG_SIZE / 4] = {
    [0] = 0xffff,
    [1] = 0xffff,
    [2] = 0x3fffffff,
    [3] = 0x1ff,
};

#define DSA_GRPFLAGS_WMASK      (0x3fULL | (0xffULL << 8) | (0xffULL << 20))

typedef struct DSADesc {
    uint8_t raw[DSA_DESC_SIZE];
    uint8_t opcode;
    uint32_t flags;
    uint64_t compl_addr;
    uint64_t src;
    uint64_t dst;
    uint32_t size;
    uint16_t int_handle;
} DSADesc;

typedef struct DSAResult {
    uint8_t status;
    uint8_t result;
    bool fault_write;
    uint32_t bytes;
    uint64_t fault_addr;
    uint32_t invalid_flags;
} DSAResult;

/* One descriptor being executed. */
typedef struct DSAOp {
    DSADesc d;
    DSAResult res;
    bool irq_ok;
    uint64_t done;
} DSAOp;

/* What a WQ is executing: a descriptor, and for a batch its element. */
typedef struct DSAExec {
    bool active;
    bool ims;
    DSAOp op;
    bool sub_active;
    DSAOp sub;
    uint32_t batch_next;
    uint32_t batch_count;
    uint32_t batch_completed;
    bool batch_failed;
    bool batch_pred_false;
} DSAExec;

struct DSAWorkQueue {
    uint32_t cfg[DSA_WQCFG_SIZE / 4];
    bool enabled;
    bool disabling;

    /* Latched when the WQ is enabled. */
    int group;
    uint32_t size;
    bool pasid_en;
    uint32_t pasid;
    bool priv;
    uint64_t max_xfer;
    uint32_t max_batch;
    AddressSpace *as;

    /* The WQ's descriptors, and the portal they came through. */
    uint8_t (*ring)[DSA_DESC_SIZE];
    bool *ring_ims;
    uint32_t head;
    uint32_t count;
    uint64_t submitted;
    uint64_t retired;
    uint64_t drain_target;
    DSAExec exec;

    /* A 64-byte portal write being assembled. */
    uint8_t asm_buf[DSA_DESC_SIZE];
    hwaddr asm_addr;
    unsigned asm_next;
    bool asm_direct;
};

static bool dsa_enabled(IntelDSACore *s)
{
    return (s->gensts & DSA_GENSTS_STATE_MASK) == DSA_STATE_ENABLED;
}

static bool dsa_bus_master(IntelDSACore *s)
{
    PCIDevice *pdev = s->owner;

    return pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static uint16_t dsa_pasid_ctrl(IntelDSACore *s)
{
    PCIDevice *pdev = s->owner;

    return pci_get_word(pdev->config + DSA_PASID_CAP_OFFSET + PCI_PASID_CTRL);
}

/* Interrupts */

/*
 * While MSI-X is disabled the function counts as masked: the vector
 * pends, and fires when software enables MSI-X and unmasks it.
 */
static void dsa_msix_notify(IntelDSACore *s, unsigned vector)
{
    trace_intel_dsa_msix_notify(vector);
    msix_notify(s->owner, vector);
}

static void dsa_ims_send(IntelDSACore *s, unsigned slot)
{
    MSIMessage msg;

    msg.address = ((uint64_t)s->ims[slot][1] << 32) | s->ims[slot][0];
    msg.data = s->ims[slot][2];
    trace_intel_dsa_ims_notify(slot, msg.address, msg.data);
    msi_send_message(s->owner, msg);
}

static void dsa_ims_notify(IntelDSACore *s, unsigned slot)
{
    if (s->ims[slot][3] & DSA_IMS_CTRL_MASK) {
        trace_intel_dsa_ims_pending(slot);
        s->ims[slot][3] |= DSA_IMS_CTRL_PENDING;
        return;
    }
    dsa_ims_send(s, slot);
}

/* A cause for the misc interrupt, MSI-X vector 0. */
static void dsa_misc_irq(IntelDSACore *s, uint32_t cause, bool notify)
{
    s->intcause |= cause;
    if (notify) {
        dsa_msix_notify(s, 0);
    }
}

static bool dsa_evl_enabled(IntelDSACore *s)
{
    return dsa_enabled(s) && (s->gencfg & DSA_GENCFG_EVL_EN);
}

static AddressSpace *dsa_evl_as(IntelDSACore *s)
{
    PCIDevice *pdev = s->owner;
    AddressSpace *as = NULL;

    if (s->evlcfg[0] & DSA_EVLCFG_PASID_EN) {
        as = pci_device_iommu_pasid_address_space(pdev,
                (s->evlcfg[1] >> DSA_EVLCFG_PASID_SHIFT) & DSA_DESC_PASID_MASK);
    }
    return as ? as : pci_get_address_space(pdev);
}

/* Append an entry to the event log; false if it is full or unwritable. */
static bool dsa_evl_write(IntelDSACore *s, const uint64_t *err,
                          const uint8_t *rec)
{
    uint32_t size = s->evlcfg[1] & DSA_EVLCFG_SIZE_MASK;
    uint8_t entry[DSA_EVL_ENTRY_SIZE] = { 0 };
    uint64_t addr;
    int i;

    if ((s->evl_tail + 1) % size == s->evl_head || !dsa_bus_master(s)) {
        return false;
    }
    for (i = 0; i < 4; i++) {
        stq_le_p(entry + i * 8, err[i]);
    }
    if (rec) {
        memcpy(entry + DSA_EVL_CR, rec, DSA_COMPL_SIZE);
    }
    addr = (s->evlcfg[0] & DSA_EVLCFG_BASE_MASK) +
           (uint64_t)s->evl_tail * DSA_EVL_ENTRY_SIZE;
    if (dma_memory_write(dsa_evl_as(s), addr, entry, sizeof(entry),
                         MEMTXATTRS_UNSPECIFIED)) {
        trace_intel_dsa_evl_fault(addr);
        return false;
    }
    s->evl_tail = (s->evl_tail + 1) % size;
    s->evl_int_pending = true;
    dsa_misc_irq(s, DSA_INTC_EVL, s->genctrl & DSA_GENCTRL_EVL_INT_EN);
    return true;
}

/*
 * Report an error that has no completion record to go to: in the event
 * log when it is enabled and has room, else in SWERR.  @rec, if not
 * NULL, is the completion record the descriptor would have had.
 */
static void dsa_swerr(IntelDSACore *s, uint8_t err, int wq_id,
                      const DSADesc *d, DSAWorkQueue *wq, bool batch,
                      uint32_t batch_idx, uint64_t fault_addr,
                      bool fault_write, uint32_t invalid_flags,
                      const uint8_t *rec)
{
    uint64_t e[4];

    e[0] = (uint64_t)err << DSA_SWERR_ERROR_SHIFT;
    if (wq_id >= 0) {
        e[0] |= DSA_SWERR_WQ_IDX_VALID |
                (uint64_t)wq_id << DSA_SWERR_WQ_IDX_SHIFT;
    }
    if (d) {
        e[0] |= DSA_SWERR_DESC_VALID |
                (uint64_t)d->opcode << DSA_SWERR_OPERATION_SHIFT;
    }
    if (wq && wq->pasid_en) {
        e[0] |= (uint64_t)wq->pasid << DSA_SWERR_PASID_SHIFT;
        if (wq->priv) {
            e[0] |= DSA_SWERR_PRIV;
        }
    }
    if (batch) {
        e[0] |= DSA_SWERR_BATCH;
    }
    if (fault_write) {
        e[0] |= DSA_SWERR_FAULT_RW;
    }
    e[1] = (batch ? batch_idx & 0xffff : 0) | (uint64_t)invalid_flags << 32;
    e[2] = fault_addr;
    e[3] = 0;

    if (dsa_evl_enabled(s)) {
        uint64_t evl[4] = { e[0] | DSA_EVL_ERR_INFO_VALID, e[1], e[2], 0 };

        if (dsa_evl_write(s, evl, rec)) {
            trace_intel_dsa_error(err, wq_id, "the event log");
            return;
        }
    }
    trace_intel_dsa_error(err, wq_id, "SWERR");

    if (s->swerr[0] & DSA_SWERR_VALID) {
        s->swerr[0] |= DSA_SWERR_OVERFLOW;
    } else {
        e[0] |= DSA_SWERR_VALID;
        memcpy(s->swerr, e, sizeof(s->swerr));
    }
    dsa_misc_irq(s, DSA_INTC_ERR, s->genctrl & DSA_GENCTRL_SOFTERR_INT_EN);
}

/* DMA */

static MemTxResult dsa_dma(IntelDSACore *s, DSAWorkQueue *wq, uint64_t addr,
                           void *buf, uint64_t len, DMADirection dir)
{
    MemTxResult res;

    if (!dsa_bus_master(s)) {
        return MEMTX_ERROR;
    }
    res = dma_memory_rw(wq->as, addr, buf, len, dir, MEMTXATTRS_UNSPECIFIED);
    if (res != MEMTX_OK) {
        trace_intel_dsa_dma_fault(wq - s->wqs, wq->pasid_en, wq->pasid, addr,
                                  dir == DMA_DIRECTION_FROM_DEVICE);
    }
    return res;
}

/* The next chunk from @pos (ascending) that stays within a page. */
static uint64_t dsa_chunk_up(uint64_t a, uint64_t b, uint64_t remaining)
{
    uint64_t len = MIN(remaining, DSA_CHUNK);

    len = MIN(len, DSA_PAGE - (a & (DSA_PAGE - 1)));
    return MIN(len, DSA_PAGE - (b & (DSA_PAGE - 1)));
}

/* The chunk that ends at @a_end and @b_end (descending). */
static uint64_t dsa_chunk_down(uint64_t a_end, uint64_t b_end,
                               uint64_t remaining)
{
    uint64_t len = MIN(remaining, DSA_CHUNK);

    len = MIN(len, ((a_end - 1) & (DSA_PAGE - 1)) + 1);
    return MIN(len, ((b_end - 1) & (DSA_PAGE - 1)) + 1);
}

/* Descriptors */

static void dsa_desc_parse(DSADesc *d, const uint8_t *raw)
{
    uint32_t w1 = ldl_le_p(raw + 4);

    memcpy(d->raw, raw, DSA_DESC_SIZE);
    d->flags = w1 & 0xffffff;
    d->opcode = w1 >> 24;
    d->compl_addr = ldq_le_p(raw + DSA_DESC_COMPL_ADDR);
    d->src = ldq_le_p(raw + DSA_DESC_SRC);
    d->dst = ldq_le_p(raw + DSA_DESC_DST);
    d->size = ldl_le_p(raw + DSA_DESC_XFER_SIZE);
    d->int_handle = lduw_le_p(raw + DSA_DESC_INT_HANDLE);
}

static uint32_t dsa_allowed_flags(uint8_t opcode)
{
    switch (opcode) {
    case DSA_OPCODE_NOOP:
    case DSA_OPCODE_BATCH:
    case DSA_OPCODE_DRAIN:
        return DSA_FLAGS_COMMON;
    case DSA_OPCODE_MEMMOVE:
    case DSA_OPCODE_MEMFILL:
        return DSA_FLAGS_COMMON | DSA_FLAG_CC | DSA_FLAG_STORD;
    case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL:
        return DSA_FLAGS_COMMON | DSA_FLAG_CR;
    default:
        return 0;
    }
}

/* The handle bits below the FLR epoch: enough for the table's indexes */
static unsigned dsa_handle_shift(IntelDSACore *s, bool ims)
{
    unsigned n = ims ? s->num_ims : s->num_msix;

    return n > 1 ? 32 - clz32(n - 1) : 1;
}

/* The handle REQUEST_INT_HANDLE grants for a table index */
static uint16_t dsa_handle_make(IntelDSACore *s, unsigned idx, bool ims)
{
    if (!s->int_handles) {
        return idx;
    }
    return idx | (uint16_t)(s->flr_epoch << dsa_handle_shift(s, ims));
}

/*
 * The table index a handle names, if it names one: with the handle
 * commands, one granted since the last function level reset.
 */
static bool dsa_handle_index(IntelDSACore *s, uint16_t handle, bool ims,
                             unsigned *idx)
{
    unsigned n = ims ? s->num_ims : s->num_msix;

    *idx = handle;
    if (s->int_handles) {
        *idx = handle & ((1u << dsa_handle_shift(s, ims)) - 1);
        if (dsa_handle_make(s, *idx, ims) != handle) {
            return false;
        }
    }
    return *idx < n;
}

/* May this descriptor raise the completion interrupt its handle names? */
static bool dsa_int_permitted(IntelDSACore *s, DSAWorkQueue *wq,
                              uint16_t handle, bool ims)
{
    uint32_t ctrl, pasid;
    unsigned idx;

    if (!dsa_handle_index(s, handle, ims, &idx)) {
        return false;
    }
    if (ims) {
        if (s->int_handles && !test_bit(idx, s->ims_handles)) {
            return false;
        }
        ctrl = s->ims[idx][3];
        if (!(ctrl & DSA_IMS_CTRL_PASID_EN)) {
            return true;
        }
        pasid = ctrl >> DSA_IMS_CTRL_PASID_SHIFT;
    } else {
        if (s->int_handles && !test_bit(idx, s->msix_handles)) {
            return false;
        }
        ctrl = s->msix_perm[idx];
        if (!(ctrl & DSA_MSIX_PERM_PASID_EN)) {
            return true;
        }
        pasid = ctrl >> DSA_MSIX_PERM_PASID_SHIFT;
    }
    return wq->pasid_en && wq->pasid == pasid;
}

static void dsa_op_fail(DSAOp *op, uint8_t status)
{
    op->res.status = status;
}

/*
 * Check a descriptor before running it.  Returns false, with the error
 * in op->res, for a descriptor that must not run.
 */
static bool dsa_op_check(IntelDSACore *s, DSAWorkQueue *wq, DSAOp *op,
                         bool ims, bool in_batch)
{
    DSADesc *d = &op->d;
    uint32_t bad;

    memset(&op->res, 0, sizeof(op->res));
    op->done = 0;
    op->irq_ok = (d->flags & DSA_FLAG_RCI) &&
                 dsa_int_permitted(s, wq, d->int_handle, ims);

    if (d->opcode >= 64 || !(DSA_OPCAP_MASK & (1ULL << d->opcode)) ||
        (in_batch && (d->opcode == DSA_OPCODE_BATCH ||
                      d->opcode == DSA_OPCODE_DRAIN))) {
        dsa_op_fail(op, DSA_COMP_BAD_OPCODE);
        return false;
    }

    bad = d->flags & ~dsa_allowed_flags(d->opcode);
    if ((d->flags & DSA_FLAG_RCR) && !(d->flags & DSA_FLAG_CRAV)) {
        bad |= DSA_FLAG_RCR;
    }
    if ((d->opcode == DSA_OPCODE_COMPARE || d->opcode == DSA_OPCODE_COMPVAL)
        && !(d->flags & DSA_FLAG_CRAV)) {
        /* The result is only reported in the completion record. */
        bad |= DSA_FLAG_CRAV;
    }
    if ((d->flags & DSA_FLAG_RCI) && wq->pasid_en && !wq->priv &&
        !(s->gencfg & DSA_GENCFG_USER_INT_EN)) {
        /* User-mode completion interrupts are not enabled. */
        bad |= DSA_FLAG_RCI;
    }
    if (bad) {
        if (bad & DSA_FLAG_RCI) {
            /* An invalid interrupt request raises no interrupt. */
            op->irq_ok = false;
        }
        op->res.invalid_flags = bad;
        dsa_op_fail(op, DSA_COMP_INVALID_FLAGS);
        return false;
    }

    if ((d->flags & DSA_FLAG_CRAV) && (d->compl_addr & (DSA_COMPL_SIZE - 1))) {
        dsa_op_fail(op, DSA_COMP_CRA_ALIGN);
        return false;
    }

    /* Reserved: bits 30:20 of dword 0 and bytes 38-39. */
    if ((ldl_le_p(d->raw) & 0x7ff00000) || lduw_le_p(d->raw + 38)) {
        dsa_op_fail(op, DSA_COMP_NOZERO_RESERVE);
        return false;
    }

    if ((d->flags & DSA_FLAG_RCI) && !op->irq_ok) {
        dsa_op_fail(op, DSA_COMP_INT_HANDLE_INVAL);
        return false;
    }

    switch (d->opcode) {
    case DSA_OPCODE_MEMMOVE:
    case DSA_OPCODE_MEMFILL:
    case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL:
        if (d->size == 0 || d->size > wq->max_xfer) {
            dsa_op_fail(op, DSA_COMP_XFER_ERANGE);
            return false;
        }
        break;
    case DSA_OPCODE_BATCH:
        if (d->size < 2 || d->size > wq->max_batch) {
            dsa_op_fail(op, DSA_COMP_DESC_CNT_ERANGE);
            return false;
        }
        if (d->src & (DSA_DESC_SIZE - 1)) {
            dsa_op_fail(op, DSA_COMP_DESCLIST_ALIGN);
            return false;
        }
        break;
    }
    return true;
}

static bool dsa_op_validate(IntelDSACore *s, DSAWorkQueue *wq, DSAOp *op,
                            bool ims, bool in_batch)
{
    unsigned wq_id = wq - s->wqs;

    bool ok;

    trace_intel_dsa_desc_start(wq_id, op->d.opcode, op->d.flags, op->d.size,
                               in_batch);
    ok = dsa_op_check(s, wq, op, ims, in_batch);
    if ((op->d.flags & DSA_FLAG_RCI) && !op->irq_ok) {
        trace_intel_dsa_int_denied(wq_id, op->d.int_handle, ims);
    }
    if (ok) {
        return true;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: wq %u: invalid descriptor, "
                  "opcode 0x%x flags 0x%x: status 0x%x\n", wq_id,
                  op->d.opcode, op->d.flags, op->res.status);
    return false;
}

static void dsa_op_fault(DSAOp *op, uint64_t addr, bool write)
{
    op->res.status = DSA_COMP_PAGE_FAULT_NOBOF;
    op->res.fault_addr = addr;
    op->res.fault_write = write;
    op->res.bytes = op->done;
}

/*
 * Run one chunk of a data operation.  Returns the bytes of budget used;
 * *finished is set when the operation is over, with op->res filled in.
 */
static uint64_t dsa_op_chunk(IntelDSACore *s, DSAWorkQueue *wq, DSAOp *op,
                             bool *finished)
{
    DSADesc *d = &op->d;
    uint8_t buf[DSA_CHUNK], buf2[DSA_CHUNK];
    uint64_t remaining = d->size - op->done;
    uint64_t pos, len, i;
    bool down;

    *finished = false;
    switch (d->opcode) {
    case DSA_OPCODE_MEMMOVE:
        /* Overlapping buffers with the destination above: copy down. */
        down = d->dst > d->src && d->dst - d->src < d->size;
        if (down) {
            len = dsa_chunk_down(d->src + remaining, d->dst + remaining,
                                 remaining);
            pos = remaining - len;
            op->res.result = 1;
        } else {
            pos = op->done;
            len = dsa_chunk_up(d->src + pos, d->dst + pos, remaining);
        }
        if (dsa_dma(s, wq, d->src + pos, buf, len, DMA_DIRECTION_TO_DEVICE)) {
            dsa_op_fault(op, d->src + pos, false);
            *finished = true;
            return len;
        }
        if (dsa_dma(s, wq, d->dst + pos, buf, len,
                    DMA_DIRECTION_FROM_DEVICE)) {
            dsa_op_fault(op, d->dst + pos, true);
            *finished = true;
            return len;
        }
        break;

    case DSA_OPCODE_MEMFILL:
        pos = op->done;
        len = dsa_chunk_up(d->dst + pos, d->dst + pos, remaining);
        for (i = 0; i < len; i++) {
            buf[i] = d->src >> (((pos + i) & 7) * 8);
        }
        if (dsa_dma(s, wq, d->dst + pos, buf, len,
                    DMA_DIRECTION_FROM_DEVICE)) {
            dsa_op_fault(op, d->dst + pos, true);
            *finished = true;
            return len;
        }
        break;

    case DSA_OPCODE_COMPARE:
    case DSA_OPCODE_COMPVAL:
        pos = op->done;
        if (d->opcode == DSA_OPCODE_COMPARE) {
            len = dsa_chunk_up(d->src + pos, d->dst + pos, remaining);
        } else {
            len = dsa_chunk_up(d->src + pos, d->src + pos, remaining);
        }
        if (dsa_dma(s, wq, d->src + pos, buf, len, DMA_DIRECTION_TO_DEVICE)) {
            dsa_op_fault(op, d->src + pos, false);
            *finished = true;
            return len;
        }
        if (d->opcode == DSA_OPCODE_COMPARE) {
            if (dsa_dma(s, wq, d->dst + pos, buf2, len,
                        DMA_DIRECTION_TO_DEVICE)) {
                dsa_op_fault(op, d->dst + pos, false);
                *finished = true;
                return len;
            }
        } else {
            for (i = 0; i < len; i++) {
                buf2[i] = d->dst >> (((pos + i) & 7) * 8);
            }
        }
        for (i = 0; i < len; i++) {
            if (buf[i] != buf2[i]) {
                op->res.result = 1;
                op->res.bytes = pos + i;
                *finished = true;
                break;
            }
        }
        break;

    default:
        g_assert_not_reached();
    }

    op->done += len;
    if (op->done == d->size) {
        *finished = true;
    }
    if (*finished) {
        op->res.status = DSA_COMP_SUCCESS;
        if ((d->flags & DSA_FLAG_CR) && op->res.result != d->raw[40]) {
            op->res.status = DSA_COMP_SUCCESS_PRED;
        }
    }
    return len;
}

static bool dsa_status_is_error(uint8_t status)
{
    return status != DSA_COMP_SUCCESS && status != DSA_COMP_SUCCESS_PRED;
}

/*
 * Finish a descriptor: completion record, then completion interrupt,
 * or SWERR when an error has no completion record to go to.
 */
static void dsa_op_complete(IntelDSACore *s, unsigned wq_id, DSAOp *op,
                            bool ims, bool in_batch, uint32_t batch_idx)
{
    DSAWorkQueue *wq = &s->wqs[wq_id];
    DSADesc *d = &op->d;
    DSAResult *r = &op->res;
    bool error = dsa_status_is_error(r->status);
    bool reported = false;
    unsigned idx;
    uint8_t rec[DSA_COMPL_SIZE] = { 0 };

    /*
     * The interrupt handle, the IMS slot's PASID or the MSI-X permission
     * may have changed while the descriptor ran: check them again.
     */
    if (op->irq_ok && !dsa_int_permitted(s, wq, d->int_handle, ims)) {
        trace_intel_dsa_int_denied(wq_id, d->int_handle, ims);
        op->irq_ok = false;
        if (r->status == DSA_COMP_SUCCESS) {
            r->status = DSA_COMP_INT_HANDLE_INVAL;
            error = true;
        }
    }

    trace_intel_dsa_desc_done(wq_id, d->opcode, r->status, r->bytes,
                              in_batch);
    rec[DSA_COMPL_STATUS] = r->status;
    if (r->status == DSA_COMP_PAGE_FAULT_NOBOF && r->fault_write) {
        rec[DSA_COMPL_STATUS] |= DSA_COMP_STATUS_WRITE;
    }
    rec[DSA_COMPL_RESULT] = r->result;
    stl_le_p(rec + DSA_COMPL_BYTES_COMPLETED, r->bytes);
    stq_le_p(rec + DSA_COMPL_FAULT_ADDR, r->fault_addr);
    stl_le_p(rec + DSA_COMPL_INVALID_FLAGS, r->invalid_flags & 0xffffff);

    if ((d->flags & DSA_FLAG_CRAV) && r->status != DSA_COMP_CRA_ALIGN &&
        ((d->flags & DSA_FLAG_RCR) || r->status != DSA_COMP_SUCCESS)) {
        /* The status byte goes last: software polls it. */
        if (dsa_dma(s, wq, d->compl_addr + 1, rec + 1, DSA_COMPL_SIZE - 1,
                    DMA_DIRECTION_FROM_DEVICE) ||
            dsa_dma(s, wq, d->compl_addr, rec, 1,
                    DMA_DIRECTION_FROM_DEVICE)) {
            dsa_swerr(s, DSA_COMP_CRA_XLAT, wq_id, d, wq, in_batch,
                      batch_idx, d->compl_addr, true, 0, rec);
        }
        reported = true;
    }
    if (error && !reported) {
        dsa_swerr(s, r->status, wq_id, d, wq, in_batch, batch_idx,
                  r->fault_addr, r->fault_write, r->invalid_flags, rec);
    }

    if (op->irq_ok && dsa_handle_index(s, d->int_handle, ims, &idx)) {
        if (ims) {
            dsa_ims_notify(s, idx);
        } else if (!(s->msix_perm[idx] & DSA_MSIX_PERM_IGNORE)) {
            dsa_msix_notify(s, idx);
        }
    }
}

/* Start a descriptor.  Returns true if it already finished. */
static bool dsa_op_start(IntelDSACore *s, DSAWorkQueue *wq, DSAOp *op,
                         bool ims, bool in_batch)
{
    if (!dsa_op_validate(s, wq, op, ims, in_batch)) {
        return true;
    }
    switch (op->d.opcode) {
    case DSA_OPCODE_NOOP:
    case DSA_OPCODE_DRAIN:
        /* A WQ runs in order: everything before a drain is done. */
        op->res.status = DSA_COMP_SUCCESS;
        return true;
    default:
        return false;
    }
}

/* Finish the batch itself, after its last element. */
static void dsa_batch_complete(IntelDSACore *s, unsigned wq_id)
{
    DSAExec *x = &s->wqs[wq_id].exec;

    if (x->op.res.status == DSA_COMP_NONE) {
        x->op.res.status = x->batch_failed ? DSA_COMP_BATCH_FAIL
                                           : DSA_COMP_SUCCESS;
    }
    x->op.res.bytes = x->batch_completed;
    dsa_op_complete(s, wq_id, &x->op, x->ims, false, 0);
}

/*
 * One step of a batch: fetch and start the next element, or run a chunk
 * of the current one.  Returns the budget used; *finished when the
 * batch is complete.
 */
static uint64_t dsa_batch_step(IntelDSACore *s, unsigned wq_id,
                               bool *finished)
{
    DSAWorkQueue *wq = &s->wqs[wq_id];
    DSAExec *x = &wq->exec;
    uint8_t raw[DSA_DESC_SIZE];
    uint64_t addr, used = DSA_DESC_COST;
    bool done;

    *finished = false;
    if (!x->sub_active) {
        if (x->batch_next == x->batch_count) {
            dsa_batch_complete(s, wq_id);
            *finished = true;
            return used;
        }
        addr = x->op.d.src + (uint64_t)x->batch_next * DSA_DESC_SIZE;
        if (dsa_dma(s, wq, addr, raw, sizeof(raw), DMA_DIRECTION_TO_DEVICE)) {
            x->op.res.status = DSA_COMP_BATCH_PAGE_FAULT;
            x->op.res.fault_addr = addr;
            dsa_batch_complete(s, wq_id);
            *finished = true;
            return used;
        }
        dsa_desc_parse(&x->sub.d, raw);
        if ((x->sub.d.flags & DSA_FLAG_FENCE) &&
            (x->batch_failed || x->batch_pred_false)) {
            /*
             * A fence after an error or a false predicate abandons the
             * rest of the batch.
             */
            x->batch_next = x->batch_count;
            return used;
        }
        x->sub_active = true;
        done = dsa_op_start(s, wq, &x->sub, x->ims, true);
    } else {
        used = dsa_op_chunk(s, wq, &x->sub, &done);
    }

    if (done) {
        if (dsa_status_is_error(x->sub.res.status)) {
            x->batch_failed = true;
        } else if (x->sub.res.status == DSA_COMP_SUCCESS_PRED) {
            x->batch_pred_false = true;
        }
        dsa_op_complete(s, wq_id, &x->sub, x->ims, true, x->batch_next);
        x->sub_active = false;
        x->batch_next++;
        x->batch_completed++;
    }
    return used;
}

static void dsa_wq_retire(DSAWorkQueue *wq)
{
    wq->exec.active = false;
    wq->exec.sub_active = false;
    wq->retired++;
}

/* One step of a WQ's work.  Returns the budget used. */
static uint64_t dsa_wq_step(IntelDSACore *s, unsigned wq_id)
{
    DSAWorkQueue *wq = &s->wqs[wq_id];
    DSAExec *x = &wq->exec;
    uint64_t used = DSA_DESC_COST;
    bool done;

    if (!x->active) {
        memset(x, 0, sizeof(*x));
        dsa_desc_parse(&x->op.d, wq->ring[wq->head]);
        x->ims = wq->ring_ims[wq->head];
        wq->head = (wq->head + 1) % wq->size;
        wq->count--;
        x->active = true;

        done = dsa_op_start(s, wq, &x->op, x->ims, false);
        if (!done && x->op.d.opcode == DSA_OPCODE_BATCH) {
            x->batch_count = x->op.d.size;
            return used;
        }
        if (done) {
            dsa_op_complete(s, wq_id, &x->op, x->ims, false, 0);
            dsa_wq_retire(wq);
        }
        return used;
    }

    if (x->op.d.opcode == DSA_OPCODE_BATCH) {
        used = dsa_batch_step(s, wq_id, &done);
    } else {
        used = dsa_op_chunk(s, wq, &x->op, &done);
        if (done) {
            dsa_op_complete(s, wq_id, &x->op, x->ims, false, 0);
        }
    }
    if (done) {
        dsa_wq_retire(wq);
    }
    return MAX(used, 1);
}

static bool dsa_wq_busy(DSAWorkQueue *wq)
{
    return wq->count || wq->exec.active;
}

static bool dsa_wq_runnable(IntelDSACore *s, DSAWorkQueue *wq)
{
    return dsa_enabled(s) && wq->enabled && dsa_wq_busy(wq);
}

/* Commands */

static void dsa_cmd_done(IntelDSACore *s, uint8_t err, uint16_t result)
{
    trace_intel_dsa_cmd_done((s->cmd >> DSA_CMD_SHIFT) & DSA_CMD_MASK, err,
                             result);
    s->cmdsts = err | (uint32_t)result << DSA_CMDSTS_RESULT_SHIFT;
    s->pending_cmd = 0;
    if (s->cmd & DSA_CMD_INT_REQ) {
        dsa_misc_irq(s, DSA_INTC_CMD, true);
    }
}

static void dsa_wq_free_ring(DSAWorkQueue *wq)
{
    g_free(wq->ring);
    g_free(wq->ring_ims);
    wq->ring = NULL;
    wq->ring_ims = NULL;
}

/* Drop everything queued or running, without completions. */
static void dsa_wq_abort(DSAWorkQueue *wq)
{
    wq->retired += wq->count + (wq->exec.active ? 1 : 0);
    wq->count = 0;
    wq->head = 0;
    memset(&wq->exec, 0, sizeof(wq->exec));
    wq->asm_next = 0;
}

static void dsa_wq_disable(DSAWorkQueue *wq)
{
    dsa_wq_abort(wq);
    wq->enabled = false;
    wq->disabling = false;
    dsa_wq_free_ring(wq);
}

static void dsa_wq_reset_config(DSAWorkQueue *wq)
{
    dsa_wq_disable(wq);
    memset(wq->cfg, 0, sizeof(wq->cfg));
}

static bool dsa_wq_has_pasid(DSAWorkQueue *wq, uint32_t pasid)
{
    return wq->enabled && wq->pasid_en && wq->pasid == pasid;
}

/* Are the drains the pending command waits for done? */
static bool dsa_drained(IntelDSACore *s)
{
    unsigned i;

    for (i = 0; i < s->num_wqs; i++) {
        DSAWorkQueue *wq = &s->wqs[i];

        if (wq->enabled && wq->retired < wq->drain_target) {
            return false;
        }
    }
    return true;
}

static void dsa_finish_pending_cmd(IntelDSACore *s)
{
    unsigned i;

    if (!s->pending_cmd || !dsa_drained(s)) {
        return;
    }
    switch (s->pending_cmd) {
    case DSA_CMD_DISABLE_DEVICE:
        for (i = 0; i < s->num_wqs; i++) {
            dsa_wq_disable(&s->wqs[i]);
        }
        s->gensts = DSA_STATE_DISABLED;
        break;
    case DSA_CMD_DISABLE_WQ:
        for (i = 0; i < s->num_wqs; i++) {
            if (s->wqs[i].disabling) {
                dsa_wq_disable(&s->wqs[i]);
            }
        }
        break;
    }
    dsa_cmd_done(s, DSA_CMDSTS_SUCCESS, 0);
}

/* Make a command wait until the WQs in @wqs ran what they hold now. */
static void dsa_cmd_wait_drain(IntelDSACore *s, unsigned cmd, uint64_t wqs)
{
    unsigned i;

    for (i = 0; i < s->num_wqs; i++) {
        DSAWorkQueue *wq = &s->wqs[i];

        wq->drain_target = (wqs & (1ULL << i)) ? wq->submitted : 0;
    }
    trace_intel_dsa_cmd_wait(cmd, wqs);
    s->pending_cmd = cmd;
    dsa_finish_pending_cmd(s);
}

static uint64_t dsa_all_wqs(IntelDSACore *s)
{
    return s->num_wqs == 64 ? UINT64_MAX : (1ULL << s->num_wqs) - 1;
}

static uint8_t dsa_check_config(IntelDSACore *s)
{
    uint64_t wq_seen = 0, eng_seen = 0, wqs, engines;
    uint32_t total = 0;
    unsigned g, i;

    for (i = 0; i < s->num_wqs; i++) {
        total += s->wqs[i].cfg[0] & 0xffff;
    }
    if (total > s->total_wq_size) {
        return DSA_CMDSTS_ERR_WQ_SIZE_ERANGE;
    }
    for (g = 0; g < s->num_groups; g++) {
        wqs = s->grpcfg[g][DSA_GRPCFG_WQS / 8];
        engines = s->grpcfg[g][DSA_GRPCFG_ENGINES / 8];
        if (wqs & wq_seen) {
            return DSA_CMDSTS_ERR_GRP_CONFIG;
        }
        if (engines & eng_seen) {
            return DSA_CMDSTS_ERR_GRP_CONFIG2;
        }
        if (wqs && !engines) {
            return DSA_CMDSTS_ERR_GRP_CONFIG3;
        }
        wq_seen |= wqs;
        eng_seen |= engines;
    }
    return DSA_CMDSTS_SUCCESS;
}

static uint8_t dsa_cmd_enable_device(IntelDSACore *s)
{
    uint8_t err;
    unsigned g, i;

    if (dsa_enabled(s)) {
        return DSA_CMDSTS_ERR_DEV_ENABLED;
    }
    if (!dsa_bus_master(s)) {
        return DSA_CMDSTS_ERR_BUSMASTER_EN;
    }
    err = dsa_check_config(s);
    if (err) {
        return err;
    }
    if ((s->gencfg & DSA_GENCFG_EVL_EN) &&
        (s->evlcfg[1] & DSA_EVLCFG_SIZE_MASK) < DSA_EVL_SIZE_MIN) {
        return DSA_CMDSTS_ERR_CONFIG;
    }
    s->evl_head = 0;
    s->evl_tail = 0;
    s->evl_int_pending = false;
    for (i = 0; i < s->num_wqs; i++) {
        s->wqs[i].group = -1;
        for (g = 0; g < s->num_groups; g++) {
            if (s->grpcfg[g][DSA_GRPCFG_WQS / 8] & (1ULL << i)) {
                s->wqs[i].group = g;
            }
        }
    }
    s->gensts = DSA_STATE_ENABLED;
    return DSA_CMDSTS_SUCCESS;
}

static uint8_t dsa_cmd_enable_wq(IntelDSACore *s, uint32_t operand)
{
    PCIDevice *pdev = s->owner;
    DSAWorkQueue *wq;
    uint32_t size, total = 0, xfer, batch;
    unsigned i;

    if (operand >= s->num_wqs) {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: ENABLE_WQ of WQ %u, "
                      "which does not exist\n", operand);
        return DSA_CMDSTS_INVAL_WQIDX;
    }
    if (!dsa_enabled(s)) {
        return DSA_CMDSTS_ERR_DEV_NOTEN;
    }
    wq = &s->wqs[operand];
    if (wq->enabled) {
        return DSA_CMDSTS_ERR_WQ_ENABLED;
    }
    size = wq->cfg[0] & 0xffff;
    for (i = 0; i < s->num_wqs; i++) {
        if (s->wqs[i].enabled) {
            total += s->wqs[i].size;
        }
    }
    if (size == 0 || total + size > s->total_wq_size) {
        return DSA_CMDSTS_ERR_WQ_SIZE;
    }
    if (!(wq->cfg[2] & DSA_WQCFG_MODE_DEDICATED)) {
        /* Shared WQs need ENQCMD(S): not supported. */
        return DSA_CMDSTS_ERR_WQ_MODE;
    }
    if (wq->cfg[2] & DSA_WQCFG_BOF) {
        return DSA_CMDSTS_ERR_BOF_EN;
    }
    if ((wq->cfg[2] & DSA_WQCFG_PASID_EN) &&
        (!(dsa_pasid_ctrl(s) & PCI_PASID_CTRL_ENABLE) ||
         ((wq->cfg[2] & DSA_WQCFG_PRIV) &&
          !(dsa_pasid_ctrl(s) & PCI_PASID_CTRL_PRIV)))) {
        return DSA_CMDSTS_ERR_PASID_EN;
    }
    batch = (wq->cfg[3] >> DSA_WQCFG_MAX_BATCH_SHIFT) & 0xf;
    if (batch > DSA_MAX_BATCH_SHIFT) {
        return DSA_CMDSTS_ERR_MAX_BATCH_SIZE;
    }
    xfer = wq->cfg[3] & DSA_WQCFG_MAX_XFER_MASK;
    if (xfer > DSA_MAX_XFER_SHIFT) {
        return DSA_CMDSTS_ERR_MAX_XFER_SIZE;
    }
    if (wq->group < 0) {
        return DSA_CMDSTS_ERR_CONFIG;
    }

    wq->size = size;
    wq->pasid_en = wq->cfg[2] & DSA_WQCFG_PASID_EN;
    wq->pasid = (wq->cfg[2] >> DSA_WQCFG_PASID_SHIFT) & DSA_DESC_PASID_MASK;
    wq->priv = !wq->pasid_en || (wq->cfg[2] & DSA_WQCFG_PRIV);
    wq->max_xfer = 1ULL << xfer;
    wq->max_batch = 1u << batch;
    wq->as = NULL;
    if (wq->pasid_en) {
        wq->as = pci_device_iommu_pasid_address_space(pdev, wq->pasid);
    }
    if (wq->pasid_en && !wq->as) {
        trace_intel_dsa_wq_no_pasid_as(operand, wq->pasid);
    }
    if (!wq->as) {
        /*
         * No PASID, or an IOMMU without per-PASID address spaces:
         * the requester ID's address space.
         */
        wq->as = pci_get_address_space(pdev);
    }
    wq->ring = g_malloc0(size * DSA_DESC_SIZE);
    wq->ring_ims = g_new0(bool, size);
    wq->head = 0;
    wq->count = 0;
    wq->asm_next = 0;
    memset(&wq->exec, 0, sizeof(wq->exec));
    wq->enabled = true;
    wq->disabling = false;
    return DSA_CMDSTS_SUCCESS;
}

/* The WQs named by a WQ bitmap operand: bits 15:0 of set 19:16. */
static uint8_t dsa_wq_operand(IntelDSACore *s, uint32_t operand,
                              uint64_t *wqs)
{
    unsigned set = operand >> 16, i, id;

    *wqs = 0;
    for (i = 0; i < 16; i++) {
        if (!(operand & (1u << i))) {
            continue;
        }
        id = set * 16 + i;
        if (id >= s->num_wqs) {
            qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: WQ operand 0x%x "
                          "names WQ %u, which does not exist\n", operand, id);
            return DSA_CMDSTS_INVAL_WQIDX;
        }
        *wqs |= 1ULL << id;
    }
    return DSA_CMDSTS_SUCCESS;
}

static uint8_t dsa_cmd_int_handle(IntelDSACore *s, unsigned cmd,
                                  uint32_t operand, uint16_t *result)
{
    bool ims = operand & DSA_CMD_INT_HANDLE_IMS;
    unsigned idx = operand & 0xffff;
    unsigned long *map = ims ? s->ims_handles : s->msix_handles;
    unsigned n = ims ? s->num_ims : s->num_msix;

    /*
     * REQUEST_INT_HANDLE's operand is a table index, RELEASE_INT_HANDLE's
     * a handle: the index with the FLR epoch above it.
     */
    if (cmd == DSA_CMD_REQUEST_INT_HANDLE) {
        if (idx >= n) {
            qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: REQUEST_INT_HANDLE "
                          "of %s entry %u, which does not exist\n",
                          ims ? "IMS" : "MSI-X", idx);
            return DSA_CMDSTS_ERR_INVAL_INT_IDX;
        }
        if (ims && s->refuse_ims_handles) {
            return DSA_CMDSTS_ERR_NO_HANDLE;
        }
        set_bit(idx, map);
        *result = dsa_handle_make(s, idx, ims);
        trace_intel_dsa_int_handle_grant(ims, idx, *result);
    } else {
        if (!dsa_handle_index(s, operand & 0xffff, ims, &idx) ||
            !test_bit(idx, map)) {
            qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: RELEASE_INT_HANDLE "
                          "of %s handle 0x%x, which is not granted\n",
                          ims ? "IMS" : "MSI-X", operand & 0xffff);
            return DSA_CMDSTS_ERR_INVAL_INT_IDX;
        }
        clear_bit(idx, map);
        trace_intel_dsa_int_handle_release(ims, idx, operand & 0xffff);
    }
    return DSA_CMDSTS_SUCCESS;
}

static void dsa_soft_reset(IntelDSACore *s)
{
    unsigned i;

    trace_intel_dsa_int_handles_revoked(
        bitmap_count_one(s->msix_handles, s->num_msix),
        bitmap_count_one(s->ims_handles, s->num_ims));
    qemu_bh_cancel(s->bh);
    timer_del(s->delay_timer);
    s->next_step_ns = 0;
    for (i = 0; i < s->num_wqs; i++) {
        dsa_wq_reset_config(&s->wqs[i]);
        s->wqs[i].group = -1;
    }
    memset(s->grpcfg, 0, s->num_groups * DSA_GRPCFG_SIZE);
    memset(s->msix_perm, 0, s->num_msix * sizeof(uint32_t));
    bitmap_zero(s->msix_handles, s->num_msix);
    bitmap_zero(s->ims_handles, s->num_ims);
    s->refuse_ims_handles = false;
    memset(s->swerr, 0, sizeof(s->swerr));
    memset(s->evlcfg, 0, sizeof(s->evlcfg));
    s->evl_head = 0;
    s->evl_tail = 0;
    s->evl_int_pending = false;
    s->gencfg = 0;
    s->genctrl = 0;
    s->gensts = DSA_STATE_DISABLED;
    s->intcause = 0;
    s->pending_cmd = 0;
}

static void dsa_cmd_write(IntelDSACore *s, uint32_t val)
{
    unsigned cmd = (val >> DSA_CMD_SHIFT) & DSA_CMD_MASK;
    uint32_t operand = val & DSA_CMD_OPERAND_MASK;
    uint16_t result = 0;
    uint64_t wqs = 0;
    uint8_t err = DSA_CMDSTS_SUCCESS;
    unsigned i;

    if (s->cmdsts & DSA_CMDSTS_ACTIVE) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "intel-dsa: command 0x%x while one is active\n", cmd);
        return;
    }
    trace_intel_dsa_cmd(cmd, operand, !!(val & DSA_CMD_INT_REQ));
    if (val & ~(DSA_CMD_INT_REQ | DSA_CMD_MASK << DSA_CMD_SHIFT |
                DSA_CMD_OPERAND_MASK)) {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: CMD 0x%x sets reserved "
                      "bits\n", val);
    }
    s->cmd = val;
    s->cmdsts = DSA_CMDSTS_ACTIVE;

    switch (cmd) {
    case DSA_CMD_ENABLE_DEVICE:
        err = dsa_cmd_enable_device(s);
        break;

    case DSA_CMD_DISABLE_DEVICE:
        if (!dsa_enabled(s)) {
            err = DSA_CMDSTS_ERR_DIS_DEV_EN;
            break;
        }
        for (i = 0; i < s->num_wqs; i++) {
            s->wqs[i].disabling = s->wqs[i].enabled;
        }
        dsa_cmd_wait_drain(s, cmd, dsa_all_wqs(s));
        return;

    case DSA_CMD_DRAIN_ALL:
    case DSA_CMD_ABORT_ALL:
    case DSA_CMD_DRAIN_PASID:
    case DSA_CMD_ABORT_PASID:
        if (!dsa_enabled(s)) {
            err = DSA_CMDSTS_ERR_DEV_NOT_EN;
            break;
        }
        for (i = 0; i < s->num_wqs; i++) {
            if (cmd == DSA_CMD_DRAIN_ALL || cmd == DSA_CMD_ABORT_ALL ||
                dsa_wq_has_pasid(&s->wqs[i], operand)) {
                wqs |= 1ULL << i;
            }
        }
        if (cmd == DSA_CMD_DRAIN_ALL || cmd == DSA_CMD_DRAIN_PASID) {
            dsa_cmd_wait_drain(s, cmd, wqs);
            return;
        }
        for (i = 0; i < s->num_wqs; i++) {
            if (wqs & (1ULL << i)) {
                dsa_wq_abort(&s->wqs[i]);
            }
        }
        break;

    case DSA_CMD_RESET_DEVICE:
        dsa_soft_reset(s);
        break;

    case DSA_CMD_ENABLE_WQ:
        err = dsa_cmd_enable_wq(s, operand);
        break;

    case DSA_CMD_DISABLE_WQ:
    case DSA_CMD_DRAIN_WQ:
    case DSA_CMD_ABORT_WQ:
    case DSA_CMD_RESET_WQ:
        err = dsa_wq_operand(s, operand, &wqs);
        if (err) {
            break;
        }
        if (!dsa_enabled(s)) {
            err = DSA_CMDSTS_ERR_DEV_NOT_EN;
            break;
        }
        if (cmd == DSA_CMD_DISABLE_WQ) {
            for (i = 0; i < s->num_wqs; i++) {
                s->wqs[i].disabling = (wqs & (1ULL << i)) &&
                                      s->wqs[i].enabled;
            }
        }
        if (cmd == DSA_CMD_DISABLE_WQ || cmd == DSA_CMD_DRAIN_WQ) {
            dsa_cmd_wait_drain(s, cmd, wqs);
            return;
        }
        for (i = 0; i < s->num_wqs; i++) {
            if (!(wqs & (1ULL << i))) {
                continue;
            }
            if (cmd == DSA_CMD_ABORT_WQ) {
                dsa_wq_abort(&s->wqs[i]);
            } else {
                dsa_wq_reset_config(&s->wqs[i]);
            }
        }
        break;

    case DSA_CMD_REQUEST_INT_HANDLE:
    case DSA_CMD_RELEASE_INT_HANDLE:
        if (!s->int_handles) {
            qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: command %u, which "
                          "CMDCAP does not offer\n", cmd);
            err = DSA_CMDSTS_INVAL_CMD;
            break;
        }
        err = dsa_cmd_int_handle(s, cmd, operand, &result);
        break;

    default:
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: unknown command %u\n",
                      cmd);
        err = DSA_CMDSTS_INVAL_CMD;
        break;
    }
    dsa_cmd_done(s, err, result);
}

/* The engine */

static bool dsa_any_runnable(IntelDSACore *s)
{
    unsigned i;

    for (i = 0; i < s->num_wqs; i++) {
        if (dsa_wq_runnable(s, &s->wqs[i])) {
            return true;
        }
    }
    return false;
}

/*
 * The engine slowed down for tests (x-desc-delay-us): one step, of the
 * next WQ in turn that has work, per delay of virtual time.
 */
static void dsa_engine_slow(IntelDSACore *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    unsigned i, id;

    if (now < s->next_step_ns) {
        timer_mod(s->delay_timer, s->next_step_ns);
        return;
    }
    for (i = 0; i < s->num_wqs; i++) {
        id = (s->rr + i) % s->num_wqs;
        if (dsa_wq_runnable(s, &s->wqs[id])) {
            dsa_wq_step(s, id);
            s->rr = (id + 1) % s->num_wqs;
            s->next_step_ns = now + (int64_t)s->desc_delay_us * SCALE_US;
            break;
        }
    }
    dsa_finish_pending_cmd(s);
    if (dsa_any_runnable(s)) {
        timer_mod(s->delay_timer, s->next_step_ns);
    }
}

/* The step runs in the timer, at its time: a chain of steps is timed. */
static void dsa_delay_timer(void *opaque)
{
    dsa_engine_slow(opaque);
}

static void dsa_engine_bh(void *opaque)
{
    IntelDSACore *s = opaque;
    int64_t budget = DSA_STEP_BUDGET;
    bool progress = true;
    unsigned i, id;

    if (s->desc_delay_us) {
        dsa_engine_slow(s);
        return;
    }
    while (budget > 0 && progress) {
        progress = false;
        for (i = 0; i < s->num_wqs && budget > 0; i++) {
            id = (s->rr + i) % s->num_wqs;
            if (dsa_wq_runnable(s, &s->wqs[id])) {
                budget -= dsa_wq_step(s, id);
                progress = true;
            }
        }
        s->rr = (s->rr + 1) % s->num_wqs;
    }

    dsa_finish_pending_cmd(s);

    if (dsa_any_runnable(s)) {
        qemu_bh_schedule(s->bh);
    }
}

/* Portals */

static void dsa_submit(IntelDSACore *s, unsigned wq_id, bool ims,
                       const uint8_t *desc)
{
    DSAWorkQueue *wq = &s->wqs[wq_id];
    DSADesc d;
    uint32_t tail;

    if (!dsa_enabled(s) || !wq->enabled || wq->disabling) {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: descriptor to WQ %u, "
                      "which is not enabled\n", wq_id);
        dsa_desc_parse(&d, desc);
        dsa_swerr(s, DSA_SWERR_WQ_NOT_ENABLED, wq_id, &d, NULL, false, 0,
                  0, false, 0, NULL);
        return;
    }
    if (wq->count == wq->size) {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: descriptor to WQ %u, "
                      "which is full\n", wq_id);
        dsa_desc_parse(&d, desc);
        dsa_swerr(s, DSA_SWERR_WQ_FULL, wq_id, &d, wq, false, 0, 0, false, 0,
                  NULL);
        return;
    }
    tail = (wq->head + wq->count) % wq->size;
    memcpy(wq->ring[tail], desc, DSA_DESC_SIZE);
    wq->ring_ims[tail] = ims;
    wq->count++;
    wq->submitted++;
    trace_intel_dsa_desc_submit(wq_id, ims, wq->count);
    qemu_bh_schedule(s->bh);
}

/* A portal write that is not a piece of a whole 64-byte direct store. */
static void dsa_portal_partial(IntelDSACore *s, hwaddr addr, unsigned size,
                               bool direct)
{
    s->portal_partial_writes++;
    trace_intel_dsa_portal_partial_write(addr, size, direct);
}

MemTxResult intel_dsa_core_portal_write(IntelDSACore *s, hwaddr addr,
                                        uint64_t val, unsigned size,
                                        MemTxAttrs attrs)
{
    unsigned wq_id = addr / (DSA_PORTAL_SIZE * DSA_PORTALS_PER_WQ);
    unsigned page = (addr / DSA_PORTAL_SIZE) % DSA_PORTALS_PER_WQ;
    unsigned idx = (addr % DSA_DESC_SIZE) / 8;
    hwaddr slot = addr & ~(hwaddr)(DSA_DESC_SIZE - 1);
    DSAWorkQueue *wq;

    if (wq_id >= s->num_wqs) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "intel-dsa: write to a missing portal 0x%"
                      HWADDR_PRIx "\n", addr);
        dsa_portal_partial(s, addr, size, attrs.direct_store);
        return MEMTX_OK;
    }
    wq = &s->wqs[wq_id];

    if (idx == 0) {
        wq->asm_addr = slot;
        wq->asm_next = 0;
        wq->asm_direct = attrs.direct_store;
    } else if (wq->asm_addr != slot || wq->asm_next != idx) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "intel-dsa: partial 64-byte portal write at 0x%"
                      HWADDR_PRIx ", dropped\n", addr);
        wq->asm_next = 0;
        dsa_portal_partial(s, addr, size, attrs.direct_store);
        return MEMTX_OK;
    }
    if (!attrs.direct_store) {
        wq->asm_direct = false;
        dsa_portal_partial(s, addr, size, false);
    }
    stq_le_p(wq->asm_buf + idx * 8, val);
    wq->asm_next = idx + 1;
    if (wq->asm_next == DSA_DESC_SIZE / 8) {
        wq->asm_next = 0;
        if (wq->asm_direct) {
            s->portal_whole_stores++;
            trace_intel_dsa_portal_whole_store(wq_id, slot);
        }
        dsa_submit(s, wq_id, page >= DSA_PORTAL_IMS, wq->asm_buf);
    }
    return MEMTX_OK;
}

/* Registers */

static uint64_t dsa_gencap(IntelDSACore *s)
{
    return DSA_GENCAP_OVERLAP_COPY | DSA_GENCAP_CACHE_CTRL_MEM |
           DSA_GENCAP_CMD_CAP |
           (uint64_t)DSA_MAX_XFER_SHIFT << DSA_GENCAP_MAX_XFER_SHIFT |
           (uint64_t)DSA_MAX_BATCH_SHIFT << DSA_GENCAP_MAX_BATCH_SHIFT |
           (uint64_t)(s->num_ims / 256) << DSA_GENCAP_MAX_IMS_MULT_SHIFT |
           (uint64_t)(s->evl ? 1 : 0) << DSA_GENCAP_EVL_SUPPORT_SHIFT |
           DSA_GENCAP_CONFIG_EN;
}

static uint64_t dsa_wqcap(IntelDSACore *s)
{
    return s->total_wq_size |
           (uint64_t)s->num_wqs << DSA_WQCAP_NUM_WQS_SHIFT |
           DSA_WQCAP_DEDICATED_MODE | DSA_WQCAP_PRIORITY |
           DSA_WQCAP_OCCUPANCY;
}

static uint64_t dsa_table_offset(IntelDSACore *s)
{
    return (uint64_t)(s->grpcfg_off / DSA_TABLE_MULT)
               << DSA_TABLE_GRPCFG_SHIFT |
           (uint64_t)(s->wqcfg_off / DSA_TABLE_MULT)
               << DSA_TABLE_WQCFG_SHIFT |
           (uint64_t)(s->msix_perm_off / DSA_TABLE_MULT)
               << DSA_TABLE_MSIX_PERM_SHIFT |
           (uint64_t)(s->num_ims ? s->ims_off / DSA_TABLE_MULT : 0)
               << DSA_TABLE_IMS_SHIFT;
}

/* A write that sets reserved bits or tries to change read-only ones. */
static void dsa_bad_write(hwaddr addr, uint32_t val, uint32_t bad,
                          const char *why)
{
    if (bad) {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: write of 0x%x to 0x%"
                      HWADDR_PRIx ": %s (0x%x)\n", val, addr, why, bad);
    }
}

/* A qword of the capability and control block, 0x00-0xff. */
static uint64_t dsa_ctrl_read64(IntelDSACore *s, hwaddr addr)
{
    switch (addr) {
    case DSA_REG_VERSION:
        return DSA_VERSION;
    case DSA_REG_GENCAP:
        return dsa_gencap(s);
    case DSA_REG_WQCAP:
        return dsa_wqcap(s);
    case DSA_REG_GRPCAP:
        return s->num_groups |
               (uint64_t)DSA_TOTAL_RDBUFS << DSA_GRPCAP_TOTAL_RDBUFS_SHIFT;
    case DSA_REG_ENGCAP:
        return s->num_engines;
    case DSA_REG_OPCAP:
        return DSA_OPCAP_MASK;
    case DSA_REG_TABLE_OFFSET:
        return dsa_table_offset(s);
    case DSA_REG_GENCFG:
        return s->gencfg;
    case DSA_REG_GENCTRL:
        return s->genctrl;
    case DSA_REG_GENSTS:
        return s->gensts;
    case DSA_REG_INTCAUSE:
        return s->intcause;
    case DSA_REG_CMD:
        return s->cmd;
    case DSA_REG_CMDSTS:
        return s->cmdsts;
    case DSA_REG_CMDCAP:
        return s->int_handles ? DSA_CMDCAP_MASK :
               DSA_CMDCAP_MASK & ~(BIT(DSA_CMD_REQUEST_INT_HANDLE) |
                                   BIT(DSA_CMD_RELEASE_INT_HANDLE));
    case DSA_REG_SWERR ... DSA_REG_SWERR + 0x18:
        return s->swerr[(addr - DSA_REG_SWERR) / 8];
    case DSA_REG_EVLCFG ... DSA_REG_EVLCFG + 8:
        return s->evl ? s->evlcfg[(addr - DSA_REG_EVLCFG) / 8] : 0;
    case DSA_REG_EVLSTATUS:
        return s->evl_head |
               (uint64_t)s->evl_tail << DSA_EVLSTATUS_TAIL_SHIFT |
               (s->evl_int_pending ? DSA_EVLSTATUS_INT_PENDING : 0);
    default:
        return 0;
    }
}

static uint32_t dsa_wqcfg_read(IntelDSACore *s, unsigned wq_id, unsigned dw)
{
    DSAWorkQueue *wq = &s->wqs[wq_id];

    if (dw == 6) {
        return wq->count |
               (uint32_t)(wq->enabled ? DSA_WQ_STATE_ENABLED
                                      : DSA_WQ_STATE_DISABLED)
                   << DSA_WQCFG_STATE_SHIFT;
    }
    return wq->cfg[dw];
}

static uint32_t dsa_reg_read32(IntelDSACore *s, hwaddr addr)
{
    uint64_t q;
    hwaddr off;

    if (addr < 0x100) {
        q = dsa_ctrl_read64(s, addr & ~(hwaddr)7);
        return addr & 4 ? q >> 32 : q;
    }
    if (addr >= s->msix_perm_off && addr < s->msix_perm_off + s->num_msix * 8) {
        off = addr - s->msix_perm_off;
        return off & 4 ? 0 : s->msix_perm[off / 8];
    }
    if (addr >= s->grpcfg_off &&
        addr < s->grpcfg_off + s->num_groups * DSA_GRPCFG_SIZE) {
        off = addr - s->grpcfg_off;
        q = s->grpcfg[off / DSA_GRPCFG_SIZE][(off % DSA_GRPCFG_SIZE) / 8];
        return off & 4 ? q >> 32 : q;
    }
    if (addr >= s->wqcfg_off &&
        addr < s->wqcfg_off + s->num_wqs * DSA_WQCFG_SIZE) {
        off = addr - s->wqcfg_off;
        return dsa_wqcfg_read(s, off / DSA_WQCFG_SIZE,
                              (off % DSA_WQCFG_SIZE) / 4);
    }
    qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: read of 0x%" HWADDR_PRIx
                  ", which is no register\n", addr);
    return 0;
}

uint32_t intel_dsa_core_reg_read(IntelDSACore *s, hwaddr addr)
{
    uint32_t val = dsa_reg_read32(s, addr);

    trace_intel_dsa_reg_read(addr, val);
    return val;
}

static void dsa_grpcfg_write(IntelDSACore *s, hwaddr off, uint32_t val)
{
    unsigned g = off / DSA_GRPCFG_SIZE, qw = (off % DSA_GRPCFG_SIZE) / 8;
    uint64_t wmask, *q = &s->grpcfg[g][qw];
    uint32_t cur = off & 4 ? *q >> 32 : *q;
    hwaddr addr = s->grpcfg_off + off;

    if (dsa_enabled(s)) {
        /* Read-only while the device is enabled. */
        dsa_bad_write(addr, val, val ^ cur,
                      "GRPCFG is read-only while the device is enabled");
        return;
    }
    switch (qw) {
    case DSA_GRPCFG_WQS / 8:
        wmask = s->num_wqs == 64 ? UINT64_MAX : (1ULL << s->num_wqs) - 1;
        break;
    case DSA_GRPCFG_ENGINES / 8:
        wmask = s->num_engines == 64 ? UINT64_MAX
                                     : (1ULL << s->num_engines) - 1;
        break;
    case DSA_GRPCFG_FLAGS / 8:
        wmask = DSA_GRPFLAGS_WMASK;
        break;
    default:
        /* WQ bitmap qwords beyond 64 WQs, reserved qwords */
        dsa_bad_write(addr, val, val, "reserved bits");
        return;
    }
    dsa_bad_write(addr, val, val & ~(uint32_t)(off & 4 ? wmask >> 32 : wmask),
                  "reserved bits");
    if (off & 4) {
        wmask &= 0xffffffff00000000ULL;
        *q = (*q & ~wmask) | (((uint64_t)val << 32) & wmask);
    } else {
        wmask &= 0xffffffffULL;
        *q = (*q & ~wmask) | (val & wmask);
    }
}

static void dsa_wqcfg_write(IntelDSACore *s, hwaddr off, uint32_t val)
{
    DSAWorkQueue *wq = &s->wqs[off / DSA_WQCFG_SIZE];
    unsigned dw = (off % DSA_WQCFG_SIZE) / 4;
    uint32_t cur = dsa_wqcfg_read(s, off / DSA_WQCFG_SIZE, dw);
    hwaddr addr = s->wqcfg_off + off;

    if (dw == 6) {
        /*
         * Occupancy and state, read-only.  Software writes back what it
         * read, maybe long ago: Linux's idxd ORs WQCFG into its copy.
         */
        return;
    }
    if (wq->enabled) {
        /* Read-only while the WQ is enabled. */
        dsa_bad_write(addr, val, val ^ cur,
                      "WQCFG is read-only while the WQ is enabled");
        return;
    }
    dsa_bad_write(addr, val, (val ^ cur) & ~dsa_wqcfg_wmask[dw],
                  "read-only or reserved bits");
    wq->cfg[dw] = (wq->cfg[dw] & ~dsa_wqcfg_wmask[dw]) |
                  (val & dsa_wqcfg_wmask[dw]);
}

static void dsa_evlcfg_write(IntelDSACore *s, hwaddr off, uint32_t val)
{
    static const uint64_t wmask[2] = {
        DSA_EVLCFG_BASE_MASK | DSA_EVLCFG_PASID_EN | DSA_EVLCFG_PRIV,
        DSA_EVLCFG_SIZE_MASK |
            (uint64_t)DSA_DESC_PASID_MASK << DSA_EVLCFG_PASID_SHIFT,
    };
    uint64_t *q = &s->evlcfg[off / 8], m = wmask[off / 8];

    dsa_bad_write(DSA_REG_EVLCFG + off, val,
                  val & ~(uint32_t)(off & 4 ? m >> 32 : m), "reserved bits");
    if (off & 4) {
        m &= 0xffffffff00000000ULL;
        *q = (*q & ~m) | (((uint64_t)val << 32) & m);
    } else {
        m &= 0xffffffffULL;
        *q = (*q & ~m) | (val & m);
    }
}

/*
 * x-test-events: what a device may do at any time, on a test's request.
 * Revoking the handles makes every handle granted so far name nothing,
 * as a function level reset does, and tells software through
 * INTCAUSE.INT_HANDLE_REVOKED.
 */
static void dsa_test_events(IntelDSACore *s, uint32_t val)
{
    dsa_bad_write(DSA_REG_TEST_EVENTS, val,
                  val & ~(DSA_TEST_EV_REVOKE_HANDLES |
                          DSA_TEST_EV_REFUSE_IMS_HANDLES), "reserved bits");
    if (val & DSA_TEST_EV_REFUSE_IMS_HANDLES) {
        s->refuse_ims_handles = true;
    }
    if ((val & DSA_TEST_EV_REVOKE_HANDLES) && s->int_handles) {
        s->flr_epoch++;
        bitmap_zero(s->msix_handles, s->num_msix);
        bitmap_zero(s->ims_handles, s->num_ims);
        trace_intel_dsa_flr(s->flr_epoch);
        dsa_misc_irq(s, DSA_INTC_INT_HANDLE_REVOKED, true);
    }
}

static void dsa_reg_write32(IntelDSACore *s, hwaddr addr, uint32_t val)
{
    uint32_t wmask, size;
    uint64_t q;
    hwaddr off;

    switch (addr) {
    case DSA_REG_GENCFG:
        wmask = DSA_GENCFG_USER_INT_EN | (s->evl ? DSA_GENCFG_EVL_EN : 0);
        dsa_bad_write(addr, val, val & ~(wmask | DSA_GENCFG_RDBUF_LIMIT_MASK),
                      "reserved bits");
        if (!dsa_enabled(s)) {
            s->gencfg = val & wmask;
        } else {
            dsa_bad_write(addr, val, (val & wmask) ^ s->gencfg,
                          "GENCFG is read-only while the device is enabled");
        }
        return;
    case DSA_REG_GENCTRL:
        wmask = DSA_GENCTRL_SOFTERR_INT_EN | DSA_GENCTRL_HALT_INT_EN |
                (s->evl ? DSA_GENCTRL_EVL_INT_EN : 0);
        dsa_bad_write(addr, val, val & ~wmask, "reserved bits");
        s->genctrl = val & wmask;
        return;
    case DSA_REG_EVLCFG:
    case DSA_REG_EVLCFG + 4:
    case DSA_REG_EVLCFG + 8:
    case DSA_REG_EVLCFG + 12:
        off = addr - DSA_REG_EVLCFG;
        q = s->evlcfg[off / 8];
        if (!s->evl) {
            dsa_bad_write(addr, val, val, "there is no event log");
        } else if (dsa_enabled(s)) {
            dsa_bad_write(addr, val, val ^ (uint32_t)(off & 4 ? q >> 32 : q),
                          "EVLCFG is read-only while the device is enabled");
        } else {
            dsa_evlcfg_write(s, off, val);
        }
        return;
    case DSA_REG_EVLSTATUS:
        if (s->evl) {
            /* The head, as far as software has read the log */
            size = MAX(s->evlcfg[1] & DSA_EVLCFG_SIZE_MASK, 1);
            dsa_bad_write(addr, val, val & 0xffff0000, "reserved bits");
            if ((val & 0xffff) >= size) {
                qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: event log head "
                              "%u beyond its size %u\n", val & 0xffff, size);
            }
            s->evl_head = (val & 0xffff) % size;
        } else {
            dsa_bad_write(addr, val, val, "there is no event log");
        }
        return;
    case DSA_REG_EVLSTATUS + 4:
        /* The tail is read-only: software writes back what it read. */
        wmask = DSA_EVLSTATUS_INT_PENDING >> 32;
        dsa_bad_write(addr, val, val & ~(wmask | 0xffff), "reserved bits");
        if (val & wmask) {
            s->evl_int_pending = false;
        }
        return;
    case DSA_REG_INTCAUSE:
        dsa_bad_write(addr, val, val & ~(DSA_INTC_ERR | DSA_INTC_CMD |
                                         DSA_INTC_OCCUPY |
                                         DSA_INTC_PERFMON_OVFL |
                                         DSA_INTC_HALT_STATE | DSA_INTC_EVL |
                                         DSA_INTC_INT_HANDLE_REVOKED),
                      "reserved bits");
        s->intcause &= ~val;
        return;
    case DSA_REG_CMD:
        dsa_cmd_write(s, val);
        return;
    case DSA_REG_SWERR:
        if (val & DSA_SWERR_VALID) {
            memset(s->swerr, 0, sizeof(s->swerr));
        } else if (val & DSA_SWERR_OVERFLOW) {
            s->swerr[0] &= ~DSA_SWERR_OVERFLOW;
        }
        return;
    case DSA_REG_TEST_EVENTS:
        if (s->test_events) {
            dsa_test_events(s, val);
            return;
        }
        break;
    }

    if (addr < 0x100) {
        q = dsa_ctrl_read64(s, addr & ~(hwaddr)7);
        dsa_bad_write(addr, val, val ^ (uint32_t)(addr & 4 ? q >> 32 : q),
                      "read-only register");
        return;
    }
    if (addr >= s->msix_perm_off && addr < s->msix_perm_off + s->num_msix * 8) {
        off = addr - s->msix_perm_off;
        wmask = DSA_MSIX_PERM_IGNORE | DSA_MSIX_PERM_PASID_EN | 0xfffff000u;
        if (!(off & 4)) {
            dsa_bad_write(addr, val, val & ~wmask, "reserved bits");
            s->msix_perm[off / 8] = val & wmask;
        } else {
            dsa_bad_write(addr, val, val, "reserved bits");
        }
    } else if (addr >= s->grpcfg_off &&
               addr < s->grpcfg_off + s->num_groups * DSA_GRPCFG_SIZE) {
        dsa_grpcfg_write(s, addr - s->grpcfg_off, val);
    } else if (addr >= s->wqcfg_off &&
               addr < s->wqcfg_off + s->num_wqs * DSA_WQCFG_SIZE) {
        dsa_wqcfg_write(s, addr - s->wqcfg_off, val);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: write of 0x%x to 0x%"
                      HWADDR_PRIx ", which is no register\n", val, addr);
    }
}

void intel_dsa_core_reg_write(IntelDSACore *s, hwaddr addr, uint32_t val)
{
    trace_intel_dsa_reg_write(addr, val);
    dsa_reg_write32(s, addr, val);
}

/* The Interrupt Message Store */

uint32_t intel_dsa_core_ims_read(IntelDSACore *s, hwaddr addr)
{
    return s->ims[addr / DSA_IMS_ENTRY_SIZE][(addr % DSA_IMS_ENTRY_SIZE) / 4];
}

void intel_dsa_core_ims_write(IntelDSACore *s, hwaddr addr, uint32_t val)
{
    unsigned slot = addr / DSA_IMS_ENTRY_SIZE;
    unsigned dw = (addr % DSA_IMS_ENTRY_SIZE) / 4;
    uint32_t *ctrl = &s->ims[slot][3];

    trace_intel_dsa_ims_write(slot, dw, val);
    if (dw != 3) {
        s->ims[slot][dw] = val;
        return;
    }
    /* The pending bit is read-only: software may write back what it read */
    dsa_bad_write(s->ims_off + addr, val,
                  val & ~(DSA_IMS_CTRL_MASK | DSA_IMS_CTRL_PENDING |
                          DSA_IMS_CTRL_PASID_EN | 0xfffff000u),
                  "reserved bits");
    *ctrl = (*ctrl & DSA_IMS_CTRL_PENDING) |
            (val & (DSA_IMS_CTRL_MASK | DSA_IMS_CTRL_PASID_EN |
                    0xfffff000u));
    if (!(*ctrl & DSA_IMS_CTRL_MASK) && (*ctrl & DSA_IMS_CTRL_PENDING)) {
        *ctrl &= ~DSA_IMS_CTRL_PENDING;
        dsa_ims_send(s, slot);
    }
}

/* The device */

void intel_dsa_core_prepare_flr(IntelDSACore *s)
{
    /* The reset that follows revokes every handle granted so far */
    s->flr_epoch++;
    trace_intel_dsa_flr(s->flr_epoch);
}

void intel_dsa_core_reset(IntelDSACore *s)
{
    unsigned i;

    dsa_soft_reset(s);
    s->cmd = 0;
    s->cmdsts = 0;
    for (i = 0; i < s->num_ims; i++) {
        memset(s->ims[i], 0, sizeof(s->ims[i]));
        s->ims[i][3] = DSA_IMS_CTRL_MASK;
    }
}

void intel_dsa_core_realize(IntelDSACore *s, PCIDevice *owner)
{
    unsigned i;

    s->owner = owner;
    s->grpcfg = g_malloc0(s->num_groups * DSA_GRPCFG_SIZE);
    s->wqs = g_new0(DSAWorkQueue, s->num_wqs);
    for (i = 0; i < s->num_wqs; i++) {
        s->wqs[i].group = -1;
    }
    s->msix_perm = g_new0(uint32_t, s->num_msix);
    s->msix_handles = bitmap_new(s->num_msix);
    s->ims = g_malloc0(MAX(s->num_ims, 1) * DSA_IMS_ENTRY_SIZE);
    s->ims_handles = bitmap_new(MAX(s->num_ims, 1));
    s->bh = qemu_bh_new_guarded(dsa_engine_bh, s,
                                &DEVICE(owner)->mem_reentrancy_guard);
    s->delay_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, dsa_delay_timer, s);
}

void intel_dsa_core_unrealize(IntelDSACore *s)
{
    unsigned i;

    qemu_bh_delete(s->bh);
    timer_free(s->delay_timer);
    for (i = 0; i < s->num_wqs; i++) {
        dsa_wq_free_ring(&s->wqs[i]);
    }
    g_free(s->wqs);
    g_free(s->grpcfg);
    g_free(s->msix_perm);
    g_free(s->msix_handles);
    g_free(s->ims);
    g_free(s->ims_handles);
}
