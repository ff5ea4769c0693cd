/*
 * Intel Data Streaming Accelerator (DSA) device model: register layout
 *
 * The names follow the DSA architecture specification and the layout
 * the Linux idxd driver uses (drivers/dma/idxd/registers.h).
 *
 * Copyright (c) 2025 idxd-vdev developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_DMA_INTEL_DSA_H
#define HW_DMA_INTEL_DSA_H

#define TYPE_INTEL_DSA "intel-dsa"

#define PCI_DEVICE_ID_INTEL_DSA         0x0b25

#define DSA_BAR_REGS                    0
#define DSA_BAR_PORTALS                 2

/* BAR0 registers */
#define DSA_REG_VERSION                 0x00
#define DSA_REG_GENCAP                  0x10
#define DSA_REG_WQCAP                   0x20
#define DSA_REG_GRPCAP                  0x30
#define DSA_REG_ENGCAP                  0x38
#define DSA_REG_OPCAP                   0x40
#define DSA_REG_TABLE_OFFSET            0x60
#define DSA_REG_GENCFG                  0x80
#define DSA_REG_GENCTRL                 0x88
#define DSA_REG_GENSTS                  0x90
#define DSA_REG_INTCAUSE                0x98
#define DSA_REG_CMD                     0xa0
#define DSA_REG_CMDSTS                  0xa8
#define DSA_REG_CMDCAP                  0xb0
#define DSA_REG_SWERR                   0xc0
/*
 * Not the device's: with x-test-events, writing it makes the device do
 * what tests cannot otherwise make it do (DSA_TEST_EV_*).  Reads 0.
 */
#define DSA_REG_TEST_EVENTS             0x78
#define DSA_TEST_EV_REVOKE_HANDLES      (1u << 0)
#define DSA_TEST_EV_REFUSE_IMS_HANDLES  (1u << 1)
#define DSA_REG_EVLCFG                  0xe0
#define DSA_REG_EVLSTATUS               0xf0

#define DSA_VERSION                     0x100

/* GENCAP */
#define DSA_GENCAP_BLOCK_ON_FAULT       (1ULL << 0)
#define DSA_GENCAP_OVERLAP_COPY         (1ULL << 1)
#define DSA_GENCAP_CACHE_CTRL_MEM       (1ULL << 2)
#define DSA_GENCAP_CACHE_CTRL_CACHE     (1ULL << 3)
#define DSA_GENCAP_CMD_CAP              (1ULL << 4)
#define DSA_GENCAP_EVL_SUPPORT_SHIFT    13
#define DSA_GENCAP_MAX_XFER_SHIFT       16
#define DSA_GENCAP_MAX_BATCH_SHIFT      21
#define DSA_GENCAP_MAX_IMS_MULT_SHIFT   25
#define DSA_GENCAP_CONFIG_EN            (1ULL << 31)

/* WQCAP */
#define DSA_WQCAP_NUM_WQS_SHIFT         16
#define DSA_WQCAP_WQCFG_SIZE_SHIFT      24
#define DSA_WQCAP_SHARED_MODE           (1ULL << 48)
#define DSA_WQCAP_DEDICATED_MODE        (1ULL << 49)
#define DSA_WQCAP_ATS                   (1ULL << 50)
#define DSA_WQCAP_PRIORITY              (1ULL << 51)
#define DSA_WQCAP_OCCUPANCY             (1ULL << 52)

/* GRPCAP */
#define DSA_GRPCAP_TOTAL_RDBUFS_SHIFT   8

/* TABLE_OFFSET: four 16-bit fields in the first qword, in 0x100 units */
#define DSA_TABLE_MULT                  0x100
#define DSA_TABLE_GRPCFG_SHIFT          0
#define DSA_TABLE_WQCFG_SHIFT           16
#define DSA_TABLE_MSIX_PERM_SHIFT       32
#define DSA_TABLE_IMS_SHIFT             48

/* GENCFG */
#define DSA_GENCFG_RDBUF_LIMIT_MASK     0xffu
#define DSA_GENCFG_USER_INT_EN          (1u << 12)
#define DSA_GENCFG_EVL_EN               (1u << 13)

/* GENCTRL */
#define DSA_GENCTRL_SOFTERR_INT_EN      (1u << 0)
#define DSA_GENCTRL_HALT_INT_EN         (1u << 1)
#define DSA_GENCTRL_EVL_INT_EN          (1u << 2)

/* GENSTS */
#define DSA_GENSTS_STATE_MASK           0x3u
#define DSA_STATE_DISABLED              0
#define DSA_STATE_ENABLED               1
#define DSA_STATE_DRAIN                 2
#define DSA_STATE_HALT                  3

/* INTCAUSE, write 1 to clear */
#define DSA_INTC_ERR                    0x01u
#define DSA_INTC_CMD                    0x02u
#define DSA_INTC_OCCUPY                 0x04u
#define DSA_INTC_PERFMON_OVFL           0x08u
#define DSA_INTC_HALT_STATE             0x10u
#define DSA_INTC_EVL                    0x20u
#define DSA_INTC_INT_HANDLE_REVOKED     0x80000000u

/* CMD */
#define DSA_CMD_OPERAND_MASK            0xfffffu
#define DSA_CMD_SHIFT                   20
#define DSA_CMD_MASK                    0x1fu
#define DSA_CMD_INT_REQ                 (1u << 31)

enum {
    DSA_CMD_ENABLE_DEVICE = 1,
    DSA_CMD_DISABLE_DEVICE,
    DSA_CMD_DRAIN_ALL,
    DSA_CMD_ABORT_ALL,
    DSA_CMD_RESET_DEVICE,
    DSA_CMD_ENABLE_WQ,
    DSA_CMD_DISABLE_WQ,
    DSA_CMD_DRAIN_WQ,
    DSA_CMD_ABORT_WQ,
    DSA_CMD_RESET_WQ,
    DSA_CMD_DRAIN_PASID,
    DSA_CMD_ABORT_PASID,
    DSA_CMD_REQUEST_INT_HANDLE,
    DSA_CMD_RELEASE_INT_HANDLE,
};

/* REQUEST/RELEASE_INT_HANDLE operand: the handle is for the IMS table */
#define DSA_CMD_INT_HANDLE_IMS          0x10000u

/* CMDSTS */
#define DSA_CMDSTS_ERR_MASK             0xffu
#define DSA_CMDSTS_RESULT_SHIFT         8
#define DSA_CMDSTS_ACTIVE               (1u << 31)

enum {
    DSA_CMDSTS_SUCCESS = 0,
    DSA_CMDSTS_INVAL_CMD,
    DSA_CMDSTS_INVAL_WQIDX,
    DSA_CMDSTS_HW_ERR,
    DSA_CMDSTS_ERR_DEV_ENABLED = 0x10,
    DSA_CMDSTS_ERR_CONFIG,
    DSA_CMDSTS_ERR_BUSMASTER_EN,
    DSA_CMDSTS_ERR_PASID_INVAL,
    DSA_CMDSTS_ERR_WQ_SIZE_ERANGE,
    DSA_CMDSTS_ERR_GRP_CONFIG,
    DSA_CMDSTS_ERR_GRP_CONFIG2,
    DSA_CMDSTS_ERR_GRP_CONFIG3,
    DSA_CMDSTS_ERR_GRP_CONFIG4,
    DSA_CMDSTS_ERR_DEV_NOTEN = 0x20,
    DSA_CMDSTS_ERR_WQ_ENABLED,
    DSA_CMDSTS_ERR_WQ_SIZE,
    DSA_CMDSTS_ERR_WQ_PRIOR,
    DSA_CMDSTS_ERR_WQ_MODE,
    DSA_CMDSTS_ERR_BOF_EN,
    DSA_CMDSTS_ERR_PASID_EN,
    DSA_CMDSTS_ERR_MAX_BATCH_SIZE,
    DSA_CMDSTS_ERR_MAX_XFER_SIZE,
    DSA_CMDSTS_ERR_DIS_DEV_EN = 0x31,
    DSA_CMDSTS_ERR_DEV_NOT_EN,
    DSA_CMDSTS_ERR_INVAL_INT_IDX = 0x41,
    DSA_CMDSTS_ERR_NO_HANDLE,
};

/* SWERR, four qwords; bits 0 and 1 of the first are write 1 to clear */
#define DSA_SWERR_VALID                 (1ULL << 0)
#define DSA_SWERR_OVERFLOW              (1ULL << 1)
#define DSA_SWERR_DESC_VALID            (1ULL << 2)
#define DSA_SWERR_WQ_IDX_VALID          (1ULL << 3)
#define DSA_SWERR_BATCH                 (1ULL << 4)
#define DSA_SWERR_FAULT_RW              (1ULL << 5)
#define DSA_SWERR_PRIV                  (1ULL << 6)
#define DSA_SWERR_ERROR_SHIFT           8
#define DSA_SWERR_WQ_IDX_SHIFT          16
#define DSA_SWERR_OPERATION_SHIFT       32
#define DSA_SWERR_PASID_SHIFT           40

/*
 * Errors that only SWERR reports.  The descriptor never reached an
 * engine, so there is no completion status for them; the values are
 * this model's, above the completion status codes.
 */
#define DSA_SWERR_WQ_NOT_ENABLED        0x81
#define DSA_SWERR_WQ_FULL               0x82

/*
 * Event log: EVLCFG is two qwords (base address and PASID control, then
 * size in entries and PASID); EVLSTATUS holds head (software), tail
 * (device) and the interrupt pending bit (write 1 to clear).  An entry
 * is 64 bytes: an error record laid out like SWERR, then the completion
 * record.
 */
#define DSA_EVLCFG_PASID_EN             (1ULL << 0)
#define DSA_EVLCFG_PRIV                 (1ULL << 1)
#define DSA_EVLCFG_BASE_MASK            (~0xfffULL)
#define DSA_EVLCFG_SIZE_MASK            0xffffULL
#define DSA_EVLCFG_PASID_SHIFT          16
#define DSA_EVL_SIZE_MIN                64
#define DSA_EVLSTATUS_TAIL_SHIFT        32
#define DSA_EVLSTATUS_INT_PENDING       (1ULL << 62)
#define DSA_EVL_ENTRY_SIZE              64
#define DSA_EVL_ERR_INFO_VALID          (1ULL << 7)
#define DSA_EVL_CR                      32

/* GRPCFG: 64 bytes per group */
#define DSA_GRPCFG_SIZE                 64
#define DSA_GRPCFG_WQS                  0
#define DSA_GRPCFG_ENGINES              32
#define DSA_GRPCFG_FLAGS                40

/* WQCFG: 32 bytes per WQ (WQCAP.wqcfg_size = 0) */
#define DSA_WQCFG_SIZE                  32
#define DSA_WQCFG_MODE_DEDICATED        (1u << 0)
#define DSA_WQCFG_BOF                   (1u << 1)
#define DSA_WQCFG_PRIORITY_SHIFT        4
#define DSA_WQCFG_PASID_SHIFT           8
#define DSA_WQCFG_PASID_EN              (1u << 28)
#define DSA_WQCFG_PRIV                  (1u << 29)
#define DSA_WQCFG_MAX_XFER_MASK         0x1fu
#define DSA_WQCFG_MAX_BATCH_SHIFT       5
#define DSA_WQCFG_STATE_SHIFT           30
#define DSA_WQ_STATE_DISABLED           0
#define DSA_WQ_STATE_ENABLED            1

/* MSI-X permission table: 8 bytes per vector */
#define DSA_MSIX_PERM_IGNORE            (1u << 2)
#define DSA_MSIX_PERM_PASID_EN          (1u << 3)
#define DSA_MSIX_PERM_PASID_SHIFT       12

/* IMS table: 16 bytes per slot */
#define DSA_IMS_ENTRY_SIZE              16
#define DSA_IMS_ADDR_LO                 0
#define DSA_IMS_ADDR_HI                 4
#define DSA_IMS_DATA                    8
#define DSA_IMS_CTRL                    12
#define DSA_IMS_CTRL_MASK               (1u << 0)
#define DSA_IMS_CTRL_PENDING            (1u << 1)
#define DSA_IMS_CTRL_PASID_EN           (1u << 3)
#define DSA_IMS_CTRL_PASID_SHIFT        12

/* Portals: four pages per WQ in BAR2 */
#define DSA_PORTAL_SIZE                 0x1000
#define DSA_PORTALS_PER_WQ              4
#define DSA_PORTAL_UNLIMITED            0
#define DSA_PORTAL_LIMITED              1
#define DSA_PORTAL_IMS                  2

/* Descriptor (64 bytes) */
#define DSA_DESC_SIZE                   64
#define DSA_DESC_COMPL_ADDR             8
#define DSA_DESC_SRC                    16
#define DSA_DESC_DST                    24
#define DSA_DESC_XFER_SIZE              32
#define DSA_DESC_INT_HANDLE             36
#define DSA_DESC_EXPECTED_RES           40

#define DSA_DESC_PASID_MASK             0xfffffu
#define DSA_DESC_PRIV                   (1u << 31)

enum {
    DSA_OPCODE_NOOP = 0,
    DSA_OPCODE_BATCH,
    DSA_OPCODE_DRAIN,
    DSA_OPCODE_MEMMOVE,
    DSA_OPCODE_MEMFILL,
    DSA_OPCODE_COMPARE,
    DSA_OPCODE_COMPVAL,
};

#define DSA_FLAG_FENCE                  0x0001u
#define DSA_FLAG_BOF                    0x0002u
#define DSA_FLAG_CRAV                   0x0004u
#define DSA_FLAG_RCR                    0x0008u
#define DSA_FLAG_RCI                    0x0010u
#define DSA_FLAG_CR                     0x0080u
#define DSA_FLAG_CC                     0x0100u
#define DSA_FLAG_ADDR1_TCS              0x0200u
#define DSA_FLAG_ADDR2_TCS              0x0400u
#define DSA_FLAG_ADDR3_TCS              0x0800u
#define DSA_FLAG_CR_TCS                 0x1000u
#define DSA_FLAG_STORD                  0x2000u

/* Completion record (32 bytes, 32-byte aligned) */
#define DSA_COMPL_SIZE                  32
#define DSA_COMPL_STATUS                0
#define DSA_COMPL_RESULT                1
#define DSA_COMPL_BYTES_COMPLETED       4
#define DSA_COMPL_FAULT_ADDR            8
#define DSA_COMPL_INVALID_FLAGS         16

#define DSA_COMP_STATUS_WRITE           0x80

enum {
    DSA_COMP_NONE = 0,
    DSA_COMP_SUCCESS,
    DSA_COMP_SUCCESS_PRED,
    DSA_COMP_PAGE_FAULT_NOBOF,
    DSA_COMP_PAGE_FAULT_IR,
    DSA_COMP_BATCH_FAIL,
    DSA_COMP_BATCH_PAGE_FAULT,
    DSA_COMP_BAD_OPCODE = 0x10,
    DSA_COMP_INVALID_FLAGS,
    DSA_COMP_NOZERO_RESERVE,
    DSA_COMP_XFER_ERANGE,
    DSA_COMP_DESC_CNT_ERANGE,
    DSA_COMP_DR_ERANGE,
    DSA_COMP_OVERLAP_BUFFERS,
    DSA_COMP_DCAST_ERR,
    DSA_COMP_DESCLIST_ALIGN,
    DSA_COMP_INT_HANDLE_INVAL,
    DSA_COMP_CRA_XLAT,
    DSA_COMP_CRA_ALIGN,
    DSA_COMP_ADDR_ALIGN,
    DSA_COMP_PRIV_BAD,
};

#endif
