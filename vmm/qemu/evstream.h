/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firmware's event stream (CFG_F_EVSTREAM, see protocol.h) as it arrives
 * from QEMU's debug port: bytes in, the same event log the native VMM keeps
 * out. Pure, so it is unit-tested and fuzzed without QEMU.
 */
#ifndef HVSMOKE_QEMU_EVSTREAM_H
#define HVSMOKE_QEMU_EVSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../devices/events.h"

struct evstream {
	uint8_t rec[EVS_RECORD_SIZE];
	unsigned int have;		/* bytes of rec filled */
	bool resyncing;			/* skipping garbage after a bad kind byte */
	uint64_t records;		/* well-formed records */
	uint64_t bytes;
	int completion;			/* from the EVS_DONE record; -1: none yet */
	unsigned int completion_writer;
	uint64_t t_completion_ns;
};

void evstream_init(struct evstream *s);
/* Decode n bytes that arrived at ts_ns into log (events) and s (completion). */
void evstream_feed(struct evstream *s, struct ev_log *log, const uint8_t *p, size_t n,
		   uint64_t ts_ns);
/* At the end of a boot: a record cut short is a broken stream. */
void evstream_finish(struct evstream *s, struct ev_log *log);

#endif
