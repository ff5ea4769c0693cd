/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the programs that drive the idxd IMS test module
 * (idxd_ims_test/): its WQ's configuration and its ioctls.  Errors are
 * negative errnos.
 */
#ifndef IMS_UTIL_H
#define IMS_UTIL_H

#include <stdint.h>

#include "idxd_ims_test.h"

#define IMS_WQ_SIZE	16
#define IMS_WAIT_MS	10000

uint64_t now_ms(void);
int ims_configure(const char *dsa, const char *wq);
int vec_get(int fd, uint32_t id, struct ims_test_vec *v);
int wait_count(int fd, uint32_t id, uint32_t count);
uint64_t total(int fd);
int submit(int fd, uint32_t id);
int mask(int fd, uint32_t id, int masked);
int alloc_vec(int fd, uint32_t pasid, struct ims_test_vec *v);

#endif /* IMS_UTIL_H */
