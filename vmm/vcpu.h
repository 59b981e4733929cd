/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPU threads and their run loop. The loop is built on the lesson of the
 * MSHV quit race: an exit request is checked before every guest entry, and a
 * kick both sets the request and arms the accelerator's "return at once" flag.
 */
#ifndef HVSMOKE_VCPU_H
#define HVSMOKE_VCPU_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "sync.h"

struct vm;
struct vcpu;

#define VCPU_SIG_KICK	SIGUSR1	/* makes a blocking run ioctl return -EINTR */

enum vcpu_action {
	VCPU_CONTINUE,
	VCPU_STOP,		/* this vCPU's part is over (completion, crash) */
};

/* What the loop calls out to; ctx is the scenario's. */
struct vcpu_hooks {
	enum vcpu_action (*handle_exit)(void *ctx, struct vcpu *vcpu, struct vcpu_exit *exit);
	/* The run ioctl failed for good; err is -errno. */
	void (*run_failed)(void *ctx, struct vcpu *vcpu, int err);
	void *ctx;
};

enum kick_policy {
	KICK_EXIT_REQUEST,	/* request checked before every entry, immediate_exit, resend */
	KICK_LEGACY_SIGNAL,	/* one bare signal; request checked only after non-I/O exits */
};

struct vcpu_stats {
	atomic_uint_fast64_t entries;
	atomic_uint_fast64_t exits;
	atomic_uint_fast64_t io_exits;
	atomic_uint_fast64_t eintr;
	atomic_uint_fast64_t eagain;
};

/* A function to run on a vCPU's own thread between two guest entries. */
struct vcpu_work {
	void (*fn)(struct vcpu *vcpu, void *arg);
	void *arg;
	struct vcpu_work *next;
	int state;			/* WORK_* in vcpu.c */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;		/* also its APIC ID */
	unsigned int nr_vcpus;		/* in its VM: the topology its CPUID describes */
	int fd;
	void *priv;			/* the accelerator's per-vCPU state */
	const struct vcpu_hooks *hooks;

	pthread_t thread;
	atomic_bool thread_started;
	/*
	 * The thread's own handle, set by the thread under work_lock before it
	 * first looks at its requests; signalable while its work is open.
	 */
	pthread_t self;
	bool signalable;
	atomic_bool exit_request;
	atomic_bool exited;		/* the thread has left its loop: the kick is acknowledged */
	atomic_bool in_console;		/* writing the guest console to stderr (may block) */
	atomic_int tid;			/* the thread's kernel TID, once it runs */
	enum kick_policy kick_policy;
	atomic_bool kicked;		/* its (legacy) one kick has been sent */
	bool joined;
	const atomic_bool *pause;	/* the machine's pause flag, or NULL */
	struct vcpu_stats stats;

	/* queued work (sync requests); closed when the thread leaves its loop */
	pthread_mutex_t work_lock;
	pthread_cond_t work_cond;
	struct vcpu_work *work_head;
	struct vcpu_work *work_tail;
	atomic_bool work_pending;
	bool work_closed;

	struct vcpu_sync sync;		/* touched only by the vCPU's thread while it runs */

	/* The group's wakeup for "a thread exited"; owned by vcpu_group. */
	pthread_mutex_t *group_lock;
	pthread_cond_t *group_cond;
};

struct vcpu_group {
	struct vcpu *vcpus;
	unsigned int count;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
};

/* Create count vCPUs (0 is the BSP). 0 or -errno, with err filled. */
int vcpu_group__create(struct vcpu_group *g, struct vm *vm, unsigned int count,
		       const struct vcpu_hooks *hooks, char *err, size_t errlen);
/* Start the threads in the given order (a permutation of 0..count-1). */
int vcpu_group__start(struct vcpu_group *g, const unsigned int *order, char *err, size_t errlen);
/*
 * Ask every thread to leave its loop and wait until deadline_ns. Kicks are
 * resent until each thread acknowledges. Returns how many are still inside.
 */
unsigned int vcpu_group__stop(struct vcpu_group *g, uint64_t deadline_ns);
/* Make joined vCPUs ready for another boot's threads (a warm reset). */
void vcpu_group__rearm(struct vcpu_group *g);
/* Join every thread that has left its loop (they are only returning). */
void vcpu_group__join(struct vcpu_group *g);
/*
 * Join the threads and release the accelerator state. If a thread never left
 * the guest, nothing is freed and the count of such threads is returned: the
 * caller must keep the VM's memory mapped and stop running boots.
 */
unsigned int vcpu_group__destroy(struct vcpu_group *g);
/*
 * Every thread joined: drop the vCPUs' mappings where the backend can
 * (accel_ops.vcpu_unmap). True if it could, so guest memory may go too.
 */
bool vcpu_group__unmap(struct vcpu_group *g);

void vcpu__kick(struct vcpu *vcpu);
/* Bring the thread out of the guest (or a pause) to look at its flags. */
void vcpu__poke(struct vcpu *vcpu);
/*
 * Run fn(vcpu, arg) on the vCPU's thread before its next entry and wait for
 * it, kicking until the thread picks it up. 0 when it ran, -ETIMEDOUT if it
 * had not started by deadline_ns, -ESRCH if the thread has left its loop.
 */
int vcpu__run_on(struct vcpu *vcpu, void (*fn)(struct vcpu *, void *), void *arg,
		 uint64_t deadline_ns);
/* Install the (empty) kick signal handler. Once per process. */
void vcpu__init_signals(void);

int timed_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t deadline_ns);
void cond_init_monotonic(pthread_cond_t *cond);

#endif
