; SPDX-License-Identifier: GPL-2.0-only
; Writes an event of an unknown type, then claims success: the VMM must call it a guest-crash.
%include "hvsmoke.inc"
%include "reset.inc"
start:
	mov	dx, PORT_EVENT
	mov	eax, 0x0000001f		; type 31: none; APIC ID 0, argument 0
	out	dx, eax
	mov	dx, PORT_COMPLETION
	mov	al, DONE_PASS
	out	dx, al
.h:	hlt
	jmp	.h
	RESET_VECTOR
