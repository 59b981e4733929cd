/* SPDX-License-Identifier: GPL-2.0-only */
/* A few lines of test harness: formatted assertions and a closing count line. */
#ifndef HVSMOKE_UNIT_H
#define HVSMOKE_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static unsigned int unit_passed, unit_failed;

#define TEST_ASSERT(cond, fmt, ...)                                                   \
	do {                                                                          \
		if (cond) {                                                           \
			unit_passed++;                                                \
		} else {                                                              \
			unit_failed++;                                                \
			fprintf(stderr, "%s:%d: assertion '%s' failed: " fmt "\n",    \
				__FILE__, __LINE__, #cond, ##__VA_ARGS__);            \
		}                                                                     \
	} while (0)

/* Ends main(): the closing line CI reads, and the exit status. */
static inline int unit_done(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
