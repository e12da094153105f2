/*
 * loadopts_check.h - boot/loadopts.c's answers against a reference
 * written apart from it; shared by loadopts_test.c and fuzz_loadopts.c.
 * lo_run returns NULL when all is well, else what is wrong.
 *
 * fuzz_loadopts's input: byte 0 picks what the rest is (bit 0: LoadOptions
 * as UTF-16 code units, else CMDLINE.TXT's bytes) and the room for the
 * answer (the loader's 1024, or 1 + byte 1 when bit 1 is set).
 */
#ifndef HOST_LOADOPTS_CHECK_H
#define HOST_LOADOPTS_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadopts.h"

static char lo_why[160];

/* the reference: decode to code units (stopping where the line ends),
 * then filter */
static size_t lo_ref(int options, const uint8_t *d, size_t n, char *out, size_t cap, unsigned *flags)
{
	uint32_t *u = malloc((n + 1) * sizeof *u);
	size_t nu = 0, from = 0;
	*flags = 0;
	if (options) {
		for (size_t i = 0; i + 1 < n + 1 && 2 * i + 1 < n; i++)
			u[nu++] = (uint32_t)d[2 * i] | (uint32_t)d[2 * i + 1] << 8;
		for (size_t i = 0; i < nu; i++)
			if (u[i] && u[i] != 9 && (u[i] < 32 || u[i] > 126)) {
				*flags = LOADOPTS_BINARY;
				nu = 0;
			}
		size_t k = 0;
		while (k < nu && u[k] && u[k] != ' ')
			k++;
		if (k >= 4 && u[k - 4] == '.' && (u[k - 3] == 'e' || u[k - 3] == 'E') &&
		    (u[k - 2] == 'f' || u[k - 2] == 'F') && (u[k - 1] == 'i' || u[k - 1] == 'I'))
			from = k;
		while (from < nu && u[from] == ' ')
			from++;
		for (size_t i = from; i < nu; i++)
			if (!u[i]) {
				nu = i;
				break;
			}
	} else {
		if (n >= 2 && ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff))) {
			*flags = LOADOPTS_UTF16;
			for (size_t i = 2; i + 1 < n; i += 2)
				u[nu++] = d[0] == 0xff ? (uint32_t)d[i] | (uint32_t)d[i + 1] << 8
				                       : (uint32_t)d[i] << 8 | d[i + 1];
		} else {
			size_t i = n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf ? 3 : 0;
			for (; i < n; i++)
				u[nu++] = d[i];
		}
		for (size_t i = 0; i < nu; i++)
			if (u[i] == 0 || u[i] == '\n' || u[i] == '\r') {
				nu = i;
				break;
			}
	}
	size_t o = 0;
	for (size_t i = from; i < nu; i++) {
		if (o + 1 >= cap) {
			*flags |= LOADOPTS_CUT;
			break;
		}
		uint32_t c = u[i];
		if (c == 9)
			c = ' ';
		else if (c < 32 || c > 126) {
			c = '?';
			*flags |= LOADOPTS_REPLACED;
		}
		out[o++] = (char)c;
	}
	out[o] = 0;
	free(u);
	return o;
}

/* does the line hold the word w, by the reference's reading */
static int lo_ref_has(const char *line, const char *w)
{
	size_t wl = strlen(w);
	for (const char *p = line; *p;) {
		size_t k = strcspn(p, " ");
		if (k && k == wl && memcmp(p, w, k) == 0)
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

static const char *lo_run(const uint8_t *data, size_t size)
{
	if (size < 2)
		return NULL;
	int options = data[0] & 1;
	size_t cap = data[0] & 2 ? 1 + (size_t)data[1] : 1024;
	const uint8_t *d = data + 2;
	size_t n = size - 2;
	char *got = malloc(cap), *want = malloc(cap);     /* exactly sized: ASan sees a write past the room */
	memset(got, 0xa5, cap);
	unsigned gf = 0xa5, wf;
	size_t gl, wl = lo_ref(options, d, n, want, cap, &wf);
	if (options) {
		size_t nu = n / 2;
		uint16_t *u = malloc((nu ? nu : 1) * sizeof *u);      /* aligned, as the firmware's are */
		memcpy(u, d, nu * 2);
		gl = loadopts_from_options(u, nu, got, cap, &gf);
		free(u);
	} else {
		uint8_t *t = malloc(n ? n : 1);
		memcpy(t, d, n);
		gl = loadopts_from_text(t, n, got, cap, &gf);
		free(t);
	}
	const char *why = NULL;
	if (gl != wl || memcmp(got, want, wl + 1) != 0 || gf != wf) {
		snprintf(lo_why, sizeof lo_why, "%s: \"%.40s\" (%zu, flags %#x), want \"%.40s\" (%zu, flags %#x)",
		         options ? "LoadOptions" : "CMDLINE.TXT", got, gl, gf, want, wl, wf);
		why = lo_why;
	}
	for (size_t i = 0; !why && i < gl; i++)
		if (got[i] < 0x20 || got[i] > 0x7e)
			why = "a character that is not printable ASCII";
	/* every word of the answer, and a few others, through loadopts_has */
	static const char *words[] = { "test=loader-ebs-fail", "test=loader-ebs-lost", "a", "" };
	for (size_t i = 0; !why && i < sizeof words / sizeof words[0]; i++)
		if (loadopts_has(got, words[i]) != lo_ref_has(got, words[i]))
			why = "loadopts_has: wrong answer";
	for (const char *p = got; !why && *p;) {
		size_t k = strcspn(p, " ");
		char w[1100];
		memcpy(w, p, k);
		w[k] = 0;
		if (k && !loadopts_has(got, w))
			why = "loadopts_has: a word of the line not found";
		p += k;
		p += strspn(p, " ");
	}
	free(got);
	free(want);
	return why;
}

#endif
