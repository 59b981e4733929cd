// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parser is strict about the fields it needs and ignores the rest, so a
 * QEMU that adds registers to its dump still parses, and one that changes
 * the fields we read is "state unavailable" rather than a wrong guess.
 */
#include "regs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *qemu_regs_find(const char *dump, unsigned int cpu, size_t *len)
{
	char tag[24];
	const char *p = dump, *end;

	snprintf(tag, sizeof(tag), "CPU#%u", cpu);
	for (;;) {
		p = strstr(p, tag);
		if (!p)
			return NULL;
		/* "CPU#1" must not match "CPU#12" */
		if ((p == dump || p[-1] == '\n') && (p[strlen(tag)] == '\r' || p[strlen(tag)] == '\n'))
			break;
		p += strlen(tag);
	}
	end = strstr(p + strlen(tag), "\nCPU#");
	*len = end ? (size_t)(end - p) + 1 : strlen(p);
	return p;
}

/* The hex number after key within [text, text+len); -1 if absent. */
static int field_hex(const char *text, size_t len, const char *key, unsigned long long *v)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + len;
	char *stop;

	while (p + klen < end) {
		const char *hit = memmem(p, (size_t)(end - p), key, klen);

		if (!hit || hit + klen >= end)
			return -1;
		/* a key starts a line or follows a space: "SMM=" must not match "XSMM=" */
		if (hit == text || hit[-1] == ' ' || hit[-1] == '\n') {
			*v = strtoull(hit + klen, &stop, 16);
			return stop == hit + klen ? -1 : 0;
		}
		p = hit + 1;
	}
	return -1;
}

int qemu_regs_parse(const char *text, size_t len, struct vcpu_brief *b, bool *halted)
{
	unsigned long long rip, cs, cs_base, smm, hlt;
	const char *p;

	memset(b, 0, sizeof(*b));
	*halted = false;
	if (field_hex(text, len, "RIP=", &rip) && field_hex(text, len, "EIP=", &rip))
		return -1;
	/* "CS =f000 ffff0000 0000ffff 00009b00": selector then base */
	p = memmem(text, len, "CS =", 4);
	if (!p || p + 4 >= text + len)
		return -1;
	{
		char buf[64];
		size_t n = (size_t)(text + len - (p + 4));

		n = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
		memcpy(buf, p + 4, n);
		buf[n] = '\0';
		if (sscanf(buf, "%llx %llx", &cs, &cs_base) != 2)
			return -1;
	}
	if (field_hex(text, len, "SMM=", &smm) || field_hex(text, len, "HLT=", &hlt))
		return -1;
	b->valid = true;
	b->rip = rip;
	b->cs = (uint16_t)cs;
	b->cs_base = cs_base;
	b->smm = smm != 0;
	*halted = hlt != 0;
	return 0;
}
