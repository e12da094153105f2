/*
 * loadopts.c - the kernel command line from LoadOptions or CMDLINE.TXT
 * (see loadopts.h). Pure: no EFI calls, so the host fuzzes exactly what
 * the loader runs.
 *
 * What reaches the kernel is one line of printable ASCII, whatever the
 * source held: the kernel splits it into words and prints it, and a
 * control character would be both a wrong word and an escape sequence on
 * the console. Editors leave byte-order marks (Notepad: UTF-8 with one,
 * or UTF-16): a mark glued to the first word would make it a variable
 * nobody reads, silently.
 */
#include "loadopts.h"

/* out: a command line being written, cap bytes with room for the NUL */
struct line {
	char *p;
	size_t n, cap;
	unsigned *flags;
};

/* put adds one code unit; false when the line is full */
static int put(struct line *l, uint32_t c)
{
	if (l->n + 1 >= l->cap) {
		*l->flags |= LOADOPTS_CUT;
		return 0;
	}
	if (c == '\t')
		c = ' ';
	else if (c < 0x20 || c > 0x7e) {
		c = '?';
		*l->flags |= LOADOPTS_REPLACED;
	}
	l->p[l->n++] = (char)c;
	return 1;
}

static int dot_efi(const uint16_t *e)
{
	return e[0] == '.' && (e[1] | 0x20) == 'e' && (e[2] | 0x20) == 'f' && (e[3] | 0x20) == 'i';
}

size_t loadopts_from_options(const uint16_t *s, size_t n, char *out, size_t cap, unsigned *flags)
{
	struct line l = { out, 0, cap, flags };
	*flags = 0;
	out[0] = 0;
	if (!s || n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] && s[i] != '\t' && (s[i] < 0x20 || s[i] > 0x7e)) {
			*flags |= LOADOPTS_BINARY;
			return 0;
		}
	size_t i = 0, first_end = 0;
	while (first_end < n && s[first_end] && s[first_end] != ' ')
		first_end++;
	if (first_end >= 4 && dot_efi(&s[first_end - 4]))
		i = first_end;
	while (i < n && s[i] == ' ')
		i++;
	for (; i < n && s[i] && put(&l, s[i]); i++)
		;
	out[l.n] = 0;
	return l.n;
}

size_t loadopts_from_text(const unsigned char *s, size_t n, char *out, size_t cap, unsigned *flags)
{
	struct line l = { out, 0, cap, flags };
	*flags = 0;
	out[0] = 0;
	if (n >= 2 && ((s[0] == 0xff && s[1] == 0xfe) || (s[0] == 0xfe && s[1] == 0xff))) {
		int be = s[0] == 0xfe;          /* UTF-16, little- or big-endian */
		*flags |= LOADOPTS_UTF16;
		for (size_t i = 2; i + 1 < n; i += 2) {
			uint32_t c = be ? (uint32_t)s[i] << 8 | s[i + 1] : (uint32_t)s[i + 1] << 8 | s[i];
			if (c == 0 || c == '\n' || c == '\r' || !put(&l, c))
				break;
		}
	} else {
		size_t i = n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf ? 3 : 0;
		for (; i < n; i++)
			if (s[i] == 0 || s[i] == '\n' || s[i] == '\r' || !put(&l, s[i]))
				break;
	}
	out[l.n] = 0;
	return l.n;
}

int loadopts_has(const char *line, const char *w)
{
	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		const char *a = p, *b = w;
		while (*a && *a != ' ' && *a == *b)
			a++, b++;
		if (!*b && (!*a || *a == ' ') && a != p)
			return 1;
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}
