/* Unit tests for matching events against event patterns (src/rules/pattern_match.c), as
 * docs/eventbridge-pattern-semantics.md sections 2-7 describe AWS's behaviour: event flattening,
 * array consistency and the order-dependent absence rule, every operator's table, numbers, IP
 * addresses and CIDR quirks, equals-ignore-case, wildcards; then a randomized differential test
 * of the indexed matcher against a direct implementation of section 3.1, and the prefilter's
 * literal property on random matching events. JSON is written with ' for " (see J). */
#include "rwpattern.h"

#include <math.h>

#include "rules/casemap.h"
#include "rules/wildcard.h"
#include "util/buf.h"

typedef struct mcase {
    const char *pattern;
    const char *event;
    bool match;
} mcase;

static void run_cases(const mcase *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        /* J's results are reused after eight calls: copy the pattern first */
        char *p = strdup(J(t[i].pattern));
        assert_match_(p, J(t[i].event), t[i].match, __FILE__, __LINE__);
        free(p);
    }
}
#define RUN(t) run_cases((t), sizeof(t) / sizeof((t)[0]))

/* ---- 2 flattening ---------------------------------------------------------------------------- */

static void test_flattening(void **state) {
    (void)state;
    static const mcase t[] = {
        /* E1: dotted keys are nesting, in patterns and in events; arrays add no component */
        {"{'a':{'b':[1]}}", "{'a':{'b':1}}", true},
        {"{'a':{'b':[1]}}", "{'a.b':1}", true},
        {"{'a':{'b':[1]}}", "{'a':[{'b':1}]}", true},
        {"{'a.b':[1]}", "{'a':{'b':1}}", true},
        {"{'a.b':[1]}", "{'a':[{'b':1}]}", true},
        {"{'a.b.c':[1]}", "{'a':{'b.c':1}}", true},
        {"{'detail':{'state.status':['x']}}", "{'detail':{'state':{'status':'x'}}}", true},
        {"{'detail':{'state':{'status':['x']}}}", "{'detail':{'state.status':'x'}}", true},
        {"{'detail':{'state':{'status':['x']}}}", "{'detail':{'state.status':{'status':'x'}}}",
         false},
        {"{'detail':{'state.status':['x']}}", "{'detail':{'state':{'status':{'status':'x'}}}}",
         false},
        /* the empty key */
        {"{'detail':{'':{'v':[1]}}}", "{'detail':{'':{'v':1}}}", true},
        {"{'detail':{'':{'v':[1]}}}", "{'detail..v':1}", true},
        {"{'detail':{'':{'v':[1]}}}", "{'detail':{'v':1}}", false},
        /* keys are case-sensitive */
        {"{'Key':['x']}", "{'key':'x'}", false},
        /* a string holding JSON is a string */
        {"{'detail':{'my-key':['v']}}", "{'detail':'{\\'my-key\\':\\'v\\'}'}", false},
        /* E2: only scalars are fields */
        {"{'a':[{'exists':true}]}", "{'a':[]}", false},
        {"{'a':[{'exists':true}]}", "{'a':{}}", false},
        {"{'a':[{'exists':true}]}", "{'a':[[],{}]}", false},
        {"{'a':[{'exists':true}]}", "{'a':[[[]],[{}]]}", false},
        {"{'a':[{'exists':true}]}", "{'a':{'b':1}}", false},
        {"{'a':[{'exists':true}]}", "{'a':[{'b':1}]}", false},
        {"{'a':[{'exists':true}]}", "{'a':null}", true},
        {"{'a':[{'exists':true}]}", "{'a':''}", true},
        {"{'a':[{'exists':true}]}", "{'a':[null]}", true},
        {"{'a':[{'exists':true}]}", "{'a':[[],[[false]]]}", true},
        {"{'a':[{'exists':false}]}", "{'a':[]}", true},
        {"{'a':[{'exists':false}]}", "{'a':{}}", true},
        {"{'a':[{'exists':false}]}", "{'a':[{}]}", true},
        {"{'a':[{'exists':false}]}", "{'a':{'b':1}}", true},
        {"{'a':[{'exists':false}]}", "{'b':1}", true},
        {"{'a':[{'exists':false}]}", "{'a':null}", false},
        {"{'a':[{'exists':false}]}", "{'a':[null]}", false},
        {"{'a':[{'exists':false}]}", "{'a':0}", false},
        {"{'resources':[null]}", "{'resources':[]}", false},
        {"{'resources':[{'exists':true}]}", "{'resources':[]}", false},
        {"{'presentKey':[{'exists':true}]}", "{'presentKey':{'S':'x'}}", false},
        /* an element object gives its fields the array's path */
        {"{'detail':{'automations':{'id':[{'exists':true}]}}}",
         "{'detail':{'automations':[{'key1':'v'},{'id':'match-does-exist'},{'key2':'w'}]}}", true},
        /* E3: every element of an array is a field; nested arrays are flattened */
        {"{'a':['b']}", "{'a':[['a'],['b']]}", true},
        {"{'a':['c']}", "{'a':[['a'],['b']]}", false},
        {"{'a':[2]}", "{'a':[1,[2,[3]]]}", true},
        {"{'resources':['r2','r9']}", "{'resources':['r1','r2']}", true},
        {"{'resources':['r3','r9']}", "{'resources':['r1','r2']}", false},
        /* E4: every occurrence of a repeated event key is kept */
        {"{'v':[0]}", "{'v':0,'v':1}", true},
        {"{'v':[1]}", "{'v':0,'v':1}", true},
        {"{'v':[2]}", "{'v':0,'v':1}", false},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':{'a':1},'v':{'b':2}}", true},
        {"{'v':{'a':[1]}}", "{'v':{'a':0,'a':1}}", true},
        {"{'v':[{'anything-but':0}]}", "{'v':0,'v':0}", false},
        {"{'v':[{'anything-but':0}]}", "{'v':0,'v':'0'}", true},
        /* the whole event is matched, envelope included, extra top-level keys too */
        {"{'EventBusName':['default']}", "{'source':'s','EventBusName':'default'}", true},
        /* an event field deeper than the pattern's path is not a value of it */
        {"{'a':['x']}", "{'a':{'x':1}}", false},
    };
    RUN(t);
}

/* ---- 3.1 arrays, consistency and absence ----------------------------------------------------- */

static void test_array_consistency(void **state) {
    (void)state;
    static const mcase t[] = {
        /* different paths must not match in different elements of one array */
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':1},{'b':2}]}", false},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':1,'b':2}]}", true},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':1},{'a':1,'b':2}]}", true},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':1,'b':3},{'a':3,'b':2}]}", false},
        /* deeper: the outer array index must agree, inner arrays of scalars are free */
        {"{'v':{'a':[1],'w':{'b':[2]}}}", "{'v':[{'a':1,'w':[{'b':2}]}]}", true},
        {"{'v':{'a':[1],'w':{'b':[2]}}}", "{'v':[{'a':1},{'w':[{'b':2}]}]}", false},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':[0,1],'b':[2,3]}]}", true},
        /* the same array's scalar elements are free: a value list is OR */
        {"{'v':[1],'w':[2]}", "{'v':[0,1],'w':[2,3]}", true},
        /* two different arrays do not constrain each other */
        {"{'v':{'a':[1]},'w':{'b':[2]}}", "{'v':[{'a':0},{'a':1}],'w':[{'b':2},{'b':0}]}", true},
        /* nested arrays: membership of every enclosing element */
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[[{'a':1,'b':2}]]}", true},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[[{'a':1}],[{'b':2}]]}", false},
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[[{'a':1},{'b':2}]]}", false},
        /* section 3.1: absence only sees the membership of keys sorted before it */
        {"{'v':{'a':[1],'b':[{'exists':false}]}}", "{'v':[{'a':1},{'b':2}]}", true},
        {"{'v':{'a':[{'exists':false}],'b':[{'exists':false}]}}", "{'v':[{'a':1},{'b':2}]}", false},
        {"{'v':{'a':[1],'b':[{'exists':false}]}}", "{'v':[{'a':1,'b':2}]}", false},
        /* swapping the names of a and b changes the answer */
        {"{'v':{'b':[1],'a':[{'exists':false}]}}", "{'v':[{'b':1},{'a':2}]}", false},
        {"{'v':{'b':[1],'a':[{'exists':false}]}}", "{'v':[{'b':1}]}", true},
        /* absence against an element the earlier match did not use */
        {"{'v':{'a':[1],'c':[{'exists':false}]}}", "{'v':[{'a':1},{'a':2,'c':3}]}", true},
        {"{'v':{'a':[2],'c':[{'exists':false}]}}", "{'v':[{'a':1},{'a':2,'c':3}]}", false},
        /* exists:false OR a value */
        {"{'v':{'a':[1],'b':[2,{'exists':false}]}}", "{'v':[{'a':1},{'b':3}]}", true},
        {"{'v':{'a':[1],'b':[2,{'exists':false}]}}", "{'v':[{'a':1,'b':3}]}", false},
        {"{'v':{'a':[1],'b':[3,{'exists':false}]}}", "{'v':[{'a':1,'b':3}]}", true},
        /* a backtracking search: the first a=1 is not the one that works */
        {"{'v':{'a':[1],'b':[2]}}", "{'v':[{'a':1,'b':0},{'a':1,'b':2}]}", true},
        {"{'v':{'a':[1],'b':[2],'c':[3]}}",
         "{'v':[{'a':1,'b':2,'c':0},{'a':1,'b':0,'c':3},{'a':1,'b':2,'c':3}]}", true},
        {"{'v':{'a':[1],'b':[2],'c':[3]}}",
         "{'v':[{'a':1,'b':2,'c':0},{'a':1,'b':0,'c':3},{'a':0,'b':2,'c':3}]}", false},
    };
    RUN(t);
}

/* ---- 3.2 operators ------------------------------------------------------------------------- */

static void test_exact_values(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'a':['s']}", "{'a':'s'}", true},
        {"{'a':['s']}", "{'a':'S'}", false},
        {"{'a':['s']}", "{'a':'s '}", false},
        {"{'a':['']}", "{'a':''}", true},
        {"{'a':['']}", "{'a':null}", false},
        {"{'a':['']}", "{'a':[]}", false},
        {"{'a':['null']}", "{'a':null}", false},
        {"{'a':[null]}", "{'a':'null'}", false},
        {"{'a':[null]}", "{'a':null}", true},
        {"{'a':['300']}", "{'a':300}", false},
        {"{'a':[300]}", "{'a':'300'}", false},
        {"{'a':['true']}", "{'a':true}", false},
        {"{'a':[true]}", "{'a':'true'}", false},
        {"{'a':[true]}", "{'a':true}", true},
        {"{'a':[true]}", "{'a':false}", false},
        {"{'a':[false]}", "{'a':false}", true},
        {"{'a':[1]}", "{'a':true}", false},
        {"{'a':[0]}", "{'a':false}", false},
        {"{'a':[0]}", "{'a':null}", false},
        /* byte-exact UTF-8, no normalization */
        {"{'a':['caf\xC3\xA9 \xF0\x9F\x98\x80']}", "{'a':'caf\xC3\xA9 \xF0\x9F\x98\x80'}", true},
        {"{'a':['caf\xC3\xA9']}", "{'a':'cafe\xCC\x81'}", false},
        {"{'a':['\\u00e9']}", "{'a':'\xC3\xA9'}", true},
        /* * is not special outside wildcard */
        {"{'a':['*']}", "{'a':'*'}", true},
        {"{'a':['*']}", "{'a':'x'}", false},
        /* exactly: an exact string, never an IP address */
        {"{'a':[{'exactly':'10.0.0.1'}]}", "{'a':'10.0.0.1'}", true},
        {"{'a':[{'exactly':'10.0.0.1'}]}", "{'a':'010.0.0.1'}", false},
        {"{'a':['10.0.0.1']}", "{'a':'010.0.0.1'}", true},
        {"{'a':[{'exactly':'x'}]}", "{'a':'X'}", false},
        /* a value list is OR, whatever the kinds */
        {"{'a':['x',{'prefix':'y'},{'numeric':['>',5]}]}", "{'a':'yes'}", true},
        {"{'a':['x',{'prefix':'y'},{'numeric':['>',5]}]}", "{'a':6}", true},
        {"{'a':['x',{'prefix':'y'},{'numeric':['>',5]}]}", "{'a':4}", false},
        {"{'N':[{'numeric':['>',100]},{'anything-but':'101'}]}", "{'N':'42'}", true},
        {"{'N':[{'numeric':['>',100]},{'anything-but':'101'}]}", "{'N':'101'}", false},
        {"{'N':[{'numeric':['>',100]},{'anything-but':'101'}]}", "{'N':101}", true},
        {"{'S':[{'anything-but':'x'},{'exists':false}]}", "{'T':1}", true},
    };
    RUN(t);
}

static void test_prefix_suffix(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'a':[{'prefix':'ab'}]}", "{'a':'abc'}", true},
        {"{'a':[{'prefix':'ab'}]}", "{'a':'ab'}", true},
        {"{'a':[{'prefix':'ab'}]}", "{'a':'a'}", false},
        {"{'a':[{'prefix':'ab'}]}", "{'a':'xab'}", false},
        {"{'a':[{'prefix':'ab'}]}", "{'a':'ABc'}", false},
        {"{'a':[{'prefix':''}]}", "{'a':''}", true},
        {"{'a':[{'prefix':''}]}", "{'a':'x'}", true},
        {"{'a':[{'prefix':''}]}", "{'a':1}", false},
        {"{'a':[{'prefix':''}]}", "{'a':null}", false},
        {"{'a':[{'prefix':''}]}", "{'b':'x'}", false},
        {"{'a':[{'prefix':'1'}]}", "{'a':10}", false},
        {"{'a':[{'prefix':'t'}]}", "{'a':true}", false},
        {"{'a':[{'suffix':'.png'}]}", "{'a':'image.png'}", true},
        {"{'a':[{'suffix':'.PNG'}]}", "{'a':'image.png'}", false},
        {"{'a':[{'suffix':'.png'}]}", "{'a':'.png'}", true},
        {"{'a':[{'suffix':'.png'}]}", "{'a':'png'}", false},
        {"{'a':[{'suffix':''}]}", "{'a':''}", true},
        {"{'a':[{'suffix':''}]}", "{'a':'x'}", true},
        {"{'a':[{'suffix':'0'}]}", "{'a':10}", false},
        {"{'a':[{'suffix':'l'}]}", "{'a':null}", false},
        /* with equals-ignore-case */
        {"{'a':[{'prefix':{'equals-ignore-case':'EC2'}}]}", "{'a':'ec2 instance'}", true},
        {"{'a':[{'prefix':{'equals-ignore-case':'EC2'}}]}", "{'a':'eC2'}", true},
        {"{'a':[{'prefix':{'equals-ignore-case':'EC2'}}]}", "{'a':'ec'}", false},
        {"{'a':[{'prefix':{'equals-ignore-case':'EC2'}}]}", "{'a':'xec2'}", false},
        {"{'a':[{'suffix':{'equals-ignore-case':'.PNG'}}]}", "{'a':'image.png'}", true},
        {"{'a':[{'suffix':{'equals-ignore-case':'.PNG'}}]}", "{'a':'image.pnG'}", true},
        {"{'a':[{'suffix':{'equals-ignore-case':'.PNG'}}]}", "{'a':'image.pn'}", false},
        {"{'a':[{'prefix':{'equals-ignore-case':''}}]}", "{'a':'x'}", true},
        {"{'a':[{'suffix':{'equals-ignore-case':''}}]}", "{'a':''}", true},
        {"{'a':[{'prefix':{'equals-ignore-case':'1'}}]}", "{'a':1}", false},
        {"{'a':[{'prefix':{'equals-ignore-case':'stra\xC3\x9F'}}]}", "{'a':'STRASSE'}", true},
        {"{'a':[{'suffix':{'equals-ignore-case':'\xC3\x9F'}}]}", "{'a':'GROSS'}", true},
        {"{'a':[{'suffix':{'equals-ignore-case':'\xC3\x9F'}}]}", "{'a':'gross'}", false},
    };
    RUN(t);
}

static void test_anything_but_matching(void **state) {
    (void)state;
    static const mcase t[] = {
        /* strings: every present value but the listed strings */
        {"{'a':[{'anything-but':'x'}]}", "{'a':'y'}", true},
        {"{'a':[{'anything-but':'x'}]}", "{'a':'x'}", false},
        {"{'a':[{'anything-but':'x'}]}", "{'a':'X'}", true},
        {"{'a':[{'anything-but':'x'}]}", "{'a':null}", true},
        {"{'a':[{'anything-but':'x'}]}", "{'a':true}", true},
        {"{'a':[{'anything-but':'x'}]}", "{'a':false}", true},
        {"{'a':[{'anything-but':'1'}]}", "{'a':1}", true},
        {"{'a':[{'anything-but':'x'}]}", "{'b':'y'}", false},
        {"{'a':[{'anything-but':'x'}]}", "{'a':[]}", false},
        {"{'a':[{'anything-but':'x'}]}", "{'a':{}}", false},
        {"{'a':[{'anything-but':'a'}]}", "{'a':['a','b']}", true},
        {"{'a':[{'anything-but':'a'}]}", "{'a':['a']}", false},
        {"{'a':[{'anything-but':['x','y']}]}", "{'a':'y'}", false},
        {"{'a':[{'anything-but':['x','y']}]}", "{'a':'z'}", true},
        {"{'a':[{'anything-but':''}]}", "{'a':''}", false},
        {"{'a':[{'anything-but':''}]}", "{'a':'x'}", true},
        {"{'a':[{'anything-but':'10.0.0.1'}]}", "{'a':'010.0.0.1'}", true},
        /* numbers: every present value but numerically equal numbers */
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':300}", false},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':300.0}", false},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':3e2}", false},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':301}", true},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':'100'}", true},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':null}", true},
        {"{'a':[{'anything-but':[100,200,300]}]}", "{'a':true}", true},
        {"{'a':[{'anything-but':100}]}", "{'a':100}", false},
        {"{'a':[{'anything-but':0}]}", "{'a':-0}", false},
        {"{'a':[{'anything-but':-0.0}]}", "{'a':0}", false},
        {"{'a':[{'anything-but':9007199254740992}]}", "{'a':9007199254740993}", true},
        {"{'a':[{'anything-but':1}]}", "{'a':1.0000000000000001}", false},
        {"{'a':[{'anything-but':1}]}", "{'a':1e309}", true},
        {"{'a':[{'anything-but':100}]}", "{'b':1}", false},
        /* prefix / suffix */
        {"{'a':[{'anything-but':{'prefix':'ab'}}]}", "{'a':'abc'}", false},
        {"{'a':[{'anything-but':{'prefix':'ab'}}]}", "{'a':'xabc'}", true},
        {"{'a':[{'anything-but':{'prefix':'ab'}}]}", "{'a':''}", true},
        {"{'a':[{'anything-but':{'prefix':['ab','x']}}]}", "{'a':'xyz'}", false},
        {"{'a':[{'anything-but':{'prefix':'1'}}]}", "{'a':12}", true},
        {"{'a':[{'anything-but':{'prefix':'n'}}]}", "{'a':null}", true},
        {"{'a':[{'anything-but':{'prefix':'ab'}}]}", "{'b':'x'}", false},
        {"{'a':[{'anything-but':{'suffix':'.txt'}}]}", "{'a':'a.txt'}", false},
        {"{'a':[{'anything-but':{'suffix':'.txt'}}]}", "{'a':'a.txt2'}", true},
        {"{'a':[{'anything-but':{'suffix':['.a','.b']}}]}", "{'a':'x.b'}", false},
        {"{'a':[{'anything-but':{'suffix':'2'}}]}", "{'a':12}", true},
        /* equals-ignore-case */
        {"{'a':[{'anything-but':{'equals-ignore-case':'Stopped'}}]}", "{'a':'STOPPED'}", false},
        {"{'a':[{'anything-but':{'equals-ignore-case':['x','Stopped']}}]}", "{'a':'stopped'}",
         false},
        {"{'a':[{'anything-but':{'equals-ignore-case':'Stopped'}}]}", "{'a':'running'}", true},
        {"{'a':[{'anything-but':{'equals-ignore-case':'Stopped'}}]}", "{'a':null}", true},
        {"{'a':[{'anything-but':{'equals-ignore-case':''}}]}", "{'a':''}", false},
        {"{'a':[{'anything-but':{'equals-ignore-case':'\xF0\x9F\x98\x80'}}]}",
         "{'a':'\xF0\x9F\x98\x80'}", true},
        {"{'a':[{'anything-but':{'equals-ignore-case':'\xF0\x9F\x98\x80'}}]}", "{'a':'?\?'}",
         false},
        /* wildcard */
        {"{'a':[{'anything-but':{'wildcard':'*/dir/*'}}]}", "{'a':'dir/init/file'}", true},
        {"{'a':[{'anything-but':{'wildcard':'*/dir/*'}}]}", "{'a':'a/dir/b'}", false},
        {"{'a':[{'anything-but':{'wildcard':['*/init/*','*/dir/*']}}]}", "{'a':'x/init/y'}", false},
        {"{'a':[{'anything-but':{'wildcard':''}}]}", "{'a':''}", false},
        {"{'a':[{'anything-but':{'wildcard':''}}]}", "{'a':'x'}", true},
        {"{'a':[{'anything-but':{'wildcard':'*'}}]}", "{'a':'x'}", false},
        {"{'a':[{'anything-but':{'wildcard':'*'}}]}", "{'a':123}", true},
        {"{'a':[{'anything-but':{'wildcard':'*'}}]}", "{'a':null}", true},
        {"{'a':[{'anything-but':{'wildcard':'*'}}]}", "{'b':'x'}", false},
    };
    RUN(t);
}

static void test_equals_ignore_case_matching(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'a':[{'equals-ignore-case':'AbC'}]}", "{'a':'abc'}", true},
        {"{'a':[{'equals-ignore-case':'AbC'}]}", "{'a':'ABC'}", true},
        {"{'a':[{'equals-ignore-case':'AbC'}]}", "{'a':'abcd'}", false},
        {"{'a':[{'equals-ignore-case':'AbC'}]}", "{'a':'ab'}", false},
        {"{'a':[{'equals-ignore-case':''}]}", "{'a':''}", true},
        {"{'a':[{'equals-ignore-case':''}]}", "{'a':'x'}", false},
        {"{'a':[{'equals-ignore-case':'1'}]}", "{'a':1}", false},
        {"{'a':[{'equals-ignore-case':'null'}]}", "{'a':null}", false},
        {"{'a':[{'equals-ignore-case':'true'}]}", "{'a':true}", false},
        /* section 3.3: per UTF-16 unit, lower or upper case, Java's full mappings */
        {"{'a':[{'equals-ignore-case':'\xC3\x9F'}]}", "{'a':'\xC3\x9F'}", true},
        {"{'a':[{'equals-ignore-case':'\xC3\x9F'}]}", "{'a':'SS'}", true},
        {"{'a':[{'equals-ignore-case':'\xC3\x9F'}]}", "{'a':'ss'}", false},
        {"{'a':[{'equals-ignore-case':'\xC3\x9F'}]}", "{'a':'Ss'}", false},
        {"{'a':[{'equals-ignore-case':'Stra\xC3\x9F\x65'}]}", "{'a':'STRASSE'}", true},
        {"{'a':[{'equals-ignore-case':'Stra\xC3\x9F\x65'}]}", "{'a':'strasse'}", false},
        {"{'a':[{'equals-ignore-case':'K'}]}", "{'a':'\xE2\x84\xAA'}", false},
        {"{'a':[{'equals-ignore-case':'k'}]}", "{'a':'K'}", true},
        {"{'a':[{'equals-ignore-case':'\xE2\x84\xAA'}]}", "{'a':'k'}", true},
        {"{'a':[{'equals-ignore-case':'\xE2\x84\xAA'}]}", "{'a':'K'}", false},
        {"{'a':[{'equals-ignore-case':'S'}]}", "{'a':'\xC5\xBF'}", false},
        {"{'a':[{'equals-ignore-case':'\xEF\xAC\x80'}]}", "{'a':'FF'}", true},
        {"{'a':[{'equals-ignore-case':'\xEF\xAC\x80'}]}", "{'a':'\xEF\xAC\x80'}", true},
        {"{'a':[{'equals-ignore-case':'\xEF\xAC\x80'}]}", "{'a':'ff'}", false},
        {"{'a':[{'equals-ignore-case':'\xC4\xB0'}]}", "{'a':'\xC4\xB0'}", true},
        {"{'a':[{'equals-ignore-case':'\xC4\xB0'}]}", "{'a':'i\xCC\x87'}", true},
        {"{'a':[{'equals-ignore-case':'\xC4\xB0'}]}", "{'a':'i'}", false},
        {"{'a':[{'equals-ignore-case':'\xC4\xB0'}]}", "{'a':'I'}", false},
        {"{'a':[{'equals-ignore-case':'\xCE\x90'}]}", "{'a':'\xCE\x99\xCC\x88\xCC\x81'}", true},
        {"{'a':[{'equals-ignore-case':'\xCE\x90'}]}", "{'a':'\xCE\x90'}", true},
        /* outside the BMP: each surrogate becomes '?' */
        {"{'a':[{'equals-ignore-case':'\xF0\x9F\x98\x80'}]}", "{'a':'?\?'}", true},
        {"{'a':[{'equals-ignore-case':'\xF0\x9F\x98\x80'}]}", "{'a':'\xF0\x9F\x98\x80'}", false},
        {"{'a':[{'equals-ignore-case':'x\xF0\x90\x90\x80y'}]}", "{'a':'X?\?Y'}", true},
        /* titlecase: only its lower and upper forms */
        {"{'a':[{'equals-ignore-case':'\xC7\x85'}]}", "{'a':'\xC7\x86'}", true},
        {"{'a':[{'equals-ignore-case':'\xC7\x85'}]}", "{'a':'\xC7\x84'}", true},
        {"{'a':[{'equals-ignore-case':'\xC7\x85'}]}", "{'a':'\xC7\x85'}", false},
        /* the event's value is not case-mapped */
        {"{'a':[{'equals-ignore-case':'SS'}]}", "{'a':'\xC3\x9F'}", false},
        {"{'a':[{'equals-ignore-case':'\xC3\xA9t\xC3\xA9'}]}", "{'a':'\xC3\x89T\xC3\x89'}", true},
        {"{'detail-type':[{'equals-ignore-case':'ec2 instance state-change notification'}]}",
         "{'detail-type':['EC2 Instance State-change Notification']}", true},
    };
    RUN(t);
}

static void test_wildcard_matching(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'a':[{'wildcard':'*'}]}", "{'a':''}", true},
        {"{'a':[{'wildcard':'*'}]}", "{'a':'anything'}", true},
        {"{'a':[{'wildcard':'*'}]}", "{'a':1}", false},
        {"{'a':[{'wildcard':'*'}]}", "{'a':null}", false},
        {"{'a':[{'wildcard':''}]}", "{'a':''}", true},
        {"{'a':[{'wildcard':''}]}", "{'a':'x'}", false},
        {"{'a':[{'wildcard':'1'}]}", "{'a':1}", false},
        {"{'a':[{'wildcard':'a*b'}]}", "{'a':'ab'}", true},
        {"{'a':[{'wildcard':'a*b'}]}", "{'a':'axxb'}", true},
        {"{'a':[{'wildcard':'a*b'}]}", "{'a':'axxbc'}", false},
        {"{'a':[{'wildcard':'a*b'}]}", "{'a':'bab'}", false},
        /* backtracking */
        {"{'a':[{'wildcard':'*ab*ab'}]}", "{'a':'abab'}", true},
        {"{'a':[{'wildcard':'*ab*ab'}]}", "{'a':'aabxabab'}", true},
        {"{'a':[{'wildcard':'*ab*ab'}]}", "{'a':'abxab'}", true},
        {"{'a':[{'wildcard':'*ab*ab'}]}", "{'a':'abxa'}", false},
        {"{'a':[{'wildcard':'a*a*a*b'}]}", "{'a':'aaaaaaaab'}", true},
        {"{'a':[{'wildcard':'a*a*a*b'}]}", "{'a':'aaaaaaaa'}", false},
        {"{'a':[{'wildcard':'*aab'}]}", "{'a':'aaab'}", true},
        {"{'a':[{'wildcard':'*a*'}]}", "{'a':'bbb'}", false},
        /* escapes */
        {"{'a':[{'wildcard':'a\\\\*b'}]}", "{'a':'a*b'}", true},
        {"{'a':[{'wildcard':'a\\\\*b'}]}", "{'a':'axb'}", false},
        {"{'a':[{'wildcard':'a\\\\\\\\b'}]}", "{'a':'a\\\\b'}", true},
        {"{'a':[{'wildcard':'a\\\\**'}]}", "{'a':'a*xyz'}", true},
        {"{'a':[{'wildcard':'a\\\\**'}]}", "{'a':'axyz'}", false},
        /* bytes, UTF-8 included */
        {"{'a':[{'wildcard':'*\xC3\xA9'}]}", "{'a':'caf\xC3\xA9'}", true},
        {"{'a':[{'wildcard':'caf*'}]}", "{'a':'CAFE'}", false},
        /* the conformance examples */
        {"{'EventBusArn':[{'wildcard':'arn:aws:events:us-east-1:*:event-bus/*'}]}",
         "{'EventBusArn':'arn:aws:events:us-east-1:123456789012:event-bus/default'}", true},
        {"{'FilePath':[{'wildcard':'/Users/*/dir/dir/dir/dir/dir/doc.txt'}]}",
         "{'FilePath':'/Users/ana/dir/dir/dir/dir/dir/dir/doc.txt'}", true},
        {"{'FilePath':[{'wildcard':'/Users/*/dir/dir/dir/dir/dir/doc.txt'}]}",
         "{'FilePath':'/Users/ana/dir/dir/dir/dir/doc.txt'}", false},
        {"{'FilePath':[{'wildcard':'/Users/*/doc.txt'}]}",
         "{'FilePath':'/Users/ana/notmatchingdoc.txt'}", false},
    };
    RUN(t);
}

static void test_exists_and_absence(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'a':[{'exists':true}]}", "{'a':0}", true},
        {"{'a':[{'exists':true}]}", "{'b':0}", false},
        {"{'a':[{'exists':false}]}", "{'b':0}", true},
        {"{'a':[{'exists':false}],'b':[0]}", "{'b':0}", true},
        {"{'a':[{'exists':false}],'b':[0]}", "{'b':1}", false},
        /* a pattern key with a typo never exists */
        {"{'detail':{'level2:':[{'exists':false}]}}", "{'detail':{'level2':1}}", true},
        /* the parent of a missing leaf */
        {"{'S':{'T':[{'anything-but':'x'},{'exists':false}]}}", "{'R':1}", true},
        /* exists on an object path */
        {"{'detail':{'state':[{'exists':true}]}}", "{'detail':{'c-count':{'x':1}}}", false},
    };
    RUN(t);
}

/* ---- 4 numbers --------------------------------------------------------------------------- */

static void test_number_matching(void **state) {
    (void)state;
    static const mcase t[] = {
        /* a plain number also matches numerically (the user guide's 300 != 300.0 is stale) */
        {"{'a':[300]}", "{'a':300.0}", true},
        {"{'a':[300]}", "{'a':3e2}", true},
        {"{'a':[300.0]}", "{'a':300}", true},
        {"{'a':[3.0e2]}", "{'a':300}", true},
        {"{'a':[1.5]}", "{'a':1.50}", true},
        {"{'a':[0.1]}", "{'a':1e-1}", true},
        {"{'a':[300]}", "{'a':301}", false},
        {"{'a':[-0]}", "{'a':0}", true},
        {"{'a':[-0]}", "{'a':-0}", true},
        {"{'a':[0]}", "{'a':-0.0}", true},
        {"{'a':[0]}", "{'a':0e5}", true},
        /* not comparable: only the text can match (the event's canonical text) */
        {"{'a':[9007199254740993]}", "{'a':9007199254740993}", true},
        {"{'a':[9007199254740993]}", "{'a':9007199254740992}", false},
        {"{'a':[9007199254740992]}", "{'a':9007199254740993}", false},
        {"{'a':[9007199254740992]}", "{'a':9007199254740992.0}", true},
        {"{'a':[1.0000000000000001]}", "{'a':1.0000000000000001}", false},
        {"{'a':[1.0000000000000001]}", "{'a':1}", false},
        {"{'a':[1]}", "{'a':1.0000000000000001}", true},
        {"{'a':[1e309]}", "{'a':1e309}", false},
        {"{'a':[1e309]}", "{'a':1e310}", false},
        {"{'a':[1e-400]}", "{'a':1e-400}", false},
        {"{'a':[0]}", "{'a':1e-400}", true},
        {"{'a':[1152921504606846976]}", "{'a':1152921504606846976}", true},
        {"{'a':[1152921504606846976]}", "{'a':1152921504606846977}", false},
        /* integers keep all their digits, however many */
        {"{'a':[123456789012345678901234567890123456789012345678901234567890]}",
         "{'a':123456789012345678901234567890123456789012345678901234567890}", true},
        {"{'a':[123456789012345678901234567890123456789012345678901234567890]}",
         "{'a':123456789012345678901234567890123456789012345678901234567891}", false},
        /* numeric ranges */
        {"{'a':[{'numeric':['>',100]}]}", "{'a':101.0}", true},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':100}", false},
        {"{'a':[{'numeric':['>=',100]}]}", "{'a':100}", true},
        {"{'a':[{'numeric':['<',100]}]}", "{'a':100}", false},
        {"{'a':[{'numeric':['<=',100]}]}", "{'a':1e2}", true},
        {"{'a':[{'numeric':['=',100]}]}", "{'a':100.0}", true},
        {"{'a':[{'numeric':['=',100]}]}", "{'a':100.5}", false},
        {"{'a':[{'numeric':['>',0,'<=',5]}]}", "{'a':5}", true},
        {"{'a':[{'numeric':['>',0,'<=',5]}]}", "{'a':0}", false},
        {"{'a':[{'numeric':['>=',0,'<',5]}]}", "{'a':-0}", true},
        {"{'a':[{'numeric':['>=',0,'<',5]}]}", "{'a':5}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':'300'}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':null}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':true}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':9007199254740993}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':1e309}", false},
        {"{'a':[{'numeric':['<',100]}]}", "{'a':-1e309}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':9007199254740992}", true},
        {"{'a':[{'numeric':['>',5000000000]}]}", "{'a':5000000001}", true},
        {"{'a':[{'numeric':['<',-1e100]}]}", "{'a':-1.5e300}", true},
        {"{'a':[{'numeric':['>',0]}]}", "{'a':4.9e-324}", true},
        {"{'a':[{'numeric':['>',0.1234567]}]}", "{'a':0.1234568}", true},
        {"{'a':[{'numeric':['>',0.1234567]}]}", "{'a':0.12345670}", false},
        {"{'a':[{'numeric':['>',100]}]}", "{'a':[1,200]}", true},
    };
    RUN(t);
}

/* ---- 5 IP addresses and CIDR --------------------------------------------------------------- */

static void test_ip_matching(void **state) {
    (void)state;
    static const mcase t[] = {
        /* an IP literal value matches any text of the same address */
        {"{'a':['2001:DB8::1']}", "{'a':'2001:db8:0:0::1'}", true},
        {"{'a':['2001:DB8::1']}", "{'a':'2001:0db8:0000:0000:0000:0000:0000:0001'}", true},
        {"{'a':['2001:db8::1']}", "{'a':'2001:db8::2'}", false},
        {"{'a':['10.0.0.1']}", "{'a':'10.0.0.1'}", true},
        {"{'a':['10.0.0.1']}", "{'a':'010.000.000.001'}", true},
        {"{'a':['10.0.0.1']}", "{'a':'::ffff:a00:1'}", true},
        {"{'a':['::ffff:10.0.0.1']}", "{'a':'::ffff:10.0.0.1'}", true},
        {"{'a':['10.0.0.1']}", "{'a':'10.0.0.2'}", false},
        {"{'a':['10.0.0.1']}", "{'a':'10.0.0.1 '}", false},
        {"{'a':['10.0.0.255']}", "{'a':'10.0.0.255'}", true},
        {"{'a':['10.0.0.255']}", "{'a':'10.0.0.254'}", false},
        {"{'a':['10.0.0.9']}", "{'a':'10.0.0.10'}", false},
        /* the byte-level quirk: the first 8 hex digits decide */
        {"{'a':['10.0.0.1']}", "{'a':'a00:1::'}", true},
        /* not an address: a plain string */
        {"{'a':['10.0.0.256']}", "{'a':'10.0.0.256'}", true},
        {"{'a':['10.0.0.256']}", "{'a':'10.0.1.0'}", false},
        {"{'a':['1:2:3']}", "{'a':'1:2:3'}", true},
        {"{'a':['1:2:3']}", "{'a':'1:2:3:0:0:0:0:0'}", false},
        /* cidr */
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'10.0.0.1'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'10.0.0.0'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'10.0.0.255'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'10.0.1.0'}", false},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'9.255.255.255'}", false},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'10.0.0.256'}", false},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':'abc'}", false},
        {"{'ip':[{'cidr':'10.0.0.1/24'}]}", "{'ip':'10.0.0.7'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24/'}]}", "{'ip':'10.0.0.7'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/+24'}]}", "{'ip':'10.0.0.7'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/31'}]}", "{'ip':'10.0.0.1'}", true},
        {"{'ip':[{'cidr':'10.0.0.0/31'}]}", "{'ip':'10.0.0.2'}", false},
        {"{'ip':[{'cidr':'010.0.0.0/8'}]}", "{'ip':'10.1.2.3'}", true},
        {"{'ip':[{'cidr':'2001:db8:1234:1a00::/64'}]}",
         "{'ip':'2001:0db8:1234:1a00:0000:0000:0000:0001'}", true},
        {"{'ip':[{'cidr':'2001:db8:1234:1a00::/64'}]}", "{'ip':'2001:db8:123f:1a00::1'}", false},
        {"{'ip':[{'cidr':'2001:db8::/32'}]}", "{'ip':'2001:db9::1'}", false},
        /* an IPv4 range against IPv6 values and the reverse */
        {"{'ip':[{'cidr':'10.0.0.0/8'}]}", "{'ip':'a00::1'}", true},
        {"{'ip':[{'cidr':'::/0'}]}", "{'ip':'10.0.0.1'}", true},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':'2001:db8::1'}", true},
        /* numbers and literals are tested with their text */
        {"{'ip':[{'cidr':'10.0.0.1/0'}]}", "{'ip':1}", true},
        {"{'ip':[{'cidr':'2001:db8::/0'}]}", "{'ip':1}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'ip':123}", false},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':-1}", false},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':true}", false},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':null}", false},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':'x'}", false},
        {"{'ip':[{'cidr':'10.0.0.0/8'}]}", "{'ip':10000000}", false},
        {"{'ip':[{'cidr':'16.0.0.0/8'}]}", "{'ip':10000000}", true},
        {"{'ip':[{'cidr':'16.0.0.0/8'}]}", "{'ip':1.0E7}", false},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':1.0E7}", true},
        {"{'ip':[{'cidr':'0.0.0.0/0'}]}", "{'ip':1e7}", true},
        {"{'a':['16.0.0.1']}", "{'a':10000001}", true},
        {"{'ip':[{'cidr':'10.0.0.0/24'}]}", "{'b':'10.0.0.1'}", false},
    };
    RUN(t);
}

/* ---- section 9: the conformance file's tricky cases, in small ------------------------------ */

static void test_conformance_examples(void **state) {
    (void)state;
    static const mcase t[] = {
        {"{'detail':{'c-count':[{'numeric':['>',0]}],'$or':[{'d-count':[{'numeric':['<',10]}]},"
         "{'x-limit':[{'numeric':['=',301.8]}]}]}}",
         "{'detail':{'c-count':5,'d-count':0,'x-limit':1}}", true},
        {"{'$or':[{'c':[{'numeric':['>',0]}]},{'d':[{'numeric':['<',10]}]},"
         "{'x':[{'numeric':['=',301.8]}]}]}",
         "{'c':0,'d':10,'x':901.8}", false},
        {"{'detail':{'location':[{'prefix':'us-'}],'location':[{'anything-but':'us-east'}]}}",
         "{'detail':{'location':'eu-central-1'}}", true},
        {"{'a':[{'anything-but':{'prefix':'x'}}]}", "{'a':12}", true},
        {"{'a':[{'anything-but':{'wildcard':'*/dir/*'}}]}", "{'a':123}", true},
    };
    RUN(t);
}

/* ---- the matcher: several patterns, indexes, scratch reuse --------------------------------- */

static void test_matcher_basics(void **state) {
    (void)state;
    rw_pattern *p[6];
    p[0] = pat_ok(J("{'a':['x']}"));
    p[1] = pat_ok(J("{'a':[{'prefix':'x'}]}"));
    p[2] = pat_ok(J("{'b':[1]}"));
    p[3] = pat_ok(J("{'a':[{'anything-but':'x'}]}"));
    p[4] = pat_ok(J("{'c':[{'exists':false}]}"));
    p[5] = pat_ok(J("{'a':['x'],'b':[2]}"));
    rw_matcher *m = rw_matcher_new();
    for (int i = 0; i < 6; i++) assert_int_equal(rw_matcher_add(m, p[i]), i);
    rw_match_scratch *s = rw_match_scratch_new();
    rw_json_doc *doc;
    size_t out[8];
    rw_json *ev = event_parse_(&doc, J("{'a':'xy','b':1}"), __FILE__, __LINE__);
    assert_int_equal(rw_matcher_match(m, s, ev, out, 8), 4);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], 3);
    assert_int_equal(out[3], 4);
    /* at most max are written: the smallest indexes, and the count of all */
    memset(out, 0xff, sizeof out);
    assert_int_equal(rw_matcher_match(m, s, ev, out, 2), 4);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(out[2], (size_t)-1);
    assert_int_equal(rw_matcher_match(m, s, ev, NULL, 0), 4);
    rw_json_doc_free(doc);
    /* the scratch is reused for another event */
    ev = event_parse_(&doc, J("{'a':'x','b':2,'c':0}"), __FILE__, __LINE__);
    assert_int_equal(rw_matcher_match(m, s, ev, out, 8), 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 5);
    rw_json_doc_free(doc);
    /* an event that is not an object has no fields: only absence holds */
    ev = event_parse_(&doc, "[1,2]", __FILE__, __LINE__);
    assert_int_equal(rw_matcher_match(m, s, ev, out, 8), 1);
    assert_int_equal(out[0], 4);
    rw_json_doc_free(doc);
    ev = event_parse_(&doc, "\"a\"", __FILE__, __LINE__);
    assert_int_equal(rw_matcher_match(m, s, ev, out, 8), 1);
    rw_json_doc_free(doc);
    rw_match_scratch_free(s);
    rw_matcher_free(m);
    /* a matcher with no patterns, and one scratch used with two matchers in turn */
    rw_matcher *e = rw_matcher_new();
    rw_matcher *m2 = rw_matcher_new();
    rw_matcher_add(m2, p[4]);
    rw_matcher_add(m2, p[0]);
    s = rw_match_scratch_new();
    ev = event_parse_(&doc, J("{'a':'x'}"), __FILE__, __LINE__);
    assert_int_equal(rw_matcher_match(e, s, ev, out, 8), 0);
    assert_int_equal(rw_matcher_match(m2, s, ev, out, 8), 2);
    assert_int_equal(rw_matcher_match(e, s, ev, out, 8), 0);
    rw_json_doc_free(doc);
    rw_match_scratch_free(s);
    rw_matcher_free(e);
    rw_matcher_free(m2);
    for (int i = 0; i < 6; i++) rw_pattern_free(p[i]);
}

/* ---- a direct implementation of sections 2 and 3.1, for the differential tests ------------- */

typedef struct rfield {
    char path[64];
    const rw_json *v;
    uint32_t memb[8][2]; /* (array id, index) */
    int nmemb;
} rfield;

typedef struct rflat {
    rfield f[512];
    int n;
    uint32_t arrays;
    uint32_t stack[8][2];
    int nstack;
} rflat;

static void rwalk(rflat *r, const char *path, const rw_json *v) {
    if (v->type == RW_JSON_OBJECT) {
        for (const rw_json *c = v->child; c; c = c->next) {
            char p[64];
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->key);
            rwalk(r, p, c);
        }
    } else if (v->type == RW_JSON_ARRAY) {
        uint32_t id = r->arrays++, i = 0;
        for (const rw_json *e = v->child; e; e = e->next, i++) {
            bool container = e->type == RW_JSON_OBJECT || e->type == RW_JSON_ARRAY;
            if (container) {
                assert_true(r->nstack < 8);
                r->stack[r->nstack][0] = id, r->stack[r->nstack][1] = i, r->nstack++;
            }
            rwalk(r, path, e);
            if (container) r->nstack--;
        }
    } else {
        assert_true(r->n < 512);
        rfield *f = &r->f[r->n++];
        snprintf(f->path, sizeof f->path, "%s", path);
        f->v = v;
        f->nmemb = r->nstack;
        memcpy(f->memb, r->stack, sizeof r->stack);
    }
}

static bool rnum(const rw_json *v, double *d) {
    if (strpbrk(v->str, ".eE")) {
        *d = strtod(v->str, NULL);
        if (*d == 0) *d = 0;
        return isfinite(*d);
    }
    return rw_pattern_number_comparable(v->str, d);
}

static bool rstr_in(const str *list, size_t n, const rw_json *v) {
    for (size_t i = 0; i < n; i++)
        if (list[i].n == v->len && memcmp(list[i].s, v->str, v->len) == 0) return true;
    return false;
}

/* section 3.2, for the kinds the random patterns use */
static bool ralt(const alt *a, const rw_json *v) {
    bool s = v->type == RW_JSON_STRING;
    double d;
    char buf[40];
    switch (a->kind) {
    case A_STR:
        return s && v->len == a->s.n && memcmp(v->str, a->s.s, v->len) == 0;
    case A_NUM:
        if (v->type != RW_JSON_NUMBER) return false;
        if (rnum(v, &d)) return a->comparable && d == a->d;
        return strcmp(rw_pattern_number_canonical(v->str, buf), a->s.s) == 0;
    case A_TRUE:
        return v->type == RW_JSON_TRUE;
    case A_FALSE:
        return v->type == RW_JSON_FALSE;
    case A_NULL:
        return v->type == RW_JSON_NULL;
    case A_PREFIX:
        return s && v->len >= a->s.n && memcmp(v->str, a->s.s, a->s.n) == 0;
    case A_SUFFIX:
        return s && v->len >= a->s.n && memcmp(v->str + v->len - a->s.n, a->s.s, a->s.n) == 0;
    case A_EQ_IC:
        return s && rw_icase_match(a->ic, v->str, v->len, RW_ICASE_EQUALS);
    case A_WILDCARD:
        return s && rw_wildcard_match(a->wc, v->str, v->len);
    case A_NUMERIC:
        if (v->type != RW_JSON_NUMBER || !rnum(v, &d)) return false;
        if (a->has_lo && !(a->lo_incl ? d >= a->lo : d > a->lo)) return false;
        if (a->has_hi && !(a->hi_incl ? d <= a->hi : d < a->hi)) return false;
        return true;
    case A_EXISTS:
        return true;
    case A_AB_STR:
        return !(s && rstr_in(a->list, a->nlist, v));
    case A_AB_NUM:
        if (v->type != RW_JSON_NUMBER || !rnum(v, &d)) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (a->nums[i] == d) return false;
        return true;
    case A_AB_PREFIX:
        if (!s) return true;
        for (size_t i = 0; i < a->nlist; i++)
            if (v->len >= a->list[i].n && memcmp(v->str, a->list[i].s, a->list[i].n) == 0)
                return false;
        return true;
    default:
        fail_msg("the reference has no kind %d", (int)a->kind);
        return false;
    }
}

static bool rconsistent(const rfield *f, uint32_t (*acc)[2], int nacc) {
    for (int i = 0; i < f->nmemb; i++)
        for (int j = 0; j < nacc; j++)
            if (acc[j][0] == f->memb[i][0] && acc[j][1] != f->memb[i][1]) return false;
    return true;
}

static bool rsearch(const rflat *r, const subrule *sr, size_t i, uint32_t (*acc)[2], int nacc) {
    if (i == sr->n) return true;
    const cond *c = &sr->conds[i];
    if (c->absent_ok) {
        bool present = false;
        for (int k = 0; k < r->n && !present; k++)
            present = strcmp(r->f[k].path, c->path) == 0 && rconsistent(&r->f[k], acc, nacc);
        if (!present && rsearch(r, sr, i + 1, acc, nacc)) return true;
    }
    for (int k = 0; k < r->n; k++) {
        const rfield *f = &r->f[k];
        if (strcmp(f->path, c->path) != 0 || !rconsistent(f, acc, nacc)) continue;
        bool ok = false;
        for (size_t a = 0; a < c->nalts && !ok; a++) ok = ralt(&c->alts[a], f->v);
        if (!ok) continue;
        uint32_t next[64][2];
        assert_true(nacc + f->nmemb <= 64);
        if (nacc) memcpy(next, acc, (size_t)nacc * sizeof *acc);
        memcpy(next + nacc, f->memb, (size_t)f->nmemb * sizeof *f->memb);
        if (rsearch(r, sr, i + 1, next, nacc + f->nmemb)) return true;
    }
    return false;
}

static bool reference_match(const rw_pattern *p, const rflat *r) {
    for (size_t s = 0; s < p->nsubs; s++) {
        /* the reference takes the compiled order; ASCII paths: Java order is byte order */
        for (size_t i = 1; i < p->subs[s].n; i++)
            assert_true(strcmp(p->subs[s].conds[i - 1].path, p->subs[s].conds[i].path) < 0);
        if (rsearch(r, &p->subs[s], 0, NULL, 0)) return true;
    }
    return false;
}

/* ---- random patterns and events ------------------------------------------------------------ */

static const char *const PATHS[] = {"a", "b", "a.b", "a.c", "d.e", "d.f", "d.e.g"};
#define NPATHS (sizeof PATHS / sizeof PATHS[0])
static const char *const STRS[] = {
    "x", "y", "xy", "yx", "", "Xy", "a/b", "q\\\"t", "\xC3\xA9t\xC3\xA9"};
#define NSTRS (sizeof STRS / sizeof STRS[0])
static const char *const NUMS[] = {
    "0", "1", "1.0", "-0", "2", "300", "3e2", "2.5", "-1", "9007199254740993", "1e309", "10E-1"};
#define NNUMS (sizeof NUMS / sizeof NUMS[0])

static void random_alt(rwt_rng *r, rwt_str *o) {
    switch (rwt_below(r, 14)) {
    case 0:
    case 1:
    case 2:
        rwt_addf(o, "\"%s\"", STRS[rwt_below(r, NSTRS)]);
        break;
    case 3:
    case 4:
        rwt_addf(o, "%s", NUMS[rwt_below(r, NNUMS - 1)]);
        break;
    case 5:
        rwt_adds(o, rwt_below(r, 3) == 0 ? "null" : rwt_below(r, 2) ? "true" : "false");
        break;
    case 6:
        rwt_addf(o, "{\"prefix\":\"%s\"}", STRS[rwt_below(r, NSTRS)]);
        break;
    case 7:
        rwt_addf(o, "{\"suffix\":\"%s\"}", STRS[rwt_below(r, NSTRS)]);
        break;
    case 8:
        if (rwt_below(r, 2))
            rwt_addf(o, "{\"anything-but\":[\"%s\",\"%s\"]}", STRS[rwt_below(r, NSTRS)],
                     STRS[rwt_below(r, NSTRS)]);
        else
            rwt_addf(o, "{\"anything-but\":%s}", NUMS[rwt_below(r, 9)]);
        break;
    case 9: {
        static const char *const ops[] = {
            "\">\",1",          "\">=\",1",           "\"<\",2", "\"<=\",1.0", "\"=\",1",
            "\">\",0,\"<=\",2", "\">=\",-1,\"<\",300"};
        rwt_addf(o, "{\"numeric\":[%s]}", ops[rwt_below(r, sizeof ops / sizeof ops[0])]);
        break;
    }
    case 10:
        rwt_adds(o, rwt_below(r, 2) ? "{\"exists\":true}" : "{\"exists\":false}");
        break;
    case 11: {
        static const char *const w[] = {"*", "x*", "*y", "*x*", "", "x*y"};
        rwt_addf(o, "{\"wildcard\":\"%s\"}", w[rwt_below(r, sizeof w / sizeof w[0])]);
        break;
    }
    case 12:
        rwt_addf(o, "{\"equals-ignore-case\":\"%s\"}",
                 rwt_below(r, 2) ? "XY" : "\xC3\x89T\xC3\x89");
        break;
    default:
        rwt_addf(o, "{\"anything-but\":{\"prefix\":\"%s\"}}", rwt_below(r, 2) ? "x" : "y");
        break;
    }
}

/* A condition "path":[alts] written as nested objects under prefix (e.g. detail). */
static void random_cond(rwt_rng *r, rwt_str *o, const char *path) {
    rwt_addf(o, "\"%s\":[", path);
    size_t n = 1 + rwt_below(r, 3);
    for (size_t i = 0; i < n; i++) {
        if (i) rwt_adds(o, ",");
        random_alt(r, o);
    }
    rwt_adds(o, "]");
}

/* simple: one condition, no $or (more of them match a random event) */
static char *random_pattern(rwt_rng *r, const char *root, bool simple) {
    rwt_str o = {0};
    rwt_addf(&o, "{\"%s\":{", root);
    size_t n = simple ? 1 : 1 + rwt_below(r, 3);
    bool used[NPATHS] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t k = rwt_below(r, NPATHS);
        if (used[k]) continue;
        used[k] = true;
        if (o.p[o.n - 1] != '{') rwt_adds(&o, ",");
        random_cond(r, &o, PATHS[k]);
    }
    if (!simple && rwt_below(r, 4) == 0) { /* an $or of two alternatives */
        if (o.p[o.n - 1] != '{') rwt_adds(&o, ",");
        rwt_adds(&o, "\"$or\":[{");
        random_cond(r, &o, PATHS[rwt_below(r, NPATHS)]);
        rwt_adds(&o, "},{");
        random_cond(r, &o, PATHS[rwt_below(r, NPATHS)]);
        rwt_adds(&o, "}]");
    }
    rwt_adds(&o, "}}");
    return o.p;
}

static void random_scalar(rwt_rng *r, rwt_str *o) {
    switch (rwt_below(r, 6)) {
    case 0:
    case 1:
    case 2: {
        const char *s = STRS[rwt_below(r, NSTRS)];
        rwt_adds(o, "\"");
        for (; *s; s++) /* '/' may be written escaped */
            if (*s == '/' && rwt_below(r, 2))
                rwt_adds(o, "\\/");
            else
                rwt_add(o, s, 1);
        rwt_adds(o, "\"");
        break;
    }
    case 3:
    case 4:
        rwt_adds(o, NUMS[rwt_below(r, NNUMS)]);
        break;
    default:
        rwt_adds(o, rwt_below(r, 3) == 0 ? "null" : rwt_below(r, 2) ? "true" : "false");
        break;
    }
}

static void random_value(rwt_rng *r, rwt_str *o, int depth);

/* an object with some of the keys a, b, c, d, e, f, g (also dotted) */
static void random_object(rwt_rng *r, rwt_str *o, int depth) {
    static const char *const keys[] = {"a", "b", "c", "d", "e", "f", "g", "a.b", "d.e", "zz"};
    rwt_adds(o, "{");
    size_t n = rwt_below(r, 4);
    for (size_t i = 0; i < n; i++) {
        rwt_addf(o, "%s%s\"%s\":", i ? "," : "", rwt_below(r, 4) ? "" : " ",
                 keys[rwt_below(r, sizeof keys / sizeof keys[0])]);
        random_value(r, o, depth + 1);
    }
    rwt_adds(o, "}");
}

static void random_value(rwt_rng *r, rwt_str *o, int depth) {
    size_t k = rwt_below(r, depth >= 3 ? 2 : 6);
    if (k < 2) {
        random_scalar(r, o);
    } else if (k < 4) {
        random_object(r, o, depth);
    } else {
        rwt_adds(o, "[");
        size_t n = rwt_below(r, 4);
        for (size_t i = 0; i < n; i++) {
            if (i) rwt_adds(o, ",");
            random_value(r, o, depth + 1);
        }
        rwt_adds(o, "]");
    }
}

static char *random_event(rwt_rng *r, const char *root) {
    rwt_str o = {0};
    rwt_addf(&o, "{\"source\":\"s\",\"%s\":", root);
    random_object(r, &o, 0);
    rwt_adds(&o, "}");
    return o.p;
}

/* Many random patterns in one matcher against many random events: the indexed matcher, one
 * pattern at a time, and the direct reference must agree. */
static void test_matcher_differential(void **state) {
    (void)state;
    enum { NPAT = 300, NEV = 1500 };
    rwt_rng rng = {20261123};
    rw_pattern *pats[NPAT];
    char *texts[NPAT];
    rw_matcher *m = rw_matcher_new();
    for (int i = 0; i < NPAT; i++) {
        texts[i] = random_pattern(&rng, "detail", i % 3 == 0);
        rw_pattern_error err;
        if (rw_pattern_compile(&pats[i], texts[i], strlen(texts[i]), &err) != RW_OK)
            fail_msg("random pattern %s: %s", texts[i], err.reason);
        assert_int_equal(rw_matcher_add(m, pats[i]), i);
    }
    rw_match_scratch *s = rw_match_scratch_new();
    size_t out[NPAT];
    static rflat rf;
    size_t total = 0, hits = 0;
    for (int e = 0; e < NEV; e++) {
        char *ev = random_event(&rng, "detail");
        rw_json_doc *doc;
        rw_json *root = event_parse_(&doc, ev, __FILE__, __LINE__);
        memset(&rf, 0, sizeof rf);
        rwalk(&rf, "", root);
        size_t n = rw_matcher_match(m, s, root, out, NPAT);
        size_t k = 0;
        for (int i = 0; i < NPAT; i++) {
            bool want = reference_match(pats[i], &rf);
            bool one = rw_pattern_matches(pats[i], root);
            bool got = k < n && out[k] == (size_t)i;
            if (got) k++;
            if (want != got || want != one)
                fail_msg("event %s\npattern %s\nreference %d, matcher %d, alone %d", ev, texts[i],
                         want, got, one);
            hits += want;
        }
        assert_int_equal(k, n);
        total += NPAT;
        rw_json_doc_free(doc);
        free(ev);
    }
    /* the random data must exercise both answers */
    assert_true(hits > total / 200);
    assert_true(hits < total / 2);
    rw_match_scratch_free(s);
    rw_matcher_free(m);
    for (int i = 0; i < NPAT; i++) {
        rw_pattern_free(pats[i]);
        free(texts[i]);
    }
}

/* Every literal a pattern reports must be in the JSON text of every event it matches: at least
 * one of them, as the prefilter assumes (text without \u escapes). */
static void test_literals_property(void **state) {
    (void)state;
    enum { NPAT = 600, NEV = 800 };
    rwt_rng rng = {77};
    size_t checked = 0, with_literals = 0;
    char **events = calloc(NEV, sizeof *events);
    rw_json_doc **docs = calloc(NEV, sizeof *docs);
    rw_json **roots = calloc(NEV, sizeof *roots);
    for (int e = 0; e < NEV; e++) {
        events[e] = random_event(&rng, "detail");
        roots[e] = event_parse_(&docs[e], events[e], __FILE__, __LINE__);
    }
    for (int i = 0; i < NPAT; i++) {
        char *pt = random_pattern(&rng, "detail", i % 4 != 0);
        rw_pattern *p = pat_ok(pt);
        const char *const *lits;
        size_t nl;
        if (rw_pattern_literals(p, &lits, &nl)) {
            with_literals++;
            assert_true(nl > 0);
            for (int e = 0; e < NEV; e++) {
                if (!rw_pattern_matches(p, roots[e])) continue;
                bool found = false;
                for (size_t k = 0; k < nl && !found; k++) found = strstr(events[e], lits[k]);
                /* and in the compact text the writer makes of it */
                rw_buf b;
                rw_buf_init(&b, 0);
                assert_int_equal(rw_json_write(&b, roots[e]), RW_OK);
                char *compact = rw_buf_take(&b);
                bool found2 = false;
                for (size_t k = 0; k < nl && !found2; k++) found2 = strstr(compact, lits[k]);
                if (!found || !found2)
                    fail_msg("pattern %s matches event %s (%s) whose text has none of its %zu "
                             "literals (first: %s)",
                             pt, events[e], compact, nl, lits[0]);
                free(compact);
                checked++;
            }
        }
        rw_pattern_free(p);
        free(pt);
    }
    print_message("literals: %zu patterns, %zu matches checked\n", with_literals, checked);
    assert_true(with_literals > NPAT / 10);
    assert_true(checked > 100);
    for (int e = 0; e < NEV; e++) {
        rw_json_doc_free(docs[e]);
        free(events[e]);
    }
    free(events);
    free(docs);
    free(roots);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flattening),
        cmocka_unit_test(test_array_consistency),
        cmocka_unit_test(test_exact_values),
        cmocka_unit_test(test_prefix_suffix),
        cmocka_unit_test(test_anything_but_matching),
        cmocka_unit_test(test_equals_ignore_case_matching),
        cmocka_unit_test(test_wildcard_matching),
        cmocka_unit_test(test_exists_and_absence),
        cmocka_unit_test(test_number_matching),
        cmocka_unit_test(test_ip_matching),
        cmocka_unit_test(test_conformance_examples),
        cmocka_unit_test(test_matcher_basics),
        cmocka_unit_test(test_matcher_differential),
        cmocka_unit_test(test_literals_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
