/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by every module: messages, time, checked allocation. */
#ifndef HVSMOKE_UTIL_H
#define HVSMOKE_UTIL_H

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * A number as a user writes it, on the command line or in a script: decimal,
 * or hex after an explicit 0x/0X. A leading zero is still decimal (010 is
 * ten): nobody typing --cpus 010 means octal. No sign, no space, no trailing
 * junk. 0, -EINVAL if it is not such a number, -ERANGE if it is wider than
 * 64 bits. Inline so the parsers link without the rest of util.c.
 */
static inline int str_to_u64(const char *s, uint64_t *out)
{
	int base = 10;
	char *end;

	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		/* hex digits only: strtoull would take a second "0x" (0x0x5) */
		if (!*s || s[strspn(s, "0123456789abcdefABCDEF")])
			return -EINVAL;
	} else if (!s || !isdigit((unsigned char)*s)) {
		/* digits first: strtoull would quietly take a sign or leading space */
		return -EINVAL;
	}
	errno = 0;
	*out = strtoull(s, &end, base);
	if (*end)
		return -EINVAL;
	return errno == ERANGE ? -ERANGE : 0;
}

/*
 * An input (--firmware, a script, compare's runs) opened for reading: only a
 * regular file, opened with O_NONBLOCK so that a FIFO cannot hang the open
 * before it is refused. The fd and *size, or -1 with the reason in *why
 * (static text or strerror's) and nothing left open.
 */
int in_file_open(const char *path, long long *size, const char **why);

/*
 * Output files (--json, --junit, mkconfig --out) are written whole or not at
 * all: into a temporary file beside the target, renamed over it once every
 * byte is out. A reader never sees half a report, a failed write leaves the
 * old file as it was, and nothing but a regular file (or a new one) is ever
 * a target: a FIFO would hang the writer, and renaming over /dev/full or a
 * directory is not what anyone meant.
 */
struct out_file {
	FILE *f;
	char *path;		/* the target, symlinks resolved so the link stays */
	char *tmp;
};

/*
 * Can path be an output? 0, or -1 with the reason in why. Creates and
 * removes a temporary file, so that the run finds out now, not after its
 * boots, and leaves nothing behind. The first call must come before any
 * thread starts (it reads the umask).
 */
int out_file_check(const char *path, char *why, size_t len);
int out_file_open(struct out_file *of, const char *path, char *why, size_t len);
/* Flush, close and rename into place; on any error the temp file is removed. */
int out_file_commit(struct out_file *of, char *why, size_t len);
void out_file_discard(struct out_file *of);

#endif
