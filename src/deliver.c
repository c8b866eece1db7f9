/*
 * SPDX-License-Identifier: ISC
 *
 * Delivering sealed JIT configs (see deliver.h and ghrctl-boot(1)).
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "buf.h"
#include "deliver.h"
#include "ec2.h"
#include "log.h"
#include "seal.h"
#include "sig.h"
#include "state.h"
#include "util.h"

#define KEY_MAGIC	"ghrctl-signing-key v1 "
#define LINE_MAGIC	"ghrctl-boot-key v1 "
#define CONSOLE_MAX	(128u << 10)
#define DELIVER_TMP_MAX_S 60	/* a temp record older than this is left */


static const struct error *
key_parse(const char *text, size_t n, const char *path, struct seal_key *out)
{
	unsigned char	 x[SEAL_SECRET_LEN];
	size_t		 k = strlen(KEY_MAGIC), i;
	int		 hi, lo;
	const struct error *e;

	if (n < k + 2 * SEAL_SECRET_LEN || memcmp(text, KEY_MAGIC, k) != 0)
		return error_fmt(ERR_DATA, "%s: not a ghrctl signing key "
		    "(want '%sHEX')", path, KEY_MAGIC);
	for (i = 0; i < SEAL_SECRET_LEN; i++) {
		hi = hex_digit(text[k + 2 * i]);
		lo = hex_digit(text[k + 2 * i + 1]);
		if (hi < 0 || lo < 0) {
			wipe(x, sizeof(x));
			return error_fmt(ERR_DATA, "%s: the key is not 64 "
			    "lowercase hex digits", path);
		}
		x[i] = (unsigned char)(hi << 4 | lo);
	}
	e = seal_key_from_secret(x, sizeof(x), out);
	wipe(x, sizeof(x));
	return e == NULL ? NULL : error_fmt(ERR_DATA, "%s: %s", path, e->msg);
}

/* see deliver.h */
const struct error *
deliver_signing_key(const char *path, struct seal_key *out)
{
	const struct error	*e;
	struct stat		 st;
	char			 text[160], tmp[1024];
	ssize_t			 r;
	size_t			 i, n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) != -1) {
		if (fstat(fd, &st) == -1 || (st.st_mode & 077) != 0) {
			close(fd);
			return error_fmt(ERR_PERM, "%s: the signing key must "
			    "be readable by its owner only (chmod 600)", path);
		}
		r = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (r < 0)
			return error_errno("read", path);
		e = key_parse(text, (size_t)r, path, out);
		wipe(text, sizeof(text));
		return e;
	}
	if (errno != ENOENT)
		return error_errno("open", path);
	/* First use: make one, written to a temp file and linked in. */
	if ((e = seal_keygen(out)) != NULL)
		return e;
	n = strlen(KEY_MAGIC);
	memcpy(text, KEY_MAGIC, n);
	for (i = 0; i < SEAL_SECRET_LEN; i++) {
		text[n++] = "0123456789abcdef"[out->secret[i] >> 4];
		text[n++] = "0123456789abcdef"[out->secret[i] & 15];
	}
	text[n++] = '\n';
	if ((e = str_fmt(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid())) != NULL)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1) {
		e = error_errno("create", tmp);
		goto out;
	}
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) == -1) {
		e = error_errno("write", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* link(): a concurrent first run that won keeps its key. */
	if (link(tmp, path) == -1) {
		unlink(tmp);
		if (errno != EEXIST) {
			e = error_errno("create", path);
			goto out;
		}
		seal_key_wipe(out);
		wipe(text, sizeof(text));
		return deliver_signing_key(path, out);
	}
	unlink(tmp);
	log_info("made ghrctl's signing key %s", path);
out:
	wipe(text, sizeof(text));
	if (e != NULL)
		seal_key_wipe(out);
	return e;
}

/* 1 when line (n bytes, no newline) is id's key line; the key in pub. */
static int
key_line(const char *line, size_t n, const char *id,
    unsigned char pub[SEAL_PUB_LEN])
{
	br_sha256_context	 h;
	unsigned char		 d[32], k[SEAL_PUB_LEN];
	char			 check[9];
	size_t			 m = strlen(LINE_MAGIC), idlen = strlen(id);
	const char		*p;

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (n != m + idlen + 1 + SEAL_PUB_B64_LEN + 1 + 8 ||
	    memcmp(line, LINE_MAGIC, m) != 0 ||
	    memcmp(line + m, id, idlen) != 0 || line[m + idlen] != ' ')
		return 0;
	p = line + m + idlen + 1;
	if (p[SEAL_PUB_B64_LEN] != ' ' ||
	    seal_pub_parse(p, SEAL_PUB_B64_LEN, k) != NULL)
		return 0;
	br_sha256_init(&h);
	br_sha256_update(&h, k, SEAL_PUB_LEN);
	br_sha256_out(&h, d);
	snprintf(check, sizeof(check), "%02x%02x%02x%02x", d[0], d[1], d[2],
	    d[3]);
	if (memcmp(p + SEAL_PUB_B64_LEN + 1, check, 8) != 0)
		return 0;
	memcpy(pub, k, SEAL_PUB_LEN);
	return 1;
}

/* see deliver.h */
const struct error *
deliver_find_key(const char *console, size_t len, const char *id,
    unsigned char pub[SEAL_PUB_LEN])
{
	const char	*p = console, *end = console + len, *nl;
	int		 found = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (key_line(p, (size_t)(nl - p), id, pub))
			found = 1;	/* the last one wins: a reboot's key */
		p = nl + 1;
	}
	return found ? NULL : error_fmt(ERR_TEMP, "instance %s has not "
	    "published its boot key on its console yet", id);
}

/* see deliver.h */
const struct error *
deliver_to(struct aws *a, const struct seal_key *signer, const char *id,
    const char *scale_set_id, const char *runner, const char *jit,
    int64_t now, size_t *nparts)
{
	struct buf		 console = BUF_INIT(CONSOLE_MAX);
	struct buf		 blob = BUF_INIT(SEAL_BLOB_MAX);
	struct buf		 text = BUF_INIT(SEAL_BLOB_MAX * 2);
	struct ec2_tag		 tags[SEAL_PARTS_MAX];
	char			 keys[SEAL_PARTS_MAX][24];
	char			 vals[SEAL_PARTS_MAX][SEAL_PART_CHARS + 1];
	struct seal_header	 h;
	unsigned char		 pub[SEAL_PUB_LEN];
	const struct error	*e;
	size_t			 np = 0, i, off, k;

	if ((e = ec2_console_output(a, id, &console)) != NULL ||
	    (e = deliver_find_key(console.p != NULL ? console.p : "",
	    console.len, id, pub)) != NULL)
		goto out;
	memset(&h, 0, sizeof(h));
	if ((e = str_fmt(h.instance_id, sizeof(h.instance_id), "%s", id)) !=
	    NULL || (e = str_fmt(h.scale_set_id, sizeof(h.scale_set_id), "%s",
	    scale_set_id)) != NULL || (e = str_fmt(h.runner, sizeof(h.runner),
	    "%s", runner)) != NULL)
		goto out;
	h.expiry = now + DELIVER_TTL_S;
	if ((e = seal_seal(signer, pub, &h, jit, strlen(jit), &blob)) != NULL ||
	    (e = seal_encode(blob.p, blob.len, &text, &np)) != NULL)
		goto out;
	for (i = 0, off = 0; i < np; i++, off += k) {
		k = text.len - off < SEAL_PART_CHARS ? text.len - off :
		    SEAL_PART_CHARS;
		snprintf(keys[i], sizeof(keys[i]), "%s%zu", SEAL_TAG_PREFIX, i);
		memcpy(vals[i], text.p + off, k);
		vals[i][k] = '\0';
		tags[i].key = keys[i];
		tags[i].value = vals[i];
	}
	e = ec2_create_tags(a, &id, 1, tags, np, 0);
	if (e == NULL && nparts != NULL)
		*nparts = np;
	if (e == NULL)
		log_info("delivered the sealed config of runner %s to %s (%zu "
		    "tags)", runner, id, np);
out:
	buf_release(&console);
	buf_release(&blob);
	buf_release(&text);
	return e;
}

/* see deliver.h */
const struct error *
deliver_clear(struct aws *a, const char *id, size_t nparts)
{
	char		 keys[SEAL_PARTS_MAX][24];
	const char	*v[SEAL_PARTS_MAX];
	size_t		 i;

	if (nparts == 0 || nparts > SEAL_PARTS_MAX)
		nparts = SEAL_PARTS_MAX;
	for (i = 0; i < nparts; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s%zu", SEAL_TAG_PREFIX, i);
		v[i] = keys[i];
	}
	return ec2_delete_tags(a, id, v, nparts);
}

/* ---- pending deliveries ---- */

static void	bg_kick(void);

struct pending {
	char	 id[SEAL_ID_MAX];
	char	 set[SEAL_SET_MAX];
	char	 runner[SEAL_NAME_MAX];
	int	 sent;
	int	 how;		/* DELIVER_LAUNCHED or DELIVER_STARTED */
	int64_t	 expiry;
	int64_t	 created;	/* when the launch was recorded */
	size_t	 parts;
	char	*jit;		/* secret; NULL once sent */
};

static int
id_ok(const char *id)
{
	size_t	 i, n = strlen(id);

	if (n < 3 || n >= SEAL_ID_MAX || strncmp(id, "i-", 2) != 0)
		return 0;
	for (i = 2; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return 1;
}

/* A runner name as a file name: [A-Za-z0-9._-], not starting with '.'. */
static int
name_ok(const char *n)
{
	size_t	 i, len = strlen(n);

	if (len == 0 || len >= SEAL_NAME_MAX || n[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((n[i] >= '0' && n[i] <= '9') ||
		    (n[i] >= 'a' && n[i] <= 'z') ||
		    (n[i] >= 'A' && n[i] <= 'Z') || n[i] == '-' ||
		    n[i] == '_' || n[i] == '.'))
			return 0;
	return 1;
}

static const struct error *
pending_dir(const char *state_dir, char *dst, size_t size)
{
	const struct error	*e;

	if ((e = str_fmt(dst, size, "%s/%s", state_dir, DELIVER_DIR)) != NULL)
		return e;
	if (mkdir(dst, 0700) == -1 && errno != EEXIST)
		return error_errno("mkdir", dst);
	return NULL;
}

static const struct error *
pending_save(const char *dir, const struct pending *p)
{
	struct buf		 b = BUF_INIT(SEAL_JIT_MAX + 1024);
	const struct error	*e;
	char			 path[1024], tmp[1100];
	int			 fd;

	/*
	 * A temp file per process and thread: the delivery thread and a
	 * launch worker may write one record at once.
	 */
	if ((e = str_fmt(path, sizeof(path), "%s/%s", dir, p->runner)) !=
	    NULL ||
	    (e = str_fmt(tmp, sizeof(tmp), "%s.%ld.%lx.tmp", path,
	    (long)getpid(), (unsigned long)pthread_self())) != NULL)
		return e;
	if ((e = buf_addf(&b, "ghrctl-deliver v1\ninstance %s\nscale-set %s\n"
	    "runner %s\nsent %d\nexpiry %lld\ncreated %lld\nparts %zu\n", p->id,
	    p->set, p->runner, p->sent, (long long)p->expiry,
	    (long long)p->created, p->parts)) != NULL ||
	    (p->how == DELIVER_STARTED && (e = buf_adds(&b, "started 1\n")) !=
	    NULL) ||
	    (p->jit != NULL && (e = buf_addf(&b, "jit %s\n", p->jit)) != NULL))
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1) {
		e = error_errno("create", tmp);
		goto out;
	}
	if (write(fd, b.p, b.len) != (ssize_t)b.len || fsync(fd) == -1) {
		e = error_errno("write", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		e = error_errno("rename", tmp);
		unlink(tmp);
	}
out:
	if (b.p != NULL)
		wipe(b.p, b.len);
	buf_release(&b);
	return e;
}

static void
pending_release(struct pending *p)
{
	secret_free(p->jit);
	p->jit = NULL;
}

/* Parse a pending file's text (n bytes); ERR_DATA when malformed. */
static const struct error *
pending_parse(char *text, const char *name, struct pending *p)
{
	char		*line, *save = NULL, *v;
	long long	 ll;

	memset(p, 0, sizeof(*p));
	line = strtok_r(text, "\n", &save);
	if (line == NULL || strcmp(line, "ghrctl-deliver v1") != 0)
		return error_fmt(ERR_DATA, "%s: not a pending delivery", name);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(line, "instance") == 0)
			snprintf(p->id, sizeof(p->id), "%s", v);
		else if (strcmp(line, "scale-set") == 0)
			snprintf(p->set, sizeof(p->set), "%s", v);
		else if (strcmp(line, "runner") == 0)
			snprintf(p->runner, sizeof(p->runner), "%s", v);
		else if (strcmp(line, "sent") == 0)
			p->sent = strcmp(v, "1") == 0;
		else if (strcmp(line, "expiry") == 0 &&
		    (ll = strtoll(v, NULL, 10)) > 0)
			p->expiry = ll;
		else if (strcmp(line, "created") == 0 &&
		    (ll = strtoll(v, NULL, 10)) > 0)
			p->created = ll;
		else if (strcmp(line, "started") == 0)
			p->how = strcmp(v, "1") == 0 ? DELIVER_STARTED :
			    DELIVER_LAUNCHED;
		else if (strcmp(line, "parts") == 0)
			p->parts = (size_t)strtoul(v, NULL, 10);
		else if (strcmp(line, "jit") == 0 && p->jit == NULL)
			p->jit = xstrdup(v);
	}
	if ((p->id[0] != '\0' && !id_ok(p->id)) ||
	    strcmp(p->runner, name) != 0 || p->set[0] == '\0' ||
	    (!p->sent && p->jit == NULL)) {
		pending_release(p);
		return error_fmt(ERR_DATA, "%s: malformed pending delivery",
		    name);
	}
	return NULL;
}

/* see deliver.h */
const struct error *
deliver_add(const char *state_dir, const char *id, const char *scale_set_id,
    const char *runner, const char *jit, int how)
{
	struct pending		 p;
	const struct error	*e;
	char			 dir[1024];

	if ((id != NULL && !id_ok(id)) || !name_ok(runner))
		return error_fmt(ERR_SOFTWARE, "deliver: bad instance id or "
		    "runner name");
	memset(&p, 0, sizeof(p));
	if ((e = pending_dir(state_dir, dir, sizeof(dir))) != NULL ||
	    (e = str_fmt(p.id, sizeof(p.id), "%s", id != NULL ? id : "")) !=
	    NULL ||
	    (e = str_fmt(p.set, sizeof(p.set), "%s", scale_set_id)) != NULL ||
	    (e = str_fmt(p.runner, sizeof(p.runner), "%s", runner)) != NULL)
		return e;
	p.jit = (char *)(uintptr_t)jit;
	p.how = how == DELIVER_STARTED ? DELIVER_STARTED : DELIVER_LAUNCHED;
	p.created = (int64_t)time(NULL);
	return pending_save(dir, &p);
}

/* see deliver.h */
int
deliver_opened(const char *console, size_t len, const char *id)
{
	char		 want[SEAL_ID_MAX + 32];
	const char	*p = console, *end = console + len, *nl;
	size_t		 n;

	snprintf(want, sizeof(want), "ghrctl-boot-opened v1 %s", id);
	n = strlen(want);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) >= n && memcmp(p, want, n) == 0 &&
		    ((size_t)(nl - p) == n || p[n] == '\r'))
			return 1;
		p = nl + 1;
	}
	return 0;
}

/* One pending delivery; *remove set when its file can go. */
static const struct error *
pending_step(struct aws *a, const char *dir, const struct seal_key *signer,
    int64_t now, unsigned int *budget, struct pending *p, int *remove,
    struct deliver_stats *st)
{
	struct buf		 console = BUF_INIT(CONSOLE_MAX);
	const struct error	*e = NULL;
	const char		*code;

	*remove = 0;
	/*
	 * Never delivered within the time its boot waits: the instance
	 * failed or was never started; its boot has given up.
	 */
	if (!p->sent && p->created > 0 && now - p->created > DELIVER_TTL_S) {
		st->expired++;
		*remove = 1;
		return NULL;
	}
	if (*budget == 0) {
		st->deferred++;
		return NULL;
	}
	(*budget)--;
	if (p->id[0] == '\0') {
		/* Killed between RunInstances and deliver_add(): find it. */
		struct ec2_instances	 v = EC2_INSTANCES_INIT;
		struct ec2_filter	 f[1];
		char			 key[64];
		size_t			 i;

		snprintf(key, sizeof(key), "tag:%s", EC2_TAG_RUNNER);
		f[0].name = key;
		f[0].values[0] = p->runner;
		f[0].nvalues = 1;
		if ((e = ec2_describe(a, f, 1, &v)) != NULL)
			return e;
		for (i = 0; i < v.n; i++)
			if (ec2_state_live(v.v[i].state))
				snprintf(p->id, sizeof(p->id), "%s", v.v[i].id);
		ec2_instances_release(&v);
		if (p->id[0] == '\0') {
			st->waiting++;
			return NULL;
		}
		if ((e = pending_save(dir, p)) != NULL)
			return e;
	}
	if (!p->sent) {
		e = deliver_to(a, signer, p->id, p->set, p->runner, p->jit, now,
		    &p->parts);
		if (e == NULL) {
			p->sent = 1;
			p->expiry = now + DELIVER_TTL_S;
			pending_release(p);	/* the tags hold it, sealed */
			st->delivered++;
			return pending_save(dir, p);
		}
		goto fail;
	}
	if ((e = ec2_console_output(a, p->id, &console)) != NULL)
		goto fail;
	if (deliver_opened(console.p != NULL ? console.p : "", console.len,
	    p->id) || now >= p->expiry) {
		if ((e = deliver_clear(a, p->id, p->parts)) != NULL)
			goto fail;
		st->cleared++;
		*remove = 1;
	}
	buf_release(&console);
	return NULL;
fail:
	buf_release(&console);
	code = aws_last_code(a);
	if (e->class == ERR_TEMP && strstr(e->msg, "boot key") != NULL) {
		st->waiting++;
		return NULL;
	}
	if (code != NULL && strcmp(code, "InvalidInstanceID.NotFound") == 0) {
		st->gone++;
		*remove = 1;
		return NULL;
	}
	return e;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read record name of dir into *p (its JIT config too: release it);
 * *found 0 when it is gone.
 */
static const struct error *
pending_read(const char *dir, const char *name, struct pending *p,
    int *found)
{
	const struct error	*e;
	char			 path[1400], text[SEAL_JIT_MAX + 1024];
	ssize_t			 r;
	int			 fd;

	*found = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	r = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (r <= 0)
		return NULL;
	text[r] = '\0';
	e = pending_parse(text, name, p);
	wipe(text, (size_t)r);
	*found = e == NULL;
	return e;
}

/* One record: read, step, remove when done. */
static const struct error *
pending_one(struct aws *a, const char *dir, const char *name,
    const struct seal_key *signer, int64_t now, unsigned int *budget,
    struct deliver_stats *st)
{
	const struct error	*e;
	struct pending		 p;
	char			 path[1400];
	int			 found, remove;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	e = pending_read(dir, name, &p, &found);
	if (e == NULL && found) {
		e = pending_step(a, dir, signer, now, budget, &p, &remove, st);
		if (e == NULL && remove && unlink(path) == -1)
			e = error_errno("unlink", path);
		pending_release(&p);
	}
	return e;
}

/* The pending records' names in dir, sorted; *names the caller's. */
static const struct error *
pending_names(const char *dir, char ***names, size_t *np)
{
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	char			**nn;
	size_t			 n = 0, cap = 0;

	*names = NULL;
	*np = 0;
	if ((d = opendir(dir)) == NULL)
		return error_errno("opendir", dir);
	while ((de = readdir(d)) != NULL) {
		if (name_ok(de->d_name) && strstr(de->d_name, ".tmp") != NULL &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && st.st_mtime < time(NULL) - DELIVER_TMP_MAX_S) {
			/* Left by a kill -9 while written: it holds a secret. */
			(void)unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!name_ok(de->d_name) || strstr(de->d_name, ".tmp") != NULL)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nn = realloc(*names, cap * sizeof(**names))) ==
			    NULL)
				break;
			*names = nn;
		}
		if (((*names)[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(*names, n, sizeof(**names), name_cmp);
	*np = n;
	return NULL;
}

static void
names_free(char **names, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* see deliver.h */
const struct error *
deliver_pending(struct aws *a, const char *state_dir,
    const struct seal_key *signer, int64_t now, unsigned int max_calls,
    struct deliver_stats *st)
{
	/* Where the last pass stopped (one poll loop per process). */
	static char		 cursor[SEAL_NAME_MAX];
	const struct error	*e, *first = NULL;
	char			 dir[1024], **names;
	size_t			 n, i, k, start;
	unsigned int		 budget = max_calls, before;

	memset(st, 0, sizeof(*st));
	if ((e = pending_dir(state_dir, dir, sizeof(dir))) != NULL ||
	    (e = pending_names(dir, &names, &n)) != NULL)
		return e;
	for (start = 0; start < n && strcmp(names[start], cursor) <= 0;
	    start++)
		;
	for (k = 0; k < n; k++) {
		i = (start + k) % n;
		before = budget;
		e = pending_one(a, dir, names[i], signer, now, &budget, st);
		if (budget != before)
			(void)str_copy(cursor, sizeof(cursor), names[i]);
		if (e != NULL) {
			log_warn("delivery to %s: %s", names[i], e->msg);
			if (first == NULL)
				first = e;
		}
	}
	names_free(names, n);
	return first;
}

/* see deliver.h */
const struct error *
deliver_each(const struct config *cfg, deliver_each_fn fn, void *arg)
{
	const struct error	*e;
	struct pending		 p;
	char			 sdir[512], dir[1024], **names;
	size_t			 n, i;
	int			 found;

	if ((e = state_dir(cfg, sdir, sizeof(sdir))) != NULL ||
	    (e = pending_dir(sdir, dir, sizeof(dir))) != NULL ||
	    (e = pending_names(dir, &names, &n)) != NULL)
		return e;
	for (i = 0; i < n; i++) {
		if (pending_read(dir, names[i], &p, &found) != NULL || !found)
			continue;
		pending_release(&p);
		fn(arg, p.id, p.runner, p.sent);
	}
	names_free(names, n);
	return NULL;
}

/* see deliver.h */
const struct error *
deliver_forget(const struct config *cfg, const char *runner)
{
	const struct error	*e;
	char			 dir[512], path[1024];

	if (!name_ok(runner))
		return NULL;
	if ((e = state_dir(cfg, dir, sizeof(dir))) != NULL)
		return e;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, DELIVER_DIR, runner);
	if (unlink(path) == -1 && errno != ENOENT)
		return error_errno("unlink", path);
	return NULL;
}

/* The state directory (made) and the signing key in it. */
static const struct error *
setup(const struct config *cfg, char *dir, size_t size, struct seal_key *k)
{
	const struct error	*e;
	char			 path[1024];

	if ((e = state_dir(cfg, dir, size)) != NULL ||
	    (e = state_make_dir(dir)) != NULL ||
	    (e = str_fmt(path, sizeof(path), "%s/%s", dir,
	    DELIVER_KEY_FILE)) != NULL)
		return e;
	return deliver_signing_key(path, k);
}

/* see deliver.h */
const struct error *
deliver_user_key(const struct config *cfg, char out[SEAL_PUB_B64_LEN + 1])
{
	struct seal_key		 k;
	const struct error	*e;
	char			 dir[512];

	if ((e = setup(cfg, dir, sizeof(dir), &k)) != NULL)
		return e;
	seal_pub_format(k.pub, out);
	seal_key_wipe(&k);
	return NULL;
}

/* see deliver.h */
const struct error *
deliver_launched(const struct config *cfg, const char *id,
    const char *scale_set_id, const char *runner, const char *jit, int how)
{
	const struct error	*e;
	char			 dir[512];

	if ((e = state_dir(cfg, dir, sizeof(dir))) != NULL ||
	    (e = state_make_dir(dir)) != NULL ||
	    (e = deliver_add(dir, id, scale_set_id, runner, jit, how)) != NULL)
		return e;
	if (id != NULL)
		bg_kick();
	return NULL;
}

/* see deliver.h */
const struct error *
deliver_run(struct aws *a, const struct config *cfg, int64_t now)
{
	struct seal_key		 k;
	struct deliver_stats	 st;
	const struct error	*e;
	char			 dir[512];

	if (deliver_bg_active())
		return NULL;	/* the background deliverer does it */
	if ((e = setup(cfg, dir, sizeof(dir), &k)) != NULL)
		return e;
	e = deliver_pending(a, dir, &k, now, DELIVER_PASS_CALLS, &st);
	seal_key_wipe(&k);
	if (st.delivered + st.cleared + st.gone + st.expired > 0)
		log_info("deliveries: %u sealed and tagged, %u waiting for a "
		    "boot key, %u opened and cleared, %u instances gone, %u "
		    "never delivered", st.delivered, st.waiting, st.cleared,
		    st.gone, st.expired);
	return e;
}

/* ---- delivering in the background (poll --follow --scale) ---- */

struct sched {
	char	 name[SEAL_NAME_MAX];
	int64_t	 last;		/* ms of the last look; 0: none yet */
	int	 seen;		/* still a record in this pass */
};

struct deliver_bg {
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;		/* under mu */
	int			 kicked;	/* under mu */
	struct aws		*aws;		/* the thread's own */
	struct seal_key		 key;
	char			 dir[1024];	/* <state dir>/deliver */
	struct sched		*s;		/* the thread's own */
	size_t			 ns, caps;
	struct deliver_stats	 total;		/* the thread's own */
	/* Per kind (DELIVER_LAUNCHED, DELIVER_STARTED): */
	int64_t			 hot_until[2];	/* wall ms; see bg_pass() */
	int64_t			 key_ms[2];	/* quickest launch to key seen */
	double			 credit;	/* cold looks in hand */
	int64_t			 credit_t;	/* wall ms credit was counted */
	double			 level;		/* tokens in the bucket, est. */
	int64_t			 level_t;	/* wall ms level was counted */
	int64_t			 look_t;	/* wall ms of the last look */
};

/* The running one (one per process), for deliver_launched()'s kick. */
static struct deliver_bg	*bg_running;
static pthread_mutex_t		 bg_mu = PTHREAD_MUTEX_INITIALIZER;

/* Wall-clock ms: records carry the wall-clock second of their launch. */
static int64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sched *
sched_get(struct deliver_bg *b, const char *name)
{
	size_t	 i;

	for (i = 0; i < b->ns; i++)
		if (strcmp(b->s[i].name, name) == 0)
			return &b->s[i];
	if (b->ns == b->caps) {
		b->caps = b->caps == 0 ? 64 : b->caps * 2;
		b->s = xrealloc(b->s, b->caps * sizeof(*b->s));
	}
	memset(&b->s[b->ns], 0, sizeof(b->s[b->ns]));
	(void)str_copy(b->s[b->ns].name, sizeof(b->s[b->ns].name), name);
	return &b->s[b->ns++];
}

/* One record due for a look, and how urgent it is. */
struct due {
	struct sched	*sc;
	int		 rank;		/* lower first */
	int		 behind;	/* 0: first (deliver_ahead()) */
	struct deliver_slot slot;	/* as scheduled (its kind: slot.how) */
	int64_t		 last;		/* least recently looked at first */
	int64_t		 created;	/* then older first */
	int64_t		 born;		/* wall ms of its launch record */
};

static int
due_cmp(const void *a, const void *b)
{
	const struct due	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->behind != y->behind)
		return x->behind < y->behind ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->sc->name, y->sc->name);
}

/* When an instance owed a config gets its first look (see deliver.h). */
static int64_t
first_look(int64_t key_ms)
{
	int64_t	 hold = key_ms / DELIVER_EARLY_DIV;

	if (hold > DELIVER_HOLD_MAX_MS)
		hold = DELIVER_HOLD_MAX_MS;
	return hold > DELIVER_FIRST_MS ? hold : DELIVER_FIRST_MS;
}

/* see deliver.h */
int64_t
deliver_due(const struct deliver_slot *s, int64_t now, int64_t key_ms,
    int busy, int *rank)
{
	int64_t	 at;

	if (s->expired) {
		*rank = 0;
		return now;
	}
	if (s->sent) {
		*rank = 3;
		return s->last + (busy ? DELIVER_OPENED_BUSY_MS :
		    DELIVER_OPENED_MS);
	}
	if (!s->has_id) {
		*rank = 2;
		return (s->last == 0 ? s->born : s->last) + DELIVER_LOOKUP_MS;
	}
	*rank = 1;
	at = s->born + first_look(key_ms);
	if (s->last != 0 && s->last + DELIVER_RECHECK_MS > at)
		at = s->last + DELIVER_RECHECK_MS;
	return at;
}

/* see deliver.h */
int
deliver_ahead(int how, int64_t age_ms, const int hot[2])
{
	int	 only_launched = hot[DELIVER_LAUNCHED] && !hot[DELIVER_STARTED];

	if (how == DELIVER_STARTED)
		return age_ms < DELIVER_START_FIRST_MS && !only_launched;
	return only_launched;
}

/* see deliver.h */
int64_t
deliver_hot_gap(double level)
{
	if (level < 0)
		level = 0;
	return (int64_t)(1000.0 / (DELIVER_LOOK_REFILL + level * 1000.0 /
	    DELIVER_HOT_TAU_MS));
}

/*
 * Before a look: the thread's estimate of GetConsoleOutput's bucket
 * (its own looks only; the shared pace.h buckets hold every call), and
 * while hot, the wait that spends the bucket at the refill plus its
 * level over DELIVER_HOT_TAU_MS (see deliver.h).
 */
static void
look_paced(struct deliver_bg *b, int hot)
{
	int64_t	 now = wall_ms(), wait;

	b->level += (double)(now - b->level_t) * DELIVER_LOOK_REFILL / 1000.0;
	if (b->level > DELIVER_LOOK_CAP || b->level_t == 0)
		b->level = DELIVER_LOOK_CAP;
	if (b->level < 0)
		b->level = 0;
	b->level_t = now;
	if (hot && (wait = b->look_t + deliver_hot_gap(b->level) - now) > 0)
		sig_nap(wait);
	b->level -= 1;
	b->look_t = wall_ms();
}

/*
 * One scheduled pass: look at the records due, most urgent first, for at
 * most DELIVER_SLICE_MS (EC2 pacing makes each call wait its turn);
 * cold, at most the looks b->credit allows.  Returns the ms to wait
 * before the next pass.
 */
static int64_t
bg_pass(struct deliver_bg *b)
{
	const struct error	*e;
	struct pending		*p;
	struct due		*due;
	struct deliver_slot	 slot;
	char			**names;
	size_t			 n, i, nd = 0, k;
	int64_t			 t0 = wall_ms(), next = t0 + 1000, at;
	unsigned int		 budget, got;
	int			 found, rank, hot, owed = 0, hk[2], k2;

	if ((e = pending_names(b->dir, &names, &n)) != NULL) {
		log_warn("%s", e->msg);
		return 1000;
	}
	/* The schedules of the records there are, the others forgotten. */
	for (i = 0; i < b->ns; i++)
		b->s[i].seen = 0;
	for (i = 0; i < n; i++)
		sched_get(b, names[i])->seen = 1;
	for (i = 0, k = 0; i < b->ns; i++)
		if (b->s[i].seen)
			b->s[k++] = b->s[i];
	b->ns = k;
	/* No schedule is added nor moved from here on: pointers hold. */
	p = xcalloc(n + 1, sizeof(*p));
	for (i = 0; i < n; i++) {
		if (pending_read(b->dir, names[i], &p[i], &found) != NULL ||
		    !found) {
			p[i].runner[0] = '\0';	/* skipped below */
			continue;
		}
		pending_release(&p[i]);
		owed += !p[i].sent && p[i].id[0] != '\0';
	}
	/*
	 * Cold (no key found for DELIVER_HOT_MS): the looks at instances
	 * owed a config go at DELIVER_COLD_RATE in all, spread, so that
	 * GetConsoleOutput's bucket is full when the boots come.
	 */
	hk[0] = t0 < b->hot_until[0];
	hk[1] = t0 < b->hot_until[1];
	hot = hk[0] || hk[1];
	b->credit += (double)(t0 - b->credit_t) * DELIVER_COLD_RATE / 1000.0;
	if (b->credit > DELIVER_COLD_BURST || b->credit_t == 0)
		b->credit = DELIVER_COLD_BURST;
	b->credit_t = t0;
	due = xcalloc(n + 1, sizeof(*due));
	for (i = 0; i < n; i++) {
		struct sched	*sc = sched_get(b, names[i]);

		if (p[i].runner[0] == '\0')
			continue;
		slot.how = p[i].how;
		slot.sent = p[i].sent;
		slot.has_id = p[i].id[0] != '\0';
		slot.expired = !p[i].sent && p[i].created > 0 &&
		    t0 / 1000 - p[i].created > DELIVER_TTL_S;
		slot.born = p[i].created * 1000;
		slot.last = sc->last;
		at = deliver_due(&slot, t0, b->key_ms[slot.how], hot &&
		    owed > 0, &rank);
		if (at <= t0) {
			due[nd].sc = sc;
			due[nd].slot = slot;
			due[nd].rank = rank;
			due[nd].behind = rank == 1 &&
			    !deliver_ahead(slot.how, t0 - slot.born, hk);
			due[nd].last = sc->last;
			due[nd].created = p[i].created;
			due[nd].born = slot.born;
			nd++;
		} else if (at < next)
			next = at;
	}
	free(p);
	qsort(due, nd, sizeof(*due), due_cmp);
	for (i = 0; i < nd && !sig_stopping(); i++) {
		if (i > 0 && wall_ms() - t0 >= DELIVER_SLICE_MS) {
			next = t0;	/* more due: go on at once */
			break;
		}
		/*
		 * The pace of its kind: a kind whose keys are not coming
		 * yet looks at the cold rate while the other's are found
		 * (the stopped pool's keys come while the launched
		 * instances boot: spending the bucket on those would leave
		 * it empty for their wave).
		 */
		if (due[i].rank == 1 && !hk[due[i].slot.how]) {
			if (b->credit < 1) {
				at = t0 + (int64_t)((1 - b->credit) * 1000 /
				    DELIVER_COLD_RATE) + 1;
				if (at < next)
					next = at;
				continue;
			}
			b->credit -= 1;
		}
		look_paced(b, due[i].rank == 1 && hk[due[i].slot.how]);
		budget = 1;
		got = b->total.delivered;
		if ((e = pending_one(b->aws, b->dir, due[i].sc->name, &b->key,
		    (int64_t)time(NULL), &budget, &b->total)) != NULL)
			log_warn("delivery to %s: %s", due[i].sc->name, e->msg);
		due[i].sc->last = wall_ms();
		/*
		 * Its next look, unless delivered (then a pass finds it due
		 * later): a pass wakes for it, not after the default second.
		 */
		if (b->total.delivered == got && due[i].rank == 1) {
			due[i].slot.last = due[i].sc->last;
			at = deliver_due(&due[i].slot, t0,
			    b->key_ms[due[i].slot.how], 0, &rank);
			if (at < next)
				next = at;
		}
		if (b->total.delivered != got) {
			/* The quickest boot of its kind: none is quicker. */
			k2 = due[i].slot.how;
			at = due[i].sc->last - due[i].born;
			if (at > 0 && (b->key_ms[k2] == 0 || at < b->key_ms[k2]))
				b->key_ms[k2] = at;
			b->hot_until[k2] = due[i].sc->last + DELIVER_HOT_MS;
			/*
			 * Boots are coming: look at the others at once, in
			 * the order of a new pass (this kind first).
			 */
			if (!hk[k2]) {
				next = t0;
				break;
			}
		}
	}
	free(due);
	names_free(names, n);
	return next > wall_ms() ? next - wall_ms() : 0;
}

static void *
bg_main(void *arg)
{
	struct deliver_bg	*b = arg;
	struct timespec		 ts;
	int64_t			 wait, ms;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		b->kicked = 0;
		pthread_mutex_unlock(&b->mu);
		wait = bg_pass(b);
		pthread_mutex_lock(&b->mu);
		if (b->stop || b->kicked || wait <= 0)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_nsec / 1000000 + wait;
		ts.tv_sec += (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		(void)pthread_cond_timedwait(&b->cv, &b->mu, &ts);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* see deliver.h */
const struct error *
deliver_bg_start(const struct config *cfg, struct aws *own,
    struct deliver_bg **out)
{
	struct deliver_bg	*b;
	const struct error	*e;
	sigset_t		 all, old;
	char			 sdir[512];

	*out = NULL;
	b = xcalloc(1, sizeof(*b));
	if ((e = setup(cfg, sdir, sizeof(sdir), &b->key)) != NULL ||
	    (e = pending_dir(sdir, b->dir, sizeof(b->dir))) != NULL) {
		seal_key_wipe(&b->key);
		free(b);
		return e;
	}
	b->aws = own;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	/*
	 * The thread starts with every signal blocked: they go to the main
	 * thread, whose waits end on a stop request.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&b->th, NULL, bg_main, b) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		seal_key_wipe(&b->key);
		free(b);
		return error_fmt(ERR_TEMP, "cannot start the delivery thread");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&bg_mu);
	bg_running = b;
	pthread_mutex_unlock(&bg_mu);
	*out = b;
	log_debug("delivering sealed configs in the background");
	return NULL;
}

/* Wake the background deliverer (a launch was recorded). */
static void
bg_kick(void)
{
	pthread_mutex_lock(&bg_mu);
	if (bg_running != NULL) {
		pthread_mutex_lock(&bg_running->mu);
		bg_running->kicked = 1;
		pthread_cond_signal(&bg_running->cv);
		pthread_mutex_unlock(&bg_running->mu);
	}
	pthread_mutex_unlock(&bg_mu);
}

/* see deliver.h */
int
deliver_bg_active(void)
{
	int	 r;

	pthread_mutex_lock(&bg_mu);
	r = bg_running != NULL;
	pthread_mutex_unlock(&bg_mu);
	return r;
}

/* see deliver.h */
void
deliver_bg_stop(struct deliver_bg *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&bg_mu);
	if (bg_running == b)
		bg_running = NULL;
	pthread_mutex_unlock(&bg_mu);
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->th, NULL);
	if (b->total.delivered + b->total.cleared + b->total.gone +
	    b->total.expired > 0)
		log_info("deliveries: %u sealed and tagged, %u opened and "
		    "cleared, %u instances gone, %u never delivered",
		    b->total.delivered, b->total.cleared, b->total.gone,
		    b->total.expired);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	seal_key_wipe(&b->key);
	free(b->s);
	free(b);
}
