// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the fw_cfg device speaks QEMU's ABI as the firmware reads it: the
 * signature, the little-endian CPU count, the big-endian file directory, and
 * zeros for unknown keys and reads past the end.
 */
#include "../../vmm/devices/fwcfg.h"
#include "../../vmm/protocol.h"
#include "unit.h"

#include <string.h>

static void read_n(struct fwcfg *f, uint16_t key, uint8_t *buf, size_t n)
{
	size_t i;

	fwcfg_select(f, key);
	for (i = 0; i < n; i++)
		buf[i] = fwcfg_read(f);
}

static void test_signature_and_cpus(void)
{
	struct fwcfg f;
	uint8_t buf[8];

	fwcfg_init(&f, 300);
	read_n(&f, FW_CFG_SIGNATURE, buf, 6);
	TEST_ASSERT(!memcmp(buf, "QEMU", 4), "signature %.4s", buf);
	TEST_ASSERT(buf[4] == 0 && buf[5] == 0, "past the end must read zeros");
	read_n(&f, FW_CFG_NB_CPUS, buf, 2);
	TEST_ASSERT(buf[0] == (300 & 0xff) && buf[1] == (300 >> 8), "nb_cpus %02x %02x", buf[0],
		    buf[1]);
	read_n(&f, FW_CFG_ID, buf, 4);
	TEST_ASSERT(buf[0] == (FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA) && !buf[1] && !buf[2] &&
		    !buf[3], "id: traditional and DMA, %02x", buf[0]);
}

static void test_file_dir(void)
{
	struct hvsmoke_cfg cfg = { .magic = HVSMOKE_CFG_MAGIC, .version = 1,
				   .size = HVSMOKE_CFG_SIZE, .expected_cpus = 4 };
	uint8_t dir[4 + 2 * FWCFG_DIR_ENTRY];
	uint8_t data[HVSMOKE_CFG_SIZE + 4];
	struct fwcfg f;
	char big[FWCFG_FILE_MAX + 1] = { 0 };
	uint16_t sel;
	uint32_t size;

	TEST_ASSERT(sizeof(cfg) == HVSMOKE_CFG_SIZE, "config struct is %zu bytes", sizeof(cfg));
	fwcfg_init(&f, 4);
	TEST_ASSERT(fwcfg_add_file(&f, "etc/other", "xy", 2) == 0, "add other");
	TEST_ASSERT(fwcfg_add_file(&f, HVSMOKE_CFG_NAME, &cfg, sizeof(cfg)) == 0, "add config");
	read_n(&f, FW_CFG_FILE_DIR, dir, sizeof(dir));
	TEST_ASSERT(dir[0] == 0 && dir[1] == 0 && dir[2] == 0 && dir[3] == 2, "count is BE 2");
	size = (uint32_t)dir[4 + 64] << 24 | (uint32_t)dir[5 + 64] << 16 | dir[6 + 64] << 8 |
	       dir[7 + 64];
	sel = (uint16_t)(dir[8 + 64] << 8 | dir[9 + 64]);
	TEST_ASSERT(size == HVSMOKE_CFG_SIZE, "size %u", size);
	TEST_ASSERT(sel == FW_CFG_FILE_FIRST + 1, "select 0x%x", sel);
	TEST_ASSERT(!strcmp((char *)dir + 4 + 64 + 8, HVSMOKE_CFG_NAME), "name %s",
		    (char *)dir + 4 + 64 + 8);

	read_n(&f, sel, data, sizeof(data));
	TEST_ASSERT(!memcmp(data, &cfg, sizeof(cfg)), "config bytes differ");
	TEST_ASSERT(!data[HVSMOKE_CFG_SIZE] && !data[HVSMOKE_CFG_SIZE + 3], "tail not zero");

	memset(big, 'a', sizeof(big) - 1);
	TEST_ASSERT(fwcfg_add_file(&f, big, "x", 1) == -1, "over-long name accepted");
	TEST_ASSERT(fwcfg_add_file(&f, "big", big, sizeof(big)) == -1, "over-size file accepted");
	TEST_ASSERT(fwcfg_add_file(&f, "c", "x", 1) == 0, "third");
	TEST_ASSERT(fwcfg_add_file(&f, "d", "x", 1) == 0, "fourth");
	TEST_ASSERT(fwcfg_add_file(&f, "e", "x", 1) == -1, "table overflow accepted");
}

static void test_unknown_key(void)
{
	struct fwcfg f;
	uint8_t buf[4];

	fwcfg_init(&f, 1);
	read_n(&f, 0x1234, buf, 4);
	TEST_ASSERT(!buf[0] && !buf[1] && !buf[2] && !buf[3], "unknown key must read zeros");
	TEST_ASSERT(f.unknown_selects == 1, "unknown_selects %llu",
		    (unsigned long long)f.unknown_selects);
	read_n(&f, FW_CFG_FILE_FIRST, buf, 1);	/* no files yet */
	TEST_ASSERT(f.unknown_selects == 2, "file key with no file counted as unknown");
}

int main(void)
{
	test_signature_and_cpus();
	test_file_dir();
	test_unknown_key();
	return unit_done("test_fwcfg");
}
