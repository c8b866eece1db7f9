/*
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of configuration resolution and the KEY=VALUE parser, and of
 * log redaction.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "t.h"

T_REGISTER("config", t_config)
T_REGISTER("config_parse", t_config_parse)
T_REGISTER("log", t_log)

/*
 * GITHUB_TOKEN_FILE from the config file does not override GITHUB_TOKEN
 * from the environment (the higher source wins); from the same source the
 * file is read.
 */
static void
t_config_token_file(void)
{
	struct config	 cfg;
	struct cfg_flags fl;
	char		 dir[] = "/tmp/ghrctl-t-config.XXXXXX", cf[64], tf[64];
	char		 ecf[96], etf[96];
	char		*env[] = { ecf, "GITHUB_TOKEN=ghp_fromenv0123", NULL };
	char		*env2[] = { ecf, "GITHUB_TOKEN=ghp_fromenv0123", etf, NULL };
	FILE		*f;

	memset(&fl, 0, sizeof(fl));
	if (!T_TRUE(mkdtemp(dir) != NULL))
		return;
	snprintf(cf, sizeof(cf), "%s/config", dir);
	snprintf(tf, sizeof(tf), "%s/token", dir);
	snprintf(ecf, sizeof(ecf), "GHRCTL_CONFIG=%s", cf);
	snprintf(etf, sizeof(etf), "GITHUB_TOKEN_FILE=%s", tf);
	if ((f = fopen(tf, "w")) != NULL) {
		fputs("ghp_fromfile0123\n", f);
		fclose(f);
	}
	chmod(tf, 0600);
	if ((f = fopen(cf, "w")) != NULL) {
		fprintf(f, "GITHUB_TOKEN_FILE=%s\n", tf);
		fclose(f);
	}
	T_OK(config_resolve(&cfg, &fl, env));
	T_EQ_STR(config_str(&cfg, K_GITHUB_TOKEN), "ghp_fromenv0123");
	config_release(&cfg);
	T_OK(config_resolve(&cfg, &fl, env2));
	T_EQ_STR(config_str(&cfg, K_GITHUB_TOKEN), "ghp_fromfile0123");
	config_release(&cfg);
	unlink(tf);
	unlink(cf);
	rmdir(dir);
}

static void
t_config(void)
{
	struct config	 cfg;
	struct cfg_flags fl;
	char		*env[] = {
		"MAX_RUNNERS=7", "LOG_LEVEL=debug", "RUNNER_TIMEOUT=2h",
		"GITHUB_TOKEN=ghp_secretsecret", "GHRCTL_CONFIG=/nonexistent-dir/x",
		NULL
	};
	char		*env_nofile[] = { "MAX_RUNNERS=7", "HOME=/nonexistent", NULL };
	char		*bad[] = { "MAX_RUNNERS=ten", "HOME=/nonexistent", NULL };
	char		*badd[] = { "RUNNER_TIMEOUT=1 day", "HOME=/nonexistent", NULL };
	const struct error *e;

	memset(&fl, 0, sizeof(fl));
	/* An explicit config file that is missing is an error. */
	T_ERR(config_resolve(&cfg, &fl, env), ERR_CONFIG);
	config_release(&cfg);

	T_OK(config_resolve(&cfg, &fl, env_nofile));
	T_EQ_INT(config_num(&cfg, K_MAX_RUNNERS), 7);
	T_EQ_INT(cfg.v[K_MAX_RUNNERS].src, SRC_ENV);
	T_EQ_STR(cfg.v[K_MAX_RUNNERS].origin, "env MAX_RUNNERS");
	T_EQ_INT(config_num(&cfg, K_MIN_RUNNERS), 0);
	T_EQ_INT(cfg.v[K_MIN_RUNNERS].src, SRC_DEFAULT);
	T_EQ_INT(config_ms(&cfg, K_SESSION_REFRESH_INTERVAL), 55 * 60 * 1000);
	T_EQ_STR(config_str(&cfg, K_RUNNER_GROUP), "Default");
	T_TRUE(!config_is_set(&cfg, K_GITHUB_TOKEN));
	config_release(&cfg);

	/* Flags beat the environment. */
	T_OK(config_flag(&fl, K_MAX_RUNNERS, "max-runners", "3"));
	T_OK(config_resolve(&cfg, &fl, env_nofile));
	T_EQ_INT(config_num(&cfg, K_MAX_RUNNERS), 3);
	T_EQ_STR(cfg.v[K_MAX_RUNNERS].origin, "flag max-runners");
	config_release(&cfg);

	memset(&fl, 0, sizeof(fl));
	e = config_resolve(&cfg, &fl, bad);
	T_ERR(e, ERR_CONFIG);
	T_TRUE(e != NULL && strstr(e->msg, "MAX_RUNNERS='ten'") != NULL);
	T_TRUE(e != NULL && strstr(e->msg, "env MAX_RUNNERS") != NULL);
	config_release(&cfg);
	e = config_resolve(&cfg, &fl, badd);
	T_ERR(e, ERR_CONFIG);
	T_TRUE(e != NULL && strstr(e->msg, "duration") != NULL);
	config_release(&cfg);
	T_EQ_INT(config_key_find("EC2_SUBNET_ID"), K_EC2_SUBNET_ID);
	T_EQ_INT(config_key_find("NOPE"), -1);

	/* MIN_RUNNERS may equal MAX_RUNNERS, never pass it. */
	{
		char	*eq[] = { "MIN_RUNNERS=4", "MAX_RUNNERS=4",
		    "HOME=/nonexistent", NULL };
		char	*more[] = { "MIN_RUNNERS=5", "MAX_RUNNERS=4",
		    "HOME=/nonexistent", NULL };
		char	*deflt[] = { "MIN_RUNNERS=11", "HOME=/nonexistent",
		    NULL };

		T_OK(config_resolve(&cfg, &fl, eq));
		config_release(&cfg);
		e = config_resolve(&cfg, &fl, more);
		T_ERR(e, ERR_CONFIG);
		T_EQ_STR(e != NULL ? e->msg : "", "MIN_RUNNERS=5 (env "
		    "MIN_RUNNERS) is more than MAX_RUNNERS=4 (env MAX_RUNNERS): "
		    "lower MIN_RUNNERS or raise MAX_RUNNERS");
		config_release(&cfg);
		T_ERR(config_resolve(&cfg, &fl, deflt), ERR_CONFIG);
		config_release(&cfg);
	}
	/* Names: any printable byte, no control character. */
	{
		char	*sp[] = { "RUNNER_SCALE_SET_NAME=ci a",
		    "RUNNER_GROUP=g\xc3\xa9 1", "HOME=/nonexistent", NULL };
		char	*nl[] = { "RUNNER_SCALE_SET_NAME=ci\na",
		    "HOME=/nonexistent", NULL };
		char	*esc[] = { "RUNNER_GROUP=\x1b[31mred",
		    "HOME=/nonexistent", NULL };
		char	*del[] = { "RUNNER_SCALE_SET_NAME=a\x7f",
		    "HOME=/nonexistent", NULL };

		T_OK(config_resolve(&cfg, &fl, sp));
		T_EQ_STR(config_str(&cfg, K_RUNNER_SCALE_SET_NAME), "ci a");
		config_release(&cfg);
		e = config_resolve(&cfg, &fl, nl);
		T_ERR(e, ERR_CONFIG);
		T_EQ_STR(e != NULL ? e->msg : "", "env RUNNER_SCALE_SET_NAME: "
		    "RUNNER_SCALE_SET_NAME holds a control character (0x0a at "
		    "byte 2): a name must be printable");
		config_release(&cfg);
		T_ERR(config_resolve(&cfg, &fl, esc), ERR_CONFIG);
		config_release(&cfg);
		T_ERR(config_resolve(&cfg, &fl, del), ERR_CONFIG);
		config_release(&cfg);
		T_OK(config_flag(&fl, K_RUNNER_SCALE_SET_NAME, "scale-set",
		    "x\ty"));
		T_ERR(config_resolve(&cfg, &fl, sp), ERR_CONFIG);
		config_release(&cfg);
		memset(&fl, 0, sizeof(fl));
	}
	t_config_token_file();
}

struct seen {
	char	 text[1024];
};

static const struct error *
collect(void *arg, const char *key, const char *value, int line)
{
	struct seen	*s = arg;
	size_t		 n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%d:%s=%s|", line, key,
	    value);
	return NULL;
}

static void
t_config_parse(void)
{
	struct seen		 s;
	const struct error	*e;

	memset(&s, 0, sizeof(s));
	T_OK(config_parse_text("# comment\n\nA=1\nexport B=\"two words\"\n"
	    "  C = '3' \nD=x # trailing comment\nE=\n", "f", collect, &s));
	T_EQ_STR(s.text, "3:A=1|4:B=two words|5:C=3|6:D=x|7:E=|");
	e = config_parse_text("A=1\nnot a setting\n", "cfg", collect, &s);
	T_ERR(e, ERR_CONFIG);
	T_EQ_STR(e ? e->msg : NULL, "cfg:2: expected KEY=VALUE");
	e = config_parse_text("A=\"open\n", "cfg", collect, &s);
	T_ERR(e, ERR_CONFIG);
	e = config_parse_text("=1\n", "cfg", collect, &s);
	T_ERR(e, ERR_CONFIG);
}

static void
t_log(void)
{
	char	 out[256], jit[32];
	int	 i;

	log_secret("ghp_abcdefghijklmnop");
	log_secret("ab");	/* too short to mask */
	log_redact("token ghp_abcdefghijklmnop used; ab", out, sizeof(out));
	T_EQ_STR(out, "token <redacted> used; ab");
	log_redact("ghp_abcdefghijklmnopghp_abcdefghijklmnop", out, sizeof(out));
	T_EQ_STR(out, "<redacted><redacted>");
	log_redact("xxghp_abcdefghijklmno", out, sizeof(out));
	T_EQ_STR(out, "xxghp_abcdefghijklmno");
	/*
	 * A burst of launches registers a JIT config each, and forgets each
	 * when it is used: the long-lived token stays masked after 100.
	 */
	for (i = 0; i < 100; i++) {
		snprintf(jit, sizeof(jit), "jitconfig-%03d", i);
		log_secret(jit);
		log_redact(jit, out, sizeof(out));
		T_EQ_STR(out, "<redacted>");
		log_secret_forget(jit);
	}
	log_redact(jit, out, sizeof(out));
	T_EQ_STR(out, jit);			/* forgotten */
	log_redact("token ghp_abcdefghijklmnop", out, sizeof(out));
	T_EQ_STR(out, "token <redacted>");
	/* A few more live secrets do not push the token out either. */
	for (i = 0; i < 8; i++) {
		snprintf(jit, sizeof(jit), "queue-token-%03d", i);
		log_secret(jit);
	}
	log_redact("token ghp_abcdefghijklmnop", out, sizeof(out));
	T_EQ_STR(out, "token <redacted>");
	for (i = 0; i < 8; i++) {
		snprintf(jit, sizeof(jit), "queue-token-%03d", i);
		log_secret_forget(jit);
	}
	out[0] = '\0';
	log_json_escape("a\"b\\c\nd\x01", out, sizeof(out));
	T_EQ_STR(out, "a\\\"b\\\\c\\nd\\u0001");
	T_EQ_INT(log_level_parse("DEBUG"), LOG_DEBUG);
	T_EQ_INT(log_level_parse("warning"), LOG_WARN);
	T_EQ_INT(log_level_parse("loud"), -1);
	log_secrets_clear();
}
