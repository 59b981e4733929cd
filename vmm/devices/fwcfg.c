// SPDX-License-Identifier: GPL-2.0-only
/*
 * fw_cfg items as the firmware reads them: select a key, then stream bytes,
 * through the data port or by DMA into guest RAM. Multi-byte scalars are
 * little-endian, the file directory and the DMA descriptor big-endian (QEMU's ABI).
 */
#include "fwcfg.h"
#include "../protocol.h"

#include <string.h>

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void rebuild_dir(struct fwcfg *f)
{
	unsigned int i;

	memset(f->dir, 0, sizeof(f->dir));
	put_be32(f->dir, f->nfiles);
	for (i = 0; i < f->nfiles; i++) {
		uint8_t *e = f->dir + 4 + i * FWCFG_DIR_ENTRY;

		put_be32(e, f->files[i].size);
		put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
		memcpy(e + 8, f->files[i].name, FWCFG_NAME_LEN);
	}
}

void fwcfg_init(struct fwcfg *f, uint16_t nb_cpus)
{
	memset(f, 0, sizeof(*f));
	f->nb_cpus = nb_cpus;
	rebuild_dir(f);
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t size)
{
	struct fwcfg_file *file;

	if (f->nfiles >= FWCFG_MAX_FILES || strlen(name) >= FWCFG_NAME_LEN ||
	    size > FWCFG_FILE_MAX)
		return -1;
	file = &f->files[f->nfiles++];
	memset(file, 0, sizeof(*file));
	strcpy(file->name, name);
	memcpy(file->data, data, size);
	file->size = size;
	rebuild_dir(f);
	return 0;
}

/* The selected item's bytes; *len 0 for an unknown key. */
static const uint8_t *item(struct fwcfg *f, uint8_t *scratch, uint32_t *len)
{
	uint16_t key = f->selected;

	switch (key) {
	case FW_CFG_SIGNATURE:
		*len = 4;
		return (const uint8_t *)"QEMU";
	case FW_CFG_ID:
		memset(scratch, 0, 4);
		scratch[0] = FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA;
		*len = 4;
		return scratch;
	case FW_CFG_NB_CPUS:
		scratch[0] = (uint8_t)f->nb_cpus;
		scratch[1] = (uint8_t)(f->nb_cpus >> 8);
		*len = 2;
		return scratch;
	case FW_CFG_FILE_DIR:
		*len = 4 + f->nfiles * FWCFG_DIR_ENTRY;
		return f->dir;
	}
	if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_FILE_FIRST + f->nfiles) {
		const struct fwcfg_file *file = &f->files[key - FW_CFG_FILE_FIRST];

		*len = file->size;
		return file->data;
	}
	*len = 0;
	return NULL;
}

void fwcfg_select(struct fwcfg *f, uint16_t key)
{
	uint8_t scratch[4];
	uint32_t len;

	f->selected = key;
	f->offset = 0;
	if (!item(f, scratch, &len))
		f->unknown_selects++;
}

uint8_t fwcfg_read(struct fwcfg *f)
{
	uint8_t scratch[4];
	uint32_t len;
	const uint8_t *p = item(f, scratch, &len);

	f->data_reads++;
	/* Unknown keys and reads past the end give zeros, as QEMU's do. */
	if (!p || f->offset >= len)
		return 0;
	return p[f->offset++];
}

/* [gpa, gpa + len) is RAM, with no wrap past 2^64 on the way. */
static bool in_ram(const struct fwcfg_ram *ram, uint64_t gpa, uint64_t len)
{
	return ram->base && gpa <= ram->size && len <= ram->size - gpa;
}

int fwcfg_dma(struct fwcfg *f, uint64_t desc, const struct fwcfg_ram *ram)
{
	uint8_t d[FWCFG_DMA_DESC_SIZE], scratch[4];
	uint32_t control, len, item_len, avail, n;
	uint32_t allowed = FWCFG_DMA_READ | FWCFG_DMA_SKIP | FWCFG_DMA_SELECT;
	const uint8_t *p;
	uint64_t addr;

	f->dma_requests++;
	if (!in_ram(ram, desc, sizeof(d)))
		goto refused_unsaid;	/* no control word to put the error in */
	/* one copy: another vCPU may be rewriting it while we look */
	memcpy(d, ram->base + desc, sizeof(d));
	control = get_be32(d);
	len = get_be32(d + 4);
	addr = (uint64_t)get_be32(d + 8) << 32 | get_be32(d + 12);
	if (desc % FWCFG_DMA_ALIGN)
		goto refused;
	/*
	 * Anything else is refused, not ignored as QEMU does: WRITE (nothing
	 * here is writable), ERROR (a status, not a request), and a key
	 * without SELECT, which would read whatever was selected before.
	 */
	if (control & FWCFG_DMA_SELECT)
		allowed |= 0xffff0000u;
	if (control & ~allowed)
		goto refused;
	/* a zero-length read touches nothing, wherever it points (QEMU's rule) */
	if ((control & FWCFG_DMA_READ) && len && !in_ram(ram, addr, len))
		goto refused;

	/* Checked in full first: a refused request leaves the selection and offset alone. */
	if (control & FWCFG_DMA_SELECT)
		fwcfg_select(f, (uint16_t)(control >> 16));
	if (control & (FWCFG_DMA_READ | FWCFG_DMA_SKIP)) {
		p = item(f, scratch, &item_len);
		avail = p && f->offset < item_len ? item_len - f->offset : 0;
		n = len < avail ? len : avail;
		/* READ wins over SKIP, as in QEMU's doc; past the end it reads zeros */
		if ((control & FWCFG_DMA_READ) && len) {
			if (n)
				memcpy(ram->base + addr, p + f->offset, n);
			memset(ram->base + addr + n, 0, len - n);
		}
		/* the offset stops at the item's end, as the data port's does */
		f->offset += n;
	}
	put_be32(ram->base + desc, 0);
	return 0;

refused:
	put_be32(ram->base + desc, FWCFG_DMA_ERROR);
refused_unsaid:
	f->dma_errors++;
	return -1;
}

void fwcfg_dma_addr_write(struct fwcfg *f, bool lo, const uint8_t bytes[4],
			  const struct fwcfg_ram *ram)
{
	uint64_t desc;

	if (!lo) {
		f->dma_addr_hi = get_be32(bytes);
		return;
	}
	desc = (uint64_t)f->dma_addr_hi << 32 | get_be32(bytes);
	/* the register is 0 again after every operation: a 32-bit guest writes only the low half */
	f->dma_addr_hi = 0;
	fwcfg_dma(f, desc, ram);
}

void fwcfg_dma_addr_read(bool lo, uint8_t bytes[4])
{
	put_be32(bytes, (uint32_t)(FWCFG_DMA_SIGNATURE >> (lo ? 0 : 32)));
}
