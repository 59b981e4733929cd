/* SPDX-License-Identifier: GPL-2.0-only */
/* KVM backend internals that the unit tests reach: the state write-back sequence, CPUID. */
#ifndef HVSMOKE_KVM_H
#define HVSMOKE_KVM_H

#include "../sync.h"

#include <linux/kvm.h>

typedef int (*kvm_ioctl_fn)(int fd, unsigned long req, void *arg);

/*
 * Issue the set ioctls that plan asks for, in a fixed order, through
 * do_ioctl (the real ioctl(2) in production, a recorder in tests).
 */
int kvm__put_state(int fd, const struct vcpu_state *state, const struct sync_plan *plan,
		   kvm_ioctl_fn do_ioctl);

/* Entries kvm__cpuid_build may add to the host's list: leaves 0xb and 0x1f, 3 subleaves each. */
#define KVM_CPUID_TOPO_ENTRIES	6

/*
 * One vCPU's CPUID in a VM of ncpus vCPUs, from the host's supported list
 * (nhost entries): the topology of one package of ncpus cores with one
 * thread each, this vCPU's APIC ID in it, and x2APIC. out holds nhost +
 * KVM_CPUID_TOPO_ENTRIES entries; returns how many it filled.
 */
unsigned int kvm__cpuid_build(const struct kvm_cpuid_entry2 *host, unsigned int nhost,
			      unsigned int apic_id, unsigned int ncpus,
			      struct kvm_cpuid_entry2 *out);

#endif
