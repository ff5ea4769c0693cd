// SPDX-License-Identifier: GPL-2.0
/*
 * vdev_drain_test - a vdev's drain runs in the background, as on a DSA.
 *
 * A guest's DRAIN_WQ, DISABLE_WQ, DRAIN_ALL, DISABLE_DEVICE or
 * DRAIN_PASID waits for the descriptors the host WQs behind it hold.
 * When they hold some, the write to CMD returns at once and CMDSTS reads
 * active until they completed; then CMDSTS reads the result and vector 0
 * fires if the command asked for it.  Meanwhile the DSA's command channel
 * is not held: the other vdevs of the DSA run their commands, and the
 * vdev itself can be reset or closed, which drops the command.  Clearing
 * bus mastering under a full WQ aborts its work.
 *
 * The tests run on the slow DSA, whose engine takes one step (one
 * descriptor, or one descriptor of a batch) per x-desc-delay-us of
 * virtual time: "-device intel-dsa,x-desc-delay-us=N", named by its PCI
 * address in $VDEV_SLOW_DSA ("0000:00:10.0"), which tools/testing/vm/check
 * boots and sets (see vdev.h and tools/testing/vm/lib/common.sh).
 * Without it the fixture fails: these tests are not skipped.  Two
 * dedicated WQs of 16 are bound to idxd_vdev and two one-WQ vdevs
 * created: A, whose guest fills its WQ with 16 batches of 32 NOOPs with
 * completion records, 544 steps of the engine (about 2.7 s with check's
 * N = 5000), and B, the other tenant.  Every case writes its command
 * with A's WQ full and first checks that the write returned with the
 * command active: on a kernel that drains in the write, each fails
 * there, and says how long the write took.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../../kselftest_harness.h"
#include "vdev.h"

#define WQ_SIZE		16
#define NBATCH		WQ_SIZE		/* A's WQ full */
#define BATCH_LEN	32		/* NOOPs per batch */
#define NRECORDS	(NBATCH * (BATCH_LEN + 1))
#define DRAIN_MS	30000		/* a full WQ drains within */
#define QUIET_MS	300
/* After a reset, what would show that A's queued work went on running */
#define RESET_QUIET_MS	2000
#define FIRE_MS		VDEV_FIRE_MS
#define TIMEOUT_S	120

/*
 * A's guest memory, mapped at MEM_IOVA: the batches' descriptor lists,
 * their completion records, those of their NOOPs, and records for
 * single NOOPs
 */
#define MEM_IOVA	0x10000000ull
#define MEM_SIZE	0x10000
#define LIST_OFF	0x0
#define BREC_OFF	0x8000
#define NREC_OFF	0x9000
#define XREC_OFF	0xf000
#define STATUS_SUCCESS	1

#define CMD_VAL(cmd, operand, int_req) \
	(((uint32_t)(cmd) << 20) | (operand) | ((int_req) ? CMD_INT_REQ : 0))
#define WQCFG_STATE(v)	(reg_read32(v, REG_WQCFG + 24) >> 30)
#define WQCFG_PASID_EN	0x10000000u	/* in WQCFG's third dword */
#define PASID_CAP	0x100		/* the vdev's PASID capability */
#define GUEST_PASID	0x55
/* CMDSTS, and how long the write took, when a drain was not active */
#define NOT_ACTIVE_FMT \
	"CMDSTS %#x when the write returned, after %ld ms: the command ran in the write"

FIXTURE(drain) {
	char dsa[32];
	char bdf[32];
	char uuid[2][40];
	struct vdev v[2];	/* A, B */
	uint8_t *mem;		/* A's */
	int setup;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint8_t status_of(const uint8_t *rec)
{
	/* The device writes the record behind the compiler's back */
	return __atomic_load_n(&rec[0], __ATOMIC_ACQUIRE);
}

/*
 * The guest of A: an IOAS with its memory, the portal, the device and
 * WQ 0 enabled.  0, or the step that failed: -1 the IOAS, -2 the portal,
 * below -100 vdev_bring_up()'s step.
 */
static int a_up(struct vdev *a, uint8_t *mem)
{
	uint32_t ioas;
	int rc;

	if (vdev_ioas_alloc(a->iommufd, &ioas) || vdev_attach_pt(a, ioas) ||
	    vdev_ioas_map(a->iommufd, ioas, mem, MEM_SIZE, MEM_IOVA))
		return -1;
	if (vdev_map_portals(a))
		return -2;
	rc = vdev_bring_up(a, 1);
	return rc ? rc - 100 : 0;
}

/*
 * A's WQ filled: NBATCH batches of BATCH_LEN NOOPs, every descriptor
 * with a completion record, all of them cleared first
 */
static void fill_wq(struct vdev *a, uint8_t *mem)
{
	unsigned int b;

	memset(mem + BREC_OFF, 0, NBATCH * COMP_RECORD_SIZE);
	memset(mem + NREC_OFF, 0, NBATCH * BATCH_LEN * COMP_RECORD_SIZE);
	for (b = 0; b < NBATCH; b++)
		vdev_noop_list(mem + LIST_OFF + b * BATCH_LEN * 64, BATCH_LEN,
			       MEM_IOVA + NREC_OFF + b * BATCH_LEN * COMP_RECORD_SIZE);
	for (b = 0; b < NBATCH; b++)
		vdev_submit_batch(a, 0, MEM_IOVA + LIST_OFF + b * BATCH_LEN * 64,
				  BATCH_LEN, MEM_IOVA + BREC_OFF + b * COMP_RECORD_SIZE);
}

/*
 * The records of fill_wq()'s work that say success; *@bad the status of
 * one that says something else, 0 if none does
 */
static unsigned int records_ok(const uint8_t *mem, uint8_t *bad)
{
	unsigned int i, ok = 0;
	uint8_t st;

	*bad = 0;
	for (i = 0; i < NBATCH; i++) {
		st = status_of(mem + BREC_OFF + i * COMP_RECORD_SIZE);
		ok += st == STATUS_SUCCESS;
		if (st && st != STATUS_SUCCESS)
			*bad = st;
	}
	for (i = 0; i < NBATCH * BATCH_LEN; i++) {
		st = status_of(mem + NREC_OFF + i * COMP_RECORD_SIZE);
		ok += st == STATUS_SUCCESS;
		if (st && st != STATUS_SUCCESS)
			*bad = st;
	}
	return ok;
}

/* A NOOP to A's WQ 0 with a completion record at offset @off of its memory */
static void submit_noop_rec(struct vdev *a, uint8_t *mem, unsigned int off)
{
	uint64_t comp = MEM_IOVA + off;
	uint32_t desc[16];

	memset(mem + off, 0, COMP_RECORD_SIZE);
	memset(desc, 0, sizeof(desc));
	desc[1] = ((uint32_t)OP_NOOP << 24) | DESC_CRAV | DESC_RCR;
	memcpy(&desc[2], &comp, 8);
	vdev_submit_desc(a, 0, desc);
}

/* The status the record at @rec reads within @ms, 0 if none */
static uint8_t record_wait(const uint8_t *rec, int ms)
{
	long end = now_ms() + ms;
	uint8_t st;

	while (!(st = status_of(rec)) && now_ms() < end)
		usleep(1000);
	return st;
}

/*
 * A's WQ filled and @cmd (operand @operand, with int_req) written: the
 * CMDSTS read right after the write.  *@write_ms is how long the write
 * took.
 */
static uint32_t start_cmd(struct vdev *a, uint8_t *mem, unsigned int cmd,
			  uint32_t operand, long *write_ms)
{
	long t0;
	uint32_t sts;

	fill_wq(a, mem);
	t0 = now_ms();
	sts = vdev_cmd(a, cmd, operand, 1);
	*write_ms = now_ms() - t0;
	return sts;
}

FIXTURE_SETUP(drain)
{
	int i, rc;

	memset(self->uuid, 0, sizeof(self->uuid));
	vdev_init(&self->v[0], "");
	vdev_init(&self->v[1], "");
	self->mem = NULL;
	self->setup = 0;
	ASSERT_EQ(0, vdev_host_setup_slow(self->dsa, sizeof(self->dsa), self->bdf,
					  sizeof(self->bdf), 2, WQ_SIZE,
					  &self->setup));
	self->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem) self->mem = NULL;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vdev_create(self->bdf, "idxd-dsa-1dwq-v1", self->uuid[i],
					 sizeof(self->uuid[i]))) self->uuid[i][0] = 0;
		ASSERT_EQ(0, vdev_open(&self->v[i], self->uuid[i]));
	}
	rc = a_up(&self->v[0], self->mem);
	ASSERT_EQ(0, rc) TH_LOG("vdev A's guest: step %d", rc);
	rc = vdev_bring_up(&self->v[1], 1);
	ASSERT_EQ(0, rc) TH_LOG("vdev B's guest: step %d", rc);
}

FIXTURE_TEARDOWN(drain)
{
	int i;

	for (i = 0; i < 2; i++) {
		vdev_close(&self->v[i]);
		if (self->uuid[i][0])
			EXPECT_EQ(0, vdev_remove(self->uuid[i]));
	}
	if (self->setup) {
		int rc = dsa_teardown(self->dsa, 2);

		EXPECT_EQ(0, rc) TH_LOG("tearing %s down: %s", self->dsa, strerror(-rc));
	}
	if (self->mem)
		munmap(self->mem, MEM_SIZE);
}

/*
 * DRAIN_WQ with int_req on a full WQ: the write returns with the command
 * active, a second command meanwhile changes nothing, and vector 0 says
 * when it completed, by which time every descriptor queued before it
 * has its completion record.
 */
TEST_F_TIMEOUT(drain, drain_completes_async, TIMEOUT_S)
{
	const uint32_t drain = CMD_VAL(CMD_DRAIN_WQ, 1, 1);
	struct vdev *a = &self->v[0];
	long write_ms, t0;
	uint32_t sts;
	uint8_t bad;

	t0 = now_ms();
	sts = start_cmd(a, self->mem, CMD_DRAIN_WQ, 1, &write_ms);
	ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE) TH_LOG(NOT_ACTIVE_FMT, sts, write_ms);
	EXPECT_EQ(drain, reg_read32(a, REG_CMD));

	/* Ignored while the drain is active */
	reg_write32(a, REG_CMD, CMD_VAL(CMD_ABORT_WQ, 1, 0));
	EXPECT_EQ(drain, reg_read32(a, REG_CMD));
	EXPECT_EQ(CMDSTS_ACTIVE, reg_read32(a, REG_CMDSTS) & CMDSTS_ACTIVE);

	ASSERT_EQ(1, efd_wait(a->efd[0], 1, DRAIN_MS))
		TH_LOG("no completion interrupt within %d ms; CMDSTS %#x", DRAIN_MS,
		       reg_read32(a, REG_CMDSTS));
	ksft_print_msg("A's DRAIN_WQ: the write took %ld ms, the drain %ld ms\n",
		       write_ms, now_ms() - t0);
	EXPECT_EQ(0, reg_read32(a, REG_CMDSTS));
	EXPECT_EQ(INTC_CMD, reg_read32(a, REG_INTCAUSE) & INTC_CMD);
	reg_write32(a, REG_INTCAUSE, INTC_CMD);
	EXPECT_EQ(NRECORDS, records_ok(self->mem, &bad))
		TH_LOG("a record with status %#x", bad);
	EXPECT_EQ(0, bad);
	/* One completion, one interrupt */
	EXPECT_EQ(0, efd_wait(a->efd[0], 1, QUIET_MS));
}

/*
 * The other commands that wait for the queued descriptors, each on a
 * full WQ: DRAIN_ALL, DRAIN_PASID of the PASID the guest gave its WQ,
 * and DISABLE_DEVICE.  Each is active after its write, and completes
 * with vector 0 and every record written; the device then reads
 * disabled.
 */
TEST_F_TIMEOUT(drain, drain_all_pasid_device_async, TIMEOUT_S)
{
	static const struct {
		unsigned int cmd;
		uint32_t operand;
		const char *name;
	} cmds[] = {
		{ CMD_DRAIN_ALL, 0, "DRAIN_ALL" },
		{ CMD_DRAIN_PASID, GUEST_PASID, "DRAIN_PASID" },
		{ CMD_DISABLE_DEVICE, 0, "DISABLE_DEVICE" },
	};
	uint16_t ctrl = PCI_PASID_CTRL_ENABLE;
	struct vdev *a = &self->v[0];
	const char *name;
	unsigned int i;
	long write_ms;
	uint32_t sts;
	uint8_t bad;

	/* The guest gives WQ 0 a PASID, with the WQ disabled */
	ASSERT_EQ(0, vdev_cmd(a, CMD_DISABLE_WQ, 1, 0));
	ASSERT_EQ(0, cfg_write(a, PASID_CAP + PCI_PASID_CTRL, &ctrl, 2));
	reg_write32(a, REG_WQCFG + 8, WQCFG_PASID_EN | (GUEST_PASID << 8));
	ASSERT_EQ(0, vdev_cmd(a, CMD_ENABLE_WQ, 0, 0));

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		name = cmds[i].name;
		sts = start_cmd(a, self->mem, cmds[i].cmd, cmds[i].operand, &write_ms);
		ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE)
			TH_LOG("%s: " NOT_ACTIVE_FMT, name, sts, write_ms);
		ASSERT_EQ(1, efd_wait(a->efd[0], 1, DRAIN_MS))
			TH_LOG("%s: no completion interrupt within %d ms", name, DRAIN_MS);
		EXPECT_EQ(0, reg_read32(a, REG_CMDSTS)) TH_LOG("%s", name);
		EXPECT_EQ(INTC_CMD, reg_read32(a, REG_INTCAUSE) & INTC_CMD) TH_LOG("%s", name);
		reg_write32(a, REG_INTCAUSE, INTC_CMD);
		EXPECT_EQ(NRECORDS, records_ok(self->mem, &bad))
			TH_LOG("%s: a record with status %#x", name, bad);
	}
	EXPECT_EQ(0, reg_read32(a, REG_GENSTS) & 3);
	EXPECT_EQ(0, WQCFG_STATE(a));
}

/*
 * While A's drain is active, B's guest resets its device, brings it and
 * its WQ up, asks for an interrupt handle, drains and disables its empty
 * WQ and has the VMM reset the function: each completes, and A's drain
 * is still active after the last.
 */
TEST_F_TIMEOUT(drain, other_tenant_not_held, TIMEOUT_S)
{
	struct vdev *a = &self->v[0], *b = &self->v[1];
	uint16_t handle = 0;
	long write_ms;
	uint32_t sts;
	uint8_t bad;

	sts = start_cmd(a, self->mem, CMD_DRAIN_WQ, 1, &write_ms);
	ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE) TH_LOG(NOT_ACTIVE_FMT, sts, write_ms);

	EXPECT_EQ(0, vdev_cmd(b, CMD_RESET_DEVICE, 0, 0));
	EXPECT_EQ(0, vdev_cmd(b, CMD_ENABLE_DEVICE, 0, 0));
	EXPECT_EQ(0, vdev_cmd(b, CMD_ENABLE_WQ, 0, 0));
	EXPECT_EQ(0, vdev_vector_up(b, 1, &handle));
	EXPECT_EQ(0, vdev_cmd(b, CMD_DRAIN_WQ, 1, 0));
	EXPECT_EQ(0, vdev_cmd(b, CMD_DISABLE_WQ, 1, 0));
	EXPECT_EQ(0, WQCFG_STATE(b));
	EXPECT_EQ(0, ioctl(b->device, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	sts = reg_read32(a, REG_CMDSTS);
	EXPECT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE)
		TH_LOG("A's drain ended (CMDSTS %#x) before B's commands did", sts);

	ASSERT_EQ(1, efd_wait(a->efd[0], 1, DRAIN_MS));
	EXPECT_EQ(0, reg_read32(a, REG_CMDSTS));
	EXPECT_EQ(NRECORDS, records_ok(self->mem, &bad))
		TH_LOG("a record with status %#x", bad);
}

/*
 * DISABLE_WQ on a full WQ: active after the write, and the WQ's portal
 * takes nothing from the write on.  Once it completed, the WQ reads
 * disabled, everything queued before it has its completion record, and
 * a NOOP submitted then never completes.
 */
TEST_F_TIMEOUT(drain, disable_wq_async, TIMEOUT_S)
{
	struct vdev *a = &self->v[0];
	long write_ms;
	uint32_t sts;
	uint8_t bad;

	sts = start_cmd(a, self->mem, CMD_DISABLE_WQ, 1, &write_ms);
	ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE) TH_LOG(NOT_ACTIVE_FMT, sts, write_ms);
	/* After the write: not taken, so not drained either */
	submit_noop_rec(a, self->mem, XREC_OFF);

	ASSERT_EQ(1, efd_wait(a->efd[0], 1, DRAIN_MS));
	EXPECT_EQ(0, reg_read32(a, REG_CMDSTS));
	EXPECT_EQ(INTC_CMD, reg_read32(a, REG_INTCAUSE) & INTC_CMD);
	reg_write32(a, REG_INTCAUSE, INTC_CMD);
	EXPECT_EQ(0, WQCFG_STATE(a));
	EXPECT_EQ(NRECORDS, records_ok(self->mem, &bad))
		TH_LOG("a record with status %#x", bad);

	submit_noop_rec(a, self->mem, XREC_OFF + COMP_RECORD_SIZE);
	EXPECT_EQ(0, record_wait(self->mem + XREC_OFF + COMP_RECORD_SIZE, QUIET_MS));
	EXPECT_EQ(0, status_of(self->mem + XREC_OFF))
		TH_LOG("the NOOP submitted after the DISABLE_WQ write completed");
}

/*
 * VFIO_DEVICE_RESET during A's drain returns, drops the command (CMDSTS
 * reads 0, no completion interrupt comes) and aborts the queued work,
 * whose records stop appearing.  The guest brings the device up again
 * and a NOOP completes.
 */
TEST_F_TIMEOUT(drain, reset_cancels_drain, TIMEOUT_S)
{
	struct vdev *a = &self->v[0];
	unsigned int before, after;
	long write_ms;
	uint32_t sts;
	uint8_t bad;
	int rc;

	sts = start_cmd(a, self->mem, CMD_DRAIN_WQ, 1, &write_ms);
	ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE) TH_LOG(NOT_ACTIVE_FMT, sts, write_ms);

	ASSERT_EQ(0, ioctl(a->device, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	before = records_ok(self->mem, &bad);
	EXPECT_EQ(0, reg_read32(a, REG_CMDSTS));
	EXPECT_EQ(0, efd_wait(a->efd[0], 1, RESET_QUIET_MS))
		TH_LOG("vector 0 fired after the reset");
	EXPECT_EQ(0, reg_read32(a, REG_INTCAUSE) & INTC_CMD);
	EXPECT_EQ(0, reg_read32(a, REG_CMDSTS));
	after = records_ok(self->mem, &bad);
	EXPECT_EQ(before, after) TH_LOG("the queued work ran on after the reset");
	EXPECT_GT(NRECORDS, after) TH_LOG("the queued work all ran");
	EXPECT_EQ(0, bad);

	rc = vdev_bring_up(a, 1);
	ASSERT_EQ(0, rc) TH_LOG("bringing A up again: step %d", rc);
	submit_noop_rec(a, self->mem, XREC_OFF);
	EXPECT_EQ(STATUS_SUCCESS, record_wait(self->mem + XREC_OFF, FIRE_MS));
}

/*
 * The VMM closes A's device and its iommufd during the drain: A opens
 * again, its guest brings it up and a NOOP completes; A is removed, and
 * the kernel reported no problem meanwhile.
 */
TEST_F_TIMEOUT(drain, close_during_drain, TIMEOUT_S)
{
	struct vdev *a = &self->v[0];
	char rec[2048] = "";
	long write_ms;
	uint32_t sts;
	int kmsg, rc;

	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	sts = start_cmd(a, self->mem, CMD_DRAIN_WQ, 1, &write_ms);
	ASSERT_EQ(CMDSTS_ACTIVE, sts & CMDSTS_ACTIVE) TH_LOG(NOT_ACTIVE_FMT, sts, write_ms);

	vdev_close(a);
	rc = vdev_open(a, self->uuid[0]);
	ASSERT_EQ(0, rc) TH_LOG("opening A again: %s", strerror(-rc));
	rc = a_up(a, self->mem);
	ASSERT_EQ(0, rc) TH_LOG("bringing A up again: step %d", rc);
	submit_noop_rec(a, self->mem, XREC_OFF);
	EXPECT_EQ(STATUS_SUCCESS, record_wait(self->mem + XREC_OFF, FIRE_MS));

	vdev_close(a);
	EXPECT_EQ(0, vdev_remove(self->uuid[0]));
	self->uuid[0][0] = 0;
	EXPECT_EQ(0, kmsg_splat(kmsg, rec, sizeof(rec))) TH_LOG("%s", rec);
	close(kmsg);
}

/*
 * The guest clears bus mastering under a full WQ.  A function without it
 * sends nothing: the work A queued is aborted, and no completion record
 * is written after the write returns, however long the slow engine would
 * have taken.  Before, the portals stopped taking descriptors and the
 * queued ones went on writing.  With bus mastering on again, the WQ
 * takes work.
 */
TEST_F_TIMEOUT(drain, bus_master_off_stops_dma, TIMEOUT_S)
{
	struct vdev *a = &self->v[0];
	unsigned int before, after;
	uint16_t command;
	uint8_t bad;

	ASSERT_EQ(0, cfg_read(a, PCI_COMMAND, &command, 2));
	fill_wq(a, self->mem);
	command &= ~PCI_COMMAND_MASTER;
	ASSERT_EQ(0, cfg_write(a, PCI_COMMAND, &command, 2));
	before = records_ok(self->mem, &bad);
	/* Longer than the whole WQ takes to run */
	usleep(2 * RESET_QUIET_MS * 1000);
	after = records_ok(self->mem, &bad);
	EXPECT_EQ(before, after) TH_LOG("%u records written after bus mastering went off",
					after - before);
	EXPECT_GT(NRECORDS, after);
	EXPECT_EQ(0, bad) TH_LOG("a record with status %#x", bad);

	command |= PCI_COMMAND_MASTER;
	ASSERT_EQ(0, cfg_write(a, PCI_COMMAND, &command, 2));
	submit_noop_rec(a, self->mem, XREC_OFF);
	EXPECT_EQ(STATUS_SUCCESS, record_wait(self->mem + XREC_OFF, FIRE_MS));
}

TEST_HARNESS_MAIN
