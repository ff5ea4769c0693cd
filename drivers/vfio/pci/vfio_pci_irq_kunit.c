// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the VFIO PCI interrupt frontend
 *
 * The frontend runs against fake backends that record what they are
 * asked to do, and against fake eventfds (the frontend's eventfd calls
 * are stubbed) that count references and signals.  The ioctls are called
 * through their real entry points with user memory.
 */

#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/irqbypass.h>
#include <linux/mman.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vfio_pci_irq.h>

#include "vfio_pci_irq_priv.h"

#define FAKE_FD		1000	/* fds FAKE_FD.. are fake eventfds */
#define FAKE_NR_FDS	8
#define BAD_FD		999	/* a closed fd */
#define NR_VECS		16

struct fake_eventfd {
	atomic_t	refs;
	atomic_t	signals;
};

struct fake_backend {
	struct vfio_pci_irq_backend	be;
	int				enabled;
	int				enables;
	unsigned int			nvec;
	int				enable_ret;
	int				fail_vector;
	int				requests;
	int				frees;
	DECLARE_BITMAP(requested, NR_VECS);
	union msi_instance_cookie	cookie[NR_VECS];
	bool				dynamic;
	bool				masked;
	bool				pending;
	int				signals;
	int				virq_base;
};

struct fake_dev {
	struct vfio_pci_irq	irq;
	struct fake_backend	intx;
	struct fake_backend	msi;
	struct fake_backend	msix;
	int			count[VFIO_PCI_NUM_IRQS];
	struct fake_eventfd	efd[FAKE_NR_FDS];
	int			gained;
	int			lost;
	void __user		*ubuf;
};

static struct fake_dev *to_fake_dev(struct vfio_pci_irq *irq)
{
	return container_of(irq, struct fake_dev, irq);
}

static struct fake_backend *to_fake(struct vfio_pci_irq_backend *be)
{
	return container_of(be, struct fake_backend, be);
}

/* Stubs of the frontend's eventfd calls */
static struct fake_dev *current_fake_dev(void)
{
	return kunit_get_current_test()->priv;
}

static struct eventfd_ctx *fake_eventfd_get(int fd)
{
	struct fake_dev *fd_dev = current_fake_dev();
	struct fake_eventfd *efd;

	if (fd < FAKE_FD || fd >= FAKE_FD + FAKE_NR_FDS)
		return ERR_PTR(-EBADF);
	efd = &fd_dev->efd[fd - FAKE_FD];
	atomic_inc(&efd->refs);
	return (struct eventfd_ctx *)efd;
}

static void fake_eventfd_put(struct eventfd_ctx *ctx)
{
	struct fake_eventfd *efd = (struct fake_eventfd *)ctx;

	atomic_dec(&efd->refs);
}

static void fake_eventfd_signal(struct eventfd_ctx *ctx)
{
	struct fake_eventfd *efd = (struct fake_eventfd *)ctx;

	atomic_inc(&efd->signals);
}

/* The fake backends */
static int fake_enable(struct vfio_pci_irq_backend *be, unsigned int nvec)
{
	struct fake_backend *fb = to_fake(be);

	fb->enables++;
	if (fb->enable_ret)
		return fb->enable_ret;
	fb->enabled++;
	fb->nvec = nvec;
	return 0;
}

static void fake_disable(struct vfio_pci_irq_backend *be)
{
	to_fake(be)->enabled--;
}

static int fake_request(struct vfio_pci_irq_backend *be,
			struct vfio_pci_irq_vec *vec)
{
	struct fake_backend *fb = to_fake(be);

	if (vec->vector == fb->fail_vector || vec->vector >= NR_VECS)
		return -EIO;
	if (WARN_ON(!vec->trigger && vec->index != VFIO_PCI_INTX_IRQ_INDEX))
		return -EINVAL;
	fb->requests++;
	__set_bit(vec->vector, fb->requested);
	fb->cookie[vec->vector] = vec->cookie;
	vec->map.index = 100 + vec->vector;
	/* A Linux interrupt number, never used as one but for irq bypass */
	vec->map.virq = fb->virq_base ? fb->virq_base + vec->vector : 0;
	return 0;
}

static void fake_free(struct vfio_pci_irq_backend *be,
		      struct vfio_pci_irq_vec *vec)
{
	struct fake_backend *fb = to_fake(be);

	fb->frees++;
	__clear_bit(vec->vector, fb->requested);
}

static bool fake_mask(struct vfio_pci_irq_backend *be,
		      struct vfio_pci_irq_vec *vec)
{
	struct fake_backend *fb = to_fake(be);
	bool changed = !fb->masked;

	fb->masked = true;
	return changed;
}

static int fake_unmask(struct vfio_pci_irq_backend *be,
		       struct vfio_pci_irq_vec *vec)
{
	struct fake_backend *fb = to_fake(be);

	if (fb->pending)
		return 1;
	fb->masked = false;
	return 0;
}

static void fake_signal(struct vfio_pci_irq_backend *be,
			struct vfio_pci_irq_vec *vec)
{
	to_fake(be)->signals++;
}

static bool fake_is_dynamic(struct vfio_pci_irq_backend *be)
{
	return to_fake(be)->dynamic;
}

static const struct vfio_pci_irq_backend_ops fake_intx_ops = {
	.enable = fake_enable,
	.disable = fake_disable,
	.request = fake_request,
	.free = fake_free,
	.mask = fake_mask,
	.unmask = fake_unmask,
	.signal = fake_signal,
};

static const struct vfio_pci_irq_backend_ops fake_msi_ops = {
	.enable = fake_enable,
	.disable = fake_disable,
	.request = fake_request,
	.free = fake_free,
	.is_dynamic = fake_is_dynamic,
};

static int fake_count(struct vfio_pci_irq *irq, unsigned int index)
{
	return to_fake_dev(irq)->count[index];
}

static void fake_vector_changed(struct vfio_pci_irq *irq,
				const struct vfio_pci_irq_vec *vec,
				bool has_trigger)
{
	struct fake_dev *fd_dev = to_fake_dev(irq);

	if (has_trigger)
		fd_dev->gained++;
	else
		fd_dev->lost++;
}

static const struct vfio_pci_irq_ops fake_irq_ops = {
	.count = fake_count,
	.vector_changed = fake_vector_changed,
};

static int vfio_pci_irq_test_init(struct kunit *test)
{
	struct fake_dev *fd_dev;
	struct device *dev;
	unsigned long ubuf;
	int ret;

	fd_dev = kunit_kzalloc(test, sizeof(*fd_dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fd_dev);
	dev = kunit_device_register(test, "vfio-pci-irq-test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	ubuf = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, ubuf, 0, "no user memory");
	fd_dev->ubuf = (void __user *)ubuf;

	fd_dev->count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	fd_dev->count[VFIO_PCI_MSI_IRQ_INDEX] = 4;
	fd_dev->count[VFIO_PCI_MSIX_IRQ_INDEX] = NR_VECS;
	fd_dev->count[VFIO_PCI_ERR_IRQ_INDEX] = -EINVAL;
	fd_dev->count[VFIO_PCI_REQ_IRQ_INDEX] = 1;

	fd_dev->intx.be.ops = &fake_intx_ops;
	fd_dev->msi.be.ops = &fake_msi_ops;
	fd_dev->msix.be.ops = &fake_msi_ops;
	fd_dev->intx.fail_vector = -1;
	fd_dev->msi.fail_vector = -1;
	fd_dev->msix.fail_vector = -1;

	vfio_pci_irq_init(&fd_dev->irq, dev, &fake_irq_ops);
	ret = vfio_pci_irq_set_backend(&fd_dev->irq, VFIO_PCI_INTX_IRQ_INDEX,
				       &fd_dev->intx.be);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = vfio_pci_irq_set_backend(&fd_dev->irq, VFIO_PCI_MSI_IRQ_INDEX,
				       &fd_dev->msi.be);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = vfio_pci_irq_set_backend(&fd_dev->irq, VFIO_PCI_MSIX_IRQ_INDEX,
				       &fd_dev->msix.be);
	KUNIT_ASSERT_EQ(test, ret, 0);

	test->priv = fd_dev;
	kunit_activate_static_stub(test, vfio_pci_irq_eventfd_get,
				   fake_eventfd_get);
	kunit_activate_static_stub(test, vfio_pci_irq_eventfd_put,
				   fake_eventfd_put);
	kunit_activate_static_stub(test, vfio_pci_irq_eventfd_signal,
				   fake_eventfd_signal);
	return 0;
}

static void vfio_pci_irq_test_exit(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;

	if (!fd_dev)
		return;
	vfio_pci_irq_close(&fd_dev->irq);
	vfio_pci_irq_release(&fd_dev->irq);
}

/* Helpers: the ioctls through user memory */
static int set_irqs(struct kunit *test, u32 flags, u32 index, u32 start,
		    u32 count, const void *data, size_t size)
{
	struct fake_dev *fd_dev = test->priv;
	struct vfio_irq_set hdr = {
		.argsz = sizeof(hdr) + size,
		.flags = flags,
		.index = index,
		.start = start,
		.count = count,
	};

	KUNIT_ASSERT_LE(test, sizeof(hdr) + size, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, copy_to_user(fd_dev->ubuf, &hdr, sizeof(hdr)), 0);
	if (size)
		KUNIT_ASSERT_EQ(test, copy_to_user(fd_dev->ubuf + sizeof(hdr),
						   data, size), 0);
	return vfio_pci_irq_set_irqs(&fd_dev->irq, fd_dev->ubuf);
}

#define TRIGGER_FDS	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_NONE	(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)
#define TRIGGER_BOOL	(VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER)

static int set_fds(struct kunit *test, u32 index, u32 start, u32 count,
		   const s32 *fds)
{
	return set_irqs(test, TRIGGER_FDS, index, start, count, fds,
			count * sizeof(*fds));
}

static int set_fd(struct kunit *test, u32 index, u32 vector, s32 fd)
{
	return set_fds(test, index, vector, 1, &fd);
}

static int disable(struct kunit *test, u32 index)
{
	return set_irqs(test, TRIGGER_NONE, index, 0, 0, NULL, 0);
}

static int get_info(struct kunit *test, u32 index, struct vfio_irq_info *info)
{
	struct fake_dev *fd_dev = test->priv;
	struct vfio_irq_info in = { .argsz = sizeof(in), .index = index };
	int ret;

	KUNIT_ASSERT_EQ(test, copy_to_user(fd_dev->ubuf, &in, sizeof(in)), 0);
	ret = vfio_pci_irq_get_irq_info(&fd_dev->irq, fd_dev->ubuf);
	KUNIT_ASSERT_EQ(test, copy_from_user(info, fd_dev->ubuf, sizeof(*info)), 0);
	return ret;
}

static int refs(struct kunit *test, int fd)
{
	struct fake_dev *fd_dev = test->priv;

	return atomic_read(&fd_dev->efd[fd - FAKE_FD].refs);
}

static int signals(struct kunit *test, int fd)
{
	struct fake_dev *fd_dev = test->priv;

	return atomic_read(&fd_dev->efd[fd - FAKE_FD].signals);
}

/* Every eventfd reference the frontend took was dropped */
static void expect_no_refs(struct kunit *test)
{
	int fd;

	for (fd = FAKE_FD; fd < FAKE_FD + FAKE_NR_FDS; fd++)
		KUNIT_EXPECT_EQ_MSG(test, refs(test, fd), 0, "fd %d", fd);
}

static bool in_use(struct kunit *test, u32 index, u32 vector)
{
	struct fake_dev *fd_dev = test->priv;
	bool ret;

	vfio_pci_irq_lock(&fd_dev->irq);
	ret = vfio_pci_irq_vec(&fd_dev->irq, index, vector);
	vfio_pci_irq_unlock(&fd_dev->irq);
	return ret;
}

/* Short forms of the driver-side calls */
static int emulate(struct kunit *test, u32 index, u32 vector, bool on)
{
	struct fake_dev *fd_dev = test->priv;

	return vfio_pci_irq_set_emulated(&fd_dev->irq, index, vector, on);
}

static bool sig(struct kunit *test, u32 index, u32 vector)
{
	struct fake_dev *fd_dev = test->priv;

	return vfio_pci_irq_signal(&fd_dev->irq, index, vector);
}

static int set_backend(struct kunit *test, u32 index,
		       struct vfio_pci_irq_backend *be)
{
	struct fake_dev *fd_dev = test->priv;

	return vfio_pci_irq_set_backend(&fd_dev->irq, index, be);
}

static int get_map(struct kunit *test, u32 index, u32 vector,
		   struct msi_map *map)
{
	struct fake_dev *fd_dev = test->priv;

	return vfio_pci_irq_get_map(&fd_dev->irq, index, vector, map);
}

static int set_cookie(struct kunit *test, u32 index, u32 vector,
		      const union msi_instance_cookie *cookie)
{
	struct fake_dev *fd_dev = test->priv;

	return vfio_pci_irq_set_cookie(&fd_dev->irq, index, vector, cookie);
}

static void vfio_pci_irq_test_info(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct vfio_irq_info info;

	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_INTX_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.count, 1);
	KUNIT_EXPECT_EQ(test, info.flags, VFIO_IRQ_INFO_EVENTFD |
			VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);

	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSI_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.count, 4);
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);

	/* MSI-X is NORESIZE only if its backend does not allocate dynamically */
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSIX_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.count, NR_VECS);
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	fd_dev->msix.dynamic = true;
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSIX_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.flags, VFIO_IRQ_INFO_EVENTFD);
	fd_dev->msix.dynamic = false;
	KUNIT_EXPECT_EQ(test, set_backend(test, VFIO_PCI_MSIX_IRQ_INDEX, NULL), 0);
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSIX_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.flags, VFIO_IRQ_INFO_EVENTFD);

	/* A dynamic MSI backend does not make MSI resizable */
	fd_dev->msi.dynamic = true;
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSI_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);

	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_REQ_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.count, 1);
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);

	/* ERR is not offered, index 5 does not exist */
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_ERR_IRQ_INDEX, &info),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_NUM_IRQS, &info), -EINVAL);

	/* An index with no vectors is still answered */
	fd_dev->count[VFIO_PCI_MSI_IRQ_INDEX] = 0;
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSI_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.count, 0);
}

static void vfio_pci_irq_test_info_argsz(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct vfio_irq_info in = { .argsz = 8, .index = 0 };

	KUNIT_ASSERT_EQ(test, copy_to_user(fd_dev->ubuf, &in, sizeof(in)), 0);
	KUNIT_EXPECT_EQ(test,
			vfio_pci_irq_get_irq_info(&fd_dev->irq, fd_dev->ubuf),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_get_irq_info(&fd_dev->irq, NULL),
			-EFAULT);
}

static void vfio_pci_irq_test_validation(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	s32 fds[5] = { FAKE_FD, FAKE_FD, FAKE_FD, FAKE_FD, FAKE_FD };
	u8 one = 1;

	/* start and count must fit the index's count */
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 4, 1, fds),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 2, 3, fds),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 0, 5, fds),
			-EINVAL);
	/* unknown index, index not offered, unknown flags, two data types */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_NUM_IRQS, 0, FAKE_FD),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_ERR_IRQ_INDEX, 0, FAKE_FD),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS | BIT(10),
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds, 4),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS | VFIO_IRQ_SET_DATA_BOOL,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds, 4),
			-EINVAL);
	/* argsz must cover the data */
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS, VFIO_PCI_MSI_IRQ_INDEX,
				       0, 2, fds, 4), -EINVAL);
	/* MSI and MSI-X cannot be masked through VFIO */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_BOOL |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &one, 1),
			-ENOTTY);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0),
			-ENOTTY);
	/* two actions at once */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			-ENOTTY);
	/* loopback and disable of an index that is not enabled */
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), -EINVAL);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_INTX_IRQ_INDEX), -EINVAL);
	/* INTx masking needs INTx enabled */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			-EINVAL);
	/* a bad user pointer */
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_set_irqs(&fd_dev->irq, NULL), -EFAULT);

	/* none of it reached a backend or took an eventfd */
	KUNIT_EXPECT_EQ(test, fd_dev->intx.enables + fd_dev->msi.enables +
			fd_dev->msix.enables, 0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_exclusive(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	s32 fds[2] = { FAKE_FD, FAKE_FD + 1 };

	KUNIT_ASSERT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, fds), 0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_MSI_IRQ_INDEX);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.nvec, 2);

	/* no other index while MSI is enabled */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0,
				     FAKE_FD + 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 0,
				     FAKE_FD + 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), -EINVAL);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.enables + fd_dev->msix.enables, 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 2), 0);

	/* count 0 with DATA_NONE disables, then MSI-X may be enabled */
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSI_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.enabled, 0);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.frees, 2);
	expect_no_refs(test);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_MSIX_IRQ_INDEX);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_vectors(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct fake_backend *fb = &fd_dev->msix;
	s32 fds[3] = { FAKE_FD, -1, FAKE_FD + 1 };
	s32 two[2] = { FAKE_FD + 3, FAKE_FD + 4 };

	/* enabling asks the backend for start + count vectors */
	KUNIT_ASSERT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds),
			0);
	KUNIT_EXPECT_EQ(test, fb->enables, 1);
	KUNIT_EXPECT_EQ(test, fb->nvec, 3);
	KUNIT_EXPECT_EQ(test, fb->requests, 2);
	KUNIT_EXPECT_TRUE(test, test_bit(0, fb->requested));
	KUNIT_EXPECT_FALSE(test, test_bit(1, fb->requested));
	KUNIT_EXPECT_TRUE(test, test_bit(2, fb->requested));
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 1);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 1), 1);
	KUNIT_EXPECT_EQ(test, fd_dev->gained, 2);

	/* one vector comes and goes without touching the others */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 5,
				     FAKE_FD + 2), 0);
	KUNIT_EXPECT_EQ(test, fb->enables, 1);
	KUNIT_EXPECT_EQ(test, fb->requests, 3);
	KUNIT_EXPECT_EQ(test, fb->frees, 0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_EQ(test, fb->frees, 1);
	KUNIT_EXPECT_FALSE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 0);
	KUNIT_EXPECT_EQ(test, fd_dev->lost, 1);

	/* a new eventfd for a vector in use replaces the old one */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 2, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 1);

	/* a failure in a block drops every vector of it up to the failure */
	fb->fail_vector = 9;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 8, 2, two),
			-EIO);
	KUNIT_EXPECT_FALSE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 8));
	KUNIT_EXPECT_FALSE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 9));
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 3), 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 4), 0);
	two[1] = BAD_FD;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 10, 2, two),
			-EBADF);
	KUNIT_EXPECT_FALSE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 10));
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 3), 0);
	/* ... and leaves the vectors outside the block alone */
	KUNIT_EXPECT_TRUE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 2));
	KUNIT_EXPECT_TRUE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 5));
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_MSIX_IRQ_INDEX);

	/* DATA_EVENTFD with count 0 changes nothing */
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS,
				       VFIO_PCI_MSIX_IRQ_INDEX, 2, 0, NULL, 0),
			0);
	KUNIT_EXPECT_TRUE(test, in_use(test, VFIO_PCI_MSIX_IRQ_INDEX, 2));

	/* disable frees everything and disables the backend once */
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, fb->enabled, 0);
	KUNIT_EXPECT_EQ(test, fb->requests, fb->frees);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(fb->requested, NR_VECS));
	KUNIT_EXPECT_EQ(test, fd_dev->gained, fd_dev->lost);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_enable_fails(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	s32 fds[4] = { FAKE_FD, FAKE_FD + 1, FAKE_FD + 2, FAKE_FD + 3 };

	/* fewer vectors than asked: the number goes back to the user */
	fd_dev->msi.enable_ret = 2;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 0, 4, fds),
			2);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	fd_dev->msi.enable_ret = -ENOSPC;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 0, 4, fds),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.requests, 0);

	/* a failing first vector disables the index again */
	fd_dev->msi.enable_ret = 0;
	fd_dev->msi.fail_vector = 1;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSI_IRQ_INDEX, 0, 4, fds),
			-EIO);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.enabled, 0);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.requests, fd_dev->msi.frees);

	/* so does an INTx backend that cannot enable */
	fd_dev->intx.enable_ret = -ENODEV;
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_loopback(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	s32 fds[3] = { FAKE_FD, -1, FAKE_FD + 1 };
	u8 bools[3] = { 0, 1, 1 };

	KUNIT_ASSERT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds),
			0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 1);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD + 1), 1);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_BOOL,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, bools, 3),
			0);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 1);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD + 1), 2);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);

	/* INTx loopback goes through the backend's signal() */
	KUNIT_ASSERT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.signals, 1);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_BOOL,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, bools, 1),
			0);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.signals, 1);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_BOOL,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &bools[1],
				       1), 0);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.signals, 2);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_INTX_IRQ_INDEX), 0);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_intx(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct fake_backend *fb = &fd_dev->intx;
	u8 zero = 0;

	KUNIT_ASSERT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, fb->requests, 1);
	KUNIT_EXPECT_EQ(test, fd_dev->gained, 1);

	/* a new eventfd swaps the trigger; the handler stays */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0,
				     FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, fb->requests, 1);
	KUNIT_EXPECT_EQ(test, fb->frees, 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 1), 1);

	/* -1 leaves INTx enabled without a trigger */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_INTX_IRQ_INDEX);
	KUNIT_EXPECT_TRUE(test, in_use(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, fb->frees, 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, fd_dev->lost, 1);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, BAD_FD),
			-EBADF);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, fd_dev->gained, 2);

	/* mask and unmask reach the backend; a pending interrupt is resent */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_TRUE(test, fb->masked);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_BOOL |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &zero, 1),
			0);
	KUNIT_EXPECT_TRUE(test, fb->masked);
	fb->pending = true;
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_TRUE(test, fb->masked);
	KUNIT_EXPECT_EQ(test, fb->signals, 1);
	fb->pending = false;
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_FALSE(test, fb->masked);
	KUNIT_EXPECT_EQ(test, fb->signals, 1);

	/* no mask eventfd; an unmask eventfd of -1 is accepted */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_EVENTFD |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				       &(s32){ FAKE_FD }, 4), -ENOTTY);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_EVENTFD |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1,
				       &(s32){ -1 }, 4), 0);

	/* only count 0 disables INTx */
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_INTX_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, fb->frees, 1);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	KUNIT_EXPECT_EQ(test, fd_dev->gained, fd_dev->lost);

	/* INTx may be enabled without an eventfd */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_INTX_IRQ_INDEX);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_INTX_IRQ_INDEX), 0);
	expect_no_refs(test);
}

struct hardirq_signal {
	struct irq_work		work;
	struct vfio_pci_irq	*irq;
	bool			hardirq;
	bool			ret;
};

static void hardirq_signal_fn(struct irq_work *work)
{
	struct hardirq_signal *hs = container_of(work, struct hardirq_signal,
						 work);

	hs->hardirq = in_hardirq();
	hs->ret = vfio_pci_irq_signal(hs->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0);
}

static DEFINE_SPINLOCK(test_lock);

static void vfio_pci_irq_test_emulated(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct fake_backend *fb = &fd_dev->msix;
	struct hardirq_signal hs = {
		.work = IRQ_WORK_INIT_HARD(hardirq_signal_fn),
		.irq = &fd_dev->irq,
	};
	s32 fds[2] = { FAKE_FD, FAKE_FD + 1 };
	struct msi_map map;
	unsigned long flags;
	bool ret;

	/* vector 0 emulated, vector 1 from the backend */
	KUNIT_ASSERT_EQ(test, emulate(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, true), 0);
	KUNIT_ASSERT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds),
			0);
	KUNIT_EXPECT_EQ(test, fb->requests, 1);
	KUNIT_EXPECT_FALSE(test, test_bit(0, fb->requested));
	KUNIT_EXPECT_TRUE(test, test_bit(1, fb->requested));
	KUNIT_EXPECT_EQ(test, get_map(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, &map), -ENOENT);
	KUNIT_EXPECT_EQ(test, get_map(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, &map), 0);
	KUNIT_EXPECT_EQ(test, map.index, 101);

	/* the driver signals vector 0, and only that */
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 1);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 1));
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 3));
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSI_IRQ_INDEX, 0));
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_REQ_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD + 1), 0);

	/* with a spinlock held and interrupts off */
	spin_lock_irqsave(&test_lock, flags);
	ret = vfio_pci_irq_signal(&fd_dev->irq, VFIO_PCI_MSIX_IRQ_INDEX, 0);
	spin_unlock_irqrestore(&test_lock, flags);
	KUNIT_EXPECT_TRUE(test, ret);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 2);

	/* from a hard interrupt */
	irq_work_queue(&hs.work);
	irq_work_sync(&hs.work);
	KUNIT_EXPECT_TRUE(test, hs.hardirq);
	KUNIT_EXPECT_TRUE(test, hs.ret);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 3);

	/* an emulated vector's loopback is the driver's signal */
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 4);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD + 1), 1);

	/* being emulated is configuration: not while the vector is in use */
	KUNIT_EXPECT_EQ(test, emulate(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, false), -EBUSY);
	KUNIT_EXPECT_EQ(test, emulate(test, VFIO_PCI_REQ_IRQ_INDEX, 0, true), -EINVAL);

	/* gone with its eventfd */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 0);
	KUNIT_EXPECT_EQ(test, fb->frees, 0);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	expect_no_refs(test);
}

static void vfio_pci_irq_test_emulated_intx(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;

	KUNIT_ASSERT_EQ(test, emulate(test, VFIO_PCI_INTX_IRQ_INDEX, 0, true), 0);
	KUNIT_ASSERT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.requests, 0);

	/* automasked: one signal until the user unmasks */
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 1);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 2);

	/* the user's mask silences it, loopback included */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 2);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 3);

	/* swapping the eventfd keeps the vector */
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       VFIO_PCI_INTX_IRQ_INDEX, 0, 1, NULL, 0),
			0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0,
				     FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 0);
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD + 1), 1);

	/* and without an eventfd it is silent */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_INTX_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_INTX_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, fd_dev->intx.frees, 0);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_no_backend(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct vfio_irq_info info;

	KUNIT_ASSERT_EQ(test, set_backend(test, VFIO_PCI_MSI_IRQ_INDEX, NULL), 0);

	/* a vector that is neither emulated nor backed cannot be used */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSI_IRQ_INDEX, 0, FAKE_FD),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	KUNIT_EXPECT_EQ(test, refs(test, FAKE_FD), 0);

	KUNIT_ASSERT_EQ(test, emulate(test, VFIO_PCI_MSI_IRQ_INDEX, 0, true), 0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSI_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_MSI_IRQ_INDEX, 0));
	KUNIT_EXPECT_EQ(test, signals(test, FAKE_FD), 1);
	KUNIT_EXPECT_EQ(test, fd_dev->msi.enables, 0);

	/* MSI stays NORESIZE, as PCI MSI cannot resize */
	KUNIT_EXPECT_EQ(test, get_info(test, VFIO_PCI_MSI_IRQ_INDEX, &info), 0);
	KUNIT_EXPECT_EQ(test, info.flags,
			VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);

	/* no backend to change while the index is enabled */
	KUNIT_EXPECT_EQ(test, set_backend(test, VFIO_PCI_MSI_IRQ_INDEX, &fd_dev->msi.be), -EBUSY);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSI_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS, VFIO_PCI_MSI_IRQ_INDEX,
				       0, 0, NULL, 0), -EINVAL);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_config(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct fake_backend *fb = &fd_dev->msix;
	union msi_instance_cookie c1 = { .value = 0x1234 };
	union msi_instance_cookie c2 = { .value = 0x5678 };
	s32 fds[2] = { FAKE_FD, FAKE_FD + 1 };
	struct vfio_pci_irq_vec *vec;

	KUNIT_ASSERT_EQ(test, set_cookie(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, &c1), 0);
	KUNIT_ASSERT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, fb->nvec, 2);
	KUNIT_EXPECT_EQ(test, fb->cookie[1].value, 0x1234);

	/* a new cookie leaves the vector in use alone ... */
	KUNIT_EXPECT_EQ(test, set_cookie(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, &c2), 0);
	vfio_pci_irq_lock(&fd_dev->irq);
	vec = vfio_pci_irq_vec(&fd_dev->irq, VFIO_PCI_MSIX_IRQ_INDEX, 1);
	KUNIT_EXPECT_NOT_NULL(test, vec);
	if (vec)
		KUNIT_EXPECT_EQ(test, vec->cookie.value, 0x1234);
	vfio_pci_irq_unlock(&fd_dev->irq);

	/* ... and applies the next time it gets an eventfd */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1,
				     FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, fb->cookie[1].value, 0x5678);

	/* configuration outlives the index */
	KUNIT_ASSERT_EQ(test, emulate(test, VFIO_PCI_MSIX_IRQ_INDEX, 2, true), 0);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	fb->cookie[1].value = 0;
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, 2, fds),
			0);
	KUNIT_EXPECT_EQ(test, fb->cookie[1].value, 0x5678);
	KUNIT_EXPECT_FALSE(test, test_bit(2, fb->requested));
	KUNIT_EXPECT_TRUE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 2));

	/* configuring a vector that is not in use is fine at any time */
	KUNIT_EXPECT_EQ(test, emulate(test, VFIO_PCI_MSIX_IRQ_INDEX, 7, true), 0);
	KUNIT_EXPECT_EQ(test, set_cookie(test, VFIO_PCI_INTX_IRQ_INDEX + 5, 0, &c1), -EINVAL);
}

static void vfio_pci_irq_test_close(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	s32 fds[3] = { FAKE_FD, FAKE_FD + 1, FAKE_FD + 2 };

	KUNIT_ASSERT_EQ(test, emulate(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, true), 0);
	KUNIT_ASSERT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, fds),
			0);
	vfio_pci_irq_close(&fd_dev->irq);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	KUNIT_EXPECT_EQ(test, fd_dev->msix.enabled, 0);
	KUNIT_EXPECT_EQ(test, fd_dev->msix.requests, fd_dev->msix.frees);
	KUNIT_EXPECT_FALSE(test, sig(test, VFIO_PCI_MSIX_IRQ_INDEX, 0));
	expect_no_refs(test);

	/* and the device can be opened again */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_INTX_IRQ_INDEX, 0, FAKE_FD),
			0);
	vfio_pci_irq_disable(&fd_dev->irq);
	KUNIT_EXPECT_EQ(test, vfio_pci_irq_active(&fd_dev->irq),
			VFIO_PCI_IRQ_NONE);
	expect_no_refs(test);
}

static void vfio_pci_irq_test_err_req(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	u8 one = 1;

	/* no REQ eventfd: loopback fails, disabling is fine */
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_NONE,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_BOOL,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &one, 1),
			0);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_BOOL,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 0, NULL, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_REQ_IRQ_INDEX, 0, -1), 0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_REQ_IRQ_INDEX, 0, -2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_REQ_IRQ_INDEX, 0, BAD_FD),
			-EBADF);
	KUNIT_EXPECT_EQ(test, set_irqs(test, TRIGGER_FDS,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 0, NULL, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, set_irqs(test, VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_MASK,
				       VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL, 0),
			-ENOTTY);
	KUNIT_EXPECT_FALSE(test, vfio_pci_irq_signal_req(&fd_dev->irq));
	KUNIT_EXPECT_FALSE(test, vfio_pci_irq_signal_err(&fd_dev->irq));

	/* ERR is not offered by this device */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_ERR_IRQ_INDEX, 0, -1),
			-EINVAL);
	/* and REQ is independent of the enabled index */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSI_IRQ_INDEX, 0, FAKE_FD),
			0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_REQ_IRQ_INDEX, 0, -1), 0);
}

/* An irq bypass consumer, as KVM's irqfd for an eventfd */
struct test_consumer {
	struct irq_bypass_consumer	cons;
	int				adds;
	int				dels;
	int				irq;
};

static int test_add_producer(struct irq_bypass_consumer *cons,
			     struct irq_bypass_producer *prod)
{
	struct test_consumer *tc = container_of(cons, struct test_consumer,
						cons);

	tc->adds++;
	tc->irq = prod->irq;
	return 0;
}

static void test_del_producer(struct irq_bypass_consumer *cons,
			      struct irq_bypass_producer *prod)
{
	struct test_consumer *tc = container_of(cons, struct test_consumer,
						cons);

	tc->dels++;
	tc->irq = 0;
}

/*
 * A backend vector with a Linux interrupt registers an irq bypass
 * producer with its eventfd as the token, so that a consumer of that
 * eventfd (KVM) can post the interrupt; it goes with the eventfd, and
 * emulated vectors register none.
 */
static void vfio_pci_irq_test_bypass(struct kunit *test)
{
	struct fake_dev *fd_dev = test->priv;
	struct test_consumer tc = {
		.cons.token = &fd_dev->efd[1],
		.cons.add_producer = test_add_producer,
		.cons.del_producer = test_del_producer,
	};
	s32 fds[2] = { FAKE_FD, FAKE_FD + 1 };
	s32 emul[3] = { -1, -1, FAKE_FD + 1 };

	fd_dev->msix.virq_base = 5000;
	KUNIT_ASSERT_EQ(test, irq_bypass_register_consumer(&tc.cons), 0);

	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, fds),
			0);
	KUNIT_EXPECT_EQ(test, tc.adds, 1);
	KUNIT_EXPECT_EQ(test, tc.irq, 5001);

	/* another eventfd: the producer leaves the consumer */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1,
				     FAKE_FD + 2), 0);
	KUNIT_EXPECT_EQ(test, tc.dels, 1);
	KUNIT_EXPECT_EQ(test, tc.adds, 1);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1,
				     FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, tc.adds, 2);
	KUNIT_EXPECT_EQ(test, tc.irq, 5001);

	/* no eventfd, then one again; vector 0 never touches it */
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1, -1), 0);
	KUNIT_EXPECT_EQ(test, tc.dels, 2);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 1,
				     FAKE_FD + 1), 0);
	KUNIT_EXPECT_EQ(test, set_fd(test, VFIO_PCI_MSIX_IRQ_INDEX, 0,
				     FAKE_FD + 3), 0);
	KUNIT_EXPECT_EQ(test, tc.adds, 3);
	KUNIT_EXPECT_EQ(test, tc.dels, 2);

	/* the index disabled */
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);
	KUNIT_EXPECT_EQ(test, tc.dels, 3);
	KUNIT_EXPECT_EQ(test, tc.irq, 0);

	/* an emulated vector has no interrupt to post */
	KUNIT_ASSERT_EQ(test, vfio_pci_irq_set_emulated(&fd_dev->irq,
							VFIO_PCI_MSIX_IRQ_INDEX,
							2, true), 0);
	KUNIT_EXPECT_EQ(test, set_fds(test, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, emul),
			0);
	KUNIT_EXPECT_EQ(test, tc.adds, 3);
	KUNIT_EXPECT_EQ(test, disable(test, VFIO_PCI_MSIX_IRQ_INDEX), 0);

	irq_bypass_unregister_consumer(&tc.cons);
	KUNIT_EXPECT_EQ(test, tc.dels, 3);
}

static struct kunit_case vfio_pci_irq_test_cases[] = {
	KUNIT_CASE(vfio_pci_irq_test_info),
	KUNIT_CASE(vfio_pci_irq_test_info_argsz),
	KUNIT_CASE(vfio_pci_irq_test_validation),
	KUNIT_CASE(vfio_pci_irq_test_exclusive),
	KUNIT_CASE(vfio_pci_irq_test_vectors),
	KUNIT_CASE(vfio_pci_irq_test_enable_fails),
	KUNIT_CASE(vfio_pci_irq_test_loopback),
	KUNIT_CASE(vfio_pci_irq_test_intx),
	KUNIT_CASE(vfio_pci_irq_test_emulated),
	KUNIT_CASE(vfio_pci_irq_test_emulated_intx),
	KUNIT_CASE(vfio_pci_irq_test_no_backend),
	KUNIT_CASE(vfio_pci_irq_test_config),
	KUNIT_CASE(vfio_pci_irq_test_close),
	KUNIT_CASE(vfio_pci_irq_test_err_req),
	KUNIT_CASE(vfio_pci_irq_test_bypass),
	{}
};

static struct kunit_suite vfio_pci_irq_test_suite = {
	.name = "vfio_pci_irq",
	.init = vfio_pci_irq_test_init,
	.exit = vfio_pci_irq_test_exit,
	.test_cases = vfio_pci_irq_test_cases,
};

kunit_test_suite(vfio_pci_irq_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the VFIO PCI interrupt frontend");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
