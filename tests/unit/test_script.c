// SPDX-License-Identifier: GPL-2.0-only
/*
 * The script parser refuses what would otherwise boot into a silent
 * ap-missing (no vcpu section, text cut at a NUL, values truncated to their
 * field), names the line and the reason in one line, reads numbers as
 * decimal or 0x hex (never octal), and takes CRLF line ends.
 */
#include "../../vmm/script/script.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* script_load(text) fails and its one-line reason contains want. */
static void refused(const char *text, const char *want)
{
	char err[256] = "";

	TEST_ASSERT(script_load(text, err, sizeof(err)) == -1, "accepted: '%s'", text);
	TEST_ASSERT(strstr(err, want) && !strchr(err, '\n'), "'%s': reason '%s', want '%s'", text,
		    err, want);
}

static void test_wide_values(void)
{
	refused("vcpu 0: io-out 0x80 0x1ffffffff\n",
		"script line 1: value 0x1ffffffff does not fit in 32 bits");
	refused("vcpu 0: io-out 0x80 4294967296 4\n", "value 4294967296 does not fit in 32 bits");
	refused("vcpu 0: io-out 0x80 0x1ff 1\n", "value 0x1ff does not fit in 1 byte");
	refused("vcpu 0: io-out 0x80 0x10000 2\n", "value 0x10000 does not fit in 2 byte");
	refused("vcpu 0: io-out 0x80 1 0x100000001\n", "size 0x100000001 does not fit in 32 bits");
	refused("vcpu 0: io-out 0x80 1 8\n", "size 8 is not 1, 2 or 4");
	refused("vcpu 0: io-in 0x10000\n", "port 0x10000 does not fit in 16 bits");
	refused("vcpu 0: event 0x20 0 0\n", "type 0x20 does not fit in 5 bits");
	refused("vcpu 0: event 1 2048 0\n", "apic 2048 does not fit in 11 bits");
	refused("vcpu 0: event 1 0 0x10000\n", "arg 0x10000 does not fit in 16 bits");
	refused("vcpu 0: done 0x110\n", "code 0x110 does not fit in 8 bits");
	refused("vcpu 0: after 1 0x100000000\n", "entry count 0x100000000 does not fit in 32 bits");
	refused("vcpu 0: after 1024 1\n", "vcpu 1024 does not fit in 10 bits");
	refused("vcpu 0: mmio 0x100000000\n", "address 0x100000000 does not fit in 32 bits");
	refused("vcpu 0: hlt\nkick-at 0 top 0x100000000\n",
		"line 2: entry 0x100000000 does not fit in 32 bits");
	refused("vcpu 0: io-out 0x80 99999999999999999999999\n", "does not fit in 32 bits");
}

static void test_bad_lines(void)
{
	refused("vcpu 0: hlt 1\n", "hlt takes no arguments");
	refused("vcpu 0: io-out 0x80\n", "io-out takes PORT VALUE [SIZE]");
	refused("vcpu 0: frob\n", "unknown step 'frob'");
	refused("vcpu 0: io-out 0x80 -1\n", "value '-1' is not a number");
	refused("vcpu 0 hlt\n", "vcpu takes N|all: STEP; STEP; ...");
	refused("vcpu 0:\n", "a vcpu section without steps");
	refused("vcpu all: ; ;\n", "a vcpu section without steps");
	refused("semantics xen\nvcpu 0: hlt\n", "line 1: semantics takes kvm or mshv");
	refused("vcpu 0: hlt\nkick-at 0 nowhere 1\n", "line 2: unknown loop point 'nowhere'");
	refused("vcpu 0: hlt\nkick-at 0 top 0\n", "entries count from 1");
	refused("frobnicate 1\nvcpu 0: hlt\n", "unknown keyword 'frobnicate'");
	refused("vcpu 0: io-out 1 2 3 4 5 6 7 8 9\n", "more than 8 words");
	/* blank lines count: the old strtok loop called this line 2 */
	refused("semantics kvm\n\n\nvcpu 0: frob\n", "script line 4: unknown step");
	/* control bytes from a binary file are not echoed */
	refused("\x1b[2J\n", "unknown keyword '?[2J'");
}

static void test_nothing_to_run(void)
{
	refused("", "script: empty");
	refused("# just a comment\n\n   \n", "script: empty");
	refused("semantics kvm\n", "script: no vcpu section");
	refused("semantics mshv\nkick-at 0 top 1\n", "script: no vcpu section");
}

static void test_nul_byte(void)
{
	static const char text[] = "semantics kvm\nvcpu all: io-out 0x80 1\n\0vcpu 1: hlt\n";
	char err[256] = "";

	TEST_ASSERT(script_load_buf("t.txt", text, sizeof(text) - 1, err, sizeof(err)) == -1,
		    "text after a NUL byte accepted");
	TEST_ASSERT(!strcmp(err, "script t.txt line 3: NUL byte at offset 38 (not a text file)"),
		    "'%s'", err);
}

static void test_accepted(void)
{
	char err[256] = "";

	/* CRLF works: the \r is not part of the last word */
	TEST_ASSERT(script_load("semantics mshv\r\n\r\nvcpu 0: io-out 0x80 1 4; hlt\r\n", err,
				sizeof(err)) == 0, "CRLF: %s", err);
	TEST_ASSERT(script_accel_ops.vcpu_complete_io != NULL, "CRLF: semantics mshv was taken");
	/* decimal with a leading zero: 09 was an invalid octal number before */
	TEST_ASSERT(script_load("vcpu 09: hlt\nkick-at 09 top 010\n", err, sizeof(err)) == 0,
		    "leading zeros: %s", err);
	/* 0377 is decimal 377, too big for a completion code, not octal 255 */
	refused("vcpu 0: done 0377\n", "code 0377 does not fit in 8 bits");
	TEST_ASSERT(script_load("  vcpu all: io-out 0x80 0xffffffff 4; after 1 4294967295; "
				"mmio 0xfee00000; event 31 2047 65535; done 255\n",
				err, sizeof(err)) == 0, "every field at its widest: %s", err);
}

static void test_files(void)
{
	char err[256] = "", path[] = "/tmp/hvsmoke-test-script-XXXXXX";
	FILE *f;
	int fd;

	TEST_ASSERT(script_load_file("/nonexistent/s.txt", err, sizeof(err)) == -1 &&
		    strstr(err, "--accel script:/nonexistent/s.txt: No such file"), "'%s'", err);
	TEST_ASSERT(script_load_file("/dev/zero", err, sizeof(err)) == -1 &&
		    !strcmp(err, "--accel script:/dev/zero: not a regular file"), "'%s'", err);
	TEST_ASSERT(script_load_file("/tmp", err, sizeof(err)) == -1 &&
		    strstr(err, "not a regular file"), "'%s'", err);

	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs("semantics kvm\r\nvcpu 0: io-out 0x80 0x100000000\r\n", f);
	fclose(f);
	TEST_ASSERT(script_load_file(path, err, sizeof(err)) == -1, "wide value in a file");
	TEST_ASSERT(strstr(err, "script /tmp/hvsmoke-test-script-") &&
		    strstr(err, " line 2: value 0x100000000 does not fit in 32 bits"), "'%s'", err);

	f = fopen(path, "w");
	for (int i = 0; i < 120000; i++)	/* 1.2 MB */
		fputs("# padding\n", f);
	fclose(f);
	TEST_ASSERT(script_load_file(path, err, sizeof(err)) == -1 &&
		    strstr(err, "larger than 1 MiB"), "'%s'", err);
	unlink(path);
}

int main(void)
{
	test_wide_values();
	test_bad_lines();
	test_nothing_to_run();
	test_nul_byte();
	test_accepted();
	test_files();
	return unit_done("test_script");
}
