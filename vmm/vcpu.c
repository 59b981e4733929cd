// SPDX-License-Identifier: GPL-2.0-only
/* vCPU threads: the run loop, the kick and a bounded stop. */
#include "vcpu.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIG_KICK		VCPU_SIG_KICK
#define KICK_RESEND_NS		200000ull	/* resend the signal until acknowledged */
#define PARK_SLICE_NS		50000000ull	/* a parked thread re-checks this often */
/*
 * A vCPU thread's deepest path is a sync or an exit handler with a few
 * hundred bytes of locals, and a formatted line (pr_*: 1 KiB): glibc's
 * 8 MiB default would reserve 8 GiB of address space at 1024 vCPUs.
 */
#define VCPU_THREAD_STACK	(256u << 10)

static void kick_handler(int sig)
{
	/* The signal's only job is to make a blocking run ioctl return -EINTR. */
	(void)sig;
}

void vcpu__init_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	/*
	 * KVM_RUN returns -EINTR on a pending signal whatever the flags say
	 * (it is never restarted); SA_RESTART keeps the kick from cutting
	 * short a vCPU thread's ordinary writes, such as console text.
	 */
	sa.sa_flags = SA_RESTART;
	sigaction(SIG_KICK, &sa, NULL);
}

void cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Wait on cond until deadline_ns (CLOCK_MONOTONIC); ETIMEDOUT past it. */
int timed_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};

	return pthread_cond_timedwait(cond, lock, &ts);
}

enum { WORK_QUEUED, WORK_RUNNING, WORK_DONE, WORK_CANCELLED };

/*
 * Signal the thread if it still runs its loop. Under work_lock: the thread
 * closes its work queue under that lock before it exits, so while work is
 * open its pthread_t cannot have been joined and reused.
 *
 * Whether it runs is the thread's own word (signalable), not its creator's:
 * a creator descheduled between pthread_create() and its bookkeeping would
 * otherwise leave a thread already in the guest deaf to every kick until it
 * happened to exit; a BSP spinning in its scan never does, and ran through
 * a whole QMP stop while the APs sat parked (ap-missing).
 */
static void signal_thread_locked(struct vcpu *vcpu)
{
	if (vcpu->signalable && !vcpu->work_closed)
		pthread_kill(vcpu->self, SIG_KICK);
}

/* Make the thread come out of the guest and look at its requests; work_lock held. */
static void kick_thread_locked(struct vcpu *vcpu)
{
	vcpu->vm->ops->vcpu_arm_kick(vcpu);
	signal_thread_locked(vcpu);
}

static void kick_thread(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->work_lock);
	kick_thread_locked(vcpu);
	pthread_mutex_unlock(&vcpu->work_lock);
}

/* Wake a thread parked by a pause. */
static void wake_parked(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->work_lock);
	pthread_cond_broadcast(&vcpu->work_cond);
	pthread_mutex_unlock(&vcpu->work_lock);
}

void vcpu__kick(struct vcpu *vcpu)
{
	atomic_store(&vcpu->exit_request, true);
	if (vcpu->kick_policy == KICK_LEGACY_SIGNAL) {
		/* the known-bad kick: one bare signal, no immediate_exit */
		pthread_mutex_lock(&vcpu->work_lock);
		signal_thread_locked(vcpu);
		pthread_mutex_unlock(&vcpu->work_lock);
	} else {
		kick_thread(vcpu);
	}
	wake_parked(vcpu);
}

void vcpu__poke(struct vcpu *vcpu)
{
	kick_thread(vcpu);
	wake_parked(vcpu);
}

static bool vcpu_paused(struct vcpu *vcpu)
{
	return vcpu->pause && atomic_load(vcpu->pause);
}

/* Sit out a pause; work and exit requests still get through. */
static void park(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->work_lock);
	while (vcpu_paused(vcpu) && !atomic_load(&vcpu->exit_request) &&
	       !atomic_load(&vcpu->work_pending))
		timed_wait_until(&vcpu->work_cond, &vcpu->work_lock, now_ns() + PARK_SLICE_NS);
	pthread_mutex_unlock(&vcpu->work_lock);
}

int vcpu__run_on(struct vcpu *vcpu, void (*fn)(struct vcpu *, void *), void *arg,
		 uint64_t deadline_ns)
{
	struct vcpu_work w = { .fn = fn, .arg = arg, .state = WORK_QUEUED };
	int ret = 0;

	pthread_mutex_lock(&vcpu->work_lock);
	if (vcpu->work_closed) {
		pthread_mutex_unlock(&vcpu->work_lock);
		return -ESRCH;
	}
	if (vcpu->work_tail)
		vcpu->work_tail->next = &w;
	else
		vcpu->work_head = &w;
	vcpu->work_tail = &w;
	atomic_store(&vcpu->work_pending, true);
	pthread_cond_broadcast(&vcpu->work_cond);	/* a parked thread serves work too */

	while (w.state == WORK_QUEUED || w.state == WORK_RUNNING) {
		uint64_t now = now_ns(), until = now + KICK_RESEND_NS;

		if (w.state == WORK_QUEUED) {
			if (now >= deadline_ns) {
				struct vcpu_work **pp = &vcpu->work_head, *prev = NULL;

				/* never picked up: take it back off the queue */
				while (*pp && *pp != &w) {
					prev = *pp;
					pp = &(*pp)->next;
				}
				*pp = w.next;
				if (vcpu->work_tail == &w)
					vcpu->work_tail = prev;
				ret = -ETIMEDOUT;
				break;
			}
			/* resend until the thread picks it up, like any kick */
			kick_thread_locked(vcpu);
		}
		/* a running item is on the vCPU's own thread and cannot block */
		timed_wait_until(&vcpu->work_cond, &vcpu->work_lock,
				 w.state == WORK_QUEUED && until > deadline_ns ? deadline_ns : until);
	}
	if (w.state == WORK_CANCELLED)
		ret = -ESRCH;
	pthread_mutex_unlock(&vcpu->work_lock);
	return ret;
}

static void process_work(struct vcpu *vcpu)
{
	struct vcpu_work *w;

	pthread_mutex_lock(&vcpu->work_lock);
	while ((w = vcpu->work_head)) {
		vcpu->work_head = w->next;
		if (!vcpu->work_head)
			vcpu->work_tail = NULL;
		w->state = WORK_RUNNING;
		pthread_mutex_unlock(&vcpu->work_lock);
		w->fn(vcpu, w->arg);
		pthread_mutex_lock(&vcpu->work_lock);
		w->state = WORK_DONE;
		pthread_cond_broadcast(&vcpu->work_cond);
	}
	atomic_store(&vcpu->work_pending, false);
	pthread_mutex_unlock(&vcpu->work_lock);
}

static void close_work(struct vcpu *vcpu)
{
	struct vcpu_work *w;

	pthread_mutex_lock(&vcpu->work_lock);
	vcpu->work_closed = true;
	while ((w = vcpu->work_head)) {
		vcpu->work_head = w->next;
		w->state = WORK_CANCELLED;
	}
	vcpu->work_tail = NULL;
	atomic_store(&vcpu->work_pending, false);
	pthread_cond_broadcast(&vcpu->work_cond);
	pthread_mutex_unlock(&vcpu->work_lock);
}

/* The scripted accelerator's hook into the loop; real backends leave it NULL. */
#define LOOP_POINT(p)                              \
	do {                                       \
		if (ops->loop_point)               \
			ops->loop_point(vcpu, (p)); \
	} while (0)

/*
 * Leave the loop with no I/O half done: the exit that stopped it (the
 * completion `out`) is finished by one more entry with the kick armed, which
 * KVM ends before the guest runs, or by the backend in userspace. Otherwise
 * the evidence, QMP and a --reuse-vm reset would all see (or write) the
 * registers of an instruction that has not completed.
 */
static void finish_io(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	const struct accel_ops *ops = vcpu->vm->ops;
	struct vcpu_exit again;
	int r;

	if (ops->vcpu_complete_io) {
		r = ops->vcpu_complete_io(vcpu, exit);
	} else {
		ops->vcpu_arm_kick(vcpu);
		atomic_fetch_add_explicit(&vcpu->stats.entries, 1, memory_order_relaxed);
		r = ops->vcpu_run(vcpu, &again);
		if (r == -EINTR || r == -EAGAIN)
			r = 0;
		else if (r == 0)
			atomic_fetch_add_explicit(&vcpu->stats.exits, 1, memory_order_relaxed);
	}
	if (r < 0)
		vcpu->hooks->run_failed(vcpu->hooks->ctx, vcpu, r);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	const struct accel_ops *ops = vcpu->vm->ops;
	struct vcpu_exit exit;

	/*
	 * An exit to userspace for port or MMIO I/O is finished only by the
	 * next entry (KVM completes the instruction then). Until that entry the
	 * vCPU's registers are not consistent, so no state may be read or
	 * written and no request acted on: with a request waiting, enter once
	 * more with the kick armed, which completes the I/O and returns at once.
	 *
	 * A backend without immediate_exit (MSHV) finishes the instruction in
	 * userspace instead (vcpu_complete_io), so nothing is left pending.
	 *
	 * The legacy-signal policy leaves out exactly that for the exit
	 * request: it is looked at only after an exit that was not I/O, so a
	 * kick whose signal lands between two I/O exits is lost (seed 002).
	 */
	bool legacy = vcpu->kick_policy == KICK_LEGACY_SIGNAL;
	bool io_pending = false;
	bool last_io = false;

	atomic_store(&vcpu->tid, (int)gettid());
	/*
	 * Before the first look at the requests: a kick either finds the thread
	 * signalable, or its request (exit, work, pause) was set before this
	 * and is seen at the top of the loop.
	 */
	pthread_mutex_lock(&vcpu->work_lock);
	vcpu->self = pthread_self();
	vcpu->signalable = true;
	pthread_mutex_unlock(&vcpu->work_lock);
	for (;;) {
		int r;

		LOOP_POINT(LOOP_TOP);
		ops->vcpu_disarm_kick(vcpu);
		LOOP_POINT(LOOP_AFTER_DISARM);
		if (!io_pending) {
			if (!(legacy && last_io) && atomic_load(&vcpu->exit_request))
				break;
			LOOP_POINT(LOOP_AFTER_EXIT_CHECK);
			if (atomic_load(&vcpu->work_pending))
				process_work(vcpu);
			LOOP_POINT(LOOP_AFTER_WORK);
			if (vcpu_paused(vcpu)) {
				park(vcpu);
				continue;
			}
		}
		sync_before_entry(vcpu);
		if (io_pending && (atomic_load(&vcpu->work_pending) || vcpu_paused(vcpu) ||
				   (!legacy && atomic_load(&vcpu->exit_request))))
			ops->vcpu_arm_kick(vcpu);
		LOOP_POINT(LOOP_BEFORE_RUN);

		atomic_fetch_add_explicit(&vcpu->stats.entries, 1, memory_order_relaxed);
		r = ops->vcpu_run(vcpu, &exit);
		LOOP_POINT(LOOP_AFTER_RUN);
		io_pending = false;
		last_io = false;
		if (r == -EINTR) {
			atomic_fetch_add_explicit(&vcpu->stats.eintr, 1, memory_order_relaxed);
			continue;
		}
		if (r == -EAGAIN) {
			/* KVM returns it after an AP takes INIT/SIPI; just enter again */
			atomic_fetch_add_explicit(&vcpu->stats.eagain, 1, memory_order_relaxed);
			continue;
		}
		if (r < 0) {
			vcpu->hooks->run_failed(vcpu->hooks->ctx, vcpu, r);
			break;
		}
		atomic_fetch_add_explicit(&vcpu->stats.exits, 1, memory_order_relaxed);
		if (exit.kind == VEXIT_IO || exit.kind == VEXIT_MMIO) {
			io_pending = true;
			last_io = exit.kind == VEXIT_IO;
			if (last_io)
				atomic_fetch_add_explicit(&vcpu->stats.io_exits, 1,
							  memory_order_relaxed);
		}
		if (vcpu->hooks->handle_exit(vcpu->hooks->ctx, vcpu, &exit) == VCPU_STOP) {
			if (io_pending)
				finish_io(vcpu, &exit);
			break;
		}
		if (io_pending && ops->vcpu_complete_io) {
			r = ops->vcpu_complete_io(vcpu, &exit);
			if (r < 0) {
				vcpu->hooks->run_failed(vcpu->hooks->ctx, vcpu, r);
				break;
			}
			io_pending = false;
		}
		LOOP_POINT(LOOP_AFTER_HANDLE);
	}

	close_work(vcpu);
	pthread_mutex_lock(vcpu->group_lock);
	atomic_store(&vcpu->exited, true);
	pthread_cond_broadcast(vcpu->group_cond);
	pthread_mutex_unlock(vcpu->group_lock);
	return NULL;
}

int vcpu_group__create(struct vcpu_group *g, struct vm *vm, unsigned int count,
		       const struct vcpu_hooks *hooks, char *err, size_t errlen)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	cond_init_monotonic(&g->cond);
	g->vcpus = xzalloc(count * sizeof(*g->vcpus));
	for (i = 0; i < count; i++) {
		struct vcpu *v = &g->vcpus[i];
		int r;

		v->vm = vm;
		v->id = i;
		v->nr_vcpus = count;
		v->fd = -1;
		v->hooks = hooks;
		v->group_lock = &g->lock;
		v->group_cond = &g->cond;
		pthread_mutex_init(&v->work_lock, NULL);
		cond_init_monotonic(&v->work_cond);
		r = vm->ops->vcpu_create(v);
		if (r) {
			snprintf(err, errlen, "%s: cannot create vCPU %u: %s", vm->ops->name, i,
				 strerror(-r));
			g->count = i;
			vcpu_group__destroy(g);
			return r;
		}
		g->count = i + 1;
	}
	return 0;
}

int vcpu_group__start(struct vcpu_group *g, const unsigned int *order, char *err, size_t errlen)
{
	pthread_attr_t attr;
	unsigned int i;
	int r = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VCPU_THREAD_STACK);
	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[order ? order[i] : i];

		r = pthread_create(&v->thread, &attr, vcpu_thread, v);
		if (r) {
			/* the threads started so far are stopped and joined as in any boot */
			snprintf(err, errlen, "cannot start vCPU %u thread (%u of %u running): %s",
				 v->id, i, g->count, strerror(r));
			break;
		}
		atomic_store(&v->thread_started, true);
	}
	pthread_attr_destroy(&attr);
	return -r;
}

unsigned int vcpu_group__stop(struct vcpu_group *g, uint64_t deadline_ns)
{
	unsigned int i, inside;

	for (;;) {
		inside = 0;
		for (i = 0; i < g->count; i++) {
			struct vcpu *v = &g->vcpus[i];

			if (atomic_load(&v->thread_started) && !atomic_load(&v->exited)) {
				/* the legacy policy gets its one signal, never a resend */
				if (v->kick_policy != KICK_LEGACY_SIGNAL || !atomic_load(&v->kicked))
					vcpu__kick(v);
				atomic_store(&v->kicked, true);
				inside++;
			}
		}
		if (!inside || now_ns() >= deadline_ns)
			return inside;

		pthread_mutex_lock(&g->lock);
		for (i = 0; i < g->count; i++)
			if (atomic_load(&g->vcpus[i].thread_started) &&
			    !atomic_load(&g->vcpus[i].exited))
				break;
		if (i < g->count) {
			uint64_t until = now_ns() + KICK_RESEND_NS;

			timed_wait_until(&g->cond, &g->lock, until < deadline_ns ? until : deadline_ns);
		}
		pthread_mutex_unlock(&g->lock);
	}
}

void vcpu_group__rearm(struct vcpu_group *g)
{
	unsigned int i;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];
		enum sync_policy policy = v->sync.policy;
		bool host_smm = v->sync.host_smm;

		atomic_store(&v->exit_request, false);
		atomic_store(&v->exited, false);
		atomic_store(&v->thread_started, false);
		atomic_store(&v->tid, 0);
		atomic_store(&v->work_pending, false);
		v->joined = false;
		v->signalable = false;
		atomic_store(&v->kicked, false);
		v->pause = NULL;
		v->work_head = v->work_tail = NULL;
		v->work_closed = false;
		atomic_store(&v->stats.entries, 0);
		atomic_store(&v->stats.exits, 0);
		atomic_store(&v->stats.io_exits, 0);
		atomic_store(&v->stats.eintr, 0);
		atomic_store(&v->stats.eagain, 0);
		memset(&v->sync, 0, sizeof(v->sync));
		v->sync.policy = policy;
		v->sync.host_smm = host_smm;
	}
}

void vcpu_group__join(struct vcpu_group *g)
{
	unsigned int i;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (atomic_load(&v->thread_started) && atomic_load(&v->exited) && !v->joined) {
			pthread_join(v->thread, NULL);
			v->joined = true;
		}
	}
}

bool vcpu_group__unmap(struct vcpu_group *g)
{
	unsigned int i;

	if (!g->count || !g->vcpus[0].vm->ops->vcpu_unmap)
		return false;
	for (i = 0; i < g->count; i++)
		g->vcpus[i].vm->ops->vcpu_unmap(&g->vcpus[i]);
	return true;
}

unsigned int vcpu_group__destroy(struct vcpu_group *g)
{
	unsigned int i, stuck = 0;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (atomic_load(&v->thread_started) && !atomic_load(&v->exited)) {
			/* Still in the guest past every deadline: never block on it. */
			pthread_detach(v->thread);
			stuck++;
		}
	}
	if (stuck)
		return stuck;	/* the threads still use it all: leak, the caller must quit */

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (atomic_load(&v->thread_started) && !v->joined)
			pthread_join(v->thread, NULL);
		v->vm->ops->vcpu_destroy(v);
		pthread_cond_destroy(&v->work_cond);
		pthread_mutex_destroy(&v->work_lock);
	}
	free(g->vcpus);
	g->vcpus = NULL;
	g->count = 0;
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	return 0;
}
