// SPDX-License-Identifier: GPL-2.0-only
/*
 * One boot under the host's QEMU: spawn it paused (-S) in its own process
 * group with every channel on a UNIX socket in a private directory, start
 * the monitor hammer, `cont`, read the firmware's event stream until its
 * completion record, cross-check QEMU's exit status, and reap. Every wait
 * has a deadline; a QEMU that overstays one is sampled from /proc and killed.
 * Nothing here retries a failed boot: a lost AP or a QEMU that does not exit
 * is the finding this target exists for.
 */
#include "qemu.h"
#include "evstream.h"
#include "regs.h"
#include "../boot.h"
#include "../devices/platform.h"
#include "../options.h"
#include "../util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERR_TAIL	2048	/* the end of QEMU's stderr kept for the reports */

struct qemu_proc {
	pid_t pid;
	int pidfd;
	int errfd;			/* QEMU's stderr, a pipe */
	char err[ERR_TAIL];
	size_t errlen;
	int fd[QS_COUNT];		/* accepted connections */
	struct qmpc ctl;
	struct qmpc mon;
	pid_t *cpu_tid;			/* per cpu-index, from query-cpus-fast; 0: unknown */
	char cpu0_path[96];		/* cpu-index 0's QOM path, from the same; "": unknown */
	bool exited;
	int wstatus;
	uint64_t t_exit_ns;
	bool errfd_eof;
	unsigned int boots;		/* boots run in this process */
};

/* For the atexit hook: hvsmoke's own error paths (die) must not leave QEMU or files behind. */
static struct qemu_target *live_target;

int qemu_expected_status(int completion)
{
	return ((completion << 1) | 1) & 0xff;
}

static struct qemu_target *to_qemu(struct boot_target *bt)
{
	return (struct qemu_target *)bt;
}

/* SIGINT/SIGTERM/SIGHUP: the boot in progress quits, then the run ends. */
static bool take_signal(struct qemu_target *t)
{
	struct signalfd_siginfo si;

	if (read(t->sigfd, &si, sizeof(si)) == sizeof(si)) {
		pr_info("signal %u: quitting the QEMU boot in progress", si.ssi_signo);
		t->quit = true;
		return true;
	}
	return false;
}

/* ---- stderr ---------------------------------------------------------------- */

/*
 * Keep the tail of what QEMU prints, read as it comes: a full pipe would
 * block QEMU in write() with its global lock held. Never blocks; true at EOF.
 */
static bool drain_stderr(struct qemu_proc *q)
{
	const size_t keep = sizeof(q->err) - 1;
	char buf[1024];
	ssize_t n;

	if (q->errfd < 0)
		return true;
	while ((n = read(q->errfd, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)n;

		if (q->errlen + k > keep) {
			size_t drop = q->errlen + k - keep;

			memmove(q->err, q->err + drop, q->errlen - drop);
			q->errlen -= drop;
		}
		memcpy(q->err + q->errlen, buf, k);
		q->errlen += k;
		q->err[q->errlen] = '\0';
	}
	return n == 0;
}

/* The last non-empty line QEMU wrote to stderr, or "". */
static void last_err_line(struct qemu_proc *q, char *out, size_t len)
{
	size_t end, start;

	drain_stderr(q);
	end = q->errlen;
	while (end && (q->err[end - 1] == '\n' || q->err[end - 1] == '\r'))
		end--;
	start = end;
	while (start && q->err[start - 1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), q->err + start);
}

/* Control characters in QEMU's words must not break a YAML block or a JSON string. */
static void sanitize(char *s)
{
	for (; s && *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') ||
		    (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* ---- the process ------------------------------------------------------------- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Reap if it has exited; true once it is gone. */
static bool reap(struct qemu_proc *q)
{
	int st;

	if (q->exited)
		return true;
	if (waitpid(q->pid, &st, WNOHANG) != q->pid)
		return false;
	q->exited = true;
	q->wstatus = st;
	q->t_exit_ns = now_ns();
	return true;
}

/* Wait until the process is gone or the deadline passes. */
static bool wait_exit(struct qemu_proc *q, uint64_t deadline_ns)
{
	while (!reap(q)) {
		struct pollfd pfd = { .fd = q->pidfd, .events = POLLIN };
		uint64_t now = now_ns();

		if (now >= deadline_ns)
			return false;
		/* without a pidfd (spawn failed to get one), look again every 10 ms */
		poll(&pfd, 1, q->pidfd < 0 ? 10 : (int)((deadline_ns - now) / 1000000 + 1));
	}
	return true;
}

static void kill_and_reap(struct qemu_proc *q)
{
	if (q->exited)
		return;
	kill(-q->pid, SIGKILL);
	kill(q->pid, SIGKILL);
	if (!wait_exit(q, now_ns() + QEMU_KILL_MS * 1000000ull))
		pr_err("QEMU pid %d did not go away %u ms after SIGKILL", q->pid, QEMU_KILL_MS);
}

static void proc_free(struct qemu_proc *q)
{
	unsigned int i;

	if (!q)
		return;
	kill_and_reap(q);
	/* the QMP fds belong to their clients once connect_up got that far */
	if (q->ctl.fd < 0 && q->fd[QS_QMP] >= 0)
		close(q->fd[QS_QMP]);
	if (q->mon.fd < 0 && q->fd[QS_MON] >= 0)
		close(q->fd[QS_MON]);
	qmpc_close(&q->ctl);
	qmpc_close(&q->mon);
	for (i = 0; i < QS_COUNT; i++)
		if (i != QS_QMP && i != QS_MON && q->fd[i] >= 0)
			close(q->fd[i]);
	if (q->pidfd >= 0)
		close(q->pidfd);
	if (q->errfd >= 0)
		close(q->errfd);
	free(q->cpu_tid);
	free(q);
}

static void describe_status(int st, char *out, size_t len)
{
	if (WIFEXITED(st))
		snprintf(out, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(out, len, "was killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(out, len, "ended with wait status 0x%x", st);
}

/*
 * Connections a QEMU made but never got accepted (it died while starting)
 * would be the next QEMU's; close them. The listeners are non-blocking.
 */
static void drain_listeners(struct qemu_target *t)
{
	unsigned int i;
	int fd;

	for (i = 0; i < QS_COUNT; i++)
		while (t->lsock[i] >= 0 && (fd = accept4(t->lsock[i], NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(fd);
}

static void argv_push(const char **argv, unsigned int *n, unsigned int cap, const char *s)
{
	if (*n + 1 < cap)
		argv[(*n)++] = s;
}

/*
 * fork/exec QEMU paused, in its own process group, stdin closed, stdout and
 * stderr into a pipe. 0, or HV_EXIT_SKIP (no such binary) / -1 with err.
 */
static int spawn(struct qemu_target *t, struct qemu_proc **out, char *err, size_t len)
{
	const struct qemu_params *p = &t->p;
	const char *argv[64 + OPT_MAX_QEMU_ARGS];
	char smp[16], machine[64], chr[QS_COUNT][200], dev[QS_COUNT][96], fwcfg[200];
	unsigned int n = 0, i, cap = sizeof(argv) / sizeof(argv[0]);
	int errpipe[2], execpipe[2], child_errno = 0;
	struct qemu_proc *q;
	pid_t parent;
	ssize_t got;

	snprintf(smp, sizeof(smp), "%u", p->cpus);
	snprintf(machine, sizeof(machine), "%s,smm=%s", p->machine, p->smm ? "on" : "off");
	snprintf(fwcfg, sizeof(fwcfg), "name=%s,file=%s", HVSMOKE_CFG_NAME, t->cfg_path);
	for (i = 0; i < QS_COUNT; i++)
		snprintf(chr[i], sizeof(chr[i]), "socket,id=hv%u,path=%s", i, t->sock_path[i]);
	snprintf(dev[QS_QMP], sizeof(dev[0]), "chardev=hv%u,mode=control", QS_QMP);
	snprintf(dev[QS_MON], sizeof(dev[0]), "chardev=hv%u,mode=control", QS_MON);
	snprintf(dev[QS_EVENTS], sizeof(dev[0]), "isa-debugcon,iobase=0x%x,chardev=hv%u",
		 PORT_EVSTREAM, QS_EVENTS);
	snprintf(dev[QS_ACK], sizeof(dev[0]), "isa-serial,iobase=0x%x,irq=4,chardev=hv%u",
		 PORT_ACK_UART, QS_ACK);
	snprintf(dev[QS_CONSOLE], sizeof(dev[0]), "isa-debugcon,iobase=0x%x,chardev=hv%u",
		 PORT_DEBUGCON, QS_CONSOLE);

	argv_push(argv, &n, cap, p->binary);
	argv_push(argv, &n, cap, "-S");
	argv_push(argv, &n, cap, "-nodefaults");
	argv_push(argv, &n, cap, "-display");
	argv_push(argv, &n, cap, "none");
	/*
	 * -no-reboot turns a guest's reset (a triple fault) into an exit the
	 * verdict sees; with --qemu-reuse it would turn system_reset into one
	 * too, so there a guest reset shows as a second boot in the stream.
	 */
	if (!p->reuse)
		argv_push(argv, &n, cap, "-no-reboot");
	/* vCPU threads named "CPU n/KVM": the quit evidence reads them from /proc */
	argv_push(argv, &n, cap, "-name");
	argv_push(argv, &n, cap, "hvsmoke,debug-threads=on");
	argv_push(argv, &n, cap, "-accel");
	argv_push(argv, &n, cap, p->accel);
	argv_push(argv, &n, cap, "-machine");
	argv_push(argv, &n, cap, machine);
	argv_push(argv, &n, cap, "-smp");
	argv_push(argv, &n, cap, smp);
	argv_push(argv, &n, cap, "-m");
	argv_push(argv, &n, cap, QEMU_RAM_MB_STR);
	argv_push(argv, &n, cap, "-bios");
	argv_push(argv, &n, cap, t->fw_path);
	argv_push(argv, &n, cap, "-fw_cfg");
	argv_push(argv, &n, cap, fwcfg);
	for (i = 0; i < QS_COUNT; i++) {
		if (i == QS_CONSOLE && !p->console)
			continue;
		argv_push(argv, &n, cap, "-chardev");
		argv_push(argv, &n, cap, chr[i]);
		argv_push(argv, &n, cap, i == QS_QMP || i == QS_MON ? "-mon" : "-device");
		argv_push(argv, &n, cap, dev[i]);
	}
	if (!p->reuse) {
		argv_push(argv, &n, cap, "-device");
		argv_push(argv, &n, cap, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	}
	for (i = 0; i < p->nextra; i++)
		argv_push(argv, &n, cap, p->extra[i]);
	argv[n] = NULL;

	if (pipe2(errpipe, O_CLOEXEC)) {
		snprintf(err, len, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(execpipe, O_CLOEXEC)) {
		snprintf(err, len, "pipe: %s", strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	drain_listeners(t);
	q = xzalloc(sizeof(*q));
	q->pidfd = -1;
	q->errfd = -1;
	for (i = 0; i < QS_COUNT; i++)
		q->fd[i] = -1;
	q->ctl.fd = q->mon.fd = -1;
	fflush(NULL);
	parent = getpid();
	q->pid = fork();
	if (q->pid < 0) {
		snprintf(err, len, "fork: %s", strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		close(execpipe[0]);
		close(execpipe[1]);
		free(q);
		return -1;
	}
	if (q->pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t none;

		/* dies with hvsmoke, whatever kills hvsmoke (even before this line) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(errpipe[1], STDOUT_FILENO) < 0 ||
		    dup2(errpipe[1], STDERR_FILENO) < 0)
			_exit(127);
		if (strchr(p->binary, '/'))
			execv(p->binary, (char *const *)argv);
		else
			execvp(p->binary, (char *const *)argv);
		/* the parent tells "no such binary" (a skip) from QEMU's own failures by this */
		child_errno = errno;
		if (write(execpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);	/* nothing else to do; the parent sees a plain exit */
		_exit(127);
	}
	setpgid(q->pid, q->pid);	/* both sides: no window where a kill misses it */
	close(errpipe[1]);
	close(execpipe[1]);
	q->errfd = errpipe[0];
	fcntl(q->errfd, F_SETFL, O_NONBLOCK);
	got = read(execpipe[0], &child_errno, sizeof(child_errno));
	close(execpipe[0]);
	q->pidfd = pidfd_open_(q->pid);
	if (got == sizeof(child_errno)) {
		snprintf(err, len, "%s: %s", p->binary, strerror(child_errno));
		proc_free(q);
		return HV_EXIT_SKIP;
	}
	if (q->pidfd < 0) {
		snprintf(err, len, "pidfd_open: %s", strerror(errno));
		proc_free(q);
		return -1;
	}
	*out = q;
	return 0;
}

/*
 * Accept QEMU's connections and read the greetings. 0; or -1 with err, and
 * *early_exit when QEMU ended before it got that far.
 */
static int connect_up(struct qemu_target *t, struct qemu_proc *q, uint64_t deadline_ns,
		      bool *early_exit, char *err, size_t len)
{
	unsigned int i;
	int accepted = 0, want = t->p.console ? QS_COUNT : QS_COUNT - 1;

	*early_exit = false;
	while (accepted < want) {
		struct pollfd pfd[QS_COUNT + 3];
		int map[QS_COUNT], np = 0, ms, ready;
		uint64_t now = now_ns();

		for (i = 0; i < QS_COUNT; i++) {
			if (q->fd[i] >= 0 || (i == QS_CONSOLE && !t->p.console))
				continue;
			pfd[np].fd = t->lsock[i];
			pfd[np].events = POLLIN;
			map[np++] = (int)i;
		}
		pfd[np].fd = q->pidfd;
		pfd[np].events = POLLIN;
		pfd[np + 1].fd = q->errfd_eof ? -1 : q->errfd;
		pfd[np + 1].events = POLLIN;
		/* a signal now is taken now; the boot then quits as soon as it runs */
		pfd[np + 2].fd = t->sigfd;
		pfd[np + 2].events = POLLIN;
		if (now >= deadline_ns)
			goto timeout;
		ms = (int)((deadline_ns - now) / 1000000 + 1);
		ready = poll(pfd, (nfds_t)np + 3, ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			goto timeout;
		if (pfd[np + 1].revents && drain_stderr(q))
			q->errfd_eof = true;
		if (pfd[np + 2].revents)
			take_signal(t);
		if (pfd[np].revents && reap(q))
			goto exited;
		for (i = 0; i < (unsigned int)np; i++) {
			int fd;

			if (!pfd[i].revents)
				continue;
			fd = accept4(t->lsock[map[i]], NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			q->fd[map[i]] = fd;
			accepted++;
		}
	}
	qmpc_init(&q->ctl, q->fd[QS_QMP]);
	qmpc_init(&q->mon, q->fd[QS_MON]);
	fcntl(q->fd[QS_EVENTS], F_SETFL, O_NONBLOCK);
	if (q->fd[QS_CONSOLE] >= 0)
		fcntl(q->fd[QS_CONSOLE], F_SETFL, O_NONBLOCK);
	if (qmpc_attach(&q->ctl, deadline_ns, err, len) || qmpc_attach(&q->mon, deadline_ns, err, len)) {
		if (wait_exit(q, now_ns() + QEMU_PROBE_MS * 1000000ull))
			goto exited;
		if (strstr(err, "in time"))
			goto timeout;
		return -1;
	}
	return 0;

timeout:
	snprintf(err, len, "no QMP greeting");
	return -1;
exited:
	*early_exit = true;
	{
		char line[512], how[96];

		last_err_line(q, line, sizeof(line));
		describe_status(q->wstatus, how, sizeof(how));
		snprintf(err, len, "%s", line[0] ? line : how);
	}
	return -1;
}

/* The vCPU thread IDs, for the quit evidence. Best effort. */
static void read_cpu_threads(struct qemu_target *t, struct qemu_proc *q)
{
	char err[160];
	json_t *ret = qmpc_command(&q->ctl, "query-cpus-fast", NULL,
				   now_ns() + QEMU_STOP_MS * 1000000ull, err, sizeof(err));
	size_t i;
	json_t *cpu;

	q->cpu_tid = xzalloc(t->p.cpus * sizeof(*q->cpu_tid));
	if (!ret)
		return;
	json_array_foreach(ret, i, cpu) {
		json_int_t idx = json_integer_value(json_object_get(cpu, "cpu-index"));
		json_int_t tid = json_integer_value(json_object_get(cpu, "thread-id"));

		if (idx >= 0 && idx < (json_int_t)t->p.cpus)
			q->cpu_tid[idx] = (pid_t)tid;
		if (idx == 0)
			snprintf(q->cpu0_path, sizeof(q->cpu0_path), "%s",
				 json_string_value(json_object_get(cpu, "qom-path")) ?: "");
	}
	json_decref(ret);
}

static void read_version(struct qemu_target *t, struct qemu_proc *q)
{
	char err[160];
	json_t *ret = qmpc_command(&q->ctl, "query-version", NULL,
				   now_ns() + QEMU_STOP_MS * 1000000ull, err, sizeof(err));
	json_t *v;

	if (!ret)
		return;
	v = json_object_get(ret, "qemu");
	snprintf(t->info.version, sizeof(t->info.version), "%lld.%lld.%lld",
		 (long long)json_integer_value(json_object_get(v, "major")),
		 (long long)json_integer_value(json_object_get(v, "minor")),
		 (long long)json_integer_value(json_object_get(v, "micro")));
	snprintf(t->info.package, sizeof(t->info.package), "%s",
		 json_string_value(json_object_get(ret, "package")) ?: "");
	sanitize(t->info.package);
	json_decref(ret);
}

/* A QEMU ready for a boot: spawned, connected, paused. 0, HV_EXIT_SKIP or -1 with err. */
static int start_qemu(struct qemu_target *t, char *err, size_t len, bool *early_exit)
{
	const char *env = getenv("HVSMOKE_QEMU_GREETING_MS");
	uint64_t greet_ms = env && atoi(env) > 0 ? (uint64_t)atoi(env) : QEMU_GREETING_MS;
	struct qemu_proc *q;
	int ret;

	*early_exit = false;
	ret = spawn(t, &q, err, len);
	if (ret)
		return ret;
	if (connect_up(t, q, now_ns() + greet_ms * 1000000ull, early_exit, err, len)) {
		if (!*early_exit && !strncmp(err, "no QMP greeting", 15))
			snprintf(err, len, "%s is not QEMU: no QMP greeting within %llu ms",
				 t->p.binary, (unsigned long long)greet_ms);
		proc_free(q);
		return -1;
	}
	if (!t->info.version[0])
		read_version(t, q);
	read_cpu_threads(t, q);
	t->proc = q;
	return 0;
}

/* ---- evidence ---------------------------------------------------------------- */

struct notes {
	char *buf;
	size_t len, cap;
};

static void note_add(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_add(struct notes *n, const char *fmt, ...)
{
	va_list ap;
	int need;

	for (;;) {
		va_start(ap, fmt);
		need = vsnprintf(n->buf ? n->buf + n->len : NULL, n->buf ? n->cap - n->len : 0, fmt,
				 ap);
		va_end(ap);
		if (need < 0)
			return;
		if (n->buf && n->len + (size_t)need < n->cap) {
			n->len += (size_t)need;
			return;
		}
		n->cap = (n->cap + (size_t)need + 1) * 2;
		n->buf = realloc(n->buf, n->cap);
		if (!n->buf)
			die(HV_EXIT_USAGE, "out of memory");
	}
}

/* query-cpus-fast while QEMU still runs, one line per vCPU, into the notes. */
static void cpus_fast(struct qemu_proc *q, struct notes *n)
{
	char err[256];
	json_t *ret = qmpc_command(&q->ctl, "query-cpus-fast", NULL,
				   now_ns() + QEMU_EVIDENCE_MS * 1000000ull, err, sizeof(err));
	json_t *cpu;
	size_t i;

	if (!ret) {
		note_add(n, "query-cpus-fast: %s\n", err);
		return;
	}
	note_add(n, "query-cpus-fast:\n");
	json_array_foreach(ret, i, cpu) {
		json_t *props = json_object_get(cpu, "props");

		note_add(n, "  cpu-index %lld thread-id %lld socket %lld core %lld thread %lld %s\n",
			 (long long)json_integer_value(json_object_get(cpu, "cpu-index")),
			 (long long)json_integer_value(json_object_get(cpu, "thread-id")),
			 (long long)json_integer_value(json_object_get(props, "socket-id")),
			 (long long)json_integer_value(json_object_get(props, "core-id")),
			 (long long)json_integer_value(json_object_get(props, "thread-id")),
			 json_string_value(json_object_get(cpu, "qom-path")) ?: "");
	}
	json_decref(ret);
}

/* `info registers -a` while QEMU still runs; NULL if it does not answer in time. */
static char *registers_all(struct qemu_proc *q, char *err, size_t len)
{
	json_t *args = json_pack("{s:s}", "command-line", "info registers -a");
	json_t *ret = qmpc_command(&q->ctl, "human-monitor-command", args,
				   now_ns() + QEMU_EVIDENCE_MS * 1000000ull, err, len);
	char *text = NULL;

	if (ret && json_is_string(ret))
		text = xstrdup(json_string_value(ret));
	json_decref(ret);
	return text;
}


static void read_small(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/*
 * A /proc stat file's state and CPU ticks (utime + stime), each left as
 * '?' and 0 where it does not parse; how many of the three fields did.
 */
static int proc_stat_read(const char *path, char *state, unsigned long long *ticks)
{
	unsigned long long utime = 0, stime = 0;
	char stat[512], *rp;
	int got = 0;

	*state = '?';
	read_small(path, stat, sizeof(stat));
	/* the name in parentheses may hold spaces: fields count from its close */
	rp = strrchr(stat, ')');
	if (rp)
		got = sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", state,
			     &utime, &stime);
	if (got < 1)
		*state = '?';
	*ticks = utime + stime;
	return got < 0 ? 0 : got;
}

/* One line per QEMU thread: name, state, wchan, current syscall, CPU ticks; vCPUs marked. */
static void sample_threads(struct qemu_target *t, struct qemu_proc *q, struct notes *n,
			   const char *when, bool *alive_cpu)
{
	char path[96];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", q->pid);
	d = opendir(path);
	note_add(n, "threads %s:\n", when);
	if (!d) {
		note_add(n, "  (none: %s)\n", strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		char comm[64], wchan[64], sc[64], state;
		unsigned long long ticks;
		pid_t tid = (pid_t)atoi(de->d_name);
		unsigned int i;
		int cpu = -1;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", q->pid, tid);
		read_small(path, comm, sizeof(comm));
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", q->pid, tid);
		proc_stat_read(path, &state, &ticks);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", q->pid, tid);
		read_small(path, wchan, sizeof(wchan));
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", q->pid, tid);
		read_small(path, sc, sizeof(sc));
		sc[strcspn(sc, " ")] = '\0';
		for (i = 0; q->cpu_tid && i < t->p.cpus; i++) {
			if (q->cpu_tid[i] != tid)
				continue;
			cpu = (int)i;
			if (alive_cpu)
				alive_cpu[i] = true;
		}
		note_add(n, "  tid %d \"%s\"%s state=%c wchan=%s syscall=%s cpu_ticks=%llu\n", tid,
			 comm, cpu >= 0 ? " (vCPU)" : "", state, wchan[0] ? wchan : "-",
			 sc[0] ? sc : "-", ticks);
	}
	closedir(d);
}

/* The register evidence of a failed boot, read into the result after the verdict. */
static void apply_registers(struct boot_result *r, const char *dump, const struct qemu_proc *q)
{
	size_t cap = 0, used = 0;
	unsigned int i;

	for (i = 0; i < r->ncpus; i++) {
		size_t len;
		const char *blk = dump ? qemu_regs_find(dump, i, &len) : NULL;
		bool halted;

		if (!blk) {
			if (!r->vcpus[i].note[0])
				snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
					 "(state unavailable: no register dump from QEMU)");
			continue;
		}
		/* a stuck vCPU's note already says where its thread was */
		if (!r->vcpus[i].stuck) {
			if (!qemu_regs_parse(blk, len, &r->vcpus[i].brief, &halted))
				snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
					 "hlt=%d thread=%d", halted,
					 q && q->cpu_tid ? q->cpu_tid[i] : 0);
			else
				snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
					 "(state unavailable: QEMU's register dump did not parse)");
		}
		if (r->vcpus[i].evidence)
			cap += len + 1;
	}
	if (!cap)
		return;
	r->regdump = xzalloc(cap + 1);
	for (i = 0; i < r->ncpus; i++) {
		size_t len;
		const char *blk = r->vcpus[i].evidence ? qemu_regs_find(dump, i, &len) : NULL;

		if (!blk)
			continue;
		memcpy(r->regdump + used, blk, len);
		used += len;
		if (used && r->regdump[used - 1] != '\n')
			r->regdump[used++] = '\n';
	}
	/* QEMU ends lines with \r\n, and its lines with a space */
	{
		size_t k, out = 0;

		for (k = 0; k < used; k++) {
			if (r->regdump[k] == '\r')
				continue;
			if (r->regdump[k] == '\n')
				while (out && r->regdump[out - 1] == ' ')
					out--;
			r->regdump[out++] = r->regdump[k];
		}
		r->regdump[out] = '\0';
	}
}

/* ---- one boot ------------------------------------------------------------------ */

static void setup_error(struct boot_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void setup_error(struct boot_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->setup_error, sizeof(r->setup_error), fmt, ap);
	va_end(ap);
}

/* Copy the guest's console to stderr; true at EOF. */
static bool console_copy(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
			break;
	return n == 0;
}

/* Read the event stream that is there now; -1 at EOF. */
static int events_read(struct qemu_proc *q, struct evstream *es, struct ev_log *log)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(q->fd[QS_EVENTS], buf, sizeof(buf))) > 0)
		evstream_feed(es, log, buf, (size_t)n, now_ns());
	return n == 0 ? -1 : 0;
}


/* Put a kept QEMU back to a paused reset for the next boot. 0 or -1 with err. */
static int reset_for_boot(struct qemu_target *t, struct qemu_proc *q, struct evstream *es,
			  struct ev_log *log, char *err, size_t len)
{
	uint64_t dl = now_ns() + QEMU_STOP_MS * 1000000ull;
	json_t *ret = qmpc_command(&q->ctl, "stop", NULL, dl, err, len);

	if (!ret)
		return -1;
	json_decref(ret);
	/* whatever the last boot's CPUs wrote after its completion is not this boot's */
	events_read(q, es, log);
	ret = qmpc_command(&q->ctl, "system_reset", NULL, dl, err, len);
	if (!ret)
		return -1;
	json_decref(ret);
	return 0;
}

/* One boot in flight: what the wait loop, the evidence and the judgement share. */
struct qboot {
	struct qemu_target *t;
	struct qemu_proc *q;
	struct boot_result *r;
	struct evstream es;
	struct notes notes;
	char *dump;			/* `info registers -a`, read while QEMU still ran */
	uint64_t t_start;		/* `cont` answered */
	uint64_t deadline;		/* boot_budget_ms() after t_start */
	uint64_t quit_at;		/* --quit-at, absolute; UINT64_MAX: never */
	uint64_t t_quit;		/* the quit was sent; 0: none */
	uint64_t stop_by;		/* after the completion: QEMU must be gone by then */
	bool completed, acked;
	bool stuck;			/* quit or isa-debug-exit did not end QEMU */
	bool killed;			/* hvsmoke killed QEMU: its exit status says nothing */
	bool events_eof, console_eof, ctl_eof, err_eof;
};

static void send_quit(struct qboot *b)
{
	b->r->abort = ABORT_QUIT;
	b->t_quit = now_ns();
	b->r->quit_after_ns = b->t_quit - b->t_start;
	if (qmpc_send(&b->q->ctl, "quit", NULL))
		note_add(&b->notes, "QMP quit could not be sent\n");
}

/* The completion record is in: evidence for a failing code, the ack, the stop bound. */
static bool on_completion(struct qboot *b)
{
	struct qemu_proc *q = b->q;
	char err[256];

	b->completed = true;
	if (b->es.completion != DONE_PASS) {
		/* the firmware waits on COM1, so every CPU is still as the failure left it */
		cpus_fast(q, &b->notes);
		b->dump = registers_all(q, err, sizeof(err));
		if (!b->dump)
			note_add(&b->notes, "info registers -a: %s\n", err);
		/* only a failing exit waits for it: a stale byte would cut the next wait short */
		b->acked = send(q->fd[QS_ACK], "A", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
	}
	if (b->t->p.reuse)
		return true;	/* the firmware halts; the QEMU is kept */
	/* isa-debug-exit ends QEMU at the completion port, which follows the ack */
	b->stop_by = now_ns() + QEMU_STOP_MS * 1000000ull;
	return false;
}

/*
 * Wait for the boot to end: QEMU gone, the completion (kept QEMU), a quit
 * that QEMU honoured, or a deadline. Every fd that reaches its end is taken
 * out of the poll set, so a closed socket cannot spin this loop.
 */
static void wait_boot(struct qboot *b)
{
	struct qemu_target *t = b->t;
	struct qemu_proc *q = b->q;

	for (;;) {
		struct pollfd pfd[6] = {
			{ .fd = b->events_eof ? -1 : q->fd[QS_EVENTS], .events = POLLIN },
			{ .fd = b->console_eof ? -1 : q->fd[QS_CONSOLE], .events = POLLIN },
			{ .fd = b->ctl_eof ? -1 : q->ctl.fd, .events = POLLIN },
			{ .fd = q->pidfd, .events = POLLIN },
			{ .fd = t->sigfd, .events = POLLIN },
			{ .fd = b->err_eof || q->errfd_eof ? -1 : q->errfd, .events = POLLIN },
		};
		uint64_t now = now_ns(), until;

		if (t->quit && !b->t_quit)
			send_quit(b);	/* a signal that came while QEMU was starting */
		if (b->t_quit)
			until = b->t_quit + (uint64_t)t->p.quit_deadline_ms * 1000000ull;
		else if (b->stop_by)
			until = b->stop_by;
		else
			until = b->deadline < b->quit_at ? b->deadline : b->quit_at;
		if (now >= until) {
			/* what is already in the socket counts before any deadline does */
			if (!b->events_eof && events_read(q, &b->es, &b->r->log))
				b->events_eof = true;
			if (b->es.completion >= 0 && !b->completed) {
				if (on_completion(b))
					return;
				continue;
			}
			if (b->t_quit || b->stop_by) {
				b->stuck = true;
				return;
			}
			if (now >= b->quit_at) {
				b->r->quit_internal = true;
				send_quit(b);
				continue;
			}
			b->r->timed_out = true;
			return;
		}
		if (poll(pfd, 6, (int)((until - now) / 1000000 + 1)) < 0 && errno != EINTR) {
			setup_error(b->r, "poll: %s", strerror(errno));
			return;
		}
		if (pfd[5].revents && drain_stderr(q))
			b->err_eof = true;
		if (pfd[1].revents && console_copy(q->fd[QS_CONSOLE]))
			b->console_eof = true;
		if (pfd[0].revents && events_read(q, &b->es, &b->r->log))
			b->events_eof = true;
		if (pfd[2].revents && qmpc_pump(&q->ctl))
			b->ctl_eof = true;	/* its events (SHUTDOWN, RESET) are queued */
		if (pfd[3].revents && reap(q)) {
			/* what it wrote before it exited is still in the sockets */
			events_read(q, &b->es, &b->r->log);
			if (q->fd[QS_CONSOLE] >= 0)
				console_copy(q->fd[QS_CONSOLE]);
			return;
		}
		if (pfd[4].revents && take_signal(t) && !b->t_quit)
			send_quit(b);
		if (b->es.completion >= 0 && !b->completed && on_completion(b))
			return;
	}
}

/* QEMU overstayed a deadline: what it was doing, whether QMP answers; then kill it. */
static void overstay_evidence(struct qboot *b, bool *alive)
{
	struct qemu_proc *q = b->q;
	char err[256];
	json_t *ret;

	if (b->stuck) {
		struct timespec ts = { .tv_nsec = 10000000 };

		sample_threads(b->t, q, &b->notes, "at the deadline", alive);
		nanosleep(&ts, NULL);
		sample_threads(b->t, q, &b->notes, "10 ms later", NULL);
	}
	ret = qmpc_command(&q->ctl, "query-status", NULL, now_ns() + QEMU_PROBE_MS * 1000000ull,
			   err, sizeof(err));
	note_add(&b->notes, "QMP %s\n", ret ? "still answers (query-status)" : err);
	json_decref(ret);
	if (!b->dump && !b->t_quit && ret) {
		cpus_fast(q, &b->notes);
		b->dump = registers_all(q, err, sizeof(err));
	}
	kill_and_reap(q);
	b->killed = true;
	note_add(&b->notes, "QEMU killed by hvsmoke (SIGKILL to its process group) after that\n");
}

/* The QMP events QEMU sent on the control connection, for the reports. */
static void note_events(struct qboot *b)
{
	json_t *ev;

	qmpc_pump(&b->q->ctl);
	while ((ev = qmpc_event_pop(&b->q->ctl))) {
		json_t *data = json_object_get(ev, "data");
		const char *reason = json_string_value(json_object_get(data, "reason"));

		note_add(&b->notes, "QMP event %s%s%s\n",
			 json_string_value(json_object_get(ev, "event")) ?: "?",
			 reason ? " reason=" : "", reason ?: "");
		json_decref(ev);
	}
	if (b->q->ctl.events_dropped)
		note_add(&b->notes, "(%u older QMP events dropped: at most %u are kept)\n",
			 b->q->ctl.events_dropped, QMPC_MAX_EVENTS);
}

/* How QEMU ended, checked against what the firmware and hvsmoke said. */
static void judge_exit(struct qboot *b)
{
	struct qemu_proc *q = b->q;
	struct boot_result *r = b->r;
	int c = b->es.completion;
	char how[96], line[256];

	describe_status(q->wstatus, how, sizeof(how));
	note_add(&b->notes, "QEMU %s\n", how);
	if (b->killed)
		return;		/* our own SIGKILL */
	last_err_line(q, line, sizeof(line));
	if (b->t_quit) {
		/* a quit must end QEMU cleanly (or by the completion port it raced) */
		if ((WIFEXITED(q->wstatus) && WEXITSTATUS(q->wstatus) == 0) ||
		    (c >= 0 && WIFEXITED(q->wstatus) &&
		     WEXITSTATUS(q->wstatus) == qemu_expected_status(c)))
			return;
		setup_error(r, "QEMU %s after the quit%s%s", how, line[0] ? ": " : "", line);
		return;
	}
	if (c < 0 && !r->timed_out) {
		if (r->setup_error[0]) {
			char first[sizeof(r->setup_error)];

			snprintf(first, sizeof(first), "%s", r->setup_error);
			setup_error(r, "%s (QEMU %s%s%s)", first, how, line[0] ? ": " : "", line);
		} else {
			setup_error(r, "QEMU %s before the firmware's completion%s%s", how,
				    line[0] ? ": " : "", line);
		}
		return;
	}
	if (c >= 0 && !b->t->p.reuse &&
	    (!WIFEXITED(q->wstatus) || WEXITSTATUS(q->wstatus) != qemu_expected_status(c)))
		setup_error(r, "QEMU %s but the firmware's completion record says 0x%02x (isa-debug-exit would give %d)",
			    how, c, qemu_expected_status(c));
}

/* The stuck vCPUs: those whose QEMU threads were still there at the deadline. */
static void mark_stuck(struct qboot *b, const bool *alive)
{
	struct boot_result *r = b->r;
	const pid_t *tid = b->q->cpu_tid;
	unsigned int i;

	r->stuck_threads = 0;
	for (i = 0; i < r->ncpus; i++) {
		if (alive && !alive[i] && tid && tid[i])
			continue;	/* this vCPU thread was gone at the deadline */
		r->vcpus[i].stuck = true;
		r->vcpus[i].evidence = true;
		snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
			 "QEMU thread %d still there at the deadline (see threads)", tid ? tid[i] : 0);
		r->stuck_threads++;
	}
	if (!r->stuck_threads)
		r->stuck_threads = 1;	/* the process itself */
	if (!b->t_quit)
		note_add(&b->notes, "QEMU was still running %u ms after the firmware's completion write to isa-debug-exit\n",
			 QEMU_STOP_MS);
}


static bool qemu_boot(struct boot_target *bt, const struct boot_spec *spec, struct boot_result *r)
{
	struct qemu_target *t = to_qemu(bt);
	const struct qemu_params *p = &t->p;
	struct hammer_params hp = p->hammer;
	struct qboot b = { .t = t, .r = r, .quit_at = UINT64_MAX };
	char err[512];
	bool early = false, *alive = NULL;
	struct qemu_proc *q;
	json_t *ret;
	unsigned int i;

	boot_result_reset(r, spec->iteration, spec->seed, p->smm);
	evstream_init(&b.es);

	if (!t->proc && start_qemu(t, err, sizeof(err), &early)) {
		setup_error(r, "QEMU did not start: %s", err);
		verdict_classify(r);
		return true;
	}
	q = b.q = t->proc;
	if (q->boots && reset_for_boot(t, q, &b.es, &r->log, err, sizeof(err))) {
		setup_error(r, "system_reset: %s", err);
		/* if it went away, its status and stderr say why */
		wait_exit(q, now_ns() + QEMU_STOP_MS * 1000000ull);
		goto end;
	}
	ev_log_init(&r->log, p->cpus);
	evstream_init(&b.es);
	q->boots++;

	/* the hammer is up before the first instruction, as a monitor that never stops */
	hp.seed = spec->seed ^ HAMMER_SEED_SALT;
	if (mon_hammer_start(&t->hammer, &q->mon, &hp, p->cpus))
		setup_error(r, "cannot start the monitor hammer");
	ret = r->setup_error[0] ? NULL :
	      qmpc_command(&q->ctl, "cont", NULL, now_ns() + QEMU_STOP_MS * 1000000ull, err,
			   sizeof(err));
	/*
	 * A QEMU that closed QMP while it resumed may simply have finished: a
	 * one-CPU boot under TCG reaches isa-debug-exit before the reply to
	 * `cont` goes out. Its exit status and event stream decide, as for any
	 * boot that ends on its own; only a refused or unanswered cont is the
	 * VMM's failure.
	 */
	if (!ret && (r->setup_error[0] || !q->ctl.eof || q->ctl.broken)) {
		if (!r->setup_error[0])
			setup_error(r, "cont: %s", err);
		wait_exit(q, now_ns() + QEMU_STOP_MS * 1000000ull);
		goto stop_hammer;
	}
	json_decref(ret);
	b.t_start = now_ns();
	b.deadline = b.t_start + boot_budget_ms(p->boot_timeout_ms, p->storm_ms, p->smm) * 1000000ull;
	if (spec->quit_at_ms >= 0)
		b.quit_at = b.t_start + (uint64_t)spec->quit_at_ms * 1000000ull;

	wait_boot(&b);
	if (r->timed_out || b.stuck) {
		alive = xzalloc(p->cpus * sizeof(*alive));
		overstay_evidence(&b, alive);
	}
	events_read(q, &b.es, &r->log);

stop_hammer:
	mon_hammer_stop(&t->hammer);
	r->hammer = t->hammer.stats;
	for (i = 0; i < t->hammer.latency_us.n; i++)
		samples_add(&r->monitor_us, t->hammer.latency_us.v[i]);
	if (t->hammer.last_error[0] && (t->hammer.stats.errors || t->hammer.stats.timeouts))
		note_add(&b.notes, "monitor hammer: %llu error(s), %llu timeout(s); last: %s\n",
			 (unsigned long long)t->hammer.stats.errors,
			 (unsigned long long)t->hammer.stats.timeouts, t->hammer.last_error);

end:
	evstream_finish(&b.es, &r->log);
	r->completion = b.es.completion;
	if (b.es.completion >= 0 && b.t_start)
		r->boot_ns = b.es.t_completion_ns - b.t_start;
	if (r->log.t_last_online_ns && b.t_start)
		r->online_ns = r->log.t_last_online_ns - b.t_start;
	if (b.stuck)
		mark_stuck(&b, alive);
	else if (b.t_quit && q->exited)
		r->quit_latency_ns = q->t_exit_ns - b.t_quit;
	note_events(&b);
	if (q->exited)
		judge_exit(&b);
	if (b.es.completion >= 0 && b.es.completion != DONE_PASS && !b.acked)
		note_add(&b.notes, "the firmware's failing exit was not acknowledged on COM1\n");
	drain_stderr(q);
	if (q->errlen)
		note_add(&b.notes, "QEMU stderr (tail):\n%s%s", q->err,
			 q->err[q->errlen - 1] == '\n' ? "" : "\n");

	verdict_classify(r);
	apply_registers(r, b.dump, q);
	sanitize(b.notes.buf);
	sanitize(r->regdump);
	free(b.dump);
	free(alive);
	r->notes = b.notes.buf;

	/* a kept QEMU must be alive and at a completion to be reset for the next boot */
	if (!p->reuse || q->exited || b.stuck || r->timed_out || b.es.completion < 0 ||
	    r->setup_error[0]) {
		proc_free(q);
		t->proc = NULL;
	}
	return true;
}

static bool qemu_quitting(struct boot_target *bt)
{
	struct qemu_target *t = to_qemu(bt);
	struct pollfd pfd = { .fd = t->sigfd, .events = POLLIN };

	if (!t->quit && poll(&pfd, 1, 0) == 1)
		take_signal(t);
	return t->quit;
}

/* Nothing asks a QEMU boot to run again from outside: there is no request to take. */
static void qemu_take_reset(struct boot_target *bt)
{
}

/* ---- setup and teardown ------------------------------------------------------------ */

static int write_private(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	if (close(fd) || n != (ssize_t)len)
		return -1;
	return 0;
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void cleanup_at_exit(void)
{
	if (live_target)
		qemu_target_close(live_target);
}

void qemu_target_close(struct qemu_target *t)
{
	unsigned int i;

	if (t->dir[0] == '\0')
		return;
	mon_hammer_stop(&t->hammer);
	proc_free(t->proc);
	t->proc = NULL;
	mon_hammer_free(&t->hammer);
	for (i = 0; i < QS_COUNT; i++) {
		if (t->lsock[i] >= 0)
			close(t->lsock[i]);
		t->lsock[i] = -1;
		unlink(t->sock_path[i]);
	}
	unlink(t->fw_path);
	unlink(t->cfg_path);
	rmdir(t->dir);
	t->dir[0] = '\0';
	if (t->sigfd >= 0)
		close(t->sigfd);
	t->sigfd = -1;
	if (live_target == t)
		live_target = NULL;
}

/*
 * Skip (QEMU cannot run this accelerator or machine here) or usage error
 * (QEMU rejected its command line)? QEMU prefixes its name and the option to
 * every error ("qemu-system-x86_64: -accel kvm: ..."), and a binary may well be
 * called kvm, so only the text after the prefixes is matched, and only
 * against the refusals QEMU prints for an accelerator it cannot use.
 */
static bool refuses_accel(const char *line)
{
	static const char *const phrases[] = {
		"failed to initialize",		/* -accel kvm|mshv|...: failed to initialize kvm */
		"Could not access KVM",
		"accelerator",			/* "invalid accelerator mshv", "No accelerator found" */
		"not supported by this hypervisor",	/* q35,smm=on on KVM without SMM */
		"does not support",
		"requires kernel irqchip",	/* > 255 CPUs where the LAPIC is QEMU's (TCG) */
		NULL,
	};
	const char *msg = line;
	unsigned int i;

	/* "prog: -opt value: message": drop "prog: " and "-opt value: " */
	if (strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	if (*msg == '-' && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	for (i = 0; phrases[i]; i++)
		if (strstr(msg, phrases[i]))
			return true;
	return false;
}

/*
 * x2APIC mode needs a guest CPU that offers it. QEMU drops a feature its
 * accelerator cannot give from CPUID with no more than a warning (7.2's TCG
 * has no x2APIC), so ask the first CPU's QOM object what the guest will see.
 * False, with the reason in err, only when QEMU says it is off: an answer
 * that does not come leaves it to the firmware, which then reports
 * FWERR_NO_X2APIC itself.
 */
static bool x2apic_offered(struct qemu_target *t, char *err, size_t len)
{
	struct qemu_proc *q = t->proc;
	char why[160];
	bool offered;
	json_t *on;

	if (!q->cpu0_path[0])
		return true;	/* read_cpu_threads had no answer: the firmware will say */
	on = qmpc_command(&q->ctl, "qom-get",
			  json_pack("{s:s, s:s}", "path", q->cpu0_path, "property", "x2apic"),
			  now_ns() + QEMU_STOP_MS * 1000000ull, why, sizeof(why));
	offered = !json_is_false(on);
	if (!offered)
		snprintf(err, len,
			 "x2APIC mode: QEMU's %s accelerator gives the guest CPU no x2APIC (CPUID.01H:ECX.x2apic off)",
			 t->p.accel);
	json_decref(on);
	return offered;
}

/* The running QEMU's CPU time, all its threads: /proc/PID/stat utime + stime. */
static double qemu_live_cpu_s(struct boot_target *bt)
{
	struct qemu_target *t = (struct qemu_target *)bt;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long ticks;
	char path[32], state;

	if (!t->proc || t->proc->exited || hz <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)t->proc->pid);
	if (proc_stat_read(path, &state, &ticks) != 3)
		return 0;
	return (double)ticks / (double)hz;
}

int qemu_target_open(struct qemu_target *t, const struct qemu_params *p, char *err, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	struct hvsmoke_cfg cfg;
	sigset_t set;
	unsigned int i;
	bool early;
	int ret;

	memset(t, 0, sizeof(*t));
	t->base.name = "qemu";
	t->base.boot = qemu_boot;
	t->base.quitting = qemu_quitting;
	t->base.take_reset = qemu_take_reset;
	t->base.live_cpu_s = qemu_live_cpu_s;
	t->p = *p;
	t->sigfd = -1;
	for (i = 0; i < QS_COUNT; i++)
		t->lsock[i] = -1;
	snprintf(t->info.binary, sizeof(t->info.binary), "%s", p->binary);
	snprintf(t->info.machine, sizeof(t->info.machine), "%s", p->machine);
	snprintf(t->info.accel, sizeof(t->info.accel), "%s", p->accel);

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(t->dir, sizeof(t->dir), "%s/hvsmoke-qemu.XXXXXX", tmp) >= (int)sizeof(t->dir) - 16) {
		t->dir[0] = '\0';
		snprintf(err, len, "TMPDIR %s is too long for UNIX socket paths", tmp);
		return HV_EXIT_USAGE;
	}
	if (!mkdtemp(t->dir)) {
		snprintf(err, len, "cannot make a private directory in %s: %s", tmp, strerror(errno));
		t->dir[0] = '\0';
		return HV_EXIT_USAGE;
	}
	live_target = t;
	{
		static bool registered;

		if (!registered && !atexit(cleanup_at_exit))
			registered = true;
	}
	snprintf(t->fw_path, sizeof(t->fw_path), "%s/fw.bin", t->dir);
	snprintf(t->cfg_path, sizeof(t->cfg_path), "%s/cfg.bin", t->dir);
	for (i = 0; i < QS_COUNT; i++)
		snprintf(t->sock_path[i], sizeof(t->sock_path[i]), "%s/s%u", t->dir, i);

	boot_make_config(&cfg, p->cpus, p->boot_timeout_ms, host_tsc_khz(),
			 CFG_F_EVSTREAM | CFG_F_EVACK | (p->console ? CFG_F_CONSOLE : 0) |
			 (p->smm ? CFG_F_SMM : 0) | (p->x2apic ? CFG_F_X2APIC : 0), p->storm_ms,
			 p->ipi_pattern);
	if (write_private(t->fw_path, p->fw, p->fw_size) ||
	    write_private(t->cfg_path, &cfg, sizeof(cfg))) {
		snprintf(err, len, "cannot write into %s: %s", t->dir, strerror(errno));
		qemu_target_close(t);
		return HV_EXIT_USAGE;
	}
	for (i = 0; i < QS_COUNT; i++) {
		t->lsock[i] = listen_at(t->sock_path[i]);
		if (t->lsock[i] < 0) {
			snprintf(err, len, "cannot listen on %s: %s", t->sock_path[i], strerror(errno));
			qemu_target_close(t);
			return HV_EXIT_USAGE;
		}
	}
	/* a closed terminal ends the run the same orderly way (no QEMU or file left) */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sigfd < 0) {
		snprintf(err, len, "signalfd: %s", strerror(errno));
		qemu_target_close(t);
		return HV_EXIT_USAGE;
	}

	ret = start_qemu(t, err, len, &early);
	if (!ret && p->x2apic && !x2apic_offered(t, err, len))
		ret = HV_EXIT_SKIP;
	if (ret == HV_EXIT_SKIP) {
		qemu_target_close(t);
		return HV_EXIT_SKIP;
	}
	if (ret) {
		ret = early && refuses_accel(err) ? HV_EXIT_SKIP : HV_EXIT_USAGE;
		if (ret == HV_EXIT_USAGE && early) {
			char line[384];

			snprintf(line, sizeof(line), "%s", err);
			snprintf(err, len, "QEMU refused to start: %s", line);
		}
		qemu_target_close(t);
		return ret;
	}
	return 0;
}
