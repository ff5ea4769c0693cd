// SPDX-License-Identifier: GPL-2.0
/*
 * The DSA Interrupt Message Store (IMS) as a PCI/IMS interrupt domain.
 *
 * The IMS is a table of 16-byte entries in BAR0 (address low, address
 * high, data, control). The device sends an entry's message when a
 * descriptor submitted through an IMS portal completes with a request
 * for an interrupt whose handle names the entry. The control word holds
 * the mask bit and the PASID the descriptor must carry for the entry to
 * fire: that PASID comes from the interrupt's instance cookie, so one
 * user of the table cannot raise another user's interrupts.
 *
 * A free entry checks a PASID too: one reserved for the purpose, which no
 * WQ has.  On a device without interrupt handle commands a handle is the
 * entry's index, valid whether the entry is in use or not; a masked entry
 * without a PASID check would take a descriptor's message into its
 * pending bit and send it to its next user once unmasked.
 *
 * The domain is created at probe when GENCAP reports IMS entries and the
 * device's MSI parent domain offers IMS (interrupt remapping). Users
 * allocate one interrupt at a time for a WQ with idxd_wq_ims_alloc().
 *
 * A function level reset clears the table and revokes the handles.  Every
 * write to the table also goes to a shadow of it, from which
 * idxd_ims_restore() writes the table again after the reset; the users get
 * their handles again with idxd_wq_ims_refresh().
 *
 * Locking: idxd->ims_lock, a raw spinlock since the interrupt chip's
 * callbacks take it, serialises the writes to the table and its shadow.
 */

#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "idxd.h"
#include "registers.h"

/* The entry of an IMS interrupt, set when its descriptor is prepared */
static void __iomem *idxd_ims_entry(struct msi_desc *desc)
{
	return desc->data.dcookie.iobase;
}

static void __iomem *idxd_ims_index_entry(struct idxd_device *idxd,
					  unsigned int i)
{
	return idxd->reg_base + idxd->ims_offset + i * IDXD_IMS_ENTRY_SIZE;
}

/* The device of an IMS interrupt, from its domain */
static struct idxd_device *idxd_ims_data_device(struct irq_data *data)
{
	struct msi_domain_info *info = data->domain->host_data;

	return info->data;
}

/* Write a dword of entry @i, into the table and its shadow */
static void idxd_ims_store(struct idxd_device *idxd, unsigned int i,
			   unsigned int off, u32 val)
{
	lockdep_assert_held(&idxd->ims_lock);
	idxd->ims_shadow[i][off / sizeof(u32)] = val;
	iowrite32(val, idxd_ims_index_entry(idxd, i) + off);
}

/*
 * The control word an entry must hold. An out of range PASID was
 * reported at allocation; its entry stays masked for good.
 */
static u32 idxd_ims_ctrl(struct msi_desc *desc, bool masked)
{
	u64 pasid = desc->data.icookie.value;
	u32 ctrl = masked ? IDXD_IMS_CTRL_MASK : 0;

	if (pasid == IOMMU_PASID_INVALID)
		return ctrl;
	if (pasid > IDXD_IMS_PASID_MAX)
		return IDXD_IMS_CTRL_MASK;
	return ctrl | IDXD_IMS_CTRL_PASID_EN | FIELD_PREP(IDXD_IMS_CTRL_PASID, pasid);
}

/* The control word of a free entry: masked, for no WQ's descriptors */
static u32 idxd_ims_parked_ctrl(struct idxd_device *idxd)
{
	ioasid_t pasid = idxd->ims_park_pasid;

	/* Without a reserved PASID, one no WQ gets on this device */
	if (pasid == IOMMU_PASID_INVALID)
		pasid = IDXD_IMS_PASID_MAX;
	return IDXD_IMS_CTRL_MASK | IDXD_IMS_CTRL_PASID_EN |
	       FIELD_PREP(IDXD_IMS_CTRL_PASID, pasid);
}

/* Park entry @i: masked, empty, for no WQ; read back so the device has it */
static void idxd_ims_park(struct idxd_device *idxd, unsigned int i)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&idxd->ims_lock, flags);
	idxd_ims_store(idxd, i, IDXD_IMS_CTRL, idxd_ims_parked_ctrl(idxd));
	idxd_ims_store(idxd, i, IDXD_IMS_ADDR_LO, 0);
	idxd_ims_store(idxd, i, IDXD_IMS_ADDR_HI, 0);
	idxd_ims_store(idxd, i, IDXD_IMS_DATA, 0);
	ioread32(idxd_ims_index_entry(idxd, i) + IDXD_IMS_CTRL);
	raw_spin_unlock_irqrestore(&idxd->ims_lock, flags);
}

/* Write the control word and read it back: the device acts on it now. */
static void idxd_ims_set_ctrl(struct idxd_device *idxd, struct msi_desc *desc,
			      bool masked)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&idxd->ims_lock, flags);
	idxd_ims_store(idxd, desc->msi_index, IDXD_IMS_CTRL,
		       idxd_ims_ctrl(desc, masked));
	ioread32(idxd_ims_entry(desc) + IDXD_IMS_CTRL);
	raw_spin_unlock_irqrestore(&idxd->ims_lock, flags);
}

static void idxd_ims_mask(struct irq_data *data)
{
	idxd_ims_set_ctrl(idxd_ims_data_device(data),
			  irq_data_get_msi_desc(data), true);
}

static void idxd_ims_unmask(struct irq_data *data)
{
	idxd_ims_set_ctrl(idxd_ims_data_device(data),
			  irq_data_get_msi_desc(data), false);
}

static void idxd_ims_write_msg(struct irq_data *data, struct msi_msg *msg)
{
	struct idxd_device *idxd = idxd_ims_data_device(data);
	unsigned int i = irq_data_get_msi_desc(data)->msi_index;
	unsigned long flags;

	raw_spin_lock_irqsave(&idxd->ims_lock, flags);
	idxd_ims_store(idxd, i, IDXD_IMS_ADDR_LO, msg->address_lo);
	idxd_ims_store(idxd, i, IDXD_IMS_ADDR_HI, msg->address_hi);
	idxd_ims_store(idxd, i, IDXD_IMS_DATA, msg->data);
	raw_spin_unlock_irqrestore(&idxd->ims_lock, flags);
}

/*
 * A new interrupt: find its entry and leave it masked with its PASID
 * until the interrupt is started.
 */
static void idxd_ims_prepare_desc(struct irq_domain *domain, msi_alloc_info_t *arg,
				  struct msi_desc *desc)
{
	struct msi_domain_info *info = domain->host_data;
	struct idxd_device *idxd = info->data;
	u64 pasid = desc->data.icookie.value;

	desc->data.dcookie.iobase = idxd_ims_index_entry(idxd, desc->msi_index);
	WARN_ONCE(pasid != IOMMU_PASID_INVALID && pasid > IDXD_IMS_PASID_MAX,
		  "idxd: IMS entry %u: PASID %#llx out of range, entry kept masked\n",
		  desc->msi_index, pasid);
	idxd_ims_set_ctrl(idxd, desc, true);
}

/* A freed interrupt leaves its entry parked. */
static void idxd_ims_msi_free(struct irq_domain *domain, struct msi_domain_info *info,
			      unsigned int virq)
{
	struct msi_desc *desc = irq_get_msi_desc(virq);

	if (!desc || !idxd_ims_entry(desc))
		return;
	idxd_ims_park(info->data, desc->msi_index);
}

static const struct msi_domain_template idxd_ims_template = {
	.chip = {
		.name			= "IDXD-IMS",
		.irq_mask		= idxd_ims_mask,
		.irq_unmask		= idxd_ims_unmask,
		.irq_write_msi_msg	= idxd_ims_write_msg,
	},
	.ops = {
		.prepare_desc		= idxd_ims_prepare_desc,
		.msi_free		= idxd_ims_msi_free,
	},
	.info = {
		.bus_token		= DOMAIN_BUS_PCI_DEVICE_IMS,
	},
};

/**
 * idxd_ims_setup - Create the IMS interrupt domain of a device
 * @idxd: The device, with its capabilities and table offsets read
 *
 * A device without IMS entries, or whose interrupt parent cannot carry
 * IMS, works as before without one: the reason is logged once and
 * idxd->ims_size stays 0.  Every entry is parked: masked and for a PASID
 * reserved from the IOMMU's global PASIDs, which no WQ gets.
 */
void idxd_ims_setup(struct idxd_device *idxd)
{
	struct device *dev = &idxd->pdev->dev;
	unsigned int size = idxd->hw.gen_cap.max_ims_mult * IDXD_IMS_MULT;
	unsigned int i;
	int rc;

	idxd->ims_size = 0;
	idxd->ims_park_pasid = IOMMU_PASID_INVALID;
	raw_spin_lock_init(&idxd->ims_lock);
	if (!size) {
		dev_info(dev, "IMS off: the device has no interrupt message store\n");
		return;
	}
	if (!idxd->ims_offset) {
		dev_warn(dev, "IMS off: GENCAP reports %u IMS entries but the IMS table offset is 0\n",
			 size);
		return;
	}

	idxd->ims_shadow = kvcalloc(size, sizeof(*idxd->ims_shadow), GFP_KERNEL);
	rc = -ENOMEM;
	if (idxd->ims_shadow)
		rc = pci_create_ims_domain(idxd->pdev, &idxd_ims_template,
					   size, idxd);
	if (rc == -EOPNOTSUPP) {
		dev_info(dev, "IMS off: the interrupt parent does not offer IMS (no interrupt remapping)\n");
		goto err_shadow;
	}
	if (rc) {
		dev_warn(dev, "IMS off: cannot set up the IMS domain: %d\n", rc);
		goto err_shadow;
	}
	idxd->ims_size = size;
	/* A device without PASIDs: no WQ has IDXD_IMS_PASID_MAX either */
	if (dev->iommu)
		idxd->ims_park_pasid = iommu_alloc_global_pasid(dev);
	for (i = 0; i < size; i++)
		idxd_ims_park(idxd, i);
	dev_dbg(dev, "IMS domain with %u entries at %#x, parked for PASID %#lx\n",
		size, idxd->ims_offset,
		FIELD_GET(IDXD_IMS_CTRL_PASID, idxd_ims_parked_ctrl(idxd)));
	return;

err_shadow:
	kvfree(idxd->ims_shadow);
	idxd->ims_shadow = NULL;
}

/**
 * idxd_ims_restore - Write the IMS table again after a reset of the device
 * @idxd: The device, reset and not enabled yet
 *
 * A function level reset clears the table: the entries in use get their
 * message, PASID and mask back from the shadow, the free ones are parked
 * again.  The reset revoked the handles of the entries in use; their users
 * get them again with idxd_wq_ims_refresh().
 *
 * Context: Process context.
 */
void idxd_ims_restore(struct idxd_device *idxd)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < idxd->ims_size; i++) {
		u32 *e = idxd->ims_shadow[i];
		void __iomem *entry = idxd_ims_index_entry(idxd, i);

		/* The control word last: the message is in place once unmasked */
		raw_spin_lock_irqsave(&idxd->ims_lock, flags);
		iowrite32(e[IDXD_IMS_ADDR_LO / sizeof(u32)], entry + IDXD_IMS_ADDR_LO);
		iowrite32(e[IDXD_IMS_ADDR_HI / sizeof(u32)], entry + IDXD_IMS_ADDR_HI);
		iowrite32(e[IDXD_IMS_DATA / sizeof(u32)], entry + IDXD_IMS_DATA);
		iowrite32(e[IDXD_IMS_CTRL / sizeof(u32)], entry + IDXD_IMS_CTRL);
		raw_spin_unlock_irqrestore(&idxd->ims_lock, flags);
		cond_resched();
	}
}

/**
 * idxd_ims_teardown - Remove the IMS interrupt domain of a device
 * @idxd: The device
 *
 * Every IMS interrupt should have been freed by its user; any left is
 * reported and freed by the PCI/IMS core.
 */
void idxd_ims_teardown(struct idxd_device *idxd)
{
	if (!idxd->ims_size)
		return;
	pci_remove_ims_domain(idxd->pdev);
	idxd->ims_size = 0;
	kvfree(idxd->ims_shadow);
	idxd->ims_shadow = NULL;
	if (idxd->ims_park_pasid != IOMMU_PASID_INVALID)
		iommu_free_global_pasid(idxd->ims_park_pasid);
	idxd->ims_park_pasid = IOMMU_PASID_INVALID;
}

/**
 * idxd_wq_ims_alloc - Allocate an IMS interrupt for descriptors of a WQ
 * @wq: The WQ whose IMS portal the descriptors go through
 * @pasid: The PASID those descriptors carry (the WQ's PASID for a
 *	dedicated WQ); the entry fires only for it. IOMMU_PASID_INVALID
 *	for an entry without PASID check.
 * @ims: Filled in on success: the entry and Linux interrupt (@ims->map)
 *	and the handle descriptors carry in their int_handle field
 *	(@ims->handle)
 *
 * The interrupt is allocated but not requested: the caller requests it
 * with request_irq() on @ims->map.virq, which writes and unmasks the
 * entry, and frees it with free_irq() before idxd_wq_ims_free().
 *
 * Context: Process context; may sleep (device command).
 * Return: 0 on success; -EOPNOTSUPP when the device has no IMS domain,
 * -EINVAL for a PASID out of range, -EBUSY when every entry is in use,
 * -ENXIO when the device refuses an interrupt handle, or another
 * negative errno.
 */
int idxd_wq_ims_alloc(struct idxd_wq *wq, u32 pasid, struct idxd_ims_irq *ims)
{
	struct idxd_device *idxd = wq->idxd;
	union msi_instance_cookie icookie = { .value = pasid };
	int handle, rc;

	if (!idxd->ims_size)
		return -EOPNOTSUPP;
	if (pasid != IOMMU_PASID_INVALID && pasid > IDXD_IMS_PASID_MAX) {
		dev_dbg(&idxd->pdev->dev, "wq%d.%d: IMS PASID %#x out of range\n",
			idxd->id, wq->id, pasid);
		return -EINVAL;
	}

	ims->map = pci_ims_alloc_irq(idxd->pdev, &icookie, NULL);
	if (ims->map.index < 0)
		return ims->map.index;

	handle = ims->map.index;
	if (idxd->request_int_handles) {
		rc = idxd_device_request_int_handle(idxd, ims->map.index, &handle,
						    IDXD_IRQ_IMS);
		if (rc) {
			dev_warn(&idxd->pdev->dev,
				 "wq%d.%d: no interrupt handle for IMS entry %d: %d\n",
				 idxd->id, wq->id, ims->map.index, rc);
			pci_ims_free_irq(idxd->pdev, ims->map);
			return rc;
		}
	}
	ims->handle = handle;
	return 0;
}
EXPORT_SYMBOL_GPL(idxd_wq_ims_alloc);

/**
 * idxd_wq_ims_free - Free an interrupt from idxd_wq_ims_alloc()
 * @wq: The WQ it was allocated for
 * @ims: The interrupt; freed with free_irq() already if it was requested
 *
 * Context: Process context; may sleep (device command).
 */
void idxd_wq_ims_free(struct idxd_wq *wq, struct idxd_ims_irq *ims)
{
	struct idxd_device *idxd = wq->idxd;

	if (idxd->request_int_handles)
		idxd_device_release_int_handle(idxd, ims->handle, IDXD_IRQ_IMS);
	pci_ims_free_irq(idxd->pdev, ims->map);
	ims->map.index = -ENOENT;
	ims->map.virq = 0;
}
EXPORT_SYMBOL_GPL(idxd_wq_ims_free);

/**
 * idxd_wq_ims_refresh - Get the handle of an IMS interrupt again
 * @wq: The WQ it was allocated for
 * @ims: The interrupt, from idxd_wq_ims_alloc(); @ims->handle is updated
 *
 * A reset of the device revokes the handles it granted.  idxd writes the
 * entries back and tells the WQ's driver (&idxd_device_driver.reset_done),
 * which calls this for each interrupt it holds.  A device without handle
 * commands names an entry by its index, which a reset does not change.
 *
 * Context: Process context; may sleep (device command).
 * Return: 1 if the handle changed, 0 if it did not, or a negative errno if
 * the device refused one (-ENXIO): @ims->handle then names no entry.
 */
int idxd_wq_ims_refresh(struct idxd_wq *wq, struct idxd_ims_irq *ims)
{
	struct idxd_device *idxd = wq->idxd;
	int handle, rc;

	if (!idxd->request_int_handles)
		return 0;
	rc = idxd_device_request_int_handle(idxd, ims->map.index, &handle,
					    IDXD_IRQ_IMS);
	if (rc) {
		dev_warn(&idxd->pdev->dev,
			 "wq%d.%d: no interrupt handle for IMS entry %d after a reset: %d\n",
			 idxd->id, wq->id, ims->map.index, rc);
		return rc;
	}
	if (handle == ims->handle)
		return 0;
	ims->handle = handle;
	return 1;
}
EXPORT_SYMBOL_GPL(idxd_wq_ims_refresh);

/**
 * idxd_wq_ims_portal - Bus address of a WQ's IMS portal page
 * @wq: The WQ
 * @prot: IDXD_PORTAL_UNLIMITED or IDXD_PORTAL_LIMITED
 *
 * Descriptors written to this page interrupt through the IMS entry their
 * int_handle names, not through the MSI-X table. The page is
 * IDXD_PORTAL_SIZE bytes, for mapping to a user or a guest.
 *
 * Return: The physical address of the page in the WQ BAR.
 */
phys_addr_t idxd_wq_ims_portal(struct idxd_wq *wq, enum idxd_portal_prot prot)
{
	struct pci_dev *pdev = wq->idxd->pdev;

	return pci_resource_start(pdev, IDXD_WQ_BAR) +
	       idxd_get_wq_portal_full_offset(wq->id, prot) + IDXD_PORTAL_IMS_OFFSET;
}
EXPORT_SYMBOL_GPL(idxd_wq_ims_portal);

/**
 * idxd_wq_ims_pending - Whether an IMS interrupt is pending in its entry
 * @wq: The WQ it was allocated for
 * @ims: The interrupt, from idxd_wq_ims_alloc()
 *
 * A masked entry keeps the message the device raised while it was masked
 * in its pending bit, and sends it when unmasked.
 *
 * Return: true if the entry's pending bit is set.
 */
bool idxd_wq_ims_pending(struct idxd_wq *wq, const struct idxd_ims_irq *ims)
{
	struct msi_desc *desc = irq_get_msi_desc(ims->map.virq);

	if (WARN_ON_ONCE(!desc))
		return false;
	return ioread32(idxd_ims_entry(desc) + IDXD_IMS_CTRL) &
	       IDXD_IMS_CTRL_PENDING;
}
EXPORT_SYMBOL_GPL(idxd_wq_ims_pending);
