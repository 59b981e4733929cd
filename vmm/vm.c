// SPDX-License-Identifier: GPL-2.0-only
/* Guest memory: RAM at 0 (with the ROM's copy below 1 MiB) and the ROM below 4 GiB. */
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT_RAM, SLOT_ROM };

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Top-align like a flash part, so the reset vector is the image's last 16 bytes. */
static void load_rom(struct vm *vm)
{
	memset(vm->rom, 0xff, VM_ROM_MAX);
	memcpy(vm->rom + VM_ROM_MAX - vm->fw_size, vm->fw, vm->fw_size);
	memcpy(vm->ram + VM_ROM_SHADOW_TOP - VM_ROM_MAX, vm->rom, VM_ROM_MAX);
}

void vm__reset_memory(struct vm *vm)
{
	memset(vm->ram, 0, vm->ram_size);
	load_rom(vm);
}

int vm__create(struct vm *vm, const struct accel_ops *ops, const uint8_t *fw, size_t fw_size,
	       bool smm, char *err, size_t errlen)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->ops = ops;
	if (!fw_size || fw_size > VM_ROM_MAX) {
		snprintf(err, errlen, "firmware image is %zu bytes; it must be 1..%u", fw_size,
			 VM_ROM_MAX);
		return -EINVAL;
	}

	vm->ram_size = VM_RAM_SIZE;
	vm->ram = map_anon(vm->ram_size);
	vm->rom = map_anon(VM_ROM_MAX);
	if (!vm->ram || !vm->rom) {
		snprintf(err, errlen, "cannot map guest memory: %s", strerror(errno));
		vm__destroy(vm);
		return -ENOMEM;
	}
	vm->fw = fw;
	vm->fw_size = fw_size;
	load_rom(vm);

	r = ops->vm_create(vm);
	if (r) {
		snprintf(err, errlen, "%s: cannot create VM: %s", ops->name, strerror(-r));
		vm__destroy(vm);
		return r;
	}
	r = ops->vm_map(vm, SLOT_RAM, 0, vm->ram, vm->ram_size, false, false);
	if (!r)
		r = ops->vm_map(vm, SLOT_ROM, VM_ROM_TOP - VM_ROM_MAX, vm->rom, VM_ROM_MAX, true,
				false);
	if (!r && smm)
		r = ops->vm_map(vm, SLOT_RAM, 0, vm->ram, vm->ram_size, false, true);
	if (!r && smm)
		r = ops->vm_map(vm, SLOT_ROM, VM_ROM_TOP - VM_ROM_MAX, vm->rom, VM_ROM_MAX, true,
				true);
	if (r) {
		snprintf(err, errlen, "%s: cannot map guest memory: %s", ops->name, strerror(-r));
		vm__destroy(vm);
		return r;
	}
	r = ops->vm_irqchip ? ops->vm_irqchip(vm) : 0;
	if (r) {
		snprintf(err, errlen, "%s: cannot create the interrupt controller: %s", ops->name,
			 strerror(-r));
		vm__destroy(vm);
		return r;
	}
	return 0;
}

void vm__unmap_memory(struct vm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->rom)
		munmap(vm->rom, VM_ROM_MAX);
	vm->ram = NULL;
	vm->rom = NULL;
}

void vm__destroy(struct vm *vm)
{
	if (vm->fd >= 0 && vm->ops)
		vm->ops->vm_destroy(vm);
	vm__unmap_memory(vm);
	vm->fd = -1;
}
