/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper library of the VFIO kselftests (vfio/, drivers/dsa,
 * drivers/idxd-vdev, drivers/vfio-mtty): sysfs attributes, test modules
 * installed beside the tests, eventfds, a PCI device driven through
 * vfio-pci with the legacy group/container uAPI, mediated devices opened
 * through the VFIO device cdev and iommufd, and the device drivers of
 * lib/drivers/ that make a device interrupt for real.
 *
 * Errors are negative errnos unless said otherwise.
 */
#ifndef VFIO_UTIL_H
#define VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/vfio.h>

#include "../../../kselftest.h"

#define PCI_CFG_SIZE		4096
#define MDEV_DEVICES		"/sys/bus/mdev/devices"

/* libvfio.c: messages, sysfs, modules, eventfds */

/* Messages go to the test's output as TAP diagnostics. */
__printf(1, 2) void vfio_log(const char *fmt, ...);
void sleep_ms(unsigned int ms);

/* Copy @src to @dst of @len bytes, or fail with -ENAMETOOLONG. */
int copy_str(char *dst, size_t len, const char *src);
int sysfs_write(const char *path, const char *val);
__printf(2, 3) int sysfs_writef(const char *val, const char *fmt, ...);
/* Read an attribute into @buf, without its trailing newline. */
int sysfs_read(const char *path, char *buf, size_t len);

/* Load the module at @path; one already loaded will do. */
int load_module(const char *path);
int unload_module(const char *name);
/* @rel, a test module's path relative to the directory of this program. */
void module_path(char *buf, size_t len, const char *rel);

/* Non-blocking eventfds. */
int efd_new(void);
/* Consume and return the counter, 0 if it is zero. */
__u64 efd_take(int fd);
/*
 * Wait up to @timeout_ms for the counter to reach @want, consuming it;
 * returns what was consumed (less than @want on timeout).
 */
__u64 efd_wait(int fd, __u64 want, int timeout_ms);

/*
 * Lines of /proc/interrupts whose action name contains @name; *remapped
 * (if not NULL) is set when every one of them is an "IR-" chip.
 */
int proc_interrupts_count(const char *name, bool *remapped);

/* vfio_pci_device.c: PCI devices in sysfs, and through vfio-pci */

struct vfio_pci_dev {
	char bdf[32];			/* 0000:00:02.0 */
	char orig_driver[64];		/* bound before us, "" if none */
	bool override_set;		/* we wrote driver_override */
	int container;
	int group;
	int fd;
	struct vfio_region_info region[VFIO_PCI_NUM_REGIONS];
	void *map[VFIO_PCI_ROM_REGION_INDEX];	/* mmap()ed BARs */
};

/* The first device with @vendor:@device in sysfs; 0 or -ENODEV. */
int pci_find_device(unsigned int vendor, unsigned int device, char *bdf, size_t len);
/* The name of the driver bound to @bdf, "" if none. */
void pci_driver_of(const char *bdf, char *name, size_t len);
/* The device's config space as the PCI core sees it (sysfs), not vfio's. */
int pci_phys_config(const char *bdf, __u8 *cfg, size_t len);
/* Offset of capability @id (or extended capability @id), 0 if absent. */
unsigned int pci_find_cap(const __u8 *cfg, __u8 id);
unsigned int pci_find_ext_cap(const __u8 *cfg, __u16 id);

/*
 * Load vfio-pci, with its device denylist disabled or not; unless @exact,
 * a module already loaded with the denylist disabled will do.
 */
int vfio_pci_driver_load(bool disable_denylist, bool exact);

/*
 * Bind @bdf to vfio-pci (driver_override) and open it through a type1v2
 * container; @denylisted: the device is on vfio-pci's denylist, load the
 * module with disable_denylist=1.  On failure everything done so far is
 * undone.  Returns 0 or a negative errno, with a message logged.
 */
int vfio_pci_open(struct vfio_pci_dev *dev, const char *bdf, bool denylisted);

/* Close everything and give the device back to its original driver. */
void vfio_pci_close(struct vfio_pci_dev *dev);

/* Accesses through vfio: config space and BARs (region read/write). */
int vfio_pci_cfg_read(struct vfio_pci_dev *dev, unsigned int off, void *buf, size_t len);
int vfio_pci_cfg_write(struct vfio_pci_dev *dev, unsigned int off, const void *buf, size_t len);
__u32 vfio_pci_read32(struct vfio_pci_dev *dev, int bar, __u64 off);
__u64 vfio_pci_read64(struct vfio_pci_dev *dev, int bar, __u64 off);
void vfio_pci_write32(struct vfio_pci_dev *dev, int bar, __u64 off, __u32 val);
void vfio_pci_write64(struct vfio_pci_dev *dev, int bar, __u64 off, __u64 val);
/* mmap() a whole BAR; NULL with a message if vfio does not allow it. */
void *vfio_pci_mmap_bar(struct vfio_pci_dev *dev, int bar);
/* Set bits in the command register (memory decoding, bus master). */
int vfio_pci_enable_command(struct vfio_pci_dev *dev, __u16 bits);

/*
 * VFIO_IOMMU_MAP_DMA of @size bytes at @vaddr (page aligned) to @iova, read
 * and write, in the device's container; and its unmap.  0 or -errno.
 */
int vfio_dma_map(struct vfio_pci_dev *dev, void *vaddr, __u64 iova, __u64 size);
int vfio_dma_unmap(struct vfio_pci_dev *dev, __u64 iova, __u64 size);

/*
 * VFIO_DEVICE_SET_IRQS on the VFIO device @device, with @len bytes of
 * @data after the header and a matching argsz; 0 or -errno (errno is
 * left as the ioctl set it).
 */
int vfio_device_set_irqs(int device, __u32 flags, __u32 index, __u32 start,
			 __u32 count, const void *data, size_t len);

/* VFIO_DEVICE_GET_IRQ_INFO; 0 or -errno. */
int vfio_irq_info(struct vfio_pci_dev *dev, __u32 index, struct vfio_irq_info *info);
/* vfio_device_set_irqs() on @dev. */
int vfio_set_irqs(struct vfio_pci_dev *dev, __u32 flags, __u32 index, __u32 start,
		  __u32 count, const void *data, size_t len);
/* The same with the header as given (argsz included); 0 or -errno. */
int vfio_set_irqs_raw(struct vfio_pci_dev *dev, struct vfio_irq_set *set);
/* Eventfds (fds[i] < 0 removes vector start + i) and the index's disable. */
int vfio_set_eventfds(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count,
		      const int *fds);
int vfio_set_eventfd(struct vfio_pci_dev *dev, __u32 index, __u32 vector, int fd);
int vfio_disable_index(struct vfio_pci_dev *dev, __u32 index);
/* Loopback: DATA_NONE, or DATA_BOOL with one byte per vector. */
int vfio_trigger(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count);
int vfio_trigger_bool(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count,
		      const __u8 *bools);

/* vfio_mdev.c: mediated devices through the VFIO device cdev */

/* A fresh UUID, so that a leftover mdev does not get in the way. */
void mdev_make_uuid(char *buf, size_t len);
/*
 * Open mdev @uuid through its VFIO device cdev, bound to a new iommufd
 * (*@iommufd, -1 if none was opened).  Returns the device's fd.
 */
int mdev_open(const char *uuid, int *iommufd);

/* vfio_pci_driver.c: devices that can interrupt for real */

struct vfio_pci_driver;

/*
 * What a device is, and how to make it interrupt for real (lib/drivers/):
 * the interrupt types it has, which its config space must agree with;
 * whether it is on vfio-pci's denylist; init() readies an opened device
 * to raise MSI-X vectors 0 to @nvec - 1, fire() raises MSI-X vector @v
 * (MSI or INTx for @v < 0) and remove() frees what init() allocated.
 */
struct vfio_pci_driver_ops {
	const char *name;
	unsigned int vendor, device;
	bool intx, msi, msix;
	bool denylisted;
	int (*init)(struct vfio_pci_driver *drv);
	int (*fire)(struct vfio_pci_driver *drv, int v);
	void (*remove)(struct vfio_pci_driver *drv);
};

struct vfio_pci_driver {
	const struct vfio_pci_driver_ops *ops;
	struct vfio_pci_dev *dev;
	unsigned int nvec;		/* MSI-X vectors init() readies */
	bool initialized;
	void *priv;			/* the driver's own state */
};

extern const struct vfio_pci_driver_ops dsa_driver_ops;
extern const struct vfio_pci_driver_ops e1000e_driver_ops;

/* Once: ops->init() of @drv, which @dev and @nvec were set for. */
int vfio_pci_driver_init(struct vfio_pci_driver *drv);
int vfio_pci_driver_fire(struct vfio_pci_driver *drv, int v);
void vfio_pci_driver_remove(struct vfio_pci_driver *drv);

#endif /* VFIO_UTIL_H */
