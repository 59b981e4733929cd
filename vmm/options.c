// SPDX-License-Identifier: GPL-2.0-only
/* Hand-rolled so that every bad flag gives one clear line and nothing exits from here. */
#include "options.h"
#include "boot.h"
#include "protocol.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void opts_init(struct hv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_RUN;
	o->accel = "auto";
	o->cpus = OPT_DEFAULT_CPUS;
	o->iterations = OPT_DEFAULT_ITERATIONS;
	o->boot_timeout_ms = OPT_DEFAULT_BOOT_TIMEOUT_MS;
	o->quit_at_ms = QUIT_AT_NEVER;
	o->quit_deadline_ms = OPT_DEFAULT_QUIT_DEADLINE_MS;
	o->kick = KICK_EXIT_REQUEST;
	o->qemu = "qemu-system-x86_64";
	o->machine = "pc";
	o->qemu_accel = "kvm";
	o->max_slowdown = OPT_DEFAULT_MAX_SLOWDOWN;
}

static const char *const ipi_pattern_names[] = {
	[IPI_HVSMOKE] = "hvsmoke",
	[IPI_SEABIOS] = "seabios",
	[IPI_MPSPEC] = "mp-spec",
};

const char *ipi_pattern_name(unsigned int p)
{
	return p <= IPI_PATTERN_MAX ? ipi_pattern_names[p] : "unknown";
}

void opts_usage(FILE *f)
{
	fputs("usage: hvsmoke [run] [options]     run the smoke scenario; TAP 13 on stdout\n"
	      "       hvsmoke info [--json]       host kernel, KVM API version and caps, CPU model\n"
	      "       hvsmoke qemu [options]      the same scenario with the host's QEMU as the VMM\n"
	      "       hvsmoke mkconfig --out FILE [--cpus N] [--boot-timeout MS] [--storm MS] [--smm on|off]\n"
	      "                        [--console] [--ipi-pattern P] [--event-stream] [--x2apic]\n"
	      "                                   write the fw_cfg config file (for qemu -fw_cfg)\n"
	      "options:\n"
	      "  --accel kvm|mshv|auto|script:FILE  accelerator (default auto: KVM, then MSHV)\n"
	      "  --cpus N                  vCPUs, 1..1024 and at most the host's (default 4); more\n"
	      "                            than 255 run in x2APIC mode\n"
	      "  --iterations K            boots to run (default 10)\n"
	      "  --duration SEC            run boots until SEC seconds pass instead\n"
	      "  --seed S                  run seed (default random; always printed)\n"
	      "  --boot-timeout MS         per-boot deadline (default 2000 per started 256 CPUs:\n"
	      "                            2000 up to 256, 8000 at 1024)\n"
	      "  --firmware FILE           firmware image, at most 64 KiB (default embedded)\n"
	      "  --json FILE               write a JSON summary\n"
	      "  --junit FILE              write a JUnit XML report\n"
	      "  --stop-on-failure         stop at the first failed boot\n"
	      "  --console                 copy the guest's text console to stderr\n"
	      "  --dump-registers          print every vCPU's registers after each boot\n"
	      "  --reuse-vm                warm-reset one VM between boots instead of a new VM each\n"
	      "  --sync-policy P           register write-back: fixed (default), legacy-smm, legacy-init\n"
	      "  --sync-hammer off|max|HZ  sync every vCPU back to back, or HZ sweeps/s (default off)\n"
	      "  --sync-targets all|aps    which vCPUs the hammer syncs (default all)\n"
	      "  --storm MS                each CPU writes POST codes to port 0x80 for MS (default 0)\n"
	      "  --quit-at never|MS|random quit each boot MS after it starts (random: from the seed)\n"
	      "  --quit-deadline MS        bound from a quit to every vCPU thread out (default 500)\n"
	      "  --kick exit-request|legacy-signal  how vCPUs are told to stop (default exit-request)\n"
	      "  --qmp PATH                serve QMP on a UNIX socket (mode 0600)\n"
	      "  --smm auto|on|off         the SMM stage: where the host has SMM, with at most 255\n"
	      "                            CPUs in xAPIC mode (default auto; qemu: off unless on)\n"
	      "  --ipi-pattern P           how the BSP wakes APs: hvsmoke (default), seabios, mp-spec\n"
	      "  --x2apic                  every CPU in x2APIC mode, whatever --cpus (the SMM stage\n"
	      "                            is xAPIC-only: off with --smm auto, an error with on)\n"
	      "qemu options (run's --accel, --sync-policy, --kick, --reuse-vm, --qmp and\n"
	      "--dump-registers do not apply):\n"
	      "  --qemu PATH               QEMU binary (default qemu-system-x86_64 from PATH)\n"
	      "  --machine pc|q35          QEMU machine (default pc)\n"
	      "  --qemu-accel kvm|tcg|mshv QEMU's accelerator (default kvm)\n"
	      "  --qemu-arg ARG            append ARG to QEMU's command line (repeatable)\n"
	      "  --qemu-reuse              one QEMU for every boot, system_reset between them\n"
	      "compare: hvsmoke compare BASE.json NEW.json [--json FILE] [--junit FILE] [--max-slowdown R]\n"
	      "  --max-slowdown R          latency ratio NEW/BASE that is a regression once it is\n"
	      "                            beyond noise (default 1.25; 1..100)\n"
	      "  -v, -q                    more / less chatter on stderr\n"
	      "numbers: decimal (010 is ten), or hex with 0x\n"
	      "exit: 0 all passed, 1 a check failed, 2 bad usage or setup error, 4 skipped\n"
	      "      (compare: 0 nothing regressed, 1 a regression, 2 bad input)\n",
	      f);
}

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	/* the reason quotes what was typed: a newline in it must not make two lines */
	for (p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

/* Decimal, or hex after 0x (see str_to_u64), within lo..hi. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;

	if (str_to_u64(s, &v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* An option's value: after its '=', else the next argument; NULL if neither. */
static const char *take_value(const char *val, int argc, char **argv, int *i)
{
	if (val)
		return val;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

struct uint_opt {
	const char *name;
	size_t offset;
	uint64_t lo, hi;
	const char *hi_why;		/* why hi is the limit, when it is not obvious */
};

static const struct uint_opt uint_opts[] = {
	{ "--cpus", offsetof(struct hv_opts, cpus), 1, HVSMOKE_MAX_CPUS,
	  "the most the firmware's APIC ID bitmap holds" },
	{ "--iterations", offsetof(struct hv_opts, iterations), 1, 100000000, NULL },
	{ "--duration", offsetof(struct hv_opts, duration_s), 1, 7 * 86400, NULL },
	{ "--boot-timeout", offsetof(struct hv_opts, boot_timeout_ms), 10, 600000, NULL },
	{ "--quit-deadline", offsetof(struct hv_opts, quit_deadline_ms), 1, 600000, NULL },
	{ "--storm", offsetof(struct hv_opts, storm_ms), 0, 60000, NULL },
};

static const char **str_opt(struct hv_opts *o, const char *name)
{
	if (!strcmp(name, "--accel"))
		return &o->accel;
	if (!strcmp(name, "--firmware"))
		return &o->firmware;
	if (!strcmp(name, "--json"))
		return &o->json_path;
	if (!strcmp(name, "--junit"))
		return &o->junit_path;
	if (!strcmp(name, "--out"))
		return &o->out_path;
	if (!strcmp(name, "--qmp"))
		return &o->qmp_path;
	if (!strcmp(name, "--qemu"))
		return &o->qemu;
	return NULL;
}

/* Every option name, whatever the subcommand: anything else is unknown everywhere. */
static bool option_known(const char *name)
{
	static const char *const names[] = {
		"-v", "--verbose", "-q", "--quiet", "-h", "--help", "--version",
		"--accel", "--cpus", "--iterations", "--duration", "--seed", "--boot-timeout",
		"--firmware", "--json", "--junit", "--out", "--stop-on-failure", "--console",
		"--dump-registers", "--reuse-vm", "--sync-policy", "--sync-hammer",
		"--sync-targets", "--storm", "--quit-at", "--quit-deadline", "--kick", "--qmp",
		"--smm", "--ipi-pattern", "--event-stream", "--qemu", "--machine", "--qemu-accel",
		"--qemu-arg", "--qemu-reuse", "--max-slowdown", "--x2apic",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* Which options each subcommand takes; anything else there is a usage error. */
static bool option_fits(enum hv_cmd cmd, const char *name)
{
	static const char *const common[] = { "-v", "--verbose", "-q", "--quiet", "-h", "--help",
					      "--version", NULL };
	static const char *const info[] = { "--accel", "--json", NULL };
	static const char *const compare[] = { "--json", "--junit", "--max-slowdown", NULL };
	static const char *const mkconfig[] = { "--out", "--cpus", "--boot-timeout", "--storm",
						"--console", "--smm", "--ipi-pattern",
						"--event-stream", "--x2apic", NULL };
	/* the QEMU target's own, and the native VMM's own */
	static const char *const qemu_only[] = { "--qemu", "--machine", "--qemu-accel",
						 "--qemu-arg", "--qemu-reuse", NULL };
	static const char *const run_only[] = { "--accel", "--sync-policy", "--kick", "--reuse-vm",
						"--qmp", "--dump-registers", NULL };
	const char *const *list;
	unsigned int i;

	for (i = 0; common[i]; i++)
		if (!strcmp(name, common[i]))
			return true;
	if (cmd == CMD_RUN || cmd == CMD_QEMU) {
		/* unknown names are caught later */
		list = cmd == CMD_RUN ? qemu_only : run_only;
		for (i = 0; list[i]; i++)
			if (!strcmp(name, list[i]))
				return false;
		return strcmp(name, "--out") && strcmp(name, "--event-stream") &&
		       strcmp(name, "--max-slowdown");
	}
	list = cmd == CMD_INFO ? info : cmd == CMD_COMPARE ? compare : mkconfig;
	for (i = 0; list[i]; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

/* parse_arg's -1 is a bad value or a misfit, which help and version override */
#define ARG_UNKNOWN	(-2)	/* not an option at all: always an error */

struct parse_state {
	bool iterations_set;
	bool boot_timeout_set;
	enum hv_cmd asked;	/* CMD_HELP or CMD_VERSION once asked for, else the subcommand */
};

static int parse_option(struct hv_opts *o, struct parse_state *ps, const char *a,
			const char *name, const char *val, int argc, char **argv, int *i,
			char *err, size_t errlen);

static const char *cmd_name(enum hv_cmd cmd)
{
	return cmd == CMD_INFO ? "info" : cmd == CMD_MKCONFIG ? "mkconfig" :
	       cmd == CMD_QEMU ? "qemu" : cmd == CMD_COMPARE ? "compare" : "run";
}

/* One argument, and its value if it takes one (*i moves past it). */
static int parse_arg(struct hv_opts *o, struct parse_state *ps, int argc, char **argv, int *i,
		     char *err, size_t errlen)
{
	const char *a = argv[*i];
	const char *val = NULL;
	const char *eq = strchr(a, '=');
	char name[32], ignored[256];
	size_t n = strlen(a);

	/* accept both "--opt value" and "--opt=value" */
	if (a[0] == '-' && a[1] == '-' && eq) {
		n = (size_t)(eq - a);
		val = eq + 1;
	}
	if (n >= sizeof(name))
		goto unknown;
	memcpy(name, a, n);
	name[n] = '\0';
	if (!option_known(name))
		goto unknown;
	if (!option_fits(o->cmd, name)) {
		/* still take its value, or the value would read as an unknown option */
		parse_option(o, ps, a, name, val, argc, argv, i, ignored, sizeof(ignored));
		return fail(err, errlen, "%s does not apply to '%s'", name, cmd_name(o->cmd));
	}
	return parse_option(o, ps, a, name, val, argc, argv, i, err, errlen);
unknown:
	fail(err, errlen, "unknown option '%.64s' (try --help)", a);
	return ARG_UNKNOWN;
}

/* A known option that fits the subcommand: its value, if it takes one. */
static int parse_option(struct hv_opts *o, struct parse_state *ps, const char *a,
			const char *name, const char *val, int argc, char **argv, int *i,
			char *err, size_t errlen)
{
	const char **sp;
	size_t k;

	for (k = 0; k < sizeof(uint_opts) / sizeof(uint_opts[0]); k++) {
		const struct uint_opt *u = &uint_opts[k];
		uint64_t v;

		if (strcmp(name, u->name))
			continue;
		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (u->hi_why && !parse_u64(val, u->hi + 1, UINT64_MAX, &v))
			return fail(err, errlen, "%s: %s is more than %llu, %s", name, val,
				    (unsigned long long)u->hi, u->hi_why);
		if (parse_u64(val, u->lo, u->hi, &v))
			return fail(err, errlen, "%s: '%s' is not a number in %llu..%llu",
				    name, val, (unsigned long long)u->lo,
				    (unsigned long long)u->hi);
		*(unsigned int *)((char *)o + u->offset) = (unsigned int)v;
		if (!strcmp(name, "--iterations"))
			ps->iterations_set = true;
		if (!strcmp(name, "--boot-timeout"))
			ps->boot_timeout_set = true;
		return 0;
	}

	if (o->cmd == CMD_INFO && !strcmp(a, "--json")) {
		o->json = true;
		return 0;
	}

	sp = str_opt(o, name);
	if (sp) {
		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (!*val)
			return fail(err, errlen, "%s: empty value", name);
		*sp = val;
		return 0;
	}

	if (!strcmp(name, "--sync-policy") || !strcmp(name, "--sync-hammer") ||
	    !strcmp(name, "--sync-targets")) {
		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (!strcmp(name, "--sync-policy")) {
			if (sync_policy_parse(val, &o->sync_policy))
				return fail(err, errlen,
					    "--sync-policy: '%s' is not one of fixed, legacy-smm, legacy-init",
					    val);
		} else if (!strcmp(name, "--sync-hammer")) {
			if (hammer_mode_parse(val, &o->hammer_mode, &o->hammer_hz))
				return fail(err, errlen,
					    "--sync-hammer: '%s' is not off, max or a rate in 1..1000000 Hz",
					    val);
		} else if (!strcmp(val, "all") || !strcmp(val, "aps")) {
			o->sync_aps_only = !strcmp(val, "aps");
		} else {
			return fail(err, errlen, "--sync-targets: '%s' is not one of all, aps",
				    val);
		}
		return 0;
	}

	if (!strcmp(name, "--ipi-pattern")) {
		unsigned int p;

		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		for (p = 0; p <= IPI_PATTERN_MAX; p++)
			if (!strcmp(val, ipi_pattern_names[p]))
				break;
		if (p > IPI_PATTERN_MAX)
			return fail(err, errlen,
				    "--ipi-pattern: '%s' is not one of hvsmoke, seabios, mp-spec",
				    val);
		o->ipi_pattern = p;
		return 0;
	}

	if (!strcmp(name, "--machine") || !strcmp(name, "--qemu-accel") ||
	    !strcmp(name, "--qemu-arg")) {
		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (!strcmp(name, "--machine")) {
			if (strcmp(val, "pc") && strcmp(val, "q35"))
				return fail(err, errlen, "--machine: '%s' is not one of pc, q35",
					    val);
			o->machine = val;
		} else if (!strcmp(name, "--qemu-accel")) {
			if (strcmp(val, "kvm") && strcmp(val, "tcg") && strcmp(val, "mshv"))
				return fail(err, errlen,
					    "--qemu-accel: '%s' is not one of kvm, tcg, mshv", val);
			o->qemu_accel = val;
		} else {
			if (o->nqemu_args == OPT_MAX_QEMU_ARGS)
				return fail(err, errlen, "--qemu-arg: at most %d of them",
					    OPT_MAX_QEMU_ARGS);
			o->qemu_args[o->nqemu_args++] = val;
		}
		return 0;
	}

	if (!strcmp(name, "--smm")) {
		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (!strcmp(val, "auto"))
			o->smm = SMM_AUTO;
		else if (!strcmp(val, "on"))
			o->smm = SMM_ON;
		else if (!strcmp(val, "off"))
			o->smm = SMM_OFF;
		else
			return fail(err, errlen, "--smm: '%s' is not one of auto, on, off", val);
		return 0;
	}

	if (!strcmp(name, "--quit-at") || !strcmp(name, "--kick")) {
		uint64_t v;

		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (!strcmp(name, "--kick")) {
			if (!strcmp(val, "exit-request"))
				o->kick = KICK_EXIT_REQUEST;
			else if (!strcmp(val, "legacy-signal"))
				o->kick = KICK_LEGACY_SIGNAL;
			else
				return fail(err, errlen,
					    "--kick: '%s' is not one of exit-request, legacy-signal",
					    val);
		} else if (!strcmp(val, "never")) {
			o->quit_at_ms = QUIT_AT_NEVER;
		} else if (!strcmp(val, "random")) {
			o->quit_at_ms = QUIT_AT_RANDOM;
		} else if (!parse_u64(val, 0, 600000, &v)) {
			o->quit_at_ms = (int)v;
		} else {
			return fail(err, errlen,
				    "--quit-at: '%s' is not never, random or 0..600000 ms", val);
		}
		return 0;
	}

	if (!strcmp(name, "--max-slowdown")) {
		char *end;
		double v;

		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		errno = 0;
		v = strtod(val, &end);
		/* a ratio as typed: no hex floats, no "inf", no leading blanks */
		if (errno || end == val || *end || !(v >= 1.0 && v <= 100.0) ||
		    strspn(val, "0123456789.") != strlen(val))
			return fail(err, errlen, "--max-slowdown: '%s' is not a ratio in 1..100", val);
		o->max_slowdown = v;
		return 0;
	}

	if (!strcmp(name, "--seed")) {
		uint64_t v;

		val = take_value(val, argc, argv, i);
		if (!val)
			return fail(err, errlen, "%s needs a value", name);
		if (parse_u64(val, 0, UINT64_MAX, &v))
			return fail(err, errlen, "--seed: '%s' is not an unsigned 64-bit number", val);
		o->seed = v;
		o->seed_set = true;
		return 0;
	}

	if (val)
		return fail(err, errlen, "%s takes no value", name);
	if (!strcmp(a, "--stop-on-failure"))
		o->stop_on_failure = true;
	else if (!strcmp(a, "--console"))
		o->console = true;
	else if (!strcmp(a, "--dump-registers"))
		o->dump_registers = true;
	else if (!strcmp(a, "--reuse-vm"))
		o->reuse_vm = true;
	else if (!strcmp(a, "--qemu-reuse"))
		o->qemu_reuse = true;
	else if (!strcmp(a, "--event-stream"))
		o->event_stream = true;
	else if (!strcmp(a, "--x2apic"))
		o->x2apic = true;
	else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
		o->verbose = o->verbose < 0 ? 1 : o->verbose + 1;
	else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
		o->verbose = -1;
	else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
		ps->asked = CMD_HELP;
	else if (!strcmp(a, "--version"))
		ps->asked = CMD_VERSION;
	else
		return fail(err, errlen, "unknown option '%.64s' (try --help)", a);
	return 0;
}

int opts_parse(struct hv_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	struct parse_state ps = { 0 };
	char bad[256] = "";
	int i = 1;

	if (i < argc && argv[i][0] != '-') {
		if (!strcmp(argv[i], "run"))
			o->cmd = CMD_RUN;
		else if (!strcmp(argv[i], "info"))
			o->cmd = CMD_INFO;
		else if (!strcmp(argv[i], "mkconfig"))
			o->cmd = CMD_MKCONFIG;
		else if (!strcmp(argv[i], "qemu"))
			o->cmd = CMD_QEMU;
		else if (!strcmp(argv[i], "compare"))
			o->cmd = CMD_COMPARE;
		else
			return fail(err, errlen, "unknown command '%s' (try --help)", argv[i]);
		i++;
	}
	ps.asked = o->cmd;

	for (; i < argc; i++) {
		char why[256];
		int r;

		/* compare's two files; a path starting with '-' needs ./ in front */
		if (o->cmd == CMD_COMPARE && argv[i][0] != '-') {
			if (!o->base_path)
				o->base_path = argv[i];
			else if (!o->new_path)
				o->new_path = argv[i];
			else if (!bad[0])
				fail(bad, sizeof(bad), "compare takes two files, BASE and NEW ('%.64s' is a third)",
				     argv[i]);
			continue;
		}
		r = parse_arg(o, &ps, argc, argv, &i, why, sizeof(why));

		if (r == ARG_UNKNOWN)
			return fail(err, errlen, "%s", why);
		if (r && !bad[0])
			snprintf(bad, sizeof(bad), "%s", why);
	}
	/* help and version win over options that do not fit, but not over unknown ones */
	if (ps.asked == CMD_HELP || ps.asked == CMD_VERSION) {
		/* nothing else is used: leave no value behind that was never checked */
		opts_init(o);
		o->cmd = ps.asked;
		return 0;
	}
	if (bad[0])
		return fail(err, errlen, "%s", bad);

	if (strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") && strcmp(o->accel, "mshv") &&
	    (strncmp(o->accel, "script:", 7) || !o->accel[7]))
		return fail(err, errlen, "--accel: '%s' is not one of kvm, mshv, auto, script:FILE",
			    o->accel);
	if (!ps.boot_timeout_set)
		o->boot_timeout_ms = OPT_DEFAULT_BOOT_TIMEOUT_MS *
				     ((o->cpus + OPT_BOOT_TIMEOUT_CPUS - 1) / OPT_BOOT_TIMEOUT_CPUS);
	if (o->duration_s && ps.iterations_set)
		return fail(err, errlen, "--iterations and --duration exclude each other");
	if (o->cmd == CMD_MKCONFIG && !o->out_path)
		return fail(err, errlen, "mkconfig needs --out FILE");
	if (o->cmd == CMD_QEMU && o->smm == SMM_AUTO)
		o->smm = SMM_OFF;	/* QEMU's SMM needs a machine option: only on request */
	if (o->smm == SMM_ON && !boot_smm_fits(o->cpus, o->x2apic)) {
		char mode[48];

		if (o->x2apic)
			snprintf(mode, sizeof(mode), "--x2apic asks for x2APIC mode");
		else
			snprintf(mode, sizeof(mode), "--cpus %u is more", o->cpus);
		return fail(err, errlen,
			    "--smm on: the SMM stage supports at most %d CPUs, in xAPIC mode (per-CPU SMRAM below 640 KiB); %s",
			    HVSMOKE_SMM_MAX_CPUS, mode);
	}
	if (o->cmd == CMD_COMPARE && (!o->base_path || !o->new_path))
		return fail(err, errlen, "usage: hvsmoke compare BASE.json NEW.json [--json FILE] [--junit FILE] [--max-slowdown R]");
	if (o->cmd == CMD_COMPARE && (!*o->base_path || !*o->new_path))
		return fail(err, errlen, "compare: empty file name");
	if (o->cmd == CMD_INFO && (o->json_path || o->junit_path))
		return fail(err, errlen, "info takes --json without a file");
	return 0;
}
