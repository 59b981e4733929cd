// SPDX-License-Identifier: GPL-2.0-only
/*
 * cfgcheck FILE: would the guest firmware accept FILE as opt/hvsmoke/config?
 * Prints "ok" and exits 0, or prints the decoder's reason and exits 1; 2 if
 * the file cannot be read. tests/fwconfig.bats holds its answer against the
 * real firmware's under QEMU.
 */
#include "../../vmm/cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* far beyond anything fw_cfg would serve to the firmware */
#define MAX_FILE	(1u << 20)

int main(int argc, char **argv)
{
	static unsigned char buf[MAX_FILE + 1];
	char err[160];
	size_t len;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: cfgcheck FILE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "cfgcheck: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	len = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || len > MAX_FILE) {
		fprintf(stderr, "cfgcheck: %s: unreadable or larger than %u bytes\n", argv[1],
			MAX_FILE);
		fclose(f);
		return 2;
	}
	fclose(f);
	if (hvsmoke_cfg_decode(buf, len, NULL, err, sizeof(err))) {
		printf("%s\n", err);
		return 1;
	}
	printf("ok\n");
	return 0;
}
