// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scripted accelerator. Each vCPU replays its list of steps, one per
 * entry; the last step repeats. "block" models a guest that never exits on
 * its own: the entry waits for a signal, as a real run ioctl does, and a
 * signal that was already consumed in userspace does not end it. Under KVM
 * semantics a kick armed before the entry ends it at once (immediate_exit,
 * which KVM reads once, as the entry begins: armed later, it does nothing);
 * under MSHV semantics only a pending signal does.
 */
#include "script.h"
#include "../protocol.h"
#include "../sync.h"
#include "../util.h"
#include "../vcpu.h"
#include "../vm.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCRIPT_MAX_VCPUS	HVSMOKE_MAX_CPUS
#define SCRIPT_MAX_STEPS	64
#define SCRIPT_MAX_BYTES	(1 << 20)
#define BLOCK_SLICE_MS		50	/* a blocked entry re-checks its release this often */

enum step_kind {
	STEP_IO_OUT,
	STEP_IO_IN,
	STEP_EINTR,
	STEP_HLT,
	STEP_BLOCK,
	STEP_SHUTDOWN,
	STEP_MMIO,
	STEP_AFTER,	/* spin (POST writes) until another vCPU has made N entries */
};

struct step {
	enum step_kind kind;
	uint16_t port;
	uint8_t size;
	uint32_t value;
	uint64_t addr;
};

struct script_vcpu {
	struct step steps[SCRIPT_MAX_STEPS];
	unsigned int nsteps;
	unsigned int next;
	int kick_point;			/* -1: none */
	uint64_t kick_entry;
	atomic_bool armed;		/* KVM semantics: the immediate_exit flag */
	uint8_t data[8];		/* the exit's data buffer */
	struct script_vcpu_stats stats;
	bool io_outstanding;		/* KVM semantics: an I/O exit the next entry completes */
	atomic_bool kick_fired;		/* read by the test thread while this one runs */
	atomic_bool blocking;		/* in a never-exiting guest, waiting for a signal */
	atomic_uint_fast64_t entries_seen;	/* read by other vCPUs' "after" steps */
};

static struct {
	enum script_semantics semantics;
	struct script_vcpu vcpus[SCRIPT_MAX_VCPUS];
	atomic_bool released;
} script;

static const char *const point_names[LOOP_POINT_COUNT] = {
	"top", "after-disarm", "after-exit-check", "after-work", "before-run", "in-run",
	"after-run", "after-handle",
};

/* Where a script error is, for its one line: the file (NULL for text) and the line. */
struct parse_ctx {
	const char *file;
	unsigned int lineno;
	char *err;
	size_t errlen;
	bool content;			/* a line other than blanks and comments */
	bool vcpu_section;
	char shown[48];			/* a token as an error message quotes it */
};

static int perr(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parse_ctx *c, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->file)
		snprintf(c->err, c->errlen, "script %s line %u: %s", c->file, c->lineno, msg);
	else
		snprintf(c->err, c->errlen, "script line %u: %s", c->lineno, msg);
	return -1;
}

/* A token for a message: short, and no control bytes from a binary file. */
static const char *shown(struct parse_ctx *c, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < sizeof(c->shown) - 4; i++)
		c->shown[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	strcpy(c->shown + i, s[i] ? "..." : "");
	return c->shown;
}

/*
 * A number into a field of at most max: decimal, or hex with 0x (see
 * str_to_u64). A value the field cannot hold is refused, never truncated.
 */
static int field(struct parse_ctx *c, const char *what, const char *s, uint64_t max,
		 uint64_t *out)
{
	int r = str_to_u64(s, out);

	if (r == -EINVAL)
		return perr(c, "%s '%s' is not a number (decimal, or hex with 0x)", what,
			    shown(c, s));
	if (r == 0 && *out <= max)
		return 0;
	if (!(max & (max + 1)))		/* max is 2^k - 1: a width */
		return perr(c, "%s %s does not fit in %d bits", what, shown(c, s),
			    64 - __builtin_clzll(max));
	return perr(c, "%s %s is out of range 0..%llu", what, shown(c, s),
		    (unsigned long long)max);
}

/* w[0] takes lo..hi arguments, as usage says. */
static int arity(struct parse_ctx *c, char **w, int n, int lo, int hi, const char *usage)
{
	return n - 1 >= lo && n - 1 <= hi ? 0 : perr(c, "%s takes %s", w[0], usage);
}

/* One step: its words are in w[0..n). */
static int parse_step(struct parse_ctx *c, char **w, int n, struct step *st)
{
	uint64_t a = 0, b = 0, d = 0, size = 1;

	memset(st, 0, sizeof(*st));
	st->size = 1;
	if (!strcmp(w[0], "io-out") || !strcmp(w[0], "io-in")) {
		bool out = !strcmp(w[0], "io-out");
		int nargs = out ? 2 : 1;

		if (arity(c, w, n, nargs, nargs + 1, out ? "PORT VALUE [SIZE]" : "PORT [SIZE]") ||
		    field(c, "port", w[1], 0xffff, &a) ||
		    (out && field(c, "value", w[2], UINT32_MAX, &b)) ||
		    (n - 1 > nargs && field(c, "size", w[n - 1], UINT32_MAX, &size)))
			return -1;
		if (size != 1 && size != 2 && size != 4)
			return perr(c, "size %s is not 1, 2 or 4", shown(c, w[n - 1]));
		if (size < 4 && b >> (8 * size))
			return perr(c, "value %s does not fit in %llu byte(s)", shown(c, w[2]),
				    (unsigned long long)size);
		st->kind = out ? STEP_IO_OUT : STEP_IO_IN;
		st->port = (uint16_t)a;
		st->value = (uint32_t)b;
		st->size = (uint8_t)size;
		return 0;
	}
	if (!strcmp(w[0], "event")) {
		if (arity(c, w, n, 3, 3, "TYPE APIC ARG") ||
		    field(c, "type", w[1], (1u << EV_TYPE_BITS) - 1, &a) ||
		    field(c, "apic", w[2], EV_APIC_LIMIT - 1, &b) || field(c, "arg", w[3], 0xffff, &d))
			return -1;
		st->kind = STEP_IO_OUT;
		st->port = PORT_EVENT;
		st->size = 4;
		st->value = EV_MAKE(a, b, d);
		return 0;
	}
	if (!strcmp(w[0], "done")) {
		if (arity(c, w, n, 1, 1, "CODE") || field(c, "code", w[1], 0xff, &a))
			return -1;
		st->kind = STEP_IO_OUT;
		st->port = PORT_COMPLETION;
		st->value = (uint32_t)a;
		return 0;
	}
	if (!strcmp(w[0], "after")) {
		if (arity(c, w, n, 2, 2, "VCPU N") ||
		    field(c, "vcpu", w[1], SCRIPT_MAX_VCPUS - 1, &a) ||
		    field(c, "entry count", w[2], UINT32_MAX, &b))
			return -1;
		st->kind = STEP_AFTER;
		st->port = (uint16_t)a;		/* the vCPU waited for */
		st->addr = b;			/* its entry count */
		return 0;
	}
	if (!strcmp(w[0], "mmio")) {
		/* the firmware is 32-bit: nothing it touches lies above 4 GiB */
		if (arity(c, w, n, 1, 1, "ADDR") || field(c, "address", w[1], UINT32_MAX, &a))
			return -1;
		st->kind = STEP_MMIO;
		st->addr = a;
		return 0;
	}
	if (!strcmp(w[0], "eintr"))
		st->kind = STEP_EINTR;
	else if (!strcmp(w[0], "hlt"))
		st->kind = STEP_HLT;
	else if (!strcmp(w[0], "block"))
		st->kind = STEP_BLOCK;
	else if (!strcmp(w[0], "shutdown"))
		st->kind = STEP_SHUTDOWN;
	else
		return perr(c, "unknown step '%s'", shown(c, w[0]));
	return n == 1 ? 0 : perr(c, "%s takes no arguments", w[0]);
}

/* Words split on blanks; max + 1 when there are more than max. */
static int split(char *s, char **w, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(s, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = tok;
	}
	return n;
}

/* vcpu N|all: STEP; STEP; ...  (line points past "vcpu") */
static int parse_vcpu_line(struct parse_ctx *c, char *line)
{
	char *colon = strchr(line, ':');
	char *stepstr, *save = NULL, *w[8];
	unsigned int lo, hi, i, nsteps = 0;
	uint64_t a;
	int n;

	if (!colon)
		return perr(c, "vcpu takes N|all: STEP; STEP; ...");
	*colon = '\0';
	n = split(line, w, ARRAY_SIZE(w));
	if (n != 1)
		return perr(c, "vcpu takes N|all: STEP; STEP; ...");
	if (!strcmp(w[0], "all")) {
		lo = 0;
		hi = SCRIPT_MAX_VCPUS - 1;
	} else if (!field(c, "vcpu", w[0], SCRIPT_MAX_VCPUS - 1, &a)) {
		lo = hi = (unsigned int)a;
	} else {
		return -1;
	}
	for (stepstr = strtok_r(colon + 1, ";", &save); stepstr;
	     stepstr = strtok_r(NULL, ";", &save)) {
		struct step st;

		n = split(stepstr, w, ARRAY_SIZE(w));
		if (!n)
			continue;
		if (n > (int)ARRAY_SIZE(w))
			return perr(c, "a step with more than %zu words", ARRAY_SIZE(w));
		if (parse_step(c, w, n, &st))
			return -1;
		for (i = lo; i <= hi; i++) {
			if (script.vcpus[i].nsteps == SCRIPT_MAX_STEPS)
				return perr(c, "vcpu %u has more than %d steps", i,
					    SCRIPT_MAX_STEPS);
			script.vcpus[i].steps[script.vcpus[i].nsteps++] = st;
		}
		nsteps++;
	}
	/* a vCPU without steps would sit in a never-exiting guest: say "block" if meant */
	if (!nsteps)
		return perr(c, "a vcpu section without steps");
	c->vcpu_section = true;
	return 0;
}

static int parse_line(struct parse_ctx *c, char *line)
{
	char *w[8];
	uint64_t a, b;
	int n, p;

	line[strcspn(line, "#")] = '\0';
	line += strspn(line, " \t");
	if (*line)
		c->content = true;
	if (!strncmp(line, "vcpu", 4) && (line[4] == ' ' || line[4] == '\t'))
		return parse_vcpu_line(c, line + 4);
	n = split(line, w, ARRAY_SIZE(w));
	if (!n)
		return 0;
	if (!strcmp(w[0], "semantics")) {
		if (n != 2 || (strcmp(w[1], "kvm") && strcmp(w[1], "mshv")))
			return perr(c, "semantics takes kvm or mshv");
		script.semantics = !strcmp(w[1], "kvm") ? SCRIPT_KVM : SCRIPT_MSHV;
		return 0;
	}
	if (!strcmp(w[0], "kick-at")) {
		if (n != 4)
			return perr(c, "kick-at takes VCPU POINT ENTRY");
		if (field(c, "vcpu", w[1], SCRIPT_MAX_VCPUS - 1, &a) ||
		    field(c, "entry", w[3], UINT32_MAX, &b))
			return -1;
		if (!b)
			return perr(c, "entry 0: entries count from 1");
		for (p = 0; p < LOOP_POINT_COUNT; p++)
			if (!strcmp(w[2], point_names[p]))
				break;
		if (p == LOOP_POINT_COUNT)
			return perr(c, "unknown loop point '%s'", shown(c, w[2]));
		script.vcpus[a].kick_point = p;
		script.vcpus[a].kick_entry = b;
		return 0;
	}
	return perr(c, "unknown keyword '%s' (semantics, vcpu, kick-at)", shown(c, w[0]));
}

static int script_complete_io(struct vcpu *vcpu, const struct vcpu_exit *exit);

/* A whole script of len bytes; file names it in errors (NULL: text from a test). */
static int load(const char *file, const char *buf, size_t len, char *err, size_t errlen)
{
	struct parse_ctx c = { .file = file, .err = err, .errlen = errlen };
	const char *nul = memchr(buf, '\0', len);
	char *copy, *line, *next;
	unsigned int i;
	int r = 0;

	memset(&script, 0, sizeof(script));	/* no vCPU thread may be running */
	for (i = 0; i < SCRIPT_MAX_VCPUS; i++)
		script.vcpus[i].kick_point = -1;
	if (nul) {
		/* C strings would end the script there, silently: refuse the file */
		c.lineno = 1;
		for (const char *p = buf; p < nul; p++)
			c.lineno += *p == '\n';
		return perr(&c, "NUL byte at offset %zu (not a text file)", (size_t)(nul - buf));
	}
	copy = xzalloc(len + 1);
	memcpy(copy, buf, len);
	/* by hand, not strtok: blank lines must still count for the line numbers */
	for (line = copy; line && !r; line = next) {
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';	/* CRLF line ends */
		c.lineno++;
		r = parse_line(&c, line);
	}
	free(copy);
	if (!r && !c.vcpu_section) {
		/* nothing would run: every AP would read as missing, for no reason given */
		snprintf(err, errlen, "script%s%s: %s", file ? " " : "", file ? file : "",
			 c.content ? "no vcpu section (vcpu N|all: STEP; ...)" :
			 "empty (nothing but blank lines and comments)");
		r = -1;
	}
	script_accel_ops.vcpu_complete_io =
		script.semantics == SCRIPT_MSHV ? script_complete_io : NULL;
	return r;
}

int script_load(const char *text, char *err, size_t errlen)
{
	return load(NULL, text, strlen(text), err, errlen);
}

int script_load_buf(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	return load(name, buf, len, err, errlen);
}

int script_load_file(const char *path, char *err, size_t errlen)
{
	const char *why = NULL;
	long long size = 0;
	size_t got = 0;
	ssize_t r = 1;
	char *buf;
	int fd = in_file_open(path, &size, &why);

	if (fd >= 0 && size > SCRIPT_MAX_BYTES) {
		why = "larger than 1 MiB";
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "--accel script:%s: %s", path, why);
		return -1;
	}
	buf = xzalloc((size_t)size + 1);
	while (got < (size_t)size && r > 0) {
		r = read(fd, buf + got, (size_t)size - got);
		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno == EINTR)
			r = 1;
	}
	if (r < 0)
		snprintf(err, errlen, "--accel script:%s: %s", path, strerror(errno));
	close(fd);
	r = r < 0 ? -1 : load(path, buf, got, err, errlen);
	free(buf);
	return (int)r;
}

void script_stats(unsigned int vcpu, struct script_vcpu_stats *out)
{
	const struct script_vcpu *s = &script.vcpus[vcpu < SCRIPT_MAX_VCPUS ? vcpu : 0];

	*out = s->stats;
	out->kick_fired = atomic_load(&s->kick_fired);
}

bool script_kick_fired(unsigned int vcpu)
{
	return atomic_load(&script.vcpus[vcpu < SCRIPT_MAX_VCPUS ? vcpu : 0].kick_fired);
}

bool script_blocking(unsigned int vcpu)
{
	return atomic_load(&script.vcpus[vcpu < SCRIPT_MAX_VCPUS ? vcpu : 0].blocking);
}

void script_release_all(void)
{
	atomic_store(&script.released, true);
}

/* ---- accel_ops ---------------------------------------------------------- */

static int script_probe(struct accel_caps *caps, char *why, size_t len)
{
	memset(caps, 0, sizeof(*caps));
	caps->api_version = 1;
	caps->max_vcpus = caps->nr_vcpus = SCRIPT_MAX_VCPUS;
	caps->irqchip = true;
	caps->immediate_exit = script.semantics == SCRIPT_KVM;
	caps->mp_state = caps->vcpu_events = true;
	caps->x2apic = true;		/* no APIC to put in a mode: every ID is the script's */
	(void)why;
	(void)len;
	return 0;
}

static int script_vm_create(struct vm *vm)
{
	vm->fd = 0;	/* nothing to open; not -1 so teardown runs */
	return 0;
}

static int script_vm_map(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva, uint64_t size,
			 bool readonly, bool smm)
{
	return 0;
}

static void script_vm_destroy(struct vm *vm)
{
	vm->fd = -1;
}

static int script_vcpu_create(struct vcpu *vcpu)
{
	struct script_vcpu *s = &script.vcpus[vcpu->id];

	s->next = 0;
	s->io_outstanding = false;
	atomic_store(&s->armed, false);
	atomic_store(&s->kick_fired, false);
	atomic_store(&s->entries_seen, 0);
	memset(&s->stats, 0, sizeof(s->stats));
	vcpu->priv = s;
	return vcpu->id < SCRIPT_MAX_VCPUS ? 0 : -EINVAL;
}

static void script_vcpu_destroy(struct vcpu *vcpu)
{
	vcpu->priv = NULL;
}

static void fire_kick(struct vcpu *vcpu, struct script_vcpu *s, enum vcpu_loop_point p)
{
	/* the points before the run belong to the entry about to be counted */
	uint64_t entry = p < LOOP_IN_RUN ? s->stats.entries + 1 : s->stats.entries;

	if (s->kick_point != (int)p || entry != s->kick_entry || atomic_load(&s->kick_fired))
		return;
	atomic_store(&s->kick_fired, true);
	/* exactly what the quit path does, landing at this point of the loop */
	atomic_store(&vcpu->kicked, true);
	vcpu__kick(vcpu);
}

static void script_loop_point(struct vcpu *vcpu, enum vcpu_loop_point p)
{
	fire_kick(vcpu, vcpu->priv, p);
}

/*
 * A guest that never exits: wait for a signal with it unblocked, like a run
 * ioctl does. One already handled in userspace does not count, just as the
 * kernel only sees a signal still pending.
 */
static int block_until_signal(struct script_vcpu *s)
{
	sigset_t mask;

	/* only the kick signal may end it; SIGINT/SIGTERM stay for the signalfd */
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, VCPU_SIG_KICK);
	s->stats.blocked++;
	atomic_store(&s->blocking, true);
	while (!atomic_load(&script.released)) {
		struct timespec ts = { .tv_nsec = BLOCK_SLICE_MS * 1000000L };

		if (ppoll(NULL, 0, &ts, &mask) < 0 && errno == EINTR)
			break;
	}
	atomic_store(&s->blocking, false);
	return -EINTR;
}

static int script_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct script_vcpu *s = vcpu->priv;
	const struct step *st;

	s->stats.entries++;
	s->io_outstanding = false;	/* any entry completes it, even one that does not run */
	atomic_store(&s->entries_seen, s->stats.entries);
	if (atomic_load(&script.released))
		return -EINTR;	/* teardown: let even a legacy loop see its request */
	fire_kick(vcpu, s, LOOP_IN_RUN);
	if (script.semantics == SCRIPT_KVM && atomic_load(&s->armed)) {
		s->stats.eintr++;
		return -EINTR;	/* immediate_exit: the guest does not run at all */
	}
	if (!s->nsteps) {
		s->stats.eintr++;
		return block_until_signal(s);
	}
	st = &s->steps[s->next];
	if (st->kind == STEP_AFTER &&
	    atomic_load(&script.vcpus[st->port].entries_seen) < st->addr) {
		/* the guest polls for the other CPU: an ignorable exit each time */
		static const struct step poll_step = { .kind = STEP_IO_OUT, .port = PORT_POST,
						       .size = 1 };

		st = &poll_step;
	} else {
		if (st->kind == STEP_AFTER)
			st = s->next + 1 < s->nsteps ? &s->steps[++s->next] : st;
		if (s->next + 1 < s->nsteps)
			s->next++;
	}
	if (st->kind == STEP_EINTR || st->kind == STEP_BLOCK || st->kind == STEP_AFTER) {
		/* a satisfied "after" with nothing behind it: the guest just waits */
		s->stats.eintr++;
		return st->kind == STEP_EINTR ? -EINTR : block_until_signal(s);
	}

	s->stats.steps++;
	if (atomic_load(&vcpu->exit_request))
		s->stats.steps_after_request++;
	memset(exit, 0, sizeof(*exit));
	switch (st->kind) {
	case STEP_IO_OUT:
	case STEP_IO_IN:
		exit->kind = VEXIT_IO;
		exit->io.port = st->port;
		exit->io.size = st->size;
		exit->io.out = st->kind == STEP_IO_OUT;
		exit->io.count = 1;
		memcpy(s->data, &st->value, sizeof(st->value));
		exit->io.data = s->data;
		break;
	case STEP_MMIO:
		exit->kind = VEXIT_MMIO;
		exit->mmio.addr = st->addr;
		exit->mmio.len = 4;
		exit->mmio.data = s->data;
		break;
	case STEP_HLT:
		exit->kind = VEXIT_HLT;
		break;
	default:
		exit->kind = VEXIT_SHUTDOWN;
		break;
	}
	exit->raw_reason = st->kind;
	s->io_outstanding = script.semantics == SCRIPT_KVM &&
			    (exit->kind == VEXIT_IO || exit->kind == VEXIT_MMIO);
	return 0;
}

/* Under MSHV semantics the VMM finishes I/O itself; there is no real guest state. */
static int script_complete_io(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	return 0;
}

static void script_arm_kick(struct vcpu *vcpu)
{
	struct script_vcpu *s = vcpu->priv;

	if (s && script.semantics == SCRIPT_KVM)
		atomic_store(&s->armed, true);
}

static void script_disarm_kick(struct vcpu *vcpu)
{
	struct script_vcpu *s = vcpu->priv;

	if (s)
		atomic_store(&s->armed, false);
}

/*
 * KVM finishes an I/O instruction only at the next entry; until then the
 * registers are those of an instruction half done. The model refuses to show
 * or overwrite them, so a VMM that leaves I/O pending is caught.
 */
static int script_get_state(struct vcpu *vcpu, struct vcpu_state *st)
{
	struct script_vcpu *s = vcpu->priv;

	if (s && s->io_outstanding)
		return -EBUSY;
	memset(st, 0, sizeof(*st));
	x86_state_reset_regs(st);
	st->mp_state.mp_state = vcpu->id ? KVM_MP_STATE_UNINITIALIZED : KVM_MP_STATE_RUNNABLE;
	st->valid = PART_BIT(PART_REGS) | PART_BIT(PART_SREGS) | PART_BIT(PART_EVENTS) |
		    PART_BIT(PART_MP_STATE);
	return 0;
}

static int script_put_state(struct vcpu *vcpu, const struct vcpu_state *st,
			    const struct sync_plan *plan)
{
	struct script_vcpu *s = vcpu->priv;

	if (s->io_outstanding)
		return -EBUSY;
	s->stats.state_puts++;
	if (plan->parts & PART_BIT(PART_LAPIC)) {
		/* only a reset-level put carries the LAPIC (--reuse-vm): start the script over */
		s->next = 0;
		atomic_store(&s->entries_seen, 0);
		atomic_store(&s->kick_fired, false);
		s->stats.entries = s->stats.steps = s->stats.steps_after_request = 0;
	}
	return 0;
}

static int script_smi(struct vcpu *vcpu)
{
	return -ENOTSUP;
}

static uint32_t script_tsc_khz(struct vcpu *vcpu)
{
	return 1000000;	/* a nominal 1 GHz: only the firmware config uses it */
}

struct accel_ops script_accel_ops = {
	.name = "script",
	.probe = script_probe,
	.vm_create = script_vm_create,
	.vm_map = script_vm_map,
	.vm_destroy = script_vm_destroy,
	.vcpu_create = script_vcpu_create,
	.vcpu_destroy = script_vcpu_destroy,
	.vcpu_run = script_vcpu_run,
	.vcpu_arm_kick = script_arm_kick,
	.vcpu_disarm_kick = script_disarm_kick,
	.vcpu_get_state = script_get_state,
	.vcpu_put_state = script_put_state,
	.vcpu_smi = script_smi,
	.loop_point = script_loop_point,
	.vcpu_complete_io = NULL,	/* set per semantics by script_load */
	.vcpu_tsc_khz = script_tsc_khz,
};
