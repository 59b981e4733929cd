; SPDX-License-Identifier: GPL-2.0-only
; The SMI handler: counts each entry in its CPU's record, relocates SMBASE on the
; first SMI, reports entry and exit as events. Runs from every SMBASE + 0x8000.

%include "hvsmoke.inc"
%include "smm.inc"
%include "evstream.inc"

extern fw_flags, fw_deadline

; The stream writer's stack: SS:SP is whatever 16 bits of the interrupted ESP
; say, so it brings its own, in the low SMI_STACK_ROOM bytes of this CPU's
; SMM-stage stack slot. The stage that raised the SMI sits at the slot's top,
; and the BSP runs its stage on BSP_STACK_TOP, leaving its slot free.
%define SMI_STACK_SEG		((SMM_STACK_TOP - 0x10000) >> 4)
%define SMI_STACK_ROOM		0x40
%define SMI_STACK_TOP		(SMM_STACK_TOP - (SMI_STACK_SEG << 4) - (1 << SMM_STACK_SHIFT) + SMI_STACK_ROOM)
%if SMM_STACK_SHIFT != 8
%error "handler.asm: the stack is found as SMI_STACK_TOP - (APIC ID << 8)"
%endif

; Send an event from SMM: type %1, argument in 16-bit register %2. No stack to
; call with: the return IP travels in si to smi_emit, and being relative to
; CS (= SMBASE) it is the same in every copy. Needs ebp = APIC ID << EV_APIC_SHIFT,
; the ID already where an event carries it. Clobbers eax, edx, esi.
%macro SMI_EVENT 2
	movzx	eax, %2
	shl	eax, 16
	or	eax, ebp
	or	al, %1
	mov	si, %%back - smi_handler + SMM_HANDLER_OFF
	jmp	smi_emit
%%back:
%endmacro

; Linked at SMM_DEFAULT_HANDLER, but nothing in here may depend on that: every
; jump is relative, SMRAM is reached through CS (base = SMBASE) or flat DS, so
; the copies at each per-CPU SMBASE + 0x8000 run unchanged. A 16-bit absolute
; reference to a label would fail the link (the VMA does not fit 16 bits).
section .smm progbits alloc exec nowrite align=16
bits 16
smi_handler:
	cld
	mov	eax, 1
	cpuid
	shr	ebx, 24
	mov	ebp, ebx
	shl	ebp, EV_APIC_SHIFT
	shl	ebx, SMM_REC_SHIFT
	lea	edi, [ebx + SMM_REC_BASE]

	; Counted first, before anything can go wrong: the CPU's own wait tells
	; a missed SMI from a stuck one by this counter.
	movzx	ebx, byte [edi + REC_ROUTE]
	lea	eax, [ebx - SMM_ROUTE_LAPIC]
	cmp	eax, SMM_ROUTE_APM - SMM_ROUTE_LAPIC
	ja	.revision			; not a route the stage raises
	inc	byte [edi + REC_RELOC + ebx]

.revision:
	mov	ecx, [cs:SAVE_REVISION]
	mov	[edi + REC_REVISION], ecx
	SMI_EVENT EV_SMM_REVISION, cx
	mov	ebx, SAVE_SMBASE_AMD64
	cmp	cx, REV_AMD64
	je	.layout_known
	mov	bx, SAVE_SMBASE_LEGACY
	test	cx, cx
	jnz	.bad_revision
.layout_known:
	; Without relocation support the SMBASE field is read-only: writing it
	; would "succeed" and every later SMI would come back here.
	bt	ecx, REV_RELOC_BIT
	jnc	.bad_revision

	mov	ecx, [cs:ebx]			; the SMBASE this SMI runs at
	mov	esi, ecx
	shr	esi, 4
	SMI_EVENT EV_SMM_ENTER, si
	cmp	ecx, SMM_DEFAULT_SMBASE
	je	.relocate
	cmp	ecx, [edi + REC_SMBASE]
	je	.exit
	inc	byte [edi + REC_BADBASE]
	jmp	.exit

.relocate:
	; Back at the default after a relocation: the VMM lost the new SMBASE.
	; Relocate again so the later SMIs still test something.
	cmp	dword [edi + REC_SMBASE], 0
	je	.first_time
	inc	byte [edi + REC_BADBASE]
.first_time:
	mov	eax, ebp
	shl	eax, 10 - EV_APIC_SHIFT		; APIC ID * SMM_PERCPU_STRIDE
	add	eax, SMM_PERCPU_BASE
	mov	[edi + REC_SMBASE], eax
	mov	[ecx + ebx], eax		; takes effect at RSM
	inc	byte [edi + REC_RELOC]
	lea	esi, [ecx + SMM_HANDLER_OFF]
	lea	edi, [eax + SMM_HANDLER_OFF]
	mov	ecx, smi_handler_end - smi_handler
	a32 rep movsb
	mov	edi, ebp
	shr	edi, EV_APIC_SHIFT - SMM_REC_SHIFT
	add	edi, SMM_REC_BASE

.exit:
	mov	ecx, [cs:ebx]			; what the next SMI will use
	shr	ecx, 4
	SMI_EVENT EV_SMM_EXIT, cx
.count_exit:
	inc	byte [edi + REC_EXITS]
	rsm

.bad_revision:
	; No SMBASE field we can trust: no enter/exit events, no relocation.
	or	byte [edi + REC_STATE], ST_REVISION
	mov	cx, FWERR_SMM_REVISION
	SMI_EVENT EV_ERROR, cx
	jmp	.count_exit

; Write event eax to the port or, with CFG_F_EVSTREAM, as a stream record;
; then jump to si. Clobbers eax, edx.
smi_emit:
	test	byte [fw_flags], CFG_F_EVSTREAM
	jnz	.stream
	mov	dx, PORT_EVENT
	out	dx, eax
	jmp	si
.stream:
	mov	dx, SMI_STACK_SEG
	mov	ss, dx
	mov	esp, SMI_STACK_TOP
	mov	edx, ebp
	shl	edx, SMM_STACK_SHIFT - EV_APIC_SHIFT
	sub	esp, edx
	push	ecx
	push	esi
	push	edi
	mov	ecx, eax
	EVS_PUT	EVS_EVENT, xapic_only
	pop	edi
	pop	esi
	pop	ecx
	jmp	si
smi_handler_end:

