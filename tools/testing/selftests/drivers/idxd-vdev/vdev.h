/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the idxd vdev kselftests: set up a DSA and its WQs
 * through sysfs, create vdevs through mdev sysfs, open them through the
 * VFIO device cdev and iommufd, and play the guest driver the way QEMU
 * 7.2's vfio-pci passes it through: the guest's MSI-X table is QEMU's own
 * (never written here), vectors are enabled the way 7.2 does it, regions
 * are mapped with the protection their flags give.
 */
#ifndef IDXD_VDEV_TEST_H
#define IDXD_VDEV_TEST_H

#include <stdint.h>
#include <stddef.h>

#include "drivers/dsa/dsa_sysfs.h"

#define VDEV_DRIVER		"idxd_vdev"
#define VDEV_UNSAFE_PARAM	"/sys/module/" VDEV_DRIVER "/parameters/allow_unsafe_submission"

/* Virtual BAR0 registers (DSA specification) */
#define REG_GENCAP		0x10
#define REG_WQCAP		0x20
#define REG_TABLE_OFFSET	0x60
#define REG_GENCFG		0x80
#define REG_GENCTRL		0x88
#define REG_GENSTS		0x90
#define REG_INTCAUSE		0x98
#define REG_CMD			0xa0
#define REG_CMDSTS		0xa8
#define REG_CMDCAP		0xb0
#define REG_SWERR		0xc0
#define REG_EVLCFG		0xe0
#define REG_EVLSTATUS		0xf0
#define REG_WQCFG		0x500
#define REG_MSIX_TABLE		0x1000
#define REG_MSIX_PBA		0x1800

#define INTC_ERR		0x1
#define INTC_CMD		0x2
#define INTC_HALT		0x10
#define INTC_REVOKED		0x80000000u

enum {
	CMD_ENABLE_DEVICE = 1, CMD_DISABLE_DEVICE, CMD_DRAIN_ALL, CMD_ABORT_ALL,
	CMD_RESET_DEVICE, CMD_ENABLE_WQ, CMD_DISABLE_WQ, CMD_DRAIN_WQ,
	CMD_ABORT_WQ, CMD_RESET_WQ, CMD_DRAIN_PASID, CMD_ABORT_PASID,
	CMD_REQUEST_INT_HANDLE, CMD_RELEASE_INT_HANDLE,
};

#define CMD_INT_REQ		0x80000000u
#define CMDSTS_ACTIVE		0x80000000u
#define CMD_IMS			0x10000
#define ERR_DEV_ENABLED		0x10
#define ERR_BUSMASTER_EN	0x12
#define ERR_DEV_NOTEN		0x20
#define ERR_WQ_ENABLED		0x21
#define ERR_PASID_EN		0x26
#define ERR_INVAL_INT_IDX	0x41
#define ERR_NO_HANDLE		0x42

#define PORTAL_PAGES_PER_WQ	4
#define VDEV_FIRE_MS		5000	/* an interrupt comes within */
#define VDEV_MAX_VEC		8
#define VDEV_MAX_AREAS		8

/* Descriptor flags (DSA specification) */
#define DESC_CRAV		0x4	/* completion record address valid */
#define DESC_RCR		0x8	/* request completion record */
#define DESC_RCI		0x10	/* request completion interrupt */
#define OP_NOOP			0x00
#define OP_BATCH		0x01
#define OP_MEMMOVE		0x03
#define COMP_RECORD_SIZE	32	/* and its alignment */

struct vdev {
	char uuid[40];
	int iommufd;		/* of the cdev's bind, or -1 */
	int group;		/* /dev/vfio/N of the group path, or -1 */
	int container;		/* its container, or -1 */
	int device;
	uint64_t cfg;		/* region offsets */
	uint64_t bar0;
	uint64_t bar2;
	uint64_t bar2_size;
	uint32_t bar2_flags;
	unsigned int nareas;	/* BAR2's sparse mmap areas */
	struct {
		uint64_t offset;
		uint64_t size;
	} area[VDEV_MAX_AREAS];
	int nvec;
	int efd[VDEV_MAX_VEC];
	unsigned int msix_nr;	/* QEMU 7.2's nr_vectors */
	unsigned int in_use;	/* vectors the guest uses (QEMU's "use") */
	void *portals;		/* BAR2, mmap'd */
};

/*
 * The slow DSA: "-device intel-dsa,x-desc-delay-us=N" (the model's engine
 * takes one step, a descriptor or one of a batch, per N us, see
 * tools/testing/qemu/README.md), on which a WQ full of work takes seconds
 * to drain.  The VM runner's callers (tools/testing/vm/check, bench) boot
 * one and name it by its PCI address as sysfs spells it ("0000:00:10.0")
 * in $VDEV_SLOW_DSA.  dsa_find() never returns it, so that every other
 * test runs on a DSA at full speed; dsa_find_slow() returns it alone, and
 * fails with -ENODEV, saying why, when the variable is unset or no DSA
 * has that address.  vdev_host_setup_slow() is vdev_host_setup() on it.
 */
#define VDEV_SLOW_DSA_ENV	"VDEV_SLOW_DSA"

int vdev_modules_load(int allow_unsafe);
int dsa_find(char *dsa, size_t dlen, char *bdf, size_t blen, int want_ims);
int dsa_find_slow(char *dsa, size_t dlen, char *bdf, size_t blen);
int dsa_config_wq(const char *dsa, int i, int wq_size);
int dsa_setup(const char *dsa, int nwqs, int wq_size);
int dsa_teardown(const char *dsa, int nwqs);
int vdev_host_setup(char *dsa, size_t dlen, char *bdf, size_t blen,
		    int nwqs, int wq_size, int *setup);
int vdev_host_setup_slow(char *dsa, size_t dlen, char *bdf, size_t blen,
			 int nwqs, int wq_size, int *setup);

int vdev_create(const char *bdf, const char *type, char *uuid, size_t len);
int vdev_remove(const char *uuid);
void vdev_init(struct vdev *v, const char *uuid);
int vdev_open(struct vdev *v, const char *uuid);
int vdev_open_fd(struct vdev *v, int device);
void vdev_close(struct vdev *v);
int cfg_find_cap(struct vdev *v, unsigned int id);

int cfg_read(struct vdev *v, unsigned int off, void *buf, size_t len);
int cfg_write(struct vdev *v, unsigned int off, const void *buf, size_t len);
uint32_t reg_read32(struct vdev *v, unsigned int off);
uint64_t reg_read64(struct vdev *v, unsigned int off);
int reg_write32(struct vdev *v, unsigned int off, uint32_t val);
int reg_write64(struct vdev *v, unsigned int off, uint64_t val);

int vdev_set_eventfd(struct vdev *v, unsigned int index, unsigned int vector,
		     int fd);
int vdev_disable_msix(struct vdev *v);
int vdev_enable_vectors(struct vdev *v);
int vdev_msix_enable(struct vdev *v);
int vdev_vector_use(struct vdev *v, unsigned int n);
uint32_t vdev_cmd(struct vdev *v, unsigned int cmd, uint32_t operand,
		  int int_req);
int vdev_bring_up(struct vdev *v, int nwqs);
int vdev_vector_up(struct vdev *v, unsigned int n, uint16_t *handle);
int vdev_map_portals(struct vdev *v);
void vdev_submit_desc(struct vdev *v, unsigned int vwq, const void *desc);
void vdev_submit(struct vdev *v, unsigned int vwq, uint8_t opcode,
		 uint32_t flags, uint16_t handle);
void vdev_submit_noop(struct vdev *v, unsigned int vwq, uint16_t handle);
void vdev_noop_list(void *list, unsigned int n, uint64_t comp);
void vdev_submit_batch(struct vdev *v, unsigned int vwq, uint64_t list,
		       uint32_t count, uint64_t comp);

int vdev_ioas_alloc(int iommufd, uint32_t *id);
int vdev_ioas_map(int iommufd, uint32_t ioas, void *va, size_t len,
		  uint64_t iova);
int vdev_attach_pt(struct vdev *v, uint32_t pt_id);
int vdev_detach_pt(struct vdev *v);

long vdev_irq_stat(const char *uuid, const char *key);
int kmsg_open(void);
int kmsg_find(int fd, const char *a, const char *b);

/*
 * The kernel log patterns that mean a kernel problem: POSIX extended
 * regular expressions, one per line, in the file $KSFT_SPLAT_FILE names
 * (tools/testing/vm/lib/splat-patterns, exported by the VM runner).
 */
#define SPLAT_FILE_ENV		"KSFT_SPLAT_FILE"
int splat_load(void);
const char *splat_match(const char *rec);
int kmsg_splat(int fd, char *out, size_t len);
int kmsg_scan(int fd, int (*match)(const char *rec, const void *arg),
	      const void *arg, char *first, size_t len);

/*
 * VFIO migration v2 and DMA logging (migration.c of QEMU 10.0 and
 * hw/vfio/common.c play these).  Each returns 0 or a negative errno.
 */
int vdev_feature(struct vdev *v, uint32_t flags, void *data, size_t len);
int vdev_feature_probe(struct vdev *v, uint32_t feature);
int vdev_mig_flags(struct vdev *v, uint64_t *flags);
int vdev_mig_get_state(struct vdev *v, uint32_t *state);
/* *@data_fd: the arc's new data fd, or -1 */
int vdev_mig_set_state(struct vdev *v, uint32_t state, int *data_fd);
int vdev_mig_data_size(struct vdev *v, uint64_t *len);
int vdev_mig_precopy_info(int data_fd, uint64_t *initial, uint64_t *dirty);
const char *vdev_mig_state_name(uint32_t state);

struct vdev_log_range {
	uint64_t iova;
	uint64_t length;
};

/* *@page_size may be changed by the device */
int vdev_dma_log_start(struct vdev *v, uint64_t *page_size,
		       const struct vdev_log_range *ranges, unsigned int n);
int vdev_dma_log_stop(struct vdev *v);
int vdev_dma_log_report(struct vdev *v, uint64_t iova, uint64_t length,
			uint64_t page_size, void *bitmap);

/* The idxd vdev's device state stream (little endian) */
#define MIG_MAGIC		"IDXDVMIG"	/* 8 bytes, no NUL */
#define MIG_VERSION		1
#define MIG_HDR_LEN		16
#define MIG_REC_HDR_LEN		8
#define MIG_REC_OPTIONAL	0x1
#define MIG_MAX_STREAM		(64 * 1024)
enum {
	MIG_REC_COMPOSITION = 1, MIG_REC_CONFIG, MIG_REC_BAR0, MIG_REC_IRQ,
	MIG_REC_EVENTS, MIG_REC_END = 0xffff,
};

#define MIG_CONFIG_LEN		4096
#define MIG_BAR0_LEN		8192
/* nwqs, revision, gencap, wqcap, grpcap, engcap, opcap; 16 bytes per WQ */
#define MIG_COMP_LEN(nwqs)	(4 + 4 + 5 * 8 + 16 * (nwqs))
#define MIG_ALIGN8(n)		(((n) + 7) & ~(size_t)7)

#define VDEV_DRAIN_PARAM	"/sys/module/" VDEV_DRIVER "/parameters/drain_timeout_ms"

#endif /* IDXD_VDEV_TEST_H */
