# Devices of the rig's second QEMU, 10.0, which is only a VMM in the
# emulated host (configure --without-default-devices
# --with-devices-x86_64=idxd-vmm): the q35 board and vfio-pci, with the
# iommufd backend (-object iommufd) beside the legacy container, and PCIe
# root ports to hot-plug it on.  VFIO needs a Linux host, which configure
# detects whatever the features.

CONFIG_Q35=y
CONFIG_VFIO_PCI=y
CONFIG_IOMMUFD=y
# PCIe root ports: a guest's vdev is hot-added and hot-removed on one
# (device_add / device_del), as every distribution's QEMU allows.
CONFIG_PCIE_PORT=y
