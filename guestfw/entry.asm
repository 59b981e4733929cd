; SPDX-License-Identifier: GPL-2.0-only
; Reset vector, real->protected mode switch, BSP/AP split and the BSP's main flow.
%include "hvsmoke.inc"
%include "storm.inc"
%include "smm.inc"
%include "evstream.inc"

%define SEL_CODE32	0x08
%define SEL_DATA32	0x10
%define CR0_PE		(1 << 0)
%define CR0_NW		(1 << 29)
%define CR0_CD		(1 << 30)

global fw_reset_vector, fw_gdt, fw_gdt_end
global fw_bsp_apic, fw_expected

extern fw_bss_start, fw_bss_end
extern fw_tramp_load, fw_tramp_size
extern fw_storm, fw_flags, fw_deadline, fw_x2apic
extern config_load, ev_bsp, con_puts, con_dec, fw_fail, fw_finish
extern smp_send_ipis, smp_wait, smp_report
extern smm_setup, smm_bsp

; ---------------------------------------------------------------------------
section .reset progbits alloc exec nowrite align=16
bits 16
; Execution starts here with CS base 0xFFFF0000; leave the high alias at once
; so every later offset is relative to the low copy at 0xF0000.
fw_reset_vector:
	jmp	0xf000:entry16

; ---------------------------------------------------------------------------
section .text16 progbits alloc exec nowrite align=16
bits 16
entry16:
	cli
	cld
	; Only the BSP may come through here; an AP doing so means the VMM
	; reset or started it wrongly, which is exactly what we want to catch.
	mov	ecx, MSR_APIC_BASE
	rdmsr
	test	eax, APIC_BASE_BSP
	jz	ap_at_reset

	o32 lgdt [cs:gdtr16]
	mov	eax, cr0
	; Reset leaves caching disabled; turn it on so the spin loops behave
	; on anything that honours CD. Nothing is cached yet, no flush needed.
	and	eax, ~(CR0_CD | CR0_NW)
	or	eax, CR0_PE
	mov	cr0, eax
	jmp	dword SEL_CODE32:bsp_entry32

ap_at_reset:
	; CPUID, not the LAPIC: its MMIO is above what real mode can reach.
	; Leaf 0xB gives the whole x2APIC ID in either LAPIC mode, where it
	; exists (EBX[15:0] of subleaf 0 nonzero); leaf 1 only its low 8 bits.
	xor	eax, eax
	cpuid
	cmp	eax, 0xb
	jb	.leaf1
	mov	eax, 0xb
	xor	ecx, ecx
	cpuid
	test	bx, bx
	jz	.leaf1
	mov	ebx, edx
	jmp	.have_id
.leaf1:
	mov	eax, 1
	cpuid
	shr	ebx, 24
.have_id:
	xor	ax, ax
	mov	ds, ax
	cmp	ebx, APIC_ID_SLOTS
	jb	.id_fits
	mov	ebx, EV_APIC_MASK	; beyond what the VMM can tell apart
.id_fits:
	mov	eax, ebx
	shl	eax, EV_APIC_SHIFT
	or	al, EV_AP_RESET
	; fw_flags rather than CFG_COPY: they are the flags the BSP accepted, and
	; a file it rejected never turns the stream on. An AP only gets here
	; after the BSP's INIT, so after config_load; one that came earlier
	; would find them cleared (or a previous boot's) and use the port.
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.stream
	mov	dx, PORT_EVENT
	out	dx, eax
	; after the event, so the BSP never reports a reset the VMM has not seen
	lock inc dword [SH_RESET_COUNT]
.halt:
	cli
	hlt
	jmp	.halt

.stream:
	; A record carries the writer's LAPIC ID, and real mode cannot reach
	; the LAPIC's MMIO: the record is written from flat 32-bit code.
	mov	ecx, eax
	o32 lgdt [cs:gdtr16]
	mov	eax, cr0
	and	eax, ~(CR0_CD | CR0_NW)
	or	eax, CR0_PE
	mov	cr0, eax
	jmp	dword SEL_CODE32:ap_reset32

; lgdt in real mode takes a 16-bit offset; the base is a linear address.
gdtr16:
	dw	fw_gdt_end - fw_gdt - 1
	dd	fw_gdt

; ---------------------------------------------------------------------------
section .rodata progbits alloc noexec nowrite align=16
align 8
; Accessed bits are preset: the CPU would otherwise try to set them in ROM,
; which KVM cannot complete and the far jump retries forever.
fw_gdt:
	dq	0
	dq	0x00cf9b000000ffff	; 0x08: code, base 0, limit 4 GiB, 32-bit
	dq	0x00cf93000000ffff	; 0x10: data, base 0, limit 4 GiB
fw_gdt_end:

s_boot		db "hvsmoke: boot bsp=", 0
s_cpus		db " cpus=", 0
s_nl		db 10, 0
s_x2apic	db "hvsmoke: apic-mode x2apic bsp=", 0

; ---------------------------------------------------------------------------
section .bss nobits alloc noexec write align=4
fw_bsp_apic	resd 1
fw_expected	resd 1

; ---------------------------------------------------------------------------
section .text32 progbits alloc exec nowrite align=16
bits 32
bsp_entry32:
	mov	ax, SEL_DATA32
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax
	mov	esp, BSP_STACK_TOP

	; RAM survives a warm reset, so nothing in it can be trusted. The
	; bitmap's x2APIC part is cleared only in x2APIC mode (x2apic_on):
	; every store here is emulated on some hosts, and an 8-bit ID never
	; reaches it.
	xor	eax, eax
	mov	edi, SHARED_BASE
	mov	ecx, (SH_XAPIC_END - SHARED_BASE) / 4
	rep stosd
	mov	edi, CFG_COPY
	mov	ecx, CFG_COPY_SIZE / 4
	rep stosd
	mov	edi, fw_bss_start
	mov	ecx, fw_bss_end
	sub	ecx, edi
	rep stosb

	mov	eax, [LAPIC_BASE + LAPIC_ID]
	shr	eax, 24
	mov	[fw_bsp_apic], eax

	mov	al, EV_PHASE
	mov	ecx, PHASE_PMODE
	call	ev_bsp

	call	config_load
	test	eax, eax
	jz	.config_ok
	mov	ecx, eax
	mov	al, DONE_CONFIG
	jmp	fw_fail
.config_ok:
	cmp	dword [fw_x2apic], 0
	je	.apic_mode_set
	call	x2apic_on
.apic_mode_set:
	; The pmode phase went out before the flags were known, so to the
	; port; a stream reader hears it now, still ahead of the config phase.
	test	byte [fw_flags], CFG_F_EVSTREAM
	jz	.pmode_told
	mov	al, EV_PHASE
	mov	ecx, PHASE_PMODE
	call	ev_bsp
.pmode_told:
	mov	al, EV_PHASE
	mov	ecx, PHASE_CONFIG
	call	ev_bsp

	mov	al, EV_BOOT
	mov	ecx, [fw_expected]
	call	ev_bsp
	mov	esi, s_boot
	call	con_puts
	mov	eax, [fw_bsp_apic]
	call	con_dec
	mov	esi, s_cpus
	call	con_puts
	mov	eax, [fw_expected]
	call	con_dec
	mov	esi, s_nl
	call	con_puts
	cmp	dword [fw_x2apic], 0
	je	.mode_told
	mov	esi, s_x2apic
	call	con_puts
	mov	eax, [fw_bsp_apic]
	call	con_dec
	mov	esi, s_nl
	call	con_puts
.mode_told:

	; Software-enable the LAPIC; spurious vector 0xff keeps the low
	; nibble all-ones as older parts require.
	cmp	dword [fw_x2apic], 0
	jne	.svr_msr
	mov	eax, [LAPIC_BASE + LAPIC_SVR]
	or	eax, 0x1ff
	mov	[LAPIC_BASE + LAPIC_SVR], eax
	jmp	.lapic_on
.svr_msr:
	mov	ecx, MSR_X2APIC_SVR
	rdmsr
	or	eax, 0x1ff
	wrmsr
.lapic_on:
	mov	al, EV_PHASE
	mov	ecx, PHASE_LAPIC_ON
	call	ev_bsp

	; Before the INIT: a quit must be able to land in the middle of this.
	POST_STORM
	mov	al, EV_PHASE
	mov	ecx, PHASE_STORM
	call	ev_bsp

	mov	esi, fw_tramp_load
	mov	edi, TRAMP_BASE
	mov	ecx, fw_tramp_size
	rep movsb
	; APs start their SMM stage on their own: everything they need comes first.
	test	byte [fw_flags], CFG_F_SMM
	jz	.smm_ready
	; Only an SMM stage reads these records, and clearing all 4 KiB is 1024
	; emulated stores on hosts without unrestricted guest: about 0.4 ms of
	; every boot, so a boot without SMM leaves them alone.
	xor	eax, eax
	mov	edi, SMM_REC_BASE
	mov	ecx, SMM_REC_SIZE / 4
	rep stosd
	call	smm_setup
.smm_ready:

	cmp	dword [fw_expected], 1
	jbe	.report
	call	smp_send_ipis
	jnc	.ipis_sent
	mov	ecx, FWERR_ICR_BUSY
	mov	al, DONE_ICR
	jmp	fw_fail
.ipis_sent:
	call	smp_wait
.report:
	call	smp_report		; eax = APs reported missing
	mov	ebp, eax
	mov	al, DONE_PASS
	test	byte [fw_flags], CFG_F_SMM
	jz	.verdict
	call	smm_bsp			; al = DONE_PASS or DONE_SMM_*
.verdict:

	; A reset or duplicate AP is a worse VMM bug than a missing one, and
	; usually causes the missing one, so it decides the verdict; SMM comes
	; after all of them: a lost AP says nothing about SMM.
	mov	ecx, ebp
	mov	bl, al
	mov	al, DONE_AP_RESET
	cmp	dword [SH_RESET_COUNT], 0
	jne	.done
	mov	al, DONE_AP_DUP
	cmp	dword [SH_DUP_COUNT], 0
	jne	.done
	mov	al, DONE_AP_MISSING
	test	ecx, ecx
	jnz	.done
	mov	al, bl
.done:
	jmp	fw_finish

; The BSP's switch to x2APIC mode (config_load decided it): the rest of the
; bitmap cleared, the LAPIC switched, and its ID read again, now whole.
; Clobbers eax, ecx, edx, edi.
x2apic_on:
	xor	eax, eax
	mov	edi, SH_XAPIC_END
	mov	ecx, (SH_END - SH_XAPIC_END) / 4
	rep stosd
	X2APIC_ENTER
	mov	[fw_bsp_apic], eax
	ret

; The reset vector's AP with the event stream on: ecx = its EV_AP_RESET event.
; No stack, as on the APs' other reporting paths: the only slot its APIC ID
; owns may be in use by another CPU that claims the same ID.
ap_reset32:
	mov	ax, SEL_DATA32
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	EVS_PUT	EVS_EVENT
	lock inc dword [SH_RESET_COUNT]
.halt:
	cli
	hlt
	jmp	.halt
