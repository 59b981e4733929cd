/* SPDX-License-Identifier: GPL-2.0-only */
/* The structured event channel: decoding guest event dwords and keeping a per-boot log. */
#ifndef HVSMOKE_EVENTS_H
#define HVSMOKE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../protocol.h"

#define EV_MAX_APIC		(HVSMOKE_MAX_CPUS + 1)

struct fw_event {
	uint8_t type;
	uint16_t apic;
	uint16_t arg;
};

/* One CPU's SMM stage as its events tell it. SMBASEs are >> 4, as sent. */
struct smm_cpu_log {
	uint8_t triggers[3];		/* by enum smm_route (index 0 unused) */
	uint8_t enters;
	uint8_t exits;
	uint8_t bad_base;		/* entries after relocation not at the new SMBASE */
	uint8_t last_route;
	uint16_t first_base;		/* where the first SMI ran */
	uint16_t reloc_base;		/* the SMBASE the first exit handed on */
	uint16_t revision;
	bool revision_seen;
};

/* Everything the verdict needs from the event stream of one boot. */
struct ev_log {
	unsigned int ncpus;
	uint32_t total;
	bool boot_seen;
	uint16_t bsp_apic;
	uint16_t expected;
	bool scan_done;
	uint16_t scan_online;
	uint32_t phases;			/* bit n: PHASE n seen */
	uint32_t errors;
	uint16_t last_error;
	uint32_t online[EV_MAX_APIC];		/* AP_ONLINE reports per APIC ID */
	uint32_t duplicate[EV_MAX_APIC];
	uint32_t reset[EV_MAX_APIC];
	bool fw_missing[EV_MAX_APIC];		/* the BSP said this AP is missing */
	struct smm_cpu_log smm[EV_MAX_APIC];
	uint32_t smm_events;
	uint64_t t_first_ns;			/* the first event of the boot */
	uint64_t t_boot_ns;			/* absolute, now_ns() at the exit */
	uint64_t t_scan_done_ns;
	uint64_t t_last_online_ns;
	uint32_t bad;				/* events that broke the protocol */
	char bad_detail[128];			/* the first of them */
};

const char *ev_type_name(uint8_t type);
/* Check one raw dword on its own. 0, or -1 with the reason in why. */
int ev_decode(uint32_t raw, struct fw_event *ev, char *why, size_t len);

void ev_log_init(struct ev_log *log, unsigned int ncpus);
/*
 * Record an event that vCPU vcpu_id wrote at ts_ns, checking it in context
 * (a CPU may only report itself online). 0, or -1 if it broke the protocol.
 */
int ev_log_record(struct ev_log *log, unsigned int vcpu_id, uint32_t raw, uint64_t ts_ns);
/* Note a protocol violation found outside the event dword itself (a broken stream record). */
void ev_log_protocol_error(struct ev_log *log, const char *why);
/* Note a write to the event port that was not one dword. */
void ev_log_bad_access(struct ev_log *log, unsigned int vcpu_id, unsigned int size, bool out);

#endif
