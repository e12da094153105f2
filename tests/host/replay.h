/*
 * replay.h - a host test's fuzzer seeds: write_seed_file writes one (the
 * test's --write-corpus), replay_seeds passes every file in dir through
 * run (the fuzzer's own check), each failure a CHECK. Include after
 * check.h.
 */
#ifndef HOST_REPLAY_H
#define HOST_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* write_seed_file writes n bytes of buf as dir/name; a test that cannot
 * write its corpus stops with exit status 2. */
static void write_seed_file(const char *dir, const char *name, const void *buf, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "cannot write seed %s\n", path);
		exit(2);
	}
}

static void replay_seeds(const char *dir, const char *(*run)(const uint8_t *data, size_t size))
{
	DIR *d = opendir(dir);
	CHECK(d != NULL, "cannot open %s", dir);
	if (!d)
		return;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		static uint8_t buf[1 << 16];
		FILE *f = fopen(path, "rb");
		size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
		if (f)
			fclose(f);
		const char *why = run(buf, len);
		CHECK(!why, "seed %s: %s", e->d_name, why);
		n++;
	}
	closedir(d);
	CHECK(n > 0, "no seeds in %s", dir);
}

#endif
