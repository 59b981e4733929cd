/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A background thread that naps on CLOCK_MONOTONIC and can be told to stop:
 * the stop wakes any nap at once, so stopping it is bounded by how long its
 * work between naps may take (each hammer bounds that with its own timeouts).
 */
#ifndef HVSMOKE_WORKER_H
#define HVSMOKE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool stop;
	bool running;
};

/* Start fn(arg) on a new thread. 0 or -errno. */
int worker_start(struct worker *w, void *(*fn)(void *), void *arg);
/* Tell it to stop, wake it, join it. A no-op if it never started. */
void worker_stop(struct worker *w);
/* From the thread: sleep until deadline_ns; false if told to stop. */
bool worker_nap_until(struct worker *w, uint64_t deadline_ns);

static inline bool worker_stopping(struct worker *w)
{
	return atomic_load(&w->stop);
}

#endif
