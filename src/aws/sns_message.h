/* Messages Amazon SNS posts to an HTTP/S subscriber (the sns-http watch source): parsing them,
 * the exact string SNS signs for each type, and verifying their signatures.
 *
 * SNS signs every message it posts with an RSA key whose certificate it serves from
 * https://sns.<region>.amazonaws.com/<name>.pem (…amazonaws.com.cn in China), and says where in
 * the message (SigningCertURL). SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA, over
 *
 *   Notification:                       Message, MessageId, Subject (when present), Timestamp,
 *                                       TopicArn, Type
 *   SubscriptionConfirmation and
 *   UnsubscribeConfirmation:            Message, MessageId, SubscribeURL, Timestamp, Token,
 *                                       TopicArn, Type
 *
 * each written as its name, a line feed, its value, a line feed, in that order. What a message
 * holds besides those (UnsubscribeURL, MessageAttributes, a SubscribeURL in a Notification) is
 * not signed, and rootwatch does not use it.
 *
 * A certificate is trusted for where it comes from: fetched over TLS verified against the system's
 * CAs from an SNS host, never from any URL a message names. The URL must be exactly
 * https://sns.<region>.amazonaws.com[.cn]/<name>.pem: no user information, no port, no query, no
 * other host (an S3 bucket under amazonaws.com is not SNS). Certificates are cached by URL.
 *
 * For tests and local emulators only, a verifier may be given a loopback endpoint
 * (http://127.0.0.1:PORT): the certificate URL and SubscribeURL are checked exactly as always,
 * and then fetched from that endpoint (same path and query) instead of the SNS host. Nothing else
 * can make rootwatch fetch over plain http. */
#ifndef RW_AWS_SNS_MESSAGE_H
#define RW_AWS_SNS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum rw_sns_type {
    RW_SNS_NOTIFICATION,
    RW_SNS_SUBSCRIPTION_CONFIRMATION,
    RW_SNS_UNSUBSCRIBE_CONFIRMATION,
} rw_sns_type;

/* A message as posted. Strings are NUL-terminated copies; message may hold NUL characters (SNS
 * takes any UTF-8), so it has a length. The signature fields are NULL when absent (an unsigned
 * message parses: rw_sns_verify refuses it). */
typedef struct rw_sns_message {
    rw_sns_type type;
    char *message_id;
    char *topic_arn;
    char *subject; /* Notification: NULL when absent */
    char *message;
    size_t message_len;
    char *timestamp;
    char *signature_version; /* "1", "2", ... */
    char *signature;         /* base64 */
    char *signing_cert_url;
    char *subscribe_url; /* the confirmations: required */
    char *token;         /* the confirmations: required */
} rw_sns_message;

/* The biggest body rw_sns_message_parse takes (SNS's messages are at most 256 KiB; JSON escaping
 * in the envelope can make them a few times longer). */
#define RW_SNS_MAX_BODY ((size_t)4 << 20)

/* Parses an HTTP body SNS posted. RW_OK with *out (freed with rw_sns_message_free), or RW_EINVAL
 * and a message saying what is wrong: "not JSON: ... at byte 17", "Type is a number, not a
 * string", "no TopicArn", "Type 'Foo' is not a message SNS posts", "MessageId appears twice";
 * RW_ELIMIT for a body over RW_SNS_MAX_BODY. */
int rw_sns_message_parse(rw_sns_message **out, const char *body, size_t len);
void rw_sns_message_free(rw_sns_message *m);
/* "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation" (a static string). */
const char *rw_sns_type_name(rw_sns_type t);

/* Appends the string SNS signed for m (above) to out. */
int rw_sns_string_to_sign(const rw_sns_message *m, rw_buf *out);

/* Is url an SNS signing certificate's URL (https://sns.<region>.amazonaws.com[.cn]/<name>.pem,
 * <name> of letters, digits, '.', '_' and '-')? RW_OK, or RW_EINVAL saying why not. */
int rw_sns_cert_url_check(const char *url);
/* Is url an SNS SubscribeURL (https://sns.<region>.amazonaws.com[.cn]/?Action=ConfirmSubscription
 * &...)? RW_OK, or RW_EINVAL saying why not. */
int rw_sns_subscribe_url_check(const char *url);
/* Is arn an SNS topic's ARN (arn:<partition>:sns:<region>:<12 digits>:<name>)? */
bool rw_sns_topic_arn_valid(const char *arn);

/* What verification concluded. Everything but OK and CERT_UNAVAILABLE is a refusal for good (a
 * forgery, or something rootwatch will never take); CERT_UNAVAILABLE may pass later (the
 * certificate could not be fetched: network, SNS answered 5xx). */
typedef enum rw_sns_verdict {
    RW_SNS_OK = 0,
    RW_SNS_UNSIGNED,         /* no Signature, SignatureVersion or SigningCertURL */
    RW_SNS_BAD_VERSION,      /* a SignatureVersion other than 1 and 2 */
    RW_SNS_CERT_URL,         /* SigningCertURL is not an SNS certificate URL */
    RW_SNS_CERT_UNAVAILABLE, /* the certificate could not be fetched now */
    RW_SNS_BAD_CERT,         /* not a certificate rootwatch takes (not PEM, not RSA, expired),
                                or the host refused it (4xx) */
    RW_SNS_BAD_SIGNATURE,    /* the signature is not base64 or does not verify */
} rw_sns_verdict;

/* "ok", "unsigned", "bad_version", "certificate_url", "certificate_unavailable",
 * "bad_certificate", "bad_signature": for metrics' labels (a static string). */
const char *rw_sns_verdict_name(rw_sns_verdict v);

/* Verifies m's signature with the certificate cert_pem (the first certificate of a PEM text),
 * without fetching anything and without checking the certificate's URL. The message says why when
 * the verdict is not OK. now: seconds since the epoch, for the certificate's validity. */
rw_sns_verdict rw_sns_verify_pem(const rw_sns_message *m, const char *cert_pem, size_t len,
                                 int64_t now);

typedef struct rw_sns_verifier rw_sns_verifier;

typedef struct rw_sns_verifier_opts {
    /* Tests and emulators only: fetch certificates and SubscribeURLs from this loopback URL
     * (http://127.0.0.1:PORT, https://localhost:PORT, ...) instead of the SNS host, after the
     * same checks. NULL: from the SNS hosts, over https. */
    const char *endpoint;
    size_t cache_max; /* certificates kept (default 16) */
    long timeout_ms;  /* each fetch (default 5000) */
    /* certificates not in the cache fetched per minute at most (default 30); past it a message
     * is CERT_UNAVAILABLE (to be delivered again), so that forged messages naming ever new .pem
     * files cannot turn rootwatch into a flood of requests to AWS. One fetch at a time: another
     * waits a second at most, then is CERT_UNAVAILABLE too. */
    int max_fetches_per_minute;
    int64_t (*now)(void); /* seconds since the epoch (default rw_time_now) */
    /* Replaces the fetch itself (tests): fills body and returns the HTTP status, or an error code
     * (< 0) for a network failure. NULL: HTTP. */
    int (*fetch)(void *ctx, const char *url, rw_buf *body);
    void *fetch_ctx;
} rw_sns_verifier_opts;

/* A verifier with its certificate cache; thread-safe. RW_OK with *out, or RW_EINVAL when the
 * endpoint is not a loopback http(s) URL. opts (copied) may be NULL. */
int rw_sns_verifier_new(rw_sns_verifier **out, const rw_sns_verifier_opts *opts);
void rw_sns_verifier_free(rw_sns_verifier *v);
/* Checks m's certificate URL, fetches the certificate (or takes it from the cache) and verifies
 * m's signature with it. The message (rw_error_last) says why when the verdict is not OK. */
rw_sns_verdict rw_sns_verify(rw_sns_verifier *v, const rw_sns_message *m);
/* Confirms a subscription: checks m's SubscribeURL (rw_sns_subscribe_url_check) and fetches it.
 * Verify m first. RW_OK when SNS answered 200; RW_EINVAL for a URL refused or a 4xx answer;
 * RW_ERETRY for a network failure or a 5xx answer; the message says which. */
int rw_sns_confirm(rw_sns_verifier *v, const rw_sns_message *m);
/* How many certificates were fetched (not taken from the cache): for tests. */
uint64_t rw_sns_verifier_fetches(const rw_sns_verifier *v);

#endif
