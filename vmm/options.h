/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line parsing into one plain struct; no side effects, so it is unit-tested. */
#ifndef HVSMOKE_OPTIONS_H
#define HVSMOKE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hammer.h"
#include "sync.h"
#include "vcpu.h"

enum smm_mode {
	SMM_AUTO,	/* run the SMM stage where the host can, else a TAP SKIP */
	SMM_ON,		/* a host without SMM is a setup error */
	SMM_OFF,
};

#define QUIT_AT_NEVER		(-1)
#define QUIT_AT_RANDOM		(-2)
#define OPT_DEFAULT_QUIT_DEADLINE_MS	500

enum hv_cmd {
	CMD_RUN,
	CMD_INFO,
	CMD_MKCONFIG,	/* write the fw_cfg config file for booting the image elsewhere */
	CMD_QEMU,	/* the same scenario with the host's QEMU as the VMM */
	CMD_COMPARE,	/* two runs' JSON: did anything regress? */
	CMD_HELP,
	CMD_VERSION,
};

#define OPT_MAX_QEMU_ARGS	64

struct hv_opts {
	enum hv_cmd cmd;
	const char *accel;		/* "auto" or "kvm" */
	unsigned int cpus;
	unsigned int iterations;
	unsigned int duration_s;	/* nonzero: run until this many seconds pass */
	uint64_t seed;
	bool seed_set;
	unsigned int boot_timeout_ms;
	const char *firmware;		/* NULL: the embedded image */
	const char *json_path;
	const char *junit_path;
	const char *out_path;		/* mkconfig */
	const char *qmp_path;		/* --qmp: the control socket */
	int quit_at_ms;			/* QUIT_AT_NEVER, QUIT_AT_RANDOM or ms after start */
	unsigned int quit_deadline_ms;
	unsigned int storm_ms;		/* POST-code storm per CPU; 0: none */
	enum kick_policy kick;
	enum smm_mode smm;
	bool stop_on_failure;
	bool json;			/* info --json */
	bool console;			/* guest text console to stderr */
	bool dump_registers;		/* info registers -a after each boot */
	bool reuse_vm;			/* warm-reset one VM between boots */
	enum sync_policy sync_policy;
	enum hammer_mode hammer_mode;
	unsigned int hammer_hz;
	bool sync_aps_only;
	int verbose;			/* -v count, -1 with -q */
	unsigned int ipi_pattern;	/* enum ipi_pattern */
	bool event_stream;		/* mkconfig: CFG_F_EVSTREAM */
	bool x2apic;			/* --x2apic: x2APIC mode at any CPU count (CFG_F_X2APIC) */
	/* the QEMU target */
	const char *qemu;		/* --qemu: binary, default from PATH */
	const char *machine;		/* pc or q35 */
	const char *qemu_accel;		/* kvm, tcg or mshv */
	const char *qemu_args[OPT_MAX_QEMU_ARGS];
	unsigned int nqemu_args;
	bool qemu_reuse;		/* one QEMU, system_reset between boots */
	/* compare */
	const char *base_path, *new_path;
	double max_slowdown;		/* latency ratio NEW/BASE past which it regressed */
};

#define OPT_DEFAULT_CPUS		4
#define OPT_DEFAULT_ITERATIONS		10
/*
 * --boot-timeout's default, per started OPT_BOOT_TIMEOUT_CPUS CPUs: the APs'
 * way online grows faster than their count (on a 2-core host 50 ms at 256
 * vCPUs, 0.5 s at 1024), and the firmware's scan waits half the deadline.
 */
#define OPT_DEFAULT_BOOT_TIMEOUT_MS	2000
#define OPT_BOOT_TIMEOUT_CPUS		256
#define OPT_DEFAULT_MAX_SLOWDOWN	1.25

void opts_init(struct hv_opts *o);
/* Returns 0, or -1 with a one-line reason in err. */
int opts_parse(struct hv_opts *o, int argc, char **argv, char *err, size_t errlen);
void opts_usage(FILE *f);
const char *ipi_pattern_name(unsigned int p);

#endif
