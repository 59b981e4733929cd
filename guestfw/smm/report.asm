; SPDX-License-Identifier: GPL-2.0-only
; The SMM stage's BSP side: run its own stage, wait for the online APs' stages,
; print one line per CPU and decide the stage's completion code.
%include "hvsmoke.inc"
%include "smm.inc"

%define SEEN_STUCK		1
%define SEEN_MISSING		2
%define SEEN_RELOC		4

global smm_bsp
extern fw_bsp_apic, fw_deadline, fw_storm
extern smm_stage, smm_wait_ticks, tsc_deadline
extern con_puts, con_dec, con_hex, con_hex8

section .rodata progbits alloc noexec nowrite align=16
s_smm		db "hvsmoke: smm apic=", 0
s_revision	db " revision=", 0
s_smbase	db " smbase=", 0
s_relocated	db " relocated=", 0
s_lapic		db " lapic=", 0
s_apm		db " apm=", 0
s_exits		db " exits=", 0
s_resumed	db " resumed=", 0
s_badbase	db " badbase=", 0
s_stuck		db "hvsmoke: smm-stuck apic=", 0
s_missing	db "hvsmoke: smm-missing apic=", 0
s_reloc		db "hvsmoke: smm-relocation apic=", 0
s_nl		db 10, 0

section .text32 progbits alloc exec nowrite align=16
bits 32

; CF set if APIC ID ebx took part in the stage: the BSP or an online AP.
; Duplicates and latecomers the scan did not see are judged by the scan.
smm_subject:
	cmp	ebx, [fw_bsp_apic]
	stc
	je	.ret
	bt	[SH_BITMAP], ebx
.ret:
	ret

; Wait until every online AP's record says ST_FINISHED. Each AP starts after
; its storm, may wait fw_deadline for the lock and smm_wait_ticks per SMI;
; started before this wait, so that sum (plus one SMI of slack) bounds it.
; Clobbers eax, ebx, ecx, edx, esi, edi.
smm_wait_aps:
	mov	eax, [smm_wait_ticks]
	mov	edx, [smm_wait_ticks + 4]
	shld	edx, eax, 2			; SMM_SMIS_PER_CPU + 1 = 4 SMIs
	shl	eax, 2
	add	eax, [fw_deadline]
	adc	edx, [fw_deadline + 4]
	jc	.saturate
	add	eax, [fw_storm]
	adc	edx, [fw_storm + 4]
	jnc	.sum_ok
.saturate:
	or	eax, -1
	or	edx, -1
.sum_ok:
	call	tsc_deadline
	mov	esi, eax
	mov	edi, edx
	xor	ebx, ebx
.cpu:
	bt	[SH_BITMAP], ebx
	jnc	.next
	mov	ecx, ebx
	shl	ecx, SMM_REC_SHIFT
.poll:
	test	byte [SMM_REC_BASE + ecx + REC_STATE], ST_FINISHED
	jnz	.next
	pause
	RUN_TSC
	sub	eax, esi
	sbb	edx, edi
	jb	.poll
	ret					; out of time: the report judges the rest
.next:
	inc	ebx
	cmp	ebx, XAPIC_ID_SLOTS
	jb	.cpu
	ret

; Print the record at esi (APIC ID ebx) as one line. Preserves all.
smm_print:
	push	eax
	push	esi
	push	edi
	mov	edi, esi
	mov	esi, s_smm
	call	con_puts
	mov	eax, ebx
	call	con_dec
	mov	esi, s_revision
	call	con_puts
	mov	eax, [edi + REC_REVISION]
	call	con_hex8
	mov	esi, s_smbase
	call	con_puts
	mov	eax, [edi + REC_SMBASE]
	call	con_hex
	mov	esi, s_relocated
	call	con_puts
	movzx	eax, byte [edi + REC_RELOC]
	call	con_dec
	mov	esi, s_lapic
	call	con_puts
	movzx	eax, byte [edi + REC_LAPIC]
	call	con_dec
	mov	esi, s_apm
	call	con_puts
	movzx	eax, byte [edi + REC_APM]
	call	con_dec
	mov	esi, s_exits
	call	con_puts
	movzx	eax, byte [edi + REC_EXITS]
	call	con_dec
	mov	esi, s_resumed
	call	con_puts
	movzx	eax, byte [edi + REC_RESUMED]
	call	con_dec
	; only when nonzero: a passing line keeps one fixed shape
	movzx	eax, byte [edi + REC_BADBASE]
	test	eax, eax
	jz	.nl
	mov	esi, s_badbase
	call	con_puts
	call	con_dec
.nl:
	mov	esi, s_nl
	call	con_puts
	pop	edi
	pop	esi
	pop	eax
	ret

; Judge the record at esi: al = DONE_PASS or this CPU's worst DONE_SMM_*
; (stuck > missing > relocation). Clobbers ecx, edx.
smm_judge:
	movzx	ecx, byte [esi + REC_LAPIC]
	movzx	edx, byte [esi + REC_APM]
	mov	al, DONE_SMM_STUCK
	test	byte [esi + REC_STATE], ST_STUCK
	jnz	.ret
	; An unfinished stage with more entries than resumes is still in SMM.
	test	byte [esi + REC_STATE], ST_FINISHED
	jnz	.not_stuck
	add	ecx, edx
	cmp	cl, [esi + REC_RESUMED]
	ja	.ret
	movzx	ecx, byte [esi + REC_LAPIC]
.not_stuck:
	; Every route's count, not just the flag: a stage cut short (revision
	; error, no lock, out of time) never raised the later SMIs.
	mov	al, DONE_SMM_MISSING
	test	byte [esi + REC_STATE], ST_MISSING
	jnz	.ret
	cmp	ecx, 2
	jb	.ret
	cmp	edx, 1
	jb	.ret
	mov	al, DONE_SMM_RELOC
	cmp	byte [esi + REC_RELOC], 0
	je	.ret
	cmp	byte [esi + REC_BADBASE], 0
	jne	.ret
	mov	al, DONE_PASS
.ret:
	ret

; The BSP's part of the SMM stage, after the scan. Returns al = DONE_PASS or the
; worst DONE_SMM_* over all CPUs. Clobbers eax, ebx, ecx, edx, esi, edi.
smm_bsp:
	mov	ebx, [fw_bsp_apic]
	call	smm_stage
	call	smm_wait_aps

	xor	ah, ah				; SEEN_* bits
	xor	ebx, ebx
.cpu:
	call	smm_subject
	jnc	.next
	mov	esi, ebx
	shl	esi, SMM_REC_SHIFT
	add	esi, SMM_REC_BASE
	call	smm_print
	call	smm_judge
	mov	edi, s_stuck
	mov	dl, SEEN_STUCK
	cmp	al, DONE_SMM_STUCK
	je	.fail
	mov	edi, s_missing
	mov	dl, SEEN_MISSING
	cmp	al, DONE_SMM_MISSING
	je	.fail
	mov	edi, s_reloc
	mov	dl, SEEN_RELOC
	cmp	al, DONE_SMM_RELOC
	jne	.next
.fail:
	or	ah, dl
	mov	esi, edi
	call	con_puts
	push	eax
	mov	eax, ebx
	call	con_dec
	pop	eax
	mov	esi, s_nl
	call	con_puts
.next:
	inc	ebx
	cmp	ebx, XAPIC_ID_SLOTS
	jb	.cpu

	; The codes do not rise with severity; pick by precedence.
	mov	al, DONE_SMM_STUCK
	test	ah, SEEN_STUCK
	jnz	.ret
	mov	al, DONE_SMM_MISSING
	test	ah, SEEN_MISSING
	jnz	.ret
	mov	al, DONE_SMM_RELOC
	test	ah, SEEN_RELOC
	jnz	.ret
	mov	al, DONE_PASS
.ret:
	ret
