// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: whatever dwords a broken (or hostile) guest writes to the
 * event port, from whichever vCPU, the native event log never indexes past a
 * CPU's slot, counts every rejected write exactly once as bad, accepts only
 * what ev_decode accepts from a CPU the VM has, and keeps its counters equal
 * to the events it took.
 *
 * Input: one byte for the VM's CPU count, then 7-byte operations
 *   op, writer (2 bytes, so x2APIC writers past 255 too), 4 bytes, all
 *   little-endian
 * op & 3: 0/1 an event dword from vCPU writer (op & 4: from the CPU the event
 * names, the honest case), 2 a bad access of size writer (op & 8: a read),
 * 3 a protocol error from outside (a broken stream record).
 */
#include "../../vmm/devices/events.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events that name their writer: the APIC ID must be the writer's own. */
static bool self_report(uint8_t type)
{
	return type == EV_BOOT || type == EV_AP_ONLINE || type == EV_AP_DUPLICATE ||
	       type == EV_AP_RESET || (type >= EV_SMM_TRIGGER && type <= EV_SMM_REVISION);
}

static void one_line(const char *s, size_t cap)
{
	assert(memchr(s, '\0', cap));
	assert(!strchr(s, '\n'));
}

static void check_log(const struct ev_log *log, const uint32_t *took, uint32_t calls,
		      uint32_t bad)
{
	uint32_t online = 0, dup = 0, reset = 0, smm = 0;
	unsigned int i;

	assert(log->total == calls);
	assert(log->bad == bad);
	if (bad) {
		assert(log->bad_detail[0]);
		one_line(log->bad_detail, sizeof(log->bad_detail));
	}
	for (i = 0; i < EV_MAX_APIC; i++) {
		const struct smm_cpu_log *s = &log->smm[i];

		/* nothing lands in the slot of a CPU the VM does not have */
		if (i >= log->ncpus)
			assert(!log->online[i] && !log->duplicate[i] && !log->reset[i] &&
			       !log->fw_missing[i] && !s->enters && !s->exits &&
			       !s->triggers[1] && !s->triggers[2] && !s->revision_seen);
		online += log->online[i];
		dup += log->duplicate[i];
		reset += log->reset[i];
		assert(!s->triggers[0]);
		assert(s->last_route <= SMM_ROUTE_APM);
		assert(s->bad_base <= s->enters);
		smm += s->triggers[1] + s->triggers[2] + s->enters + s->exits;
	}
	assert(online == took[EV_AP_ONLINE]);
	assert(dup == took[EV_AP_DUPLICATE]);
	assert(reset == took[EV_AP_RESET]);
	assert(log->errors == took[EV_ERROR]);
	assert(log->smm_events == took[EV_SMM_TRIGGER] + took[EV_SMM_ENTER] +
				  took[EV_SMM_EXIT] + took[EV_SMM_REVISION]);
	/* the per-CPU SMM counters saturate at 255; below that they add up */
	if (took[EV_SMM_TRIGGER] + took[EV_SMM_ENTER] + took[EV_SMM_EXIT] < UINT8_MAX)
		assert(smm == took[EV_SMM_TRIGGER] + took[EV_SMM_ENTER] + took[EV_SMM_EXIT]);
	assert(took[EV_BOOT] <= 1 && log->boot_seen == (took[EV_BOOT] == 1));
	assert(took[EV_SCAN_DONE] <= 1 && log->scan_done == (took[EV_SCAN_DONE] == 1));
	if (log->boot_seen)
		assert(log->expected >= 1 && log->expected <= HVSMOKE_MAX_CPUS &&
		       log->bsp_apic < log->ncpus);
	if (log->scan_done)
		assert(log->scan_online < HVSMOKE_MAX_CPUS);
	assert(!(log->phases & ~(((1u << (PHASE_MAX + 1)) - 1) & ~1u)));
	if (log->errors)
		assert(log->last_error >= 1 && log->last_error <= FWERR_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const outside[] = {
		"stream record from APIC ID 7 but the VM has 2 CPUs",
		"stream cut short",
		/* longer than bad_detail: kept cut, never overrun */
		("a broken stream record whose reason is much longer than the one-line detail "
		 "the log keeps for the first violation, so the copy has to stop at its end"),
	};
	uint32_t took[EV_TYPE_MAX + 1] = { 0 };
	uint32_t calls = 0, bad = 0;
	struct ev_log log;
	uint64_t ts = 1;

	if (size < 1)
		return 0;
	/* 0..127 CPUs one by one, then up to the maximum in steps of 8 */
	ev_log_init(&log, data[0] < 128 ? data[0] : (data[0] - 127u) * 8);
	data++;
	size--;
	for (; size >= 7; data += 7, size -= 7, ts += 1000) {
		uint8_t op = data[0];
		unsigned int writer = (unsigned int)data[1] | (unsigned int)data[2] << 8;
		uint32_t raw = (uint32_t)data[3] | (uint32_t)data[4] << 8 |
			       (uint32_t)data[5] << 16 | (uint32_t)data[6] << 24;
		struct fw_event ev;
		char why[128];
		int dec, r;

		switch (op & 3) {
		case 0:
		case 1:
			if (op & 4)
				writer = EV_APIC(raw);
			memset(why, 'x', sizeof(why));
			dec = ev_decode(raw, &ev, why, sizeof(why));
			assert(dec == 0 || dec == -1);
			assert(ev_type_name(ev.type) && ev_type_name(ev.type)[0]);
			if (dec) {
				one_line(why, sizeof(why));
			} else {
				assert(ev.type >= 1 && ev.type <= EV_TYPE_MAX);
				assert(ev.apic < HVSMOKE_MAX_CPUS);
			}
			r = ev_log_record(&log, writer, raw, ts);
			calls++;
			if (calls == 1)
				assert(log.t_first_ns == ts);
			assert(r == 0 || r == -1);
			if (r) {
				bad++;
				break;
			}
			/* accepted: a valid dword, from a CPU the VM has, from itself */
			assert(!dec && ev.apic < log.ncpus);
			assert(!self_report(ev.type) || ev.apic == writer);
			took[ev.type]++;
			break;
		case 2:
			ev_log_bad_access(&log, writer, writer, !(op & 8));
			bad++;
			break;
		case 3:
			ev_log_protocol_error(&log, outside[writer % 3]);
			bad++;
			break;
		}
		/* the whole log once at the end; per write only what is cheap */
		assert(log.total == calls && log.bad == bad);
	}
	check_log(&log, took, calls, bad);
	return 0;
}
