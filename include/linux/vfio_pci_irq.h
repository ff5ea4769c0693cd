/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO PCI interrupt frontend
 *
 * VFIO_DEVICE_GET_IRQ_INFO and VFIO_DEVICE_SET_IRQS for any VFIO device
 * that offers the PCI interrupt indexes (INTx, MSI, MSI-X, ERR, REQ).  The
 * frontend owns every rule of the uAPI; backends only provide the host
 * interrupts behind the vectors.  Vectors marked emulated have no backend:
 * the driver signals them itself with vfio_pci_irq_signal().
 *
 * The rules and the locking are described in drivers/vfio/pci/vfio_pci_irq.c.
 */
#ifndef __LINUX_VFIO_PCI_IRQ_H
#define __LINUX_VFIO_PCI_IRQ_H

#include <linux/irqbypass.h>
#include <linux/msi_api.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

struct device;
struct eventfd_ctx;
struct vfio_irq_info;
struct vfio_irq_set;
struct vfio_pci_irq;
struct vfio_pci_irq_backend;

/* The indexes that have vectors: INTx, MSI and MSI-X */
#define VFIO_PCI_IRQ_NUM_VECTOR_INDEXES	(VFIO_PCI_MSIX_IRQ_INDEX + 1)

/* No index is enabled */
#define VFIO_PCI_IRQ_NONE		VFIO_PCI_NUM_IRQS

/**
 * struct vfio_pci_eventfd - an eventfd that RCU readers may signal
 * @ctx: the eventfd
 * @rcu: frees it once no reader can see it any more
 */
struct vfio_pci_eventfd {
	struct eventfd_ctx	*ctx;
	struct rcu_head		rcu;
};

/**
 * struct vfio_pci_irq_vec - a vector in use
 *
 * A vector is in use while it has a trigger; an INTx vector is in use from
 * the enabling to the disabling of the INTx index, with or without one.
 * This is the active state of the vector; its configuration (emulated,
 * cookie) is kept by the frontend apart from it and outlives it.
 *
 * @irq: the frontend the vector belongs to
 * @index: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX
 * @vector: the vector's number in @index
 * @emulated: the driver signals the vector; no backend is involved
 * @cookie: the vector's configured cookie when the vector was requested
 * @trigger: the eventfd to signal, may be NULL for INTx.  Changed under
 *	     the frontend's lock; interrupt handlers read it with READ_ONCE().
 * @map: set by the backend's request(): the host interrupt behind the
 *	 vector, its index in the backend's table and its Linux interrupt
 *	 number (0 if none)
 * @name: set by the backend's request(), freed by its free(): the name
 *	  the host interrupt was requested with
 * @flags: frontend's state of emulated vectors (VFIO_PCI_IRQ_VEC_*),
 *	   atomic bit operations
 * @unmask: INTx: virqfd that unmasks the vector
 * @mask: INTx: virqfd that masks the vector
 * @producer: irq bypass producer of an MSI or MSI-X vector with a host
 *	      interrupt
 * @rcu: the vector is freed after an RCU grace period
 */
struct vfio_pci_irq_vec {
	struct vfio_pci_irq		*irq;
	unsigned int			index;
	unsigned int			vector;
	bool				emulated;
	union msi_instance_cookie	cookie;
	struct eventfd_ctx		*trigger;
	struct msi_map			map;
	char				*name;
	unsigned long			flags;
	struct virqfd			*unmask;
	struct virqfd			*mask;
	struct irq_bypass_producer	producer;
	struct rcu_head			rcu;
};

/* An emulated INTx vector is masked (it masks itself when signalled) */
#define VFIO_PCI_IRQ_VEC_MASKED		0

/**
 * struct vfio_pci_irq_backend_ops - what a backend does for the frontend
 *
 * The frontend calls every operation but unmask() with its lock held and
 * never for an emulated vector.  A backend finds its own structure, in
 * which &struct vfio_pci_irq_backend is embedded, with container_of().
 *
 * @enable: optional: prepare the index for @nvec vectors (numbered from 0)
 *	    before the first request().  Returns 0, a negative errno, or the
 *	    positive number of vectors the host could provide if fewer than
 *	    @nvec; the frontend returns that number to the user.
 * @disable: optional: undo enable(), after every vector was freed
 * @request: give @vec a host interrupt that signals @vec->trigger (or, for
 *	     INTx, READ_ONCE(@vec->trigger), which may change), and set
 *	     @vec->map and @vec->name.  Returns 0 or a negative errno.
 * @free: free what request() set up; the trigger is still set
 * @mask: INTx: mask the vector; returns true if it was unmasked
 * @unmask: INTx: unmask the vector; returns > 0 if an interrupt is
 *	    pending and must be signalled instead.  Called without the
 *	    frontend's lock from atomic context (an unmask eventfd) too.
 * @signal: optional: signal the vector for the user (loopback) or after
 *	    unmask(); without it the frontend signals @vec->trigger
 * @is_dynamic: optional: true if a vector can be requested and freed at
 *		any time without disturbing the others (the frontend then
 *		omits VFIO_IRQ_INFO_NORESIZE for MSI-X)
 */
struct vfio_pci_irq_backend_ops {
	int	(*enable)(struct vfio_pci_irq_backend *be, unsigned int nvec);
	void	(*disable)(struct vfio_pci_irq_backend *be);
	int	(*request)(struct vfio_pci_irq_backend *be,
			   struct vfio_pci_irq_vec *vec);
	void	(*free)(struct vfio_pci_irq_backend *be,
			struct vfio_pci_irq_vec *vec);
	bool	(*mask)(struct vfio_pci_irq_backend *be,
			struct vfio_pci_irq_vec *vec);
	int	(*unmask)(struct vfio_pci_irq_backend *be,
			  struct vfio_pci_irq_vec *vec);
	void	(*signal)(struct vfio_pci_irq_backend *be,
			  struct vfio_pci_irq_vec *vec);
	bool	(*is_dynamic)(struct vfio_pci_irq_backend *be);
};

/**
 * struct vfio_pci_irq_backend - a backend of one interrupt index
 * @ops: its operations
 *
 * Embedded in the structure of whoever implements the backend.
 */
struct vfio_pci_irq_backend {
	const struct vfio_pci_irq_backend_ops *ops;
};

/**
 * struct vfio_pci_irq_ops - what the driver tells the frontend
 * @count: required: the number of vectors of @index, or -EINVAL if the
 *	   device does not offer @index at all (GET_IRQ_INFO fails)
 * @vector_changed: optional: @vec gained (@has_trigger true) or is about
 *		    to lose its trigger.  Called with the frontend's lock held.
 */
struct vfio_pci_irq_ops {
	int	(*count)(struct vfio_pci_irq *irq, unsigned int index);
	void	(*vector_changed)(struct vfio_pci_irq *irq,
				  const struct vfio_pci_irq_vec *vec,
				  bool has_trigger);
};

/**
 * struct vfio_pci_irq_index - an index with vectors
 * @backend: the backend of the index, NULL if every vector is emulated
 * @config: vector number -> struct vfio_pci_irq_vec_config, the vectors'
 *	    configuration; changed under the frontend's lock, kept until
 *	    vfio_pci_irq_release()
 * @vecs: vector number -> struct vfio_pci_irq_vec, the vectors in use;
 *	  changed under the frontend's lock, RCU readers
 */
struct vfio_pci_irq_index {
	struct vfio_pci_irq_backend	*backend;
	struct xarray			config;
	struct xarray			vecs;
};

/**
 * struct vfio_pci_irq - the interrupt frontend of a VFIO device
 * @dev: the device messages are about
 * @ops: the driver's callbacks
 * @lock: serialises SET_IRQS and every change of the state below; the
 *	  driver may take it around its own INTx mask paths
 *	  (vfio_pci_irq_lock())
 * @active: the enabled index, VFIO_PCI_IRQ_NONE if none.  Written under
 *	    @lock, read with vfio_pci_irq_active().
 * @idx: INTx, MSI and MSI-X
 * @err_trigger: ERR eventfd, changed under @lock, RCU readers
 * @req_trigger: REQ eventfd, changed under @lock, RCU readers
 */
struct vfio_pci_irq {
	struct device			*dev;
	const struct vfio_pci_irq_ops	*ops;
	struct mutex			lock; /* see the kernel-doc above */
	int				active;
	struct vfio_pci_irq_index	idx[VFIO_PCI_IRQ_NUM_VECTOR_INDEXES];
	struct vfio_pci_eventfd __rcu	*err_trigger;
	struct vfio_pci_eventfd __rcu	*req_trigger;
};

void vfio_pci_irq_init(struct vfio_pci_irq *irq, struct device *dev,
		       const struct vfio_pci_irq_ops *ops);
void vfio_pci_irq_release(struct vfio_pci_irq *irq);
int vfio_pci_irq_set_backend(struct vfio_pci_irq *irq, unsigned int index,
			     struct vfio_pci_irq_backend *be);

int vfio_pci_irq_get_irq_info(struct vfio_pci_irq *irq,
			      struct vfio_irq_info __user *arg);
int vfio_pci_irq_set_irqs(struct vfio_pci_irq *irq,
			  struct vfio_irq_set __user *arg);
void vfio_pci_irq_disable(struct vfio_pci_irq *irq);
void vfio_pci_irq_close(struct vfio_pci_irq *irq);

int vfio_pci_irq_set_emulated(struct vfio_pci_irq *irq, unsigned int index,
			      unsigned int vector, bool emulated);
int vfio_pci_irq_set_cookie(struct vfio_pci_irq *irq, unsigned int index,
			    unsigned int vector,
			    const union msi_instance_cookie *cookie);
bool vfio_pci_irq_signal(struct vfio_pci_irq *irq, unsigned int index,
			 unsigned int vector);
bool vfio_pci_irq_signal_err(struct vfio_pci_irq *irq);
bool vfio_pci_irq_signal_req(struct vfio_pci_irq *irq);
int vfio_pci_irq_get_map(struct vfio_pci_irq *irq, unsigned int index,
			 unsigned int vector, struct msi_map *map);
struct vfio_pci_irq_vec *vfio_pci_irq_vec(struct vfio_pci_irq *irq,
					  unsigned int index,
					  unsigned int vector);

/**
 * vfio_pci_irq_active() - the enabled index
 * @irq: the frontend
 *
 * Return: VFIO_PCI_{INTX,MSI,MSIX}_IRQ_INDEX, or VFIO_PCI_IRQ_NONE.  Stable
 * only under vfio_pci_irq_lock().
 */
static inline int vfio_pci_irq_active(struct vfio_pci_irq *irq)
{
	return READ_ONCE(irq->active);
}

static inline void vfio_pci_irq_lock(struct vfio_pci_irq *irq)
{
	mutex_lock(&irq->lock);
}

static inline void vfio_pci_irq_unlock(struct vfio_pci_irq *irq)
{
	mutex_unlock(&irq->lock);
}

#endif /* __LINUX_VFIO_PCI_IRQ_H */
