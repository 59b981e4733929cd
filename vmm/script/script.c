// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scripted accelerator. Each vCPU replays its list of steps, one per
 * entry; the last step repeats. "block" models a guest that never exits on
 * its own: the entry waits for a signal, as a real run ioctl does, and a
 * signal that was already consumed in userspace does not end it. Under KVM
 * semantics an armed kick ends the entry at once (immediate_exit); under
 * MSHV semantics nothing but a pending signal does.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_MAX_VCPUS	HVSMOKE_MAX_CPUS
#define SCRIPT_MAX_STEPS	64
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
	atomic_bool kick_fired;		/* read by the test thread while this one runs */
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

static int parse_num(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* One step: its words are in w[0..n). */
static int parse_step(char **w, int n, struct step *st)
{
	uint64_t a = 0, b = 0, c = 0;

	memset(st, 0, sizeof(*st));
	st->size = 1;
	if (!strcmp(w[0], "io-out") && (n == 3 || n == 4) && !parse_num(w[1], &a) &&
	    !parse_num(w[2], &b) && (n == 3 || !parse_num(w[3], &c)) && a <= 0xffff) {
		st->kind = STEP_IO_OUT;
		st->port = (uint16_t)a;
		st->value = (uint32_t)b;
		st->size = n == 4 ? (uint8_t)c : 1;
		return st->size == 1 || st->size == 2 || st->size == 4 ? 0 : -1;
	}
	if (!strcmp(w[0], "io-in") && (n == 2 || n == 3) && !parse_num(w[1], &a) &&
	    (n == 2 || !parse_num(w[2], &c)) && a <= 0xffff) {
		st->kind = STEP_IO_IN;
		st->port = (uint16_t)a;
		st->size = n == 3 ? (uint8_t)c : 1;
		return st->size == 1 || st->size == 2 || st->size == 4 ? 0 : -1;
	}
	if (!strcmp(w[0], "event") && n == 4 && !parse_num(w[1], &a) && !parse_num(w[2], &b) &&
	    !parse_num(w[3], &c) && a <= 0xff && b <= 0xff && c <= 0xffff) {
		st->kind = STEP_IO_OUT;
		st->port = PORT_EVENT;
		st->size = 4;
		st->value = EV_MAKE(a, b, c);
		return 0;
	}
	if (!strcmp(w[0], "done") && n == 2 && !parse_num(w[1], &a) && a <= 0xff) {
		st->kind = STEP_IO_OUT;
		st->port = PORT_COMPLETION;
		st->value = (uint32_t)a;
		return 0;
	}
	if (!strcmp(w[0], "after") && n == 3 && !parse_num(w[1], &a) && !parse_num(w[2], &b) &&
	    a < SCRIPT_MAX_VCPUS) {
		st->kind = STEP_AFTER;
		st->port = (uint16_t)a;		/* the vCPU waited for */
		st->addr = b;			/* its entry count */
		return 0;
	}
	if (!strcmp(w[0], "mmio") && n == 2 && !parse_num(w[1], &a)) {
		st->kind = STEP_MMIO;
		st->addr = a;
		return 0;
	}
	if (n != 1)
		return -1;
	if (!strcmp(w[0], "eintr"))
		st->kind = STEP_EINTR;
	else if (!strcmp(w[0], "hlt"))
		st->kind = STEP_HLT;
	else if (!strcmp(w[0], "block"))
		st->kind = STEP_BLOCK;
	else if (!strcmp(w[0], "shutdown"))
		st->kind = STEP_SHUTDOWN;
	else
		return -1;
	return 0;
}

static int split(char *s, char **w, int max)
{
	int n = 0;

	for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
		w[n++] = tok;
	return n;
}

static int parse_line(char *line, unsigned int lineno, char *err, size_t errlen)
{
	char *w[8];
	uint64_t a, b;
	int n;

	line[strcspn(line, "#\n")] = '\0';
	if (!strncmp(line, "vcpu ", 5)) {
		char *colon = strchr(line, ':');
		char *rest, *stepstr, *save = NULL;
		unsigned int lo, hi, i;

		if (!colon)
			goto bad;
		*colon = '\0';
		rest = colon + 1;
		n = split(line + 5, w, 8);
		if (n != 1)
			goto bad;
		if (!strcmp(w[0], "all")) {
			lo = 0;
			hi = SCRIPT_MAX_VCPUS - 1;
		} else if (!parse_num(w[0], &a) && a < SCRIPT_MAX_VCPUS) {
			lo = hi = (unsigned int)a;
		} else {
			goto bad;
		}
		for (stepstr = strtok_r(rest, ";", &save); stepstr;
		     stepstr = strtok_r(NULL, ";", &save)) {
			struct step st;
			char copy[128];

			snprintf(copy, sizeof(copy), "%s", stepstr);
			n = split(copy, w, 8);
			if (!n)
				continue;
			if (parse_step(w, n, &st))
				goto bad;
			for (i = lo; i <= hi; i++) {
				if (script.vcpus[i].nsteps == SCRIPT_MAX_STEPS)
					goto bad;
				script.vcpus[i].steps[script.vcpus[i].nsteps++] = st;
			}
		}
		return 0;
	}
	n = split(line, w, 8);
	if (!n)
		return 0;
	if (!strcmp(w[0], "semantics") && n == 2) {
		if (!strcmp(w[1], "kvm"))
			script.semantics = SCRIPT_KVM;
		else if (!strcmp(w[1], "mshv"))
			script.semantics = SCRIPT_MSHV;
		else
			goto bad;
		return 0;
	}
	if (!strcmp(w[0], "kick-at") && n == 4 && !parse_num(w[1], &a) && a < SCRIPT_MAX_VCPUS &&
	    !parse_num(w[3], &b) && b >= 1) {
		int p;

		for (p = 0; p < LOOP_POINT_COUNT; p++)
			if (!strcmp(w[2], point_names[p]))
				break;
		if (p == LOOP_POINT_COUNT)
			goto bad;
		script.vcpus[a].kick_point = p;
		script.vcpus[a].kick_entry = b;
		return 0;
	}
bad:
	snprintf(err, errlen, "script line %u: cannot parse it", lineno);
	return -1;
}

static int script_complete_io(struct vcpu *vcpu, const struct vcpu_exit *exit);

int script_load(const char *text, char *err, size_t errlen)
{
	char *copy = xstrdup(text), *line, *save = NULL;
	unsigned int lineno = 0, i;
	int r = 0;

	memset(&script, 0, sizeof(script));	/* no vCPU thread may be running */
	for (i = 0; i < SCRIPT_MAX_VCPUS; i++)
		script.vcpus[i].kick_point = -1;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		r = parse_line(line, lineno, err, errlen);
		if (r)
			break;
	}
	free(copy);
	script_accel_ops.vcpu_complete_io =
		script.semantics == SCRIPT_MSHV ? script_complete_io : NULL;
	return r;
}

int script_load_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;
	int r;

	if (!f) {
		snprintf(err, errlen, "--accel script:%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || len > (1 << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		snprintf(err, errlen, "--accel script:%s: unreadable or larger than 1 MiB", path);
		return -1;
	}
	text = xzalloc((size_t)len + 1);
	r = fread(text, 1, (size_t)len, f) == (size_t)len ? script_load(text, err, errlen) : -1;
	if (r && !err[0])
		snprintf(err, errlen, "--accel script:%s: short read", path);
	fclose(f);
	free(text);
	return r;
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
	while (!atomic_load(&script.released)) {
		struct timespec ts = { .tv_nsec = BLOCK_SLICE_MS * 1000000L };

		if (ppoll(NULL, 0, &ts, &mask) < 0 && errno == EINTR)
			return -EINTR;
		if (script.semantics == SCRIPT_KVM && atomic_load(&s->armed))
			return -EINTR;
	}
	return -EINTR;
}

static int script_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct script_vcpu *s = vcpu->priv;
	const struct step *st;

	s->stats.entries++;
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

static int script_get_state(struct vcpu *vcpu, struct vcpu_state *st)
{
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
