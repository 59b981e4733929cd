// SPDX-License-Identifier: GPL-2.0-only
/*
 * Proves the board's port dispatch with a fake accelerator: events, fw_cfg
 * and string I/O reach their devices, the completion port ends the vCPU's
 * part, port 0xB2 raises an SMI on the writing vCPU only when SMM is on,
 * fw_cfg's DMA ports move bytes into the vCPU's VM's RAM (4-byte accesses
 * only), and unknown ports float high without failing the boot.
 */
#include "../../vmm/devices/platform.h"
#include "../../vmm/protocol.h"
#include "../../vmm/vcpu.h"
#include "../../vmm/vm.h"
#include "unit.h"

#include <string.h>

static unsigned int smi_calls, smi_vcpu;

static int fake_smi(struct vcpu *vcpu)
{
	smi_calls++;
	smi_vcpu = vcpu->id;
	return 0;
}

static const struct accel_ops fake_ops = { .name = "fake", .vcpu_smi = fake_smi };

static enum vcpu_action port(struct platform *p, struct vcpu *v, uint16_t portno, bool out,
			     unsigned int size, uint32_t count, void *data)
{
	struct vcpu_exit ex = { .kind = VEXIT_IO };

	ex.io.port = portno;
	ex.io.out = out;
	ex.io.size = (uint8_t)size;
	ex.io.count = count;
	ex.io.data = data;
	return platform__handle_exit(p, v, &ex);
}

static void test_smi_port(void)
{
	struct vm vm = { .ops = &fake_ops };
	struct vcpu v = { .vm = &vm, .id = 2 };
	struct platform p;
	uint8_t b = 0x5a;

	platform__init(&p, 4, NULL, false, true);
	TEST_ASSERT(port(&p, &v, PORT_APM_CNT, true, 1, 1, &b) == VCPU_CONTINUE, "continue");
	TEST_ASSERT(smi_calls == 1 && smi_vcpu == 2, "SMI on the writer: %u calls, vcpu %u",
		    smi_calls, smi_vcpu);
	TEST_ASSERT(p.smis == 1 && p.smi_error == 0, "counted");
	platform__destroy(&p);

	platform__init(&p, 4, NULL, false, false);
	port(&p, &v, PORT_APM_CNT, true, 1, 1, &b);
	TEST_ASSERT(smi_calls == 1, "an SMI without the SMM stage");
	TEST_ASSERT(atomic_load(&p.unhandled_io) == 1, "an ignored 0xb2 write is counted");
	platform__destroy(&p);
}

static void test_events_and_completion(void)
{
	struct vm vm = { .ops = &fake_ops };
	struct vcpu v1 = { .vm = &vm, .id = 1 };
	struct vcpu v0 = { .vm = &vm, .id = 0 };
	uint32_t evs[2] = { EV_MAKE(EV_AP_ONLINE, 1, 0), EV_MAKE(EV_PHASE, 1, PHASE_PMODE) };
	uint8_t code = DONE_PASS;
	struct platform p;

	platform__init(&p, 2, NULL, false, false);
	/* a string write of two events is two events */
	port(&p, &v1, PORT_EVENT, true, 4, 2, evs);
	TEST_ASSERT(p.log.online[1] == 1 && (p.log.phases & (1u << PHASE_PMODE)), "both events");
	TEST_ASSERT(port(&p, &v0, PORT_COMPLETION, true, 1, 1, &code) == VCPU_STOP, "stop");
	TEST_ASSERT(p.finished && p.completion == DONE_PASS && p.completion_vcpu == 0, "finished");
	platform__destroy(&p);
}

static void test_fwcfg_ports_and_unknown(void)
{
	struct hvsmoke_cfg cfg = { .magic = HVSMOKE_CFG_MAGIC, .version = HVSMOKE_CFG_VERSION,
				   .size = HVSMOKE_CFG_SIZE };
	struct vm vm = { .ops = &fake_ops };
	struct vcpu v = { .vm = &vm, .id = 0 };
	uint16_t key = FW_CFG_SIGNATURE;
	uint8_t sig[4], junk[2] = { 0, 0 }, post = 1;
	struct platform p;

	platform__init(&p, 1, &cfg, false, false);
	port(&p, &v, PORT_FWCFG_SEL, true, 2, 1, &key);
	port(&p, &v, PORT_FWCFG_DATA, false, 1, 4, sig);	/* rep insb */
	TEST_ASSERT(!memcmp(sig, "QEMU", 4), "signature through the ports");
	port(&p, &v, 0x3f8, false, 2, 1, junk);
	TEST_ASSERT(junk[0] == 0xff && junk[1] == 0xff, "an empty port floats high");
	port(&p, &v, PORT_POST, true, 1, 1, &post);
	TEST_ASSERT(atomic_load(&p.post_writes) == 1, "POST counted");
	TEST_ASSERT(!p.finished && p.log.bad == 0, "nothing of this ends the boot");
	port(&p, &v, PORT_EVENT, true, 2, 1, junk);
	TEST_ASSERT(p.log.bad == 1, "a 2-byte event write is a protocol error");
	platform__destroy(&p);
}

static void test_fwcfg_dma_ports(void)
{
	static uint8_t ram[4096];
	static const uint8_t desc[FWCFG_DMA_DESC_SIZE] = {
		0x00, FW_CFG_NB_CPUS, 0x00, FWCFG_DMA_SELECT | FWCFG_DMA_READ,	/* control */
		0, 0, 0, 2,							/* length */
		0, 0, 0, 0, 0, 0, 0x02, 0x00,					/* address 0x200 */
	};
	struct vm vm = { .ops = &fake_ops, .ram = ram, .ram_size = sizeof(ram) };
	struct vcpu v = { .vm = &vm, .id = 0 };
	uint8_t addr_be[4] = { 0, 0, 0x01, 0x00 };	/* the descriptor at 0x100 */
	uint8_t word[4];
	uint16_t half = 0xffff;
	struct platform p;

	platform__init(&p, 3, NULL, false, false);
	memset(ram, 0xee, sizeof(ram));
	memcpy(ram + 0x100, desc, sizeof(desc));
	port(&p, &v, PORT_FWCFG_DMA_LO, true, 4, 1, addr_be);
	TEST_ASSERT(ram[0x200] == 3 && ram[0x201] == 0 && ram[0x202] == 0xee, "CPU count by DMA");
	TEST_ASSERT(!ram[0x100] && !ram[0x101] && !ram[0x102] && !ram[0x103], "control cleared");
	TEST_ASSERT(p.fwcfg.dma_requests == 1 && !p.fwcfg.dma_errors, "one transfer");

	port(&p, &v, PORT_FWCFG_DMA_HI, false, 4, 1, word);
	TEST_ASSERT(!memcmp(word, "QEMU", 4), "the register's high half reads %.4s", word);
	port(&p, &v, PORT_FWCFG_DMA_LO, false, 4, 1, word);
	TEST_ASSERT(!memcmp(word, " CFG", 4), "the low half reads %.4s", word);

	/* other sizes do nothing and read as zeros, as the selector's do */
	port(&p, &v, PORT_FWCFG_DMA_LO, false, 2, 1, &half);
	TEST_ASSERT(half == 0, "a 2-byte read gives %#x", half);
	port(&p, &v, PORT_FWCFG_DMA_LO, true, 2, 1, addr_be);
	port(&p, &v, PORT_FWCFG_DMA_LO, true, 1, 1, addr_be);
	TEST_ASSERT(p.fwcfg.dma_requests == 1, "a 1- or 2-byte write started a transfer");
	TEST_ASSERT(atomic_load(&p.unhandled_io) == 0, "the DMA ports are handled ports");

	/* a VM without RAM: refused, and nothing to write the error into */
	vm.ram = NULL;
	vm.ram_size = 0;
	port(&p, &v, PORT_FWCFG_DMA_LO, true, 4, 1, addr_be);
	TEST_ASSERT(p.fwcfg.dma_requests == 2 && p.fwcfg.dma_errors == 1, "refused without RAM");
	platform__destroy(&p);
}

int main(void)
{
	test_smi_port();
	test_events_and_completion();
	test_fwcfg_ports_and_unknown();
	test_fwcfg_dma_ports();
	return unit_done("test_platform");
}
