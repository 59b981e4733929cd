// SPDX-License-Identifier: GPL-2.0-only
/*
 * A QMP server written to the protocol's public description: greeting,
 * capabilities negotiation, commands with ids, errors as error objects, and
 * asynchronous events. It runs on one thread with poll(), never blocks on a
 * client, and takes the control plane's lock only briefly, so neither a slow
 * or hostile client nor a long `info registers -a` can stall the vCPUs or a quit.
 */
#include "qmp.h"
#include "accel.h"
#include "sync.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"
#include "x86_state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QMP_SYNC_TIMEOUT_NS	200000000ull	/* one vCPU's registers for the monitor */
/*
 * A whole monitor command: well inside the 1 s that a boot's teardown waits
 * for it (boot.c), however many vCPUs fail to answer, so it never holds a VM.
 */
#define QMP_COMMAND_NS		500000000ull
#define QMP_FLUSH_NS		200000000ull	/* at shutdown, for what clients are owed */

void qmp_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- output ------------------------------------------------------------- */

static void client_drop(struct qmp_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->dropped = true;
	free(cl->in);
	free(cl->out);
	cl->in = cl->out = NULL;
	cl->in_len = cl->out_len = 0;
	cl->negotiated = false;
	cl->eof = false;
	cl->fd = -1;
}

/* Send what we can without blocking; false if the client is gone. */
static bool client_flush(struct qmp_client *cl)
{
	if (cl->fd == QMP_FD_DETACHED)
		return true;	/* the caller reads the output itself */
	while (cl->out_len) {
		ssize_t n = send(cl->fd, cl->out, cl->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
		cl->out_len -= (size_t)n;
	}
	return true;
}

/* Queue one message (CRLF-terminated, as QEMU sends them). Drops a client that lags too far. */
static void client_send(struct qmp_client *cl, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;
	char *grown;

	if (!text || cl->fd == -1) {
		free(text);
		return;
	}
	len = strlen(text);
	if (cl->out_len + len + 2 > QMP_OUT_MAX) {
		free(text);
		client_drop(cl);
		return;
	}
	grown = realloc(cl->out, cl->out_len + len + 2);
	if (!grown) {
		free(text);
		client_drop(cl);
		return;
	}
	cl->out = grown;
	memcpy(cl->out + cl->out_len, text, len);
	memcpy(cl->out + cl->out_len + len, "\r\n", 2);
	cl->out_len += len + 2;
	free(text);
	if (!client_flush(cl))
		client_drop(cl);
}

static void send_reply(struct qmp_client *cl, json_t *id, json_t *ret)
{
	json_t *msg = json_pack("{s:o}", "return", ret ? ret : json_object());

	if (!msg)
		return;
	if (id)
		json_object_set(msg, "id", id);
	client_send(cl, msg);
	json_decref(msg);
}

/* Cut s at its first byte that does not start or continue valid UTF-8. */
static void utf8_trim(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		unsigned int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
				 (*p & 0xf8) == 0xf0 ? 4 : 0;
		unsigned int i;

		for (i = 1; n && i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = 0;
		if (!n) {
			*p = '\0';
			return;
		}
		p += n;
	}
}

static void send_error(struct qmp_server *s, struct qmp_client *cl, json_t *id,
		       const char *cls, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void send_error(struct qmp_server *s, struct qmp_client *cl, json_t *id,
		       const char *cls, const char *fmt, ...)
{
	char desc[256];
	va_list ap;
	json_t *msg;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	utf8_trim(desc);	/* a client's name cut short must not make the reply invalid */
	msg = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
	if (!msg)
		msg = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", "invalid input");
	if (id)
		json_object_set(msg, "id", id);
	client_send(cl, msg);
	json_decref(msg);
	s->errors++;
}

/* An asynchronous event to every client past negotiation. Steals data. */
static void broadcast_event(struct qmp_server *s, const char *name, json_t *data)
{
	struct timespec ts;
	json_t *msg;
	unsigned int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	msg = json_pack("{s:s,s:{s:I,s:I}}", "event", name, "timestamp", "seconds",
			(json_int_t)ts.tv_sec, "microseconds", (json_int_t)(ts.tv_nsec / 1000));
	if (data)
		json_object_set_new(msg, "data", data);
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i].fd != -1 && s->clients[i].negotiated)
			client_send(&s->clients[i], msg);
	json_decref(msg);
}

/* ---- commands ----------------------------------------------------------- */

struct cmd_ctx {
	struct qmp_server *s;
	struct qmp_client *cl;
	json_t *args;
	json_t *id;
};

/* Registers of one vCPU through the sync engine, or read directly once its thread is out. */
static int vcpu_registers(struct vcpu *v, struct vcpu_state *st, uint64_t deadline_ns)
{
	int r = sync_request(v, st, deadline_ns);

	if (r == -ESRCH && atomic_load(&v->exited))
		r = v->vm->ops->vcpu_get_state(v, st);
	return r;
}

static json_t *hmp_registers(struct control *ctl, int cpu, bool all)
{
	uint64_t deadline = now_ns() + QMP_COMMAND_NS;
	/* between two boots there is briefly no VM: wait for the next one */
	struct vcpu_group *g = control_get_wait(ctl, now_ns() + QMP_SYNC_TIMEOUT_NS);
	struct vcpu_state *st;
	size_t cap, used = 0;
	char *text;
	json_t *ret;
	unsigned int i;

	if (!g)
		return json_string("no boot in progress: no vCPU to show\r\n");
	if (!all && (cpu < 0 || (unsigned int)cpu >= g->count)) {
		control_put(ctl);
		return json_string("invalid CPU index\r\n");
	}
	cap = (all ? g->count : 1) * 2048 + 1;
	text = xzalloc(cap);
	st = xzalloc(sizeof(*st));
	for (i = all ? 0 : (unsigned int)cpu; i < g->count; i++) {
		uint64_t until = now_ns() + QMP_SYNC_TIMEOUT_NS;
		/* past the command's deadline, each vCPU left is one read that cannot block */
		int r = vcpu_registers(&g->vcpus[i], st, until < deadline ? until : deadline);

		if (r) {
			int n = snprintf(text + used, cap - used, "CPU#%u\n(unavailable: %s)\n", i,
					 strerror(-r));

			used = n > 0 && used + (size_t)n < cap ? used + (size_t)n : cap - 1;
		} else {
			used += x86_state_dump(st, i, text + used, cap - used);
		}
		if (used >= cap - 1 || !all)
			break;
	}
	control_put(ctl);
	ret = json_string(text);
	free(st);
	free(text);
	return ret;
}

static json_t *hmp_cpus(struct control *ctl)
{
	struct vcpu_group *g = control_get(ctl);
	char *text = xzalloc((size_t)ctl->ncpus * 48 + 1);
	size_t used = 0;
	json_t *ret;
	unsigned int i;

	for (i = 0; i < ctl->ncpus; i++) {
		int tid = g ? atomic_load(&g->vcpus[i].tid) : 0;

		used += (size_t)sprintf(text + used, "%c CPU #%u: thread_id=%d\n", i ? ' ' : '*', i,
					tid);
	}
	if (g)
		control_put(ctl);
	ret = json_string(text);
	free(text);
	return ret;
}

static json_t *cmd_hmp(struct cmd_ctx *c)
{
	const char *line = json_string_value(json_object_get(c->args, "command-line"));
	json_t *cpu = json_object_get(c->args, "cpu-index");
	json_int_t want = cpu ? json_integer_value(cpu) : 0;
	int idx = want < 0 || want > HVSMOKE_MAX_CPUS ? -1 : (int)want;
	char word[3][32] = { "", "", "" };
	int n = sscanf(line, "%31s %31s %31s", word[0], word[1], word[2]);

	if (n >= 2 && !strcmp(word[0], "info") && !strcmp(word[1], "registers")) {
		if (n == 2)
			return hmp_registers(c->s->ctl, idx, false);
		if (n == 3 && !strcmp(word[2], "-a"))
			return hmp_registers(c->s->ctl, 0, true);
		return json_string("info registers: unknown option (try -a)\r\n");
	}
	if (n == 2 && !strcmp(word[0], "info") && !strcmp(word[1], "cpus"))
		return hmp_cpus(c->s->ctl);
	if (n <= 0)
		return json_string("");
	return json_sprintf("unknown command: '%s'\r\n", line);
}

static json_t *cmd_capabilities(struct cmd_ctx *c)
{
	c->cl->negotiated = true;
	return json_object();
}

static json_t *cmd_quit(struct cmd_ctx *c)
{
	/* the reply goes out before the event, then the process winds down */
	send_reply(c->cl, c->id, json_object());
	broadcast_event(c->s, "SHUTDOWN",
			json_pack("{s:b,s:s}", "guest", 0, "reason", "host-qmp-quit"));
	control_quit(c->s->ctl, QUIT_QMP);
	return NULL;
}

static json_t *cmd_query_status(struct cmd_ctx *c)
{
	const char *st = control_status(c->s->ctl);

	return json_pack("{s:b,s:s,s:b}", "running", !strcmp(st, "running"), "status", st,
			 "singlestep", 0);
}

static json_t *cmd_query_cpus_fast(struct cmd_ctx *c)
{
	struct control *ctl = c->s->ctl;
	struct vcpu_group *g = control_get(ctl);
	json_t *list = json_array();
	unsigned int i;

	for (i = 0; i < ctl->ncpus; i++) {
		int tid;

		if (g) {
			tid = atomic_load(&g->vcpus[i].tid);
		} else {
			pthread_mutex_lock(&ctl->lock);
			tid = ctl->tids[i];
			pthread_mutex_unlock(&ctl->lock);
		}
		json_t *cpu = json_pack("{s:i,s:i,s:{s:i,s:i,s:i},s:s}", "cpu-index", i,
					"thread-id", tid, "props", "socket-id", i, "core-id", 0,
					"thread-id", 0, "target", "x86_64");

		json_object_set_new(cpu, "qom-path",
				    json_sprintf("/machine/unattached/device[%u]", i));
		json_array_append_new(list, cpu);
	}
	if (g)
		control_put(ctl);
	return list;
}

static json_t *cmd_stop(struct cmd_ctx *c)
{
	control_pause(c->s->ctl);
	send_reply(c->cl, c->id, json_object());
	broadcast_event(c->s, "STOP", NULL);
	return NULL;
}

static json_t *cmd_cont(struct cmd_ctx *c)
{
	control_resume(c->s->ctl);
	send_reply(c->cl, c->id, json_object());
	broadcast_event(c->s, "RESUME", NULL);
	return NULL;
}

static json_t *cmd_system_reset(struct cmd_ctx *c)
{
	control_reset(c->s->ctl);
	send_reply(c->cl, c->id, json_object());
	broadcast_event(c->s, "RESET", json_pack("{s:b,s:s}", "guest", 0, "reason", "host-qmp-system-reset"));
	return NULL;
}

static json_t *cmd_query_version(struct cmd_ctx *c)
{
	(void)c;
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "major", 0, "minor", 1, "micro", 0,
			 "package", "hvsmoke");
}

static json_t *cmd_query_commands(struct cmd_ctx *c);

enum arg_type { ARG_STR, ARG_INT, ARG_ARRAY };

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
};

static const struct qmp_cmd {
	const char *name;
	json_t *(*fn)(struct cmd_ctx *c);	/* NULL return: it replied itself */
	struct arg_spec args[3];
} commands[] = {
	{ "qmp_capabilities", cmd_capabilities, { { "enable", ARG_ARRAY, false } } },
	{ "quit", cmd_quit, { { NULL } } },
	{ "query-status", cmd_query_status, { { NULL } } },
	{ "query-cpus-fast", cmd_query_cpus_fast, { { NULL } } },
	{ "stop", cmd_stop, { { NULL } } },
	{ "cont", cmd_cont, { { NULL } } },
	{ "system_reset", cmd_system_reset, { { NULL } } },
	{ "human-monitor-command", cmd_hmp,
	  { { "command-line", ARG_STR, true }, { "cpu-index", ARG_INT, false } } },
	{ "query-version", cmd_query_version, { { NULL } } },
	{ "query-commands", cmd_query_commands, { { NULL } } },
};

static json_t *cmd_query_commands(struct cmd_ctx *c)
{
	json_t *list = json_array();
	size_t i;

	(void)c;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		json_array_append_new(list, json_pack("{s:s}", "name", commands[i].name));
	return list;
}

static const char *arg_type_name(enum arg_type t)
{
	return t == ARG_STR ? "string" : t == ARG_INT ? "int" : "array";
}

static bool arg_type_ok(enum arg_type t, json_t *v)
{
	return t == ARG_STR ? json_is_string(v) : t == ARG_INT ? json_is_integer(v) :
	       json_is_array(v);
}

/* Check the arguments against the command's spec; false after an error reply. */
static bool check_args(struct cmd_ctx *c, const struct qmp_cmd *cmd)
{
	const char *key;
	json_t *val;
	const struct arg_spec *a;

	json_object_foreach(c->args, key, val) {
		for (a = cmd->args; a->name; a++)
			if (!strcmp(a->name, key))
				break;
		if (!a->name) {
			send_error(c->s, c->cl, c->id, "GenericError", "Parameter '%.64s' is unexpected",
				   key);
			return false;
		}
		if (!arg_type_ok(a->type, val)) {
			send_error(c->s, c->cl, c->id, "GenericError",
				   "Invalid parameter type for '%s', expected: %s", a->name,
				   arg_type_name(a->type));
			return false;
		}
	}
	for (a = cmd->args; a->name; a++) {
		if (a->required && !json_object_get(c->args, a->name)) {
			send_error(c->s, c->cl, c->id, "GenericError", "Parameter '%s' is missing",
				   a->name);
			return false;
		}
	}
	return true;
}

static void handle_message(struct qmp_server *s, struct qmp_client *cl, json_t *msg)
{
	struct cmd_ctx c = { .s = s, .cl = cl };
	const struct qmp_cmd *cmd = NULL;
	const char *name, *key;
	json_t *exec, *val, *ret;
	size_t i;

	if (!json_is_object(msg)) {
		send_error(s, cl, NULL, "GenericError", "QMP input must be a JSON object");
		return;
	}
	c.id = json_object_get(msg, "id");
	json_object_foreach(msg, key, val) {
		if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
			send_error(s, cl, c.id, "GenericError", "QMP input member '%.64s' is unexpected",
				   key);
			return;
		}
	}
	exec = json_object_get(msg, "execute");
	if (!exec) {
		send_error(s, cl, c.id, "GenericError", "QMP input lacks member 'execute'");
		return;
	}
	if (!json_is_string(exec)) {
		send_error(s, cl, c.id, "GenericError", "QMP input member 'execute' must be a string");
		return;
	}
	c.args = json_object_get(msg, "arguments");
	if (c.args && !json_is_object(c.args)) {
		send_error(s, cl, c.id, "GenericError",
			   "QMP input member 'arguments' must be an object");
		return;
	}
	name = json_string_value(exec);
	if (!cl->negotiated && strcmp(name, "qmp_capabilities")) {
		send_error(s, cl, c.id, "CommandNotFound",
			   "Expecting capabilities negotiation with 'qmp_capabilities'");
		return;
	}
	if (cl->negotiated && !strcmp(name, "qmp_capabilities")) {
		send_error(s, cl, c.id, "CommandNotFound",
			   "Capabilities negotiation is already complete, command ignored");
		return;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			cmd = &commands[i];
	if (!cmd) {
		send_error(s, cl, c.id, "CommandNotFound", "The command %.64s has not been found",
			   name);
		return;
	}
	if (!c.args)
		c.args = json_object();
	else
		json_incref(c.args);
	if (check_args(&c, cmd)) {
		s->commands++;
		ret = cmd->fn(&c);
		if (ret)
			send_reply(cl, c.id, ret);
	}
	json_decref(c.args);
}

/* ---- input -------------------------------------------------------------- */

/*
 * Whether the bytes from an invalid-UTF-8 error to the end of the input could
 * still become one valid character: a lead byte followed by fewer
 * continuation bytes than it needs. Anything else, a newline above all, means
 * the message is complete and wrong.
 */
static bool utf8_may_continue(const unsigned char *p, size_t n)
{
	size_t need, i;

	if (!n)
		return true;
	need = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3 :
	       p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
	if (!need || n >= need)
		return false;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return false;
	return true;
}

/*
 * Whether a parse error may only mean the message is not all here yet. A
 * read can end inside a token (`tr`, `-`, `\u00`) or a UTF-8 sequence, and
 * jansson then reports a bad token at the very end rather than an early end.
 */
static bool incomplete(const json_error_t *e, const char *buf, size_t len)
{
	enum json_error_code code = json_error_code(e);
	size_t at;

	if (code == json_error_premature_end_of_input)
		return true;
	if (e->position < 0)
		return false;
	if ((size_t)e->position >= len)
		return true;
	if (code != json_error_invalid_utf8)
		return false;
	/* jansson points at or just past the first bad byte: look from its sequence's start */
	at = (size_t)e->position;
	while (at > 0 && len - at < 4 && ((unsigned char)buf[at - 1] & 0xc0) == 0x80)
		at--;
	if (at > 0 && len - at < 4 && (unsigned char)buf[at - 1] >= 0xc0)
		at--;
	return utf8_may_continue((const unsigned char *)buf + at, len - at);
}

/* Drop the first n bytes of the client's input. */
static void consume(struct qmp_client *cl, size_t n)
{
	memmove(cl->in, cl->in + n, cl->in_len - n);
	cl->in_len -= n;
}

/*
 * Handle at most one message (or one parse error) from the client's input.
 * False when nothing complete is left, so the caller can wait for more: one
 * message at a time per client keeps a client that pipelines hundreds of
 * slow commands from starving the others, the signals and the stop request.
 */
static bool client_next(struct qmp_server *s, struct qmp_client *cl)
{
	json_error_t jerr;
	json_t *msg;
	size_t skip = 0;
	char *nl;

	while (skip < cl->in_len && strchr(" \t\r\n", cl->in[skip]))
		skip++;
	consume(cl, skip);
	if (!cl->in_len)
		return false;

	msg = json_loadb(cl->in, cl->in_len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (msg) {
		consume(cl, (size_t)jerr.position);
		handle_message(s, cl, msg);
		json_decref(msg);
		return cl->fd != -1;
	}
	if (incomplete(&jerr, cl->in, cl->in_len)) {
		if (cl->in_len < QMP_IN_MAX)
			return false;	/* wait for the rest */
		send_error(s, cl, NULL, "GenericError", "JSON message longer than %u bytes",
			   QMP_IN_MAX);
		client_flush(cl);
		client_drop(cl);
		return false;
	}
	send_error(s, cl, NULL, "GenericError", "JSON parse error, %s", jerr.text);
	if (cl->fd == -1)
		return false;
	/* resynchronise at the next line; without one, drop what we have */
	nl = memchr(cl->in, '\n', cl->in_len);
	consume(cl, nl ? (size_t)(nl - cl->in) + 1 : cl->in_len);
	return true;
}

/* Read what the socket has; false if the client is gone. */
static bool client_read(struct qmp_client *cl)
{
	ssize_t n;

	if (!cl->in)
		cl->in = xzalloc(QMP_IN_MAX);
	if (cl->in_len == QMP_IN_MAX || cl->eof)
		return true;	/* full: the messages in it go first */
	n = recv(cl->fd, cl->in + cl->in_len, QMP_IN_MAX - cl->in_len, MSG_DONTWAIT);
	if (n == 0) {
		/* it stopped sending: what it sent before still gets its replies */
		cl->eof = true;
		return true;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		client_drop(cl);	/* gone, possibly mid-message: nothing to answer */
		return false;
	}
	if (n > 0)
		cl->in_len += (size_t)n;
	return true;
}

void qmp_server_init_detached(struct qmp_server *s, struct control *ctl)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->ctl = ctl;
	s->listen_fd = s->signal_fd = s->wake_fd = -1;
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
}

static void send_greeting(struct qmp_client *cl)
{
	json_t *greeting = json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version",
				     "qemu", "micro", 0, "minor", 1, "major", 0, "package",
				     "hvsmoke", "capabilities");

	client_send(cl, greeting);
	json_decref(greeting);
}

struct qmp_client *qmp_client_open_detached(struct qmp_server *s)
{
	unsigned int i;

	for (i = 0; i < QMP_MAX_CLIENTS; i++) {
		if (s->clients[i].fd == -1) {
			s->clients[i].fd = QMP_FD_DETACHED;
			s->clients[i].dropped = false;
			send_greeting(&s->clients[i]);
			return &s->clients[i];
		}
	}
	return NULL;
}

bool qmp_client_feed(struct qmp_server *s, struct qmp_client *cl, const void *data, size_t len)
{
	const char *p = data;

	while (cl->fd != -1) {
		size_t room, take;

		if (!cl->in)
			cl->in = xzalloc(QMP_IN_MAX);
		room = QMP_IN_MAX - cl->in_len;
		take = len < room ? len : room;
		memcpy(cl->in + cl->in_len, p, take);
		cl->in_len += take;
		p += take;
		len -= take;
		while (client_next(s, cl))
			;
		if (!len)
			break;
	}
	return cl->fd != -1;
}

void qmp_client_close(struct qmp_client *cl)
{
	if (cl->fd == QMP_FD_DETACHED)
		cl->fd = -1;
	client_drop(cl);
}

static void accept_client(struct qmp_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned int i;

	if (fd < 0)
		return;
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		if (s->clients[i].fd < 0)
			break;
	if (i == QMP_MAX_CLIENTS) {
		static const char busy[] =
			"{\"error\": {\"class\": \"GenericError\", \"desc\": \"too many QMP clients\"}}\r\n";

		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("qmp: could not tell a client it was one too many");
		close(fd);
		return;
	}
	s->clients[i].fd = fd;
	s->clients[i].dropped = false;
	send_greeting(&s->clients[i]);
}

static void handle_signal(struct qmp_server *s)
{
	struct signalfd_siginfo si;

	if (read(s->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	pr_info("signal %u: quitting", si.ssi_signo);
	broadcast_event(s, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", 0, "reason", "host-signal"));
	control_quit(s->ctl, QUIT_SIGNAL);
}

/*
 * After a quit the process has --quit-deadline, plus a grace for its reports,
 * to be gone. Whatever holds it (a thread blocked on a full stderr, a report
 * on a hung filesystem), a quit always ends it: that is the promise seed 002
 * is about, kept here for the VMM itself. Arms the bound at the first look
 * after a quit, ends the process past it; else the ms left (-1: no quit).
 */
static int exit_watch(struct qmp_server *s)
{
	static const char msg[] = "hvsmoke: error: still running past the quit's bound; exiting\n";
	struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };
	uint64_t now = now_ns();

	if (!s->exit_at_ns) {
		if (!s->exit_bound_ns || !control_quitting(s->ctl))
			return -1;
		s->exit_at_ns = now + s->exit_bound_ns;
	}
	if (now < s->exit_at_ns)
		return (int)((s->exit_at_ns - now) / 1000000ull) + 1;
	if (s->listen_fd >= 0)
		unlink(s->path);	/* atexit hooks do not run on this exit */
	/*
	 * stderr may be the very thing that is stuck: one write, only if it can
	 * take it now, and short enough (< PIPE_BUF) to go whole or not at all.
	 */
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
	    write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(HV_EXIT_FAIL);
	_exit(HV_EXIT_FAIL);
}

/*
 * Between two messages: act on a signal or the stop request at once, so that
 * clients with long queues of slow commands never keep a quit waiting.
 * True if the thread is to stop.
 */
static bool urgent(struct qmp_server *s)
{
	struct pollfd p[2] = {
		{ .fd = s->wake_fd, .events = POLLIN },
		{ .fd = s->signal_fd, .events = POLLIN },
	};

	if (poll(p, 2, 0) <= 0)
		return false;
	if (p[1].revents)
		handle_signal(s);
	exit_watch(s);	/* a quit arms the bound now */
	return p[0].revents != 0;
}

static void *control_thread(void *arg)
{
	struct qmp_server *s = arg;
	struct pollfd pfd[QMP_MAX_CLIENTS + 3];
	int idx[QMP_MAX_CLIENTS + 3];
	bool more = false;	/* a client's buffer may hold another whole message */

	for (;;) {
		unsigned int n = 0, i, k;
		int wait_ms;

		pfd[n] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		idx[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
		idx[n++] = -2;
		if (s->listen_fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
			idx[n++] = -3;
		}
		for (i = 0; i < QMP_MAX_CLIENTS; i++) {
			struct qmp_client *cl = &s->clients[i];

			if (cl->fd < 0)
				continue;
			/* a full input buffer is read only once its messages are handled */
			pfd[n] = (struct pollfd){ .fd = cl->fd,
						  .events = (cl->in_len < QMP_IN_MAX && !cl->eof ?
							     POLLIN : 0) |
							    (cl->out_len ? POLLOUT : 0) };
			idx[n++] = (int)i;
		}
		/* with messages waiting, only look: stop, signals and new clients go first */
		wait_ms = exit_watch(s);
		if (poll(pfd, n, more ? 0 : wait_ms) < 0 && errno != EINTR)
			break;
		exit_watch(s);
		if (pfd[0].revents)
			break;		/* told to stop */
		for (k = 1; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (idx[k] == -2) {
				handle_signal(s);
			} else if (idx[k] == -3) {
				accept_client(s);
			} else {
				struct qmp_client *cl = &s->clients[idx[k]];

				if (cl->fd != pfd[k].fd)
					continue;	/* dropped and reused this round */
				if ((pfd[k].revents & POLLOUT) && !client_flush(cl)) {
					client_drop(cl);
					continue;
				}
				if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
					client_read(cl);
			}
		}
		/* one message per client per round */
		more = false;
		for (i = 0; i < QMP_MAX_CLIENTS; i++) {
			struct qmp_client *cl = &s->clients[i];

			if (cl->fd < 0)
				continue;
			if (cl->in_len && urgent(s))
				return NULL;
			if (cl->in_len && client_next(s, cl))
				more = true;
			else if (cl->eof && !cl->out_len)
				client_drop(cl);	/* said all it had to, and heard every reply */
		}
	}
	return NULL;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "--qmp %s: path too long (at most %zu bytes)", path,
			 sizeof(addr.sun_path) - 1);
		return -1;
	}
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "--qmp %s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);	/* a stale socket from an earlier run */
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "--qmp %s: socket: %s", path, strerror(errno));
		return -1;
	}
	old = umask(0177);	/* born 0600: no window with looser modes */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 8)) {
		umask(old);
		snprintf(err, errlen, "--qmp %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int qmp_server_start(struct qmp_server *s, struct control *ctl, const char *path,
		     uint64_t exit_bound_ns, char *err, size_t errlen)
{
	sigset_t set;
	unsigned int i;
	int r;

	memset(s, 0, sizeof(*s));
	s->ctl = ctl;
	s->path = path;
	s->exit_bound_ns = exit_bound_ns;
	s->listen_fd = -1;
	for (i = 0; i < QMP_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->signal_fd < 0 || s->wake_fd < 0) {
		snprintf(err, errlen, "control thread: %s", strerror(errno));
		goto fail;
	}
	if (path) {
		s->listen_fd = listen_unix(path, err, errlen);
		if (s->listen_fd < 0)
			goto fail;
	}
	r = pthread_create(&s->thread, NULL, control_thread, s);
	if (r) {
		snprintf(err, errlen, "control thread: %s", strerror(r));
		goto fail;
	}
	s->running = true;
	return 0;
fail:
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(path);
	}
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	return -1;
}

void qmp_server_stop(struct qmp_server *s)
{
	uint64_t one = 1, deadline;
	unsigned int i;

	if (!s->running)
		return;
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		pr_err("control thread: cannot wake it: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	s->running = false;

	/* give clients what they are owed (the reply to quit, SHUTDOWN), briefly */
	deadline = now_ns() + QMP_FLUSH_NS;
	for (i = 0; i < QMP_MAX_CLIENTS; i++) {
		struct qmp_client *cl = &s->clients[i];

		while (cl->fd >= 0 && cl->out_len && now_ns() < deadline) {
			struct pollfd p = { .fd = cl->fd, .events = POLLOUT };

			if (poll(&p, 1, 10) < 0 || !client_flush(cl))
				break;
		}
		client_drop(cl);
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	close(s->signal_fd);
	close(s->wake_fd);
}
