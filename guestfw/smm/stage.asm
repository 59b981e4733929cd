; SPDX-License-Identifier: GPL-2.0-only
; The SMM stage's CPU side: BSP setup (handler copy, ICH9 APM SMIs), and each
; CPU's three self-raised SMIs with their bounded waits.
%include "hvsmoke.inc"
%include "smm.inc"

%define ICR_SMI_SELF		0x00004200	; no shorthand, physical, assert, SMI
%define APM_CMD			0x48		; ICH9 keeps 0x02/0x03 for ACPI on/off, no SMI
%define SMM_WAIT_SHIFT		3		; an SMI may take fw_deadline >> 3 ticks

; ICH9 LPC bridge (bus 0, device 31, function 0) through PCI mechanism #1.
%define PCI_ADDR		0x0cf8
%define PCI_DATA		0x0cfc
%define LPC_CFG			(0x80000000 | (31 << 11))
%define LPC_PMBASE		0x40
%define LPC_ACPI_CNTL		0x44
%define ACPI_CNTL_EN		0x80		; decode the ACPI/PM I/O block
%define PCI_VENDOR_INTEL	0x8086
%define PM_IO			0x0600		; where the PM block goes
%define PM_SMI_EN		0x30
%define SMI_EN_GBL		(1 << 0)
%define SMI_EN_APMC		(1 << 5)

global smm_setup, smm_stage, smm_wait_ticks, tsc_deadline
extern fw_smm_load, fw_smm_size, fw_deadline
extern ev_send, icr_wait

section .bss nobits alloc noexec write align=4
smm_wait_ticks	resq 1			; bound on one SMI, raise to resume

section .text32 progbits alloc exec nowrite align=16
bits 32

; edx:eax = now + edx:eax TSC ticks, saturated. Preserves the rest.
tsc_deadline:
	push	ecx
	push	esi
	mov	ecx, eax
	mov	esi, edx
	RUN_TSC
	add	eax, ecx
	adc	edx, esi
	jnc	.ret
	or	eax, -1			; never wrap into the past
	or	edx, -1
.ret:
	pop	esi
	pop	ecx
	ret

; BSP, before any AP starts: put the handler at the default SMBASE, derive the
; per-SMI bound, let port 0xB2 raise SMIs on QEMU's q35. Clobbers eax, ecx,
; edx, esi, edi.
smm_setup:
	mov	esi, fw_smm_load
	mov	edi, SMM_DEFAULT_HANDLER
	mov	ecx, fw_smm_size
	rep movsb
	mov	eax, [fw_deadline]
	mov	edx, [fw_deadline + 4]
	shrd	eax, edx, SMM_WAIT_SHIFT
	shr	edx, SMM_WAIT_SHIFT
	mov	[smm_wait_ticks], eax
	mov	[smm_wait_ticks + 4], edx
	; fall through

; On ICH9 (QEMU q35) an APM write raises an SMI only with the PM block
; decoded and APMC_EN and GBL_SMI_EN set. Without PCI (the hvsmoke VMM turns
; 0xB2 writes into SMIs itself) the vendor ID floats to 0xffff: nothing to do.
lpc_apm_enable:
	mov	dx, PCI_ADDR
	mov	eax, LPC_CFG
	out	dx, eax
	mov	dx, PCI_DATA
	in	eax, dx
	cmp	ax, PCI_VENDOR_INTEL
	jne	.ret
	mov	dx, PCI_ADDR
	mov	eax, LPC_CFG | LPC_PMBASE
	out	dx, eax
	mov	dx, PCI_DATA
	mov	eax, PM_IO | 1			; bit 0: I/O space
	out	dx, eax
	mov	dx, PCI_ADDR
	mov	eax, LPC_CFG | LPC_ACPI_CNTL
	out	dx, eax
	mov	dx, PCI_DATA
	in	al, dx
	or	al, ACPI_CNTL_EN
	out	dx, al
	mov	dx, PM_IO + PM_SMI_EN
	in	eax, dx
	or	eax, SMI_EN_GBL | SMI_EN_APMC
	out	dx, eax
.ret:
	ret

; Take SH_SMM_LOCK within fw_deadline ticks: the bound is generous because
; holders wait up to smm_wait_ticks each. CF set if it never came free.
; Clobbers eax, edx.
smm_lock:
	push	esi
	push	ebp
	mov	eax, [fw_deadline]
	mov	edx, [fw_deadline + 4]
	call	tsc_deadline
	mov	esi, eax
	mov	ebp, edx
.try:
	lock bts dword [SH_SMM_LOCK], 0
	jnc	.ret				; CF clear: ours
.wait:
	pause
	RUN_TSC
	sub	eax, esi
	sbb	edx, ebp
	jnb	.timeout			; no borrow: the deadline has passed
	test	dword [SH_SMM_LOCK], 1		; spin on a plain read, lock only to take it
	jnz	.wait
	jmp	.try
.timeout:
	stc
.ret:
	pop	ebp
	pop	esi
	ret

; Raise an SMI on this CPU through its LAPIC: ebx = own APIC ID. CF set if the
; ICR never went idle. Clobbers eax, ecx.
lapic_smi_self:
	call	icr_wait
	jc	.ret
	mov	eax, ebx
	shl	eax, 24
	mov	[LAPIC_BASE + LAPIC_ICR_HI], eax
	mov	dword [LAPIC_BASE + LAPIC_ICR_LO], ICR_SMI_SELF
	clc
.ret:
	ret

; Raise one SMI on this CPU by route al and wait for it to come back:
; ebx = APIC ID, edi = its record. CF set if it failed (record and events say
; how). Clobbers eax, ecx, edx.
smm_take:
	push	ebp
	push	esi
	movzx	ebp, al
	mov	[edi + REC_ROUTE], al
	; Before the trigger: the handler may run as soon as it is raised.
	mov	cl, [edi + REC_RELOC + ebp]	; entries under this route
	mov	ch, [edi + REC_EXITS]
	movzx	esi, cx
	mov	al, EV_SMM_TRIGGER
	mov	ecx, ebp
	call	ev_send
	mov	eax, [smm_wait_ticks]
	mov	edx, [smm_wait_ticks + 4]
	call	tsc_deadline
	push	edx
	push	eax				; [esp]: the deadline
	cmp	ebp, SMM_ROUTE_APM
	je	.apm
	call	lapic_smi_self
	jnc	.wait
	mov	al, EV_ERROR
	mov	ecx, FWERR_ICR_BUSY
	call	ev_send
	or	byte [edi + REC_STATE], ST_MISSING	; never raised, so never taken
	stc
	jmp	.ret
.apm:
	mov	al, APM_CMD
	out	PORT_APM_CNT, al
.wait:
	mov	ecx, esi
.poll:
	cmp	[edi + REC_EXITS], ch
	jne	.back
	pause
	RUN_TSC
	sub	eax, [esp]
	sbb	edx, [esp + 4]
	jb	.poll				; borrow: the deadline is still ahead
	; The SMI may have come and gone since the last look. Entries first,
	; exits second: an SMI between the two reads shows in both, never in
	; the entries alone. Running this code proves the CPU is not in SMM,
	; so "stuck" means the handler never reached its RSM bookkeeping.
	mov	dl, [edi + REC_RELOC + ebp]
	cmp	[edi + REC_EXITS], ch
	jne	.back
	mov	al, ST_MISSING
	cmp	dl, cl
	je	.timeout
	mov	al, ST_STUCK
.timeout:
	or	[edi + REC_STATE], al
	mov	al, EV_ERROR
	mov	ecx, FWERR_SMM_TIMEOUT
	call	ev_send
	stc
	jmp	.ret
.back:
	; The handler already sent FWERR_SMM_REVISION and did not relocate:
	; nothing later can land where it should.
	test	byte [edi + REC_STATE], ST_REVISION
	stc
	jnz	.ret
	inc	byte [edi + REC_RESUMED]
	clc
.ret:
	lea	esp, [esp + 8]			; drop the deadline, keep CF
	pop	esi
	pop	ebp
	ret

; Run this CPU's SMM stage: ebx = own APIC ID. The first SMI relocates SMBASE
; away from the default, which all CPUs share, so the stage runs under
; SH_SMM_LOCK (all three SMIs, see .unlock).
; Ends with ST_FINISHED in the record. Clobbers eax, ecx, edx, edi.
smm_stage:
	mov	edi, ebx
	shl	edi, SMM_REC_SHIFT
	add	edi, SMM_REC_BASE
	; An AP's LAPIC is still software-disabled; the BSP's is on already.
	mov	eax, [LAPIC_BASE + LAPIC_SVR]
	or	eax, 0x1ff
	mov	[LAPIC_BASE + LAPIC_SVR], eax

	call	smm_lock
	jnc	.locked
	or	byte [edi + REC_STATE], ST_MISSING
	mov	al, EV_ERROR
	mov	ecx, FWERR_SMM_TIMEOUT
	call	ev_send
	jmp	.finished
.locked:
	mov	al, SMM_ROUTE_LAPIC
	call	smm_take
	jc	.unlock
	mov	al, SMM_ROUTE_APM
	call	smm_take
	jc	.unlock
	mov	al, SMM_ROUTE_LAPIC
	call	smm_take
	jc	.unlock
	or	byte [edi + REC_STATE], ST_DONE
.unlock:
	; Held for all three SMIs: if this CPU's relocation was lost, its later
	; SMIs run at the shared default SMBASE and must not meet another CPU's
	; relocation in the one save area there (a clean smm-relocation instead
	; of a corrupted, stuck one). Released even after a timeout: the CPU is
	; running, so not in SMM, and holding on would only fail every other CPU.
	mov	dword [SH_SMM_LOCK], 0
.finished:
	; Last, after every other write to the record: the BSP reads it once this is set.
	or	byte [edi + REC_STATE], ST_FINISHED
	ret
