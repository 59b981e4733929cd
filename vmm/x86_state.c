// SPDX-License-Identifier: GPL-2.0-only
/* Architectural reset values and the `info registers` dump. */
#include "x86_state.h"
#include "accel.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void seg_real(struct kvm_segment *s, uint16_t sel, uint64_t base, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = 0xffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
}

void x86_state_reset_regs(struct vcpu_state *s)
{
	memset(&s->regs, 0, sizeof(s->regs));
	s->regs.rip = 0xfff0;
	s->regs.rflags = 0x2;

	seg_real(&s->sregs.cs, 0xf000, 0xffff0000, 0xb);	/* code, RX, accessed */
	seg_real(&s->sregs.ds, 0, 0, 0x3);			/* data, RW, accessed */
	seg_real(&s->sregs.es, 0, 0, 0x3);
	seg_real(&s->sregs.fs, 0, 0, 0x3);
	seg_real(&s->sregs.gs, 0, 0, 0x3);
	seg_real(&s->sregs.ss, 0, 0, 0x3);
	memset(&s->sregs.tr, 0, sizeof(s->sregs.tr));
	s->sregs.tr.limit = 0xffff;
	s->sregs.tr.type = 0xb;
	s->sregs.tr.present = 1;
	memset(&s->sregs.ldt, 0, sizeof(s->sregs.ldt));
	s->sregs.ldt.limit = 0xffff;
	s->sregs.ldt.type = 0x2;
	s->sregs.ldt.present = 1;
	s->sregs.gdt.base = 0;
	s->sregs.gdt.limit = 0xffff;
	s->sregs.idt.base = 0;
	s->sregs.idt.limit = 0xffff;
	s->sregs.cr0 = 0x60000010;
	s->sregs.cr2 = 0;
	s->sregs.cr3 = 0;
	s->sregs.cr4 = 0;
	s->sregs.efer = 0;
}

/* Append to buf at *used; the output is cut, never overrun, when buf is full. */
static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

static void seg_line(char *buf, size_t len, size_t *used, const char *name,
		     const struct kvm_segment *s)
{
	unsigned int attr = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 | s->avl << 12 |
			    s->l << 13 | s->db << 14 | s->g << 15;

	appendf(buf, len, used, "%-3s=%04x %016llx %08x %04x\n", name, s->selector,
		(unsigned long long)s->base, s->limit, attr);
}

#define APPEND(...) appendf(buf, len, &used, __VA_ARGS__)

size_t x86_state_dump(const struct vcpu_state *s, unsigned int cpu, char *buf, size_t len)
{
	const struct kvm_regs *r = &s->regs;
	const struct kvm_sregs *sr = &s->sregs;
	const struct kvm_vcpu_events *ev = &s->events;
	size_t used = 0;

	if (!len)
		return 0;
	buf[0] = '\0';
	APPEND("CPU#%u\n", cpu);
	APPEND("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n",
	       (unsigned long long)r->rax, (unsigned long long)r->rbx,
	       (unsigned long long)r->rcx, (unsigned long long)r->rdx);
	APPEND("RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n",
	       (unsigned long long)r->rsi, (unsigned long long)r->rdi,
	       (unsigned long long)r->rbp, (unsigned long long)r->rsp);
	APPEND("R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n",
	       (unsigned long long)r->r8, (unsigned long long)r->r9,
	       (unsigned long long)r->r10, (unsigned long long)r->r11);
	APPEND("R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n",
	       (unsigned long long)r->r12, (unsigned long long)r->r13,
	       (unsigned long long)r->r14, (unsigned long long)r->r15);
	APPEND("RIP=%016llx RFL=%08llx CPL=%u SMM=%u MP_STATE=%s\n", (unsigned long long)r->rip,
	       (unsigned long long)r->rflags, sr->cs.dpl, ev->smi.smm,
	       mp_state_name(s->mp_state.mp_state));
	seg_line(buf, len, &used, "ES", &sr->es);
	seg_line(buf, len, &used, "CS", &sr->cs);
	seg_line(buf, len, &used, "SS", &sr->ss);
	seg_line(buf, len, &used, "DS", &sr->ds);
	seg_line(buf, len, &used, "FS", &sr->fs);
	seg_line(buf, len, &used, "GS", &sr->gs);
	seg_line(buf, len, &used, "LDT", &sr->ldt);
	seg_line(buf, len, &used, "TR", &sr->tr);
	APPEND("GDT=     %016llx %08x\n", (unsigned long long)sr->gdt.base, sr->gdt.limit);
	APPEND("IDT=     %016llx %08x\n", (unsigned long long)sr->idt.base, sr->idt.limit);
	APPEND("CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n", (unsigned long long)sr->cr0,
	       (unsigned long long)sr->cr2, (unsigned long long)sr->cr3,
	       (unsigned long long)sr->cr4);
	APPEND("EFER=%016llx APIC_BASE=%016llx CR8=%llx\n", (unsigned long long)sr->efer,
	       (unsigned long long)sr->apic_base, (unsigned long long)sr->cr8);
	APPEND("DR6=%016llx DR7=%016llx\n", (unsigned long long)s->debugregs.dr6,
	       (unsigned long long)s->debugregs.dr7);
	APPEND("EVENTS flags=%#x init_pending=%u smi_pending=%u nmi_pending=%u sipi_vector=%#x\n",
	       ev->flags, ev->smi.latched_init, ev->smi.pending, ev->nmi.pending, ev->sipi_vector);
	return used;
}
