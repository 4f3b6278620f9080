/*
 * test_json_fast.c - gateway/json_fast.c against jansson's json_loads(JSON_REJECT_DUPLICATES):
 * every text is accepted by both or refused by both, and where accepted the trees
 * are equal, keys in the same order. Hand-written cases for each rule of the
 * grammar and each limit, then random documents dumped by jansson in every style,
 * then random damage to them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_fast.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Both readers on text: the same verdict and, when accepted, the same tree in the same order. */
static int same_as_jansson(const char *text)
{
	json_t *want = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_t *got = json_fast_loads(text);
	int accepted = want != NULL;
	if (!want != !got)
		fail_msg("json_loads %s but json_fast_loads %s: \"%s\"", want ? "accepts" : "refuses",
			 got ? "accepts" : "refuses", text);
	if (want) {
		assert_true(json_equal(want, got));
		char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(got, JSON_COMPACT);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	json_decref(want);
	json_decref(got);
	return accepted;
}

/* json_fast_loadb on len bytes (no NUL at the end) against json_loadb; with a NUL, refused */
static int same_as_jansson_b(const char *text, size_t len)
{
	char *bytes = malloc(len ? len : 1);
	assert_non_null(bytes);
	memcpy(bytes, text, len);
	if (memchr(bytes, '\0', len)) {
		assert_null(json_fast_loadb(bytes, len));
		free(bytes);
		return 0;
	}
	json_t *want = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *got = json_fast_loadb(bytes, len);
	int accepted = want != NULL;
	if (!want != !got)
		fail_msg("json_loadb %s but json_fast_loadb %s", want ? "accepts" : "refuses", got ? "accepts" : "refuses");
	if (want)
		assert_true(json_equal(want, got));
	json_decref(want);
	json_decref(got);
	free(bytes);
	return accepted;
}

static void test_cases(void **state)
{
	(void)state;
	static const char *const accepted[] = {
		"[]", "{}", " [ ] ", "\t\r\n{\n}\n", "[1,2,3]", "[-0]", "[0]", "[-1]", "[true,false,null]",
		"[9223372036854775807]", "[-9223372036854775808]", "[1.5]", "[-0.0]", "[1e5]", "[1E+5]",
		"[1e-5]", "[2.5e-400]", "[1.7976931348623157e308]", "[\"\"]", "[\"a\\\"b\\\\c\\/d\"]",
		"[\"\\b\\f\\n\\r\\t\"]", "[\"\\u00e9\\u00E9\\u20ac\"]", "[\"\\ud83d\\ude00\"]", "[\"é€😀\"]",
		"[\"\x7f\"]", "{\"a\":1,\"b\":{\"c\":[{}]}}", "{\"\":0}", "{\"k\\u00e9y\":\"v\\n\",\"x\":\"\\\"\"}",
		"{\"b\":1,\"a\":2,\"c\":3}", "[[[[[]]]]]", "[{\"a\":[1,{\"b\":null}]}]",
		"[{\"id\":195661,\"reporter\":\"partner\",\"body\":{\"kind\": \"reminder\", \"type\": "
		"\"letter_sent\", \"template\": \"herinnering-v3\", \"occurred_at\": \"2026-10-11T22:39:05Z\"}}]",
	};
	static const char *const refused[] = {
		"", " ", "1", "\"a\"", "true", "null", "[", "]", "{", "[1,]", "[,1]", "[1 2]", "{\"a\"}",
		"{\"a\":}", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{1:2}", "[01]", "[1.]",
		"[.5]", "[1e]", "[1e+]", "[-]", "[+1]", "[0x10]", "[Infinity]", "[NaN]", "[tru]", "[truex]",
		"[nul]", "[True]", "[9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[-1e400]",
		"[\"a]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]", "[\"\\u0000\"]", "[\"\\ud83d\"]",
		"[\"\\ud83dx\"]", "[\"\\ud83d\\u0041\"]", "[\"\\ude00\"]", "[\"a\tb\"]", "[\"a\nb\"]",
		"[\"\x01\"]", "[\"\x80\"]", "[\"\xc3\"]", "[\"\xc0\xaf\"]", "[\"\xc1\xbf\"]",
		"[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]",
		"[\"\xff\"]", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "[] []", "[]x", "{}}",
		"[\"\\", "[1", "{\"a\":1", "\xef\xbb\xbf[]",
	};
	for (size_t i = 0; i < sizeof(accepted) / sizeof(*accepted); i++)
		assert_true(same_as_jansson(accepted[i]));
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		assert_false(same_as_jansson(refused[i]));
	/* lengths: a NUL inside is refused (json_fast_loads alone would stop there), the rest read */
	assert_true(same_as_jansson_b("{\"a\":[1]}", 9));
	assert_false(same_as_jansson_b("[]\0[]", 5));
	assert_false(same_as_jansson_b("[\"a\0b\"]", 7));
	/* a NUL where json_loadb (2.14) skips it and accepts: refused here, and by http.c first */
	assert_false(same_as_jansson_b("{\"a\":8\0}", 8));
	assert_false(same_as_jansson_b("{\"a\":[1]}", 8));
	assert_false(same_as_jansson_b("", 0));
}

/* n arrays nested, the innermost holding inner (a scalar, or nothing) */
static char *nested(int n, const char *inner)
{
	size_t len = 2 * (size_t)n + strlen(inner) + 1;
	char *s = malloc(len);
	assert_non_null(s);
	memset(s, '[', (size_t)n);
	strcpy(s + n, inner);
	memset(s + n + strlen(inner), ']', (size_t)n);
	s[len - 1] = '\0';
	return s;
}

static void test_depth_limit_as_jansson(void **state)
{
	(void)state;
	int verdicts[2][3];
	const char *inner[] = {"", "1"};
	for (int k = 0; k < 2; k++)
		for (int d = 0; d < 3; d++) {
			char *s = nested(JSON_PARSER_MAX_DEPTH - 1 + d, inner[k]);
			verdicts[k][d] = same_as_jansson(s);
			free(s);
		}
	/* the limit is reached within these lengths: both sides of it were tried */
	assert_true(verdicts[0][0]);
	assert_false(verdicts[0][2]);
}

/* ---- random documents ---- */

static void put_cp(char *s, size_t *n, uint32_t cp)
{
	if (cp < 0x80) {
		s[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		s[(*n)++] = (char)(0xC0 | (cp >> 6));
		s[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		s[(*n)++] = (char)(0xE0 | (cp >> 12));
		s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[(*n)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		s[(*n)++] = (char)(0xF0 | (cp >> 18));
		s[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[(*n)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/* A valid UTF-8 string without NUL: printable ASCII, controls, quotes and backslashes, and
 * characters of two, three and four bytes. */
static json_t *random_string(void)
{
	char s[64 * 4 + 1];
	size_t n = 0, len = rnd(12);
	for (size_t i = 0; i < len; i++) {
		uint32_t cp;
		switch (rnd(7)) {
		case 0: cp = 1 + rnd(31); break;
		case 1: cp = "\"\\/"[rnd(3)]; break;
		case 2: cp = 0x80 + rnd(0x800 - 0x80); break;
		case 3: cp = 0x800 + rnd(0xD800 - 0x800); break;
		case 4: cp = 0xE000 + rnd(0x10000 - 0xE000); break;
		case 5: cp = 0x10000 + rnd(0x110000 - 0x10000); break;
		default: cp = 0x20 + rnd(0x5F); break;
		}
		put_cp(s, &n, cp);
	}
	s[n] = '\0';
	json_t *j = json_stringn(s, n);
	assert_non_null(j);
	return j;
}

static json_t *random_value(int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 42, 9223372036854775807LL, -9223372036854775807LL - 1,
					  1000000007, -31};
	static const double reals[] = {0.5, -2.25, 1e300, -1e-300, 5e-324, 3.141592653589793, 1e21, 123.0};
	switch (depth > 4 ? 2 + rnd(5) : rnd(7)) {
	case 0: {
		json_t *o = json_object();
		for (unsigned i = rnd(5); i > 0; i--) {
			json_t *k = random_string();
			json_object_set_new(o, json_string_value(k), random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	case 1: {
		json_t *a = json_array();
		for (unsigned i = rnd(5); i > 0; i--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	case 2: return random_string();
	case 3: return json_integer(rnd(2) ? ints[rnd(8)] : (json_int_t)rnd(1000000) - 500000);
	case 4: return json_real(reals[rnd(8)] * (rnd(2) ? 1 : -1));
	case 5: return rnd(2) ? json_true() : json_false();
	default: return json_null();
	}
}

static char *random_text(void)
{
	static const size_t styles[] = {JSON_COMPACT, 0, JSON_INDENT(2), JSON_ENSURE_ASCII,
					JSON_ESCAPE_SLASH | JSON_INDENT(1), JSON_COMPACT | JSON_ENSURE_ASCII};
	json_t *top = rnd(2) ? json_object() : json_array();
	for (unsigned i = 1 + rnd(4); i > 0; i--) {
		if (json_is_array(top)) {
			json_array_append_new(top, random_value(1));
		} else {
			json_t *k = random_string();
			json_object_set_new(top, json_string_value(k), random_value(1));
			json_decref(k);
		}
	}
	char *s = json_dumps(top, styles[rnd(6)]);
	json_decref(top);
	assert_non_null(s);
	return s;
}

static void test_random_documents(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		char *s = random_text();
		assert_true(same_as_jansson(s));
		assert_true(same_as_jansson_b(s, strlen(s)));
		free(s);
	}
}

/* Damage: a byte replaced, removed or inserted, or the text cut short. */
static void test_random_damage(void **state)
{
	(void)state;
	static const unsigned char bytes[] = {'"', '\\', '{', '}', '[', ']', ',', ':', 'u', 'd', '0', '9', '-',
					      '.', 'e', '+', ' ', '\t', 't', 'n', 0x01, 0x1F, 0x7F, 0x80, 0xBF,
					      0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF};
	int accepted = 0, refused = 0;
	for (int i = 0; i < 3000; i++) {
		char *s = random_text();
		size_t len = strlen(s);
		for (int m = 0; m < 8; m++) {
			char *t = malloc(len + 2);
			assert_non_null(t);
			size_t at = rnd((unsigned)len), n = len;
			unsigned char b = rnd(4) ? bytes[rnd(sizeof(bytes))] : (unsigned char)(1 + rnd(255));
			memcpy(t, s, len + 1);
			switch (rnd(4)) {
			case 0: t[at] = (char)b; break;
			case 1: memmove(t + at, t + at + 1, len - at); n--; break;
			case 2: memmove(t + at + 1, t + at, len - at + 1); t[at] = (char)b; n++; break;
			default: t[at] = '\0'; n = at; break;
			}
			(void)n;
			if (same_as_jansson(t))
				accepted++;
			else
				refused++;
			free(t);
		}
		free(s);
	}
	/* the damage tried both verdicts many times */
	assert_true(accepted > 1000);
	assert_true(refused > 1000);
}

/* text (len bytes) into a new temporary file; its path in path */
static void temp_file(char path[64], const char *text, size_t len)
{
	snprintf(path, 64, "/tmp/test_json_fast_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[64], big[16384];
	json_error_t want_err, err;
	/* a document, one past the first read's 4 KiB, read as json_load_file reads it */
	size_t n = (size_t)snprintf(big, sizeof(big), "{\n \"a\": [");
	for (int i = 0; i < 1500; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%d", i ? ", " : "", i * 7);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "]\n}\n");
	temp_file(path, big, n);
	json_t *want = json_load_file(path, JSON_REJECT_DUPLICATES, &want_err), *got = json_fast_load_file(path, &err);
	assert_non_null(want);
	assert_non_null(got);
	assert_true(json_equal(want, got));
	json_decref(want);
	json_decref(got);
	unlink(path);
	/* no JSON: jansson's own error, line and column */
	temp_file(path, "{\n  \"a\": }\n", strlen("{\n  \"a\": }\n"));
	assert_null(json_load_file(path, JSON_REJECT_DUPLICATES, &want_err));
	assert_null(json_fast_load_file(path, &err));
	assert_string_equal(err.text, want_err.text);
	assert_int_equal(err.line, want_err.line);
	assert_int_equal(err.column, want_err.column);
	unlink(path);
	temp_file(path, "{\"a\": 1, \"a\": 2}", strlen("{\"a\": 1, \"a\": 2}"));
	assert_null(json_fast_load_file(path, &err));
	unlink(path);
	/* a NUL, where jansson's file reader skips it: refused, and where it is */
	temp_file(path, "{\n\"a\":8\0}", 10);
	assert_null(json_fast_load_file(path, &err));
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 6);
	assert_non_null(strstr(err.text, "NUL"));
	unlink(path);
	/* no file */
	assert_null(json_fast_load_file("/nonexistent/fairgate.json", &err));
	assert_int_equal(err.line, -1);
	assert_string_equal(err.source, "/nonexistent/fairgate.json");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_depth_limit_as_jansson),
		cmocka_unit_test(test_random_documents),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
