/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control plane: what QMP, signals and the boot loop share about the
 * machine. Quit, pause and reset requests land here, and the boot in
 * progress is attached here so that monitor commands can reach its vCPUs.
 * The lock is only ever held briefly, so a quit never waits behind a
 * monitor command.
 */
#ifndef HVSMOKE_CONTROL_H
#define HVSMOKE_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

struct vcpu_group;
struct platform;

enum quit_source {
	QUIT_NONE,
	QUIT_QMP,
	QUIT_SIGNAL,
};

struct control {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* users, pause and quit changes; CLOCK_MONOTONIC */
	unsigned int ncpus;

	struct vcpu_group *group;	/* the boot in progress, or NULL */
	struct platform *plat;
	unsigned int users;		/* monitor commands using group right now */
	unsigned int iteration;
	int tids[HVSMOKE_MAX_CPUS];	/* the last known vCPU thread IDs */

	enum quit_source quit;		/* the process is to exit */
	uint64_t quit_ns;
	atomic_bool paused;		/* the vCPUs' pause flag */
	uint64_t paused_since_ns;
	uint64_t paused_ns;		/* total paused time of the current boot */
	bool reset_requested;
	bool finished;			/* the run loop is done: no boot will come */
};

void control_init(struct control *c, unsigned int ncpus);
void control_destroy(struct control *c);

/*
 * The boot loop publishes its boot, and takes it back before tearing it down.
 * True if a quit is already pending: then the boot must not start.
 */
bool control_attach(struct control *c, struct vcpu_group *g, struct platform *p,
		    unsigned int iteration);
/*
 * Waits (until deadline_ns) for running monitor commands to let go. False if
 * one still holds the boot: then its vCPUs and memory must not be freed.
 */
bool control_detach(struct control *c, uint64_t deadline_ns);

/* Borrow the current boot's vCPUs; NULL between boots. Pair with control_put. */
struct vcpu_group *control_get(struct control *c);
void control_put(struct control *c);

void control_quit(struct control *c, enum quit_source why);
bool control_quitting(struct control *c);
void control_pause(struct control *c);
void control_resume(struct control *c);
/* Total paused time of the current boot, including a pause in progress. */
uint64_t control_paused_ns(struct control *c);
void control_reset(struct control *c);
/* Consume a pending reset request. */
bool control_take_reset(struct control *c);
/* control_get, waiting (until deadline_ns) for the next boot if between two. */
struct vcpu_group *control_get_wait(struct control *c, uint64_t deadline_ns);
/* The run loop has ended: monitor commands stop waiting for a next boot. */
void control_finish(struct control *c);
const char *control_status(struct control *c);

#endif
