/* Unit tests for EventBridge's number rules (docs/eventbridge-pattern-semantics.md section 4):
 * rw_pattern_number_comparable (ComparableNumber: the decimal value must survive the round trip
 * through the nearest double and Java's Double.toString) and rw_pattern_number_canonical (how an
 * event's number reads as text: integers as written, floats as Java prints the nearest double). The
 * vectors were computed with Java 25 (JDK 19 and later print the shortest decimal) and BigDecimal.
 */
#include "rwpattern.h"

#include <math.h>

typedef struct numvec {
    const char *text;
    const char *canonical;
    bool comparable;
} numvec;

static const numvec VECS[] = {
    {"0", "0", true},
    {"-0", "0", true},
    {"1", "1", true},
    {"-1", "-1", true},
    {"300", "300", true},
    {"300.0", "300.0", true},
    {"3.0e2", "300.0", true},
    {"3e2", "300.0", true},
    {"1e2", "100.0", true},
    {"1E2", "100.0", true},
    {"1e+2", "100.0", true},
    {"1.50", "1.5", true},
    {"1.5", "1.5", true},
    {"0.1", "0.1", true},
    {"0.10", "0.1", true},
    {"1e100", "1.0E100", true},
    {"1e-100", "1.0E-100", true},
    {"9007199254740992", "9007199254740992", true},
    {"9007199254740993", "9007199254740993", false},
    {"9007199254740994", "9007199254740994", true},
    {"1.0000000000000001", "1.0", false},
    {"0.1234567", "0.1234567", true},
    {"0.1234567890123456789", "0.12345678901234568", false},
    {"1e-400", "0.0", false},
    {"1e309", "Infinity", false},
    {"-1e309", "-Infinity", false},
    {"1152921504606846976", "1152921504606846976", false},
    {"-0.0", "-0.0", true},
    {"0.0", "0.0", true},
    {"0e10", "0.0", true},
    {"-0e-5", "-0.0", true},
    {"4.9e-324", "4.9E-324", true},
    {"5e-324", "4.9E-324", false},
    {"4.9E-324", "4.9E-324", true},
    {"2e-323", "2.0E-323", true},
    {"1e23", "1.0E23", true},
    {"1e22", "1.0E22", true},
    {"1e21", "1.0E21", true},
    {"1e7", "1.0E7", true},
    {"1e-3", "0.001", true},
    {"0.001", "0.001", true},
    {"0.0001", "1.0E-4", true},
    {"9999999.0", "9999999.0", true},
    {"9999999.999", "9999999.999", true},
    {"10000000.0", "1.0E7", true},
    {"1234567.0", "1234567.0", true},
    {"301.8", "301.8", true},
    {"2.2250738585072014E-308", "2.2250738585072014E-308", true},
    {"2.225073858507201E-308", "2.225073858507201E-308", true},
    {"1.7976931348623157e308", "1.7976931348623157E308", true},
    {"1.7976931348623158e308", "1.7976931348623157E308", false},
    {"1.7976931348623159e308", "Infinity", false},
    {"123456789012345678901234567890", "123456789012345678901234567890", false},
    {"0.30000000000000004", "0.30000000000000004", true},
    {"0.3", "0.3", true},
    {"100", "100", true},
    {"100.000", "100.0", true},
    {"1e0", "1.0", true},
    {"5000000001", "5000000001", true},
    {"1e+100", "1.0E100", true},
    {"-123.456e-7", "-1.23456E-5", true},
    {"12345678901234567", "12345678901234567", false},
    {"123456789012345678", "123456789012345678", false},
    {"2.5e-324", "4.9E-324", false},
    {"1e-323", "9.9E-324", false},
    {"9.9e-324", "9.9E-324", true},
    {"1.0e23", "1.0E23", true},
    {"8.41e21", "8.41E21", true},
    {"5e-324", "4.9E-324", false},
    {"7e22", "7.0E22", true},
    {"96769278.07886505", "9.676927807886505E7", true},
    {"-4.2468238517921999593e+285", "-4.2468238517922E285", false},
    {"2.4677579418653533e-178", "2.4677579418653533E-178", true},
    {"70e-102", "7.0E-101", true},
    {"5.62711562e-141", "5.62711562E-141", true},
    {"28e-271", "2.8E-270", true},
    {"-3.52141634779e-42", "-3.52141634779E-42", true},
    {"-91879004937282890156920", "-91879004937282890156920", false},
    {"1.1997574511165048e-240", "1.1997574511165048E-240", true},
    {"6.0e-322", "6.0E-322", true},
    {"-75818129.12191297", "-7.581812912191297E7", true},
    {"26548492.108931914", "2.6548492108931914E7", true},
    {"7.2e-320", "7.2E-320", true},
    {"5.3e-320", "5.3E-320", true},
    {"67992.7912", "67992.7912", true},
    {"-27231605590807283161934", "-27231605590807283161934", false},
    {"4.1197621563786504e-08", "4.1197621563786504E-8", true},
    {"48e-311", "4.8E-310", true},
    {"2.4e-112", "2.4E-112", true},
    {"6966.511292697", "6966.511292697", true},
    {"3.8e-320", "3.8E-320", true},
    {"3.7739624248215414e+168", "3.7739624248215414E168", true},
    {"-98707699.06494987", "-9.870769906494987E7", true},
    {"1.6139915749756e+120", "1.6139915749756E120", true},
    {"65e3", "65000.0", true},
    {"42e-69", "4.2E-68", true},
    {"7.3489002700261524e-156", "7.348900270026152E-156", false},
    {"1341", "1341", true},
    {"9.4e-323", "9.4E-323", true},
    {"1.6e-324", "0.0", false},
    {"57041.442906", "57041.442906", true},
    {"1262887.2074848", "1262887.2074848", true},
    {"6.2e-309", "6.2E-309", true},
    {"-17742920", "-17742920", true},
    {"36e61", "3.6E62", true},
    {"56807686.30297884", "5.680768630297884E7", true},
    {"-87613700704349992", "-87613700704349992", false},
    {"4.2e-318", "4.2E-318", true},
    {"25e-263", "2.5E-262", true},
    {"5.5e-304", "5.5E-304", true},
    {"43e-159", "4.3E-158", true},
    {"-8763069.058704048", "-8763069.058704048", true},
    {"7.3e-321", "7.3E-321", true},
    {"6.5e-316", "6.5E-316", true},
    {"1.430222333808547e-247", "1.430222333808547E-247", true},
    {"-3.22936556254283e-23", "-3.22936556254283E-23", true},
    {"7141845040734017671012", "7141845040734017671012", false},
    {"-2.398049165647252e-66", "-2.398049165647252E-66", true},
    {"86e-305", "8.6E-304", true},
    {"11e147", "1.1E148", true},
    {"1724488861166", "1724488861166", true},
    {"-2.3653872713e+257", "-2.3653872713E257", true},
    {"7e-154", "7.0E-154", true},
    {"1.4164235936814247e-219", "1.4164235936814247E-219", true},
    {"7.862979303658477e-217", "7.862979303658477E-217", true},
    {"1.4426529090290212e-129", "1.4426529090290212E-129", true},
    {"2.9e-321", "2.9E-321", true},
    {"9237526451", "9237526451", true},
    {"1.1356855067118858e+133", "1.1356855067118858E133", true},
    {"78e-112", "7.8E-111", true},
    {"-5.441743464226179e-28", "-5.441743464226179E-28", true},
    {"5.315003623619383e-94", "5.315003623619383E-94", true},
    {"87728299549", "87728299549", true},
    {"8.296", "8.296", true},
    {"80636684.66869017", "8.063668466869017E7", true},
    {"6.26302612502804e-294", "6.26302612502804E-294", true},
    {"94.17749122", "94.17749122", true},
    {"81525475424162636879723", "81525475424162636879723", false},
    {"2.2e-303", "2.2E-303", true},
    {"-45160778.159464024", "-4.5160778159464024E7", true},
    {"76.102839", "76.102839", true},
    {"6.617444900424222e-24", "6.617444900424222E-24", true},
    {"8.3e-305", "8.3E-305", true},
    {"7.846377169233351e+56", "7.846377169233351E56", true},
    {"-646788153925", "-646788153925", true},
    {"2.256492969831037e-277", "2.256492969831037E-277", true},
    {"46673492.57194021", "4.667349257194021E7", true},
    {"-4.125047226841586741e-84", "-4.125047226841587E-84", false},
    {"15e-206", "1.5E-205", true},
    {"62e240", "6.2E241", true},
    {"-340111893140410864105", "-340111893140410864105", false},
    {"-3.9726e-249", "-3.9726E-249", true},
    {"6.63601760244025e+256", "6.63601760244025E256", true},
    {"2.210859150104178e-75", "2.210859150104178E-75", true},
    {"6564.3275", "6564.3275", true},
    {"2.53e-177", "2.53E-177", true},
    {"38637416882365095518410", "38637416882365095518410", false},
    {"-4.313617806545e+13", "-4.313617806545E13", true},
    {"2.7781308362", "2.7781308362", true},
    {"35460973.6526134", "3.54609736526134E7", true},
    {"4.2e-306", "4.2E-306", true},
    {"-15043344811909884", "-15043344811909884", true},
    {"31e-120", "3.1E-119", true},
    {"15e-18", "1.5E-17", true},
    {"69e-304", "6.9E-303", true},
    {"-99579642316681006583273", "-99579642316681006583273", false},
    {"94e-226", "9.4E-225", true},
    {"915262.768466593", "915262.768466593", true},
    {"7099.86668", "7099.86668", true},
    {"5.3e-305", "5.3E-305", true},
    {"7.174648137343064e-43", "7.174648137343064E-43", true},
    {"2.5e-305", "2.5E-305", true},
    {"98512635.46376842", "9.851263546376842E7", true},
    {"930.615", "930.615", true},
    {"-84737193984239537759071", "-84737193984239537759071", false},
    {"-5.3131e+280", "-5.3131E280", true},
    {"18748713.75776151", "1.874871375776151E7", true},
    {"-53037374.79173955", "-5.303737479173955E7", true},
    {"5.638799834860097e+264", "5.638799834860097E264", true},
    {"5e-315", "5.0E-315", true},
    {"9999999.999999999", "9999999.999999998", false},
    {"9999999.9999999999", "1.0E7", false},
    {"0.000999999999999999999", "0.001", false},
    {"0.0009999999999999999", "9.999999999999998E-4", false},
    {"1000000000000000000000000000000000000000000000000000000000000",
     "1000000000000000000000000000000000000000000000000000000000000", true},
    {"-1e-400", "-0.0", false},
    {"1e-5", "1.0E-5", true},
    {"123e-2", "1.23", true},
    {"1.7976931348623157E308", "1.7976931348623157E308", true},
    {"4.9406564584124654E-324", "4.9E-324", false},
    {"2.2250738585072011e-308", "2.225073858507201E-308", false},
    {"0.1e1", "1.0", true},
    {"10e-1", "1.0", true},
};

static void test_java_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof VECS / sizeof VECS[0]; i++) {
        const numvec *v = &VECS[i];
        char buf[40];
        const char *c = rw_pattern_number_canonical(v->text, buf);
        if (strcmp(c, v->canonical) != 0)
            fail_msg("canonical(%s) = %s, Java says %s", v->text, c, v->canonical);
        double d = -12345;
        bool k = rw_pattern_number_comparable(v->text, &d);
        if (k != v->comparable)
            fail_msg("comparable(%s) = %d, Java says %d", v->text, k, v->comparable);
        if (k) {
            double want = strtod(v->text, NULL);
            if (want == 0) want = 0.0;
            if (d != want || (d == 0 && signbit(d)))
                fail_msg("comparable(%s) gave the value %.17g", v->text, d);
        } else if (d != -12345) {
            fail_msg("comparable(%s) wrote a value although it is not comparable", v->text);
        }
    }
}

/* section 4.1's examples */
static void test_comparability(void **state) {
    (void)state;
    static const char *const yes[] = {
        "300",      "300.0",      "0.1",   "1e100", "9007199254740992", "0.1234567",
        "1.50",     "1.0E2",      "-0",    "-0.0",  "0e-999",           "1.7976931348623157e308",
        "4.9e-324", "5000000001", "123e-2"};
    static const char *const no[] = {"9007199254740993",
                                     "1.0000000000000001",
                                     "0.1234567890123456789",
                                     "1e-400",
                                     "1e309",
                                     "-1e309",
                                     "1152921504606846976",
                                     "5e-324",
                                     "1e-323",
                                     "1.7976931348623159e308"};
    double d;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!rw_pattern_number_comparable(yes[i], &d)) fail_msg("%s should be comparable", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (rw_pattern_number_comparable(no[i], &d)) fail_msg("%s should not be comparable", no[i]);
    assert_true(rw_pattern_number_comparable("-0", &d));
    assert_true(d == 0 && !signbit(d));
    assert_true(rw_pattern_number_comparable("-0.0", &d));
    assert_true(d == 0 && !signbit(d));
    assert_true(rw_pattern_number_comparable("300.0", &d));
    assert_true(d == 300);
    assert_true(rw_pattern_number_comparable("-2.5e-3", &d));
    assert_true(d == -0.0025);
    /* a long decimal is compared digit for digit, all of them */
    rwt_str s = {0};
    rwt_adds(&s, "1.");
    for (int i = 0; i < 2000; i++) rwt_adds(&s, "0");
    assert_true(rw_pattern_number_comparable(s.p, &d));
    rwt_adds(&s, "1");
    assert_false(rw_pattern_number_comparable(s.p, &d));
    rwt_free(&s);
    rwt_adds(&s, "1");
    for (int i = 0; i < 400; i++) rwt_adds(&s, "0");
    assert_false(rw_pattern_number_comparable(s.p, &d)); /* 1e400 overflows */
    rwt_free(&s);
}

/* section 4.3's rules for an event's number text */
static void test_canonical(void **state) {
    (void)state;
    static const char *const pairs[][2] = {
        {"300", "300"},
        {"-0", "0"},
        {"0", "0"},
        {"-12", "-12"},
        {"9007199254740993", "9007199254740993"},
        {"300.0", "300.0"},
        {"3e2", "300.0"},
        {"1e2", "100.0"},
        {"1E+2", "100.0"},
        {"1.0000000000000001", "1.0"},
        {"1e309", "Infinity"},
        {"-1e309", "-Infinity"},
        {"1e-400", "0.0"},
        {"-1e-400", "-0.0"},
        {"-0.0", "-0.0"},
        {"0.0", "0.0"},
        {"0.001", "0.001"},
        {"0.0001", "1.0E-4"},
        {"1234567.0", "1234567.0"},
        {"1e7", "1.0E7"},
        {"9999999.0", "9999999.0"},
        {"301.8", "301.8"},
        {"9007199254740993.0", "9.007199254740992E15"},
        {"4.9e-324", "4.9E-324"},
        {"5e-324", "4.9E-324"},
        {"2e-323", "2.0E-323"},
        {"1e23", "1.0E23"},
        {"1.7976931348623157e308", "1.7976931348623157E308"},
        {"0.1", "0.1"},
        {"-123.456e-7", "-1.23456E-5"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char buf[40];
        const char *c = rw_pattern_number_canonical(pairs[i][0], buf);
        if (strcmp(c, pairs[i][1]) != 0)
            fail_msg("canonical(%s) = %s, expected %s", pairs[i][0], c, pairs[i][1]);
    }
    /* an integer is returned as it is, however long */
    rwt_str s = {0};
    rwt_adds(&s, "-");
    for (int i = 0; i < 300; i++) rwt_adds(&s, "7");
    char buf[40];
    assert_ptr_equal(rw_pattern_number_canonical(s.p, buf), s.p);
    rwt_free(&s);
}

/* every double prints back to itself, with at most 17 digits */
static void test_canonical_round_trip(void **state) {
    (void)state;
    rwt_rng r = {4242};
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rwt_next(&r);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        char text[40], buf[40];
        snprintf(text, sizeof text, "%.17g", d);
        if (!strpbrk(text, ".eE")) strcat(text, ".0");
        const char *c = rw_pattern_number_canonical(text, buf);
        double back = strtod(c, NULL);
        if (back != d && !(d == 0 && back == 0))
            fail_msg("%s -> %s reads back differently", text, c);
        double v;
        if (!rw_pattern_number_comparable(c, &v) && d != 0)
            fail_msg("%s: its canonical text %s is not comparable", text, c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_java_vectors),
        cmocka_unit_test(test_comparability),
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_canonical_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
