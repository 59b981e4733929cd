// SPDX-License-Identifier: GPL-2.0-only
/* The reaper thread: a bounded queue of teardowns, run in the order given. */
#include "reaper.h"
#include "util.h"
#include "vcpu.h"

#include <pthread.h>

struct reaper_job {
	void (*destroy)(void *arg);
	void *arg;
};

static struct {
	pthread_once_t once;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* a job queued, or one finished */
	struct reaper_job jobs[REAPER_MAX_PENDING];
	unsigned int head, count;	/* count includes the job being run */
	bool started;
} reaper = {
	.once = PTHREAD_ONCE_INIT,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void *reaper_main(void *unused)
{
	pthread_mutex_lock(&reaper.lock);
	for (;;) {
		struct reaper_job job;

		/* runs for the life of the process: it has nothing to wait for but work */
		while (!reaper.count)
			pthread_cond_wait(&reaper.cond, &reaper.lock);
		job = reaper.jobs[reaper.head];
		pthread_mutex_unlock(&reaper.lock);
		job.destroy(job.arg);
		pthread_mutex_lock(&reaper.lock);
		reaper.head = (reaper.head + 1) % REAPER_MAX_PENDING;
		reaper.count--;
		pthread_cond_broadcast(&reaper.cond);
	}
	return NULL;
}

static void reaper_start_once(void)
{
	pthread_attr_t tattr;
	pthread_t thread;

	cond_init_monotonic(&reaper.cond);	/* the waits below have CLOCK_MONOTONIC deadlines */
	pthread_attr_init(&tattr);
	pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
	reaper.started = !pthread_create(&thread, &tattr, reaper_main, NULL);
	pthread_attr_destroy(&tattr);
}

bool reaper__submit(void (*destroy)(void *arg), void *arg)
{
	uint64_t until = now_ns() + REAPER_WAIT_MS * 1000000ull;
	bool queued = false;

	pthread_once(&reaper.once, reaper_start_once);
	if (!reaper.started)
		return false;
	pthread_mutex_lock(&reaper.lock);
	while (reaper.count == REAPER_MAX_PENDING)
		if (timed_wait_until(&reaper.cond, &reaper.lock, until))
			break;
	if (reaper.count < REAPER_MAX_PENDING) {
		reaper.jobs[(reaper.head + reaper.count) % REAPER_MAX_PENDING] =
			(struct reaper_job){ .destroy = destroy, .arg = arg };
		reaper.count++;
		queued = true;
		pthread_cond_broadcast(&reaper.cond);
	}
	pthread_mutex_unlock(&reaper.lock);
	return queued;
}

bool reaper__drain(uint64_t deadline_ns)
{
	bool empty;

	pthread_once(&reaper.once, reaper_start_once);
	if (!reaper.started)
		return true;
	pthread_mutex_lock(&reaper.lock);
	while (reaper.count)
		if (timed_wait_until(&reaper.cond, &reaper.lock, deadline_ns))
			break;
	empty = !reaper.count;
	pthread_mutex_unlock(&reaper.lock);
	return empty;
}
