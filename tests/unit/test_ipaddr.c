/* Unit tests for src/rules/ipaddr.c: IP address text as EventBridge reads it (the regex shapes,
 * then Java's IPAddressUtil), CIDR parsing with AWS's messages
 * (docs/eventbridge-pattern-semantics.md section 5.1), and the byte-level range test of
 * section 5.3. The address vectors were computed with Java 17's sun.net.util.IPAddressUtil
 * (textToNumericFormatV4 / V6). */
#include "rwpattern.h"

#include "rules/ipaddr.h"

typedef struct ipvec {
    const char *text;
    const char *hex; /* NULL: not an address */
    const char *why;
} ipvec;

static const ipvec VECS[] = {
    {"", NULL, "Nonstandard IP address"},
    {":", NULL, "Invalid IP address"},
    {"::", "00000000000000000000000000000000", NULL},
    {":::", NULL, "Invalid IP address"},
    {"1::", "00010000000000000000000000000000", NULL},
    {"::1", "00000000000000000000000000000001", NULL},
    {"1:2:3:4:5:6:7:8", "00010002000300040005000600070008", NULL},
    {"1:2:3:4:5:6:7:8:9", NULL, "Invalid IP address"},
    {"1:2:3:4:5:6:7::", "00010002000300040005000600070000", NULL},
    {"::2:3:4:5:6:7:8", "00000002000300040005000600070008", NULL},
    {"1:2:3:4:5:6:7:8::", NULL, "Invalid IP address"},
    {"1::2::3", NULL, "Invalid IP address"},
    {"12345::", NULL, "Invalid IP address"},
    {"0ffff::", "FFFF0000000000000000000000000000", NULL},
    {"00000ffff::", "FFFF0000000000000000000000000000", NULL},
    {"10000::", NULL, "Invalid IP address"},
    {"1:", NULL, "Invalid IP address"},
    {":1", NULL, "Invalid IP address"},
    {"1::2:", NULL, "Invalid IP address"},
    {"", NULL, "Nonstandard IP address"},
    {"::ffff:d622:b927", "D622B927", NULL},
    {"ba.:d856356", NULL, "Nonstandard IP address"},
    {"895:faD:09Ba::2:b8e", "08950FAD09BA00000000000000020B8E", NULL},
    {"4D92F:17:b26::145b:", NULL, "Invalid IP address"},
    {"00000:", NULL, "Invalid IP address"},
    {"ddcc8", NULL, "Nonstandard IP address"},
    {"9.a7", NULL, "Nonstandard IP address"},
    {"265.0135.190.69.0291", NULL, "Nonstandard IP address"},
    {"0024.1.143.71.235", NULL, "Nonstandard IP address"},
    {"9:7bD2:e52:BB:9::", "00097BD20E5200BB0009000000000000", NULL},
    {"71.162.219", NULL, "Nonstandard IP address"},
    {"::bE:91C:6Db1:1df:Ff", "00000000000000BE091C6DB101DF00FF", NULL},
    {"a2f26:d6::Af0:37d3:00F::F", NULL, "Invalid IP address"},
    {":0:", NULL, "Invalid IP address"},
    {":0:0", NULL, "Invalid IP address"},
    {"4::c:bA68", "000400000000000000000000000CBA68", NULL},
    {"DB::b:2CE", "00DB00000000000000000000000B02CE", NULL},
    {"Ff8:F", NULL, "Invalid IP address"},
    {":000:::::", NULL, "Invalid IP address"},
    {"0000::00", "00000000000000000000000000000000", NULL},
    {"fa3::270a:D:bd1a:4e7a:68", "0FA300000000270A000DBD1A4E7A0068", NULL},
    {"156.057.236.018", "9C39EC12", NULL},
    {"0bef", NULL, "Nonstandard IP address"},
    {"Eaa8F:c:2cfCE:a:2:40:0:Ec", NULL, "Invalid IP address"},
    {"92.267.219.0284", NULL, "Invalid IP address"},
    {"", NULL, "Nonstandard IP address"},
    {"Ca:5a:db3A", NULL, "Invalid IP address"},
    {"516994f:6", NULL, "Invalid IP address"},
    {"244.001.197.55.134", NULL, "Nonstandard IP address"},
    {"b077::774d:4DDf8", NULL, "Invalid IP address"},
    {"d259", NULL, "Nonstandard IP address"},
    {"::ffff:32b4:ad0a", "32B4AD0A", NULL},
    {":0:::", NULL, "Invalid IP address"},
    {"::ffff:4a06:2b9e", "4A062B9E", NULL},
    {":000::::0", NULL, "Invalid IP address"},
    {"::ffff:2e99:4895", "2E994895", NULL},
    {"::ffff:5354:f756", "5354F756", NULL},
    {"5:E::20DfB", NULL, "Invalid IP address"},
    {"::ffff:ce1e:e49e", "CE1EE49E", NULL},
    {"5::a22", "00050000000000000000000000000A22", NULL},
    {"c1:05e:Fc99::9E2:d", "00C1005EFC9900000000000009E2000D", NULL},
    {"239.0064.191", NULL, "Nonstandard IP address"},
    {"00", NULL, "Nonstandard IP address"},
    {"5E6C::aFA", "5E6C0000000000000000000000000AFA", NULL},
    {"bfa92", NULL, "Nonstandard IP address"},
    {"0:0:", NULL, "Invalid IP address"},
    {"e", NULL, "Nonstandard IP address"},
    {"b131:Ff0AA:2CB76:", NULL, "Invalid IP address"},
    {"5:bAb::320:C", "00050BAB00000000000000000320000C", NULL},
    {"0abDE:85a4:", NULL, "Invalid IP address"},
    {"b6:3:cfd::", "00B600030CFD00000000000000000000", NULL},
    {"5:", NULL, "Invalid IP address"},
    {"::ffff:3f97:4163", "3F974163", NULL},
    {":F9bDC:C:::20fEd:4cd3d:ebc1E:e", NULL, "Invalid IP address"},
    {"A7:F6::fdC:6f9", "00A700F600000000000000000FDC06F9", NULL},
    {"0:00", NULL, "Invalid IP address"},
    {"86", NULL, "Nonstandard IP address"},
    {"0:0", NULL, "Invalid IP address"},
    {"b3DA:4a0b:4D", NULL, "Invalid IP address"},
    {"0::0", "00000000000000000000000000000000", NULL},
    {"::04", "00000000000000000000000000000004", NULL},
    {"::D93:8F3:38d:d:FAC0:2eD", "000000000D9308F3038D000DFAC002ED", NULL},
    {"019.0129.80", NULL, "Nonstandard IP address"},
    {"B:5BD", NULL, "Invalid IP address"},
    {"0014.299.229.47", NULL, "Invalid IP address"},
    {".fdc426cc", NULL, "Nonstandard IP address"},
    {"00:00:00", NULL, "Invalid IP address"},
    {"0:0000::", "00000000000000000000000000000000", NULL},
    {":0:00:", NULL, "Invalid IP address"},
    {"::ffff:2f5d:704a", "2F5D704A", NULL},
    {"::ffff:12ad:761f", "12AD761F", NULL},
    {"::Bdc8", "0000000000000000000000000000BDC8", NULL},
    {"1:Bda:6::6b6:A:e9:1c", "00010BDA0006000006B6000A00E9001C", NULL},
    {"::ffff:22c3:aada", "22C3AADA", NULL},
    {"::ffff:9879:a784", "9879A784", NULL},
    {"6AA:C574:2::fE05", "06AAC57400020000000000000000FE05", NULL},
    {"00::0:0", "00000000000000000000000000000000", NULL},
    {"F5De", NULL, "Nonstandard IP address"},
    {":00", NULL, "Invalid IP address"},
    {"::ffff:fa0c:f375", "FA0CF375", NULL},
    {"0000::::", NULL, "Invalid IP address"},
    {"::ffff:1bf5:4f2a", "1BF54F2A", NULL},
    {"93D5:ec:e:6::", "93D500EC000E00060000000000000000", NULL},
    {"a::03E", "000A000000000000000000000000003E", NULL},
    {"::ffff:f70f:406d", "F70F406D", NULL},
    {"::ffff:8f18:3e2d", "8F183E2D", NULL},
    {"::ffff:ff72:f678", "FF72F678", NULL},
    {"Cb:C8DF:20:1:dE2", NULL, "Invalid IP address"},
    {"::3", "00000000000000000000000000000003", NULL},
    {"8bfd::8:f", "8BFD000000000000000000000008000F", NULL},
    {"F5:c:4:", NULL, "Invalid IP address"},
    {"65::15A:0", "006500000000000000000000015A0000", NULL},
    {"::ffff:ca99:337f", "CA99337F", NULL},
    {"b:71:d5:32::3f:b7:0DfcA", "000B007100D500320000003F00B7DFCA", NULL},
    {"b", NULL, "Nonstandard IP address"},
    {"e:44E5b:b::ac37c:BF:5", NULL, "Invalid IP address"},
    {"0157.55.296.176", NULL, "Invalid IP address"},
    {"0141.191.0103", NULL, "Nonstandard IP address"},
    {"237.161.137.0103", NULL, "Invalid IP address"},
    {"116.0214.087", NULL, "Nonstandard IP address"},
    {"::ffff:415e:a6ad", "415EA6AD", NULL},
    {"::ffff:5448:7b4e", "54487B4E", NULL},
    {"211.275.134.0199.83", NULL, "Nonstandard IP address"},
    {"Aa::D:4c87:91f:Ef:137f0:C", NULL, "Invalid IP address"},
    {"0", NULL, "Nonstandard IP address"},
    {"::ffff:a0e8:5617", "A0E85617", NULL},
    {"2A6A7:8:D2d:dB5:F:e8:C4C20", NULL, "Invalid IP address"},
    {"::f:745:b1:00F0:2a16:F9", "00000000000F074500B100F02A1600F9", NULL},
    {":e57a278", NULL, "Invalid IP address"},
    {"::ffff:8e23:4ffe", "8E234FFE", NULL},
    {"::ffff:1cd5:e3e6", "1CD5E3E6", NULL},
    {"::ffff:cac1:4c76", "CAC14C76", NULL},
    {"e::b97:0:EA", "000E00000000000000000B97000000EA", NULL},
    {".5", NULL, "Nonstandard IP address"},
    {"A::a9f:5", "000A000000000000000000000A9F0005", NULL},
    {"::ffff:c623:2ccf", "C6232CCF", NULL},
    {"b:B7c:", NULL, "Invalid IP address"},
    {"0:0::", "00000000000000000000000000000000", NULL},
    {"2D90A::bdC0:", NULL, "Invalid IP address"},
    {"7a4A:efD06:f::2fc:b:B9:eB93", NULL, "Invalid IP address"},
    {"EAA:dBf:d27:6d99::c2bA", "0EAA0DBF0D276D99000000000000C2BA", NULL},
    {"::ffff:7ff8:a3b", "7FF80A3B", NULL},
    {"::6:b2aC", "0000000000000000000000000006B2AC", NULL},
    {"::ffff:9573:2cbf", "95732CBF", NULL},
    {":5dDF:A9:1:4c81:979:ed", NULL, "Invalid IP address"},
    {":0::0", NULL, "Invalid IP address"},
    {":0:0:", NULL, "Invalid IP address"},
    {"5d::753:2C9:58B", "005D0000000000000000075302C9058B", NULL},
    {"::9f:867A", "000000000000000000000000009F867A", NULL},
    {"B0f::F:b1:FC", "0B0F0000000000000000000F00B100FC", NULL},
    {"::ffff:b7dc:75bb", "B7DC75BB", NULL},
    {"a8:Bf:AA3", NULL, "Invalid IP address"},
    {":::0::0", NULL, "Invalid IP address"},
    {"2db9776a.", NULL, "Nonstandard IP address"},
    {"0194.213.103.054", NULL, "Invalid IP address"},
    {"27.169.222.0126", "1BA9DE7E", NULL},
    {"4:Faf5d::b7c:E8aA:e2fc:2Ed", NULL, "Invalid IP address"},
    {"75.142.020.27", "4B8E141B", NULL},
    {":0:0", NULL, "Invalid IP address"},
    {"1.2.3.4", "01020304", NULL},
    {"255.255.255.255", "FFFFFFFF", NULL},
    {"010.0.0.1", "0A000001", NULL},
    {"000000010.0.0.1", "0A000001", NULL},
    {"0000000010.0.0.1", NULL, "Invalid IP address"},
    {"10.0.0.256", NULL, "Invalid IP address"},
    {"10.0.0", NULL, "Nonstandard IP address"},
    {"10.0.0.1.", NULL, "Nonstandard IP address"},
    {"10.0.0.1 ", NULL, "Nonstandard IP address"},
    {"::ffff:10.0.0.1", NULL, "Nonstandard IP address"},
    {"fe80::1%eth0", NULL, "Nonstandard IP address"},
    {"2001:DB8::1", "20010DB8000000000000000000000001", NULL},
    {"2001:db8:0:0::1", "20010DB8000000000000000000000001", NULL},
    {"::ffff:a00:1", "0A000001", NULL},
    {"::FFFF:0A00:0001", "0A000001", NULL},
    {"::fffe:a00:1", "00000000000000000000FFFE0A000001", NULL},
    {"00001::", "00010000000000000000000000000000", NULL},
    {"10000::", NULL, "Invalid IP address"},
    {"xx.11.xx", NULL, "Nonstandard IP address"},
    {"xxxx:db8:1234:1a00::", NULL, "Nonstandard IP address"},
};

static void test_ip_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof VECS / sizeof VECS[0]; i++) {
        const ipvec *v = &VECS[i];
        char hex[33];
        const char *why = NULL;
        size_t n = rw_ipaddr_to_hex(v->text, strlen(v->text), hex, &why);
        if (v->hex) {
            if (n != strlen(v->hex) || strcmp(hex, v->hex) != 0)
                fail_msg("ip(%s) = %s (%zu), expected %s", v->text, n ? hex : "-", n, v->hex);
        } else if (n || !why || strcmp(why, v->why) != 0) {
            fail_msg("ip(%s) = %s, expected %s", v->text, n ? hex : why, v->why);
        }
        /* why may be NULL */
        assert_int_equal(rw_ipaddr_to_hex(v->text, strlen(v->text), hex, NULL), n);
    }
}

typedef struct cidrvec {
    const char *text;
    const char *bottom; /* NULL: invalid, with reason */
    const char *top_or_reason;
} cidrvec;

static const cidrvec CIDRS[] = {
    /* C1: Java's split("/") drops trailing empty parts */
    {"bad-filter", NULL, "Malformed CIDR, one '/' required"},
    {"10.0.0.1", NULL, "Malformed CIDR, one '/' required"},
    {"10.0.0.0/", NULL, "Malformed CIDR, one '/' required"},
    {"10.0.0.0//", NULL, "Malformed CIDR, one '/' required"},
    {"/", NULL, "Malformed CIDR, one '/' required"},
    {"//", NULL, "Malformed CIDR, one '/' required"},
    {"", NULL, "Malformed CIDR, one '/' required"},
    {"a//8", NULL, "Malformed CIDR, one '/' required"},
    {"10.0.0.0/8/8", NULL, "Malformed CIDR, one '/' required"},
    {"10.0.0.0/24/", "0A000000", "0A0000FF"},
    {"10.0.0.0/24///", "0A000000", "0A0000FF"},
    /* C2: Integer.parseInt, checked before the address */
    {"bad-/64filter", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/x", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/+", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/-", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/ 8", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/8 ", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/2147483648", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/-2147483649", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/99999999999999999999", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/\xf0\x9d\x9f\x96", NULL, "Malformed CIDR, mask bits must be an integer"},
    {"10.0.0.0/+8", "0A000000", "0AFFFFFF"},
    {"10.0.0.0/08", "0A000000", "0AFFFFFF"},
    {"10.0.0.0/\xd9\xa8", "0A000000", "0AFFFFFF"},      /* ARABIC-INDIC DIGIT EIGHT */
    {"10.0.0.0/\xef\xbc\x98", "0A000000", "0AFFFFFF"},  /* FULLWIDTH DIGIT EIGHT */
    {"10.0.0.0/1\xe0\xa5\xa6", "0A000000", "0A3FFFFF"}, /* 1, DEVANAGARI DIGIT ZERO */
    /* C3 */
    {"10.0.0.0/-1", NULL, "Malformed CIDR, mask bits must not be negative"},
    {"10.0.0.0/-2147483648", NULL, "Malformed CIDR, mask bits must not be negative"},
    {"bad/-1", NULL, "Malformed CIDR, mask bits must not be negative"},
    {"10.0.0.0/-0", "00000000", "FFFFFFFF"},
    /* C4 */
    {"xx.11.xx/8", NULL, "Nonstandard IP address: xx.11.xx"},
    {"xxxx:db8:1234:1a00::/64", NULL, "Nonstandard IP address: xxxx:db8:1234:1a00::"},
    {"/8", NULL, "Nonstandard IP address: "},
    {"::ffff:192.0.2.0/120", NULL, "Nonstandard IP address: ::ffff:192.0.2.0"},
    {"fe80::1%eth0/64", NULL, "Nonstandard IP address: fe80::1%eth0"},
    {"bad/40", NULL, "Nonstandard IP address: bad"},
    /* C5 */
    {"10.0.0.256/8", NULL, "Invalid IP address: 10.0.0.256"},
    {"1:2:3/8", NULL, "Invalid IP address: 1:2:3"},
    {":/8", NULL, "Invalid IP address: :"},
    {"1::2::3/8", NULL, "Invalid IP address: 1::2::3"},
    {"12345::/8", NULL, "Invalid IP address: 12345::"},
    {"0000000000001.0.0.1/8", NULL, "Invalid IP address: 0000000000001.0.0.1"},
    {"10.0.0.256/40", NULL, "Invalid IP address: 10.0.0.256"},
    /* C6: /32 and /128 are invalid, /0 is valid */
    {"10.0.0.0/32", NULL, "IPv4 mask bits must be < 32"},
    {"10.0.0.0/33", NULL, "IPv4 mask bits must be < 32"},
    {"::/128", NULL, "IPv6 mask bits must be < 128"},
    {"::ffff:a00:0/96", NULL, "IPv4 mask bits must be < 32"},
    {"10.0.0.0/0", "00000000", "FFFFFFFF"},
    {"::/0", "00000000000000000000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
    /* ranges: the bottom is masked, host bits in the input are fine */
    {"10.0.0.1/24", "0A000000", "0A0000FF"},
    {"10.1.2.3/31", "0A010202", "0A010203"},
    {"10.255.0.0/9", "0A800000", "0AFFFFFF"},
    {"10.0.0.0/31", "0A000000", "0A000001"},
    {"010.0.0.0/8", "0A000000", "0AFFFFFF"},
    {"::ffff:a00:0/8", "0A000000", "0AFFFFFF"},
    {"2001:db8::/32", "20010DB8000000000000000000000000", "20010DB8FFFFFFFFFFFFFFFFFFFFFFFF"},
    {"2001:db8::1/127", "20010DB8000000000000000000000000", "20010DB8000000000000000000000001"},
    {"2001:db8:1234:1a00::/64", "20010DB812341A000000000000000000",
     "20010DB812341A00FFFFFFFFFFFFFFFF"},
    {"ffff::/1", "80000000000000000000000000000000", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
};

static void test_cidr_parse(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CIDRS / sizeof CIDRS[0]; i++) {
        const cidrvec *v = &CIDRS[i];
        char lo[33], hi[33], reason[160] = "";
        size_t n = rw_ipaddr_cidr_parse(v->text, strlen(v->text), lo, hi, reason);
        if (v->bottom) {
            if (!n || strcmp(lo, v->bottom) != 0 || strcmp(hi, v->top_or_reason) != 0)
                fail_msg("cidr(%s) = %s %s (%s), expected %s %s", v->text, n ? lo : "-",
                         n ? hi : "-", reason, v->bottom, v->top_or_reason);
            assert_int_equal(n, strlen(v->bottom));
        } else if (n || strcmp(reason, v->top_or_reason) != 0) {
            fail_msg("cidr(%s) = %s, expected \"%s\"", v->text, n ? lo : reason, v->top_or_reason);
        }
    }
    /* through a pattern: the same messages */
    assert_invalid(J("{'ip':[{'cidr':'bad-filter'}]}"), "Malformed CIDR, one '/' required");
    assert_invalid(J("{'ip':[{'cidr':'xx.11.xx/8'}]}"), "Nonstandard IP address: xx.11.xx");
    assert_invalid(J("{'ip':[{'cidr':'bad-/64filter'}]}"),
                   "Malformed CIDR, mask bits must be an integer");
    assert_invalid(J("{'ip':[{'cidr':'xxxx:db8:1234:1a00::/64'}]}"),
                   "Nonstandard IP address: xxxx:db8:1234:1a00::");
    assert_invalid(J("{'ip':[{'cidr':'10.0.0.0/32'}]}"), "IPv4 mask bits must be < 32");
    assert_invalid(J("{'ip':[{'cidr':'2001:db8::/128'}]}"), "IPv6 mask bits must be < 128");
    assert_valid(J("{'ip':[{'cidr':'10.0.0.0/24/'}]}"));
}

/* section 5.3, digit by digit */
static void test_range_match(void **state) {
    (void)state;
    static const struct {
        const char *v, *b, *t;
        bool match;
    } t[] = {
        {"0A000001", "0A000000", "0A0000FF", true},
        {"0A000000", "0A000000", "0A0000FF", true}, /* bounds are inclusive */
        {"0A0000FF", "0A000000", "0A0000FF", true},
        {"0A000100", "0A000000", "0A0000FF", false},
        {"09FFFFFF", "0A000000", "0A0000FF", false},
        {"0A0000", "0A000000", "0A0000FF", false}, /* shorter than the deciding position */
        {"0A00", "0A000000", "0A0000FF", false},
        {"0A0000FFxyz", "0A000000", "0A0000FF", true}, /* bytes after the end are ignored */
        {"0A0000G0", "0A000000", "0A0000FF", false},   /* not a digit */
        {"0a000001", "0A000000", "0A0000FF", false},   /* lowercase is not a digit */
        /* a digit strictly between the bounds decides at once */
        {"1", "00000000", "FFFFFFFF", true},
        {"E.0E7", "00000000", "FFFFFFFF", true},
        {"0", "00000000", "FFFFFFFF", false},
        {"F", "00000000", "FFFFFFFF", false},
        {"01", "00000000", "FFFFFFFF", true}, /* above the bottom from the second digit */
        {"00000000", "00000000", "FFFFFFFF", true},
        {"0000000", "00000000", "FFFFFFFF", false},
        {"FE", "00000000", "FFFFFFFF", true},
        {"FFFFFFFF", "00000000", "FFFFFFFF", true},
        {"true", "00000000", "FFFFFFFF", false},
        {"-1", "00000000", "FFFFFFFF", false},
        {"1.0", "0A000000", "0A0000FF", false},
        /* the bottom path and the top path */
        {"0A45", "0A400000", "0A7FFFFF", true},
        {"0A40000", "0A400000", "0A7FFFFF", false},
        {"0A400001", "0A400000", "0A7FFFFF", true},
        {"0A7FFFFE", "0A400000", "0A7FFFFF", true},
        {"0A7F", "0A400000", "0A7FFFFF", false},
        {"0A80", "0A400000", "0A7FFFFF", false},
        {"0A3F", "0A400000", "0A7FFFFF", false},
        {"0A5", "0A400000", "0A7FFFFF", true},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bool got =
            rw_ipaddr_hex_range_match(t[i].v, strlen(t[i].v), t[i].b, t[i].t, strlen(t[i].b));
        if (got != t[i].match)
            fail_msg("%s in [%s, %s]: %d, expected %d", t[i].v, t[i].b, t[i].t, got, t[i].match);
    }
}

/* the range test against whole addresses agrees with plain numeric comparison */
static void test_range_match_addresses(void **state) {
    (void)state;
    rwt_rng r = {99};
    for (int i = 0; i < 20000; i++) {
        uint32_t a = (uint32_t)rwt_next(&r), x = (uint32_t)rwt_next(&r);
        int bits = (int)rwt_below(&r, 32);
        uint32_t mask = bits ? 0xFFFFFFFFu << (32 - bits) : 0;
        if (rwt_below(&r, 2)) x = (a & mask) | (x & ~mask); /* inside, half of the time */
        char cidr[40], lo[33], hi[33], reason[160], v[16];
        snprintf(cidr, sizeof cidr, "%u.%u.%u.%u/%d", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                 a & 255, bits);
        assert_int_equal(rw_ipaddr_cidr_parse(cidr, strlen(cidr), lo, hi, reason), 8);
        snprintf(v, sizeof v, "%08X", x);
        bool want = (x & mask) == (a & mask);
        if (rw_ipaddr_hex_range_match(v, 8, lo, hi, 8) != want)
            fail_msg("%s vs %s: expected %d", v, cidr, want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_vectors),
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_range_match),
        cmocka_unit_test(test_range_match_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
