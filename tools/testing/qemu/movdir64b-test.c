// SPDX-License-Identifier: GPL-2.0
/*
 * movdir64b-test - user-space checks of MOVDIR64B, to run in a guest of
 * the rig's QEMU (TCG): CPUID, the copy, #GP on a misaligned destination,
 * #UD for a register source or a LOCK prefix, a page fault on a
 * read-only destination that writes nothing, the 67h address size, and
 * two threads storing to one line while a third checks that no line is a
 * mix of both (the stores are whole; the checker copies the line with
 * MOVDIR64B too, whose source read is not atomic, so it retries until
 * two copies agree).
 *
 * Build: gcc -O2 -pthread -o movdir64b-test movdir64b-test.c
 * Prints one "ok"/"not ok" line per check; exits 0 if all passed.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int last_signal;
static int failures;

static void handler(int sig)
{
	last_signal = sig;
	siglongjmp(env, 1);
}

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

static inline void movdir64b(void *dst, const void *src)
{
	/* movdir64b (%rdx), %rax */
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

/* Run @fn and return the signal it raised, 0 if none. */
static int trap(void (*fn)(void *), void *arg)
{
	last_signal = 0;
	if (sigsetjmp(env, 1) == 0)
		fn(arg);
	return last_signal;
}

static uint8_t src[128] __attribute__((aligned(64)));
static uint8_t dst[192] __attribute__((aligned(64)));

static void misaligned(void *arg)
{
	movdir64b(dst + 8, src);
}

static void reg_source(void *arg)
{
	/* movdir64b %rax, %rax: mod = 3 */
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0xc0" : : "a" (dst));
}

static void locked(void *arg)
{
	asm volatile(".byte 0xf0, 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

static void no_prefix(void *arg)
{
	asm volatile(".byte 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

static void to_readonly(void *arg)
{
	movdir64b(arg, src);
}

static void addr32(void *arg)
{
	/*
	 * The 67h prefix: only the low 32 bits of %rax address the
	 * destination, and of %rdx the source (arg, copied to arg + 128).
	 */
	uint64_t a = ((uint64_t)(uintptr_t)arg + 128) | 0xdead000000000000ULL;
	uint64_t s = (uint64_t)(uintptr_t)arg | 0xbeef000000000000ULL;

	asm volatile(".byte 0x67, 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (a), "d" (s) : "memory");
}

static uint8_t line[64] __attribute__((aligned(64)));
static volatile int stop;

static void *writer(void *arg)
{
	uint8_t pattern[64] __attribute__((aligned(64)));

	memset(pattern, (int)(uintptr_t)arg, sizeof(pattern));
	while (!stop)
		movdir64b(line, pattern);
	return NULL;
}

int main(void)
{
	unsigned int a, b, c, d, i;
	struct sigaction sa = { .sa_handler = handler };
	uint8_t *ro, *low;
	pthread_t t1, t2;
	struct timespec t0, now;
	int torn = 0, seen[2] = { 0, 0 };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	__cpuid_count(7, 0, a, b, c, d);
	check(c & (1u << 28), "CPUID.(7,0):ECX[28] MOVDIR64B");
	if (!(c & (1u << 28)))
		return 1;

	for (i = 0; i < sizeof(src); i++)
		src[i] = i * 3 + 1;
	memset(dst, 0, sizeof(dst));
	movdir64b(dst + 64, src + 7);
	check(!memcmp(dst + 64, src + 7, 64) && !dst[63] && !dst[128],
	      "copies 64 bytes from an unaligned source");

	check(trap(misaligned, NULL) == SIGSEGV, "#GP on a misaligned destination");
	check(trap(reg_source, NULL) == SIGILL, "#UD with a register source");
	check(trap(locked, NULL) == SIGILL, "#UD with a LOCK prefix");
	check(trap(no_prefix, NULL) == SIGILL, "#UD without the 66h prefix");

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(trap(to_readonly, ro + 64) == SIGSEGV,
	      "page fault on a read-only destination");
	for (i = 0; i < 4096 && !ro[i]; i++)
		;
	check(i == 4096, "... which writes nothing");

	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low != MAP_FAILED)
		memcpy(low, src, 64);
	check(low != MAP_FAILED && trap(addr32, low) == 0 &&
	      !memcmp(low + 128, src, 64), "67h: 32-bit addresses");

	/*
	 * Read the line until both writers have been seen many times: with
	 * three threads on two vCPUs one writer may wait for a time slice.
	 * Give up after a minute, which fails the check below.
	 */
	pthread_create(&t1, NULL, writer, (void *)0x11);
	pthread_create(&t2, NULL, writer, (void *)0x22);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; seen[0] < 10000 || seen[1] < 10000; i++) {
		uint8_t c1[64] __attribute__((aligned(64)));
		uint8_t c2[64] __attribute__((aligned(64)));
		int j, mixed = 0;

		movdir64b(c1, line);
		movdir64b(c2, line);
		if (memcmp(c1, c2, 64))
			continue;	/* a store landed between the copies */
		for (j = 1; j < 64; j++)
			mixed |= c1[j] != c1[0];
		torn += mixed;
		seen[0] += c1[0] == 0x11;
		seen[1] += c1[0] == 0x22;
		if (!(i % 1024)) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > 60)
				break;
		}
	}
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("# lines: %d of 0x11, %d of 0x22, %d torn\n", seen[0], seen[1],
	       torn);
	check(!torn && seen[0] && seen[1], "no torn line from two writers");

	return failures ? 1 : 0;
}
