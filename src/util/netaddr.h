/* Listening addresses: "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464", "localhost:9464" (taken
 * as 127.0.0.1). Numeric addresses only: a listener never waits on a name lookup. */
#ifndef RW_UTIL_NETADDR_H
#define RW_UTIL_NETADDR_H

#include <sys/socket.h>

/* Parses address:port into *ss (and *len). RW_OK, or RW_EINVAL with the message set saying what
 * is wrong ("not address:port (127.0.0.1:9464, [::1]:9464)", "the port is not a number ..."). */
int rw_netaddr_parse_listen(const char *v, struct sockaddr_storage *ss, socklen_t *len);
/* "127.0.0.1:9464" or "[::1]:9464", with port in place of the address's own when port >= 0. */
void rw_netaddr_format(const struct sockaddr_storage *ss, int port, char out[64]);

#endif
