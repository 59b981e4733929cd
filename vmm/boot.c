// SPDX-License-Identifier: GPL-2.0-only
/* The lifecycle of one boot; every wait in it has a deadline. */
#include "boot.h"
#include "control.h"
#include "devices/platform.h"
#include "reaper.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAUSED_SLICE_NS	50000000ull	/* how often a paused boot re-reads its deadline */

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
	free(r->notes);
	free(r->monitor_us.v);
	free(r->vcpus);
	free(r);
}

void boot_result_reset(struct boot_result *r, unsigned int iteration, uint64_t seed, bool smm)
{
	struct vcpu_report *v = r->vcpus;
	unsigned int n = r->ncpus;
	struct samples mon = r->monitor_us;

	free(r->regdump);
	free(r->notes);
	memset(r, 0, sizeof(*r));
	memset(v, 0, n * sizeof(*v));
	r->vcpus = v;
	r->monitor_us = mon;	/* the buffer is kept, the samples are not */
	r->monitor_us.n = 0;
	r->ncpus = n;
	r->iteration = iteration;
	r->seed = seed;
	r->completion = -1;
	r->crash_vcpu = -1;
	r->smm_stage = smm;
	ev_log_init(&r->log, n);
}

void boot_make_config(struct hvsmoke_cfg *cfg, unsigned int cpus, unsigned int boot_timeout_ms,
		      uint32_t tsc_khz, uint32_t flags, unsigned int storm_ms,
		      unsigned int ipi_pattern)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->magic = HVSMOKE_CFG_MAGIC;
	cfg->version = HVSMOKE_CFG_VERSION;
	cfg->size = HVSMOKE_CFG_SIZE;
	cfg->flags = flags;
	cfg->expected_cpus = cpus;
	/*
	 * The firmware gives up on its APs at half the VMM's deadline, so a lost
	 * AP is reported by the guest itself, with time left for the VMM to see it.
	 */
	cfg->scan_deadline_tsc = (uint64_t)tsc_khz * (boot_timeout_ms / 2);
	cfg->storm_tsc = (uint64_t)tsc_khz * storm_ms;
	cfg->tsc_khz = tsc_khz;
	cfg->ipi_pattern = ipi_pattern;
}

uint64_t boot_budget_ms(unsigned int boot_timeout_ms, unsigned int storm_ms, bool smm)
{
	uint64_t t = boot_timeout_ms, storm = storm_ms;

	/*
	 * The firmware's own worst case, from its deadlines (D = t/2 for the
	 * scan and the SMM lock, D/8 per SMI): the BSP's storm and scan take
	 * storm + D. The SMM stage adds the BSP's own (D + 3 SMIs), then its
	 * wait for the APs, which start after their storm (D + 4 SMIs + storm):
	 * 2 storm + 3D + 7D/8 in all. The VMM waits half a timeout longer than
	 * each, so a failure the firmware reports itself is never cut short.
	 */
	if (!smm)
		return t + storm;
	return 2 * storm + t / 2 + 3 * (t / 2) + 7 * (t / 16) + t / 2;
}

int boot_check_host(const struct accel_ops *ops, const struct accel_caps *caps,
		    unsigned int cpus, bool x2apic_asked, char *why, size_t len)
{
	if (cpus > (unsigned int)caps->max_vcpus) {
		snprintf(why, len, "--cpus %u: %s allows at most %d vCPUs per VM", cpus, ops->name,
			 caps->max_vcpus);
		return -E2BIG;
	}
	if (caps->max_vcpu_id && cpus > (unsigned int)caps->max_vcpu_id) {
		snprintf(why, len, "--cpus %u: %s allows vCPU IDs below %d (KVM_CAP_MAX_VCPU_ID), and the vCPUs' IDs are their APIC IDs, 0..%u",
			 cpus, ops->name, caps->max_vcpu_id, cpus - 1);
		return -E2BIG;
	}
	if (boot_x2apic_mode(cpus, x2apic_asked) && !caps->x2apic) {
		char lacks[96];

		if (ops == &kvm_accel_ops)
			snprintf(lacks, sizeof(lacks),
				 "host KVM lacks KVM_CAP_X2APIC_API (32-bit APIC IDs, no 0xff broadcast)");
		else
			snprintf(lacks, sizeof(lacks), "the %s backend has no x2APIC mode", ops->name);
		if (x2apic_asked)
			snprintf(why, len, "--x2apic: %s", lacks);
		else
			snprintf(why, len, "--cpus %u runs in x2APIC mode (more than %d CPUs): %s",
				 cpus, HVSMOKE_MAX_XAPIC_CPUS, lacks);
		return -ENOTSUP;
	}
	return 0;
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
	r->smi_error = p->smi_error;
	if (p->completion >= 0)
		r->boot_ns = p->t_completion_ns - t_start;
	if (p->log.t_last_online_ns)
		r->online_ns = p->log.t_last_online_ns - t_start;
	r->crash_vcpu = p->crash_vcpu;
	r->crash_exit = p->crash_exit;
	r->vmm_error = p->vmm_error;
	r->vmm_error_vcpu = p->vmm_error_vcpu;
	pthread_mutex_unlock(&p->lock);
	if (p->log.t_boot_ns && p->completion >= 0)
		pr_debug("boot %u: first event at %llu us, boot event at %llu us, scan done at %llu us, completion at %llu us",
			 r->iteration, (unsigned long long)((p->log.t_first_ns - t_start) / 1000),
			 (unsigned long long)((p->log.t_boot_ns - t_start) / 1000),
			 (unsigned long long)(p->log.t_scan_done_ns ?
					      (p->log.t_scan_done_ns - t_start) / 1000 : 0),
			 (unsigned long long)((p->t_completion_ns - t_start) / 1000));
	r->post_writes = atomic_load(&p->post_writes);
	r->unhandled_io = atomic_load(&p->unhandled_io);

	for (i = 0; i < g->count; i++) {
		struct vcpu_stats *s = &g->vcpus[i].stats;
		struct vcpu_sync *sy = &g->vcpus[i].sync;

		r->vcpus[i].entries = atomic_load(&s->entries);
		r->vcpus[i].exits = atomic_load(&s->exits);
		r->vcpus[i].io_exits = atomic_load(&s->io_exits);
		r->vcpus[i].eintr = atomic_load(&s->eintr);
		r->vcpus[i].eagain = atomic_load(&s->eagain);
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

static void brief_from_state(const struct vcpu_state *st, struct vcpu_brief *b)
{
	memset(b, 0, sizeof(*b));
	b->valid = true;
	b->mp_state_valid = st->valid & PART_BIT(PART_MP_STATE);
	b->events_valid = st->valid & PART_BIT(PART_EVENTS);
	b->mp_state = st->mp_state.mp_state;
	b->cs = st->sregs.cs.selector;
	b->cs_base = st->sregs.cs.base;
	b->rip = st->regs.rip;
	b->events_flags = st->events.flags;
	b->init_pending = st->events.smi.latched_init;
	b->smm = st->events.smi.smm;
	b->sipi_valid = st->events.flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	b->sipi_vector = st->events.sipi_vector;
}

/*
 * The evidence of a failed boot: each vCPU's state, read once (events before
 * mp_state, so a latched INIT is seen before KVM acts on it), and the
 * `info registers` dump of the vCPUs the verdict points at (or of all).
 */
static void gather_evidence(struct boot_result *r, struct vcpu_group *g, bool dump_all)
{
	const size_t per_cpu = 2048;
	struct vcpu_state *st = xzalloc(sizeof(*st));
	size_t used = 0, cap = 0;
	unsigned int i;

	for (i = 0; i < g->count; i++)
		cap += (dump_all || r->vcpus[i].evidence) ? per_cpu : 0;
	if (cap)
		r->regdump = xzalloc(cap);
	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];
		bool dump = dump_all || r->vcpus[i].evidence;

		if (v->vm->ops->vcpu_get_state(v, st)) {
			if (dump) {
				int n = snprintf(r->regdump + used, cap - used,
						 "CPU#%u\n(state unavailable)\n", i);

				used = n > 0 && used + (size_t)n < cap ? used + (size_t)n : cap - 1;
			}
			continue;
		}
		brief_from_state(st, &r->vcpus[i].brief);
		if (dump)
			used += x86_state_dump(st, i, r->regdump + used, cap - used);
	}
	free(st);
}

/*
 * Wait for the boot to end: completion, a crash, a quit or reset from the
 * control plane, this boot's own --quit-at, or the deadline (which a pause
 * pushes back). Returns the time the boot was told to end, or 0.
 */
static uint64_t wait_for_end(const struct boot_params *bp, struct boot_result *r,
			     struct platform *plat, uint64_t t_start)
{
	uint64_t budget = boot_budget_ms(bp->boot_timeout_ms, bp->storm_ms, bp->smm) * 1000000ull;
	uint64_t quit_at = bp->quit_at_ms >= 0 ?
			   t_start + (uint64_t)bp->quit_at_ms * 1000000ull : UINT64_MAX;

	for (;;) {
		uint64_t paused = bp->ctl ? control_paused_ns(bp->ctl) : 0;
		uint64_t deadline = t_start + budget + paused, until, now;

		until = deadline < quit_at ? deadline : quit_at;
		if (bp->ctl && atomic_load(&bp->ctl->paused) && until > now_ns() + PAUSED_SLICE_NS)
			until = now_ns() + PAUSED_SLICE_NS;	/* the deadline moves while paused */
		if (platform__wait(plat, until))
			return 0;
		now = now_ns();
		if (now >= quit_at) {
			r->quit_internal = true;
			platform__abort(plat, ABORT_QUIT, now);
			return now;
		}
		if (bp->ctl && (atomic_load(&bp->ctl->paused) ||
				control_paused_ns(bp->ctl) != paused))
			continue;	/* a pause moved the deadline */
		if (now >= deadline) {
			/* from here on a quit or reset cannot turn this timeout into something else */
			platform__time_out(plat);
			r->timed_out = true;
			return 0;
		}
	}
}

/* Evidence for threads that never left: are they spinning on exits? */
static void sample_stuck(struct boot_result *r, struct vcpu_group *g)
{
	struct timespec ts = { .tv_nsec = 10000000 };
	unsigned int i;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (!atomic_load(&v->thread_started) || atomic_load(&v->exited))
			continue;
		r->vcpus[i].stuck = true;
		r->vcpus[i].evidence = true;
		r->vcpus[i].exits_at_deadline = atomic_load(&v->stats.exits);
		if (atomic_load(&v->in_console))
			snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
				 "blocked writing the guest console to stderr (--console), not in the guest: the kick was not lost");
	}
	nanosleep(&ts, NULL);
	for (i = 0; i < g->count; i++)
		if (r->vcpus[i].stuck)
			r->vcpus[i].exits_10ms_later = atomic_load(&g->vcpus[i].stats.exits);
}

/*
 * Everything a vCPU thread can reach lives here, on the heap: if a thread
 * never leaves the guest, this is leaked rather than freed under it. With
 * --reuse-vm it also outlives the boot, for the next one.
 */
struct boot_live {
	struct vcpu_hooks hooks;
	struct vcpu_group group;
	struct platform plat;
	struct vm vm;
	struct vcpu_state *reset_state;	/* each vCPU as KVM created it (--reuse-vm) */
	bool built;
};

/* A fresh VM and its vCPUs. 0, or -1 with r->setup_error filled. */
static int live_build(const struct boot_params *bp, struct boot_live *live, struct boot_result *r)
{
	unsigned int i;

	if (vm__create(&live->vm, bp->ops, bp->fw, bp->fw_size, bp->smm, r->setup_error,
		       sizeof(r->setup_error)))
		return -1;
	if (bp->x2apic && bp->ops->vm_x2apic) {
		int err = bp->ops->vm_x2apic(&live->vm);

		if (err) {
			snprintf(r->setup_error, sizeof(r->setup_error),
				 "%s: cannot set the VM up for x2APIC mode: %s", bp->ops->name,
				 strerror(-err));
			vm__destroy(&live->vm);
			return -1;
		}
	}
	live->hooks.handle_exit = platform__handle_exit;
	live->hooks.run_failed = platform__run_failed;
	live->hooks.ctx = &live->plat;
	if (vcpu_group__create(&live->group, &live->vm, bp->cpus, &live->hooks, r->setup_error,
			       sizeof(r->setup_error))) {
		vm__destroy(&live->vm);
		return -1;
	}
	live->built = true;
	if (!bp->reuse)
		return 0;
	/* the reset state to come back to: read before anything ever ran */
	live->reset_state = xzalloc(bp->cpus * sizeof(*live->reset_state));
	for (i = 0; i < bp->cpus; i++) {
		struct vcpu *v = &live->group.vcpus[i];
		int err = bp->ops->vcpu_get_state(v, &live->reset_state[i]);

		if (err) {
			snprintf(r->setup_error, sizeof(r->setup_error),
				 "vCPU %u: cannot read its reset state: %s", i, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* A warm reset: every vCPU back to its reset state at reset level, RAM cleared. */
static int live_warm_reset(const struct boot_params *bp, struct boot_live *live,
			   struct boot_result *r)
{
	struct sync_plan plan;
	unsigned int i;

	vcpu_group__rearm(&live->group);
	vm__reset_memory(&live->vm);
	sync_plan_for(SYNC_RESET, SYNC_POLICY_FIXED, bp->host_smm, &plan);
	for (i = 0; i < live->group.count; i++) {
		struct vcpu *v = &live->group.vcpus[i];
		int err = bp->ops->vcpu_put_state(v, &live->reset_state[i], &plan);

		if (err) {
			snprintf(r->setup_error, sizeof(r->setup_error),
				 "vCPU %u: warm reset failed: %s", i, strerror(-err));
			return -1;
		}
	}
	return 0;
}

/* Tear down; false if a thread is still in the guest (then everything is leaked). */
static bool live_destroy(struct boot_live *live)
{
	if (live->built && vcpu_group__destroy(&live->group))
		return false;
	if (live->built)
		vm__destroy(&live->vm);
	free(live->reset_state);
	free(live);
	return true;
}

static void live_destroy_job(void *arg)
{
	live_destroy(arg);
}

/*
 * Every thread is joined and nothing else holds the VM: close it on the
 * reaper thread while the next boot builds and runs (reaper.h says why).
 */
static void live_retire(struct boot_live *live, unsigned int iteration)
{
	/* what needs the mmap lock is done here, between boots (accel_ops.vcpu_unmap) */
	if (vcpu_group__unmap(&live->group))
		vm__unmap_memory(&live->vm);
	if (reaper__submit(live_destroy_job, live))
		return;
	pr_err("boot %u: VM teardown is stuck in the kernel (%u VMs waiting); leaving this one",
	       iteration, REAPER_MAX_PENDING);
}

void boot_release(struct boot_live **reuse)
{
	if (reuse && *reuse) {
		live_destroy(*reuse);
		*reuse = NULL;
	}
}

bool boot_run(const struct boot_params *bp, struct boot_result *r)
{
	struct boot_live *live = bp->reuse && *bp->reuse ? *bp->reuse : xzalloc(sizeof(*live));
	struct vcpu_group *group = &live->group;
	struct platform *plat = &live->plat;
	struct hvsmoke_cfg cfg;
	struct hammer_params hp = bp->hammer;
	struct hammer hammer;
	unsigned int *order;
	uint64_t t_start = 0, t_started, t_stop, stop_deadline;	/* t_start stays 0 for a boot that never ran */
	uint32_t tsc_khz;
	bool safe = true, monitor_holds = false, started;
	unsigned int i;

	boot_result_reset(r, bp->iteration, bp->seed, bp->smm);
	order = xzalloc(bp->cpus * sizeof(*order));
	if (bp->reuse)
		*bp->reuse = NULL;	/* handed back below only if it is fit for another boot */

	if (live->built ? live_warm_reset(bp, live, r) : live_build(bp, live, r)) {
		verdict_classify(r);
		safe = live_destroy(live);
		goto out;
	}

	tsc_khz = bp->ops->vcpu_tsc_khz(&group->vcpus[0]);
	boot_make_config(&cfg, bp->cpus, bp->boot_timeout_ms, tsc_khz ? tsc_khz : host_tsc_khz(),
			 (bp->console ? CFG_F_CONSOLE : 0) | (bp->smm ? CFG_F_SMM : 0) |
			 (bp->x2apic ? CFG_F_X2APIC : 0), bp->storm_ms, bp->ipi_pattern);
	platform__init(plat, bp->cpus, &cfg, bp->console, bp->smm);
	start_order(order, bp->cpus, bp->seed);
	for (i = 0; i < group->count; i++) {
		group->vcpus[i].sync.policy = bp->sync_policy;
		group->vcpus[i].sync.host_smm = bp->host_smm;
		group->vcpus[i].kick_policy = bp->kick;
	}
	/* before the threads exist: they read their pause flag without a lock */
	if (bp->ctl && control_attach(bp->ctl, group, plat, bp->iteration)) {
		/*
		 * A quit came while the VM was being built: this boot never
		 * starts, so it has no verdict and no quit latency to measure.
		 */
		r->abort = ABORT_QUIT;
		r->not_run = true;
		goto detach;
	}

	/* The hammer is up before any vCPU thread, so it covers the earliest boot. */
	hp.seed = bp->seed ^ HAMMER_SEED_SALT;
	if (hammer__start(&hammer, group, &hp))
		snprintf(r->setup_error, sizeof(r->setup_error), "cannot start the sync hammer");

	t_start = now_ns();
	started = !r->setup_error[0] &&
		  vcpu_group__start(group, order, r->setup_error, sizeof(r->setup_error)) == 0;
	t_started = now_ns();	/* by now every thread can see a request */
	if (started)
		wait_for_end(bp, r, plat, t_start);

	/*
	 * A quit is bounded by its own deadline, counted from the quit command,
	 * or from when the threads could first see it, if it came before they
	 * all existed (so thread creation never counts against it).
	 */
	pthread_mutex_lock(&plat->lock);
	r->abort = plat->abort;
	t_stop = plat->abort != ABORT_NONE ? plat->t_abort_ns : now_ns();
	pthread_mutex_unlock(&plat->lock);
	if (r->abort == ABORT_QUIT && t_stop < t_started)
		t_stop = t_started;
	stop_deadline = t_stop + (uint64_t)(r->abort == ABORT_QUIT ? bp->quit_deadline_ms :
					    BOOT_STOP_DEADLINE_MS) * 1000000ull;
	r->stuck_threads = vcpu_group__stop(group, stop_deadline);
	if (r->stuck_threads)
		sample_stuck(r, group);
	else
		vcpu_group__join(group);
	if (r->abort == ABORT_QUIT && !r->stuck_threads)
		r->quit_latency_ns = now_ns() - t_stop;
	/* a quit that came between boots ends this one before it starts */
	r->quit_after_ns = r->abort == ABORT_QUIT && t_stop > t_start ? t_stop - t_start : 0;
	hammer__stop(&hammer, &r->hammer);
detach:
	if (bp->ctl && !control_detach(bp->ctl, now_ns() + 1000000000ull))
		monitor_holds = true;

	if (!r->not_run) {
		collect(r, plat, group, t_start);
		verdict_classify(r);
		if ((r->cls != FC_PASS || bp->dump_registers) && !r->stuck_threads) {
			/* every thread is out of the guest, so these ioctls cannot block */
			gather_evidence(r, group, bp->dump_registers);
		}
	}

	if (r->stuck_threads) {
		/* a thread still runs in this VM: keep its memory and stop boot loops */
		safe = false;
		goto out;
	}
	if (monitor_holds) {
		/* a monitor command still reads these vCPUs: leak them, build anew */
		pr_err("boot %u: a monitor command held the VM past teardown; leaving it",
		       r->iteration);
		goto out;
	}
	platform__destroy(plat);
	if (bp->reuse && !r->setup_error[0])
		*bp->reuse = live;
	else
		live_retire(live, r->iteration);
out:
	free(order);
	return safe;
}
