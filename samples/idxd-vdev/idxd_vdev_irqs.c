// SPDX-License-Identifier: GPL-2.0
/*
 * idxd_vdev_irqs - drive an idxd vdev through VFIO as a guest driver
 * would, and print the interrupts each MSI-X vector receives.
 *
 *   idxd_vdev_irqs UUID [NOOPS]
 *
 * Opens the mediated device UUID through its VFIO device cdev and
 * iommufd and plays the stock guest idxd driver behind QEMU 7.2's
 * vfio-pci: bus master on, RESET_DEVICE, MSI-X enabled the way QEMU 7.2
 * does it (vector 0 alone; for each new highest vector the whole index
 * off, then every vector in one VFIO_DEVICE_SET_IRQS), the virtual DSA
 * and its WQs enabled with a completion interrupt request (the emulated
 * vector 0 fires), REQUEST_INT_HANDLE for every WQ vector (the handle of
 * a host IMS entry).  It maps the WQs' portals as QEMU does, with the
 * protection BAR2's region flags give, and submits NOOPS (default 3)
 * NOOP descriptors with a completion interrupt request per WQ with
 * MOVDIR64B.  The IMS-backed vectors fire; nothing else does.  Like QEMU,
 * it never writes the vdev's MSI-X table: QEMU emulates the guest's.
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
#define CMD_ENABLE_DEVICE	1
#define CMD_RESET_DEVICE	5
#define CMD_ENABLE_WQ		6
#define CMD_REQUEST_INT_HANDLE	13
#define CMD_INT_REQ		0x80000000u

static int device = -1;
static __u64 bar0, cfg, bar2, bar2_size;
static __u32 bar2_flags;
static struct vfio_region_sparse_mmap_area areas[MAX_VECS];
static unsigned int nareas;
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

static int set_irqs(__u32 flags, unsigned int start, unsigned int count,
		    const __s32 *fds)
{
	char buf[sizeof(struct vfio_irq_set) + MAX_VECS * sizeof(__s32)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(*set) + count * sizeof(__s32);
	set->flags = flags | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	set->start = start;
	set->count = count;
	if (count)
		memcpy(set->data, fds, count * sizeof(__s32));
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set);
}

/*
 * QEMU 7.2's vfio_msix_vector_do_use() for vector @nr when the guest
 * unmasks it: a vector above the highest one enabled disables the whole
 * index and enables vectors 0..@nr in one call, -1 for those not in use;
 * another one gets its own call.
 */
static void vector_use(unsigned int nr)
{
	static unsigned int nr_vectors, in_use;
	__s32 fds[MAX_VECS];
	unsigned int i;

	in_use |= 1u << nr;
	if (nr_vectors < nr + 1) {
		set_irqs(VFIO_IRQ_SET_DATA_NONE, 0, 0, NULL);	/* result ignored, as QEMU does */
		nr_vectors = nr + 1;
		for (i = 0; i < nr_vectors; i++)
			fds[i] = in_use & (1u << i) ? efd[i] : -1;
		if (set_irqs(VFIO_IRQ_SET_DATA_EVENTFD, 0, nr_vectors, fds))
			die("VFIO_DEVICE_SET_IRQS, vectors 0..N");
		printf("vector %u: MSI-X index off, vectors 0..%u on\n", nr, nr);
		return;
	}
	if (set_irqs(VFIO_IRQ_SET_DATA_EVENTFD, nr, 1, &efd[nr]))
		die("VFIO_DEVICE_SET_IRQS, one vector");
	printf("vector %u: on its own\n", nr);
}

/* BAR2's flags and sparse mmap areas, as QEMU's vfio_region_setup() reads them */
static void bar2_info(void)
{
	char buf[1024];
	struct vfio_region_info *reg = (struct vfio_region_info *)buf;
	struct vfio_region_info_cap_sparse_mmap *sparse;
	struct vfio_info_cap_header *hdr;
	unsigned int off, i;

	memset(buf, 0, sizeof(buf));
	reg->argsz = sizeof(buf);
	reg->index = VFIO_PCI_BAR2_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, reg) ||
	    reg->argsz > sizeof(buf))
		die("BAR2 region");
	bar2 = reg->offset;
	bar2_size = reg->size;
	bar2_flags = reg->flags;
	if (!(reg->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return;
	for (off = reg->cap_offset, i = 0; off && off < sizeof(buf) - sizeof(*hdr) &&
	     i < 16; off = hdr->next, i++) {
		hdr = (struct vfio_info_cap_header *)(buf + off);
		if (hdr->id != VFIO_REGION_INFO_CAP_SPARSE_MMAP)
			continue;
		sparse = (struct vfio_region_info_cap_sparse_mmap *)hdr;
		for (nareas = 0; nareas < sparse->nr_areas && nareas < MAX_VECS;
		     nareas++)
			areas[nareas] = sparse->areas[nareas];
		return;
	}
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
	bar2_info();
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
	int prot = 0;
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
	}

	/* The guest's probe: bus master, then reset, as the stock idxd does */
	command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(device, &command, 2, cfg + PCI_COMMAND) != 2)
		die("config write");
	printf("RESET_DEVICE: CMDSTS %#x\n", cmd(CMD_RESET_DEVICE, 0, 0));
	/* MSI-X enabled: QEMU 7.2 puts vector 0 in place, then the misc IRQ */
	vector_use(0);
	vector_use(0);
	sts = cmd(CMD_ENABLE_DEVICE, 0, 1);
	printf("ENABLE_DEVICE with int_req: CMDSTS %#x, GENSTS %#x\n", sts,
	       rd32(REG_GENSTS));
	for (i = 0; i < nwqs; i++)
		printf("ENABLE_WQ %u with int_req: CMDSTS %#x\n", i,
		       cmd(CMD_ENABLE_WQ, i, 1));
	report("the commands", 200);
	printf("INTCAUSE %#x\n", rd32(REG_INTCAUSE));
	wr32(REG_INTCAUSE, rd32(REG_INTCAUSE));

	/* Each WQ's IRQ requested (QEMU enables its vector), then its handle */
	for (i = 1; i < nvec; i++) {
		vector_use(i);
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

	/* BAR2's sparse areas, with the protection its flags give */
	if (bar2_flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (bar2_flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	printf("BAR2: flags %#x, %u mmap areas\n", bar2_flags, nareas);
	if (!(bar2_flags & VFIO_REGION_INFO_FLAG_MMAP) || !(prot & PROT_WRITE) ||
	    nareas < nwqs) {
		fprintf(stderr, "BAR2 cannot take descriptors through mmap\n");
		return 1;
	}
	portals = mmap(NULL, bar2_size, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	if (portals == MAP_FAILED)
		die("mmap");
	for (i = 0; i < nareas; i++)
		if (areas[i].offset + areas[i].size > bar2_size ||
		    mmap(portals + areas[i].offset, areas[i].size, prot,
			 MAP_SHARED | MAP_FIXED, device, bar2 + areas[i].offset) ==
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
