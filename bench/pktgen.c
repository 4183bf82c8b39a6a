// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pktgen.c - a small AF_PACKET sendmmsg traffic generator for the veth
 * throughput bench (Debian's xdp-trafficgen does not run on this kernel).
 *
 *   xdplb-pktgen --iface IF --dst-mac MAC --dst ADDR --dport N
 *                [--flows N] [--seconds S] [--syn]
 *
 * Sends TCP frames from N flows (10.<flow>.x sources, fixed ports) to
 * ADDR:PORT as fast as one core can, for S seconds (at most 60), and
 * prints the frames sent per second. Bounded in time by design.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define FRAME 64

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned short csum(const void *d, size_t n)
{
	const unsigned char *p = d;
	unsigned int s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (unsigned int)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((unsigned short)~s);
}

/* An Ethernet + IPv4 + TCP frame of 64 bytes. */
static void frame(unsigned char *f, const unsigned char *dmac, const unsigned char *smac,
		  unsigned int src, unsigned int dst, unsigned short sport, unsigned short dport,
		  int syn)
{
	unsigned char *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, FRAME);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 0, ip[3] = 46; /* 20 + 20 + 6 bytes of payload: a 60-byte frame */
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	*(unsigned short *)(ip + 10) = csum(ip, 20);
	*(unsigned short *)tcp = htons(sport);
	*(unsigned short *)(tcp + 2) = htons(dport);
	tcp[12] = 5 << 4;
	tcp[13] = syn ? 0x02 : 0x10;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' }, { "dst-mac", required_argument, NULL, 'm' },
		{ "dst", required_argument, NULL, 'd' },   { "dport", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' }, { "seconds", required_argument, NULL, 's' },
		{ "syn", no_argument, NULL, 'S' },	   { 0 }
	};
	const char *ifname = NULL, *mac = NULL, *dst = NULL;
	unsigned int flows = 1024, dport = 80, daddr;
	unsigned char dmac[6], smac[6] = { 2, 0, 0, 0, 0, 0x77 };
	double seconds = 3, t0, t = 0;
	unsigned long sent = 0;
	int c, fd, syn = 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned char (*frames)[FRAME];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];

	while ((c = getopt_long(argc, argv, "i:m:d:p:f:s:S", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'm': mac = optarg; break;
		case 'd': dst = optarg; break;
		case 'p': dport = (unsigned int)atoi(optarg); break;
		case 'f': flows = (unsigned int)atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'S': syn = 1; break;
		default: return 2;
		}
	}
	if (!ifname || !mac || !dst || inet_pton(AF_INET, dst, &daddr) != 1 || !flows ||
	    flows > 65536 || seconds <= 0 || seconds > 60 ||
	    sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3],
		   &dmac[4], &dmac[5]) != 6) {
		fprintf(stderr, "usage: xdplb-pktgen --iface IF --dst-mac MAC --dst ADDR [--dport N] [--flows N<=65536] [--seconds S<=60] [--syn]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);
	if (fd < 0 || !sll.sll_ifindex) {
		fprintf(stderr, "pktgen: %s: %s\n", ifname, strerror(errno));
		return 3;
	}
	frames = calloc(flows, FRAME);
	if (!frames)
		return 3;
	for (unsigned int i = 0; i < flows; i++)
		frame(frames[i], dmac, smac, htonl(0x0a000000 | i << 8 | 1), daddr,
		      (unsigned short)(1024 + i), (unsigned short)dport, syn);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_len = 60;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &sll;
		msgs[i].msg_hdr.msg_namelen = sizeof(sll);
	}
	t0 = now();
	do {
		for (int i = 0; i < BATCH; i++)
			iov[i].iov_base = frames[(sent + (unsigned long)i) % flows];
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			fprintf(stderr, "pktgen: sendmmsg: %s\n", strerror(errno));
			return 3;
		}
		sent += (unsigned long)n;
		t = now() - t0;
	} while (t < seconds);
	printf("%lu frames in %.2f s: %.0f pps\n", sent, t, sent / t);
	close(fd);
	free(frames);
	return 0;
}
