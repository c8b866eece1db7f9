/*
 * SPDX-License-Identifier: ISC
 *
 * httpc: a test and bench driver for the transport.
 *
 *   httpc [-n COUNT] [-X METHOD] [-d BODY] [-H 'Name: value'] [-v]
 *         [--ca-file F] [--max-body N] [--read-timeout MS] [--timeout MS]
 *         [--connect-timeout MS] [--allow-http] [--no-redirect] [--retry]
 *         [--resolve NAME:ADDR] URL
 *
 * Makes COUNT sequential requests through one http_client (so keep-alive
 * is exercised), prints the status and body of the last reply on stdout,
 * and "handshakes=N connects=N" on stderr.  Proxies come from the
 * environment as in ghrctl; the CA file from --ca-file or GHRCTL_CA_FILE.
 * Authorization headers given with -H are marked secret.  --resolve makes
 * NAME connect to ADDR (as curl's --resolve), for tests that need a name
 * that is neither loopback nor in DNS.  On error prints
 * "httpc: <message>" and exits with error_exit_status().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "error.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "util.h"

#define MAX_HEADERS	16

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: httpc [-n COUNT] [-X METHOD] [-d BODY] "
	    "[-H 'Name: value'] [-v] [--ca-file F] [--max-body N]\n"
	    "             [--read-timeout MS] [--timeout MS] "
	    "[--connect-timeout MS] [--allow-http]\n"
	    "             [--no-redirect] [--retry] [--resolve NAME:ADDR] "
	    "URL\n");
	exit(64);
}

static const char *
env2(const char *a, const char *b)
{
	const char	*v = getenv(a);

	return v != NULL && *v != '\0' ? v : getenv(b);
}

static int
num(const char *s)
{
	unsigned int	 v = 0;

	if (s == NULL || parse_uint(s, 1000000000u, &v) == -1)
		usage();
	return (int)v;
}

int
main(int argc, char *argv[])
{
	const struct error	*e = NULL;
	struct http_client	*cl = NULL;
	struct http_opts	 o;
	struct http_req		 req;
	struct http_resp	 resp = HTTP_RESP_INIT;
	struct http_header	 hdr[MAX_HEADERS];
	char			*names[MAX_HEADERS];
	size_t			 nh = 0, i;
	const char		*url = NULL, *colon;
	int			 count = 1, retry = 0, n, verbose = 0;

	memset(&o, 0, sizeof(o));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	o.ca_file = getenv("GHRCTL_CA_FILE");
	for (i = 1; i < (size_t)argc; i++) {
		const char	*a = argv[i], *v = argv[i + 1];

		if (strcmp(a, "-n") == 0 && v != NULL)
			count = num(argv[++i]);
		else if (strcmp(a, "-X") == 0 && v != NULL)
			req.method = argv[++i];
		else if (strcmp(a, "-d") == 0 && v != NULL) {
			req.body = argv[++i];
			req.body_len = strlen(v);
		} else if (strcmp(a, "-H") == 0 && v != NULL &&
		    nh < MAX_HEADERS) {
			i++;
			if ((colon = strchr(v, ':')) == NULL)
				usage();
			names[nh] = xstrndup(v, (size_t)(colon - v));
			hdr[nh].name = names[nh];
			hdr[nh].value = colon + 1 + strspn(colon + 1, " ");
			hdr[nh].secret = str_ieq(names[nh], "Authorization");
			if (hdr[nh].secret)
				log_secret(hdr[nh].value);
			nh++;
		} else if (strcmp(a, "-v") == 0)
			verbose = 1;
		else if (strcmp(a, "--ca-file") == 0 && v != NULL)
			o.ca_file = argv[++i];
		else if (strcmp(a, "--max-body") == 0 && v != NULL)
			req.max_body = (size_t)num(argv[++i]);
		else if (strcmp(a, "--read-timeout") == 0 && v != NULL)
			o.read_timeout_ms = num(argv[++i]);
		else if (strcmp(a, "--timeout") == 0 && v != NULL)
			o.total_timeout_ms = num(argv[++i]);
		else if (strcmp(a, "--connect-timeout") == 0 && v != NULL)
			o.connect_timeout_ms = num(argv[++i]);
		else if (strcmp(a, "--allow-http") == 0)
			o.allow_http = 1;
		else if (strcmp(a, "--no-redirect") == 0)
			req.no_redirect = 1;
		else if (strcmp(a, "--retry") == 0)
			retry = 1;
		else if (strcmp(a, "--resolve") == 0 && v != NULL &&
		    (colon = strchr(v, ':')) != NULL) {
			char	*rn = xstrndup(v, (size_t)(colon - v));

			i++;
			net_resolve_override(rn, colon + 1);
			free(rn);
		}
		else if (a[0] != '-' && url == NULL)
			url = a;
		else
			usage();
	}
	if (url == NULL || count < 1)
		usage();
	log_init(verbose ? LOG_TRACE : LOG_WARN, LOG_FMT_TEXT, stderr);
	log_set_cmd("httpc");
	o.https_proxy = env2("HTTPS_PROXY", "https_proxy");
	o.http_proxy = env2("HTTP_PROXY", "http_proxy");
	o.no_proxy = env2("NO_PROXY", "no_proxy");
	req.url = url;
	req.headers = hdr;
	req.nheaders = nh;
	if ((e = http_client_new(&o, &cl)) != NULL)
		goto out;
	for (n = 0; n < count; n++) {
		http_resp_release(&resp);
		if (retry) {
			struct retry_policy	 p = { 4, 100, 5000, 30000 };

			e = call_do(cl, &req, &p, NULL, NULL, &resp);
		} else
			e = http_do(cl, &req, &resp);
		if (e != NULL)
			break;
	}
	if (e == NULL) {
		printf("%d\n", resp.status);
		fwrite(resp.body, 1, resp.body_len, stdout);
	}
out:
	if (cl != NULL)
		fprintf(stderr, "handshakes=%llu connects=%llu\n",
		    (unsigned long long)http_client_handshakes(cl),
		    (unsigned long long)http_client_connects(cl));
	if (e != NULL) {
		char	 msg[ERROR_MSG_MAX + 64];

		log_redact(e->msg, msg, sizeof(msg));
		fprintf(stderr, "httpc: %s\n", msg);
	}
	http_resp_release(&resp);
	http_client_free(cl);
	for (i = 0; i < nh; i++)
		free(names[i]);
	log_secrets_clear();
	fflush(stdout);
	return error_exit_status(e);
}
