// SPDX-License-Identifier: GPL-2.0
/*
 * The UART of an mtty mdev opened through the VFIO device cdev.
 */

#include <unistd.h>
#include <linux/serial_reg.h>

#include "mtty.h"

int mtty_uart_write(int device, uint64_t bar0, unsigned int reg, uint8_t val)
{
	return pwrite(device, &val, 1, bar0 + reg) == 1 ? 0 : -1;
}

int mtty_raise_thri(int device, uint64_t bar0)
{
	if (mtty_uart_write(device, bar0, UART_FCR,
			    UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT) ||
	    mtty_uart_write(device, bar0, UART_IER, 0))
		return -1;
	return mtty_uart_write(device, bar0, UART_IER, UART_IER_THRI);
}
