// SPDX-License-Identifier: GPL-2.0-only
/*
 * Records are fixed-size and start with a kind byte, so a broken record is
 * reported once and the reader slides to the next byte that could start a
 * record; what the firmware sent after garbage is still heard.
 */
#include "evstream.h"

#include <stdio.h>
#include <string.h>

void evstream_init(struct evstream *s)
{
	memset(s, 0, sizeof(*s));
	s->completion = -1;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void record(struct evstream *s, struct ev_log *log, uint64_t ts_ns)
{
	unsigned int writer = (unsigned int)s->rec[1] | (unsigned int)s->rec[2] << 8;
	uint32_t payload = le32(s->rec + 3);
	char why[128];

	if (writer >= log->ncpus) {
		snprintf(why, sizeof(why), "stream record from APIC ID %u but the VM has %u CPUs",
			 writer, log->ncpus);
		ev_log_protocol_error(log, why);
		return;
	}
	s->records++;
	if (s->rec[0] == EVS_EVENT) {
		ev_log_record(log, writer, payload, ts_ns);
		return;
	}
	if (s->completion >= 0) {
		ev_log_protocol_error(log, "a second completion record");
		return;
	}
	if (payload > 0xff) {
		snprintf(why, sizeof(why), "completion record with code 0x%x (not a byte)", payload);
		ev_log_protocol_error(log, why);
		return;
	}
	s->completion = (int)payload;
	s->completion_writer = writer;
	s->t_completion_ns = ts_ns;
}

void evstream_feed(struct evstream *s, struct ev_log *log, const uint8_t *p, size_t n,
		   uint64_t ts_ns)
{
	char why[96];

	s->bytes += n;
	for (; n; p++, n--) {
		if (!s->have && *p != EVS_EVENT && *p != EVS_DONE) {
			if (!s->resyncing) {
				snprintf(why, sizeof(why), "stream record with kind 0x%02x", *p);
				ev_log_protocol_error(log, why);
			}
			s->resyncing = true;
			continue;
		}
		s->resyncing = false;
		s->rec[s->have++] = *p;
		if (s->have == EVS_RECORD_SIZE) {
			record(s, log, ts_ns);
			s->have = 0;
		}
	}
}

void evstream_finish(struct evstream *s, struct ev_log *log)
{
	char why[64];

	if (!s->have)
		return;
	snprintf(why, sizeof(why), "stream ended inside a record (%u of %u bytes)", s->have,
		 EVS_RECORD_SIZE);
	ev_log_protocol_error(log, why);
	s->have = 0;
}
