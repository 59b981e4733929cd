// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the MSHV backend's logic without /dev/mshv: intercept messages
 * built byte by byte at the documented offsets decode to the right exits
 * (port I/O of each size and direction, halt, unrecoverable exception,
 * unmapped GPA, unknown types, string I/O refused), an IN's data lands in
 * RAX the way the CPU would put it there and RIP steps past the
 * instruction, registers survive vcpu_state -> hypercall form -> vcpu_state,
 * and a missing device is a skip with a reason.
 */
#include "../../vmm/mshv/mshv_abi.h"
#include "../../vmm/accel.h"
#include "../../vmm/sync.h"
#include "../../vmm/vcpu.h"
#include "../../vmm/x86_state.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Offsets into the 256-byte message, written independently of mshv_abi.h's structs. */
#define P		16		/* payload */
#define H_INSN_LEN	(P + 4)
#define H_ACCESS	(P + 5)
#define H_EXEC		(P + 6)
#define H_CS_ATTR	(P + 8 + 14)
#define H_RIP		(P + 24)
#define IO_PORT		(P + 40)
#define IO_ACCESS	(P + 42)
#define IO_RAX		(P + 48)
#define MEM_NBYTES	(P + 44)
#define MEM_GPA		(P + 56)
#define MEM_BYTES	(P + 64)

#define EXEC_PE		(1u << 2)
#define EXEC_LMA	(1u << 4)
#define CS_DB		(1u << 14)
#define CS_L		(1u << 13)

static uint8_t msg[HV_MESSAGE_SIZE];
static uint8_t data[8];
static struct vcpu_exit ex;
static struct mshv_pending pend;

static void put(unsigned int off, uint64_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++)
		msg[off + i] = (uint8_t)(v >> (8 * i));
}

static void new_msg(uint32_t type)
{
	memset(msg, 0, sizeof(msg));
	put(0, type, 4);
}

static void decode(void)
{
	memset(data, 0xaa, sizeof(data));	/* must come back cleared */
	mshv_decode_message(msg, &ex, &pend, data);
}

static void io_msg(uint16_t port, unsigned int size, bool out, uint64_t rax, uint64_t rip,
		   unsigned int len, uint8_t extra)
{
	new_msg(HVMSG_X64_IO_PORT_INTERCEPT);
	put(H_INSN_LEN, len, 1);
	put(H_ACCESS, out ? 1 : 0, 1);
	put(H_RIP, rip, 8);
	put(IO_PORT, port, 2);
	put(IO_ACCESS, size | extra, 1);
	put(IO_RAX, rax, 8);
}

static void mem_msg(uint32_t type, unsigned int access, unsigned int mode, uint64_t gpa,
		    uint64_t rip, const uint8_t *insn, unsigned int n)
{
	new_msg(type);
	put(H_ACCESS, access, 1);
	put(H_EXEC, mode == 64 ? EXEC_PE | EXEC_LMA : mode == 32 ? EXEC_PE : 0, 2);
	put(H_CS_ATTR, 0x9b | (mode == 64 ? CS_L : mode == 32 ? CS_DB : 0), 2);
	put(H_RIP, rip, 8);
	put(MEM_NBYTES, n, 1);
	put(MEM_GPA, gpa, 8);
	memcpy(msg + MEM_BYTES, insn, n);
}

static uint64_t le(const uint8_t *b, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | b[size];
	return v;
}

static void test_io_out(void)
{
	static const unsigned int sizes[] = { 1, 2, 4 };
	const uint64_t rax = 0x1122334455667788ull;
	struct hv_register_assoc regs[2];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int sz = sizes[i];

		io_msg(0x80, sz, true, rax, 0xf1000, 2, 0);
		decode();
		TEST_ASSERT(ex.kind == VEXIT_IO, "OUT%u kind %d", sz, ex.kind);
		TEST_ASSERT(ex.raw_reason == HVMSG_X64_IO_PORT_INTERCEPT, "raw %#x", ex.raw_reason);
		TEST_ASSERT(ex.io.port == 0x80 && ex.io.size == sz && ex.io.out && ex.io.count == 1,
			    "OUT%u port %#x size %u out %d count %u", sz, ex.io.port, ex.io.size,
			    ex.io.out, ex.io.count);
		TEST_ASSERT(ex.io.data == data, "OUT%u data points at the vCPU buffer", sz);
		TEST_ASSERT(le(data, sz) == (rax & ((1ull << (8 * sz)) - 1)),
			    "OUT%u data %#llx", sz, (unsigned long long)le(data, sz));
		TEST_ASSERT(le(data + sz, 8 - sz) == 0, "OUT%u: bytes past the access are zero", sz);
		TEST_ASSERT(pend.kind == MSHV_PEND_IO && !pend.to_reg, "OUT%u pending", sz);
		TEST_ASSERT(mshv_completion_regs(&pend, data, regs) == 1, "OUT%u sets RIP only", sz);
		TEST_ASSERT(regs[0].name == HV_X64_REGISTER_RIP && regs[0].value.reg64 == 0xf1002,
			    "OUT%u RIP %#llx", sz, (unsigned long long)regs[0].value.reg64);
	}
}

static void test_io_in(void)
{
	static const struct {
		unsigned int size;
		uint64_t rax;
	} want[] = {
		{ 1, 0xffeeddccbbaa9912ull },	/* AL only */
		{ 2, 0xffeeddccbbaa3412ull },	/* AX only */
		{ 4, 0x0000000078563412ull },	/* EAX, zero-extended */
	};
	const uint64_t rax = 0xffeeddccbbaa9988ull;
	struct hv_register_assoc regs[2];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		unsigned int sz = want[i].size;

		io_msg(0x510, sz, false, rax, 0xfffffff0, 1, 0);
		decode();
		TEST_ASSERT(ex.kind == VEXIT_IO && !ex.io.out && ex.io.size == sz &&
			    ex.io.port == 0x510, "IN%u decoded", sz);
		TEST_ASSERT(le(data, 8) == 0, "IN%u: data starts zeroed", sz);
		/* what the VMM's device answers */
		data[0] = 0x12, data[1] = 0x34, data[2] = 0x56, data[3] = 0x78;
		TEST_ASSERT(mshv_completion_regs(&pend, data, regs) == 2, "IN%u sets RIP and RAX", sz);
		TEST_ASSERT(regs[0].name == HV_X64_REGISTER_RIP &&
			    regs[0].value.reg64 == 0xfffffff1ull, "IN%u RIP %#llx", sz,
			    (unsigned long long)regs[0].value.reg64);
		TEST_ASSERT(regs[1].name == HV_X64_REGISTER_RAX && regs[1].value.reg64 == want[i].rax,
			    "IN%u RAX %#llx, want %#llx", sz, (unsigned long long)regs[1].value.reg64,
			    (unsigned long long)want[i].rax);
	}

	/* the instruction length comes from the intercept header, not a guess */
	io_msg(0x71, 1, false, 0, 0x7c00, 0, 0);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL && (ex.detail & 0xff) == MSHV_DETAIL_NO_INSN_LEN,
		    "no instruction length: kind %d detail %#llx", ex.kind,
		    (unsigned long long)ex.detail);
	io_msg(0x71, 3, false, 0, 0x7c00, 1, 0);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL && (ex.detail & 0xff) == MSHV_DETAIL_BAD_IO_SIZE,
		    "3-byte I/O: kind %d", ex.kind);
}

static void test_string_io(void)
{
	io_msg(0x3f8, 1, true, 0, 0x1000, 1, HV_IO_ACCESS_STRING);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_OTHER, "OUTSB: kind %d", ex.kind);
	TEST_ASSERT(ex.raw_reason == HVMSG_X64_IO_PORT_INTERCEPT, "OUTSB raw %#x", ex.raw_reason);
	TEST_ASSERT((ex.detail & 0xff) == MSHV_DETAIL_STRING_IO &&
		    ((ex.detail >> 8) & HV_IO_ACCESS_STRING), "OUTSB detail %#llx",
		    (unsigned long long)ex.detail);
	TEST_ASSERT(pend.kind == MSHV_PEND_NONE, "OUTSB leaves nothing to complete");

	io_msg(0x3f8, 2, false, 0, 0x1000, 2, HV_IO_ACCESS_STRING | HV_IO_ACCESS_REP);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_OTHER && (ex.detail & 0xff) == MSHV_DETAIL_STRING_IO &&
		    ((ex.detail >> 8) & HV_IO_ACCESS_REP), "REP INSW refused");
}

static void test_other_messages(void)
{
	new_msg(HVMSG_X64_HALT);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_HLT && ex.raw_reason == HVMSG_X64_HALT, "halt: kind %d",
		    ex.kind);
	TEST_ASSERT(pend.kind == MSHV_PEND_NONE, "halt: nothing pending");

	new_msg(HVMSG_UNRECOVERABLE_EXCEPTION);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_SHUTDOWN, "unrecoverable exception: kind %d", ex.kind);

	new_msg(HVMSG_INVALID_VP_REGISTER_VALUE);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_FAIL_ENTRY, "invalid VP register value: kind %d", ex.kind);

	new_msg(HVMSG_X64_CPUID_INTERCEPT);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_OTHER && ex.raw_reason == HVMSG_X64_CPUID_INTERCEPT,
		    "CPUID intercept: kind %d raw %#x", ex.kind, ex.raw_reason);

	new_msg(0x12345678);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_OTHER && ex.raw_reason == 0x12345678 && !ex.detail,
		    "unknown type: kind %d raw %#x", ex.kind, ex.raw_reason);
}

static void test_mmio(void)
{
	/* mov eax, [0xfed00020] in protected mode: a read of a hole */
	static const uint8_t rd32[] = { 0x8b, 0x05, 0x20, 0x00, 0xd0, 0xfe };
	/* mov ah, [0x1234] in real mode */
	static const uint8_t rd_ah[] = { 0x8a, 0x26, 0x34, 0x12 };
	/* mov dword [0xfee000b0], 0 in long mode (SIB, no base) */
	static const uint8_t wr_imm[] = { 0xc7, 0x04, 0x25, 0xb0, 0x00, 0xe0, 0xfe,
					  0x00, 0x00, 0x00, 0x00 };
	/* mov [rax], rcx in long mode */
	static const uint8_t wr_rex[] = { 0x48, 0x89, 0x08 };
	/* mov ax, [0x1000] (moffs) in real mode */
	static const uint8_t rd_moffs[] = { 0xa1, 0x00, 0x10 };
	/* movzx eax, byte [0xfec00000] in protected mode */
	static const uint8_t rd_movzx[] = { 0x0f, 0xb6, 0x05, 0x00, 0x00, 0xc0, 0xfe };
	/* mov [edi], eax: a write to the read-only ROM */
	static const uint8_t wr_rom[] = { 0x89, 0x07 };
	static const uint8_t rep_movsd[] = { 0xf3, 0xa5 };
	struct hv_register_assoc regs[2];

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 32, 0xfed00020, 0x1000, rd32,
		sizeof(rd32));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.raw_reason == HVMSG_UNMAPPED_GPA, "read: kind %d",
		    ex.kind);
	TEST_ASSERT(ex.mmio.addr == 0xfed00020 && ex.mmio.len == 4 && !ex.mmio.write &&
		    ex.mmio.data == data, "read: addr %#llx len %u",
		    (unsigned long long)ex.mmio.addr, ex.mmio.len);
	TEST_ASSERT(le(data, 8) == 0, "read: zero-filled until the VMM answers");
	memset(data, 0xff, 4);		/* a floating bus */
	TEST_ASSERT(pend.reg_known, "a 32-bit load needs no read of the old register");
	TEST_ASSERT(mshv_completion_regs(&pend, data, regs) == 2 && regs[0].value.reg64 == 0x1006 &&
		    regs[1].name == HV_X64_REGISTER_RAX && regs[1].value.reg64 == 0xffffffffull,
		    "read: RIP %#llx RAX %#llx", (unsigned long long)regs[0].value.reg64,
		    (unsigned long long)regs[1].value.reg64);

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 16, 0x1234, 0x7c00, rd_ah,
		sizeof(rd_ah));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.len == 1 && pend.reg == 0 &&
		    pend.reg_shift == 8 && !pend.reg_known, "AH load: reg %u shift %u", pend.reg,
		    pend.reg_shift);
	pend.reg_old = 0x1111;		/* what the backend reads before completing */
	pend.reg_known = true;
	data[0] = 0xab;
	mshv_completion_regs(&pend, data, regs);
	TEST_ASSERT(regs[0].value.reg64 == 0x7c04 && regs[1].value.reg64 == 0xab11,
		    "AH load: RIP %#llx RAX %#llx", (unsigned long long)regs[0].value.reg64,
		    (unsigned long long)regs[1].value.reg64);

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, 64, 0xfee000b0, 0x100000, wr_imm,
		sizeof(wr_imm));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.write && ex.mmio.len == 4 && !pend.need_src,
		    "immediate store: kind %d", ex.kind);
	TEST_ASSERT(mshv_completion_regs(&pend, data, regs) == 1 &&
		    regs[0].value.reg64 == 0x100000 + sizeof(wr_imm), "immediate store: RIP %#llx",
		    (unsigned long long)regs[0].value.reg64);

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, 64, 0xd0000000, 0x200000, wr_rex,
		sizeof(wr_rex));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.len == 8 && pend.need_src && pend.reg == 1,
		    "REX.W store: len %u reg %u", ex.mmio.len, pend.reg);
	mshv_mmio_fill_write(&pend, 0x0102030405060708ull, data);
	TEST_ASSERT(le(data, 8) == 0x0102030405060708ull, "REX.W store data");

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 16, 0x1000, 0x500, rd_moffs,
		sizeof(rd_moffs));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.len == 2 && pend.next_rip == 0x503 &&
		    pend.reg_width == 2, "moffs load: len %u rip %#llx", ex.mmio.len,
		    (unsigned long long)pend.next_rip);

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 32, 0xfec00000, 0x600, rd_movzx,
		sizeof(rd_movzx));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.len == 1 && pend.reg_width == 4 &&
		    pend.next_rip == 0x607, "MOVZX: len %u width %u", ex.mmio.len, pend.reg_width);

	mem_msg(HVMSG_GPA_INTERCEPT, HV_INTERCEPT_ACCESS_WRITE, 32, 0xffff0000, 0x700, wr_rom,
		sizeof(wr_rom));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_MMIO && ex.mmio.write && ex.mmio.addr == 0xffff0000 &&
		    ex.raw_reason == HVMSG_GPA_INTERCEPT, "ROM write is an MMIO write");

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, 32, 0xd0000000, 0x800, rep_movsd,
		sizeof(rep_movsd));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL &&
		    (ex.detail & 0xff) == MSHV_DETAIL_UNSUPPORTED_INSN &&
		    ((ex.detail >> 8) & 0xffff) == 0xa5f3 && pend.kind == MSHV_PEND_NONE,
		    "REP MOVSD cannot be emulated: kind %d detail %#llx", ex.kind,
		    (unsigned long long)ex.detail);

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, 32, 0xfed00020, 0x900, rd32,
		sizeof(rd32));
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL && (ex.detail & 0xff) == MSHV_DETAIL_ACCESS_MISMATCH,
		    "a load reported as a write is not trusted");

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 32, 0xfed00020, 0x900, rd32, 0);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL && (ex.detail & 0xff) == MSHV_DETAIL_NO_INSN_BYTES,
		    "no instruction bytes");

	mem_msg(HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, 32, 0xfed00020, 0x900, rd32, 3);
	decode();
	TEST_ASSERT(ex.kind == VEXIT_INTERNAL, "an instruction cut short is not guessed at");
}

static void test_merge(void)
{
	const uint64_t old = 0x8877665544332211ull;

	TEST_ASSERT(mshv_reg_merge(old, 0xff, 1, 0) == 0x88776655443322ffull, "AL");
	TEST_ASSERT(mshv_reg_merge(old, 0xff, 1, 8) == 0x887766554433ff11ull, "AH");
	TEST_ASSERT(mshv_reg_merge(old, 0xbeef, 2, 0) == 0x887766554433beefull, "AX");
	TEST_ASSERT(mshv_reg_merge(old, 0xdeadbeefcafeull, 4, 0) == 0xbeefcafeull, "EAX");
	TEST_ASSERT(mshv_reg_merge(old, 1, 8, 0) == 1, "RAX");
}

static void seg(struct kvm_segment *s, uint16_t sel, uint64_t base, uint32_t limit,
		uint8_t type, uint8_t present, uint8_t l, uint8_t db, uint8_t g, uint8_t dpl)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->present = present;
	s->unusable = !present;
	s->s = type != 0xb || sel != 0x28;	/* TR below is a system segment */
	s->l = l;
	s->db = db;
	s->g = g;
	s->dpl = dpl;
	s->avl = sel == 0x33;
}

static void test_state_round_trip(void)
{
	const uint32_t all = PART_BIT(PART_REGS) | PART_BIT(PART_SREGS) | PART_BIT(PART_DEBUGREGS);
	static struct vcpu_state a, b;
	struct hv_register_assoc regs[64];
	uint32_t names[64];
	uint64_t gprs[18];		/* rax..r15, rip, rflags: kvm_regs' layout */
	unsigned int i, n, nn;

	_Static_assert(sizeof(a.regs) == sizeof(gprs), "kvm_regs is 18 u64s");
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 18; i++)
		gprs[i] = 0x1000000000000001ull * (i + 1);
	memcpy(&a.regs, gprs, sizeof(gprs));
	seg(&a.sregs.cs, 0x08, 0, 0xffffffff, 0xb, 1, 1, 0, 1, 0);
	seg(&a.sregs.ds, 0x10, 0x1000, 0xfffff, 0x3, 1, 0, 1, 1, 0);
	seg(&a.sregs.es, 0x00, 0, 0, 0, 0, 0, 0, 0, 0);
	seg(&a.sregs.fs, 0x33, 0x7fff00000000ull, 0xffff, 0x3, 1, 0, 0, 0, 3);
	seg(&a.sregs.gs, 0x18, 0xffff800000000000ull, 0xffffffff, 0x3, 1, 0, 1, 1, 0);
	seg(&a.sregs.ss, 0x10, 0, 0xffffffff, 0x3, 1, 0, 1, 1, 0);
	seg(&a.sregs.tr, 0x28, 0xfffb0000, 0x67, 0xb, 1, 0, 0, 0, 0);
	seg(&a.sregs.ldt, 0, 0, 0xffff, 0x2, 1, 0, 0, 0, 0);
	a.sregs.ldt.s = 0;
	a.sregs.gdt.base = 0xf0000;
	a.sregs.gdt.limit = 0x37;
	a.sregs.idt.base = 0xf1000;
	a.sregs.idt.limit = 0xfff;
	a.sregs.cr0 = 0x80050033;
	a.sregs.cr2 = 0xdead000;
	a.sregs.cr3 = 0x1000;
	a.sregs.cr4 = 0x6a0;
	a.sregs.cr8 = 0xf;
	a.sregs.efer = 0xd01;
	a.sregs.apic_base = 0xfee00900;
	for (i = 0; i < 4; i++)
		a.debugregs.db[i] = 0x40000 + i;
	a.debugregs.dr6 = 0xffff0ff0;
	a.debugregs.dr7 = 0x400;

	nn = mshv_state_reg_names(all, names, 64);
	n = mshv_state_to_regs(&a, all, regs, 64);
	TEST_ASSERT(n == 41 && nn == n, "41 registers (%u, %u names)", n, nn);
	for (i = 0; i < n && i < nn; i++)
		TEST_ASSERT(regs[i].name == names[i], "register %u: %#x vs name %#x", i, regs[i].name,
			    names[i]);
	TEST_ASSERT(regs[0].name == HV_X64_REGISTER_CR0, "control registers go first");
	for (i = 0; i < n; i++) {
		if (regs[i].name == HV_X64_REGISTER_CS)
			TEST_ASSERT(regs[i].value.segment.attributes == 0xa09b &&
				    regs[i].value.segment.limit == 0xffffffff &&
				    regs[i].value.segment.selector == 8,
				    "CS attributes %#x", regs[i].value.segment.attributes);
		if (regs[i].name == HV_X64_REGISTER_ES)
			TEST_ASSERT(!(regs[i].value.segment.attributes & HV_SEG_P),
				    "an unusable segment is not present");
		if (regs[i].name == HV_X64_REGISTER_FS)
			TEST_ASSERT(regs[i].value.segment.attributes == (0x3 | HV_SEG_S | 3 << 5 |
									  HV_SEG_P | HV_SEG_AVL),
				    "FS attributes %#x", regs[i].value.segment.attributes);
		if (regs[i].name == HV_X64_REGISTER_GDTR)
			TEST_ASSERT(regs[i].value.table.base == 0xf0000 &&
				    regs[i].value.table.limit == 0x37, "GDTR");
		if (regs[i].name == HV_X64_REGISTER_RIP)
			TEST_ASSERT(regs[i].value.reg64 == a.regs.rip, "RIP");
		if (regs[i].name == HV_X64_REGISTER_R8 + 7)
			TEST_ASSERT(regs[i].value.reg64 == a.regs.r15, "R15");
		if (regs[i].name == HV_X64_REGISTER_DR7)
			TEST_ASSERT(regs[i].value.reg64 == 0x400, "DR7");
	}

	/* the hypervisor hands back values in any order: shuffle, then translate */
	for (i = 0; i + 1 < n; i += 2) {
		struct hv_register_assoc t = regs[i];

		regs[i] = regs[i + 1];
		regs[i + 1] = t;
	}
	memset(&b, 0x5a, sizeof(b));
	memset(&b.regs, 0, sizeof(b.regs));
	memset(&b.sregs, 0, sizeof(b.sregs));
	memset(&b.debugregs, 0, sizeof(b.debugregs));
	mshv_regs_to_state(regs, n, &b);
	TEST_ASSERT(!memcmp(&a.regs, &b.regs, sizeof(a.regs)), "kvm_regs round trip");
	TEST_ASSERT(!memcmp(&a.sregs, &b.sregs, sizeof(a.sregs)), "kvm_sregs round trip");
	TEST_ASSERT(!memcmp(&a.debugregs, &b.debugregs, sizeof(a.debugregs)),
		    "kvm_debugregs round trip");
	for (i = 0; i < sizeof(b.xsave); i++)
		if (((uint8_t *)&b.xsave)[i] != 0x5a)
			break;
	TEST_ASSERT(i == sizeof(b.xsave), "parts it does not handle are left alone");

	n = mshv_state_to_regs(&a, PART_BIT(PART_REGS), regs, 64);
	TEST_ASSERT(n == 18 && regs[n - 1].name == HV_X64_REGISTER_RIP,
		    "regs alone: %u registers, RIP last", n);
	n = mshv_state_to_regs(&a, PART_BIT(PART_EVENTS) | PART_BIT(PART_MP_STATE) |
			       PART_BIT(PART_LAPIC), regs, 64);
	TEST_ASSERT(n == 0, "events, mp_state and LAPIC are not registers here (%u)", n);
	n = mshv_state_to_regs(&a, all, regs, 5);
	TEST_ASSERT(n == 5, "never more than max (%u)", n);
}

static void test_modes(void)
{
	struct hv_x64_intercept_message_header h;

	memset(&h, 0, sizeof(h));
	TEST_ASSERT(mshv_intercept_mode(&h) == 16, "real mode");
	h.execution_state = EXEC_PE;
	h.cs_segment.attributes = 0x9b | CS_DB;
	TEST_ASSERT(mshv_intercept_mode(&h) == 32, "protected mode, D=1");
	h.cs_segment.attributes = 0x9b;
	TEST_ASSERT(mshv_intercept_mode(&h) == 16, "protected mode, D=0");
	h.execution_state = EXEC_PE | EXEC_LMA;
	h.cs_segment.attributes = 0x9b | CS_DB;
	TEST_ASSERT(mshv_intercept_mode(&h) == 32, "compatibility mode");
	h.cs_segment.attributes = 0x9b | CS_L;
	TEST_ASSERT(mshv_intercept_mode(&h) == 64, "long mode");
}

static void test_probe(void)
{
	struct accel_caps caps;
	char why[160] = "";
	int fd = 42, r;

	setenv("HVSMOKE_MSHV_DEVICE", "/nonexistent/hvsmoke-mshv", 1);
	r = mshv_accel_ops.probe(&caps, why, sizeof(why));
	TEST_ASSERT(r == -ENODEV, "missing device: %d", r);
	TEST_ASSERT(strstr(why, "/nonexistent/hvsmoke-mshv") &&
		    strstr(why, "No such file or directory"), "reason: '%s'", why);
	TEST_ASSERT(!strcmp(mshv_accel_ops.name, "mshv"), "name %s", mshv_accel_ops.name);

	why[0] = 0;
	r = mshv__probe_path("/dev/null", &caps, &fd, why, sizeof(why));
	TEST_ASSERT(r == -ENODEV && fd == -1, "/dev/null is not /dev/mshv: %d", r);
	TEST_ASSERT(strstr(why, "not an MSHV root device"), "reason: '%s'", why);
}

static void test_ops(void)
{
	struct vcpu v;

	memset(&v, 0, sizeof(v));
	v.fd = -1;
	TEST_ASSERT(mshv_accel_ops.vcpu_smi(&v) == -ENOTSUP, "no SMM");
	TEST_ASSERT(mshv_accel_ops.vcpu_complete_io != NULL, "completes I/O in userspace");
	/* no immediate_exit: arming is a no-op that must be callable from anywhere */
	mshv_accel_ops.vcpu_arm_kick(&v);
	mshv_accel_ops.vcpu_disarm_kick(&v);
	TEST_ASSERT(mshv_accel_ops.vm_map(NULL, 0, 0, NULL, 4096, false, true) == -ENOTSUP,
		    "no SMM address space");
}

int main(void)
{
	test_io_out();
	test_io_in();
	test_string_io();
	test_other_messages();
	test_mmio();
	test_merge();
	test_state_round_trip();
	test_modes();
	test_probe();
	test_ops();
	return unit_done("test_mshv");
}
