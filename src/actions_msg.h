/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_ACTIONS_MSG_H
#define GHRCTL_ACTIONS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/*
 * Pure adapters between the GitHub Actions Service's JSON and typed
 * structs (prefix asmsg_): the runner-registration reply, scale sets,
 * message sessions, the long-poll message envelope with its JSON-in-a-
 * string job array, JIT configs, runner references, error bodies, the
 * admin token's JWT "exp" claim, and the request bodies ghrctl sends.
 * Facts: ../shared/reference/actions-service-protocol.md sections 2.3,
 * 2.4, 3 and 4.  Every parser takes the raw reply (not necessarily
 * NUL-terminated; a UTF-8 BOM is skipped), never keeps a pointer into
 * it, and returns ERR_PROTO naming the field when the shape is wrong.
 * No I/O, no clock: unit-tested and fuzzed (tests/fuzz/fuzz_actions_msg.c).
 */

#define ASMSG_MAX_JOBS		10000	/* per message; the service sends <= 50 */
#define ASMSG_MAX_LABELS	100
#define ASMSG_ID_MAX		64	/* session id (a UUID) */

/* The statistics block of sessions, messages and scale sets. */
struct as_stats {
	int64_t	 available;	/* totalAvailableJobs */
	int64_t	 acquired;	/* totalAcquiredJobs */
	int64_t	 assigned;	/* totalAssignedJobs: scale on this */
	int64_t	 running;	/* totalRunningJobs */
	int64_t	 registered;	/* totalRegisteredRunners */
	int64_t	 busy;		/* totalBusyRunners */
	int64_t	 idle;		/* totalIdleRunners */
};

enum as_job_kind {
	AS_JOB_OTHER = 0,	/* a messageType we do not know: ignored */
	AS_JOB_AVAILABLE,	/* JobAvailable: acquire runnerRequestId */
	AS_JOB_ASSIGNED,	/* JobAssigned */
	AS_JOB_STARTED,		/* JobStarted: runner is busy */
	AS_JOB_COMPLETED	/* JobCompleted: runner is done */
};

/*
 * One job message.  Every string is malloc'd and never NULL ("" when the
 * service left the field out); timestamps are kept as the service's RFC
 * 3339 text ("" or "0001-01-01T00:00:00Z" mean unset).
 */
struct as_job {
	enum as_job_kind kind;
	char		*message_type;
	int64_t		 runner_request_id;
	char		*repository_name;	/* repository name only */
	char		*owner_name;
	char		*job_id;		/* a GUID string */
	char		*job_workflow_ref;
	char		*job_display_name;
	int64_t		 workflow_run_id;
	char		*event_name;
	char		**labels;		/* requestLabels, nlabels */
	size_t		 nlabels;
	char		*queue_time;
	char		*scale_set_assign_time;
	char		*runner_assign_time;
	char		*finish_time;
	char		*acquire_job_url;	/* JobAvailable */
	int64_t		 runner_id;		/* JobStarted, JobCompleted */
	char		*runner_name;		/* JobStarted, JobCompleted */
	char		*result;		/* JobCompleted */
};

/*
 * A malformed part of a message, set aside (quarantined) so that the rest
 * is handled and the message acknowledged: one entry of the job array
 * that is not a valid job message (index >= 0; its compact JSON is what
 * size and sha256 describe), the whole "body" string when it is not a
 * JSON array (ASMSG_BAD_BODY), the "statistics" (ASMSG_BAD_STATS) or the
 * "messageType" (ASMSG_BAD_TYPE) when of the wrong shape.  Never the
 * content itself: it may be anything.
 */
#define ASMSG_BAD_BODY		(-1)
#define ASMSG_BAD_STATS		(-2)
#define ASMSG_BAD_TYPE		(-3)

struct as_bad {
	long		 index;		/* entry, or an ASMSG_BAD_* part */
	size_t		 size;		/* bytes */
	char		 sha256[65];	/* hex digest of those bytes */
	char		 why[256];	/* the parse error (names no content) */
};

/* A long-poll reply (GetMessage 200). */
struct as_message {
	int64_t		 id;		/* messageId */
	char		*type;		/* messageType */
	int		 has_stats;
	struct as_stats	 stats;
	struct as_job	*jobs;		/* parsed from the "body" string */
	size_t		 njobs;
	struct as_bad	*bad;		/* what was set aside, nbad */
	size_t		 nbad;
};

struct as_scale_set {
	int64_t		 id;
	char		*name;
	int64_t		 runner_group_id;
	char		*runner_group_name;
	char		**labels;	/* label names, nlabels */
	size_t		 nlabels;
	int		 has_stats;
	struct as_stats	 stats;
};

/* A message session.  queue_token is a secret. */
struct as_session {
	char		 id[ASMSG_ID_MAX];	/* sessionId */
	char		*owner_name;
	int64_t		 scale_set_id;		/* runnerScaleSet.id, 0 if absent */
	char		*queue_url;		/* messageQueueUrl, absolute */
	char		*queue_token;		/* messageQueueAccessToken */
	int		 has_stats;
	struct as_stats	 stats;
};

/* A runner as the Actions Service reports it. */
struct as_runner {
	int64_t		 id;
	char		*name;
	int64_t		 scale_set_id;
};

void	asmsg_job_release(struct as_job *);
void	asmsg_message_release(struct as_message *);
void	asmsg_scale_set_release(struct as_scale_set *);
void	asmsg_session_release(struct as_session *);
void	asmsg_runner_release(struct as_runner *);

/* "JobAvailable" -> AS_JOB_AVAILABLE ...; AS_JOB_OTHER otherwise. */
enum as_job_kind asmsg_job_kind(const char *message_type);

/*
 * Parse a GetMessage body: {"messageId", "messageType", "body",
 * "statistics"} where body is a string holding a JSON array of job
 * messages (an empty or null body means no jobs).  Envelopes of a type
 * other than RunnerScaleSetJobMessages are returned with njobs 0.  Once
 * the messageId is read, nothing else is an error, so the message can
 * always be acknowledged: a body that is not a JSON array, each entry
 * that is not a valid job message (wrong types; a JobAvailable whose
 * runnerRequestId is missing, not a positive integer, or beyond 2^53),
 * statistics or a messageType of the wrong shape are set aside in bad
 * (type "" and has_stats 0 for the last two) and the rest returned, so
 * one poison part cannot block the queue.  An empty reply, one that is
 * not a JSON object, or one without a readable messageId is ERR_PROTO.  Release with
 * asmsg_message_release() (also on failure).
 */
const struct error	*asmsg_message(const char *body, size_t len,
			    struct as_message *out);

/*
 * Parse a Session (create or refresh reply).  ERR_PROTO when sessionId or
 * the queue token is missing, or messageQueueUrl is empty (a reply the
 * service is known to give during incidents).
 */
const struct error	*asmsg_session(const char *body, size_t len,
			    struct as_session *out);

/* Parse one RunnerScaleSet. */
const struct error	*asmsg_scale_set(const char *body, size_t len,
			    struct as_scale_set *out);

/*
 * Parse a {"count", "value": [RunnerScaleSet]} list: *found is 0 (none),
 * or 1 with *out filled.  More than one is ERR_PROTO.
 */
const struct error	*asmsg_scale_set_list(const char *body, size_t len,
			    struct as_scale_set *out, int *found);

/* Parse a runner-group list; *id of the only group, *found 0 when none. */
const struct error	*asmsg_runner_group_list(const char *body,
			    size_t len, int64_t *id, int *found);

/* Parse a RunnerReference, or a list of them (*found 0 or 1). */
const struct error	*asmsg_runner(const char *body, size_t len,
			    struct as_runner *out);
const struct error	*asmsg_runner_list(const char *body, size_t len,
			    struct as_runner *out, int *found);

/*
 * Parse a JitConfig {"runner", "encodedJITConfig"}.  *jit is malloc'd
 * (a secret: free with secret_free()); runner (may be NULL) is filled.
 */
const struct error	*asmsg_jit(const char *body, size_t len, char **jit,
			    struct as_runner *runner);

/*
 * Parse the runner-registration reply {"url", "token"}: both malloc'd
 * (*token is a secret: secret_free()).  ERR_PROTO when either is empty.
 */
const struct error	*asmsg_registration(const char *body, size_t len,
			    char **url, char **token);

/*
 * Parse an acquirable-jobs list {"count", "value": [AcquirableJob]}: *ids
 * (malloc'd, free()) receives each runnerRequestId.
 */
const struct error	*asmsg_acquirable(const char *body, size_t len,
			    int64_t **ids, size_t *n);

/*
 * Parse an acquire-jobs reply {"count", "value": [ids]}: the ids the
 * service gave this session, *n of them (free(*ids)).  An empty body, or
 * one without a "value" list, is ERR_PROTO: it says nothing about which
 * jobs were acquired.
 */
const struct error	*asmsg_acquired(const char *body, size_t len,
			    int64_t **ids, size_t *n);

/*
 * The service's error body {"typeName", "message"} (or plain text):
 * typename and message receive what was found ("" otherwise).
 */
void			 asmsg_error(const char *body, size_t len,
			    char *type_name, size_t tsize, char *message,
			    size_t msize);

/*
 * The "exp" claim (unix seconds) of a JWT, read without verifying the
 * signature (the service's admin and queue tokens).  ERR_PROTO when the
 * token is not a JWT or has no numeric exp.
 */
const struct error	*asmsg_jwt_exp(const char *token, int64_t *exp);

/* Request bodies. */
const struct error	*asmsg_registration_request(const char *config_url,
			    struct buf *out);
const struct error	*asmsg_scale_set_request(const char *name,
			    int64_t runner_group_id, const char *const *labels,
			    size_t nlabels, struct buf *out);
const struct error	*asmsg_session_request(const char *owner,
			    struct buf *out);
const struct error	*asmsg_jit_request(const char *name,
			    const char *work_folder, struct buf *out);
const struct error	*asmsg_acquire_request(const int64_t *ids, size_t n,
			    struct buf *out);

/*
 * One job as a JSON object on one line (no newline): {"event": type,
 * "runnerRequestId", ...every field of the job in the service's names}.
 * Used for -o json and --exec.
 */
const struct error	*asmsg_job_format(const struct as_job *,
			    struct buf *out);

/* {"event":"statistics", "totalAssignedJobs", ...} on one line. */
const struct error	*asmsg_stats_format(const struct as_stats *,
			    struct buf *out);

/* 1 when the two label lists hold the same names (any order). */
int			 asmsg_labels_equal(char *const *a, size_t na,
			    char *const *b, size_t nb);

#endif
