// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the reaper runs every teardown handed to it, in order, off the
 * caller's thread; that a full queue holds the caller back (bounded) rather
 * than growing; and that a drain waits for the last teardown, or reports
 * that it did not finish by its deadline.
 */
#include "../../vmm/reaper.h"
#include "../../vmm/util.h"
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static pthread_t caller;
static atomic_uint done;
static unsigned int order[64];
static atomic_bool off_thread = true;

static void record(void *arg)
{
	unsigned int i = atomic_fetch_add(&done, 1);

	if (pthread_equal(pthread_self(), caller))
		atomic_store(&off_thread, false);
	if (i < 64)
		order[i] = (unsigned int)(uintptr_t)arg;
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

/* A teardown that waits for the test to let it go: the kernel being slow. */
static void gated(void *arg)
{
	pthread_mutex_lock(&gate_lock);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	record(arg);
}

static void open_gate(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

int main(void)
{
	unsigned int i;
	bool all;

	caller = pthread_self();
	/* more than the queue holds: the caller waits its turn, nothing is lost */
	all = true;
	for (i = 0; i < 40; i++)
		all &= reaper__submit(record, (void *)(uintptr_t)i);
	TEST_ASSERT(all, "a submit was refused with a reaper that keeps up");
	TEST_ASSERT(reaper__drain(now_ns() + 5000000000ull), "drain did not finish");
	TEST_ASSERT(atomic_load(&done) == 40, "%u of 40 teardowns ran", atomic_load(&done));
	for (i = 0; i < 40; i++)
		TEST_ASSERT(order[i] == i, "teardown %u ran as number %u", order[i], i);
	TEST_ASSERT(atomic_load(&off_thread), "a teardown ran on the caller's thread");

	/* a teardown stuck in the kernel: drain says so by its deadline */
	atomic_store(&done, 0);
	TEST_ASSERT(reaper__submit(gated, (void *)(uintptr_t)100), "gated submit");
	for (i = 1; i < REAPER_MAX_PENDING; i++)
		TEST_ASSERT(reaper__submit(record, (void *)(uintptr_t)(100 + i)), "fill %u", i);
	{
		uint64_t t0 = now_ns();

		TEST_ASSERT(!reaper__drain(t0 + 50000000ull), "drain passed a stuck teardown");
		TEST_ASSERT(now_ns() - t0 < 2000000000ull, "drain overstayed its deadline");
	}
	TEST_ASSERT(atomic_load(&done) == 0, "%u ran behind a stuck one", atomic_load(&done));
	open_gate();
	TEST_ASSERT(reaper__drain(now_ns() + 5000000000ull), "drain after the gate opened");
	TEST_ASSERT(atomic_load(&done) == REAPER_MAX_PENDING, "%u of %d ran", atomic_load(&done),
		    REAPER_MAX_PENDING);
	return unit_done("test_reaper");
}
