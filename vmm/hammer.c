// SPDX-License-Identifier: GPL-2.0-only
/* The hammer thread: sweeps of sync requests, paced or back to back. */
#include "hammer.h"
#include "sync.h"
#include "util.h"
#include "vcpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HAMMER_MAX_PHASE_NS	1000000ull	/* max mode: first sweep within 1 ms */

int hammer_mode_parse(const char *s, enum hammer_mode *mode, unsigned int *hz)
{
	char *end;
	unsigned long v;

	if (!strcmp(s, "off")) {
		*mode = HAMMER_OFF;
		return 0;
	}
	if (!strcmp(s, "max")) {
		*mode = HAMMER_MAX;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v < 1 || v > 1000000)
		return -1;
	*mode = HAMMER_HZ;
	*hz = (unsigned int)v;
	return 0;
}

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	struct vcpu_group *g = h->group;
	unsigned int first = h->params.aps_only ? 1 : 0;
	unsigned int ntargets = g->count - first;
	uint64_t rng = h->params.seed;
	uint64_t period = h->params.mode == HAMMER_HZ ? 1000000000ull / h->params.hz : 0;
	uint64_t t0 = now_ns(), next;

	/*
	 * The phase against the BSP's INIT/SIPI comes from the seed: the
	 * first sweep starts somewhere in the first period (or millisecond).
	 */
	next = t0 + rng_next(&rng) % (period ? period : HAMMER_MAX_PHASE_NS);
	worker_nap_until(&h->worker, next);
	t0 = now_ns();

	while (!worker_stopping(&h->worker)) {
		unsigned int start = (unsigned int)(rng_next(&rng) % ntargets);
		unsigned int k, gone = 0;

		for (k = 0; k < ntargets && !worker_stopping(&h->worker); k++) {
			struct vcpu *v = &g->vcpus[first + (start + k) % ntargets];
			int r = sync_request(v, NULL,
					     now_ns() + HAMMER_REQUEST_TIMEOUT_MS * 1000000ull);

			if (!r)
				h->stats.syncs++;
			else if (r == -ETIMEDOUT)
				h->stats.timeouts++;
			else if (r == -ESRCH)
				gone++;
			else
				h->stats.errors++;
		}
		if (gone < ntargets)
			h->stats.sweeps++;	/* a sweep that served nobody is no sweep */
		if (period) {
			uint64_t now = now_ns();

			/* a slot missed (the thread was descheduled) is skipped, not caught up in a burst */
			next += period;
			if (next < now)
				next += (now - next) / period * period + period;
			worker_nap_until(&h->worker, next);
		} else if (gone == ntargets) {
			/* every target has stopped: nothing to hammer until told to stop */
			worker_nap_until(&h->worker, now_ns() + 1000000ull);
		}
	}
	/* paced: each sweep owns one period, the first (at t0) included */
	h->stats.active_ns = now_ns() - t0 + period;
	return NULL;
}

int hammer__start(struct hammer *h, struct vcpu_group *g, const struct hammer_params *p)
{
	memset(h, 0, sizeof(*h));
	h->group = g;
	h->params = *p;
	if (p->mode == HAMMER_OFF || (p->aps_only && g->count < 2))
		return 0;
	return worker_start(&h->worker, hammer_thread, h);
}

void hammer__stop(struct hammer *h, struct hammer_stats *out)
{
	/* its waits are bounded by HAMMER_REQUEST_TIMEOUT_MS, so this is too */
	worker_stop(&h->worker);
	if (out)
		*out = h->stats;
}
