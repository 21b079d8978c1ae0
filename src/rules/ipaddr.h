/* IP addresses as EventBridge reads them, for cidr patterns and IP-literal values: the address as
 * uppercase hex digits (8 for IPv4, 32 for IPv6), and CIDR ranges as a bottom and a top of them. */
#ifndef RW_IPADDR_H
#define RW_IPADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Parses s[0..n) as an IPv4 (four decimal parts, each at most 255) or IPv6 address (an
 * IPv4-mapped IPv6 address counts as IPv4). Writes the hex digits to hex (up to 33 bytes with the
 * NUL) and returns their number, or 0 when s is not an IP address. With why, says why not:
 * "Nonstandard IP address" (the text has the wrong shape) or "Invalid IP address" (a static
 * string). */
size_t rw_ipaddr_to_hex(const char *s, size_t n, char hex[33], const char **why);

/* Parses a CIDR block "address/bits" into bottom and top hex digits; returns their number, or 0
 * with AWS's reason in reason. */
size_t rw_ipaddr_cidr_parse(const char *s, size_t n, char bottom[33], char top[33],
                            char reason[160]);

/* Is v (bytes) inside [bottom, top] (len hex digits each), compared digit by digit as EventBridge's
 * byte machine does (the deciding digit ends the comparison)? */
bool rw_ipaddr_hex_range_match(const char *v, size_t vn, const char *bottom, const char *top,
                               size_t len);

#endif
