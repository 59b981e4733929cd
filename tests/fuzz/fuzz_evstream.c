// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: whatever a QEMU (or a broken firmware) sends on the event
 * stream, split into two reads anywhere, the decoder never crashes, never
 * reads out of bounds, and every byte is either a record or counted as bad.
 */
#include "../../vmm/qemu/evstream.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evstream es;
	struct ev_log log;
	size_t cut;
	unsigned int ncpus;

	if (size < 3)
		return 0;
	/* two bytes: VMs above 255 CPUs, whose writers take both ID bytes */
	ncpus = ((unsigned int)data[0] | (unsigned int)data[1] << 8) % (HVSMOKE_MAX_CPUS + 1);
	cut = size > 3 ? data[2] % (size - 2) : 0;
	data += 3;
	size -= 3;
	if (cut > size)
		cut = size;
	evstream_init(&es);
	ev_log_init(&log, ncpus ? ncpus : 1);
	evstream_feed(&es, &log, data, cut, 1);
	evstream_feed(&es, &log, data + cut, size - cut, 2);
	evstream_finish(&es, &log);
	assert(es.bytes == size);
	assert(es.records * EVS_RECORD_SIZE <= size);
	assert(es.completion >= -1 && es.completion <= 0xff);
	assert(es.have == 0);
	return 0;
}
