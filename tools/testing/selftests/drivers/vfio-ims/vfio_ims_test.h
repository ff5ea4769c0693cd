/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl interface of the VFIO IMS backend test module (vfio_ims_test/),
 * shared by the module and ims_backend_test.c.  A test interface, not a uAPI.
 *
 * The module gives /dev/vfio_ims_test, a stand-in VFIO device whose
 * VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS are the VFIO PCI
 * interrupt frontend's.  It offers MSI-X only, with VFIO_IMS_TEST_NVEC
 * vectors: vector 0 emulated, the others backed by IMS interrupts of the
 * first DSA that has an IMS domain, vector N with cookie (PASID)
 * VFIO_IMS_TEST_COOKIE(N) until the test sets another one.
 */
#ifndef _VFIO_IMS_TEST_H
#define _VFIO_IMS_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VFIO_IMS_TEST_DEV		"/dev/vfio_ims_test"
#define VFIO_IMS_TEST_NVEC		8
#define VFIO_IMS_TEST_COOKIE(n)		(0x100 + (n))

/* The host interrupt behind a vector */
struct vfio_ims_test_vec {
	__u32 vector;	/* in */
	__s32 index;	/* out: the IMS entry */
	__u32 virq;	/* out: the Linux interrupt */
	__u32 pad;
	__u64 cookie;	/* out: the cookie in the interrupt's descriptor; in
			 * (VFIO_IMS_TEST_COOKIE_SET): the vector's new cookie
			 */
};

#define VFIO_IMS_TEST_MAGIC	'V'
/* The vector's host interrupt; ENOENT if not in use or emulated */
#define VFIO_IMS_TEST_QUERY	_IOWR(VFIO_IMS_TEST_MAGIC, 0x40, struct vfio_ims_test_vec)
/* Raise the vector: the driver's signal for vector 0, else the IMS interrupt */
#define VFIO_IMS_TEST_FIRE	_IOW(VFIO_IMS_TEST_MAGIC, 0x41, __u32)
/* Configure the vector's cookie */
#define VFIO_IMS_TEST_COOKIE_SET _IOW(VFIO_IMS_TEST_MAGIC, 0x42, struct vfio_ims_test_vec)

#endif /* _VFIO_IMS_TEST_H */
