/* SPDX-License-Identifier: ISC */
/* PLACEHOLDER: replaced by the transport implementation (issue 2). */
#include <stdlib.h>
#include "http.h"
struct http_client { int dummy; };
const struct error *http_client_new(const struct http_opts *o, struct http_client **out) { (void)o; *out = calloc(1, sizeof(**out)); return NULL; }
void http_client_free(struct http_client *c) { free(c); }
const struct error *http_do(struct http_client *c, const struct http_req *r, struct http_resp *resp) { (void)c; (void)r; (void)resp; return error_fmt(ERR_SOFTWARE, "transport not implemented"); }
const char *http_resp_header(const struct http_resp *r, const char *n) { (void)r; (void)n; return NULL; }
void http_resp_release(struct http_resp *r) { (void)r; }
uint64_t http_client_handshakes(const struct http_client *c) { (void)c; return 0; }
uint64_t http_client_connects(const struct http_client *c) { (void)c; return 0; }
