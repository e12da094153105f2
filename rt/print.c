/*
 * print.c - the runtime's printf family (see print.h for what it accepts).
 * One formatting core writes every character through a small "sink": for
 * snprintf the sink is the caller's buffer and extra output is counted but
 * dropped; for printf it is a chunk on the stack that is handed to
 * write_console whenever it fills, so output of any length needs only a
 * fixed amount of stack and no heap. Integers only: the kernel is built
 * with -mgeneral-regs-only, so there is no %f.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "print.h"

/* Bytes of stack printf formats into before each write_console call;
 * small enough for interrupt stacks, big enough that a typical line is a
 * single console write. */
#define PRINTF_CHUNK 256

/* Widths and precisions beyond this are clamped so parsing cannot
 * overflow; such output overflows the int return value anyway. */
#define FIELD_MAX ((size_t)__INT_MAX__)

enum {
	F_LEFT = 1,     /* '-' */
	F_ZERO = 2,     /* '0' */
	F_PLUS = 4,     /* '+' */
	F_SPACE = 8,    /* ' ' */
	F_ALT = 16,     /* '#' */
};

enum length { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T };

struct spec {
	unsigned flags;
	size_t width;
	size_t prec;
	int has_prec;
	enum length len;
	char conv;
};

struct sink {
	char *buf;
	size_t room;            /* chars buf takes before flushing or dropping */
	size_t used;
	size_t total;           /* chars the whole output has: the return value */
	int to_console;         /* 1: flush to write_console when full */
};

/* Emptying the chunk is the only way printf output leaves this file. */
static void sink_flush(struct sink *s)
{
	if (s->used > 0)
		write_console(s->buf, s->used);
	s->used = 0;
}

/* Counting every character, stored or not, is what gives snprintf its C99
 * "length it would have had" return value. */
static void put(struct sink *s, char c)
{
	s->total++;
	if (s->used == s->room) {
		if (!s->to_console)
			return;
		sink_flush(s);
	}
	s->buf[s->used++] = c;
}

static void put_n(struct sink *s, const char *p, size_t n)
{
	while (n-- > 0)
		put(s, *p++);
}

static void put_repeat(struct sink *s, char c, size_t n)
{
	while (n-- > 0)
		put(s, c);
}

/* The int return value cannot express more; C99 asks for a negative
 * result then (EOVERFLOW in POSIX). */
static int sink_result(const struct sink *s)
{
	return s->total > FIELD_MAX ? -1 : (int)s->total;
}

/* Saturating, so a silly width in a format string cannot wrap around. */
static const char *parse_uint(const char *p, size_t *out)
{
	size_t v = 0;

	for (; *p >= '0' && *p <= '9'; p++)
		v = v < FIELD_MAX / 10 ? v * 10 + (size_t)(*p - '0') : FIELD_MAX;
	*out = v;
	return p;
}

static const char *parse_flags(const char *p, struct spec *sp)
{
	for (;; p++) {
		switch (*p) {
		case '-': sp->flags |= F_LEFT; break;
		case '0': sp->flags |= F_ZERO; break;
		case '+': sp->flags |= F_PLUS; break;
		case ' ': sp->flags |= F_SPACE; break;
		case '#': sp->flags |= F_ALT; break;
		default: return p;
		}
	}
}

/* A negative '*' width means left-justify, as C specifies. */
static const char *parse_width(const char *p, struct spec *sp, va_list *ap)
{
	if (*p != '*')
		return parse_uint(p, &sp->width);
	int w = va_arg(*ap, int);
	if (w < 0) {
		sp->flags |= F_LEFT;
		sp->width = w == -__INT_MAX__ - 1 ? FIELD_MAX : (size_t)-w;
	} else {
		sp->width = (size_t)w;
	}
	return p + 1;
}

/* A negative '*' precision counts as none, as C specifies. */
static const char *parse_prec(const char *p, struct spec *sp, va_list *ap)
{
	if (*p != '.')
		return p;
	p++;
	if (*p != '*') {
		sp->has_prec = 1;
		return parse_uint(p, &sp->prec);
	}
	int pr = va_arg(*ap, int);
	sp->has_prec = pr >= 0;
	sp->prec = pr >= 0 ? (size_t)pr : 0;
	return p + 1;
}

static const char *parse_length(const char *p, enum length *len)
{
	switch (*p) {
	case 'h':
		*len = p[1] == 'h' ? L_HH : L_H;
		return p[1] == 'h' ? p + 2 : p + 1;
	case 'l':
		*len = p[1] == 'l' ? L_LL : L_L;
		return p[1] == 'l' ? p + 2 : p + 1;
	case 'z': *len = L_Z; return p + 1;
	case 'j': *len = L_J; return p + 1;
	case 't': *len = L_T; return p + 1;
	default: *len = L_NONE; return p;
	}
}

/* p points just past '%'. Returns the position after the conversion
 * character, or at the terminating NUL if the format ends early (then
 * conv is '\0' and the caller prints the fragment as is). */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ 0 };
	p = parse_flags(p, sp);
	p = parse_width(p, sp, ap);
	p = parse_prec(p, sp, ap);
	p = parse_length(p, &sp->len);
	sp->conv = *p;
	return *p ? p + 1 : p;
}

/* Arguments narrower than int arrive promoted to int; the cast gives back
 * the value the caller meant (e.g. %hhd of 300 is 44). */
static long long fetch_signed(enum length len, va_list *ap)
{
	switch (len) {
	case L_HH: return (signed char)va_arg(*ap, int);
	case L_H: return (short)va_arg(*ap, int);
	case L_L: return va_arg(*ap, long);
	case L_LL: return va_arg(*ap, long long);
	case L_Z: return (ptrdiff_t)va_arg(*ap, size_t);
	case L_J: return va_arg(*ap, intmax_t);
	case L_T: return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static unsigned long long fetch_unsigned(enum length len, va_list *ap)
{
	switch (len) {
	case L_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case L_H: return (unsigned short)va_arg(*ap, unsigned int);
	case L_L: return va_arg(*ap, unsigned long);
	case L_LL: return va_arg(*ap, unsigned long long);
	case L_Z: return va_arg(*ap, size_t);
	case L_J: return va_arg(*ap, uintmax_t);
	case L_T: return (size_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned int);
	}
}

/* Digits are produced backwards into the end of the caller's buffer;
 * returns how many. */
static size_t to_digits(char *end, unsigned long long v, unsigned base,
			int upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;

	do {
		*--end = dig[v % base];
		v /= base;
		n++;
	} while (v != 0);
	return n;
}

static void pad_before(struct sink *s, const struct spec *sp, size_t len)
{
	if (!(sp->flags & F_LEFT) && sp->width > len)
		put_repeat(s, ' ', sp->width - len);
}

static void pad_after(struct sink *s, const struct spec *sp, size_t len)
{
	if ((sp->flags & F_LEFT) && sp->width > len)
		put_repeat(s, ' ', sp->width - len);
}

/* "0x" for %p always and for %#x of a non-zero value; octal's '#' is
 * handled as a leading zero digit instead, in emit_int. */
static const char *int_prefix(const struct spec *sp, unsigned long long v)
{
	if (sp->conv == 'p')
		return "0x";
	if ((sp->flags & F_ALT) && v != 0 && sp->conv == 'x')
		return "0x";
	if ((sp->flags & F_ALT) && v != 0 && sp->conv == 'X')
		return "0X";
	return "";
}

static unsigned conv_base(char conv)
{
	if (conv == 'o')
		return 8;
	if (conv == 'x' || conv == 'X' || conv == 'p')
		return 16;
	return 10;
}

/* Layout is [spaces][sign][prefix][zeros][digits][spaces]. Zeros come from
 * the precision, or from the '0' flag filling the width, which C ignores
 * when a precision is given or the field is left-justified. */
static void emit_int(struct sink *s, const struct spec *sp,
		     unsigned long long v, char sign)
{
	char tmp[24];   /* 22 octal digits hold 64 bits */
	size_t nd = 0;

	if (v != 0 || !sp->has_prec || sp->prec != 0)
		nd = to_digits(tmp + sizeof tmp, v, conv_base(sp->conv),
			       sp->conv == 'X');
	const char *digits = tmp + sizeof tmp - nd;
	const char *prefix = int_prefix(sp, v);
	size_t plen = prefix[0] ? 2 : 0;
	size_t zeros = sp->has_prec && sp->prec > nd ? sp->prec - nd : 0;

	if (sp->conv == 'o' && (sp->flags & F_ALT) && zeros == 0 &&
	    (nd == 0 || digits[0] != '0'))
		zeros = 1;
	size_t len = (sign != 0) + plen + zeros + nd;
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && !sp->has_prec &&
	    sp->width > len) {
		zeros += sp->width - len;
		len = sp->width;
	}
	pad_before(s, sp, len);
	if (sign)
		put(s, sign);
	put_n(s, prefix, plen);
	put_repeat(s, '0', zeros);
	put_n(s, digits, nd);
	pad_after(s, sp, len);
}

/* The sign character, if any, for a signed conversion; '+' wins over ' '
 * as C specifies. */
static char sign_of(const struct spec *sp, long long v)
{
	if (v < 0)
		return '-';
	if (sp->flags & F_PLUS)
		return '+';
	if (sp->flags & F_SPACE)
		return ' ';
	return 0;
}

/* Never reads past the precision: %.*s may be handed an array that is not
 * NUL-terminated. */
static size_t bounded_len(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n] != '\0')
		n++;
	return n;
}

static void emit_str(struct sink *s, const struct spec *sp, const char *str)
{
	if (str == NULL)
		str = "(null)";
	size_t len = bounded_len(str, sp->has_prec ? sp->prec : SIZE_MAX);
	pad_before(s, sp, len);
	put_n(s, str, len);
	pad_after(s, sp, len);
}

static void emit_char(struct sink *s, const struct spec *sp, char c)
{
	pad_before(s, sp, 1);
	put(s, c);
	pad_after(s, sp, 1);
}

/* Returns 0 for a conversion it does not know, so the caller can print
 * the directive verbatim. Negating through unsigned keeps INT64_MIN
 * well defined. */
static int convert(struct sink *s, const struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case 'd':
	case 'i': {
		long long v = fetch_signed(sp->len, ap);
		unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v
					       : (unsigned long long)v;
		emit_int(s, sp, mag, sign_of(sp, v));
		return 1;
	}
	case 'u':
	case 'o':
	case 'x':
	case 'X':
		emit_int(s, sp, fetch_unsigned(sp->len, ap), 0);
		return 1;
	case 'p':
		emit_int(s, sp, (uintptr_t)va_arg(*ap, void *), 0);
		return 1;
	case 's':
		emit_str(s, sp, va_arg(*ap, const char *));
		return 1;
	case 'c':
		emit_char(s, sp, (char)va_arg(*ap, int));
		return 1;
	case '%':
		put(s, '%');
		return 1;
	default:
		return 0;
	}
}

/* ap is a pointer so that the helpers consuming arguments all advance the
 * same list (C11 7.16p3). */
static void format(struct sink *s, const char *fmt, va_list *ap)
{
	while (*fmt != '\0') {
		if (*fmt != '%') {
			put(s, *fmt++);
			continue;
		}
		const char *start = fmt;
		struct spec sp;
		fmt = parse_spec(fmt + 1, &sp, ap);
		if (!convert(s, &sp, ap))
			put_n(s, start, (size_t)(fmt - start));
	}
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .room = n > 0 ? n - 1 : 0 };
	va_list aq;

	/* A copy gives a va_list object whose address can be taken; the
	 * parameter itself may be an array that decayed to a pointer. */
	va_copy(aq, ap);
	format(&s, fmt, &aq);
	va_end(aq);
	if (n > 0)
		buf[s.used] = '\0';
	return sink_result(&s);
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int vprintf(const char *fmt, va_list ap)
{
	char chunk[PRINTF_CHUNK];
	struct sink s = { .buf = chunk, .room = sizeof chunk, .to_console = 1 };
	va_list aq;

	va_copy(aq, ap);
	format(&s, fmt, &aq);
	va_end(aq);
	sink_flush(&s);
	return sink_result(&s);
}

int printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vprintf(fmt, ap);
	va_end(ap);
	return r;
}
