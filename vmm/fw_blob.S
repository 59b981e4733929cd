/* SPDX-License-Identifier: GPL-2.0-only */
/* Embeds the firmware image so build/hvsmoke is one self-contained file. */
	.section .rodata
	.balign 16
	.globl hvsmoke_fw_start
	.globl hvsmoke_fw_end
hvsmoke_fw_start:
	.incbin HVSMOKE_FW_PATH
hvsmoke_fw_end:
	.section .note.GNU-stack,"",@progbits
