/*
 * Unit tests for common/embed.c and the generated table: the compiled-in
 * files are the files on disk (tests run from the repository root).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "sbuf.h"
#include "tharness.h"

/* Reads the whole file at path into out; returns 0, or -1. */
static int read_file(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[8192];
	size_t n;
	int rc;

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(out, buf, n);
	rc = ferror(f) ? -1 : 0;
	fclose(f);
	return rc;
}

static void t_find_sql(void)
{
	const struct embed_file *ef = embed_find("schemas/sql/001_init.sql");

	if (!T_CHECK(ef != NULL))
		return;
	T_STREQ(ef->path, "schemas/sql/001_init.sql");
	T_CHECK(strstr(ef->data, "CREATE TABLE intake_keys") != NULL);
	T_INTEQ(ef->len, strlen(ef->data));
	T_CHECK(ef->len > 0);
	/* the pointer is into the table */
	T_CHECK(ef >= embed_files && ef < embed_files + embed_nfiles);
}

static void t_find_missing(void)
{
	T_CHECK(embed_find("schemas/sql/999_missing.sql") == NULL);
	T_CHECK(embed_find("") == NULL);
	T_CHECK(embed_find("schemas/sql") == NULL); /* a prefix is no match */
	T_CHECK(embed_find("schemas/sql/001_init.sq") == NULL);
	T_CHECK(embed_find("schemas/sql/001_init.sql ") == NULL);
	T_CHECK(embed_find("./schemas/sql/001_init.sql") == NULL);
}

/* Every embedded file equals its file on disk, byte for byte. */
static void t_matches_disk(void)
{
	struct sbuf disk = SBUF_INIT;

	T_CHECK(embed_nfiles > 0);
	for (size_t i = 0; i < embed_nfiles; i++) {
		const struct embed_file *ef = &embed_files[i];

		sbuf_reset(&disk);
		if (!T_CHECK(read_file(ef->path, &disk) == 0)) {
			fprintf(stderr, "    cannot read %s\n", ef->path);
			continue;
		}
		if (!T_INTEQ(ef->len, disk.len) ||
		    !T_CHECK(memcmp(ef->data, disk.buf, disk.len) == 0))
			fprintf(stderr, "    %s differs from disk\n", ef->path);
		T_INTEQ(ef->data[ef->len], '\0');
		T_CHECK(embed_find(ef->path) == ef);
	}
	sbuf_release(&disk);
}

/* Every schemas/xf.*.json on disk is embedded, and equal. */
static void t_every_schema(void)
{
	struct sbuf disk = SBUF_INIT;
	size_t nembedded = 0;
	glob_t g;

	if (!T_INTEQ(glob("schemas/xf.*.json", 0, NULL, &g), 0))
		return;
	T_CHECK(g.gl_pathc >= 7);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const struct embed_file *ef = embed_find(g.gl_pathv[i]);

		if (!T_CHECK(ef != NULL)) {
			fprintf(stderr, "    %s is not embedded\n", g.gl_pathv[i]);
			continue;
		}
		sbuf_reset(&disk);
		if (T_CHECK(read_file(g.gl_pathv[i], &disk) == 0) && T_INTEQ(ef->len, disk.len))
			T_CHECK(memcmp(ef->data, disk.buf, disk.len) == 0);
	}
	for (size_t i = 0; i < embed_nfiles; i++)
		nembedded += strncmp(embed_files[i].path, "schemas/xf.", 11) == 0;
	T_INTEQ(nembedded, g.gl_pathc);
	T_CHECK(embed_find("schemas/xf.petition.v1.json") != NULL);
	globfree(&g);
	sbuf_release(&disk);
}

/* The table is sorted by path, with no duplicates. */
static void t_sorted(void)
{
	for (size_t i = 1; i < embed_nfiles; i++)
		if (!T_CHECK(strcmp(embed_files[i - 1].path, embed_files[i].path) < 0))
			fprintf(stderr, "    %s before %s\n", embed_files[i - 1].path,
				embed_files[i].path);
}

/* clang-format off */
T_SUITE(embed,
	{ "find_sql", t_find_sql },
	{ "find_missing", t_find_missing },
	{ "matches_disk", t_matches_disk },
	{ "every_schema", t_every_schema },
	{ "sorted", t_sorted })
/* clang-format on */
