// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the verdict picks one class per boot with the documented precedence,
 * trusts the VMM's own counts over the firmware's code, and points the
 * evidence at the right vCPUs.
 */
#include "../../vmm/boot.h"
#include "../../vmm/devices/platform.h"
#include "../../vmm/protocol.h"
#include "../../vmm/verdict.h"
#include "unit.h"

#include <string.h>

#define NCPUS 4

static struct vcpu_report reports[NCPUS];

static void good_boot(struct boot_result *r)
{
	unsigned int i;

	memset(r, 0, sizeof(*r));
	memset(reports, 0, sizeof(reports));
	r->ncpus = NCPUS;
	r->vcpus = reports;
	r->crash_vcpu = -1;
	r->completion = DONE_PASS;
	ev_log_init(&r->log, NCPUS);
	r->log.boot_seen = true;
	r->log.expected = NCPUS;
	r->log.scan_done = true;
	r->log.scan_online = NCPUS - 1;
	r->log.phases = 0x7e;	/* every phase, as a finished boot reports them */
	r->log.total = 20;
	for (i = 1; i < NCPUS; i++)
		r->log.online[i] = 1;
}

static void test_pass(void)
{
	struct boot_result r;

	good_boot(&r);
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_PASS, "class %s: %s", fail_class_name(r.cls), r.detail);
}

static void test_missing(void)
{
	struct boot_result r;

	good_boot(&r);
	r.log.online[2] = 0;
	r.log.scan_online = 2;
	r.completion = DONE_AP_MISSING;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING, "class %s", fail_class_name(r.cls));
	TEST_ASSERT(reports[2].evidence && !reports[1].evidence && !reports[0].evidence,
		    "evidence must point at vCPU 2 only");
	TEST_ASSERT(strstr(r.detail, "apic 2") != NULL, "detail: %s", r.detail);

	/* the firmware says pass, the VMM saw no report: still missing */
	good_boot(&r);
	r.log.online[3] = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING, "VMM count overruled: %s", fail_class_name(r.cls));

	/* firmware never finished, an AP never came: missing, not timeout */
	good_boot(&r);
	r.completion = -1;
	r.log.scan_done = false;
	r.log.online[1] = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING, "class %s", fail_class_name(r.cls));
	TEST_ASSERT(strstr(r.detail, "no completion") != NULL, "detail: %s", r.detail);
}

static void test_precedence(void)
{
	struct boot_result r;

	good_boot(&r);
	r.log.online[1] = 0;
	r.log.reset[1] = 1;
	r.log.online[2] = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_RESET, "reset beats duplicate and missing: %s",
		    fail_class_name(r.cls));
	TEST_ASSERT(reports[1].evidence && !reports[2].evidence, "reset evidence");

	good_boot(&r);
	r.log.online[2] = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_DUPLICATE, "class %s", fail_class_name(r.cls));
	TEST_ASSERT(reports[2].evidence, "duplicate evidence");

	good_boot(&r);
	r.crash_vcpu = 1;
	r.crash_exit.kind = VEXIT_SHUTDOWN;
	r.log.online[3] = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_GUEST_CRASH, "crash beats missing: %s", fail_class_name(r.cls));
	TEST_ASSERT(strstr(r.detail, "triple fault") != NULL, "detail: %s", r.detail);

	good_boot(&r);
	r.crash_vcpu = 1;
	r.vmm_error = -5;
	r.vmm_error_vcpu = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_VMM_ERROR, "vmm error beats crash: %s", fail_class_name(r.cls));

	good_boot(&r);
	r.stuck_threads = 1;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_QUIT_TIMEOUT && strstr(r.detail, "end-of-boot stop"),
		    "stuck thread: %s %s", fail_class_name(r.cls), r.detail);
}

static void test_timeout_and_protocol(void)
{
	struct boot_result r;

	good_boot(&r);
	r.completion = -1;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_BOOT_TIMEOUT, "class %s", fail_class_name(r.cls));
	TEST_ASSERT(reports[0].evidence && reports[3].evidence, "timeout shows every vCPU");

	good_boot(&r);
	r.log.bad = 1;
	strcpy(r.log.bad_detail, "unknown event type 0x77");
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_GUEST_CRASH && strstr(r.detail, "0x77"), "protocol: %s %s",
		    fail_class_name(r.cls), r.detail);

	good_boot(&r);
	r.log.expected = 3;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_VMM_ERROR, "expected-count mismatch: %s", fail_class_name(r.cls));

	good_boot(&r);
	r.completion = DONE_AP_DUP;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_DUPLICATE, "firmware-only duplicate: %s",
		    fail_class_name(r.cls));
}

static void test_completion_codes(void)
{
	struct boot_result r;
	unsigned int i;

	/* an ICR stuck before INIT leaves every AP missing: the ICR is the diagnosis */
	good_boot(&r);
	for (i = 1; i < NCPUS; i++)
		r.log.online[i] = 0;
	r.log.scan_done = false;
	r.completion = DONE_ICR;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_GUEST_CRASH && strstr(r.detail, "ICR"), "ICR: %s %s",
		    fail_class_name(r.cls), r.detail);

	good_boot(&r);
	r.completion = 0x42;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_GUEST_CRASH && strstr(r.detail, "0x42"), "unknown code: %s %s",
		    fail_class_name(r.cls), r.detail);

	good_boot(&r);
	r.completion = DONE_CONFIG;
	r.crash_vcpu = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_VMM_ERROR && reports[0].evidence, "config: %s",
		    fail_class_name(r.cls));
}

static void test_quit(void)
{
	struct boot_result r;

	/* a quit in the middle of the scan is not a missing AP */
	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.completion = -1;
	r.log.scan_done = false;
	r.log.online[2] = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_PASS, "quit cut short: %s", fail_class_name(r.cls));

	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.completion = -1;
	r.log.reset[1] = 1;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_RESET, "what went wrong before the quit still counts: %s",
		    fail_class_name(r.cls));

	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.stuck_threads = 1;
	reports[3].stuck = true;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_QUIT_TIMEOUT && strstr(r.detail, "after the quit: vcpu 3"),
		    "quit-timeout: %s %s", fail_class_name(r.cls), r.detail);
}

/* Issue 11, item 4: a quit never turns what the firmware found lost into a pass. */
static void test_quit_keeps_lost_aps(void)
{
	struct boot_result r;

	/* the scan ended and reported AP 2 missing; the quit came after */
	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.completion = -1;
	r.log.online[2] = 0;
	r.log.scan_online = 2;
	r.log.fw_missing[2] = true;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING && strstr(r.detail, "apic 2") && reports[2].evidence,
		    "lost before the quit: %s %s", fail_class_name(r.cls), r.detail);

	/* a finished scan short of an AP, without the missing event yet */
	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.completion = -1;
	r.log.online[3] = 0;
	r.log.scan_online = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING && strstr(r.detail, "apic 3"),
		    "scan short before the quit: %s %s", fail_class_name(r.cls), r.detail);

	/* a boot that ran out of time, then saw a quit: still the timeout's verdict */
	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.timed_out = true;
	r.completion = -1;
	r.log.scan_done = false;
	r.log.online[1] = 0;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING, "timed out, then quit: %s %s", fail_class_name(r.cls),
		    r.detail);
	good_boot(&r);
	r.abort = ABORT_QUIT;
	r.timed_out = true;
	r.completion = -1;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_BOOT_TIMEOUT, "timed out, every AP online, then quit: %s",
		    fail_class_name(r.cls));
}

/* Issue 11, item 7: an AP that came after the scan's deadline is named late. */
static void test_late_ap(void)
{
	struct boot_result r;

	good_boot(&r);
	r.completion = DONE_AP_MISSING;
	r.log.scan_online = 2;
	r.log.fw_missing[3] = true;	/* the snapshot missed it; its report came after */
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING && strstr(r.detail, "after the firmware's scan deadline") &&
		    strstr(r.detail, "apic 3") && reports[3].evidence && !reports[1].evidence,
		    "late: %s %s", fail_class_name(r.cls), r.detail);
}

static void smm_good(struct boot_result *r)
{
	unsigned int i;

	good_boot(r);
	r->smm_stage = true;
	for (i = 0; i < NCPUS; i++) {
		struct smm_cpu_log *s = &r->log.smm[i];

		s->enters = s->exits = 3;
		s->first_base = SMM_DEFAULT_SMBASE >> 4;
		s->reloc_base = (uint16_t)((SMM_PERCPU_BASE + i * SMM_PERCPU_STRIDE) >> 4);
	}
}

static void test_smm(void)
{
	struct boot_result r;

	smm_good(&r);
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_PASS, "smm pass: %s %s", fail_class_name(r.cls), r.detail);

	smm_good(&r);
	r.log.smm[2].exits = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_SMM_STUCK && reports[2].evidence && strstr(r.detail, "apic 2"),
		    "stuck: %s %s", fail_class_name(r.cls), r.detail);

	smm_good(&r);
	r.log.smm[0].enters = r.log.smm[0].exits = 2;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_SMM_MISSING && reports[0].evidence, "missing: %s",
		    fail_class_name(r.cls));

	smm_good(&r);
	r.log.smm[3].reloc_base = SMM_DEFAULT_SMBASE >> 4;	/* never relocated */
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_SMM_RELOCATION, "not relocated: %s", fail_class_name(r.cls));

	smm_good(&r);
	r.log.smm[1].bad_base = 1;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_SMM_RELOCATION, "bad base: %s", fail_class_name(r.cls));

	/* an AP that never came online is ap-missing, not also an SMM failure */
	smm_good(&r);
	r.log.online[2] = 0;
	memset(&r.log.smm[2], 0, sizeof(r.log.smm[2]));
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_AP_MISSING, "missing AP first: %s", fail_class_name(r.cls));

	/* without the stage, SMM events are not required */
	good_boot(&r);
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_PASS, "no stage: %s", fail_class_name(r.cls));

	smm_good(&r);
	r.completion = DONE_SMM_STUCK;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_SMM_STUCK, "firmware-only stuck: %s", fail_class_name(r.cls));

	/*
	 * Issue 11, item 1: out of time in the middle of the SMM stage (the APs
	 * still storming, then queued for the lock) is a boot-timeout that names
	 * the stage and who had not finished, never smm-missing.
	 */
	smm_good(&r);
	r.completion = -1;
	r.timed_out = true;
	r.log.phases = (1u << PHASE_LAPIC_ON) | (1u << PHASE_STORM) | (1u << PHASE_SIPI_SENT);
	r.log.smm[2].enters = r.log.smm[2].exits = 1;
	memset(&r.log.smm[3], 0, sizeof(r.log.smm[3]));
	r.log.total = 20;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_BOOT_TIMEOUT && strstr(r.detail, "in the SMM stage") &&
		    strstr(r.detail, "apic 2,3"), "slow SMM boot: %s %s", fail_class_name(r.cls),
		    r.detail);

	/* and in the BSP's storm, before any AP was started: named too */
	good_boot(&r);
	r.completion = -1;
	r.timed_out = true;
	r.log.scan_done = false;
	r.log.total = 3;
	r.log.phases = 1u << PHASE_LAPIC_ON;
	verdict_classify(&r);
	TEST_ASSERT(r.cls == FC_BOOT_TIMEOUT && strstr(r.detail, "in the BSP's POST-code storm"),
		    "storm stage: %s %s", fail_class_name(r.cls), r.detail);
}

/*
 * The VMM's budget covers the firmware's worst case for every stage it runs:
 * with SMM, two storms (the BSP's, then each AP's before its stage) and the
 * stage's own deadlines (see smm_wait_aps in guestfw/smm/report.asm).
 */
static void test_budget(void)
{
	unsigned int t, storm;

	for (t = 10; t <= 600000; t *= 3) {
		for (storm = 0; storm <= 60000; storm = storm ? storm * 4 : 1) {
			uint64_t d = t / 2, smi = d / 8;
			uint64_t fw_plain = storm + d;
			uint64_t fw_smm = 2ull * storm + d + (d + 3 * smi) + (d + 4 * smi);

			TEST_ASSERT(boot_budget_ms(t, storm, false) > fw_plain,
				    "t=%u storm=%u without SMM", t, storm);
			TEST_ASSERT(boot_budget_ms(t, storm, true) > fw_smm,
				    "t=%u storm=%u with SMM: %llu <= %llu", t, storm,
				    (unsigned long long)boot_budget_ms(t, storm, true),
				    (unsigned long long)fw_smm);
		}
	}
	/* the case: --storm 2000 at the default timeout */
	TEST_ASSERT(boot_budget_ms(2000, 2000, true) >= 2 * 2000 + 2000,
		    "--storm 2000 with SMM: %llu ms", (unsigned long long)boot_budget_ms(2000, 2000, true));
}

int main(void)
{
	test_pass();
	test_missing();
	test_precedence();
	test_timeout_and_protocol();
	test_completion_codes();
	test_quit();
	test_quit_keeps_lost_aps();
	test_late_ap();
	test_smm();
	test_budget();
	return unit_done("test_verdict");
}
