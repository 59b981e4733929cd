/* SPDX-License-Identifier: GPL-2.0-only */
/* One boot of the smoke scenario: build the VM, run it to a verdict, tear it down. */
#ifndef HVSMOKE_BOOT_H
#define HVSMOKE_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel.h"
#include "hammer.h"
#include "protocol.h"
#include "sync.h"
#include "vcpu.h"

struct control;
struct boot_live;
#include "verdict.h"

struct boot_params {
	const struct accel_ops *ops;
	const uint8_t *fw;
	size_t fw_size;
	unsigned int cpus;
	unsigned int boot_timeout_ms;
	bool console;
	uint64_t seed;
	unsigned int iteration;
	enum sync_policy sync_policy;
	bool host_smm;
	struct hammer_params hammer;	/* its seed is derived from the boot's */
	bool dump_registers;		/* dump every vCPU, not only the evidence */
	unsigned int storm_ms;		/* also added to the VMM's boot deadline */
	int quit_at_ms;			/* quit this boot this long after start; -1: never */
	unsigned int quit_deadline_ms;
	enum kick_policy kick;
	struct control *ctl;		/* the control plane, or NULL */
	bool smm;			/* run the SMM stage (the host has SMM) */
	struct boot_live **reuse;	/* --reuse-vm: the VM kept between boots, or NULL */
	unsigned int ipi_pattern;	/* enum ipi_pattern */
	bool x2apic;			/* the firmware runs every CPU in x2APIC mode */
};

/* Whether the firmware runs every CPU in x2APIC mode: on request, or past the xAPIC IDs. */
static inline bool boot_x2apic_mode(unsigned int cpus, bool asked)
{
	return asked || cpus > HVSMOKE_MAX_XAPIC_CPUS;
}

/* The SMM stage's SMRAM is laid out for xAPIC IDs (protocol.h). */
static inline bool boot_smm_fits(unsigned int cpus, bool x2apic_asked)
{
	return !boot_x2apic_mode(cpus, x2apic_asked) && cpus <= HVSMOKE_SMM_MAX_CPUS;
}

/*
 * Can the backend run a boot of cpus vCPUs (in x2APIC mode on request or
 * past HVSMOKE_MAX_XAPIC_CPUS)? 0; -E2BIG past its vCPU or vCPU ID limit
 * (a setup error); -ENOTSUP when it has no x2APIC mode (a skip). why says
 * which in one line.
 */
int boot_check_host(const struct accel_ops *ops, const struct accel_caps *caps,
		    unsigned int cpus, bool x2apic_asked, char *why, size_t len);

/* Bound from the stop request to every vCPU thread out of the guest. */
#define BOOT_STOP_DEADLINE_MS	1000

/*
 * Run one boot into r (allocated by the caller with boot_result_alloc).
 * Never blocks past the deadlines. Returns false when the process cannot
 * safely run another boot (a vCPU thread is stuck in the guest).
 */
bool boot_run(const struct boot_params *bp, struct boot_result *r);

/* Tear down a VM kept by --reuse-vm. */
void boot_release(struct boot_live **reuse);

struct boot_result *boot_result_alloc(unsigned int ncpus);
void boot_result_free(struct boot_result *r);
/* Empty r for a new boot (keeps its buffers). */
void boot_result_reset(struct boot_result *r, unsigned int iteration, uint64_t seed, bool smm);

/*
 * How long the VMM gives one boot, in ms: longer than the firmware's own
 * worst case for every stage it was told to run.
 */
uint64_t boot_budget_ms(unsigned int boot_timeout_ms, unsigned int storm_ms, bool smm);

/* The fw_cfg config file for a boot with these parameters. */
void boot_make_config(struct hvsmoke_cfg *cfg, unsigned int cpus, unsigned int boot_timeout_ms,
		      uint32_t tsc_khz, uint32_t flags, unsigned int storm_ms,
		      unsigned int ipi_pattern);

#endif
