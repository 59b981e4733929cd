/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hvsmoke compare: a baseline run's JSON against a new one's. The question a
 * host upgrade asks is not "did this run pass" but "what got worse": a
 * failure class that is new, a positive control that went blind, latency
 * slower beyond noise, a capability the host lost.
 */
#ifndef HVSMOKE_COMPARE_H
#define HVSMOKE_COMPARE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMP_MAX_CHECKS		64
#define CMP_MAX_NOTES		32
#define CMP_MIN_SAMPLES_P50	20	/* fewer: the median is not judged */
#define CMP_MIN_SAMPLES_P99	100	/* fewer: p99 is the maximum, not judged */
#define CMP_BOOTSTRAP_ROUNDS	1000
#define CMP_CONFIDENCE_PCT	99	/* one-sided, for the ratio's lower bound */
#define CMP_BLOCKS		10	/* contiguous stretches a run is resampled in */
/*
 * A quantile must also be this much slower: a 35 us change in an 80 us
 * quit is a scheduler's wake-up, not a regression, whatever its ratio.
 */
#define CMP_MIN_SLOWDOWN_US	200
/*
 * Latency is judged only when other processes took little of the host's
 * CPU time, and about as much, in both runs (fractions of all CPUs' time):
 * beyond that a slowdown may be the neighbours', not the upgrade's. On this
 * project's shared 2-core hosts, healthy runs 9 points apart at 49% and 58%
 * differed by x1.5 at p50.
 */
#define CMP_MAX_FOREIGN_LOAD		0.25
#define CMP_MAX_FOREIGN_LOAD_DIFF	0.10

enum cmp_kind { CK_RUN, CK_CLASS, CK_CONTROL, CK_LATENCY, CK_CAPABILITY };
enum cmp_outcome { CO_OK, CO_REGRESSION, CO_SKIP };

struct cmp_check {
	char id[48];			/* stable across runs: "class/ap-missing" */
	enum cmp_kind kind;
	enum cmp_outcome result;
	char detail[400];		/* one line */
};

/* One latency metric: the samples' quantiles and NEW/BASE with its bound. */
struct cmp_latency {
	char name[16];			/* "boot_us", "quit_us", "monitor_us" */
	size_t n_base, n_new;
	uint32_t base_p50, base_p99, new_p50, new_p99;
	bool judged_p50, judged_p99;
	double ratio_p50, lower_p50;	/* lower: the bootstrap's one-sided bound */
	double ratio_p99, lower_p99;
};

struct cmp_result {
	struct cmp_check checks[CMP_MAX_CHECKS];
	size_t nchecks;
	unsigned int regressions;
	char notes[CMP_MAX_NOTES][256];
	size_t nnotes;
	struct cmp_latency lat[3];
	size_t nlat;
};

/*
 * Compare two parsed run JSONs. 0 with r filled; -1 when they cannot be
 * compared (not a run JSON, a field of the wrong type, different
 * scenarios), with one line in why naming which file and what.
 */
int compare_runs(json_t *base, const char *base_name, json_t *new_run, const char *new_name,
		 double max_slowdown, struct cmp_result *r, char *why, size_t len);

/*
 * NEW's q-quantile over BASE's (q in (0,1], nearest rank), and the lower
 * bound of its one-sided CMP_CONFIDENCE_PCT% block-bootstrap interval: each
 * list, in the order its samples were taken, resampled as CMP_BLOCKS
 * contiguous stretches, CMP_BOOTSTRAP_ROUNDS times from a fixed seed, so the
 * same files always give the same answer. Both lists must be non-empty.
 */
void compare_quantile_ratio(const uint32_t *base, size_t nb, const uint32_t *new_s, size_t nn,
			    double q, double *ratio, double *lower);

/* The `compare` command: reads, compares, prints TAP, writes the reports. An exit code. */
int compare_main(const char *base_path, const char *new_path, const char *json_path,
		 const char *junit_path, double max_slowdown);

#endif
