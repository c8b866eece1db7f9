/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of deliver.c's pure parts and the signing key file: the key
 * line is found in noisy console output (the last valid one wins, a
 * garbled or another instance's line is skipped); the opened line; the
 * signing key is made 0600 on first use, read back the same, and refused
 * when others may read it; the delivery thread's schedule (deliver_due):
 * an instance owed a config is first looked at DELIVER_FIRST_MS after its
 * launch or, once keys were found, just before the quickest key seen,
 * then every DELIVER_RECHECK_MS; opened looks wait while keys are found.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "deliver.h"
#include "seal.h"
#include "t.h"

T_REGISTER("deliver-key-line", t_key_line)
T_REGISTER("deliver-signing-key", t_signing_key)
T_REGISTER("deliver-expired", t_expired)
T_REGISTER("deliver-bounded", t_bounded)
T_REGISTER("deliver-stale-temp", t_stale_temp)
T_REGISTER("deliver-due", t_due)
T_REGISTER("deliver-kinds", t_kinds)

static void
line_for(const char *id, const struct seal_key *k, char *dst, size_t size)
{
	br_sha256_context	 h;
	unsigned char		 d[32];
	char			 b[SEAL_PUB_B64_LEN + 1];

	br_sha256_init(&h);
	br_sha256_update(&h, k->pub, SEAL_PUB_LEN);
	br_sha256_out(&h, d);
	seal_pub_format(k->pub, b);
	snprintf(dst, size, "ghrctl-boot-key v1 %s %s %02x%02x%02x%02x", id, b,
	    d[0], d[1], d[2], d[3]);
}

static void
t_key_line(void)
{
	struct seal_key	 k1, k2, other;
	unsigned char	 pub[SEAL_PUB_LEN];
	char		 l1[256], l2[256], lo[256], bad[256], text[2048];

	T_OK(seal_keygen(&k1));
	T_OK(seal_keygen(&k2));
	T_OK(seal_keygen(&other));
	line_for("i-0abc", &k1, l1, sizeof(l1));
	line_for("i-0abc", &k2, l2, sizeof(l2));
	line_for("i-0def", &other, lo, sizeof(lo));
	snprintf(bad, sizeof(bad), "%s", l2);
	bad[40] = bad[40] == 'A' ? 'B' : 'A';	/* garbled key */
	snprintf(text, sizeof(text), "[    1.2] kernel: boot\n%s\r\n"
	    "[    3.4] noise %s\n%s\n%s\n%s\n[    9.9] end", l1, l2, lo, bad,
	    "ghrctl-boot-key v1 i-0abc short");
	T_OK(deliver_find_key(text, strlen(text), "i-0abc", pub));
	T_TRUE(memcmp(pub, k1.pub, SEAL_PUB_LEN) == 0);
	/* A later reboot's key wins. */
	snprintf(text, sizeof(text), "%s\n%s\n", l1, l2);
	T_OK(deliver_find_key(text, strlen(text), "i-0abc", pub));
	T_TRUE(memcmp(pub, k2.pub, SEAL_PUB_LEN) == 0);
	/* Another instance's line is not this one's. */
	T_ERR(deliver_find_key(lo, strlen(lo), "i-0abc", pub), ERR_TEMP);
	T_ERR(deliver_find_key(bad, strlen(bad), "i-0abc", pub), ERR_TEMP);
	T_ERR(deliver_find_key("", 0, "i-0abc", pub), ERR_TEMP);
	T_TRUE(deliver_opened("x\nghrctl-boot-opened v1 i-0abc\n", 30,
	    "i-0abc"));
	T_TRUE(!deliver_opened("ghrctl-boot-opened v1 i-0abcd\n", 30,
	    "i-0abc"));
	T_TRUE(!deliver_opened("ghrctl-boot-opened v1 i-0ab", 27, "i-0abc"));
}

static void
t_signing_key(void)
{
	struct seal_key	 a, b;
	struct stat	 st;
	char		 dir[] = "/tmp/ghrctl-t-deliver.XXXXXX", path[128];
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/signing-key", dir);
	T_OK(deliver_signing_key(path, &a));
	T_TRUE(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	T_OK(deliver_signing_key(path, &b));
	T_TRUE(memcmp(a.pub, b.pub, SEAL_PUB_LEN) == 0);
	T_TRUE(chmod(path, 0644) == 0);
	T_ERR(deliver_signing_key(path, &b), ERR_PERM);
	T_TRUE(unlink(path) == 0);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("not a key\n", f);
		fclose(f);
	}
	T_TRUE(chmod(path, 0600) == 0);
	T_ERR(deliver_signing_key(path, &b), ERR_DATA);
	unlink(path);
	rmdir(dir);
}

/* A launch never delivered within DELIVER_TTL_S is forgotten. */
static void
t_expired(void)
{
	struct seal_key		 k;
	struct deliver_stats	 st;
	struct stat		 sb;
	char			 dir[] = "/tmp/ghrctl-t-deliver.XXXXXX", path[160];

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	T_OK(seal_keygen(&k));
	T_OK(deliver_add(dir, "i-0abc", "42", "ghrctl-42-r1", "eyJ4IjoxfQ==",
	    DELIVER_LAUNCHED));
	snprintf(path, sizeof(path), "%s/deliver/ghrctl-42-r1", dir);
	T_TRUE(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	T_ERR(deliver_add(dir, "i-0abc", "42", "../x", "j", DELIVER_LAUNCHED),
	    ERR_SOFTWARE);
	T_OK(deliver_pending(NULL, dir, &k, (int64_t)time(NULL) +
	    DELIVER_TTL_S + 10, DELIVER_PASS_CALLS, &st));
	T_EQ_INT(st.expired, 1);
	T_TRUE(stat(path, &sb) == -1);
	snprintf(path, sizeof(path), "%s/deliver", dir);
	rmdir(path);
	rmdir(dir);
}

/*
 * A pass makes calls for at most max_calls records: with no client
 * (NULL), any call would crash, so a pass allowed none proves it.
 */
static void
t_bounded(void)
{
	struct seal_key		 k;
	struct deliver_stats	 st;
	char			 dir[] = "/tmp/ghrctl-t-deliver.XXXXXX", path[200];
	char			 name[64], id[32];
	int64_t			 now = (int64_t)time(NULL);
	int			 i;

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	T_OK(seal_keygen(&k));
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "ghrctl-42-r%d", i);
		snprintf(id, sizeof(id), "i-0%04d", i);
		T_OK(deliver_add(dir, id, "42", name, "eyJ4IjoxfQ==",
		    DELIVER_LAUNCHED));
	}
	T_OK(deliver_pending(NULL, dir, &k, now + 60, 0, &st));
	T_EQ_INT(st.deferred, 20);	/* no call allowed: all left */
	T_EQ_INT(st.waiting + st.delivered + st.expired, 0);
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "%s/deliver/ghrctl-42-r%d", dir, i);
		T_TRUE(unlink(path) == 0);
	}
	snprintf(path, sizeof(path), "%s/deliver", dir);
	rmdir(path);
	rmdir(dir);
	seal_key_wipe(&k);
}

/*
 * A temp record left by a kill -9 while it was written holds a JIT
 * config: a pass removes it once it is a minute old, not before (a
 * writer may be at work).
 */
static void
t_stale_temp(void)
{
	struct seal_key		 k;
	struct deliver_stats	 st;
	struct timespec		 old[2];
	char			 dir[] = "/tmp/ghrctl-t-deliver.XXXXXX", path[200];
	char			 fresh[200];
	int			 fd;

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	T_OK(seal_keygen(&k));
	snprintf(path, sizeof(path), "%s/deliver", dir);
	T_TRUE(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/deliver/ghrctl-42-r1.1.2.tmp", dir);
	snprintf(fresh, sizeof(fresh), "%s/deliver/ghrctl-42-r2.1.2.tmp", dir);
	T_TRUE((fd = open(path, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	T_TRUE((fd = open(fresh, O_WRONLY | O_CREAT, 0600)) != -1);
	close(fd);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 120;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	T_TRUE(utimensat(AT_FDCWD, path, old, 0) == 0);
	T_OK(deliver_pending(NULL, dir, &k, (int64_t)time(NULL), 0, &st));
	T_TRUE(access(path, F_OK) == -1);	/* stale: removed */
	T_TRUE(access(fresh, F_OK) == 0);	/* being written: kept */
	T_EQ_INT(st.deferred + st.waiting + st.delivered, 0);
	unlink(fresh);
	snprintf(path, sizeof(path), "%s/deliver", dir);
	rmdir(path);
	rmdir(dir);
	seal_key_wipe(&k);
}

static void
t_due(void)
{
	struct deliver_slot	 s;
	int64_t			 b = 1000000, now = b + 100;
	int			 rank;

	/* Owed a config, never looked at: DELIVER_FIRST_MS after launch. */
	memset(&s, 0, sizeof(s));
	s.has_id = 1;
	s.born = b;
	T_EQ_INT(deliver_due(&s, now, 0, 0, &rank), b + DELIVER_FIRST_MS);
	T_EQ_INT(rank, 1);
	/*
	 * Keys seen 20 s after launch at the quickest: from 10 s (a boot
	 * 6 s quicker than the only one seen gets its look in time).
	 */
	T_EQ_INT(deliver_due(&s, now, 20000, 0, &rank), b + 10000);
	/* Never before DELIVER_FIRST_MS, never after DELIVER_HOLD_MAX_MS. */
	T_EQ_INT(deliver_due(&s, now, 4000, 0, &rank), b + DELIVER_FIRST_MS);
	T_EQ_INT(deliver_due(&s, now, 600000, 0, &rank),
	    b + DELIVER_HOLD_MAX_MS);
	/* Looked at: again DELIVER_RECHECK_MS later (250 ms). */
	s.last = b + 10000;
	T_EQ_INT(deliver_due(&s, now, 20000, 1, &rank), b + 10250);
	T_EQ_INT(DELIVER_RECHECK_MS, 250);
	/* A look before the hold (a restart's) does not bring it forward. */
	s.last = b + 3000;
	T_EQ_INT(deliver_due(&s, now, 20000, 0, &rank), b + 10000);
	/* Delivered: the opened look, later while keys are being found. */
	s.sent = 1;
	s.last = b + 20000;
	T_EQ_INT(deliver_due(&s, now, 17000, 0, &rank),
	    b + 20000 + DELIVER_OPENED_MS);
	T_EQ_INT(rank, 3);
	T_EQ_INT(deliver_due(&s, now, 17000, 1, &rank),
	    b + 20000 + DELIVER_OPENED_BUSY_MS);
	/* No instance id: looked up every DELIVER_LOOKUP_MS. */
	memset(&s, 0, sizeof(s));
	s.born = b;
	T_EQ_INT(deliver_due(&s, now, 0, 0, &rank), b + DELIVER_LOOKUP_MS);
	T_EQ_INT(rank, 2);
	/* Expired: due now, no call. */
	s.expired = 1;
	T_EQ_INT(deliver_due(&s, now, 0, 0, &rank), now);
	T_EQ_INT(rank, 0);
}

/* The size of file path, and whether it holds line want; -1: none. */
static int
file_has(const char *path, const char *want)
{
	char	 text[4096];
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return strstr(text, want) != NULL;
}

/*
 * Launched and started instances (DELIVER_STARTED): the record keeps
 * the kind, and the kind whose keys come first is looked at first
 * (deliver_ahead()).
 */
static void
t_kinds(void)
{
	char	 dir[] = "/tmp/ghrctl-t-deliver.XXXXXX", path[160];
	int	 hot[2];

	if (mkdtemp(dir) == NULL) {
		T_TRUE(0);
		return;
	}
	T_OK(deliver_add(dir, "i-0abc", "42", "ghrctl-42-r1", "eyJ4IjoxfQ==",
	    DELIVER_STARTED));
	T_OK(deliver_add(dir, "i-0abd", "42", "ghrctl-42-r2", "eyJ4IjoxfQ==",
	    DELIVER_LAUNCHED));
	snprintf(path, sizeof(path), "%s/deliver/ghrctl-42-r1", dir);
	T_EQ_INT(file_has(path, "\nstarted 1\n"), 1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/deliver/ghrctl-42-r2", dir);
	T_EQ_INT(file_has(path, "\nstarted"), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/deliver", dir);
	rmdir(path);
	rmdir(dir);
	/* hot[kind]: that kind's keys are being found. */
	hot[DELIVER_LAUNCHED] = hot[DELIVER_STARTED] = 0;
	/* No key yet: the started ones (quicker boots) first. */
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, 0, hot), 1);
	T_EQ_INT(deliver_ahead(DELIVER_LAUNCHED, 0, hot), 0);
	/* Not for ever: one that never shows a key ends in the round. */
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, DELIVER_START_FIRST_MS - 1,
	    hot), 1);
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, DELIVER_START_FIRST_MS, hot),
	    0);
	T_EQ_INT(DELIVER_START_FIRST_MS, 30000);
	hot[DELIVER_STARTED] = 1;
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, 5000, hot), 1);
	T_EQ_INT(deliver_ahead(DELIVER_LAUNCHED, 5000, hot), 0);
	hot[DELIVER_LAUNCHED] = 1;
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, 5000, hot), 1);
	T_EQ_INT(deliver_ahead(DELIVER_LAUNCHED, 5000, hot), 0);
	/*
	 * Hot looks: 87 a second with the bucket full (100 tokens: 20 +
	 * 100 / 1.5 s), 40 with 30 left, the refill's 20 with it empty.
	 */
	T_EQ_INT(deliver_hot_gap(100), 11);
	T_EQ_INT(deliver_hot_gap(30), 25);
	T_EQ_INT(deliver_hot_gap(0), 50);
	T_EQ_INT(deliver_hot_gap(-5), 50);
	/* Only the launched ones' keys come: they go first. */
	hot[DELIVER_STARTED] = 0;
	T_EQ_INT(deliver_ahead(DELIVER_STARTED, 5000, hot), 0);
	T_EQ_INT(deliver_ahead(DELIVER_LAUNCHED, 5000, hot), 1);
}
