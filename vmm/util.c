// SPDX-License-Identifier: GPL-2.0-only
/* Messages go to stderr with a "hvsmoke:" prefix so they never mix into TAP on stdout. */
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

int hv_verbose;

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* one message, one line, whatever a quoted path or value holds */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
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

/* ---- output files ---------------------------------------------------------- */

static int why_str(char *why, size_t len, const char *reason)
{
	snprintf(why, len, "%s", reason);
	return -1;
}

static int why_errno(char *why, size_t len, int err)
{
	return why_str(why, len, strerror(err));
}

/*
 * The mode a plain fopen(path, "w") would give a new file. umask() can only
 * be read by setting it, so it is read once, before any thread exists (the
 * QMP server sets it briefly around its bind).
 */
static mode_t new_file_mode(void)
{
	static mode_t mask = (mode_t)-1;

	if (mask == (mode_t)-1) {
		mask = umask(022);
		umask(mask);
	}
	return 0666 & ~mask;
}

/*
 * Resolve where the bytes go and with which mode: the existing regular file
 * a path names (through any symlink), or a new one. *target is malloc'd.
 */
static int out_target(const char *path, char **target, mode_t *mode, char *why, size_t len)
{
	struct stat st;
	size_t n = strlen(path);

	if (!n || path[n - 1] == '/')
		return why_str(why, len, "names a directory");
	if (!stat(path, &st)) {
		if (!S_ISREG(st.st_mode))
			return why_str(why, len, "not a regular file");
		/*
		 * A read-only report is someone's choice: do not rename over it.
		 * By its mode bits, not access(2), which says yes to root.
		 */
		if (!(st.st_mode & 0222))
			return why_str(why, len, "read-only (no write permission bit)");
		if (access(path, W_OK))
			return why_errno(why, len, errno);
		*target = realpath(path, NULL);
		if (!*target)
			return why_errno(why, len, errno);
		*mode = st.st_mode & 07777;
		return 0;
	}
	if (errno != ENOENT)
		return why_errno(why, len, errno);
	if (!lstat(path, &st))
		return why_str(why, len, "a dangling symbolic link");
	*target = xstrdup(path);
	*mode = new_file_mode();
	return 0;
}

int out_file_open(struct out_file *of, const char *path, char *why, size_t len)
{
	const char *slash;
	mode_t mode = 0;
	int fd;

	memset(of, 0, sizeof(*of));
	if (out_target(path, &of->path, &mode, why, len))
		return -1;
	/* beside the target: rename(2) is only atomic within one filesystem */
	slash = strrchr(of->path, '/');
	of->tmp = xzalloc(strlen(of->path) + sizeof("/.hvsmoke.XXXXXX"));
	if (slash)
		sprintf(of->tmp, "%.*s/.hvsmoke.XXXXXX", (int)(slash - of->path), of->path);
	else
		strcpy(of->tmp, ".hvsmoke.XXXXXX");
	fd = mkostemp(of->tmp, O_CLOEXEC);
	if (fd < 0) {
		why_errno(why, len, errno);
		free(of->tmp);
		of->tmp = NULL;
		goto fail;
	}
	of->f = fdopen(fd, "w");
	if (fchmod(fd, mode) || !of->f) {
		why_errno(why, len, errno);
		if (!of->f)
			close(fd);
		goto fail;
	}
	errno = 0;	/* a stale errno must not be taken for a failed write's */
	return 0;
fail:
	out_file_discard(of);
	return -1;
}

int out_file_check(const char *path, char *why, size_t len)
{
	struct out_file of;

	if (out_file_open(&of, path, why, len))
		return -1;
	out_file_discard(&of);
	return 0;
}

int out_file_commit(struct out_file *of, char *why, size_t len)
{
	int err = 0;

	if (fflush(of->f) || ferror(of->f))
		err = errno ? errno : EIO;
	if (fclose(of->f) && !err)
		err = errno ? errno : EIO;
	of->f = NULL;
	if (!err && rename(of->tmp, of->path))
		err = errno;
	if (err) {
		out_file_discard(of);
		return why_errno(why, len, err);
	}
	free(of->tmp);
	free(of->path);
	of->tmp = of->path = NULL;
	return 0;
}

void out_file_discard(struct out_file *of)
{
	if (of->f)
		fclose(of->f);
	if (of->tmp)
		unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	memset(of, 0, sizeof(*of));
}

int in_file_open(const char *path, long long *size, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st))
		*why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	else {
		*size = (long long)st.st_size;
		return fd;
	}
	close(fd);
	return -1;
}
