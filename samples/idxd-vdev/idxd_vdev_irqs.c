// SPDX-License-Identifier: GPL-2.0
/*
 * idxd_vdev_irqs - drive an idxd vdev through VFIO as a guest driver
 * would, and print the interrupts each MSI-X vector receives.
 *
 *   idxd_vdev_irqs UUID [NOOPS]
 *
 * Opens the mediated device UUID through its VFIO device cdev and
 * iommufd, enables the virtual DSA and its WQs with a completion
 * interrupt request (the emulated vector 0 fires), gives every WQ vector
 * an eventfd and asks REQUEST_INT_HANDLE for its handle (the handle of a
 * host IMS entry), maps the WQs' portals and submits NOOPS (default 3)
 * NOOP descriptors with a completion interrupt request per WQ with
 * MOVDIR64B.  The IMS-backed vectors fire; nothing else does.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/iommufd.h>
#include <linux/types.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define MAX_VECS		8
#define PAGE			4096
#define REG_WQCAP		0x20
#define REG_GENSTS		0x90
#define REG_INTCAUSE		0x98
#define REG_CMD			0xa0
#define REG_CMDSTS		0xa8
#define REG_MSIX_TABLE		0x1000
#define CMD_ENABLE_DEVICE	1
#define CMD_ENABLE_WQ		6
#define CMD_REQUEST_INT_HANDLE	13
#define CMD_INT_REQ		0x80000000u

static int device = -1;
static __u64 bar0, cfg, bar2, bar2_size;
static int efd[MAX_VECS];
static unsigned int nvec;

static void die(const char *what)
{
	fprintf(stderr, "idxd_vdev_irqs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static __u32 rd32(__u64 off)
{
	__u32 val;

	if (pread(device, &val, 4, bar0 + off) != 4)
		die("BAR0 read");
	return val;
}

static void wr32(__u64 off, __u32 val)
{
	if (pwrite(device, &val, 4, bar0 + off) != 4)
		die("BAR0 write");
}

static __u32 cmd(unsigned int code, __u32 operand, int int_req)
{
	wr32(REG_CMD, code << 20 | operand | (int_req ? CMD_INT_REQ : 0));
	return rd32(REG_CMDSTS);
}

static void set_eventfd(unsigned int vector, int fd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = vector;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, set))
		die("VFIO_DEVICE_SET_IRQS");
}

/* Wait a while for interrupts and print what each vector received */
static void report(const char *after, int wait_ms)
{
	__u64 got[MAX_VECS] = { 0 }, val;
	unsigned int i;

	usleep(wait_ms * 1000);
	for (i = 0; i < nvec; i++)
		if (read(efd[i], &val, sizeof(val)) == sizeof(val))
			got[i] = val;
	printf("after %s:\n", after);
	for (i = 0; i < nvec; i++)
		printf("  vector %u (%s): %llu interrupt%s\n", i,
		       i ? "host IMS" : "emulated",
		       (unsigned long long)got[i], got[i] == 1 ? "" : "s");
}

static void open_vdev(const char *uuid)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_irq_info irq = {
		.argsz = sizeof(irq), .index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev", uuid);
	d = opendir(path);
	if (!d)
		die(path);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			break;
	if (!de)
		die("no VFIO device cdev");
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
	closedir(d);

	device = open(path, O_RDWR);
	if (device < 0)
		die(path);
	bind.iommufd = open("/dev/iommu", O_RDWR);
	if (bind.iommufd < 0)
		die("/dev/iommu");
	if (ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD");
	printf("opened %s as %s\n", uuid, path);

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("config region");
	cfg = reg.offset;
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("BAR0 region");
	bar0 = reg.offset;
	reg.index = VFIO_PCI_BAR2_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("BAR2 region");
	bar2 = reg.offset;
	bar2_size = reg.size;
	if (ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, &irq))
		die("VFIO_DEVICE_GET_IRQ_INFO");
	nvec = irq.count < MAX_VECS ? irq.count : MAX_VECS;
}

static void movdir64b(void *dst, const void *src)
{
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

/* The host interrupts behind the vdev's vectors, as /proc/interrupts shows them */
static void host_interrupts(const char *uuid)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];

	if (!f)
		return;
	printf("host interrupts of the vdev (/proc/interrupts):\n");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, uuid))
			printf("%s", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	__u32 *desc = aligned_alloc(64, 64);
	__u16 handle[MAX_VECS] = { 0 };
	unsigned int i, n, nwqs, noops = 3;
	__u16 vid, did, command;
	__u32 sts;
	char *portals;

	if (argc < 2) {
		fprintf(stderr, "usage: %s UUID [NOOPS]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		noops = atoi(argv[2]);
	if (!desc)
		die("aligned_alloc");
	open_vdev(argv[1]);

	if (pread(device, &vid, 2, cfg + PCI_VENDOR_ID) != 2 ||
	    pread(device, &did, 2, cfg + PCI_DEVICE_ID) != 2)
		die("config read");
	nwqs = (rd32(REG_WQCAP) >> 16) & 0xff;
	printf("config space: %04x:%04x, %u MSI-X vectors, %u WQs\n", vid, did,
	       nvec, nwqs);

	for (i = 0; i < nvec; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (efd[i] < 0)
			die("eventfd");
		set_eventfd(i, efd[i]);
		wr32(REG_MSIX_TABLE + 16 * i + 12, 0);	/* unmask */
	}

	command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(device, &command, 2, cfg + PCI_COMMAND) != 2)
		die("config write");
	sts = cmd(CMD_ENABLE_DEVICE, 0, 1);
	printf("ENABLE_DEVICE with int_req: CMDSTS %#x, GENSTS %#x\n", sts,
	       rd32(REG_GENSTS));
	for (i = 0; i < nwqs; i++)
		printf("ENABLE_WQ %u with int_req: CMDSTS %#x\n", i,
		       cmd(CMD_ENABLE_WQ, i, 1));
	report("the commands", 200);
	printf("INTCAUSE %#x\n", rd32(REG_INTCAUSE));
	wr32(REG_INTCAUSE, rd32(REG_INTCAUSE));

	for (i = 1; i < nvec; i++) {
		sts = cmd(CMD_REQUEST_INT_HANDLE, i, 0);
		if (sts & 0xff) {
			fprintf(stderr, "REQUEST_INT_HANDLE %u: error %#x\n", i,
				sts & 0xff);
			return 1;
		}
		handle[i] = sts >> 8;
		printf("REQUEST_INT_HANDLE vector %u: host IMS handle %u\n", i,
		       handle[i]);
	}

	portals = mmap(NULL, bar2_size, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (portals == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nwqs; i++)
		if (mmap(portals + i * 4 * PAGE, 2 * PAGE, PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, device, bar2 + i * 4 * PAGE) ==
		    MAP_FAILED)
			die("mmap of a WQ portal");

	/*
	 * One NOOP at a time, each awaited: MSIs of one vector that arrive
	 * before the first is handled may coalesce into one.
	 */
	for (i = 0; i < nwqs; i++) {
		memset(desc, 0, 64);
		desc[1] = 0x10;			/* NOOP, request completion interrupt */
		desc[9] = handle[i + 1];	/* interrupt handle */
		for (n = 0; n < noops; n++) {
			struct pollfd pfd = { .fd = efd[i + 1], .events = POLLIN };
			__u64 val = 0;

			movdir64b(portals + i * 4 * PAGE, desc);
			if (poll(&pfd, 1, 2000) == 1 &&
			    read(efd[i + 1], &val, sizeof(val)) != sizeof(val))
				val = 0;
			printf("NOOP %u to WQ %u, handle of vector %u: ",
			       n + 1, i, i + 1);
			printf("vector %u got %llu interrupt%s\n", i + 1,
			       (unsigned long long)val, val == 1 ? "" : "s");
		}
	}
	report("the NOOPs (anything left)", 500);
	host_interrupts(argv[1]);
	return 0;
}
