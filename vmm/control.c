// SPDX-License-Identifier: GPL-2.0-only
/* Quit, pause and reset requests, and the borrowing of the current boot. */
#include "control.h"
#include "devices/platform.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"

#include <string.h>

void control_init(struct control *c, unsigned int ncpus)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	cond_init_monotonic(&c->cond);
	c->ncpus = ncpus;
}

void control_destroy(struct control *c)
{
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

bool control_attach(struct control *c, struct vcpu_group *g, struct platform *p,
		    unsigned int iteration)
{
	bool quitting;
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	c->group = g;
	c->plat = p;
	c->iteration = iteration;
	c->paused_ns = 0;
	c->reset_requested = false;	/* a new boot is a reset already */
	if (atomic_load(&c->paused))
		c->paused_since_ns = now_ns();
	for (i = 0; i < g->count; i++)
		g->vcpus[i].pause = &c->paused;
	/* a quit that came while no boot was attached still ends this one */
	quitting = c->quit != QUIT_NONE;
	if (quitting)
		platform__abort(p, ABORT_QUIT, c->quit_ns);
	pthread_cond_broadcast(&c->cond);	/* a monitor command may wait for a boot */
	pthread_mutex_unlock(&c->lock);
	return quitting;
}

bool control_detach(struct control *c, uint64_t deadline_ns)
{
	unsigned int i;
	bool released;

	pthread_mutex_lock(&c->lock);
	while (c->users && now_ns() < deadline_ns)
		timed_wait_until(&c->cond, &c->lock, deadline_ns);
	released = !c->users;
	if (c->group)
		for (i = 0; i < c->group->count && i < HVSMOKE_MAX_CPUS; i++)
			c->tids[i] = atomic_load(&c->group->vcpus[i].tid);
	c->group = NULL;
	c->plat = NULL;
	pthread_mutex_unlock(&c->lock);
	return released;
}

struct vcpu_group *control_get(struct control *c)
{
	struct vcpu_group *g;

	pthread_mutex_lock(&c->lock);
	g = c->group;
	if (g)
		c->users++;
	pthread_mutex_unlock(&c->lock);
	return g;
}

void control_put(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	c->users--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void control_quit(struct control *c, enum quit_source why)
{
	pthread_mutex_lock(&c->lock);
	if (c->quit == QUIT_NONE) {
		c->quit = why;
		c->quit_ns = now_ns();
	}
	if (c->plat)
		platform__abort(c->plat, ABORT_QUIT, c->quit_ns);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

bool control_quitting(struct control *c)
{
	bool q;

	pthread_mutex_lock(&c->lock);
	q = c->quit != QUIT_NONE;
	pthread_mutex_unlock(&c->lock);
	return q;
}

static void poke_all(struct control *c)
{
	unsigned int i;

	if (!c->group)
		return;
	for (i = 0; i < c->group->count; i++)
		vcpu__poke(&c->group->vcpus[i]);
}

void control_pause(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->paused)) {
		atomic_store(&c->paused, true);
		c->paused_since_ns = now_ns();
		poke_all(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * Give the guest its paused time back (protocol.h, GPA_PAUSE_TSC): its TSC
 * kept counting, and without this a pause longer than the firmware's scan
 * deadline would make the BSP give up on APs the moment it runs again.
 * Written while the vCPUs are parked, before they are let go.
 */
static void credit_pause(struct control *c, uint64_t ns)
{
	struct vm *vm;
	uint64_t ticks;

	if (!c->group || !c->plat || !c->group->count)
		return;
	vm = c->group->vcpus[0].vm;
	if (!vm->ram || vm->ram_size < GPA_PAUSE_TSC + sizeof(uint64_t))
		return;
	ticks = ns / 1000000ull * c->plat->tsc_khz + ns % 1000000ull * c->plat->tsc_khz / 1000000ull;
	__atomic_fetch_add((uint64_t *)(vm->ram + GPA_PAUSE_TSC), ticks, __ATOMIC_SEQ_CST);
}

void control_resume(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	if (atomic_load(&c->paused)) {
		uint64_t ns = now_ns() - c->paused_since_ns;

		credit_pause(c, ns);
		atomic_store(&c->paused, false);
		c->paused_ns += ns;
		poke_all(c);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

uint64_t control_paused_ns(struct control *c)
{
	uint64_t t;

	pthread_mutex_lock(&c->lock);
	t = c->paused_ns;
	if (atomic_load(&c->paused))
		t += now_ns() - c->paused_since_ns;
	pthread_mutex_unlock(&c->lock);
	return t;
}

void control_reset(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	c->reset_requested = true;
	if (c->plat)
		platform__abort(c->plat, ABORT_RESET, now_ns());
	pthread_mutex_unlock(&c->lock);
}

bool control_take_reset(struct control *c)
{
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->reset_requested;
	c->reset_requested = false;
	pthread_mutex_unlock(&c->lock);
	return r;
}

struct vcpu_group *control_get_wait(struct control *c, uint64_t deadline_ns)
{
	struct vcpu_group *g;

	pthread_mutex_lock(&c->lock);
	while (!c->group && c->quit == QUIT_NONE && !c->finished && now_ns() < deadline_ns)
		timed_wait_until(&c->cond, &c->lock, deadline_ns);
	g = c->group;
	if (g)
		c->users++;
	pthread_mutex_unlock(&c->lock);
	return g;
}

void control_finish(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	c->finished = true;
	pthread_cond_broadcast(&c->cond);	/* nobody need wait for a next boot */
	pthread_mutex_unlock(&c->lock);
}

const char *control_status(struct control *c)
{
	const char *s;

	pthread_mutex_lock(&c->lock);
	if (c->quit != QUIT_NONE)
		s = "shutdown";
	else if (atomic_load(&c->paused))
		s = "paused";
	else
		s = "running";
	pthread_mutex_unlock(&c->lock);
	return s;
}
