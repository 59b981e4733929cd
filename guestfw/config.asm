; SPDX-License-Identifier: GPL-2.0-only
; Reads fw_cfg (signature, CPU count, opt/hvsmoke/config) into the effective config:
; by DMA where the device offers it (an exit per item), else a byte per exit.
%include "hvsmoke.inc"

%define FWCFG_DIR_ENTRY		64	; u32 size, u16 select, u16 reserved, name[56]
%define FWCFG_DIR_NAME		8
%define FWCFG_DIR_MAX		1024	; bounds the scan if the count is garbage
%define DEFAULT_DEADLINE_HI	2	; 8 * 2^30 TSC ticks = 2 << 32
; Bounds the wait for a DMA transfer. hvsmoke and QEMU finish it inside the
; OUT that starts it; one that takes longer is treated as failed.
%define FWCFG_DMA_POLLS		0x10000

global config_load, fw_flags, fw_deadline, fw_storm, fw_tsc_khz, fw_ipi_pattern
global fw_x2apic, fw_id_dwords
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
%elifdef HVSMOKE_TEST_DMA_ERROR
s_fw_ident	db "hvsmoke-fw:variant=dma-error", 0
%else
s_fw_ident	db "hvsmoke-fw:variant=standard", 0
%endif

section .bss nobits alloc noexec write align=16
fw_dma		resb FWCFG_DMA_DESC_SIZE	; the FWCfgDmaAccess; first, so 16-aligned
fw_dma_on	resd 1			; nonzero: fw_cfg offers DMA and it has not failed
fw_sel_key	resd 1			; the selected item, and how many of its bytes were
fw_sel_off	resd 1			;   read: a failed DMA is redone by bytes from there
fw_flags	resd 1
fw_nb_cpus	resd 1
fw_deadline	resq 1			; TSC ticks the BSP waits for APs
fw_storm	resq 1			; TSC ticks of POST storm per CPU; 0: none
fw_tsc_khz	resd 1			; TSC ticks per ms; 0: unknown (no config)
fw_ipi_pattern	resd 1			; IPI_*
fw_x2apic	resd 1			; nonzero: every CPU runs its LAPIC in x2APIC mode
fw_id_dwords	resd 1			; dwords of SH_BITMAP an APIC ID can reach in this mode

section .text32 progbits alloc exec nowrite align=16
bits 32

; Select fw_cfg item ax. Preserves all. With DMA the select goes with the
; item's first read, so it costs no exit of its own.
fwcfg_select:
	mov	[fw_sel_key], ax
	mov	dword [fw_sel_off], 0
	cmp	dword [fw_dma_on], 0
	jne	.ret
	push	edx
	mov	dx, PORT_FWCFG_SEL
	out	dx, ax
	pop	edx
.ret:
	ret

; Read ecx bytes of the selected item to edi (advanced). Preserves the rest.
; By DMA if fw_cfg offers it: one VM exit for the lot. Otherwise one byte
; per in, each a VM exit, so callers read only what they need.
fwcfg_read:
	jecxz	.ret
	push	eax
	push	ecx
	push	edx
	cmp	dword [fw_dma_on], 0
	je	.bytes
	call	fwcfg_dma_read
	jnc	.done
	; The device refused or never finished: bytes from now on, the item
	; selected again and read up to where this read begins.
	mov	dword [fw_dma_on], 0
	mov	ax, [fw_sel_key]
	mov	dx, PORT_FWCFG_SEL
	out	dx, ax
	mov	dx, PORT_FWCFG_DATA
	mov	ecx, [fw_sel_off]
	jecxz	.caught_up
.catch_up:
	in	al, dx
	loop	.catch_up
.caught_up:
	mov	ecx, [esp + 4]		; the caller's count
.bytes:
	mov	dx, PORT_FWCFG_DATA
	add	[fw_sel_off], ecx
.next:
	in	al, dx
	stosb
	dec	ecx
	jnz	.next
.done:
	pop	edx
	pop	ecx
	pop	eax
.ret:
	ret

; Read ecx (> 0) bytes of the selected item to edi by DMA and advance edi.
; CF set, edi unchanged, if the device set ERROR or had not finished after
; FWCFG_DMA_POLLS polls. Clobbers eax, edx.
fwcfg_dma_read:
	xor	eax, eax
	cmp	[fw_sel_off], eax
	jne	.control
	mov	ax, [fw_sel_key]
	shl	eax, 16
	or	eax, FWCFG_DMA_SELECT
.control:
	or	eax, FWCFG_DMA_READ
	bswap	eax
	mov	[fw_dma + FWCFG_DMA_CONTROL], eax
	mov	eax, ecx
	bswap	eax
	mov	[fw_dma + FWCFG_DMA_LENGTH], eax
	mov	dword [fw_dma + FWCFG_DMA_ADDRESS], 0
%ifdef HVSMOKE_TEST_DMA_ERROR
	; Test build: a read that goes on with an item already begun targets
	; 4 GiB up, where neither hvsmoke nor QEMU (-m under 2 GiB) has RAM.
	; The device sets ERROR; the firmware must finish by bytes.
	cmp	dword [fw_sel_off], 0
	je	.target_set
	mov	byte [fw_dma + FWCFG_DMA_ADDRESS + 3], 1
.target_set:
%endif
	mov	eax, edi
	bswap	eax
	mov	[fw_dma + FWCFG_DMA_ADDRESS + 4], eax
	; The register's high half is 0 after every transfer, so for a 32-bit
	; address the low half's write alone starts it.
	mov	eax, fw_dma
	bswap	eax
	mov	dx, PORT_FWCFG_DMA_LO
	out	dx, eax
	mov	edx, FWCFG_DMA_POLLS
.poll:
	mov	eax, [fw_dma + FWCFG_DMA_CONTROL]
	test	eax, eax
	jz	.ok
	test	eax, FWCFG_DMA_ERROR << 24	; bit 0 of the big-endian word
	jnz	.fail
	pause
	dec	edx
	jnz	.poll
.fail:
	stc
	ret
.ok:
	add	[fw_sel_off], ecx
	add	edi, ecx
	clc
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

; Fill fw_flags, fw_expected, fw_deadline, fw_storm, fw_tsc_khz, fw_ipi_pattern,
; fw_x2apic and fw_id_dwords.
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

	; Bit 1 of FW_CFG_ID's low byte: the DMA interface. From here on
	; fwcfg_select and fwcfg_read use it.
	mov	ax, FW_CFG_ID
	call	fwcfg_select
	mov	ecx, 1
	call	fwcfg_read_le
	and	eax, FW_CFG_ID_DMA
	mov	[fw_dma_on], eax

	mov	ax, FW_CFG_NB_CPUS
	call	fwcfg_select
	mov	ecx, 2
	call	fwcfg_read_le
	mov	[fw_nb_cpus], eax

	; hvsmoke's fw_cfg serves the config as its first file: try that key
	; before the directory, whose entries cost an exit each by DMA and 64
	; by bytes. Anywhere else key 0x20 is another file and the magic differs.
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
	; The whole entry: the I/O interface cannot skip, and by DMA it is one exit.
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

	; x2APIC mode on request, and always above 255 CPUs: an xAPIC ID is 8
	; bits and 0xff of them is the broadcast address.
	mov	dword [fw_id_dwords], XAPIC_ID_SLOTS / 32
	test	byte [fw_flags], CFG_F_X2APIC
	jnz	.x2apic
	cmp	dword [fw_expected], HVSMOKE_MAX_XAPIC_CPUS
	jbe	.apic_mode_done
.x2apic:
	; The SMM stage's per-CPU SMRAM, records and stacks are laid out
	; for xAPIC IDs, and it raises its SMIs through the xAPIC's ICR.
	test	byte [fw_flags], CFG_F_SMM
	jnz	.bad
	mov	eax, 1
	cpuid
	test	ecx, CPUID1_ECX_X2APIC
	jz	.no_x2apic
	mov	dword [fw_x2apic], 1
	mov	dword [fw_id_dwords], APIC_ID_SLOTS / 32
.apic_mode_done:
	xor	eax, eax
	jmp	.ret

.bad:
	mov	eax, FWERR_CONFIG
	jmp	.ret
.no_x2apic:
	mov	eax, FWERR_NO_X2APIC
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
