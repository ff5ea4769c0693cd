// SPDX-License-Identifier: GPL-2.0
/*
 * cmpxchg-flags-test - CMPXCHG8B and CMPXCHG16B leave every flag but ZF
 * as the instruction before them set it, to run in a guest of the rig's
 * QEMU (TCG).
 *
 * QEMU 7.2 computed the flags these two instructions keep from a stale
 * cc_op: after a POPF (or an IRET, or an interrupt) ended the previous
 * translation block, an ADD then CMPXCHG16B in the next one turned the
 * ADD's operand into the whole EFLAGS image, TF and VM included
 * (patches/qemu/target-i386-flush-cc_op-before-the-CMPXCHG8B-and-CMPXCHG16B-helpers.patch).
 * Each case here is that sequence: POPF, ADD and SUB of a marker whose
 * bits are the system flags, then the instruction, then PUSHF.  The
 * flags must be those of the SUB with ZF from the comparison; the same
 * sequence without the instruction gives the SUB's flags.
 *
 * Build: gcc -O2 -o cmpxchg-flags-test cmpxchg-flags-test.c
 * Prints one "ok"/"not ok" line per check; exits 0 if all passed.
 */
#include <stdint.h>
#include <stdio.h>

#define X86_EFLAGS_ZF	0x40ull
/* TF, IOPL, NT, RF, VM, AC, VIF, VIP, ID: never set by arithmetic. */
#define MARKER		0x3f7100ull
#define ROUNDS		1000

static int failures;

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

/* The flags of "add marker, base; sub marker, base" after a POPF. */
static uint64_t sub_flags(uint64_t base)
{
	uint64_t fl;

	asm volatile("pushq $0x202\n\tpopfq\n\t"
		     "addq %[m], %[b]\n\t"
		     "subq %[m], %[b]\n\t"
		     "pushfq\n\tpopq %[fl]"
		     : [fl] "=&r" (fl), [b] "+r" (base)
		     : [m] "r" (MARKER)
		     : "cc");
	return fl;
}

#define CMPXCHG_CASE(insn, dst)						\
	asm volatile("pushq $0x202\n\tpopfq\n\t"			\
		     "addq %[m], %%rax\n\t"				\
		     "subq %[m], %%rax\n\t"				\
		     insn " %[mem]\n\t"					\
		     "pushfq\n\tpopq %[fl]"				\
		     : [fl] "=&r" (fl), "+a" (rax), "+d" (rdx),		\
		       [mem] "+m" (dst)					\
		     : "b" (rbx), "c" (rcx), [m] "r" (MARKER)		\
		     : "cc", "memory")

struct line {
	uint64_t q[2];
} __attribute__((aligned(16)));

/*
 * One instruction, ROUNDS times, succeeding when @equal: the flags
 * after it must be the SUB's with ZF set exactly on success, and
 * RDX:RAX (EDX:EAX) must hold the old value on failure.
 */
static void run(const char *insn, int wide, int lock, int equal)
{
	static struct line line;
	uint64_t want, fl = 0, rax = 0, rdx = 0, rbx, rcx;
	uint64_t mask = wide ? ~0ull : 0xffffffffull;
	int bad_flags = 0, bad_regs = 0, i;
	char what[160];

	for (i = 0; i < ROUNDS; i++) {
		uint64_t old0 = 0x1111222233334444ull + i;
		uint64_t old1 = 0x5555666677778888ull + i;

		line.q[0] = old0;
		line.q[1] = old1;
		if (wide) {
			rax = equal ? old0 : ~old0;
			rdx = equal ? old1 : ~old1;
		} else {
			rax = equal ? (uint32_t)old0 : (uint32_t)~old0;
			rdx = equal ? old0 >> 32 : (uint32_t)~(old0 >> 32);
		}
		rbx = 0x0123456789abcdefull;
		rcx = 0xfedcba9876543210ull;
		want = sub_flags(rax) & ~X86_EFLAGS_ZF;
		if (equal)
			want |= X86_EFLAGS_ZF;

		if (wide && lock)
			CMPXCHG_CASE("lock cmpxchg16b", line);
		else if (wide)
			CMPXCHG_CASE("cmpxchg16b", line);
		else if (lock)
			CMPXCHG_CASE("lock cmpxchg8b", line.q[0]);
		else
			CMPXCHG_CASE("cmpxchg8b", line.q[0]);

		if (fl != want) {
			if (!bad_flags)
				printf("# %s%s: flags %#llx, want %#llx\n",
				       lock ? "lock " : "", insn,
				       (unsigned long long)fl,
				       (unsigned long long)want);
			bad_flags++;
		}
		if (equal)
			continue;
		if (wide ? rax != old0 || rdx != old1 :
		    rax != (old0 & mask) || rdx != old0 >> 32)
			bad_regs++;
	}
	snprintf(what, sizeof(what), "%s%s %s: other flags kept, ZF %s",
		 lock ? "lock " : "", insn, equal ? "succeeds" : "fails",
		 equal ? "set" : "clear");
	check(!bad_flags, what);
	if (!equal) {
		snprintf(what, sizeof(what),
			 "%s%s fails: old value loaded into %s", lock ? "lock " : "",
			 insn, wide ? "RDX:RAX" : "EDX:EAX");
		check(!bad_regs, what);
	}
}

int main(void)
{
	int wide, lock, equal;

	for (wide = 1; wide >= 0; wide--)
		for (lock = 1; lock >= 0; lock--)
			for (equal = 1; equal >= 0; equal--)
				run(wide ? "cmpxchg16b" : "cmpxchg8b", wide,
				    lock, equal);
	printf("%d failed\n", failures);
	return failures != 0;
}
