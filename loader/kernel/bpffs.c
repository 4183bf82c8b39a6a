// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "log.h"

/* 1 if path is a bpffs mount, 0 if not, -errno if it cannot be told. */
static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return st.f_type == (typeof(st.f_type))BPF_FS_MAGIC;
}

/* A process in the host's namespaces: kthreadd (PID 2), like every kernel
 * thread, never leaves the initial ones; PID 1 may be sandboxed (its ns
 * links unreadable) or, in a container, be the container's own init. */
static const char *host_proc(void)
{
	char comm[32] = "";
	FILE *f = fopen("/proc/2/comm", "r");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	return !strcmp(comm, "kthreadd\n") ? "/proc/2" : "/proc/1";
}

/* 1 same namespace as the host, 0 another, -1 cannot tell. */
static int same_ns(const char *kind)
{
	char a[64], b[64];
	struct stat sa, sb;

	snprintf(a, sizeof(a), "/proc/self/ns/%s", kind);
	snprintf(b, sizeof(b), "%s/ns/%s", host_proc(), kind);
	if (stat(a, &sa) || stat(b, &sb))
		return -1;
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

int bpffs_root(char *buf, size_t len)
{
	const char *env = getenv("XDPLB_BPFFS");

	if (env && *env) {
		int r = is_bpffs(env);

		if (r < 0) {
			pr_warn("XDPLB_BPFFS=%s: %s\n", env, strerror(-r));
			return r;
		}
		if (!r) {
			pr_warn("XDPLB_BPFFS=%s is not a bpffs mount\n", env);
			return -ENOTDIR;
		}
		snprintf(buf, len, "%s", env);
		return 0;
	}
	if (is_bpffs("/sys/fs/bpf") > 0) {
		snprintf(buf, len, "/sys/fs/bpf");
		return 0;
	}
	snprintf(buf, len, "%s/root/sys/fs/bpf", host_proc());
	if (same_ns("mnt") != 1 && is_bpffs(buf) > 0)
		return 0; /* `ip netns exec` remounted /sys: the host's bpffs is there */
	if (same_ns("mnt") == 0) {
		pr_warn("bpffs is not mounted on this host, and this process runs in a private mount namespace (ip netns exec?), where pins would vanish with it. Mount it on the host first (mount -t bpf bpf /sys/fs/bpf), or enter the namespace with nsenter --net=/run/netns/NAME\n");
		return -ENOENT;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_warn("mounting bpffs on /sys/fs/bpf: %s\n", strerror(errno));
		return err;
	}
	pr_info("mounted bpffs on /sys/fs/bpf\n");
	snprintf(buf, len, "/sys/fs/bpf");
	return 0;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* Linux 5.14; glibc 2.36's headers lack it */
#endif

/* The cookie of this process's network namespace: any socket's. */
static int netns_cookie(unsigned long long *out)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;
	socklen_t len = sizeof(*out);

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, out, &len))
		err = -errno;
	close(fd);
	return err;
}

void netns_suffix(char *buf, size_t len)
{
	unsigned long long cookie;
	struct stat st;

	buf[0] = '\0';
	/* when we cannot tell, the suffix is the safe choice: no collision */
	if (same_ns("net") == 1)
		return;
	if (!netns_cookie(&cookie))
		snprintf(buf, len, "@ns%llu", cookie);
	else if (!stat("/proc/self/ns/net", &st))
		snprintf(buf, len, "@ino%lu", (unsigned long)st.st_ino);
}

int netns_name(char *buf, size_t len)
{
	struct stat self, st;
	struct dirent *de;
	char path[300];
	int found = 0;
	DIR *d;

	if (stat("/proc/self/ns/net", &self))
		return 0;
	d = opendir("/run/netns");
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		/* a live bind mount of the namespace: same device and inode */
		if (!stat(path, &st) && st.st_dev == self.st_dev && st.st_ino == self.st_ino) {
			snprintf(buf, len, "%s", de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int pin_dir(const char *ifname, int decap, char *buf, size_t len)
{
	char root[256], suffix[40];
	int err = bpffs_root(root, sizeof(root));

	if (err)
		return err;
	netns_suffix(suffix, sizeof(suffix));
	if ((size_t)snprintf(buf, len, "%s/xdplb/%s%s%s", root, decap ? "decap/" : "", ifname,
			     suffix) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int mkdir_p(const char *path)
{
	char tmp[512];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Removes every pin of a pin dir (the maps and links of whichever xdplb
 * version made them), then the dir, then its parents xdplb/decap and xdplb
 * once they are empty. */
void pins_remove(const char *dir)
{
	char path[600];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s", dir);
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');
		const char *base;

		if (!slash)
			break;
		*slash = '\0';
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (strcmp(base, "xdplb") && strcmp(base, "decap"))
			break;
		rmdir(path); /* fails harmlessly when not empty */
	}
}
