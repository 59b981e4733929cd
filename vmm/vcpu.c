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

#define SIG_KICK		SIGUSR1
#define KICK_RESEND_NS		200000ull	/* resend the signal until acknowledged */

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
	sa.sa_flags = 0;	/* no SA_RESTART: the run ioctl must come back */
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

void vcpu__kick(struct vcpu *vcpu)
{
	atomic_store(&vcpu->exit_request, true);
	vcpu->vm->ops->vcpu_arm_kick(vcpu);
	if (vcpu->thread_started && !atomic_load(&vcpu->exited))
		pthread_kill(vcpu->thread, SIG_KICK);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	const struct accel_ops *ops = vcpu->vm->ops;
	struct vcpu_exit exit;

	for (;;) {
		int r;

		/*
		 * Disarm first, then look: a kick that lands after the disarm
		 * re-arms, so the entry below returns at once; one that landed
		 * before it has already set exit_request, which we see here.
		 */
		ops->vcpu_disarm_kick(vcpu);
		if (atomic_load(&vcpu->exit_request))
			break;

		atomic_fetch_add_explicit(&vcpu->stats.entries, 1, memory_order_relaxed);
		r = ops->vcpu_run(vcpu, &exit);
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
		if (exit.kind == VEXIT_IO)
			atomic_fetch_add_explicit(&vcpu->stats.io_exits, 1, memory_order_relaxed);
		if (vcpu->hooks->handle_exit(vcpu->hooks->ctx, vcpu, &exit) == VCPU_STOP)
			break;
	}

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
		v->fd = -1;
		v->hooks = hooks;
		v->group_lock = &g->lock;
		v->group_cond = &g->cond;
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
	unsigned int i;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[order ? order[i] : i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (r) {
			snprintf(err, errlen, "cannot start vCPU %u thread: %s", v->id, strerror(r));
			return -r;
		}
		v->thread_started = true;
	}
	return 0;
}

unsigned int vcpu_group__stop(struct vcpu_group *g, uint64_t deadline_ns)
{
	unsigned int i, inside;

	for (;;) {
		inside = 0;
		for (i = 0; i < g->count; i++) {
			struct vcpu *v = &g->vcpus[i];

			if (v->thread_started && !atomic_load(&v->exited)) {
				vcpu__kick(v);
				inside++;
			}
		}
		if (!inside || now_ns() >= deadline_ns)
			return inside;

		pthread_mutex_lock(&g->lock);
		for (i = 0; i < g->count; i++)
			if (g->vcpus[i].thread_started && !atomic_load(&g->vcpus[i].exited))
				break;
		if (i < g->count) {
			uint64_t until = now_ns() + KICK_RESEND_NS;

			timed_wait_until(&g->cond, &g->lock, until < deadline_ns ? until : deadline_ns);
		}
		pthread_mutex_unlock(&g->lock);
	}
}

unsigned int vcpu_group__destroy(struct vcpu_group *g)
{
	unsigned int i, stuck = 0;

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (v->thread_started && !atomic_load(&v->exited)) {
			/* Still in the guest past every deadline: never block on it. */
			pthread_detach(v->thread);
			stuck++;
		}
	}
	if (stuck)
		return stuck;	/* the threads still use it all: leak, the caller must quit */

	for (i = 0; i < g->count; i++) {
		struct vcpu *v = &g->vcpus[i];

		if (v->thread_started)
			pthread_join(v->thread, NULL);
		v->vm->ops->vcpu_destroy(v);
	}
	free(g->vcpus);
	g->vcpus = NULL;
	g->count = 0;
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	return 0;
}
