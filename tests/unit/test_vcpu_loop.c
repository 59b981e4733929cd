// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the generic vCPU loop's quit path against the scripted accelerator,
 * under KVM semantics (immediate_exit) and MSHV semantics (none): a kick
 * landing at every point of the loop that occurs, in a port-I/O storm and in
 * a guest that never exits, gets every thread out within the quit path's
 * bound (that kick plus the resends of the exit-request policy), with the
 * guest running at most one step past the request (none with
 * immediate_exit). The legacy-signal kick, the positive control, is shown to
 * miss it. The sync engine serves requests against both semantics too.
 */
#include "../../vmm/script/script.h"
#include "../../vmm/sync.h"
#include "../../vmm/util.h"
#include "../../vmm/vcpu.h"
#include "../../vmm/vm.h"
#include "unit.h"

#include <dlfcn.h>
#include <string.h>
#include <time.h>

static const char *const points[LOOP_POINT_COUNT] = {
	"top", "after-disarm", "after-exit-check", "after-work", "before-run", "in-run",
	"after-run", "after-handle",
};

static enum vcpu_action ignore_exit(void *ctx, struct vcpu *vcpu, struct vcpu_exit *exit)
{
	return VCPU_CONTINUE;	/* storms are ignorable; nothing ends by itself */
}

static void on_fail(void *ctx, struct vcpu *vcpu, int err)
{
	(void)ctx;
}

static const struct vcpu_hooks hooks = { .handle_exit = ignore_exit, .run_failed = on_fail };

struct outcome {
	bool fired;
	bool out;			/* every thread left by the deadline */
	struct script_vcpu_stats st;
};

static struct outcome run_case(const char *sem, enum kick_policy kick, const char *guest,
			       const char *point, unsigned int entry)
{
	struct outcome o = { 0 };
	struct vm vm = { .ops = &script_accel_ops, .fd = 0 };
	struct vcpu_group g;
	char text[256], err[128];
	uint64_t until;

	snprintf(text, sizeof(text), "semantics %s\nvcpu 0: %s\nkick-at 0 %s %u\n", sem, guest,
		 point, entry);
	TEST_ASSERT(script_load(text, err, sizeof(err)) == 0, "%s", err);
	TEST_ASSERT(vcpu_group__create(&g, &vm, 1, &hooks, err, sizeof(err)) == 0, "%s", err);
	g.vcpus[0].kick_policy = kick;
	TEST_ASSERT(vcpu_group__start(&g, NULL, err, sizeof(err)) == 0, "%s", err);

	/* points that do not occur in this guest never fire: give up on them soon */
	until = now_ns() + 300000000ull;
	while (!script_kick_fired(0) && now_ns() < until) {
		struct timespec ts = { .tv_nsec = 100000 };

		nanosleep(&ts, NULL);
	}
	o.fired = script_kick_fired(0);
	/* the rest of the quit path: (re)kicks as the policy does, bounded */
	o.out = vcpu_group__stop(&g, now_ns() + 300000000ull) == 0;
	if (!o.out) {
		script_release_all();
		TEST_ASSERT(vcpu_group__stop(&g, now_ns() + 2000000000ull) == 0,
			    "teardown could not stop the thread");
	}
	script_stats(0, &o.st);
	TEST_ASSERT(vcpu_group__destroy(&g) == 0, "destroy");
	return o;
}

static void test_exit_request(const char *sem, unsigned int max_steps_after)
{
	static const char *const guests[] = { "io-out 0x80 1", "block" };
	unsigned int g, p, entry, fired = 0;

	for (g = 0; g < 2; g++) {
		for (p = 0; p < LOOP_POINT_COUNT; p++) {
			for (entry = 1; entry <= 3; entry += 2) {
				struct outcome o;

				/* a blocked guest never returns to the loop's later points */
				if (g == 1 && entry > 1)
					continue;
				o = run_case(sem, KICK_EXIT_REQUEST, guests[g], points[p], entry);
				if (!o.fired)
					continue;	/* that point does not occur for this guest */
				fired++;
				TEST_ASSERT(o.out, "%s, exit-request, %s, kick at %s of entry %u: a thread stayed in",
					    sem, guests[g], points[p], entry);
				TEST_ASSERT(o.st.steps_after_request <= max_steps_after,
					    "%s, %s, kick at %s of entry %u: %llu guest steps after the request",
					    sem, guests[g], points[p], entry,
					    (unsigned long long)o.st.steps_after_request);
			}
		}
	}
	/* the storm reaches every point on its first entry, most on its third */
	TEST_ASSERT(fired >= 2 * LOOP_POINT_COUNT, "%s: only %u kicks landed", sem, fired);
}

static void test_legacy_misses(const char *sem)
{
	unsigned int p, missed = 0, fired = 0;

	for (p = 0; p < LOOP_POINT_COUNT; p++) {
		struct outcome o = run_case(sem, KICK_LEGACY_SIGNAL, "io-out 0x80 1", points[p], 3);

		fired += o.fired;
		missed += o.fired && !o.out;
	}
	/*
	 * In a storm every exit is I/O, so the legacy loop never looks again.
	 * (With a pending I/O under KVM semantics the exit-check and work points
	 * are skipped, so not every point fires.)
	 */
	TEST_ASSERT(fired >= LOOP_POINT_COUNT - 2 && missed == fired,
		    "%s: legacy-signal missed %u of %u kicks in a storm", sem, missed, fired);

	/* a guest that never exits: the one signal is spent before the entry */
	{
		struct outcome o = run_case(sem, KICK_LEGACY_SIGNAL, "block", "before-run", 1);

		TEST_ASSERT(o.fired && !o.out, "%s: legacy-signal got a blocked guest out", sem);
	}
}

/*
 * pthread_create() is the C library's (or the sanitizer's in front of it).
 * With stall_and_kick set, the creator then stays away from its own
 * bookkeeping, as one descheduled right there would, while a kick is sent
 * (and resent every millisecond, as the quit path does) to the new vCPU
 * thread once that is in a guest that never exits: only a signal can get it
 * out. kicked_out says whether one did within 300 ms.
 */
static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static atomic_bool stall_and_kick, kicked_out;

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int r = real_pthread_create(t, attr, fn, arg);
	struct vcpu *v = arg;
	uint64_t until;

	if (r || !atomic_load(&stall_and_kick))
		return r;
	until = now_ns() + 1000000000ull;
	while (!script_blocking(v->id) && now_ns() < until)
		pause_ms(1);
	until = now_ns() + 300000000ull;
	while (!atomic_load(&v->exited) && now_ns() < until) {
		vcpu__kick(v);
		pause_ms(1);
	}
	atomic_store(&kicked_out, atomic_load(&v->exited));
	return r;
}

/*
 * A kick reaches a thread already in the guest while its creator is still
 * inside pthread_create(). Before the thread said itself that it could take
 * signals, its creator's bookkeeping decided, so every kick sent meanwhile
 * went without one, and a thread in a guest that never exits stayed there:
 * a BSP spinning in its scan that way ran through a whole QMP stop while its
 * APs sat parked, and lost them.
 */
static void test_kick_before_creator_returns(const char *sem)
{
	struct vm vm = { .ops = &script_accel_ops, .fd = 0 };
	struct vcpu_group g;
	char text[128], err[128];

	snprintf(text, sizeof(text), "semantics %s\nvcpu 0: block\n", sem);
	TEST_ASSERT(script_load(text, err, sizeof(err)) == 0, "%s", err);
	TEST_ASSERT(vcpu_group__create(&g, &vm, 1, &hooks, err, sizeof(err)) == 0, "%s", err);
	atomic_store(&kicked_out, false);
	atomic_store(&stall_and_kick, true);
	TEST_ASSERT(vcpu_group__start(&g, NULL, err, sizeof(err)) == 0, "%s", err);
	atomic_store(&stall_and_kick, false);
	TEST_ASSERT(atomic_load(&kicked_out),
		    "%s: a vCPU thread in the guest missed 300 ms of kicks sent while its creator was away",
		    sem);
	if (vcpu_group__stop(&g, now_ns() + 500000000ull)) {
		script_release_all();
		TEST_ASSERT(vcpu_group__stop(&g, now_ns() + 2000000000ull) == 0, "%s: stop", sem);
	}
	vcpu_group__destroy(&g);
}

/* The sync engine against both semantics, with a guest that never exits. */
static void test_sync(const char *sem)
{
	struct vm vm = { .ops = &script_accel_ops, .fd = 0 };
	struct vcpu_state *st = xzalloc(sizeof(*st));
	struct script_vcpu_stats s;
	struct vcpu_group g;
	char text[128], err[128];
	int i, ok = 0;

	snprintf(text, sizeof(text), "semantics %s\nvcpu all: io-out 0x80 1; block\n", sem);
	TEST_ASSERT(script_load(text, err, sizeof(err)) == 0, "%s", err);
	TEST_ASSERT(vcpu_group__create(&g, &vm, 2, &hooks, err, sizeof(err)) == 0, "%s", err);
	TEST_ASSERT(vcpu_group__start(&g, NULL, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < 50; i++)
		ok += sync_request(&g.vcpus[i & 1], st, now_ns() + 500000000ull) == 0;
	TEST_ASSERT(ok == 50, "%s: %d of 50 syncs served", sem, ok);
	TEST_ASSERT(st->valid & PART_BIT(PART_REGS), "%s: the state was copied out", sem);
	TEST_ASSERT(vcpu_group__stop(&g, now_ns() + 500000000ull) == 0, "%s: stop", sem);
	script_stats(0, &s);
	TEST_ASSERT(s.state_puts >= 1, "%s: every fetch is written back before the next entry", sem);
	vcpu_group__destroy(&g);
	free(st);
}

static void test_script_errors(void)
{
	char err[128];

	TEST_ASSERT(script_load("semantics xen\n", err, sizeof(err)) == -1 &&
		    strstr(err, "line 1"), "bad semantics: %s", err);
	TEST_ASSERT(script_load("vcpu 0: io-out 0x80\n", err, sizeof(err)) == -1, "io-out arity");
	TEST_ASSERT(script_load("vcpu 1024: hlt\n", err, sizeof(err)) == -1, "vcpu range");
	TEST_ASSERT(script_load("kick-at 0 nowhere 1\n", err, sizeof(err)) == -1, "bad point");
	TEST_ASSERT(script_load("# comment\nvcpu all: event 2 1 0; done 0x10\n", err,
				sizeof(err)) == 0, "%s", err);
}

int main(void)
{
	*(void **)&real_pthread_create = dlsym(RTLD_NEXT, "pthread_create");
	TEST_ASSERT(real_pthread_create, "dlsym(pthread_create): %s", dlerror());
	vcpu__init_signals();
	test_script_errors();
	test_exit_request("kvm", 0);
	test_exit_request("mshv", 1);
	test_legacy_misses("kvm");
	test_legacy_misses("mshv");
	test_sync("kvm");
	test_sync("mshv");
	test_kick_before_creator_returns("kvm");
	test_kick_before_creator_returns("mshv");
	return unit_done("test_vcpu_loop");
}
