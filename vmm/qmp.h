/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread: a QMP-compatible monitor on a UNIX socket (--qmp) and
 * the SIGINT/SIGTERM handler. Both turn into requests on the control plane.
 */
#ifndef HVSMOKE_QMP_H
#define HVSMOKE_QMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"

#define QMP_MAX_CLIENTS		16
#define QMP_IN_MAX		(64u << 10)	/* one message may not be longer */
#define QMP_OUT_MAX		(4u << 20)	/* a client this far behind is dropped */

#define QMP_FD_DETACHED		(-2)	/* a client without a socket (tests, fuzzing) */

struct qmp_client {
	int fd;				/* -1: free slot */
	bool dropped;			/* it was dropped (gone, lagging, oversized input) */
	bool eof;			/* it sent its last byte; replies still go out */
	bool negotiated;		/* qmp_capabilities done */
	char *in;
	size_t in_len;
	char *out;
	size_t out_len;
};

struct qmp_server {
	struct control *ctl;
	const char *path;		/* NULL: signals only */
	int listen_fd;
	int signal_fd;
	int wake_fd;
	pthread_t thread;
	bool running;
	struct qmp_client clients[QMP_MAX_CLIENTS];
	uint64_t commands;
	uint64_t errors;
	uint64_t exit_bound_ns;		/* quit -> process gone, else _exit(1); 0: no bound */
	uint64_t exit_at_ns;		/* when, once a quit came */
};

/*
 * Block SIGINT/SIGTERM in the calling thread (and so in every thread created
 * after it): the control thread takes them through a signalfd. Call first.
 */
void qmp_block_signals(void);
/*
 * Start the control thread. After a quit the process must be gone within
 * exit_bound_ns (0: no bound), or the control thread ends it with exit 1.
 * 0, or -1 with a one-line reason in err.
 */
int qmp_server_start(struct qmp_server *s, struct control *ctl, const char *path,
		     uint64_t exit_bound_ns, char *err, size_t errlen);
/* Flush what clients are owed (briefly), close everything, join. */
void qmp_server_stop(struct qmp_server *s);

/*
 * The protocol without sockets or a thread, for tests and the fuzzer: bytes
 * in, replies (CRLF-terminated JSON) accumulate in cl->out for the caller.
 */
void qmp_server_init_detached(struct qmp_server *s, struct control *ctl);
/* A client as if it had just connected: its greeting is already in cl->out. */
struct qmp_client *qmp_client_open_detached(struct qmp_server *s);
/* Handle every whole message in data; false once the server dropped the client. */
bool qmp_client_feed(struct qmp_server *s, struct qmp_client *cl, const void *data, size_t len);
void qmp_client_close(struct qmp_client *cl);

#endif
