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
 */

#include <linux/bitfield.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include "idxd.h"
#include "registers.h"

/* The entry of an IMS interrupt, set when its descriptor is prepared */
static void __iomem *idxd_ims_entry(struct msi_desc *desc)
{
	return desc->data.dcookie.iobase;
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

/* Park an entry: masked, empty, for no WQ; read back so the device has it */
static void idxd_ims_park(struct idxd_device *idxd, void __iomem *entry)
{
	iowrite32(idxd_ims_parked_ctrl(idxd), entry + IDXD_IMS_CTRL);
	iowrite32(0, entry + IDXD_IMS_ADDR_LO);
	iowrite32(0, entry + IDXD_IMS_ADDR_HI);
	iowrite32(0, entry + IDXD_IMS_DATA);
	ioread32(entry + IDXD_IMS_CTRL);
}

/* Write the control word and read it back: the device acts on it now. */
static void idxd_ims_set_ctrl(struct msi_desc *desc, bool masked)
{
	void __iomem *entry = idxd_ims_entry(desc);

	iowrite32(idxd_ims_ctrl(desc, masked), entry + IDXD_IMS_CTRL);
	ioread32(entry + IDXD_IMS_CTRL);
}

static void idxd_ims_mask(struct irq_data *data)
{
	idxd_ims_set_ctrl(irq_data_get_msi_desc(data), true);
}

static void idxd_ims_unmask(struct irq_data *data)
{
	idxd_ims_set_ctrl(irq_data_get_msi_desc(data), false);
}

static void idxd_ims_write_msg(struct irq_data *data, struct msi_msg *msg)
{
	void __iomem *entry = idxd_ims_entry(irq_data_get_msi_desc(data));

	iowrite32(msg->address_lo, entry + IDXD_IMS_ADDR_LO);
	iowrite32(msg->address_hi, entry + IDXD_IMS_ADDR_HI);
	iowrite32(msg->data, entry + IDXD_IMS_DATA);
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

	desc->data.dcookie.iobase = idxd->reg_base + idxd->ims_offset +
				    desc->msi_index * IDXD_IMS_ENTRY_SIZE;
	WARN_ONCE(pasid != IOMMU_PASID_INVALID && pasid > IDXD_IMS_PASID_MAX,
		  "idxd: IMS entry %u: PASID %#llx out of range, entry kept masked\n",
		  desc->msi_index, pasid);
	idxd_ims_set_ctrl(desc, true);
}

/* A freed interrupt leaves its entry parked. */
static void idxd_ims_msi_free(struct irq_domain *domain, struct msi_domain_info *info,
			      unsigned int virq)
{
	struct msi_desc *desc = irq_get_msi_desc(virq);

	if (!desc || !idxd_ims_entry(desc))
		return;
	idxd_ims_park(info->data, idxd_ims_entry(desc));
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
	if (!size) {
		dev_info(dev, "IMS off: the device has no interrupt message store\n");
		return;
	}
	if (!idxd->ims_offset) {
		dev_warn(dev, "IMS off: GENCAP reports %u IMS entries but the IMS table offset is 0\n",
			 size);
		return;
	}

	rc = pci_create_ims_domain(idxd->pdev, &idxd_ims_template, size, idxd);
	if (rc == -EOPNOTSUPP) {
		dev_info(dev, "IMS off: the interrupt parent does not offer IMS (no interrupt remapping)\n");
		return;
	}
	if (rc) {
		dev_warn(dev, "IMS off: cannot create the IMS domain: %d\n", rc);
		return;
	}
	idxd->ims_size = size;
	/* A device without PASIDs: no WQ has IDXD_IMS_PASID_MAX either */
	if (dev->iommu)
		idxd->ims_park_pasid = iommu_alloc_global_pasid(dev);
	for (i = 0; i < size; i++)
		idxd_ims_park(idxd, idxd->reg_base + idxd->ims_offset +
				    i * IDXD_IMS_ENTRY_SIZE);
	dev_dbg(dev, "IMS domain with %u entries at %#x, parked for PASID %#lx\n",
		size, idxd->ims_offset,
		FIELD_GET(IDXD_IMS_CTRL_PASID, idxd_ims_parked_ctrl(idxd)));
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
