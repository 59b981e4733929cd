; SPDX-License-Identifier: GPL-2.0-only
; AP startup: real-mode trampoline (copied to TRAMP_BASE) and the 32-bit
; check-in that marks the AP online exactly once.
%include "hvsmoke.inc"
%include "storm.inc"
%include "evstream.inc"

%define SEL_CODE32	0x08
%define SEL_DATA32	0x10
%define CR0_PE		(1 << 0)
%define CR0_NW		(1 << 29)
%define CR0_CD		(1 << 30)

extern fw_gdt, fw_gdt_limit, fw_storm, fw_flags, fw_deadline, fw_expected, fw_x2apic
extern smm_stage

; ---------------------------------------------------------------------------
; Linked at TRAMP_BASE; SIPI enters it at CS=TRAMP_BASE>>4, IP=0.
section .tramp progbits alloc exec nowrite align=16
bits 16
ap_tramp:
	cli
	; Segment 0 makes every label below its own linear address.
	jmp	0:.flat
.flat:
	xor	ax, ax
	mov	ds, ax
	o32 lgdt [tramp_gdtr]
	mov	eax, cr0
	and	eax, ~(CR0_CD | CR0_NW)
	or	eax, CR0_PE
	mov	cr0, eax
	jmp	dword SEL_CODE32:ap_entry32

align 4
; The ROM's GDT via its low-copy linear address: no need to copy it to RAM.
tramp_gdtr:
	dw	fw_gdt_limit
	dd	fw_gdt

; ---------------------------------------------------------------------------
; Runs from ROM. No stack until the SMM stage, the only part that calls.
section .text32 progbits alloc exec nowrite align=16
bits 32
ap_entry32:
	mov	ax, SEL_DATA32
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	fs, ax
	mov	gs, ax

	; In x2APIC mode each AP switches its own LAPIC (the BSP decided the
	; mode before its INIT), and only then has its whole ID: the xAPIC ID
	; register holds its low 8 bits.
	cmp	dword [fw_x2apic], 0
	jne	.x2apic
	mov	ebx, [LAPIC_BASE + LAPIC_ID]
	shr	ebx, 24
	jmp	.have_id
.x2apic:
	X2APIC_ENTER
	mov	ebx, eax
	cmp	ebx, APIC_ID_SLOTS
	jae	.bad_id
.have_id:
%ifdef HVSMOKE_TEST_LATE_AP
	; Test build: the last AP comes online only once the BSP's scan has
	; taken its snapshot (bounded: twice the scan deadline on the TSC).
	mov	eax, [fw_expected]
	dec	eax
	cmp	ebx, eax
	jne	.on_time
	RUN_TSC
	add	eax, [fw_deadline]
	adc	edx, [fw_deadline + 4]
	add	eax, [fw_deadline]
	adc	edx, [fw_deadline + 4]
	mov	esi, eax
	mov	edi, edx
.late:
	pause
	cmp	dword [SH_TEST_SNAPPED], 0
	jne	.on_time
	RUN_TSC
	sub	eax, esi
	sbb	edx, edi
	jb	.late
.on_time:
%endif
	; The bit is the "started once" proof: a second start of the same
	; APIC ID (a VMM bug) finds it set and is reported, not counted.
	lock bts dword [SH_BITMAP], ebx
	jc	.duplicate
	mov	eax, 1
	lock xadd [SH_ARRIVALS], eax
	shl	eax, 16
	mov	edx, ebx
	shl	edx, EV_APIC_SHIFT
	or	eax, edx
	or	al, EV_AP_ONLINE
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.online_stream
	mov	dx, PORT_EVENT
	out	dx, eax
.online_sent:
	; Count only once the event is out: an OUT completes after the VMM has
	; recorded it, so the BSP can never end its scan (and the VMM stop the
	; VM) with this AP's report still in flight. After the bit, too, so
	; the BSP's count check implies the bitmap.
	lock inc dword [SH_ONLINE_COUNT]
	; The storm continues on each AP while the BSP scans for the others.
	POST_STORM			; preserves ebx
	test	byte [fw_flags], CFG_F_SMM
	jz	.park
	mov	eax, ebx
	shl	eax, SMM_STACK_SHIFT
	mov	esp, SMM_STACK_TOP
	sub	esp, eax
	call	smm_stage
	jmp	.park

.duplicate:
	mov	eax, ebx
	shl	eax, EV_APIC_SHIFT
	or	al, EV_AP_DUPLICATE
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.duplicate_stream
	mov	dx, PORT_EVENT
	out	dx, eax
.duplicate_sent:
	lock inc dword [SH_DUP_COUNT]

.park:
	cli
	hlt
	jmp	.park

; An x2APIC ID beyond the bitmap: no bit to claim and no ID an event can
; carry, so an error with the APIC ID field all ones, and never online.
.bad_id:
	mov	eax, (FWERR_APIC_ID << 16) | (EV_APIC_MASK << EV_APIC_SHIFT) | EV_ERROR
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.bad_id_stream
	mov	dx, PORT_EVENT
	out	dx, eax
	jmp	.park

; Records for the stream, out of the plain path's way. Still no stack (a
; duplicate may share its APIC ID's SMM stack with a CPU that is using it),
; hence the writer expanded in place. Both preserve ebx.
.online_stream:
	mov	ecx, eax
	EVS_PUT	EVS_EVENT
	jmp	.online_sent

.duplicate_stream:
	mov	ecx, eax
	EVS_PUT	EVS_EVENT
	jmp	.duplicate_sent

.bad_id_stream:
	mov	ecx, eax
	EVS_PUT	EVS_EVENT
	jmp	.park
