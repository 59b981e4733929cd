// SPDX-License-Identifier: GPL-2.0-only
/* Port I/O dispatch and the boot's end conditions. */
#include "platform.h"
#include "../cfg.h"
#include "../protocol.h"
#include "../util.h"
#include "../vm.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void platform__init(struct platform *p, unsigned int ncpus, const struct hvsmoke_cfg *cfg,
		    bool console_to_stderr, bool smm)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->con_lock, NULL);
	cond_init_monotonic(&p->cond);
	fwcfg_init(&p->fwcfg, (uint16_t)ncpus);
	if (cfg) {
		/*
		 * A file the firmware refuses makes every boot a config failure
		 * that reads as the host's: it is the VMM's bug, caught here.
		 */
		assert(!hvsmoke_cfg_decode(cfg, sizeof(*cfg), NULL, NULL, 0));
		fwcfg_add_file(&p->fwcfg, HVSMOKE_CFG_NAME, cfg, sizeof(*cfg));
		p->tsc_khz = cfg->tsc_khz;
	}
	ev_log_init(&p->log, ncpus);
	p->console_to_stderr = console_to_stderr;
	p->smm = smm;
	p->completion = -1;
	p->crash_vcpu = -1;
}

void platform__destroy(struct platform *p)
{
	/* how the firmware read its config: by DMA, or a VM exit per byte */
	pr_debug("fw_cfg: %llu data-port reads, %llu DMA requests, %llu refused",
		 (unsigned long long)p->fwcfg.data_reads,
		 (unsigned long long)p->fwcfg.dma_requests,
		 (unsigned long long)p->fwcfg.dma_errors);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->con_lock);
	pthread_mutex_destroy(&p->lock);
}

static void finish_locked(struct platform *p)
{
	p->finished = true;
	pthread_cond_broadcast(&p->cond);
}

static void console_put(struct platform *p, unsigned int vcpu_id, uint8_t c)
{
	if (!p->console_to_stderr)
		return;
	if (c != '\n' && p->con_len < sizeof(p->con_line) - 1) {
		/* keep stderr one line per guest line, and printable */
		p->con_line[p->con_len++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		return;
	}
	p->con_line[p->con_len] = '\0';
	fprintf(stderr, "guest[%u]: %s\n", vcpu_id, p->con_line);
	p->con_len = 0;
	if (c != '\n')
		console_put(p, vcpu_id, c);
}

static uint32_t io_value(const uint8_t *data, unsigned int size)
{
	uint32_t v = 0;

	memcpy(&v, data, size <= 4 ? size : 4);	/* x86 guest, x86 host: little-endian */
	return v;
}

/* One element of a (possibly string) port access. Called with p->lock held. */
static enum vcpu_action port_access(struct platform *p, struct vcpu *vcpu, uint16_t port,
				    unsigned int size, bool out, uint8_t *data)
{
	uint32_t v = out ? io_value(data, size) : 0;

	switch (port) {
	case PORT_EVENT:
		if (out && size == 4)
			ev_log_record(&p->log, vcpu->id, v, now_ns());
		else
			ev_log_bad_access(&p->log, vcpu->id, size, out);
		if (!out)
			memset(data, 0xff, size);
		return VCPU_CONTINUE;
	case PORT_COMPLETION:
		if (!out) {
			memset(data, 0xff, size);
			return VCPU_CONTINUE;
		}
		if (p->completion < 0) {
			p->completion = (int)(v & 0xff);
			p->completion_vcpu = vcpu->id;
			p->t_completion_ns = now_ns();
		}
		finish_locked(p);
		return VCPU_STOP;
	case PORT_APM_CNT:
		if (!out) {
			data[0] = 0;
			return VCPU_CONTINUE;
		}
		if (p->smm) {
			/* on the writing vCPU's own thread: taken at its next entry */
			int r = vcpu->vm->ops->vcpu_smi(vcpu);

			if (r && !p->smi_error)
				p->smi_error = r;
			p->smis++;
		} else {
			atomic_fetch_add_explicit(&p->unhandled_io, 1, memory_order_relaxed);
		}
		return VCPU_CONTINUE;
	case PORT_PCI_CONFIG_ADDR:
	case PORT_PCI_CONFIG_DATA:
	case PORT_PCI_CONFIG_DATA + 1:
	case PORT_PCI_CONFIG_DATA + 2:
	case PORT_PCI_CONFIG_DATA + 3:
		/* no PCI bus: the firmware's probe reads all ones and moves on */
		if (!out)
			memset(data, 0xff, size);
		return VCPU_CONTINUE;
	case PORT_FWCFG_SEL:
		if (out && size == 2)
			fwcfg_select(&p->fwcfg, (uint16_t)v);
		else if (!out)
			memset(data, 0, size);
		return VCPU_CONTINUE;
	case PORT_FWCFG_DATA:
		if (!out) {
			unsigned int i;

			for (i = 0; i < size; i++)
				data[i] = fwcfg_read(&p->fwcfg);
		}
		return VCPU_CONTINUE;
	case PORT_FWCFG_DMA_HI:
	case PORT_FWCFG_DMA_LO:
		if (size != 4) {
			if (!out)
				memset(data, 0, size);
		} else if (out) {
			struct fwcfg_ram ram = { vcpu->vm->ram, vcpu->vm->ram_size };

			/* under the board's lock: one transfer at a time, as the offset needs */
			fwcfg_dma_addr_write(&p->fwcfg, port == PORT_FWCFG_DMA_LO, data, &ram);
		} else {
			fwcfg_dma_addr_read(port == PORT_FWCFG_DMA_LO, data);
		}
		return VCPU_CONTINUE;
	default:
		atomic_fetch_add_explicit(&p->unhandled_io, 1, memory_order_relaxed);
		if (!out)
			memset(data, 0xff, size);	/* an empty ISA bus floats high */
		return VCPU_CONTINUE;
	}
}

static enum vcpu_action handle_io(struct platform *p, struct vcpu *vcpu, struct vcpu_exit *exit)
{
	enum vcpu_action act = VCPU_CONTINUE;
	unsigned int size = exit->io.size;
	uint32_t i;

	if (exit->io.port == PORT_POST) {
		/* the early-boot storm's port: never take the lock for it */
		atomic_fetch_add_explicit(&p->post_writes, exit->io.count, memory_order_relaxed);
		if (!exit->io.out)
			memset(exit->io.data, 0xff, (size_t)size * exit->io.count);
		return VCPU_CONTINUE;
	}
	if (size != 1 && size != 2 && size != 4)
		size = 1;	/* cannot happen on x86; never index past the data page */
	if (exit->io.port == PORT_DEBUGCON) {
		/*
		 * Its own lock: a stderr that blocks must not hold up the board's
		 * lock, which a quit takes.
		 */
		/* a thread stuck here is blocked on stderr, not lost in the guest: say so */
		atomic_store(&vcpu->in_console, true);
		pthread_mutex_lock(&p->con_lock);
		for (i = 0; i < (uint32_t)size * exit->io.count; i++) {
			if (exit->io.out)
				console_put(p, vcpu->id, exit->io.data[i]);
			else
				exit->io.data[i] = 0xe9;	/* QEMU's debugcon reads back its port */
		}
		pthread_mutex_unlock(&p->con_lock);
		atomic_store(&vcpu->in_console, false);
		return VCPU_CONTINUE;
	}

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < exit->io.count && act == VCPU_CONTINUE; i++)
		act = port_access(p, vcpu, exit->io.port, size, exit->io.out,
				  exit->io.data + (size_t)i * size);
	pthread_mutex_unlock(&p->lock);
	return act;
}

static enum vcpu_action guest_crashed(struct platform *p, struct vcpu *vcpu,
				      const struct vcpu_exit *exit)
{
	pthread_mutex_lock(&p->lock);
	if (p->crash_vcpu < 0) {
		p->crash_vcpu = (int)vcpu->id;
		p->crash_exit = *exit;
	}
	finish_locked(p);
	pthread_mutex_unlock(&p->lock);
	return VCPU_STOP;
}

enum vcpu_action platform__handle_exit(void *ctx, struct vcpu *vcpu, struct vcpu_exit *exit)
{
	struct platform *p = ctx;

	switch (exit->kind) {
	case VEXIT_IO:
		return handle_io(p, vcpu, exit);
	case VEXIT_MMIO:
		/* writes to the read-only ROM land here; reads of holes float high */
		atomic_fetch_add_explicit(&p->mmio_exits, 1, memory_order_relaxed);
		if (!exit->mmio.write)
			memset(exit->mmio.data, 0xff, exit->mmio.len <= 8 ? exit->mmio.len : 8);
		return VCPU_CONTINUE;
	case VEXIT_HLT:
		/* only without an in-kernel LAPIC; nothing will wake it */
		return VCPU_STOP;
	case VEXIT_SHUTDOWN:
	case VEXIT_INTERNAL:
	case VEXIT_FAIL_ENTRY:
	case VEXIT_OTHER:
		return guest_crashed(p, vcpu, exit);
	}
	return guest_crashed(p, vcpu, exit);
}

void platform__run_failed(void *ctx, struct vcpu *vcpu, int err)
{
	struct platform *p = ctx;

	pthread_mutex_lock(&p->lock);
	if (!p->vmm_error) {
		p->vmm_error = err;
		p->vmm_error_vcpu = (int)vcpu->id;
	}
	finish_locked(p);
	pthread_mutex_unlock(&p->lock);
}

void platform__abort(struct platform *p, enum platform_abort why, uint64_t t_ns)
{
	pthread_mutex_lock(&p->lock);
	/* a boot that already ended on its own (or ran out of time) keeps that ending */
	if (p->abort == ABORT_NONE && !p->finished) {
		p->abort = why;
		p->t_abort_ns = t_ns;
	}
	finish_locked(p);
	pthread_mutex_unlock(&p->lock);
}

void platform__time_out(struct platform *p)
{
	pthread_mutex_lock(&p->lock);
	finish_locked(p);
	pthread_mutex_unlock(&p->lock);
}

bool platform__wait(struct platform *p, uint64_t deadline_ns)
{
	bool done;

	pthread_mutex_lock(&p->lock);
	while (!p->finished && now_ns() < deadline_ns)
		timed_wait_until(&p->cond, &p->lock, deadline_ns);
	done = p->finished;
	pthread_mutex_unlock(&p->lock);
	return done;
}
