/* An AWS session: the settings (profile, region, endpoints) and the credential chain built from
 * them, shared by every client a command makes. */
#ifndef RW_AWS_SESSION_H
#define RW_AWS_SESSION_H

#include "aws/client.h"
#include "aws/config.h"
#include "aws/provider.h"

typedef struct rw_aws_session {
    rw_aws_config *cfg;     /* owned */
    rw_aws_provider *creds; /* owned */
} rw_aws_session;

/* Loads the settings and sets up the credential chain into *s (the caller's struct; opts is read
 * during the call only); on error logs it and returns non-zero. Whatever it returns,
 * rw_aws_session_close frees what s holds (not s itself). */
int rw_aws_session_open(rw_aws_session *s, const rw_aws_opts *opts);
/* The same without logging: the error code, with the message set. */
int rw_aws_session_init(rw_aws_session *s, const rw_aws_opts *opts);
void rw_aws_session_close(rw_aws_session *s);

/* A session opened on first use and shared (a scan of local files needs no AWS settings). Used
 * from one thread at a time; the session it gives is then safe to share between threads. */
typedef struct rw_aws_lazy {
    const rw_aws_opts *opts; /* borrowed */
    rw_aws_session s;
    int state;   /* 0 not tried, 1 open, -1 failed */
    char *error; /* why it failed */
} rw_aws_lazy;

/* The session, or NULL with the message set (the same each time it is asked for). It is l's own
 * (&l->s, not to be closed by the caller): valid until rw_aws_lazy_close(l). */
rw_aws_session *rw_aws_lazy_get(rw_aws_lazy *l);
/* Closes the session if it was opened and frees the error; l itself is the caller's. */
void rw_aws_lazy_close(rw_aws_lazy *l);

#endif
