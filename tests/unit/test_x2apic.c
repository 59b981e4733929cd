// SPDX-License-Identifier: GPL-2.0-only
/*
 * x2APIC and up to HVSMOKE_MAX_CPUS vCPUs, without /dev/kvm: the CPUID each
 * vCPU gets (one package of N cores, its APIC ID in it, x2APIC on) from a
 * host list like KVM_GET_SUPPORTED_CPUID's, and which host limits make a
 * run a setup error or a skip; --x2apic, and the options it excludes.
 */
#include "../../vmm/boot.h"
#include "../../vmm/kvm/kvm.h"
#include "../../vmm/options.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

#define HOST_MAX	16

/* What this project's KVM host lists, cut down: leaf 0xb and 0x1f hold only the host's subleaf 0. */
static unsigned int host_list(struct kvm_cpuid_entry2 *h, uint32_t max_basic, bool leaf_1f)
{
	unsigned int n = 0;

	memset(h, 0, HOST_MAX * sizeof(*h));
	h[n++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = max_basic, .ebx = 0x756e6547 };
	h[n++] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x000c06f2, .ebx = 0x01020800,
					    .ecx = 0x81002000, .edx = 0x0f8bfbff };
	h[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0,
					    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					    .eax = 0x04000121, .ebx = 0x02c0003f, .ecx = 0x3f };
	h[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 1,
					    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					    .eax = 0x04000122, .ebx = 0x01c0003f, .ecx = 0x3f };
	h[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					    .edx = 1 };
	if (leaf_1f)
		h[n++] = (struct kvm_cpuid_entry2){ .function = 0x1f,
						    .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						    .edx = 1 };
	h[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
	return n;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e, unsigned int n,
					   uint32_t function, uint32_t index, unsigned int *count)
{
	const struct kvm_cpuid_entry2 *found = NULL;
	unsigned int i;

	*count = 0;
	for (i = 0; i < n; i++) {
		if (e[i].function == function && e[i].index == index) {
			found = &e[i];
			(*count)++;
		}
	}
	return found;
}

/* A topology leaf (0xb or 0x1f): SMT, core, then the end; the ID in EDX everywhere. */
static void check_topology(const struct kvm_cpuid_entry2 *out, unsigned int n, uint32_t function,
			   unsigned int id, unsigned int ncpus, unsigned int shift)
{
	static const unsigned int types[3] = { 1, 2, 0 };
	unsigned int sub, count;

	for (sub = 0; sub < 3; sub++) {
		const struct kvm_cpuid_entry2 *e = find(out, n, function, sub, &count);

		TEST_ASSERT(e && count == 1, "leaf %#x.%u for id %u of %u: %u entries", function,
			    sub, id, ncpus, count);
		if (!e)
			continue;
		TEST_ASSERT(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			    "leaf %#x.%u: flags %#x", function, sub, e->flags);
		TEST_ASSERT(e->edx == id, "leaf %#x.%u: edx %u, id %u", function, sub, e->edx, id);
		TEST_ASSERT((e->ecx & 0xff) == sub, "leaf %#x.%u: ecx %#x", function, sub, e->ecx);
		TEST_ASSERT(((e->ecx >> 8) & 0xff) == types[sub], "leaf %#x.%u: level type %u",
			    function, sub, (e->ecx >> 8) & 0xff);
	}
	TEST_ASSERT(find(out, n, function, 0, &count)->eax == 0 &&
		    find(out, n, function, 0, &count)->ebx == 1,
		    "leaf %#x.0: SMT shift 0, 1 thread", function);
	TEST_ASSERT(find(out, n, function, 1, &count)->eax == shift,
		    "leaf %#x.1 for %u CPUs: shift %u, want %u", function, ncpus,
		    find(out, n, function, 1, &count)->eax, shift);
	TEST_ASSERT(find(out, n, function, 1, &count)->ebx == ncpus,
		    "leaf %#x.1: %u logical processors, want %u", function,
		    find(out, n, function, 1, &count)->ebx, ncpus);
	/* every ID of the VM is in package 0 */
	TEST_ASSERT((id >> shift) == 0, "id %u is beyond package 0 at shift %u", id, shift);
	TEST_ASSERT(find(out, n, function, 2, &count)->eax == 0 &&
		    find(out, n, function, 2, &count)->ebx == 0,
		    "leaf %#x.2 ends the levels", function);
}

static void test_cpuid_one(unsigned int id, unsigned int ncpus, unsigned int shift,
			   unsigned int span)
{
	struct kvm_cpuid_entry2 host[HOST_MAX], out[HOST_MAX + KVM_CPUID_TOPO_ENTRIES];
	unsigned int nhost = host_list(host, 0x20, true), n, count;
	const struct kvm_cpuid_entry2 *l1;

	n = kvm__cpuid_build(host, nhost, id, ncpus, out);
	/* the host's two one-subleaf topology leaves are replaced by three subleaves each */
	TEST_ASSERT(n == nhost - 2 + KVM_CPUID_TOPO_ENTRIES, "%u entries from %u", n, nhost);

	l1 = find(out, n, 1, 0, &count);
	TEST_ASSERT(l1 && count == 1, "leaf 1: %u entries", count);
	if (l1) {
		TEST_ASSERT(l1->ebx >> 24 == (id & 0xff), "id %u: leaf 1 initial APIC ID %u", id,
			    l1->ebx >> 24);
		TEST_ASSERT(((l1->ebx >> 16) & 0xff) == span, "%u CPUs: leaf 1 count %u, want %u",
			    ncpus, (l1->ebx >> 16) & 0xff, span);
		TEST_ASSERT((l1->ebx & 0xffff) == 0x0800, "leaf 1 ebx[15:0] kept: %#x", l1->ebx);
		TEST_ASSERT(l1->ecx & (1u << 21), "leaf 1: x2APIC bit clear (ecx %#x)", l1->ecx);
		TEST_ASSERT(!!(l1->edx & (1u << 28)) == (ncpus > 1), "%u CPUs: HTT %d", ncpus,
			    !!(l1->edx & (1u << 28)));
		TEST_ASSERT(l1->eax == 0x000c06f2, "leaf 1 eax kept: %#x", l1->eax);
	}
	TEST_ASSERT(find(out, n, 0, 0, &count)->eax == 0x20, "leaf 0: max basic leaf kept");
	TEST_ASSERT(find(out, n, 4, 1, &count)->eax == 0x04000122 && count == 1,
		    "leaf 4.1 copied as it was");
	TEST_ASSERT(find(out, n, 0x80000000, 0, &count)->eax == 0x80000008 && count == 1,
		    "leaf 0x80000000 copied as it was");
	check_topology(out, n, 0xb, id, ncpus, shift);
	check_topology(out, n, 0x1f, id, ncpus, shift);
}

static void test_cpuid(void)
{
	static const struct {
		unsigned int id, ncpus, shift, span;
	} cases[] = {
		{ 0, 1, 0, 1 },
		{ 0, 4, 2, 4 },
		{ 3, 4, 2, 4 },
		{ 0, 256, 8, 255 },
		{ 255, 256, 8, 255 },
		{ 0, 1024, 10, 255 },
		{ 255, 1024, 10, 255 },
		{ 256, 1024, 10, 255 },
		{ 1023, 1024, 10, 255 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_cpuid_one(cases[i].id, cases[i].ncpus, cases[i].shift, cases[i].span);
}

/* A host without leaf 0x1f gets none; one whose basic leaves end below 0xb gets 0xb reachable. */
static void test_cpuid_old_host(void)
{
	struct kvm_cpuid_entry2 host[HOST_MAX], out[HOST_MAX + KVM_CPUID_TOPO_ENTRIES];
	unsigned int nhost = host_list(host, 0xa, false), n, count;

	n = kvm__cpuid_build(host, nhost, 300, 512, out);
	TEST_ASSERT(n == nhost - 1 + 3, "%u entries from %u", n, nhost);
	find(out, n, 0x1f, 0, &count);
	TEST_ASSERT(count == 0, "leaf 0x1f made up for a host without it");
	TEST_ASSERT(find(out, n, 0, 0, &count)->eax == 0xb, "leaf 0: max basic leaf %#x",
		    find(out, n, 0, 0, &count)->eax);
	check_topology(out, n, 0xb, 300, 512, 9);
}

static void test_host_limits(void)
{
	struct accel_caps caps = { .max_vcpus = 1024, .max_vcpu_id = 4096, .x2apic = true };
	char why[256];
	int r;

	TEST_ASSERT(!boot_check_host(&kvm_accel_ops, &caps, 1024, false, why, sizeof(why)),
		    "1024 vCPUs refused: %s", why);
	TEST_ASSERT(!boot_check_host(&kvm_accel_ops, &caps, 4, true, why, sizeof(why)),
		    "--x2apic refused: %s", why);

	caps.max_vcpus = 288;
	r = boot_check_host(&kvm_accel_ops, &caps, 289, false, why, sizeof(why));
	TEST_ASSERT(r == -E2BIG && !strcmp(why, "--cpus 289: kvm allows at most 288 vCPUs per VM"),
		    "past KVM_CAP_MAX_VCPUS: %d %s", r, why);

	caps.max_vcpus = 1024;
	caps.max_vcpu_id = 512;
	TEST_ASSERT(!boot_check_host(&kvm_accel_ops, &caps, 512, false, why, sizeof(why)),
		    "IDs 0..511 below 512 refused: %s", why);
	r = boot_check_host(&kvm_accel_ops, &caps, 513, false, why, sizeof(why));
	TEST_ASSERT(r == -E2BIG && strstr(why, "--cpus 513: kvm allows vCPU IDs below 512 (KVM_CAP_MAX_VCPU_ID)"),
		    "past KVM_CAP_MAX_VCPU_ID: %d %s", r, why);
	/* 0: the backend has no separate ID limit */
	caps.max_vcpu_id = 0;
	TEST_ASSERT(!boot_check_host(&kvm_accel_ops, &caps, 1024, false, why, sizeof(why)),
		    "no ID limit: %s", why);

	caps.x2apic = false;
	TEST_ASSERT(!boot_check_host(&kvm_accel_ops, &caps, 255, false, why, sizeof(why)),
		    "255 CPUs need no x2APIC: %s", why);
	r = boot_check_host(&kvm_accel_ops, &caps, 256, false, why, sizeof(why));
	TEST_ASSERT(r == -ENOTSUP && strstr(why, "--cpus 256 runs in x2APIC mode") &&
		    strstr(why, "KVM_CAP_X2APIC_API"), "256 CPUs without the cap: %d %s", r, why);
	r = boot_check_host(&kvm_accel_ops, &caps, 4, true, why, sizeof(why));
	TEST_ASSERT(r == -ENOTSUP && !strncmp(why, "--x2apic: host KVM lacks KVM_CAP_X2APIC_API", 43),
		    "--x2apic without the cap: %d %s", r, why);
	r = boot_check_host(&mshv_accel_ops, &caps, 4, true, why, sizeof(why));
	TEST_ASSERT(r == -ENOTSUP && !strcmp(why, "--x2apic: the mshv backend has no x2APIC mode"),
		    "--x2apic on MSHV: %d %s", r, why);
	/* the vCPU limit is checked first: it is a setup error, the x2APIC one a skip */
	caps.max_vcpus = 300;
	r = boot_check_host(&kvm_accel_ops, &caps, 301, false, why, sizeof(why));
	TEST_ASSERT(r == -E2BIG, "past both limits: %d %s", r, why);
}

static void test_modes(void)
{
	TEST_ASSERT(!boot_x2apic_mode(HVSMOKE_MAX_XAPIC_CPUS, false), "255 CPUs in xAPIC mode");
	TEST_ASSERT(boot_x2apic_mode(HVSMOKE_MAX_XAPIC_CPUS + 1, false), "256 CPUs in x2APIC mode");
	TEST_ASSERT(boot_x2apic_mode(1, true), "--x2apic at 1 CPU");
	TEST_ASSERT(boot_smm_fits(HVSMOKE_SMM_MAX_CPUS, false), "SMM at 255 CPUs");
	TEST_ASSERT(!boot_smm_fits(HVSMOKE_SMM_MAX_CPUS + 1, false), "no SMM at 256 CPUs");
	TEST_ASSERT(!boot_smm_fits(2, true), "no SMM in x2APIC mode");
}

static int parse(struct hv_opts *o, char *err, size_t len, const char *const *args)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)"hvsmoke";
	while (*args)
		argv[argc++] = (char *)*args++;
	opts_init(o);
	err[0] = '\0';
	return opts_parse(o, argc, argv, err, len);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_options(void)
{
	struct hv_opts o;
	char err[256];

	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--x2apic", "--cpus", "4")) && o.x2apic,
		    "run --x2apic: %s", err);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("qemu", "--x2apic")) && o.x2apic,
		    "qemu --x2apic: %s", err);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("mkconfig", "--out", "c", "--x2apic")) &&
		    o.x2apic, "mkconfig --x2apic: %s", err);
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("info", "--x2apic")) &&
		    !strcmp(err, "--x2apic does not apply to 'info'"), "info --x2apic: %s", err);
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("--x2apic=1")) &&
		    !strcmp(err, "--x2apic takes no value"), "--x2apic=1: %s", err);

	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("--cpus", "1025")) &&
		    !strcmp(err, "--cpus: 1025 is more than 1024, the most the firmware's APIC ID bitmap holds"),
		    "--cpus 1025: %s", err);
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("--cpus", "0")) &&
		    !strcmp(err, "--cpus: '0' is not a number in 1..1024"), "--cpus 0: %s", err);

	/* the SMM stage is xAPIC-only: on is refused, auto goes on without it (main.c) */
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("--smm", "on", "--cpus", "300")) &&
		    !strcmp(err, "--smm on: the SMM stage supports at most 255 CPUs, in xAPIC mode (per-CPU SMRAM below 640 KiB); --cpus 300 is more"),
		    "--smm on --cpus 300: %s", err);
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("qemu", "--x2apic", "--smm", "on")) &&
		    strstr(err, "; --x2apic asks for x2APIC mode"), "qemu --smm on --x2apic: %s", err);
	TEST_ASSERT(parse(&o, err, sizeof(err), ARGS("mkconfig", "--out", "c", "--smm", "on",
						     "--cpus", "256")), "mkconfig --smm on --cpus 256");
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--smm", "on", "--cpus", "255")), "%s", err);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--cpus", "300")) && o.smm == SMM_AUTO,
		    "--cpus 300 with --smm auto: %s", err);

	/* the default deadline grows with the CPUs; one that was asked for is kept */
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--cpus", "256")) &&
		    o.boot_timeout_ms == 2000, "256 CPUs: %u ms", o.boot_timeout_ms);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--cpus", "257")) &&
		    o.boot_timeout_ms == 4000, "257 CPUs: %u ms", o.boot_timeout_ms);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--cpus", "1024")) &&
		    o.boot_timeout_ms == 8000, "1024 CPUs: %u ms", o.boot_timeout_ms);
	TEST_ASSERT(!parse(&o, err, sizeof(err), ARGS("--boot-timeout", "2000", "--cpus", "1024")) &&
		    o.boot_timeout_ms == 2000, "--boot-timeout kept: %u ms", o.boot_timeout_ms);
}

int main(void)
{
	test_cpuid();
	test_cpuid_old_host();
	test_host_limits();
	test_modes();
	test_options();
	return unit_done("test_x2apic");
}
