// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the config decoder takes every file the VMM writes, refuses each
 * field the firmware checks at the firmware's bounds (and only those), and
 * that decoding and encoding are inverse. tests/fwconfig.bats proves the
 * same answers come from the firmware itself.
 */
#include "../../vmm/boot.h"
#include "../../vmm/cfg.h"
#include "../../vmm/protocol.h"
#include "unit.h"

#include <string.h>

static struct hvsmoke_cfg valid(void)
{
	struct hvsmoke_cfg c;

	boot_make_config(&c, 4, 2000, 2000000, CFG_F_CONSOLE, 0, IPI_HVSMOKE);
	return c;
}

/* 0 or -1 from the decoder; err must then be one line, never empty */
static int decode(const struct hvsmoke_cfg *c, size_t len, char *err)
{
	uint8_t buf[sizeof(*c) + 8] = { 0 };
	struct hvsmoke_cfg out;
	int r;

	memcpy(buf, c, sizeof(*c));
	err[0] = '\0';
	r = hvsmoke_cfg_decode(buf, len, &out, err, 128);
	if (r)
		TEST_ASSERT(err[0] && !strchr(err, '\n'), "reason '%s'", err);
	else
		TEST_ASSERT(!memcmp(&out, c, sizeof(*c)), "decoded fields differ");
	return r;
}

static void test_vmm_configs_decode(void)
{
	static const uint32_t flag_sets[] = {
		0, CFG_F_CONSOLE, CFG_F_SMM, CFG_F_CONSOLE | CFG_F_SMM | CFG_F_EVSTREAM,
		CFG_F_EVSTREAM | CFG_F_EVACK, CFG_F_X2APIC, CFG_F_X2APIC | CFG_F_EVSTREAM,
	};
	unsigned int cpus, p, f, bad = 0;
	char err[128];

	/* whatever the options allow must boot: a refused file reads as a config failure */
	for (cpus = 1; cpus <= HVSMOKE_MAX_CPUS; cpus++)
		for (p = 0; p <= IPI_PATTERN_MAX; p++)
			for (f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
				struct hvsmoke_cfg c;

				/* the options turn SMM off for what it cannot run */
				if ((flag_sets[f] & CFG_F_SMM) && cpus > HVSMOKE_SMM_MAX_CPUS)
					continue;
				boot_make_config(&c, cpus, 600000, UINT32_MAX, flag_sets[f],
						 60000, p);
				if (decode(&c, sizeof(c), err)) {
					bad++;
					TEST_ASSERT(0, "cpus %u pattern %u flags 0x%x: %s", cpus, p,
						    flag_sets[f], err);
				}
			}
	TEST_ASSERT(!bad, "%u refused", bad);
}

static void test_each_check(void)
{
	struct hvsmoke_cfg c;
	char err[128];

	c = valid();
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);
	/* the firmware reads the first 40 bytes of a longer file */
	TEST_ASSERT(decode(&c, sizeof(c) + 1, err) == 0, "%s", err);
	TEST_ASSERT(decode(&c, sizeof(c) - 1, err) == -1 && strstr(err, "39 bytes"), "%s", err);
	TEST_ASSERT(decode(&c, 0, err) == -1, "empty file");

	c = valid();
	c.magic = 0x48565331;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "magic"), "%s", err);
	c = valid();
	c.version = HVSMOKE_CFG_VERSION + 0x100;	/* the firmware compares 16 bits */
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "version"), "%s", err);
	c = valid();
	c.size = HVSMOKE_CFG_SIZE + 0x100;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "size field"), "%s", err);

	c = valid();
	c.ipi_pattern = IPI_PATTERN_MAX;
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);
	c.ipi_pattern = IPI_PATTERN_MAX + 1;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "ipi_pattern"), "%s", err);
	c.ipi_pattern = 0x80000000u;		/* unsigned, as the firmware's ja */
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1, "negative pattern accepted");

	c = valid();
	c.expected_cpus = 0;			/* from the board's FW_CFG_NB_CPUS */
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);
	c.expected_cpus = HVSMOKE_MAX_CPUS;
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);
	c.expected_cpus = HVSMOKE_MAX_CPUS + 1;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "expected_cpus"), "%s", err);

	/* the SMM stage is xAPIC-only: not with x2APIC asked for, nor above 255 CPUs */
	c = valid();
	c.flags = CFG_F_SMM | CFG_F_X2APIC;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "xAPIC mode only"), "%s", err);
	c.flags = CFG_F_SMM;
	c.expected_cpus = HVSMOKE_MAX_XAPIC_CPUS;
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);
	c.expected_cpus = HVSMOKE_MAX_XAPIC_CPUS + 1;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "xAPIC mode only"), "%s", err);
	c.flags = CFG_F_X2APIC;
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);

	/* fields the firmware takes as they come (all flags but x2APIC, which SMM refuses) */
	c = valid();
	c.flags = UINT32_MAX & ~CFG_F_X2APIC;
	c.scan_deadline_tsc = 0;
	c.storm_tsc = UINT64_MAX;
	c.tsc_khz = 0;
	TEST_ASSERT(decode(&c, sizeof(c), err) == 0, "%s", err);

	/* the firmware's order: the first broken check is the one named */
	c = valid();
	c.version = 1;
	c.ipi_pattern = 9;
	TEST_ASSERT(decode(&c, sizeof(c), err) == -1 && strstr(err, "version"), "%s", err);
}

static void test_err_buffer(void)
{
	struct hvsmoke_cfg c = valid();
	char small[8];

	c.magic = 0;
	TEST_ASSERT(hvsmoke_cfg_decode(&c, sizeof(c), NULL, NULL, 0) == -1, "no err buffer");
	memset(small, 'x', sizeof(small));
	TEST_ASSERT(hvsmoke_cfg_decode(&c, sizeof(c), NULL, small, sizeof(small)) == -1, "small");
	TEST_ASSERT(small[sizeof(small) - 1] == '\0', "truncated reason not terminated");
}

static void test_round_trip(void)
{
	struct hvsmoke_cfg c = valid(), out;
	uint8_t bytes[HVSMOKE_CFG_SIZE], again[HVSMOKE_CFG_SIZE];

	c.scan_deadline_tsc = 0x0102030405060708ull;
	c.storm_tsc = 0x1112131415161718ull;
	c.tsc_khz = 0xa1a2a3a4u;
	hvsmoke_cfg_encode(&c, bytes);
	/* the file is the packed struct on a little-endian host, as the VMM writes it */
	TEST_ASSERT(!memcmp(bytes, &c, sizeof(bytes)), "encoding is not the struct's bytes");
	TEST_ASSERT(hvsmoke_cfg_decode(bytes, sizeof(bytes), &out, NULL, 0) == 0, "decode");
	hvsmoke_cfg_encode(&out, again);
	TEST_ASSERT(!memcmp(bytes, again, sizeof(bytes)), "round trip");
}

int main(void)
{
	test_vmm_configs_decode();
	test_each_check();
	test_err_buffer();
	test_round_trip();
	return unit_done("test_cfg");
}
