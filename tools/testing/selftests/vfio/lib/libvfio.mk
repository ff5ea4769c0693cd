# SPDX-License-Identifier: GPL-2.0
#
# The VFIO kselftests' helper library.  A kselftest Makefile includes this
# after ../lib.mk and links the programs that use the library with
# $(LIBVFIO):
#
#   include ../../lib.mk
#   include ../../vfio/lib/libvfio.mk
#   $(OUTPUT)/my_test: $(LIBVFIO)
#
# The library is built once per including directory, in $(OUTPUT)/libvfio.

LIBVFIO_SRCDIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

LIBVFIO_C := libvfio.c
LIBVFIO_C += vfio_mdev.c
LIBVFIO_C += vfio_pci_device.c
LIBVFIO_C += vfio_pci_driver.c
LIBVFIO_C += drivers/dsa/dsa.c
LIBVFIO_C += drivers/dsa/dsa_sysfs.c
LIBVFIO_C += drivers/e1000e/e1000e.c
LIBVFIO_C += drivers/mtty/mtty.c

LIBVFIO_H := $(wildcard $(LIBVFIO_SRCDIR)/include/*.h $(LIBVFIO_SRCDIR)/drivers/*/*.h)

LIBVFIO_OUTPUT := $(OUTPUT)/libvfio
LIBVFIO_O := $(patsubst %.c,$(LIBVFIO_OUTPUT)/%.o,$(LIBVFIO_C))
LIBVFIO := $(LIBVFIO_O) $(LIBVFIO_H)

# Tests include "vfio_util.h" and "drivers/<device>/<device>.h".
CFLAGS += -I$(LIBVFIO_SRCDIR)/include -I$(LIBVFIO_SRCDIR)
# lib.mk's link leaves LOCAL_HDRS out.
LOCAL_HDRS += $(LIBVFIO_H)

$(LIBVFIO_O): $(LIBVFIO_OUTPUT)/%.o: $(LIBVFIO_SRCDIR)/%.c $(LIBVFIO_H)
	@mkdir -p $(dir $@)
	$(call msg,CC,,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c $< -o $@

EXTRA_CLEAN += $(LIBVFIO_OUTPUT)
