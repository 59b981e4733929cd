/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The register-sync hammer: a monitor thread that syncs vCPUs the way a
 * `info registers -a` loop does, from before the BSP's first instruction.
 */
#ifndef HVSMOKE_HAMMER_H
#define HVSMOKE_HAMMER_H

#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

struct vcpu_group;

enum hammer_mode {
	HAMMER_OFF,
	HAMMER_MAX,	/* back-to-back sweeps */
	HAMMER_HZ,	/* hz full sweeps per second */
};

struct hammer_params {
	enum hammer_mode mode;
	unsigned int hz;
	bool aps_only;		/* --sync-targets aps */
	uint64_t seed;		/* picks the phase and the sweep order */
};

/* A boot's hammer seed is the boot's seed ^ this: a seed replays the same phase. */
#define HAMMER_SEED_SALT	0x5bd1e995ull

/* Bound on one sync request; a vCPU thread that misses it is counted. */
#define HAMMER_REQUEST_TIMEOUT_MS	100

struct hammer_stats {
	uint64_t syncs;		/* requests served by a vCPU thread */
	uint64_t sweeps;
	uint64_t timeouts;
	uint64_t errors;
	uint64_t active_ns;	/* first request to stop */
};

struct hammer {
	struct vcpu_group *group;
	struct hammer_params params;
	struct worker worker;
	struct hammer_stats stats;	/* written by the hammer thread until joined */
};

/* Parse "off", "max" or a sweep rate in Hz. 0 or -1. */
int hammer_mode_parse(const char *s, enum hammer_mode *mode, unsigned int *hz);

/* Start the thread (no-op for HAMMER_OFF). 0 or -errno. */
int hammer__start(struct hammer *h, struct vcpu_group *g, const struct hammer_params *p);
/* Stop and join; bounded by HAMMER_REQUEST_TIMEOUT_MS. Copies the stats. */
void hammer__stop(struct hammer *h, struct hammer_stats *out);

#endif
