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
	bool exited;
	int wstatus;
	uint64_t t_exit_ns;
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

/* ---- stderr ---------------------------------------------------------------- */

/* Keep the tail of what QEMU printed; never blocks. */
static void drain_stderr(struct qemu_proc *q)
{
	const size_t keep = sizeof(q->err) - 1;
	char buf[1024];
	ssize_t n;

	if (q->errfd < 0)
		return;
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
}

/* The last non-empty line QEMU wrote to stderr, or "". */
static void last_err_line(struct qemu_proc *q, char *out, size_t len)
{
	size_t end = q->errlen, start;

	drain_stderr(q);
	end = q->errlen;
	while (end && (q->err[end - 1] == '\n' || q->err[end - 1] == '\r'))
		end--;
	start = end;
	while (start && q->err[start - 1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), q->err + start);
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
		poll(&pfd, 1, (int)((deadline_ns - now) / 1000000 + 1));
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

	if (pipe2(errpipe, O_CLOEXEC) || pipe2(execpipe, O_CLOEXEC)) {
		snprintf(err, len, "pipe: %s", strerror(errno));
		return -1;
	}
	q = xzalloc(sizeof(*q));
	q->pidfd = -1;
	q->errfd = -1;
	for (i = 0; i < QS_COUNT; i++)
		q->fd[i] = -1;
	q->ctl.fd = q->mon.fd = -1;
	fflush(NULL);
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
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		/* dies with hvsmoke, whatever kills hvsmoke */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
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
		child_errno = errno;
		if (write(execpipe[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
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
	t->spawns++;
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
		struct pollfd pfd[QS_COUNT + 1];
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
		if (now >= deadline_ns)
			goto timeout;
		ms = (int)((deadline_ns - now) / 1000000 + 1);
		ready = poll(pfd, (nfds_t)np + 1, ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			goto timeout;
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
		if (wait_exit(q, now_ns() + 100000000ull))
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

struct notes;
static void note_add(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

struct notes {
	char *buf;
	size_t len, cap;
};

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

static void read_small(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* One line per QEMU thread: name, state, wchan, current syscall; vCPU threads first. */
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
		char comm[64], stat[512], wchan[64], sc[64], *rp;
		char state = '?';
		unsigned long long utime = 0, stime = 0;
		pid_t tid = (pid_t)atoi(de->d_name);
		unsigned int i;
		int cpu = -1;

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", q->pid, tid);
		read_small(path, comm, sizeof(comm));
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", q->pid, tid);
		read_small(path, stat, sizeof(stat));
		rp = strrchr(stat, ')');
		if (rp && sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				 &state, &utime, &stime) < 1)
			state = '?';
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
			 sc[0] ? sc : "-", utime + stime);
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
		if (!qemu_regs_parse(blk, len, &r->vcpus[i].brief, &halted) && !r->vcpus[i].stuck)
			snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note), "hlt=%d thread=%d",
				 halted, q && q->cpu_tid ? q->cpu_tid[i] : 0);
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

static void console_copy(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
			break;
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

static bool qemu_boot(struct boot_target *bt, const struct boot_spec *spec, struct boot_result *r)
{
	struct qemu_target *t = to_qemu(bt);
	const struct qemu_params *p = &t->p;
	struct hammer_params hp = p->hammer;
	struct qemu_proc *q;
	struct evstream es;
	struct notes notes = { 0 };
	char err[512], how[96];
	char *dump = NULL;
	uint64_t t_start = 0, deadline, quit_at, t_quit = 0, stop_by = 0;
	bool early = false, completed = false, acked = false, stuck = false;
	bool *alive = NULL;
	json_t *ret;
	unsigned int i;

	boot_result_reset(r, spec->iteration, spec->seed, p->smm);
	evstream_init(&es);

	if (!t->proc && start_qemu(t, err, sizeof(err), &early)) {
		setup_error(r, "QEMU did not start: %s", err);
		verdict_classify(r);
		return true;
	}
	q = t->proc;
	if (q->boots && reset_for_boot(t, q, &es, &r->log, err, sizeof(err))) {
		setup_error(r, "system_reset: %s", err);
		goto end;
	}
	ev_log_init(&r->log, p->cpus);
	evstream_init(&es);
	q->boots++;

	/* the hammer is up before the first instruction, as a monitor that never stops */
	hp.seed = spec->seed ^ 0x5bd1e995ull;
	if (mon_hammer_start(&t->hammer, &q->mon, &hp, p->cpus))
		setup_error(r, "cannot start the monitor hammer");
	ret = r->setup_error[0] ? NULL :
	      qmpc_command(&q->ctl, "cont", NULL, now_ns() + QEMU_STOP_MS * 1000000ull, err,
			   sizeof(err));
	if (!ret) {
		if (!r->setup_error[0])
			setup_error(r, "%s", err);
		goto stop_hammer;
	}
	json_decref(ret);
	t_start = now_ns();
	deadline = t_start + ((uint64_t)p->boot_timeout_ms + p->storm_ms) * 1000000ull;
	quit_at = spec->quit_at_ms >= 0 ? t_start + (uint64_t)spec->quit_at_ms * 1000000ull :
		  UINT64_MAX;

	for (;;) {
		struct pollfd pfd[5] = {
			{ .fd = q->fd[QS_EVENTS], .events = POLLIN },
			{ .fd = q->fd[QS_CONSOLE], .events = POLLIN },
			{ .fd = q->ctl.fd, .events = POLLIN },
			{ .fd = q->pidfd, .events = POLLIN },
			{ .fd = t->sigfd, .events = POLLIN },
		};
		uint64_t now = now_ns(), until;

		if (t_quit)
			until = t_quit + (uint64_t)p->quit_deadline_ms * 1000000ull;
		else if (stop_by)
			until = stop_by;
		else
			until = deadline < quit_at ? deadline : quit_at;
		if (q->exited)
			break;
		if (now >= until) {
			if (t_quit || stop_by) {
				stuck = true;	/* quit (or isa-debug-exit) did not end QEMU */
				break;
			}
			if (now >= quit_at) {
				r->quit_internal = true;
				goto send_quit;
			}
			r->timed_out = true;
			break;
		}
		if (poll(pfd, 5, (int)((until - now) / 1000000 + 1)) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			console_copy(q->fd[QS_CONSOLE]);
		if (pfd[0].revents && events_read(q, &es, &r->log))
			pfd[0].fd = -1;
		if (pfd[2].revents)
			qmpc_pump(&q->ctl);	/* events (SHUTDOWN, RESET) only queue here */
		if (pfd[3].revents && reap(q)) {
			/* what it wrote before it exited is still in the socket */
			events_read(q, &es, &r->log);
			if (q->fd[QS_CONSOLE] >= 0)
				console_copy(q->fd[QS_CONSOLE]);
			break;
		}
		if (pfd[4].revents && take_signal(t) && !t_quit)
			goto send_quit;
		if (es.completion >= 0 && !completed) {
			completed = true;
			if (es.completion != DONE_PASS) {
				/* the firmware waits on COM1 so the state is still there */
				cpus_fast(q, &notes);
				dump = registers_all(q, err, sizeof(err));
				if (!dump)
					note_add(&notes, "info registers -a: %s\n", err);
			}
			/* only a failing exit waits for it (a stale byte would cut the next wait short) */
			if (es.completion != DONE_PASS &&
			    send(q->fd[QS_ACK], "A", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
				acked = true;
			if (p->reuse)
				break;
			stop_by = es.t_completion_ns + QEMU_STOP_MS * 1000000ull;
		}
		continue;
send_quit:
		r->abort = ABORT_QUIT;
		t_quit = now_ns();
		r->quit_after_ns = t_quit - t_start;
		if (qmpc_send(&q->ctl, "quit", NULL))
			note_add(&notes, "QMP quit could not be sent\n");
	}

	if (r->timed_out || stuck) {
		/* while QEMU still runs: what its threads do, and whether QMP answers */
		alive = xzalloc(p->cpus * sizeof(*alive));
		if (stuck) {
			struct timespec ts = { .tv_nsec = 10000000 };

			sample_threads(t, q, &notes, "at the deadline", alive);
			nanosleep(&ts, NULL);
			sample_threads(t, q, &notes, "10 ms later", NULL);
		}
		ret = qmpc_command(&q->ctl, "query-status", NULL, now_ns() + 100000000ull, err,
				   sizeof(err));
		note_add(&notes, "QMP %s\n", ret ? "still answers (query-status)" : err);
		json_decref(ret);
		if (!dump && !t_quit && ret) {
			cpus_fast(q, &notes);
			dump = registers_all(q, err, sizeof(err));
		}
		kill_and_reap(q);
	}
	events_read(q, &es, &r->log);

stop_hammer:
	mon_hammer_stop(&t->hammer);
	r->hammer = t->hammer.stats;
	for (i = 0; i < t->hammer.latency_us.n; i++)
		samples_add(&r->monitor_us, t->hammer.latency_us.v[i]);
	if (t->hammer.last_error[0] && (t->hammer.stats.errors || t->hammer.stats.timeouts))
		note_add(&notes, "monitor hammer: %llu error(s), %llu timeout(s); last: %s\n",
			 (unsigned long long)t->hammer.stats.errors,
			 (unsigned long long)t->hammer.stats.timeouts, t->hammer.last_error);

end:
	evstream_finish(&es, &r->log);
	r->completion = es.completion;
	if (es.completion >= 0 && t_start)
		r->boot_ns = es.t_completion_ns - t_start;
	if (r->log.t_last_online_ns && t_start)
		r->online_ns = r->log.t_last_online_ns - t_start;

	if (stuck) {
		r->stuck_threads = 0;
		for (i = 0; i < p->cpus; i++) {
			if (alive && !alive[i] && q->cpu_tid && q->cpu_tid[i])
				continue;	/* this vCPU thread was gone at the deadline */
			r->vcpus[i].stuck = true;
			r->vcpus[i].evidence = true;
			snprintf(r->vcpus[i].note, sizeof(r->vcpus[i].note),
				 "QEMU thread %d still there at the deadline (see threads)",
				 q->cpu_tid ? q->cpu_tid[i] : 0);
			r->stuck_threads++;
		}
		if (!r->stuck_threads)
			r->stuck_threads = 1;	/* the process itself */
		if (!t_quit)
			note_add(&notes, "QEMU was still running %u ms after the firmware's completion write to isa-debug-exit\n",
				 QEMU_STOP_MS);
	} else if (t_quit && q->exited) {
		r->quit_latency_ns = q->t_exit_ns - t_quit;
	}

	if (q->exited && !stuck) {
		drain_stderr(q);
		describe_status(q->wstatus, how, sizeof(how));
		if (t_quit) {
			/* a quit ends QEMU however it likes; the firmware's say is only what it sent */
		} else if (es.completion < 0 && !r->timed_out && !r->setup_error[0]) {
			char line[256];

			last_err_line(q, line, sizeof(line));
			setup_error(r, "QEMU %s before the firmware's completion%s%s", how,
				 line[0] ? ": " : "", line);
		} else if (es.completion >= 0 && !p->reuse &&
			   (!WIFEXITED(q->wstatus) ||
			    WEXITSTATUS(q->wstatus) != qemu_expected_status(es.completion))) {
			setup_error(r, "QEMU %s but the firmware's completion record says 0x%02x (isa-debug-exit would give %d)",
				 how, es.completion, qemu_expected_status(es.completion));
		}
		note_add(&notes, "QEMU %s\n", how);
	}
	if (es.completion >= 0 && es.completion != DONE_PASS && !acked)
		note_add(&notes, "the firmware's failing exit was not acknowledged on COM1\n");
	if (q->errlen) {
		drain_stderr(q);
		note_add(&notes, "QEMU stderr (tail):\n%s%s", q->err,
			 q->err[q->errlen - 1] == '\n' ? "" : "\n");
	}

	verdict_classify(r);
	apply_registers(r, dump, q);
	free(dump);
	free(alive);
	r->notes = notes.buf;

	/* a kept QEMU must be alive and at a completion to be reset for the next boot */
	if (!p->reuse || q->exited || stuck || r->timed_out || es.completion < 0 ||
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
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

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

/* Decide skip (QEMU refuses this accelerator or machine) against a usage error. */
static bool refuses_accel(const char *line, const char *accel)
{
	static const char *const words[] = { "accelerator", "hypervisor", "kvm", "KVM", "mshv",
					     "MSHV", "SMM", "not supported", "unsupported", NULL };
	unsigned int i;

	if (strstr(line, accel))
		return true;
	for (i = 0; words[i]; i++)
		if (strstr(line, words[i]))
			return true;
	return false;
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
			 (p->smm ? CFG_F_SMM : 0), p->storm_ms, p->ipi_pattern);
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
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sigfd < 0) {
		snprintf(err, len, "signalfd: %s", strerror(errno));
		qemu_target_close(t);
		return HV_EXIT_USAGE;
	}

	ret = start_qemu(t, err, len, &early);
	if (ret == HV_EXIT_SKIP) {
		qemu_target_close(t);
		return HV_EXIT_SKIP;
	}
	if (ret) {
		ret = early && refuses_accel(err, p->accel) ? HV_EXIT_SKIP : HV_EXIT_USAGE;
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
