; SPDX-License-Identifier: GPL-2.0-only
; Everything the firmware tells the outside: events, console text, completion.
%include "hvsmoke.inc"

global ev_send, ev_bsp, con_puts, con_dec, con_hex, con_hex8, fw_fail, fw_finish
extern fw_flags, fw_bsp_apic

section .rodata progbits alloc noexec nowrite align=16
s_0x		db "0x", 0
s_error		db "hvsmoke: error code=", 0
s_done		db "hvsmoke: done code=", 0
s_nl		db 10, 0

section .text32 progbits alloc exec nowrite align=16
bits 32

; Send one event: al = type, bl = APIC ID, cx = argument. Preserves all.
ev_send:
	push	eax
	push	edx
	movzx	edx, cx
	shl	edx, 16
	mov	dl, al
	mov	dh, bl
	mov	eax, edx
	mov	dx, PORT_EVENT
	out	dx, eax
	pop	edx
	pop	eax
	ret

; ev_send on behalf of the BSP: al = type, cx = argument. Preserves all.
ev_bsp:
	push	ebx
	mov	ebx, [fw_bsp_apic]
	call	ev_send
	pop	ebx
	ret

; Print the NUL-terminated string at esi if the console is on. Preserves all.
; Byte-wide outs: debugcon is a byte port and string I/O costs the VMM more.
con_puts:
	test	byte [fw_flags], CFG_F_CONSOLE
	jz	.ret
	push	eax
	push	edx
	push	esi
	mov	dx, PORT_DEBUGCON
.next:
	lodsb
	test	al, al
	jz	.end
	out	dx, al
	jmp	.next
.end:
	pop	esi
	pop	edx
	pop	eax
.ret:
	ret

; Print eax as unsigned decimal if the console is on. Preserves all.
con_dec:
	test	byte [fw_flags], CFG_F_CONSOLE
	jz	.ret
	pushad
	mov	ecx, 10
	xor	ebx, ebx
.split:					; digits come out lowest first: stack them
	xor	edx, edx
	div	ecx
	push	edx
	inc	ebx
	test	eax, eax
	jnz	.split
	mov	dx, PORT_DEBUGCON
.emit:
	pop	eax
	add	al, '0'
	out	dx, al
	dec	ebx
	jnz	.emit
	popad
.ret:
	ret

; Print eax as 0x-prefixed lowercase hex, all eight digits, if the console is
; on: for values whose width carries meaning (revision IDs). Preserves all.
con_hex8:
	test	byte [fw_flags], CFG_F_CONSOLE
	jz	con_hex.ret
	pushad
	mov	edi, 1			; as if a digit had been printed: keep zeros
	jmp	con_hex.digits

; Print eax as 0x-prefixed lowercase hex without leading zeros if the console
; is on. Preserves all.
con_hex:
	test	byte [fw_flags], CFG_F_CONSOLE
	jz	.ret
	pushad
	xor	edi, edi		; nonzero once a digit has been printed
.digits:
	mov	ebx, eax
	mov	esi, s_0x
	call	con_puts
	mov	dx, PORT_DEBUGCON
	mov	ecx, 8
.nibble:
	rol	ebx, 4
	mov	al, bl
	and	al, 0x0f
	jnz	.emit
	test	edi, edi
	jnz	.emit
	cmp	ecx, 1			; a zero value still prints one digit
	jne	.skip
.emit:
	inc	edi
	add	al, '0'
	cmp	al, '9'
	jbe	.out
	add	al, 'a' - '9' - 1
.out:
	out	dx, al
.skip:
	dec	ecx
	jnz	.nibble
	popad
.ret:
	ret

; Report a firmware error and stop: ecx = FWERR_*, al = DONE_* code.
fw_fail:
	mov	ah, al
	mov	al, EV_ERROR
	call	ev_bsp
	mov	esi, s_error
	call	con_puts
	mov	edx, eax
	mov	eax, ecx
	call	con_dec
	mov	esi, s_nl
	call	con_puts
	mov	al, dh
	; fall through

; Write completion code al and stop this CPU for good. Under QEMU's
; isa-debug-exit the out ends the VM; anywhere else we simply park.
fw_finish:
	movzx	eax, al
	mov	esi, s_done
	call	con_puts
	call	con_hex
	mov	esi, s_nl
	call	con_puts
	out	PORT_COMPLETION, al
.halt:
	cli
	hlt
	jmp	.halt
