; SPDX-License-Identifier: GPL-2.0-only
; Everything the firmware tells the outside: events, console text, completion.
%include "hvsmoke.inc"
%include "evstream.inc"

global ev_send, ev_bsp, con_puts, con_dec, con_hex, con_hex8, fw_fail, fw_finish
extern fw_flags, fw_bsp_apic, fw_deadline, tsc_deadline

section .rodata progbits alloc noexec nowrite align=16
s_0x		db "0x", 0
s_error		db "hvsmoke: error code=", 0
s_done		db "hvsmoke: done code=", 0
s_nl		db 10, 0

section .text32 progbits alloc exec nowrite align=16
bits 32

; Send one event: al = type, ebx = APIC ID, cx = argument. Preserves all.
ev_send:
	push	eax
	push	edx
	movzx	edx, cx
	shl	edx, 16
	and	eax, 0xff
	or	edx, eax
	mov	eax, ebx
	cmp	eax, EV_APIC_MASK
	jbe	.id_fits
	mov	eax, EV_APIC_MASK	; saturated, as the APs' own reports are
.id_fits:
	shl	eax, EV_APIC_SHIFT
	or	edx, eax
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.stream
	mov	eax, edx
	mov	dx, PORT_EVENT
	out	dx, eax
.ret:
	pop	edx
	pop	eax
	ret
.stream:
	push	ecx
	mov	ecx, edx
	mov	al, EVS_EVENT
	call	evs_record
	pop	ecx
	jmp	.ret

; Write one event-stream record: al = EVS_* kind, ecx = payload. Preserves all.
evs_record:
	pushad
	mov	bl, al
	EVS_PUT	bl
	popad
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

; With CFG_F_EVACK, before a failing code goes to the port where QEMU's
; isa-debug-exit ends the VM: wait for the VMM's byte on COM1, so it can read
; every CPU's state while they are still as the failure left them. Bounded by
; fw_deadline TSC ticks; a board with no UART reads the status as 0xff and
; goes straight on. Preserves eax.
ack_wait:
	push	eax
	push	ebx
	push	ecx
	push	edx
	mov	eax, [fw_deadline]
	mov	edx, [fw_deadline + 4]
	call	tsc_deadline
	mov	ebx, eax
	mov	ecx, edx
.poll:
	mov	dx, PORT_ACK_UART + 5
	in	al, dx
	test	al, 1
	jnz	.take
	pause
	RUN_TSC
	sub	eax, ebx
	sbb	edx, ecx
	jb	.poll			; borrow: still before the deadline
	jmp	.done
.take:
	mov	dx, PORT_ACK_UART
	in	al, dx			; consume it: a kept QEMU must not see it next boot
.done:
	pop	edx
	pop	ecx
	pop	ebx
	pop	eax
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
	test	byte [fw_flags], CFG_F_EVSTREAM
	jz	.complete
	; Before the port that may end the VM: a stream reader gets the code
	; even where nothing on 0xf4 exits, or where no one sees the exit status.
	mov	ecx, eax
	mov	al, EVS_DONE
	call	evs_record
	mov	eax, ecx
	cmp	al, DONE_PASS
	je	.complete
	test	byte [fw_flags], CFG_F_EVACK
	jz	.complete
	call	ack_wait
.complete:
	out	PORT_COMPLETION, al
.halt:
	cli
	hlt
	jmp	.halt
