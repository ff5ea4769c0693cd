// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the DSA register and descriptor layout in registers.h,
 * idxd.h and uapi/linux/idxd.h.
 *
 * The driver reads and writes BAR0 through C bit-fields, and the QEMU DSA
 * model and the vdev register emulation are written against the same
 * layout.  These tests pin every field those users depend on to the bit
 * positions of the DSA architecture specification, so a header change that
 * moves one is caught before it reaches a device.
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "idxd.h"
#include "registers.h"

/*
 * Check that @field of the single-word register union @type covers exactly
 * @mask: set every bit, clear the field through the bit-field, and see
 * which bits went.
 */
#define EXPECT_FIELD(test, type, field, mask)				\
	do {								\
		type __r;						\
									\
		memset(&__r, 0xff, sizeof(__r));			\
		__r.field = 0;						\
		KUNIT_EXPECT_EQ_MSG(test, (u64)~__r.bits, (u64)(mask),	\
				    #type "." #field);			\
	} while (0)

/* The same for a multi-word union: @field lives in 32- or 64-bit word @w. */
#define EXPECT_FIELD_IN(test, type, field, w, mask)			\
	do {								\
		type __r;						\
		int __i;						\
									\
		memset(&__r, 0xff, sizeof(__r));			\
		__r.field = 0;						\
		for (__i = 0; __i < ARRAY_SIZE(__r.bits); __i++)	\
			KUNIT_EXPECT_EQ_MSG(test, (u64)~__r.bits[__i],	\
					    __i == (w) ? (u64)(mask) : 0ULL, \
					    #type "." #field " word %d", __i); \
	} while (0)

static void idxd_regs_offsets(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, IDXD_VER_OFFSET, 0x00);
	KUNIT_EXPECT_EQ(test, IDXD_GENCAP_OFFSET, 0x10);
	KUNIT_EXPECT_EQ(test, IDXD_WQCAP_OFFSET, 0x20);
	KUNIT_EXPECT_EQ(test, IDXD_GRPCAP_OFFSET, 0x30);
	KUNIT_EXPECT_EQ(test, IDXD_ENGCAP_OFFSET, 0x38);
	KUNIT_EXPECT_EQ(test, IDXD_OPCAP_OFFSET, 0x40);
	KUNIT_EXPECT_EQ(test, IDXD_TABLE_OFFSET, 0x60);
	KUNIT_EXPECT_EQ(test, IDXD_GENCFG_OFFSET, 0x80);
	KUNIT_EXPECT_EQ(test, IDXD_GENCTRL_OFFSET, 0x88);
	KUNIT_EXPECT_EQ(test, IDXD_GENSTATS_OFFSET, 0x90);
	KUNIT_EXPECT_EQ(test, IDXD_INTCAUSE_OFFSET, 0x98);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_OFFSET, 0xa0);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_OFFSET, 0xa8);
	KUNIT_EXPECT_EQ(test, IDXD_CMDCAP_OFFSET, 0xb0);
	KUNIT_EXPECT_EQ(test, IDXD_SWERR_OFFSET, 0xc0);
	KUNIT_EXPECT_EQ(test, IDXD_EVLCFG_OFFSET, 0xe0);
	KUNIT_EXPECT_EQ(test, IDXD_TABLE_MULT, 0x100);
}

static void idxd_regs_capabilities(struct kunit *test)
{
	EXPECT_FIELD(test, union gen_cap_reg, cmd_cap, BIT_ULL(4));
	EXPECT_FIELD(test, union gen_cap_reg, max_xfer_shift, GENMASK_ULL(20, 16));
	EXPECT_FIELD(test, union gen_cap_reg, max_batch_shift, GENMASK_ULL(24, 21));
	EXPECT_FIELD(test, union gen_cap_reg, max_ims_mult, GENMASK_ULL(30, 25));
	EXPECT_FIELD(test, union gen_cap_reg, config_en, BIT_ULL(31));

	EXPECT_FIELD(test, union wq_cap_reg, total_wq_size, GENMASK_ULL(15, 0));
	EXPECT_FIELD(test, union wq_cap_reg, num_wqs, GENMASK_ULL(23, 16));
	EXPECT_FIELD(test, union wq_cap_reg, wqcfg_size, GENMASK_ULL(27, 24));
	EXPECT_FIELD(test, union wq_cap_reg, shared_mode, BIT_ULL(48));
	EXPECT_FIELD(test, union wq_cap_reg, dedicated_mode, BIT_ULL(49));

	EXPECT_FIELD(test, union group_cap_reg, num_groups, GENMASK_ULL(7, 0));
	EXPECT_FIELD(test, union engine_cap_reg, num_engines, GENMASK_ULL(7, 0));

	EXPECT_FIELD_IN(test, union offsets_reg, grpcfg, 0, GENMASK_ULL(15, 0));
	EXPECT_FIELD_IN(test, union offsets_reg, wqcfg, 0, GENMASK_ULL(31, 16));
	EXPECT_FIELD_IN(test, union offsets_reg, msix_perm, 0, GENMASK_ULL(47, 32));
	EXPECT_FIELD_IN(test, union offsets_reg, ims, 0, GENMASK_ULL(63, 48));
	EXPECT_FIELD_IN(test, union offsets_reg, perfmon, 1, GENMASK_ULL(15, 0));
}

static void idxd_regs_control(struct kunit *test)
{
	EXPECT_FIELD(test, union genctrl_reg, softerr_int_en, BIT(0));
	EXPECT_FIELD(test, union genctrl_reg, halt_int_en, BIT(1));
	EXPECT_FIELD(test, union gensts_reg, state, GENMASK(1, 0));
	EXPECT_FIELD(test, union gensts_reg, reset_type, GENMASK(3, 2));

	KUNIT_EXPECT_EQ(test, IDXD_DEVICE_STATE_DISABLED, 0);
	KUNIT_EXPECT_EQ(test, IDXD_DEVICE_STATE_ENABLED, 1);
	KUNIT_EXPECT_EQ(test, IDXD_DEVICE_STATE_DRAIN, 2);
	KUNIT_EXPECT_EQ(test, IDXD_DEVICE_STATE_HALT, 3);

	KUNIT_EXPECT_EQ(test, IDXD_INTC_ERR, 0x01);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_CMD, 0x02);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_OCCUPY, 0x04);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_PERFMON_OVFL, 0x08);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_HALT_STATE, 0x10);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_EVL, 0x20);
	KUNIT_EXPECT_EQ(test, IDXD_INTC_INT_HANDLE_REVOKED, BIT(31));
}

static void idxd_regs_command(struct kunit *test)
{
	EXPECT_FIELD(test, union idxd_command_reg, operand, GENMASK(19, 0));
	EXPECT_FIELD(test, union idxd_command_reg, cmd, GENMASK(24, 20));
	EXPECT_FIELD(test, union idxd_command_reg, int_req, BIT(31));

	EXPECT_FIELD(test, union cmdsts_reg, err, GENMASK(7, 0));
	EXPECT_FIELD(test, union cmdsts_reg, result, GENMASK(23, 8));
	EXPECT_FIELD(test, union cmdsts_reg, active, BIT(31));
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ACTIVE, BIT(31));
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_MASK, 0xff);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_RES_SHIFT, 8);

	KUNIT_EXPECT_EQ(test, IDXD_CMD_ENABLE_DEVICE, 1);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_RESET_DEVICE, 5);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_ENABLE_WQ, 6);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_RESET_WQ, 10);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_ABORT_PASID, 12);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_REQUEST_INT_HANDLE, 13);
	KUNIT_EXPECT_EQ(test, IDXD_CMD_RELEASE_INT_HANDLE, 14);
	KUNIT_EXPECT_EQ(test, CMD_INT_HANDLE_IMS, BIT(16));

	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_BUSMASTER_EN, 0x12);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_DEV_NOTEN, 0x20);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_WQ_ENABLED, 0x21);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_WQ_MODE, 0x24);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_PASID_EN, 0x26);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_INVAL_INT_IDX, 0x41);
	KUNIT_EXPECT_EQ(test, IDXD_CMDSTS_ERR_NO_HANDLE, 0x42);
}

static void idxd_regs_tables(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(union wqcfg), 64);
	EXPECT_FIELD_IN(test, union wqcfg, wq_size, 0, GENMASK(15, 0));
	EXPECT_FIELD_IN(test, union wqcfg, mode, 2, BIT(0));
	EXPECT_FIELD_IN(test, union wqcfg, bof, 2, BIT(1));
	EXPECT_FIELD_IN(test, union wqcfg, priority, 2, GENMASK(7, 4));
	EXPECT_FIELD_IN(test, union wqcfg, pasid, WQCFG_PASID_IDX, GENMASK(27, 8));
	EXPECT_FIELD_IN(test, union wqcfg, pasid_en, WQCFG_PASID_IDX, BIT(28));
	EXPECT_FIELD_IN(test, union wqcfg, priv, WQCFG_PRIVL_IDX, BIT(29));
	EXPECT_FIELD_IN(test, union wqcfg, occupancy, WQCFG_OCCUP_IDX, WQCFG_OCCUP_MASK);
	EXPECT_FIELD_IN(test, union wqcfg, mode_support, WQCFG_OCCUP_IDX, BIT(29));
	EXPECT_FIELD_IN(test, union wqcfg, wq_state, WQCFG_OCCUP_IDX, GENMASK(31, 30));

	KUNIT_EXPECT_EQ(test, GRPCFG_SIZE, 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct grpcfg, wqs), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct grpcfg, engines), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct grpcfg, flags), 40);

	EXPECT_FIELD(test, union msix_perm, ignore, BIT(2));
	EXPECT_FIELD(test, union msix_perm, pasid_en, BIT(3));
	EXPECT_FIELD(test, union msix_perm, pasid, GENMASK(31, 12));

	EXPECT_FIELD_IN(test, union sw_err_reg, valid, 0, BIT_ULL(0));
	EXPECT_FIELD_IN(test, union sw_err_reg, error, 0, GENMASK_ULL(15, 8));
	EXPECT_FIELD_IN(test, union sw_err_reg, wq_idx, 0, GENMASK_ULL(23, 16));
	EXPECT_FIELD_IN(test, union sw_err_reg, pasid, 0, GENMASK_ULL(59, 40));
	EXPECT_FIELD_IN(test, union sw_err_reg, fault_addr, 2, ~0ULL);
}

static void idxd_regs_portals(struct kunit *test)
{
	/* Four pages per WQ; the limited portal is the second one. */
	KUNIT_EXPECT_EQ(test, idxd_get_wq_portal_full_offset(0, IDXD_PORTAL_UNLIMITED), 0);
	KUNIT_EXPECT_EQ(test, idxd_get_wq_portal_full_offset(0, IDXD_PORTAL_LIMITED), 0x1000);
	KUNIT_EXPECT_EQ(test, idxd_get_wq_portal_full_offset(3, IDXD_PORTAL_UNLIMITED),
			3 * 4 * 0x1000);
	KUNIT_EXPECT_EQ(test, idxd_get_wq_portal_full_offset(3, IDXD_PORTAL_LIMITED),
			3 * 4 * 0x1000 + 0x1000);
	/* The IMS portals are the third and fourth pages. */
	KUNIT_EXPECT_EQ(test, IDXD_PORTAL_IMS_OFFSET, 0x2000);
}

static void idxd_regs_ims(struct kunit *test)
{
	/* IMS entry: address low/high, data, control; 16 bytes. */
	KUNIT_EXPECT_EQ(test, IDXD_IMS_ENTRY_SIZE, 16);
	KUNIT_EXPECT_EQ(test, IDXD_IMS_ADDR_LO, 0);
	KUNIT_EXPECT_EQ(test, IDXD_IMS_ADDR_HI, 4);
	KUNIT_EXPECT_EQ(test, IDXD_IMS_DATA, 8);
	KUNIT_EXPECT_EQ(test, IDXD_IMS_CTRL, 12);
	KUNIT_EXPECT_EQ(test, IDXD_IMS_CTRL_MASK, BIT(0));
	KUNIT_EXPECT_EQ(test, IDXD_IMS_CTRL_PASID_EN, BIT(3));
	KUNIT_EXPECT_EQ(test, IDXD_IMS_CTRL_PASID, GENMASK(31, 12));
	KUNIT_EXPECT_EQ(test, IDXD_IMS_PASID_MAX, FIELD_MAX(IDXD_IMS_CTRL_PASID));
	/* GENCAP.max_ims_mult counts units of 256 entries. */
	KUNIT_EXPECT_EQ(test, IDXD_IMS_MULT, 256);
}

static void idxd_regs_descriptor(struct kunit *test)
{
	struct dsa_hw_desc d;
	u32 *dw = (u32 *)&d;

	KUNIT_EXPECT_EQ(test, sizeof(struct dsa_hw_desc), 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct dsa_hw_desc, completion_addr), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct dsa_hw_desc, src_addr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct dsa_hw_desc, dst_addr), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct dsa_hw_desc, xfer_size), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct dsa_hw_desc, int_handle), 36);

	memset(&d, 0, sizeof(d));
	d.pasid = 0xfffff;
	d.priv = 1;
	d.flags = IDXD_OP_FLAG_RCI | IDXD_OP_FLAG_RCR;
	d.opcode = DSA_OPCODE_MEMMOVE;
	KUNIT_EXPECT_EQ(test, dw[0], GENMASK(19, 0) | BIT(31));
	KUNIT_EXPECT_EQ(test, dw[1], (u32)(DSA_OPCODE_MEMMOVE << 24 | 0x18));

	KUNIT_EXPECT_EQ(test, IDXD_OP_FLAG_RCR, 0x8);
	KUNIT_EXPECT_EQ(test, IDXD_OP_FLAG_RCI, 0x10);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_NOOP, 0);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_BATCH, 1);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_DRAIN, 2);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_MEMMOVE, 3);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_MEMFILL, 4);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_COMPARE, 5);
	KUNIT_EXPECT_EQ(test, DSA_OPCODE_COMPVAL, 6);
	KUNIT_EXPECT_EQ(test, sizeof(struct dsa_completion_record), 32);
}

static struct kunit_case idxd_regs_cases[] = {
	KUNIT_CASE(idxd_regs_offsets),
	KUNIT_CASE(idxd_regs_capabilities),
	KUNIT_CASE(idxd_regs_control),
	KUNIT_CASE(idxd_regs_command),
	KUNIT_CASE(idxd_regs_tables),
	KUNIT_CASE(idxd_regs_portals),
	KUNIT_CASE(idxd_regs_ims),
	KUNIT_CASE(idxd_regs_descriptor),
	{}
};

static struct kunit_suite idxd_regs_suite = {
	.name = "idxd_registers",
	.test_cases = idxd_regs_cases,
};

kunit_test_suite(idxd_regs_suite);

MODULE_DESCRIPTION("KUnit tests for the Intel DSA register layout");
MODULE_LICENSE("GPL");
