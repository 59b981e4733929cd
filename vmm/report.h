/* SPDX-License-Identifier: GPL-2.0-only */
/* Output: TAP 13 on stdout as boots finish, and JSON / JUnit summaries at the end. */
#ifndef HVSMOKE_REPORT_H
#define HVSMOKE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "accel.h"
#include "verdict.h"

#define HVSMOKE_VERSION		"0.2.0"
/* Raised when a field changes meaning or goes away; new fields keep it. */
#define REPORT_SCHEMA_VERSION	1
#define REPORT_MAX_FAILURES	1000	/* kept for the summaries; the rest are only counted */
/* Raw samples written per list; a longer list is thinned to every k-th. */
#define REPORT_MAX_JSON_SAMPLES	65536
#define REPORT_MAX_MONITOR_SAMPLES	(1u << 20)	/* 4 MiB, however long the run */

struct failure_rec {
	unsigned int iteration;
	enum fail_class cls;
	char detail[256];
	char evidence[1024];		/* one line per evidence vCPU, for JUnit */
	char *notes;			/* the target's own evidence (QEMU threads, stderr), or NULL */
	char *registers;		/* the evidence vCPUs' `info registers`, or NULL */
};

/* The QEMU a run drove (the QEMU target), for the host block. */
struct qemu_host {
	char binary[256];
	char version[32];		/* query-version: "major.minor.micro" */
	char package[96];
	char machine[16];
	char accel[16];
};

struct host_info {
	char kernel[128];
	char cpu_model[128];
	const struct accel_ops *ops;	/* the selected backend */
	const char *accel;
	bool accel_ok;
	int probe_err;			/* accel_select's result */
	char accel_why[384];
	struct accel_caps caps;
	bool kvm_ok, mshv_ok;		/* each backend on its own, for `info` */
	int kvm_err, mshv_err;		/* their probes' results: absent is not forbidden */
	char kvm_why[160], mshv_why[160];
};

#include "samples.h"

/*
 * What a run was asked to do, beyond what run_summary already names: two
 * runs compare only when their workloads match (compare.c), and a known-bad
 * mode switched on here makes the run a positive control.
 */
struct scenario_info {
	const char *sync_targets;	/* "all" or "aps" */
	const char *kick;		/* "exit-request" or "legacy-signal" */
	unsigned int storm_ms;
	char quit_at[16];		/* "never", "random" or milliseconds */
	unsigned int quit_deadline_ms;
	unsigned int boot_timeout_ms;
	const char *apic_mode;		/* "xapic" or "x2apic" */
	bool reuse;			/* --reuse-vm / --qemu-reuse */
	char fw_variant[24];		/* the image's own tag; "custom" without one */
	const char *fw_source;		/* "embedded" or "file" */
	size_t fw_size;
	uint64_t fw_fnv1a64;
	const char *machine;		/* the QEMU target's, else NULL */
	const char *qemu_accel;
	unsigned int iterations;	/* as asked: 0 with --duration */
	unsigned int duration_s;
	bool stop_on_failure;
};

struct run_summary {
	const char *target;		/* "native" or "qemu" */
	struct scenario_info scenario;
	char started_utc[24];		/* ISO 8601, when summary_init ran */
	const char *ipi_pattern;
	const struct qemu_host *qemu;	/* the QEMU target's, else NULL */
	struct samples monitor_us;	/* QEMU target: answered monitor commands' latencies, a
					 * uniform sample of at most REPORT_MAX_MONITOR_SAMPLES */
	uint64_t monitor_seen;		/* latencies offered to that sample */
	uint64_t monitor_rng;
	const char *accel;
	unsigned int cpus;
	uint64_t seed;
	unsigned int iterations_run;
	unsigned int passed;
	unsigned int class_count[FC_COUNT];
	struct samples boot_us;		/* one per boot that completed */
	struct samples boot_iter;	/* the iteration of each boot_us sample */
	struct samples quit_us;		/* one per quit: quit -> all vCPU threads joined */
	unsigned int quits;
	uint8_t *classes;		/* one enum fail_class per boot run */
	size_t classes_cap;
	struct failure_rec *failures;
	size_t nfailures;		/* stored */
	unsigned int failures_total;
	double elapsed_s;
	const char *verdict;		/* "pass", "fail", "skip", "error" */
	const char *sync_policy;
	const char *smm_mode;		/* --smm */
	bool smm_ran;			/* the SMM stage was part of each boot */
	char smm_skip[128];		/* --smm auto on a host without SMM: why */
	char sync_hammer[24];		/* "off", "max" or "<hz>" */
	uint64_t t_start_ns;		/* for first_failure's seconds */
	uint64_t syncs;
	uint64_t sweeps;
	uint64_t hammer_ns;
	uint64_t sync_timeouts;
	uint64_t monitor_errors;	/* QEMU target: monitor commands answered with an error */
	uint64_t legacy_inits;
	uint64_t first_all_online_ns;	/* CLOCK_MONOTONIC when boot 1 had every AP online */
	unsigned int first_failure_iteration;	/* 0: none */
	double first_failure_s;
	char skip_reason[448];
	/*
	 * How busy the host was while the boots ran, as fractions of all its
	 * CPUs' time: a latency is comparable with another run's only when
	 * other processes took about as much of the host (compare.c).
	 */
	struct cpu_mark {
		uint64_t total, idle;	/* /proc/stat jiffies, all CPUs */
		double own_s;		/* this process and its reaped children */
	} load_start;
	bool load_known;
	double load_busy, load_own, load_foreign;
};

/* Host facts, and --accel resolved and probed (see accel_select). */
void host_info_gather(struct host_info *h, const char *accel_name);
void host_info_print(FILE *f, const struct host_info *h, bool json);

void summary_init(struct run_summary *s, const char *accel, unsigned int cpus, uint64_t seed);
/* A firmware image's variant tag ("hvsmoke-fw:variant=NAME"), or "custom". */
void firmware_identify(struct scenario_info *sc, const uint8_t *fw, size_t size, bool embedded);
void summary_add(struct run_summary *s, const struct boot_result *r);
/* Bracket the boots: the host's CPU load over them goes into the JSON. */
void summary_load_start(struct run_summary *s, double live_child_cpu_s);
void summary_load_end(struct run_summary *s, double live_child_cpu_s);
void summary_free(struct run_summary *s);

void tap_header(FILE *f, const struct run_summary *s, unsigned int iterations_planned);
void tap_footer(FILE *f, const struct run_summary *s, bool plan_at_end);
void tap_boot(FILE *f, const struct boot_result *r);
/* The register dump of a boot as TAP comments (--dump-registers). */
void tap_dump(FILE *f, const struct boot_result *r);

/*
 * Written whole or not at all (see struct out_file): 0, or -1 with the
 * reason in why and the file as it was.
 */
int json_write(const char *path, const struct run_summary *s, const struct host_info *h,
	       char *why, size_t len);
int junit_write(const char *path, const struct run_summary *s, char *why, size_t len);
/* s as XML text or attribute: markup escaped, control characters but \n and \t dropped. */
void xml_str(FILE *f, const char *s);

#endif
