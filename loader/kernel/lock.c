// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lock.c - one xdplb at a time changes an interface (lock.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"
#include "lock.h"
#include "log.h"

#define LOCK_WAIT_MS 10000

/* /run/xdplb/locks, root's and no one else's. 0 or -errno (said). */
static int lock_dir(char *buf, size_t len)
{
	const char *run = getenv("XDPLB_RUN_DIR"); /* tests */
	struct stat st;

	snprintf(buf, len, "%s/locks", run ? run : "/run/xdplb");
	int err = mkdir_p(buf);

	if (err) {
		pr_warn("creating %s: %s\n", buf, strerror(-err));
		return err;
	}
	if (lstat(buf, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pr_warn("%s: not a directory of this user's that only it can write: refusing to lock in it\n",
			buf);
		return -EPERM;
	}
	return 0;
}

/* The lock file of pin directory dir: its path with '/' as '%', so that
 * every pin directory (private bpffs mounts included) has its own. */
static int lock_path(const char *dir, char *buf, size_t len)
{
	size_t n;
	int err = lock_dir(buf, len);

	if (err)
		return err;
	n = strlen(buf);
	if (n + 2 + strlen(dir) + 6 > len)
		return -ENAMETOOLONG;
	buf[n++] = '/';
	for (const char *p = dir; *p; p++)
		buf[n++] = *p == '/' ? '%' : *p;
	strcpy(buf + n, ".lock");
	return 0;
}

static int lock_wait(const char *dir, int max_wait);

int lb_lock(const char *dir)
{
	const char *env = getenv("XDPLB_LOCK_WAIT_MS"); /* tests shorten the wait */

	return lock_wait(dir, env ? atoi(env) : LOCK_WAIT_MS);
}

int lb_trylock(const char *dir)
{
	return lock_wait(dir, -1);
}

/* max_wait ms, or -1: not at all and silently. */
static int lock_wait(const char *dir, int max_wait)
{
	char path[1024];
	int fd, err = lock_path(dir, path, sizeof(path));

	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("opening the lock %s: %s\n", path, strerror(errno));
		return err;
	}
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 50) {
		if (errno == EWOULDBLOCK && max_wait < 0) {
			close(fd);
			return -EBUSY;
		}
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
