// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mirrors guestfw/config.asm check for check and in its order, so the first
 * reason given is the one the firmware stopped at. Anything the firmware
 * does not look at (flags, deadlines, the TSC rate) is taken as it is: a
 * stricter decoder would call files broken that boot fine.
 */
#include "cfg.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* Field offsets in the file; guestfw/include/hvsmoke.inc has the same. */
#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_SIZE	6
#define OFF_FLAGS	8
#define OFF_EXPECTED	12
#define OFF_DEADLINE	16
#define OFF_STORM	24
#define OFF_TSC_KHZ	32
#define OFF_IPI_PATTERN	36

_Static_assert(sizeof(struct hvsmoke_cfg) == HVSMOKE_CFG_SIZE, "config layout");
_Static_assert(OFF_IPI_PATTERN + 4 == HVSMOKE_CFG_SIZE, "config offsets");

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int reject(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reject(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

int hvsmoke_cfg_decode(const void *buf, size_t len, struct hvsmoke_cfg *out, char *err,
		       size_t errlen)
{
	const uint8_t *p = buf;
	struct hvsmoke_cfg c;

	/* the firmware copies what the directory says and checks that first */
	if (len < HVSMOKE_CFG_SIZE)
		return reject(err, errlen, "config: %zu bytes, needs %u", len,
			      HVSMOKE_CFG_SIZE);
	c.magic = get32(p + OFF_MAGIC);
	c.version = get16(p + OFF_VERSION);
	c.size = get16(p + OFF_SIZE);
	c.flags = get32(p + OFF_FLAGS);
	c.expected_cpus = get32(p + OFF_EXPECTED);
	c.scan_deadline_tsc = get64(p + OFF_DEADLINE);
	c.storm_tsc = get64(p + OFF_STORM);
	c.tsc_khz = get32(p + OFF_TSC_KHZ);
	c.ipi_pattern = get32(p + OFF_IPI_PATTERN);

	if (c.magic != HVSMOKE_CFG_MAGIC)
		return reject(err, errlen, "config: magic 0x%08x, needs 0x%08x (\"HVS1\")",
			      c.magic, HVSMOKE_CFG_MAGIC);
	if (c.version != HVSMOKE_CFG_VERSION)
		return reject(err, errlen, "config: version %u, the firmware reads version %u",
			      c.version, HVSMOKE_CFG_VERSION);
	if (c.size != HVSMOKE_CFG_SIZE)
		return reject(err, errlen, "config: size field %u, needs %u", c.size,
			      HVSMOKE_CFG_SIZE);
	/* unsigned compares, as the firmware's ja: a "negative" value is huge */
	if (c.ipi_pattern > IPI_PATTERN_MAX)
		return reject(err, errlen, "config: ipi_pattern %u is not 0..%u", c.ipi_pattern,
			      IPI_PATTERN_MAX);
	if (c.expected_cpus > HVSMOKE_MAX_CPUS)
		return reject(err, errlen, "config: expected_cpus %u is more than %u",
			      c.expected_cpus, HVSMOKE_MAX_CPUS);
	/*
	 * With expected_cpus 0 the firmware counts FW_CFG_NB_CPUS, which no
	 * file says: SMM there still fails on a board of more than 255 CPUs.
	 */
	if ((c.flags & CFG_F_SMM) &&
	    ((c.flags & CFG_F_X2APIC) || c.expected_cpus > HVSMOKE_MAX_XAPIC_CPUS))
		return reject(err, errlen,
			      "config: the SMM stage runs in xAPIC mode only, with at most %u CPUs",
			      HVSMOKE_SMM_MAX_CPUS);
	if (out)
		*out = c;
	return 0;
}

void hvsmoke_cfg_encode(const struct hvsmoke_cfg *cfg, void *buf)
{
	uint8_t *p = buf;

	put32(p + OFF_MAGIC, cfg->magic);
	put16(p + OFF_VERSION, cfg->version);
	put16(p + OFF_SIZE, cfg->size);
	put32(p + OFF_FLAGS, cfg->flags);
	put32(p + OFF_EXPECTED, cfg->expected_cpus);
	put64(p + OFF_DEADLINE, cfg->scan_deadline_tsc);
	put64(p + OFF_STORM, cfg->storm_tsc);
	put32(p + OFF_TSC_KHZ, cfg->tsc_khz);
	put32(p + OFF_IPI_PATTERN, cfg->ipi_pattern);
}
