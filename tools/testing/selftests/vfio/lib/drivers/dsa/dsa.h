/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Intel DSA (8086:0b25) opened through vfio-pci: one dedicated WQ
 * configured and enabled from user space, interrupt handles, and
 * descriptors submitted with MOVDIR64B through the WQ's MSI-X portal.
 * Register layout from the DSA architecture specification.
 */
#ifndef VFIO_LIB_DSA_H
#define VFIO_LIB_DSA_H

#include <stdbool.h>
#include <linux/const.h>
#include <linux/types.h>

#include "vfio_util.h"

#define DSA_VENDOR		0x8086
#define DSA_DEVICE		0x0b25

/* BAR0 registers */
#define DSA_GENCAP		0x10
#define  DSA_GENCAP_CMD_CAP	_BITULL(4)
#define DSA_WQCAP		0x20
#define  DSA_WQCAP_DEDICATED	_BITULL(49)
#define DSA_GRPCAP		0x30
#define DSA_ENGCAP		0x38
#define DSA_TABLE_OFFSET	0x60
#define DSA_GENCTRL		0x88
#define  DSA_GENCTRL_SOFTERR	_BITUL(0)
#define DSA_GENSTS		0x90
#define  DSA_GENSTS_ENABLED	1
#define DSA_INTCAUSE		0x98
#define  DSA_INTC_CMD		_BITUL(1)
#define DSA_CMD			0xa0
#define  DSA_CMD_SHIFT		20
#define  DSA_CMD_INT_REQ	_BITUL(31)
#define DSA_CMDSTS		0xa8
#define  DSA_CMDSTS_ACTIVE	_BITUL(31)
#define DSA_CMDCAP		0xb0
#define DSA_TABLE_UNIT		0x100
#define DSA_GRPCFG_WQS		0
#define DSA_GRPCFG_ENGINES	32
#define DSA_WQCFG_DEDICATED	_BITUL(0)
#define DSA_WQCFG_PRIO_SHIFT	4
#define DSA_WQCFG_PRIV		_BITUL(29)
#define DSA_WQCFG_STATE_SHIFT	30

/* BAR2: four portals per WQ, the first unlimited and MSI-X */
#define DSA_PORTAL_SIZE		0x1000
#define DSA_PORTALS_PER_WQ	4

/* Descriptors and completion records */
#define DSA_DESC_SIZE		64
#define DSA_DESC_FLAGS		4	/* dword 1: flags 23:0, opcode 31:24 */
#define DSA_DESC_COMPL_ADDR	8
#define DSA_DESC_INT_HANDLE	36
#define DSA_DESC_FLAG_CRAV	0x4	/* completion record address valid */
#define DSA_DESC_FLAG_RCR	0x8	/* request completion record */
#define DSA_DESC_FLAG_RCI	0x10	/* request completion interrupt */
#define DSA_OP_NOOP		0
#define DSA_COMPL_SIZE		32	/* and its alignment */
#define DSA_COMP_SUCCESS	1	/* status byte, offset 0 */

enum {
	DSA_CMD_ENABLE_DEVICE = 1,
	DSA_CMD_DRAIN_ALL = 3,
	DSA_CMD_RESET_DEVICE = 5,
	DSA_CMD_ENABLE_WQ = 6,
	DSA_CMD_REQUEST_INT_HANDLE = 13,
};

struct dsa {
	struct vfio_pci_dev *dev;
	__u8 *portal;		/* WQ 0's unlimited MSI-X portal, mmap()ed */
	unsigned int wq_size;	/* descriptors WQ 0 holds */
	bool int_handles;	/* descriptors name handles from REQUEST_INT_HANDLE */
};

bool cpu_has_movdir64b(void);

__u64 dsa_read64(struct dsa *d, __u64 off);
void dsa_write32(struct dsa *d, __u64 off, __u32 val);

/*
 * Run a command; returns its CMDSTS error (0: success) or -ETIMEDOUT,
 * and CMDSTS.result in *@result if not NULL.
 */
int dsa_cmd(struct dsa *d, unsigned int cmd, __u32 operand, bool int_req, __u16 *result);

/*
 * Reset the device opened as @dev and configure group 0 with engine 0
 * and WQ 0: dedicated, privileged, no PASID, at most @max_wq_size
 * descriptors; enable the device and the WQ; map BAR2.  Memory decoding
 * and bus mastering are turned on.  0 or a negative errno, with a
 * message logged.
 */
int dsa_init(struct dsa *d, struct vfio_pci_dev *dev, unsigned int max_wq_size);

/*
 * The interrupt handle a descriptor names to interrupt MSI-X vector @v:
 * requested from the device when it wants that (CMDCAP), @v otherwise.
 */
int dsa_int_handle(struct dsa *d, unsigned int v, __u16 *handle);

/* MOVDIR64B of one 64-byte descriptor to WQ 0. */
void dsa_submit(struct dsa *d, const void *desc);

/*
 * A NOOP with descriptor @flags; @handle is used with RCI, @compl
 * (an IOVA) with CRAV.
 */
void dsa_noop(struct dsa *d, __u32 flags, __u16 handle, __u64 compl);

/*
 * The DSA of a vfio_pci_driver of dsa_driver_ops, once initialized, and
 * the interrupt handle of its MSI-X vector @v.
 */
struct dsa *dsa_driver_dsa(struct vfio_pci_driver *drv);
__u16 dsa_driver_handle(struct vfio_pci_driver *drv, unsigned int v);

#endif /* VFIO_LIB_DSA_H */
