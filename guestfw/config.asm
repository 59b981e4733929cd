; SPDX-License-Identifier: GPL-2.0-only
; Reads fw_cfg (signature, CPU count, opt/hvsmoke/config) into the effective config.
%include "hvsmoke.inc"

%define FWCFG_DIR_ENTRY		64	; u32 size, u16 select, u16 reserved, name[56]
%define FWCFG_DIR_NAME		8
%define FWCFG_DIR_MAX		1024	; bounds the scan if the count is garbage
%define DEFAULT_DEADLINE_HI	2	; 8 * 2^30 TSC ticks = 2 << 32

global config_load, fw_flags, fw_deadline, fw_storm, fw_tsc_khz, fw_ipi_pattern
extern fw_expected

section .rodata progbits alloc noexec nowrite align=16
s_cfg_name	db "opt/hvsmoke/config", 0
S_CFG_NAME_LEN	equ $ - s_cfg_name	; includes the NUL: rejects longer names

; Which build this is, for the reports: a run with the no-SIPI test build is a
; positive control, and a comparison must know it (vmm: firmware_variant()).
%ifdef HVSMOKE_TEST_NO_SIPI
s_fw_ident	db "hvsmoke-fw:variant=no-sipi", 0
%elifdef HVSMOKE_TEST_LATE_AP
s_fw_ident	db "hvsmoke-fw:variant=late-ap", 0
%else
s_fw_ident	db "hvsmoke-fw:variant=standard", 0
%endif

section .bss nobits alloc noexec write align=4
fw_flags	resd 1
fw_nb_cpus	resd 1
fw_deadline	resq 1			; TSC ticks the BSP waits for APs
fw_storm	resq 1			; TSC ticks of POST storm per CPU; 0: none
fw_tsc_khz	resd 1			; TSC ticks per ms; 0: unknown (no config)
fw_ipi_pattern	resd 1			; IPI_*

section .text32 progbits alloc exec nowrite align=16
bits 32

; Select fw_cfg item ax. Preserves all.
fwcfg_select:
	push	edx
	mov	dx, PORT_FWCFG_SEL
	out	dx, ax
	pop	edx
	ret

; Read ecx bytes of the selected item to edi (advanced). Preserves the rest.
; One byte per in: each is a VM exit, so callers read only what they need.
fwcfg_read:
	push	eax
	push	ecx
	push	edx
	mov	dx, PORT_FWCFG_DATA
	jecxz	.end
.next:
	in	al, dx
	stosb
	dec	ecx
	jnz	.next
.end:
	pop	edx
	pop	ecx
	pop	eax
	ret

; Read ecx (1..4) bytes as a little-endian number into eax. Preserves the rest.
fwcfg_read_le:
	push	edi
	push	dword 0
	mov	edi, esp
	call	fwcfg_read
	pop	eax
	pop	edi
	ret

; Fill fw_flags, fw_expected, fw_deadline, fw_storm, fw_tsc_khz, fw_ipi_pattern.
; Returns eax = 0, or FWERR_* when the run cannot go on (fw_flags is then usable
; for reporting the error). Clobbers edx.
config_load:
	push	ebx
	push	ecx
	push	esi
	push	edi
	push	ebp
	mov	dword [fw_flags], CFG_F_CONSOLE

	; Without the signature the data port reads as open bus; trust nothing.
	mov	ax, FW_CFG_SIGNATURE
	call	fwcfg_select
	mov	ecx, 4
	call	fwcfg_read_le
	cmp	eax, 'QEMU'
	jne	.derive

	mov	ax, FW_CFG_NB_CPUS
	call	fwcfg_select
	mov	ecx, 2
	call	fwcfg_read_le
	mov	[fw_nb_cpus], eax

	; hvsmoke's fw_cfg serves the config as its first file: try that key
	; before the directory, whose entries cost one VM exit per byte (64
	; each). Anywhere else key 0x20 is another file and the magic differs.
	mov	ax, FW_CFG_FILE_FIRST
	call	fwcfg_select
	mov	ecx, 4
	call	fwcfg_read_le
	cmp	eax, HVSMOKE_CFG_MAGIC
	jne	.directory
	mov	[CFG_COPY], eax
	mov	edi, CFG_COPY + 4
	mov	ecx, HVSMOKE_CFG_SIZE - 4
	call	fwcfg_read
	mov	ebx, HVSMOKE_CFG_SIZE
	jmp	.validate

.directory:
	mov	ax, FW_CFG_FILE_DIR
	call	fwcfg_select
	mov	ecx, 4
	call	fwcfg_read_le
	bswap	eax
	cmp	eax, FWCFG_DIR_MAX
	jbe	.count_ok
	mov	eax, FWCFG_DIR_MAX
.count_ok:
	mov	ebp, eax
	sub	esp, FWCFG_DIR_ENTRY
.scan:
	test	ebp, ebp
	jz	.absent
	dec	ebp
	; No way to skip bytes on the I/O interface, so the whole entry is read.
	mov	edi, esp
	mov	ecx, FWCFG_DIR_ENTRY
	call	fwcfg_read
	lea	esi, [esp + FWCFG_DIR_NAME]
	mov	edi, s_cfg_name
	mov	ecx, S_CFG_NAME_LEN
	repe cmpsb
	jne	.scan

	mov	ebx, [esp]		; size, big-endian
	bswap	ebx
	mov	ax, [esp + 4]		; select, big-endian
	xchg	al, ah
	add	esp, FWCFG_DIR_ENTRY
	call	fwcfg_select
	mov	ecx, ebx
	cmp	ecx, CFG_COPY_SIZE
	jbe	.len_ok
	mov	ecx, CFG_COPY_SIZE
.len_ok:
	mov	edi, CFG_COPY
	call	fwcfg_read

.validate:
	; A present but malformed file is an error, not a cue for defaults:
	; the VMM asked for something specific and we cannot tell what.
	cmp	ebx, HVSMOKE_CFG_SIZE
	jb	.bad
	cmp	dword [CFG_COPY + CFG_MAGIC], HVSMOKE_CFG_MAGIC
	jne	.bad
	cmp	word [CFG_COPY + CFG_VERSION], HVSMOKE_CFG_VERSION
	jne	.bad
	cmp	word [CFG_COPY + CFG_SIZE], HVSMOKE_CFG_SIZE
	jne	.bad
	mov	eax, [CFG_COPY + CFG_FLAGS]
	mov	[fw_flags], eax
	; Field checks come after the flags: a well-formed file's error then
	; goes out the way its VMM listens (the event stream under QEMU).
	cmp	dword [CFG_COPY + CFG_IPI_PATTERN], IPI_PATTERN_MAX
	ja	.bad
	jmp	.derive

.absent:
	add	esp, FWCFG_DIR_ENTRY
	; CFG_COPY stays zeroed, so .derive falls back to every default.

.derive:
	mov	eax, [CFG_COPY + CFG_EXPECTED]
	test	eax, eax
	jnz	.have_expected
	mov	eax, [fw_nb_cpus]
	test	eax, eax
	jnz	.have_expected
	inc	eax
.have_expected:
	cmp	eax, HVSMOKE_MAX_CPUS
	ja	.too_many
	mov	[fw_expected], eax

	mov	eax, [CFG_COPY + CFG_DEADLINE]
	mov	edx, [CFG_COPY + CFG_DEADLINE + 4]
	mov	ecx, eax
	or	ecx, edx
	jnz	.have_deadline
	mov	edx, DEFAULT_DEADLINE_HI
.have_deadline:
	mov	[fw_deadline], eax
	mov	[fw_deadline + 4], edx
	mov	eax, [CFG_COPY + CFG_STORM]
	mov	edx, [CFG_COPY + CFG_STORM + 4]
	mov	[fw_storm], eax
	mov	[fw_storm + 4], edx
	; Without a file both read as zero: the default pattern, and a TSC
	; rate the IPI delays have to guess (smp_send_ipis).
	mov	eax, [CFG_COPY + CFG_TSC_KHZ]
	mov	[fw_tsc_khz], eax
	mov	eax, [CFG_COPY + CFG_IPI_PATTERN]
	mov	[fw_ipi_pattern], eax
	xor	eax, eax
	jmp	.ret

.bad:
	mov	eax, FWERR_CONFIG
	jmp	.ret
.too_many:
	mov	eax, FWERR_TOO_MANY
.ret:
	pop	ebp
	pop	edi
	pop	esi
	pop	ecx
	pop	ebx
	ret
