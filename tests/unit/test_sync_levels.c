// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the level table: which set ioctls each write-back level issues and
 * which vcpu_events flags it carries, per policy. The KVM backend's real
 * write-back sequence runs against a recorder instead of /dev/kvm.
 */
#include "../../vmm/kvm/kvm.h"
#include "../../vmm/sync.h"
#include "unit.h"

#include <string.h>

#define MAX_CALLS 16

static unsigned long calls[MAX_CALLS];
static uint32_t event_flags_seen;
static uint32_t nmsrs_seen;
static uint8_t latched_init_seen;
static unsigned int ncalls;

static int recorder(int fd, unsigned long req, void *arg)
{
	(void)fd;
	if (ncalls < MAX_CALLS)
		calls[ncalls++] = req;
	if (req == KVM_SET_VCPU_EVENTS) {
		struct kvm_vcpu_events *ev = arg;

		event_flags_seen = ev->flags;
		latched_init_seen = ev->smi.latched_init;
	}
	if (req == KVM_SET_MSRS) {
		nmsrs_seen = ((struct kvm_msrs *)arg)->nmsrs;
		return (int)nmsrs_seen;	/* as KVM does: how many it took */
	}
	return 0;
}

static bool called(unsigned long req)
{
	unsigned int i;

	for (i = 0; i < ncalls; i++)
		if (calls[i] == req)
			return true;
	return false;
}

static struct vcpu_state state;

static void put(enum sync_level level, enum sync_policy policy, bool host_smm)
{
	struct sync_plan plan;

	ncalls = 0;
	event_flags_seen = 0xdead;
	nmsrs_seen = 0;
	sync_plan_for(level, policy, host_smm, &plan);
	TEST_ASSERT(kvm__put_state(3, &state, &plan, recorder) == 0, "put failed");
}

static void fill_state(void)
{
	memset(&state, 0, sizeof(state));
	state.valid = (1u << PART_COUNT) - 1;	/* everything was read, the TSC last */
	state.msrs.hdr.nmsrs = 4;
	state.msrs.entries[0].index = 0x174;
	state.msrs.entries[1].index = 0x277;
	state.msrs.entries[2].index = 0x9e;	/* IA32_SMBASE, on an SMM host */
	state.msrs.entries[3].index = 0x10;	/* IA32_TSC */
	state.events.smi.latched_init = 0;	/* the stale value of seed 000 */
}

static void test_runtime_fixed(void)
{
	fill_state();
	put(SYNC_RUNTIME, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(called(KVM_SET_REGS) && called(KVM_SET_SREGS) && called(KVM_SET_XSAVE) &&
		    called(KVM_SET_XCRS) && called(KVM_SET_MSRS) && called(KVM_SET_DEBUGREGS) &&
		    called(KVM_SET_VCPU_EVENTS), "runtime must write the vCPU's own registers");
	TEST_ASSERT(!called(KVM_SET_MP_STATE), "runtime wrote mp_state (the irqchip owns it)");
	TEST_ASSERT(!called(KVM_SET_LAPIC), "runtime wrote the LAPIC (clobbers incoming IPIs)");
	TEST_ASSERT(!(event_flags_seen & EVF_SMM),
		    "fixed runtime wrote VALID_SMM: flags %#x (seed 000)", event_flags_seen);
	TEST_ASSERT(!(event_flags_seen & (EVF_NMI_PENDING | EVF_SIPI_VECTOR)),
		    "runtime wrote NMI/SIPI state: flags %#x", event_flags_seen);
	TEST_ASSERT(event_flags_seen == EVF_SHADOW, "flags %#x", event_flags_seen);
	TEST_ASSERT(nmsrs_seen == 2, "runtime must drop the TSC and SMBASE: %u MSRs", nmsrs_seen);
	TEST_ASSERT(calls[0] == KVM_SET_REGS, "regs first");
}

static void test_reset_and_full(void)
{
	fill_state();
	put(SYNC_RESET, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(called(KVM_SET_MP_STATE) && called(KVM_SET_LAPIC), "reset writes mp_state+lapic");
	TEST_ASSERT(nmsrs_seen == 3, "reset writes SMBASE, keeps the TSC: %u", nmsrs_seen);
	/* KVM never reports a SIPI vector, so none is written back */
	TEST_ASSERT(event_flags_seen == (EVF_SHADOW | EVF_NMI_PENDING | EVF_SMM),
		    "reset flags %#x", event_flags_seen);
	state.events.flags = EVF_SIPI_VECTOR;	/* a backend that does report it */
	put(SYNC_RESET, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(event_flags_seen == (EVF_SHADOW | EVF_NMI_PENDING | EVF_SIPI_VECTOR | EVF_SMM),
		    "reset flags with a valid SIPI vector %#x", event_flags_seen);
	put(SYNC_RUNTIME, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(!(event_flags_seen & EVF_SIPI_VECTOR), "runtime wrote a SIPI vector");
	state.events.flags = 0;

	put(SYNC_RESET, SYNC_POLICY_FIXED, false);
	TEST_ASSERT(!(event_flags_seen & EVF_SMM), "no SMM on the host, yet VALID_SMM: %#x",
		    event_flags_seen);

	put(SYNC_FULL, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(nmsrs_seen == 4, "full writes the TSC too: %u", nmsrs_seen);
	TEST_ASSERT(called(KVM_SET_MP_STATE), "full writes mp_state");
}

static void test_legacy_smm(void)
{
	fill_state();
	put(SYNC_RUNTIME, SYNC_POLICY_LEGACY_SMM, false);
	TEST_ASSERT(event_flags_seen & EVF_SMM, "legacy-smm must write VALID_SMM at runtime: %#x",
		    event_flags_seen);
	TEST_ASSERT(latched_init_seen == 0, "the stale latched_init goes back as read");
	TEST_ASSERT(!called(KVM_SET_MP_STATE), "legacy-smm still keeps mp_state out");
}

static void test_legacy_init_plan_is_runtime(void)
{
	struct sync_plan plan;

	/* legacy-init's damage is done by the fetch that sees the latch, not the table */
	sync_plan_for(SYNC_RUNTIME, SYNC_POLICY_LEGACY_INIT, true, &plan);
	TEST_ASSERT(!(plan.parts & PART_BIT(PART_MP_STATE)) && !(plan.event_flags & EVF_SMM),
		    "legacy-init runtime plan %#x/%#x", plan.parts, plan.event_flags);
}

static void test_only_valid_parts(void)
{
	fill_state();
	state.valid = PART_BIT(PART_REGS);
	put(SYNC_FULL, SYNC_POLICY_FIXED, true);
	TEST_ASSERT(ncalls == 1 && calls[0] == KVM_SET_REGS, "wrote %u parts that were never read",
		    ncalls);
}

static void test_names(void)
{
	enum sync_policy p;

	TEST_ASSERT(sync_policy_parse("legacy-smm", &p) == 0 && p == SYNC_POLICY_LEGACY_SMM, "parse");
	TEST_ASSERT(sync_policy_parse("legacy", &p) == -1, "partial name accepted");
	TEST_ASSERT(!strcmp(sync_policy_name(SYNC_POLICY_FIXED), "fixed"), "name");
	TEST_ASSERT(!strcmp(state_part_name(PART_MP_STATE), "mp-state"), "part name");
}

int main(void)
{
	test_runtime_fixed();
	test_reset_and_full();
	test_legacy_smm();
	test_legacy_init_plan_is_runtime();
	test_only_valid_parts();
	test_names();
	return unit_done("test_sync_levels");
}
