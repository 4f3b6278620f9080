/* text.c - allocation-free message formatting for reasons: money, dates, plain text. */
#include <stdarg.h>
#include <string.h>

#include "policy_int.h"

/* A write position in a fixed buffer; output past the end is dropped. */
struct out {
	char *buf;
	size_t cap, len;
};

static void put_char(struct out *o, char ch)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len++] = ch;
}

/* Copies n bytes, or as many as fit before the terminating NUL. */
static void put_mem(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	if (s != NULL)
		put_mem(o, s, strlen(s));
}

/* Digits of v >= 0, with a thousands separator sep (0 for none). */
static void put_uint(struct out *o, uint64_t v, char sep)
{
	char tmp[32];
	int n = 0;
	do {
		if (sep != 0 && n % 4 == 3)
			tmp[n++] = sep;
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		put_char(o, tmp[--n]);
}

static void put_int(struct out *o, int64_t v)
{
	if (v < 0) {
		put_char(o, '-');
		put_uint(o, (uint64_t)0 - (uint64_t)v, 0);
		return;
	}
	put_uint(o, (uint64_t)v, 0);
}

/* "€ 1.234,56" (Dutch) or "EUR 1,234.56" (English). */
static void put_money(struct out *o, int64_t cents, bool dutch)
{
	uint64_t abs = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	put_str(o, dutch ? "€ " : "EUR ");
	if (cents < 0)
		put_char(o, '-');
	put_uint(o, abs / 100, dutch ? '.' : ',');
	put_char(o, dutch ? ',' : '.');
	put_char(o, (char)('0' + abs % 100 / 10));
	put_char(o, (char)('0' + abs % 10));
}

/* Month names: [0] Dutch, [1] English. */
static const char *const month_names[2][12] = {
    {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
     "oktober", "november", "december"},
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
};

/* "5 december 2026" or "5 December 2026". */
static void put_date(struct out *o, int32_t day, bool dutch)
{
	int y, m, d;
	if (day == CALDATE_NONE) {
		put_str(o, dutch ? "(geen datum)" : "(no date)");
		return;
	}
	caldate_to_ymd(day, &y, &m, &d);
	put_int(o, d);
	put_char(o, ' ');
	put_str(o, month_names[dutch ? 0 : 1][m - 1]);
	put_char(o, ' ');
	put_int(o, y);
}

/* The small formatter behind text_append; see policy_int.h for the conversions. */
static void format_into(struct out *o, const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			const char *q = strchr(p + 1, '%');
			size_t n = q != NULL ? (size_t)(q - p) : strlen(p);
			put_mem(o, p, n);
			p += n - 1;
			continue;
		}
		switch (*++p) {
		case 's':
			put_str(o, va_arg(ap, const char *));
			break;
		case 'd':
			put_int(o, va_arg(ap, int));
			break;
		case 'c':
			put_money(o, va_arg(ap, int64_t), true);
			break;
		case 'C':
			put_money(o, va_arg(ap, int64_t), false);
			break;
		case 'j':
			put_date(o, va_arg(ap, int32_t), true);
			break;
		case 'J':
			put_date(o, va_arg(ap, int32_t), false);
			break;
		default:
			put_char(o, *p);
			break;
		}
	}
	o->buf[o->len] = '\0';
}

static void append_v(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct out o = {buf, cap, strlen(buf)};
	if (o.len + 1 >= cap)
		return;
	format_into(&o, fmt, ap);
}

void text_append(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append_v(buf, cap, fmt, ap);
	va_end(ap);
}

/* Starts the next reason of a decision with empty texts. */
struct reason *reason_add(struct decision *d, enum rule_id r, const char *clause)
{
	struct reason *x = &d->reasons[d->n_reasons++];
	x->rule = r;
	x->clause = clause;
	x->waived = false;
	x->exception_id[0] = '\0';
	x->message_nl[0] = x->message_en[0] = '\0';
	x->remedy_nl[0] = x->remedy_en[0] = '\0';
	return x;
}

/* Appends to both messages; nl and en take the same arguments in the same order. */
void reason_msg(struct reason *r, const char *nl, const char *en, ...)
{
	va_list ap, ap2;
	va_start(ap, en);
	va_copy(ap2, ap);
	append_v(r->message_nl, sizeof r->message_nl, nl, ap);
	append_v(r->message_en, sizeof r->message_en, en, ap2);
	va_end(ap2);
	va_end(ap);
}

/* Appends to both remedies, the same way as reason_msg. */
void reason_remedy(struct reason *r, const char *nl, const char *en, ...)
{
	va_list ap, ap2;
	va_start(ap, en);
	va_copy(ap2, ap);
	append_v(r->remedy_nl, sizeof r->remedy_nl, nl, ap);
	append_v(r->remedy_en, sizeof r->remedy_en, en, ap2);
	va_end(ap2);
	va_end(ap);
}
