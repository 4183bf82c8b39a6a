// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * jit-lines - where a loaded BPF program's JITed code comes from: one line
 * per jited_line_info entry, "ADDRESS LINE SOURCE", the address in the
 * kernel's text (what perf samples), the source line from the program's
 * BTF. Debian's bpftool and perf have no libbfd, so neither annotates a
 * JITed program; tools/jit-profile joins this with perf's samples.
 *   jit-lines PROG_ID
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nj, nl, rec;
	struct bpf_line_info *li;
	struct btf *btf;
	__u64 *jl;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: jit-lines PROG_ID\n");
		return 2;
	}
	fd = bpf_prog_get_fd_by_id((__u32)strtoul(argv[1], NULL, 0));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit-lines: program %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	nj = info.nr_jited_line_info;
	nl = info.nr_line_info;
	rec = info.line_info_rec_size;
	jl = calloc(nj ? nj : 1, sizeof(*jl));
	li = calloc(nl ? nl : 1, rec ? rec : sizeof(*li));
	if (!jl || !li)
		return 1;
	memset(&info, 0, sizeof(info));
	info.nr_jited_line_info = nj;
	info.jited_line_info = (__u64)(unsigned long)jl;
	info.jited_line_info_rec_size = sizeof(*jl);
	info.nr_line_info = nl;
	info.line_info = (__u64)(unsigned long)li;
	info.line_info_rec_size = rec;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "jit-lines: line info of program %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		fprintf(stderr, "jit-lines: BTF %u of program %s: %s\n", info.btf_id, argv[1],
			strerror(errno));
		return 1;
	}
	/* jited_line_info[i] is where line_info[i] starts in the image */
	for (__u32 i = 0; i < nj && i < nl; i++) {
		const struct bpf_line_info *l = (const void *)((const char *)li + (size_t)i * rec);
		const char *src = btf__name_by_offset(btf, l->line_off);

		printf("%llx %u %s\n", (unsigned long long)jl[i],
		       BPF_LINE_INFO_LINE_NUM(l->line_col), src ? src : "");
	}
	btf__free(btf);
	return 0;
}
