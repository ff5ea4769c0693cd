// SPDX-License-Identifier: GPL-2.0-only
/*
 * idxd vdev: VFIO migration v2.
 *
 * The vdev offers STOP_COPY, P2P and PRE_COPY.  Its state is small (the
 * virtual config space, BAR0 and the interrupts), so it is saved whole
 * once the vdev is stopped; PRE_COPY only sends its description early, so
 * that a destination that cannot present the same device refuses the
 * stream before the source stops.
 *
 * Stopping the vdev (RUNNING_P2P -> STOP, and PRE_COPY_P2P -> STOP_COPY)
 * blocks its portals, which then map the sink page, and drains the host
 * WQs of the WQs the guest has enabled: the descriptors the guest queued
 * complete, and their completion records and interrupts reach the guest
 * before the state is saved.  A guest's drain that was in progress
 * completes with it.  The drain runs in a work item, so that the
 * wait for it has a bound (drain_timeout_ms); a drain that does not end
 * within it fails the arc with -ETIMEDOUT and leaves the vdev in ERROR,
 * from which only a reset takes it.  While stopped the vdev raises no
 * interrupt and delivers no host event: both wait until it runs again.
 * RUNNING_P2P stops nothing: the portals are written by the CPU or by a
 * peer's DMA, and both are drained by the stop that follows.
 *
 * The device state is a stream of records after a header.  A record has
 * a type, flags and a length, so that a later version may add records a
 * reader that does not know them skips (IDXD_VDEV_REC_OPTIONAL).  See
 * Documentation/driver-api/vfio-idxd-vdev.rst for the layout.  On the
 * destination everything written is checked as it arrives: the header,
 * each record's length, and the composition, which must be the
 * destination's own.  RESUMING -> STOP checks the rest and loads it; a
 * stream that is refused is discarded, with one log line, and leaves the
 * vdev as it was.
 *
 * The handles a guest holds name IMS entries of the source's DSA.  When
 * the destination runs, each vector whose handle the guest held is
 * compared with its entry here; where one differs or is missing, vector 0
 * raises INT_HANDLE_REVOKED, upon which the guest's driver asks for its
 * handles again, as after a reset of the DSA.
 *
 * Locking: the state machine runs under the vdev's lock.  A data file has
 * a lock of its own for its buffer, which nests inside the vdev's lock;
 * reads and writes of the file take only the file's lock.  The vdev holds
 * a reference on each data file it has, and disables the file before it
 * drops it: the user's descriptor may outlive the vdev.
 */

#include <linux/anon_inodes.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "vdev.h"

static unsigned int drain_timeout_ms = 10000;
module_param(drain_timeout_ms, uint, 0644);
MODULE_PARM_DESC(drain_timeout_ms,
		 "How long a stop for migration waits for the vdev's host WQs to drain, in ms; 0: do not wait (default: 10000)");

#define IDXD_VDEV_MIG_MAGIC		"IDXDVMIG"
#define IDXD_VDEV_MIG_VERSION		1
#define IDXD_VDEV_MIG_MAX		SZ_64K

/* The types of the records of the device state stream */
#define IDXD_VDEV_REC_COMPOSITION	1
#define IDXD_VDEV_REC_CONFIG		2
#define IDXD_VDEV_REC_BAR0		3
#define IDXD_VDEV_REC_IRQ		4
#define IDXD_VDEV_REC_EVENTS		5
#define IDXD_VDEV_REC_END		0xffff
/* A reader that does not know the record's type skips it. */
#define IDXD_VDEV_REC_OPTIONAL		BIT(0)

/* The IRQ record's flags: of the record, and of each vector */
#define IDXD_VDEV_MIG_V0_PENDING	BIT(0)
#define IDXD_VDEV_MIG_VEC_GRANTED	BIT(0)
#define IDXD_VDEV_MIG_VEC_PENDING	BIT(1)

struct idxd_vdev_mig_hdr {
	u8	magic[8];
	__le32	version;
	__le32	hdr_len;
};

struct idxd_vdev_mig_rec {
	__le16	type;
	__le16	flags;
	__le32	len;
};

/*
 * The composition: what the vdev is made of and copies from its host,
 * which a destination must present the same.
 */
struct idxd_vdev_mig_comp {
	__le32	nwqs;
	__le32	revision;
	__le64	gencap;
	__le64	wqcap;
	__le64	grpcap;
	__le64	engcap;
	__le64	opcap;
	struct {
		__le32	size;
		__le32	priority;
		__le32	max_xfer_shift;
		__le32	max_batch_shift;
	} wq[IDXD_VDEV_MAX_WQS];
};

struct idxd_vdev_mig_irq {
	__le32	nvec;
	__le32	flags;
	struct {
		__le32	flags;
		__le32	handle;
	} vec[IDXD_VDEV_MAX_VECS];
};

/* A host software error not yet in the virtual SWERR */
struct idxd_vdev_mig_events {
	__le64	swerr[4];
	__le32	overflow;
	__le32	rsvd;
};

/**
 * struct idxd_vdev_mig_file - a data file of the migration
 * @filp: the file
 * @lock: protects the fields below
 * @v: the vdev, while the file is enabled
 * @buf: the stream
 * @len: the bytes in @buf
 * @avail: saving: the bytes of @buf the reader may read now
 * @pos: saving: the bytes read
 * @precopy: saving: the vdev is in PRE_COPY or PRE_COPY_P2P, so the end
 *	     of what is available is not the end of the stream
 * @disabled: the vdev let go of the file; it reads and writes nothing
 * @comp: resuming: the vdev's composition, for checking the stream's
 * @comp_len: the length of @comp's record
 */
struct idxd_vdev_mig_file {
	struct file			*filp;
	struct mutex			lock; /* see above */
	struct idxd_vdev		*v;
	u8				*buf;
	size_t				len;
	size_t				avail;
	size_t				pos;
	bool				precopy;
	bool				disabled;
	struct idxd_vdev_mig_comp	comp;
	u32				comp_len;
};

/* What a stream holds, found by mig_parse() */
struct idxd_vdev_mig_parsed {
	const struct idxd_vdev_mig_comp		*comp;
	const u8				*cfg;
	const u8				*bar0;
	const struct idxd_vdev_mig_irq		*irq;
	const struct idxd_vdev_mig_events	*events;
	bool					end;
};

static u32 mig_comp_len(unsigned int nwqs)
{
	return offsetof(struct idxd_vdev_mig_comp, wq) +
	       nwqs * sizeof_field(struct idxd_vdev_mig_comp, wq[0]);
}

static u32 mig_irq_len(unsigned int nvec)
{
	return offsetof(struct idxd_vdev_mig_irq, vec) +
	       nvec * sizeof_field(struct idxd_vdev_mig_irq, vec[0]);
}

static size_t mig_rec_size(u32 len)
{
	return sizeof(struct idxd_vdev_mig_rec) + ALIGN(len, 8);
}

/* The size of the stream of @v: header, the description, the state */
static size_t mig_size(struct idxd_vdev *v)
{
	return sizeof(struct idxd_vdev_mig_hdr) +
	       mig_rec_size(mig_comp_len(v->nwqs)) +
	       mig_rec_size(IDXD_VDEV_CFG_SIZE) +
	       mig_rec_size(IDXD_VDEV_BAR0_SIZE) +
	       mig_rec_size(mig_irq_len(idxd_vdev_nvec(v))) +
	       mig_rec_size(sizeof(struct idxd_vdev_mig_events)) +
	       mig_rec_size(0);
}

/* The composition of @v, from the registers its host gave it */
static u32 mig_comp(struct idxd_vdev *v, struct idxd_vdev_mig_comp *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->nwqs = cpu_to_le32(v->nwqs);
	c->revision = cpu_to_le32(v->cfg[PCI_REVISION_ID]);
	c->gencap = cpu_to_le64(idxd_vdev_r64(v, IDXD_GENCAP_OFFSET));
	c->wqcap = cpu_to_le64(idxd_vdev_r64(v, IDXD_WQCAP_OFFSET));
	c->grpcap = cpu_to_le64(idxd_vdev_r64(v, IDXD_GRPCAP_OFFSET));
	c->engcap = cpu_to_le64(idxd_vdev_r64(v, IDXD_ENGCAP_OFFSET));
	c->opcap = cpu_to_le64(idxd_vdev_r64(v, IDXD_OPCAP_OFFSET));
	for (i = 0; i < v->nwqs; i++) {
		struct idxd_wq *wq = idxd_vdev_host_wq(v, i);

		c->wq[i].size = cpu_to_le32(wq->size);
		c->wq[i].priority = cpu_to_le32(wq->priority);
		c->wq[i].max_xfer_shift = cpu_to_le32(ilog2(wq->max_xfer_bytes));
		c->wq[i].max_batch_shift =
			cpu_to_le32(wq->max_batch_size ?
				    ilog2(wq->max_batch_size) : 0);
	}
	return mig_comp_len(v->nwqs);
}

/*
 * Compare the source's composition @src with @mine, and name the first
 * difference.  @src has @mine's WQ count once that is checked.
 */
static int mig_comp_check(struct idxd_vdev *v,
			  const struct idxd_vdev_mig_comp *mine,
			  const struct idxd_vdev_mig_comp *src)
{
	static const char * const wq_field[] = {
		"size", "priority", "max_xfer_shift", "max_batch_shift",
	};
	static const char * const reg[] = {
		"GENCAP", "WQCAP", "GRPCAP", "ENGCAP", "OPCAP",
	};
	const __le64 *mr = &mine->gencap, *sr = &src->gencap;
	unsigned int i, f;

	if (src->nwqs != mine->nwqs) {
		dev_warn(&v->vdev.device,
			 "migration refused: the source has %u WQs, this vdev %u\n",
			 le32_to_cpu(src->nwqs), le32_to_cpu(mine->nwqs));
		return -EINVAL;
	}
	for (i = 0; i < v->nwqs; i++) {
		const __le32 *m = &mine->wq[i].size, *s = &src->wq[i].size;

		for (f = 0; f < ARRAY_SIZE(wq_field); f++) {
			if (m[f] == s[f])
				continue;
			dev_warn(&v->vdev.device,
				 "migration refused: WQ %u %s is %u on the source, %u here\n",
				 i, wq_field[f], le32_to_cpu(s[f]),
				 le32_to_cpu(m[f]));
			return -EINVAL;
		}
	}
	for (f = 0; f < ARRAY_SIZE(reg); f++) {
		if (mr[f] == sr[f])
			continue;
		dev_warn(&v->vdev.device,
			 "migration refused: %s is %#llx on the source, %#llx here\n",
			 reg[f], le64_to_cpu(sr[f]), le64_to_cpu(mr[f]));
		return -EINVAL;
	}
	if (src->revision != mine->revision) {
		dev_warn(&v->vdev.device,
			 "migration refused: revision %u on the source, %u here\n",
			 le32_to_cpu(src->revision), le32_to_cpu(mine->revision));
		return -EINVAL;
	}
	return 0;
}

/*
 * Check one record: its length for its type, its place, and the contents
 * that can be checked alone.  Returns 1 for a record to skip.
 */
static int mig_check_rec(struct idxd_vdev *v, struct idxd_vdev_mig_file *f,
			 struct idxd_vdev_mig_parsed *p, u16 type, u16 flags,
			 u32 len, const void *data, bool complete)
{
	const struct idxd_vdev_mig_irq *irq = data;
	const void **slot;
	u32 want, per_wq;

	if (type != IDXD_VDEV_REC_COMPOSITION && !p->comp) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: record %u before the composition\n",
			 type);
		return -EINVAL;
	}
	switch (type) {
	case IDXD_VDEV_REC_COMPOSITION:
		slot = (const void **)&p->comp;
		want = f->comp_len;
		per_wq = mig_comp_len(1) - mig_comp_len(0);
		if (len != want && len > mig_comp_len(0) &&
		    !((len - mig_comp_len(0)) % per_wq)) {
			dev_warn(&v->vdev.device,
				 "migration refused: the source has %u WQs, this vdev %u\n",
				 (len - mig_comp_len(0)) / per_wq, v->nwqs);
			return -EINVAL;
		}
		break;
	case IDXD_VDEV_REC_CONFIG:
		slot = (const void **)&p->cfg;
		want = IDXD_VDEV_CFG_SIZE;
		break;
	case IDXD_VDEV_REC_BAR0:
		slot = (const void **)&p->bar0;
		want = IDXD_VDEV_BAR0_SIZE;
		break;
	case IDXD_VDEV_REC_IRQ:
		slot = (const void **)&p->irq;
		want = mig_irq_len(idxd_vdev_nvec(v));
		break;
	case IDXD_VDEV_REC_EVENTS:
		slot = (const void **)&p->events;
		want = sizeof(struct idxd_vdev_mig_events);
		break;
	case IDXD_VDEV_REC_END:
		p->end = true;
		want = 0;
		slot = NULL;
		break;
	default:
		if (flags & IDXD_VDEV_REC_OPTIONAL)
			return 1;
		dev_warn(&v->vdev.device,
			 "migration stream refused: unknown record %u\n", type);
		return -EINVAL;
	}
	if (len != want) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: record %u of %u bytes, %u expected\n",
			 type, len, want);
		return -EINVAL;
	}
	if (slot && *slot) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: record %u twice\n", type);
		return -EINVAL;
	}
	if (!complete)
		return 0;
	if (slot)
		*slot = data;

	if (type == IDXD_VDEV_REC_COMPOSITION)
		return mig_comp_check(v, &f->comp, data);
	if (type == IDXD_VDEV_REC_IRQ &&
	    (le32_to_cpu(irq->nvec) != idxd_vdev_nvec(v) ||
	     le32_to_cpu(irq->flags) & ~IDXD_VDEV_MIG_V0_PENDING)) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: interrupts of %u vectors, flags %#x\n",
			 le32_to_cpu(irq->nvec), le32_to_cpu(irq->flags));
		return -EINVAL;
	}
	return 0;
}

/**
 * mig_parse() - check what was written of a stream
 * @v: the vdev
 * @f: its resuming data file, its lock held
 * @p: set to what the stream holds
 * @whole: the stream must be complete
 *
 * Records not yet written whole are checked as far as they are written
 * and left for a later call.
 *
 * Return: 0, or -EINVAL with a log line.
 */
static int mig_parse(struct idxd_vdev *v, struct idxd_vdev_mig_file *f,
		     struct idxd_vdev_mig_parsed *p, bool whole)
{
	const struct idxd_vdev_mig_hdr *hdr = (const void *)f->buf;
	size_t off = sizeof(*hdr), len = f->len;
	int rc;

	memset(p, 0, sizeof(*p));
	if (len >= sizeof(hdr->magic) &&
	    memcmp(hdr->magic, IDXD_VDEV_MIG_MAGIC, sizeof(hdr->magic))) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: not an idxd vdev's state\n");
		return -EINVAL;
	}
	if (len < sizeof(*hdr))
		goto incomplete;
	if (le32_to_cpu(hdr->version) != IDXD_VDEV_MIG_VERSION ||
	    le32_to_cpu(hdr->hdr_len) != sizeof(*hdr)) {
		dev_warn(&v->vdev.device,
			 "migration stream refused: version %u, header of %u bytes; this kernel reads version %u\n",
			 le32_to_cpu(hdr->version), le32_to_cpu(hdr->hdr_len),
			 IDXD_VDEV_MIG_VERSION);
		return -EINVAL;
	}

	while (off < len) {
		const struct idxd_vdev_mig_rec *rec = (const void *)&f->buf[off];
		bool complete;
		u32 rlen;

		if (p->end) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: data after its end\n");
			return -EINVAL;
		}
		if (len - off < sizeof(*rec))
			goto incomplete;
		rlen = le32_to_cpu(rec->len);
		if (rlen > IDXD_VDEV_MIG_MAX) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: record %u of %u bytes\n",
				 le16_to_cpu(rec->type), rlen);
			return -EINVAL;
		}
		complete = len - off >= mig_rec_size(rlen);
		rc = mig_check_rec(v, f, p, le16_to_cpu(rec->type),
				   le16_to_cpu(rec->flags), rlen, rec + 1,
				   complete);
		if (rc < 0)
			return rc;
		if (!complete)
			goto incomplete;
		off += mig_rec_size(rlen);
	}
	if (!whole || p->end)
		return 0;

incomplete:
	if (!whole)
		return 0;
	if (!len)
		dev_warn(&v->vdev.device,
			 "migration stream refused: nothing was written\n");
	else
		dev_warn(&v->vdev.device,
			 "migration stream refused: it ends after %zu bytes, without its end record\n",
			 len);
	return -EINVAL;
}

/* Append a record to a saving file's buffer; returns its payload. */
static void *mig_put_rec(struct idxd_vdev_mig_file *f, u16 type, u32 len)
{
	struct idxd_vdev_mig_rec *rec = (void *)&f->buf[f->len];

	rec->type = cpu_to_le16(type);
	rec->flags = 0;
	rec->len = cpu_to_le32(len);
	f->len += mig_rec_size(len);
	return rec + 1;
}

/* The header and the composition: what PRE_COPY sends early. */
static void mig_save_desc(struct idxd_vdev *v, struct idxd_vdev_mig_file *f)
{
	struct idxd_vdev_mig_hdr *hdr = (void *)f->buf;
	struct idxd_vdev_mig_comp c;
	u32 len;

	memcpy(hdr->magic, IDXD_VDEV_MIG_MAGIC, sizeof(hdr->magic));
	hdr->version = cpu_to_le32(IDXD_VDEV_MIG_VERSION);
	hdr->hdr_len = cpu_to_le32(sizeof(*hdr));
	f->len = sizeof(*hdr);
	len = mig_comp(v, &c);
	memcpy(mig_put_rec(f, IDXD_VDEV_REC_COMPOSITION, len), &c, len);
}

/* The state of the stopped vdev, after its description */
static void mig_save_state(struct idxd_vdev *v, struct idxd_vdev_mig_file *f)
{
	struct idxd_vdev_mig_events *ev;
	struct idxd_vdev_mig_irq *irq;
	unsigned long pending, granted;
	u16 handle[IDXD_VDEV_MAX_VECS];
	unsigned int n;
	bool v0;
	u8 *bar0;

	lockdep_assert_held(&v->lock);
	memcpy(mig_put_rec(f, IDXD_VDEV_REC_CONFIG, IDXD_VDEV_CFG_SIZE),
	       v->cfg, IDXD_VDEV_CFG_SIZE);
	bar0 = mig_put_rec(f, IDXD_VDEV_REC_BAR0, IDXD_VDEV_BAR0_SIZE);
	memcpy(bar0, v->bar0, IDXD_VDEV_BAR0_SIZE);
	put_unaligned_le32(atomic_read(&v->intcause),
			   &bar0[IDXD_INTCAUSE_OFFSET]);
	memset(&bar0[IDXD_VDEV_MSIX_PBA_OFFSET], 0,
	       IDXD_VDEV_BAR0_SIZE - IDXD_VDEV_MSIX_PBA_OFFSET);

	idxd_vdev_irq_save(v, &v0, &pending, &granted, handle);
	irq = mig_put_rec(f, IDXD_VDEV_REC_IRQ, mig_irq_len(idxd_vdev_nvec(v)));
	irq->nvec = cpu_to_le32(idxd_vdev_nvec(v));
	irq->flags = cpu_to_le32(v0 ? IDXD_VDEV_MIG_V0_PENDING : 0);
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		u32 fl = 0;

		if (test_bit(n, &granted))
			fl |= IDXD_VDEV_MIG_VEC_GRANTED;
		if (test_bit(n, &pending))
			fl |= IDXD_VDEV_MIG_VEC_PENDING;
		irq->vec[n].flags = cpu_to_le32(fl);
		irq->vec[n].handle = cpu_to_le32(handle[n]);
	}

	ev = mig_put_rec(f, IDXD_VDEV_REC_EVENTS, sizeof(*ev));
	spin_lock(&v->err_lock);
	if (v->err.valid)
		for (n = 0; n < 4; n++)
			ev->swerr[n] = cpu_to_le64(v->err.bits[n]);
	ev->overflow = cpu_to_le32(v->err_overflow);
	spin_unlock(&v->err_lock);

	mig_put_rec(f, IDXD_VDEV_REC_END, 0);
	WARN_ON_ONCE(f->len != mig_size(v));
}

/* Load a checked stream into the stopped vdev. */
static int mig_load(struct idxd_vdev *v, const struct idxd_vdev_mig_parsed *p)
{
	union sw_err_reg err = { .bits = { 0 } };
	unsigned long pending = 0;
	unsigned int n;
	int rc;

	lockdep_assert_held(&v->lock);
	if (p->events) {
		for (n = 0; n < 4; n++)
			err.bits[n] = le64_to_cpu(p->events->swerr[n]);
		if (err.valid && err.wq_idx >= v->nwqs) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: a software error of WQ %u\n",
				 err.wq_idx);
			return -EINVAL;
		}
	}
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		if (le32_to_cpu(p->irq->vec[n].flags) &
		    ~(IDXD_VDEV_MIG_VEC_GRANTED | IDXD_VDEV_MIG_VEC_PENDING) ||
		    le32_to_cpu(p->irq->vec[n].handle) > U16_MAX) {
			dev_warn(&v->vdev.device,
				 "migration stream refused: vector %u flags %#x handle %#x\n",
				 n, le32_to_cpu(p->irq->vec[n].flags),
				 le32_to_cpu(p->irq->vec[n].handle));
			return -EINVAL;
		}
	}
	rc = idxd_vdev_emu_restore(v, p->cfg, p->bar0);
	if (rc)
		return rc;

	v->mig_granted = 0;
	for (n = 1; n < idxd_vdev_nvec(v); n++) {
		u32 fl = le32_to_cpu(p->irq->vec[n].flags);

		v->mig_handle[n] = le32_to_cpu(p->irq->vec[n].handle);
		if (fl & IDXD_VDEV_MIG_VEC_GRANTED)
			__set_bit(n, &v->mig_granted);
		if (fl & IDXD_VDEV_MIG_VEC_PENDING)
			__set_bit(n, &pending);
	}
	v->mig_restored = true;
	idxd_vdev_irq_restore(v, le32_to_cpu(p->irq->flags) &
			      IDXD_VDEV_MIG_V0_PENDING, pending);

	if (p->events && err.valid) {
		spin_lock(&v->err_lock);
		v->err = err;
		v->err_overflow = !!le32_to_cpu(p->events->overflow);
		spin_unlock(&v->err_lock);
		set_bit(IDXD_VDEV_EV_SWERR, &v->events);
	}
	return 0;
}

/* The data files */

static int mig_release(struct inode *inode, struct file *filp)
{
	struct idxd_vdev_mig_file *f = filp->private_data;

	mutex_destroy(&f->lock);
	kvfree(f->buf);
	kfree(f);
	return 0;
}

static ssize_t mig_read(struct file *filp, char __user *buf, size_t count,
			loff_t *ppos)
{
	struct idxd_vdev_mig_file *f = filp->private_data;
	ssize_t rc;
	size_t n;

	mutex_lock(&f->lock);
	if (f->disabled) {
		rc = -ENODEV;
	} else if (f->pos == f->avail) {
		/* PRE_COPY's end of what is there now is not the end. */
		rc = f->precopy ? -ENOMSG : 0;
	} else {
		n = min(count, f->avail - f->pos);
		if (copy_to_user(buf, &f->buf[f->pos], n)) {
			rc = -EFAULT;
		} else {
			f->pos += n;
			rc = n;
		}
	}
	mutex_unlock(&f->lock);
	return rc;
}

static long mig_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct idxd_vdev_mig_file *f = filp->private_data;
	unsigned long minsz = offsetofend(struct vfio_precopy_info, dirty_bytes);
	struct vfio_precopy_info info;
	int rc = 0;

	if (cmd != VFIO_MIG_GET_PRECOPY_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;

	mutex_lock(&f->lock);
	if (f->disabled) {
		rc = -ENODEV;
	} else if (!f->precopy) {
		rc = -EINVAL;
	} else {
		/* The state changes only once the vdev is stopped. */
		info.initial_bytes = f->avail - f->pos;
		info.dirty_bytes = 0;
	}
	mutex_unlock(&f->lock);
	if (rc)
		return rc;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct file_operations idxd_vdev_save_fops = {
	.owner		= THIS_MODULE,
	.read		= mig_read,
	.unlocked_ioctl	= mig_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= mig_release,
};

static ssize_t mig_write(struct file *filp, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct idxd_vdev_mig_file *f = filp->private_data;
	struct idxd_vdev_mig_parsed p;
	ssize_t rc = count;

	mutex_lock(&f->lock);
	if (f->disabled) {
		rc = -ENODEV;
		goto out;
	}
	if (count > IDXD_VDEV_MIG_MAX - f->len) {
		dev_warn(&f->v->vdev.device,
			 "migration stream refused: more than %u bytes\n",
			 IDXD_VDEV_MIG_MAX);
		rc = -EFBIG;
		f->len = 0;
		goto out;
	}
	if (copy_from_user(&f->buf[f->len], buf, count)) {
		rc = -EFAULT;
		goto out;
	}
	f->len += count;
	/* What a refused stream wrote is discarded. */
	if (mig_parse(f->v, f, &p, false)) {
		f->len = 0;
		rc = -EINVAL;
	}
out:
	mutex_unlock(&f->lock);
	return rc;
}

static const struct file_operations idxd_vdev_resume_fops = {
	.owner		= THIS_MODULE,
	.write		= mig_write,
	.release	= mig_release,
};

/*
 * A new data file, for saving (read) or for resuming (write).  The file
 * holds the reference the caller returns to the user; the vdev takes one
 * of its own.
 */
static struct idxd_vdev_mig_file *mig_file_new(struct idxd_vdev *v,
					       bool resuming)
{
	struct idxd_vdev_mig_file *f;
	struct file *filp;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->buf = kvzalloc(resuming ? IDXD_VDEV_MIG_MAX : mig_size(v),
			  GFP_KERNEL_ACCOUNT);
	if (!f->buf) {
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&f->lock);
	f->v = v;
	if (resuming)
		f->comp_len = mig_comp(v, &f->comp);
	filp = anon_inode_getfile("[idxd_vdev_mig]",
				  resuming ? &idxd_vdev_resume_fops :
					     &idxd_vdev_save_fops,
				  f, resuming ? O_WRONLY : O_RDONLY);
	if (IS_ERR(filp)) {
		mutex_destroy(&f->lock);
		kvfree(f->buf);
		kfree(f);
		return ERR_CAST(filp);
	}
	stream_open(filp->f_inode, filp);
	f->filp = filp;
	get_file(filp);
	return f;
}

/* The vdev lets go of a data file: it reads and writes nothing more. */
static void mig_file_put(struct idxd_vdev_mig_file **fp)
{
	struct idxd_vdev_mig_file *f = *fp;

	if (!f)
		return;
	*fp = NULL;
	mutex_lock(&f->lock);
	f->disabled = true;
	f->v = NULL;
	f->len = 0;
	f->avail = 0;
	f->pos = 0;
	mutex_unlock(&f->lock);
	fput(f->filp);
}

/* The state machine */

/*
 * The portals of a stopped vdev take nothing, so its host WQs empty: each
 * is drained once it holds no descriptor (idxd_vdev_drain_idle()), which
 * leaves the DSA's command channel to the others meanwhile.  The work
 * gives up when the vdev is reset.
 */
static void idxd_vdev_drain_work(struct work_struct *work)
{
	struct idxd_vdev *v = container_of(work, struct idxd_vdev, drain_work);
	unsigned long wqs = v->drain_wqs;

	while ((wqs = idxd_vdev_drain_idle(v, wqs)) &&
	       !READ_ONCE(v->drain_cancel))
		usleep_range(500, 1000);
	complete(&v->drain_done);
}

/**
 * mig_stop() - stop the vdev for migration
 * @v: the vdev, its lock held
 *
 * The portals take no more descriptors, and those the host WQs took
 * complete: the drain runs in the drain work, which is waited for at most
 * drain_timeout_ms.
 *
 * Return: 0, or -ETIMEDOUT if the drain did not end in time.
 */
static int mig_stop(struct idxd_vdev *v)
{
	unsigned int ms = READ_ONCE(drain_timeout_ms);

	lockdep_assert_held(&v->lock);
	idxd_vdev_portal_set_stopped(v, true);
	/* A guest's drain or disable in progress waits for its WQs too. */
	v->drain_wqs = (v->wq_enabled | v->cmd_wqs) & ~READ_ONCE(v->gone);
	if (v->drain_wqs) {
		reinit_completion(&v->drain_done);
		WRITE_ONCE(v->drain_cancel, false);
		queue_work(system_unbound_wq, &v->drain_work);
		if (!ms || !wait_for_completion_timeout(&v->drain_done,
							msecs_to_jiffies(ms))) {
			dev_warn(&v->vdev.device,
				 "stop for migration failed: the host WQs did not drain within %u ms\n",
				 ms);
			return -ETIMEDOUT;
		}
	}
	idxd_vdev_cmd_stopped(v);
	return 0;
}

/*
 * Run the vdev again: the portals take descriptors, and the interrupts and
 * host events held while it was stopped are delivered.  After a restore,
 * the handles the guest held are checked against this host's entries.
 */
static void mig_run(struct idxd_vdev *v)
{
	unsigned long stale;

	lockdep_assert_held(&v->lock);
	idxd_vdev_portal_set_stopped(v, false);
	if (v->mig_restored) {
		v->mig_restored = false;
		stale = idxd_vdev_irq_recheck(v, v->mig_granted, v->mig_handle);
		if (stale && !idxd_vdev_lost(v)) {
			dev_info(&v->vdev.device,
				 "migrated: the guest's handles of vectors %#lx are not this host's; revoking them\n",
				 stale);
			idxd_vdev_irq_raise(v, IDXD_INTC_INT_HANDLE_REVOKED);
		}
	}
	idxd_vdev_irq_deliver_held(v);
	if (READ_ONCE(v->events))
		schedule_work(&v->event_work);
}

/* Start saving: a vdev that lost a WQ has no state to give. */
static struct file *mig_save_start(struct idxd_vdev *v, bool precopy)
{
	struct idxd_vdev_mig_file *f;

	if (idxd_vdev_lost(v)) {
		dev_warn(&v->vdev.device,
			 "not migrated: a WQ of the vdev was unbound\n");
		return ERR_PTR(-ENODEV);
	}
	f = mig_file_new(v, false);
	if (IS_ERR(f))
		return ERR_CAST(f);
	mig_save_desc(v, f);
	if (!precopy)
		mig_save_state(v, f);
	f->avail = f->len;
	f->precopy = precopy;
	v->saving = f;
	return f->filp;
}

static struct file *mig_step(struct idxd_vdev *v,
			     enum vfio_device_mig_state cur,
			     enum vfio_device_mig_state next)
{
	struct idxd_vdev_mig_file *f;
	struct idxd_vdev_mig_parsed p;
	int rc;

	if ((cur == VFIO_DEVICE_STATE_RUNNING &&
	     next == VFIO_DEVICE_STATE_RUNNING_P2P) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	     next == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     next == VFIO_DEVICE_STATE_PRE_COPY_P2P) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     next == VFIO_DEVICE_STATE_PRE_COPY))
		return NULL;

	if (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	    next == VFIO_DEVICE_STATE_STOP) {
		rc = mig_stop(v);
		return rc ? ERR_PTR(rc) : NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RUNNING_P2P) {
		mig_run(v);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_STOP_COPY)
		return mig_save_start(v, false);
	if ((cur == VFIO_DEVICE_STATE_RUNNING &&
	     next == VFIO_DEVICE_STATE_PRE_COPY) ||
	    (cur == VFIO_DEVICE_STATE_RUNNING_P2P &&
	     next == VFIO_DEVICE_STATE_PRE_COPY_P2P))
		return mig_save_start(v, true);
	if (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	    next == VFIO_DEVICE_STATE_STOP_COPY) {
		/* The same file goes on with the state. */
		rc = mig_stop(v);
		if (rc)
			return ERR_PTR(rc);
		f = v->saving;
		mutex_lock(&f->lock);
		mig_save_state(v, f);
		f->avail = f->len;
		f->precopy = false;
		mutex_unlock(&f->lock);
		return NULL;
	}
	if ((cur == VFIO_DEVICE_STATE_STOP_COPY &&
	     next == VFIO_DEVICE_STATE_STOP) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY &&
	     next == VFIO_DEVICE_STATE_RUNNING) ||
	    (cur == VFIO_DEVICE_STATE_PRE_COPY_P2P &&
	     next == VFIO_DEVICE_STATE_RUNNING_P2P)) {
		mig_file_put(&v->saving);
		return NULL;
	}
	if (cur == VFIO_DEVICE_STATE_STOP &&
	    next == VFIO_DEVICE_STATE_RESUMING) {
		f = mig_file_new(v, true);
		if (IS_ERR(f))
			return ERR_CAST(f);
		v->resuming = f;
		return f->filp;
	}
	if (cur == VFIO_DEVICE_STATE_RESUMING &&
	    next == VFIO_DEVICE_STATE_STOP) {
		f = v->resuming;
		mutex_lock(&f->lock);
		rc = mig_parse(v, f, &p, true);
		if (!rc)
			rc = mig_load(v, &p);
		/* A refused stream is discarded; the user may write another. */
		if (rc)
			f->len = 0;
		mutex_unlock(&f->lock);
		if (rc)
			return ERR_PTR(rc);
		mig_file_put(&v->resuming);
		return NULL;
	}
	WARN_ON_ONCE(1);
	return ERR_PTR(-EINVAL);
}

static struct file *
idxd_vdev_mig_set_state(struct vfio_device *vdev,
			enum vfio_device_mig_state new_state)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);
	enum vfio_device_mig_state next;
	struct file *res = NULL;
	int rc;

	/* Only a reset leaves ERROR, and the user cannot ask for it. */
	if (new_state == VFIO_DEVICE_STATE_ERROR)
		return ERR_PTR(-EINVAL);
	mutex_lock(&v->lock);
	if (v->mig_state == VFIO_DEVICE_STATE_ERROR) {
		mutex_unlock(&v->lock);
		dev_dbg(vdev->dev, "migration state ERROR: only a reset leaves it\n");
		return ERR_PTR(-EINVAL);
	}
	while (v->mig_state != new_state) {
		rc = vfio_mig_get_next_state(vdev, v->mig_state, new_state,
					     &next);
		if (rc) {
			res = ERR_PTR(rc);
			break;
		}
		res = mig_step(v, v->mig_state, next);
		if (IS_ERR(res)) {
			/* A stop that did not drain leaves the vdev stopped. */
			if (PTR_ERR(res) == -ETIMEDOUT)
				v->mig_state = VFIO_DEVICE_STATE_ERROR;
			break;
		}
		v->mig_state = next;
		if (WARN_ON_ONCE(res && next != new_state)) {
			fput(res);
			res = ERR_PTR(-EINVAL);
			break;
		}
	}
	mutex_unlock(&v->lock);
	return res;
}

static int idxd_vdev_mig_get_state(struct vfio_device *vdev,
				   enum vfio_device_mig_state *state)
{
	struct idxd_vdev *v = to_idxd_vdev(vdev);

	mutex_lock(&v->lock);
	*state = v->mig_state;
	mutex_unlock(&v->lock);
	return 0;
}

static int idxd_vdev_mig_get_data_size(struct vfio_device *vdev,
				       unsigned long *stop_copy_length)
{
	*stop_copy_length = mig_size(to_idxd_vdev(vdev));
	return 0;
}

const struct vfio_migration_ops idxd_vdev_mig_ops = {
	.migration_set_state	= idxd_vdev_mig_set_state,
	.migration_get_state	= idxd_vdev_mig_get_state,
	.migration_get_data_size = idxd_vdev_mig_get_data_size,
};

/**
 * idxd_vdev_mig_init() - offer migration on a new vdev
 * @v: the vdev, before its registration
 */
void idxd_vdev_mig_init(struct idxd_vdev *v)
{
	v->vdev.migration_flags = VFIO_MIGRATION_STOP_COPY |
				  VFIO_MIGRATION_P2P |
				  VFIO_MIGRATION_PRE_COPY;
	v->vdev.mig_ops = &idxd_vdev_mig_ops;
	v->vdev.log_ops = &idxd_vdev_log_ops;
	v->mig_state = VFIO_DEVICE_STATE_RUNNING;
	INIT_WORK(&v->drain_work, idxd_vdev_drain_work);
	init_completion(&v->drain_done);
}

/**
 * idxd_vdev_mig_reset() - back to RUNNING, for a reset or a close
 * @v: the vdev, its lock held
 *
 * The data files are let go, a drain that timed out is waited for, and the
 * vdev runs: its portals follow its WQs again.  What was held while it
 * was stopped is dropped by the reset that follows.
 */
void idxd_vdev_mig_reset(struct idxd_vdev *v)
{
	lockdep_assert_held(&v->lock);
	mig_file_put(&v->saving);
	mig_file_put(&v->resuming);
	/* The work takes no vdev lock: it waits for the DSA only. */
	WRITE_ONCE(v->drain_cancel, true);
	flush_work(&v->drain_work);
	v->mig_restored = false;
	v->mig_state = VFIO_DEVICE_STATE_RUNNING;
	idxd_vdev_portal_set_stopped(v, false);
}
