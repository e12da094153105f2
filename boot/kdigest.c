/*
 * kdigest.c - the loader's decision on KERNEL.ELF from the digest slot
 * (kdigest.h): check the whole file before any of it is parsed, so a
 * signed loader never lets elfcheck.c or the jump see a file it was not
 * built for.
 */
#include "kdigest.h"

/* the first bytes of each digest in a refusal: enough to tell them apart */
#define SHOWN 8

/* put appends s to why at *i, keeping room for the NUL */
static void put(char *why, size_t whylen, size_t *i, const char *s)
{
	for (; *s && *i + 1 < whylen; s++)
		why[(*i)++] = *s;
}

static int refuse(char *why, size_t whylen, const char *a, const uint8_t *d1, const char *b,
                  const uint8_t *d2, const char *c)
{
	size_t i = 0;
	char hex[2 * SHOWN + 1];
	if (whylen == 0)
		return KDIGEST_REFUSE;
	put(why, whylen, &i, a);
	if (d1) {
		kdigest_hex(d1, SHOWN, hex);
		put(why, whylen, &i, hex);
		put(why, whylen, &i, b);
	}
	if (d2) {
		kdigest_hex(d2, SHOWN, hex);
		put(why, whylen, &i, hex);
		put(why, whylen, &i, c);
	}
	why[i] = 0;
	return KDIGEST_REFUSE;
}

void kdigest_hex(const uint8_t *d, int n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = 0;
}

int kdigest_check(const struct kdigest_slot *slot, const void *file, size_t size,
                  int secure_boot_on, uint8_t got[SHA256_SIZE], char *why, size_t whylen)
{
	for (int i = 0; i < SHA256_SIZE; i++)
		got[i] = 0;
	if (slot->filled == KDIGEST_EMPTY) {
		if (secure_boot_on)
			return refuse(why, whylen, "Secure Boot is on and the loader holds no digest of it: "
			              "a signed loader must be built with its kernel's digest (make image SIGN=...)",
			              0, 0, 0, 0);
		return KDIGEST_UNCHECKED;
	}
	if (slot->filled != KDIGEST_FILLED)
		return refuse(why, whylen, "the loader's digest slot is damaged", 0, 0, 0, 0);
	sha256(file, size, got);
	uint8_t diff = 0;
	for (int i = 0; i < SHA256_SIZE; i++)
		diff |= got[i] ^ slot->digest[i];
	if (diff)
		return refuse(why, whylen, "does not match the digest built into the loader (file: SHA-256 ",
		              got, "..., loader: ", slot->digest, "...)");
	return KDIGEST_CHECKED;
}
