/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The architectural state of one x86 vCPU, in the layout of the KVM UAPI
 * structs (which any backend can translate to), plus the dump that
 * `info registers` shows.
 */
#ifndef HVSMOKE_X86_STATE_H
#define HVSMOKE_X86_STATE_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define X86_STATE_MAX_MSRS	16

struct vcpu_state {
	uint32_t valid;			/* PART_BIT()s that were read */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[X86_STATE_MAX_MSRS];
	} msrs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp_state;
	struct kvm_lapic_state lapic;
	struct kvm_debugregs debugregs;
};

/* Put state at the architectural INIT/reset values (what INIT does to an AP). */
void x86_state_reset_regs(struct vcpu_state *s);

/* An `info registers`-style dump of one vCPU; returns the length written. */
size_t x86_state_dump(const struct vcpu_state *s, unsigned int cpu, char *buf, size_t len);

#endif
