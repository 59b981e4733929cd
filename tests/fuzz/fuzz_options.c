// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: any command line is either refused with one nonempty
 * line, or parsed into options that all lie within their documented ranges,
 * whose strings are the defaults or point into argv; parsing twice gives the
 * same answer (nothing is kept between calls).
 *
 * Input: the arguments after argv[0], separated by NUL bytes.
 */
#include "../../vmm/options.h"
#include "../../vmm/protocol.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ERR_LEN		256
#define MAX_ARGS	256	/* room past --qemu-arg's limit of OPT_MAX_QEMU_ARGS */

/* A string option: one of the defaults opts_init sets, NULL, or inside the input. */
static void check_str(const char *s, const char *buf, size_t size, const char *dflt,
		      bool may_be_null)
{
	if (!s) {
		assert(may_be_null);
		return;
	}
	if (dflt && s == dflt)
		return;
	assert(s >= buf && s < buf + size + 1);
	assert(memchr(s, '\0', (size_t)(buf + size + 1 - s)));
}

static void check_opts(const struct hv_opts *o, const struct hv_opts *dflt, const char *buf,
		       size_t size)
{
	unsigned int i;

	assert(o->cmd <= CMD_VERSION);
	assert(o->cpus >= 1 && o->cpus <= HVSMOKE_MAX_CPUS);
	assert(o->iterations >= 1 && o->iterations <= 100000000);
	assert(o->duration_s <= 7 * 86400);
	assert(o->boot_timeout_ms >= 10 && o->boot_timeout_ms <= 600000);
	assert(o->quit_deadline_ms >= 1 && o->quit_deadline_ms <= 600000);
	assert(o->storm_ms <= 60000);
	assert(o->quit_at_ms == QUIT_AT_NEVER || o->quit_at_ms == QUIT_AT_RANDOM ||
	       (o->quit_at_ms >= 0 && o->quit_at_ms <= 600000));
	assert(o->kick == KICK_EXIT_REQUEST || o->kick == KICK_LEGACY_SIGNAL);
	assert(o->smm == SMM_AUTO || o->smm == SMM_ON || o->smm == SMM_OFF);
	assert(o->ipi_pattern <= IPI_PATTERN_MAX);
	assert(o->verbose >= -1);
	assert(o->nqemu_args <= OPT_MAX_QEMU_ARGS);
	/* only the QEMU target leaves the SMM choice to the host */
	assert(o->cmd != CMD_QEMU || o->smm != SMM_AUTO);
	assert(o->cmd != CMD_MKCONFIG || o->out_path);
	assert(o->cmd != CMD_INFO || (!o->json_path && !o->junit_path));

	check_str(o->accel, buf, size, dflt->accel, false);
	assert(!strcmp(o->accel, "auto") || !strcmp(o->accel, "kvm") ||
	       !strcmp(o->accel, "mshv") || (!strncmp(o->accel, "script:", 7) && o->accel[7]));
	check_str(o->qemu, buf, size, dflt->qemu, false);
	assert(o->qemu[0]);
	check_str(o->machine, buf, size, dflt->machine, false);
	assert(!strcmp(o->machine, "pc") || !strcmp(o->machine, "q35"));
	check_str(o->qemu_accel, buf, size, dflt->qemu_accel, false);
	assert(!strcmp(o->qemu_accel, "kvm") || !strcmp(o->qemu_accel, "tcg") ||
	       !strcmp(o->qemu_accel, "mshv"));
	check_str(o->firmware, buf, size, NULL, true);
	check_str(o->json_path, buf, size, NULL, true);
	check_str(o->junit_path, buf, size, NULL, true);
	check_str(o->out_path, buf, size, NULL, true);
	check_str(o->qmp_path, buf, size, NULL, true);
	/* a path option given is never empty: "" would open the current directory */
	assert(!o->firmware || o->firmware[0]);
	assert(!o->json_path || o->json_path[0]);
	assert(!o->junit_path || o->junit_path[0]);
	assert(!o->out_path || o->out_path[0]);
	assert(!o->qmp_path || o->qmp_path[0]);
	for (i = 0; i < o->nqemu_args; i++)
		check_str(o->qemu_args[i], buf, size, NULL, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *err, *err2, *argv[MAX_ARGS + 2];
	struct hv_opts o, o2, dflt;
	int argc = 0, r, r2;
	size_t i;

	if (size > 4096)
		return 0;
	/* exactly sized, so ASan sees a read or write past any of them */
	buf = malloc(size + 1);
	err = malloc(ERR_LEN);
	err2 = malloc(ERR_LEN);
	if (!buf || !err || !err2)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"hvsmoke";
	argv[argc++] = buf;
	for (i = 0; i < size && argc < MAX_ARGS + 1; i++)
		if (!buf[i])
			argv[argc++] = buf + i + 1;
	argv[argc] = NULL;
	if (!size)
		argc = 1;	/* no arguments at all, rather than one empty one */

	opts_init(&dflt);
	opts_init(&o);
	err[0] = '\0';
	r = opts_parse(&o, argc, argv, err, ERR_LEN);
	assert(r == 0 || r == -1);
	if (r) {
		assert(memchr(err, '\0', ERR_LEN));
		assert(err[0] && !strchr(err, '\n'));
	} else {
		check_opts(&o, &dflt, buf, size);
	}

	opts_init(&o2);
	err2[0] = '\0';
	r2 = opts_parse(&o2, argc, argv, err2, ERR_LEN);
	assert(r2 == r);
	if (r)
		assert(!strcmp(err, err2));
	else
		assert(!memcmp(&o, &o2, sizeof(o)));
	/* argv is the caller's: the parser only points into it */
	assert(!memcmp(buf, data, size));

	free(err2);
	free(err);
	free(buf);
	return 0;
}
