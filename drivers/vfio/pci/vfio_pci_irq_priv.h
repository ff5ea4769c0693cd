/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO PCI interrupt frontend: what its KUnit tests see of its insides
 */
#ifndef VFIO_PCI_IRQ_PRIV_H
#define VFIO_PCI_IRQ_PRIV_H

#include <kunit/visibility.h>

struct eventfd_ctx;

#if IS_ENABLED(CONFIG_KUNIT)
/* The frontend's only contact with eventfds, stubbed by the tests */
struct eventfd_ctx *vfio_pci_irq_eventfd_get(int fd);
void vfio_pci_irq_eventfd_put(struct eventfd_ctx *ctx);
void vfio_pci_irq_eventfd_signal(struct eventfd_ctx *ctx);
#endif

#endif /* VFIO_PCI_IRQ_PRIV_H */
