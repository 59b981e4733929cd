// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Microsoft Hypervisor backend (/dev/mshv, the Linux >= 6.15 root
 * partition UAPI): the hypervisor emulates the LAPIC, the VMM sees intercepts.
 */
#include "mshv_abi.h"
#include "../accel.h"
#include "../sync.h"
#include "../util.h"
#include "../vcpu.h"
#include "../vm.h"
#include "../x86_state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MSHV_DEVICE_DEFAULT	"/dev/mshv"
#define MSHV_MAX_VPS		256	/* drivers/hv/mshv_root.h: VP indexes below it */
#define MSHV_MAX_REGS		64	/* per hypercall; well inside one 4 KiB input page */
#define MSHV_HVCALL_RETRIES	16
#define APIC_BASE_BSP		(1ull << 8)

/* Process-wide: the device, probed once. */
static struct {
	pthread_once_t once;
	int fd;
	int probe_err;
	char why[160];
	struct accel_caps caps;
} mshv = { .once = PTHREAD_ONCE_INIT, .fd = -1 };

/* Per-vCPU state behind vcpu->priv. */
struct mshv_vcpu {
	struct mshv_pending pend;
	uint8_t data[8];		/* exit->io.data / exit->mmio.data */
};

/* ---- pure helpers: message decoding and completion ------------------------ */

static void put_le(uint8_t *dst, uint64_t v, unsigned int size)
{
	unsigned int i;

	for (i = 0; i < size; i++)
		dst[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *src, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < size; i++)
		v |= (uint64_t)src[i] << (8 * i);
	return v;
}

unsigned int mshv_intercept_mode(const struct hv_x64_intercept_message_header *h)
{
	uint16_t cs = h->cs_segment.attributes;

	if ((h->execution_state & HV_EXEC_EFER_LMA) && (cs & HV_SEG_L))
		return 64;
	if ((h->execution_state & HV_EXEC_CR0_PE) && (cs & HV_SEG_DB))
		return 32;
	return 16;
}

/*
 * MSHV leaves device memory to the VMM and hands over the raw instruction:
 * there is no in-kernel emulator to finish an access as KVM's is. The
 * firmware reaches MMIO holes (and the read-only ROM) only with plain MOVs,
 * so that is all this decodes; anything else is reported, never guessed.
 */
int mshv_mmio_decode(const uint8_t *b, unsigned int n, unsigned int mode,
		     struct mshv_mmio_insn *o)
{
	unsigned int i = 0, opsz, adsz, disp = 0, imm = 0, rex = 0;
	bool osz = false, asz = false, has_modrm = true, byte_reg = false;
	uint8_t op;

	memset(o, 0, sizeof(*o));
	if (n > 15)
		n = 15;
	for (;; i++) {
		if (i >= n)
			return -EINVAL;
		switch (b[i]) {
		case 0x66:
			osz = true;
			continue;
		case 0x67:
			asz = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
		case 0xf0:
			continue;	/* the GPA is already resolved: segments do not matter */
		}
		break;
	}
	if (mode == 64 && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return -EINVAL;

	opsz = mode == 16 ? 2 : 4;
	if (osz)
		opsz = mode == 16 ? 4 : 2;
	if (rex & 8)
		opsz = 8;	/* REX.W wins over 0x66 */
	adsz = mode == 64 ? 8 : mode == 32 ? 4 : 2;
	if (asz)
		adsz = mode == 32 ? 2 : 4;

	op = b[i++];
	switch (op) {
	case 0x88:		/* MOV Eb, Gb */
		o->write = true;
		o->size = 1;
		byte_reg = true;
		break;
	case 0x89:		/* MOV Ev, Gv */
		o->write = true;
		o->size = opsz;
		break;
	case 0x8a:		/* MOV Gb, Eb */
		o->size = 1;
		o->reg_width = 1;
		byte_reg = true;
		break;
	case 0x8b:		/* MOV Gv, Ev */
		o->size = opsz;
		o->reg_width = opsz;
		break;
	case 0xc6:		/* MOV Eb, Ib */
		o->write = o->has_imm = true;
		o->size = 1;
		imm = 1;
		break;
	case 0xc7:		/* MOV Ev, Iz */
		o->write = o->has_imm = true;
		o->size = opsz;
		imm = opsz == 2 ? 2 : 4;
		break;
	case 0xa0: case 0xa1:	/* MOV AL/eAX, moffs */
	case 0xa2: case 0xa3:	/* MOV moffs, AL/eAX */
		has_modrm = false;
		o->write = op >= 0xa2;
		o->size = op & 1 ? opsz : 1;
		o->reg_width = o->write ? 0 : o->size;
		disp = adsz;
		break;
	case 0x0f:
		if (i >= n)
			return -EINVAL;
		op = b[i++];
		if (op != 0xb6 && op != 0xb7)	/* MOVZX Gv, Eb / Ew */
			return -ENOTSUP;
		o->size = op == 0xb6 ? 1 : 2;
		o->reg_width = opsz;
		break;
	default:
		return -ENOTSUP;
	}

	if (has_modrm) {
		uint8_t m, mod, rm;

		if (i >= n)
			return -EINVAL;
		m = b[i++];
		mod = m >> 6;
		rm = m & 7;
		if (mod == 3)
			return -EINVAL;		/* a register operand cannot have faulted */
		if (op == 0xc6 || op == 0xc7) {
			if ((m >> 3) & 7)
				return -ENOTSUP;
		} else {
			o->reg = ((m >> 3) & 7) | (rex & 4 ? 8 : 0);
		}
		if (adsz == 2) {
			disp = mod == 1 ? 1 : mod == 2 ? 2 : rm == 6 ? 2 : 0;
		} else {
			uint8_t base = rm;

			if (rm == 4) {
				if (i >= n)
					return -EINVAL;
				base = b[i++] & 7;	/* SIB */
			}
			disp = mod == 1 ? 1 : mod == 2 ? 4 : base == 5 ? 4 : 0;
		}
	}
	if (i + disp + imm > n)
		return -EINVAL;
	i += disp;
	if (imm) {
		o->imm = get_le(b + i, imm);
		if (imm == 4 && o->size == 8 && (o->imm & 0x80000000u))
			o->imm |= 0xffffffff00000000ull;	/* Iz is sign-extended under REX.W */
		i += imm;
	}
	/* without REX, byte registers 4-7 are AH, CH, DH, BH */
	if (byte_reg && !rex && o->reg >= 4 && o->reg < 8) {
		o->reg -= 4;
		o->reg_shift = 8;
	}
	o->len = (uint8_t)i;
	return 0;
}

static void give_up(struct vcpu_exit *exit, enum vexit_kind kind, uint64_t detail)
{
	exit->kind = kind;
	exit->detail = detail;
}

static void decode_io(const uint8_t *payload, struct vcpu_exit *exit, struct mshv_pending *pend,
		      uint8_t data[8])
{
	struct hv_x64_io_port_intercept_message io;
	unsigned int size, len;

	memcpy(&io, payload, sizeof(io));
	size = HV_IO_ACCESS_SIZE(io.access_info);
	len = HV_INTERCEPT_INSN_LEN(&io.header);
	exit->io.port = io.port_number;
	/* the firmware's I/O is scalar; INS/OUTS would need guest memory walks */
	if (io.access_info & (HV_IO_ACCESS_STRING | HV_IO_ACCESS_REP)) {
		give_up(exit, VEXIT_OTHER,
			MSHV_DETAIL_STRING_IO | (uint64_t)io.access_info << 8);
		return;
	}
	if (size != 1 && size != 2 && size != 4) {
		give_up(exit, VEXIT_INTERNAL,
			MSHV_DETAIL_BAD_IO_SIZE | (uint64_t)io.access_info << 8);
		return;
	}
	if (!len) {
		give_up(exit, VEXIT_INTERNAL, MSHV_DETAIL_NO_INSN_LEN);
		return;
	}

	exit->kind = VEXIT_IO;
	exit->io.size = (uint8_t)size;
	exit->io.out = io.header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE;
	exit->io.count = 1;
	exit->io.data = data;
	if (exit->io.out)
		put_le(data, io.rax, size);

	pend->kind = MSHV_PEND_IO;
	pend->next_rip = io.header.rip + len;
	pend->size = (uint8_t)size;
	pend->to_reg = !exit->io.out;
	pend->reg = 0;
	pend->reg_width = (uint8_t)size;
	pend->reg_known = true;		/* the message carries RAX */
	pend->reg_old = io.rax;
}

static void decode_mmio(const uint8_t *payload, struct vcpu_exit *exit, struct mshv_pending *pend,
			uint8_t data[8])
{
	struct hv_x64_memory_intercept_message mm;
	struct mshv_mmio_insn in;
	unsigned int nbytes;

	memcpy(&mm, payload, sizeof(mm));
	exit->mmio.addr = mm.guest_physical_address;
	if (mm.header.intercept_access_type == HV_INTERCEPT_ACCESS_EXECUTE) {
		give_up(exit, VEXIT_INTERNAL, MSHV_DETAIL_EXECUTE);
		return;
	}
	nbytes = mm.instruction_byte_count;
	if (!nbytes) {
		give_up(exit, VEXIT_INTERNAL, MSHV_DETAIL_NO_INSN_BYTES);
		return;
	}
	if (nbytes > sizeof(mm.instruction_bytes))
		nbytes = sizeof(mm.instruction_bytes);
	if (mshv_mmio_decode(mm.instruction_bytes, nbytes, mshv_intercept_mode(&mm.header), &in)) {
		give_up(exit, VEXIT_INTERNAL,
			MSHV_DETAIL_UNSUPPORTED_INSN |
			get_le(mm.instruction_bytes, nbytes < 2 ? nbytes : 2) << 8);
		return;
	}
	if (in.write != (mm.header.intercept_access_type == HV_INTERCEPT_ACCESS_WRITE)) {
		give_up(exit, VEXIT_INTERNAL, MSHV_DETAIL_ACCESS_MISMATCH);
		return;
	}

	exit->kind = VEXIT_MMIO;
	exit->mmio.len = in.size;
	exit->mmio.write = in.write;
	exit->mmio.data = data;
	if (in.write && in.has_imm)
		put_le(data, in.imm, in.size);

	pend->kind = MSHV_PEND_MMIO;
	pend->next_rip = mm.header.rip + in.len;
	pend->size = in.size;
	pend->to_reg = !in.write;
	pend->reg = in.reg;
	pend->reg_shift = in.reg_shift;
	pend->reg_width = in.reg_width;
	/* a 4- or 8-byte result replaces the whole GPR: no need to read it first */
	pend->reg_known = in.reg_width >= 4;
	pend->need_src = in.write && !in.has_imm;
}

void mshv_decode_message(const uint8_t msg[HV_MESSAGE_SIZE], struct vcpu_exit *exit,
			 struct mshv_pending *pend, uint8_t data[8])
{
	const uint8_t *payload = msg + HV_MESSAGE_HEADER_SIZE;
	struct hv_message_header mh;

	memcpy(&mh, msg, sizeof(mh));
	memset(exit, 0, sizeof(*exit));
	memset(pend, 0, sizeof(*pend));
	memset(data, 0, 8);
	exit->raw_reason = mh.message_type;
	switch (mh.message_type) {
	case HVMSG_X64_IO_PORT_INTERCEPT:
		decode_io(payload, exit, pend, data);
		break;
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:	/* e.g. a write to the read-only ROM */
		decode_mmio(payload, exit, pend, data);
		break;
	case HVMSG_X64_HALT:
		exit->kind = VEXIT_HLT;
		break;
	case HVMSG_UNRECOVERABLE_EXCEPTION:
		exit->kind = VEXIT_SHUTDOWN;	/* a triple fault */
		break;
	case HVMSG_INVALID_VP_REGISTER_VALUE:
		exit->kind = VEXIT_FAIL_ENTRY;	/* the VP state cannot be entered */
		break;
	default:
		exit->kind = VEXIT_OTHER;
		break;
	}
}

void mshv_mmio_fill_write(const struct mshv_pending *pend, uint64_t src, uint8_t data[8])
{
	put_le(data, src >> pend->reg_shift, pend->size);
}

uint64_t mshv_reg_merge(uint64_t old, uint64_t val, unsigned int width, unsigned int shift)
{
	uint64_t mask;

	if (width >= 8)
		return val;
	if (width == 4)
		return val & 0xffffffffull;	/* a 32-bit destination clears bits 63:32 */
	mask = ((1ull << (8 * width)) - 1) << shift;
	return (old & ~mask) | ((val << shift) & mask);
}

unsigned int mshv_completion_regs(const struct mshv_pending *pend, const uint8_t data[8],
				  struct hv_register_assoc out[2])
{
	memset(out, 0, 2 * sizeof(out[0]));
	out[0].name = HV_X64_REGISTER_RIP;
	out[0].value.reg64 = pend->next_rip;
	if (!pend->to_reg)
		return 1;
	out[1].name = HV_X64_REGISTER_RAX + pend->reg;
	out[1].value.reg64 = mshv_reg_merge(pend->reg_old, get_le(data, pend->size),
					    pend->reg_width, pend->reg_shift);
	return 2;
}

/* ---- pure helpers: registers <-> struct vcpu_state ------------------------ */

enum reg_kind { RK_U64, RK_SEG, RK_TABLE };

struct reg_map {
	uint32_t name;
	uint8_t part;
	uint8_t kind;
	uint16_t off;			/* into struct vcpu_state */
};

#define ST(m)	((uint16_t)offsetof(struct vcpu_state, m))

/*
 * Also the order a write goes in: control registers before the segments
 * whose meaning they change, RIP after both.
 */
static const struct reg_map reg_map[] = {
	{ HV_X64_REGISTER_CR0, PART_SREGS, RK_U64, ST(sregs.cr0) },
	{ HV_X64_REGISTER_CR3, PART_SREGS, RK_U64, ST(sregs.cr3) },
	{ HV_X64_REGISTER_CR4, PART_SREGS, RK_U64, ST(sregs.cr4) },
	{ HV_X64_REGISTER_EFER, PART_SREGS, RK_U64, ST(sregs.efer) },
	{ HV_X64_REGISTER_CR2, PART_SREGS, RK_U64, ST(sregs.cr2) },
	{ HV_X64_REGISTER_CR8, PART_SREGS, RK_U64, ST(sregs.cr8) },
	{ HV_X64_REGISTER_APIC_BASE, PART_SREGS, RK_U64, ST(sregs.apic_base) },
	{ HV_X64_REGISTER_CS, PART_SREGS, RK_SEG, ST(sregs.cs) },
	{ HV_X64_REGISTER_DS, PART_SREGS, RK_SEG, ST(sregs.ds) },
	{ HV_X64_REGISTER_ES, PART_SREGS, RK_SEG, ST(sregs.es) },
	{ HV_X64_REGISTER_FS, PART_SREGS, RK_SEG, ST(sregs.fs) },
	{ HV_X64_REGISTER_GS, PART_SREGS, RK_SEG, ST(sregs.gs) },
	{ HV_X64_REGISTER_SS, PART_SREGS, RK_SEG, ST(sregs.ss) },
	{ HV_X64_REGISTER_TR, PART_SREGS, RK_SEG, ST(sregs.tr) },
	{ HV_X64_REGISTER_LDTR, PART_SREGS, RK_SEG, ST(sregs.ldt) },
	{ HV_X64_REGISTER_GDTR, PART_SREGS, RK_TABLE, ST(sregs.gdt) },
	{ HV_X64_REGISTER_IDTR, PART_SREGS, RK_TABLE, ST(sregs.idt) },
	{ HV_X64_REGISTER_RAX, PART_REGS, RK_U64, ST(regs.rax) },
	{ HV_X64_REGISTER_RBX, PART_REGS, RK_U64, ST(regs.rbx) },
	{ HV_X64_REGISTER_RCX, PART_REGS, RK_U64, ST(regs.rcx) },
	{ HV_X64_REGISTER_RDX, PART_REGS, RK_U64, ST(regs.rdx) },
	{ HV_X64_REGISTER_RSI, PART_REGS, RK_U64, ST(regs.rsi) },
	{ HV_X64_REGISTER_RDI, PART_REGS, RK_U64, ST(regs.rdi) },
	{ HV_X64_REGISTER_RSP, PART_REGS, RK_U64, ST(regs.rsp) },
	{ HV_X64_REGISTER_RBP, PART_REGS, RK_U64, ST(regs.rbp) },
	{ HV_X64_REGISTER_R8 + 0, PART_REGS, RK_U64, ST(regs.r8) },
	{ HV_X64_REGISTER_R8 + 1, PART_REGS, RK_U64, ST(regs.r9) },
	{ HV_X64_REGISTER_R8 + 2, PART_REGS, RK_U64, ST(regs.r10) },
	{ HV_X64_REGISTER_R8 + 3, PART_REGS, RK_U64, ST(regs.r11) },
	{ HV_X64_REGISTER_R8 + 4, PART_REGS, RK_U64, ST(regs.r12) },
	{ HV_X64_REGISTER_R8 + 5, PART_REGS, RK_U64, ST(regs.r13) },
	{ HV_X64_REGISTER_R8 + 6, PART_REGS, RK_U64, ST(regs.r14) },
	{ HV_X64_REGISTER_R8 + 7, PART_REGS, RK_U64, ST(regs.r15) },
	{ HV_X64_REGISTER_RFLAGS, PART_REGS, RK_U64, ST(regs.rflags) },
	{ HV_X64_REGISTER_RIP, PART_REGS, RK_U64, ST(regs.rip) },
	{ HV_X64_REGISTER_DR0 + 0, PART_DEBUGREGS, RK_U64, ST(debugregs.db[0]) },
	{ HV_X64_REGISTER_DR0 + 1, PART_DEBUGREGS, RK_U64, ST(debugregs.db[1]) },
	{ HV_X64_REGISTER_DR0 + 2, PART_DEBUGREGS, RK_U64, ST(debugregs.db[2]) },
	{ HV_X64_REGISTER_DR0 + 3, PART_DEBUGREGS, RK_U64, ST(debugregs.db[3]) },
	{ HV_X64_REGISTER_DR6, PART_DEBUGREGS, RK_U64, ST(debugregs.dr6) },
	{ HV_X64_REGISTER_DR7, PART_DEBUGREGS, RK_U64, ST(debugregs.dr7) },
};

_Static_assert(ARRAY_SIZE(reg_map) <= MSHV_MAX_REGS, "one hypercall reads every register");

static void seg_from_hv(struct kvm_segment *k, const struct hv_x64_segment_register *h)
{
	uint16_t a = h->attributes;

	memset(k, 0, sizeof(*k));
	k->base = h->base;
	k->limit = h->limit;
	k->selector = h->selector;
	k->type = HV_SEG_TYPE(a);
	k->s = !!(a & HV_SEG_S);
	k->dpl = HV_SEG_DPL(a);
	k->present = !!(a & HV_SEG_P);
	k->avl = !!(a & HV_SEG_AVL);
	k->l = !!(a & HV_SEG_L);
	k->db = !!(a & HV_SEG_DB);
	k->g = !!(a & HV_SEG_G);
	k->unusable = !k->present;	/* the TLFS format has no separate bit */
}

static void seg_to_hv(struct hv_x64_segment_register *h, const struct kvm_segment *k)
{
	memset(h, 0, sizeof(*h));
	h->base = k->base;
	h->limit = k->limit;
	h->selector = k->selector;
	h->attributes = (uint16_t)((k->type & 0xfu) | (k->s ? HV_SEG_S : 0) |
				   (k->dpl & 3u) << 5 |
				   (k->present && !k->unusable ? HV_SEG_P : 0) |
				   (k->avl ? HV_SEG_AVL : 0) | (k->l ? HV_SEG_L : 0) |
				   (k->db ? HV_SEG_DB : 0) | (k->g ? HV_SEG_G : 0));
}

unsigned int mshv_state_reg_names(uint32_t parts, uint32_t *names, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(reg_map) && n < max; i++)
		if (parts & PART_BIT(reg_map[i].part))
			names[n++] = reg_map[i].name;
	return n;
}

void mshv_regs_to_state(const struct hv_register_assoc *regs, unsigned int n,
			struct vcpu_state *st)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		void *dst;

		for (j = 0; j < ARRAY_SIZE(reg_map) && reg_map[j].name != regs[i].name; j++)
			;
		if (j == ARRAY_SIZE(reg_map))
			continue;
		dst = (uint8_t *)st + reg_map[j].off;
		switch (reg_map[j].kind) {
		case RK_U64:
			memcpy(dst, &regs[i].value.reg64, sizeof(uint64_t));
			break;
		case RK_SEG:
			seg_from_hv(dst, &regs[i].value.segment);
			break;
		case RK_TABLE: {
			struct kvm_dtable *t = dst;

			memset(t, 0, sizeof(*t));
			t->base = regs[i].value.table.base;
			t->limit = regs[i].value.table.limit;
			break;
		}
		}
	}
}

unsigned int mshv_state_to_regs(const struct vcpu_state *st, uint32_t parts,
				struct hv_register_assoc *out, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(reg_map) && n < max; i++) {
		const void *src = (const uint8_t *)st + reg_map[i].off;
		struct hv_register_assoc *a = &out[n];

		if (!(parts & PART_BIT(reg_map[i].part)))
			continue;
		memset(a, 0, sizeof(*a));
		a->name = reg_map[i].name;
		switch (reg_map[i].kind) {
		case RK_U64:
			memcpy(&a->value.reg64, src, sizeof(uint64_t));
			break;
		case RK_SEG:
			seg_to_hv(&a->value.segment, src);
			break;
		case RK_TABLE: {
			const struct kvm_dtable *t = src;

			a->value.table.base = t->base;
			a->value.table.limit = t->limit;
			break;
		}
		}
		n++;
	}
	return n;
}

/* ---- the device ----------------------------------------------------------- */

int mshv__probe_path(const char *path, struct accel_caps *caps, int *fd_out, char *why,
		     size_t len)
{
	struct mshv_create_partition bogus = { .pt_flags = ~0ull };
	int fd, r, err;

	*fd_out = -1;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		snprintf(why, len, "%s: %s", path, strerror(err));
		return err == ENOENT || err == ENXIO || err == ENODEV ? -ENODEV : -err;
	}
	/*
	 * The 6.15 UAPI has no version ioctl. A create request with flags no
	 * kernel knows is refused (EINVAL) before anything is created, and
	 * any other node says ENOTTY: a cheap way to know it is /dev/mshv.
	 */
	r = ioctl(fd, MSHV_CREATE_PARTITION, &bogus);
	if (r >= 0) {
		close(r);
	} else if (errno != EINVAL) {
		err = errno;
		snprintf(why, len, "%s: not an MSHV root device (MSHV_CREATE_PARTITION: %s)", path,
			 strerror(err));
		close(fd);
		return err == ENOTTY ? -ENODEV : -err;
	}

	memset(caps, 0, sizeof(*caps));
	caps->api_version = 0;		/* nothing to report */
	caps->nr_vcpus = MSHV_MAX_VPS;
	caps->max_vcpus = MSHV_MAX_VPS;
	caps->irqchip = true;		/* the partition is created with the LAPIC emulated */
	caps->immediate_exit = false;	/* see mshv_vcpu_arm_kick */
	caps->readonly_mem = true;	/* a region mapped without MSHV_SET_MEM_BIT_WRITABLE */
	*fd_out = fd;
	return 0;
}

/* HVSMOKE_MSHV_DEVICE lets tests point at a missing device to prove the skip path. */
static void mshv_probe_once(void)
{
	const char *p = getenv("HVSMOKE_MSHV_DEVICE");

	mshv.probe_err = mshv__probe_path(p && *p ? p : MSHV_DEVICE_DEFAULT, &mshv.caps, &mshv.fd,
					  mshv.why, sizeof(mshv.why));
}

static int mshv_probe(struct accel_caps *caps, char *why, size_t len)
{
	pthread_once(&mshv.once, mshv_probe_once);
	if (mshv.probe_err) {
		snprintf(why, len, "%s", mshv.why);
		return mshv.probe_err;
	}
	*caps = mshv.caps;
	return 0;
}

/* One pass-through hypercall; reps > 0 makes it a rep call that must complete in full. */
static int mshv_hvcall(int fd, uint16_t code, uint16_t reps, const void *in, size_t in_sz,
		       void *out, size_t out_sz)
{
	struct mshv_root_hvcall args;
	unsigned int tries = 0;

	for (;;) {
		memset(&args, 0, sizeof(args));
		args.code = code;
		args.reps = reps;
		args.in_sz = (uint16_t)in_sz;
		args.out_sz = (uint16_t)out_sz;
		args.in_ptr = (uintptr_t)in;
		args.out_ptr = (uintptr_t)out;
		if (!ioctl(fd, MSHV_ROOT_HVCALL, &args))
			break;
		/* EAGAIN: the kernel gave the hypervisor memory; the call itself must be redone */
		if (errno != EAGAIN || ++tries >= MSHV_HVCALL_RETRIES)
			return -errno;
	}
	return reps && args.reps != reps ? -EIO : 0;
}

static int mshv_get_regs(const struct vcpu *vcpu, struct hv_register_assoc *regs, unsigned int n)
{
	struct {
		struct hv_input_vp_registers hdr;
		uint32_t names[MSHV_MAX_REGS];
	} in;
	union hv_register_value out[MSHV_MAX_REGS];
	unsigned int i;
	int r;

	if (!n || n > MSHV_MAX_REGS)
		return -EINVAL;
	memset(&in.hdr, 0, sizeof(in.hdr));
	in.hdr.vp_index = vcpu->id;
	for (i = 0; i < n; i++)
		in.names[i] = regs[i].name;
	r = mshv_hvcall(vcpu->fd, HVCALL_GET_VP_REGISTERS, (uint16_t)n, &in,
			sizeof(in.hdr) + n * sizeof(in.names[0]), out, n * sizeof(out[0]));
	if (r)
		return r;
	for (i = 0; i < n; i++)
		regs[i].value = out[i];
	return 0;
}

static int mshv_set_regs(const struct vcpu *vcpu, const struct hv_register_assoc *regs,
			 unsigned int n)
{
	struct {
		struct hv_input_vp_registers hdr;
		struct hv_register_assoc el[MSHV_MAX_REGS];
	} in;

	if (!n || n > MSHV_MAX_REGS)
		return -EINVAL;
	memset(&in.hdr, 0, sizeof(in.hdr));
	in.hdr.vp_index = vcpu->id;
	memcpy(in.el, regs, n * sizeof(regs[0]));
	return mshv_hvcall(vcpu->fd, HVCALL_SET_VP_REGISTERS, (uint16_t)n, &in,
			   sizeof(in.hdr) + n * sizeof(in.el[0]), NULL, 0);
}

static int mshv_vm_create(struct vm *vm)
{
	struct mshv_create_partition args = {
		.pt_flags = 1ull << MSHV_PT_BIT_LAPIC,
		.pt_isolation = MSHV_PT_ISOLATION_NONE,
	};
	struct hv_input_set_partition_property msr = {
		.property_code = HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION,
		.property_value = HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO,
	};
	int r;

	vm->fd = ioctl(mshv.fd, MSHV_CREATE_PARTITION, &args);
	if (vm->fd < 0) {
		vm->fd = -1;
		return -errno;
	}
	/* vm__create destroys the half-made partition on failure */
	if (ioctl(vm->fd, MSHV_INITIALIZE_PARTITION, 0))
		return -errno;
	/*
	 * By default an MSR the hypervisor does not implement raises #GP in the
	 * guest, where KVM would ignore it; match KVM. Best effort: the
	 * firmware touches only architectural MSRs.
	 */
	r = mshv_hvcall(vm->fd, HVCALL_SET_PARTITION_PROPERTY, 0, &msr, sizeof(msr), NULL, 0);
	if (r)
		pr_debug("mshv: unimplemented-MSR action not set: %s", strerror(-r));
	return 0;
}

static int mshv_vm_map(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva, uint64_t size,
		       bool readonly, bool smm)
{
	/* no slots: the kernel keys regions by guest address, and they may not overlap */
	struct mshv_user_mem_region region = {
		.size = size,
		.guest_pfn = gpa / MSHV_HV_PAGE_SIZE,
		.userspace_addr = (uintptr_t)hva,
		.flags = (uint8_t)(1u << MSHV_SET_MEM_BIT_EXECUTABLE |
				   (readonly ? 0 : 1u << MSHV_SET_MEM_BIT_WRITABLE)),
	};

	if (smm)
		return -ENOTSUP;	/* one address space only */
	if ((gpa | size | (uintptr_t)hva) & (MSHV_HV_PAGE_SIZE - 1))
		return -EINVAL;
	return ioctl(vm->fd, MSHV_SET_GUEST_MEMORY, &region) ? -errno : 0;
}

static void mshv_vm_destroy(struct vm *vm)
{
	/* the partition goes when its last fd (VP fds hold it too) is closed */
	close(vm->fd);
	vm->fd = -1;
}

/*
 * Make a new VP what a KVM vCPU with an in-kernel LAPIC is at power-on:
 * APIC ID = index, the BSP flag on VP 0 only, every other VP waiting for a
 * SIPI (the firmware takes an AP at the reset vector for a VMM bug). The
 * hypervisor may do all of this already; a write it refuses is reported,
 * not fatal, and the firmware's own checks then show the consequence.
 */
static int mshv_vcpu_setup(struct vcpu *vcpu)
{
	struct hv_register_assoc base = { .name = HV_X64_REGISTER_APIC_BASE };
	struct hv_register_assoc id = { .name = HV_X64_REGISTER_APIC_ID };
	struct hv_register_assoc set[3];
	unsigned int i, n = 0;
	uint64_t want;
	int r;

	/* registers that cannot even be read mean nothing else will work */
	r = mshv_get_regs(vcpu, &base, 1);
	if (r)
		return r;
	memset(set, 0, sizeof(set));
	want = vcpu->id ? base.value.reg64 & ~APIC_BASE_BSP : base.value.reg64 | APIC_BASE_BSP;
	if (want != base.value.reg64) {
		set[n].name = HV_X64_REGISTER_APIC_BASE;
		set[n++].value.reg64 = want;
	}
	if (mshv_get_regs(vcpu, &id, 1))
		pr_debug("mshv: vCPU %u: APIC ID register not readable", vcpu->id);
	else if (id.value.reg32 != vcpu->id) {
		set[n].name = HV_X64_REGISTER_APIC_ID;
		set[n++].value.reg64 = vcpu->id;
	}
	if (vcpu->id) {
		set[n].name = HV_REGISTER_INTERNAL_ACTIVITY_STATE;
		set[n++].value.reg64 = HV_ACTIVITY_STARTUP_SUSPEND;
	}
	/* one at a time, so that one refusal does not hide the others */
	for (i = 0; i < n; i++) {
		r = mshv_set_regs(vcpu, &set[i], 1);
		if (r)
			pr_info("mshv: vCPU %u: register %#x not set: %s", vcpu->id, set[i].name,
				strerror(-r));
	}
	return 0;
}

static int mshv_vcpu_create(struct vcpu *vcpu)
{
	struct mshv_create_vp arg = { .vp_index = vcpu->id };
	int r;

	vcpu->fd = ioctl(vcpu->vm->fd, MSHV_CREATE_VP, &arg);
	if (vcpu->fd < 0) {
		vcpu->fd = -1;
		return -errno;
	}
	/*
	 * The register page the VP fd can mmap is not used: its layout differs
	 * between the published headers (see mshv_abi.h), and the kernel
	 * already copies the intercept message out on MSHV_RUN_VP.
	 */
	vcpu->priv = xzalloc(sizeof(struct mshv_vcpu));
	r = mshv_vcpu_setup(vcpu);
	if (r) {
		/* the group does not count a vCPU that failed: undo it here */
		free(vcpu->priv);
		close(vcpu->fd);
		vcpu->priv = NULL;
		vcpu->fd = -1;
	}
	return r;
}

static void mshv_vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu->priv);
	vcpu->priv = NULL;
	vcpu->fd = -1;
}

/*
 * Finish the last I/O or MMIO exit: step RIP past the instruction and, for
 * an IN or a read, put the VMM's data into the target register. MSHV never
 * does this itself, unlike KVM on its next entry.
 */
static int mshv_finish_pending(struct vcpu *vcpu)
{
	struct mshv_vcpu *mv = vcpu->priv;
	struct mshv_pending *p = &mv->pend;
	struct hv_register_assoc regs[2];
	int r;

	if (p->kind == MSHV_PEND_NONE)
		return 0;
	if (p->to_reg && !p->reg_known) {
		struct hv_register_assoc cur = { .name = HV_X64_REGISTER_RAX + p->reg };

		r = mshv_get_regs(vcpu, &cur, 1);
		if (r)
			return r;
		p->reg_old = cur.value.reg64;
		p->reg_known = true;
	}
	r = mshv_set_regs(vcpu, regs, mshv_completion_regs(p, mv->data, regs));
	if (r)
		return r;
	p->kind = MSHV_PEND_NONE;
	return 0;
}

static int mshv_vcpu_complete_io(struct vcpu *vcpu, const struct vcpu_exit *exit)
{
	return mshv_finish_pending(vcpu);
}

static int mshv_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct mshv_vcpu *mv = vcpu->priv;
	struct mshv_run_vp run;
	int r;

	/* a loop that did not call vcpu_complete_io gets KVM's contract instead */
	r = mshv_finish_pending(vcpu);
	if (r)
		return r;
	if (ioctl(vcpu->fd, MSHV_RUN_VP, &run))
		return -errno;	/* EINTR on a pending signal: never restarted */

	mshv_decode_message(run.msg_buf, exit, &mv->pend, mv->data);
	if (mv->pend.need_src) {
		struct hv_register_assoc src = { .name = HV_X64_REGISTER_RAX + mv->pend.reg };

		r = mshv_get_regs(vcpu, &src, 1);
		if (r)
			return r;
		mshv_mmio_fill_write(&mv->pend, src.value.reg64, mv->data);
		mv->pend.need_src = false;
	}
	return 0;
}

/*
 * MSHV has no immediate_exit: nothing a kicker can set makes the next
 * MSHV_RUN_VP return at once, and a signal that arrives before the thread
 * is in the ioctl is consumed by the (empty) handler and lost (seed 002).
 * What makes a kick land here is the generic loop: the exit request is
 * checked before every entry, I/O is completed in userspace right after
 * the exit (vcpu_complete_io) so that check is never skipped, and the
 * stopper resends the signal until the thread acknowledges, which closes
 * the window between the check and the ioctl.
 */
static void mshv_vcpu_arm_kick(struct vcpu *vcpu)
{
}

static void mshv_vcpu_disarm_kick(struct vcpu *vcpu)
{
}

static int mshv_vcpu_get_state(struct vcpu *vcpu, struct vcpu_state *st)
{
	struct hv_register_assoc regs[MSHV_MAX_REGS];
	uint32_t names[MSHV_MAX_REGS];
	unsigned int i, n;
	int r;

	memset(st, 0, sizeof(*st));
	memset(regs, 0, sizeof(regs));
	n = mshv_state_reg_names(PART_BIT(PART_REGS) | PART_BIT(PART_SREGS), names,
				 ARRAY_SIZE(names));
	for (i = 0; i < n; i++)
		regs[i].name = names[i];
	r = mshv_get_regs(vcpu, regs, n);
	if (r)
		return r;
	mshv_regs_to_state(regs, n, st);
	st->valid = PART_BIT(PART_REGS) | PART_BIT(PART_SREGS);

	/* apart, so that a refusal costs only this part */
	memset(regs, 0, sizeof(regs));
	n = mshv_state_reg_names(PART_BIT(PART_DEBUGREGS), names, ARRAY_SIZE(names));
	for (i = 0; i < n; i++)
		regs[i].name = names[i];
	if (!mshv_get_regs(vcpu, regs, n)) {
		mshv_regs_to_state(regs, n, st);
		st->valid |= PART_BIT(PART_DEBUGREGS);
	}
	return 0;
}

static int mshv_vcpu_put_state(struct vcpu *vcpu, const struct vcpu_state *st,
			       const struct sync_plan *plan)
{
	const uint32_t ours = PART_BIT(PART_REGS) | PART_BIT(PART_SREGS) | PART_BIT(PART_DEBUGREGS);
	uint32_t parts = plan->parts & st->valid & ours;
	struct mshv_vcpu *mv = vcpu->priv;
	struct hv_register_assoc regs[MSHV_MAX_REGS];
	unsigned int n;
	int r;

	n = mshv_state_to_regs(st, parts, regs, ARRAY_SIZE(regs));
	if (!n)
		return 0;
	r = mshv_set_regs(vcpu, regs, n);
	if (r)
		return r;
	/* a written RIP supersedes an exit left unfinished (a warm reset after a stop) */
	if (parts & PART_BIT(PART_REGS))
		mv->pend.kind = MSHV_PEND_NONE;
	return 0;
}

static int mshv_vcpu_smi(struct vcpu *vcpu)
{
	return -ENOTSUP;
}

static uint32_t mshv_vcpu_tsc_khz(struct vcpu *vcpu)
{
	struct hv_input_get_partition_property in = {
		.property_code = HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY,
	};
	uint64_t hz = 0;

	/* the partition fd: it does not wait for a running VP's lock */
	if (mshv_hvcall(vcpu->vm->fd, HVCALL_GET_PARTITION_PROPERTY, 0, &in, sizeof(in), &hz,
			sizeof(hz)))
		return 0;
	/* taken to be Hz (unconfirmed): anything but a plausible TSC rate is unknown */
	if (hz < 100000000ull || hz > 20000000000ull)
		return 0;
	return (uint32_t)(hz / 1000);
}

const struct accel_ops mshv_accel_ops = {
	.name = "mshv",
	.probe = mshv_probe,
	.vm_create = mshv_vm_create,
	.vm_map = mshv_vm_map,
	.vm_destroy = mshv_vm_destroy,
	.vcpu_create = mshv_vcpu_create,
	.vcpu_destroy = mshv_vcpu_destroy,
	.vcpu_run = mshv_vcpu_run,
	.vcpu_complete_io = mshv_vcpu_complete_io,
	.vcpu_arm_kick = mshv_vcpu_arm_kick,
	.vcpu_disarm_kick = mshv_vcpu_disarm_kick,
	.vcpu_get_state = mshv_vcpu_get_state,
	.vcpu_put_state = mshv_vcpu_put_state,
	.vcpu_smi = mshv_vcpu_smi,
	.vcpu_tsc_khz = mshv_vcpu_tsc_khz,
};
