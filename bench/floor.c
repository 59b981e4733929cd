// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bare-ioctl floor for `make bench`: what a VM like hvsmoke's costs with
 * nothing else around it. Guest memory mapped, KVM_CREATE_VM, the RAM and
 * ROM memslots, the irqchip, N vCPUs (each with its kvm_run mapping and
 * CPUID), the BSP's first entry to its first exit (an OUT at the reset
 * vector), then teardown. No firmware runs: this is what hvsmoke cannot
 * go below.
 *
 * Two orders of the same ioctls, measured in alternation so both see the
 * same host: the cheapest (memslots, then the irqchip) and the old one
 * (irqchip, then memslots), where the first memslot added once an irqchip
 * exists costs milliseconds on this host. Reporting both keeps the saving
 * visible.
 *
 * Teardown: in the cheapest order, closing a VM waits out the kernel's
 * grace periods (about 15 ms here for the first of a batch), so, as hvsmoke
 * does, a second thread closes VMs while the next is built, at most
 * CLOSE_QUEUE behind. Each VM's build-to-first-exit time is a sample; the
 * wall time of the whole loop over the VMs built is the cost per VM a boot
 * loop can reach (cycle_us), teardown included.
 *
 *   floor N ITERATIONS     prints {"cpus": N, "iterations": K, "median_us": ..., "p90_us": ...,
 *                                  "cycle_us": ..., "old_order_median_us": ...,
 *                                  "old_order_p90_us": ..., "old_order_cycle_us": ...}
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
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
#define POST_PORT	0x80
#define CLOSE_QUEUE	16

/* What a built VM leaves for the closer thread. */
struct built_vm {
	int vm, vcpu_fd[MAX_CPUS];
	struct kvm_run *runs[MAX_CPUS];
	unsigned int n;
	uint8_t *ram, *rom;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct built_vm *q[CLOSE_QUEUE];
	unsigned int head, count;	/* count includes the one being closed */
} closer = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static int kvm, run_size;
static struct kvm_cpuid2 *cpuid;

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

static void set_memslot(int vm, uint32_t slot, uint64_t gpa, void *hva, uint64_t size,
			uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		fail("KVM_SET_USER_MEMORY_REGION");
}

static void destroy(struct built_vm *b)
{
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		munmap(b->runs[i], (size_t)run_size);
		close(b->vcpu_fd[i]);
	}
	close(b->vm);
	munmap(b->ram, RAM_SIZE);
	munmap(b->rom, ROM_SIZE);
	free(b);
}

static void *closer_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&closer.lock);
	for (;;) {
		struct built_vm *b;

		while (!closer.count)
			pthread_cond_wait(&closer.cond, &closer.lock);
		b = closer.q[closer.head];
		pthread_mutex_unlock(&closer.lock);
		destroy(b);
		pthread_mutex_lock(&closer.lock);
		closer.head = (closer.head + 1) % CLOSE_QUEUE;
		closer.count--;
		pthread_cond_broadcast(&closer.cond);
	}
	return NULL;
}

/* Hand a VM to the closer; waits while CLOSE_QUEUE are still being closed. */
static void retire(struct built_vm *b)
{
	pthread_mutex_lock(&closer.lock);
	while (closer.count == CLOSE_QUEUE)
		pthread_cond_wait(&closer.cond, &closer.lock);
	closer.q[(closer.head + closer.count) % CLOSE_QUEUE] = b;
	closer.count++;
	pthread_cond_broadcast(&closer.cond);
	pthread_mutex_unlock(&closer.lock);
}

static void drain(void)
{
	pthread_mutex_lock(&closer.lock);
	while (closer.count)
		pthread_cond_wait(&closer.cond, &closer.lock);
	pthread_mutex_unlock(&closer.lock);
}

/* One VM built and its BSP entered once: microseconds. Teardown is the closer's. */
static uint64_t one_vm(unsigned int n, bool irqchip_first)
{
	struct built_vm *b = calloc(1, sizeof(*b));
	int *vcpu_fd = b->vcpu_fd, vm;
	struct kvm_run **runs = b->runs;
	uint64_t t0 = now_us(), t;
	unsigned int i, e;
	uint8_t *ram, *rom;

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED || rom == MAP_FAILED)
		fail("mmap");
	/* the reset vector (the ROM's last 16 bytes): out 0x80, al */
	rom[ROM_SIZE - 16] = 0xe6;
	rom[ROM_SIZE - 15] = POST_PORT;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail("KVM_CREATE_VM");
	if (irqchip_first && ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		fail("KVM_CREATE_IRQCHIP");
	set_memslot(vm, 0, 0, ram, RAM_SIZE, 0);
	set_memslot(vm, 1, 0x100000000ull - ROM_SIZE, rom, ROM_SIZE, KVM_MEM_READONLY);
	if (!irqchip_first && ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		fail("KVM_CREATE_IRQCHIP");
	for (i = 0; i < n; i++) {
		vcpu_fd[i] = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)i);
		if (vcpu_fd[i] < 0)
			fail("KVM_CREATE_VCPU");
		runs[i] = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			       vcpu_fd[i], 0);
		if (runs[i] == MAP_FAILED)
			fail("mmap kvm_run");
		for (e = 0; e < cpuid->nent; e++)
			if (cpuid->entries[e].function == 1)
				cpuid->entries[e].ebx = (cpuid->entries[e].ebx & 0xffffff) | (i << 24);
		if (ioctl(vcpu_fd[i], KVM_SET_CPUID2, cpuid))
			fail("KVM_SET_CPUID2");
	}
	/* the BSP's first entry; an AP would wait for INIT/SIPI, so none is entered */
	do {
		if (ioctl(vcpu_fd[0], KVM_RUN, 0) && errno != EINTR && errno != EAGAIN)
			fail("KVM_RUN");
	} while (runs[0]->exit_reason == KVM_EXIT_INTR);
	if (runs[0]->exit_reason != KVM_EXIT_IO || runs[0]->io.port != POST_PORT) {
		fprintf(stderr, "floor: the BSP's first exit is %u, not the OUT to 0x%x\n",
			runs[0]->exit_reason, POST_PORT);
		exit(1);
	}
	t = now_us() - t0;
	b->vm = vm;
	b->n = n;
	b->ram = ram;
	b->rom = rom;
	retire(b);
	return t;
}

/* K VMs of one order: each one's build time into samples, the loop's wall time per VM out. */
static uint64_t series(unsigned int n, unsigned int k, bool irqchip_first, uint64_t *samples)
{
	uint64_t t0 = now_us();
	unsigned int i;

	for (i = 0; i < k; i++)
		samples[i] = one_vm(n, irqchip_first);
	drain();
	return (now_us() - t0) / k;
}

int main(int argc, char **argv)
{
	unsigned int n, iters, round, k;
	uint64_t *cheap, *old, cycle = 0, old_cycle = 0;
	pthread_t thread;
	int nent = 256;

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
	cheap = calloc(iters, sizeof(*cheap));
	old = calloc(iters, sizeof(*old));
	if (pthread_create(&thread, NULL, closer_main, NULL))
		fail("pthread_create");
	/*
	 * Alternate the orders in two rounds, so a noisy stretch of the host
	 * costs both alike; each round drains its own teardowns, and is long
	 * enough that the closer's batching reaches its steady state.
	 */
	for (round = 0; round < iters; round += k) {
		k = iters - round < (iters + 1) / 2 ? iters - round : (iters + 1) / 2;
		cycle += series(n, k, false, cheap + round) * k;
		old_cycle += series(n, k, true, old + round) * k;
	}
	cycle /= iters;
	old_cycle /= iters;
	qsort(cheap, iters, sizeof(*cheap), cmp_u64);
	qsort(old, iters, sizeof(*old), cmp_u64);
	printf("{\"cpus\": %u, \"iterations\": %u, \"median_us\": %llu, \"p90_us\": %llu, "
	       "\"cycle_us\": %llu, \"old_order_median_us\": %llu, \"old_order_p90_us\": %llu, "
	       "\"old_order_cycle_us\": %llu}\n",
	       n, iters, (unsigned long long)cheap[iters / 2],
	       (unsigned long long)cheap[(iters * 9) / 10 < iters ? (iters * 9) / 10 : iters - 1],
	       (unsigned long long)cycle, (unsigned long long)old[iters / 2],
	       (unsigned long long)old[(iters * 9) / 10 < iters ? (iters * 9) / 10 : iters - 1],
	       (unsigned long long)old_cycle);
	free(cheap);
	free(old);
	free(cpuid);
	close(kvm);
	return 0;
}
