/* Fills and changes a store through src/store's API, for the integration tests of rootwatch
 * alerts (tests/integration/test_alerts_cli.py).
 *
 *   rw_store_tool STORE add CHANNELS DETECTED_MS STEP_MS < alerts.ndjson
 *       adds each alert of the NDJSON input (as rootwatch scan --format ndjson writes them:
 *       eventID, eventTime, account, region, eventName, rule, severity; the whole line is the
 *       alert's JSON) with a delivery to each of CHANNELS (comma-separated, "-" for none),
 *       detected at DETECTED_MS, DETECTED_MS + STEP_MS, ...; prints "added N known M"
 *   rw_store_tool STORE sending EVENT_ID CHANNEL NOW_MS
 *   rw_store_tool STORE sent EVENT_ID CHANNEL NOW_MS
 *   rw_store_tool STORE fail EVENT_ID CHANNEL NOW_MS NEXT_MS retry|final ERROR
 *   rw_store_tool STORE due CHANNEL NOW_MS          prints "ID EVENT_ID STATE ATTEMPTS" a line
 *   rw_store_tool STORE counts                      prints "pending N sending N sent N failed N"
 *
 * Exit status 0, or 1 with the error on standard error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/err.h"
#include "util/json.h"

static int fail(const char *what) {
    fprintf(stderr, "rw_store_tool: %s: %s\n", what, rw_error_last());
    return 1;
}

static long long num(const char *s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end) {
        fprintf(stderr, "rw_store_tool: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static int add(rw_store *s, char *channels, int64_t detected, int64_t step) {
    const char *chs[64];
    size_t nch = 0;
    if (strcmp(channels, "-") != 0)
        for (char *tok = strtok(channels, ","); tok && nch < 64; tok = strtok(NULL, ","))
            chs[nch++] = tok;
    rw_json_doc *doc = rw_json_doc_new(NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned added = 0, known = 0;
    int ret = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n == 0) continue;
        if (rw_json_doc_parse(doc, line, (size_t)n) != RW_OK) {
            ret = fail("reading an alert");
            break;
        }
        const rw_json *o = rw_json_doc_root(doc);
        rw_store_alert a = {.event_id = rw_json_get_str(o, "eventID"),
                            .alert_json = line,
                            .event_time = rw_json_get_str(o, "eventTime"),
                            .account = rw_json_get_str(o, "account"),
                            .region = rw_json_get_str(o, "region"),
                            .event_name = rw_json_get_str(o, "eventName"),
                            .rule = rw_json_get_str(o, "rule"),
                            .severity = rw_json_get_str(o, "severity"),
                            .detected_ms = detected};
        bool ok = false;
        if (rw_store_add(s, &a, chs, nch, &ok) != RW_OK) {
            ret = fail("adding an alert");
            break;
        }
        if (ok)
            added++;
        else
            known++;
        detected += step;
    }
    free(line);
    rw_json_doc_free(doc);
    if (!ret) printf("added %u known %u\n", added, known);
    return ret;
}

/* The id of eid's delivery to channel. */
static int delivery_id(rw_store *s, const char *eid, const char *channel, int64_t *id) {
    rw_store_alert_info *a = NULL;
    if (rw_store_find(s, eid, &a) != RW_OK) return fail("finding the alert");
    int ret = 1;
    for (size_t i = 0; i < a->ndeliveries; i++)
        if (strcmp(a->deliveries[i].channel, channel) == 0) {
            *id = a->deliveries[i].id;
            ret = 0;
        }
    if (ret) fprintf(stderr, "rw_store_tool: %s has no delivery to %s\n", eid, channel);
    rw_store_alert_info_free(a);
    return ret;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rw_store_tool STORE add|sending|sent|fail|due|counts ...\n");
        return 2;
    }
    rw_store *s = NULL;
    if (rw_store_open(&s, argv[1]) != RW_OK) return fail("opening");
    const char *cmd = argv[2];
    int ret = 2;
    int64_t id;
    if (strcmp(cmd, "add") == 0 && argc == 6) {
        ret = add(s, argv[3], num(argv[4]), num(argv[5]));
    } else if (strcmp(cmd, "sending") == 0 && argc == 6) {
        ret = delivery_id(s, argv[3], argv[4], &id);
        if (!ret && rw_store_mark_sending(s, id, num(argv[5])) != RW_OK) ret = fail("sending");
    } else if (strcmp(cmd, "sent") == 0 && argc == 6) {
        ret = delivery_id(s, argv[3], argv[4], &id);
        if (!ret && rw_store_mark_sent(s, id, num(argv[5])) != RW_OK) ret = fail("sent");
    } else if (strcmp(cmd, "fail") == 0 && argc == 9) {
        ret = delivery_id(s, argv[3], argv[4], &id);
        if (!ret && rw_store_mark_failed(s, id, num(argv[5]), num(argv[6]),
                                         strcmp(argv[7], "final") == 0, argv[8]) != RW_OK)
            ret = fail("fail");
    } else if (strcmp(cmd, "due") == 0 && argc == 5) {
        rw_delivery *v = NULL;
        size_t n = 0;
        if (rw_store_due(s, argv[3], num(argv[4]), 1000000, &v, &n) != RW_OK) {
            ret = fail("due");
        } else {
            for (size_t i = 0; i < n; i++)
                printf("%lld %s %s %d\n", (long long)v[i].id, v[i].event_id,
                       rw_store_delivery_state_name(v[i].state), v[i].attempts);
            ret = 0;
        }
        rw_store_delivery_list_free(v, n);
    } else if (strcmp(cmd, "counts") == 0 && argc == 3) {
        uint64_t c[4];
        if (rw_store_counts(s, c) != RW_OK) {
            ret = fail("counts");
        } else {
            printf("pending %llu sending %llu sent %llu failed %llu\n", (unsigned long long)c[0],
                   (unsigned long long)c[1], (unsigned long long)c[2], (unsigned long long)c[3]);
            ret = 0;
        }
    } else {
        fprintf(stderr, "rw_store_tool: unknown command or wrong arguments: %s\n", cmd);
    }
    rw_store_close(s);
    return ret;
}
