/*
 * SPDX-License-Identifier: ISC
 *
 * Client-side pacing of EC2 calls (see pace.h).  The bucket sizes are the
 * Amazon EC2 Developer Guide's, "Request throttling for the Amazon EC2
 * API" (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html,
 * tables "Request token bucket sizes and refill rates" and "Resource token
 * bucket sizes and refill rates"); CreateFleet shares the RunInstances
 * bucket (terraform-aws-github-runner PR #5253, runs-on PR #18).  The
 * adaptive part follows the behaviour the AWS SDKs and Tools Reference
 * Guide describes for retry_mode "adaptive" (a client-side rate limiter
 * that slows down on throttling replies), with botocore's published
 * parameters (CUBIC with beta 0.7 and C 0.4, a floor of 0.5 requests a
 * second, the send rate measured in half-second slots smoothed 0.8).
 *
 * The file: a first line "ghrctl-ec2-pace 1", then one line a bucket:
 * "NAME level t rate wmax fail mrate mslot mcount".  An unreadable line
 * or file is dropped: its buckets start full, as on a first run.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>	/* isfinite() only: no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws.h"
#include "log.h"
#include "pace.h"
#include "sig.h"
#include "state.h"
#include "util.h"

#define PACE_MAGIC	"ghrctl-ec2-pace 1"
#define PACE_FILE_MAX	8192
#define PACE_NAP_MS	100	/* longest sleep between stop checks */
#define PACE_NAME_MAX	48
#define PACE_CAP_MAX	1000000

struct pace_entry {
	char			 name[PACE_NAME_MAX];
	struct pace_bucket	 b;
};

struct pace {
	struct pace_limit	 lim[PACE_NCLASS];
	char			 path[700];	/* "": pace in memory only */
	char			 lock_path[700];
	char			 dir[512];
	int			 warned;
	int			 made;		/* the directory exists */
	struct pace_entry	 e[PACE_MAX_BUCKETS];
	size_t			 n;
	int64_t			 (*now)(void);
	void			 (*nap)(int64_t);
};

/* The settings of each class, in enum order. */
static const enum cfg_key class_keys[PACE_NCLASS] = {
	K_EC2_LIMIT_RUN, K_EC2_LIMIT_START, K_EC2_LIMIT_TERMINATE,
	K_EC2_LIMIT_TAGS, K_EC2_LIMIT_DESCRIBE, K_EC2_LIMIT_MUTATING
};

/* Smallest whole number >= x >= 0. */
static int64_t
ceil_pos(double x)
{
	int64_t	 n = (int64_t)x;

	return (double)n < x ? n + 1 : n;
}

/* Cube root of x >= 0 (Newton's method; x is a few tokens a second). */
static double
cbrt_pos(double x)
{
	double	 r = x > 1 ? x : 1;
	int	 i;

	if (!(x > 0))
		return 0;
	for (i = 0; i < 60; i++)
		r = (2 * r + x / (r * r)) / 3;
	return r;
}

static int64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
default_nap(int64_t ms)
{
	sig_nap(ms);
}

/* One "CAP/RATE" at *s; -1 when malformed. */
static int
one_limit(const char **s, double *cap, double *rate)
{
	char		*end;
	unsigned long	 c;
	double		 r;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	c = strtoul(*s, &end, 10);
	if (errno != 0 || *end != '/' || c < 1 || c > PACE_CAP_MAX)
		return -1;
	*s = end + 1;
	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	r = strtod(*s, &end);
	if (errno != 0 || end == *s || !(r > 0) || r > PACE_CAP_MAX)
		return -1;
	*s = end;
	*cap = (double)c;
	*rate = r;
	return 0;
}

/* see pace.h */
int
pace_limit_parse(const char *s, struct pace_limit *out)
{
	memset(out, 0, sizeof(*out));
	if (one_limit(&s, &out->cap, &out->rate) == -1)
		return -1;
	if (*s == ',') {
		s++;
		if (one_limit(&s, &out->res_cap, &out->res_rate) == -1)
			return -1;
	}
	return *s == '\0' ? 0 : -1;
}

static int
prefixed(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* see pace.h */
enum pace_class
pace_class_of(const char *action, const char **bucket)
{
	*bucket = action;
	if (strcmp(action, "RunInstances") == 0 ||
	    strcmp(action, "CreateFleet") == 0) {
		*bucket = "RunInstances";
		return PACE_RUN;
	}
	if (strcmp(action, "StartInstances") == 0)
		return PACE_START;
	if (strcmp(action, "TerminateInstances") == 0)
		return PACE_TERMINATE;
	if (strcmp(action, "CreateTags") == 0 ||
	    strcmp(action, "DeleteTags") == 0)
		return PACE_TAGS;
	if (prefixed(action, "Describe") || prefixed(action, "Get") ||
	    prefixed(action, "List") || prefixed(action, "Search"))
		return PACE_DESCRIBE;
	return PACE_MUTATING;
}

/* see pace.h */
double
pace_cost(const char *action, const char *form)
{
	const char	*p;
	double		 n = 0;
	unsigned int	 v;
	char		 num[16];
	size_t		 k;

	if (strcmp(action, "RunInstances") == 0) {
		for (p = form; p != NULL && *p != '\0'; p = strchr(p, '&')) {
			if (*p == '&')
				p++;
			if (!prefixed(p, "MaxCount="))
				continue;
			p += strlen("MaxCount=");
			for (k = 0; k + 1 < sizeof(num) && p[k] >= '0' &&
			    p[k] <= '9'; k++)
				num[k] = p[k];
			num[k] = '\0';
			if (parse_uint(num, PACE_CAP_MAX, &v) == 0 && v > 0)
				return (double)v;
			return 1;
		}
		return 1;
	}
	if (strcmp(action, "TerminateInstances") != 0 &&
	    strcmp(action, "StartInstances") != 0)
		return 0;
	for (p = form; p != NULL && *p != '\0'; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (prefixed(p, "InstanceId."))
			n++;
	}
	return n;
}

/* see pace.h */
void
pace_bucket_init(struct pace_bucket *b, double cap, double rate,
    int64_t now)
{
	memset(b, 0, sizeof(*b));
	b->level = cap;
	b->t = now;
	b->rate = rate;
	b->mslot = now - now % PACE_SLOT_MS;
}

/* see pace.h */
double
pace_bucket_cap(const struct pace_bucket *b, double cap, double rate)
{
	double	 c;

	if (b->fail == 0 || b->rate >= rate)
		return cap;
	c = b->rate > 1 ? b->rate : 1;
	return c < cap ? c : cap;
}

/* Bring b's level to now at its fill rate. */
static void
refill(struct pace_bucket *b, double cap, double rate, int64_t now)
{
	double	 c;

	/* A lowered setting, or a file from elsewhere, applies at once. */
	if (!(b->rate > 0) || b->rate > rate)
		b->rate = rate;
	if (b->fail == 0)
		b->rate = rate;
	if (now < b->t)		/* the clock went back: start from now */
		b->t = now;
	c = pace_bucket_cap(b, cap, rate);
	b->level += (double)(now - b->t) / 1000.0 * b->rate;
	if (b->level > c)
		b->level = c;
	b->t = now;
}

/* see pace.h */
int64_t
pace_bucket_take(struct pace_bucket *b, double cap, double rate,
    double cost, int64_t now, int64_t max_wait)
{
	double	 c, need, margin;
	int64_t	 wait;

	refill(b, cap, rate, now);
	c = pace_bucket_cap(b, cap, rate);
	if (cost > c)		/* more than it holds: wait for it full */
		cost = c;
	/*
	 * EC2's bucket started when the first call arrived, a little after
	 * it was sent (a new connection's handshakes), so it may lag this
	 * copy: below full, keep PACE_MARGIN_MS of refill in hand.
	 */
	margin = b->level >= c - 1e-9 ? 0 : b->rate * PACE_MARGIN_MS / 1000.0;
	if (b->level - margin >= cost - 1e-9) {
		b->level -= cost;
		return 0;
	}
	need = cost - b->level + margin;
	wait = ceil_pos(need / b->rate * 1000.0);
	if (wait > max_wait)
		return -1;
	b->level -= cost;
	return wait;
}

/* see pace.h */
void
pace_bucket_sent(struct pace_bucket *b, int64_t now)
{
	int64_t	 slot = now - now % PACE_SLOT_MS;
	double	 cur;

	b->mcount += 1;
	if (slot > b->mslot) {
		cur = b->mcount / ((double)(slot - b->mslot) / 1000.0);
		b->mrate = cur * PACE_SMOOTH + b->mrate * (1 - PACE_SMOOTH);
		b->mcount = 0;
		b->mslot = slot;
	} else if (slot < b->mslot)	/* clock went back */
		b->mslot = slot;
}

/* see pace.h */
void
pace_bucket_throttled(struct pace_bucket *b, double cap, double rate,
    int64_t now)
{
	double	 base;

	refill(b, cap, rate, now);
	if (b->level > 0)
		b->level = 0;
	/* Replies to calls sent before the last lowering say nothing new. */
	if (b->fail != 0 && now >= b->fail && now - b->fail < 1000)
		return;
	base = b->rate;
	if (b->mrate > 0 && b->mrate < base)
		base = b->mrate;
	b->wmax = base;
	b->rate = base * PACE_BETA;
	if (b->rate < PACE_MIN_RATE)
		b->rate = PACE_MIN_RATE;
	if (b->rate > rate)
		b->rate = rate;
	b->fail = now;
	if (b->level > pace_bucket_cap(b, cap, rate))
		b->level = pace_bucket_cap(b, cap, rate);
}

/* see pace.h */
void
pace_bucket_ok(struct pace_bucket *b, double cap, double rate, int64_t now)
{
	double	 dt, k, r;

	refill(b, cap, rate, now);
	if (b->fail == 0)
		return;
	dt = (double)(now - b->fail) / 1000.0;
	if (dt < 0)
		dt = 0;
	k = cbrt_pos(b->wmax * (1 - PACE_BETA) / PACE_CUBIC_C);
	r = PACE_CUBIC_C * (dt - k) * (dt - k) * (dt - k) + b->wmax;
	if (r >= rate) {
		b->rate = rate;
		b->fail = 0;
		b->wmax = 0;
		return;
	}
	b->rate = r > PACE_MIN_RATE ? r : PACE_MIN_RATE;
}

/* see pace.h */
const struct error *
pace_new(const struct config *cfg, const char *key, struct pace **out)
{
	const struct error	*e;
	struct pace		*p;
	char			 enc[STATE_ENC_MAX + 1];
	int			 i;

	*out = NULL;
	if (!config_num(cfg, K_EC2_PACING))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->now = wall_ms;
	p->nap = default_nap;
	for (i = 0; i < PACE_NCLASS; i++)
		if (pace_limit_parse(config_str(cfg, class_keys[i]),
		    &p->lim[i]) == -1) {
			free(p);
			return error_fmt(ERR_CONFIG, "%s='%s' is not "
			    "CAP/RATE[,CAP/RATE]",
			    config_keys()[class_keys[i]].name,
			    config_str(cfg, class_keys[i]));
		}
	if ((e = state_dir(cfg, p->dir, sizeof(p->dir))) != NULL ||
	    (e = state_name_encode(key, enc, sizeof(enc))) != NULL ||
	    (e = str_fmt(p->path, sizeof(p->path), "%s/ec2-pace-%s.json",
	    p->dir, enc)) != NULL ||
	    (e = str_fmt(p->lock_path, sizeof(p->lock_path),
	    "%s/ec2-pace-%s.lock", p->dir, enc)) != NULL) {
		log_warn("EC2 pacing is not shared with other ghrctl "
		    "processes: %s", e->msg);
		p->path[0] = '\0';
		p->warned = 1;
	}
	*out = p;
	return NULL;
}

/* see pace.h */
void
pace_free(struct pace *p)
{
	free(p);
}

/* see pace.h */
void
pace_set_clock(struct pace *p, int64_t (*now)(void), void (*nap)(int64_t))
{
	p->now = now != NULL ? now : wall_ms;
	p->nap = nap != NULL ? nap : default_nap;
}

/* Parse the file's text into p's entries (bad lines are dropped). */
static void
parse_file(struct pace *p, char *text)
{
	struct pace_entry	*x;
	char			*line, *next;
	long long		 t, fail, mslot;

	p->n = 0;
	if (!prefixed(text, PACE_MAGIC "\n"))
		return;
	for (line = text + strlen(PACE_MAGIC) + 1; *line != '\0' &&
	    p->n < PACE_MAX_BUCKETS; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			break;		/* a torn last line */
		*next++ = '\0';
		x = &p->e[p->n];
		memset(x, 0, sizeof(*x));
		if (sscanf(line, "%47s %lf %lld %lf %lf %lld %lf %lld %lf",
		    x->name, &x->b.level, &t, &x->b.rate, &x->b.wmax, &fail,
		    &x->b.mrate, &mslot, &x->b.mcount) != 9 ||
		    !isfinite(x->b.level) || !isfinite(x->b.rate) ||
		    !isfinite(x->b.wmax) || !isfinite(x->b.mrate) ||
		    !isfinite(x->b.mcount) || x->b.level < -1e9 ||
		    x->b.level > 1e9)
			continue;
		x->b.t = (int64_t)t;
		x->b.fail = (int64_t)fail;
		x->b.mslot = (int64_t)mslot;
		p->n++;
	}
}

static const struct error *
read_file(struct pace *p)
{
	char		 text[PACE_FILE_MAX + 1];
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;

	p->n = 0;
	if ((fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return NULL;
		return error_errno("cannot open", p->path);
	}
	while (len < PACE_FILE_MAX) {
		r = read(fd, text + len, PACE_FILE_MAX - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	text[len] = '\0';
	parse_file(p, text);
	return NULL;
}

static const struct error *
write_file(struct pace *p)
{
	const struct error	*e = NULL;
	char			 text[PACE_FILE_MAX], tmp[720];
	size_t			 len, i;
	ssize_t			 w, off = 0;
	int			 fd, n;

	len = (size_t)snprintf(text, sizeof(text), "%s\n", PACE_MAGIC);
	for (i = 0; i < p->n; i++) {
		n = snprintf(text + len, sizeof(text) - len,
		    "%s %.6f %lld %.6f %.6f %lld %.6f %lld %.1f\n", p->e[i].name,
		    p->e[i].b.level, (long long)p->e[i].b.t, p->e[i].b.rate,
		    p->e[i].b.wmax, (long long)p->e[i].b.fail,
		    p->e[i].b.mrate, (long long)p->e[i].b.mslot,
		    p->e[i].b.mcount);
		if (n < 0 || (size_t)n >= sizeof(text) - len)
			break;
		len += (size_t)n;
	}
	if ((e = str_fmt(tmp, sizeof(tmp), "%s.XXXXXX", p->path)) != NULL)
		return e;
	/* mkostemp creates it 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return error_errno("cannot create temp file in", p->dir);
	while ((size_t)off < len) {
		w = write(fd, text + off, len - (size_t)off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			e = error_errno("cannot write", tmp);
			break;
		}
		off += w;
	}
	if (close(fd) == -1 && e == NULL)
		e = error_errno("cannot write", tmp);
	if (e == NULL && rename(tmp, p->path) == -1)
		e = error_errno("cannot rename temp file to", p->path);
	if (e != NULL)
		unlink(tmp);
	return e;
}

/*
 * Lock and read the shared file into p (lock fd into *fd, -1 in memory
 * mode).  On failure p falls back to pacing in memory, with one warning.
 */
static void
load(struct pace *p, int *fd)
{
	const struct error	*e = NULL;

	*fd = -1;
	if (p->path[0] == '\0')
		return;
	if (!p->made && (e = state_make_dir(p->dir)) == NULL)
		p->made = 1;
	if (e == NULL && (*fd = open(p->lock_path,
	    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		e = error_errno("cannot open lock file", p->lock_path);
	if (e == NULL) {
		while (flock(*fd, LOCK_EX) == -1) {
			if (errno == EINTR)	/* held for microseconds */
				continue;
			e = error_errno("cannot lock", p->lock_path);
			break;
		}
		if (e == NULL)
			e = read_file(p);
	}
	if (e != NULL) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		if (!p->warned)
			log_warn("EC2 pacing is not shared with other ghrctl "
			    "processes: %s", e->msg);
		p->warned = 1;
		p->path[0] = '\0';
	}
}

static void
store(struct pace *p, int fd)
{
	const struct error	*e;

	if (fd == -1)
		return;
	if ((e = write_file(p)) != NULL && !p->warned) {
		log_warn("EC2 pacing is not shared with other ghrctl "
		    "processes: %s", e->msg);
		p->warned = 1;
	}
	close(fd);	/* unlocks */
}

/* The entry called name (created full when missing). */
static struct pace_bucket *
entry(struct pace *p, const char *name, double cap, double rate, int64_t now)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->e[i].name, name) == 0)
			return &p->e[i].b;
	if (p->n == PACE_MAX_BUCKETS)	/* drop the oldest entry */
		memmove(&p->e[0], &p->e[1], --p->n * sizeof(p->e[0]));
	i = p->n++;
	(void)str_copy(p->e[i].name, sizeof(p->e[i].name), name);
	pace_bucket_init(&p->e[i].b, cap, rate, now);
	return &p->e[i].b;
}

/* see pace.h */
const struct error *
pace_acquire(struct pace *p, const char *action, const char *form,
    int64_t deadline)
{
	struct pace_limit	*l;
	struct pace_bucket	*req, *res = NULL;
	const char		*name;
	char			 rname[PACE_NAME_MAX];
	double			 cost;
	int64_t			 now, left, w1, w2 = 0, wait, end;
	int			 fd;

	if (p == NULL)
		return NULL;
	l = &p->lim[pace_class_of(action, &name)];
	cost = l->res_cap > 0 ? pace_cost(action, form) : 0;
	snprintf(rname, sizeof(rname), "%s/instances", name);
	load(p, &fd);
	now = p->now();
	left = deadline - now_ms();
	if (left < 0)
		left = 0;
	if (sig_stopping())	/* only what is there at once */
		left = 0;
	req = entry(p, name, l->cap, l->rate, now);
	w1 = pace_bucket_take(req, l->cap, l->rate, 1, now, left);
	if (w1 >= 0 && cost > 0) {
		res = entry(p, rname, l->res_cap, l->res_rate, now);
		if ((w2 = pace_bucket_take(res, l->res_cap, l->res_rate, cost,
		    now, left)) < 0)
			req->level += 1;	/* give the request token back */
	}
	if (w1 >= 0 && w2 >= 0)
		pace_bucket_sent(req, now);
	store(p, fd);
	if (w1 < 0 || w2 < 0)
		return error_fmt(ERR_TEMP, "ec2 %s: %s EC2's %s limit (%s) "
		    "for longer than the call may take; other tools of the "
		    "account may be using it: retry later, or raise %s", action,
		    sig_stopping() ? "stopping: would have to wait for" :
		    "would wait for", w1 < 0 ? "request" : "instance", name,
		    config_keys()[class_keys[pace_class_of(action, &name)]].name);
	wait = w1 > w2 ? w1 : w2;
	if (wait <= 0)
		return NULL;
	log_debug("ec2 %s: waiting %lld ms for a token (client-side pacing)",
	    action, (long long)wait);
	end = p->now() + wait;
	while ((left = end - p->now()) > 0) {
		if (sig_stopping())
			return error_fmt(ERR_TEMP, "ec2 %s: interrupted while "
			    "waiting for EC2's %s limit", action, name);
		p->nap(left < PACE_NAP_MS ? left : PACE_NAP_MS);
	}
	return NULL;
}

/* see pace.h */
void
pace_result(struct pace *p, const char *action, const char *code)
{
	struct pace_limit	*l;
	struct pace_bucket	*b;
	const char		*name;
	char			 rname[PACE_NAME_MAX];
	int64_t			 now;
	double			 old;
	int			 fd;

	if (p == NULL)
		return;
	l = &p->lim[pace_class_of(action, &name)];
	load(p, &fd);
	now = p->now();
	b = entry(p, name, l->cap, l->rate, now);
	if (strcmp(code, "RequestResourceCountExceeded") == 0 &&
	    l->res_cap > 0) {
		snprintf(rname, sizeof(rname), "%s/instances", name);
		b = entry(p, rname, l->res_cap, l->res_rate, now);
		pace_bucket_throttled(b, l->res_cap, l->res_rate, now);
		log_info("ec2 %s: RequestResourceCountExceeded: waiting for "
		    "EC2's instance bucket to refill", action);
	} else if (aws_code_throttling(code)) {
		old = b->rate;
		pace_bucket_throttled(b, l->cap, l->rate, now);
		if (b->rate < old)
			log_info("ec2 %s: %s: pacing %s calls at %.2f a "
			    "second (was %.2f): other clients of the account "
			    "use the same limit", action, code, name, b->rate,
			    old);
	} else
		pace_bucket_ok(b, l->cap, l->rate, now);
	store(p, fd);
}
