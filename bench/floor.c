// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bare-ioctl floor for `make bench`: what creating and destroying a VM
 * like hvsmoke's costs with nothing else around it: KVM_CREATE_VM, the
 * irqchip, the RAM and ROM memslots and N vCPUs (each with its kvm_run
 * mapping and CPUID), then teardown. No guest code runs.
 *
 *   floor N ITERATIONS     prints {"cpus": N, "iterations": K, "median_us": ..., "p90_us": ...}
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE	(2u << 20)
#define ROM_SIZE	(64u << 10)
#define MAX_CPUS	255

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(errno == ENOENT ? 4 : 1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int kvm, run_size, nent = 256;
	unsigned int n, iters, i, k;
	struct kvm_cpuid2 *cpuid;
	uint64_t *samples;
	void *ram, *rom;

	if (argc != 3 || (n = (unsigned int)atoi(argv[1])) < 1 || n > MAX_CPUS ||
	    (iters = (unsigned int)atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: floor CPUS(1..%d) ITERATIONS\n", MAX_CPUS);
		return 2;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("/dev/kvm");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	cpuid->nent = nent;
	if (run_size <= 0 || ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid))
		fail("KVM setup");
	/* hvsmoke maps its guest memory per VM too: part of the cost */
	samples = calloc(iters, sizeof(*samples));

	for (k = 0; k < iters; k++) {
		int vcpu_fd[MAX_CPUS];
		void *runs[MAX_CPUS];
		uint64_t t0 = now_us();
		struct kvm_userspace_memory_region region = { 0 };
		int vm;

		ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ram == MAP_FAILED || rom == MAP_FAILED)
			fail("mmap");
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0))
			fail("KVM_CREATE_VM/IRQCHIP");
		region.slot = 0;
		region.memory_size = RAM_SIZE;
		region.userspace_addr = (uintptr_t)ram;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
			fail("RAM memslot");
		region.slot = 1;
		region.flags = KVM_MEM_READONLY;
		region.guest_phys_addr = 0x100000000ull - ROM_SIZE;
		region.memory_size = ROM_SIZE;
		region.userspace_addr = (uintptr_t)rom;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
			fail("ROM memslot");
		for (i = 0; i < n; i++) {
			unsigned int e;

			vcpu_fd[i] = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)i);
			if (vcpu_fd[i] < 0)
				fail("KVM_CREATE_VCPU");
			runs[i] = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				       vcpu_fd[i], 0);
			if (runs[i] == MAP_FAILED)
				fail("mmap kvm_run");
			for (e = 0; e < cpuid->nent; e++)
				if (cpuid->entries[e].function == 1)
					cpuid->entries[e].ebx = (cpuid->entries[e].ebx & 0xffffff) |
								(i << 24);
			if (ioctl(vcpu_fd[i], KVM_SET_CPUID2, cpuid))
				fail("KVM_SET_CPUID2");
		}
		for (i = 0; i < n; i++) {
			munmap(runs[i], (size_t)run_size);
			close(vcpu_fd[i]);
		}
		close(vm);
		munmap(ram, RAM_SIZE);
		munmap(rom, ROM_SIZE);
		samples[k] = now_us() - t0;
	}
	qsort(samples, iters, sizeof(*samples), cmp_u64);
	printf("{\"cpus\": %u, \"iterations\": %u, \"median_us\": %llu, \"p90_us\": %llu}\n", n,
	       iters, (unsigned long long)samples[iters / 2],
	       (unsigned long long)samples[(iters * 9) / 10 < iters ? (iters * 9) / 10 : iters - 1]);
	free(samples);
	free(cpuid);
	close(kvm);
	return 0;
}
