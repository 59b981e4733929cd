// SPDX-License-Identifier: GPL-2.0-only
/*
 * fw_cfg items as the firmware reads them: select a key, then stream bytes.
 * Multi-byte scalars are little-endian, the file directory big-endian (QEMU's ABI).
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
		/* bit 0: the traditional interface; no DMA */
		memset(scratch, 0, 4);
		scratch[0] = 1;
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

	/* Unknown keys and reads past the end give zeros, as QEMU's do. */
	if (!p || f->offset >= len)
		return 0;
	return p[f->offset++];
}
