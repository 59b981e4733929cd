/* SPDX-License-Identifier: GPL-2.0-only */
/* KVM backend internals that the unit tests reach: the state write-back sequence. */
#ifndef HVSMOKE_KVM_H
#define HVSMOKE_KVM_H

#include "../sync.h"

typedef int (*kvm_ioctl_fn)(int fd, unsigned long req, void *arg);

/*
 * Issue the set ioctls that plan asks for, in a fixed order, through
 * do_ioctl (the real ioctl(2) in production, a recorder in tests).
 */
int kvm__put_state(int fd, const struct vcpu_state *state, const struct sync_plan *plan,
		   kvm_ioctl_fn do_ioctl);

#endif
