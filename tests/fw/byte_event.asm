; SPDX-License-Identifier: GPL-2.0-only
; Writes one byte to the event port (events are dwords), then claims success.
%include "hvsmoke.inc"
%include "reset.inc"
start:
	mov	dx, PORT_EVENT
	mov	al, EV_BOOT
	out	dx, al
	mov	dx, PORT_COMPLETION
	mov	al, DONE_PASS
	out	dx, al
.h:	hlt
	jmp	.h
	RESET_VECTOR
