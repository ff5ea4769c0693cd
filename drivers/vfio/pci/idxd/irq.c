// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: the interrupts of a vdev.
 *
 * The vdev offers MSI-X with 1 + N vectors through the VFIO PCI interrupt
 * frontend.  Vector 0 is emulated: the driver signals it for command
 * completions, halts and handle revocations, as the device would through
 * its misc vector.  Vectors 1..N are backed by host IMS entries: a guest
 * descriptor that completes with a completion interrupt request names the
 * entry through its interrupt handle, the DSA writes the entry's message
 * and the host interrupt handler signals the vector's eventfd.
 *
 * An entry is allocated when the user gives its vector an eventfd, with
 * the vdev's PASID as the entry's instance cookie, so that only
 * descriptors of the vdev's WQs can raise it.  It stays allocated while
 * the vector's eventfd comes and goes, so that the handle the guest got
 * from REQUEST_INT_HANDLE stays valid (an interrupt without an eventfd is
 * kept pending in the masked entry), and is freed when the user disables
 * the MSI-X index.  The guest's mask bits are mirrored into the entry's
 * mask bit with disable_irq()/enable_irq() on a lazy-disable-free
 * interrupt, so that a masked entry latches its message in hardware.
 *
 * When the index comes back and a vector gets another entry than the one
 * whose handle the guest held, the handle is revoked: vector 0 interrupts
 * with INTCAUSE's handle revoked bit and the guest asks for its handles
 * again, as after a host reset of a device.  Host software errors of the
 * vdev's descriptors reach the virtual SWERR and vector 0 the same way,
 * through the vdev's event work.
 *
 * Locking: the backend's operations run under the frontend's lock, which
 * nests inside the vdev's lock; they read the guest's mask bits with
 * atomic bit operations.  The host's error handler runs under the DSA's
 * dev_lock and only takes the vdev's err_lock; everything it and the
 * backend have to tell the guest is passed to the event work, which takes
 * the vdev's lock.
 */

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include "vdev.h"

static irqreturn_t idxd_vdev_ims_handler(int irq, void *data)
{
	struct vfio_pci_irq_vec *vec = data;
	struct eventfd_ctx *trigger = READ_ONCE(vec->trigger);

	if (trigger)
		eventfd_signal(trigger);
	return IRQ_HANDLED;
}

static struct idxd_vdev *be_to_vdev(struct vfio_pci_irq_backend *be)
{
	return container_of(be, struct idxd_vdev, be);
}

static int idxd_vdev_be_request(struct vfio_pci_irq_backend *be,
				struct vfio_pci_irq_vec *vec)
{
	struct idxd_vdev *v = be_to_vdev(be);
	unsigned int n = vec->vector;
	struct idxd_vdev_vec *hv;
	unsigned long flags = 0;
	bool masked;
	int rc;

	if (vec->index != VFIO_PCI_MSIX_IRQ_INDEX || !n ||
	    n >= idxd_vdev_nvec(v))
		return -EINVAL;
	if (idxd_vdev_lost(v)) {
		dev_warn_ratelimited(&v->vdev.device,
				     "vector %u: the vdev lost a WQ\n", n);
		return -ENODEV;
	}

	hv = &v->vecs[n];
	if (!hv->allocated) {
		rc = idxd_wq_ims_alloc(idxd_vdev_host_wq(v, n - 1),
				       vec->cookie.value, &hv->ims);
		if (rc) {
			dev_warn(&v->vdev.device,
				 "vector %u: no IMS entry: %d\n", n, rc);
			return rc;
		}
		hv->allocated = true;
		/* Masking must reach the entry at once, not on the next message */
		irq_set_status_flags(hv->ims.map.virq, IRQ_DISABLE_UNLAZY);
		/*
		 * The guest still holds the handle of the entry the vector had
		 * before its index was disabled.  The same entry keeps it
		 * valid; another one revokes it, which the guest learns
		 * through vector 0 and answers by asking for its handles again.
		 */
		if (test_and_clear_bit(n, &v->revoked)) {
			if (v->revoked_handle[n] == hv->ims.handle) {
				hv->granted = true;
			} else {
				set_bit(IDXD_VDEV_EV_REVOKED, &v->events);
				schedule_work(&v->event_work);
			}
		}
	}

	masked = test_bit(n, &v->guest_masked);
	if (masked)
		flags |= IRQF_NO_AUTOEN;
	rc = request_irq(hv->ims.map.virq, idxd_vdev_ims_handler, flags,
			 hv->name, vec);
	if (rc) {
		dev_warn(&v->vdev.device, "vector %u: request_irq %d: %d\n",
			 n, hv->ims.map.virq, rc);
		return rc;
	}
	hv->requested = true;
	hv->host_masked = masked;
	vec->map = hv->ims.map;
	return 0;
}

static void idxd_vdev_be_free(struct vfio_pci_irq_backend *be,
			      struct vfio_pci_irq_vec *vec)
{
	struct idxd_vdev *v = be_to_vdev(be);
	struct idxd_vdev_vec *hv = &v->vecs[vec->vector];

	if (WARN_ON_ONCE(!hv->requested))
		return;
	free_irq(hv->ims.map.virq, vec);
	hv->requested = false;
	hv->host_masked = false;
}

/* The MSI-X index is disabled: the entries go, the guest's handles too */
static void idxd_vdev_be_disable(struct vfio_pci_irq_backend *be)
{
	struct idxd_vdev *v = be_to_vdev(be);
	unsigned int n;

	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		if (!hv->allocated)
			continue;
		WARN_ON_ONCE(hv->requested);
		if (hv->granted) {
			/* Revoked if the vector comes back on another entry */
			v->revoked_handle[n] = hv->ims.handle;
			set_bit(n, &v->revoked);
			hv->granted = false;
		}
		idxd_wq_ims_free(idxd_vdev_host_wq(v, n - 1), &hv->ims);
		hv->allocated = false;
	}
}

static bool idxd_vdev_be_is_dynamic(struct vfio_pci_irq_backend *be)
{
	return true;
}

static const struct vfio_pci_irq_backend_ops idxd_vdev_be_ops = {
	.request	= idxd_vdev_be_request,
	.free		= idxd_vdev_be_free,
	.disable	= idxd_vdev_be_disable,
	.is_dynamic	= idxd_vdev_be_is_dynamic,
};

/* MSI-X with vector 0 and one vector per WQ, ERR and REQ; no INTx, no MSI */
static int idxd_vdev_irq_count(struct vfio_pci_irq *irq, unsigned int index)
{
	struct idxd_vdev *v = container_of(irq, struct idxd_vdev, irq);

	switch (index) {
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return idxd_vdev_nvec(v);
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	case VFIO_PCI_INTX_IRQ_INDEX:
	case VFIO_PCI_MSI_IRQ_INDEX:
		return 0;
	default:
		return -EINVAL;
	}
}

const struct vfio_pci_irq_ops idxd_vdev_irq_ops = {
	.count	= idxd_vdev_irq_count,
};

/**
 * idxd_vdev_irq_init() - configure the interrupt frontend of a vdev
 * @v: the vdev, with its WQs and PASID; its frontend initialised with
 *     &idxd_vdev_irq_ops
 *
 * Return: 0 or a negative errno.
 */
int idxd_vdev_irq_init(struct idxd_vdev *v)
{
	union msi_instance_cookie cookie = { .value = v->pasid };
	unsigned int n;
	int rc;

	v->be.ops = &idxd_vdev_be_ops;
	rc = vfio_pci_irq_set_backend(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, &v->be);
	if (rc)
		return rc;
	rc = vfio_pci_irq_set_emulated(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0, true);
	if (rc)
		return rc;
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		rc = vfio_pci_irq_set_cookie(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX,
					     n, &cookie);
		if (rc)
			return rc;
		snprintf(v->vecs[n].name, sizeof(v->vecs[n].name),
			 "idxd-vdev-%s-%u", dev_name(v->vdev.dev), n);
	}
	return 0;
}

/**
 * idxd_vdev_irq_raise() - raise the emulated misc vector 0
 * @v: the vdev, its lock held
 * @cause: the INTCAUSE bits to set
 *
 * The caller decides whether the cause interrupts (int_req, GENCTRL).
 * A vector masked by the guest keeps its PBA bit until it is unmasked.
 */
void idxd_vdev_irq_raise(struct idxd_vdev *v, u32 cause)
{
	unsigned int pba = IDXD_VDEV_MSIX_PBA_OFFSET;

	lockdep_assert_held(&v->lock);
	atomic_or(cause, &v->intcause);
	if (test_bit(0, &v->guest_masked)) {
		idxd_vdev_w64(v, pba, idxd_vdev_r64(v, pba) | BIT_ULL(0));
		return;
	}
	vfio_pci_irq_signal(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0);
}

/**
 * idxd_vdev_irq_sync_mask() - mirror the guest's mask of a vector
 * @v: the vdev, its lock held
 * @vector: the vector whose bit in @v->guest_masked changed
 *
 * Vector 0 delivers its pending message when unmasked; vectors 1..N mask
 * or unmask their IMS entry.
 */
void idxd_vdev_irq_sync_mask(struct idxd_vdev *v, unsigned int vector)
{
	unsigned int pba = IDXD_VDEV_MSIX_PBA_OFFSET;
	struct idxd_vdev_vec *hv;
	bool masked;

	lockdep_assert_held(&v->lock);
	if (!vector) {
		if (!test_bit(0, &v->guest_masked) &&
		    (idxd_vdev_r64(v, pba) & BIT_ULL(0))) {
			idxd_vdev_w64(v, pba, idxd_vdev_r64(v, pba) & ~BIT_ULL(0));
			vfio_pci_irq_signal(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0);
		}
		return;
	}

	vfio_pci_irq_lock(&v->irq);
	hv = &v->vecs[vector];
	masked = test_bit(vector, &v->guest_masked);
	if (hv->requested && masked != hv->host_masked) {
		if (masked)
			disable_irq(hv->ims.map.virq);
		else
			enable_irq(hv->ims.map.virq);
		hv->host_masked = masked;
	}
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_pba() - the pending bit array of the virtual MSI-X table
 * @v: the vdev, its lock held
 *
 * Vector 0's bit is the emulated one; a vector N >= 1 is pending while its
 * host IMS entry is, i.e. it holds a message back because the guest masks
 * the vector or the vector has no eventfd.
 *
 * Return: the PBA's first (and only) quadword.
 */
u64 idxd_vdev_irq_pba(struct idxd_vdev *v)
{
	u64 pba = idxd_vdev_r64(v, IDXD_VDEV_MSIX_PBA_OFFSET) & BIT_ULL(0);
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		if (hv->allocated && !test_bit(n - 1, &v->gone) &&
		    idxd_wq_ims_pending(idxd_vdev_host_wq(v, n - 1), &hv->ims))
			pba |= BIT_ULL(n);
	}
	vfio_pci_irq_unlock(&v->irq);
	return pba;
}

/**
 * idxd_vdev_irq_handle() - REQUEST_INT_HANDLE for a guest vector
 * @v: the vdev, its lock held
 * @vector: the guest's MSI-X vector
 * @handle: set to the handle of the vector's host IMS entry
 *
 * Return: 0; -EINVAL for vector 0 (no descriptor interrupts through it)
 * or a vector out of range; -ENOENT if the vector has no eventfd, hence
 * no host entry.
 */
int idxd_vdev_irq_handle(struct idxd_vdev *v, unsigned int vector, u16 *handle)
{
	struct idxd_vdev_vec *hv;
	int rc = 0;

	lockdep_assert_held(&v->lock);
	if (!vector || vector >= idxd_vdev_nvec(v))
		return -EINVAL;

	vfio_pci_irq_lock(&v->irq);
	hv = &v->vecs[vector];
	if (hv->requested) {
		*handle = hv->ims.handle;
		hv->granted = true;
	} else {
		rc = -ENOENT;
	}
	vfio_pci_irq_unlock(&v->irq);
	return rc;
}

/**
 * idxd_vdev_irq_release_handle() - RELEASE_INT_HANDLE
 * @v: the vdev, its lock held
 * @handle: a handle the guest got from idxd_vdev_irq_handle()
 *
 * Return: 0, or -EINVAL if the guest holds no such handle.
 */
int idxd_vdev_irq_release_handle(struct idxd_vdev *v, u16 handle)
{
	unsigned int n;
	int rc = -EINVAL;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		if (hv->allocated && hv->granted && hv->ims.handle == handle) {
			hv->granted = false;
			rc = 0;
			break;
		}
	}
	vfio_pci_irq_unlock(&v->irq);
	return rc;
}

/**
 * idxd_vdev_irq_revoke_all() - the guest holds no handle any more
 * @v: the vdev, its lock held
 *
 * For a reset of the virtual device; the host entries stay.
 */
void idxd_vdev_irq_revoke_all(struct idxd_vdev *v)
{
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	for (n = 1; n < idxd_vdev_nvec(v); n++)
		v->vecs[n].granted = false;
	v->revoked = 0;
	clear_bit(IDXD_VDEV_EV_REVOKED, &v->events);
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_wq_err() - a software error of a host WQ of a vdev
 * @wq: the host WQ
 * @err: the error, in the layout of SWERR
 * @data: the &struct idxd_vdev_wq of @wq
 *
 * The host's error handler for the vdev's WQs (idxd_wq_set_err_handler()),
 * called in the misc interrupt thread under the DSA's dev_lock.  It is
 * registered while the WQ is in the vdev, so the WQ's vdev and virtual
 * index are stable here.  The error is kept, its WQ index made the
 * virtual WQ's, until idxd_vdev_event_work() puts it into the virtual
 * SWERR; errors that come while one is kept are counted as an overflow,
 * as SWERR does.
 */
void idxd_vdev_wq_err(struct idxd_wq *wq, const union sw_err_reg *err,
		      void *data)
{
	struct idxd_vdev_wq *vw = data;
	struct idxd_vdev *v = vw->vdev;

	spin_lock(&v->err_lock);
	if (v->err.valid) {
		v->err_overflow = true;
	} else {
		v->err = *err;
		v->err.valid = 1;
		v->err.wq_idx = vw->vwq;
	}
	spin_unlock(&v->err_lock);
	set_bit(IDXD_VDEV_EV_SWERR, &v->events);
	schedule_work(&v->event_work);
}

/**
 * idxd_vdev_event_work() - deliver host events to the virtual device
 * @work: &idxd_vdev.event_work
 *
 * Host software errors go into the virtual SWERR and interrupt through
 * vector 0 if the guest enabled software error interrupts; a revoked
 * interrupt handle always interrupts through vector 0.
 */
void idxd_vdev_event_work(struct work_struct *work)
{
	struct idxd_vdev *v = container_of(work, struct idxd_vdev, event_work);
	union sw_err_reg err;
	bool overflow;

	mutex_lock(&v->lock);
	if (test_and_clear_bit(IDXD_VDEV_EV_SWERR, &v->events)) {
		spin_lock(&v->err_lock);
		err = v->err;
		overflow = v->err_overflow;
		v->err.valid = 0;
		v->err_overflow = false;
		spin_unlock(&v->err_lock);
		if (err.valid)
			idxd_vdev_swerr(v, &err, overflow);
	}
	if (test_and_clear_bit(IDXD_VDEV_EV_REVOKED, &v->events))
		idxd_vdev_irq_raise(v, IDXD_INTC_INT_HANDLE_REVOKED);
	mutex_unlock(&v->lock);
}
