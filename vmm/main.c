// SPDX-License-Identifier: GPL-2.0-only
/* hvsmoke: the CLI. Parses, picks the accelerator, runs boots and reports. */
#include "accel.h"
#include "boot.h"
#include "compare.h"
#include "control.h"
#include "qmp.h"
#include "reaper.h"
#include "qemu/qemu.h"
#include "target.h"
#include "options.h"
#include "report.h"
#include "util.h"
#include "vcpu.h"
#include "vm.h"
#include "devices/platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#define QUIT_EXIT_GRACE_MS	3000	/* after --quit-deadline: reports, teardown */

extern const uint8_t hvsmoke_fw_start[];
extern const uint8_t hvsmoke_fw_end[];

/* Load --firmware; exits 2 with one line on any problem. */
static uint8_t *firmware_load(const char *path, size_t *size)
{
	const char *why;
	long long bytes;
	uint8_t *buf;
	ssize_t got;
	int fd = in_file_open(path, &bytes, &why);

	if (fd < 0)
		die(HV_EXIT_USAGE, "--firmware %s: %s", path, why);
	if (bytes == 0)
		die(HV_EXIT_USAGE, "--firmware %s: file is empty", path);
	if (bytes > VM_ROM_MAX)
		die(HV_EXIT_USAGE, "--firmware %s: %lld bytes is too large (at most %u)", path,
		    bytes, VM_ROM_MAX);
	buf = xzalloc((size_t)bytes);
	got = read(fd, buf, (size_t)bytes);
	close(fd);
	if (got != bytes)
		die(HV_EXIT_USAGE, "--firmware %s: short read", path);
	*size = (size_t)bytes;
	return buf;
}

static int cmd_mkconfig(const struct hv_opts *o)
{
	struct hvsmoke_cfg cfg;
	struct out_file of;
	char why[128];

	boot_make_config(&cfg, o->cpus, o->boot_timeout_ms, host_tsc_khz(),
			 (o->console ? CFG_F_CONSOLE : 0) | (o->smm == SMM_ON ? CFG_F_SMM : 0) |
			 (o->event_stream ? CFG_F_EVSTREAM : 0) |
			 (boot_x2apic_mode(o->cpus, o->x2apic) ? CFG_F_X2APIC : 0),
			 o->storm_ms, o->ipi_pattern);
	if (out_file_open(&of, o->out_path, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--out %s: %s", o->out_path, why);
	/* a failed write stays in the stream's error flag: the commit reports it */
	fwrite(&cfg, sizeof(cfg), 1, of.f);
	if (out_file_commit(&of, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--out %s: %s", o->out_path, why);
	return HV_EXIT_PASS;
}

static int cmd_info(const struct hv_opts *o)
{
	struct host_info h;

	host_info_gather(&h, o->accel);
	/* a bad script:FILE is the user's, as in a run; a missing device is a fact to report */
	if (h.probe_err == -EINVAL)
		die(HV_EXIT_USAGE, "%s", h.accel_why);
	host_info_print(stdout, &h, o->json);
	return HV_EXIT_PASS;
}

static uint64_t random_seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = now_ns() ^ ((uint64_t)getpid() << 32);
	/* 53 bits: a seed read back from the JSON is exact in every reader (doubles) */
	return s & ((1ull << 53) - 1);
}

static bool show_progress(const struct hv_opts *o)
{
	const char *ci = getenv("CI");

	return o->verbose >= 0 && isatty(STDERR_FILENO) && !(ci && *ci);
}

/*
 * 0, or -1 once each failed write has had its line: the caller still stops
 * what it started (the QMP socket, QEMU) before it exits 2.
 */
static int write_summaries(const struct hv_opts *o, const struct run_summary *s,
			   const struct host_info *h)
{
	char why[128];
	int r = 0;

	if (o->json_path && json_write(o->json_path, s, h, why, sizeof(why))) {
		pr_err("--json %s: %s", o->json_path, why);
		r = -1;
	}
	if (o->junit_path && junit_write(o->junit_path, s, why, sizeof(why))) {
		pr_err("--junit %s: %s", o->junit_path, why);
		r = -1;
	}
	return r;
}

/*
 * A typo in an output path must cost nothing: refuse it before any boot,
 * and without creating the file, so that a later setup error leaves none.
 */
static void check_outputs(const struct hv_opts *o)
{
	char why[128];

	if (o->json_path && out_file_check(o->json_path, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--json %s: %s", o->json_path, why);
	if (o->junit_path && out_file_check(o->junit_path, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--junit %s: %s", o->junit_path, why);
}

/* The --qmp socket, while it exists: an exit() on any path must not leave it. */
static const char *qmp_socket_path;

static void qmp_socket_unlink(void)
{
	if (qmp_socket_path)
		unlink(qmp_socket_path);
}

/* Nothing could run here (s->skip_reason says why): TAP, the summaries, exit 4. */
static int report_skip(const struct hv_opts *o, struct run_summary *s, const struct host_info *h)
{
	s->verdict = "skip";
	printf("TAP version 13\n1..0 # SKIP %s\n", s->skip_reason);
	fflush(stdout);
	if (write_summaries(o, s, h))
		return HV_EXIT_USAGE;
	pr_info("skip: %s", s->skip_reason);
	return HV_EXIT_SKIP;
}

/* The exit code of a run that ran: a failed report beats a failed boot. Frees what it was given. */
static int run_exit(struct run_summary *sum, uint8_t *fw_owned, int write_err)
{
	unsigned int failures = sum->failures_total;

	summary_free(sum);
	free(fw_owned);
	if (write_err)
		return HV_EXIT_USAGE;
	return failures ? HV_EXIT_FAIL : HV_EXIT_PASS;
}

/* hvsmoke's own VMM as a source of boot facts. */
struct native_target {
	struct boot_target base;
	struct boot_params bp;
};

static bool native_boot(struct boot_target *bt, const struct boot_spec *spec,
			struct boot_result *r)
{
	struct native_target *nt = (struct native_target *)bt;

	nt->bp.iteration = spec->iteration;
	nt->bp.seed = spec->seed;
	nt->bp.quit_at_ms = spec->quit_at_ms;
	return boot_run(&nt->bp, r);
}

static bool native_quitting(struct boot_target *bt)
{
	return control_quitting(((struct native_target *)bt)->bp.ctl);
}

static void native_take_reset(struct boot_target *bt)
{
	control_take_reset(((struct native_target *)bt)->bp.ctl);
}

/*
 * The run loop, the same for every target: boots in, one verdict each, TAP
 * as they finish. Returns with sum filled; the caller writes the summaries.
 */
static void run_boots(const struct hv_opts *o, struct boot_target *t, struct run_summary *sum)
{
	bool progress = show_progress(o);
	bool plan_at_end = o->duration_s || o->stop_on_failure;
	struct boot_result *r = boot_result_alloc(o->cpus);
	uint64_t quit_rng = sum->seed ^ 0xa0761d6478bd642full;
	uint64_t t0, deadline = 0;
	unsigned int it;

	/* a plan up front is a promise: only when the boot count is known */
	/* a skipped SMM stage is one more test point, after the boots */
	tap_header(stdout, sum, plan_at_end ? 0 : o->iterations + (sum->smm_skip[0] ? 1 : 0));
	summary_load_start(sum, t->live_cpu_s ? t->live_cpu_s(t) : 0);
	t0 = now_ns();
	sum->t_start_ns = t0;
	if (o->duration_s)
		deadline = t0 + (uint64_t)o->duration_s * 1000000000ull;
	for (it = 1;; it++) {
		struct boot_spec spec;
		bool safe;

		if (t->quitting(t))
			break;
		if (o->duration_s ? now_ns() >= deadline : it > o->iterations)
			break;
		spec.iteration = it;
		spec.seed = sum->seed ^ (0x9e3779b97f4a7c15ull * it);
		/*
		 * A random quit lands anywhere in a boot: its storms (the BSP's
		 * before INIT, each AP's after it is online) and the scan.
		 */
		spec.quit_at_ms = o->quit_at_ms == QUIT_AT_RANDOM ?
				  (int)(rng_next(&quit_rng) % (2 * o->storm_ms + 5)) : o->quit_at_ms;
		safe = t->boot(t, &spec, r);
		if (r->not_run)
			break;	/* quit while it was being built: it never ran */
		if (r->abort == ABORT_RESET && safe) {
			printf("# boot %u: system_reset, running it again\n", it);
			fflush(stdout);
			t->take_reset(t);
			it--;
			continue;
		}
		summary_add(sum, r);
		tap_boot(stdout, r);
		if (o->dump_registers)
			tap_dump(stdout, r);
		if (progress)
			fprintf(stderr, "\r[%u%s%u] pass=%u fail=%u ", it, o->duration_s ? "" : "/",
				o->duration_s ? 0 : o->iterations, sum->passed, sum->failures_total);
		if (!safe) {
			pr_err("a vCPU thread is stuck in the guest; no further boots in this process");
			break;
		}
		if (t->quitting(t))
			break;
		if (o->stop_on_failure && r->cls != FC_PASS)
			break;
	}
	sum->elapsed_s = (double)(now_ns() - t0) / 1e9;
	summary_load_end(sum, t->live_cpu_s ? t->live_cpu_s(t) : 0);
	if (progress)
		fputc('\n', stderr);
	if (!plan_at_end) {
		/* the plan promised o->iterations points: keep it when a quit ended the run */
		const char *why = t->quitting(t) ? "the run was quit" :
				  "a vCPU thread is stuck in the guest";

		for (it = sum->iterations_run + 1; it <= o->iterations; it++)
			printf("ok %u - boot %u # SKIP not run: %s\n", it, it, why);
	}
	if (sum->smm_skip[0])
		printf("ok %u - smm stage # SKIP %s\n",
		       (plan_at_end ? sum->iterations_run : o->iterations) + 1, sum->smm_skip);
	tap_footer(stdout, sum, plan_at_end);
	boot_result_free(r);
}

/* The hammer as the options ask for it; each boot derives its seed. */
static struct hammer_params hammer_params_of(const struct hv_opts *o)
{
	struct hammer_params hp = {
		.mode = o->hammer_mode,
		.hz = o->hammer_hz,
		.aps_only = o->sync_aps_only,
	};

	return hp;
}

static void summary_hammer(struct run_summary *sum, const struct hv_opts *o)
{
	sum->sync_policy = sync_policy_name(o->sync_policy);
	sum->ipi_pattern = ipi_pattern_name(o->ipi_pattern);
	if (o->hammer_mode == HAMMER_HZ)
		snprintf(sum->sync_hammer, sizeof(sum->sync_hammer), "%u", o->hammer_hz);
	else
		snprintf(sum->sync_hammer, sizeof(sum->sync_hammer), "%s",
			 o->hammer_mode == HAMMER_MAX ? "max" : "off");
}

/* What the run was asked to do, for the JSON's scenario block. */
static void summary_scenario(struct run_summary *sum, const struct hv_opts *o,
			     const uint8_t *fw, size_t fw_size)
{
	struct scenario_info *sc = &sum->scenario;

	sc->sync_targets = o->sync_aps_only ? "aps" : "all";
	sc->kick = o->kick == KICK_LEGACY_SIGNAL ? "legacy-signal" : "exit-request";
	sc->storm_ms = o->storm_ms;
	if (o->quit_at_ms == QUIT_AT_NEVER)
		snprintf(sc->quit_at, sizeof(sc->quit_at), "never");
	else if (o->quit_at_ms == QUIT_AT_RANDOM)
		snprintf(sc->quit_at, sizeof(sc->quit_at), "random");
	else
		snprintf(sc->quit_at, sizeof(sc->quit_at), "%d", o->quit_at_ms);
	sc->quit_deadline_ms = o->quit_deadline_ms;
	sc->boot_timeout_ms = o->boot_timeout_ms;
	sc->apic_mode = boot_x2apic_mode(o->cpus, o->x2apic) ? "x2apic" : "xapic";
	sc->reuse = o->cmd == CMD_QEMU ? o->qemu_reuse : o->reuse_vm;
	sc->iterations = o->duration_s ? 0 : o->iterations;
	sc->duration_s = o->duration_s;
	sc->stop_on_failure = o->stop_on_failure;
	firmware_identify(sc, fw, fw_size, !o->firmware);
	if (o->cmd == CMD_QEMU) {
		sc->kick = "qemu";	/* QEMU's own vCPU loop is under test */
		sc->machine = o->machine;
		sc->qemu_accel = o->qemu_accel;
	}
}

/*
 * Every vCPU is an open file, and while a VM is built the reaper may still
 * hold the last REAPER_MAX_PENDING: at 1024 vCPUs the common soft limit of
 * 1024 files would fail the first VM. Raise it as far as that needs.
 */
static void raise_file_limit(unsigned int cpus)
{
	rlim_t want = (rlim_t)(cpus + 1) * (REAPER_MAX_PENDING + 2) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		pr_debug("RLIMIT_NOFILE: %s", strerror(errno));
}

static int cmd_run(const struct hv_opts *o)
{
	const struct accel_ops *ops;
	struct native_target nt = { 0 };
	struct boot_params *bp = &nt.bp;
	struct run_summary sum;
	struct host_info host;
	uint8_t *fw_owned = NULL;
	uint64_t seed = o->seed_set ? o->seed : random_seed();
	struct control ctl;
	struct boot_live *reuse = NULL;
	struct qmp_server qmp;
	char err[256];
	int write_err, r;

	if (o->firmware) {
		fw_owned = firmware_load(o->firmware, &bp->fw_size);
		bp->fw = fw_owned;
	} else {
		bp->fw = hvsmoke_fw_start;
		bp->fw_size = (size_t)(hvsmoke_fw_end - hvsmoke_fw_start);
	}

	check_outputs(o);

	host_info_gather(&host, o->accel);
	ops = host.ops;
	if (host.probe_err == -EINVAL)
		die(HV_EXIT_USAGE, "%s", host.accel_why);
	summary_init(&sum, ops->name, o->cpus, seed);
	summary_hammer(&sum, o);
	summary_scenario(&sum, o, bp->fw, bp->fw_size);

	if (!host.accel_ok) {
		if (host.probe_err == -ENODEV || host.probe_err == -ENOTSUP) {
			if (!strcmp(o->accel, "auto"))
				snprintf(sum.skip_reason, sizeof(sum.skip_reason), "%s",
					 host.accel_why);
			else
				snprintf(sum.skip_reason, sizeof(sum.skip_reason),
					 "%s unavailable: %s", host.accel, host.accel_why);
			return report_skip(o, &sum, &host);
		}
		die(HV_EXIT_USAGE, "%s", host.accel_why);
	}
	r = boot_check_host(ops, &host.caps, o->cpus, o->x2apic, err, sizeof(err));
	if (r == -ENOTSUP) {
		snprintf(sum.skip_reason, sizeof(sum.skip_reason), "%s", err);
		return report_skip(o, &sum, &host);
	}
	if (r)
		die(HV_EXIT_USAGE, "%s", err);
	if (!boot_smm_fits(o->cpus, o->x2apic))
		snprintf(sum.smm_skip, sizeof(sum.smm_skip),
			 "the SMM stage runs with at most %d CPUs, in xAPIC mode",
			 HVSMOKE_SMM_MAX_CPUS);
	else if (!host.caps.smm)
		snprintf(sum.smm_skip, sizeof(sum.smm_skip), "%s",
			 ops == &kvm_accel_ops ? "host KVM lacks KVM_CAP_X86_SMM" :
			 ops == &mshv_accel_ops ? "MSHV has no SMM" :
			 "the scripted accelerator has no SMM");
	/* --smm on past the SMM stage's limits was refused with the options */
	if (o->smm == SMM_ON && !host.caps.smm)
		die(HV_EXIT_USAGE, "--smm on: %s", sum.smm_skip);
	if (o->smm != SMM_AUTO)
		sum.smm_skip[0] = '\0';
	if (o->reuse_vm && !host.caps.mp_state)
		die(HV_EXIT_USAGE, "--reuse-vm: %s cannot put vCPUs back to their reset mp_state",
		    ops->name);
	sum.smm_mode = o->smm == SMM_ON ? "on" : o->smm == SMM_OFF ? "off" : "auto";
	sum.smm_ran = o->smm != SMM_OFF && host.caps.smm && boot_smm_fits(o->cpus, o->x2apic);
	raise_file_limit(o->cpus);

	vcpu__init_signals();
	/* before any thread: SIGINT/SIGTERM go to the control thread only */
	qmp_block_signals();
	control_init(&ctl, o->cpus);
	/* a quit ends the process within its deadline plus a grace for the reports */
	if (qmp_server_start(&qmp, &ctl, o->qmp_path,
			     ((uint64_t)o->quit_deadline_ms + QUIT_EXIT_GRACE_MS) * 1000000ull, err,
			     sizeof(err)))
		die(HV_EXIT_USAGE, "%s", err);
	qmp_socket_path = o->qmp_path;
	atexit(qmp_socket_unlink);

	nt.base.name = "native";
	nt.base.boot = native_boot;
	nt.base.quitting = native_quitting;
	nt.base.take_reset = native_take_reset;
	bp->ops = ops;
	bp->ctl = &ctl;
	bp->storm_ms = o->storm_ms;
	bp->quit_deadline_ms = o->quit_deadline_ms;
	bp->kick = o->kick;
	bp->smm = sum.smm_ran;
	bp->reuse = o->reuse_vm ? &reuse : NULL;
	bp->cpus = o->cpus;
	bp->boot_timeout_ms = o->boot_timeout_ms;
	bp->console = o->console;
	bp->sync_policy = o->sync_policy;
	bp->host_smm = host.caps.smm;
	bp->hammer = hammer_params_of(o);
	bp->dump_registers = o->dump_registers;
	bp->ipi_pattern = o->ipi_pattern;
	bp->x2apic = boot_x2apic_mode(o->cpus, o->x2apic);

	pr_info("seed=%llu accel=%s cpus=%u sync-policy=%s sync-hammer=%s",
		(unsigned long long)seed, ops->name, o->cpus, sum.sync_policy, sum.sync_hammer);
	run_boots(o, &nt.base, &sum);
	control_finish(&ctl);	/* monitor commands stop waiting for a next boot */
	write_err = write_summaries(o, &sum, &host);
	qmp_server_stop(&qmp);
	qmp_socket_path = NULL;
	if (sum.class_count[FC_QUIT_TIMEOUT]) {
		/* threads are still in a guest: leave now, there is nothing to join */
		fflush(NULL);
		_exit(write_err ? HV_EXIT_USAGE : HV_EXIT_FAIL);
	}
	boot_release(&reuse);
	/* the last VMs are still being closed: let them go before the exit does */
	if (!reaper__drain(now_ns() + REAPER_WAIT_MS * 1000000ull))
		pr_err("VM teardown did not finish within %d ms; exiting anyway", REAPER_WAIT_MS);
	control_destroy(&ctl);
	return run_exit(&sum, fw_owned, write_err);
}

/* The same scenario with the host's QEMU as the VMM. */
static int cmd_qemu(const struct hv_opts *o)
{
	static struct qemu_target qt;
	struct qemu_params qp = { 0 };
	struct run_summary sum;
	struct host_info host;
	uint8_t *fw_owned = NULL;
	uint64_t seed = o->seed_set ? o->seed : random_seed();
	char err[512], accel[32];
	int ret, write_err;

	if (o->firmware) {
		fw_owned = firmware_load(o->firmware, &qp.fw_size);
		qp.fw = fw_owned;
	} else {
		qp.fw = hvsmoke_fw_start;
		qp.fw_size = (size_t)(hvsmoke_fw_end - hvsmoke_fw_start);
	}
	check_outputs(o);

	qp.binary = o->qemu;
	qp.machine = o->machine;
	qp.accel = o->qemu_accel;
	qp.extra = o->qemu_args;
	qp.nextra = o->nqemu_args;
	qp.reuse = o->qemu_reuse;
	qp.cpus = o->cpus;
	qp.boot_timeout_ms = o->boot_timeout_ms;
	qp.storm_ms = o->storm_ms;
	qp.quit_deadline_ms = o->quit_deadline_ms;
	qp.ipi_pattern = o->ipi_pattern;
	qp.console = o->console;
	qp.smm = o->smm == SMM_ON;
	qp.x2apic = boot_x2apic_mode(o->cpus, o->x2apic);
	qp.hammer = hammer_params_of(o);

	host_info_gather(&host, "auto");
	snprintf(accel, sizeof(accel), "qemu-%s", o->qemu_accel);
	summary_init(&sum, accel, o->cpus, seed);
	summary_hammer(&sum, o);
	summary_scenario(&sum, o, qp.fw, qp.fw_size);
	sum.target = "qemu";
	sum.sync_policy = "qemu";
	sum.smm_mode = o->smm == SMM_ON ? "on" : "off";
	sum.smm_ran = qp.smm;

	/* before any thread (the monitor hammer): signals are read from a signalfd */
	qmp_block_signals();
	ret = qemu_target_open(&qt, &qp, err, sizeof(err));
	sum.qemu = &qt.info;
	if (ret == HV_EXIT_SKIP) {
		snprintf(sum.skip_reason, sizeof(sum.skip_reason), "QEMU (%s, -accel %s) cannot run here: %.300s",
			 o->qemu, o->qemu_accel, err);
		ret = report_skip(o, &sum, &host);
		summary_free(&sum);
		free(fw_owned);
		return ret;
	}
	if (ret)
		die(HV_EXIT_USAGE, "%s", err);

	pr_info("seed=%llu qemu=%s (%s) accel=%s machine=%s cpus=%u monitor-hammer=%s ipi-pattern=%s",
		(unsigned long long)seed, o->qemu, qt.info.version, o->qemu_accel, o->machine,
		o->cpus, sum.sync_hammer, sum.ipi_pattern);
	run_boots(o, &qt.base, &sum);
	write_err = write_summaries(o, &sum, &host);
	qemu_target_close(&qt);
	return run_exit(&sum, fw_owned, write_err);
}

int main(int argc, char **argv)
{
	struct hv_opts o;
	char err[256];

	opts_init(&o);
	if (opts_parse(&o, argc, argv, err, sizeof(err))) {
		pr_err("%s", err);
		return HV_EXIT_USAGE;
	}
	hv_verbose = o.verbose;

	switch (o.cmd) {
	case CMD_HELP:
		opts_usage(stdout);
		return HV_EXIT_PASS;
	case CMD_VERSION:
		printf("hvsmoke %s\n", HVSMOKE_VERSION);
		return HV_EXIT_PASS;
	case CMD_MKCONFIG:
		return cmd_mkconfig(&o);
	case CMD_INFO:
		return cmd_info(&o);
	case CMD_QEMU:
		return cmd_qemu(&o);
	case CMD_COMPARE:
		return compare_main(o.base_path, o.new_path, o.json_path, o.junit_path,
				    o.max_slowdown);
	case CMD_RUN:
		break;
	}
	return cmd_run(&o);
}
