// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_mig_test - VFIO migration v2 and DMA logging of the idxd vdev.
 *
 * Four dedicated WQs of the first DSA with IMS entries are bound to
 * idxd_vdev; each test creates a source and a destination vdev on that
 * DSA (two of each in two_devices_p2p), plays the guest on the source
 * (device and WQ enabled, vector 1 up with its handle, MEMMOVE descriptors
 * with a completion record and interrupt through the portal) and migrates
 * it with the ioctl sequence of QEMU 10.0 (hw/vfio/migration.c):
 *
 * source: MIGRATION GET, PROBE of DMA_LOGGING_START, MIG_DATA_SIZE,
 *	   RUNNING -> PRE_COPY (data fd), VFIO_MIG_GET_PRECOPY_INFO, reads of
 *	   min(1 MiB, stop_copy_length) until 0 or ENOMSG; the VM stops:
 *	   PRE_COPY -> PRE_COPY_P2P -> STOP_COPY, reads on the same fd to
 *	   EOF; STOP_COPY -> STOP, the fd closed;
 * destination: VFIO_DEVICE_RESET (machine reset), RUNNING -> RESUMING
 *	   (data fd), the stream written, the config space's PCI_COMMAND
 *	   written and the vectors given their eventfds (vfio_pci_load_config),
 *	   the fd closed (load_cleanup), then the VM starts: RUNNING_P2P,
 *	   RUNNING.
 *
 * The device state stream is checked against its format: header "IDXDVMIG",
 * version 1, records of type, flags and length padded to 8 bytes, END
 * last.  Hostile streams are written to the destination and must fail
 * with EINVAL (EFBIG when too big), leave it in RESUMING and be undone by
 * VFIO_DEVICE_RESET.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vdev.h"

#define NWQS		4	/* up to four 1-WQ vdevs, or a 2-WQ one among them */
#define WQ_SIZE		16
#define NVDEVS		4
#define QUIET_MS	300
#define FIRE_MS		VDEV_FIRE_MS
#define PAGE		4096
#define TYPE1		"idxd-dsa-1dwq-v1"
#define TYPE2		"idxd-dsa-2dwq-v1"
#define MSIX		VFIO_PCI_MSIX_IRQ_INDEX

/* The guest's memory: source and destination buffers, completion records */
#define BUF_SIZE	(1024 * 1024)
#define SRC_IOVA	0x10000000ull
#define DST_IOVA	0x20000000ull
#define COMP_IOVA	0x30000000ull
#define NCOMP		(PAGE / 32)

#define STATUS_SUCCESS	1
#define SWERR_VALID	0x1ull
#define GENSTS_ENABLED	0x1
#define WQCFG_STATE(v, i)	(reg_read32(v, REG_WQCFG + 32 * (i) + 24) >> 30)

/* QEMU's VFIO_MIG_DEFAULT_DATA_BUFFER_SIZE */
#define QEMU_DATA_BUFFER	(1024 * 1024)

#define ST_RUNNING	VFIO_DEVICE_STATE_RUNNING
#define ST_STOP		VFIO_DEVICE_STATE_STOP
#define ST_STOP_COPY	VFIO_DEVICE_STATE_STOP_COPY
#define ST_RESUMING	VFIO_DEVICE_STATE_RESUMING
#define ST_RUNNING_P2P	VFIO_DEVICE_STATE_RUNNING_P2P
#define ST_PRE_COPY	VFIO_DEVICE_STATE_PRE_COPY
#define ST_PRE_COPY_P2P	VFIO_DEVICE_STATE_PRE_COPY_P2P
#define ST_ERROR	VFIO_DEVICE_STATE_ERROR

struct guest_mem {
	uint8_t *src;
	uint8_t *dst;
	uint8_t *comp;
};

/* A stream read from a source */
struct stream {
	uint8_t *buf;
	size_t len;
	size_t cap;
};

FIXTURE(mig) {
	char dsa[32];
	char bdf[32];
	char uuid[NVDEVS][40];
	struct vdev v[NVDEVS];
	struct guest_mem m;
	int setup;
	char drain[32];		/* drain_timeout_ms to restore, "" if none */
	int fds[4];		/* data fds to close */
};

static int mem_alloc(struct guest_mem *m)
{
	uint8_t *p = mmap(NULL, 2 * BUF_SIZE + PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	m->src = p;
	m->dst = p + BUF_SIZE;
	m->comp = p + 2 * BUF_SIZE;
	return 0;
}

static void mem_free(struct guest_mem *m)
{
	if (m->src)
		munmap(m->src, 2 * BUF_SIZE + PAGE);
	memset(m, 0, sizeof(*m));
}

FIXTURE_SETUP(mig)
{
	int i;

	memset(self->uuid, 0, sizeof(self->uuid));
	memset(&self->m, 0, sizeof(self->m));
	for (i = 0; i < NVDEVS; i++)
		vdev_init(&self->v[i], "");
	self->setup = 0;
	self->drain[0] = 0;
	for (i = 0; i < 4; i++)
		self->fds[i] = -1;
	ASSERT_EQ(0, vdev_host_setup(self->dsa, sizeof(self->dsa), self->bdf,
				     sizeof(self->bdf), NWQS, WQ_SIZE,
				     &self->setup));
	ASSERT_EQ(0, mem_alloc(&self->m));
}

FIXTURE_TEARDOWN(mig)
{
	int i;

	for (i = 0; i < 4; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	for (i = 0; i < NVDEVS; i++) {
		vdev_close(&self->v[i]);
		if (self->uuid[i][0])
			vdev_remove(self->uuid[i]);
	}
	if (self->drain[0])
		EXPECT_EQ(0, sysfs_write(VDEV_DRAIN_PARAM, self->drain));
	mem_free(&self->m);
	if (self->setup) {
		int rc = dsa_teardown(self->dsa, NWQS);

		EXPECT_EQ(0, rc) TH_LOG("tearing %s down: %s", self->dsa, strerror(-rc));
	}
}

/* Open vdev @i, attach an IOAS with the guest's memory at its IOVAs */
static int vdev_reopen(struct _test_data_mig *self, int i)
{
	struct vdev *v = &self->v[i];
	struct guest_mem *m = &self->m;
	uint32_t ioas;
	int rc;

	rc = vdev_open(v, self->uuid[i]);
	if (!rc)
		rc = vdev_ioas_alloc(v->iommufd, &ioas);
	if (!rc)
		rc = vdev_attach_pt(v, ioas);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, ioas, m->src, BUF_SIZE, SRC_IOVA);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, ioas, m->dst, BUF_SIZE, DST_IOVA);
	if (!rc)
		rc = vdev_ioas_map(v->iommufd, ioas, m->comp, PAGE, COMP_IOVA);
	return rc;
}

/* Create vdev @i of @type and vdev_reopen() it */
static int vdev_new(struct _test_data_mig *self, int i, const char *type)
{
	int rc;

	rc = vdev_create(self->bdf, type, self->uuid[i], sizeof(self->uuid[i]));
	if (rc) {
		self->uuid[i][0] = 0;
		return rc;
	}
	return vdev_reopen(self, i);
}

/* The guest: device and WQs enabled, vector 1's handle, portals mapped */
static int guest_up(struct vdev *v, int nwqs, uint16_t *handle)
{
	int rc = vdev_bring_up(v, nwqs);

	if (rc)
		return rc;
	rc = vdev_vector_up(v, 1, handle);
	if (rc)
		return rc - 100;
	return vdev_map_portals(v) ? -200 : 0;
}

/* A new guest on @v after a reset: MSI-X off, the portals mapped again */
static int guest_restart(struct vdev *v, int nwqs, uint16_t *handle)
{
	int i;

	if (v->portals)
		munmap(v->portals, v->bar2_size);
	v->portals = NULL;
	vdev_disable_msix(v);
	v->msix_nr = 0;
	v->in_use = 0;
	for (i = 0; i < v->nvec && i < VDEV_MAX_VEC; i++)
		efd_take(v->efd[i]);
	return guest_up(v, nwqs, handle);
}

/* MEMMOVE of @len bytes with completion record @slot and an interrupt */
static void memmove_desc(struct vdev *v, unsigned int slot, uint64_t src,
			 uint64_t dst, uint32_t len, uint16_t handle)
{
	uint64_t comp = COMP_IOVA + 32 * slot;
	uint32_t desc[16];

	memset(desc, 0, sizeof(desc));
	desc[1] = (OP_MEMMOVE << 24) | DESC_CRAV | DESC_RCR | DESC_RCI;
	memcpy(&desc[2], &comp, 8);
	memcpy(&desc[4], &src, 8);
	memcpy(&desc[6], &dst, 8);
	desc[8] = len;
	desc[9] = handle;
	vdev_submit_desc(v, 0, desc);
}

static uint8_t comp_status(struct guest_mem *m, unsigned int slot)
{
	return __atomic_load_n(&m->comp[32 * slot], __ATOMIC_ACQUIRE);
}

/* Records 0..@n-1 written */
static unsigned int done(struct guest_mem *m, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < n; i++)
		k += !!comp_status(m, i);
	return k;
}

/* Wait for record @slot: its status, or -1 after @ms */
static int wait_comp(struct guest_mem *m, unsigned int slot, int ms)
{
	int t, st;

	for (t = 0; t <= ms; t++) {
		st = comp_status(m, slot);
		if (st)
			return st;
		usleep(1000);
	}
	return -1;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int filled(const uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

/*
 * One MEMMOVE of a page on vdev @v with @handle: it completes with success,
 * moves the data and fires vector 1.  0, or what went wrong.
 */
static int one_memmove(struct vdev *v, struct guest_mem *m, uint16_t handle,
		       uint8_t seed)
{
	int st;

	memset(m->comp, 0, 32);
	fill(m->src, PAGE, seed);
	memset(m->dst, 0, PAGE);
	efd_take(v->efd[1]);
	memmove_desc(v, 0, SRC_IOVA, DST_IOVA, PAGE, handle);
	st = wait_comp(m, 0, FIRE_MS);
	if (st != STATUS_SUCCESS)
		return st == -1 ? -1 : -2;
	if (!filled(m->dst, PAGE, seed))
		return -3;
	if (efd_wait(v->efd[1], 1, FIRE_MS) != 1)
		return -4;
	return 0;
}

static void stream_init(struct stream *s)
{
	memset(s, 0, sizeof(*s));
}

static int stream_put(struct stream *s, const void *p, size_t len)
{
	if (s->len + len > s->cap) {
		size_t cap = (s->len + len) * 2 + 4096;
		uint8_t *b = realloc(s->buf, cap);

		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
	return 0;
}

static void stream_free(struct stream *s)
{
	free(s->buf);
	stream_init(s);
}

/*
 * QEMU's vfio_save_block() loop: reads of @bufsz until the data fd has
 * nothing for now (0, or ENOMSG in PRE_COPY).  Returns the bytes read,
 * or a negative errno; *@enomsg counts the ENOMSG ends.
 */
static ssize_t read_all(int fd, size_t bufsz, struct stream *s, int *enomsg)
{
	uint8_t *buf = malloc(bufsz);
	ssize_t n, total = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = read(fd, buf, bufsz);
		if (n < 0 && errno == ENOMSG) {
			if (enomsg)
				(*enomsg)++;
			break;
		}
		if (n < 0) {
			total = -errno;
			break;
		}
		if (!n)
			break;
		if (stream_put(s, buf, n)) {
			total = -ENOMEM;
			break;
		}
		total += n;
	}
	free(buf);
	return total;
}

/* Write all of @p in writes of at most @chunk; 0 or a negative errno */
static int write_all(int fd, const void *p, size_t len, size_t chunk)
{
	const uint8_t *b = p;
	ssize_t n;

	while (len) {
		n = write(fd, b, len < chunk ? len : chunk);
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		b += n;
		len -= n;
	}
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/*
 * Check @s against the format; the offset of each record by type in
 * @off (0 if none: no record starts at 0).  0, or a text of the problem.
 */
static const char *stream_parse(const struct stream *s, size_t off[8],
				int *nrec)
{
	size_t at = MIG_HDR_LEN, len;
	uint16_t type;
	int n = 0;

	memset(off, 0, 8 * sizeof(off[0]));
	if (s->len < MIG_HDR_LEN)
		return "shorter than the header";
	if (memcmp(s->buf, MIG_MAGIC, 8))
		return "magic is not IDXDVMIG";
	if (le32(s->buf + 8) != MIG_VERSION)
		return "version is not 1";
	if (le32(s->buf + 12) != MIG_HDR_LEN)
		return "header length is not 16";
	for (;;) {
		if (at + MIG_REC_HDR_LEN > s->len)
			return "ends without END";
		type = le16(s->buf + at);
		len = le32(s->buf + at + 4);
		if (at + MIG_REC_HDR_LEN + MIG_ALIGN8(len) > s->len)
			return "a record runs past the end";
		if (type == MIG_REC_END) {
			if (len)
				return "END has a payload";
			if (at + MIG_REC_HDR_LEN != s->len)
				return "bytes after END";
			off[0] = at;
			break;
		}
		if (type >= 1 && type <= 5) {
			if (off[type])
				return "a record type twice";
			off[type] = at;
		}
		for (size_t i = len; i < MIG_ALIGN8(len); i++)
			if (s->buf[at + MIG_REC_HDR_LEN + i])
				return "padding is not zero";
		at += MIG_REC_HDR_LEN + MIG_ALIGN8(len);
		n++;
	}
	if (nrec)
		*nrec = n;
	return NULL;
}

static int kmsg_has_nocase(const char *rec, const void *needle)
{
	return !!strcasestr(rec, needle);
}

/* Kernel log records since kmsg_open() containing @needle (any case) */
static int kmsg_grep(int fd, const char *needle, char *first, size_t len)
{
	return kmsg_scan(fd, kmsg_has_nocase, needle, first, len);
}

/*
 * How the kernel log names vdev @uuid's VFIO device (dev_warn() on it):
 * " vfioN: ", N from the mdev's vfio-dev directory
 */
static int vfio_dev_tag(const char *uuid, char *tag, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vfio-dev", uuid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(tag, len, " %.32s: ", de->d_name);
			rc = 0;
			break;
		}
	closedir(d);
	return rc;
}

static int get_state(struct vdev *v)
{
	uint32_t st;

	return vdev_mig_get_state(v, &st) ? -1 : (int)st;
}

/*
 * The source side of a migration as QEMU 10.0 does it with PRE_COPY:
 * save_setup, iterations, the VM stopped, complete, cleanup.  The stream
 * in @s; *@initial the PRE_COPY initial_bytes first reported, *@precopy
 * the bytes read in PRE_COPY.
 */
struct save_result {
	uint64_t stop_copy_first;	/* MIG_DATA_SIZE in RUNNING */
	uint64_t stop_copy_length;	/* and after the PRE_COPY reads */
	uint64_t initial;
	uint64_t dirty;
	uint64_t initial_after;
	size_t precopy;
	int enomsg;
	int read_after_stop;	/* errno of a read of the fd in STOP, 0 if it worked */
};

#define SAVE_OK		0
static int qemu_save_precopy(struct vdev *v, struct stream *s,
			     struct save_result *r, int *fdp, int between(struct vdev *, void *),
			     void *arg)
{
	uint64_t dirty, init;
	size_t bufsz;
	ssize_t n;
	uint8_t c;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	/* vfio_save_setup() */
	rc = vdev_mig_data_size(v, &r->stop_copy_first);
	if (rc)
		return -1;
	r->stop_copy_length = r->stop_copy_first;
	bufsz = r->stop_copy_length < QEMU_DATA_BUFFER ?
		r->stop_copy_length : QEMU_DATA_BUFFER;
	if (!bufsz)
		return -2;
	rc = vdev_mig_set_state(v, ST_PRE_COPY, &fd);
	if (rc || fd < 0)
		return -3;
	*fdp = fd;
	if (vdev_mig_precopy_info(fd, &r->initial, &r->dirty))
		return -4;
	/* vfio_save_iterate() and vfio_state_pending_exact() */
	n = read_all(fd, bufsz, s, &r->enomsg);
	if (n < 0)
		return -5;
	r->precopy = n;
	if (vdev_mig_data_size(v, &r->stop_copy_length) ||
	    vdev_mig_precopy_info(fd, &init, &dirty))
		return -6;
	r->initial_after = init;
	if (between && between(v, arg))
		return -7;
	/* The VM stops: vfio_vmstate_change_prepare(), vfio_vmstate_change() */
	if (vdev_mig_set_state(v, ST_PRE_COPY_P2P, NULL))
		return -8;
	if (vdev_mig_set_state(v, ST_STOP_COPY, NULL))
		return -9;
	/* vfio_save_complete_precopy(): the same fd, to EOF */
	n = read_all(fd, bufsz, s, NULL);
	if (n <= 0)
		return -10;
	/* vfio_save_cleanup() */
	if (vdev_mig_set_state(v, ST_STOP, NULL))
		return -11;
	r->read_after_stop = read(fd, &c, 1) < 0 ? errno : 0;
	close(fd);
	*fdp = -1;
	return 0;
}

/* Give vector @n its eventfd the way QEMU 10.0 does, one vector alone */
static int qemu10_vector_use(struct vdev *v, unsigned int n)
{
	v->in_use |= 1u << n;
	if (v->msix_nr < n + 1)
		v->msix_nr = n + 1;
	return vdev_set_eventfd(v, MSIX, n, v->efd[n]);
}

/*
 * The destination side: reset, RESUMING, the stream written in QEMU's
 * pieces, vfio_pci_load_config() (PCI_COMMAND, vectors 0 and 1 given
 * their eventfds if @vectors), the fd closed; with @start, the VM started:
 * RUNNING_P2P, RUNNING.  Negative step numbers on failure, *@err the errno.
 */
static int qemu_load(struct vdev *v, const struct stream *s, int vectors,
		     int start, int *err)
{
	uint16_t command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	int fd, rc;

	*err = 0;
	rc = vdev_mig_set_state(v, ST_RESUMING, &fd);
	if (rc || fd < 0) {
		*err = -rc;
		return -1;
	}
	/* The source's blocks, as read */
	rc = write_all(fd, s->buf, s->len, QEMU_DATA_BUFFER);
	if (rc) {
		*err = -rc;
		close(fd);
		return -2;
	}
	if (cfg_write(v, PCI_COMMAND, &command, 2)) {
		*err = errno;
		close(fd);
		return -3;
	}
	if (vectors) {
		rc = qemu10_vector_use(v, 0);
		if (!rc)
			rc = qemu10_vector_use(v, 1);
		if (rc) {
			*err = -rc;
			close(fd);
			return -4;
		}
	}
	close(fd);
	if (!start)
		return 0;
	rc = vdev_mig_set_state(v, ST_RUNNING_P2P, NULL);
	if (rc) {
		*err = -rc;
		return -5;
	}
	rc = vdev_mig_set_state(v, ST_RUNNING, NULL);
	if (rc) {
		*err = -rc;
		return -6;
	}
	return 0;
}

/* 1. What QEMU 10.0 asks for when it realizes the device */
TEST_F(mig, flags)
{
	struct vdev *v = &self->v[0];
	uint64_t flags = 0, len = 0;

	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_mig_flags(v, &flags));
	EXPECT_EQ(VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P |
		  VFIO_MIGRATION_PRE_COPY, flags);
	EXPECT_EQ(0, vdev_feature_probe(v, VFIO_DEVICE_FEATURE_DMA_LOGGING_START));
	EXPECT_EQ(0, vdev_feature_probe(v, VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT));
	EXPECT_EQ(0, vdev_feature_probe(v, VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP));
	EXPECT_EQ(ST_RUNNING, get_state(v));
	EXPECT_EQ(0, vdev_mig_data_size(v, &len));
	EXPECT_LT(MIG_HDR_LEN, len);
	EXPECT_GE(MIG_MAX_STREAM, len);
}

/* Every bit of @n set in @bitmap, and none after */
static int all_dirty(const uint64_t *bitmap, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!(bitmap[i / 64] & (1ull << (i % 64))))
			return 0;
	for (; i % 64; i++)
		if (bitmap[i / 64] & (1ull << (i % 64)))
			return 0;
	return 1;
}

/*
 * In PRE_COPY: QEMU's dirty sync of the guest's RAM (a REPORT), and a
 * NOOP with an interrupt: the device runs
 */
static int noop_in_precopy(struct vdev *v, void *arg)
{
	uint16_t handle = *(uint16_t *)arg;
	uint64_t bitmap[BUF_SIZE / PAGE / 64];

	memset(bitmap, 0, sizeof(bitmap));
	if (vdev_dma_log_report(v, SRC_IOVA, BUF_SIZE, PAGE, bitmap) ||
	    !all_dirty(bitmap, BUF_SIZE / PAGE))
		return -1;
	vdev_submit_noop(v, 0, handle);
	return efd_wait(v->efd[1], 1, FIRE_MS) == 1 ? 0 : -2;
}

/*
 * 2. A round trip between two 1-WQ vdevs, QEMU 10.0's way: the stream's
 * format, PRE_COPY's initial bytes, the destination's registers, its
 * vectors given their eventfds while RESUMING, the revocation of the
 * handle iff it changed, and a descriptor on the destination.
 */
TEST_F_TIMEOUT(mig, round_trip_precopy, 120)
{
	struct vdev *src = &self->v[0], *dst = &self->v[1];
	struct guest_mem *m = &self->m;
	uint32_t src_gensts, src_genctrl, src_wqcfg[8], intc;
	uint64_t src_swerr, gencap, wqcap, page = PAGE;
	uint64_t bitmap[BUF_SIZE / PAGE / 64];
	struct vdev_log_range ranges[2] = {
		{ SRC_IOVA, COMP_IOVA + PAGE - SRC_IOVA },
		{ 0x100000000ull, 0x40000000ull },
	};
	struct save_result r;
	uint16_t handle, h2;
	size_t off[8];
	struct stream s;
	const char *bad;
	int i, rc, err, nrec, revoked;
	size_t comp_len;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_new(self, 1, TYPE1));
	ASSERT_EQ(0, guest_up(src, 1, &handle));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, one_memmove(src, m, handle, 0x10 + i)) TH_LOG("MEMMOVE %d", i);
	/* The destination QEMU maps BAR2 when it realizes the device */
	ASSERT_EQ(0, ioctl(dst->device, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, vdev_map_portals(dst));

	/* vfio_devices_dma_logging_start(): RAM below 4 GiB and above */
	ASSERT_EQ(0, vdev_dma_log_start(src, &page, ranges, 2));
	rc = qemu_save_precopy(src, &s, &r, &self->fds[0], noop_in_precopy, &handle);
	ASSERT_EQ(0, rc) TH_LOG("save step %d: %s", -rc, strerror(errno));
	EXPECT_EQ(ST_STOP, get_state(src));
	/* The last sync, the VM stopped; then the log stopped at cleanup */
	memset(bitmap, 0, sizeof(bitmap));
	EXPECT_EQ(0, vdev_dma_log_report(src, SRC_IOVA, BUF_SIZE, PAGE, bitmap));
	EXPECT_TRUE(all_dirty(bitmap, BUF_SIZE / PAGE));
	EXPECT_EQ(0, vdev_dma_log_stop(src));
	TH_LOG("stream %zu bytes, %zu in PRE_COPY, stop_copy_length %llu, ENOMSG %d",
	       s.len, r.precopy, (unsigned long long)r.stop_copy_length, r.enomsg);

	bad = stream_parse(&s, off, &nrec);
	ASSERT_EQ(NULL, bad) TH_LOG("stream: %s", bad);
	ASSERT_NE(0, off[MIG_REC_COMPOSITION]);
	EXPECT_EQ(MIG_HDR_LEN, off[MIG_REC_COMPOSITION]) TH_LOG("COMPOSITION is not first");
	comp_len = le32(s.buf + off[MIG_REC_COMPOSITION] + 4);
	EXPECT_EQ(MIG_COMP_LEN(1), comp_len);
	EXPECT_EQ(1, le32(s.buf + off[MIG_REC_COMPOSITION] + 8));
	ASSERT_NE(0, off[MIG_REC_CONFIG]);
	EXPECT_EQ(MIG_CONFIG_LEN, le32(s.buf + off[MIG_REC_CONFIG] + 4));
	ASSERT_NE(0, off[MIG_REC_BAR0]);
	EXPECT_EQ(MIG_BAR0_LEN, le32(s.buf + off[MIG_REC_BAR0] + 4));
	gencap = le64(s.buf + off[MIG_REC_COMPOSITION] + 16);
	wqcap = le64(s.buf + off[MIG_REC_COMPOSITION] + 24);
	EXPECT_EQ(reg_read64(src, REG_GENCAP), gencap);
	EXPECT_EQ(reg_read64(src, REG_WQCAP), wqcap);
	/* WQ 0's size */
	EXPECT_EQ(WQ_SIZE, le32(s.buf + off[MIG_REC_COMPOSITION] + 8 + 48));

	/* PRE_COPY: the header and COMPOSITION first, nothing dirty */
	EXPECT_EQ(MIG_HDR_LEN + MIG_REC_HDR_LEN + MIG_ALIGN8(comp_len), r.initial);
	EXPECT_EQ(MIG_HDR_LEN + MIG_REC_HDR_LEN + MIG_ALIGN8(MIG_COMP_LEN(1)), r.initial);
	EXPECT_EQ(0, r.dirty);
	EXPECT_EQ(r.initial, r.precopy);
	EXPECT_EQ(0, r.initial_after);
	EXPECT_GE(r.stop_copy_first, s.len);
	EXPECT_GE(r.stop_copy_length, s.len - r.precopy);
	EXPECT_NE(0, r.read_after_stop) TH_LOG("the saving fd read in STOP");

	/* The source as it stopped */
	src_gensts = reg_read32(src, REG_GENSTS);
	src_genctrl = reg_read32(src, REG_GENCTRL);
	src_swerr = reg_read64(src, REG_SWERR);
	for (i = 0; i < 8; i++)
		src_wqcfg[i] = reg_read32(src, REG_WQCFG + 4 * i);
	EXPECT_EQ(GENSTS_ENABLED, src_gensts & 3);

	rc = qemu_load(dst, &s, 1, 1, &err);
	ASSERT_EQ(0, rc) TH_LOG("load step %d: %s", -rc, strerror(err));
	EXPECT_EQ(ST_RUNNING, get_state(dst));
	EXPECT_EQ(src_gensts, reg_read32(dst, REG_GENSTS));
	EXPECT_EQ(src_genctrl, reg_read32(dst, REG_GENCTRL));
	EXPECT_EQ(src_swerr, reg_read64(dst, REG_SWERR));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(src_wqcfg[i], reg_read32(dst, REG_WQCFG + 4 * i))
			TH_LOG("WQCFG dword %d", i);
	EXPECT_EQ(1, WQCFG_STATE(dst, 0)) TH_LOG("WQ 0 not enabled");

	/* The handle the guest holds, revoked iff the destination's differs */
	intc = reg_read32(dst, REG_INTCAUSE);
	revoked = !!(intc & INTC_REVOKED);
	EXPECT_EQ(revoked, efd_wait(dst->efd[0], 1, revoked ? FIRE_MS : QUIET_MS));
	rc = vdev_cmd(dst, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, rc & 0xff);
	h2 = rc >> 8;
	TH_LOG("handle %#x on the source, %#x on the destination, INTCAUSE %#x",
	       handle, h2, intc);
	EXPECT_EQ(h2 != handle, revoked);
	if (revoked) {
		ASSERT_EQ(0, reg_write32(dst, REG_INTCAUSE, INTC_REVOKED));
		EXPECT_EQ(0, reg_read32(dst, REG_INTCAUSE) & INTC_REVOKED);
	}
	EXPECT_EQ(0, one_memmove(dst, m, h2, 0x77));
	EXPECT_EQ(0, efd_wait(dst->efd[1], 1, QUIET_MS));
	EXPECT_EQ(0, efd_wait(src->efd[1], 1, 0));
	stream_free(&s);
}

/* What the source's guest left: vector 1 without its eventfd, a NOOP pending */
static int pend_vector1(struct vdev *v, void *arg)
{
	uint16_t handle = *(uint16_t *)arg;

	if (vdev_set_eventfd(v, MSIX, 1, -1))
		return -1;
	vdev_submit_noop(v, 0, handle);
	usleep(QUIET_MS * 1000);
	return efd_wait(v->efd[1], 1, 0) ? -1 : 0;
}

/*
 * 2b. The destination's vectors get their eventfds only after it runs:
 * at RESUMING -> STOP vector 1 has no IMS entry, so the handle is revoked
 * (vector 0, once it has an eventfd); the NOOP held back on the source is
 * delivered once vector 1 has its eventfd; a new handle works.
 */
TEST_F_TIMEOUT(mig, round_trip_vectors_late, 120)
{
	struct vdev *src = &self->v[0], *dst = &self->v[1];
	struct guest_mem *m = &self->m;
	struct save_result r;
	uint16_t handle, h2;
	struct stream s;
	uint64_t pba;
	int rc, err;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_new(self, 1, TYPE1));
	ASSERT_EQ(0, guest_up(src, 1, &handle));
	ASSERT_EQ(0, one_memmove(src, m, handle, 0x21));
	ASSERT_EQ(0, ioctl(dst->device, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, vdev_map_portals(dst));

	rc = qemu_save_precopy(src, &s, &r, &self->fds[0], pend_vector1, &handle);
	ASSERT_EQ(0, rc) TH_LOG("save step %d", -rc);
	EXPECT_EQ(2, reg_read64(src, REG_MSIX_PBA)) TH_LOG("vector 1 not pending on the source");

	rc = qemu_load(dst, &s, 0, 1, &err);
	ASSERT_EQ(0, rc) TH_LOG("load step %d: %s", -rc, strerror(err));
	EXPECT_EQ(INTC_REVOKED, reg_read32(dst, REG_INTCAUSE) & INTC_REVOKED);
	EXPECT_EQ(0, efd_wait(dst->efd[0], 1, QUIET_MS));
	ASSERT_EQ(0, qemu10_vector_use(dst, 0));
	EXPECT_EQ(1, efd_wait(dst->efd[0], 1, FIRE_MS)) TH_LOG("no revocation interrupt");
	pba = reg_read64(dst, REG_MSIX_PBA);
	EXPECT_EQ(2, pba) TH_LOG("the destination's PBA before vector 1's eventfd");
	ASSERT_EQ(0, qemu10_vector_use(dst, 1));
	EXPECT_EQ(1, efd_wait(dst->efd[1], 1, FIRE_MS))
		TH_LOG("the held NOOP was lost: PBA %#llx before vector 1's eventfd, %#llx after",
		       (unsigned long long)pba,
		       (unsigned long long)reg_read64(dst, REG_MSIX_PBA));
	EXPECT_EQ(0, efd_wait(dst->efd[1], 1, QUIET_MS));
	rc = vdev_cmd(dst, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, rc & 0xff);
	h2 = rc >> 8;
	ASSERT_EQ(0, reg_write32(dst, REG_INTCAUSE, INTC_REVOKED));
	EXPECT_EQ(0, one_memmove(dst, m, h2, 0x78));
	stream_free(&s);
}

/*
 * 2c. A guest with two vdevs, in the order QEMU 10.0 moves more than one
 * VFIO device (vfio_vmstate_change_prepare() for every device, then
 * vfio_vmstate_change() for every device): sources A and B in PRE_COPY
 * with MEMMOVEs in flight on both, A and B to PRE_COPY_P2P, then A and B
 * to STOP_COPY.  Every record of both is written with success and both
 * vectors fired when the STOP_COPYs return; A's stream loads into C and
 * B's into D, which run (RUNNING_P2P for both, then RUNNING for both) and
 * work.  A and B, reset, work again.
 */
#define P2P_HALF	(BUF_SIZE / 2)
#define P2P_SLOT(i)	((i) * (NCOMP / 2))	/* vdev i's first record */

TEST_F_TIMEOUT(mig, two_devices_p2p, 180)
{
	struct vdev *v = self->v;	/* A, B: sources; C, D: destinations */
	struct guest_mem *m = &self->m;
	uint64_t len[2], init[2], dirty[2], fired[2];
	unsigned int i, k, n = WQ_SIZE, before[2] = { 0, 0 }, ok[2] = { 0, 0 };
	uint16_t handle[2], h2;
	uint32_t shift, xfer, intc;
	struct stream s[2];
	size_t off[8], bufsz[2];
	const char *bad;
	int fd, rc, st, revoked;
	ssize_t got;

	for (i = 0; i < 2; i++)
		stream_init(&s[i]);
	for (i = 0; i < NVDEVS; i++)
		ASSERT_EQ(0, vdev_new(self, i, TYPE1)) TH_LOG("vdev %u", i);
	for (i = 0; i < 2; i++) {
		rc = guest_up(&v[i], 1, &handle[i]);
		ASSERT_EQ(0, rc) TH_LOG("source %c: bring-up step %d", 'A' + i, rc);
		ASSERT_EQ(0, one_memmove(&v[i], m, handle[i], 0x90 + i));
	}
	/* The destination QEMU resets and realizes its devices */
	for (i = 2; i < NVDEVS; i++) {
		ASSERT_EQ(0, ioctl(v[i].device, VFIO_DEVICE_RESET));
		ASSERT_EQ(0, vdev_map_portals(&v[i]));
	}

	/* vfio_save_setup() of each: PRE_COPY; vfio_save_iterate(): initial bytes */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vdev_mig_data_size(&v[i], &len[i]));
		ASSERT_LT(0, len[i]);
		bufsz[i] = len[i] < QEMU_DATA_BUFFER ? len[i] : QEMU_DATA_BUFFER;
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_PRE_COPY, &fd));
		ASSERT_LE(0, fd);
		self->fds[i] = fd;
		ASSERT_EQ(0, vdev_mig_precopy_info(fd, &init[i], &dirty[i]));
		EXPECT_EQ(MIG_HDR_LEN + MIG_REC_HDR_LEN + MIG_ALIGN8(MIG_COMP_LEN(1)),
			  init[i]);
		EXPECT_EQ(0, dirty[i]);
		got = read_all(fd, bufsz[i], &s[i], NULL);
		EXPECT_EQ(init[i], got) TH_LOG("source %c", 'A' + i);
	}

	/* The guest's work on both: A's half of the buffers, and B's */
	shift = reg_read32(&v[0], REG_WQCFG + 12) & 0x1f;
	xfer = shift >= 19 ? P2P_HALF : 1u << shift;
	TH_LOG("%u MEMMOVEs of %u bytes on each", n, xfer);
	fill(m->src, BUF_SIZE, 0xa5);
	memset(m->dst, 0, BUF_SIZE);
	memset(m->comp, 0, PAGE);
	for (i = 0; i < 2; i++)
		efd_take(v[i].efd[1]);
	for (k = 0; k < n; k++)
		for (i = 0; i < 2; i++)
			memmove_desc(&v[i], P2P_SLOT(i) + k, SRC_IOVA + i * P2P_HALF,
				     DST_IOVA + i * P2P_HALF, xfer, handle[i]);
	for (i = 0; i < 2; i++)
		for (k = 0; k < n; k++)
			before[i] += !!comp_status(m, P2P_SLOT(i) + k);

	/* The VM stops: every device to P2P, then every device to STOP_COPY */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_PRE_COPY_P2P, NULL))
			TH_LOG("source %c", 'A' + i);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_STOP_COPY, NULL))
			TH_LOG("source %c", 'A' + i);
	for (i = 0; i < 2; i++) {
		fired[i] = efd_take(v[i].efd[1]);
		for (k = 0; k < n; k++) {
			st = comp_status(m, P2P_SLOT(i) + k);
			ok[i] += st == STATUS_SUCCESS;
			EXPECT_EQ(STATUS_SUCCESS, st)
				TH_LOG("source %c, descriptor %u", 'A' + i, k);
		}
		TH_LOG("source %c: %u of %u done before the P2P arcs, %u with success",
		       'A' + i, before[i], n, ok[i]);
		TH_LOG("source %c: %llu interrupts by the STOP_COPY's return", 'A' + i,
		       (unsigned long long)fired[i]);
		EXPECT_LE(1, fired[i]) TH_LOG("source %c: no completion interrupt", 'A' + i);
		EXPECT_EQ(0, memcmp(m->dst + i * P2P_HALF, m->src + i * P2P_HALF, xfer))
			TH_LOG("source %c: data not moved", 'A' + i);
		EXPECT_EQ(0, reg_read64(&v[i], REG_SWERR) & SWERR_VALID);
		EXPECT_EQ(ST_STOP_COPY, get_state(&v[i]));
	}

	/* vfio_save_complete_precopy() of each, then vfio_save_cleanup() */
	for (i = 0; i < 2; i++) {
		got = read_all(self->fds[i], bufsz[i], &s[i], NULL);
		EXPECT_LT(0, got) TH_LOG("source %c", 'A' + i);
		bad = stream_parse(&s[i], off, NULL);
		ASSERT_EQ(NULL, bad) TH_LOG("source %c's stream: %s", 'A' + i, bad);
		EXPECT_GE(len[i], s[i].len);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_STOP, NULL));
		close(self->fds[i]);
		self->fds[i] = -1;
	}

	/* vfio_load_setup() of each, the sections loaded, vfio_load_cleanup() */
	for (i = 2; i < NVDEVS; i++) {
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_RESUMING, &fd));
		ASSERT_LE(0, fd);
		self->fds[i] = fd;
	}
	for (i = 2; i < NVDEVS; i++) {
		uint16_t command = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

		rc = write_all(self->fds[i], s[i - 2].buf, s[i - 2].len, QEMU_DATA_BUFFER);
		ASSERT_EQ(0, rc) TH_LOG("%c's stream into %c: %s", 'A' + i - 2, 'A' + i,
					strerror(-rc));
		ASSERT_EQ(0, cfg_write(&v[i], PCI_COMMAND, &command, 2));
		ASSERT_EQ(0, qemu10_vector_use(&v[i], 0));
		ASSERT_EQ(0, qemu10_vector_use(&v[i], 1));
	}
	for (i = 2; i < NVDEVS; i++) {
		close(self->fds[i]);
		self->fds[i] = -1;
	}
	/* The VM starts: every device to RUNNING_P2P, then every one to RUNNING */
	for (i = 2; i < NVDEVS; i++)
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_RUNNING_P2P, NULL))
			TH_LOG("destination %c", 'A' + i);
	for (i = 2; i < NVDEVS; i++)
		ASSERT_EQ(0, vdev_mig_set_state(&v[i], ST_RUNNING, NULL))
			TH_LOG("destination %c", 'A' + i);

	for (i = 2; i < NVDEVS; i++) {
		EXPECT_EQ(ST_RUNNING, get_state(&v[i]));
		EXPECT_EQ(GENSTS_ENABLED, reg_read32(&v[i], REG_GENSTS) & 3);
		EXPECT_EQ(1, WQCFG_STATE(&v[i], 0)) TH_LOG("%c: WQ 0 not enabled", 'A' + i);
		intc = reg_read32(&v[i], REG_INTCAUSE);
		revoked = !!(intc & INTC_REVOKED);
		h2 = handle[i - 2];
		if (revoked) {
			EXPECT_EQ(1, efd_wait(v[i].efd[0], 1, FIRE_MS))
				TH_LOG("%c: no revocation interrupt", 'A' + i);
			rc = vdev_cmd(&v[i], CMD_REQUEST_INT_HANDLE, 1, 0);
			ASSERT_EQ(0, rc & 0xff) TH_LOG("%c: REQUEST_INT_HANDLE", 'A' + i);
			h2 = rc >> 8;
			ASSERT_EQ(0, reg_write32(&v[i], REG_INTCAUSE, INTC_REVOKED));
		} else {
			EXPECT_EQ(0, efd_wait(v[i].efd[0], 1, 0));
		}
		TH_LOG("%c: handle %#x on %c, %#x here, INTCAUSE %#x", 'A' + i,
		       handle[i - 2], 'A' + i - 2, h2, intc);
		rc = one_memmove(&v[i], m, h2, 0xb0 + i);
		EXPECT_EQ(0, rc) TH_LOG("%c: MEMMOVE: %d", 'A' + i, rc);
		/* The interrupt was this vdev's alone */
		EXPECT_EQ(0, efd_wait(v[5 - i].efd[1], 1, 0))
			TH_LOG("%c's MEMMOVE fired %c's vector", 'A' + i, 'A' + 5 - i);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, efd_wait(v[i].efd[1], 1, 0)) TH_LOG("source %c fired", 'A' + i);

	/* The sources, reset (the migration done, their QEMU quits): they work */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ioctl(v[i].device, VFIO_DEVICE_RESET));
		EXPECT_EQ(ST_RUNNING, get_state(&v[i]));
		rc = guest_restart(&v[i], 1, &handle[i]);
		ASSERT_EQ(0, rc) TH_LOG("source %c: bring-up step %d", 'A' + i, rc);
		EXPECT_EQ(0, one_memmove(&v[i], m, handle[i], 0xc0 + i))
			TH_LOG("source %c", 'A' + i);
	}
	for (i = 0; i < 2; i++)
		stream_free(&s[i]);
}

/*
 * 3. RUNNING -> RUNNING_P2P -> STOP with the WQ full of MEMMOVEs drains
 * it: every record is written with success, and vector 1 fired, when STOP
 * returns.  In STOP a descriptor written to the portal goes nowhere;
 * STOP -> RUNNING (a cancelled migration) lets new ones complete.
 */
TEST_F_TIMEOUT(mig, stop_drains, 120)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	unsigned int i, n = WQ_SIZE, done_before = 0, ok = 0;
	uint32_t xfer, shift;
	uint16_t handle;
	uint64_t fired;
	int st;

	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	shift = reg_read32(v, REG_WQCFG + 12) & 0x1f;
	xfer = shift >= 20 ? BUF_SIZE : 1u << shift;
	TH_LOG("%u MEMMOVEs of %u bytes", n, xfer);
	fill(m->src, BUF_SIZE, 0x31);
	memset(m->comp, 0, PAGE);
	efd_take(v->efd[1]);
	for (i = 0; i < n; i++)
		memmove_desc(v, i, SRC_IOVA, DST_IOVA, xfer, handle);
	for (i = 0; i < n; i++)
		done_before += !!comp_status(m, i);
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_RUNNING_P2P, NULL));
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_STOP, NULL));
	fired = efd_take(v->efd[1]);
	for (i = 0; i < n; i++) {
		st = comp_status(m, i);
		ok += st == STATUS_SUCCESS;
		EXPECT_EQ(STATUS_SUCCESS, st) TH_LOG("descriptor %u", i);
	}
	TH_LOG("%u of %u done before STOP was asked, %u with success at its return",
	       done_before, n, ok);
	EXPECT_LE(1, fired) TH_LOG("no completion interrupt before STOP returned");
	EXPECT_TRUE(filled(m->dst, xfer, 0x31));
	EXPECT_EQ(0, reg_read64(v, REG_SWERR) & SWERR_VALID);
	EXPECT_EQ(ST_STOP, get_state(v));

	/* Blocked portals: the descriptor never completes */
	memset(m->comp, 0, 32);
	memmove_desc(v, 0, SRC_IOVA, DST_IOVA, PAGE, handle);
	EXPECT_EQ(-1, wait_comp(m, 0, 1000));
	EXPECT_EQ(0, efd_wait(v->efd[1], 1, 0));

	/* Cancelled: the guest goes on */
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_RUNNING, NULL));
	EXPECT_EQ(-1, wait_comp(m, 0, QUIET_MS)) TH_LOG("the STOP descriptor ran later");
	EXPECT_EQ(GENSTS_ENABLED, reg_read32(v, REG_GENSTS) & 3);
	EXPECT_EQ(0, one_memmove(v, m, handle, 0x44));
}

/*
 * 4. The VM stopped first (QEMU: RUNNING_P2P, STOP, then save_setup in
 * STOP), no PRE_COPY: STOP -> STOP_COPY, MIG_DATA_SIZE covers the stream,
 * read to EOF, STOP_COPY -> STOP; the destination RESUMING -> STOP ->
 * RUNNING explicitly.
 */
TEST_F_TIMEOUT(mig, stop_copy_only, 120)
{
	struct vdev *src = &self->v[0], *dst = &self->v[1];
	struct guest_mem *m = &self->m;
	uint64_t len = 0, len2 = 0;
	uint16_t handle, h2;
	struct stream s;
	size_t off[8];
	const char *bad;
	int fd, rc, err;
	uint8_t c;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_new(self, 1, TYPE1));
	ASSERT_EQ(0, guest_up(src, 1, &handle));
	ASSERT_EQ(0, one_memmove(src, m, handle, 0x51));

	ASSERT_EQ(0, vdev_mig_set_state(src, ST_RUNNING_P2P, NULL));
	ASSERT_EQ(0, vdev_mig_set_state(src, ST_STOP, NULL));
	ASSERT_EQ(0, vdev_mig_data_size(src, &len));
	ASSERT_EQ(0, vdev_mig_set_state(src, ST_STOP_COPY, &fd));
	ASSERT_LE(0, fd);
	self->fds[0] = fd;
	ASSERT_EQ(0, vdev_mig_data_size(src, &len2));
	ASSERT_LT(0, read_all(fd, len < QEMU_DATA_BUFFER ? len : QEMU_DATA_BUFFER,
			      &s, NULL));
	/* EOF stays EOF */
	EXPECT_EQ(0, read(fd, &c, 1));
	EXPECT_GE(len, s.len);
	EXPECT_GE(len2, s.len);
	TH_LOG("stream %zu bytes, stop_copy_length %llu", s.len, (unsigned long long)len);
	bad = stream_parse(&s, off, NULL);
	ASSERT_EQ(NULL, bad) TH_LOG("stream: %s", bad);
	ASSERT_EQ(0, vdev_mig_set_state(src, ST_STOP, NULL));
	EXPECT_GT(0, read(fd, &c, 1)) TH_LOG("the saving fd read in STOP");
	close(fd);
	self->fds[0] = -1;

	rc = qemu_load(dst, &s, 1, 0, &err);
	ASSERT_EQ(0, rc) TH_LOG("load step %d: %s", -rc, strerror(err));
	ASSERT_EQ(0, vdev_mig_set_state(dst, ST_STOP, NULL));
	EXPECT_EQ(ST_STOP, get_state(dst));
	EXPECT_EQ(GENSTS_ENABLED, reg_read32(dst, REG_GENSTS) & 3);
	ASSERT_EQ(0, vdev_mig_set_state(dst, ST_RUNNING, NULL));
	ASSERT_EQ(0, vdev_map_portals(dst));
	rc = vdev_cmd(dst, CMD_REQUEST_INT_HANDLE, 1, 0);
	ASSERT_EQ(0, rc & 0xff);
	h2 = rc >> 8;
	reg_write32(dst, REG_INTCAUSE, INTC_REVOKED);
	efd_take(dst->efd[0]);
	EXPECT_EQ(0, one_memmove(dst, m, h2, 0x52));
	stream_free(&s);
}

/* A stream of @src saved through STOP_COPY alone, into @s; the source stays STOP */
static int save_stop_copy(struct vdev *src, struct stream *s)
{
	int fd;
	ssize_t n;

	if (vdev_mig_set_state(src, ST_STOP, NULL) ||
	    vdev_mig_set_state(src, ST_STOP_COPY, &fd) || fd < 0)
		return -1;
	n = read_all(fd, QEMU_DATA_BUFFER, s, NULL);
	close(fd);
	if (n <= 0 || vdev_mig_set_state(src, ST_STOP, NULL))
		return -2;
	return 0;
}

/*
 * Write @len bytes of @p in RESUMING and try RESUMING -> STOP.  Returns
 * where the stream was refused: 1 by write() (*@err its errno), 2 by the
 * arc (*@err), 0 if not refused (the device is in STOP), <0 if the setup
 * failed.
 */
static int try_resume(struct vdev *v, const void *p, size_t len, size_t chunk,
		      int *err)
{
	int fd, rc;

	*err = 0;
	if (vdev_mig_set_state(v, ST_RESUMING, &fd) || fd < 0)
		return -1;
	rc = write_all(fd, p, len, chunk);
	close(fd);
	if (rc) {
		*err = -rc;
		return 1;
	}
	rc = vdev_mig_set_state(v, ST_STOP, NULL);
	if (rc) {
		*err = -rc;
		return 2;
	}
	return 0;
}

/* After a refused stream: RESUMING; reset; RUNNING and a working guest */
static int recovers(struct vdev *v, struct guest_mem *m, char *why, size_t len)
{
	uint16_t handle;
	int st, rc;

	st = get_state(v);
	if (st != ST_RESUMING) {
		snprintf(why, len, "state %s after the refusal, not RESUMING",
			 vdev_mig_state_name(st));
		return -1;
	}
	if (ioctl(v->device, VFIO_DEVICE_RESET)) {
		snprintf(why, len, "VFIO_DEVICE_RESET: %s", strerror(errno));
		return -1;
	}
	st = get_state(v);
	if (st != ST_RUNNING) {
		snprintf(why, len, "state %s after the reset", vdev_mig_state_name(st));
		return -1;
	}
	/* A fresh guest, as after a reset of the VM */
	rc = guest_restart(v, 1, &handle);
	if (rc) {
		snprintf(why, len, "bring-up after the reset: step %d", rc);
		return -1;
	}
	rc = one_memmove(v, m, handle, 0x66);
	if (rc) {
		snprintf(why, len, "MEMMOVE after the reset: %d", rc);
		return -1;
	}
	return 0;
}

struct hostile {
	const char *name;
	uint8_t *buf;
	size_t len;
};

static struct hostile mk(const char *name, const struct stream *s, size_t len,
			 size_t extra)
{
	struct hostile h = { .name = name, .len = len + extra };

	h.buf = calloc(1, len + extra + 64);
	if (h.buf)
		memcpy(h.buf, s->buf, len < s->len ? len : s->len);
	return h;
}

/* An unknown optional record before END is skipped: the stream applies */
static void optional_record_accepted(struct __test_metadata *_metadata,
				     struct vdev *dst, const struct stream *s,
				     size_t end)
{
	struct hostile ok = mk("optional record", s, end,
			       MIG_REC_HDR_LEN + 16 + MIG_REC_HDR_LEN);
	int where, err;

	ASSERT_NE(NULL, ok.buf);
	put16(ok.buf + end, 0x4242);
	put16(ok.buf + end + 2, MIG_REC_OPTIONAL);
	put32(ok.buf + end + 4, 13);
	memset(ok.buf + end + 8, 0xab, 13);
	memcpy(ok.buf + end + 24, s->buf + end, MIG_REC_HDR_LEN);
	where = try_resume(dst, ok.buf, ok.len, QEMU_DATA_BUFFER, &err);
	EXPECT_EQ(0, where) TH_LOG("%s refused: %s", ok.name, strerror(err));
	if (!where) {
		EXPECT_EQ(0, vdev_mig_set_state(dst, ST_RUNNING, NULL));
		EXPECT_EQ(GENSTS_ENABLED, reg_read32(dst, REG_GENSTS) & 3);
	}
	free(ok.buf);
	ASSERT_EQ(0, ioctl(dst->device, VFIO_DEVICE_RESET));
	ASSERT_EQ(ST_RUNNING, get_state(dst));
}

/*
 * More than 64 KiB written, each record consistent (unknown optional ones
 * of 4 KiB after the COMPOSITION): EFBIG, and the device recovers
 */
static void oversized_refused(struct __test_metadata *_metadata,
			      struct vdev *dst, struct guest_mem *m,
			      const struct stream *s, size_t comp)
{
	size_t big = MIG_MAX_STREAM + 8192, done = 0;
	size_t at = comp + MIG_REC_HDR_LEN + MIG_ALIGN8(MIG_COMP_LEN(1));
	uint8_t *b = calloc(1, big + 4096);
	char why[256];
	int fd, err = 0;
	ssize_t n;

	ASSERT_NE(NULL, b);
	memcpy(b, s->buf, at);
	for (; at < big; at += 4096) {
		put16(b + at, 0x4243);
		put16(b + at + 2, MIG_REC_OPTIONAL);
		put32(b + at + 4, 4096 - MIG_REC_HDR_LEN);
	}
	ASSERT_EQ(0, vdev_mig_set_state(dst, ST_RESUMING, &fd));
	ASSERT_LE(0, fd);
	while (done < big) {
		n = write(fd, b + done, 4096 < big - done ? 4096 : big - done);
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		done += n;
	}
	close(fd);
	free(b);
	EXPECT_EQ(EFBIG, err) TH_LOG("%zu bytes taken, then %s", done, strerror(err));
	EXPECT_GE(MIG_MAX_STREAM, done);
	EXPECT_EQ(0, recovers(dst, m, why, sizeof(why))) TH_LOG("oversized: %s", why);
}

/*
 * 5. Hostile streams into RESUMING: each refused with EINVAL (by write()
 * or by RESUMING -> STOP), the device left in RESUMING, VFIO_DEVICE_RESET
 * brings it back to RUNNING and its guest works.  An unknown optional
 * record is skipped.  Too much data: EFBIG.
 */
TEST_F_TIMEOUT(mig, hostile_streams, 300)
{
	struct vdev *src = &self->v[0], *dst = &self->v[1];
	struct guest_mem *m = &self->m;
	struct hostile h[16];
	unsigned int nh = 0, i;
	size_t off[8], end, comp, cfg, bar0;
	uint16_t handle;
	struct stream s;
	const char *bad;
	char why[256], line[2048], tag[64];
	int kmsg, kmsg2, where, err, rc, n;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_new(self, 1, TYPE1));
	ASSERT_EQ(0, guest_up(src, 1, &handle));
	ASSERT_EQ(0, save_stop_copy(src, &s));
	bad = stream_parse(&s, off, NULL);
	ASSERT_EQ(NULL, bad) TH_LOG("stream: %s", bad);
	ASSERT_EQ(0, vfio_dev_tag(self->uuid[1], tag, sizeof(tag)));
	end = off[0];
	comp = off[MIG_REC_COMPOSITION];
	cfg = off[MIG_REC_CONFIG];
	bar0 = off[MIG_REC_BAR0];
	ASSERT_NE(0, cfg);
	ASSERT_NE(0, bar0);

	/* Positive control: the stream itself, with an unknown optional record */
	optional_record_accepted(_metadata, dst, &s, end);

	h[nh] = mk("truncated in BAR0", &s, bar0 + 100, 0);
	nh++;
	h[nh] = mk("truncated in the header", &s, 10, 0);
	nh++;
	h[nh] = mk("no END", &s, end, 0);
	nh++;
	h[nh] = mk("wrong magic", &s, s.len, 0);
	h[nh].buf[0] = 'X';
	nh++;
	h[nh] = mk("wrong version", &s, s.len, 0);
	put32(h[nh].buf + 8, 2);
	nh++;
	h[nh] = mk("header length 24", &s, s.len, 0);
	put32(h[nh].buf + 12, 24);
	nh++;
	h[nh] = mk("CONFIG length 4095", &s, s.len, 0);
	put32(h[nh].buf + cfg + 4, MIG_CONFIG_LEN - 1);
	nh++;
	h[nh] = mk("BAR0 length past the end", &s, s.len, 0);
	put32(h[nh].buf + bar0 + 4, 0x100000);
	nh++;
	h[nh] = mk("END with a length", &s, s.len, 8);
	put32(h[nh].buf + end + 4, 8);
	nh++;
	h[nh] = mk("unknown mandatory record", &s, end,
		   MIG_REC_HDR_LEN + 16 + MIG_REC_HDR_LEN);
	put16(h[nh].buf + end, 0x4242);
	put32(h[nh].buf + end + 4, 16);
	memcpy(h[nh].buf + end + 24, s.buf + end, MIG_REC_HDR_LEN);
	nh++;
	h[nh] = mk("a record after END", &s, s.len, 16);
	memcpy(h[nh].buf + s.len, s.buf + cfg, 8);
	put32(h[nh].buf + s.len + 4, 8);
	nh++;
	h[nh] = mk("END twice", &s, s.len, MIG_REC_HDR_LEN);
	memcpy(h[nh].buf + s.len, s.buf + end, MIG_REC_HDR_LEN);
	nh++;
	h[nh] = mk("a second stream", &s, s.len, s.len);
	memcpy(h[nh].buf + s.len, s.buf, s.len);
	nh++;
	h[nh] = mk("COMPOSITION says 2 WQs, has 1", &s, s.len, 0);
	put32(h[nh].buf + comp + 8, 2);
	nh++;

	for (i = 0; i < nh; i++) {
		ASSERT_NE(NULL, h[i].buf);
		kmsg = kmsg_open();
		ASSERT_LE(0, kmsg);
		kmsg2 = kmsg_open();
		ASSERT_LE(0, kmsg2);
		where = try_resume(dst, h[i].buf, h[i].len, QEMU_DATA_BUFFER, &err);
		EXPECT_LT(0, where) TH_LOG("%s: not refused (%d)", h[i].name, where);
		if (where > 0)
			EXPECT_EQ(EINVAL, err) TH_LOG("%s: refused by %s with %s",
						      h[i].name, where == 1 ? "write" : "STOP",
						      strerror(err));
		TH_LOG("%s: refused by %s", h[i].name,
		       where == 1 ? "write()" : where == 2 ? "RESUMING -> STOP" : "nothing");
		n = kmsg_grep(kmsg, tag, line, sizeof(line));
		EXPECT_EQ(1, n) TH_LOG("%s: %d kernel log lines name the vdev", h[i].name, n);
		if (n)
			TH_LOG("%s: log: %s", h[i].name, line);
		else if (kmsg_grep(kmsg2, "idxd", line, sizeof(line)))
			TH_LOG("%s: a line without the vdev's name: %s", h[i].name, line);
		close(kmsg2);
		close(kmsg);
		if (where == 0) {
			/* Accepted: back to a clean RESUMING for recovers() */
			vdev_mig_set_state(dst, ST_RESUMING, NULL);
		}
		rc = recovers(dst, m, why, sizeof(why));
		EXPECT_EQ(0, rc) TH_LOG("%s: %s", h[i].name, why);
		if (rc)
			ioctl(dst->device, VFIO_DEVICE_RESET);
		free(h[i].buf);
	}

	/* Too big: a valid start, then an optional record past 64 KiB */
	oversized_refused(_metadata, dst, m, &s, comp);
	stream_free(&s);
}

/*
 * 5b. An incompatible destination fails the migration before the source
 * stops: the source's header and COMPOSITION (its PRE_COPY initial bytes)
 * written to a 2-WQ vdev, or with WQ 0's size changed, fail write() with
 * EINVAL and a kernel log line names the difference.
 */
TEST_F_TIMEOUT(mig, incompatible_destination, 120)
{
	struct vdev *src = &self->v[0], *dst = &self->v[1];
	struct guest_mem *m = &self->m;
	uint64_t init, dirty;
	uint16_t handle;
	struct stream s;
	char line[2048], why[256];
	uint8_t *b;
	int fd, wfd, kmsg, rc, err;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_new(self, 1, TYPE2));
	ASSERT_EQ(0, guest_up(src, 1, &handle));
	ASSERT_EQ(0, vdev_mig_set_state(src, ST_PRE_COPY, &fd));
	self->fds[0] = fd;
	ASSERT_EQ(0, vdev_mig_precopy_info(fd, &init, &dirty));
	ASSERT_LT(0, read_all(fd, QEMU_DATA_BUFFER, &s, NULL));
	ASSERT_EQ(init, s.len);

	/* 1 WQ into 2 */
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, vdev_mig_set_state(dst, ST_RESUMING, &wfd));
	rc = write_all(wfd, s.buf, s.len, QEMU_DATA_BUFFER);
	close(wfd);
	EXPECT_EQ(-EINVAL, rc);
	line[0] = 0;
	EXPECT_LE(1, kmsg_grep(kmsg, "wq", line, sizeof(line)))
		TH_LOG("no kernel log line about the WQs");
	TH_LOG("log: %s", line);
	close(kmsg);
	EXPECT_EQ(0, ioctl(dst->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(ST_RUNNING, get_state(dst));

	/* The source runs on: the migration is cancelled */
	ASSERT_EQ(0, vdev_mig_set_state(src, ST_RUNNING, NULL));
	close(fd);
	self->fds[0] = -1;
	EXPECT_EQ(0, one_memmove(src, m, handle, 0x61));

	/* WQ 0's size changed, into a 1-WQ vdev */
	vdev_close(dst);
	vdev_remove(self->uuid[1]);
	self->uuid[1][0] = 0;
	ASSERT_EQ(0, vdev_new(self, 1, TYPE1));
	b = malloc(s.len);
	ASSERT_NE(NULL, b);
	memcpy(b, s.buf, s.len);
	put32(b + MIG_HDR_LEN + MIG_REC_HDR_LEN + 48, WQ_SIZE / 2);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, vdev_mig_set_state(dst, ST_RESUMING, &wfd));
	rc = write_all(wfd, b, s.len, QEMU_DATA_BUFFER);
	close(wfd);
	EXPECT_EQ(-EINVAL, rc);
	line[0] = 0;
	EXPECT_LE(1, kmsg_grep(kmsg, "size", line, sizeof(line)))
		TH_LOG("no kernel log line about the size");
	TH_LOG("log: %s", line);
	close(kmsg);
	free(b);
	err = recovers(dst, m, why, sizeof(why));
	EXPECT_EQ(0, err) TH_LOG("%s", why);
	stream_free(&s);
}

/*
 * 6. drain_timeout_ms=0 with the WQ full: RUNNING -> STOP fails with
 * ETIMEDOUT, the state is ERROR, VFIO_DEVICE_RESET makes it RUNNING and
 * the guest works again.
 */
TEST_F_TIMEOUT(mig, drain_timeout, 120)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint32_t shift, xfer;
	uint16_t handle;
	unsigned int i;
	int rc;

	ASSERT_EQ(0, sysfs_read(VDEV_DRAIN_PARAM, self->drain, sizeof(self->drain)));
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	shift = reg_read32(v, REG_WQCFG + 12) & 0x1f;
	xfer = shift >= 20 ? BUF_SIZE : 1u << shift;
	ASSERT_EQ(0, sysfs_write(VDEV_DRAIN_PARAM, "0"));
	memset(m->comp, 0, PAGE);
	for (i = 0; i < WQ_SIZE; i++)
		memmove_desc(v, i, SRC_IOVA, DST_IOVA, xfer, handle);
	rc = vdev_mig_set_state(v, ST_STOP, NULL);
	EXPECT_EQ(-ETIMEDOUT, rc);
	EXPECT_EQ(ST_ERROR, get_state(v));
	ASSERT_EQ(0, sysfs_write(VDEV_DRAIN_PARAM, self->drain));
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(ST_RUNNING, get_state(v));
	/* What was queued ends (or was aborted) before the new guest's */
	for (i = 0; i < 2000 && done(m, WQ_SIZE) < WQ_SIZE; i++)
		usleep(1000);
	TH_LOG("%u of %u records written by the time of the reset's end",
	       done(m, WQ_SIZE), WQ_SIZE);
	rc = guest_restart(v, 1, &handle);
	ASSERT_EQ(0, rc) TH_LOG("bring-up step %d", rc);
	EXPECT_EQ(0, one_memmove(v, m, handle, 0x71));
}

/*
 * 6b. In ERROR (a drain that timed out) every arc fails, quietly: QEMU's
 * vfio_migration_set_state() asks for its recover state after a failed
 * arc.  Only VFIO_DEVICE_RESET leaves ERROR.
 */
TEST_F_TIMEOUT(mig, arcs_from_error, 120)
{
	static const uint32_t to[] = {
		ST_RUNNING, ST_STOP, ST_RUNNING_P2P, ST_STOP_COPY, ST_RESUMING,
		ST_PRE_COPY, ST_PRE_COPY_P2P,
	};
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint32_t shift, xfer;
	char line[2048];
	uint16_t handle;
	unsigned int i;
	int kmsg, rc, n;

	ASSERT_EQ(0, sysfs_read(VDEV_DRAIN_PARAM, self->drain, sizeof(self->drain)));
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	shift = reg_read32(v, REG_WQCFG + 12) & 0x1f;
	xfer = shift >= 20 ? BUF_SIZE : 1u << shift;
	ASSERT_EQ(0, sysfs_write(VDEV_DRAIN_PARAM, "0"));
	memset(m->comp, 0, PAGE);
	for (i = 0; i < WQ_SIZE; i++)
		memmove_desc(v, i, SRC_IOVA, DST_IOVA, xfer, handle);
	ASSERT_EQ(-ETIMEDOUT, vdev_mig_set_state(v, ST_STOP, NULL));
	ASSERT_EQ(0, sysfs_write(VDEV_DRAIN_PARAM, self->drain));
	ASSERT_EQ(ST_ERROR, get_state(v));
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	for (i = 0; i < ARRAY_SIZE(to); i++) {
		rc = vdev_mig_set_state(v, to[i], NULL);
		EXPECT_NE(0, rc) TH_LOG("ERROR -> %s worked", vdev_mig_state_name(to[i]));
		EXPECT_EQ(ST_ERROR, get_state(v));
	}
	line[0] = 0;
	n = kmsg_grep(kmsg, "WARNING", line, sizeof(line));
	EXPECT_EQ(0, n) TH_LOG("%d WARNINGs, the first: %s", n, line);
	close(kmsg);
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(ST_RUNNING, get_state(v));
}

/* 7. DMA logging: every page reported dirty, inside the ranges or not */
TEST_F(mig, dma_logging)
{
	struct vdev *v = &self->v[0];
	struct vdev_log_range ranges[2] = {
		{ SRC_IOVA, BUF_SIZE }, { COMP_IOVA, 16 * PAGE },
	};
	uint64_t bitmap[8], page = PAGE, page2 = PAGE;
	unsigned int i;
	int rc;

	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	memset(bitmap, 0, sizeof(bitmap));
	EXPECT_EQ(-EINVAL, vdev_dma_log_report(v, SRC_IOVA, 64 * PAGE, PAGE, bitmap))
		TH_LOG("REPORT before START");
	ASSERT_EQ(0, vdev_dma_log_start(v, &page, ranges, 2));
	EXPECT_EQ(PAGE, page);
	rc = vdev_dma_log_start(v, &page2, ranges, 2);
	EXPECT_TRUE(rc == -EBUSY || rc == -EINVAL) TH_LOG("START twice: %d", rc);

	/* 100 pages inside the first range: bits 0..99, nothing after */
	for (i = 0; i < 2; i++) {
		memset(bitmap, 0, sizeof(bitmap));
		ASSERT_EQ(0, vdev_dma_log_report(v, SRC_IOVA + 8 * PAGE, 100 * PAGE,
						 PAGE, bitmap));
		EXPECT_EQ(~0ull, bitmap[0]) TH_LOG("report %u", i);
		EXPECT_EQ((1ull << 36) - 1, bitmap[1]) TH_LOG("report %u", i);
		EXPECT_EQ(0, bitmap[2]) TH_LOG("report %u", i);
	}
	/* Outside both ranges: dirty too */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, vdev_dma_log_report(v, 0x40000000ull, 64 * PAGE, PAGE, bitmap));
	EXPECT_EQ(~0ull, bitmap[0]);
	EXPECT_EQ(0, bitmap[1]);
	/* Straddling the end of the second range, in 8 KiB pages */
	memset(bitmap, 0, sizeof(bitmap));
	ASSERT_EQ(0, vdev_dma_log_report(v, COMP_IOVA + 8 * PAGE, 20 * PAGE,
					 2 * PAGE, bitmap));
	EXPECT_EQ((1ull << 10) - 1, bitmap[0]);
	/*
	 * An IOVA or length inside a page, or no length: refused, where the
	 * first made iova_bitmap_set() spin forever.
	 */
	EXPECT_EQ(-EINVAL, vdev_dma_log_report(v, SRC_IOVA + 0x100, 64 * PAGE,
					       PAGE, bitmap));
	EXPECT_EQ(-EINVAL, vdev_dma_log_report(v, SRC_IOVA, 64 * PAGE + 1,
					       PAGE, bitmap));
	EXPECT_EQ(-EINVAL, vdev_dma_log_report(v, SRC_IOVA, 0, PAGE, bitmap));

	ASSERT_EQ(0, vdev_dma_log_stop(v));
	memset(bitmap, 0, sizeof(bitmap));
	EXPECT_EQ(-EINVAL, vdev_dma_log_report(v, SRC_IOVA, 64 * PAGE, PAGE, bitmap))
		TH_LOG("REPORT after STOP");
	EXPECT_EQ(0, bitmap[0]);
	/* And again */
	page = PAGE;
	ASSERT_EQ(0, vdev_dma_log_start(v, &page, ranges, 1));
	ASSERT_EQ(0, vdev_dma_log_report(v, SRC_IOVA, 64 * PAGE, PAGE, bitmap));
	EXPECT_EQ(~0ull, bitmap[0]);
	EXPECT_EQ(0, vdev_dma_log_stop(v));
}

/*
 * 8. The device closed with a data fd still open, in STOP_COPY and in
 * RESUMING: the fd fails afterwards, and the device opens and works again.
 */
TEST_F_TIMEOUT(mig, close_with_data_fd, 120)
{
	struct vdev *v = &self->v[0];
	struct guest_mem *m = &self->m;
	uint8_t buf[256];
	uint16_t handle;
	struct stream s;
	int fd, st;

	stream_init(&s);
	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	ASSERT_EQ(0, save_stop_copy(v, &s));

	/* STOP_COPY, a part read */
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_STOP_COPY, &fd));
	self->fds[0] = fd;
	ASSERT_EQ(sizeof(buf), read(fd, buf, sizeof(buf)));
	vdev_close(v);
	EXPECT_GT(0, read(fd, buf, sizeof(buf))) TH_LOG("read after the close");
	EXPECT_GT(0, write(fd, buf, sizeof(buf)));

	/* Opened again: RUNNING, and a guest that works */
	ASSERT_EQ(0, vdev_reopen(self, 0));
	st = get_state(v);
	EXPECT_EQ(ST_RUNNING, st) TH_LOG("state %s", vdev_mig_state_name(st));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	EXPECT_EQ(0, one_memmove(v, m, handle, 0x81));

	/* RESUMING, half a stream written */
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_RESUMING, &fd));
	self->fds[1] = fd;
	ASSERT_EQ(s.len / 2, write(fd, s.buf, s.len / 2));
	vdev_close(v);
	EXPECT_GT(0, write(fd, s.buf + s.len / 2, s.len - s.len / 2))
		TH_LOG("write after the close");
	EXPECT_GT(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, vdev_reopen(self, 0));
	EXPECT_EQ(ST_RUNNING, get_state(v));
	ASSERT_EQ(0, guest_up(v, 1, &handle));
	EXPECT_EQ(0, one_memmove(v, m, handle, 0x82));
	stream_free(&s);
}

/* Reading the resuming fd fails, and the device is fine */
TEST_F(mig, read_resuming_fd)
{
	struct vdev *v = &self->v[0];
	uint8_t buf[64];
	int fd;

	ASSERT_EQ(0, vdev_new(self, 0, TYPE1));
	ASSERT_EQ(0, vdev_mig_set_state(v, ST_RESUMING, &fd));
	self->fds[0] = fd;
	EXPECT_GT(0, read(fd, buf, sizeof(buf)));
	ASSERT_EQ(0, ioctl(v->device, VFIO_DEVICE_RESET));
	EXPECT_EQ(ST_RUNNING, get_state(v));
}

TEST_HARNESS_MAIN
