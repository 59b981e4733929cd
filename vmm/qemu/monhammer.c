// SPDX-License-Identifier: GPL-2.0-only
/*
 * The phase comes from the boot's seed (first command within 1 ms for max,
 * within one period for HZ; each sweep starts at a seed-derived vCPU), so
 * across boots the commands land before, during and after INIT/SIPI.
 */
#include "monhammer.h"
#include "../util.h"

#include <errno.h>

#define MON_MAX_PHASE_NS	1000000ull	/* max mode: the first command within 1 ms */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void one_command(struct mon_hammer *h, int cpu)
{
	char err[160];
	json_t *args, *ret;
	uint64_t t0 = now_ns();

	if (cpu >= 0)
		args = json_pack("{s:s,s:i}", "command-line", "info registers", "cpu-index", cpu);
	else
		args = json_pack("{s:s}", "command-line", "info registers -a");
	ret = qmpc_command(h->qmp, "human-monitor-command", args,
			   t0 + MON_COMMAND_TIMEOUT_MS * 1000000ull, err, sizeof(err));
	if (!ret) {
		if (h->qmp->eof)
			return;	/* QEMU ended the boot (exit or quit): not the command's fault */
		if (strstr(err, "in time"))
			h->stats.timeouts++;
		else
			h->stats.errors++;
		snprintf(h->last_error, sizeof(h->last_error), "%s", err);
		return;
	}
	h->stats.syncs++;
	samples_add(&h->latency_us, (now_ns() - t0) / 1000);
	json_decref(ret);
}

static void *mon_hammer_thread(void *arg)
{
	struct mon_hammer *h = arg;
	uint64_t rng = h->params.seed;
	unsigned int first = h->params.aps_only ? 1 : 0;
	unsigned int ntargets = h->ncpus - first;
	uint64_t period = h->params.mode == HAMMER_HZ ? 1000000000ull / h->params.hz : 0;
	uint64_t t0, next;

	if (!worker_nap_until(&h->worker,
			      now_ns() + rng_next(&rng) % (period ? period : MON_MAX_PHASE_NS)))
		return NULL;
	t0 = now_ns();
	next = t0;
	while (!worker_stopping(&h->worker) && !h->qmp->eof) {
		unsigned int start = (unsigned int)(rng_next(&rng) % ntargets), k;

		for (k = 0; k < ntargets && !worker_stopping(&h->worker); k++)
			one_command(h, (int)(first + (start + k) % ntargets));
		if (!h->params.aps_only && !worker_stopping(&h->worker))
			one_command(h, -1);
		h->stats.sweeps++;
		if (period) {
			uint64_t now = now_ns();

			next += period;
			if (next > now && !worker_nap_until(&h->worker, next))
				break;
			if (next <= now)
				next = now;	/* behind: no burst to catch up */
		}
	}
	h->stats.active_ns = now_ns() - t0;
	return NULL;
}

int mon_hammer_start(struct mon_hammer *h, struct qmpc *qmp, const struct hammer_params *p,
		     unsigned int ncpus)
{
	h->qmp = qmp;
	h->params = *p;
	h->ncpus = ncpus;
	memset(&h->worker, 0, sizeof(h->worker));
	memset(&h->stats, 0, sizeof(h->stats));
	h->latency_us.n = 0;
	h->last_error[0] = '\0';
	if (p->mode == HAMMER_OFF || (p->aps_only && ncpus < 2))
		return 0;
	return worker_start(&h->worker, mon_hammer_thread, h);
}

void mon_hammer_stop(struct mon_hammer *h)
{
	/* each command is bounded by MON_COMMAND_TIMEOUT_MS, so this is too */
	worker_stop(&h->worker);
}

void mon_hammer_free(struct mon_hammer *h)
{
	free(h->latency_us.v);
	h->latency_us.v = NULL;
	h->latency_us.n = h->latency_us.cap = 0;
}
