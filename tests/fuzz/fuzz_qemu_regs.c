// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any text QEMU's `info registers -a` might return (or a
 * hostile QMP peer) is split into CPU blocks and parsed without reading past
 * its end; a block is either parsed whole or reported unparsable.
 */
#include "../../vmm/qemu/regs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	unsigned int cpu;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (cpu = 0; cpu < 4; cpu++) {
		struct vcpu_brief b;
		size_t len;
		bool hlt;
		const char *blk = qemu_regs_find(text, cpu, &len);

		if (!blk)
			continue;
		assert(blk >= text && blk + len <= text + strlen(text));
		if (qemu_regs_parse(blk, len, &b, &hlt))
			assert(!b.valid);
		else
			assert(b.valid);
	}
	/* the whole text as one CPU's block (`info registers` without -a) */
	{
		struct vcpu_brief b;
		bool hlt;

		qemu_regs_parse(text, strlen(text), &b, &hlt);
	}
	free(text);
	return 0;
}
