// SPDX-License-Identifier: GPL-2.0-only
/*
 * QMP client. QEMU writes each message as one line of compact JSON, so the
 * reader splits on newlines and parses each line on its own; a line that is
 * not a JSON object, or one longer than QMPC_MAX_MESSAGE, ends the
 * connection as broken rather than being guessed at.
 */
#include "qmpc.h"
#include "../util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void qmpc_init(struct qmpc *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->next_id = 1;
}

void qmpc_close(struct qmpc *c)
{
	unsigned int i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < c->nevents; i++)
		json_decref(c->events[i]);
	c->nevents = 0;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int remaining_ms(uint64_t deadline_ns)
{
	uint64_t now = now_ns();

	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now + 999999) / 1000000 > 60000 ? 60000 :
		     (deadline_ns - now + 999999) / 1000000);
}

static int write_all(struct qmpc *c, const char *p, size_t n, uint64_t deadline_ns)
{
	while (n) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&pfd, 1, remaining_ms(deadline_ns)) <= 0)
			return -ETIMEDOUT;
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w <= 0)
			return -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#define QMPC_BUF_KEEP	(128u << 10)	/* the buffer shrinks back to this after a big message */

/* One read of what is there; -1 on EOF, error or a message too long, 0 otherwise. */
static int read_some(struct qmpc *c)
{
	ssize_t got;

	if (c->eof)
		return -1;
	/* parsed bytes go first, once per read: no copying per message */
	if (c->off) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->scanned -= c->off;
		c->off = 0;
	}
	if (c->cap > QMPC_BUF_KEEP && c->len < QMPC_BUF_KEEP / 2) {
		c->buf = realloc(c->buf, QMPC_BUF_KEEP);
		if (!c->buf)
			die(HV_EXIT_USAGE, "out of memory");
		c->cap = QMPC_BUF_KEEP;
	}
	if (c->cap - c->len < 65536) {
		size_t ncap = c->cap ? c->cap * 2 : QMPC_BUF_KEEP;

		if (ncap > QMPC_MAX_MESSAGE + 65536)
			ncap = QMPC_MAX_MESSAGE + 65536;
		if (ncap - c->len < 4096) {
			c->broken = c->eof = true;	/* a message longer than we accept */
			return -1;
		}
		c->buf = realloc(c->buf, ncap);
		if (!c->buf)
			die(HV_EXIT_USAGE, "out of memory");
		c->cap = ncap;
	}
	got = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (got <= 0) {
		c->eof = true;
		return -1;
	}
	c->len += (size_t)got;
	return 0;
}

/*
 * The next complete message, or NULL: none yet, or the stream cannot be
 * parsed any more (then c->broken and c->eof are set).
 */
static json_t *next_message(struct qmpc *c)
{
	while (!c->broken) {
		char *nl = c->len > c->scanned ?
			   memchr(c->buf + c->scanned, '\n', c->len - c->scanned) : NULL;
		char *line;
		size_t n;
		json_t *msg;
		json_error_t jerr;

		if (!nl) {
			c->scanned = c->len;
			if (c->len - c->off > QMPC_MAX_MESSAGE)
				c->broken = c->eof = true;
			return NULL;
		}
		line = c->buf + c->off;
		n = (size_t)(nl - line);
		c->off += n + 1;
		c->scanned = c->off;
		if (!n || (n == 1 && line[0] == '\r'))
			continue;	/* blank line */
		msg = json_loadb(line, n, 0, &jerr);
		if (!msg || !json_is_object(msg)) {
			json_decref(msg);
			c->broken = c->eof = true;
			return NULL;
		}
		return msg;
	}
	return NULL;
}

static void queue_event(struct qmpc *c, json_t *msg)
{
	if (c->nevents == QMPC_MAX_EVENTS) {
		json_decref(c->events[0]);
		memmove(c->events, c->events + 1, (QMPC_MAX_EVENTS - 1) * sizeof(c->events[0]));
		c->nevents--;
		c->events_dropped++;
	}
	c->events[c->nevents++] = msg;
}

json_t *qmpc_event_pop(struct qmpc *c)
{
	json_t *ev;

	if (!c->nevents)
		return NULL;
	ev = c->events[0];
	memmove(c->events, c->events + 1, (c->nevents - 1) * sizeof(c->events[0]));
	c->nevents--;
	return ev;
}

/*
 * Wait for a message that is not an event (events are queued). With want_id
 * nonzero, replies to other ids are dropped (a quit sent without waiting).
 */
static json_t *wait_message(struct qmpc *c, uint64_t want_id, uint64_t deadline_ns,
			    char *err, size_t len)
{
	for (;;) {
		json_t *msg = now_ns() < deadline_ns ? next_message(c) : NULL;

		if (msg) {
			json_t *id;

			if (json_object_get(msg, "event")) {
				queue_event(c, msg);
				continue;
			}
			id = json_object_get(msg, "id");
			if (want_id && (!json_is_integer(id) ||
					(uint64_t)json_integer_value(id) != want_id)) {
				json_decref(msg);
				continue;
			}
			return msg;
		}
		if (c->broken) {
			snprintf(err, len, "QMP: malformed or oversized message from QEMU");
			return NULL;
		}
		if (c->eof) {
			snprintf(err, len, "QMP: connection closed by QEMU");
			return NULL;
		}
		{
			struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
			int ms = remaining_ms(deadline_ns);
			int n = ms ? poll(&pfd, 1, ms) : 0;

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				snprintf(err, len, "QMP: no reply in time");
				return NULL;
			}
		}
		read_some(c);	/* its failures are in c->eof / c->broken, seen above */
	}
}

int qmpc_pump(struct qmpc *c)
{
	json_t *msg;

	read_some(c);
	while ((msg = next_message(c))) {
		if (json_object_get(msg, "event"))
			queue_event(c, msg);
		else
			json_decref(msg);	/* a reply nobody waits for (quit) */
	}
	return c->eof ? -1 : 0;
}

static int send_command(struct qmpc *c, const char *cmd, json_t *args, uint64_t id,
			uint64_t deadline_ns)
{
	json_t *msg = json_pack("{s:s,s:I}", "execute", cmd, "id", (json_int_t)id);
	char *text;
	int ret;

	if (!msg) {
		json_decref(args);
		return -ENOMEM;
	}
	if (args)
		json_object_set_new(msg, "arguments", args);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return -ENOMEM;
	ret = write_all(c, text, strlen(text), deadline_ns);
	if (!ret)
		ret = write_all(c, "\n", 1, deadline_ns);
	free(text);
	return ret;
}

int qmpc_send(struct qmpc *c, const char *cmd, json_t *args)
{
	return send_command(c, cmd, args, c->next_id++, now_ns() + 1000000000ull);
}

json_t *qmpc_command(struct qmpc *c, const char *cmd, json_t *args, uint64_t deadline_ns,
		     char *err, size_t len)
{
	uint64_t id = c->next_id++;
	json_t *msg, *ret, *e;
	int rc;

	if (c->eof) {
		json_decref(args);
		snprintf(err, len, "QMP %s: %s", cmd, c->broken ?
			 "the connection sent malformed or oversized data" : "connection closed by QEMU");
		return NULL;
	}
	rc = send_command(c, cmd, args, id, deadline_ns);
	if (rc == -EPIPE || rc == -ECONNRESET)
		c->eof = true;	/* the peer is gone: as sticky as a read that saw its end */
	if (rc) {
		snprintf(err, len, "QMP %s: cannot send: %s", cmd,
			 rc == -ETIMEDOUT ? "QEMU does not read" : strerror(-rc));
		return NULL;
	}
	msg = wait_message(c, id, deadline_ns, err, len);
	if (!msg)
		return NULL;
	ret = json_object_get(msg, "return");
	if (ret) {
		json_incref(ret);
		json_decref(msg);
		return ret;
	}
	e = json_object_get(msg, "error");
	snprintf(err, len, "QMP %s: %s: %s", cmd,
		 json_string_value(json_object_get(e, "class")) ?: "error",
		 json_string_value(json_object_get(e, "desc")) ?: "(no description)");
	json_decref(msg);
	return NULL;
}

int qmpc_attach(struct qmpc *c, uint64_t deadline_ns, char *err, size_t len)
{
	json_t *msg = wait_message(c, 0, deadline_ns, err, len);
	json_t *ret;

	if (!msg)
		return -1;
	if (!json_is_object(json_object_get(msg, "QMP"))) {
		json_decref(msg);
		snprintf(err, len, "QMP: the first message is not a greeting");
		return -1;
	}
	json_decref(msg);
	ret = qmpc_command(c, "qmp_capabilities", NULL, deadline_ns, err, len);
	if (!ret)
		return -1;
	json_decref(ret);
	return 0;
}
