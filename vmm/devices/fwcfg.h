/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal fw_cfg (QEMU's firmware config interface) on the legacy I/O
 * ports, with its DMA interface: read-only, into guest RAM.
 */
#ifndef HVSMOKE_FWCFG_H
#define HVSMOKE_FWCFG_H

#include <stdbool.h>
#include <stdint.h>

#define FWCFG_MAX_FILES		4
#define FWCFG_FILE_MAX		256
#define FWCFG_NAME_LEN		56
#define FWCFG_DIR_ENTRY		64
/*
 * The descriptor's alignment: a 32-bit guest's FWCfgDmaAccess is 4-aligned
 * (i386 ABI), and so its control word, which the guest polls, never tears.
 */
#define FWCFG_DMA_ALIGN		4

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
	uint32_t dma_addr_hi;		/* the address register's high half, until the low half */
	uint64_t data_reads;		/* bytes read through the data port */
	uint64_t dma_requests;		/* transfers started, refused ones included */
	uint64_t dma_errors;		/* ...of which refused */
};

/* Guest RAM as the DMA engine may touch it: guest-physical 0 up to size. */
struct fwcfg_ram {
	uint8_t *base;
	uint64_t size;
};

void fwcfg_init(struct fwcfg *f, uint16_t nb_cpus);
/* 0, or -1 if the name is too long, the data too big or the table full. */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data, uint32_t size);
void fwcfg_select(struct fwcfg *f, uint16_t key);
uint8_t fwcfg_read(struct fwcfg *f);

/*
 * The DMA address register's two 4-byte ports, lo false for PORT_FWCFG_DMA_HI:
 * bytes as on the wire (big-endian). Writing the low half runs the transfer.
 */
void fwcfg_dma_addr_write(struct fwcfg *f, bool lo, const uint8_t bytes[4],
			  const struct fwcfg_ram *ram);
void fwcfg_dma_addr_read(bool lo, uint8_t bytes[4]);
/*
 * Runs the FWCfgDmaAccess at guest-physical desc. 0, or -1 if refused: the
 * device's state is then unchanged, and the descriptor's control reads
 * FWCFG_DMA_ERROR if the descriptor is in RAM at all.
 */
int fwcfg_dma(struct fwcfg *f, uint64_t desc, const struct fwcfg_ram *ram);

#endif
