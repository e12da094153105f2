/*
 * sha256_test.c - host test for boot/sha256.c and boot/kdigest.c.
 *
 * SHA-256 against the examples of FIPS 180-4 (NIST's "abc", the two-block
 * message, the million a's), the empty message and short messages of
 * NIST's SHA256ShortMsg set; every split of a message into two updates
 * against the one-shot digest. Then kdigest_check's four answers (empty
 * slot with Secure Boot off and on, filled and matching, filled and one
 * byte changed) with their exact messages.
 *
 *   build/host/sha256_test DIR         the checks above, then files of
 *                                      0..200 bytes written into DIR
 *   build/host/sha256_test --files F.. each file's digest, as sha256sum
 *                                      prints it (make test-host compares
 *                                      the two over DIR and some files)
 *
 * Exit status 0 when everything passes; each failure is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "kdigest.h"
#include "check.h"

static void hex(const uint8_t *d, char *out)
{
	kdigest_hex(d, SHA256_SIZE, out);
}

static void one(const char *what, const void *msg, size_t n, const char *want)
{
	uint8_t d[SHA256_SIZE];
	char got[2 * SHA256_SIZE + 1];
	sha256(msg, n, d);
	hex(d, got);
	CHECK(strcmp(got, want) == 0, "%s: got %s, want %s", what, got, want);
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void vectors(void)
{
	one("empty", "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	one("abc", "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	one("448 bits", m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	one("896 bits", m896, strlen(m896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

	/* one million 'a', fed in uneven pieces */
	struct sha256 s;
	uint8_t d[SHA256_SIZE];
	char got[2 * SHA256_SIZE + 1];
	static char a[1000000];
	memset(a, 'a', sizeof a);
	one("a x 1000000", a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < sizeof a; off += step, step = step * 3 % 1000 + 1)
		sha256_update(&s, a + off, off + step > sizeof a ? sizeof a - off : step);
	sha256_final(&s, d);
	hex(d, got);
	CHECK(strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
	      "a x 1000000 in pieces: got %s", got);

	/* SHA256ShortMsg: Len = 8, 16, 24, 512 bits */
	static const char *const shortmsg[][2] = {
		{"d3", "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1"},
		{"11af", "5ca7133fa735326081558ac312c620eeca9970d1e70a4b95533d956f072d1f98"},
		{"b4190e", "dff2e73091f6c05e528896c4c831b9448653dc2ff043528f6769437bc7b975c2"},
		{"5a86b737eaea8ee976a0a24da63e7ed7eefad18a101c1211e2b3650c5187c2a8"
		 "a650547208251f6d4237e661c7bf4c77f335390394c37fa1a9f9be836ac28509",
		 "42e61e174fbb3897d6dd6cef3dd2802fe67b331953b06114a65c772859dfc1aa"},
	};
	for (size_t i = 0; i < sizeof shortmsg / sizeof shortmsg[0]; i++) {
		uint8_t msg[64];
		size_t n = unhex(shortmsg[i][0], msg);
		one(shortmsg[i][0], msg, n, shortmsg[i][1]);
	}
}

/* every split of a 200-byte message into two updates gives the one-shot digest */
static void splits(void)
{
	uint8_t msg[200], whole[SHA256_SIZE], parts[SHA256_SIZE];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof msg; n++) {
		sha256(msg, n, whole);
		for (size_t cut = 0; cut <= n; cut++) {
			struct sha256 s;
			sha256_init(&s);
			sha256_update(&s, msg, cut);
			sha256_update(&s, msg + cut, n - cut);
			sha256_final(&s, parts);
			CHECK(memcmp(whole, parts, sizeof whole) == 0, "length %zu split at %zu differs", n, cut);
		}
	}
}

static void decisions(void)
{
	const char file[] = "a kernel, or what stands for one";
	struct kdigest_slot slot = {.filled = KDIGEST_EMPTY};
	uint8_t got[SHA256_SIZE];
	char why[200];
	memcpy(slot.marker, KDIGEST_MARKER, sizeof slot.marker);

	why[0] = 0;
	CHECK(kdigest_check(&slot, file, sizeof file, 0, got, why, sizeof why) == KDIGEST_UNCHECKED,
	      "empty slot, Secure Boot off: not unchecked");
	CHECK(kdigest_check(&slot, file, sizeof file, 1, got, why, sizeof why) == KDIGEST_REFUSE,
	      "empty slot, Secure Boot on: not refused");
	CHECK(strstr(why, "Secure Boot is on and the loader holds no digest") == why, "message: %s", why);

	slot.filled = KDIGEST_FILLED;
	sha256(file, sizeof file, slot.digest);
	CHECK(kdigest_check(&slot, file, sizeof file, 0, got, why, sizeof why) == KDIGEST_CHECKED,
	      "filled, matching, Secure Boot off: not checked");
	CHECK(kdigest_check(&slot, file, sizeof file, 1, got, why, sizeof why) == KDIGEST_CHECKED,
	      "filled, matching, Secure Boot on: not checked");
	CHECK(memcmp(got, slot.digest, sizeof got) == 0, "got is not the file's digest");

	char changed[sizeof file];
	memcpy(changed, file, sizeof file);
	changed[10] ^= 1;
	CHECK(kdigest_check(&slot, changed, sizeof changed, 0, got, why, sizeof why) == KDIGEST_REFUSE,
	      "one byte changed: not refused");
	char want[200], h1[17], h2[17];
	kdigest_hex(got, 8, h1);
	kdigest_hex(slot.digest, 8, h2);
	snprintf(want, sizeof want, "does not match the digest built into the loader "
	         "(file: SHA-256 %s..., loader: %s...)", h1, h2);
	CHECK(strcmp(why, want) == 0, "message: %s, want %s", why, want);
	CHECK(kdigest_check(&slot, file, sizeof file - 1, 0, got, why, sizeof why) == KDIGEST_REFUSE,
	      "one byte short: not refused");

	char small[12];
	CHECK(kdigest_check(&slot, changed, sizeof changed, 0, got, small, sizeof small) == KDIGEST_REFUSE &&
	      strcmp(small, "does not ma") == 0, "cut message: %s", small);
	slot.filled = 2;
	CHECK(kdigest_check(&slot, file, sizeof file, 0, got, why, sizeof why) == KDIGEST_REFUSE &&
	      strstr(why, "damaged"), "damaged slot: %s", why);
}

static int write_lengths(const char *dir)
{
	for (int n = 0; n <= 200; n++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/len-%03d", dir, n);
		FILE *f = fopen(path, "wb");
		if (!f) {
			perror(path);
			return 1;
		}
		for (int i = 0; i < n; i++)
			fputc((i * 31 + n) & 0xff, f);
		fclose(f);
	}
	return 0;
}

static int files(int argc, char **argv)
{
	int bad = 0;
	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		struct sha256 s;
		uint8_t buf[4096], d[SHA256_SIZE];
		char out[2 * SHA256_SIZE + 1];
		size_t n;
		sha256_init(&s);
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			sha256_update(&s, buf, n);
		fclose(f);
		sha256_final(&s, d);
		hex(d, out);
		printf("%s  %s\n", out, argv[i]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--files") == 0)
		return files(argc - 2, argv + 2);
	if (argc != 2) {
		fprintf(stderr, "usage: sha256_test DIR | sha256_test --files FILE...\n");
		return 2;
	}
	vectors();
	splits();
	decisions();
	if (write_lengths(argv[1]))
		failures++;
	printf("sha256_test: %d checks, %d failures\n", checks, failures);
	return failures != 0;
}
