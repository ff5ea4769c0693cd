/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Intel 82574L (e1000e, 8086:10d3) opened through vfio-pci: its
 * interrupt causes, set through ICS, raise INTx, MSI or any MSI-X vector.
 */
#ifndef VFIO_LIB_E1000E_H
#define VFIO_LIB_E1000E_H

#include <linux/types.h>

#include "vfio_util.h"

#define E1000E_VENDOR		0x8086
#define E1000E_DEVICE		0x10d3

/* BAR0 interrupt registers */
#define E1000_ICR		0xc0	/* cause; read clears it unless MSI-X */
#define E1000_ICS		0xc8	/* write: set causes */
#define E1000_IMS		0xd0	/* write: unmask causes */
#define E1000_IMC		0xd8	/* write: mask causes */
#define E1000_IVAR		0xe4	/* MSI-X vector of each queue cause */
#define  E1000_IVAR_VALID	0x8
#define E1000_CAUSE_SRPD	0x00010000
#define E1000_CAUSE_RXQ0	0x00100000	/* IVAR bits 3:0 route it */

void e1000e_write(struct vfio_pci_dev *dev, __u64 reg, __u32 val);
__u32 e1000e_read(struct vfio_pci_dev *dev, __u64 reg);

/* Assert the INTx line with a cause; e1000e_intx_clear() deasserts it. */
void e1000e_intx_assert(struct vfio_pci_dev *dev);
void e1000e_intx_clear(struct vfio_pci_dev *dev);

#endif /* VFIO_LIB_E1000E_H */
