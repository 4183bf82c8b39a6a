/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * link.h - a program on an interface through a pinned BPF link: attach,
 * check, replace, detach (link.c).
 */
#ifndef XDPLB_LINK_H
#define XDPLB_LINK_H

#include <stdbool.h>
#include <bpf/bpf.h>

/* "native" or "generic" (enum xdplb_mode) */
const char *mode_str(int mode);

/* Attaches prog to ifindex in exactly the requested mode (never a silent
 * fallback), as a link pinned at path. Returns the link fd, or -errno
 * (said why). */
int link_attach(int prog_fd, int ifindex, const char *ifname, int mode, const char *path);

int link_info(int link_fd, struct bpf_link_info *info);
int link_prog_info(int prog_fd, struct bpf_prog_info *info);

/* Is the pinned link still attached to ifindex, in this mode? 0 and *li;
 * -ENOLINK when its interface is gone; -ECANCELED (said) on another mode. */
int link_check(int link_fd, int ifindex, const char *ifname, int mode, struct bpf_link_info *li);
/* The same, saying nothing. */
int link_check_quiet(int link_fd, int ifindex, int mode, struct bpf_link_info *li);

/* Makes the link run prog_fd unless the live program (live_prog_id) has
 * the same instructions (tag). 0 kept (*prog_id = the live one), 1
 * replaced (*prog_id = the new one), -errno. */
int link_replace(int link_fd, __u32 live_prog_id, int prog_fd, __u32 *prog_id);

/* Detaches the pinned link of dir, if any, then removes the dir's pins. */
int link_detach_dir(const char *dir, const char *ifname);
/* The same on the interface's pin dir (decap: the decap program's), under
 * its lock. Nothing loaded is not an error. */
int link_unload(const char *ifname, int decap);

/* Is the link pinned in dir detached because its interface is gone (its
 * maps an LB that runs nowhere)? False when there is no link pin. */
bool link_pin_dead(const char *dir);
/* Removes every other LB pin dir whose link is dead (link_pin_dead), each
 * under its lock; own is left to the caller. */
void link_gc_dead(const char *own);

#endif
