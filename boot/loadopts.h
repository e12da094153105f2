/*
 * loadopts.h - the kernel command line from what the firmware or the boot
 * volume gives, kept free of EFI so the host tests can build and fuzz it
 * (tests/host/loadopts_test.c, fuzz_loadopts.c).
 */
#ifndef BOOT_LOADOPTS_H
#define BOOT_LOADOPTS_H

#include <stddef.h>
#include <stdint.h>

/* What was odd about the source; the loader says so on screen. */
enum {
	LOADOPTS_BINARY   = 1 << 0,     /* LoadOptions are not text (a boot entry's data): not used */
	LOADOPTS_CUT      = 1 << 1,     /* longer than the room: cut */
	LOADOPTS_REPLACED = 1 << 2,     /* characters other than printable ASCII became '?' */
	LOADOPTS_UTF16    = 1 << 3,     /* CMDLINE.TXT in UTF-16 (a byte-order mark): read as such */
};

/*
 * loadopts_from_options: LoadOptions as the firmware passes them, n UTF-16
 * code units: used only if every unit is printable ASCII, a tab or NUL;
 * the image's own name dropped when a shell put it first (a first word
 * ending in ".efi"); up to the first NUL. Returns the length written to
 * out (cap >= 1 bytes, always NUL-terminated; tabs become spaces), 0 when
 * there is nothing to use.
 */
size_t loadopts_from_options(const uint16_t *s, size_t n, char *out, size_t cap, unsigned *flags);

/*
 * loadopts_from_text: CMDLINE.TXT's n bytes: its first line (up to CR, LF
 * or NUL), a UTF-8 byte-order mark skipped, UTF-16 with a byte-order mark
 * read as such; tabs become spaces and anything else that is not
 * printable ASCII '?'. Returns the length written to out (as above).
 */
size_t loadopts_from_text(const unsigned char *s, size_t n, char *out, size_t cap, unsigned *flags);

/* loadopts_has: whether the command line holds the word w (the loader's
 * own test hooks, test=loader-...). */
int loadopts_has(const char *line, const char *w);

#endif
