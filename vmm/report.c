// SPDX-License-Identifier: GPL-2.0-only
/* TAP, JSON and JUnit writers, plus the host facts every report carries. */
#include "report.h"
#include "devices/platform.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void host_info_gather(struct host_info *h, const char *accel_name)
{
	struct accel_caps c;
	struct utsname u;
	FILE *f;
	char line[256];

	memset(h, 0, sizeof(*h));
	if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%.40s %.80s", u.sysname, u.release);
	snprintf(h->cpu_model, sizeof(h->cpu_model), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) || !colon)
				continue;
			colon += 2;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", colon);
			break;
		}
		fclose(f);
	}
	h->probe_err = accel_select(accel_name, &h->ops, &h->caps, h->accel_why,
				    sizeof(h->accel_why));
	h->accel_ok = h->probe_err == 0;
	h->accel = h->ops ? h->ops->name : "none";
	h->kvm_err = kvm_accel_ops.probe(&c, h->kvm_why, sizeof(h->kvm_why));
	h->mshv_err = mshv_accel_ops.probe(&c, h->mshv_why, sizeof(h->mshv_why));
	h->kvm_ok = !h->kvm_err;
	h->mshv_ok = !h->mshv_err;
}

/*
 * A backend's state in one word, from its probe: a device that is there but
 * not ours to open is not "absent", and the fix (a group, a udev rule) differs.
 */
static const char *backend_state(int err)
{
	switch (err) {
	case 0:
		return "available";
	case -ENODEV:
		return "absent";
	case -EACCES:
	case -EPERM:
		return "not-permitted";
	default:
		return "unusable";
	}
}

static const char *backend_state_text(int err)
{
	switch (err) {
	case -ENODEV:
		return "absent: ";
	case -EACCES:
	case -EPERM:
		return "present, not permitted: ";
	default:
		return "unusable: ";
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void caps_json(FILE *f, const struct accel_caps *c)
{
	fprintf(f, "{\"IRQCHIP\": %d, \"SPLIT_IRQCHIP\": %d, \"IMMEDIATE_EXIT\": %d, "
		   "\"MP_STATE\": %d, \"VCPU_EVENTS\": %d, \"READONLY_MEM\": %d, \"X86_SMM\": %d, "
		   "\"GET_TSC_KHZ\": %d, \"NR_VCPUS\": %d, \"MAX_VCPUS\": %d, \"MAX_VCPU_ID\": %d, "
		   "\"X2APIC_API\": %d}",
		c->irqchip, c->split_irqchip, c->immediate_exit, c->mp_state, c->vcpu_events,
		c->readonly_mem, c->smm, c->tsc_khz, c->nr_vcpus, c->max_vcpus, c->max_vcpu_id,
		c->x2apic);
}

static void qemu_host_json(FILE *f, const struct qemu_host *q)
{
	const char *const kv[][2] = {
		{ "binary", q->binary }, { "version", q->version }, { "package", q->package },
		{ "machine", q->machine }, { "accel", q->accel },
	};
	size_t i;

	fputs(", \"qemu\": {", f);
	for (i = 0; i < ARRAY_SIZE(kv); i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", kv[i][0]);
		json_str(f, kv[i][1]);
	}
	fputc('}', f);
}

static void host_json(FILE *f, const struct host_info *h, const struct qemu_host *q,
		      bool alone)
{
	fputc('{', f);
	/* on its own (info --json) it says what it is, as every JSON hvsmoke writes */
	if (alone)
		fprintf(f, "\"schema_version\": %d, \"kind\": \"hvsmoke-host\", ",
			REPORT_SCHEMA_VERSION);
	fputs("\"kernel\": ", f);
	json_str(f, h->kernel);
	fputs(", \"cpu_model\": ", f);
	json_str(f, h->cpu_model);
	fputs(", \"accel\": ", f);
	json_str(f, h->accel);
	fprintf(f, ", \"accel_available\": %s", h->accel_ok ? "true" : "false");
	if (!h->accel_ok) {
		fputs(", \"accel_unavailable_reason\": ", f);
		json_str(f, h->accel_why);
	}
	fprintf(f, ", \"kvm_api\": %d, \"caps\": ", h->caps.api_version);
	caps_json(f, &h->caps);
	fprintf(f, ", \"backends\": {\"kvm\": {\"available\": %s, \"state\": \"%s\", \"reason\": ",
		h->kvm_ok ? "true" : "false", backend_state(h->kvm_err));
	json_str(f, h->kvm_ok ? "" : h->kvm_why);
	fprintf(f, "}, \"mshv\": {\"available\": %s, \"state\": \"%s\", \"reason\": ",
		h->mshv_ok ? "true" : "false", backend_state(h->mshv_err));
	json_str(f, h->mshv_ok ? "" : h->mshv_why);
	fputs("}}", f);
	if (q)
		qemu_host_json(f, q);
	fputc('}', f);
}

void host_info_print(FILE *f, const struct host_info *h, bool json)
{
	const struct accel_caps *c = &h->caps;

	if (json) {
		host_json(f, h, NULL, true);
		fputc('\n', f);
		return;
	}
	fprintf(f, "kernel:          %s\n", h->kernel);
	fprintf(f, "cpu:             %s\n", h->cpu_model);
	fprintf(f, "kvm:             %s%s\n",
		h->kvm_ok ? "available" : backend_state_text(h->kvm_err),
		h->kvm_ok ? "" : h->kvm_why);
	fprintf(f, "mshv:            %s%s\n",
		h->mshv_ok ? "available" : backend_state_text(h->mshv_err),
		h->mshv_ok ? "" : h->mshv_why);
	if (!h->accel_ok) {
		fprintf(f, "%s:             unavailable: %s\n", h->accel, h->accel_why);
		return;
	}
	fprintf(f, "%s api:         %d\n", h->accel, c->api_version);
	fprintf(f, "IRQCHIP:         %d\nSPLIT_IRQCHIP:   %d\nIMMEDIATE_EXIT:  %d\n", c->irqchip,
		c->split_irqchip, c->immediate_exit);
	fprintf(f, "MP_STATE:        %d\nVCPU_EVENTS:     %d\nREADONLY_MEM:    %d\n", c->mp_state,
		c->vcpu_events, c->readonly_mem);
	fprintf(f, "X86_SMM:         %d%s\n", c->smm, c->smm ? "" : "  (SMM checks will skip)");
	fprintf(f, "GET_TSC_KHZ:     %d\nNR_VCPUS:        %d\nMAX_VCPUS:       %d\n", c->tsc_khz,
		c->nr_vcpus, c->max_vcpus);
	fprintf(f, "MAX_VCPU_ID:     %d\nX2APIC_API:      %d%s\n", c->max_vcpu_id, c->x2apic,
		c->x2apic ? "" : "  (no x2APIC mode: at most 255 CPUs)");
}

void summary_init(struct run_summary *s, const char *accel, unsigned int cpus, uint64_t seed)
{
	struct tm tm;
	time_t now;

	memset(s, 0, sizeof(*s));
	s->accel = accel;
	s->cpus = cpus;
	s->seed = seed;
	s->verdict = "pass";
	s->sync_policy = "fixed";
	s->target = "native";
	s->ipi_pattern = "hvsmoke";
	snprintf(s->sync_hammer, sizeof(s->sync_hammer), "off");
	s->t_start_ns = now_ns();
	s->scenario.sync_targets = "all";
	s->scenario.kick = "exit-request";
	s->scenario.fw_source = "embedded";
	s->scenario.apic_mode = "xapic";
	snprintf(s->scenario.quit_at, sizeof(s->scenario.quit_at), "never");
	snprintf(s->scenario.fw_variant, sizeof(s->scenario.fw_variant), "standard");
	now = time(NULL);
	if (gmtime_r(&now, &tm))
		strftime(s->started_utc, sizeof(s->started_utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void firmware_identify(struct scenario_info *sc, const uint8_t *fw, size_t size, bool embedded)
{
	static const char tag[] = "hvsmoke-fw:variant=";
	const uint8_t *p = memmem(fw, size, tag, sizeof(tag) - 1);
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i, n = 0;

	sc->fw_source = embedded ? "embedded" : "file";
	sc->fw_size = size;
	for (i = 0; i < size; i++)
		h = (h ^ fw[i]) * 0x100000001b3ull;
	sc->fw_fnv1a64 = h;
	snprintf(sc->fw_variant, sizeof(sc->fw_variant), "custom");
	if (!p)
		return;
	/* a name is lower-case letters and dashes, NUL-terminated inside the image */
	p += sizeof(tag) - 1;
	while (p + n < fw + size && n + 1 < sizeof(sc->fw_variant) &&
	       ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '-'))
		n++;
	if (n && p + n < fw + size && !p[n])
		snprintf(sc->fw_variant, sizeof(sc->fw_variant), "%.*s", (int)n, (const char *)p);
}

/* Sync requests (QEMU target: monitor commands) served per second the hammer ran. */
static double syncs_per_s(const struct run_summary *s)
{
	return s->hammer_ns ? (double)s->syncs * 1e9 / (double)s->hammer_ns : 0.0;
}

/* Full sweeps per second over the time the hammer ran. */
static double sync_rate_hz(const struct run_summary *s)
{
	return s->hammer_ns ? (double)s->sweeps * 1e9 / (double)s->hammer_ns : 0.0;
}

static void evidence_line(char *buf, size_t len, const struct boot_result *r, unsigned int i)
{
	const struct vcpu_report *v = &r->vcpus[i];
	const struct vcpu_brief *b = &v->brief;
	char sipi[8];

	if (v->note[0] && (v->stuck || !b->valid)) {
		snprintf(buf, len, "vcpu %u: reports=%u %s", i, r->log.online[i], v->note);
		return;
	}
	if (v->note[0]) {
		/* a target without mp_state and vCPU events (QEMU): what its dump has */
		snprintf(buf, len, "vcpu %u: reports=%u cs:rip=%04x:%08llx cs_base=0x%llx smm=%s %s", i,
			 r->log.online[i], b->cs, (unsigned long long)b->rip,
			 (unsigned long long)b->cs_base, b->smm ? "1" : "0", v->note);
		return;
	}
	if (v->stuck) {
		snprintf(buf, len,
			 "vcpu %u: still in the guest: exits=%llu at the deadline, %llu 10 ms later (io_exits=%llu)",
			 i, (unsigned long long)v->exits_at_deadline,
			 (unsigned long long)v->exits_10ms_later, (unsigned long long)v->io_exits);
		return;
	}
	if (!b->valid) {
		snprintf(buf, len, "vcpu %u: reports=%u (state unavailable) exits=%llu", i,
			 r->log.online[i], (unsigned long long)v->exits);
		return;
	}
	if (b->sipi_valid)
		snprintf(sipi, sizeof(sipi), "0x%02x", b->sipi_vector);
	else
		snprintf(sipi, sizeof(sipi), "n/a");	/* KVM does not report it */
	/*
	 * The entry counts tell where a vCPU that never ran stood: an entry
	 * that took INIT/SIPI ends in EAGAIN, one the kick cut short in EINTR;
	 * entries beyond both and the exits were spent in the guest.
	 */
	snprintf(buf, len,
		 "vcpu %u: reports=%u mp_state=%s cs:rip=%04x:%08llx cs_base=0x%llx init_pending=%s sipi_vector=%s smm=%s exits=%llu entries=%llu eintr=%llu eagain=%llu",
		 i, r->log.online[i], b->mp_state_valid ? mp_state_name(b->mp_state) : "n/a", b->cs,
		 (unsigned long long)b->rip, (unsigned long long)b->cs_base,
		 !b->events_valid ? "n/a" : b->init_pending ? "1" : "0", sipi,
		 !b->events_valid ? "n/a" : b->smm ? "1" : "0", (unsigned long long)v->exits,
		 (unsigned long long)v->entries, (unsigned long long)v->eintr,
		 (unsigned long long)v->eagain);
}

void summary_add(struct run_summary *s, const struct boot_result *r)
{
	if (s->iterations_run == s->classes_cap) {
		s->classes_cap = s->classes_cap ? s->classes_cap * 2 : 1024;
		s->classes = realloc(s->classes, s->classes_cap);
		if (!s->classes)
			die(HV_EXIT_USAGE, "out of memory");
	}
	s->classes[s->iterations_run++] = (uint8_t)r->cls;
	s->class_count[r->cls]++;
	s->syncs += r->hammer.syncs;
	s->sweeps += r->hammer.sweeps;
	s->hammer_ns += r->hammer.active_ns;
	s->sync_timeouts += r->hammer.timeouts;
	s->monitor_errors += r->hammer.errors;
	s->legacy_inits += r->legacy_inits;
	if (s->iterations_run == 1 && r->log.scan_done && r->log.scan_online == r->ncpus - 1)
		/* for the bench: absolute, so an outside clock can compare it with a spawn */
		s->first_all_online_ns = r->ncpus > 1 ? r->log.t_last_online_ns :
				      r->log.t_scan_done_ns;
	if (r->cls != FC_PASS && !s->first_failure_iteration) {
		s->first_failure_iteration = r->iteration;
		s->first_failure_s = (double)(now_ns() - s->t_start_ns) / 1e9;
	}
	if (r->completion >= 0 && r->boot_ns) {
		samples_add(&s->boot_us, r->boot_ns / 1000);
		samples_add(&s->boot_iter, r->iteration);
	}
	/* a reservoir: a night of `max` would otherwise keep every command's latency */
	for (size_t k = 0; k < r->monitor_us.n; k++) {
		uint64_t slot = s->monitor_seen++;

		if (s->monitor_us.n < REPORT_MAX_MONITOR_SAMPLES) {
			samples_add(&s->monitor_us, r->monitor_us.v[k]);
			continue;
		}
		slot = rng_next(&s->monitor_rng) % (slot + 1);
		if (slot < s->monitor_us.n)
			s->monitor_us.v[slot] = r->monitor_us.v[k];
	}
	if (r->abort == ABORT_QUIT) {
		s->quits++;
		if (!r->stuck_threads)
			samples_add(&s->quit_us, r->quit_latency_ns / 1000);
	}
	if (r->cls == FC_PASS) {
		s->passed++;
		return;
	}
	s->verdict = "fail";
	s->failures_total++;
	if (s->nfailures < REPORT_MAX_FAILURES) {
		struct failure_rec *fr;
		size_t used = 0;
		unsigned int i;

		if (!s->failures)
			s->failures = xzalloc(REPORT_MAX_FAILURES * sizeof(*s->failures));
		fr = &s->failures[s->nfailures++];
		fr->iteration = r->iteration;
		fr->cls = r->cls;
		fr->notes = r->notes ? xstrdup(r->notes) : NULL;
		fr->registers = r->regdump ? xstrdup(r->regdump) : NULL;
		snprintf(fr->detail, sizeof(fr->detail), "%s", r->detail);
		for (i = 0; i < r->ncpus && used + 2 < sizeof(fr->evidence); i++) {
			if (!r->vcpus[i].evidence)
				continue;
			evidence_line(fr->evidence + used, sizeof(fr->evidence) - used, r, i);
			used = strlen(fr->evidence);
			if (used + 2 < sizeof(fr->evidence)) {
				fr->evidence[used++] = '\n';
				fr->evidence[used] = '\0';
			}
		}
	}
}

/* 0, or -1 where /proc/stat cannot be read (then the load is unknown). */
static int cpu_mark_take(struct cpu_mark *m, double live_child_cpu_s)
{
	unsigned long long v[8] = { 0 };
	struct rusage self, children;
	char line[256];
	FILE *f = fopen("/proc/stat", "r");
	int n = 0;

	if (!f)
		return -1;
	/* user nice system idle iowait irq softirq steal; guest time is inside user */
	if (fgets(line, sizeof(line), f))
		n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return -1;
	m->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	m->idle = v[3] + v[4];
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	m->own_s = live_child_cpu_s + (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
			    children.ru_utime.tv_sec + children.ru_stime.tv_sec) +
		   (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
			    children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
	return 0;
}

void summary_load_start(struct run_summary *s, double live_child_cpu_s)
{
	s->load_known = !cpu_mark_take(&s->load_start, live_child_cpu_s);
}

void summary_load_end(struct run_summary *s, double live_child_cpu_s)
{
	struct cpu_mark end;
	double total_s, busy_s, hz = (double)sysconf(_SC_CLK_TCK);

	if (!s->load_known || cpu_mark_take(&end, live_child_cpu_s) || end.total <= s->load_start.total || hz <= 0) {
		s->load_known = false;
		return;
	}
	total_s = (double)(end.total - s->load_start.total) / hz;
	busy_s = total_s - (double)(end.idle - s->load_start.idle) / hz;
	s->load_busy = busy_s / total_s;
	s->load_own = (end.own_s - s->load_start.own_s) / total_s;
	/* jiffies and rusage tick apart: a clamp, not a measurement */
	if (s->load_own > s->load_busy)
		s->load_own = s->load_busy;
	s->load_foreign = s->load_busy - s->load_own;
}

void summary_free(struct run_summary *s)
{
	for (size_t k = 0; k < s->nfailures; k++) {
		free(s->failures[k].notes);
		free(s->failures[k].registers);
	}
	free(s->monitor_us.v);
	s->monitor_us.v = NULL;
	free(s->boot_us.v);
	free(s->boot_iter.v);
	s->boot_iter.v = NULL;
	free(s->quit_us.v);
	free(s->failures);
	free(s->classes);
	s->classes = NULL;
	s->boot_us.v = NULL;
	s->quit_us.v = NULL;
	s->failures = NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void samples_add(struct samples *s, uint64_t us)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die(HV_EXIT_USAGE, "out of memory");
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

size_t samples_rank(size_t n, double q)
{
	size_t k = (size_t)(q * (double)n + 0.999999);

	return !k ? 1 : k > n ? n : k;
}

uint32_t samples_percentile(const struct samples *s, double p)
{
	uint32_t *sorted;
	uint32_t v;

	if (!s->n)
		return 0;
	sorted = xzalloc(s->n * sizeof(*sorted));
	memcpy(sorted, s->v, s->n * sizeof(*sorted));
	qsort(sorted, s->n, sizeof(*sorted), cmp_u32);
	v = sorted[samples_rank(s->n, p / 100.0) - 1];
	free(sorted);
	return v;
}

void tap_header(FILE *f, const struct run_summary *s, unsigned int iterations_planned)
{
	fprintf(f, "TAP version 13\n");
	fprintf(f, "# hvsmoke accel=%s cpus=%u seed=%llu", s->accel, s->cpus,
		(unsigned long long)s->seed);
	if (s->qemu)
		fprintf(f, " target=qemu qemu=%s machine=%s ipi-pattern=%s", s->qemu->version,
			s->qemu->machine, s->ipi_pattern);
	else if (strcmp(s->ipi_pattern, "hvsmoke"))
		fprintf(f, " ipi-pattern=%s", s->ipi_pattern);
	fputc('\n', f);
	if (iterations_planned)
		fprintf(f, "1..%u\n", iterations_planned);
	fflush(f);
}

/* A YAML literal block, two spaces in under the key. */
static void yaml_block(FILE *f, const char *key, const char *text)
{
	const char *p = text;

	fprintf(f, "  %s: |\n", key);
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(f, "    %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

void tap_dump(FILE *f, const struct boot_result *r)
{
	const char *p = r->regdump;

	if (!p)
		return;
	fprintf(f, "# info registers -a (boot %u)\n", r->iteration);
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(f, "# %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

void tap_boot(FILE *f, const struct boot_result *r)
{
	unsigned int i, online = 1;
	char line[512];

	for (i = 0; i < r->ncpus; i++)
		if (r->log.online[i] && !(r->log.boot_seen && i == r->log.bsp_apic))
			online++;
	if (r->cls == FC_PASS && r->abort == ABORT_QUIT && r->completion < 0) {
		fprintf(f, "ok %u - boot %u: quit %s after %llu us, all %u vCPU threads out in %llu us\n",
			r->iteration, r->iteration, r->quit_internal ? "(--quit-at)" : "(monitor)",
			(unsigned long long)(r->quit_after_ns / 1000), r->ncpus,
			(unsigned long long)(r->quit_latency_ns / 1000));
		return;
	}
	if (r->cls == FC_PASS) {
		fprintf(f, "ok %u - boot %u: %u/%u CPUs online, %llu us\n", r->iteration,
			r->iteration, online, r->ncpus, (unsigned long long)(r->boot_ns / 1000));
		return;
	}
	fprintf(f, "not ok %u - boot %u: %s\n", r->iteration, r->iteration,
		fail_class_name(r->cls));
	fprintf(f, "  ---\n");
	fprintf(f, "  class: %s\n", fail_class_name(r->cls));
	fprintf(f, "  detail: ");
	json_str(f, r->detail);
	fprintf(f, "\n  seed: %llu\n", (unsigned long long)r->seed);
	fprintf(f, "  firmware: {completion: %s0x%02x, boot_event: %s, scan_done: %s, scan_online: %u, expected: %u, phases: 0x%x, errors: %u}\n",
		r->completion < 0 ? "none " : "", r->completion < 0 ? 0 : r->completion,
		r->log.boot_seen ? "true" : "false", r->log.scan_done ? "true" : "false",
		r->log.scan_online, r->log.expected, r->log.phases, r->log.errors);
	fprintf(f, "  online_reports: [");
	for (i = 0; i < r->ncpus; i++)
		fprintf(f, "%s%u", i ? ", " : "", r->log.online[i]);
	fprintf(f, "]\n");
	if (r->hammer.sweeps || r->sync_fetches)
		fprintf(f, "  syncs: {served: %llu, sweeps: %llu, timeouts: %llu, legacy_inits: %llu}\n",
			(unsigned long long)r->hammer.syncs, (unsigned long long)r->hammer.sweeps,
			(unsigned long long)r->hammer.timeouts, (unsigned long long)r->legacy_inits);
	fprintf(f, "  evidence:\n");
	for (i = 0; i < r->ncpus; i++) {
		if (!r->vcpus[i].evidence)
			continue;
		evidence_line(line, sizeof(line), r, i);
		fprintf(f, "    - \"%s\"\n", line);
	}
	if (r->regdump)
		yaml_block(f, "registers", r->regdump);
	if (r->notes)
		yaml_block(f, "vmm", r->notes);
	fprintf(f, "  ...\n");
	fflush(f);
}

void tap_footer(FILE *f, const struct run_summary *s, bool plan_at_end)
{
	if (plan_at_end)
		fprintf(f, "1..%u\n", s->iterations_run + (s->smm_skip[0] ? 1 : 0));
	fprintf(f, "# verdict: %s, %u of %u boots passed", s->verdict, s->passed, s->iterations_run);
	for (int c = 1; c < FC_COUNT; c++)
		if (s->class_count[c])
			fprintf(f, ", %s=%u", fail_class_name((enum fail_class)c), s->class_count[c]);
	if (s->sweeps && !s->qemu)
		fprintf(f, "\n# sync hammer %s, policy %s: %llu syncs, %.0f sweeps/s",
			s->sync_hammer, s->sync_policy, (unsigned long long)s->syncs,
			sync_rate_hz(s));
	if (s->monitor_us.n)
		fprintf(f, "\n# monitor hammer: %llu commands answered, %.0f/s, latency_us p50=%u p99=%u max=%u",
			(unsigned long long)s->syncs,
			syncs_per_s(s),
			samples_percentile(&s->monitor_us, 50), samples_percentile(&s->monitor_us, 99),
			samples_percentile(&s->monitor_us, 100));
	if (s->quit_us.n)
		fprintf(f, "\n# %u quits (%zu on time): quit_latency_us p50=%u p99=%u max=%u",
			s->quits, s->quit_us.n, samples_percentile(&s->quit_us, 50),
			samples_percentile(&s->quit_us, 99), samples_percentile(&s->quit_us, 100));
	else if (s->quits)
		fprintf(f, "\n# %u quits, none on time", s->quits);
	fprintf(f, "\n# boot_us p50=%u p90=%u p99=%u max=%u; %.1f boots/s\n",
		samples_percentile(&s->boot_us, 50), samples_percentile(&s->boot_us, 90), samples_percentile(&s->boot_us, 99),
		samples_percentile(&s->boot_us, 100),
		s->elapsed_s > 0 ? s->iterations_run / s->elapsed_s : 0.0);
	fflush(f);
}

/*
 * This process's own peak RSS (VmHWM). Unlike getrusage's ru_maxrss it does
 * not carry the high-water mark of whatever forked us across the exec.
 */
static long peak_rss_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * The known-bad modes this run switched on: each is there to make boots
 * fail, so a comparison expects it to keep firing.
 */
static size_t positive_controls(const struct run_summary *s, const char *out[3])
{
	size_t n = 0;

	if (!strcmp(s->sync_policy, "legacy-smm") || !strcmp(s->sync_policy, "legacy-init"))
		out[n++] = s->sync_policy;
	if (!strcmp(s->scenario.kick, "legacy-signal"))
		out[n++] = "legacy-signal";
	if (!strcmp(s->scenario.fw_variant, "no-sipi"))
		out[n++] = "no-sipi-firmware";
	return n;
}

static void json_str_or_null(FILE *f, const char *v)
{
	if (v)
		json_str(f, v);
	else
		fputs("null", f);
}

static void scenario_json(FILE *f, const struct run_summary *s)
{
	const struct scenario_info *sc = &s->scenario;
	const char *ctl[3];
	size_t i, n = positive_controls(s, ctl);

	fprintf(f, "  \"scenario\": {\"target\": \"%s\", \"accel\": ", s->target);
	json_str(f, s->accel);
	fprintf(f, ", \"cpus\": %u, \"ipi_pattern\": \"%s\", \"sync_policy\": \"%s\", "
		   "\"sync_hammer\": \"%s\", \"sync_targets\": \"%s\", \"kick\": \"%s\",\n",
		s->cpus, s->ipi_pattern, s->sync_policy, s->sync_hammer, sc->sync_targets, sc->kick);
	fprintf(f, "    \"storm_ms\": %u, \"quit_at\": \"%s\", \"quit_deadline_ms\": %u, "
		   "\"boot_timeout_ms\": %u, \"smm\": \"%s\", \"apic_mode\": \"%s\", \"reuse\": %s,\n",
		sc->storm_ms, sc->quit_at, sc->quit_deadline_ms, sc->boot_timeout_ms,
		s->smm_mode ? s->smm_mode : "auto", sc->apic_mode, sc->reuse ? "true" : "false");
	fprintf(f, "    \"firmware\": {\"variant\": \"%s\", \"source\": \"%s\", \"size\": %zu, "
		   "\"fnv1a64\": \"%016llx\"},\n    \"machine\": ",
		sc->fw_variant, sc->fw_source, sc->fw_size, (unsigned long long)sc->fw_fnv1a64);
	json_str_or_null(f, sc->machine);
	fputs(", \"qemu_accel\": ", f);
	json_str_or_null(f, sc->qemu_accel);
	fputs(", \"positive_controls\": [", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", ctl[i]);
	fprintf(f, "],\n    \"iterations\": %u, \"duration_s\": %u, \"stop_on_failure\": %s},\n",
		sc->iterations, sc->duration_s, sc->stop_on_failure ? "true" : "false");
}

/* Every k-th sample, so that at most REPORT_MAX_JSON_SAMPLES are written. */
static bool samples_json(FILE *f, const char *key, const struct samples *v, bool last)
{
	size_t step = v->n > REPORT_MAX_JSON_SAMPLES ?
		      (v->n + REPORT_MAX_JSON_SAMPLES - 1) / REPORT_MAX_JSON_SAMPLES : 1;
	size_t i, k = 0;

	fprintf(f, "    \"%s\": [", key);
	for (i = 0; i < v->n; i += step, k++)
		fprintf(f, "%s%s%u", k ? "," : "", k && !(k % 20) ? "\n      " : "", v->v[i]);
	fprintf(f, "]%s\n", last ? "" : ",");
	return step > 1;
}

/* One letter per boot, in order: where in a run the failures fell. */
static const char class_letter[FC_COUNT] = {
	[FC_PASS] = 'P', [FC_AP_MISSING] = 'A', [FC_AP_DUPLICATE] = 'D', [FC_AP_RESET] = 'R',
	[FC_BOOT_TIMEOUT] = 'T', [FC_GUEST_CRASH] = 'C', [FC_VMM_ERROR] = 'E',
	[FC_QUIT_TIMEOUT] = 'Q', [FC_SMM_MISSING] = 'S', [FC_SMM_STUCK] = 'K',
	[FC_SMM_RELOCATION] = 'L',
};
_Static_assert(FC_COUNT == 11, "a new failure class needs its letter in class_letter");

static void samples_block_json(FILE *f, const struct run_summary *s)
{
	bool thinned;
	unsigned int i;

	fputs("  \"samples\": {\n", f);
	thinned = samples_json(f, "boot_us", &s->boot_us, false);
	samples_json(f, "boot_iteration", &s->boot_iter, false);
	thinned |= samples_json(f, "quit_us", &s->quit_us, false);
	thinned |= samples_json(f, "monitor_us", &s->monitor_us, false);
	fprintf(f, "    \"truncated\": %s\n  },\n  \"boot_classes\": \"", thinned ? "true" : "false");
	for (i = 0; i < s->iterations_run; i++)
		fputc(class_letter[s->classes[i]], f);
	fputs("\",\n", f);
}

int json_write(const char *path, const struct run_summary *s, const struct host_info *h,
	       char *why, size_t len)
{
	struct out_file of;
	FILE *f;
	size_t i;

	if (out_file_open(&of, path, why, len))
		return -1;
	f = of.f;
	fprintf(f, "{\n  \"schema_version\": %d,\n  \"kind\": \"hvsmoke-run\",\n"
		   "  \"hvsmoke_version\": \"%s\",\n  \"started_utc\": \"%s\",\n",
		REPORT_SCHEMA_VERSION, HVSMOKE_VERSION, s->started_utc);
	fputs("  \"verdict\": ", f);
	json_str(f, s->verdict);
	if (s->skip_reason[0]) {
		fputs(",\n  \"skip_reason\": ", f);
		json_str(f, s->skip_reason);
	}
	fprintf(f, ",\n  \"target\": \"%s\",\n  \"ipi_pattern\": \"%s\"", s->target,
		s->ipi_pattern);
	fprintf(f, ",\n  \"seed\": %llu,\n  \"accel\": ", (unsigned long long)s->seed);
	json_str(f, s->accel);
	fprintf(f, ",\n  \"cpus\": %u,\n  \"iterations_run\": %u,\n  \"passed\": %u,\n",
		s->cpus, s->iterations_run, s->passed);
	fprintf(f, "  \"classes\": {");
	for (int c = 0; c < FC_COUNT; c++)
		fprintf(f, "%s\"%s\": %u", c ? ", " : "", fail_class_name((enum fail_class)c),
			s->class_count[c]);
	fprintf(f, "},\n  \"failures_total\": %u,\n  \"failures\": [", s->failures_total);
	for (i = 0; i < s->nfailures; i++) {
		fprintf(f, "%s\n    {\"iteration\": %u, \"class\": \"%s\", \"detail\": ", i ? "," : "",
			s->failures[i].iteration, fail_class_name(s->failures[i].cls));
		json_str(f, s->failures[i].detail);
		fputs(", \"evidence\": ", f);
		json_str(f, s->failures[i].evidence);
		if (s->failures[i].registers) {
			fputs(", \"registers\": ", f);
			json_str(f, s->failures[i].registers);
		}
		if (s->failures[i].notes) {
			fputs(", \"vmm_evidence\": ", f);
			json_str(f, s->failures[i].notes);
		}
		fputc('}', f);
	}
	fprintf(f, "%s],\n", s->nfailures ? "\n  " : "");
	fprintf(f, "  \"boot_us\": {\"p50\": %u, \"p90\": %u, \"p99\": %u, \"max\": %u, \"samples\": %zu},\n",
		samples_percentile(&s->boot_us, 50), samples_percentile(&s->boot_us, 90), samples_percentile(&s->boot_us, 99),
		samples_percentile(&s->boot_us, 100), s->boot_us.n);
	fprintf(f, "  \"sync_policy\": \"%s\",\n  \"sync_hammer\": \"%s\",\n", s->sync_policy,
		s->sync_hammer);
	fprintf(f, "  \"smm\": {\"mode\": \"%s\", \"ran\": %s, \"skip_reason\": ",
		s->smm_mode ? s->smm_mode : "auto", s->smm_ran ? "true" : "false");
	if (s->smm_skip[0])
		json_str(f, s->smm_skip);
	else
		fputs("null", f);
	fputs("},\n", f);
	fprintf(f, "  \"syncs\": %llu,\n  \"sync_rate_hz\": %.1f,\n  \"syncs_per_s\": %.1f,\n",
		(unsigned long long)s->syncs, sync_rate_hz(s),
		syncs_per_s(s));
	fprintf(f, "  \"sync_timeouts\": %llu,\n  \"legacy_inits\": %llu,\n",
		(unsigned long long)s->sync_timeouts, (unsigned long long)s->legacy_inits);
	fprintf(f, "  \"quits\": %u,\n  \"quit_latency_us\": {\"p50\": %u, \"p90\": %u, \"p99\": %u, \"max\": %u, \"samples\": %zu},\n",
		s->quits, samples_percentile(&s->quit_us, 50), samples_percentile(&s->quit_us, 90),
		samples_percentile(&s->quit_us, 99), samples_percentile(&s->quit_us, 100),
		s->quit_us.n);
	if (s->qemu)
		fprintf(f, "  \"monitor\": {\"commands\": %llu, \"errors\": %llu, \"timeouts\": %llu, \"commands_per_s\": %.1f, \"latency_us\": {\"p50\": %u, \"p90\": %u, \"p99\": %u, \"max\": %u, \"samples\": %zu}},\n",
			(unsigned long long)s->syncs, (unsigned long long)s->monitor_errors,
			(unsigned long long)s->sync_timeouts,
			syncs_per_s(s),
			samples_percentile(&s->monitor_us, 50), samples_percentile(&s->monitor_us, 90),
			samples_percentile(&s->monitor_us, 99), samples_percentile(&s->monitor_us, 100),
			s->monitor_us.n);
	if (s->first_failure_iteration)
		fprintf(f, "  \"first_failure\": {\"iteration\": %u, \"seconds\": %.3f},\n",
			s->first_failure_iteration, s->first_failure_s);
	else
		fputs("  \"first_failure\": null,\n", f);
	scenario_json(f, s);
	samples_block_json(f, s);
	if (s->load_known)
		fprintf(f, "  \"host_load\": {\"busy\": %.3f, \"own\": %.3f, \"foreign\": %.3f},\n",
			s->load_busy, s->load_own, s->load_foreign);
	else
		fputs("  \"host_load\": null,\n", f);
	fprintf(f, "  \"peak_rss_kib\": %ld,\n", peak_rss_kib());
	fprintf(f, "  \"first_all_online_monotonic_ns\": %llu,\n",
		(unsigned long long)s->first_all_online_ns);
	fprintf(f, "  \"elapsed_s\": %.3f,\n  \"boots_per_s\": %.1f,\n  \"host\": ", s->elapsed_s,
		s->elapsed_s > 0 ? s->iterations_run / s->elapsed_s : 0.0);
	host_json(f, h, s->qemu, false);
	fputs("\n}\n", f);
	return out_file_commit(&of, why, len);
}


void xml_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, f);
		}
	}
}

int junit_write(const char *path, const struct run_summary *s, char *why, size_t len)
{
	struct out_file of;
	FILE *f;
	size_t next = 0;
	unsigned int it;

	if (out_file_open(&of, path, why, len))
		return -1;
	f = of.f;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuite name=\"hvsmoke\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\">\n",
		s->iterations_run ? s->iterations_run : (s->skip_reason[0] ? 1 : 0),
		s->failures_total, s->skip_reason[0] ? 1 : 0, s->elapsed_s);
	if (s->skip_reason[0]) {
		fprintf(f, "  <testcase classname=\"hvsmoke.%s\" name=\"boot\"><skipped message=\"",
			s->accel);
		xml_str(f, s->skip_reason);
		fprintf(f, "\"/></testcase>\n");
	}
	for (it = 1; it <= s->iterations_run; it++) {
		const struct failure_rec *fr = NULL;

		if (next < s->nfailures && s->failures[next].iteration == it)
			fr = &s->failures[next++];
		fprintf(f, "  <testcase classname=\"hvsmoke.%s.cpus%u\" name=\"boot %u\"", s->accel,
			s->cpus, it);
		if (!fr && s->classes[it - 1] == FC_PASS) {
			fputs("/>\n", f);
			continue;
		}
		if (!fr) {
			/* past REPORT_MAX_FAILURES only the class was kept */
			fprintf(f, "><failure type=\"%s\" message=\"details not kept (more than %d failures)\"/></testcase>\n",
				fail_class_name((enum fail_class)s->classes[it - 1]),
				REPORT_MAX_FAILURES);
			continue;
		}
		fprintf(f, "><failure type=\"%s\" message=\"", fail_class_name(fr->cls));
		xml_str(f, fr->detail);
		fputs("\">", f);
		xml_str(f, fr->evidence);
		if (fr->notes)
			xml_str(f, fr->notes);
		fputs("</failure></testcase>\n", f);
	}
	fputs("</testsuite>\n", f);
	return out_file_commit(&of, why, len);
}
