// SPDX-License-Identifier: GPL-2.0-only
/* The lifecycle of one boot; every wait in it has a deadline. */
#include "boot.h"
#include "devices/platform.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct boot_result *boot_result_alloc(unsigned int ncpus)
{
	struct boot_result *r = xzalloc(sizeof(*r));

	r->ncpus = ncpus;
	r->vcpus = xzalloc(ncpus * sizeof(*r->vcpus));
	return r;
}

void boot_result_free(struct boot_result *r)
{
	if (!r)
		return;
	free(r->regdump);
	free(r->vcpus);
	free(r);
}

static void result_reset(struct boot_result *r, const struct boot_params *bp)
{
	struct vcpu_report *v = r->vcpus;
	unsigned int n = r->ncpus;

	free(r->regdump);
	memset(r, 0, sizeof(*r));
	memset(v, 0, n * sizeof(*v));
	r->vcpus = v;
	r->ncpus = n;
	r->iteration = bp->iteration;
	r->seed = bp->seed;
	r->completion = -1;
	r->crash_vcpu = -1;
	ev_log_init(&r->log, n);
}

void boot_make_config(struct hvsmoke_cfg *cfg, unsigned int cpus, unsigned int boot_timeout_ms,
		      uint32_t tsc_khz, bool console)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->magic = HVSMOKE_CFG_MAGIC;
	cfg->version = HVSMOKE_CFG_VERSION;
	cfg->size = HVSMOKE_CFG_SIZE;
	cfg->flags = console ? CFG_F_CONSOLE : 0;
	cfg->expected_cpus = cpus;
	/*
	 * The firmware gives up on its APs at half the VMM's deadline, so a lost
	 * AP is reported by the guest itself, with time left for the VMM to see it.
	 */
	cfg->scan_deadline_tsc = (uint64_t)tsc_khz * (boot_timeout_ms / 2);
}

/* Fisher-Yates over 0..n-1 from the boot's seed: thread start order is part of the test. */
static void start_order(unsigned int *order, unsigned int n, uint64_t seed)
{
	uint64_t s = seed;
	unsigned int i;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned int j = (unsigned int)(rng_next(&s) % (i + 1));
		unsigned int t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

static void collect(struct boot_result *r, struct platform *p, struct vcpu_group *g,
		    uint64_t t_start)
{
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	r->log = p->log;
	r->completion = p->completion;
	if (p->completion >= 0)
		r->boot_ns = p->t_completion_ns - t_start;
	if (p->log.t_last_online_ns)
		r->online_ns = p->log.t_last_online_ns - t_start;
	r->crash_vcpu = p->crash_vcpu;
	r->crash_exit = p->crash_exit;
	r->vmm_error = p->vmm_error;
	r->vmm_error_vcpu = p->vmm_error_vcpu;
	pthread_mutex_unlock(&p->lock);
	r->post_writes = atomic_load(&p->post_writes);
	r->unhandled_io = atomic_load(&p->unhandled_io);

	for (i = 0; i < g->count; i++) {
		struct vcpu_stats *s = &g->vcpus[i].stats;
		struct vcpu_sync *sy = &g->vcpus[i].sync;

		r->vcpus[i].entries = atomic_load(&s->entries);
		r->vcpus[i].exits = atomic_load(&s->exits);
		r->vcpus[i].io_exits = atomic_load(&s->io_exits);
		r->vcpus[i].eintr = atomic_load(&s->eintr);
		/* the thread has left its loop (or is stuck, then these are not read) */
		if (r->stuck_threads)
			continue;
		r->sync_fetches += sy->fetches;
		r->sync_writebacks += sy->writebacks;
		r->legacy_inits += sy->legacy_inits;
		if (sy->errors) {
			if (!r->sync_errors) {
				r->sync_error_vcpu = (int)i;
				r->sync_last_error = sy->last_error;
			}
			r->sync_errors += sy->errors;
		}
	}
}

/* `info registers` for the vCPUs the verdict points at (or all of them). */
static void dump_registers(struct boot_result *r, struct vcpu_group *g, bool all)
{
	const size_t per_cpu = 2048;
	struct vcpu_state *st = xzalloc(sizeof(*st));
	size_t used = 0, cap = 0;
	unsigned int i;

	for (i = 0; i < g->count; i++)
		cap += (all || r->vcpus[i].evidence) ? per_cpu : 0;
	if (!cap) {
		free(st);
		return;
	}
	r->regdump = xzalloc(cap);
	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (!all && !r->vcpus[i].evidence)
			continue;
		if (v->vm->ops->vcpu_get_state(v, st)) {
			used += (size_t)snprintf(r->regdump + used, cap - used,
						 "CPU#%u\n(state unavailable)\n", i);
			continue;
		}
		used += x86_state_dump(st, i, r->regdump + used, cap - used);
	}
	free(st);
}

bool boot_run(const struct boot_params *bp, struct boot_result *r)
{
	struct vcpu_hooks hooks = {
		.handle_exit = platform__handle_exit,
		.run_failed = platform__run_failed,
	};
	struct hvsmoke_cfg cfg;
	struct hammer_params hp = bp->hammer;
	struct hammer hammer;
	struct vcpu_group group;
	struct platform *plat;
	unsigned int *order;
	struct vm vm;
	uint64_t t_start, deadline;
	bool safe = true;
	unsigned int i;

	result_reset(r, bp);
	plat = xzalloc(sizeof(*plat));
	order = xzalloc(bp->cpus * sizeof(*order));

	if (vm__create(&vm, bp->ops, bp->fw, bp->fw_size, r->setup_error, sizeof(r->setup_error)))
		goto out_classify;

	hooks.ctx = plat;
	if (vcpu_group__create(&group, &vm, bp->cpus, &hooks, r->setup_error,
			       sizeof(r->setup_error)))
		goto out_vm;

	boot_make_config(&cfg, bp->cpus, bp->boot_timeout_ms,
			 bp->ops->vcpu_tsc_khz(&group.vcpus[0]), bp->console);
	platform__init(plat, bp->cpus, &cfg, bp->console);
	start_order(order, bp->cpus, bp->seed);
	for (i = 0; i < group.count; i++) {
		group.vcpus[i].sync.policy = bp->sync_policy;
		group.vcpus[i].sync.host_smm = bp->host_smm;
	}

	/* The hammer is up before any vCPU thread, so it covers the earliest boot. */
	hp.seed = bp->seed ^ 0x5bd1e995ull;
	if (hammer__start(&hammer, &group, &hp))
		snprintf(r->setup_error, sizeof(r->setup_error), "cannot start the sync hammer");

	t_start = now_ns();
	deadline = t_start + (uint64_t)bp->boot_timeout_ms * 1000000ull;
	if (!r->setup_error[0] &&
	    vcpu_group__start(&group, order, r->setup_error, sizeof(r->setup_error)) == 0)
		r->timed_out = !platform__wait(plat, deadline);

	hammer__stop(&hammer, &r->hammer);
	r->stuck_threads = vcpu_group__stop(&group, now_ns() + BOOT_STOP_DEADLINE_MS * 1000000ull);
	collect(r, plat, &group, t_start);
	verdict_classify(r);

	if ((r->cls != FC_PASS || bp->dump_registers) && !r->stuck_threads) {
		/* every thread is out of the guest, so these ioctls cannot block */
		for (i = 0; i < group.count; i++)
			bp->ops->vcpu_brief(&group.vcpus[i], &r->vcpus[i].brief);
		dump_registers(r, &group, bp->dump_registers);
	}

	if (vcpu_group__destroy(&group)) {
		/* a thread still runs in this VM: keep its memory and stop boot loops */
		safe = false;
		goto out_free;
	}
	platform__destroy(plat);
out_vm:
	vm__destroy(&vm);
out_classify:
	if (r->setup_error[0])
		verdict_classify(r);
	free(plat);
out_free:
	free(order);
	return safe;
}
