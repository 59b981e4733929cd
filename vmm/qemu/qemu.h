/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The QEMU target: the host's QEMU as the VMM, driven over QMP the way a
 * production monitor drives it, as another source of boot facts behind
 * struct boot_target.
 */
#ifndef HVSMOKE_QEMU_QEMU_H
#define HVSMOKE_QEMU_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../hammer.h"
#include "../report.h"
#include "../target.h"
#include "monhammer.h"
#include "qmpc.h"

#define QEMU_GREETING_MS	10000	/* spawn -> QMP greeting; HVSMOKE_QEMU_GREETING_MS overrides */
#define QEMU_EVIDENCE_MS	2000	/* info registers -a and query-cpus-fast after a failure */
#define QEMU_STOP_MS		1000	/* completion -> process gone; system_reset's commands */
#define QEMU_KILL_MS		5000	/* SIGKILL -> reaped */
#define QEMU_PROBE_MS		100	/* does QMP still answer, when QEMU overstays a deadline */
#define QEMU_RAM_MB_STR		"32"	/* the firmware needs < 1 MiB; SMRAM included */

struct qemu_params {
	const char *binary;
	const char *machine;		/* pc or q35 */
	const char *accel;		/* kvm, tcg or mshv */
	const char *const *extra;	/* --qemu-arg, appended verbatim */
	unsigned int nextra;
	bool reuse;			/* one QEMU, system_reset between boots */
	const uint8_t *fw;
	size_t fw_size;
	unsigned int cpus;
	unsigned int boot_timeout_ms;
	unsigned int storm_ms;
	unsigned int quit_deadline_ms;
	unsigned int ipi_pattern;
	bool console;
	bool smm;
	bool x2apic;			/* every CPU in x2APIC mode: --x2apic, or more than
					 * HVSMOKE_MAX_XAPIC_CPUS CPUs (CFG_F_X2APIC) */
	struct hammer_params hammer;	/* its seed is derived per boot */
};

enum qemu_sock {
	QS_QMP,		/* control: cont, quit, system_reset, evidence */
	QS_MON,		/* the monitor hammer's own connection */
	QS_EVENTS,	/* isa-debugcon on PORT_EVSTREAM */
	QS_ACK,		/* COM1: the firmware waits for a byte here before a failing exit */
	QS_CONSOLE,	/* isa-debugcon on PORT_DEBUGCON (--console) */
	QS_COUNT,
};

struct qemu_proc;

struct qemu_target {
	struct boot_target base;
	struct qemu_params p;
	char dir[108];			/* private, mode 0700 */
	char fw_path[160], cfg_path[160];
	char sock_path[QS_COUNT][160];
	int lsock[QS_COUNT];		/* listening; QEMU connects as a client */
	int sigfd;			/* SIGINT/SIGTERM */
	struct qemu_proc *proc;		/* the QEMU of this boot (kept with --qemu-reuse) */
	bool quit;			/* a signal asked the run to end */
	struct qemu_host info;		/* for the reports' host block */
	struct mon_hammer hammer;
};

/*
 * Make the private directory, the image, the config and the sockets, and
 * start the first QEMU (paused), so that a host where QEMU cannot run is
 * known before any boot. Returns 0, or HV_EXIT_SKIP / HV_EXIT_USAGE with
 * the one-line reason in err (everything made is removed again).
 */
int qemu_target_open(struct qemu_target *t, const struct qemu_params *p, char *err, size_t len);
/* Kill and reap any QEMU, remove every file. Safe to call twice. */
void qemu_target_close(struct qemu_target *t);

/* Exposed for the unit tests: QEMU's exit status for a completion code. */
int qemu_expected_status(int completion);

#endif
