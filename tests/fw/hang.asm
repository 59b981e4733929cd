; SPDX-License-Identifier: GPL-2.0-only
; Halts with interrupts off and never completes: only the VMM's deadline ends the boot.
%include "reset.inc"
start:
	cli
.h:	hlt
	jmp	.h
	RESET_VECTOR
