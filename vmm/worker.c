// SPDX-License-Identifier: GPL-2.0-only
/* The stoppable napping thread both hammers run on. */
#include "worker.h"
#include "util.h"
#include "vcpu.h"

int worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	int err;

	atomic_store(&w->stop, false);
	w->running = false;
	pthread_mutex_init(&w->lock, NULL);
	cond_init_monotonic(&w->cond);	/* the naps' deadlines are CLOCK_MONOTONIC */
	err = pthread_create(&w->thread, NULL, fn, arg);
	if (err) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -err;
	}
	w->running = true;
	return 0;
}

void worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	w->running = false;
}

bool worker_nap_until(struct worker *w, uint64_t deadline_ns)
{
	pthread_mutex_lock(&w->lock);
	while (!atomic_load(&w->stop) && now_ns() < deadline_ns)
		timed_wait_until(&w->cond, &w->lock, deadline_ns);
	pthread_mutex_unlock(&w->lock);
	return !atomic_load(&w->stop);
}
