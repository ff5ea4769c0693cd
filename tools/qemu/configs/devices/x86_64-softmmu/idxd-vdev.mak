# Devices of the idxd-vdev rig (configure --without-default-devices
# --with-devices-x86_64=idxd-vdev): the q35 board with VT-d, virtio-9p for
# the root file system, PCIe root ports, and an e1000e NIC (MSI-X and INTx)
# as a second device for the vfio-pci tests, the Intel DSA model, and
# vfio-pci, with which the emulated host assigns a vdev to a nested guest
# (VFIO needs a Linux host, which configure detects whatever the features).

CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_9P=y
CONFIG_PCIE_PORT=y
CONFIG_E1000E_PCI_EXPRESS=y
CONFIG_INTEL_DSA=y
CONFIG_VFIO_PCI=y
