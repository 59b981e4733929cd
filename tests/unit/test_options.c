// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the option parser takes every documented form, keeps the defaults,
 * and turns each kind of bad input into -1 with a one-line reason.
 */
#include "../../vmm/options.h"
#include "../../vmm/protocol.h"
#include "../../vmm/util.h"
#include "unit.h"

#include <string.h>

static int parse(struct hv_opts *o, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"hvsmoke";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	opts_init(o);
	err[0] = '\0';
	return opts_parse(o, argc, argv, err, 256);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(parse(&o, err, ARGS("run")) == 0, "%s", err);
	TEST_ASSERT(o.cmd == CMD_RUN && o.cpus == 4 && o.iterations == 10 &&
		    o.boot_timeout_ms == 2000 && !strcmp(o.accel, "auto") && !o.seed_set,
		    "defaults changed");
}

static void test_forms(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "64", "--iterations=20", "--seed", "0x10",
					"--boot-timeout", "500", "--accel=kvm", "-v", "-v",
					"--stop-on-failure", "--json", "out.json")) == 0, "%s", err);
	TEST_ASSERT(o.cpus == 64 && o.iterations == 20 && o.seed == 16 && o.seed_set &&
		    o.boot_timeout_ms == 500 && !strcmp(o.accel, "kvm") && o.verbose == 2 &&
		    o.stop_on_failure && !strcmp(o.json_path, "out.json"), "values");
	TEST_ASSERT(parse(&o, err, ARGS("info", "--json")) == 0, "%s", err);
	TEST_ASSERT(o.cmd == CMD_INFO && o.json && !o.json_path, "info --json");
	TEST_ASSERT(parse(&o, err, ARGS("--duration", "5", "-q")) == 0, "%s", err);
	TEST_ASSERT(o.duration_s == 5 && o.verbose == -1, "duration/quiet");
	TEST_ASSERT(parse(&o, err, ARGS("mkconfig", "--out", "x.bin")) == 0, "%s", err);
	TEST_ASSERT(o.cmd == CMD_MKCONFIG, "mkconfig");
	TEST_ASSERT(parse(&o, err, ARGS("--sync-policy", "legacy-init", "--sync-hammer=1000",
					"--sync-targets", "aps", "--dump-registers")) == 0, "%s", err);
	TEST_ASSERT(o.sync_policy == SYNC_POLICY_LEGACY_INIT && o.hammer_mode == HAMMER_HZ &&
		    o.hammer_hz == 1000 && o.sync_aps_only && o.dump_registers, "sync options");
	TEST_ASSERT(parse(&o, err, ARGS("--sync-hammer", "max")) == 0, "%s", err);
	TEST_ASSERT(o.hammer_mode == HAMMER_MAX && o.sync_policy == SYNC_POLICY_FIXED, "max/fixed");
	TEST_ASSERT(parse(&o, err, ARGS("--storm", "5", "--quit-at", "random", "--kick",
					"legacy-signal", "--quit-deadline=250", "--qmp", "/tmp/q")) == 0,
		    "%s", err);
	TEST_ASSERT(o.storm_ms == 5 && o.quit_at_ms == QUIT_AT_RANDOM && o.kick == KICK_LEGACY_SIGNAL &&
		    o.quit_deadline_ms == 250 && !strcmp(o.qmp_path, "/tmp/q"), "quit options");
	TEST_ASSERT(parse(&o, err, ARGS("--quit-at", "0")) == 0 && o.quit_at_ms == 0, "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("mkconfig", "--out", "c", "--storm", "3")) == 0, "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "1024")) == 0, "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("--seed", "18446744073709551615")) == 0, "%s", err);
	TEST_ASSERT(o.seed == UINT64_MAX, "max seed");
}

static void test_bad(void)
{
	const char *const *cases[] = {
		ARGS("--bogus"),
		ARGS("--cpus", "0"),
		ARGS("--cpus", "100000"),
		ARGS("--cpus", "1025"),
		ARGS("--cpus", "-1"),
		ARGS("--cpus", "4x"),
		ARGS("--cpus", ""),
		ARGS("--cpus"),
		ARGS("--iterations", "0"),
		ARGS("--boot-timeout", "1"),
		ARGS("--seed", "18446744073709551616"),
		ARGS("--accel", "xen"),
		ARGS("--firmware", ""),
		ARGS("--iterations", "3", "--duration", "3"),
		ARGS("frobnicate"),
		ARGS("mkconfig"),
		ARGS("--stop-on-failure=yes"),
		ARGS("info", "--json=x"),
		ARGS("--sync-policy", "legacy"),
		ARGS("--sync-hammer", "0"),
		ARGS("--sync-hammer", "fast"),
		ARGS("--sync-hammer", "1000001"),
		ARGS("--sync-hammer", "-5"),
		ARGS("--sync-targets", "bsp"),
		ARGS("--sync-policy"),
		ARGS("info", "--cpus", "4"),
		ARGS("run", "--out", "x"),
		ARGS("mkconfig", "--out", "x", "--iterations", "3"),
		ARGS("--cpus", "\t4"),
		ARGS("--cpus", " 4"),
		ARGS("--storm", "60001"),
		ARGS("--quit-at", "soon"),
		ARGS("--quit-deadline", "0"),
		ARGS("--kick", "gentle"),
		ARGS("--ipi-pattern", "linux"),
		ARGS("--ipi-pattern"),
		/* the native VMM's own options are usage errors for the QEMU target */
		ARGS("qemu", "--accel", "kvm"),
		ARGS("qemu", "--sync-policy", "legacy-smm"),
		ARGS("qemu", "--kick", "legacy-signal"),
		ARGS("qemu", "--reuse-vm"),
		ARGS("qemu", "--qmp", "/tmp/q"),
		ARGS("qemu", "--machine", "virt"),
		ARGS("qemu", "--qemu-accel", "hvf"),
		ARGS("qemu", "--qemu"),
		ARGS("qemu", "--qemu", ""),
		ARGS("qemu", "--qemu-arg"),
		ARGS("qemu", "--qemu-reuse=1"),
		/* and the QEMU target's for the native one */
		ARGS("run", "--qemu", "/usr/bin/qemu-system-x86_64"),
		ARGS("--qemu-reuse"),
		ARGS("--machine", "q35"),
		ARGS("mkconfig", "--out", "x", "--qemu-arg", "-S"),
	};
	struct hv_opts o;
	char err[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TEST_ASSERT(parse(&o, err, cases[i]) == -1, "case %u (%s) accepted", i, cases[i][0]);
		TEST_ASSERT(err[0] && !strchr(err, '\n'), "case %u: reason '%s' not one line", i,
			    err);
	}
}

static void test_qemu(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(parse(&o, err, ARGS("qemu")) == 0, "%s", err);
	TEST_ASSERT(o.cmd == CMD_QEMU && !strcmp(o.qemu, "qemu-system-x86_64") &&
		    !strcmp(o.machine, "pc") && !strcmp(o.qemu_accel, "kvm") && !o.qemu_reuse &&
		    o.smm == SMM_OFF && o.ipi_pattern == IPI_HVSMOKE, "qemu defaults");
	TEST_ASSERT(parse(&o, err, ARGS("qemu", "--qemu", "/opt/q", "--machine=q35", "--qemu-accel",
					"tcg", "--qemu-arg", "-cpu", "--qemu-arg=max", "--qemu-reuse",
					"--ipi-pattern", "mp-spec", "--sync-hammer", "max",
					"--sync-targets", "aps", "--quit-at", "random", "--storm", "3",
					"--smm", "on", "--firmware", "fw.bin")) == 0, "%s", err);
	TEST_ASSERT(!strcmp(o.qemu, "/opt/q") && !strcmp(o.machine, "q35") &&
		    !strcmp(o.qemu_accel, "tcg") && o.nqemu_args == 2 &&
		    !strcmp(o.qemu_args[0], "-cpu") && !strcmp(o.qemu_args[1], "max") &&
		    o.qemu_reuse && o.ipi_pattern == IPI_MPSPEC && o.sync_aps_only &&
		    o.smm == SMM_ON && !strcmp(o.firmware, "fw.bin"), "qemu values");
	TEST_ASSERT(parse(&o, err, ARGS("run", "--ipi-pattern", "seabios")) == 0 &&
		    o.ipi_pattern == IPI_SEABIOS, "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("mkconfig", "--out", "c", "--ipi-pattern", "mp-spec",
					"--event-stream")) == 0 && o.event_stream, "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("qemu", "--reuse-vm")) == -1 &&
		    strstr(err, "does not apply to 'qemu'"), "'%s'", err);
	TEST_ASSERT(!strcmp(ipi_pattern_name(IPI_MPSPEC), "mp-spec"), "name");
}

/* Decimal, or hex with 0x: never octal, so a leading zero changes nothing. */
static void test_numbers(void)
{
	static const char *const bad[] = { "0x", "0x-1", "0x 1", "0x+1", "1e3", "0b1", "0o7",
					   "10 ", "+10", "0x1ffffffffffffffff",
					   "18446744073709551616", "0x0x5", "0X0x1" };
	struct hv_opts o;
	char err[256];
	unsigned int i;

	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "010")) == 0 && o.cpus == 10,
		    "010 is ten, not octal eight: %u (%s)", o.cpus, err);
	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "08", "--iterations", "0009")) == 0 &&
		    o.cpus == 8 && o.iterations == 9, "08 and 0009 are decimal (%s)", err);
	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "0x10", "--storm", "0X0a")) == 0 &&
		    o.cpus == 16 && o.storm_ms == 10, "hex with 0x/0X (%s)", err);
	TEST_ASSERT(parse(&o, err, ARGS("--seed", "0xffffffffffffffff")) == 0 &&
		    o.seed == UINT64_MAX, "hex seed (%s)", err);
	TEST_ASSERT(parse(&o, err, ARGS("--quit-at", "010")) == 0 && o.quit_at_ms == 10,
		    "--quit-at 010 (%s)", err);
	TEST_ASSERT(parse(&o, err, ARGS("mkconfig", "--out", "c", "--cpus", "012")) == 0 &&
		    o.cpus == 12, "mkconfig --cpus 012 (%s)", err);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		TEST_ASSERT(parse(&o, err, ARGS("--seed", bad[i])) == -1 &&
			    strstr(err, "--seed"), "--seed '%s' accepted", bad[i]);
}

/*
 * Help and version win over options that do not fit the subcommand (or
 * bad values, or missing --out), but an unknown option is an error anyway.
 */
static void test_compare(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(parse(&o, err, ARGS("compare", "a.json", "--json", "c.json", "b.json",
					"--max-slowdown=1.5", "--junit", "c.xml")) == 0, "%s", err);
	TEST_ASSERT(o.cmd == CMD_COMPARE && !strcmp(o.base_path, "a.json") &&
		    !strcmp(o.new_path, "b.json") && !strcmp(o.json_path, "c.json") &&
		    !strcmp(o.junit_path, "c.xml") && o.max_slowdown == 1.5, "values");
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b")) == 0 && o.max_slowdown == 1.25,
		    "default max slowdown %f", o.max_slowdown);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b", "--max-slowdown", "1")) == 0 &&
		    o.max_slowdown == 1.0, "1 is allowed: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a")) == -1 &&
		    !strncmp(err, "usage: hvsmoke compare BASE.json NEW.json", 41), "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b", "c")) == -1 &&
		    strstr(err, "('c' is a third)"), "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "")) == -1 &&
		    !strcmp(err, "compare: empty file name"), "%s", err);
	static const char *const bad_ratio[] = { "0.99", "101", "nan", "inf", "1e2", "0x2", "-2",
						 " 2", "2x", "", "1..2" };
	for (size_t i = 0; i < sizeof(bad_ratio) / sizeof(bad_ratio[0]); i++)
		TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b", "--max-slowdown",
						bad_ratio[i])) == -1 &&
			    strstr(err, "is not a ratio in 1..100"), "'%s': %s", bad_ratio[i], err);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b", "--cpus", "2")) == -1 &&
		    !strcmp(err, "--cpus does not apply to 'compare'"), "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("run", "--max-slowdown", "2")) == -1 &&
		    !strcmp(err, "--max-slowdown does not apply to 'run'"), "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("run", "a.json")) == -1 &&
		    strstr(err, "unknown option 'a.json'"), "%s", err);
	TEST_ASSERT(parse(&o, err, ARGS("compare", "a", "b", "--help")) == 0 && o.cmd == CMD_HELP,
		    "help wins");
}

static void test_help_wins(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(parse(&o, err, ARGS("--help", "--json", "x")) == 0 && o.cmd == CMD_HELP,
		    "--help --json x: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("-h", "--iterations", "1")) == 0 && o.cmd == CMD_HELP,
		    "-h --iterations 1: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("--iterations", "1", "-h")) == 0 && o.cmd == CMD_HELP,
		    "--iterations 1 -h: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("info", "--help", "--cpus", "3")) == 0 &&
		    o.cmd == CMD_HELP, "info --help --cpus 3: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("qemu", "--reuse-vm", "--version")) == 0 &&
		    o.cmd == CMD_VERSION, "qemu --reuse-vm --version: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("mkconfig", "--help")) == 0 && o.cmd == CMD_HELP,
		    "mkconfig --help without --out: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("--version", "--cpus", "0", "--iterations", "2",
					"--duration", "2")) == 0 && o.cmd == CMD_VERSION,
		    "--version over bad values: %s", err);
	TEST_ASSERT(parse(&o, err, ARGS("--version", "--frob")) == -1 &&
		    strstr(err, "unknown option '--frob'"), "--version --frob: '%s'", err);
	TEST_ASSERT(parse(&o, err, ARGS("--frob", "--help")) == -1 &&
		    strstr(err, "unknown option '--frob'"), "--frob --help: '%s'", err);
	TEST_ASSERT(parse(&o, err, ARGS("--help", "--frob=1")) == -1 &&
		    strstr(err, "unknown option '--frob=1'"), "--help --frob=1: '%s'", err);
	/* without help, a misfit stays an error, and an unknown one says unknown */
	TEST_ASSERT(parse(&o, err, ARGS("info", "--iterations", "1")) == -1 &&
		    strstr(err, "--iterations does not apply to 'info'"), "'%s'", err);
	TEST_ASSERT(parse(&o, err, ARGS("info", "--frob")) == -1 &&
		    strstr(err, "unknown option '--frob'"), "info --frob: '%s'", err);
	TEST_ASSERT(parse(&o, err, ARGS("--cpus", "0", "--iterations", "0")) == -1 &&
		    strstr(err, "--cpus"), "the first error is the one told: '%s'", err);
}

int main(void)
{
	test_numbers();
	test_help_wins();
	test_compare();
	test_defaults();
	test_qemu();
	test_forms();
	test_bad();
	return unit_done("test_options");
}
