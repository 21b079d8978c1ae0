/* Fuzzes the SNS HTTP/S message parser and signature verification (src/aws/sns_message.c): the
 * body SNS posts, parsed; the string to sign; the certificate URL and SubscribeURL checks; and the
 * signature verified against a fixed test certificate (made with the openssl CLI for this target
 * only: its key signed the seed corpus's messages, tests/fuzz/corpus/fuzz_sns_message, and was not
 * kept). Invariants, each an abort() when broken: parsing returns RW_OK, RW_EINVAL or RW_ELIMIT,
 * with a message when it fails; a parsed message has the fields its type requires and a valid topic
 * ARN; the string to sign starts with "Message\n" and ends with "\nType\n<type>\n"; a verdict is
 * one of the known ones, with a message unless OK; verifying twice gives the same verdict; a URL
 * the checks accept is https on an sns. host without user information; and a message that
 * verifies no longer does once one signed byte (the timestamp's last digit) changes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sns_message.h"
#include "util/buf.h"
#include "util/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_sns_message: invariant broken at %s:%d: %s\n", __FILE__,         \
                    __LINE__, #cond);                                                              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* valid from 2026-12-06 to 2036-12-03 */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIDRTCCAi2gAwIBAgIUGfYXBuq5jdUsw8SN2YkHiIcFU1YwDQYJKoZIhvcNAQEL\n"
                               "BQAwMjEwMC4GA1UEAwwncm9vdHdhdGNoIGZ1enogdGVzdCBzaWduaW5nIGNlcnRp\n"
                               "ZmljYXRlMB4XDTI2MTIwNjA4MjIzMFoXDTM2MTIwMzA4MjIzMFowMjEwMC4GA1UE\n"
                               "Awwncm9vdHdhdGNoIGZ1enogdGVzdCBzaWduaW5nIGNlcnRpZmljYXRlMIIBIjAN\n"
                               "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5N5JAdADJFAxQpbHBK13gnGLgsGn\n"
                               "sSwoKIZFhiCSgXpq3PfMtFr9rIN57dvOwLmDdPko0sdj7PwpuqaqmYCgkUIpIL7p\n"
                               "baz9pXCoQDRs7GVSM3LP6zFa4HFEXOjvoo5X92vPKAp1LyoieGlq07rRPoCWj70m\n"
                               "NPIExMQNZ9iZ5zblHTw4Cikd548uLm/8lEO0zZR0Ki785pPpPH8YQSrgLL0OkC9E\n"
                               "DSL9ZT1GIsDFVxkd06gJH26cE5K7QXgUmWhSsdc/KhGSGwVlnGVI2wugzEhPUGZe\n"
                               "wklxMX5tYu2Z6iGLmwPFm1vA+0DfDRd0K2nDuFg2Lh996l9Jm9zF4TT3MwIDAQAB\n"
                               "o1MwUTAdBgNVHQ4EFgQUhqBvOreywO1KVEC1MUwrunGEINwwHwYDVR0jBBgwFoAU\n"
                               "hqBvOreywO1KVEC1MUwrunGEINwwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B\n"
                               "AQsFAAOCAQEA0kUR09xCPxGEG0VY0yrOjQZ/ieRjkvjyHyDc1i5MBitRQIWSDWT3\n"
                               "OnKZruEKy3WeBQdgvyv7sJq3krk9RHatkb1iFO+k9HBsch/VOY/w0bDLrVERY7To\n"
                               "RFHwhM4m7Ai3z01JRTksmBAK58Qc9jSKXKykt7zqxyxppamaHyZGDlf5EGFg20R+\n"
                               "UJ9DEk4S9lzKAnx5LMxDYA4m/ZNEhh1EUk/bWbUmn+r4JN2s1cwg58uSFARIjkLA\n"
                               "FRtMq8n28T5dm+1gDxPC0ulWUVtwCBD/WMxphTaYuMOGUZCgRHNdxXdEDneangVF\n"
                               "+EsUNHPjstS9Ca7gPooZuYqaYRGfZZJXQQ==\n"
                               "-----END CERTIFICATE-----\n";
#define NOW 1798761600 /* 2027-01-01T00:00:00Z: within the certificate's validity */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1 << 20) return 0;
    /* the URL checks on the raw bytes, as a string */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    int rc = rw_sns_cert_url_check(s);
    CHECK(rc == RW_OK || (rc == RW_EINVAL && *rw_error_last()));
    if (rc == RW_OK) CHECK(strncmp(s, "https://sns.", 12) == 0 && !strchr(s, '@'));
    rc = rw_sns_subscribe_url_check(s);
    CHECK(rc == RW_OK || (rc == RW_EINVAL && *rw_error_last()));
    if (rc == RW_OK) CHECK(strncmp(s, "https://sns.", 12) == 0 && !strchr(s, '@'));
    (void)rw_sns_topic_arn_valid(s);
    free(s);

    rw_sns_message *m = NULL;
    rc = rw_sns_message_parse(&m, (const char *)data, size);
    CHECK(rc == RW_OK || rc == RW_EINVAL || rc == RW_ELIMIT);
    if (rc != RW_OK) {
        CHECK(m == NULL && *rw_error_last());
        return 0;
    }
    CHECK(m && m->message_id && m->topic_arn && m->message && m->timestamp);
    CHECK(rw_sns_topic_arn_valid(m->topic_arn));
    if (m->type == RW_SNS_NOTIFICATION)
        CHECK(!m->subscribe_url && !m->token);
    else
        CHECK(m->subscribe_url && m->token && !m->subject);
    rw_buf tbs;
    rw_buf_init(&tbs, 0);
    CHECK(rw_sns_string_to_sign(m, &tbs) == RW_OK);
    CHECK(tbs.len > 8 && memcmp(tbs.data, "Message\n", 8) == 0);
    char tail[64];
    int tl = snprintf(tail, sizeof tail, "\nType\n%s\n", rw_sns_type_name(m->type));
    CHECK(tbs.len >= (size_t)tl && memcmp(tbs.data + tbs.len - tl, tail, (size_t)tl) == 0);
    rw_buf_free(&tbs);

    rw_sns_verdict v = rw_sns_verify_pem(m, cert_pem, sizeof cert_pem - 1, NOW);
    CHECK(v >= RW_SNS_OK && v <= RW_SNS_BAD_SIGNATURE);
    if (v != RW_SNS_OK) CHECK(*rw_error_last());
    CHECK(rw_sns_verify_pem(m, cert_pem, sizeof cert_pem - 1, NOW) == v);
    if (v == RW_SNS_OK) {
        char *ts = m->timestamp;
        for (size_t i = strlen(ts); i-- > 0;)
            if (ts[i] >= '0' && ts[i] <= '9') {
                ts[i] = ts[i] == '9' ? '0' : (char)(ts[i] + 1);
                break;
            }
        CHECK(rw_sns_verify_pem(m, cert_pem, sizeof cert_pem - 1, NOW) == RW_SNS_BAD_SIGNATURE);
    }
    rw_sns_message_free(m);
    return 0;
}
