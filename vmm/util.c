// SPDX-License-Identifier: GPL-2.0-only
/* Messages go to stderr with a "hvsmoke:" prefix so they never mix into TAP on stdout. */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

int hv_verbose;

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "hvsmoke: %s%s\n", tag, buf);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	if (hv_verbose < 0)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (hv_verbose < 1)
		return;
	va_start(ap, fmt);
	vmsg("debug: ", fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(code == HV_EXIT_SKIP ? "skip: " : "error: ", fmt, ap);
	va_end(ap);
	exit(code);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void *xzalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		die(HV_EXIT_USAGE, "out of memory (%zu bytes)", size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(HV_EXIT_USAGE, "out of memory");
	return p;
}

/*
 * The host TSC rate in kHz, measured once against CLOCK_MONOTONIC: for a
 * config used outside hvsmoke (QEMU's TCG reads the host TSC too) and for
 * a backend that cannot say what its guests see.
 */
uint32_t host_tsc_khz(void)
{
	static uint32_t khz;
	uint64_t t0, c0, t1, c1;

	if (khz)
		return khz;
	t0 = now_ns();
	c0 = __rdtsc();
	do
		t1 = now_ns();
	while (t1 - t0 < 20000000ull);
	c1 = __rdtsc();
	khz = (uint32_t)((c1 - c0) * 1000000ull / (t1 - t0));	/* ticks per ms */
	return khz;
}

uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
