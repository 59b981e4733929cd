/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The accelerator interface: the only way the VM, vCPU and scenario code reach
 * a hypervisor. KVM is the first backend (vmm/kvm/); others slot in beside it.
 */
#ifndef HVSMOKE_ACCEL_H
#define HVSMOKE_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;
struct vcpu_state;
struct sync_plan;

struct accel_caps {
	int api_version;
	int nr_vcpus;		/* recommended maximum */
	int max_vcpus;
	int max_vcpu_id;	/* vCPU (and so APIC) IDs are below it; 0: max_vcpus bounds them */
	bool x2apic;		/* vCPUs can run in x2APIC mode with 32-bit APIC IDs */
	bool irqchip;
	bool split_irqchip;
	bool immediate_exit;
	bool mp_state;
	bool vcpu_events;
	bool readonly_mem;
	bool smm;
	bool tsc_khz;
};

enum vexit_kind {
	VEXIT_IO,
	VEXIT_MMIO,
	VEXIT_HLT,
	VEXIT_SHUTDOWN,		/* triple fault */
	VEXIT_INTERNAL,		/* the accelerator could not emulate or deliver */
	VEXIT_FAIL_ENTRY,
	VEXIT_OTHER,		/* anything else; raw_reason says what */
};

struct vcpu_exit {
	enum vexit_kind kind;
	uint32_t raw_reason;		/* the accelerator's own exit code */
	uint64_t detail;		/* suberror / hardware reason, for evidence */
	struct {
		uint16_t port;
		uint8_t size;		/* 1, 2 or 4 */
		bool out;
		uint32_t count;		/* >1 for string I/O */
		uint8_t *data;		/* size * count bytes */
	} io;
	struct {
		uint64_t addr;
		uint32_t len;
		bool write;
		uint8_t *data;
	} mmio;
};

/* What a verdict shows about one vCPU when something went wrong. */
struct vcpu_brief {
	bool valid;
	bool mp_state_valid;		/* not every backend can read these two */
	bool events_valid;
	uint32_t mp_state;		/* KVM_MP_STATE_* numbering */
	uint16_t cs;
	uint64_t cs_base;
	uint64_t rip;
	bool init_pending;		/* vcpu_events.smi.latched_init */
	bool sipi_valid;
	uint32_t sipi_vector;
	bool smm;
	uint32_t events_flags;
};

/* Points of the generic vCPU loop, for the scripted accelerator's kicks. */
enum vcpu_loop_point {
	LOOP_TOP,
	LOOP_AFTER_DISARM,
	LOOP_AFTER_EXIT_CHECK,
	LOOP_AFTER_WORK,
	LOOP_BEFORE_RUN,
	LOOP_IN_RUN,		/* called by the accelerator's run itself */
	LOOP_AFTER_RUN,
	LOOP_AFTER_HANDLE,
	LOOP_POINT_COUNT,
};

struct accel_ops {
	const char *name;
	/* Open the device and fill caps. 0, -ENODEV when absent (a skip), or -errno. */
	int (*probe)(struct accel_caps *caps, char *why, size_t len);
	int (*vm_create)(struct vm *vm);
	/* Map guest memory; smm: into the SMM address space (address-space 1). */
	int (*vm_map)(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva, uint64_t size,
		      bool readonly, bool smm);
	/*
	 * Once the memory is mapped, before any vCPU: the interrupt controller
	 * (NULL where the backend has none to make). After the maps, because a
	 * memslot added once KVM's irqchip exists costs milliseconds.
	 */
	int (*vm_irqchip)(struct vm *vm);
	/*
	 * Before any vCPU, where the firmware runs in x2APIC mode: APIC IDs
	 * past 255 must survive the state ioctls, and 0xff must be an ID, not
	 * a broadcast. NULL where the backend needs nothing for it
	 * (caps.x2apic says whether it can run x2APIC mode at all).
	 */
	int (*vm_x2apic)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	int (*vcpu_create)(struct vcpu *vcpu);
	void (*vcpu_destroy)(struct vcpu *vcpu);
	/*
	 * Optional, for a VM whose vCPU threads are all gone: drop the vCPU's
	 * mappings but keep its fd. munmap takes the process's mmap lock, and
	 * done on the reaper thread (reaper.h) it stalled the next boot's
	 * threads: a quit's p99 went from 0.3 ms to 1-2 ms. A backend that
	 * has this may also have its guest memory unmapped before the close.
	 */
	void (*vcpu_unmap)(struct vcpu *vcpu);
	/* Enter the guest once. 0 with *exit filled, or -EINTR / -EAGAIN / -errno. */
	int (*vcpu_run)(struct vcpu *vcpu, struct vcpu_exit *exit);
	/*
	 * Finish an I/O or MMIO exit in userspace once the VMM has handled it
	 * (for an IN, the data is in exit->io.data): set the result, step RIP.
	 * NULL where the next entry finishes it (KVM); a backend without
	 * immediate_exit must provide it, or a request would wait on the guest.
	 */
	int (*vcpu_complete_io)(struct vcpu *vcpu, const struct vcpu_exit *exit);
	/*
	 * Make the next (or the current) entry return at once. Called from any
	 * thread; must be async-signal-safe and lock-free.
	 */
	void (*vcpu_arm_kick)(struct vcpu *vcpu);
	/* Called by the vCPU thread itself before it looks at its requests. */
	void (*vcpu_disarm_kick)(struct vcpu *vcpu);
	/* Read every part of the vCPU's state (events before mp_state). 0 or -errno. */
	int (*vcpu_get_state)(struct vcpu *vcpu, struct vcpu_state *state);
	/* Write the parts and vcpu_events flags the plan names. 0 or -errno. */
	int (*vcpu_put_state)(struct vcpu *vcpu, const struct vcpu_state *state,
			      const struct sync_plan *plan);
	/* Raise an SMI on the vCPU (taken at its next entry). 0 or -errno. */
	int (*vcpu_smi)(struct vcpu *vcpu);
	/* Test hook, NULL in real backends: the vCPU thread passes a loop point. */
	void (*loop_point)(struct vcpu *vcpu, enum vcpu_loop_point point);
	/* TSC frequency the guest sees, in kHz; 0 if unknown. */
	uint32_t (*vcpu_tsc_khz)(struct vcpu *vcpu);
};

/*
 * Resolve --accel (kvm, mshv, auto: KVM then MSHV, script:FILE) and probe it.
 * 0 with *ops and *caps set; -ENODEV when nothing usable is here (a skip),
 * -EINVAL for a bad script, or another -errno; why says what in one line.
 */
int accel_select(const char *name, const struct accel_ops **ops, struct accel_caps *caps,
		 char *why, size_t len);

extern const struct accel_ops kvm_accel_ops;
extern const struct accel_ops mshv_accel_ops;

const char *mp_state_name(uint32_t mp_state);

#endif
