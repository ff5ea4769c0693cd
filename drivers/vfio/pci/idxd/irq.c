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
 * An entry is allocated when the user first gives its vector an eventfd
 * or the guest first asks for the vector's handle, whichever comes first
 * (a VMM need not set a vector up before its guest asks), with the vdev's
 * PASID as the entry's instance cookie, so that only descriptors of the
 * vdev's WQs can raise it, and it stays allocated until the device is
 * closed.  The handle the guest got from REQUEST_INT_HANDLE
 * therefore stays valid while the vector's eventfd comes and goes and
 * while the user disables and enables the MSI-X index, which QEMU 7.2 does
 * each time the guest uses a vector higher than any before.
 *
 * Mask state reaches the vdev only through VFIO: a VMM emulates the
 * guest's MSI-X table itself, never forwards its writes, and takes a
 * vector's eventfd away (or never gives it one) while the guest masks it.
 * A vector without an eventfd holds its interrupts: vector 0 keeps its
 * event pending in software, a vector N >= 1 in its host IMS entry, which
 * the host masks when its interrupt is freed; both are delivered once the
 * vector gets an eventfd again.  The virtual MSI-X table is storage only.
 *
 * A reset of the DSA revokes the handles of the vdev's IMS entries.  The
 * vdev's event work (emu.c) gets them again with idxd_vdev_irq_refresh()
 * (also when the DSA revokes them by itself)
 * and, where one the guest holds changed, raises INT_HANDLE_REVOKED on
 * vector 0, upon which the guest asks for its handles again.
 *
 * This file only raises and manages vectors: it calls nothing of the
 * emulation of BAR0 and the commands, which call it.
 *
 * debugfs shows, per vdev, how the user drove the MSI-X index since its
 * last open (idxd_vdev/UUID/irqs): whether a VMM grows the index one
 * vector at a time (dynamic MSI-X) or by disabling and enabling it whole,
 * and how often each vector's IMS entry was allocated.
 *
 * Locking: the backend's operations run under the frontend's lock, which
 * nests inside the vdev's lock.  The frontend's lock protects the vdev's
 * vecs, irq_stats and v0_pending.
 */

#include <linux/debugfs.h>
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

/*
 * Give vector @n >= 1 an IMS entry of its WQ, with instance cookie @cookie,
 * unless it has one.  A new entry is masked: it holds its messages back
 * until the vector's interrupt is requested.  The caller holds the
 * frontend's lock and checked that the WQ is not gone.
 */
static int idxd_vdev_vec_alloc(struct idxd_vdev *v, unsigned int n,
			       u64 cookie)
{
	struct idxd_vdev_vec *hv = &v->vecs[n];
	int rc;

	if (hv->allocated)
		return 0;
	rc = idxd_wq_ims_alloc(idxd_vdev_host_wq(v, n - 1), cookie, &hv->ims);
	if (rc) {
		dev_warn_ratelimited(&v->vdev.device,
				     "vector %u: no IMS entry: %d\n", n, rc);
		return rc;
	}
	hv->allocated = true;
	hv->ims_allocs++;
	return 0;
}

static int idxd_vdev_be_request(struct vfio_pci_irq_backend *be,
				struct vfio_pci_irq_vec *vec)
{
	struct idxd_vdev *v = be_to_vdev(be);
	unsigned int n = vec->vector;
	struct idxd_vdev_vec *hv;
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
	rc = idxd_vdev_vec_alloc(v, n, vec->cookie.value);
	if (rc)
		return rc;

	/* This unmasks the entry, which delivers a message it held back. */
	rc = request_irq(hv->ims.map.virq, idxd_vdev_ims_handler, 0, hv->name,
			 vec);
	if (rc) {
		dev_warn(&v->vdev.device, "vector %u: request_irq %d: %d\n",
			 n, hv->ims.map.virq, rc);
		return rc;
	}
	hv->requested = true;
	hv->requests++;
	if (n >= v->irq_stats.size) {
		v->irq_stats.added++;
		v->irq_stats.size = n + 1;
	}
	vec->map = hv->ims.map;
	return 0;
}

/*
 * Free the vector's interrupt.  This masks the IMS entry, which from now on
 * holds its message back.  The entry stays allocated.
 */
static void idxd_vdev_be_free(struct vfio_pci_irq_backend *be,
			      struct vfio_pci_irq_vec *vec)
{
	struct idxd_vdev *v = be_to_vdev(be);
	struct idxd_vdev_vec *hv = &v->vecs[vec->vector];

	if (WARN_ON_ONCE(!hv->requested))
		return;
	free_irq(hv->ims.map.virq, vec);
	hv->requested = false;
}

static bool idxd_vdev_be_is_dynamic(struct vfio_pci_irq_backend *be)
{
	return true;
}

/*
 * The index is enabled for @nvec vectors, before they get eventfds.  Only
 * the counts for debugfs change.
 */
static int idxd_vdev_be_enable(struct vfio_pci_irq_backend *be,
			       unsigned int nvec)
{
	struct idxd_vdev_irq_stats *st = &be_to_vdev(be)->irq_stats;

	st->enables++;
	if (st->prev_size && nvec > st->prev_size)
		st->regrows++;
	st->size = nvec;
	return 0;
}

/*
 * The index is disabled, after its vectors lost their eventfds.  Only the
 * counts for debugfs change.
 */
static void idxd_vdev_be_disable(struct vfio_pci_irq_backend *be)
{
	struct idxd_vdev_irq_stats *st = &be_to_vdev(be)->irq_stats;

	st->disables++;
	st->prev_size = st->size;
	st->size = 0;
}

static const struct vfio_pci_irq_backend_ops idxd_vdev_be_ops = {
	.request	= idxd_vdev_be_request,
	.free		= idxd_vdev_be_free,
	.is_dynamic	= idxd_vdev_be_is_dynamic,
	.enable		= idxd_vdev_be_enable,
	.disable	= idxd_vdev_be_disable,
};

/*
 * The vdev offers MSI-X with vector 0 and one vector per WQ, and ERR and
 * REQ.  It has neither INTx nor MSI.
 */
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

/*
 * A vector delivers the interrupt it held back in software once it has an
 * eventfd: vector 0 its event, a vector N >= 1 the one its IMS entry held
 * on a migration source.  The frontend calls this under its lock.
 */
static void idxd_vdev_vector_changed(struct vfio_pci_irq *irq,
				     const struct vfio_pci_irq_vec *vec,
				     bool has_trigger)
{
	struct idxd_vdev *v = container_of(irq, struct idxd_vdev, irq);

	/* A vdev stopped for migration raises nothing: see idxd_vdev_irq_deliver_held(). */
	if (vec->index != VFIO_PCI_MSIX_IRQ_INDEX || !has_trigger ||
	    READ_ONCE(v->mig_stopped))
		return;
	if (!vec->vector && v->v0_pending) {
		v->v0_pending = false;
		vfio_pci_irq_signal(irq, VFIO_PCI_MSIX_IRQ_INDEX, 0);
	} else if (vec->vector && test_and_clear_bit(vec->vector, &v->sw_pending)) {
		eventfd_signal(READ_ONCE(vec->trigger));
	}
}

/*
 * Signal vector @n >= 1, which its IMS entry does not back for this: an
 * interrupt held in software.  Under the frontend's lock.
 */
static bool idxd_vdev_vec_signal(struct idxd_vdev *v, unsigned int n)
{
	struct vfio_pci_irq_vec *vec;
	struct eventfd_ctx *trigger;

	vec = vfio_pci_irq_vec(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, n);
	trigger = vec ? READ_ONCE(vec->trigger) : NULL;
	if (!trigger)
		return false;
	eventfd_signal(trigger);
	return true;
}

const struct vfio_pci_irq_ops idxd_vdev_irq_ops = {
	.count		= idxd_vdev_irq_count,
	.vector_changed	= idxd_vdev_vector_changed,
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
 * While vector 0 has no eventfd, or the vdev is stopped for migration, the
 * interrupt is held pending (its PBA bit) and delivered when the vector
 * gets one or the vdev runs again.
 */
void idxd_vdev_irq_raise(struct idxd_vdev *v, u32 cause)
{
	lockdep_assert_held(&v->lock);
	atomic_or(cause, &v->intcause);
	/* The frontend's lock orders this against idxd_vdev_vector_changed(). */
	vfio_pci_irq_lock(&v->irq);
	if (v->mig_stopped ||
	    !vfio_pci_irq_signal(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0))
		v->v0_pending = true;
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_pba() - the pending bit array of the virtual MSI-X table
 * @v: the vdev, its lock held
 *
 * Vector 0 is pending while it holds an event back for want of an
 * eventfd; a vector N >= 1 while its host IMS entry holds a message back.
 *
 * Return: the PBA's first (and only) quadword.
 */
u64 idxd_vdev_irq_pba(struct idxd_vdev *v)
{
	u64 pba = 0;
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	if (v->v0_pending)
		pba |= BIT_ULL(0);
	pba |= v->sw_pending;
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
 * A vector that has no host IMS entry yet, because the user has not given
 * it an eventfd, gets one now: the guest's handle does not depend on the
 * order in which its VMM sets the vector up.  The entry holds the
 * vector's interrupts back until the vector has an eventfd.
 *
 * Return: 0; -EINVAL for vector 0 (no descriptor interrupts through it)
 * or a vector out of range; -ENODEV if the vector has no entry and the
 * vdev lost a WQ; the errno of the entry's allocation; -EIO if the DSA
 * revoked the entry's handle and refuses it a new one.
 */
int idxd_vdev_irq_handle(struct idxd_vdev *v, unsigned int vector, u16 *handle)
{
	struct idxd_vdev_vec *hv;
	int rc;

	lockdep_assert_held(&v->lock);
	if (!vector || vector >= idxd_vdev_nvec(v))
		return -EINVAL;

	vfio_pci_irq_lock(&v->irq);
	hv = &v->vecs[vector];
	/* The PASID is the cookie idxd_vdev_irq_init() gave each vector. */
	if (!hv->allocated && idxd_vdev_lost(v))
		rc = -ENODEV;
	else
		rc = idxd_vdev_vec_alloc(v, vector, v->pasid);
	/* The DSA refused the entry a handle when it revoked the last one. */
	if (!rc && hv->stale) {
		rc = idxd_wq_ims_refresh(idxd_vdev_host_wq(v, vector - 1),
					 &hv->ims);
		if (rc < 0) {
			dev_dbg_ratelimited(&v->vdev.device,
					    "vector %u: the DSA still refuses a handle: %d\n",
					    vector, rc);
			rc = -EIO;
		} else {
			hv->stale = false;
			rc = 0;
		}
	}
	if (!rc) {
		*handle = hv->ims.handle;
		hv->granted = true;
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
 * idxd_vdev_irq_reset() - a reset of the virtual device
 * @v: the vdev, its lock held
 *
 * The guest holds no handle and no event of vector 0 is pending any more;
 * the host entries stay.
 */
void idxd_vdev_irq_reset(struct idxd_vdev *v)
{
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	for (n = 1; n < idxd_vdev_nvec(v); n++)
		v->vecs[n].granted = false;
	v->v0_pending = false;
	v->sw_pending = 0;
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_open() - the user opened the vdev
 * @v: the vdev
 *
 * Starts the counts that debugfs shows afresh.
 */
void idxd_vdev_irq_open(struct idxd_vdev *v)
{
	unsigned int n;

	vfio_pci_irq_lock(&v->irq);
	memset(&v->irq_stats, 0, sizeof(v->irq_stats));
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		v->vecs[n].ims_allocs = 0;
		v->vecs[n].requests = 0;
	}
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_close() - the user closed the vdev
 * @v: the vdev
 *
 * Disables the interrupts and frees the host IMS entries.
 */
void idxd_vdev_irq_close(struct idxd_vdev *v)
{
	unsigned int n;

	vfio_pci_irq_close(&v->irq);
	vfio_pci_irq_lock(&v->irq);
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		if (!hv->allocated)
			continue;
		idxd_wq_ims_free(idxd_vdev_host_wq(v, n - 1), &hv->ims);
		hv->allocated = false;
		hv->granted = false;
		hv->stale = false;
	}
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_refresh() - get a vector's IMS handle again after a reset
 * @v: the vdev, its lock held
 * @vwq: the virtual WQ whose vector's handle to get
 *
 * A reset of the DSA revoked the handles of the IMS entries.  This gets
 * the handle of the IMS entry of virtual WQ @vwq's vector again, if the
 * vector has an entry.
 *
 * Return: true if the guest holds the vector's handle and it changed, or
 * the DSA refused to give one; the caller then raises INT_HANDLE_REVOKED.
 */
bool idxd_vdev_irq_refresh(struct idxd_vdev *v, unsigned int vwq)
{
	struct idxd_vdev_vec *hv = &v->vecs[vwq + 1];
	bool revoked = false;
	int rc;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	if (hv->allocated) {
		rc = idxd_wq_ims_refresh(idxd_vdev_host_wq(v, vwq), &hv->ims);
		if (rc < 0)
			dev_warn(&v->vdev.device,
				 "vector %u: no handle after the DSA revoked it: %d\n",
				 vwq + 1, rc);
		/* The old handle names nothing: the guest must not get it. */
		hv->stale = rc < 0;
		revoked = rc && hv->granted;
	}
	vfio_pci_irq_unlock(&v->irq);
	return revoked;
}

/**
 * idxd_vdev_irq_save() - the interrupt state for a migration stream
 * @v: the vdev, its lock held, stopped for migration
 * @v0_pending: set if vector 0 holds an event back
 * @pending: set to the vectors N >= 1 that hold an interrupt back, in
 *	     their host IMS entry or in software
 * @granted: set to the vectors whose handle the guest holds
 * @handle: set to those handles, indexed by vector
 */
void idxd_vdev_irq_save(struct idxd_vdev *v, bool *v0_pending,
			unsigned long *pending, unsigned long *granted,
			u16 *handle)
{
	unsigned int n;

	lockdep_assert_held(&v->lock);
	*pending = idxd_vdev_irq_pba(v) & ~BIT_ULL(0);
	*granted = 0;
	vfio_pci_irq_lock(&v->irq);
	*v0_pending = v->v0_pending;
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		handle[n] = 0;
		if (hv->allocated && hv->granted) {
			__set_bit(n, granted);
			handle[n] = hv->ims.handle;
		}
	}
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_restore() - hold back the interrupts of a migration stream
 * @v: the vdev, its lock held, stopped for migration
 * @v0_pending: vector 0 held an event back on the source
 * @pending: the vectors N >= 1 that held an interrupt back on the source
 *
 * They are delivered once the vdev runs and the vector has an eventfd.
 */
void idxd_vdev_irq_restore(struct idxd_vdev *v, bool v0_pending,
			   unsigned long pending)
{
	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	v->v0_pending = v0_pending;
	v->sw_pending = pending & (BIT(idxd_vdev_nvec(v)) - 1) & ~BIT(0);
	vfio_pci_irq_unlock(&v->irq);
}

/**
 * idxd_vdev_irq_recheck() - compare the handles a migrated guest holds
 * @v: the vdev, its lock held
 * @granted: the vectors whose handle the guest held on the source
 * @handle: those handles, indexed by vector
 *
 * A handle the guest holds stays valid if the vector's IMS entry on this
 * host has the same one; the guest holds it here too.
 *
 * Return: the vectors of @granted whose handle is not valid here: they
 * have no entry yet, or an entry with another handle.
 */
unsigned long idxd_vdev_irq_recheck(struct idxd_vdev *v,
				    unsigned long granted, const u16 *handle)
{
	unsigned long stale = 0;
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	for_each_set_bit(n, &granted, idxd_vdev_nvec(v)) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		if (n && hv->allocated && hv->ims.handle == handle[n])
			hv->granted = true;
		else
			__set_bit(n, &stale);
	}
	vfio_pci_irq_unlock(&v->irq);
	return stale;
}

/**
 * idxd_vdev_irq_deliver_held() - deliver what was held while stopped
 * @v: the vdev, its lock held, which runs again
 *
 * The vectors that have an eventfd get the interrupt they hold back in
 * software; the others get it with their eventfd.
 */
void idxd_vdev_irq_deliver_held(struct idxd_vdev *v)
{
	unsigned int n;

	lockdep_assert_held(&v->lock);
	vfio_pci_irq_lock(&v->irq);
	if (v->v0_pending &&
	    vfio_pci_irq_signal(&v->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0))
		v->v0_pending = false;
	for (n = 1; n < idxd_vdev_nvec(v); n++)
		if (test_bit(n, &v->sw_pending) && idxd_vdev_vec_signal(v, n))
			__clear_bit(n, &v->sw_pending);
	vfio_pci_irq_unlock(&v->irq);
}

static int idxd_vdev_irqs_show(struct seq_file *m, void *data)
{
	struct idxd_vdev *v = m->private;
	struct idxd_vdev_irq_stats *st = &v->irq_stats;
	unsigned int n;

	vfio_pci_irq_lock(&v->irq);
	seq_printf(m, "enables: %u\ndisables: %u\nregrows: %u\nadded: %u\n",
		   st->enables, st->disables, st->regrows, st->added);
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		struct idxd_vdev_vec *hv = &v->vecs[n];

		seq_printf(m, "vector %u: ims_allocs %u requests %u", n,
			   hv->ims_allocs, hv->requests);
		if (hv->allocated)
			seq_printf(m, " handle %#x", hv->ims.handle);
		seq_putc(m, '\n');
	}
	vfio_pci_irq_unlock(&v->irq);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(idxd_vdev_irqs);

/**
 * idxd_vdev_irq_debugfs() - the vdev's interrupt counts in debugfs
 * @v: the vdev
 * @dir: its debugfs directory
 *
 * "irqs" shows, since the user's last open: how often the MSI-X index was
 * enabled and disabled, how often it was grown by a disable and a larger
 * enable (regrows) or by a vector added to it (added), and per vector
 * N >= 1 how often its IMS entry was allocated and it got an eventfd.
 */
void idxd_vdev_irq_debugfs(struct idxd_vdev *v, struct dentry *dir)
{
	debugfs_create_file("irqs", 0400, dir, v, &idxd_vdev_irqs_fops);
}
