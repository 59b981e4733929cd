// SPDX-License-Identifier: GPL-2.0-only
/*
 * hvsmoke compare BASE.json NEW.json: one TAP test point per comparison.
 *
 * Regressions: a failure class NEW has and BASE had not; a positive control
 * that fired in BASE and is silent in NEW; a latency quantile slower beyond
 * noise and past --max-slowdown; a host capability BASE had and NEW lacks.
 * Everything else that changed (the kernel, a capability gained, another
 * seed) is a note. Two files that describe different workloads are not
 * compared at all: that is bad input, not a verdict.
 */
#include "compare.h"
#include "report.h"
#include "util.h"
#include "verdict.h"

#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMP_MAX_FILE	(256u << 20)

/* One run's JSON, checked field by field as it is read. */
struct run_view {
	const char *role;		/* "BASE" or "NEW" */
	const char *path;
	json_t *j;
	char *why;
	size_t len;
	bool bad;			/* the first problem is in why */

	const char *verdict, *skip_reason, *kernel, *cpu_model, *started, *version;
	uint64_t seed;
	unsigned int iterations_run, failures_total;
	unsigned int class_count[FC_COUNT];
	json_t *scenario, *host, *caps;
	const char *controls[8];
	size_t ncontrols;
	double first_failure_s;		/* < 0: none */
	double foreign_load;		/* < 0: unknown (host_load null) */
	bool smm_ran;
	bool kvm_ok, mshv_ok;
	const char *qemu_version, *qemu_package;	/* NULL: not the QEMU target */
	struct {
		uint32_t *v;
		size_t n;
	} lat[3];
};

static const char *const lat_names[3] = { "boot_us", "quit_us", "monitor_us" };
static const char *const lat_titles[3] = { "boot latency (boots that passed)", "quit latency",
					    "monitor latency" };

/* The keys that make a workload: two runs differing in any are not comparable. */
static const char *const identity_keys[] = {
	"target", "accel", "cpus", "ipi_pattern", "sync_hammer", "sync_targets", "storm_ms",
	"quit_at", "quit_deadline_ms", "boot_timeout_ms", "smm", "apic_mode", "reuse", "machine",
	"qemu_accel",
};

/* How each positive control shows itself: these classes are it firing, not news. */
static const struct {
	const char *control;
	const char *classes[5];
} control_signature[] = {
	{ "legacy-smm", { "ap-missing", "boot-timeout" } },
	{ "legacy-init", { "ap-missing", "ap-duplicate", "ap-reset", "boot-timeout" } },
	{ "legacy-signal", { "quit-timeout" } },
	{ "no-sipi-firmware", { "ap-missing", "boot-timeout" } },
};

static const char *const cap_names[] = {
	"IRQCHIP", "SPLIT_IRQCHIP", "IMMEDIATE_EXIT", "MP_STATE", "VCPU_EVENTS", "READONLY_MEM",
	"X86_SMM", "GET_TSC_KHZ", "NR_VCPUS", "MAX_VCPUS",
};

/*
 * Text from a file goes into TAP lines, YAML, JUnit attributes and JSON
 * strings: control characters would make lines of their own, and a byte
 * cut out of a UTF-8 sequence by a bounded copy is not a JSON string. So
 * what is kept is printable ASCII; anything else reads '?'.
 */
static void text_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static void bad(struct run_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(struct run_view *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (v->bad)
		return;
	v->bad = true;
	n = snprintf(v->why, v->len, "%s %s: ", v->role, v->path);
	if (n < 0 || (size_t)n >= v->len)
		return;
	va_start(ap, fmt);
	vsnprintf(v->why + n, v->len - (size_t)n, fmt, ap);
	va_end(ap);
	text_clean(v->why);
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	default:
		return "null";
	}
}

/* obj.key of type t (JSON_TRUE stands for either boolean), or NULL and the run is bad. */
static json_t *member(struct run_view *v, json_t *obj, const char *where, const char *key,
		      json_type t)
{
	json_t *m = obj ? json_object_get(obj, key) : NULL;
	json_type got;

	if (!obj || v->bad)
		return NULL;
	if (!m) {
		bad(v, "%s%s%s is missing", where, *where ? "." : "", key);
		return NULL;
	}
	got = json_typeof(m);
	if (got == JSON_FALSE)
		got = JSON_TRUE;
	/* files are read with integers as reals (a seed may pass INT64_MAX) */
	if (got == JSON_REAL && t == JSON_INTEGER &&
	    json_real_value(m) == floor(json_real_value(m)))
		got = JSON_INTEGER;
	if (got != t) {
		bad(v, "%s%s%s is not %s", where, *where ? "." : "", key, type_name(t));
		return NULL;
	}
	return m;
}

static const char *str_at(struct run_view *v, json_t *obj, const char *where, const char *key)
{
	json_t *m = member(v, obj, where, key, JSON_STRING);

	return m ? json_string_value(m) : "";
}

static uint64_t uint_at(struct run_view *v, json_t *obj, const char *where, const char *key,
			uint64_t max)
{
	json_t *m = member(v, obj, where, key, JSON_INTEGER);
	double x;

	if (!m)
		return 0;
	x = json_number_value(m);
	if (x < 0 || x > (double)max) {
		bad(v, "%s%s%s: %.0f is out of range", where, *where ? "." : "", key, x);
		return 0;
	}
	return x >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)x;
}

static bool bool_at(struct run_view *v, json_t *obj, const char *where, const char *key)
{
	json_t *m = member(v, obj, where, key, JSON_TRUE);

	return m && json_is_true(m);
}

static void samples_at(struct run_view *v, json_t *samples, unsigned int k)
{
	json_t *a = member(v, samples, "samples", lat_names[k], JSON_ARRAY);
	size_t i, n = a ? json_array_size(a) : 0;

	/* the writer thins to this many: more is not a run's, and would cost minutes */
	if (n > REPORT_MAX_JSON_SAMPLES) {
		bad(v, "samples.%s has %zu entries (a run writes at most %d)", lat_names[k], n,
		    REPORT_MAX_JSON_SAMPLES);
		return;
	}
	v->lat[k].v = n ? xzalloc(n * sizeof(uint32_t)) : NULL;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		double x = json_is_number(e) ? json_number_value(e) : -1;

		if (x < 0 || x > UINT32_MAX || x != floor(x)) {
			bad(v, "samples.%s[%zu] is not a microsecond count", lat_names[k], i);
			return;
		}
		v->lat[k].v[v->lat[k].n++] = (uint32_t)x;
	}
}

/*
 * Keep the boot latencies of boots that passed: a failed boot's time is a
 * deadline, and its failure is judged by its class already.
 */
static void passing_boots_only(struct run_view *v, json_t *iters, const char *classes)
{
	size_t i, kept = 0;

	if (v->bad)
		return;
	if (json_array_size(iters) != v->lat[0].n) {
		bad(v, "samples.boot_iteration has %zu entries for %zu boot_us samples",
		    json_array_size(iters), v->lat[0].n);
		return;
	}
	for (i = 0; i < v->lat[0].n; i++) {
		double it = json_number_value(json_array_get(iters, i));

		if (it < 1 || it > v->iterations_run || it != floor(it)) {
			bad(v, "samples.boot_iteration[%zu] is not a boot of this run", i);
			return;
		}
		if (classes[(size_t)it - 1] == 'P')
			v->lat[0].v[kept++] = v->lat[0].v[i];
	}
	v->lat[0].n = kept;
}

/* Reads a file that must be a regular one: never a FIFO that would block. */
static json_t *load_json(struct run_view *v)
{
	json_error_t err;
	const char *why;
	long long size;
	json_t *j;
	int fd = in_file_open(v->path, &size, &why);

	if (fd < 0) {
		bad(v, "%s", why);
		return NULL;
	}
	if (size > CMP_MAX_FILE) {
		bad(v, "%lld bytes is too large for a run's JSON", size);
		close(fd);
		return NULL;
	}
	j = json_loadfd(fd, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	close(fd);
	if (!j) {
		bad(v, "not JSON: line %d column %d: %s", err.line, err.column, err.text);
		return NULL;
	}
	return j;
}

static void view_free(struct run_view *v)
{
	for (unsigned int k = 0; k < 3; k++)
		free(v->lat[k].v);
}

static bool has_control(const struct run_view *v, const char *name)
{
	for (size_t i = 0; i < v->ncontrols; i++)
		if (!strcmp(v->controls[i], name))
			return true;
	return false;
}

/* Everything compare reads from one run, each field's type checked. */
static void view_parse(struct run_view *v)
{
	json_t *j = v->j, *classes, *samples, *ff, *backends, *ctl, *qemu, *smm, *load;
	const char *boot_classes;
	double schema;
	size_t i;

	if (!json_is_object(j)) {
		bad(v, "not an hvsmoke run (the top level is not an object)");
		return;
	}
	if (!json_object_get(j, "schema_version")) {
		bad(v, "has no schema_version: not a run JSON of hvsmoke 0.2 or later (run it again)");
		return;
	}
	/* a double: any number a file holds, never converted out of range */
	schema = json_number_value(member(v, j, "", "schema_version", JSON_INTEGER));
	if (!v->bad && schema != REPORT_SCHEMA_VERSION) {
		bad(v, "schema_version %.6g; this hvsmoke reads %d", schema, REPORT_SCHEMA_VERSION);
		return;
	}
	if (!v->bad && strcmp(str_at(v, j, "", "kind"), "hvsmoke-run")) {
		bad(v, "kind is \"%.40s\", not \"hvsmoke-run\"", str_at(v, j, "", "kind"));
		return;
	}
	v->verdict = str_at(v, j, "", "verdict");
	if (!v->bad && strcmp(v->verdict, "pass") && strcmp(v->verdict, "fail") &&
	    strcmp(v->verdict, "skip"))
		bad(v, "verdict \"%.20s\" is not pass, fail or skip", v->verdict);
	v->skip_reason = json_string_value(json_object_get(j, "skip_reason"));
	v->version = str_at(v, j, "", "hvsmoke_version");
	v->started = str_at(v, j, "", "started_utc");
	v->seed = uint_at(v, j, "", "seed", UINT64_MAX);
	v->iterations_run = (unsigned int)uint_at(v, j, "", "iterations_run", UINT32_MAX);
	v->failures_total = (unsigned int)uint_at(v, j, "", "failures_total", UINT32_MAX);
	classes = member(v, j, "", "classes", JSON_OBJECT);
	for (i = 1; i < FC_COUNT && classes; i++)
		v->class_count[i] = (unsigned int)uint_at(v, classes, "classes",
							   fail_class_name((enum fail_class)i),
							   UINT32_MAX);
	ff = json_object_get(j, "first_failure");
	v->first_failure_s = -1;
	if (ff && !json_is_null(ff)) {
		json_t *sec = json_is_object(ff) ? json_object_get(ff, "seconds") : NULL;

		if (!json_is_number(sec) || json_number_value(sec) < 0)
			bad(v, "first_failure.seconds is not a number of seconds");
		else
			v->first_failure_s = json_number_value(sec);
	}
	/* absent (a run of 0.2.0 before it was written) reads as unknown */
	load = json_object_get(j, "host_load");
	v->foreign_load = -1;
	if (load && !json_is_null(load) &&
		 (!json_is_number(json_object_get(load, "foreign")) ||
		  json_number_value(json_object_get(load, "foreign")) < 0 ||
		  json_number_value(json_object_get(load, "foreign")) > 1))
		bad(v, "host_load.foreign is not a fraction");
	else if (load && !json_is_null(load))
		v->foreign_load = json_number_value(json_object_get(load, "foreign"));
	smm = member(v, j, "", "smm", JSON_OBJECT);
	v->smm_ran = bool_at(v, smm, "smm", "ran");

	v->scenario = member(v, j, "", "scenario", JSON_OBJECT);
	/* a run from before apic_mode was recorded ran in xAPIC mode, the only one there was */
	if (v->scenario && !json_object_get(v->scenario, "apic_mode"))
		json_object_set_new(v->scenario, "apic_mode", json_string("xapic"));
	for (i = 0; v->scenario && i < ARRAY_SIZE(identity_keys); i++)
		if (!json_object_get(v->scenario, identity_keys[i]))
			bad(v, "scenario.%s is missing", identity_keys[i]);
	if (v->scenario && member(v, v->scenario, "scenario", "cpus", JSON_INTEGER))
		uint_at(v, v->scenario, "scenario", "cpus", 1024);
	ctl = member(v, v->scenario, "scenario", "positive_controls", JSON_ARRAY);
	for (i = 0; ctl && i < json_array_size(ctl); i++) {
		json_t *e = json_array_get(ctl, i);

		/* a name: what a later hvsmoke may add, never free text */
		if (!json_is_string(e) || i >= ARRAY_SIZE(v->controls) ||
		    !json_string_length(e) || json_string_length(e) > 32 ||
		    strspn(json_string_value(e), "abcdefghijklmnopqrstuvwxyz0123456789-") !=
			    json_string_length(e)) {
			bad(v, "scenario.positive_controls[%zu] is not a control's name", i);
			break;
		}
		if (has_control(v, json_string_value(e))) {
			bad(v, "scenario.positive_controls[%zu] names %s twice", i,
			    json_string_value(e));
			break;
		}
		v->controls[v->ncontrols++] = json_string_value(e);
	}
	str_at(v, v->scenario, "scenario", "sync_policy");
	str_at(v, v->scenario, "scenario", "kick");
	member(v, v->scenario, "scenario", "firmware", JSON_OBJECT);

	samples = member(v, j, "", "samples", JSON_OBJECT);
	for (i = 0; i < 3; i++)
		samples_at(v, samples, (unsigned int)i);
	boot_classes = str_at(v, j, "", "boot_classes");
	if (!v->bad && strlen(boot_classes) != v->iterations_run)
		bad(v, "boot_classes has %zu letters for %u boots", strlen(boot_classes),
		    v->iterations_run);
	passing_boots_only(v, member(v, samples, "samples", "boot_iteration", JSON_ARRAY),
			   boot_classes);

	v->host = member(v, j, "", "host", JSON_OBJECT);
	v->kernel = str_at(v, v->host, "host", "kernel");
	v->cpu_model = str_at(v, v->host, "host", "cpu_model");
	v->caps = member(v, v->host, "host", "caps", JSON_OBJECT);
	for (i = 0; v->caps && i < ARRAY_SIZE(cap_names); i++)
		uint_at(v, v->caps, "host.caps", cap_names[i], INT32_MAX);
	backends = member(v, v->host, "host", "backends", JSON_OBJECT);
	v->kvm_ok = bool_at(v, member(v, backends, "host.backends", "kvm", JSON_OBJECT),
			    "host.backends.kvm", "available");
	v->mshv_ok = bool_at(v, member(v, backends, "host.backends", "mshv", JSON_OBJECT),
			     "host.backends.mshv", "available");
	qemu = v->host ? json_object_get(v->host, "qemu") : NULL;
	if (qemu) {
		v->qemu_version = str_at(v, qemu, "host.qemu", "version");
		v->qemu_package = str_at(v, qemu, "host.qemu", "package");
	}
}

/* The positive control, run in both, whose firing this class is; NULL if none. */
static const char *expected_by(const struct run_view *b, const struct run_view *n,
			       const char *cls)
{
	for (size_t c = 0; c < ARRAY_SIZE(control_signature); c++) {
		if (!has_control(b, control_signature[c].control) ||
		    !has_control(n, control_signature[c].control))
			continue;
		for (size_t k = 0; control_signature[c].classes[k]; k++)
			if (!strcmp(control_signature[c].classes[k], cls))
				return control_signature[c].control;
	}
	return NULL;
}

static struct cmp_check *check_add(struct cmp_result *r, enum cmp_kind kind,
				   enum cmp_outcome result, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct cmp_check *check_add(struct cmp_result *r, enum cmp_kind kind,
				   enum cmp_outcome result, const char *id, const char *fmt, ...)
{
	struct cmp_check *c;
	va_list ap;

	if (r->nchecks == CMP_MAX_CHECKS)
		die(HV_EXIT_USAGE, "compare: more than %d checks", CMP_MAX_CHECKS);
	c = &r->checks[r->nchecks++];
	c->kind = kind;
	c->result = result;
	snprintf(c->id, sizeof(c->id), "%s", id);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	text_clean(c->id);
	text_clean(c->detail);
	if (result == CO_REGRESSION)
		r->regressions++;
	return c;
}

static void note(struct cmp_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct cmp_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nnotes == CMP_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes], sizeof(r->notes[0]), fmt, ap);
	va_end(ap);
	text_clean(r->notes[r->nnotes++]);
}

/* A JSON value as one short line, for the messages. */
static void value_text(json_t *val, char *buf, size_t len)
{
	char *s;

	if (json_is_real(val) && json_real_value(val) == floor(json_real_value(val))) {
		snprintf(buf, len, "%.0f", json_real_value(val));
		return;
	}
	s = val ? json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	snprintf(buf, len, "%.60s", s ? s : "(none)");
	free(s);
}

/* -1 and why when the two runs are different workloads. */
static int check_identity(const struct run_view *b, const struct run_view *n, char *why,
			  size_t len)
{
	size_t used = 0, i;
	bool new_skipped = !strcmp(n->verdict, "skip");

	for (i = 0; i < ARRAY_SIZE(identity_keys); i++) {
		json_t *x = json_object_get(b->scenario, identity_keys[i]);
		json_t *y = json_object_get(n->scenario, identity_keys[i]);
		char bx[64], ny[64];
		int w;

		/* a run that could not start names its accelerator "none": that is the finding */
		if (new_skipped && !strcmp(identity_keys[i], "accel"))
			continue;
		if (json_equal(x, y))
			continue;
		value_text(x, bx, sizeof(bx));
		value_text(y, ny, sizeof(ny));
		if (!used) {
			w = snprintf(why, len, "BASE and NEW are different scenarios, not comparable:");
			used = w > 0 ? (size_t)w : 0;
		}
		if (used < len) {
			w = snprintf(why + used, len - used, " %s %s vs %s;", identity_keys[i], bx,
				     ny);
			used += w > 0 ? (size_t)w : 0;
		}
	}
	if (used && used < len)
		why[strlen(why) - 1] = '\0';
	if (used)
		text_clean(why);
	return used ? -1 : 0;
}

static void check_run(struct cmp_result *r, const struct run_view *b, const struct run_view *n)
{
	if (!strcmp(n->verdict, "skip")) {
		check_add(r, CK_RUN, CO_REGRESSION, "run",
			  "run: NEW did not run (skip: %.200s); BASE ran %u boots",
			  n->skip_reason ? n->skip_reason : "no reason given", b->iterations_run);
		return;
	}
	if (!n->iterations_run && b->iterations_run) {
		check_add(r, CK_RUN, CO_REGRESSION, "run", "run: NEW ran no boot; BASE ran %u",
			  b->iterations_run);
		return;
	}
	check_add(r, CK_RUN, CO_OK, "run", "run: BASE ran %u boots (%s), NEW %u (%s)",
		  b->iterations_run, b->verdict, n->iterations_run, n->verdict);
}

static void check_classes(struct cmp_result *r, const struct run_view *b,
			  const struct run_view *n)
{
	bool ran = strcmp(n->verdict, "skip");

	for (unsigned int c = 1; c < FC_COUNT; c++) {
		const char *name = fail_class_name((enum fail_class)c);
		const char *ctl = expected_by(b, n, name);
		unsigned int bc = b->class_count[c], nc = n->class_count[c];
		char id[48];

		snprintf(id, sizeof(id), "class/%s", name);
		if (!ran) {
			check_add(r, CK_CLASS, CO_SKIP, id, "failure class %s: NEW did not run",
				  name);
			continue;
		}
		if (nc && !bc && !ctl)
			check_add(r, CK_CLASS, CO_REGRESSION, id,
				  "failure class %s is new: BASE 0 of %u boots, NEW %u of %u", name,
				  b->iterations_run, nc, n->iterations_run);
		else
			check_add(r, CK_CLASS, CO_OK, id,
				  "failure class %s: BASE %u of %u boots, NEW %u of %u%s%s%s", name,
				  bc, b->iterations_run, nc, n->iterations_run,
				  ctl && (bc || nc) ? " (positive control " : "",
				  ctl && (bc || nc) ? ctl : "", ctl && (bc || nc) ? " firing)" : "");
	}
}

/*
 * Boots where the control fired: failures of its own classes. Another
 * failure (a vmm-error) is not the control seeing what it is there to see.
 * A control this hvsmoke does not know counts every failure.
 */
static unsigned int fired_boots(const struct run_view *v, const char *control)
{
	unsigned int n = 0;

	for (size_t c = 0; c < ARRAY_SIZE(control_signature); c++) {
		if (strcmp(control_signature[c].control, control))
			continue;
		for (size_t k = 0; control_signature[c].classes[k]; k++)
			for (unsigned int fc = 1; fc < FC_COUNT; fc++)
				if (!strcmp(fail_class_name((enum fail_class)fc),
					    control_signature[c].classes[k]))
					n += v->class_count[fc];
		return n;
	}
	return v->failures_total;
}

static void rate_text(char *buf, size_t len, const struct run_view *v, const char *control)
{
	unsigned int fired = fired_boots(v, control);
	int w = snprintf(buf, len, "fired in %u of %u boots (%.1f%%)", fired, v->iterations_run,
			 v->iterations_run ? 100.0 * fired / v->iterations_run : 0.0);

	if (w > 0 && (size_t)w < len && v->first_failure_s >= 0)
		snprintf(buf + w, len - (size_t)w, ", first after %.2f s", v->first_failure_s);
}

static void check_controls(struct cmp_result *r, const struct run_view *b,
			   const struct run_view *n)
{
	const struct run_view *both[2] = { b, n };
	char br[96], nr[96], id[48];

	for (int side = 0; side < 2; side++) {
		const struct run_view *v = both[side], *other = both[!side];

		for (size_t i = 0; i < v->ncontrols; i++) {
			const char *c = v->controls[i];

			snprintf(id, sizeof(id), "control/%s", c);
			if (has_control(other, c)) {
				if (side)
					continue;	/* judged once, from BASE's side */
				rate_text(br, sizeof(br), b, c);
				rate_text(nr, sizeof(nr), n, c);
				if (!strcmp(n->verdict, "skip"))
					check_add(r, CK_CONTROL, CO_SKIP, id,
						  "positive control %s: NEW did not run", c);
				else if (fired_boots(b, c) && !fired_boots(n, c))
					check_add(r, CK_CONTROL, CO_REGRESSION, id,
						  "positive control %s no longer fires: BASE %s; NEW %s",
						  c, br, nr);
				else
					check_add(r, CK_CONTROL, CO_OK, id,
						  "positive control %s%s: BASE %s; NEW %s", c,
						  fired_boots(b, c) ? "" :
						  fired_boots(n, c) ? " fires in NEW only" :
								      " fired in neither run",
						  br, nr);
				continue;
			}
			check_add(r, CK_CONTROL, CO_SKIP, id,
				  "positive control %s runs only in %s; %s", c, side ? "NEW" : "BASE",
				  side ? "its failures are judged as a correct run's" :
					 "NEW is the correct mode");
		}
	}
}

/*
 * One run's samples, in the order they were taken, ready for resampling:
 * sorted values, and each sample's place among them.
 */
struct ordered {
	uint32_t *sorted;
	uint32_t *rank;		/* rank[i]: where sample i sits in sorted */
	uint32_t *count;	/* scratch: one resample's histogram over ranks */
	size_t n;
};

/* Orders indices by the samples they name (qsort_r's argument). */
static int cmp_by_value(const void *a, const void *b, void *values)
{
	const uint32_t *v = values;
	uint32_t x = v[*(const uint32_t *)a], y = v[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static void ordered_init(struct ordered *o, const uint32_t *v, size_t n)
{
	uint32_t *idx = xzalloc(n * sizeof(*idx));
	size_t i;

	o->n = n;
	o->sorted = xzalloc(n * sizeof(*o->sorted));
	o->rank = xzalloc(n * sizeof(*o->rank));
	o->count = xzalloc(n * sizeof(*o->count));
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, n, sizeof(*idx), cmp_by_value, (void *)v);
	for (i = 0; i < n; i++) {
		o->sorted[i] = v[idx[i]];
		o->rank[idx[i]] = (uint32_t)i;
	}
	free(idx);
}

static void ordered_free(struct ordered *o)
{
	free(o->sorted);
	free(o->rank);
	free(o->count);
}

/*
 * The q-quantile of one block-bootstrap resample: CMP_BLOCKS contiguous
 * stretches of the run drawn with replacement. Samples next to each other
 * in time share the host's moment (a neighbour's burst, a slow stretch), so
 * resampling single samples would make the bound far too narrow; whole
 * stretches carry that drift into the interval. Counting ranks and walking
 * to the quantile's is O(n) and sorts nothing.
 */
static uint32_t resample_quantile(struct ordered *o, uint64_t *rng, double q)
{
	size_t len = (o->n + CMP_BLOCKS - 1) / CMP_BLOCKS, nblocks = (o->n + len - 1) / len;
	size_t b, i, m = 0, seen = 0, k;

	memset(o->count, 0, o->n * sizeof(*o->count));
	for (b = 0; b < nblocks; b++) {
		size_t start = (size_t)(rng_next(rng) % nblocks) * len;
		size_t stop = start + len < o->n ? start + len : o->n;

		for (i = start; i < stop; i++)
			o->count[o->rank[i]]++;
		m += stop - start;
	}
	k = samples_rank(m, q);	/* nearest rank, as the run's own percentiles */
	for (i = 0; i < o->n; i++) {
		seen += o->count[i];
		if (seen >= k)
			return o->sorted[i];
	}
	return o->sorted[o->n - 1];
}

static double ratio_of(uint32_t num, uint32_t den)
{
	/* microsecond resolution: a 0 us quantile is "under a microsecond" */
	return (double)(num ? num : 1) / (double)(den ? den : 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint32_t ordered_quantile(const struct ordered *o, double q)
{
	return o->sorted[samples_rank(o->n, q) - 1];
}

/* The ratio and its bound from two runs sorted once (compare_quantile_ratio). */
static void quantile_ratio(struct ordered *ob, struct ordered *on, double q, double *ratio,
			   double *lower)
{
	double *ratios = xzalloc(CMP_BOOTSTRAP_ROUNDS * sizeof(*ratios));
	uint64_t rng = 0x6876736d6f6b6521ull;	/* fixed: the same files, the same answer */
	size_t i;

	*ratio = ratio_of(ordered_quantile(on, q), ordered_quantile(ob, q));
	for (i = 0; i < CMP_BOOTSTRAP_ROUNDS; i++) {
		uint32_t qb = resample_quantile(ob, &rng, q);
		uint32_t qn = resample_quantile(on, &rng, q);

		ratios[i] = ratio_of(qn, qb);
	}
	qsort(ratios, CMP_BOOTSTRAP_ROUNDS, sizeof(*ratios), cmp_double);
	/* nearest rank: the 1st percentile of 1000 ratios is the 10th smallest */
	*lower = ratios[CMP_BOOTSTRAP_ROUNDS * (100 - CMP_CONFIDENCE_PCT) / 100 - 1];
	free(ratios);
}

void compare_quantile_ratio(const uint32_t *base, size_t nb, const uint32_t *new_s, size_t nn,
			    double q, double *ratio, double *lower)
{
	struct ordered ob, on;

	ordered_init(&ob, base, nb);
	ordered_init(&on, new_s, nn);
	quantile_ratio(&ob, &on, q, ratio, lower);
	ordered_free(&ob);
	ordered_free(&on);
}

/* Why latency cannot be judged between these two runs at all; NULL if it can. */
static const char *latency_gate(const struct run_view *b, const struct run_view *n, char *buf,
				size_t len)
{
	/* the SMM stage ran in one only (--smm auto on a host that gained it): other work */
	if (b->smm_ran != n->smm_ran)
		return "the SMM stage ran in one run only, so the boots did different work";
	if (b->foreign_load < 0 || n->foreign_load < 0)
		return NULL;
	if (fabs(b->foreign_load - n->foreign_load) <= CMP_MAX_FOREIGN_LOAD_DIFF &&
	    fmax(b->foreign_load, n->foreign_load) <= CMP_MAX_FOREIGN_LOAD)
		return NULL;
	snprintf(buf, len,
		 "other processes took %.0f%% of the host's CPU time during BASE and %.0f%% during NEW (judged when both are at most %.0f%% and %.0f points apart at most)",
		 b->foreign_load * 100, n->foreign_load * 100, CMP_MAX_FOREIGN_LOAD * 100,
		 CMP_MAX_FOREIGN_LOAD_DIFF * 100);
	return buf;
}

static void check_latency(struct cmp_result *r, const struct run_view *b,
			  const struct run_view *n, double max_slowdown)
{
	bool loads_known = b->foreign_load >= 0 && n->foreign_load >= 0;
	char load[96] = "", gate_buf[256];
	const char *gate = latency_gate(b, n, gate_buf, sizeof(gate_buf));

	if (loads_known)
		snprintf(load, sizeof(load), "; other processes took %.0f%% / %.0f%% of the host",
			 b->foreign_load * 100, n->foreign_load * 100);
	for (unsigned int k = 0; k < 3; k++) {
		const uint32_t *bv = b->lat[k].v, *nv = n->lat[k].v;
		size_t nb = b->lat[k].n, nn = n->lat[k].n;
		struct cmp_latency *l;
		struct ordered ob, on;
		char id[48], p99[160];
		bool slower;

		if (k && !nb && !nn)
			continue;	/* no quits, no monitor: nothing to say */
		snprintf(id, sizeof(id), "latency/%s", lat_names[k]);
		if (gate) {
			check_add(r, CK_LATENCY, CO_SKIP, id, "%s not judged: %s", lat_titles[k], gate);
			continue;
		}
		if (nb < CMP_MIN_SAMPLES_P50 || nn < CMP_MIN_SAMPLES_P50) {
			check_add(r, CK_LATENCY, CO_SKIP, id,
				  "%s: too few samples to judge (BASE %zu, NEW %zu; need %d each)",
				  lat_titles[k], nb, nn, CMP_MIN_SAMPLES_P50);
			continue;
		}
		l = &r->lat[r->nlat++];
		snprintf(l->name, sizeof(l->name), "%s", lat_names[k]);
		l->n_base = nb;
		l->n_new = nn;
		/* each run sorted once: its quantiles and every resample come from it */
		ordered_init(&ob, bv, nb);
		ordered_init(&on, nv, nn);
		l->base_p50 = ordered_quantile(&ob, 0.50);
		l->new_p50 = ordered_quantile(&on, 0.50);
		l->base_p99 = ordered_quantile(&ob, 0.99);
		l->new_p99 = ordered_quantile(&on, 0.99);
		l->ratio_p50 = ratio_of(l->new_p50, l->base_p50);
		/*
		 * A monitor command is not an independent sample: dozens share
		 * one boot and one moment of the host, so no bound of ours would
		 * hold. Shown, not judged (and no bootstrap spent on it).
		 */
		if (k == 2) {
			check_add(r, CK_LATENCY, CO_SKIP, id,
				  "%s shown, not judged (commands within a boot are not independent samples): p50 %u -> %u us (x%.2f), p99 %u -> %u us, n %zu/%zu%s",
				  lat_titles[k], l->base_p50, l->new_p50, l->ratio_p50, l->base_p99,
				  l->new_p99, nb, nn, load);
			ordered_free(&ob);
			ordered_free(&on);
			continue;
		}
		quantile_ratio(&ob, &on, 0.50, &l->ratio_p50, &l->lower_p50);
		l->judged_p50 = true;
		slower = l->lower_p50 > max_slowdown &&
			 l->new_p50 >= l->base_p50 + CMP_MIN_SLOWDOWN_US;
		if (nb >= CMP_MIN_SAMPLES_P99 && nn >= CMP_MIN_SAMPLES_P99) {
			quantile_ratio(&ob, &on, 0.99, &l->ratio_p99, &l->lower_p99);
			l->judged_p99 = true;
			slower |= l->lower_p99 > max_slowdown &&
				  l->new_p99 >= l->base_p99 + CMP_MIN_SLOWDOWN_US;
			snprintf(p99, sizeof(p99), "p99 %u -> %u us (x%.2f, lower bound x%.2f)",
				 l->base_p99, l->new_p99, l->ratio_p99, l->lower_p99);
		} else {
			snprintf(p99, sizeof(p99), "p99 %u -> %u us (not judged: fewer than %d samples)",
				 l->base_p99, l->new_p99, CMP_MIN_SAMPLES_P99);
		}
		ordered_free(&ob);
		ordered_free(&on);
		check_add(r, CK_LATENCY, slower ? CO_REGRESSION : CO_OK, id,
			  "%s%s: p50 %u -> %u us (x%.2f, %d%% lower bound x%.2f), %s; limit x%.2f and %d us, n %zu/%zu%s",
			  lat_titles[k], slower ? " slower beyond noise" : "", l->base_p50,
			  l->new_p50, l->ratio_p50, CMP_CONFIDENCE_PCT, l->lower_p50, p99,
			  max_slowdown, CMP_MIN_SLOWDOWN_US, nb, nn, load);
	}
}

/* "7.2.22" as a number that orders versions; -1 when it does not parse. */
static long long version_key(const char *v)
{
	unsigned int a = 0, b = 0, c = 0;

	if (!v || !isdigit((unsigned char)*v) || sscanf(v, "%u.%u.%u", &a, &b, &c) < 2 ||
	    a > 0xffff || b > 0xffff || c > 0xffff)
		return -1;
	return (long long)(((unsigned long long)a << 32) | ((unsigned long long)b << 16) | c);
}

static void check_capabilities(struct cmp_result *r, const struct run_view *b,
			       const struct run_view *n)
{
	const struct {
		const char *name;
		bool base, now;
	} backends[] = { { "kvm", b->kvm_ok, n->kvm_ok }, { "mshv", b->mshv_ok, n->mshv_ok } };
	char id[48];
	bool bq, nq;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++) {
		snprintf(id, sizeof(id), "capability/backend-%s", backends[i].name);
		if (backends[i].base && !backends[i].now)
			check_add(r, CK_CAPABILITY, CO_REGRESSION, id,
				  "backend %s: available in BASE, not in NEW", backends[i].name);
		else
			check_add(r, CK_CAPABILITY, CO_OK, id, "backend %s: %s in BASE, %s in NEW",
				  backends[i].name, backends[i].base ? "available" : "unavailable",
				  backends[i].now ? "available" : "unavailable");
		if (!backends[i].base && backends[i].now)
			note(r, "backend %s became available", backends[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(cap_names); i++) {
		long long x = (long long)json_number_value(json_object_get(b->caps, cap_names[i]));
		long long y = (long long)json_number_value(json_object_get(n->caps, cap_names[i]));
		bool lost;

		/* a count: fewer is a loss of the larger VMs; NR_VCPUS is only a hint */
		if (!strcmp(cap_names[i], "NR_VCPUS")) {
			if (x != y)
				note(r, "KVM_CAP_NR_VCPUS (recommended vCPUs) %lld -> %lld", x, y);
			continue;
		}
		lost = !strcmp(cap_names[i], "MAX_VCPUS") ? y < x : x && !y;
		snprintf(id, sizeof(id), "capability/%s", cap_names[i]);
		check_add(r, CK_CAPABILITY, lost ? CO_REGRESSION : CO_OK, id,
			  "KVM_CAP_%s: BASE %lld, NEW %lld%s", cap_names[i], x, y,
			  lost ? " (lost)" : "");
		if (!x && y)
			note(r, "KVM_CAP_%s gained (%lld)", cap_names[i], y);
	}
	check_add(r, CK_CAPABILITY, b->smm_ran && !n->smm_ran ? CO_REGRESSION : CO_OK,
		  "capability/smm-stage", "SMM stage: %s in BASE, %s in NEW",
		  b->smm_ran ? "ran" : "did not run", n->smm_ran ? "ran" : "did not run");
	/* an empty version: that QEMU never answered query-version */
	bq = b->qemu_version && *b->qemu_version;
	nq = n->qemu_version && *n->qemu_version;
	if (!b->qemu_version && !n->qemu_version)
		return;
	if (bq && !nq)
		check_add(r, CK_CAPABILITY, CO_REGRESSION, "capability/qemu",
			  "QEMU %s in BASE; NEW has no QEMU that runs", b->qemu_version);
	else if (bq && version_key(n->qemu_version) < version_key(b->qemu_version))
		check_add(r, CK_CAPABILITY, CO_REGRESSION, "capability/qemu",
			  "QEMU %s in NEW is older than BASE's %s", n->qemu_version,
			  b->qemu_version);
	else
		check_add(r, CK_CAPABILITY, CO_OK, "capability/qemu", "QEMU %s in BASE, %s in NEW",
			  bq ? b->qemu_version : "none", nq ? n->qemu_version : "none");
	if (bq && nq && strcmp(b->qemu_version, n->qemu_version))
		note(r, "QEMU %s -> %s", b->qemu_version, n->qemu_version);
	if (b->qemu_package && n->qemu_package && strcmp(b->qemu_package, n->qemu_package))
		note(r, "QEMU package \"%s\" -> \"%s\"", b->qemu_package, n->qemu_package);
}

/* What differs and does not stop the comparison. */
static void notes_of(struct cmp_result *r, const struct run_view *b, const struct run_view *n)
{
	static const char *const modes[] = { "sync_policy", "kick" };
	json_t *bf = json_object_get(b->scenario, "firmware");
	json_t *nf = json_object_get(n->scenario, "firmware");
	char x[64], y[64];

	if (strcmp(b->kernel, n->kernel))
		note(r, "kernel %s -> %s", b->kernel, n->kernel);
	if (strcmp(b->cpu_model, n->cpu_model))
		note(r, "CPU %s -> %s (another machine?)", b->cpu_model, n->cpu_model);
	if (strcmp(b->version, n->version))
		note(r, "hvsmoke %s -> %s", b->version, n->version);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		json_t *bm = json_object_get(b->scenario, modes[i]);
		json_t *nm = json_object_get(n->scenario, modes[i]);

		if (!json_equal(bm, nm)) {
			value_text(bm, x, sizeof(x));
			value_text(nm, y, sizeof(y));
			note(r, "%s %s -> %s", modes[i], x, y);
		}
	}
	if (!json_equal(json_object_get(bf, "variant"), json_object_get(nf, "variant"))) {
		value_text(json_object_get(bf, "variant"), x, sizeof(x));
		value_text(json_object_get(nf, "variant"), y, sizeof(y));
		note(r, "firmware variant %s -> %s", x, y);
	} else if (!json_equal(json_object_get(bf, "fnv1a64"), json_object_get(nf, "fnv1a64"))) {
		note(r, "firmware image changed (same variant)");
	}
	note(r, "seeds %llu -> %llu", (unsigned long long)b->seed, (unsigned long long)n->seed);
}

int compare_runs(json_t *base, const char *base_name, json_t *new_run, const char *new_name,
		 double max_slowdown, struct cmp_result *r, char *why, size_t len)
{
	struct run_view b = { .role = "BASE", .path = base_name, .j = base, .why = why, .len = len };
	struct run_view n = { .role = "NEW", .path = new_name, .j = new_run, .why = why, .len = len };
	int ret = -1;

	memset(r, 0, sizeof(*r));
	view_parse(&b);
	if (!b.bad)
		view_parse(&n);
	if (b.bad || n.bad)
		goto out;
	if (!strcmp(b.verdict, "skip")) {
		snprintf(why, len, "BASE is a skipped run (%.200s): nothing to compare against",
			 b.skip_reason ? b.skip_reason : "no reason given");
		text_clean(why);
		goto out;
	}
	if (check_identity(&b, &n, why, len))
		goto out;
	check_run(r, &b, &n);
	check_classes(r, &b, &n);
	check_controls(r, &b, &n);
	if (strcmp(n.verdict, "skip"))
		check_latency(r, &b, &n, max_slowdown);
	check_capabilities(r, &b, &n);
	notes_of(r, &b, &n);
	ret = 0;
out:
	view_free(&b);
	view_free(&n);
	return ret;
}

static const char *const kind_names[] = {
	[CK_RUN] = "run", [CK_CLASS] = "failure-class", [CK_CONTROL] = "positive-control",
	[CK_LATENCY] = "latency", [CK_CAPABILITY] = "capability",
};
static const char *const outcome_names[] = {
	[CO_OK] = "ok", [CO_REGRESSION] = "regression", [CO_SKIP] = "skip",
};

/* One side of the comparison as the reports name it; the file was checked already. */
struct side {
	const char *path;
	json_t *j;
};

static const char *side_str(const struct side *s, const char *obj, const char *key)
{
	json_t *o = obj ? json_object_get(s->j, obj) : s->j;
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static double side_num(const struct side *s, const char *key)
{
	return json_number_value(json_object_get(s->j, key));
}

static void tap_side(const char *role, const struct side *s)
{
	char line[640];

	snprintf(line, sizeof(line), "%s: seed %.0f, %.0f boots, verdict %s, %s, started %s",
		 s->path, side_num(s, "seed"), side_num(s, "iterations_run"),
		 side_str(s, NULL, "verdict"), side_str(s, "host", "kernel"),
		 side_str(s, NULL, "started_utc"));
	text_clean(line);
	printf("# %-4s %s\n", role, line);
}

/* A TAP description: a '#' in it would start a directive (SKIP, TODO). */
static void tap_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

static void compare_tap(const struct cmp_result *r, const struct side *b, const struct side *n,
			double max_slowdown)
{
	json_t *sc = json_object_get(b->j, "scenario");
	char val[64];
	size_t i;

	printf("TAP version 13\n# hvsmoke compare (regression past x%.2f slower, beyond noise)\n",
	       max_slowdown);
	tap_side("BASE", b);
	tap_side("NEW", n);
	printf("# scenario:");
	for (i = 0; i < ARRAY_SIZE(identity_keys); i++) {
		json_t *x = json_object_get(sc, identity_keys[i]);

		if (json_is_null(x))
			continue;
		value_text(x, val, sizeof(val));
		text_clean(val);
		printf(" %s=%s", identity_keys[i], val);
	}
	printf("\n1..%zu\n", r->nchecks);
	for (i = 0; i < r->nchecks; i++) {
		const struct cmp_check *c = &r->checks[i];

		if (c->result == CO_SKIP) {
			printf("ok %zu - ", i + 1);
			tap_text(c->id);
			printf(" # SKIP %s\n", c->detail);
			continue;
		}
		printf("%s %zu - ", c->result == CO_OK ? "ok" : "not ok", i + 1);
		tap_text(c->detail);
		putchar('\n');
		/* ids are [a-z0-9/_-] plus a control's name: plain YAML scalars */
		if (c->result == CO_REGRESSION)
			printf("  ---\n  id: \"%s\"\n  kind: %s\n  ...\n", c->id, kind_names[c->kind]);
	}
	for (i = 0; i < r->nnotes; i++)
		printf("# note: %s\n", r->notes[i]);
	if (!r->regressions) {
		printf("# compare: no regression in %zu checks\n", r->nchecks);
	} else {
		printf("# compare: %u regression%s:", r->regressions, r->regressions == 1 ? "" : "s");
		for (i = 0; i < r->nchecks; i++)
			if (r->checks[i].result == CO_REGRESSION)
				printf(" %s", r->checks[i].id);
		putchar('\n');
	}
	fflush(stdout);
}

/* A number the file holds as an integer, written back as one. */
static json_t *json_count(double x)
{
	return x >= 0 && x < 9e18 ? json_integer((json_int_t)x) : json_real(x);
}

static json_t *side_json(const struct side *s)
{
	char path[256], kernel[160], started[32];

	snprintf(path, sizeof(path), "%s", s->path);
	snprintf(kernel, sizeof(kernel), "%s", side_str(s, "host", "kernel"));
	snprintf(started, sizeof(started), "%s", side_str(s, NULL, "started_utc"));
	text_clean(path);
	text_clean(kernel);
	text_clean(started);
	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:o}", "path", path, "seed",
			 json_count(side_num(s, "seed")), "kernel", kernel, "started_utc", started,
			 "verdict", side_str(s, NULL, "verdict"), "iterations_run",
			 json_count(side_num(s, "iterations_run")));
}

static int compare_json_write(const char *path, const struct cmp_result *r,
			      const struct side *b, const struct side *n, double max_slowdown,
			      char *why, size_t len)
{
	json_t *o, *checks = json_array(), *lat = json_object(), *notes = json_array();
	struct out_file of;
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "id",
							 r->checks[i].id, "kind",
							 kind_names[r->checks[i].kind], "result",
							 outcome_names[r->checks[i].result],
							 "detail", r->checks[i].detail));
	for (i = 0; i < r->nlat; i++) {
		const struct cmp_latency *l = &r->lat[i];
		json_t *m = json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:f}",
				      "base", "p50", (json_int_t)l->base_p50, "p99",
				      (json_int_t)l->base_p99, "n", (json_int_t)l->n_base,
				      "new", "p50", (json_int_t)l->new_p50, "p99",
				      (json_int_t)l->new_p99, "n", (json_int_t)l->n_new,
				      "ratio_p50", l->ratio_p50);

		json_object_set_new(m, "ratio_p50_lower", l->judged_p50 ? json_real(l->lower_p50) :
									  json_null());

		json_object_set_new(m, "ratio_p99", l->judged_p99 ? json_real(l->ratio_p99) :
								    json_null());
		json_object_set_new(m, "ratio_p99_lower", l->judged_p99 ? json_real(l->lower_p99) :
									  json_null());
		json_object_set_new(lat, l->name, m);
	}
	for (i = 0; i < r->nnotes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	o = json_pack("{s:i, s:s, s:s, s:f, s:i, s:o, s:o, s:o, s:o, s:o}", "schema_version",
		      REPORT_SCHEMA_VERSION, "kind", "hvsmoke-compare", "verdict",
		      r->regressions ? "regression" : "pass", "max_slowdown", max_slowdown,
		      "regressions", (int)r->regressions, "base", side_json(b), "new", side_json(n),
		      "checks", checks, "latency", lat, "notes", notes);
	if (!o)
		die(HV_EXIT_USAGE, "compare: out of memory");
	if (out_file_open(&of, path, why, len)) {
		json_decref(o);
		return -1;
	}
	json_dumpf(o, of.f, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', of.f);
	json_decref(o);
	return out_file_commit(&of, why, len);
}

static int compare_junit_write(const char *path, const struct cmp_result *r, char *why,
			       size_t len)
{
	struct out_file of;
	unsigned int skipped = 0;
	size_t i;

	for (i = 0; i < r->nchecks; i++)
		skipped += r->checks[i].result == CO_SKIP;
	if (out_file_open(&of, path, why, len))
		return -1;
	fprintf(of.f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<testsuite name=\"hvsmoke-compare\" tests=\"%zu\" failures=\"%u\" errors=\"0\" skipped=\"%u\">\n",
		r->nchecks, r->regressions, skipped);
	for (i = 0; i < r->nchecks; i++) {
		const struct cmp_check *c = &r->checks[i];

		fprintf(of.f, "  <testcase classname=\"hvsmoke.compare.%s\" name=\"", kind_names[c->kind]);
		xml_str(of.f, c->id);
		if (c->result == CO_OK) {
			fputs("\"/>\n", of.f);
			continue;
		}
		fprintf(of.f, "\"><%s message=\"", c->result == CO_SKIP ? "skipped" : "failure");
		xml_str(of.f, c->detail);
		fputs(c->result == CO_SKIP ? "\"/></testcase>\n" : "\" type=\"regression\"/></testcase>\n",
		      of.f);
	}
	fputs("</testsuite>\n", of.f);
	return out_file_commit(&of, why, len);
}

/* An output that is one of the inputs would replace the run it was read from. */
static void refuse_overwrite(const char *opt, const char *out, const char *base_path,
			     const char *new_path)
{
	const char *const in[2] = { base_path, new_path };
	struct stat so, si;

	if (!out || stat(out, &so))
		return;
	for (int i = 0; i < 2; i++)
		if (!stat(in[i], &si) && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
			die(HV_EXIT_USAGE, "%s %s: that is %s, an input", opt, out, i ? "NEW" : "BASE");
}

int compare_main(const char *base_path, const char *new_path, const char *json_path,
		 const char *junit_path, double max_slowdown)
{
	static struct cmp_result r;
	struct run_view vb = { .role = "BASE", .path = base_path };
	struct run_view vn = { .role = "NEW", .path = new_path };
	struct side b = { .path = base_path }, n = { .path = new_path };
	char why[512] = "";
	int ret = HV_EXIT_USAGE;

	vb.why = vn.why = why;
	vb.len = vn.len = sizeof(why);
	/* the outputs first, as a run does: a typo must not cost the reading */
	refuse_overwrite("--json", json_path, base_path, new_path);
	refuse_overwrite("--junit", junit_path, base_path, new_path);
	if (json_path && out_file_check(json_path, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--json %s: %s", json_path, why);
	if (junit_path && out_file_check(junit_path, why, sizeof(why)))
		die(HV_EXIT_USAGE, "--junit %s: %s", junit_path, why);
	b.j = load_json(&vb);
	if (b.j)
		n.j = load_json(&vn);
	if (!b.j || !n.j)
		goto out;
	if (compare_runs(b.j, base_path, n.j, new_path, max_slowdown, &r, why, sizeof(why)))
		goto out;
	compare_tap(&r, &b, &n, max_slowdown);
	ret = r.regressions ? HV_EXIT_FAIL : HV_EXIT_PASS;
	if (json_path && compare_json_write(json_path, &r, &b, &n, max_slowdown, why, sizeof(why))) {
		pr_err("--json %s: %s", json_path, why);
		ret = HV_EXIT_USAGE;
	}
	why[0] = '\0';
	if (junit_path && compare_junit_write(junit_path, &r, why, sizeof(why))) {
		pr_err("--junit %s: %s", junit_path, why);
		ret = HV_EXIT_USAGE;
	}
	why[0] = '\0';
out:
	if (why[0])
		pr_err("%s", why);
	json_decref(b.j);
	json_decref(n.j);
	return ret;
}
