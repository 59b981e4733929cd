/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The monitor hammer for the QEMU target: a thread on its own QMP connection
 * that sends `info registers` for each target vCPU and `info registers -a`,
 * back to back or at a sweep rate, as the seeds' monitor tool did. In QEMU
 * each of these makes every named vCPU thread sync its state out of KVM and
 * write it back before its next entry: the path seed 000 broke.
 */
#ifndef HVSMOKE_QEMU_MONHAMMER_H
#define HVSMOKE_QEMU_MONHAMMER_H

#include <stdbool.h>
#include <stdint.h>

#include "../hammer.h"
#include "../report.h"
#include "../worker.h"
#include "qmpc.h"

/* One monitor command's bound: a command QEMU never answers is counted, not waited for. */
#define MON_COMMAND_TIMEOUT_MS	1000

struct mon_hammer {
	struct qmpc *qmp;		/* used only by the thread while it runs */
	struct hammer_params params;
	unsigned int ncpus;
	struct worker worker;
	/* written by the thread until joined */
	struct hammer_stats stats;	/* syncs = commands answered */
	struct samples latency_us;	/* one per answered command */
	char last_error[160];
};

/* Start the thread (no-op for HAMMER_OFF). 0 or -errno. */
int mon_hammer_start(struct mon_hammer *h, struct qmpc *qmp, const struct hammer_params *p,
		     unsigned int ncpus);
/* Stop and join; bounded by MON_COMMAND_TIMEOUT_MS. The stats stay in h. */
void mon_hammer_stop(struct mon_hammer *h);
/* Free the latency samples. */
void mon_hammer_free(struct mon_hammer *h);

#endif
