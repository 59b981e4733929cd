/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The slice of the Microsoft Hypervisor root-partition ABI (/dev/mshv) that
 * the MSHV backend uses, and the backend's pure helpers the unit test calls.
 *
 * Where each fact comes from:
 *  - ioctls and their argument structs (MSHV_CREATE_PARTITION,
 *    MSHV_INITIALIZE_PARTITION, MSHV_CREATE_VP, MSHV_SET_GUEST_MEMORY,
 *    MSHV_ROOT_HVCALL, MSHV_RUN_VP, MSHV_PT_BIT_*, MSHV_SET_MEM_BIT_*):
 *    torvalds/linux include/uapi/linux/mshv.h, the upstream UAPI that
 *    arrived with the mshv_root driver in Linux 6.15 (read at commit
 *    3ab7ae8e07f8). The older out-of-tree headers (MSHV_GET_VP_REGISTERS
 *    and friends) are not used: 6.15 has no such ioctl.
 *  - which hypercalls MSHV_ROOT_HVCALL lets through (GET/SET_VP_REGISTERS,
 *    GET/SET_PARTITION_PROPERTY), that the kernel fills in the partition id,
 *    that it retries nothing itself (-EAGAIN after depositing memory), that
 *    MSHV_RUN_VP copies the 256-byte hv_message out and returns a plain
 *    -EINTR on a pending signal, and that the partition is created with
 *    EXO + intercept-message-page flags plus LAPIC when MSHV_PT_BIT_LAPIC
 *    is set: torvalds/linux drivers/hv/mshv_root_main.c and
 *    drivers/hv/mshv_common.c (same tree). MSHV_MAX_VPS (256) is from
 *    drivers/hv/mshv_root.h; it is kernel-internal, not UAPI.
 *  - hypercall codes, hv_message and its header, message types, the
 *    segment/table register formats, hv_register_assoc and the
 *    get/set-VP-registers input layouts: torvalds/linux
 *    include/hyperv/hvgdk_mini.h; partition property codes:
 *    include/hyperv/hvhdk_mini.h.
 *  - x64 register names (HV_X64_REGISTER_*), HV_REGISTER_INTERNAL_ACTIVITY_STATE
 *    and the intercept payloads (x64 intercept header, I/O port, memory,
 *    halt, unrecoverable exception): the upstream kernel does not carry
 *    them; they are from rust-vmm/mshv hv-headers/hvgdk_mini.h and
 *    hv-headers/hvhdk.h (Microsoft's published headers for userspace VMMs),
 *    cross-checked against qemu/qemu include/hw/hyperv/hvhdk*.h. The
 *    unimplemented-MSR action value (1 = ignore write, read zero) is from
 *    the same headers.
 *
 * Not confirmed (no hypervisor to run on here, only the text above):
 *  - that HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY is in Hz;
 *  - whether VPs other than 0 start in wait-for-SIPI, whether VP 0 has the
 *    BSP bit in APIC_BASE, and whether the initial APIC ID equals the VP
 *    index (mshv.c checks and fixes each, and says so when it cannot);
 *  - whether a halt is ever reported when the hypervisor emulates the LAPIC;
 *  - the layout of the mmap-able register page: the kernel's copy and the
 *    rust-vmm copy disagree (8 reserved bytes after RFLAGS), so it is not
 *    used; every register access is a hypercall.
 */
#ifndef HVSMOKE_MSHV_ABI_H
#define HVSMOKE_MSHV_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#if defined(__has_include)
#if __has_include(<linux/mshv.h>)
#include <linux/mshv.h>
#define HVSMOKE_HAVE_LINUX_MSHV_H 1
#endif
#endif

#ifndef HVSMOKE_HAVE_LINUX_MSHV_H
/* The 6.15 UAPI, for hosts whose kernel headers predate it. */
#define MSHV_IOCTL		0xB8

enum {
	MSHV_PT_BIT_LAPIC,
	MSHV_PT_BIT_X2APIC,
	MSHV_PT_BIT_GPA_SUPER_PAGES,
	MSHV_PT_BIT_COUNT,
};

enum {
	MSHV_PT_ISOLATION_NONE,
	MSHV_PT_ISOLATION_COUNT,
};

struct mshv_create_partition {
	uint64_t pt_flags;
	uint64_t pt_isolation;
};

struct mshv_create_vp {
	uint32_t vp_index;
};

enum {
	MSHV_SET_MEM_BIT_WRITABLE,
	MSHV_SET_MEM_BIT_EXECUTABLE,
	MSHV_SET_MEM_BIT_UNMAP,
	MSHV_SET_MEM_BIT_COUNT,
};

#define MSHV_HV_PAGE_SIZE	0x1000

struct mshv_user_mem_region {
	uint64_t size;
	uint64_t guest_pfn;
	uint64_t userspace_addr;
	uint8_t flags;
	uint8_t rsvd[7];
};

struct mshv_root_hvcall {
	uint16_t code;
	uint16_t reps;
	uint16_t in_sz;
	uint16_t out_sz;
	uint16_t status;
	uint8_t rsvd[6];
	uint64_t in_ptr;
	uint64_t out_ptr;
};

#define MSHV_RUN_VP_BUF_SZ	256

struct mshv_run_vp {
	uint8_t msg_buf[MSHV_RUN_VP_BUF_SZ];
};

/* /dev/mshv */
#define MSHV_CREATE_PARTITION	  _IOW(MSHV_IOCTL, 0x00, struct mshv_create_partition)
/* partition fd */
#define MSHV_INITIALIZE_PARTITION _IO(MSHV_IOCTL, 0x00)
#define MSHV_CREATE_VP		  _IOW(MSHV_IOCTL, 0x01, struct mshv_create_vp)
#define MSHV_SET_GUEST_MEMORY	  _IOW(MSHV_IOCTL, 0x02, struct mshv_user_mem_region)
#define MSHV_ROOT_HVCALL	  _IOWR(MSHV_IOCTL, 0x07, struct mshv_root_hvcall)
/* VP fd */
#define MSHV_RUN_VP		  _IOR(MSHV_IOCTL, 0x00, struct mshv_run_vp)
#endif /* !HVSMOKE_HAVE_LINUX_MSHV_H */

/*
 * Pin the numbers whichever header supplied them: an out-of-tree
 * <linux/mshv.h> of the pre-6.15 era fails here instead of issuing the
 * wrong requests.
 */
_Static_assert(MSHV_CREATE_PARTITION == 0x4010b800, "MSHV_CREATE_PARTITION is not the 6.15 ABI");
_Static_assert(MSHV_INITIALIZE_PARTITION == 0xb800, "MSHV_INITIALIZE_PARTITION");
_Static_assert(MSHV_CREATE_VP == 0x4004b801, "MSHV_CREATE_VP");
_Static_assert(MSHV_SET_GUEST_MEMORY == 0x4020b802, "MSHV_SET_GUEST_MEMORY");
_Static_assert(MSHV_ROOT_HVCALL == 0xc020b807, "MSHV_ROOT_HVCALL");
_Static_assert(MSHV_RUN_VP == 0x8100b800, "MSHV_RUN_VP");
_Static_assert(sizeof(struct mshv_root_hvcall) == 32, "mshv_root_hvcall");
_Static_assert(sizeof(struct mshv_user_mem_region) == 32, "mshv_user_mem_region");

/* ---- hypervisor definitions (TLFS); not part of linux/mshv.h -------------- */

#define HVCALL_GET_PARTITION_PROPERTY	0x0044
#define HVCALL_SET_PARTITION_PROPERTY	0x0045
#define HVCALL_GET_VP_REGISTERS		0x0050
#define HVCALL_SET_VP_REGISTERS		0x0051

#define HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION	  0x00050017u
#define HV_PARTITION_PROPERTY_PROCESSOR_CLOCK_FREQUENCY	  0x00060009u
#define HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO 1u

/* Message types (hv_message_header.message_type). */
#define HVMSG_NONE			0x00000000u
#define HVMSG_UNMAPPED_GPA		0x80000000u
#define HVMSG_GPA_INTERCEPT		0x80000001u
#define HVMSG_INVALID_VP_REGISTER_VALUE	0x80000020u
#define HVMSG_UNRECOVERABLE_EXCEPTION	0x80000021u
#define HVMSG_UNSUPPORTED_FEATURE	0x80000022u
#define HVMSG_X64_IO_PORT_INTERCEPT	0x80010000u
#define HVMSG_X64_MSR_INTERCEPT		0x80010001u
#define HVMSG_X64_CPUID_INTERCEPT	0x80010002u
#define HVMSG_X64_EXCEPTION_INTERCEPT	0x80010003u
#define HVMSG_X64_HALT			0x80010007u

/* Register names (enum hv_register_name). GPRs follow x86 encoding order. */
#define HV_REGISTER_INTERNAL_ACTIVITY_STATE 0x00000004u
#define HV_X64_REGISTER_RAX	0x00020000u	/* + 0..15: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
#define HV_X64_REGISTER_RCX	0x00020001u
#define HV_X64_REGISTER_RDX	0x00020002u
#define HV_X64_REGISTER_RBX	0x00020003u
#define HV_X64_REGISTER_RSP	0x00020004u
#define HV_X64_REGISTER_RBP	0x00020005u
#define HV_X64_REGISTER_RSI	0x00020006u
#define HV_X64_REGISTER_RDI	0x00020007u
#define HV_X64_REGISTER_R8	0x00020008u
#define HV_X64_REGISTER_RIP	0x00020010u
#define HV_X64_REGISTER_RFLAGS	0x00020011u
#define HV_X64_REGISTER_CR0	0x00040000u
#define HV_X64_REGISTER_CR2	0x00040001u
#define HV_X64_REGISTER_CR3	0x00040002u
#define HV_X64_REGISTER_CR4	0x00040003u
#define HV_X64_REGISTER_CR8	0x00040004u
#define HV_X64_REGISTER_DR0	0x00050000u	/* + 0..3 */
#define HV_X64_REGISTER_DR6	0x00050004u
#define HV_X64_REGISTER_DR7	0x00050005u
#define HV_X64_REGISTER_ES	0x00060000u
#define HV_X64_REGISTER_CS	0x00060001u
#define HV_X64_REGISTER_SS	0x00060002u
#define HV_X64_REGISTER_DS	0x00060003u
#define HV_X64_REGISTER_FS	0x00060004u
#define HV_X64_REGISTER_GS	0x00060005u
#define HV_X64_REGISTER_LDTR	0x00060006u
#define HV_X64_REGISTER_TR	0x00060007u
#define HV_X64_REGISTER_IDTR	0x00070000u
#define HV_X64_REGISTER_GDTR	0x00070001u
#define HV_X64_REGISTER_EFER	0x00080001u
#define HV_X64_REGISTER_APIC_BASE 0x00080003u
#define HV_X64_REGISTER_APIC_ID	0x00084802u	/* the x2APIC MSR offset: a plain ID */

/* HV_REGISTER_INTERNAL_ACTIVITY_STATE bits */
#define HV_ACTIVITY_STARTUP_SUSPEND	(1ull << 0)	/* waiting for SIPI */
#define HV_ACTIVITY_HALT_SUSPEND	(1ull << 1)

/*
 * Segment attributes, the VMX access-rights layout minus "unusable":
 * type 0-3, S 4, DPL 5-6, P 7, AVL 12, L 13, D/B 14, G 15.
 */
struct hv_x64_segment_register {
	uint64_t base;
	uint32_t limit;			/* byte-granular, as KVM reports it */
	uint16_t selector;
	uint16_t attributes;
};

#define HV_SEG_TYPE(a)		((a) & 0xfu)
#define HV_SEG_S		(1u << 4)
#define HV_SEG_DPL(a)		(((a) >> 5) & 3u)
#define HV_SEG_P		(1u << 7)
#define HV_SEG_AVL		(1u << 12)
#define HV_SEG_L		(1u << 13)
#define HV_SEG_DB		(1u << 14)
#define HV_SEG_G		(1u << 15)

struct hv_x64_table_register {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};

union hv_register_value {
	uint64_t reg64;
	uint32_t reg32;
	struct {
		uint64_t low;
		uint64_t high;
	} reg128;
	struct hv_x64_segment_register segment;
	struct hv_x64_table_register table;
};

struct hv_register_assoc {
	uint32_t name;
	uint32_t reserved1;
	uint64_t reserved2;
	union hv_register_value value;
};

/* Fixed part of the HvCallGetVpRegisters / HvCallSetVpRegisters input. */
struct hv_input_vp_registers {
	uint64_t partition_id;		/* the kernel overwrites it */
	uint32_t vp_index;
	uint8_t input_vtl;		/* 0: the VP's current VTL */
	uint8_t rsvd_z8;
	uint16_t rsvd_z16;
	/* then uint32_t names[] (get) or struct hv_register_assoc elements[] (set) */
};

struct hv_input_get_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;
};

struct hv_input_set_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;
	uint64_t property_value;
};

#define HV_MESSAGE_SIZE		256
#define HV_MESSAGE_HEADER_SIZE	16

struct hv_message_header {
	uint32_t message_type;
	uint8_t payload_size;
	uint8_t message_flags;
	uint8_t reserved[2];
	uint64_t sender;
};

/* intercept_access_type */
#define HV_INTERCEPT_ACCESS_READ	0
#define HV_INTERCEPT_ACCESS_WRITE	1
#define HV_INTERCEPT_ACCESS_EXECUTE	2

/* execution_state bits */
#define HV_EXEC_CR0_PE		(1u << 2)
#define HV_EXEC_EFER_LMA	(1u << 4)

/* Common head of every x64 intercept payload. */
struct hv_x64_intercept_message_header {
	uint32_t vp_index;
	uint8_t insn_len_cr8;		/* instruction length 0-3, CR8 4-7 */
	uint8_t intercept_access_type;
	uint16_t execution_state;
	struct hv_x64_segment_register cs_segment;
	uint64_t rip;
	uint64_t rflags;
};

#define HV_INTERCEPT_INSN_LEN(h)	((h)->insn_len_cr8 & 0xfu)

/* access_info of the I/O port intercept */
#define HV_IO_ACCESS_SIZE(a)	((a) & 7u)
#define HV_IO_ACCESS_STRING	(1u << 3)
#define HV_IO_ACCESS_REP	(1u << 4)

struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t port_number;
	uint8_t access_info;
	uint8_t instruction_byte_count;
	uint32_t reserved;
	uint64_t rax;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register es_segment;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
};

/* Payload of HVMSG_UNMAPPED_GPA and HVMSG_GPA_INTERCEPT. */
struct hv_x64_memory_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t cache_type;
	uint8_t instruction_byte_count;
	uint8_t memory_access_info;
	uint8_t tpr_priority;
	uint8_t reserved1;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t instruction_bytes[16];
};

_Static_assert(sizeof(struct hv_register_assoc) == 32, "hv_register_assoc");
_Static_assert(sizeof(union hv_register_value) == 16, "hv_register_value");
_Static_assert(sizeof(struct hv_input_vp_registers) == 16, "hv_input_vp_registers");
_Static_assert(sizeof(struct hv_message_header) == HV_MESSAGE_HEADER_SIZE, "hv_message_header");
_Static_assert(sizeof(struct hv_x64_intercept_message_header) == 40, "intercept header");
_Static_assert(offsetof(struct hv_x64_io_port_intercept_message, rax) == 48, "io rax");
_Static_assert(sizeof(struct hv_x64_io_port_intercept_message) == 128, "io message");
_Static_assert(offsetof(struct hv_x64_memory_intercept_message, guest_physical_address) == 56,
	       "memory gpa");
_Static_assert(sizeof(struct hv_x64_memory_intercept_message) == 80, "memory message");
_Static_assert(HV_MESSAGE_SIZE == MSHV_RUN_VP_BUF_SZ, "run buffer holds one hv_message");

/* ---- the backend's pure helpers (vmm/mshv/mshv.c), for tests/unit ------- */

struct accel_caps;
struct accel_ops;
struct vcpu_exit;
struct vcpu_state;

extern const struct accel_ops mshv_accel_ops;

/* What the next entry (or vcpu_complete_io) still has to do to an exit. */
enum mshv_pend_kind {
	MSHV_PEND_NONE,
	MSHV_PEND_IO,
	MSHV_PEND_MMIO,
};

struct mshv_pending {
	enum mshv_pend_kind kind;
	uint64_t next_rip;		/* RIP past the intercepted instruction */
	uint8_t size;			/* bytes of data the VMM saw */
	bool to_reg;			/* an IN or an MMIO read: data goes to a GPR */
	uint8_t reg;			/* GPR index, x86 encoding (0 = RAX) */
	uint8_t reg_shift;		/* 8 for AH/CH/DH/BH */
	uint8_t reg_width;		/* bytes of the GPR the result replaces: 1, 2, 4, 8 */
	bool reg_known;			/* reg_old is the GPR's value at the exit */
	uint64_t reg_old;
	bool need_src;			/* an MMIO write from a GPR: read reg, then fill data */
};

/* vcpu_exit.detail for exits the backend gives up on (low byte: the code). */
#define MSHV_DETAIL_STRING_IO		1	/* VEXIT_OTHER; bits 8-15: access_info */
#define MSHV_DETAIL_BAD_IO_SIZE		2	/* VEXIT_INTERNAL; bits 8-15: access_info */
#define MSHV_DETAIL_NO_INSN_LEN		3	/* VEXIT_INTERNAL: RIP cannot be advanced */
#define MSHV_DETAIL_NO_INSN_BYTES	4	/* VEXIT_INTERNAL: MMIO without instruction bytes */
#define MSHV_DETAIL_UNSUPPORTED_INSN	5	/* VEXIT_INTERNAL; bits 8-23: first opcode bytes */
#define MSHV_DETAIL_ACCESS_MISMATCH	6	/* VEXIT_INTERNAL: decode disagrees with the access */
#define MSHV_DETAIL_EXECUTE		7	/* VEXIT_INTERNAL: instruction fetch from a hole */

/* A decoded MMIO instruction: the MOV forms a firmware uses on device memory. */
struct mshv_mmio_insn {
	uint8_t len;			/* whole instruction, prefixes included */
	uint8_t size;			/* bytes accessed in memory: 1, 2, 4 or 8 */
	bool write;
	bool has_imm;			/* a write whose value is imm (else GPR reg) */
	uint64_t imm;
	uint8_t reg;			/* GPR index: the source of a write, the target of a read */
	uint8_t reg_shift;		/* 8 for AH/CH/DH/BH */
	uint8_t reg_width;		/* read: bytes of the GPR replaced (MOVZX widens) */
};

/*
 * Decode insn (n bytes as fetched by the hypervisor) in a code segment of
 * mode 16, 32 or 64 bits. 0; -ENOTSUP for an instruction outside the
 * supported set; -EINVAL when the bytes are not one whole instruction with
 * a memory operand (a register operand, or cut short).
 */
int mshv_mmio_decode(const uint8_t *insn, unsigned int n, unsigned int mode,
		     struct mshv_mmio_insn *out);

/* The operand mode (16/32/64) of an intercepted instruction. */
unsigned int mshv_intercept_mode(const struct hv_x64_intercept_message_header *h);

/*
 * Turn one MSHV_RUN_VP message into exit, and say in *pend what completing
 * it takes; data (8 bytes) is the per-vCPU buffer exit->io.data and
 * exit->mmio.data point at. Never fails: what it cannot handle becomes
 * VEXIT_OTHER or VEXIT_INTERNAL with a detail.
 */
void mshv_decode_message(const uint8_t msg[HV_MESSAGE_SIZE], struct vcpu_exit *exit,
			 struct mshv_pending *pend, uint8_t data[8]);

/* An MMIO write from a GPR: put the bytes the guest stores into data. */
void mshv_mmio_fill_write(const struct mshv_pending *pend, uint64_t src, uint8_t data[8]);

/* Replace width bytes of old at bit shift with val (width 4 zero-extends, as x86-64 does). */
uint64_t mshv_reg_merge(uint64_t old, uint64_t val, unsigned int width, unsigned int shift);

/*
 * The registers that complete pend once the VMM has handled it (data:
 * what an IN or a read returns): RIP, then the target GPR if any.
 * pend->reg_known must hold when pend->to_reg. Returns the count (1 or 2).
 */
unsigned int mshv_completion_regs(const struct mshv_pending *pend, const uint8_t data[8],
				  struct hv_register_assoc out[2]);

/* The register names that read the parts (PART_BIT mask) get_state fills. */
unsigned int mshv_state_reg_names(uint32_t parts, uint32_t *names, unsigned int max);
/* Store each value by its name into st (the parts named above). */
void mshv_regs_to_state(const struct hv_register_assoc *regs, unsigned int n,
			struct vcpu_state *st);
/* The assocs that write parts of st, in the order they must be set. */
unsigned int mshv_state_to_regs(const struct vcpu_state *st, uint32_t parts,
				struct hv_register_assoc *out, unsigned int max);

/* Probe one device path (the op uses HVSMOKE_MSHV_DEVICE or /dev/mshv). */
int mshv__probe_path(const char *path, struct accel_caps *caps, int *fd_out, char *why,
		     size_t len);

#endif
