/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * bpffs.h - where xdplb pins: <bpffs>/xdplb/<iface> for the LB,
 * <bpffs>/xdplb/decap/<iface> for the backend side.
 *
 * bpffs is shared by every network namespace of a host, so an interface in
 * a namespace other than the host's gets the suffix @ns<netns cookie>: two
 * LBs on "eth0" in two namespaces never collide, and a namespace never
 * finds the pins of a deleted one. The cookie (SO_NETNS_COOKIE) is never
 * reused while the host runs, which is as long as pins live; a namespace's
 * inode number is reused within seconds of its deletion. "The host" is
 * where kthreadd lives (see bpffs.c).
 */
#ifndef XDPLB_BPFFS_H
#define XDPLB_BPFFS_H

#include <stddef.h>

/*
 * The bpffs mount to use: $XDPLB_BPFFS, else /sys/fs/bpf, else the host's
 * (through /proc/2/root: kthreadd) when `ip netns exec` has remounted /sys
 * over it. Mounts
 * /sys/fs/bpf when missing and we are in the host's mount namespace; refuses
 * (-ENOENT, with a message) in a private one, where pins would vanish with
 * the namespace and take the data path with them.
 */
int bpffs_root(char *buf, size_t len);

/* <root>/xdplb[/decap]/<iface>[@ns<cookie>]; does not create it. */
int pin_dir(const char *ifname, int decap, char *buf, size_t len);

/* "" in the host's network namespace, "@ns<cookie>" in others ("@ino<inode>"
 * on a kernel without SO_NETNS_COOKIE, before 5.14). */
void netns_suffix(char *buf, size_t len);

/* The name under /run/netns (ip netns) of this process's network
 * namespace, if it has one: 1 and the name in buf, 0 if it has none. */
int netns_name(char *buf, size_t len);

/* mkdir -p, each directory made 0700. 0 or -errno. */
int mkdir_p(const char *path);

/* Removes every pin of a pin dir, then the dir and its parents xdplb/decap
 * and xdplb once empty. */
void pins_remove(const char *dir);

#endif
