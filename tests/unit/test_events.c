// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the event decoder accepts exactly the protocol in vmm/protocol.h and
 * that the per-boot log counts reports per APIC ID, rejecting a CPU that
 * reports for another one.
 */
#include "../../vmm/devices/events.h"
#include "unit.h"

#include <string.h>

static void test_decode_valid(void)
{
	struct fw_event ev;
	char why[128];

	TEST_ASSERT(ev_decode(EV_MAKE(EV_BOOT, 0, 4), &ev, why, sizeof(why)) == 0, "%s", why);
	TEST_ASSERT(ev.type == EV_BOOT && ev.apic == 0 && ev.arg == 4, "type %u apic %u arg %u",
		    ev.type, ev.apic, ev.arg);
	TEST_ASSERT(ev_decode(EV_MAKE(EV_AP_ONLINE, 7, 3), &ev, why, sizeof(why)) == 0, "%s", why);
	TEST_ASSERT(ev.apic == 7 && ev.arg == 3, "apic %u arg %u", ev.apic, ev.arg);
	/* x2APIC IDs: every bit of the 11-bit field is kept, none leaks into the type */
	TEST_ASSERT(ev_decode(EV_MAKE(EV_AP_ONLINE, 1023, 1022), &ev, why, sizeof(why)) == 0, "%s",
		    why);
	TEST_ASSERT(ev.type == EV_AP_ONLINE && ev.apic == 1023 && ev.arg == 1022,
		    "type %u apic %u arg %u", ev.type, ev.apic, ev.arg);
	TEST_ASSERT(ev_decode(EV_MAKE(EV_AP_DUPLICATE, 256, 0), &ev, why, sizeof(why)) == 0, "%s",
		    why);
	TEST_ASSERT(ev.type == EV_AP_DUPLICATE && ev.apic == 256, "type %u apic %u", ev.type,
		    ev.apic);
	TEST_ASSERT(ev_decode(EV_MAKE(EV_BOOT, 0, HVSMOKE_MAX_CPUS), &ev, why, sizeof(why)) == 0,
		    "%s", why);
	TEST_ASSERT(ev_decode(EV_MAKE(EV_PHASE, 0, PHASE_SIPI_SENT), &ev, why, sizeof(why)) == 0,
		    "%s", why);
	TEST_ASSERT(ev_decode(EV_MAKE(EV_ERROR, 0, FWERR_CONFIG), &ev, why, sizeof(why)) == 0,
		    "%s", why);
	TEST_ASSERT(!strcmp(ev_type_name(EV_AP_MISSING), "ap-missing"), "%s",
		    ev_type_name(EV_AP_MISSING));
}

static void test_decode_invalid(void)
{
	static const uint32_t bad[] = {
		0,					/* type 0 */
		EV_MAKE(0x1f, 0, 0),			/* unknown type */
		0x00000077,				/* type 0x17, the low bits of APIC ID 3 */
		EV_MAKE(EV_BOOT, 0, 0),			/* zero CPUs */
		EV_MAKE(EV_BOOT, 0, HVSMOKE_MAX_CPUS + 1), /* more than the bitmap holds */
		EV_MAKE(EV_SCAN_DONE, 0, HVSMOKE_MAX_CPUS), /* more APs than there can be */
		EV_MAKE(EV_PHASE, 0, 0),
		EV_MAKE(EV_PHASE, 0, PHASE_MAX + 1),
		EV_MAKE(EV_ERROR, 0, FWERR_MAX + 1),
		EV_MAKE(EV_AP_MISSING, 1, 5),		/* no argument allowed */
		EV_MAKE(EV_AP_ONLINE, HVSMOKE_MAX_CPUS, 0), /* beyond the bitmap */
		EV_MAKE(EV_AP_ONLINE, EV_APIC_LIMIT - 1, 0),
		/* what an AP with an x2APIC ID beyond the bitmap sends */
		EV_MAKE(EV_ERROR, EV_APIC_LIMIT - 1, FWERR_APIC_ID),
		0xffffffffu,
	};
	struct fw_event ev;
	char why[128];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		TEST_ASSERT(ev_decode(bad[i], &ev, why, sizeof(why)) == -1,
			    "raw 0x%08x accepted", bad[i]);
		TEST_ASSERT(why[0] != '\0', "raw 0x%08x: no reason given", bad[i]);
	}
}

static void test_log_counts(void)
{
	struct ev_log log;

	ev_log_init(&log, 4);
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_BOOT, 0, 4), 100) == 0, "boot");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_AP_ONLINE, 1, 0), 200) == 0, "ap1");
	TEST_ASSERT(ev_log_record(&log, 3, EV_MAKE(EV_AP_ONLINE, 3, 1), 300) == 0, "ap3");
	TEST_ASSERT(ev_log_record(&log, 3, EV_MAKE(EV_AP_ONLINE, 3, 2), 350) == 0, "ap3 again");
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_AP_MISSING, 2, 0), 400) == 0, "missing");
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_SCAN_DONE, 0, 3), 500) == 0, "scan");
	TEST_ASSERT(log.boot_seen && log.expected == 4 && log.bsp_apic == 0, "boot fields");
	TEST_ASSERT(log.online[1] == 1 && log.online[2] == 0 && log.online[3] == 2,
		    "online %u %u %u", log.online[1], log.online[2], log.online[3]);
	TEST_ASSERT(log.fw_missing[2] && !log.fw_missing[1], "fw_missing");
	TEST_ASSERT(log.scan_done && log.scan_online == 3, "scan");
	TEST_ASSERT(log.t_boot_ns == 100 && log.t_last_online_ns == 350 && log.t_scan_done_ns == 500,
		    "timestamps");
	TEST_ASSERT(log.bad == 0 && log.total == 6, "bad %u total %u", log.bad, log.total);
}

static void test_log_context_errors(void)
{
	struct ev_log log;

	ev_log_init(&log, 2);
	/* vCPU 1 claiming to be APIC 0 */
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_AP_ONLINE, 0, 0), 1) == -1, "impersonation");
	TEST_ASSERT(log.online[0] == 0, "impersonated report counted");
	TEST_ASSERT(strstr(log.bad_detail, "vCPU 1") != NULL, "detail: %s", log.bad_detail);
	/* an APIC ID the VM does not have */
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_AP_MISSING, 5, 0), 2) == -1, "id 5 of 2");
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_BOOT, 0, 2), 3) == 0, "boot");
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_BOOT, 0, 2), 4) == -1, "second boot");
	ev_log_bad_access(&log, 1, 1, true);
	TEST_ASSERT(log.bad == 4, "bad %u", log.bad);
	/* the first reason is kept */
	TEST_ASSERT(strstr(log.bad_detail, "vCPU 1 sent ap-online") != NULL, "detail: %s",
		    log.bad_detail);
}

static void test_smm_sequence(void)
{
	const uint16_t def = SMM_DEFAULT_SMBASE >> 4;
	const uint16_t mine = (SMM_PERCPU_BASE + 1 * SMM_PERCPU_STRIDE) >> 4;
	struct ev_log log;
	const struct smm_cpu_log *s = &log.smm[1];

	ev_log_init(&log, 2);
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_TRIGGER, 1, SMM_ROUTE_LAPIC), 1) == 0, "t1");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_REVISION, 1, 0x64), 2) == 0, "rev");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_ENTER, 1, def), 3) == 0, "enter 1");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_EXIT, 1, mine), 4) == 0, "exit 1");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_TRIGGER, 1, SMM_ROUTE_APM), 5) == 0, "t2");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_ENTER, 1, mine), 6) == 0, "enter 2");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_EXIT, 1, mine), 7) == 0, "exit 2");
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_ENTER, 1, def), 8) == 0, "enter 3");
	TEST_ASSERT(s->enters == 3 && s->exits == 2, "enters %u exits %u", s->enters, s->exits);
	TEST_ASSERT(s->first_base == def && s->reloc_base == mine, "bases %#x %#x", s->first_base,
		    s->reloc_base);
	TEST_ASSERT(s->bad_base == 1, "the third SMI at the default base is a bad base: %u",
		    s->bad_base);
	TEST_ASSERT(s->triggers[SMM_ROUTE_LAPIC] == 1 && s->triggers[SMM_ROUTE_APM] == 1, "routes");
	TEST_ASSERT(s->revision_seen && s->revision == 0x64, "revision");
	TEST_ASSERT(log.smm_events == 8 && log.bad == 0, "counts");
	/* a route that does not exist, and an SMM report for another CPU */
	TEST_ASSERT(ev_log_record(&log, 1, EV_MAKE(EV_SMM_TRIGGER, 1, 3), 9) == -1, "route 3");
	TEST_ASSERT(ev_log_record(&log, 0, EV_MAKE(EV_SMM_ENTER, 1, def), 9) == -1, "impersonation");
}

int main(void)
{
	test_decode_valid();
	test_decode_invalid();
	test_log_counts();
	test_log_context_errors();
	test_smm_sequence();
	return unit_done("test_events");
}
