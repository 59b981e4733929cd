; SPDX-License-Identifier: GPL-2.0-only
; Writes POST codes to port 0x80 forever: every exit is ignorable, so only an
; exit request checked before each entry can stop this vCPU.
%include "hvsmoke.inc"
%include "reset.inc"
start:
	cli
	xor	al, al
.storm:
	out	PORT_POST, al
	inc	al
	jmp	.storm
	RESET_VECTOR
