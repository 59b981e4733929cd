// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any bytes as opt/hvsmoke/config. The decoder accepts
 * exactly the files that meet the firmware's checks, restated here byte by
 * byte from guestfw/config.asm; an accepted file's fields lie within those
 * bounds and encode back to its first 40 bytes (which are the packed struct);
 * a refused one gets one line; a short or missing err buffer is never overrun.
 */
#include "../../vmm/cfg.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* config.asm's .validate and .derive, in the firmware's own terms */
static bool firmware_runs(const uint8_t *p, size_t len)
{
	uint32_t flags, expected;
	bool x2apic;

	if (len < HVSMOKE_CFG_SIZE)
		return false;
	flags = le(p + 8, 4);
	expected = le(p + 12, 4);
	/* x2APIC mode, asked for or forced by the count, leaves no room for SMM */
	x2apic = (flags & CFG_F_X2APIC) || expected > HVSMOKE_MAX_XAPIC_CPUS;
	return le(p, 4) == HVSMOKE_CFG_MAGIC && le(p + 4, 2) == HVSMOKE_CFG_VERSION &&
	       le(p + 6, 2) == HVSMOKE_CFG_SIZE && le(p + 36, 4) <= IPI_PATTERN_MAX &&
	       expected <= HVSMOKE_MAX_CPUS && !(x2apic && (flags & CFG_F_SMM));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvsmoke_cfg out;
	uint8_t again[HVSMOKE_CFG_SIZE];
	char err[128], *small;
	size_t smallen = size % 8;
	int r;

	memset(err, 'x', sizeof(err));
	r = hvsmoke_cfg_decode(data, size, &out, err, sizeof(err));
	assert(r == 0 || r == -1);
	assert((r == 0) == firmware_runs(data, size));
	if (r) {
		assert(memchr(err, '\0', sizeof(err)));
		assert(err[0] && !strchr(err, '\n'));
	} else {
		assert(out.magic == HVSMOKE_CFG_MAGIC && out.version == HVSMOKE_CFG_VERSION &&
		       out.size == HVSMOKE_CFG_SIZE && out.expected_cpus <= HVSMOKE_MAX_CPUS &&
		       out.ipi_pattern <= IPI_PATTERN_MAX);
		hvsmoke_cfg_encode(&out, again);
		assert(!memcmp(again, data, HVSMOKE_CFG_SIZE));
		assert(!memcmp(&out, data, HVSMOKE_CFG_SIZE));
	}

	/* the same answer with no room for a reason, or a little */
	assert(hvsmoke_cfg_decode(data, size, NULL, NULL, 0) == r);
	small = malloc(smallen ? smallen : 1);
	if (!small)
		abort();
	assert(hvsmoke_cfg_decode(data, size, NULL, small, smallen) == r);
	if (r && smallen)
		assert(memchr(small, '\0', smallen));
	free(small);
	return 0;
}
