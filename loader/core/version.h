/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* version.h - xdplb's release: `xdplb version`, xdplb_build_info. */
#ifndef XDPLB_VERSION_H
#define XDPLB_VERSION_H

#define XDPLB_VERSION "0.1.0"

#endif
