/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by every module: messages, time, checked allocation. */
#ifndef HVSMOKE_UTIL_H
#define HVSMOKE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: the CLI contract in README.md. */
enum hv_exit {
	HV_EXIT_PASS	= 0,
	HV_EXIT_FAIL	= 1,
	HV_EXIT_USAGE	= 2,
	HV_EXIT_SKIP	= 4,
};

extern int hv_verbose;		/* -v count; -q sets it to -1 */

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

uint64_t now_ns(void);		/* CLOCK_MONOTONIC */
void *xzalloc(size_t size);
char *xstrdup(const char *s);

uint32_t host_tsc_khz(void);

/* splitmix64: a deterministic stream from the run's seed. */
uint64_t rng_next(uint64_t *state);

#endif
