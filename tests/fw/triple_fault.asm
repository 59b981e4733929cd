; SPDX-License-Identifier: GPL-2.0-only
; Enters protected mode, loads an empty IDT and raises an exception: a triple
; fault (shutdown) that the VMM must report as guest-crash.
%include "reset.inc"
start:
	cli
	o32 lgdt [cs:gdtr]
	mov	eax, cr0
	or	al, 1
	mov	cr0, eax
	jmp	dword 0x08:0xffff0000 + pm32
bits 32
pm32:
	mov	ax, 0x10
	mov	ds, ax
	lidt	[0xffff0000 + empty_idt]
	int3
.h:	hlt
	jmp	.h
align 8
gdt:
	dq	0
	dq	0x00cf9b000000ffff	; accessed bit preset: the GDT is in ROM
	dq	0x00cf93000000ffff
gdtr:
	dw	3 * 8 - 1
	dd	0xffff0000 + gdt	; org 0xf000 makes labels CS offsets
empty_idt:
	dw	0
	dd	0
bits 16
	RESET_VECTOR
