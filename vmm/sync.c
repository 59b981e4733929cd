// SPDX-License-Identifier: GPL-2.0-only
/* The level table, the write-back policies and the fetch/write-back engine. */
#include "sync.h"
#include "accel.h"
#include "vcpu.h"
#include "vm.h"

#include <errno.h>
#include <string.h>

/*
 * The level table: what each write-back level writes.
 *
 *   part / flag          runtime  reset  full   why
 *   regs, xsave, xcrs       x       x      x     the vCPU's own registers
 *   sregs, msrs             x       x      x     (runtime MSRs exclude the TSC)
 *   debugregs               x       x      x
 *   events (base, SHADOW)   x       x      x     injected exception/IRQ/NMI, irq shadow
 *   events NMI_PENDING              x      x     a pending NMI belongs to the irqchip
 *   events SIPI_VECTOR              x      x     ditto a received SIPI
 *   events SMM (+latched_init)      x*     x*    *only if the host has SMM; the INIT
 *                                                latch is the irqchip's (seed 000)
 *   mp_state                        x      x     the irqchip moves it (INIT/SIPI/HLT)
 *   msr IA32_SMBASE                 x      x     SMM state; a reset puts it back to 0x30000
 *   lapic                           x      x     other vCPUs' IPIs land in it
 *   msr IA32_TSC                           x     writing it skews guest time
 *
 * legacy-smm writes events SMM (with the latched_init read earlier) at every
 * level, runtime included: the pre-patch behaviour. legacy-init's extra
 * writes are made by the fetch that sees latched_init (see sync_fetch).
 */
void sync_plan_for(enum sync_level level, enum sync_policy policy, bool host_smm,
		   struct sync_plan *plan)
{
	plan->parts = PART_BIT(PART_REGS) | PART_BIT(PART_XSAVE) | PART_BIT(PART_XCRS) |
		      PART_BIT(PART_SREGS) | PART_BIT(PART_MSRS) | PART_BIT(PART_EVENTS) |
		      PART_BIT(PART_DEBUGREGS);
	plan->event_flags = EVF_SHADOW;

	if (level >= SYNC_RESET) {
		plan->parts |= PART_BIT(PART_MP_STATE) | PART_BIT(PART_LAPIC) |
			       PART_BIT(PART_MSR_SMBASE);
		plan->event_flags |= EVF_NMI_PENDING | EVF_SIPI_VECTOR;
		if (host_smm)
			plan->event_flags |= EVF_SMM;
	}
	if (level >= SYNC_FULL)
		plan->parts |= PART_BIT(PART_MSR_TSC);
	if (policy == SYNC_POLICY_LEGACY_SMM)
		plan->event_flags |= EVF_SMM;
}

const char *state_part_name(enum state_part part)
{
	static const char *const names[PART_COUNT] = {
		[PART_REGS] = "regs", [PART_XSAVE] = "xsave", [PART_XCRS] = "xcrs",
		[PART_SREGS] = "sregs", [PART_MSRS] = "msrs", [PART_MSR_TSC] = "msr-tsc",
		[PART_MSR_SMBASE] = "msr-smbase",
		[PART_EVENTS] = "vcpu-events", [PART_MP_STATE] = "mp-state",
		[PART_LAPIC] = "lapic", [PART_DEBUGREGS] = "debugregs",
	};

	return part < PART_COUNT ? names[part] : "?";
}

static const char *const policy_names[] = {
	[SYNC_POLICY_FIXED] = "fixed",
	[SYNC_POLICY_LEGACY_SMM] = "legacy-smm",
	[SYNC_POLICY_LEGACY_INIT] = "legacy-init",
};

const char *sync_policy_name(enum sync_policy policy)
{
	return policy <= SYNC_POLICY_LEGACY_INIT ? policy_names[policy] : "?";
}

int sync_policy_parse(const char *s, enum sync_policy *out)
{
	unsigned int i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(s, policy_names[i])) {
			*out = (enum sync_policy)i;
			return 0;
		}
	}
	return -1;
}

struct fetch_req {
	struct vcpu_state *out;
	int err;
};

/* Runs on the vCPU's own thread, between two guest entries. */
static void sync_fetch(struct vcpu *vcpu, void *arg)
{
	struct vcpu_sync *s = &vcpu->sync;
	struct fetch_req *req = arg;
	int r;

	if (!s->dirty) {
		r = vcpu->vm->ops->vcpu_get_state(vcpu, &s->state);
		if (r) {
			s->errors++;
			s->last_error = r;
			req->err = r;
			return;
		}
		s->fetches++;
		s->dirty = true;
		sync_plan_for(SYNC_RUNTIME, s->policy, s->host_smm, &s->writeback);

		if (s->policy == SYNC_POLICY_LEGACY_INIT && s->state.events.smi.latched_init) {
			/*
			 * The known-bad pattern: the VMM takes the INIT it saw
			 * latched as its own to perform. It consumes the latch,
			 * resets the registers and makes the vCPU runnable, all
			 * at runtime level, so the SIPI that follows is lost and
			 * the AP runs the reset vector.
			 */
			x86_state_reset_regs(&s->state);
			s->state.mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
			s->state.events.smi.latched_init = 0;
			s->writeback.parts |= PART_BIT(PART_MP_STATE);
			s->writeback.event_flags |= EVF_SMM;
			s->legacy_inits++;
		}
	}
	if (req->out)
		memcpy(req->out, &s->state, sizeof(*req->out));
}

int sync_request(struct vcpu *vcpu, struct vcpu_state *out, uint64_t deadline_ns)
{
	struct fetch_req req = { .out = out };
	int r = vcpu__run_on(vcpu, sync_fetch, &req, deadline_ns);

	return r ? r : req.err;
}

void sync_before_entry(struct vcpu *vcpu)
{
	struct vcpu_sync *s = &vcpu->sync;
	int r;

	if (!s->dirty)
		return;
	r = vcpu->vm->ops->vcpu_put_state(vcpu, &s->state, &s->writeback);
	if (r) {
		s->errors++;
		s->last_error = r;
	} else {
		s->writebacks++;
	}
	s->dirty = false;
}
