// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO PCI interrupt frontend
 *
 * The rules of VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS for the
 * PCI interrupt indexes, as vfio-pci has them, for any VFIO device:
 *
 * - one of INTx, MSI and MSI-X is enabled at a time;
 * - start and count are checked against the number of vectors the driver
 *   reports for the index; count 0 with DATA_NONE disables the index;
 * - DATA_NONE and DATA_BOOL triggers are loopback: they signal the user;
 * - the frontend takes, swaps and drops the eventfd references, registers
 *   the irq bypass producers of MSI and MSI-X vectors, runs the INTx
 *   mask and unmask actions and unmask eventfds, keeps the ERR and REQ
 *   eventfds and tears everything down on disable and close.
 *
 * Backends (struct vfio_pci_irq_backend_ops) only enable and disable an
 * index and request and free the host interrupt of one vector (and mask
 * and unmask INTx).  Emulated vectors have no backend: the driver signals
 * them with vfio_pci_irq_signal(), from any context.
 *
 * Locking: irq->lock (a mutex) serialises every change.  The signal paths
 * (vfio_pci_irq_signal(), vfio_pci_irq_signal_err() and _req(), backend
 * interrupt handlers) take no lock: vectors and the ERR/REQ eventfds are
 * freed after an RCU grace period, and the eventfd of an emulated vector
 * is released only after one.
 */

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_irq.h>

#include <kunit/static_stub.h>

#include "vfio_pci_irq_priv.h"

/**
 * struct vfio_pci_irq_vec_config - configuration of one vector
 * @emulated: the driver signals the vector, no backend
 * @cookie: handed to the backend with the vector when it is requested
 */
struct vfio_pci_irq_vec_config {
	bool				emulated;
	union msi_instance_cookie	cookie;
};

/*
 * The frontend's only contact with eventfds, so that KUnit can stand in
 * for them.
 */
VISIBLE_IF_KUNIT struct eventfd_ctx *vfio_pci_irq_eventfd_get(int fd)
{
	KUNIT_STATIC_STUB_REDIRECT(vfio_pci_irq_eventfd_get, fd);
	return eventfd_ctx_fdget(fd);
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_irq_eventfd_get);

VISIBLE_IF_KUNIT void vfio_pci_irq_eventfd_put(struct eventfd_ctx *ctx)
{
	KUNIT_STATIC_STUB_REDIRECT(vfio_pci_irq_eventfd_put, ctx);
	eventfd_ctx_put(ctx);
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_irq_eventfd_put);

VISIBLE_IF_KUNIT void vfio_pci_irq_eventfd_signal(struct eventfd_ctx *ctx)
{
	KUNIT_STATIC_STUB_REDIRECT(vfio_pci_irq_eventfd_signal, ctx);
	eventfd_signal(ctx);
}
EXPORT_SYMBOL_IF_KUNIT(vfio_pci_irq_eventfd_signal);

static bool vfio_irq_has_vectors(unsigned int index)
{
	return index < VFIO_PCI_IRQ_NUM_VECTOR_INDEXES;
}

static bool vfio_irq_is_active(struct vfio_pci_irq *irq, unsigned int index)
{
	return irq->active == index;
}

static bool vfio_irq_is_none(struct vfio_pci_irq *irq)
{
	return irq->active == VFIO_PCI_IRQ_NONE;
}

static void vfio_irq_activate(struct vfio_pci_irq *irq, int index)
{
	lockdep_assert_held(&irq->lock);
	WRITE_ONCE(irq->active, index);
}

/* The driver's vector count, 0 for an index it does not offer */
static unsigned int vfio_irq_index_count(struct vfio_pci_irq *irq, unsigned int index)
{
	int count;

	if (index >= VFIO_PCI_NUM_IRQS)
		return 0;
	count = irq->ops->count(irq, index);
	return count < 0 ? 0 : count;
}

static bool vfio_irq_offered(struct vfio_pci_irq *irq, unsigned int index)
{
	return index < VFIO_PCI_NUM_IRQS && irq->ops->count(irq, index) >= 0;
}

static struct vfio_pci_irq_backend *vfio_irq_backend(struct vfio_pci_irq *irq,
						     unsigned int index)
{
	return irq->idx[index].backend;
}

/* Without a backend every vector of the index can come and go alone. */
static bool vfio_irq_is_dynamic(struct vfio_pci_irq *irq, unsigned int index)
{
	struct vfio_pci_irq_backend *be = vfio_irq_backend(irq, index);

	if (!be)
		return true;
	return be->ops->is_dynamic && be->ops->is_dynamic(be);
}

/**
 * vfio_pci_irq_vec() - the vector in use at @index/@vector
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: the vector
 *
 * For backends and drivers holding vfio_pci_irq_lock().
 *
 * Return: the vector, or NULL if it is not in use.
 */
struct vfio_pci_irq_vec *vfio_pci_irq_vec(struct vfio_pci_irq *irq,
					  unsigned int index,
					  unsigned int vector)
{
	lockdep_assert_held(&irq->lock);
	if (!vfio_irq_has_vectors(index))
		return NULL;
	return xa_load(&irq->idx[index].vecs, vector);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_vec);

static void vfio_irq_notify(struct vfio_pci_irq *irq, struct vfio_pci_irq_vec *vec,
			    bool has_trigger)
{
	if (irq->ops->vector_changed)
		irq->ops->vector_changed(irq, vec, has_trigger);
}

/*
 * Emulated vectors.  The INTx vector is automasked: it signals only when
 * unmasked and masks itself, until the user unmasks it.
 */
static bool vfio_irq_emulated_signal(struct vfio_pci_irq_vec *vec)
{
	struct eventfd_ctx *trigger = READ_ONCE(vec->trigger);

	if (!trigger)
		return false;
	if (vec->index == VFIO_PCI_INTX_IRQ_INDEX &&
	    test_and_set_bit(VFIO_PCI_IRQ_VEC_MASKED, &vec->flags))
		return false;
	vfio_pci_irq_eventfd_signal(trigger);
	return true;
}

/**
 * vfio_pci_irq_signal() - signal an emulated vector
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: a vector marked emulated with vfio_pci_irq_set_emulated()
 *
 * Callable from any context, hard interrupts and with spinlocks held
 * included (not raw spinlocks: eventfd_signal() takes a spinlock).  An
 * emulated INTx vector masks itself and stays silent until the user
 * unmasks it.
 *
 * Return: true if the user's eventfd was signalled; false if the vector
 * is not in use, has no eventfd, is masked or is not emulated.
 */
bool vfio_pci_irq_signal(struct vfio_pci_irq *irq, unsigned int index,
			 unsigned int vector)
{
	struct vfio_pci_irq_vec *vec;
	bool ret = false;

	if (!vfio_irq_has_vectors(index))
		return false;

	rcu_read_lock();
	vec = xa_load(&irq->idx[index].vecs, vector);
	if (vec && vec->emulated)
		ret = vfio_irq_emulated_signal(vec);
	rcu_read_unlock();

	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_signal);

/* Signal a vector for the user: loopback, or an interrupt found pending */
static void vfio_irq_deliver(struct vfio_pci_irq *irq, struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_backend *be = vfio_irq_backend(irq, vec->index);
	struct eventfd_ctx *trigger;

	if (vec->emulated) {
		vfio_irq_emulated_signal(vec);
		return;
	}
	if (be->ops->signal) {
		be->ops->signal(be, vec);
		return;
	}
	trigger = READ_ONCE(vec->trigger);
	if (trigger)
		vfio_pci_irq_eventfd_signal(trigger);
}

static bool vfio_irq_vec_mask(struct vfio_pci_irq *irq, struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_backend *be = vfio_irq_backend(irq, vec->index);

	if (vec->emulated)
		return !test_and_set_bit(VFIO_PCI_IRQ_VEC_MASKED, &vec->flags);
	return be->ops->mask(be, vec);
}

/* May be called from atomic context (virqfd): returns > 0 to signal */
static int vfio_irq_vec_unmask(struct vfio_pci_irq *irq, struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_backend *be = vfio_irq_backend(irq, vec->index);

	if (vec->emulated) {
		clear_bit(VFIO_PCI_IRQ_VEC_MASKED, &vec->flags);
		return 0;
	}
	return be->ops->unmask(be, vec);
}

static int vfio_irq_virqfd_unmask(void *opaque, void *data)
{
	return vfio_irq_vec_unmask(opaque, data);
}

static void vfio_irq_virqfd_deliver(void *opaque, void *data)
{
	vfio_irq_deliver(opaque, data);
}

/*
 * Vector lifetime.  A vector is created with its trigger already set, so
 * that a host interrupt arriving as soon as the backend requests it is
 * not lost.
 */
static struct vfio_pci_irq_vec *vfio_irq_vec_create(struct vfio_pci_irq *irq,
						    unsigned int index,
					   unsigned int vector,
					   struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_index *idx = &irq->idx[index];
	struct vfio_pci_irq_vec_config *cfg;
	struct vfio_pci_irq_vec *vec;
	int ret;

	vec = kzalloc(sizeof(*vec), GFP_KERNEL_ACCOUNT);
	if (!vec)
		return ERR_PTR(-ENOMEM);

	vec->irq = irq;
	vec->index = index;
	vec->vector = vector;
	vec->trigger = trigger;
	cfg = xa_load(&idx->config, vector);
	if (cfg) {
		vec->emulated = cfg->emulated;
		vec->cookie = cfg->cookie;
	}
	if (!vec->emulated && !idx->backend) {
		ret = -EINVAL;
		goto err_free;
	}

	ret = xa_insert(&idx->vecs, vector, vec, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;

	if (!vec->emulated) {
		ret = idx->backend->ops->request(idx->backend, vec);
		if (ret) {
			xa_erase(&idx->vecs, vector);
			goto err_free;
		}
	}
	return vec;

err_free:
	kfree(vec);
	return ERR_PTR(ret);
}

/* Wait until no signal path can still use the vector's old trigger */
static void vfio_irq_vec_sync(struct vfio_pci_irq_vec *vec)
{
	if (vec->emulated)
		synchronize_rcu();
	else if (vec->map.virq > 0)
		synchronize_irq(vec->map.virq);
}

/* Undo vfio_irq_vec_create() and drop the trigger */
static void vfio_irq_vec_destroy(struct vfio_pci_irq *irq, struct vfio_pci_irq_vec *vec)
{
	struct vfio_pci_irq_index *idx = &irq->idx[vec->index];

	if (vec->trigger)
		vfio_irq_notify(irq, vec, false);
	if (vec->index == VFIO_PCI_INTX_IRQ_INDEX) {
		vfio_virqfd_disable(&vec->unmask);
		vfio_virqfd_disable(&vec->mask);
	}
	if (vec->producer.token)
		irq_bypass_unregister_producer(&vec->producer);
	xa_erase(&idx->vecs, vec->vector);
	if (vec->emulated)
		synchronize_rcu();
	else
		idx->backend->ops->free(idx->backend, vec);
	if (vec->trigger)
		vfio_pci_irq_eventfd_put(vec->trigger);
	kfree_rcu(vec, rcu);
}

static void vfio_irq_register_producer(struct vfio_pci_irq *irq,
				       struct vfio_pci_irq_vec *vec)
{
	int ret;

	if (vec->emulated || vec->map.virq <= 0)
		return;

	vec->producer.token = vec->trigger;
	vec->producer.irq = vec->map.virq;
	ret = irq_bypass_register_producer(&vec->producer);
	if (unlikely(ret)) {
		dev_info(irq->dev,
			 "irq bypass producer (token %p) registration fails: %d\n",
			 vec->producer.token, ret);
		vec->producer.token = NULL;
	}
}

/* Enable @index for @nvec vectors; returns the backend's answer */
static int vfio_irq_index_enable(struct vfio_pci_irq *irq, unsigned int index,
				 unsigned int nvec)
{
	struct vfio_pci_irq_backend *be = vfio_irq_backend(irq, index);
	int ret = 0;

	if (!vfio_irq_is_none(irq))
		return -EINVAL;

	/* Set first: INTx handlers check it from the moment they exist */
	vfio_irq_activate(irq, index);
	if (!be) {
		if (!nvec)
			ret = -EINVAL;
	} else if (be->ops->enable) {
		ret = be->ops->enable(be, nvec);
	}
	if (ret)
		vfio_irq_activate(irq, VFIO_PCI_IRQ_NONE);
	return ret;
}

static void vfio_irq_index_disable(struct vfio_pci_irq *irq)
{
	struct vfio_pci_irq_backend *be;
	struct vfio_pci_irq_vec *vec;
	unsigned int index = irq->active;
	unsigned long i;

	lockdep_assert_held(&irq->lock);
	if (!vfio_irq_has_vectors(index))
		return;

	xa_for_each(&irq->idx[index].vecs, i, vec)
		vfio_irq_vec_destroy(irq, vec);

	be = vfio_irq_backend(irq, index);
	if (be && be->ops->disable)
		be->ops->disable(be);
	vfio_irq_activate(irq, VFIO_PCI_IRQ_NONE);
}

/*
 * INTx.  Its single vector is in use from enable to disable; an eventfd
 * of -1 leaves it enabled without a trigger.
 */
static int vfio_intx_enable(struct vfio_pci_irq *irq, struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_vec *vec;
	int ret;

	ret = vfio_irq_index_enable(irq, VFIO_PCI_INTX_IRQ_INDEX, 1);
	if (ret)
		return ret;

	vec = vfio_irq_vec_create(irq, VFIO_PCI_INTX_IRQ_INDEX, 0, trigger);
	if (IS_ERR(vec)) {
		vfio_irq_index_disable(irq);
		return PTR_ERR(vec);
	}
	if (trigger)
		vfio_irq_notify(irq, vec, true);
	return 0;
}

static int vfio_intx_set_signal(struct vfio_pci_irq *irq,
				struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_vec *vec;
	struct eventfd_ctx *old;

	vec = vfio_pci_irq_vec(irq, VFIO_PCI_INTX_IRQ_INDEX, 0);
	if (WARN_ON_ONCE(!vec))
		return -EINVAL;

	old = vec->trigger;
	if (old && !trigger)
		vfio_irq_notify(irq, vec, false);

	WRITE_ONCE(vec->trigger, trigger);

	/* Releasing an old trigger requires synchronizing in-flight users */
	if (old) {
		vfio_irq_vec_sync(vec);
		vfio_virqfd_flush_thread(&vec->unmask);
		vfio_pci_irq_eventfd_put(old);
	}

	if (!old && trigger)
		vfio_irq_notify(irq, vec, true);
	return 0;
}

static int vfio_intx_check(struct vfio_pci_irq *irq, unsigned int start,
			   unsigned int count)
{
	if (!vfio_irq_is_active(irq, VFIO_PCI_INTX_IRQ_INDEX) || start != 0 ||
	    count != 1)
		return -EINVAL;
	return 0;
}

static int vfio_irq_set_intx_unmask(struct vfio_pci_irq *irq, unsigned int start,
				    unsigned int count, u32 flags, void *data)
{
	struct vfio_pci_irq_vec *vec;
	int ret;

	ret = vfio_intx_check(irq, start, count);
	if (ret)
		return ret;
	vec = vfio_pci_irq_vec(irq, VFIO_PCI_INTX_IRQ_INDEX, 0);
	if (WARN_ON_ONCE(!vec))
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (vfio_irq_vec_unmask(irq, vec) > 0)
			vfio_irq_deliver(irq, vec);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		u8 unmask = *(u8 *)data;

		if (unmask && vfio_irq_vec_unmask(irq, vec) > 0)
			vfio_irq_deliver(irq, vec);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd = *(s32 *)data;

		if (fd >= 0)
			return vfio_virqfd_enable(irq, vfio_irq_virqfd_unmask,
						  vfio_irq_virqfd_deliver, vec,
						  &vec->unmask, fd);
		vfio_virqfd_disable(&vec->unmask);
	}
	return 0;
}

static int vfio_irq_set_intx_mask(struct vfio_pci_irq *irq, unsigned int start,
				  unsigned int count, u32 flags, void *data)
{
	struct vfio_pci_irq_vec *vec;
	int ret;

	ret = vfio_intx_check(irq, start, count);
	if (ret)
		return ret;
	vec = vfio_pci_irq_vec(irq, VFIO_PCI_INTX_IRQ_INDEX, 0);
	if (WARN_ON_ONCE(!vec))
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_irq_vec_mask(irq, vec);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		u8 mask = *(u8 *)data;

		if (mask)
			vfio_irq_vec_mask(irq, vec);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		return -ENOTTY; /* no mask eventfd */
	}
	return 0;
}

static int vfio_irq_set_intx_trigger(struct vfio_pci_irq *irq, unsigned int start,
				     unsigned int count, u32 flags, void *data)
{
	struct vfio_pci_irq_vec *vec;
	bool intx = vfio_irq_is_active(irq, VFIO_PCI_INTX_IRQ_INDEX);

	if (intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_irq_index_disable(irq);
		return 0;
	}

	if (!(intx || vfio_irq_is_none(irq)) || start != 0 || count != 1)
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		struct eventfd_ctx *trigger = NULL;
		s32 fd = *(s32 *)data;
		int ret;

		if (fd >= 0) {
			trigger = vfio_pci_irq_eventfd_get(fd);
			if (IS_ERR(trigger))
				return PTR_ERR(trigger);
		}

		if (intx)
			ret = vfio_intx_set_signal(irq, trigger);
		else
			ret = vfio_intx_enable(irq, trigger);

		if (ret && trigger)
			vfio_pci_irq_eventfd_put(trigger);
		return ret;
	}

	if (!intx)
		return -EINVAL;

	vec = vfio_pci_irq_vec(irq, VFIO_PCI_INTX_IRQ_INDEX, 0);
	if (WARN_ON_ONCE(!vec))
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_irq_deliver(irq, vec);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		u8 trigger = *(u8 *)data;

		if (trigger)
			vfio_irq_deliver(irq, vec);
	}
	return 0;
}

/*
 * MSI and MSI-X.  A vector is in use while it has a trigger; an eventfd
 * of -1 frees it, and count 0 with DATA_NONE disables the index.
 */
static int vfio_irq_vec_set_signal(struct vfio_pci_irq *irq, unsigned int index,
				   unsigned int vector, s32 fd)
{
	struct vfio_pci_irq_vec *vec;
	struct eventfd_ctx *trigger;

	vec = vfio_pci_irq_vec(irq, index, vector);
	if (vec)
		vfio_irq_vec_destroy(irq, vec);

	if (fd < 0)
		return 0;

	trigger = vfio_pci_irq_eventfd_get(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);

	vec = vfio_irq_vec_create(irq, index, vector, trigger);
	if (IS_ERR(vec)) {
		vfio_pci_irq_eventfd_put(trigger);
		return PTR_ERR(vec);
	}

	vfio_irq_register_producer(irq, vec);
	vfio_irq_notify(irq, vec, true);
	return 0;
}

static int vfio_irq_vec_set_block(struct vfio_pci_irq *irq, unsigned int index,
				  unsigned int start, unsigned int count, s32 *fds)
{
	unsigned int i, j;
	int ret = 0;

	for (i = 0, j = start; i < count && !ret; i++, j++) {
		s32 fd = fds ? fds[i] : -1;

		ret = vfio_irq_vec_set_signal(irq, index, j, fd);
	}

	/* Leave no vector of the block half set: drop all up to the failure */
	if (ret) {
		for (i = start; i < j; i++)
			vfio_irq_vec_set_signal(irq, index, i, -1);
	}
	return ret;
}

static int vfio_irq_set_msi_trigger(struct vfio_pci_irq *irq, unsigned int index,
				    unsigned int start, unsigned int count, u32 flags,
			   void *data)
{
	struct vfio_pci_irq_vec *vec;
	unsigned int i;

	if (vfio_irq_is_active(irq, index) && !count &&
	    (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_irq_index_disable(irq);
		return 0;
	}

	if (!(vfio_irq_is_active(irq, index) || vfio_irq_is_none(irq)))
		return -EINVAL;

	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 *fds = data;
		int ret;

		if (vfio_irq_is_active(irq, index))
			return vfio_irq_vec_set_block(irq, index, start, count, fds);

		ret = vfio_irq_index_enable(irq, index, start + count);
		if (ret)
			return ret;

		ret = vfio_irq_vec_set_block(irq, index, start, count, fds);
		if (ret)
			vfio_irq_index_disable(irq);
		return ret;
	}

	if (!vfio_irq_is_active(irq, index))
		return -EINVAL;

	for (i = start; i < start + count; i++) {
		vec = vfio_pci_irq_vec(irq, index, i);
		if (!vec)
			continue;
		if (flags & VFIO_IRQ_SET_DATA_NONE) {
			vfio_irq_deliver(irq, vec);
		} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
			u8 *bools = data;

			if (bools[i - start])
				vfio_irq_deliver(irq, vec);
		}
	}
	return 0;
}

/*
 * ERR and REQ: one eventfd each, read under RCU by the signal paths and
 * released by an RCU callback, as vfio-pci did: setting them never waits
 * for a grace period.  The callback runs outside any KUnit test, so these
 * use the eventfd API directly.
 */
static void vfio_irq_eventfd_rcu_free(struct rcu_head *rcu)
{
	struct vfio_pci_eventfd *eventfd =
		container_of(rcu, struct vfio_pci_eventfd, rcu);

	eventfd_ctx_put(eventfd->ctx);
	kfree(eventfd);
}

static int vfio_irq_eventfd_replace(struct vfio_pci_irq *irq,
				    struct vfio_pci_eventfd __rcu **peventfd,
			   struct eventfd_ctx *ctx)
{
	struct vfio_pci_eventfd *new = NULL;
	struct vfio_pci_eventfd *old;

	lockdep_assert_held(&irq->lock);

	if (ctx) {
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;

		new->ctx = ctx;
	}

	old = rcu_replace_pointer(*peventfd, new, lockdep_is_held(&irq->lock));
	if (old)
		call_rcu(&old->rcu, vfio_irq_eventfd_rcu_free);

	return 0;
}

static int vfio_irq_set_single_trigger(struct vfio_pci_irq *irq,
				       struct vfio_pci_eventfd __rcu **peventfd,
			      unsigned int start, unsigned int count,
			      u32 flags, void *data)
{
	struct vfio_pci_eventfd *eventfd;

	if (start != 0 || count > 1)
		return -EINVAL;

	eventfd = rcu_dereference_protected(*peventfd,
					    lockdep_is_held(&irq->lock));

	/* DATA_NONE/DATA_BOOL enables loopback testing */
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!eventfd)
			return -EINVAL;

		if (count) {
			eventfd_signal(eventfd->ctx);
			return 0;
		}

		return vfio_irq_eventfd_replace(irq, peventfd, NULL);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			return -EINVAL;

		if (*(u8 *)data && eventfd)
			eventfd_signal(eventfd->ctx);

		return 0;
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd;

		if (!count)
			return -EINVAL;

		fd = *(s32 *)data;
		if (fd == -1) {
			return vfio_irq_eventfd_replace(irq, peventfd, NULL);
		} else if (fd >= 0) {
			struct eventfd_ctx *efdctx;
			int ret;

			efdctx = eventfd_ctx_fdget(fd);
			if (IS_ERR(efdctx))
				return PTR_ERR(efdctx);

			ret = vfio_irq_eventfd_replace(irq, peventfd, efdctx);
			if (ret)
				eventfd_ctx_put(efdctx);

			return ret;
		}
	}

	return -EINVAL;
}

static bool vfio_irq_signal_single(struct vfio_pci_eventfd __rcu **peventfd)
{
	struct vfio_pci_eventfd *eventfd;
	bool ret = false;

	rcu_read_lock();
	eventfd = rcu_dereference(*peventfd);
	if (eventfd) {
		eventfd_signal(eventfd->ctx);
		ret = true;
	}
	rcu_read_unlock();
	return ret;
}

/**
 * vfio_pci_irq_signal_err() - signal the user's ERR eventfd
 * @irq: the frontend
 *
 * Callable from any context.
 *
 * Return: true if the user has an ERR eventfd and it was signalled.
 */
bool vfio_pci_irq_signal_err(struct vfio_pci_irq *irq)
{
	return vfio_irq_signal_single(&irq->err_trigger);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_signal_err);

/**
 * vfio_pci_irq_signal_req() - signal the user's REQ eventfd
 * @irq: the frontend
 *
 * Callable from any context.
 *
 * Return: true if the user has a REQ eventfd and it was signalled.
 */
bool vfio_pci_irq_signal_req(struct vfio_pci_irq *irq)
{
	return vfio_irq_signal_single(&irq->req_trigger);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_signal_req);

/* VFIO_DEVICE_SET_IRQS after validation, with irq->lock held */
static int vfio_irq_set_irqs_locked(struct vfio_pci_irq *irq, u32 flags,
				    unsigned int index, unsigned int start,
			   unsigned int count, void *data)
{
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	lockdep_assert_held(&irq->lock);

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
			return vfio_irq_set_intx_mask(irq, start, count, flags, data);
		case VFIO_IRQ_SET_ACTION_UNMASK:
			return vfio_irq_set_intx_unmask(irq, start, count, flags, data);
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			return vfio_irq_set_intx_trigger(irq, start, count, flags, data);
		}
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		/* No MSI and MSI-X masking through VFIO */
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return vfio_irq_set_msi_trigger(irq, index, start, count, flags,
					       data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
		    vfio_irq_offered(irq, index))
			return vfio_irq_set_single_trigger(irq, &irq->err_trigger,
						  start, count, flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER &&
		    vfio_irq_offered(irq, index))
			return vfio_irq_set_single_trigger(irq, &irq->req_trigger,
						  start, count, flags, data);
		break;
	}

	return -ENOTTY;
}

/**
 * vfio_pci_irq_set_irqs() - VFIO_DEVICE_SET_IRQS
 * @irq: the frontend
 * @arg: the ioctl's argument
 *
 * Return: 0, a negative errno, or the positive number of vectors the host
 * could provide when enabling MSI or MSI-X with more failed.
 */
int vfio_pci_irq_set_irqs(struct vfio_pci_irq *irq,
			  struct vfio_irq_set __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;

	ret = vfio_set_irqs_validate_and_prepare(&hdr,
						 vfio_irq_index_count(irq, hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;

	if (data_size) {
		data = memdup_user(&arg->data, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	mutex_lock(&irq->lock);
	ret = vfio_irq_set_irqs_locked(irq, hdr.flags, hdr.index, hdr.start, hdr.count,
				       data);
	mutex_unlock(&irq->lock);
	kfree(data);

	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_set_irqs);

/**
 * vfio_pci_irq_get_irq_info() - VFIO_DEVICE_GET_IRQ_INFO
 * @irq: the frontend
 * @arg: the ioctl's argument
 *
 * INTx is maskable and automasked.  Every other index is NORESIZE except
 * MSI-X when its vectors can come and go one by one: no vfio_irq_backend (all
 * emulated) or a backend that allocates dynamically.
 *
 * Return: 0 or a negative errno.
 */
int vfio_pci_irq_get_irq_info(struct vfio_pci_irq *irq,
			      struct vfio_irq_info __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;

	if (info.argsz < minsz || !vfio_irq_offered(irq, info.index))
		return -EINVAL;

	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = vfio_irq_index_count(irq, info.index);

	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX ||
		 !vfio_irq_is_dynamic(irq, info.index))
		info.flags |= VFIO_IRQ_INFO_NORESIZE;

	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_get_irq_info);

/**
 * vfio_pci_irq_disable() - disable the enabled index
 * @irq: the frontend
 *
 * Frees every vector and drops every eventfd of the index, as count 0
 * with DATA_NONE would.  For the device's close path.
 */
void vfio_pci_irq_disable(struct vfio_pci_irq *irq)
{
	mutex_lock(&irq->lock);
	vfio_irq_index_disable(irq);
	mutex_unlock(&irq->lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_disable);

/**
 * vfio_pci_irq_close() - the device is closed
 * @irq: the frontend
 *
 * Disables the enabled index and drops the ERR and REQ eventfds.  The
 * vectors' configuration stays.
 */
void vfio_pci_irq_close(struct vfio_pci_irq *irq)
{
	mutex_lock(&irq->lock);
	vfio_irq_index_disable(irq);
	vfio_irq_eventfd_replace(irq, &irq->err_trigger, NULL);
	vfio_irq_eventfd_replace(irq, &irq->req_trigger, NULL);
	mutex_unlock(&irq->lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_close);

static struct vfio_pci_irq_vec_config *vfio_irq_config_get(struct vfio_pci_irq *irq,
							   unsigned int index,
						  unsigned int vector)
{
	struct xarray *xa = &irq->idx[index].config;
	struct vfio_pci_irq_vec_config *cfg;
	int ret;

	lockdep_assert_held(&irq->lock);

	cfg = xa_load(xa, vector);
	if (cfg)
		return cfg;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return ERR_PTR(-ENOMEM);
	ret = xa_insert(xa, vector, cfg, GFP_KERNEL);
	if (ret) {
		kfree(cfg);
		return ERR_PTR(ret);
	}
	return cfg;
}

/**
 * vfio_pci_irq_set_emulated() - mark a vector emulated or not
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: the vector
 * @emulated: true if the driver signals the vector with
 *	      vfio_pci_irq_signal(), false if the index's backend provides
 *	      it
 *
 * Return: 0; -EINVAL for an index without vectors; -EBUSY while the
 * vector is in use; -ENOMEM.
 */
int vfio_pci_irq_set_emulated(struct vfio_pci_irq *irq, unsigned int index,
			      unsigned int vector, bool emulated)
{
	struct vfio_pci_irq_vec_config *cfg;
	int ret = 0;

	if (!vfio_irq_has_vectors(index))
		return -EINVAL;

	mutex_lock(&irq->lock);
	if (vfio_pci_irq_vec(irq, index, vector)) {
		ret = -EBUSY;
		goto out;
	}
	cfg = vfio_irq_config_get(irq, index, vector);
	if (IS_ERR(cfg)) {
		ret = PTR_ERR(cfg);
		goto out;
	}
	cfg->emulated = emulated;
out:
	mutex_unlock(&irq->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_set_emulated);

/**
 * vfio_pci_irq_set_cookie() - set the cookie of a vector
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: the vector
 * @cookie: handed to the vfio_irq_backend (in &struct vfio_pci_irq_vec) when the
 *	    vector is requested, e.g. the PASID of an IMS interrupt
 *
 * A vector in use keeps the cookie it was requested with; the new one
 * applies the next time the vector gets an eventfd.
 *
 * Return: 0; -EINVAL for an index without vectors; -ENOMEM.
 */
int vfio_pci_irq_set_cookie(struct vfio_pci_irq *irq, unsigned int index,
			    unsigned int vector,
			    const union msi_instance_cookie *cookie)
{
	struct vfio_pci_irq_vec_config *cfg;
	int ret = 0;

	if (!vfio_irq_has_vectors(index))
		return -EINVAL;

	mutex_lock(&irq->lock);
	cfg = vfio_irq_config_get(irq, index, vector);
	if (IS_ERR(cfg))
		ret = PTR_ERR(cfg);
	else
		cfg->cookie = *cookie;
	mutex_unlock(&irq->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_set_cookie);

/**
 * vfio_pci_irq_get_map() - the host interrupt behind a vector
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: the vector
 * @map: set to the index in the backend's table (e.g. the IMS slot) and
 *	 the Linux interrupt number of the vector's host interrupt
 *
 * Takes the frontend's lock: not for vector_changed() callbacks, which
 * have the vector at hand.
 *
 * Return: 0, or -ENOENT if the vector is not in use or is emulated.
 */
int vfio_pci_irq_get_map(struct vfio_pci_irq *irq, unsigned int index,
			 unsigned int vector, struct msi_map *map)
{
	struct vfio_pci_irq_vec *vec;
	int ret = -ENOENT;

	mutex_lock(&irq->lock);
	vec = vfio_pci_irq_vec(irq, index, vector);
	if (vec && !vec->emulated) {
		*map = vec->map;
		ret = 0;
	}
	mutex_unlock(&irq->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_get_map);

/**
 * vfio_pci_irq_set_backend() - set the backend of an index
 * @irq: the frontend
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @be: the backend, embedded in its owner's structure; NULL if every
 *	vector of the index is emulated
 *
 * A backend of INTx must mask and unmask.
 *
 * Return: 0; -EINVAL for an index without vectors or an incomplete
 * backend; -EBUSY while the index is enabled.
 */
int vfio_pci_irq_set_backend(struct vfio_pci_irq *irq, unsigned int index,
			     struct vfio_pci_irq_backend *be)
{
	int ret = 0;

	if (!vfio_irq_has_vectors(index))
		return -EINVAL;
	if (be && (!be->ops->request || !be->ops->free))
		return -EINVAL;
	if (be && index == VFIO_PCI_INTX_IRQ_INDEX &&
	    (!be->ops->mask || !be->ops->unmask))
		return -EINVAL;

	mutex_lock(&irq->lock);
	if (vfio_irq_is_active(irq, index))
		ret = -EBUSY;
	else
		irq->idx[index].backend = be;
	mutex_unlock(&irq->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_set_backend);

/**
 * vfio_pci_irq_init() - initialise the frontend of a device
 * @irq: the frontend, embedded in the driver's device structure
 * @dev: the device its messages are about
 * @ops: the driver's callbacks; ops->count is required
 *
 * No index is enabled, no vector is emulated and no index has a backend.
 */
void vfio_pci_irq_init(struct vfio_pci_irq *irq, struct device *dev,
		       const struct vfio_pci_irq_ops *ops)
{
	unsigned int i;

	irq->dev = dev;
	irq->ops = ops;
	mutex_init(&irq->lock);
	irq->active = VFIO_PCI_IRQ_NONE;
	for (i = 0; i < ARRAY_SIZE(irq->idx); i++) {
		irq->idx[i].backend = NULL;
		xa_init(&irq->idx[i].config);
		xa_init(&irq->idx[i].vecs);
	}
	RCU_INIT_POINTER(irq->err_trigger, NULL);
	RCU_INIT_POINTER(irq->req_trigger, NULL);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_init);

/**
 * vfio_pci_irq_release() - release the frontend
 * @irq: the frontend, closed (vfio_pci_irq_close())
 *
 * Frees the vectors' configuration.
 */
void vfio_pci_irq_release(struct vfio_pci_irq *irq)
{
	struct vfio_pci_irq_vec_config *cfg;
	unsigned long v;
	unsigned int i;

	WARN_ON(irq->active != VFIO_PCI_IRQ_NONE);
	WARN_ON(rcu_access_pointer(irq->err_trigger));
	WARN_ON(rcu_access_pointer(irq->req_trigger));

	for (i = 0; i < ARRAY_SIZE(irq->idx); i++) {
		xa_for_each(&irq->idx[i].config, v, cfg)
			kfree(cfg);
		xa_destroy(&irq->idx[i].config);
		xa_destroy(&irq->idx[i].vecs);
	}
	mutex_destroy(&irq->lock);
}
EXPORT_SYMBOL_GPL(vfio_pci_irq_release);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI interrupt frontend");
