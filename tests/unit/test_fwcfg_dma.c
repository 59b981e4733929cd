// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves fw_cfg's DMA interface against QEMU's docs/specs/fw_cfg.rst: reads
 * of a whole item, part of one, with SELECT, after SKIP, and past the end
 * (zeros); the address register's two halves. And that every request the
 * device refuses (a descriptor outside RAM or misaligned, a target outside
 * RAM or wrapping, WRITE, a bit it does not know) leaves ERROR in the
 * descriptor where there is one, changes no other byte of RAM and none
 * outside it (guard bytes on both sides), and leaves the device as it was.
 */
#include "../../vmm/devices/fwcfg.h"
#include "../../vmm/protocol.h"
#include "unit.h"

#include <string.h>

#define RAM_SIZE	4096u
#define GUARD		256u
#define GUARD_BYTE	0xa5
#define DESC		0x40u		/* a good descriptor's address */
#define TARGET		0x200u		/* a good target */
#define FILE_SIZE	40u

static uint8_t mem[GUARD + RAM_SIZE + GUARD];
static struct fwcfg_ram ram = { mem + GUARD, RAM_SIZE };
static uint8_t file[FILE_SIZE];

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A fresh device with one file (bytes 1..40), and RAM filled with a pattern. */
static void setup(struct fwcfg *f)
{
	unsigned int i;

	fwcfg_init(f, 4);
	for (i = 0; i < FILE_SIZE; i++)
		file[i] = (uint8_t)(i + 1);
	fwcfg_add_file(f, HVSMOKE_CFG_NAME, file, FILE_SIZE);
	memset(mem, GUARD_BYTE, sizeof(mem));
	for (i = 0; i < RAM_SIZE; i++)
		ram.base[i] = (uint8_t)(i * 7 + 3);
}

static void put_desc(uint64_t gpa, uint32_t control, uint32_t len, uint64_t addr)
{
	uint8_t *d = ram.base + gpa;

	put_be32(d, control);
	put_be32(d + 4, len);
	put_be32(d + 8, (uint32_t)(addr >> 32));
	put_be32(d + 12, (uint32_t)addr);
}

static uint32_t control_at(uint64_t gpa)
{
	return get_be32(ram.base + gpa);
}

static uint32_t sel(uint16_t key)
{
	return (uint32_t)key << 16 | FWCFG_DMA_SELECT;
}

static int run(struct fwcfg *f, uint32_t control, uint32_t len, uint64_t addr)
{
	put_desc(DESC, control, len, addr);
	return fwcfg_dma(f, DESC, &ram);
}

static bool guards_intact(void)
{
	unsigned int i;

	for (i = 0; i < GUARD; i++)
		if (mem[i] != GUARD_BYTE || mem[GUARD + RAM_SIZE + i] != GUARD_BYTE)
			return false;
	return true;
}

static void test_reads(void)
{
	struct fwcfg f;
	uint8_t before[RAM_SIZE];

	setup(&f);
	memcpy(before, ram.base, RAM_SIZE);
	TEST_ASSERT(run(&f, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, FILE_SIZE, TARGET) == 0,
		    "whole file");
	TEST_ASSERT(control_at(DESC) == 0, "control cleared on success: %08x", control_at(DESC));
	TEST_ASSERT(!memcmp(ram.base + TARGET, file, FILE_SIZE), "file bytes");
	TEST_ASSERT(ram.base[TARGET - 1] == before[TARGET - 1] &&
		    ram.base[TARGET + FILE_SIZE] == before[TARGET + FILE_SIZE],
		    "the bytes either side of the target are untouched");
	TEST_ASSERT(f.dma_requests == 1 && f.dma_errors == 0 && f.data_reads == 0, "counted");

	/* part, then the rest without SELECT: the offset carries on */
	TEST_ASSERT(run(&f, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 10, TARGET) == 0, "part");
	TEST_ASSERT(run(&f, FWCFG_DMA_READ, 10, TARGET + 10) == 0, "next part");
	TEST_ASSERT(!memcmp(ram.base + TARGET, file, 20), "two parts make the first 20 bytes");
	TEST_ASSERT(f.offset == 20, "offset %u", f.offset);
	/* the data port shares the offset */
	TEST_ASSERT(fwcfg_read(&f) == file[20], "the data port goes on from the DMA's offset");

	/* SKIP then READ */
	TEST_ASSERT(run(&f, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_SKIP, 5, 0xdeadbeef00ull) == 0,
		    "skip: its address is never used");
	TEST_ASSERT(run(&f, FWCFG_DMA_READ, 4, TARGET) == 0, "read after skip");
	TEST_ASSERT(!memcmp(ram.base + TARGET, file + 5, 4), "bytes 5..8");

	/* READ wins over SKIP (the doc: skip only without read or write) */
	TEST_ASSERT(run(&f, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ | FWCFG_DMA_SKIP, 3,
			TARGET) == 0, "read and skip");
	TEST_ASSERT(!memcmp(ram.base + TARGET, file, 3), "read, not skipped");

	/* SELECT alone selects; no op at all is a success that does nothing */
	TEST_ASSERT(run(&f, sel(FW_CFG_SIGNATURE), 99, TARGET) == 0, "select only");
	TEST_ASSERT(f.selected == FW_CFG_SIGNATURE && f.offset == 0, "selected, offset 0");
	TEST_ASSERT(run(&f, 0, 99, TARGET) == 0 && control_at(DESC) == 0, "no op");
	TEST_ASSERT(fwcfg_read(&f) == 'Q', "no op left the offset alone");
	TEST_ASSERT(guards_intact(), "guards");
}

static void test_past_the_end(void)
{
	struct fwcfg f;
	uint8_t zeros[16] = { 0 };
	uint8_t buf[4];

	setup(&f);
	memset(ram.base + TARGET, 0xee, 16);
	TEST_ASSERT(run(&f, sel(FW_CFG_SIGNATURE) | FWCFG_DMA_READ, 8, TARGET) == 0, "past end");
	TEST_ASSERT(!memcmp(ram.base + TARGET, "QEMU\0\0\0\0", 8), "the item, then zeros");
	TEST_ASSERT(ram.base[TARGET + 8] == 0xee, "no further than asked");
	TEST_ASSERT(f.offset == 4, "the offset stops at the end: %u", f.offset);
	memset(ram.base + TARGET, 0xee, 16);
	TEST_ASSERT(run(&f, FWCFG_DMA_READ, 16, TARGET) == 0, "from the end");
	TEST_ASSERT(!memcmp(ram.base + TARGET, zeros, 16), "all zeros");

	/* SKIP past the end stops there too */
	TEST_ASSERT(run(&f, sel(FW_CFG_SIGNATURE) | FWCFG_DMA_SKIP, ~0u, 0) == 0, "skip far");
	TEST_ASSERT(f.offset == 4, "skip stops at the end: %u", f.offset);

	/* an unknown key reads as zeros, and counts as unknown */
	memset(ram.base + TARGET, 0xee, 16);
	TEST_ASSERT(run(&f, sel(0x1234) | FWCFG_DMA_READ, 4, TARGET) == 0, "unknown key");
	TEST_ASSERT(!memcmp(ram.base + TARGET, zeros, 4), "unknown key reads zeros");
	TEST_ASSERT(f.unknown_selects == 1, "unknown select counted");

	/* a zero-length read touches nothing, wherever it points */
	TEST_ASSERT(run(&f, sel(FW_CFG_SIGNATURE) | FWCFG_DMA_READ, 0, ~0ull) == 0, "empty read");

	/* the register reads as "QEMU CFG", big-endian */
	fwcfg_dma_addr_read(false, buf);
	TEST_ASSERT(!memcmp(buf, "QEMU", 4), "high half %.4s", buf);
	fwcfg_dma_addr_read(true, buf);
	TEST_ASSERT(!memcmp(buf, " CFG", 4), "low half %.4s", buf);
	TEST_ASSERT(guards_intact(), "guards");
}

static void test_address_register(void)
{
	struct fwcfg f;
	uint8_t be[4];

	setup(&f);
	/* a 32-bit guest: the low half alone starts it */
	put_desc(DESC, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 4, TARGET);
	put_be32(be, DESC);
	fwcfg_dma_addr_write(&f, true, be, &ram);
	TEST_ASSERT(f.dma_requests == 1 && control_at(DESC) == 0, "low half alone");
	TEST_ASSERT(!memcmp(ram.base + TARGET, file, 4), "read");

	/* a high half puts the descriptor above 4 GiB: outside RAM, refused */
	put_desc(DESC, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 4, TARGET + 8);
	put_be32(be, 1);
	fwcfg_dma_addr_write(&f, false, be, &ram);
	TEST_ASSERT(f.dma_requests == 1, "the high half starts nothing");
	put_be32(be, DESC);
	fwcfg_dma_addr_write(&f, true, be, &ram);
	TEST_ASSERT(f.dma_requests == 2 && f.dma_errors == 1, "1:DESC refused");
	TEST_ASSERT(control_at(DESC) == (sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ),
		    "the descriptor at DESC was not the one asked for: untouched");

	/* the register is 0 after every operation: the low half alone again */
	fwcfg_dma_addr_write(&f, true, be, &ram);
	TEST_ASSERT(f.dma_requests == 3 && f.dma_errors == 1 && control_at(DESC) == 0,
		    "the high half was cleared by the last operation");
	TEST_ASSERT(!memcmp(ram.base + TARGET + 8, file, 4), "read");

	/* high half 0 written explicitly, as a 64-bit guest would */
	put_desc(DESC, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 4, TARGET);
	put_be32(be, 0);
	fwcfg_dma_addr_write(&f, false, be, &ram);
	put_be32(be, DESC);
	fwcfg_dma_addr_write(&f, true, be, &ram);
	TEST_ASSERT(f.dma_requests == 4 && f.dma_errors == 1 && control_at(DESC) == 0,
		    "both halves");
	TEST_ASSERT(guards_intact(), "guards");
}

/*
 * A request the device must refuse: ERROR in the descriptor's control (if
 * it is in RAM and said is true), no other byte of RAM changed, the guards
 * intact, the selection and offset as they were, one more error counted.
 */
static void refused(const char *what, uint64_t desc, uint32_t control, uint32_t len,
		    uint64_t addr, bool said)
{
	static uint8_t before[RAM_SIZE];
	struct fwcfg f;
	uint64_t errors;
	unsigned int i, changed = 0;

	setup(&f);
	/* mid-item, so a stray select or skip would show */
	fwcfg_select(&f, FW_CFG_FILE_FIRST);
	fwcfg_read(&f);
	fwcfg_read(&f);
	errors = f.dma_errors;
	if (desc <= RAM_SIZE - FWCFG_DMA_DESC_SIZE)
		put_desc(desc, control, len, addr);
	memcpy(before, ram.base, RAM_SIZE);
	TEST_ASSERT(fwcfg_dma(&f, desc, &ram) == -1, "%s: accepted", what);
	TEST_ASSERT(f.dma_errors == errors + 1, "%s: not counted", what);
	TEST_ASSERT(f.selected == FW_CFG_FILE_FIRST && f.offset == 2,
		    "%s: the device changed: key %#x offset %u", what, f.selected, f.offset);
	if (said) {
		TEST_ASSERT(control_at(desc) == FWCFG_DMA_ERROR, "%s: control %08x", what,
			    control_at(desc));
		memcpy(before + desc, ram.base + desc, 4);	/* the one word it may write */
	}
	for (i = 0; i < RAM_SIZE; i++)
		changed += before[i] != ram.base[i];
	TEST_ASSERT(!changed, "%s: %u bytes of RAM changed", what, changed);
	TEST_ASSERT(guards_intact(), "%s: wrote outside RAM", what);
}

static void test_refused(void)
{
	const uint32_t rd = sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ;
	struct fwcfg f;

	/* the descriptor: outside RAM (nowhere to say so), or misaligned */
	refused("descriptor past the end", RAM_SIZE, rd, 4, TARGET, false);
	refused("descriptor across the end", RAM_SIZE - 8, rd, 4, TARGET, false);
	refused("descriptor wraps", ~0ull - 7, rd, 4, TARGET, false);
	refused("descriptor above 4 GiB", 1ull << 32, rd, 4, TARGET, false);
	refused("descriptor misaligned", DESC + 2, rd, 4, TARGET, true);
	refused("descriptor misaligned by 1", DESC + 1, rd, 4, TARGET, true);

	/* the target: outside RAM, across its end, wrapping, too long */
	refused("target past the end", DESC, rd, 1, RAM_SIZE, true);
	refused("target across the end", DESC, rd, 8, RAM_SIZE - 4, true);
	refused("target wraps", DESC, rd, 8, ~0ull - 3, true);
	refused("target above 4 GiB", DESC, rd, 4, (1ull << 32) + TARGET, true);
	refused("length larger than RAM", DESC, rd, 0xffffffffu, 0, true);
	refused("length one past RAM", DESC, rd, RAM_SIZE + 1, 0, true);

	/* the control word */
	refused("WRITE", DESC, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_WRITE, 4, TARGET, true);
	refused("WRITE and READ", DESC, rd | FWCFG_DMA_WRITE, 4, TARGET, true);
	refused("ERROR in a request", DESC, rd | FWCFG_DMA_ERROR, 4, TARGET, true);
	refused("bit 5", DESC, rd | (1u << 5), 4, TARGET, true);
	refused("bit 15", DESC, rd | (1u << 15), 4, TARGET, true);
	refused("a key without SELECT", DESC, (uint32_t)FW_CFG_ID << 16 | FWCFG_DMA_READ, 4, TARGET,
		true);

	/* no RAM at all: nothing to read or write */
	fwcfg_init(&f, 1);
	{
		struct fwcfg_ram none = { NULL, 0 };

		TEST_ASSERT(fwcfg_dma(&f, 0, &none) == -1 && f.dma_errors == 1, "no RAM");
	}

	/* the largest good target ends at RAM's last byte */
	setup(&f);
	TEST_ASSERT(run(&f, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 4, RAM_SIZE - 4) == 0,
		    "a target that ends with RAM");
	TEST_ASSERT(!memcmp(ram.base + RAM_SIZE - 4, file, 4) && guards_intact(), "last bytes");
	/* and the last descriptor RAM can hold is a good one */
	put_desc(RAM_SIZE - FWCFG_DMA_DESC_SIZE, sel(FW_CFG_FILE_FIRST) | FWCFG_DMA_READ, 4,
		 TARGET);
	TEST_ASSERT(fwcfg_dma(&f, RAM_SIZE - FWCFG_DMA_DESC_SIZE, &ram) == 0 &&
		    control_at(RAM_SIZE - FWCFG_DMA_DESC_SIZE) == 0,
		    "a descriptor that ends with RAM");
	TEST_ASSERT(guards_intact(), "guards");
}

int main(void)
{
	test_reads();
	test_past_the_end();
	test_address_register();
	test_refused();
	return unit_done("test_fwcfg_dma");
}
