// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event decoding is strict: a guest that writes garbage to the event port is
 * a broken guest, and the verdict must say so rather than guess.
 */
#include "events.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
	[EV_BOOT] = "boot",
	[EV_AP_ONLINE] = "ap-online",
	[EV_SCAN_DONE] = "scan-done",
	[EV_PHASE] = "phase",
	[EV_AP_MISSING] = "ap-missing",
	[EV_AP_DUPLICATE] = "ap-duplicate",
	[EV_AP_RESET] = "ap-reset",
	[EV_ERROR] = "error",
	[EV_SMM_TRIGGER] = "smm-trigger",
	[EV_SMM_ENTER] = "smm-enter",
	[EV_SMM_EXIT] = "smm-exit",
	[EV_SMM_REVISION] = "smm-revision",
};

const char *ev_type_name(uint8_t type)
{
	if (type == 0 || type > EV_TYPE_MAX)
		return "invalid";
	return type_names[type];
}

int ev_decode(uint32_t raw, struct fw_event *ev, char *why, size_t len)
{
	ev->type = EV_TYPE(raw);
	ev->apic = EV_APIC(raw);
	ev->arg = EV_ARG(raw);

	if (ev->type == 0 || ev->type > EV_TYPE_MAX) {
		snprintf(why, len, "unknown event type 0x%02x (raw 0x%08x)", ev->type, raw);
		return -1;
	}
	if (ev->apic >= HVSMOKE_MAX_CPUS) {
		snprintf(why, len, "%s: APIC ID %u out of range (raw 0x%08x)",
			 ev_type_name(ev->type), ev->apic, raw);
		return -1;
	}
	switch (ev->type) {
	case EV_BOOT:
		if (ev->arg < 1 || ev->arg > HVSMOKE_MAX_CPUS)
			goto bad_arg;
		break;
	case EV_AP_ONLINE:
	case EV_SCAN_DONE:
		if (ev->arg >= HVSMOKE_MAX_CPUS)
			goto bad_arg;
		break;
	case EV_PHASE:
		if (ev->arg < 1 || ev->arg > PHASE_MAX)
			goto bad_arg;
		break;
	case EV_ERROR:
		if (ev->arg < 1 || ev->arg > FWERR_MAX)
			goto bad_arg;
		break;
	case EV_SMM_TRIGGER:
		if (ev->arg != SMM_ROUTE_LAPIC && ev->arg != SMM_ROUTE_APM)
			goto bad_arg;
		break;
	case EV_SMM_ENTER:
	case EV_SMM_EXIT:
	case EV_SMM_REVISION:
		break;		/* any SMBASE >> 4 or revision */
	default:
		if (ev->arg)
			goto bad_arg;
		break;
	}
	return 0;

bad_arg:
	snprintf(why, len, "%s: argument %u out of range (raw 0x%08x)", ev_type_name(ev->type),
		 ev->arg, raw);
	return -1;
}

void ev_log_init(struct ev_log *log, unsigned int ncpus)
{
	memset(log, 0, sizeof(*log));
	log->ncpus = ncpus;
}

static int protocol_error(struct ev_log *log, const char *why)
{
	if (!log->bad++)
		snprintf(log->bad_detail, sizeof(log->bad_detail), "%s", why);
	return -1;
}

static void smm_record(struct smm_cpu_log *s, const struct fw_event *ev)
{
	switch (ev->type) {
	case EV_SMM_TRIGGER:
		if (s->triggers[ev->arg] < UINT8_MAX)
			s->triggers[ev->arg]++;
		s->last_route = (uint8_t)ev->arg;
		break;
	case EV_SMM_ENTER:
		if (!s->enters)
			s->first_base = ev->arg;
		else if (ev->arg != s->reloc_base && s->bad_base < UINT8_MAX)
			s->bad_base++;
		if (s->enters < UINT8_MAX)
			s->enters++;
		break;
	case EV_SMM_EXIT:
		if (!s->exits)
			s->reloc_base = ev->arg;
		if (s->exits < UINT8_MAX)
			s->exits++;
		break;
	case EV_SMM_REVISION:
		s->revision = ev->arg;
		s->revision_seen = true;
		break;
	}
}

int ev_log_record(struct ev_log *log, unsigned int vcpu_id, uint32_t raw, uint64_t ts_ns)
{
	struct fw_event ev;
	char why[128];

	if (!log->total++)
		log->t_first_ns = ts_ns;
	if (ev_decode(raw, &ev, why, sizeof(why)))
		return protocol_error(log, why);
	if (ev.apic >= log->ncpus) {
		snprintf(why, sizeof(why), "%s names APIC ID %u but the VM has %u CPUs",
			 ev_type_name(ev.type), ev.apic, log->ncpus);
		return protocol_error(log, why);
	}

	switch (ev.type) {
	case EV_BOOT:
	case EV_AP_ONLINE:
	case EV_AP_DUPLICATE:
	case EV_AP_RESET:
	case EV_SMM_TRIGGER:
	case EV_SMM_ENTER:
	case EV_SMM_EXIT:
	case EV_SMM_REVISION:
		/* self-reports: the APIC ID must be the writer's (CPUID/LAPIC agree) */
		if (ev.apic != vcpu_id) {
			snprintf(why, sizeof(why), "vCPU %u sent %s for APIC ID %u", vcpu_id,
				 ev_type_name(ev.type), ev.apic);
			return protocol_error(log, why);
		}
		break;
	default:
		break;
	}

	switch (ev.type) {
	case EV_BOOT:
		if (log->boot_seen)
			return protocol_error(log, "second boot event");
		log->boot_seen = true;
		log->bsp_apic = ev.apic;
		log->expected = ev.arg;
		log->t_boot_ns = ts_ns;
		break;
	case EV_AP_ONLINE:
		log->online[ev.apic]++;
		log->t_last_online_ns = ts_ns;
		break;
	case EV_SCAN_DONE:
		if (log->scan_done)
			return protocol_error(log, "second scan-done event");
		log->scan_done = true;
		log->scan_online = ev.arg;
		log->t_scan_done_ns = ts_ns;
		break;
	case EV_PHASE:
		log->phases |= 1u << ev.arg;
		break;
	case EV_AP_MISSING:
		log->fw_missing[ev.apic] = true;
		break;
	case EV_AP_DUPLICATE:
		log->duplicate[ev.apic]++;
		break;
	case EV_AP_RESET:
		log->reset[ev.apic]++;
		break;
	case EV_ERROR:
		log->errors++;
		log->last_error = ev.arg;
		break;
	case EV_SMM_TRIGGER:
	case EV_SMM_ENTER:
	case EV_SMM_EXIT:
	case EV_SMM_REVISION:
		log->smm_events++;
		smm_record(&log->smm[ev.apic], &ev);
		break;
	}
	return 0;
}

void ev_log_protocol_error(struct ev_log *log, const char *why)
{
	protocol_error(log, why);
}

void ev_log_bad_access(struct ev_log *log, unsigned int vcpu_id, unsigned int size, bool out)
{
	char why[128];

	snprintf(why, sizeof(why), "vCPU %u: %u-byte %s on the event port (needs a 4-byte out)",
		 vcpu_id, size, out ? "write" : "read");
	protocol_error(log, why);
}
