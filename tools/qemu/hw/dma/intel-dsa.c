/*
 * Intel Data Streaming Accelerator (DSA) device model
 *
 * A PCIe root complex integrated endpoint, 8086:0b25, close enough to
 * the hardware for the unmodified Linux idxd driver, accel-config and
 * dmatest to use it:
 *
 * - BAR0 holds the registers of the DSA specification (capabilities,
 *   GENCFG/GENCTRL/GENSTS, INTCAUSE, CMD/CMDSTS, SWERR), the group and
 *   WQ configuration tables, the MSI-X permission table, the MSI-X table
 *   and PBA, and the Interrupt Message Store (IMS).
 * - BAR2 holds four 4 KiB portals per WQ: unlimited and limited portals
 *   whose descriptors interrupt through MSI-X, then the same two whose
 *   descriptors interrupt through IMS.  Dedicated WQs only: descriptors
 *   arrive as 64-byte direct stores (MOVDIR64B).
 * - An engine runs the descriptors in a bottom half, a bounded amount
 *   of work at a time: noop, batch, drain, memmove, fill, compare and
 *   compare pattern.  It writes completion records and raises
 *   completion interrupts through the MSI-X entry or IMS slot that the
 *   descriptor's interrupt handle names.
 *
 * This file is the PCI function: its BARs, its configuration space
 * (PCI Express, MSI-X, ATS, PASID, function level reset), properties
 * and reset.  The registers, commands, portals and the engine are in
 * intel-dsa-core.c.
 *
 * Copyright (c) 2025 idxd-vdev developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "intel-dsa-core.h"
#include "trace.h"

OBJECT_DECLARE_SIMPLE_TYPE(IntelDSAState, INTEL_DSA)

#define DSA_ATS_CAP_OFFSET      0x100
#define DSA_PASID_WIDTH         20

struct IntelDSAState {
    PCIDevice parent_obj;

    MemoryRegion bar0;
    MemoryRegion regs;
    MemoryRegion ims_mmio;
    MemoryRegion portals;

    IntelDSACore core;
};

static uint64_t intel_dsa_portal_read(void *opaque, hwaddr addr,
                                      unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "intel-dsa: read of portal 0x%"
                  HWADDR_PRIx ", which is write-only\n", addr);
    return 0;
}

static MemTxResult intel_dsa_portal_write(void *opaque, hwaddr addr,
                                          uint64_t val, unsigned size,
                                          MemTxAttrs attrs)
{
    IntelDSAState *s = opaque;

    return intel_dsa_core_portal_write(&s->core, addr, val, size, attrs);
}

static const MemoryRegionOps intel_dsa_portal_ops = {
    .read = intel_dsa_portal_read,
    .write_with_attrs = intel_dsa_portal_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 8,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 8,
        .max_access_size = 8,
    },
};

static uint64_t intel_dsa_reg_read(void *opaque, hwaddr addr, unsigned size)
{
    IntelDSAState *s = opaque;

    return intel_dsa_core_reg_read(&s->core, addr);
}

static void intel_dsa_reg_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    IntelDSAState *s = opaque;

    intel_dsa_core_reg_write(&s->core, addr, val);
}

static const MemoryRegionOps intel_dsa_reg_ops = {
    .read = intel_dsa_reg_read,
    .write = intel_dsa_reg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static uint64_t intel_dsa_ims_read(void *opaque, hwaddr addr, unsigned size)
{
    IntelDSAState *s = opaque;

    return intel_dsa_core_ims_read(&s->core, addr);
}

static void intel_dsa_ims_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    IntelDSAState *s = opaque;

    intel_dsa_core_ims_write(&s->core, addr, val);
}

static const MemoryRegionOps intel_dsa_ims_ops = {
    .read = intel_dsa_ims_read,
    .write = intel_dsa_ims_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static void intel_dsa_reset(DeviceState *dev)
{
    IntelDSAState *s = INTEL_DSA(dev);
    PCIDevice *pdev = PCI_DEVICE(s);

    trace_intel_dsa_reset();
    intel_dsa_core_reset(&s->core);
    pci_set_word(pdev->config + DSA_PASID_CAP_OFFSET + PCI_PASID_CTRL, 0);
}

static void intel_dsa_write_config(PCIDevice *pdev, uint32_t addr,
                                   uint32_t val, int len)
{
    IntelDSAState *s = INTEL_DSA(pdev);
    uint16_t devctl;

    pci_default_write_config(pdev, addr, val, len);
    devctl = pci_get_word(pdev->config + pdev->exp.exp_cap + PCI_EXP_DEVCTL);
    if (devctl & PCI_EXP_DEVCTL_BCR_FLR) {
        intel_dsa_core_prepare_flr(&s->core);
    }
    pcie_cap_flr_write_config(pdev, addr, val, len);
}

static void intel_dsa_realize(PCIDevice *pdev, Error **errp)
{
    IntelDSAState *s = INTEL_DSA(pdev);
    IntelDSACore *core = &s->core;
    uint8_t *pasid = pdev->config + DSA_PASID_CAP_OFFSET;
    uint64_t bar0_size, portals_size;
    uint32_t off;
    unsigned i;

    if (core->num_wqs < 1 || core->num_wqs > DSA_MAX_WQS) {
        error_setg(errp, "wqs must be between 1 and %d", DSA_MAX_WQS);
        return;
    }
    if (core->num_engines < 1 || core->num_engines > DSA_MAX_ENGINES) {
        error_setg(errp, "engines must be between 1 and %d",
                   DSA_MAX_ENGINES);
        return;
    }
    if (core->num_groups < 1 || core->num_groups > DSA_MAX_GROUPS) {
        error_setg(errp, "groups must be between 1 and %d", DSA_MAX_GROUPS);
        return;
    }
    if (core->total_wq_size < 1 || core->total_wq_size > DSA_MAX_WQ_SIZE) {
        error_setg(errp, "wq-size must be between 1 and %d",
                   DSA_MAX_WQ_SIZE);
        return;
    }
    if (core->num_ims % 256 || core->num_ims / 256 > DSA_MAX_IMS_MULT) {
        error_setg(errp, "ims-entries must be a multiple of 256, at most %d",
                   DSA_MAX_IMS_MULT * 256);
        return;
    }
    if (!core->num_msix) {
        core->num_msix = core->num_wqs + 1;
    }
    if (core->num_msix > DSA_MAX_MSIX) {
        error_setg(errp, "msix-vectors must be at most %d", DSA_MAX_MSIX);
        return;
    }

    /* BAR0: registers and tables, then MSI-X table, PBA and IMS. */
    off = 0x200;
    core->msix_perm_off = off;
    off += ROUND_UP(core->num_msix * 8, DSA_TABLE_MULT);
    core->grpcfg_off = off;
    off += ROUND_UP(core->num_groups * DSA_GRPCFG_SIZE, DSA_TABLE_MULT);
    core->wqcfg_off = off;
    off += ROUND_UP(core->num_wqs * DSA_WQCFG_SIZE, DSA_TABLE_MULT);
    core->regs_size = off;
    off = ROUND_UP(off, 4 * KiB);
    core->msix_table_off = off;
    off += ROUND_UP(core->num_msix * PCI_MSIX_ENTRY_SIZE, 4 * KiB);
    core->msix_pba_off = off;
    off += ROUND_UP(DIV_ROUND_UP(core->num_msix, 64) * 8, 4 * KiB);
    core->ims_off = off;
    off += ROUND_UP(core->num_ims * DSA_IMS_ENTRY_SIZE, 4 * KiB);
    bar0_size = pow2ceil(off);

    memory_region_init(&s->bar0, OBJECT(s), "intel-dsa-bar0", bar0_size);
    memory_region_init_io(&s->regs, OBJECT(s), &intel_dsa_reg_ops, s,
                          "intel-dsa-regs", core->regs_size);
    memory_region_add_subregion(&s->bar0, 0, &s->regs);
    if (core->num_ims) {
        memory_region_init_io(&s->ims_mmio, OBJECT(s), &intel_dsa_ims_ops, s,
                              "intel-dsa-ims",
                              core->num_ims * DSA_IMS_ENTRY_SIZE);
        memory_region_add_subregion(&s->bar0, core->ims_off, &s->ims_mmio);
    }
    pci_register_bar(pdev, DSA_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->bar0);

    portals_size = pow2ceil((uint64_t)core->num_wqs * DSA_PORTALS_PER_WQ *
                            DSA_PORTAL_SIZE);
    memory_region_init_io(&s->portals, OBJECT(s), &intel_dsa_portal_ops, s,
                          "intel-dsa-portals", portals_size);
    pci_register_bar(pdev, DSA_BAR_PORTALS, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->portals);

    if (pcie_endpoint_cap_init(pdev, 0) < 0) {
        error_setg(errp, "cannot add the PCI Express capability");
        return;
    }
    /* End-end TLP prefixes: PASID-tagged requests. */
    pci_long_test_and_set_mask(pdev->config + pdev->exp.exp_cap +
                               PCI_EXP_DEVCAP2, PCI_EXP_DEVCAP2_EE_PREFIX);
    pcie_cap_flr_init(pdev);

    if (msix_init(pdev, core->num_msix, &s->bar0, DSA_BAR_REGS,
                  core->msix_table_off, &s->bar0, DSA_BAR_REGS,
                  core->msix_pba_off, 0, errp)) {
        return;
    }
    for (i = 0; i < core->num_msix; i++) {
        msix_vector_use(pdev, i);
    }

    pcie_ats_init(pdev, DSA_ATS_CAP_OFFSET, true);
    pcie_add_capability(pdev, PCI_EXT_CAP_ID_PASID, 1, DSA_PASID_CAP_OFFSET,
                        PCI_EXT_CAP_PASID_SIZEOF);
    pci_set_word(pasid + PCI_PASID_CAP,
                 PCI_PASID_CAP_PRIV | DSA_PASID_WIDTH << 8);
    pci_set_word(pdev->wmask + DSA_PASID_CAP_OFFSET + PCI_PASID_CTRL,
                 PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_PRIV);

    intel_dsa_core_realize(core, pdev);
}

static void intel_dsa_exit(PCIDevice *pdev)
{
    IntelDSAState *s = INTEL_DSA(pdev);

    intel_dsa_core_unrealize(&s->core);
    msix_uninit(pdev, &s->bar0, &s->bar0);
}

static const VMStateDescription vmstate_intel_dsa = {
    .name = TYPE_INTEL_DSA,
    .unmigratable = 1,
};

static Property intel_dsa_properties[] = {
    DEFINE_PROP_UINT8("wqs", IntelDSAState, core.num_wqs, 8),
    DEFINE_PROP_UINT8("engines", IntelDSAState, core.num_engines, 4),
    DEFINE_PROP_UINT8("groups", IntelDSAState, core.num_groups, 4),
    DEFINE_PROP_UINT16("wq-size", IntelDSAState, core.total_wq_size, 128),
    DEFINE_PROP_UINT16("ims-entries", IntelDSAState, core.num_ims, 256),
    DEFINE_PROP_UINT16("msix-vectors", IntelDSAState, core.num_msix, 0),
    DEFINE_PROP_BOOL("evl", IntelDSAState, core.evl, true),
    DEFINE_PROP_BOOL("int-handles", IntelDSAState, core.int_handles, true),
    DEFINE_PROP_UINT32("x-desc-delay-us", IntelDSAState, core.desc_delay_us,
                       0),
    DEFINE_PROP_BOOL("x-test-events", IntelDSAState, core.test_events, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void intel_dsa_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = intel_dsa_realize;
    k->exit = intel_dsa_exit;
    k->config_write = intel_dsa_write_config;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = PCI_DEVICE_ID_INTEL_DSA;
    k->class_id = PCI_CLASS_SYSTEM_OTHER;
    dc->desc = "Intel Data Streaming Accelerator";
    dc->reset = intel_dsa_reset;
    dc->vmsd = &vmstate_intel_dsa;
    device_class_set_props(dc, intel_dsa_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void intel_dsa_instance_init(Object *obj)
{
    IntelDSAState *s = INTEL_DSA(obj);

    object_property_add_uint64_ptr(obj, "x-portal-whole-stores",
                                   &s->core.portal_whole_stores,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint64_ptr(obj, "x-portal-partial-writes",
                                   &s->core.portal_partial_writes,
                                   OBJ_PROP_FLAG_READ);
}

static const TypeInfo intel_dsa_info = {
    .name = TYPE_INTEL_DSA,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IntelDSAState),
    .instance_init = intel_dsa_instance_init,
    .class_init = intel_dsa_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void intel_dsa_register_types(void)
{
    type_register_static(&intel_dsa_info);
}

type_init(intel_dsa_register_types)
