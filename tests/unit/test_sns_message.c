/* SNS HTTP/S messages (src/aws/sns_message.c): parsing, the string to sign of each type, the
 * certificate URL and SubscribeURL checks, and signature verification (SignatureVersion 1 and 2)
 * with keys and certificates this test makes itself (nothing of AWS's): every signed field
 * tampered with, the wrong certificate, unusable certificates, the cache, the loopback endpoint
 * for tests (through a real HTTP server on loopback), and hostile input. */
#include "rwtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aws/sns_message.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define TOPIC "arn:aws:sns:us-east-1:123456789012:rootwatch-alerts"
#define CERT_URL "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem"
#define SUB_URL                                                                                    \
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" TOPIC              \
    "&Token=2336412f37fb687f5d51e6e2425a8a58"

/* ---- keys and certificates made here ------------------------------------------------------- */

static EVP_PKEY *key_a, *key_b, *key_small, *key_ec;
static char *pem_a, *pem_b, *pem_small, *pem_ec, *pem_expired, *pem_future;

static char *make_cert(EVP_PKEY *key, long from_s, long to_s) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sns.amazonaws.com",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, key, EVP_sha256())) fail_msg("X509_sign failed");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, x);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)n);
    BIO_free(bio);
    X509_free(x);
    return pem;
}

static int group_setup(void **state) {
    (void)state;
    key_a = EVP_RSA_gen(2048);
    key_b = EVP_RSA_gen(2048);
    key_small = EVP_RSA_gen(1024);
    key_ec = EVP_EC_gen("P-256");
    if (!key_a || !key_b || !key_small || !key_ec) return -1;
    pem_a = make_cert(key_a, -3600, 86400);
    pem_b = make_cert(key_b, -3600, 86400);
    pem_small = make_cert(key_small, -3600, 86400);
    pem_ec = make_cert(key_ec, -3600, 86400);
    pem_expired = make_cert(key_a, -7200, -3600);
    pem_future = make_cert(key_a, 3600, 7200);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    EVP_PKEY_free(key_a);
    EVP_PKEY_free(key_b);
    EVP_PKEY_free(key_small);
    EVP_PKEY_free(key_ec);
    free(pem_a);
    free(pem_b);
    free(pem_small);
    free(pem_ec);
    free(pem_expired);
    free(pem_future);
    return 0;
}

static int64_t now_s(void) {
    return (int64_t)time(NULL);
}

/* ---- messages made and signed here, as SNS does ----------------------------------------- */

typedef struct msgf {
    const char *type, *message_id, *topic, *subject, *message, *timestamp, *version, *cert_url,
        *subscribe_url, *token, *unsubscribe_url;
    size_t message_len;    /* 0: strlen(message) */
    const char *signature; /* NULL: sign; "": leave out */
} msgf;

static msgf notification(void) {
    return (msgf){.type = "Notification",
                  .message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
                  .topic = TOPIC,
                  .subject = "root activity",
                  .message = "{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{}}",
                  .timestamp = "2026-12-06T08:00:00.123Z",
                  .version = "2",
                  .cert_url = CERT_URL,
                  .unsubscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&x=1"};
}

static msgf confirmation(const char *type) {
    return (msgf){.type = type,
                  .message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
                  .topic = TOPIC,
                  .message = "You have chosen to subscribe to the topic " TOPIC
                             ".\nTo confirm the subscription, visit the SubscribeURL included in "
                             "this message.",
                  .timestamp = "2026-12-06T08:00:00.000Z",
                  .version = "1",
                  .cert_url = CERT_URL,
                  .subscribe_url = SUB_URL,
                  .token = "2336412f37fb687f5d51e6e2425a8a58"};
}

static size_t mlen(const msgf *f) {
    return f->message_len ? f->message_len : strlen(f->message);
}

/* The string to sign, written out here on its own (not through the code under test). */
static void to_sign(const msgf *f, rwt_str *s) {
    rwt_adds(s, "Message\n");
    rwt_add(s, f->message, mlen(f));
    rwt_addf(s, "\nMessageId\n%s\n", f->message_id);
    if (!strcmp(f->type, "Notification")) {
        if (f->subject) rwt_addf(s, "Subject\n%s\n", f->subject);
        rwt_addf(s, "Timestamp\n%s\nTopicArn\n%s\nType\n%s\n", f->timestamp, f->topic, f->type);
    } else {
        rwt_addf(s, "SubscribeURL\n%s\nTimestamp\n%s\nToken\n%s\nTopicArn\n%s\nType\n%s\n",
                 f->subscribe_url, f->timestamp, f->token, f->topic, f->type);
    }
}

static char *sign(EVP_PKEY *key, const char *version, const msgf *f) {
    rwt_str s = {0};
    to_sign(f, &s);
    const EVP_MD *md = !strcmp(version, "1") ? EVP_sha1() : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)s.p, s.n) != 1)
        fail_msg("signing failed");
    EVP_MD_CTX_free(ctx);
    rwt_free(&s);
    char *b64 = malloc(siglen * 2 + 4);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
    return b64;
}

static void member(rwt_str *s, const char *name, const char *v, size_t n) {
    if (!v) return;
    rw_buf b;
    rw_buf_init(&b, 0);
    rw_json_write_str(&b, v, n);
    rwt_addf(s, "%s\"%s\":%s", s->n > 1 ? "," : "", name, b.data);
    rw_buf_free(&b);
}

/* The body SNS would post for f, signed with key (unless f says otherwise). */
static char *body_of(const msgf *f, EVP_PKEY *key) {
    char *sig = f->signature ? strdup(f->signature) : sign(key, f->version, f);
    rwt_str s = {0};
    rwt_adds(&s, "{");
    member(&s, "Type", f->type, strlen(f->type));
    member(&s, "MessageId", f->message_id, strlen(f->message_id));
    if (f->token) member(&s, "Token", f->token, strlen(f->token));
    member(&s, "TopicArn", f->topic, strlen(f->topic));
    if (f->subject) member(&s, "Subject", f->subject, strlen(f->subject));
    member(&s, "Message", f->message, mlen(f));
    if (f->subscribe_url) member(&s, "SubscribeURL", f->subscribe_url, strlen(f->subscribe_url));
    member(&s, "Timestamp", f->timestamp, strlen(f->timestamp));
    if (f->version) member(&s, "SignatureVersion", f->version, strlen(f->version));
    if (*sig) member(&s, "Signature", sig, strlen(sig));
    if (f->cert_url) member(&s, "SigningCertURL", f->cert_url, strlen(f->cert_url));
    if (f->unsubscribe_url)
        member(&s, "UnsubscribeURL", f->unsubscribe_url, strlen(f->unsubscribe_url));
    rwt_adds(&s, "}");
    free(sig);
    return s.p;
}

static rw_sns_message *parse_ok(const char *body) {
    rw_sns_message *m = NULL;
    if (rw_sns_message_parse(&m, body, strlen(body)) != RW_OK)
        fail_msg("%s: %s", body, rw_error_last());
    return m;
}

static rw_sns_verdict verify_body(const char *body, const char *pem) {
    rw_sns_message *m = parse_ok(body);
    rw_sns_verdict v = rw_sns_verify_pem(m, pem, strlen(pem), now_s());
    rw_sns_message_free(m);
    return v;
}

/* ---- parsing and the string to sign -------------------------------------------------------- */

static void test_parse_types(void **state) {
    (void)state;
    msgf f = notification();
    char *body = body_of(&f, key_a);
    rw_sns_message *m = parse_ok(body);
    assert_int_equal(m->type, RW_SNS_NOTIFICATION);
    assert_string_equal(m->message_id, f.message_id);
    assert_string_equal(m->topic_arn, TOPIC);
    assert_string_equal(m->subject, "root activity");
    assert_string_equal(m->message, f.message);
    assert_int_equal(m->message_len, strlen(f.message));
    assert_string_equal(m->timestamp, f.timestamp);
    assert_string_equal(m->signature_version, "2");
    assert_string_equal(m->signing_cert_url, CERT_URL);
    assert_null(m->subscribe_url);
    assert_null(m->token);
    rw_sns_message_free(m);
    free(body);

    f = confirmation("SubscriptionConfirmation");
    body = body_of(&f, key_a);
    m = parse_ok(body);
    assert_int_equal(m->type, RW_SNS_SUBSCRIPTION_CONFIRMATION);
    assert_string_equal(m->subscribe_url, SUB_URL);
    assert_string_equal(m->token, f.token);
    assert_null(m->subject);
    rw_sns_message_free(m);
    free(body);

    f = confirmation("UnsubscribeConfirmation");
    body = body_of(&f, key_a);
    m = parse_ok(body);
    assert_int_equal(m->type, RW_SNS_UNSUBSCRIBE_CONFIRMATION);
    assert_string_equal(rw_sns_type_name(m->type), "UnsubscribeConfirmation");
    rw_sns_message_free(m);
    free(body);
}

static void test_string_to_sign(void **state) {
    (void)state;
    const char *n = "{\"Type\":\"Notification\",\"MessageId\":\"id-1\",\"TopicArn\":\"" TOPIC
                    "\",\"Subject\":\"S\",\"Message\":\"line1\\nline2 \\\"q\\\" \\u00e9\","
                    "\"Timestamp\":\"2026-12-06T08:00:00.123Z\",\"SignatureVersion\":\"1\"}";
    rw_sns_message *m = parse_ok(n);
    rw_buf b;
    rw_buf_init(&b, 0);
    assert_int_equal(rw_sns_string_to_sign(m, &b), RW_OK);
    assert_string_equal(b.data, "Message\nline1\nline2 \"q\" \xc3\xa9\nMessageId\nid-1\n"
                                "Subject\nS\nTimestamp\n2026-12-06T08:00:00.123Z\n"
                                "TopicArn\n" TOPIC "\nType\nNotification\n");
    rw_sns_message_free(m);

    /* no Subject: no Subject line at all (not an empty one) */
    const char *n2 = "{\"Type\":\"Notification\",\"MessageId\":\"id-1\",\"TopicArn\":\"" TOPIC
                     "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00.123Z\"}";
    m = parse_ok(n2);
    rw_buf_reset(&b);
    rw_sns_string_to_sign(m, &b);
    assert_string_equal(b.data, "Message\nm\nMessageId\nid-1\nTimestamp\n2026-12-06T08:00:00.123Z"
                                "\nTopicArn\n" TOPIC "\nType\nNotification\n");
    rw_sns_message_free(m);

    /* a confirmation: SubscribeURL and Token, never Subject */
    const char *c =
        "{\"Type\":\"UnsubscribeConfirmation\",\"MessageId\":\"id-2\",\"Token\":\"tok\","
        "\"TopicArn\":\"" TOPIC "\",\"Subject\":\"ignored\",\"Message\":\"m\","
        "\"SubscribeURL\":\"" SUB_URL "\",\"Timestamp\":\"2026-12-06T08:00:00.000Z\"}";
    m = parse_ok(c);
    rw_buf_reset(&b);
    rw_sns_string_to_sign(m, &b);
    assert_string_equal(b.data,
                        "Message\nm\nMessageId\nid-2\nSubscribeURL\n" SUB_URL
                        "\nTimestamp\n2026-12-06T08:00:00.000Z\nToken\ntok\nTopicArn\n" TOPIC
                        "\nType\nUnsubscribeConfirmation\n");
    rw_sns_message_free(m);
    rw_buf_free(&b);
}

static void parse_fails(const char *body, size_t len, int code, const char *want) {
    rw_sns_message *m = (rw_sns_message *)1;
    assert_int_equal(rw_sns_message_parse(&m, body, len), code);
    assert_null(m);
    assert_contains(rw_error_last(), want);
}

#define PF(body, want) parse_fails(body, strlen(body), RW_EINVAL, want)

static void test_parse_refusals(void **state) {
    (void)state;
    PF("", "empty");
    PF("{\"Type\":\"Notification\",", "not JSON");
    PF("{\"Type\":\"Notification\" x}", "at byte 23");
    PF("[1,2]", "an array, not a JSON object");
    PF("\"Notification\"", "not a JSON object");
    PF("{}", "no Type");
    PF("{\"Type\":7}", "Type is a number, not a string");
    PF("{\"Type\":\"Publish\"}", "Type 'Publish' is not a message SNS posts");
    PF("{\"Type\":\"Notification\"}", "no MessageId");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\"}", "no TopicArn");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC "\"}", "no Message");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":{\"a\":1}}",
       "Message is an object, not a string");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\"}",
       "no Timestamp");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"yesterday\"}",
       "Timestamp 'yesterday' is not a time");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"arn:aws:s3:::bucket\","
       "\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\"}",
       "is not an SNS topic's ARN");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\"}",
       "MessageId is empty");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\",\"Subject\":null}",
       "Subject is null, not a string");
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\",\"Signature\":[]}",
       "Signature is an array, not a string");
    /* a key given twice could be read one way and signed another: refused */
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"TopicArn\":\"arn:aws:sns:us-east-1:999999999999:other\",\"Message\":\"m\","
       "\"Timestamp\":\"2026-12-06T08:00:00Z\"}",
       "TopicArn appears 2 times");
    PF("{\"Type\":\"Notification\",\"Type\":\"Notification\"}", "Type appears 2 times");
    /* NUL characters where none belongs (they would cut a C string short) */
    PF("{\"Type\":\"Notification\",\"MessageId\":\"a\\u0000b\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\"}",
       "MessageId holds a NUL character");
    PF("{\"Type\":\"Notification\\u0000x\"}", "Type holds a NUL character");
    PF("{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\"}",
       "no SubscribeURL");
    PF("{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
       "\",\"Message\":\"m\",\"Timestamp\":\"2026-12-06T08:00:00Z\",\"SubscribeURL\":\"" SUB_URL
       "\"}",
       "no Token");
    PF("\xff\xfe{}", "not JSON");
    /* deep nesting fails cleanly */
    rwt_str deep = {0};
    for (int i = 0; i < 100000; i++) rwt_adds(&deep, "[");
    parse_fails(deep.p, deep.n, RW_EINVAL, "not JSON");
    rwt_free(&deep);
    /* too big: refused before parsing */
    size_t big = RW_SNS_MAX_BODY + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    parse_fails(huge, big, RW_ELIMIT, "over the limit");
    free(huge);

    /* a NUL in Message is kept (its length says where it ends) and signed as is */
    rw_sns_message *m =
        parse_ok("{\"Type\":\"Notification\",\"MessageId\":\"a\",\"TopicArn\":\"" TOPIC
                 "\",\"Message\":\"a\\u0000b\",\"Timestamp\":\"2026-12-"
                 "06T08:00:00Z\"}");
    assert_int_equal(m->message_len, 3);
    assert_memory_equal(m->message, "a\0b", 3);
    rw_sns_message_free(m);
}

/* ---- URLs ---------------------------------------------------------------------------------- */

static void test_cert_urls(void **state) {
    (void)state;
    const char *good[] = {
        CERT_URL,
        "https://sns.eu-west-3.amazonaws.com/"
        "SimpleNotificationService-a86cb10b4e1f29c941702d737128f7b6.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        "https://sns.ap-southeast-5.amazonaws.com/a_b.c-d.pem",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (rw_sns_cert_url_check(good[i]) != RW_OK) fail_msg("%s: %s", good[i], rw_error_last());
    struct {
        const char *url, *why;
    } bad[] = {
        {"http://sns.us-east-1.amazonaws.com/x.pem", "not an https URL"},
        {"HTTPS://sns.us-east-1.amazonaws.com/x.pem", "not an https URL"},
        {"https://sns.us-east-1.amazonaws.com.evil.example/x.pem", "is not SNS's"},
        {"https://evil.example/sns.us-east-1.amazonaws.com/x.pem", "is not SNS's"},
        {"https://s3.amazonaws.com/x.pem", "is not SNS's"},
        {"https://mybucket.s3.us-east-1.amazonaws.com/x.pem", "is not SNS's"},
        {"https://sns.us-east-1.amazonaws.com@evil.example/x.pem", "user information"},
        {"https://evil.example@sns.us-east-1.amazonaws.com/x.pem", "user information"},
        {"https://sns.us-east-1.amazonaws.com:8443/x.pem", "names a port"},
        {"https://sns.us-east-1.amazonaws.com:443/x.pem", "names a port"},
        {"https://SNS.US-EAST-1.AMAZONAWS.COM/x.pem", "is not SNS's"},
        {"https://sns.us-east-1.amazonaws.com./x.pem", "is not SNS's"},
        {"https://sns..amazonaws.com/x.pem", "is not SNS's"},
        {"https://sns.amazonaws.com/x.pem", "is not SNS's"},
        {"https://sns.us_east-1.amazonaws.com/x.pem", "is not SNS's"},
        {"https://sns.a.b.amazonaws.com/x.pem", "is not SNS's"},
        {"https://sns.us-east-1.amazonaws.com/x.pem?x=1", "does not end in .pem"},
        {"https://sns.us-east-1.amazonaws.com/x?.pem", "holds '?'"},
        {"https://sns.us-east-1.amazonaws.com/x.pem#", "does not end in .pem"},
        {"https://sns.us-east-1.amazonaws.com/x.pem#.pem", "holds '#'"},
        {"https://sns.us-east-1.amazonaws.com/x.crt", "does not end in .pem"},
        {"https://sns.us-east-1.amazonaws.com/.pem", "does not end in .pem"},
        {"https://sns.us-east-1.amazonaws.com/a/../x.pem", "holds '/'"},
        {"https://sns.us-east-1.amazonaws.com/%2e%2e/x.pem", "holds '%'"},
        {"https://sns.us-east-1.amazonaws.com/..x.pem", "starts with '.'"},
        {"https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem", "backslash"},
        {"https://sns.us-east-1.amazonaws.com/x .pem", "a space"},
        {"https://sns.us-east-1.amazonaws.com/x\xc3\xa9.pem", "non-ASCII"},
        {"https://sns.us-east-1.amazonaws.com", "has no path"},
        {"https://[::1]/x.pem", "names a port"},
        {"https://127.0.0.1/x.pem", "is not SNS's"},
        {"", "not an https URL"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (rw_sns_cert_url_check(bad[i].url) == RW_OK) fail_msg("accepted %s", bad[i].url);
        assert_contains(rw_error_last(), bad[i].why);
    }
}

static void test_subscribe_urls(void **state) {
    (void)state;
    assert_int_equal(rw_sns_subscribe_url_check(SUB_URL), RW_OK);
    assert_int_equal(rw_sns_subscribe_url_check("https://sns.cn-north-1.amazonaws.com.cn/"
                                                "?TopicArn=x&Action=ConfirmSubscription"),
                     RW_OK);
    struct {
        const char *url, *why;
    } bad[] = {
        {"http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", "not an https URL"},
        {"https://evil.example/?Action=ConfirmSubscription", "is not SNS's"},
        {"https://sns.us-east-1.amazonaws.com:444/?Action=ConfirmSubscription", "names a port"},
        {"https://u:p@sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", "user information"},
        {"https://sns.us-east-1.amazonaws.com/x?Action=ConfirmSubscription", "not / with a query"},
        {"https://sns.us-east-1.amazonaws.com/?Action=Publish&Message=x",
         "not ConfirmSubscription"},
        {"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Action=Publish",
         "not ConfirmSubscription"},
        {"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscriptionX", "not ConfirmSub"},
        {"https://sns.us-east-1.amazonaws.com/?Token=x", "no Action=ConfirmSubscription"},
        {"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription#x", "holds '#'"},
        {"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&a=<", "holds '<'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (rw_sns_subscribe_url_check(bad[i].url) == RW_OK) fail_msg("accepted %s", bad[i].url);
        assert_contains(rw_error_last(), bad[i].why);
    }
}

static void test_topic_arns(void **state) {
    (void)state;
    assert_true(rw_sns_topic_arn_valid(TOPIC));
    assert_true(rw_sns_topic_arn_valid("arn:aws-cn:sns:cn-north-1:123456789012:t"));
    assert_true(rw_sns_topic_arn_valid("arn:aws-us-gov:sns:us-gov-west-1:123456789012:A_b-9"));
    assert_true(rw_sns_topic_arn_valid("arn:aws:sns:us-east-1:123456789012:t.fifo"));
    const char *bad[] = {"",
                         "arn:aws:sqs:us-east-1:123456789012:t",
                         "arn:aws:sns:us-east-1:1234:t",
                         "arn:aws:sns:us-east-1:123456789012:",
                         "arn:aws:sns::123456789012:t",
                         "arn:aws:sns:us-east-1:123456789012:t/x",
                         "arn::sns:us-east-1:123456789012:t",
                         "arn:aws:sns:us-east-1:123456789012:t:extra",
                         "arn:aws:sns:us-east-1:123456789012:.fifo"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (rw_sns_topic_arn_valid(bad[i])) fail_msg("accepted %s", bad[i]);
}

/* ---- signatures ---------------------------------------------------------------------------- */

static void test_verify_versions(void **state) {
    (void)state;
    const char *types[] = {"Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"};
    for (int t = 0; t < 3; t++) {
        for (int ver = 1; ver <= 2; ver++) {
            msgf f = t == 0 ? notification() : confirmation(types[t]);
            f.version = ver == 1 ? "1" : "2";
            char *body = body_of(&f, key_a);
            rw_sns_verdict v = verify_body(body, pem_a);
            if (v != RW_SNS_OK) fail_msg("%s v%d: %s", types[t], ver, rw_error_last());
            /* the other key's certificate: not this signature */
            assert_int_equal(verify_body(body, pem_b), RW_SNS_BAD_SIGNATURE);
            assert_contains(rw_error_last(), "does not verify");
            free(body);
        }
    }
    /* a notification without Subject */
    msgf f = notification();
    f.subject = NULL;
    char *body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_OK);
    free(body);
    /* a message whose text holds a NUL, quotes, line breaks and non-ASCII */
    f = notification();
    f.message = "a\0b \"q\"\n\xc3\xa9\xe2\x80\xa8";
    f.message_len = 13;
    body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_OK);
    free(body);
}

/* Signs f, then changes one field after signing: the signature no longer verifies. */
static void tampered(msgf f, void (*change)(msgf *), const char *what) {
    char *sig = sign(key_a, f.version, &f);
    change(&f);
    f.signature = sig;
    char *body = body_of(&f, key_a);
    rw_sns_verdict v = verify_body(body, pem_a);
    if (v != RW_SNS_BAD_SIGNATURE)
        fail_msg("%s tampered with: verdict %s", what, rw_sns_verdict_name(v));
    free(body);
    free(sig);
}

static void ch_message(msgf *f) {
    f->message = "{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{\"x\":1}}";
}
static void ch_message_id(msgf *f) {
    f->message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf325";
}
static void ch_subject(msgf *f) {
    f->subject = "nothing to see";
}
static void ch_subject_gone(msgf *f) {
    f->subject = NULL;
}
static void ch_subject_empty(msgf *f) {
    f->subject = "";
}
static void ch_timestamp(msgf *f) {
    f->timestamp = "2026-12-06T08:00:01.123Z";
}
static void ch_topic(msgf *f) {
    f->topic = "arn:aws:sns:us-east-1:123456789012:rootwatch-alertz";
}
static void ch_type_unsub(msgf *f) {
    f->type = "UnsubscribeConfirmation";
}
static void ch_version(msgf *f) {
    f->version = !strcmp(f->version, "1") ? "2" : "1";
}
static void ch_subscribe_url(msgf *f) {
    f->subscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x";
}
static void ch_token(msgf *f) {
    f->token = "2336412f37fb687f5d51e6e2425a8a59";
}
static void ch_type_sub(msgf *f) {
    f->type = "SubscriptionConfirmation";
}

static void test_tampered(void **state) {
    (void)state;
    for (int ver = 1; ver <= 2; ver++) {
        msgf n = notification();
        n.version = ver == 1 ? "1" : "2";
        tampered(n, ch_message, "Message");
        tampered(n, ch_message_id, "MessageId");
        tampered(n, ch_subject, "Subject");
        tampered(n, ch_subject_gone, "Subject (removed)");
        tampered(n, ch_subject_empty, "Subject (emptied)");
        tampered(n, ch_timestamp, "Timestamp");
        tampered(n, ch_topic, "TopicArn");
        tampered(n, ch_version, "SignatureVersion");
        n.subject = NULL;
        tampered(n, ch_subject, "Subject (added)");

        msgf c = confirmation("SubscriptionConfirmation");
        c.version = ver == 1 ? "1" : "2";
        tampered(c, ch_message, "Message");
        tampered(c, ch_message_id, "MessageId");
        tampered(c, ch_subscribe_url, "SubscribeURL");
        tampered(c, ch_token, "Token");
        tampered(c, ch_timestamp, "Timestamp");
        tampered(c, ch_topic, "TopicArn");
        tampered(c, ch_type_unsub, "Type");
        tampered(c, ch_version, "SignatureVersion");
        msgf u = confirmation("UnsubscribeConfirmation");
        u.version = ver == 1 ? "1" : "2";
        tampered(u, ch_type_sub, "Type");
    }
    /* what SNS does not sign may change: UnsubscribeURL, and a Subject in a confirmation */
    msgf f = notification();
    char *sig = sign(key_a, f.version, &f);
    f.unsubscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&other=1";
    f.signature = sig;
    char *body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_OK);
    free(body);
    free(sig);
    /* the signature itself: one bit flipped, cut short, not base64, padding bits set */
    f = notification();
    sig = sign(key_a, f.version, &f);
    const char *variants[4];
    char *flipped = strdup(sig);
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    char *cut = strdup(sig);
    cut[strlen(cut) - 8] = 0;
    char *spaced = malloc(strlen(sig) + 2);
    sprintf(spaced, " %s", sig);
    /* 256 bytes encode with "==": the last character before it carries 4 unused bits */
    char *padbits = strdup(sig);
    size_t pl = strlen(padbits);
    assert_true(padbits[pl - 1] == '=' && padbits[pl - 2] == '=' && padbits[pl - 3] != '=');
    /* the same two meaningful bits, an unused bit set: another text for the same bytes, which
     * a lenient decoder would take */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int val = (int)(strchr(b64, padbits[pl - 3]) - b64);
    padbits[pl - 3] = b64[(val & 0x30) | 1];
    variants[0] = flipped;
    variants[1] = cut;
    variants[2] = spaced;
    variants[3] = padbits;
    for (int i = 0; i < 4; i++) {
        msgf g = notification();
        g.signature = variants[i];
        body = body_of(&g, key_a);
        if (verify_body(body, pem_a) != RW_SNS_BAD_SIGNATURE) fail_msg("signature variant %d", i);
        free(body);
    }
    free(flipped);
    free(cut);
    free(spaced);
    free(padbits);
    free(sig);
}

static void test_unsigned_and_versions(void **state) {
    (void)state;
    msgf f = notification();
    f.signature = "";
    char *body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_UNSIGNED);
    assert_contains(rw_error_last(), "unsigned: the message has no Signature");
    free(body);

    f = notification();
    f.version = NULL;
    f.signature = "AAAA";
    body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_UNSIGNED);
    assert_contains(rw_error_last(), "no SignatureVersion");
    free(body);

    f = notification();
    f.cert_url = NULL;
    body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_UNSIGNED);
    assert_contains(rw_error_last(), "no SigningCertURL");
    free(body);

    f = notification();
    f.version = "3";
    f.signature = "AAAA";
    body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_a), RW_SNS_BAD_VERSION);
    assert_contains(rw_error_last(), "SignatureVersion '3' is not 1 or 2");
    free(body);
}

static void test_bad_certificates(void **state) {
    (void)state;
    msgf f = notification();
    char *body = body_of(&f, key_a);
    assert_int_equal(verify_body(body, pem_expired), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "expired");
    assert_int_equal(verify_body(body, pem_future), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "not valid yet");
    assert_int_equal(verify_body(body, pem_small), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "1024 bits");
    assert_int_equal(verify_body(body, pem_ec), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "not an RSA key");
    assert_int_equal(verify_body(body, "hello"), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "not a PEM certificate");
    free(body);
}

/* ---- the verifier: fetching, caching, the test endpoint ------------------------------------ */

typedef struct fake {
    const char *pem; /* served for every URL */
    int status;
    int calls;
    char last_url[512];
    int sleep_ms; /* before answering */
} fake;

static int fake_fetch(void *ctx, const char *url, rw_buf *body) {
    fake *fk = ctx;
    fk->calls++;
    if (fk->sleep_ms) {
        struct timespec ts = {fk->sleep_ms / 1000, (fk->sleep_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(fk->last_url, sizeof fk->last_url, "%s", url);
    if (fk->status < 0) return rw_error_set(RW_ERETRY, "connection refused");
    if (fk->pem) rw_buf_puts(body, fk->pem);
    return fk->status;
}

static rw_sns_verdict verify_with(rw_sns_verifier *v, const msgf *f) {
    char *body = body_of(f, key_a);
    rw_sns_message *m = parse_ok(body);
    rw_sns_verdict verdict = rw_sns_verify(v, m);
    rw_sns_message_free(m);
    free(body);
    return verdict;
}

static void test_verifier_cache(void **state) {
    (void)state;
    fake fk = {.pem = pem_a, .status = 200};
    rw_sns_verifier *v;
    rw_sns_verifier_opts o = {.fetch = fake_fetch, .fetch_ctx = &fk, .cache_max = 2};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    msgf f = notification();
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_int_equal(fk.calls, 1); /* cached */
    assert_string_equal(fk.last_url, CERT_URL);
    assert_int_equal(rw_sns_verifier_fetches(v), 1);
    /* two more URLs: the cache holds two, the least recently used goes */
    msgf g = f, h = f;
    g.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-2.pem";
    h.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-3.pem";
    assert_int_equal(verify_with(v, &g), RW_SNS_OK);
    assert_int_equal(verify_with(v, &f), RW_SNS_OK); /* f is now the most recent */
    assert_int_equal(fk.calls, 2);
    assert_int_equal(verify_with(v, &h), RW_SNS_OK); /* evicts g */
    assert_int_equal(fk.calls, 3);
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_int_equal(fk.calls, 3);
    assert_int_equal(verify_with(v, &g), RW_SNS_OK);
    assert_int_equal(fk.calls, 4);
    /* a certificate URL on another host is never fetched */
    msgf x = f;
    x.cert_url = "https://evil.example/SimpleNotificationService-1.pem";
    assert_int_equal(verify_with(v, &x), RW_SNS_CERT_URL);
    assert_contains(rw_error_last(), "certificate URL not allowed");
    assert_int_equal(fk.calls, 4);
    rw_sns_verifier_free(v);
}

static void test_verifier_failures(void **state) {
    (void)state;
    fake fk = {.pem = "not found", .status = 404};
    rw_sns_verifier *v;
    rw_sns_verifier_opts o = {.fetch = fake_fetch, .fetch_ctx = &fk};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    msgf f = notification();
    /* refused by the host: a bad certificate, remembered for a while (not asked again) */
    assert_int_equal(verify_with(v, &f), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "sns.us-east-1.amazonaws.com answered 404");
    assert_int_equal(verify_with(v, &f), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "answered 404");
    assert_int_equal(fk.calls, 1);
    /* not reachable, or 5xx: worth another try, and tried again next time */
    msgf g = f;
    g.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-2.pem";
    fk.status = -1;
    assert_int_equal(verify_with(v, &g), RW_SNS_CERT_UNAVAILABLE);
    assert_contains(rw_error_last(), "could not be fetched from sns.us-east-1.amazonaws.com");
    fk.status = 503;
    assert_int_equal(verify_with(v, &g), RW_SNS_CERT_UNAVAILABLE);
    assert_contains(rw_error_last(), "answered 503");
    assert_int_equal(fk.calls, 3);
    /* a certificate that is no certificate */
    msgf h = f;
    h.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-3.pem";
    fk.status = 200;
    fk.pem = "<html>hello</html>";
    assert_int_equal(verify_with(v, &h), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "not a PEM certificate");
    /* then it comes back: g is fetched again and verifies */
    fk.pem = pem_a;
    assert_int_equal(verify_with(v, &g), RW_SNS_OK);
    rw_sns_verifier_free(v);
}

static void test_verifier_endpoint(void **state) {
    (void)state;
    rw_sns_verifier *v = NULL;
    const char *refused[] = {"http://10.0.0.1:8080",  "http://example.com",
                             "ftp://127.0.0.1:21",    "http://127.0.0.1:80/path",
                             "http://u@127.0.0.1:80", "http://127.0.0.1:80?x"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        rw_sns_verifier_opts o = {.endpoint = refused[i]};
        if (rw_sns_verifier_new(&v, &o) != RW_EINVAL) fail_msg("accepted %s", refused[i]);
        assert_null(v);
    }
    fake fk = {.pem = pem_a, .status = 200};
    rw_sns_verifier_opts o = {
        .endpoint = "http://127.0.0.1:9/", .fetch = fake_fetch, .fetch_ctx = &fk};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    msgf f = notification();
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_string_equal(fk.last_url, "http://127.0.0.1:9/SimpleNotificationService-0123abcd.pem");
    /* the URL's checks are the same as ever */
    f.cert_url = "http://127.0.0.1:9/SimpleNotificationService-0123abcd.pem";
    assert_int_equal(verify_with(v, &f), RW_SNS_CERT_URL);
    assert_int_equal(fk.calls, 1);

    /* confirming: the SubscribeURL goes to the endpoint too, with its query */
    msgf c = confirmation("SubscriptionConfirmation");
    char *body = body_of(&c, key_a);
    rw_sns_message *m = parse_ok(body);
    assert_int_equal(rw_sns_confirm(v, m), RW_OK);
    assert_string_equal(fk.last_url,
                        "http://127.0.0.1:9/?Action=ConfirmSubscription&TopicArn=" TOPIC
                        "&Token=2336412f37fb687f5d51e6e2425a8a58");
    fk.status = 403;
    assert_int_equal(rw_sns_confirm(v, m), RW_EINVAL);
    assert_contains(rw_error_last(), "answered 403");
    assert_not_contains(rw_error_last(), "Token");
    fk.status = 500;
    assert_int_equal(rw_sns_confirm(v, m), RW_ERETRY);
    fk.status = -1;
    assert_int_equal(rw_sns_confirm(v, m), RW_ERETRY);
    int calls = fk.calls;
    free(m->subscribe_url);
    m->subscribe_url = strdup("https://evil.example/?Action=ConfirmSubscription");
    assert_int_equal(rw_sns_confirm(v, m), RW_EINVAL);
    assert_contains(rw_error_last(), "is not SNS's");
    assert_int_equal(fk.calls, calls);
    rw_sns_message_free(m);
    free(body);
    rw_sns_verifier_free(v);
}

static int64_t fake_now;
static int64_t fake_clock(void) {
    return fake_now;
}

static void test_verifier_fetch_limits(void **state) {
    (void)state;
    /* new certificates: a few a minute at most; cached ones are not counted */
    fake fk = {.pem = pem_a, .status = 200};
    fake_now = now_s() / 60 * 60 + 5;
    rw_sns_verifier *v;
    rw_sns_verifier_opts o = {
        .fetch = fake_fetch, .fetch_ctx = &fk, .now = fake_clock, .max_fetches_per_minute = 3};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    msgf f = notification();
    char urls[5][128];
    for (int i = 0; i < 5; i++)
        snprintf(urls[i], sizeof urls[i],
                 "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-%d.pem", i);
    for (int i = 0; i < 3; i++) {
        f.cert_url = urls[i];
        assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    }
    f.cert_url = urls[3];
    assert_int_equal(verify_with(v, &f), RW_SNS_CERT_UNAVAILABLE);
    assert_contains(rw_error_last(), "3 new certificates were asked for within a minute");
    assert_int_equal(fk.calls, 3);
    f.cert_url = urls[0]; /* cached: verifies all the same */
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    fake_now += 60; /* the next minute */
    f.cert_url = urls[3];
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_int_equal(fk.calls, 4);
    /* two days on, the cached certificate (valid for one) has expired: it is asked for again,
     * and what comes back has expired too */
    fake_now += 2 * 86400;
    assert_int_equal(verify_with(v, &f), RW_SNS_BAD_CERT);
    assert_contains(rw_error_last(), "expired");
    assert_int_equal(fk.calls, 5);
    rw_sns_verifier_free(v);
}

typedef struct slow_arg {
    rw_sns_verifier *v;
    const char *url;
    rw_sns_verdict verdict;
} slow_arg;

static void *verify_thread(void *p) {
    slow_arg *a = p;
    msgf f = notification();
    f.cert_url = a->url;
    a->verdict = verify_with(a->v, &f);
    return NULL;
}

static void test_verifier_one_fetch_at_a_time(void **state) {
    (void)state;
    /* a fetch that takes 2.5 s: another certificate's fetch waits a second, then gives up (the
     * message is to be delivered again), rather than holding its thread */
    fake fk = {.pem = pem_a, .status = 200, .sleep_ms = 2500};
    rw_sns_verifier *v;
    rw_sns_verifier_opts o = {.fetch = fake_fetch, .fetch_ctx = &fk};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    slow_arg a = {v, "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-slow.pem", 0};
    pthread_t th;
    pthread_create(&th, NULL, verify_thread, &a);
    struct timespec ts = {0, 300000000L};
    nanosleep(&ts, NULL);
    msgf f = notification();
    f.cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem";
    assert_int_equal(verify_with(v, &f), RW_SNS_CERT_UNAVAILABLE);
    assert_contains(rw_error_last(), "another certificate is being fetched");
    pthread_join(th, NULL);
    assert_int_equal(a.verdict, RW_SNS_OK);
    rw_sns_verifier_free(v);
}

/* A one-shot HTTP server on loopback: answers every request with the given status and body, and
 * records the request line. */
typedef struct server {
    int fd, port, status;
    const char *body;
    char request[1024];
    int served;
    pthread_t th;
} server;

static void *serve(void *arg) {
    server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) return NULL;
        char buf[4096];
        size_t n = 0;
        while (n < sizeof buf - 1) {
            ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
            if (r <= 0) break;
            n += (size_t)r;
            buf[n] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        buf[n] = 0;
        char *eol = strstr(buf, "\r\n");
        if (eol) *eol = 0;
        snprintf(s->request, sizeof s->request, "%.1000s", buf);
        /* counted before the answer is written: the client may return (and the test read the
         * count) as soon as the last byte arrives, before this thread runs again */
        __atomic_add_fetch(&s->served, 1, __ATOMIC_SEQ_CST);
        char head[256];
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          s->status, strlen(s->body));
        if (write(c, head, (size_t)hn) < 0 || write(c, s->body, strlen(s->body)) < 0) {
        }
        close(c);
    }
}

static void test_verifier_real_http(void **state) {
    (void)state;
    server s = {.status = 200, .body = pem_a};
    s.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    getsockname(s.fd, (struct sockaddr *)&a, &al);
    s.port = ntohs(a.sin_port);
    listen(s.fd, 4);
    pthread_create(&s.th, NULL, serve, &s);

    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", s.port);
    rw_sns_verifier *v;
    rw_sns_verifier_opts o = {.endpoint = ep};
    assert_int_equal(rw_sns_verifier_new(&v, &o), RW_OK);
    msgf f = notification();
    rw_sns_verdict verdict = verify_with(v, &f);
    if (verdict != RW_SNS_OK) fail_msg("%s", rw_error_last());
    assert_string_equal(s.request, "GET /SimpleNotificationService-0123abcd.pem HTTP/1.1");
    assert_int_equal(verify_with(v, &f), RW_SNS_OK);
    assert_int_equal(__atomic_load_n(&s.served, __ATOMIC_SEQ_CST), 1);
    rw_sns_verifier_free(v);

    /* without the endpoint, the same message is fetched from the real host over https: the test
     * does not reach it (no network here), so it is unavailable, not forged */
    shutdown(s.fd, SHUT_RDWR);
    close(s.fd);
    pthread_join(s.th, NULL);
}

/* ---- hostile input ------------------------------------------------------------------------- */

static void test_mutations(void **state) {
    (void)state;
    /* random byte changes to signed bodies never crash, and never verify unless the bytes that
     * changed are outside what is signed */
    rwt_rng rng = {.s = 13};
    msgf f = notification();
    char *body = body_of(&f, key_a);
    size_t n = strlen(body);
    int verified = 0;
    for (int i = 0; i < 3000; i++) {
        char *b = malloc(n);
        memcpy(b, body, n);
        int changes = 1 + (int)rwt_below(&rng, 3);
        for (int k = 0; k < changes; k++) b[rwt_below(&rng, n)] = (char)rwt_next(&rng);
        size_t len = rwt_below(&rng, 10) == 0 ? rwt_below(&rng, n) : n;
        rw_sns_message *m = NULL;
        int rc = rw_sns_message_parse(&m, b, len);
        assert_true(rc == RW_OK || rc == RW_EINVAL || rc == RW_ELIMIT);
        if (rc == RW_OK) {
            rw_buf tbs;
            rw_buf_init(&tbs, 0);
            rw_sns_string_to_sign(m, &tbs);
            rw_sns_verdict v = rw_sns_verify_pem(m, pem_a, strlen(pem_a), now_s());
            if (v == RW_SNS_OK) {
                /* then what was signed is what the original signed */
                rwt_str want = {0};
                to_sign(&f, &want);
                assert_int_equal(tbs.len, want.n);
                assert_memory_equal(tbs.data, want.p, want.n);
                rwt_free(&want);
                verified++;
            }
            rw_buf_free(&tbs);
            rw_sns_message_free(m);
        }
        free(b);
    }
    (void)verified;
    free(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_types),
        cmocka_unit_test(test_string_to_sign),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_cert_urls),
        cmocka_unit_test(test_subscribe_urls),
        cmocka_unit_test(test_topic_arns),
        cmocka_unit_test(test_verify_versions),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_unsigned_and_versions),
        cmocka_unit_test(test_bad_certificates),
        cmocka_unit_test(test_verifier_cache),
        cmocka_unit_test(test_verifier_failures),
        cmocka_unit_test(test_verifier_endpoint),
        cmocka_unit_test(test_verifier_fetch_limits),
        cmocka_unit_test(test_verifier_one_fetch_at_a_time),
        cmocka_unit_test(test_verifier_real_http),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
