/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mtty sample mediated device (samples/vfio-mdev/mtty.c): an mdev
 * whose BAR0 is an emulated 16550 UART.
 *
 * mtty raises its interrupt when the user enables the transmitter-empty
 * interrupt (IER.THRI) while its FIFO is empty, and when a written byte
 * brings the FIFO to the trigger level with IER.RDI set.
 */
#ifndef VFIO_LIB_MTTY_H
#define VFIO_LIB_MTTY_H

#include <stddef.h>
#include <stdint.h>

#define MTTY_TYPES	"/sys/class/mdev_bus/mtty/mdev_supported_types"

/* Write one UART register of port 0 (BAR0 of mtty, at @bar0 in @device) */
int mtty_uart_write(int device, uint64_t bar0, unsigned int reg, uint8_t val);
/* Make the UART raise its interrupt: enable THRI with an empty FIFO */
int mtty_raise_thri(int device, uint64_t bar0);

#endif /* VFIO_LIB_MTTY_H */
