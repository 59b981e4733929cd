/* SPDX-License-Identifier: GPL-2.0-only */
/* One virtual machine: its accelerator handle, RAM and the firmware ROM. */
#ifndef HVSMOKE_VM_H
#define HVSMOKE_VM_H

#include <stddef.h>
#include <stdint.h>

#include "accel.h"

#define VM_RAM_SIZE		(2u << 20)
#define VM_ROM_MAX		(64u << 10)
#define VM_ROM_TOP		0x100000000ull	/* the ROM ends at 4 GiB... */
#define VM_ROM_SHADOW_TOP	0x100000ull	/* ...and its copy ends at 1 MiB */

struct vm {
	const struct accel_ops *ops;
	int fd;
	void *priv;
	uint8_t *ram;
	uint64_t ram_size;
	uint8_t *rom;			/* VM_ROM_MAX bytes, image top-aligned, 0xff below */
	const uint8_t *fw;		/* the image, for a warm reset */
	size_t fw_size;
};

/* 0, or -errno with a one-line reason in err. */
/*
 * With smm, the SMM address space gets the same RAM and ROM: the firmware's
 * SMRAM (its SMBASE regions) is ordinary RAM it sets up before the first SMI.
 */
int vm__create(struct vm *vm, const struct accel_ops *ops, const uint8_t *fw, size_t fw_size,
	       bool smm, char *err, size_t errlen);
void vm__destroy(struct vm *vm);
/* Guest memory unmapped, the VM kept (see accel_ops.vcpu_unmap). */
void vm__unmap_memory(struct vm *vm);
/* A warm reset's memory: RAM zeroed, the ROM and its low copy as at creation. */
void vm__reset_memory(struct vm *vm);

#endif
