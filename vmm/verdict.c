// SPDX-License-Identifier: GPL-2.0-only
/*
 * Classification is a pure function of the facts a boot gathered, so it is
 * unit-tested without a hypervisor. The VMM trusts its own counts over the
 * firmware's completion code: a firmware that says "pass" while the VMM saw
 * an AP missing is still a failure.
 */
#include "verdict.h"
#include "devices/platform.h"
#include "protocol.h"

#include <stdio.h>
#include <string.h>

static const char *const class_names[FC_COUNT] = {
	[FC_PASS] = "pass",
	[FC_AP_MISSING] = "ap-missing",
	[FC_AP_DUPLICATE] = "ap-duplicate",
	[FC_AP_RESET] = "ap-reset",
	[FC_BOOT_TIMEOUT] = "boot-timeout",
	[FC_GUEST_CRASH] = "guest-crash",
	[FC_VMM_ERROR] = "vmm-error",
	[FC_QUIT_TIMEOUT] = "quit-timeout",
	[FC_SMM_MISSING] = "smm-missing",
	[FC_SMM_STUCK] = "smm-stuck",
	[FC_SMM_RELOCATION] = "smm-relocation",
};

const char *fail_class_name(enum fail_class cls)
{
	return cls < FC_COUNT ? class_names[cls] : "unknown";
}

static const char *exit_kind_name(enum vexit_kind kind)
{
	switch (kind) {
	case VEXIT_SHUTDOWN:
		return "shutdown (triple fault)";
	case VEXIT_INTERNAL:
		return "internal error";
	case VEXIT_FAIL_ENTRY:
		return "entry failure";
	default:
		return "unexpected exit";
	}
}

/* Append " 1,2,5" style lists of the APIC IDs for which pick() is true. */
static void list_ids(char *buf, size_t len, const struct boot_result *r,
		     bool (*pick)(const struct boot_result *, unsigned int))
{
	unsigned int i, n = 0;
	size_t used = strlen(buf);

	for (i = 0; i < r->ncpus && used + 8 < len; i++) {
		if (!pick(r, i))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%u", n++ ? "," : "", i);
	}
}

static bool is_bsp(const struct boot_result *r, unsigned int id)
{
	return id == (r->log.boot_seen ? r->log.bsp_apic : 0);
}

static bool pick_missing(const struct boot_result *r, unsigned int id)
{
	return !is_bsp(r, id) && r->log.online[id] == 0;
}

static bool pick_dup(const struct boot_result *r, unsigned int id)
{
	return r->log.online[id] > 1 || r->log.duplicate[id];
}

static bool pick_reset(const struct boot_result *r, unsigned int id)
{
	return r->log.reset[id] != 0;
}

static unsigned int mark(struct boot_result *r,
			 bool (*pick)(const struct boot_result *, unsigned int))
{
	unsigned int i, n = 0;

	for (i = 0; i < r->ncpus; i++) {
		if (pick(r, i)) {
			r->vcpus[i].evidence = true;
			n++;
		}
	}
	return n;
}

/* SMM checks apply to the CPUs that came online (the others are ap-missing). */
static bool smm_subject(const struct boot_result *r, unsigned int id)
{
	return is_bsp(r, id) || r->log.online[id];
}

static bool pick_smm_stuck(const struct boot_result *r, unsigned int id)
{
	const struct smm_cpu_log *s = &r->log.smm[id];

	return smm_subject(r, id) && s->enters > s->exits;
}

static bool pick_smm_missing(const struct boot_result *r, unsigned int id)
{
	const struct smm_cpu_log *s = &r->log.smm[id];

	return smm_subject(r, id) && s->enters < SMM_SMIS_PER_CPU;
}

static bool pick_smm_reloc(const struct boot_result *r, unsigned int id)
{
	const struct smm_cpu_log *s = &r->log.smm[id];
	uint16_t expect = (uint16_t)((SMM_PERCPU_BASE + id * SMM_PERCPU_STRIDE) >> 4);

	return smm_subject(r, id) && s->enters &&
	       (s->first_base != (SMM_DEFAULT_SMBASE >> 4) || s->reloc_base != expect ||
		s->bad_base);
}

/* The SMM stage's verdict; false if it passed. */
static bool classify_smm(struct boot_result *r)
{
	static const struct {
		enum fail_class cls;
		bool (*pick)(const struct boot_result *, unsigned int);
		const char *what;
	} checks[] = {
		{ FC_SMM_STUCK, pick_smm_stuck, "entered SMM and never came back" },
		{ FC_SMM_MISSING, pick_smm_missing, "missed an SMI (fewer than 3 entries)" },
		{ FC_SMM_RELOCATION, pick_smm_reloc,
		  "did not relocate SMBASE, or took an SMI away from the new SMBASE" },
	};
	unsigned int k, n;

	for (k = 0; k < sizeof(checks) / sizeof(checks[0]); k++) {
		n = mark(r, checks[k].pick);
		if (!n)
			continue;
		r->cls = checks[k].cls;
		snprintf(r->detail, sizeof(r->detail), "%u CPU(s) %s%s: apic ", n, checks[k].what,
			 r->log.last_error == FWERR_SMM_REVISION ? " (unknown save-state revision)" :
			 "");
		list_ids(r->detail, sizeof(r->detail), r, checks[k].pick);
		return true;
	}
	return false;
}

static void mark_all(struct boot_result *r)
{
	unsigned int i;

	for (i = 0; i < r->ncpus; i++)
		r->vcpus[i].evidence = true;
}

/* A CPU that took part in the SMM stage and has not come back from all its SMIs. */
static bool pick_smm_unfinished(const struct boot_result *r, unsigned int id)
{
	return smm_subject(r, id) && r->log.smm[id].exits < SMM_SMIS_PER_CPU;
}

/*
 * Where a boot without a completion code was when time ran out, from the
 * phases the firmware reported: "in the SMM stage" means something else than
 * "in the scan", and neither is what the SMM or scan checks would say of it.
 */
static void stage_of(const struct boot_result *r, char *buf, size_t len)
{
	const struct ev_log *log = &r->log;

	buf[0] = '\0';
	if (!log->total)
		snprintf(buf, len, "before the firmware's first event");
	else if (!log->boot_seen)
		snprintf(buf, len, "before the firmware's boot event");
	else if (!(log->phases & (1u << PHASE_LAPIC_ON)))
		snprintf(buf, len, "reading its config");
	else if (!(log->phases & (1u << PHASE_STORM)))
		snprintf(buf, len, "in the BSP's POST-code storm");
	else if (!(log->phases & (1u << PHASE_SIPI_SENT)) && r->ncpus > 1)
		snprintf(buf, len, "sending INIT and SIPI");
	else if (!log->scan_done && r->ncpus > 1) {
		snprintf(buf, len, "in the AP scan, APs not online: apic ");
		list_ids(buf, len, r, pick_missing);
	} else if (r->smm_stage) {
		snprintf(buf, len, "in the SMM stage, CPUs that had not finished it: apic ");
		list_ids(buf, len, r, pick_smm_unfinished);
	} else {
		snprintf(buf, len, "after its scan, before its completion code");
	}
}

/* lead, then the stage the firmware was in. */
static void lead_and_stage(const struct boot_result *r, char *buf, size_t len, const char *lead)
{
	size_t used;

	snprintf(buf, len, "%s", lead);
	used = strlen(buf);
	stage_of(r, buf + used, len - used);
}

/* Out of time without a completion code: a boot-timeout, naming the stage. */
static void timed_out_in_stage(struct boot_result *r, const char *lead)
{
	r->cls = FC_BOOT_TIMEOUT;
	lead_and_stage(r, r->detail, sizeof(r->detail), lead);
	mark_all(r);
}

static void ending(const struct boot_result *r, char *buf, size_t len)
{
	if (r->completion < 0) {
		lead_and_stage(r, buf, len, "no completion before the VMM deadline, firmware ");
		return;
	}
	snprintf(buf, len, "%s", r->log.scan_done ? "firmware scan finished" :
		 "firmware ended without a scan");
}

/* The firmware named it missing, yet it reported online: it came after the scan ended. */
static bool pick_late(const struct boot_result *r, unsigned int id)
{
	return !is_bsp(r, id) && r->log.fw_missing[id] && r->log.online[id];
}

/* The firmware's scan ended with this AP not online (its missing list or its count). */
static bool pick_fw_lost(const struct boot_result *r, unsigned int id)
{
	return !is_bsp(r, id) && (r->log.fw_missing[id] || r->log.online[id] == 0);
}

void verdict_classify(struct boot_result *r)
{
	const struct ev_log *log = &r->log;
	unsigned int n;
	int len;

	r->cls = FC_PASS;
	r->detail[0] = '\0';

	if (r->stuck_threads) {
		unsigned int i;

		/* the stuck ones were marked when they were sampled */
		r->cls = FC_QUIT_TIMEOUT;
		snprintf(r->detail, sizeof(r->detail),
			 "%u vCPU thread(s) still in the guest at the deadline after %s: vcpu ",
			 r->stuck_threads, r->abort == ABORT_QUIT ? "the quit" :
			 "the end-of-boot stop");
		for (i = 0; i < r->ncpus; i++)
			if (r->vcpus[i].stuck) {
				size_t used = strlen(r->detail);

				snprintf(r->detail + used, sizeof(r->detail) - used, "%s%u",
					 r->detail[used - 1] == ' ' ? "" : ",", i);
			}
		return;
	}
	if (r->setup_error[0]) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail), "%s", r->setup_error);
		mark_all(r);
		return;
	}
	if (r->vmm_error) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail), "vCPU %d: run failed: %s", r->vmm_error_vcpu,
			 strerror(-r->vmm_error));
		mark_all(r);
		return;
	}
	if (r->smi_error) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail), "raising an SMI for port 0xb2 failed: %s",
			 strerror(-r->smi_error));
		mark_all(r);
		return;
	}
	if (r->sync_errors) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail),
			 "%llu register sync(s) failed; vCPU %d: %s",
			 (unsigned long long)r->sync_errors, r->sync_error_vcpu,
			 strerror(-r->sync_last_error));
		mark_all(r);
		return;
	}
	if (log->boot_seen && log->expected != r->ncpus) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail),
			 "firmware expected %u CPUs but the VM has %u (fw_cfg/config mismatch)",
			 log->expected, r->ncpus);
		r->vcpus[0].evidence = true;
		return;
	}
	if (r->completion == DONE_CONFIG) {
		r->cls = FC_VMM_ERROR;
		snprintf(r->detail, sizeof(r->detail), "firmware rejected its config (error %u)",
			 log->last_error);
		r->vcpus[0].evidence = true;
		return;
	}
	if (r->crash_vcpu >= 0) {
		r->cls = FC_GUEST_CRASH;
		snprintf(r->detail, sizeof(r->detail), "vCPU %d: %s (exit reason %u, detail 0x%llx)",
			 r->crash_vcpu, exit_kind_name(r->crash_exit.kind), r->crash_exit.raw_reason,
			 (unsigned long long)r->crash_exit.detail);
		mark_all(r);
		return;
	}
	if (log->bad) {
		r->cls = FC_GUEST_CRASH;
		snprintf(r->detail, sizeof(r->detail), "guest broke the event protocol (%u bad): %s",
			 log->bad, log->bad_detail);
		mark_all(r);
		return;
	}
	if (r->completion == DONE_ICR) {
		r->cls = FC_GUEST_CRASH;
		snprintf(r->detail, sizeof(r->detail), "the BSP's ICR never became idle");
		r->vcpus[0].evidence = true;
		return;
	}
	if (r->completion >= 0 && (r->completion < DONE_PASS || r->completion > DONE_MAX)) {
		r->cls = FC_GUEST_CRASH;
		snprintf(r->detail, sizeof(r->detail), "unknown completion code 0x%02x",
			 r->completion);
		mark_all(r);
		return;
	}

	if (r->abort == ABORT_QUIT && r->completion < 0 && !r->timed_out) {
		/*
		 * Cut short on purpose: only what already went wrong counts, but
		 * that counts in full. An AP the firmware's finished scan did not
		 * find stays lost, whenever the quit came.
		 */
		if (mark(r, pick_reset)) {
			r->cls = FC_AP_RESET;
			snprintf(r->detail, sizeof(r->detail), "an AP ran the reset vector before the quit");
		} else if (mark(r, pick_dup)) {
			r->cls = FC_AP_DUPLICATE;
			snprintf(r->detail, sizeof(r->detail), "an AP reported twice before the quit");
		} else if (log->scan_done && (n = mark(r, pick_fw_lost))) {
			r->cls = FC_AP_MISSING;
			snprintf(r->detail, sizeof(r->detail),
				 "%u of %u AP(s) missing when the firmware's scan ended, before the quit: apic ",
				 n, r->ncpus - 1);
			list_ids(r->detail, sizeof(r->detail), r, pick_fw_lost);
		}
		return;
	}

	n = mark(r, pick_reset);
	if (n) {
		r->cls = FC_AP_RESET;
		len = snprintf(r->detail, sizeof(r->detail),
			       "%u AP(s) ran the reset vector instead of the SIPI trampoline: apic ", n);
		if (len > 0)
			list_ids(r->detail, sizeof(r->detail), r, pick_reset);
		return;
	}
	n = mark(r, pick_dup);
	if (n) {
		r->cls = FC_AP_DUPLICATE;
		snprintf(r->detail, sizeof(r->detail), "%u AP(s) reported online more than once: apic ", n);
		list_ids(r->detail, sizeof(r->detail), r, pick_dup);
		return;
	}
	if (r->completion < 0 && r->ncpus > 1 && !(log->phases & (1u << PHASE_SIPI_SENT))) {
		/* the APs were never sent for: none of them can be "missing" yet */
		timed_out_in_stage(r, "no completion code before the VMM deadline, before any AP was started: firmware ");
		return;
	}
	n = mark(r, pick_missing);
	if (n) {
		char why[200];

		ending(r, why, sizeof(why));
		r->cls = FC_AP_MISSING;
		snprintf(r->detail, sizeof(r->detail), "%u of %u AP(s) missing (%s): apic ", n,
			 r->ncpus - 1, why);
		list_ids(r->detail, sizeof(r->detail), r, pick_missing);
		return;
	}
	if (r->completion < 0) {
		/*
		 * Out of time with every AP online: whatever stage it was in did
		 * not finish, so its checks (SMM's above all) have nothing to judge.
		 */
		timed_out_in_stage(r, "all APs online but no completion code before the VMM deadline: firmware ");
		return;
	}
	if (r->smm_stage && classify_smm(r))
		return;
	if (r->completion == DONE_AP_MISSING && (n = mark(r, pick_late))) {
		r->cls = FC_AP_MISSING;
		snprintf(r->detail, sizeof(r->detail),
			 "%u AP(s) came online only after the firmware's scan deadline: apic ", n);
		list_ids(r->detail, sizeof(r->detail), r, pick_late);
		return;
	}
	if (r->completion != DONE_PASS) {
		/* the firmware saw a failure the VMM's own counts did not */
		r->cls = r->completion == DONE_AP_DUP ? FC_AP_DUPLICATE :
			 r->completion == DONE_AP_RESET ? FC_AP_RESET :
			 r->completion == DONE_SMM_MISSING ? FC_SMM_MISSING :
			 r->completion == DONE_SMM_STUCK ? FC_SMM_STUCK :
			 r->completion == DONE_SMM_RELOC ? FC_SMM_RELOCATION : FC_AP_MISSING;
		snprintf(r->detail, sizeof(r->detail),
			 "firmware completion code 0x%02x though the VMM's own counts saw no failure",
			 r->completion);
		mark_all(r);
		return;
	}
	if (!log->boot_seen || !log->scan_done || log->scan_online != r->ncpus - 1) {
		r->cls = FC_AP_MISSING;
		snprintf(r->detail, sizeof(r->detail),
			 "firmware passed but its scan saw %u of %u APs (boot event %s)",
			 log->scan_online, r->ncpus - 1, log->boot_seen ? "seen" : "missing");
		mark_all(r);
		return;
	}
}
