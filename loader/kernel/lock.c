// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lock.c - one xdplb at a time changes an interface (lock.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"

#define LOCK_WAIT_MS 10000

int lb_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		pr_warn("opening %s: %s\n", dir, strerror(errno));
		return err;
	}
	const char *env = getenv("XDPLB_LOCK_WAIT_MS"); /* tests shorten the wait */
	int max_wait = env ? atoi(env) : LOCK_WAIT_MS;

	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 50) {
		if (errno != EWOULDBLOCK || waited >= max_wait) {
			pr_warn("another xdplb is changing %s (waited %d ms): %s\n", dir, waited,
				strerror(errno));
			close(fd);
			return -EBUSY;
		}
		if (!waited)
			pr_warn("waiting for another xdplb to finish with %s\n", dir);
		usleep(50 * 1000);
	}
	return fd;
}

void lb_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
