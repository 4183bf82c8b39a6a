// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xdplb_abi.h"
#include "netdev.h"

int netdev_ifindex(const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);

	return idx ? (int)idx : -ENODEV;
}

/* One SIOCGIF* ioctl of ifname into ifr: 0, or -errno. */
static int ifreq_get(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	if (strlen(ifname) >= sizeof(ifr->ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(ifr->ifr_name, ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

int netdev_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int err = ifreq_get(ifname, SIOCGIFMTU, &ifr);

	return err ? err : ifr.ifr_mtu;
}

int netdev_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = {};
	int err = ifreq_get(ifname, SIOCGIFHWADDR, &ifr);

	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

int netdev_running(const char *ifname)
{
	struct ifreq ifr = {};
	int err = ifreq_get(ifname, SIOCGIFFLAGS, &ifr);

	return err ? err : (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

int netdev_addrs(const char *ifname, struct xdplb_addr *addrs, __u8 *families, int max)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		memset(&addrs[n], 0, sizeof(addrs[n]));
		if (i->ifa_addr->sa_family == AF_INET) {
			addrs[n].v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
			families[n++] = XDPLB_AF_INET;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(addrs[n].b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			families[n++] = XDPLB_AF_INET6;
		}
	}
	freeifaddrs(ifa);
	return n;
}
