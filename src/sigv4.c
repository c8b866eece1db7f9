/*
 * SPDX-License-Identifier: ISC
 *
 * AWS Signature Version 4, header form: canonical request, string to sign,
 * signing-key derivation and the Authorization value, with BearSSL's
 * SHA-256 and HMAC.  Pure.  The rules (blank line after the canonical
 * headers, lower-case hex, upper-case %XX, the host with its port, the
 * query sorted by encoded name then value, the path encoded once more)
 * are in the IAM User Guide, "Create a signed AWS API request", and are
 * checked against
 * AWS's published test suite in tests/vectors/sigv4/ and, end to end, by
 * botocore inside tests/fake/aws.py.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bearssl.h>

#include "buf.h"
#include "sigv4.h"
#include "url.h"
#include "util.h"

#define SIGV4_ALGO	"AWS4-HMAC-SHA256"
#define SIGV4_MAX_QUERY	1024		/* parameters in one query string */

struct chdr {
	char		*name;		/* lower case */
	char		*value;		/* trimmed, squeezed */
};

struct qpair {
	char		*name;		/* encoded */
	char		*value;		/* encoded */
};

static const char hexdig[] = "0123456789abcdef";

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* see sigv4.h */
void
sigv4_sha256_hex(const void *p, size_t n, char *out)
{
	br_sha256_context	 c;
	unsigned char		 d[32];

	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, d);
	hex(d, sizeof(d), out);
}

static void
hmac(const void *key, size_t klen, const void *msg, size_t mlen,
    unsigned char out[32])
{
	br_hmac_key_context	 kc;
	br_hmac_context		 hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, mlen);
	br_hmac_out(&hc, out);
	wipe(&kc, sizeof(kc));
	wipe(&hc, sizeof(hc));
}

/* see sigv4.h */
void
sigv4_date(time_t t, char *out)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	if (strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) == 0)
		out[0] = '\0';
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* botocore's ' '.join(value.split()): trim, squeeze runs of blanks. */
static char *
norm_value(const char *v)
{
	char	*out, *o;
	int	 pend = 0;

	out = o = xmalloc(strlen(v) + 1);
	while (is_ws(*v))
		v++;
	for (; *v != '\0'; v++) {
		if (is_ws(*v)) {
			pend = 1;
			continue;
		}
		if (pend)
			*o++ = ' ';
		pend = 0;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

static void
chdrs_free(struct chdr *h, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
}

static const struct error *
canon_headers(const struct sigv4_req *r, struct buf *out, struct buf *sh)
{
	struct chdr		 h[SIGV4_MAX_HEADERS], t;
	const struct error	*e = NULL;
	size_t			 n = 0, i, j;
	char			*p;

	if (r->nheaders > SIGV4_MAX_HEADERS)
		return error_fmt(ERR_SOFTWARE, "sigv4: too many headers");
	for (i = 0; i < r->nheaders; i++) {
		if (r->headers[i].name == NULL || r->headers[i].value == NULL ||
		    strpbrk(r->headers[i].value, "\r\n") != NULL) {
			e = error_fmt(ERR_SOFTWARE, "sigv4: bad header %zu", i);
			goto out;
		}
		h[n].name = xstrdup(r->headers[i].name);
		for (p = h[n].name; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
		h[n].value = norm_value(r->headers[i].value);
		n++;
		/* Insertion sort: stable, so repeated names keep their order. */
		for (j = n - 1; j > 0 && strcmp(h[j - 1].name, h[j].name) > 0;
		    j--) {
			t = h[j];
			h[j] = h[j - 1];
			h[j - 1] = t;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(h[i - 1].name, h[i].name) == 0) {
			if ((e = buf_addf(out, ",%s", h[i].value)) != NULL)
				goto out;
			continue;
		}
		if ((i > 0 && (e = buf_addc(out, '\n')) != NULL) ||
		    (e = buf_addf(out, "%s:%s", h[i].name, h[i].value)) != NULL)
			goto out;
		if (sh != NULL && ((sh->len > 0 && (e = buf_addc(sh, ';')) !=
		    NULL) || (e = buf_adds(sh, h[i].name)) != NULL))
			goto out;
	}
	if (n > 0)
		e = buf_addc(out, '\n');
out:
	chdrs_free(h, n);
	return e;
}

static char *
reencode(const char *s, size_t n, const struct error **ep)
{
	struct buf	 dec = BUF_INIT(SIGV4_MAX_CREQ);
	struct buf	 enc = BUF_INIT(SIGV4_MAX_CREQ);
	char		*r = NULL;

	if ((*ep = url_decode(&dec, s, n)) == NULL &&
	    (*ep = url_encode(&enc, dec.p != NULL ? dec.p : "", dec.len,
	    URL_ENC_UNRESERVED)) == NULL)
		r = enc.p != NULL ? buf_detach(&enc, NULL) : xstrdup("");
	buf_release(&dec);
	buf_release(&enc);
	return r;
}

static int
qpair_cmp(const void *a, const void *b)
{
	const struct qpair	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

static const struct error *
canon_query(const char *q, struct buf *out)
{
	struct qpair		*v = NULL;
	const struct error	*e = NULL;
	const char		*p, *amp, *eq;
	size_t			 n = 0, i;

	if (q == NULL || *q == '\0')
		return NULL;
	v = xcalloc(SIGV4_MAX_QUERY, sizeof(*v));
	for (p = q; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;
		if (n == SIGV4_MAX_QUERY) {
			e = error_fmt(ERR_SOFTWARE, "sigv4: query too long");
			goto out;
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if ((v[n].name = reencode(p, (size_t)(eq - p), &e)) == NULL)
			goto out;
		if (eq < amp)
			eq++;
		if ((v[n].value = reencode(eq, (size_t)(amp - eq), &e)) ==
		    NULL) {
			free(v[n].name);
			goto out;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), qpair_cmp);
	for (i = 0; i < n; i++)
		if ((e = buf_addf(out, "%s%s=%s", i > 0 ? "&" : "", v[i].name,
		    v[i].value)) != NULL)
			goto out;
out:
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	return e;
}

/* see sigv4.h */
const struct error *
sigv4_canonical_request(const struct sigv4_req *r, struct buf *out,
    struct buf *sh)
{
	const struct error	*e;
	struct buf		 tmp = BUF_INIT(SIGV4_MAX_CREQ);
	char			 h[65];

	if ((e = buf_addf(out, "%s\n", r->method)) != NULL)
		return e;
	if (r->path == NULL || r->path[0] == '\0')
		e = buf_addc(out, '/');
	else
		e = url_encode(out, r->path, strlen(r->path), URL_ENC_PATH);
	if (e != NULL || (e = buf_addc(out, '\n')) != NULL)
		return e;
	if ((e = canon_query(r->query, out)) != NULL ||
	    (e = buf_addc(out, '\n')) != NULL)
		return e;
	if ((e = canon_headers(r, out, &tmp)) != NULL)
		goto out;
	if ((e = buf_addf(out, "\n%s\n", tmp.p != NULL ? tmp.p : "")) != NULL)
		goto out;
	sigv4_sha256_hex(r->body != NULL ? r->body : "", r->body_len, h);
	if ((e = buf_adds(out, h)) != NULL)
		goto out;
	if (sh != NULL && tmp.p != NULL)
		e = buf_adds(sh, tmp.p);
out:
	buf_release(&tmp);
	return e;
}

/* The trimmed x-amz-date value into out; -1 when missing or malformed. */
static int
amz_date(const struct sigv4_req *r, char out[SIGV4_DATE_LEN + 1])
{
	const char	*v = NULL;
	size_t		 i, n;

	for (i = 0; i < r->nheaders && v == NULL; i++)
		if (str_ieq(r->headers[i].name, "x-amz-date"))
			v = r->headers[i].value;
	if (v == NULL)
		return -1;
	while (is_ws(*v))
		v++;
	for (n = 0; v[n] != '\0' && !is_ws(v[n]); n++)
		;
	if (n != SIGV4_DATE_LEN)
		return -1;
	for (i = 0; i < n; i++)
		if ((v[i] < '0' || v[i] > '9') && i != 8 && i != 15)
			return -1;
	if (v[8] != 'T' || v[15] != 'Z')
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request") */
static void
signing_key(const struct sigv4_cred *c, const char *date8,
    unsigned char k[32])
{
	size_t	 slen = strlen(c->secret_key);
	char	*ks;

	ks = xmalloc(slen + 5);
	memcpy(ks, "AWS4", 4);
	memcpy(ks + 4, c->secret_key, slen + 1);
	hmac(ks, slen + 4, date8, 8, k);
	wipe(ks, slen + 5);
	free(ks);
	hmac(k, 32, c->region, strlen(c->region), k);
	hmac(k, 32, c->service, strlen(c->service), k);
	hmac(k, 32, "aws4_request", 12, k);
}

/* see sigv4.h */
const struct error *
sigv4_authorization(const struct sigv4_req *r, const struct sigv4_cred *c,
    struct buf *out, struct buf *creq_out, struct buf *sts_out)
{
	const struct error	*e;
	struct buf		 creq = BUF_INIT(SIGV4_MAX_CREQ);
	struct buf		 sh = BUF_INIT(SIGV4_MAX_AUTHZ);
	struct buf		 sts = BUF_INIT(SIGV4_MAX_AUTHZ);
	char			 date[SIGV4_DATE_LEN + 1];
	char			 h[65], date8[9], sig[65];
	unsigned char		 k[32], mac[32];

	if (amz_date(r, date) == -1)
		return error_fmt(ERR_SOFTWARE, "sigv4: no valid X-Amz-Date");
	memcpy(date8, date, 8);
	date8[8] = '\0';
	if ((e = sigv4_canonical_request(r, &creq, &sh)) != NULL)
		goto out;
	sigv4_sha256_hex(creq.p, creq.len, h);
	if ((e = buf_addf(&sts, SIGV4_ALGO "\n%s\n%s/%s/%s/aws4_request\n%s",
	    date, date8, c->region, c->service, h)) != NULL)
		goto out;
	signing_key(c, date8, k);
	hmac(k, sizeof(k), sts.p, sts.len, mac);
	wipe(k, sizeof(k));
	hex(mac, sizeof(mac), sig);
	if ((e = buf_addf(out, SIGV4_ALGO " Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", c->access_key, date8, c->region,
	    c->service, sh.p != NULL ? sh.p : "", sig)) != NULL)
		goto out;
	if (creq_out != NULL)
		e = buf_add(creq_out, creq.p, creq.len);
	if (e == NULL && sts_out != NULL)
		e = buf_add(sts_out, sts.p, sts.len);
out:
	buf_release(&creq);
	buf_release(&sh);
	buf_release(&sts);
	return e;
}
