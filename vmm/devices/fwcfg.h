/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal fw_cfg (QEMU's firmware config interface) on the legacy I/O ports. */
#ifndef HVSMOKE_FWCFG_H
#define HVSMOKE_FWCFG_H

#include <stdint.h>

#define FWCFG_MAX_FILES		4
#define FWCFG_FILE_MAX		256
#define FWCFG_NAME_LEN		56
#define FWCFG_DIR_ENTRY		64

struct fwcfg_file {
	char name[FWCFG_NAME_LEN];
	uint8_t data[FWCFG_FILE_MAX];
	uint32_t size;
};

struct fwcfg {
	uint16_t nb_cpus;
	unsigned int nfiles;
	struct fwcfg_file files[FWCFG_MAX_FILES];
	uint8_t dir[4 + FWCFG_DIR_ENTRY * FWCFG_MAX_FILES];
	uint16_t selected;
	uint32_t offset;		/* next byte of the selected item */
	uint64_t unknown_selects;	/* keys we do not have: they read as zeros */
};

void fwcfg_init(struct fwcfg *f, uint16_t nb_cpus);
/* 0, or -1 if the name is too long, the data too big or the table full. */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t size);
void fwcfg_select(struct fwcfg *f, uint16_t key);
uint8_t fwcfg_read(struct fwcfg *f);

#endif
