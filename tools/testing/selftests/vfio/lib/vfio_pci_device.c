// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices in sysfs, and a PCI device driven from user space through
 * vfio-pci with the legacy group/container uAPI (VFIO_TYPE1v2_IOMMU),
 * which both the Debian 6.12 kernel and the project's kernel offer.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vfio_util.h"

#define SYSFS_PCI	"/sys/bus/pci"

static unsigned long read_hex(const char *path)
{
	char buf[32];

	if (sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 16);
}

int pci_find_device(unsigned int vendor, unsigned int device, char *bdf, size_t len)
{
	char path[PATH_MAX], best[64] = "";
	struct dirent *e;
	DIR *d;

	d = opendir(SYSFS_PCI "/devices");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/vendor", e->d_name);
		if (read_hex(path) != vendor)
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/device", e->d_name);
		if (read_hex(path) != device)
			continue;
		/* The lowest address, whatever order readdir() gives. */
		if (!best[0] || strcmp(e->d_name, best) < 0)
			copy_str(best, sizeof(best), e->d_name);
	}
	closedir(d);
	if (!best[0])
		return -ENODEV;
	return copy_str(bdf, len, best);
}

void pci_driver_of(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX], *base;
	ssize_t n;

	name[0] = '\0';
	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_str(name, len, base ? base + 1 : target);
}

int vfio_pci_driver_load(bool disable_denylist, bool exact)
{
	char val[8] = "";
	bool cur;

	if (!access(SYSFS_PCI "/drivers/vfio-pci", F_OK)) {
		sysfs_read("/sys/module/vfio_pci/parameters/disable_denylist", val, sizeof(val));
		cur = val[0] == 'Y';
		if (cur == disable_denylist || (cur && !exact))
			return 0;
		/* The parameter is read-only: load the module again. */
		if (system("modprobe -q -r vfio-pci")) {
			vfio_log("modprobe -r vfio-pci failed");
			return -EBUSY;
		}
	}
	if (system(disable_denylist ? "modprobe -q vfio-pci disable_denylist=1" :
				      "modprobe -q vfio-pci") ||
	    access(SYSFS_PCI "/drivers/vfio-pci", F_OK)) {
		vfio_log("modprobe vfio-pci failed");
		return -ENOENT;
	}
	return 0;
}

static int bind_vfio_pci(struct vfio_pci_dev *dev, bool denylisted)
{
	char path[PATH_MAX], drv[64];
	int err;

	err = vfio_pci_driver_load(denylisted, false);
	if (err)
		return err;

	pci_driver_of(dev->bdf, dev->orig_driver, sizeof(dev->orig_driver));
	if (!strcmp(dev->orig_driver, "vfio-pci"))
		return 0;

	if (dev->orig_driver[0]) {
		snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver/unbind", dev->bdf);
		err = sysfs_write(path, dev->bdf);
		if (err) {
			vfio_log("%s: unbinding from %s: %s", dev->bdf, dev->orig_driver,
				 strerror(-err));
			return err;
		}
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver_override", dev->bdf);
	err = sysfs_write(path, "vfio-pci");
	if (err) {
		vfio_log("%s: driver_override: %s", dev->bdf, strerror(-err));
		return err;
	}
	dev->override_set = true;
	err = sysfs_write(SYSFS_PCI "/drivers/vfio-pci/bind", dev->bdf);
	pci_driver_of(dev->bdf, drv, sizeof(drv));
	if (err || strcmp(drv, "vfio-pci")) {
		vfio_log("%s: binding to vfio-pci: %s (driver now '%s')", dev->bdf,
			 strerror(err ? -err : ENODEV), drv);
		return err ? err : -ENODEV;
	}
	return 0;
}

static void restore_driver(struct vfio_pci_dev *dev)
{
	char path[PATH_MAX], drv[64];
	int err;

	if (!dev->override_set)
		return;
	pci_driver_of(dev->bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci")) {
		err = sysfs_write(SYSFS_PCI "/drivers/vfio-pci/unbind", dev->bdf);
		if (err)
			vfio_log("%s: unbinding from vfio-pci: %s", dev->bdf, strerror(-err));
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/driver_override", dev->bdf);
	err = sysfs_write(path, "\n");
	if (err)
		vfio_log("%s: clearing driver_override: %s", dev->bdf, strerror(-err));
	dev->override_set = false;
	if (dev->orig_driver[0]) {
		snprintf(path, sizeof(path), SYSFS_PCI "/drivers/%s/bind", dev->orig_driver);
		err = sysfs_write(path, dev->bdf);
		if (err)
			vfio_log("%s: binding back to %s: %s", dev->bdf, dev->orig_driver,
				 strerror(-err));
	}
}

static int open_group(struct vfio_pci_dev *dev)
{
	char path[PATH_MAX], target[PATH_MAX], *num;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int type = VFIO_TYPE1v2_IOMMU;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/iommu_group", dev->bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		vfio_log("%s: no IOMMU group: %s", dev->bdf, strerror(errno));
		return -errno;
	}
	target[n] = '\0';
	num = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;

	dev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (dev->container < 0) {
		vfio_log("/dev/vfio/vfio: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(dev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		vfio_log("the container has no type1v2 IOMMU");
		return -EOPNOTSUPP;
	}

	snprintf(path, sizeof(path), "/dev/vfio/%.32s", num);
	dev->group = open(path, O_RDWR | O_CLOEXEC);
	if (dev->group < 0) {
		vfio_log("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status)) {
		vfio_log("VFIO_GROUP_GET_STATUS: %s", strerror(errno));
		return -errno;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		vfio_log("IOMMU group %s is not viable: another device in it has a driver", num);
		return -EBUSY;
	}
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container) ||
	    ioctl(dev->container, VFIO_SET_IOMMU, type)) {
		vfio_log("group %s: setting the type1v2 container: %s", num, strerror(errno));
		return -errno;
	}
	return 0;
}

int vfio_pci_open(struct vfio_pci_dev *dev, const char *bdf, bool denylisted)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int err, i;

	memset(dev, 0, sizeof(*dev));
	dev->container = -1;
	dev->group = -1;
	dev->fd = -1;
	err = copy_str(dev->bdf, sizeof(dev->bdf), bdf);
	if (!err)
		err = bind_vfio_pci(dev, denylisted);
	if (!err)
		err = open_group(dev);
	if (err)
		goto fail;

	dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, dev->bdf);
	if (dev->fd < 0) {
		err = -errno;
		vfio_log("%s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf, strerror(errno));
		goto fail;
	}
	if (ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &info) ||
	    !(info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX ||
	    info.num_irqs < VFIO_PCI_NUM_IRQS) {
		err = -ENODEV;
		vfio_log("%s: not a vfio-pci device (flags %#x, %u regions, %u irqs)", bdf,
			 info.flags, info.num_regions, info.num_irqs);
		goto fail;
	}
	for (i = 0; i < VFIO_PCI_NUM_REGIONS && i < (int)info.num_regions; i++) {
		dev->region[i].argsz = sizeof(dev->region[i]);
		dev->region[i].index = i;
		/* The VGA region does not exist on most devices. */
		if (ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &dev->region[i]))
			dev->region[i].size = 0;
	}
	return 0;

fail:
	vfio_pci_close(dev);
	return err;
}

void vfio_pci_close(struct vfio_pci_dev *dev)
{
	int i;

	for (i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++) {
		if (dev->map[i])
			munmap(dev->map[i], dev->region[i].size);
		dev->map[i] = NULL;
	}
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->fd = -1;
	dev->group = -1;
	dev->container = -1;
	restore_driver(dev);
}

int pci_phys_config(const char *bdf, __u8 *cfg, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	memset(cfg, 0, len);
	snprintf(path, sizeof(path), SYSFS_PCI "/devices/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, len, 0);
	close(fd);
	/* All of it: capabilities are read from beyond the header. */
	return n < 256 ? -EIO : 0;
}

unsigned int pci_find_cap(const __u8 *cfg, __u8 id)
{
	unsigned int pos, guard;

	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	pos = cfg[PCI_CAPABILITY_LIST] & ~3;
	for (guard = 0; pos >= 0x40 && pos < 256 && guard < 48; guard++) {
		if (cfg[pos + PCI_CAP_LIST_ID] == id)
			return pos;
		pos = cfg[pos + PCI_CAP_LIST_NEXT] & ~3;
	}
	return 0;
}

unsigned int pci_find_ext_cap(const __u8 *cfg, __u16 id)
{
	unsigned int pos = 0x100, guard;
	__u32 hdr;

	for (guard = 0; pos >= 0x100 && pos < PCI_CFG_SIZE - 4 && guard < 480; guard++) {
		memcpy(&hdr, cfg + pos, sizeof(hdr));
		if (!hdr || hdr == ~0U)
			return 0;
		if (PCI_EXT_CAP_ID(hdr) == id)
			return pos;
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	return 0;
}

static int region_rw(struct vfio_pci_dev *dev, int region, __u64 off, void *buf, size_t len,
		     bool write)
{
	struct vfio_region_info *r = &dev->region[region];
	ssize_t n;

	if (off + len > r->size)
		return -EINVAL;
	if (write)
		n = pwrite(dev->fd, buf, len, r->offset + off);
	else
		n = pread(dev->fd, buf, len, r->offset + off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_pci_cfg_read(struct vfio_pci_dev *dev, unsigned int off, void *buf, size_t len)
{
	return region_rw(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, false);
}

int vfio_pci_cfg_write(struct vfio_pci_dev *dev, unsigned int off, const void *buf, size_t len)
{
	return region_rw(dev, VFIO_PCI_CONFIG_REGION_INDEX, off, (void *)buf, len, true);
}

__u32 vfio_pci_read32(struct vfio_pci_dev *dev, int bar, __u64 off)
{
	__u32 val;
	int err = region_rw(dev, bar, off, &val, sizeof(val), false);

	if (err) {
		vfio_log("%s: BAR%d read at %#llx: %s", dev->bdf, bar, (unsigned long long)off,
			 strerror(-err));
		return ~0U;
	}
	return val;
}

__u64 vfio_pci_read64(struct vfio_pci_dev *dev, int bar, __u64 off)
{
	return vfio_pci_read32(dev, bar, off) |
	       (__u64)vfio_pci_read32(dev, bar, off + 4) << 32;
}

void vfio_pci_write32(struct vfio_pci_dev *dev, int bar, __u64 off, __u32 val)
{
	int err = region_rw(dev, bar, off, &val, sizeof(val), true);

	if (err)
		vfio_log("%s: BAR%d write at %#llx: %s", dev->bdf, bar, (unsigned long long)off,
			 strerror(-err));
}

void vfio_pci_write64(struct vfio_pci_dev *dev, int bar, __u64 off, __u64 val)
{
	vfio_pci_write32(dev, bar, off, val);
	vfio_pci_write32(dev, bar, off + 4, val >> 32);
}

void *vfio_pci_mmap_bar(struct vfio_pci_dev *dev, int bar)
{
	struct vfio_region_info *r = &dev->region[bar];
	void *p;

	if (dev->map[bar])
		return dev->map[bar];
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		vfio_log("%s: BAR%d cannot be mmap()ed (flags %#x)", dev->bdf, bar, r->flags);
		return NULL;
	}
	p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, r->offset);
	if (p == MAP_FAILED) {
		vfio_log("%s: mmap BAR%d: %s", dev->bdf, bar, strerror(errno));
		return NULL;
	}
	dev->map[bar] = p;
	return p;
}

int vfio_pci_enable_command(struct vfio_pci_dev *dev, __u16 bits)
{
	__u16 cmd;
	int err;

	err = vfio_pci_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (err)
		return err;
	cmd |= bits;
	return vfio_pci_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
}

int vfio_dma_map(struct vfio_pci_dev *dev, void *vaddr, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (__u64)(unsigned long)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(dev->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int vfio_dma_unmap(struct vfio_pci_dev *dev, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	return ioctl(dev->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

int vfio_irq_info(struct vfio_pci_dev *dev, __u32 index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, info) ? -errno : 0;
}

int vfio_set_irqs_raw(struct vfio_pci_dev *dev, struct vfio_irq_set *set)
{
	return ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

int vfio_device_set_irqs(int device, __u32 flags, __u32 index, __u32 start,
			 __u32 count, const void *data, size_t len)
{
	struct vfio_irq_set *set;
	int ret;

	set = calloc(1, sizeof(*set) + len);
	if (!set)
		return -ENOMEM;
	set->argsz = sizeof(*set) + len;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (len)
		memcpy(set->data, data, len);
	ret = ioctl(device, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
	free(set);
	if (ret)
		errno = -ret;
	return ret;
}

int vfio_set_irqs(struct vfio_pci_dev *dev, __u32 flags, __u32 index, __u32 start,
		  __u32 count, const void *data, size_t len)
{
	return vfio_device_set_irqs(dev->fd, flags, index, start, count, data, len);
}

int vfio_set_eventfds(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count,
		      const int *fds)
{
	return vfio_set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     index, start, count, fds, count * sizeof(*fds));
}

int vfio_set_eventfd(struct vfio_pci_dev *dev, __u32 index, __u32 vector, int fd)
{
	return vfio_set_eventfds(dev, index, vector, 1, &fd);
}

int vfio_disable_index(struct vfio_pci_dev *dev, __u32 index)
{
	return vfio_set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     index, 0, 0, NULL, 0);
}

int vfio_trigger(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count)
{
	return vfio_set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			     index, start, count, NULL, 0);
}

int vfio_trigger_bool(struct vfio_pci_dev *dev, __u32 index, __u32 start, __u32 count,
		      const __u8 *bools)
{
	return vfio_set_irqs(dev, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			     index, start, count, bools, count);
}
