/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The register-sync engine, modelled on how a full VMM synchronises vCPU
 * state: a requester queues a fetch on the vCPU's own thread, the thread reads
 * the whole state and marks itself dirty, and before its next guest entry it
 * writes the state back at a level. Which parts each level writes is the
 * level table below; the write-back policy decides the SMM/INIT corner that
 * ../shared/seeds/000 is about.
 */
#ifndef HVSMOKE_SYNC_H
#define HVSMOKE_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86_state.h"

struct vcpu;
struct accel_caps;

enum sync_level {
	SYNC_RUNTIME = 1,	/* the vCPU keeps running: never touch what the irqchip owns */
	SYNC_RESET = 2,		/* after a reset: the vCPU's whole architectural state */
	SYNC_FULL = 3,		/* first start / migration: also what only changes then (TSC) */
};

enum sync_policy {
	SYNC_POLICY_FIXED,		/* SMM state only at reset and above (the seed's patch) */
	SYNC_POLICY_LEGACY_SMM,		/* runtime writes VALID_SMM with the stale latched_init */
	SYNC_POLICY_LEGACY_INIT,	/* runtime sync that sees latched_init performs INIT itself */
};

/* The parts of vCPU state, one set ioctl each (KVM's numbering of the world). */
enum state_part {
	PART_REGS,
	PART_XSAVE,
	PART_XCRS,
	PART_SREGS,
	PART_MSRS,		/* the runtime MSR set */
	PART_MSR_TSC,		/* IA32_TSC: only with a full write */
	PART_MSR_SMBASE,	/* IA32_SMBASE (SMM hosts): reset and full only */
	PART_EVENTS,
	PART_MP_STATE,
	PART_LAPIC,
	PART_DEBUGREGS,
	PART_COUNT,
};

#define PART_BIT(p)	(1u << (p))

/* vcpu_events flags, as KVM defines them */
#define EVF_NMI_PENDING	0x01u
#define EVF_SIPI_VECTOR	0x02u
#define EVF_SHADOW	0x04u
#define EVF_SMM		0x08u

/* What one write-back does: which parts, and which vcpu_events flags. */
struct sync_plan {
	uint32_t parts;
	uint32_t event_flags;
};

/*
 * The level table. host_smm says whether the host can hold SMM state at all
 * (KVM_CAP_X86_SMM); without it the fixed policy never writes VALID_SMM.
 */
void sync_plan_for(enum sync_level level, enum sync_policy policy, bool host_smm,
		   struct sync_plan *plan);
const char *state_part_name(enum state_part part);
const char *sync_policy_name(enum sync_policy policy);
int sync_policy_parse(const char *s, enum sync_policy *out);

/* Per-vCPU sync state; lives in struct vcpu. */
struct vcpu_sync {
	struct vcpu_state state;
	bool dirty;
	struct sync_plan writeback;	/* the plan for the pending write-back */
	enum sync_policy policy;
	bool host_smm;
	/* counted on the vCPU thread, read after it stopped */
	uint64_t fetches;
	uint64_t writebacks;
	uint64_t legacy_inits;		/* legacy-init: INITs the VMM "performed" */
	uint64_t errors;
	int last_error;
};

/*
 * Ask vcpu to fetch its state on its own thread and mark itself dirty; copy
 * the state to out (may be NULL) once fetched. Waits until deadline_ns.
 * 0, -ETIMEDOUT, or -ESRCH when the vCPU thread has already stopped.
 */
int sync_request(struct vcpu *vcpu, struct vcpu_state *out, uint64_t deadline_ns);

/* Called by the vCPU thread before each guest entry. */
void sync_before_entry(struct vcpu *vcpu);

#endif
