; SPDX-License-Identifier: GPL-2.0-only
; BSP side of the AP scan: INIT/SIPI broadcast, deadline wait, per-AP verdicts.
%include "hvsmoke.inc"

%define ICR_SPIN_MAX		100000		; spins before the ICR counts as stuck
%define ICR_INIT_ALL_BUT_SELF	0x000c4500	; shorthand 11, level assert, INIT
%define ICR_SIPI_ALL_BUT_SELF	0x000c4600	; shorthand 11, level assert, STARTUP
; The MP-spec pattern's delays need the TSC rate; with none in the config,
; assume 3 GHz. Only the order of magnitude matters: virtual CPUs need no
; delay at all, the pattern exists to show the VMM the timing real firmware uses.
%define FALLBACK_TSC_KHZ	3000000
%define MPSPEC_INIT_MS		10		; INIT to first SIPI
%define MPSPEC_SIPI_DIV		5		; SIPI to SIPI: 200 us = 1 ms / 5

global smp_send_ipis, smp_wait, smp_report, icr_wait
extern fw_expected, fw_bsp_apic, fw_deadline, fw_flags, fw_storm
extern fw_tsc_khz, fw_ipi_pattern, fw_x2apic, fw_id_dwords
extern ev_send, ev_bsp, con_puts, con_dec, tsc_deadline

section .rodata progbits alloc noexec nowrite align=16
s_online	db "hvsmoke: ap-online apic=", 0
s_missing	db "hvsmoke: ap-missing apic=", 0
s_scan		db "hvsmoke: scan-done online=", 0
s_expected	db " expected=", 0
s_dup		db "hvsmoke: ap-duplicate count=", 0
s_reset		db "hvsmoke: ap-reset count=", 0
s_nl		db 10, 0

section .bss nobits alloc noexec write align=4
scan_snapshot	resd APIC_ID_SLOTS / 32	; fw_id_dwords of it are used

section .text32 progbits alloc exec nowrite align=16
bits 32

; Send an IPI: ICR low dword %1 (an immediate), destination field 0 (the
; shorthand names the targets). Inline, not a call: the SeaBIOS pattern's
; INIT and SIPI go out back to back. Clobbers eax, ecx, edx.
%macro ICR_SEND 1
	cmp	dword [fw_x2apic], 0
	jne	%%x2apic
	mov	dword [LAPIC_BASE + LAPIC_ICR_LO], %1
	jmp	%%sent
%%x2apic:
	mov	ecx, MSR_X2APIC_ICR
	mov	eax, %1
	xor	edx, edx
	wrmsr
%%sent:
%endmacro

; Wait, bounded, until the ICR can take a new IPI. CF set if it never could.
; An x2APIC ICR has no delivery status: a write is sent when it retires.
; Clobbers ecx.
icr_wait:
	cmp	dword [fw_x2apic], 0
	jne	.idle
	mov	ecx, ICR_SPIN_MAX
.spin:
	test	dword [LAPIC_BASE + LAPIC_ICR_LO], LAPIC_ICR_BUSY
	jz	.idle
	pause
	dec	ecx
	jnz	.spin
	stc
	ret
.idle:
	clc
	ret

; Spin for edx:eax TSC ticks; the TSC bounds it. Clobbers eax, edx.
tsc_delay:
	push	esi
	push	edi
	call	tsc_deadline
	mov	esi, eax
	mov	edi, edx
.spin:
	pause
	RUN_TSC
	sub	eax, esi
	sbb	edx, edi
	jb	.spin			; borrow: the end is still ahead
	pop	edi
	pop	esi
	ret

; eax = TSC ticks per ms, guessed when the config gave none. Preserves the rest.
tsc_per_ms:
	mov	eax, [fw_tsc_khz]
	test	eax, eax
	jnz	.ret
	mov	eax, FALLBACK_TSC_KHZ
.ret:
	ret

; Broadcast INIT and (except in the NO_SIPI test build) SIPI to every other
; CPU, in the order and with the delays of fw_ipi_pattern. CF set if the ICR
; stayed busy. Clobbers eax, ecx, edx.
smp_send_ipis:
	call	icr_wait
	jc	.ret
	cmp	dword [fw_x2apic], 0
	jne	.dest_set
	mov	dword [LAPIC_BASE + LAPIC_ICR_HI], 0
.dest_set:
	cmp	dword [fw_ipi_pattern], IPI_SEABIOS
	je	.seabios
	ICR_SEND ICR_INIT_ALL_BUT_SELF
	mov	al, EV_PHASE
	mov	ecx, PHASE_INIT_SENT
	call	ev_bsp
%ifndef HVSMOKE_TEST_NO_SIPI
	cmp	dword [fw_ipi_pattern], IPI_MPSPEC
	jne	.sipi1
	call	tsc_per_ms
	mov	ecx, MPSPEC_INIT_MS
	mul	ecx
	call	tsc_delay
.sipi1:
	call	icr_wait
	jc	.ret
	ICR_SEND ICR_SIPI_ALL_BUT_SELF | TRAMP_VECTOR
	; The second SIPI is the architectural retry for an AP that missed
	; the first; a correct VMM must not start any AP twice because of it.
	cmp	dword [fw_ipi_pattern], IPI_MPSPEC
	jne	.sipi2
	call	tsc_per_ms
	xor	edx, edx
	mov	ecx, MPSPEC_SIPI_DIV
	div	ecx
	xor	edx, edx
	call	tsc_delay
.sipi2:
	call	icr_wait
	jc	.ret
	ICR_SEND ICR_SIPI_ALL_BUT_SELF | TRAMP_VECTOR
%endif
.sent:
	; Sent in the NO_SIPI build too: it marks the end of the IPI phase.
	mov	al, EV_PHASE
	mov	ecx, PHASE_SIPI_SENT
	call	ev_bsp
	clc
.ret:
	ret

.seabios:
	; SeaBIOS's smp_scan: one SIPI straight after the INIT, no ICR check
	; and no delay, so the SIPI can reach an AP whose INIT the VMM is still
	; processing. The INIT event waits until after the SIPI: its OUT is a
	; VM exit, which would hand the VMM exactly the time this pattern
	; denies it.
	ICR_SEND ICR_INIT_ALL_BUT_SELF
%ifndef HVSMOKE_TEST_NO_SIPI
	ICR_SEND ICR_SIPI_ALL_BUT_SELF | TRAMP_VECTOR
%endif
	mov	al, EV_PHASE
	mov	ecx, PHASE_INIT_SENT
	call	ev_bsp
	jmp	.sent

; Spin until expected-1 APs are online or fw_deadline TSC ticks have passed.
; Clobbers eax, ebx, ecx, edx, esi, edi.
smp_wait:
	mov	ebx, [fw_expected]
	dec	ebx
	mov	eax, [fw_deadline]
	mov	edx, [fw_deadline + 4]
	call	tsc_deadline
	mov	edi, eax
	mov	esi, edx
.poll:
	; APs bump the count only after setting their bitmap bit, so reaching
	; the target means the bitmap is complete too.
	cmp	[SH_ONLINE_COUNT], ebx
	jae	.ret
	pause
	; the storm goes on while the BSP waits: quits land mid-scan too
	cmp	dword [fw_storm], 0
	jne	.storm
	cmp	dword [fw_storm + 4], 0
	je	.no_storm
.storm:
	out	PORT_POST, al
.no_storm:
	RUN_TSC
	sub	eax, edi
	sbb	edx, esi
	jb	.poll			; borrow: still before the deadline
.ret:
	ret

; Report the scan outcome (events and console). Returns eax = number of APs
; found missing. Clobbers ebx, ecx, edx, esi, edi, ebp.
smp_report:
	; One snapshot of the bitmap for the count, the online lines and the
	; missing list: an AP that sets its bit while this runs is in all of
	; them or in none, never counted short with no one missing. Only the
	; part an APIC ID can reach in this mode: in xAPIC mode the 8-bit IDs.
	mov	esi, SH_BITMAP
	mov	edi, scan_snapshot
	mov	ecx, [fw_id_dwords]
	rep movsd
	; Counted a dword at a time, clearing the lowest set bit per step: each
	; instruction here is emulated (and a VM exit) on hosts without
	; unrestricted guest, so a bit test per slot cost 1280 of them, about
	; 1 ms of every boot.
	xor	edi, edi		; APs online in the snapshot
	xor	ebx, ebx		; dword index
.count:
	mov	eax, [scan_snapshot + ebx * 4]
.count_bits:
	test	eax, eax
	jz	.count_next
	lea	ecx, [eax - 1]
	and	eax, ecx
	inc	edi
	jmp	.count_bits
.count_next:
	inc	ebx
	cmp	ebx, [fw_id_dwords]
	jb	.count
%ifdef HVSMOKE_TEST_LATE_AP
	; Test build: hold the report until every AP is in the live bitmap,
	; so an AP that came after the snapshot must still read as missing.
	call	late_ap_wait
%endif
	mov	al, EV_SCAN_DONE
	mov	ecx, edi
	call	ev_bsp

	; Online lines come from the bitmap, printed by the BSP alone, so the
	; text never interleaves; they include APs beyond the expected count.
	; A dword at a time, a set bit at a time, for the same reason as the count.
	test	byte [fw_flags], CFG_F_CONSOLE
	jz	.online_done
	xor	ebx, ebx		; dword index
.online:
	mov	edx, [scan_snapshot + ebx * 4]
.online_bits:
	test	edx, edx
	jz	.online_next
	bsf	ecx, edx
	btr	edx, ecx
	mov	eax, ebx
	shl	eax, 5
	add	eax, ecx
	mov	esi, s_online
	call	con_puts
	call	con_dec
	mov	esi, s_nl
	call	con_puts
	jmp	.online_bits
.online_next:
	inc	ebx
	cmp	ebx, [fw_id_dwords]
	jb	.online
.online_done:

	; IDs 0..expected-1 minus the BSP's own (the BSP need not be ID 0) that
	; are not in the snapshot: per dword, the complement masked to the
	; expected IDs, then a set bit at a time.
	xor	ebp, ebp		; missing count
	xor	ebx, ebx		; first ID of this dword
.missing:
	cmp	ebx, [fw_expected]
	jae	.missing_done
	mov	edx, ebx
	shr	edx, 5
	mov	edx, [scan_snapshot + edx * 4]
	not	edx
	mov	ecx, [fw_expected]
	sub	ecx, ebx
	cmp	ecx, 32
	jae	.whole
	mov	eax, 1
	shl	eax, cl
	dec	eax
	and	edx, eax		; only IDs below the expected count
.whole:
	mov	eax, [fw_bsp_apic]
	sub	eax, ebx
	cmp	eax, 32
	jae	.missing_bits
	btr	edx, eax		; the BSP is never missing
.missing_bits:
	test	edx, edx
	jz	.missing_next
	bsf	ecx, edx
	btr	edx, ecx
	inc	ebp
	push	ebx
	add	ebx, ecx		; ev_send's APIC ID
	mov	al, EV_AP_MISSING
	push	ecx
	xor	ecx, ecx
	call	ev_send
	pop	ecx
	mov	esi, s_missing
	call	con_puts
	mov	eax, ebx
	call	con_dec
	mov	esi, s_nl
	call	con_puts
	pop	ebx
	jmp	.missing_bits
.missing_next:
	add	ebx, 32
	jmp	.missing
.missing_done:
	mov	edx, ebp

	mov	esi, s_scan
	call	con_puts
	mov	eax, edi
	call	con_dec
	mov	esi, s_expected
	call	con_puts
	mov	eax, [fw_expected]
	dec	eax
	call	con_dec
	mov	esi, s_nl
	call	con_puts

	mov	eax, [SH_DUP_COUNT]
	test	eax, eax
	jz	.no_dup
	mov	esi, s_dup
	call	con_puts
	call	con_dec
	mov	esi, s_nl
	call	con_puts
.no_dup:
	mov	eax, [SH_RESET_COUNT]
	test	eax, eax
	jz	.no_reset
	mov	esi, s_reset
	call	con_puts
	call	con_dec
	mov	esi, s_nl
	call	con_puts
.no_reset:
	mov	eax, edx
	ret

%ifdef HVSMOKE_TEST_LATE_AP
; Test build: tell the late AP the snapshot is taken, then wait (bounded by
; the scan deadline) until every AP is in the live count. Preserves all but
; eax and edx.
late_ap_wait:
	push	ecx
	push	esi
	push	ebx
	mov	dword [SH_TEST_SNAPPED], 1
	RUN_TSC
	add	eax, [fw_deadline]
	adc	edx, [fw_deadline + 4]
	mov	esi, eax
	mov	ebx, edx
	mov	ecx, [fw_expected]
	dec	ecx
.wait:
	cmp	[SH_ONLINE_COUNT], ecx
	jae	.done
	pause
	RUN_TSC
	sub	eax, esi
	sbb	edx, ebx
	jb	.wait
.done:
	pop	ebx
	pop	esi
	pop	ecx
	ret
%endif
