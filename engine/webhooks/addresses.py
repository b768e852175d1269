"""Which network addresses a user-given URL may reach (pure).

Link-local, metadata, unspecified, multicast, broadcast and reserved addresses are always
refused; private ranges and loopback only unless the policy allows them. IPv6 forms that
carry an IPv4 address (mapped, 6to4, NAT64) are judged by that IPv4 address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, …
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))
PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7",
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allow_loopback: bool = False

    def refusal(self, address: str | IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None if it may."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return f"{address!r} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.scope_id:
                return f"{ip} is a scoped (link-local) address"
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                why = self.refusal(embedded)
                return None if why is None else f"{ip} embeds {embedded}: {why}"
        if ip in METADATA:
            return f"{ip} is a cloud metadata address"
        if ip.is_link_local:
            return f"{ip} is a link-local address"
        if ip.is_unspecified:
            return f"{ip} is the unspecified address"
        if ip.is_multicast:
            return f"{ip} is a multicast address"
        if ip.is_loopback:  # before "reserved": ::1 lies in the reserved ::/8
            return None if self.allow_loopback else f"{ip} is a loopback address"
        if ip == ipaddress.IPv4Address("255.255.255.255") or ip.is_reserved:
            return f"{ip} is a reserved address"
        if any(ip in net for net in PRIVATE if net.version == ip.version):
            return None if self.allow_private else f"{ip} is a private address"
        if not ip.is_global:
            # Documentation, benchmarking, "this network" and other special-purpose blocks.
            return f"{ip} is a special-purpose address"
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None
