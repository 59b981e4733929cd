/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A source of boot facts. hvsmoke's own VMM and the host's QEMU each run one
 * boot into a struct boot_result; the verdict, the summaries and the reports
 * downstream are the same for both (main.c's run loop drives either).
 */
#ifndef HVSMOKE_TARGET_H
#define HVSMOKE_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "verdict.h"

struct boot_spec {
	unsigned int iteration;
	uint64_t seed;			/* this boot's own seed */
	int quit_at_ms;			/* quit this long after the boot starts; -1: never */
};

struct boot_target {
	const char *name;		/* "native" or "qemu" */
	/*
	 * Run one boot into r, classified. Never blocks past the boot's
	 * deadlines. False when this process cannot run another boot.
	 */
	bool (*boot)(struct boot_target *t, const struct boot_spec *spec, struct boot_result *r);
	/* A quit from outside (QMP, a signal) ends the run. */
	bool (*quitting)(struct boot_target *t);
	/* The boot asked to be run again (system_reset from outside). */
	void (*take_reset)(struct boot_target *t);
	/*
	 * CPU seconds used so far by the target's processes that are still
	 * running (not yet reaped, so not in RUSAGE_CHILDREN): a reused QEMU's
	 * work is the run's own, not another tenant's. NULL: it has none.
	 */
	double (*live_cpu_s)(struct boot_target *t);
};

#endif
