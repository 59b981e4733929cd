// SPDX-License-Identifier: GPL-2.0-only
/* The KVM backend of the accelerator interface (/dev/kvm, in-kernel irqchip). */
#include "kvm.h"
#include "../accel.h"
#include "../x86_state.h"
#include "../util.h"
#include "../vcpu.h"
#include "../vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KVM_DEVICE_DEFAULT	"/dev/kvm"
#define KVM_CPUID_MAX_ENTRIES	256
#define KVM_TSS_GPA		0xfffbd000u	/* 3 pages, below the ROM */
#define KVM_IDENTITY_MAP_GPA	0xfffbc000u	/* 1 page, below the TSS */
/*
 * x2APIC mode: KVM_GET/SET_LAPIC carry the whole 32-bit APIC ID (without
 * this they shift it into the xAPIC's 8 bits, and an ID past 255 does not
 * survive a sync), and an IPI to ID 0xff goes to that one CPU, not to all.
 */
#define KVM_X2APIC_FLAGS	(KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)

/* Process-wide: the device and what does not change between VMs. */
static struct {
	pthread_once_t once;
	int fd;
	int probe_err;
	char why[160];
	struct accel_caps caps;
	int run_size;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	bool xsave, xcrs, debugregs;
	uint32_t msrs[X86_STATE_MAX_MSRS];	/* the runtime set this host has */
	unsigned int nmsrs;
	bool msr_tsc;
	bool msr_smbase;
} kvm = { .once = PTHREAD_ONCE_INIT, .fd = -1 };

/* HVSMOKE_KVM_DEVICE lets tests point at a missing device to prove the skip path. */
static const char *kvm_device_path(void)
{
	const char *p = getenv("HVSMOKE_KVM_DEVICE");

	return p && *p ? p : KVM_DEVICE_DEFAULT;
}

static int check_cap(long cap)
{
	int r = ioctl(kvm.fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

#define MSR_IA32_TSC		0x010
#define MSR_IA32_SMBASE		0x09e	/* listed only where KVM has SMM */

/* The MSRs a sync carries: what a guest can change without the irqchip. */
static const uint32_t sync_msrs[] = {
	0x174, 0x175, 0x176,		/* SYSENTER_CS/ESP/EIP */
	0x277,				/* PAT */
	0xc0000081, 0xc0000082,		/* STAR, LSTAR */
	0xc0000083, 0xc0000084,		/* CSTAR, FMASK */
	0xc0000102, 0xc0000103,		/* KERNEL_GS_BASE, TSC_AUX */
};

static void probe_msrs(void)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *list;
	unsigned int i, j;

	/* the first call fails with E2BIG and tells the count */
	if (!ioctl(kvm.fd, KVM_GET_MSR_INDEX_LIST, &probe) || errno != E2BIG)
		return;
	list = xzalloc(sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	list->nmsrs = probe.nmsrs;
	if (!ioctl(kvm.fd, KVM_GET_MSR_INDEX_LIST, list)) {
		for (i = 0; i < list->nmsrs; i++) {
			if (list->indices[i] == MSR_IA32_TSC)
				kvm.msr_tsc = true;
			if (list->indices[i] == MSR_IA32_SMBASE)
				kvm.msr_smbase = true;
			for (j = 0; j < sizeof(sync_msrs) / sizeof(sync_msrs[0]); j++)
				if (list->indices[i] == sync_msrs[j] &&
				    kvm.nmsrs < X86_STATE_MAX_MSRS - 2)
					kvm.msrs[kvm.nmsrs++] = sync_msrs[j];
		}
	}
	free(list);
}

static void kvm_probe_once(void)
{
	const char *path = kvm_device_path();
	struct accel_caps *c = &kvm.caps;
	int nent = KVM_CPUID_MAX_ENTRIES;

	kvm.fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm.fd < 0) {
		kvm.probe_err = errno == ENOENT || errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
		/* "/tmp: Is a directory" alone does not say where the path came from */
		if (strcmp(path, KVM_DEVICE_DEFAULT))
			snprintf(kvm.why, sizeof(kvm.why),
				 "KVM device %s (from HVSMOKE_KVM_DEVICE): %s", path, strerror(errno));
		else
			snprintf(kvm.why, sizeof(kvm.why), "%s: %s", path, strerror(errno));
		return;
	}
	c->api_version = ioctl(kvm.fd, KVM_GET_API_VERSION, 0);
	if (c->api_version != KVM_API_VERSION) {
		kvm.probe_err = -ENOTSUP;
		snprintf(kvm.why, sizeof(kvm.why), "%s: KVM API version %d, need %d", path,
			 c->api_version, KVM_API_VERSION);
		return;
	}
	c->irqchip = check_cap(KVM_CAP_IRQCHIP);
	c->split_irqchip = check_cap(KVM_CAP_SPLIT_IRQCHIP);
	c->immediate_exit = check_cap(KVM_CAP_IMMEDIATE_EXIT);
	c->mp_state = check_cap(KVM_CAP_MP_STATE);
	c->vcpu_events = check_cap(KVM_CAP_VCPU_EVENTS);
	c->readonly_mem = check_cap(KVM_CAP_READONLY_MEM);
	c->smm = check_cap(KVM_CAP_X86_SMM);
	c->tsc_khz = check_cap(KVM_CAP_GET_TSC_KHZ);
	c->nr_vcpus = check_cap(KVM_CAP_NR_VCPUS);
	c->max_vcpus = check_cap(KVM_CAP_MAX_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = c->nr_vcpus ? c->nr_vcpus : 4;
	c->max_vcpu_id = check_cap(KVM_CAP_MAX_VCPU_ID);
	/* the cap's value is the feature flags this KVM knows */
	c->x2apic = (check_cap(KVM_CAP_X2APIC_API) & KVM_X2APIC_FLAGS) == KVM_X2APIC_FLAGS;

	if (!c->irqchip || !c->immediate_exit || !c->mp_state || !c->vcpu_events) {
		kvm.probe_err = -ENOTSUP;
		snprintf(kvm.why, sizeof(kvm.why),
			 "%s lacks a required capability (IRQCHIP=%d IMMEDIATE_EXIT=%d MP_STATE=%d VCPU_EVENTS=%d)",
			 path, c->irqchip, c->immediate_exit, c->mp_state, c->vcpu_events);
		return;
	}

	kvm.xsave = check_cap(KVM_CAP_XSAVE);
	kvm.xcrs = check_cap(KVM_CAP_XCRS);
	kvm.debugregs = check_cap(KVM_CAP_DEBUGREGS);
	probe_msrs();

	kvm.run_size = ioctl(kvm.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm.run_size < (int)sizeof(struct kvm_run)) {
		kvm.probe_err = -ENOTSUP;
		snprintf(kvm.why, sizeof(kvm.why), "%s: bad vCPU mmap size %d", path, kvm.run_size);
		return;
	}

	for (;;) {
		kvm.cpuid = xzalloc(sizeof(*kvm.cpuid) + nent * sizeof(kvm.cpuid->entries[0]));
		kvm.cpuid->nent = nent;
		if (!ioctl(kvm.fd, KVM_GET_SUPPORTED_CPUID, kvm.cpuid))
			break;
		free(kvm.cpuid);
		kvm.cpuid = NULL;
		if (errno != E2BIG || nent >= 4096) {
			kvm.probe_err = -errno;
			snprintf(kvm.why, sizeof(kvm.why), "KVM_GET_SUPPORTED_CPUID: %s",
				 strerror(errno));
			return;
		}
		nent *= 2;
	}
}

static int kvm_probe(struct accel_caps *caps, char *why, size_t len)
{
	pthread_once(&kvm.once, kvm_probe_once);
	if (kvm.probe_err) {
		snprintf(why, len, "%s", kvm.why);
		return kvm.probe_err;
	}
	*caps = kvm.caps;
	return 0;
}

static int kvm_vm_create(struct vm *vm)
{
	vm->fd = ioctl(kvm.fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		vm->fd = -1;
		return -errno;
	}
	/*
	 * Intel hosts without unrestricted guest emulate real mode through a
	 * TSS and an identity map that KVM needs guest addresses for; put them
	 * in the hole below the ROM. Elsewhere these are no-ops or refused,
	 * and a refusal changes nothing we rely on.
	 */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA))
		pr_debug("KVM_SET_TSS_ADDR: %s (not needed on this host)", strerror(errno));
	{
		uint64_t idmap = KVM_IDENTITY_MAP_GPA;

		if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap))
			pr_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	return 0;
}

/*
 * The irqchip must exist before the vCPUs (each gets its in-kernel LAPIC),
 * and should come after the memslots: on this host the first memslot added
 * once an irqchip exists costs about 7 ms, most of a fresh VM's build
 * (bench/floor.c measures both orders).
 */
static int kvm_vm_irqchip(struct vm *vm)
{
	return ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) ? -errno : 0;
}

static int kvm_vm_map(struct vm *vm, uint32_t slot, uint64_t gpa, void *hva, uint64_t size,
		      bool readonly, bool smm)
{
	struct kvm_userspace_memory_region region = {
		/* bits 16-31 of the slot pick the address space; 1 is what SMM sees */
		.slot = slot | (smm ? 1u << 16 : 0),
		.flags = readonly && kvm.caps.readonly_mem ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) ? -errno : 0;
}

/* Before the vCPUs: KVM refuses the cap (EBUSY) once one exists. */
static int kvm_vm_x2apic(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X2APIC_API,
		.args = { KVM_X2APIC_FLAGS },
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static void kvm_vm_destroy(struct vm *vm)
{
	close(vm->fd);
	vm->fd = -1;
}

#define CPUID_1_ECX_X2APIC	(1u << 21)
#define CPUID_1_EDX_HTT		(1u << 28)	/* CPUID.1:EBX[23:16] is valid */
#define CPUID_TOPO_SUBLEAVES	3		/* SMT, core, and the invalid level that ends them */
#define CPUID_TOPO_SMT		1u		/* level types, in ECX[15:8] */
#define CPUID_TOPO_CORE		2u

/* Bits an ID field needs for n IDs: the x2APIC ID shift of a level of n. */
static unsigned int id_bits(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

/*
 * Leaf 0xb or 0x1f, built here: what KVM lists is the host's own subleaf 0.
 * Every subleaf carries the x2APIC ID in EDX and its own number in ECX[7:0].
 */
static void cpuid_topology(struct kvm_cpuid_entry2 *e, uint32_t function, unsigned int apic_id,
			   unsigned int ncpus)
{
	unsigned int i;

	for (i = 0; i < CPUID_TOPO_SUBLEAVES; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].function = function;
		e[i].index = i;
		e[i].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e[i].ecx = i;
		e[i].edx = apic_id;
	}
	/* one thread per core: nothing to shift out at the SMT level */
	e[0].ebx = 1;
	e[0].ecx |= CPUID_TOPO_SMT << 8;
	/* every vCPU is a core of the one package */
	e[1].eax = id_bits(ncpus);
	e[1].ebx = ncpus;
	e[1].ecx |= CPUID_TOPO_CORE << 8;
}

unsigned int kvm__cpuid_build(const struct kvm_cpuid_entry2 *host, unsigned int nhost,
			      unsigned int apic_id, unsigned int ncpus,
			      struct kvm_cpuid_entry2 *out)
{
	/* the logical processor IDs a package spans: a power of two, in 8 bits */
	unsigned int span = 1u << id_bits(ncpus);
	bool leaf_1f = false;
	unsigned int i, n = 0;

	for (i = 0; i < nhost; i++) {
		struct kvm_cpuid_entry2 *e = &out[n];

		if (host[i].function == 0xb)
			continue;
		if (host[i].function == 0x1f) {
			leaf_1f = true;
			continue;
		}
		*e = host[i];
		n++;
		if (e->function == 0 && e->eax < 0xb)
			e->eax = 0xb;	/* or the guest never looks at the topology leaf */
		if (e->function != 1)
			continue;
		/*
		 * The initial APIC ID is the x2APIC ID's low 8 bits, as on
		 * hardware past 255; the whole ID is in leaf 0xb.
		 */
		e->ebx = (e->ebx & 0x0000ffffu) | (apic_id & 0xffu) << 24 |
			 (span < 0xff ? span : 0xff) << 16;
		e->ecx |= CPUID_1_ECX_X2APIC;
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
	}
	cpuid_topology(&out[n], 0xb, apic_id, ncpus);
	n += CPUID_TOPO_SUBLEAVES;
	if (leaf_1f) {
		cpuid_topology(&out[n], 0x1f, apic_id, ncpus);
		n += CPUID_TOPO_SUBLEAVES;
	}
	return n;
}

static int kvm_vcpu_create(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid;
	void *run;
	int r;

	vcpu->fd = ioctl(vcpu->vm->fd, KVM_CREATE_VCPU, (unsigned long)vcpu->id);
	if (vcpu->fd < 0) {
		vcpu->fd = -1;
		return -errno;
	}
	run = mmap(NULL, (size_t)kvm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		r = -errno;
		close(vcpu->fd);
		vcpu->fd = -1;
		return r;
	}
	vcpu->priv = run;

	/* Without its own APIC ID in CPUID every AP would report ID 0. */
	cpuid = xzalloc(sizeof(*cpuid) + (kvm.cpuid->nent + KVM_CPUID_TOPO_ENTRIES) *
			sizeof(cpuid->entries[0]));
	cpuid->nent = kvm__cpuid_build(kvm.cpuid->entries, kvm.cpuid->nent, vcpu->id,
				       vcpu->nr_vcpus, cpuid->entries);
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) ? -errno : 0;
	free(cpuid);
	if (r) {
		/* the group does not count a vCPU that failed: undo it here */
		munmap(run, (size_t)kvm.run_size);
		close(vcpu->fd);
		vcpu->priv = NULL;
		vcpu->fd = -1;
	}
	return r;
}

static void kvm_vcpu_unmap(struct vcpu *vcpu)
{
	if (vcpu->priv)
		munmap(vcpu->priv, (size_t)kvm.run_size);
	vcpu->priv = NULL;
}

static void kvm_vcpu_destroy(struct vcpu *vcpu)
{
	kvm_vcpu_unmap(vcpu);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

static int kvm_vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct kvm_run *run = vcpu->priv;

	if (ioctl(vcpu->fd, KVM_RUN, 0))
		return -errno;

	memset(exit, 0, sizeof(*exit));
	exit->raw_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->kind = VEXIT_IO;
		exit->io.port = run->io.port;
		exit->io.size = run->io.size;
		exit->io.out = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->kind = VEXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		exit->mmio.data = run->mmio.data;
		break;
	case KVM_EXIT_HLT:
		exit->kind = VEXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->kind = VEXIT_SHUTDOWN;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->kind = VEXIT_INTERNAL;
		exit->detail = run->internal.suberror;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->kind = VEXIT_FAIL_ENTRY;
		exit->detail = run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTR:
		/* an immediate_exit-free -EINTR flavour; treat the same way */
		return -EINTR;
	default:
		exit->kind = VEXIT_OTHER;
		break;
	}
	return 0;
}

static void kvm_vcpu_arm_kick(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->priv;

	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

static void kvm_vcpu_disarm_kick(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->priv;

	__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static int kvm_vcpu_get_state(struct vcpu *vcpu, struct vcpu_state *st)
{
	int fd = vcpu->fd;
	unsigned int i;

	st->valid = 0;
	/* Events before mp_state: reading mp_state makes KVM act on a latched INIT. */
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &st->events))
		return -errno;
	st->valid |= PART_BIT(PART_EVENTS);
	if (ioctl(fd, KVM_GET_MP_STATE, &st->mp_state))
		return -errno;
	st->valid |= PART_BIT(PART_MP_STATE);
	if (ioctl(fd, KVM_GET_REGS, &st->regs) || ioctl(fd, KVM_GET_SREGS, &st->sregs))
		return -errno;
	st->valid |= PART_BIT(PART_REGS) | PART_BIT(PART_SREGS);
	if (kvm.xsave) {
		if (ioctl(fd, KVM_GET_XSAVE, &st->xsave))
			return -errno;
		st->valid |= PART_BIT(PART_XSAVE);
	}
	if (kvm.xcrs) {
		if (ioctl(fd, KVM_GET_XCRS, &st->xcrs))
			return -errno;
		st->valid |= PART_BIT(PART_XCRS);
	}

	memset(&st->msrs, 0, sizeof(st->msrs));
	for (i = 0; i < kvm.nmsrs; i++)
		st->msrs.entries[i].index = kvm.msrs[i];
	if (kvm.msr_smbase)
		st->msrs.entries[i++].index = MSR_IA32_SMBASE;
	if (kvm.msr_tsc)
		st->msrs.entries[i++].index = MSR_IA32_TSC;
	st->msrs.hdr.nmsrs = i;
	if (i) {
		int got = ioctl(fd, KVM_GET_MSRS, &st->msrs);

		if (got < 0)
			return -errno;
		if ((unsigned int)got != i)
			return -EIO;	/* KVM listed them: a short read is a failure */
		st->valid |= PART_BIT(PART_MSRS);
		if (kvm.msr_smbase)
			st->valid |= PART_BIT(PART_MSR_SMBASE);
		if (kvm.msr_tsc)
			st->valid |= PART_BIT(PART_MSR_TSC);
	}

	if (ioctl(fd, KVM_GET_LAPIC, &st->lapic))
		return -errno;
	st->valid |= PART_BIT(PART_LAPIC);
	if (kvm.debugregs) {
		if (ioctl(fd, KVM_GET_DEBUGREGS, &st->debugregs))
			return -errno;
		st->valid |= PART_BIT(PART_DEBUGREGS);
	}
	return 0;
}

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

/* Which set ioctl writes each part, in the order they are written. */
static const struct {
	enum state_part part;
	unsigned long req;
} put_order[] = {
	{ PART_REGS, KVM_SET_REGS },
	{ PART_XSAVE, KVM_SET_XSAVE },
	{ PART_XCRS, KVM_SET_XCRS },
	{ PART_SREGS, KVM_SET_SREGS },
	{ PART_MSRS, KVM_SET_MSRS },
	{ PART_EVENTS, KVM_SET_VCPU_EVENTS },
	{ PART_MP_STATE, KVM_SET_MP_STATE },
	{ PART_LAPIC, KVM_SET_LAPIC },
	{ PART_DEBUGREGS, KVM_SET_DEBUGREGS },
};

static void msrs_for_plan(struct kvm_msrs *hdr, struct kvm_msr_entry *out,
			  const struct vcpu_state *st, const struct sync_plan *plan)
{
	uint32_t i, n = 0;

	memset(hdr, 0, sizeof(*hdr));
	for (i = 0; i < st->msrs.hdr.nmsrs && i < X86_STATE_MAX_MSRS; i++) {
		uint32_t index = st->msrs.entries[i].index;

		if (index == MSR_IA32_TSC && !(plan->parts & PART_BIT(PART_MSR_TSC)))
			continue;
		if (index == MSR_IA32_SMBASE && !(plan->parts & PART_BIT(PART_MSR_SMBASE)))
			continue;
		out[n++] = st->msrs.entries[i];
	}
	hdr->nmsrs = n;
}

int kvm__put_state(int fd, const struct vcpu_state *st, const struct sync_plan *plan,
		   kvm_ioctl_fn do_ioctl)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[X86_STATE_MAX_MSRS];
	} msrs;
	struct kvm_vcpu_events events;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(put_order) / sizeof(put_order[0]); i++) {
		enum state_part part = put_order[i].part;
		void *arg;

		if (!(plan->parts & PART_BIT(part)) || !(st->valid & PART_BIT(part)))
			continue;
		switch (part) {
		case PART_REGS:
			arg = (void *)&st->regs;
			break;
		case PART_XSAVE:
			arg = (void *)&st->xsave;
			break;
		case PART_XCRS:
			arg = (void *)&st->xcrs;
			break;
		case PART_SREGS:
			arg = (void *)&st->sregs;
			break;
		case PART_MSRS:
			/* the TSC and SMBASE go back only at the levels the plan says */
			msrs_for_plan(&msrs.hdr, msrs.entries, st, plan);
			if (!msrs.hdr.nmsrs)
				continue;
			arg = &msrs;
			break;
		case PART_EVENTS:
			events = st->events;
			events.flags = plan->event_flags;
			/* KVM never reports a latched SIPI vector: never write back a made-up one */
			if (!(st->events.flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR))
				events.flags &= ~(uint32_t)KVM_VCPUEVENT_VALID_SIPI_VECTOR;
			arg = &events;
			break;
		case PART_MP_STATE:
			arg = (void *)&st->mp_state;
			break;
		case PART_LAPIC:
			arg = (void *)&st->lapic;
			break;
		case PART_DEBUGREGS:
			arg = (void *)&st->debugregs;
			break;
		default:
			continue;
		}
		r = do_ioctl(fd, put_order[i].req, arg);
		if (r < 0) {
			r = -errno;
			pr_debug("write-back of %s refused: %s", state_part_name(part), strerror(-r));
			return r;
		}
		/* KVM_SET_MSRS returns how many it took: a short count is a failure */
		if (part == PART_MSRS && (uint32_t)r != msrs.hdr.nmsrs)
			return -EINVAL;
	}
	return 0;
}

static int kvm_vcpu_put_state(struct vcpu *vcpu, const struct vcpu_state *st,
			      const struct sync_plan *plan)
{
	return kvm__put_state(vcpu->fd, st, plan, sys_ioctl);
}

static int kvm_vcpu_smi(struct vcpu *vcpu)
{
	if (!kvm.caps.smm)
		return -ENOTSUP;
	return ioctl(vcpu->fd, KVM_SMI, 0) ? -errno : 0;
}

static uint32_t kvm_vcpu_tsc_khz(struct vcpu *vcpu)
{
	int r;

	if (!kvm.caps.tsc_khz)
		return 0;
	r = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	return r > 0 ? (uint32_t)r : 0;
}

const struct accel_ops kvm_accel_ops = {
	.name = "kvm",
	.probe = kvm_probe,
	.vm_create = kvm_vm_create,
	.vm_map = kvm_vm_map,
	.vm_irqchip = kvm_vm_irqchip,
	.vm_x2apic = kvm_vm_x2apic,
	.vm_destroy = kvm_vm_destroy,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_unmap = kvm_vcpu_unmap,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_arm_kick = kvm_vcpu_arm_kick,
	.vcpu_disarm_kick = kvm_vcpu_disarm_kick,
	.vcpu_tsc_khz = kvm_vcpu_tsc_khz,
	.vcpu_smi = kvm_vcpu_smi,
	.vcpu_get_state = kvm_vcpu_get_state,
	.vcpu_put_state = kvm_vcpu_put_state,
};
