/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A QMP client for driving the host's QEMU, in the shape of libqtest: attach
 * (greeting plus capabilities) is one call, a command and its reply is one
 * call, and asynchronous events are queued for the caller to read. Every
 * call takes an absolute CLOCK_MONOTONIC deadline and never blocks past it.
 */
#ifndef HVSMOKE_QEMU_QMPC_H
#define HVSMOKE_QEMU_QMPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QMPC_MAX_MESSAGE	(16u << 20)	/* `info registers -a` at 255 CPUs is ~0.5 MiB */
#define QMPC_MAX_EVENTS		256		/* queued; older ones are dropped and counted */

struct qmpc {
	int fd;
	char *buf;		/* received bytes; [off, len) not yet parsed */
	size_t off, len, cap;
	size_t scanned;		/* [off, scanned) is known to hold no newline */
	json_t *events[QMPC_MAX_EVENTS];
	unsigned int nevents;
	unsigned int events_dropped;
	uint64_t next_id;
	bool eof;		/* the peer is gone, or sent what cannot be parsed: sticky */
	bool broken;		/* ... the latter */
};

void qmpc_init(struct qmpc *c, int fd);
/* Read the greeting and negotiate capabilities. 0, or -1 with the reason in err. */
int qmpc_attach(struct qmpc *c, uint64_t deadline_ns, char *err, size_t len);
/*
 * Send `execute: cmd` with args (stolen; may be NULL) and wait for its reply.
 * Returns the "return" value (a new reference) or NULL with the reason in
 * err: the error's class and desc, a timeout, or the connection gone.
 * Events that arrive meanwhile are queued.
 */
json_t *qmpc_command(struct qmpc *c, const char *cmd, json_t *args, uint64_t deadline_ns,
		     char *err, size_t len);
/* Send a command without waiting for its reply (quit: the reply may never come). */
int qmpc_send(struct qmpc *c, const char *cmd, json_t *args);
/* Read whatever is available now and queue its events; -1 once the peer is gone. */
int qmpc_pump(struct qmpc *c);
/* The oldest queued event (the caller owns it), or NULL. */
json_t *qmpc_event_pop(struct qmpc *c);
void qmpc_close(struct qmpc *c);

#endif
