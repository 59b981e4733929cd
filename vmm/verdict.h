/* SPDX-License-Identifier: GPL-2.0-only */
/* What one boot showed, and the verdict drawn from it: pass or one failure class. */
#ifndef HVSMOKE_VERDICT_H
#define HVSMOKE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel.h"
#include "devices/events.h"
#include "hammer.h"
#include "samples.h"

enum fail_class {
	FC_PASS,
	FC_AP_MISSING,
	FC_AP_DUPLICATE,
	FC_AP_RESET,
	FC_BOOT_TIMEOUT,
	FC_GUEST_CRASH,
	FC_VMM_ERROR,
	FC_QUIT_TIMEOUT,
	FC_SMM_MISSING,
	FC_SMM_STUCK,
	FC_SMM_RELOCATION,
	FC_COUNT,
};

struct vcpu_report {
	struct vcpu_brief brief;	/* read after the vCPU stopped; only on failure */
	uint64_t entries;
	uint64_t exits;
	uint64_t io_exits;
	uint64_t eintr;
	uint64_t eagain;
	bool evidence;			/* the verdict points at this vCPU */
	bool stuck;			/* its thread never left the guest after the stop */
	uint64_t exits_at_deadline;	/* when stuck: its exit count, and 10 ms later */
	uint64_t exits_10ms_later;
	char note[128];			/* a target's own evidence for this vCPU (QEMU: HLT, thread) */
};

struct boot_result {
	unsigned int iteration;
	unsigned int ncpus;
	uint64_t seed;			/* this boot's own seed */
	struct ev_log log;
	int completion;			/* -1: none before the deadline */
	bool timed_out;
	uint64_t boot_ns;		/* threads started -> completion */
	uint64_t online_ns;		/* threads started -> last AP online */
	int crash_vcpu;			/* -1: none */
	struct vcpu_exit crash_exit;
	int vmm_error;			/* -errno */
	int vmm_error_vcpu;
	char setup_error[160];		/* the VM could not be built or torn down */
	unsigned int stuck_threads;	/* vCPU threads that never left the guest */
	int abort;			/* enum platform_abort: quit or reset from outside */
	bool smm_stage;			/* the firmware was asked to run its SMM stage */
	int smi_error;			/* -errno of a failed KVM_SMI for port 0xB2 */
	bool quit_internal;		/* the quit was this boot's --quit-at */
	bool not_run;			/* a quit came before its vCPUs could start: no verdict */
	uint64_t quit_after_ns;		/* threads started -> quit */
	uint64_t quit_latency_ns;	/* quit -> every vCPU thread joined */
	uint64_t post_writes;
	uint64_t unhandled_io;
	struct vcpu_report *vcpus;	/* ncpus entries */

	struct hammer_stats hammer;
	uint64_t sync_fetches;
	uint64_t sync_writebacks;
	uint64_t legacy_inits;
	uint64_t sync_errors;		/* failed state reads or write-backs */
	int sync_error_vcpu;
	int sync_last_error;		/* -errno */
	char *regdump;			/* `info registers` of the dumped vCPUs, or NULL */
	char *notes;			/* a target's own evidence (QEMU: threads, stderr), or NULL */
	struct samples monitor_us;	/* the QEMU target's monitor command latencies */

	enum fail_class cls;
	char detail[256];
};

const char *fail_class_name(enum fail_class cls);
/* Fill r->cls, r->detail and each vcpus[i].evidence from the facts in r. */
void verdict_classify(struct boot_result *r);

#endif
