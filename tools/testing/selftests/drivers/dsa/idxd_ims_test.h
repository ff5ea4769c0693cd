/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl interface of the idxd IMS test module (idxd_ims_test/), shared
 * by the module and ims_test.c. It is a test interface, not a uAPI.
 *
 * The module is a WQ driver named "ims_test" on the dsa bus. Bound to one
 * dedicated WQ of type "user", it gives /dev/idxd_ims_test, on which the
 * test allocates IMS interrupts for the WQ, submits NOOP descriptors that
 * request a completion interrupt through the WQ's IMS portal, and counts
 * the interrupts each vector receives.
 */
#ifndef _IDXD_IMS_TEST_H
#define _IDXD_IMS_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IMS_TEST_DRIVER		"ims_test"
#define IMS_TEST_DEV		"/dev/idxd_ims_test"
#define IMS_TEST_NO_PASID	0xffffffffu

/* One IMS interrupt of the test */
struct ims_test_vec {
	__u32 id;	/* out: the test's name for it */
	__u32 pasid;	/* in: the PASID of the entry, or IMS_TEST_NO_PASID */
	__s32 index;	/* out: the IMS entry */
	__u32 handle;	/* out: the interrupt handle descriptors carry */
	__u32 virq;	/* out: the Linux interrupt */
	__u32 count;	/* out (IMS_TEST_GET): interrupts received so far */
	__u32 ctrl;	/* out (IMS_TEST_GET): the entry's control word now */
	__u32 pad;
};

/* Submit @count NOOPs with RCI and vector @id's handle */
struct ims_test_submit {
	__u32 id;
	__u32 count;
};

/* Mask (@masked = 1) or unmask (0) vector @id */
struct ims_test_mask {
	__u32 id;
	__u32 masked;
};

#define IMS_TEST_MAGIC		'I'
/* Set the WQ's PASID (IMS_TEST_NO_PASID: none) */
#define IMS_TEST_SET_WQ_PASID	_IOW(IMS_TEST_MAGIC, 0, __u32)
/* Allocate and request an IMS interrupt */
#define IMS_TEST_ALLOC		_IOWR(IMS_TEST_MAGIC, 1, struct ims_test_vec)
/* Free one by id */
#define IMS_TEST_FREE		_IOW(IMS_TEST_MAGIC, 2, __u32)
#define IMS_TEST_SUBMIT		_IOW(IMS_TEST_MAGIC, 3, struct ims_test_submit)
/* Read a vector's state by id */
#define IMS_TEST_GET		_IOWR(IMS_TEST_MAGIC, 4, struct ims_test_vec)
#define IMS_TEST_MASK		_IOW(IMS_TEST_MAGIC, 5, struct ims_test_mask)
/* Interrupts received on all vectors of the test since the WQ was bound */
#define IMS_TEST_TOTAL		_IOR(IMS_TEST_MAGIC, 6, __u64)

/* IMS entry control word */
#define IMS_TEST_CTRL_MASK	0x1
#define IMS_TEST_CTRL_PASID_EN	0x8
#define IMS_TEST_CTRL_PASID_SHIFT 12

#endif
