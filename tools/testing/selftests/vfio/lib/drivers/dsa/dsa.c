// SPDX-License-Identifier: GPL-2.0
/*
 * An Intel DSA driven from user space through vfio-pci: just enough of
 * the device (one dedicated WQ, interrupt handles, NOOP descriptors) to
 * make it raise real MSI-X completion interrupts.
 */

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "dsa.h"

__u64 dsa_read64(struct dsa *d, __u64 off)
{
	return vfio_pci_read64(d->dev, 0, off);
}

void dsa_write32(struct dsa *d, __u64 off, __u32 val)
{
	vfio_pci_write32(d->dev, 0, off, val);
}

int dsa_cmd(struct dsa *d, unsigned int cmd, __u32 operand, bool int_req, __u16 *result)
{
	__u32 sts = DSA_CMDSTS_ACTIVE;
	int i;

	dsa_write32(d, DSA_CMD, cmd << DSA_CMD_SHIFT | operand | (int_req ? DSA_CMD_INT_REQ : 0));
	for (i = 0; i < 1000 && (sts & DSA_CMDSTS_ACTIVE); i++) {
		sts = vfio_pci_read32(d->dev, 0, DSA_CMDSTS);
		if (sts & DSA_CMDSTS_ACTIVE)
			sleep_ms(1);
	}
	if (sts & DSA_CMDSTS_ACTIVE)
		return -ETIMEDOUT;
	if (result)
		*result = sts >> 8;
	return sts & 0xff;
}

bool cpu_has_movdir64b(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1U << 28));
}

/* MOVDIR64B (%rdx), %rax: one 64-byte direct store to a portal. */
static void movdir64b(void *dst, const void *src)
{
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

int dsa_init(struct dsa *d, struct vfio_pci_dev *dev, unsigned int max_wq_size)
{
	__u64 gencap, wqcap, offsets, grpcfg, wqcfg;
	unsigned int size;
	__u8 *bar2;
	int err;

	memset(d, 0, sizeof(*d));
	d->dev = dev;
	if (!cpu_has_movdir64b()) {
		vfio_log("the CPU has no MOVDIR64B");
		return -EOPNOTSUPP;
	}
	err = vfio_pci_enable_command(dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (err)
		return err;
	err = dsa_cmd(d, DSA_CMD_RESET_DEVICE, 0, false, NULL);
	if (err) {
		vfio_log("DSA reset: CMDSTS error %d", err);
		return -EIO;
	}

	gencap = dsa_read64(d, DSA_GENCAP);
	wqcap = dsa_read64(d, DSA_WQCAP);
	offsets = dsa_read64(d, DSA_TABLE_OFFSET);
	if (!(wqcap & DSA_WQCAP_DEDICATED) || !((wqcap >> 16) & 0xff) ||
	    !(dsa_read64(d, DSA_GRPCAP) & 0xff) || !(dsa_read64(d, DSA_ENGCAP) & 0xff)) {
		vfio_log("DSA: no dedicated WQ, group or engine (WQCAP %#llx)",
			 (unsigned long long)wqcap);
		return -ENODEV;
	}
	grpcfg = (offsets & 0xffff) * DSA_TABLE_UNIT;
	wqcfg = ((offsets >> 16) & 0xffff) * DSA_TABLE_UNIT;
	size = wqcap & 0xffff;
	if (size > max_wq_size)
		size = max_wq_size;

	/* Software errors interrupt vector 0: a stray one would be seen. */
	dsa_write32(d, DSA_GENCTRL, DSA_GENCTRL_SOFTERR);
	dsa_write32(d, grpcfg + DSA_GRPCFG_WQS, 1);
	dsa_write32(d, grpcfg + DSA_GRPCFG_ENGINES, 1);
	dsa_write32(d, wqcfg + 0, size);
	dsa_write32(d, wqcfg + 8, DSA_WQCFG_DEDICATED | 1U << DSA_WQCFG_PRIO_SHIFT |
		    DSA_WQCFG_PRIV);
	/* Max transfer 64 KiB, max batch 32: unused by NOOPs, but valid. */
	dsa_write32(d, wqcfg + 12, 16 | 5 << 5);

	err = dsa_cmd(d, DSA_CMD_ENABLE_DEVICE, 0, false, NULL);
	if (!err)
		err = dsa_cmd(d, DSA_CMD_ENABLE_WQ, 0, false, NULL);
	if (err) {
		vfio_log("DSA: enabling the device and WQ 0: CMDSTS error %#x", err);
		return -EIO;
	}
	if ((dsa_read64(d, DSA_GENSTS) & 3) != DSA_GENSTS_ENABLED ||
	    vfio_pci_read32(dev, 0, wqcfg + 24) >> DSA_WQCFG_STATE_SHIFT != 1) {
		vfio_log("DSA: device or WQ 0 not enabled");
		return -EIO;
	}
	d->wq_size = size;
	d->int_handles = (gencap & DSA_GENCAP_CMD_CAP) &&
			 (dsa_read64(d, DSA_CMDCAP) & (1U << DSA_CMD_REQUEST_INT_HANDLE));

	bar2 = vfio_pci_mmap_bar(dev, 2);
	if (!bar2)
		return -ENOMEM;
	d->portal = bar2 + 0 * DSA_PORTALS_PER_WQ * DSA_PORTAL_SIZE;
	return 0;
}

int dsa_int_handle(struct dsa *d, unsigned int v, __u16 *handle)
{
	int err;

	*handle = v;
	if (!d->int_handles)
		return 0;
	err = dsa_cmd(d, DSA_CMD_REQUEST_INT_HANDLE, v, false, handle);
	if (err) {
		vfio_log("DSA: REQUEST_INT_HANDLE %u: CMDSTS error %#x", v, err);
		return -EIO;
	}
	return 0;
}

void dsa_submit(struct dsa *d, const void *desc)
{
	movdir64b(d->portal, desc);
}

void dsa_noop(struct dsa *d, __u32 flags, __u16 handle, __u64 compl)
{
	__u64 desc[DSA_DESC_SIZE / 8] = { 0 };
	__u32 dw1 = DSA_OP_NOOP << 24 | flags;

	memcpy((__u8 *)desc + DSA_DESC_FLAGS, &dw1, sizeof(dw1));
	if (flags & DSA_DESC_FLAG_RCI)
		memcpy((__u8 *)desc + DSA_DESC_INT_HANDLE, &handle, sizeof(handle));
	if (flags & DSA_DESC_FLAG_CRAV)
		memcpy((__u8 *)desc + DSA_DESC_COMPL_ADDR, &compl, sizeof(compl));
	dsa_submit(d, desc);
}

/* The DSA as a vfio_pci_driver: a NOOP with RCI raises an MSI-X vector. */
struct dsa_driver {
	struct dsa dsa;
	__u16 handle[];		/* of each MSI-X vector */
};

/*
 * WQ 0 of at most 32 descriptors and an interrupt handle for each MSI-X
 * vector.
 */
static int dsa_driver_init(struct vfio_pci_driver *drv)
{
	struct dsa_driver *dd;
	unsigned int v;
	int err;

	dd = calloc(1, sizeof(*dd) + drv->nvec * sizeof(dd->handle[0]));
	if (!dd)
		return -ENOMEM;
	drv->priv = dd;
	err = dsa_init(&dd->dsa, drv->dev, 32);
	for (v = 0; !err && v < drv->nvec; v++)
		err = dsa_int_handle(&dd->dsa, v, &dd->handle[v]);
	return err;
}

static int dsa_driver_fire(struct vfio_pci_driver *drv, int v)
{
	struct dsa_driver *dd = drv->priv;

	if (v < 0 || (unsigned int)v >= drv->nvec)
		return -EINVAL;
	dsa_noop(&dd->dsa, DSA_DESC_FLAG_RCI, dd->handle[v], 0);
	return 0;
}

static void dsa_driver_remove(struct vfio_pci_driver *drv)
{
	free(drv->priv);
}

struct dsa *dsa_driver_dsa(struct vfio_pci_driver *drv)
{
	return &((struct dsa_driver *)drv->priv)->dsa;
}

__u16 dsa_driver_handle(struct vfio_pci_driver *drv, unsigned int v)
{
	return ((struct dsa_driver *)drv->priv)->handle[v];
}

const struct vfio_pci_driver_ops dsa_driver_ops = {
	.name = "intel-dsa",
	.vendor = DSA_VENDOR,
	.device = DSA_DEVICE,
	.msix = true,
	.denylisted = true,
	.init = dsa_driver_init,
	.fire = dsa_driver_fire,
	.remove = dsa_driver_remove,
};
