// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the board as a guest sees it. Any sequence of port
 * accesses (any port the board decodes, any size, in or out, string I/O),
 * MMIO and other exits, from any vCPU, goes through platform__handle_exit
 * as the vCPU loop hands it over. The fw_cfg ports must read back what an
 * independent model of QEMU's ABI says (the signature, the ID, the CPU count,
 * the big-endian directory, each file; zeros for an unknown key and past the
 * end of an item), and its DMA ports must leave the VM's small RAM exactly as
 * the model's copy of it (what a transfer reads, ERROR or 0 in the descriptor,
 * nothing for a descriptor outside RAM); every other port must answer as
 * documented and be counted where the board counts it; nothing crashes or
 * writes past the exit's data or outside RAM (a heap block of exactly
 * FUZZ_RAM_SIZE bytes: ASan sees the first byte past it).
 *
 * Input: ncpus, flags (bit 0 SMM, 1 console, 2 the SMI fails, 3-5 files),
 * for each file a little-endian u16 size (over FWCFG_FILE_MAX is refused)
 * and its bytes, then operations of three bytes: what, vCPU, count. what & 15
 * picks a port of the table, the guest's own store to RAM (no exit: at offset
 * vCPU, count & 63 + 1 bytes that follow), an MMIO exit, another exit kind or
 * a port in the next two bytes; bits 4-5 the size (1, 2, 4, or 3, which no x86
 * makes); bit 6 OUT; bit 7 string I/O, count & 63 + 1 elements. An OUT's
 * bytes follow (the DMA address register's: big-endian, as on the wire).
 */
#include "../../vmm/devices/platform.h"
#include "../../vmm/protocol.h"
#include "../../vmm/vcpu.h"
#include "../../vmm/vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The board's console goes to stderr; fuzzing it there would flood the log.
 * stdio's stderr is pointed at /dev/null, our own failures at the real one.
 */
static FILE *real_stderr;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(real_stderr, "%s:%d: check '%s' failed\n", __FILE__,   \
				__LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                      \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *null = fopen("/dev/null", "w");

	real_stderr = stderr;
	if (null)
		stderr = null;
	return 0;
}

static const uint16_t ports[] = {
	PORT_FWCFG_SEL, PORT_FWCFG_DATA, PORT_FWCFG_DMA_HI, PORT_FWCFG_DMA_LO, PORT_EVENT,
	PORT_COMPLETION, PORT_DEBUGCON, PORT_POST, PORT_APM_CNT, PORT_PCI_CONFIG_ADDR,
	PORT_PCI_CONFIG_DATA + 1, PORT_EVSTREAM,
};

#define OP_STORE	12	/* what & 15 past the port table */
#define OP_MMIO		13
#define OP_OTHER	14
#define OP_ANY_PORT	15	/* the port from the next two bytes */

#define FUZZ_RAM_SIZE	256

/* The fw_cfg items as QEMU's documentation describes them, built here afresh. */
struct model {
	uint8_t dir[4 + FWCFG_MAX_FILES * FWCFG_DIR_ENTRY];
	const uint8_t *file[FWCFG_MAX_FILES];
	uint32_t file_size[FWCFG_MAX_FILES];
	unsigned int nfiles;
	uint16_t nb_cpus;
	uint16_t sel;
	uint32_t off;
	uint32_t dma_hi;
	uint64_t dma_requests, dma_errors;
	uint8_t ram[FUZZ_RAM_SIZE];	/* what the VM's RAM must hold */
};

static uint32_t model_item(const struct model *m, uint16_t key, uint8_t *tmp,
			   const uint8_t **bytes)
{
	switch (key) {
	case FW_CFG_SIGNATURE:
		*bytes = (const uint8_t *)"QEMU";
		return 4;
	case FW_CFG_ID:
		memcpy(tmp, "\3\0\0\0", 4);	/* traditional and DMA */
		*bytes = tmp;
		return 4;
	case FW_CFG_NB_CPUS:
		tmp[0] = (uint8_t)m->nb_cpus;
		tmp[1] = (uint8_t)(m->nb_cpus >> 8);
		*bytes = tmp;
		return 2;
	case FW_CFG_FILE_DIR:
		*bytes = m->dir;
		return 4 + m->nfiles * FWCFG_DIR_ENTRY;
	}
	if (key >= FW_CFG_FILE_FIRST && key - FW_CFG_FILE_FIRST < (int)m->nfiles) {
		*bytes = m->file[key - FW_CFG_FILE_FIRST];
		return m->file_size[key - FW_CFG_FILE_FIRST];
	}
	*bytes = NULL;
	return 0;
}

static uint8_t model_read(struct model *m)
{
	const uint8_t *bytes;
	uint8_t tmp[4];
	uint32_t len = model_item(m, m->sel, tmp, &bytes);

	if (m->off >= len)
		return 0;
	return bytes[m->off++];
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void set_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/*
 * One DMA transfer on the model's RAM, a byte at a time through model_read
 * (so past the end it reads zeros and the offset stays put), with the
 * device's rules: the descriptor wholly in RAM and 4-aligned, no bit but
 * READ, SKIP and SELECT (and a key only with SELECT), a read's target
 * wholly in RAM. A refused one changes nothing but the control word.
 */
static void model_dma(struct model *m, uint64_t desc)
{
	uint32_t control, len, allowed = FWCFG_DMA_READ | FWCFG_DMA_SKIP | FWCFG_DMA_SELECT;
	uint64_t addr, i;
	uint8_t *d;

	m->dma_requests++;
	if (desc > FUZZ_RAM_SIZE - FWCFG_DMA_DESC_SIZE) {
		m->dma_errors++;
		return;
	}
	d = m->ram + desc;
	control = be32(d);
	len = be32(d + 4);
	addr = (uint64_t)be32(d + 8) << 32 | be32(d + 12);
	if (control & FWCFG_DMA_SELECT)
		allowed |= 0xffff0000u;
	if (desc % 4 || (control & ~allowed) ||
	    ((control & FWCFG_DMA_READ) && len && (addr >= FUZZ_RAM_SIZE ||
						    len > FUZZ_RAM_SIZE - addr))) {
		set_be32(d, FWCFG_DMA_ERROR);
		m->dma_errors++;
		return;
	}
	if (control & FWCFG_DMA_SELECT) {
		m->sel = (uint16_t)(control >> 16);
		m->off = 0;
	}
	if (control & FWCFG_DMA_READ) {
		for (i = 0; i < len; i++)
			m->ram[addr + i] = model_read(m);
	} else if (control & FWCFG_DMA_SKIP) {
		/* no item is longer than this: past the end a read changes nothing */
		for (i = 0; i < len && i <= 4 + FWCFG_MAX_FILES * FWCFG_DIR_ENTRY; i++)
			model_read(m);
	}
	set_be32(d, 0);
}

static void model_add(struct model *m, const char *name, const uint8_t *bytes, uint32_t size)
{
	uint8_t *e = m->dir + 4 + m->nfiles * FWCFG_DIR_ENTRY;
	uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + m->nfiles);

	e[0] = (uint8_t)(size >> 24);
	e[1] = (uint8_t)(size >> 16);
	e[2] = (uint8_t)(size >> 8);
	e[3] = (uint8_t)size;
	e[4] = (uint8_t)(key >> 8);
	e[5] = (uint8_t)key;
	e[6] = e[7] = 0;
	strncpy((char *)e + 8, name, FWCFG_NAME_LEN);
	m->file[m->nfiles] = bytes;
	m->file_size[m->nfiles] = size;
	m->nfiles++;
	m->dir[3] = (uint8_t)m->nfiles;
}

/* What the board must have counted by now. */
struct tally {
	uint64_t post, unhandled, mmio, smis, events, bad_access;
	int completion;
	unsigned int completion_vcpu;
	int crash_vcpu;
	int smi_error;
};

static bool smi_fails;

static int fake_smi(struct vcpu *vcpu)
{
	return smi_fails ? -22 : 0;
}

static const struct accel_ops fake_ops = { .name = "fuzz", .vcpu_smi = fake_smi };

static struct vm vm = { .ops = &fake_ops, .ram_size = FUZZ_RAM_SIZE };
static struct vcpu vcpu = { .vm = &vm };

/* Bytes a read must produce on each port (after the board filled the buffer). */
static void check_in(struct platform *p, struct model *m, uint16_t port, unsigned int size,
		     unsigned int eff, uint32_t count, const uint8_t *buf)
{
	uint32_t i, n = eff * count;
	const char *sig;

	switch (port) {
	case PORT_FWCFG_DATA:
		for (i = 0; i < n; i++)
			CHECK(buf[i] == model_read(m));
		break;
	case PORT_FWCFG_SEL:
		for (i = 0; i < n; i++)
			CHECK(buf[i] == 0);
		break;
	case PORT_FWCFG_DMA_HI:
	case PORT_FWCFG_DMA_LO:
		/* "QEMU CFG" big-endian, a half per port; other sizes read zeros */
		sig = port == PORT_FWCFG_DMA_LO ? " CFG" : "QEMU";
		for (i = 0; i < n; i++)
			CHECK(buf[i] == (eff == 4 ? (uint8_t)sig[i % 4] : 0));
		break;
	case PORT_DEBUGCON:
		for (i = 0; i < n; i++)
			CHECK(buf[i] == 0xe9);
		break;
	case PORT_APM_CNT:
		for (i = 0; i < count; i++)
			CHECK(buf[i * eff] == 0);
		break;
	case PORT_POST:
		/* before the size is checked: the raw size, as the exit gave it */
		for (i = 0; i < size * count; i++)
			CHECK(buf[i] == 0xff);
		break;
	default:
		/* the event and completion ports, no PCI and the empty ISA bus float high */
		for (i = 0; i < n; i++)
			CHECK(buf[i] == 0xff);
		break;
	}
}

static uint32_t value(const uint8_t *b, unsigned int size)
{
	uint32_t v = 0;

	memcpy(&v, b, size);
	return v;
}

/* Account an OUT the way the board should take it; true if it ends the vCPU. */
static bool model_out(struct platform *p, struct model *m, struct tally *t, uint16_t port,
		      unsigned int eff, uint32_t count, const uint8_t *buf, bool smm)
{
	uint32_t i;

	if (port == PORT_POST || port == PORT_DEBUGCON)
		return false;
	for (i = 0; i < count; i++) {
		uint32_t v = value(buf + i * eff, eff);

		switch (port) {
		case PORT_FWCFG_SEL:
			if (eff == 2) {
				m->sel = (uint16_t)v;
				m->off = 0;
			}
			break;
		case PORT_FWCFG_DMA_HI:
			if (eff == 4)
				m->dma_hi = be32(buf + i * eff);
			break;
		case PORT_FWCFG_DMA_LO:
			if (eff == 4) {
				uint64_t desc = (uint64_t)m->dma_hi << 32 | be32(buf + i * eff);

				m->dma_hi = 0;
				model_dma(m, desc);
			}
			break;
		case PORT_EVENT:
			if (eff == 4)
				t->events++;
			else
				t->bad_access++;
			break;
		case PORT_COMPLETION:
			if (t->completion < 0) {
				t->completion = (int)(v & 0xff);
				t->completion_vcpu = vcpu.id;
			}
			return true;
		case PORT_APM_CNT:
			if (smm) {
				t->smis++;
				if (smi_fails && !t->smi_error)
					t->smi_error = -22;
			} else {
				t->unhandled++;
			}
			break;
		case PORT_FWCFG_DATA:
		case PORT_PCI_CONFIG_ADDR:
		case PORT_PCI_CONFIG_DATA:
		case PORT_PCI_CONFIG_DATA + 1:
		case PORT_PCI_CONFIG_DATA + 2:
		case PORT_PCI_CONFIG_DATA + 3:
			break;
		default:
			t->unhandled++;
			break;
		}
	}
	return false;
}

static void check_tally(struct platform *p, const struct tally *t, const struct model *m)
{
	CHECK(atomic_load(&p->post_writes) == t->post);
	CHECK(atomic_load(&p->unhandled_io) == t->unhandled);
	CHECK(atomic_load(&p->mmio_exits) == t->mmio);
	CHECK(p->smis == t->smis && p->smi_error == t->smi_error);
	CHECK(p->completion == t->completion);
	if (t->completion >= 0)
		CHECK(p->completion_vcpu == t->completion_vcpu && p->finished);
	CHECK(p->crash_vcpu == t->crash_vcpu);
	if (t->crash_vcpu >= 0)
		CHECK(p->finished);
	CHECK(p->finished == (t->completion >= 0 || t->crash_vcpu >= 0));
	/* every event write reached the log; bad accesses are bad, and only so many more */
	CHECK(p->log.total == t->events);
	CHECK(p->log.bad >= t->bad_access && p->log.bad <= t->bad_access + t->events);
	CHECK(p->con_len < sizeof(p->con_line));
	CHECK(p->fwcfg.dma_requests == m->dma_requests && p->fwcfg.dma_errors == m->dma_errors);
	CHECK(!memcmp(vm.ram, m->ram, FUZZ_RAM_SIZE));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[FWCFG_MAX_FILES] = {
		HVSMOKE_CFG_NAME, "etc/hvsmoke/second", "opt/c", "opt/d",
	};
	static struct platform p;
	static struct model m;
	struct tally t = { .completion = -1, .crash_vcpu = -1 };
	const uint8_t *end = data + size;
	unsigned int ncpus, flags, nfiles, i;
	bool smm;

	if (size < 2)
		return 0;
	ncpus = data[0];
	flags = data[1];
	data += 2;
	smm = flags & 1;
	smi_fails = flags & 4;
	platform__init(&p, ncpus, NULL, flags & 2, smm);
	memset(&m, 0, sizeof(m));
	/* exactly its size, fresh each run: ASan catches a byte outside it */
	vm.ram = calloc(1, FUZZ_RAM_SIZE);
	if (!vm.ram)
		abort();
	m.nb_cpus = (uint16_t)ncpus;
	nfiles = (flags >> 3) & 7;
	for (i = 0; i < nfiles && end - data >= 2; i++) {
		uint32_t fsize = (data[0] | data[1] << 8) & 0x1ff;
		int r;

		data += 2;
		if (fsize > (uint32_t)(end - data))
			fsize = (uint32_t)(end - data);
		r = fwcfg_add_file(&p.fwcfg, names[i % FWCFG_MAX_FILES], data, fsize);
		if (m.nfiles == FWCFG_MAX_FILES || fsize > FWCFG_FILE_MAX) {
			CHECK(r == -1);
		} else {
			CHECK(r == 0);
			model_add(&m, names[i % FWCFG_MAX_FILES], data, fsize);
		}
		data += fsize;
	}

	while (end - data >= 3) {
		static const uint8_t sizes[4] = { 1, 2, 4, 3 };
		uint8_t what = data[0], op = what & 15, arg = data[2];
		bool out = what & 0x40;
		uint32_t count = (what & 0x80) ? (uint32_t)(arg & 63) + 1 : 1;
		unsigned int sz = sizes[(what >> 4) & 3];
		/* the board treats an impossible size as a byte, never reading past the data */
		unsigned int eff = sz == 3 ? 1 : sz;
		struct vcpu_exit ex = { .kind = VEXIT_IO };
		enum vcpu_action act;
		uint8_t *buf;
		uint16_t port;
		size_t n;

		vcpu.id = data[1];
		data += 3;
		if (op == OP_STORE) {
			/* the guest's own store: no exit, RAM and the model's alike */
			size_t off = vcpu.id, len = (size_t)(arg & 63) + 1;

			if (len > FUZZ_RAM_SIZE - off)
				len = FUZZ_RAM_SIZE - off;
			if (len > (size_t)(end - data))
				len = (size_t)(end - data);
			memcpy(vm.ram + off, data, len);
			memcpy(m.ram + off, data, len);
			data += len;
			check_tally(&p, &t, &m);
			continue;
		}
		if (op == OP_MMIO) {
			uint8_t mm[8];

			ex.kind = VEXIT_MMIO;
			ex.mmio.addr = 0xfee00000u + vcpu.id;
			ex.mmio.len = count;		/* over 8 happens on no x86, but must not hurt */
			ex.mmio.write = out;
			memset(mm, 0x5a, sizeof(mm));
			ex.mmio.data = mm;
			CHECK(platform__handle_exit(&p, &vcpu, &ex) == VCPU_CONTINUE);
			t.mmio++;
			if (!out)
				for (i = 0; i < (count < 8 ? count : 8); i++)
					CHECK(mm[i] == 0xff);
			check_tally(&p, &t, &m);
			continue;
		}
		if (op == OP_OTHER) {
			static const enum vexit_kind kinds[] = {
				VEXIT_HLT, VEXIT_SHUTDOWN, VEXIT_INTERNAL, VEXIT_FAIL_ENTRY,
				VEXIT_OTHER,
			};

			ex.kind = kinds[count % (sizeof(kinds) / sizeof(kinds[0]))];
			CHECK(platform__handle_exit(&p, &vcpu, &ex) == VCPU_STOP);
			if (ex.kind != VEXIT_HLT && t.crash_vcpu < 0)
				t.crash_vcpu = (int)vcpu.id;
			check_tally(&p, &t, &m);
			continue;
		}
		if (op == OP_ANY_PORT) {
			if (end - data < 2)
				break;
			port = (uint16_t)(data[0] | data[1] << 8);
			data += 2;
		} else {
			port = ports[op];
		}

		/* exactly the exit's size * count bytes, as the run page holds them */
		n = (size_t)sz * count;
		buf = malloc(n);
		if (!buf)
			abort();
		if (out) {
			size_t have = (size_t)(end - data) < n ? (size_t)(end - data) : n;

			memset(buf, 0, n);
			memcpy(buf, data, have);
			data += have;
		} else {
			memset(buf, 0x5a, n);
		}
		ex.io.port = port;
		ex.io.size = (uint8_t)sz;
		ex.io.out = out;
		ex.io.count = count;
		ex.io.data = buf;
		act = platform__handle_exit(&p, &vcpu, &ex);
		if (port == PORT_POST)
			t.post += count;
		if (out) {
			bool stop = model_out(&p, &m, &t, port, eff, count, buf, smm);

			CHECK(act == (stop ? VCPU_STOP : VCPU_CONTINUE));
		} else {
			CHECK(act == VCPU_CONTINUE);
			if (port == PORT_EVENT)
				t.bad_access += count;
			else if (port != PORT_POST && port != PORT_DEBUGCON && port != PORT_FWCFG_SEL &&
				 port != PORT_FWCFG_DATA && port != PORT_FWCFG_DMA_HI &&
				 port != PORT_FWCFG_DMA_LO && port != PORT_COMPLETION &&
				 port != PORT_APM_CNT && port != PORT_PCI_CONFIG_ADDR &&
				 (port < PORT_PCI_CONFIG_DATA || port > PORT_PCI_CONFIG_DATA + 3))
				t.unhandled += count;
			check_in(&p, &m, port, sz, eff, count, buf);
		}
		free(buf);
		check_tally(&p, &t, &m);
	}
	check_tally(&p, &t, &m);
	platform__destroy(&p);
	free(vm.ram);
	vm.ram = NULL;
	return 0;
}
