/* SPDX-License-Identifier: ISC */
#ifndef GHRCTL_DELIVER_H
#define GHRCTL_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "buf.h"
#include "config.h"
#include "error.h"
#include "seal.h"

/*
 * ghrctl's side of late binding (issue 14): hand one instance its runner's
 * JIT config, sealed to the key that instance's `ghrctl boot` published on
 * its serial console, through the instance's tags; works per instance id,
 * whatever started the instance.  See ghrctl-boot(1).
 */

#define DELIVER_KEY_FILE	"signing-key"
#define DELIVER_TTL_S		1800	/* a sealed config's lifetime */

/*
 * ghrctl's ECDSA P-256 signing key from path, made on first use (a 0600
 * file, one line "ghrctl-signing-key v1 HEX").  ERR_DATA for a malformed
 * file, ERR_PERM when it is readable by group or others.
 */
const struct error	*deliver_signing_key(const char *path,
			    struct seal_key *out);

/*
 * The public key instance id published on its console: the last
 * well-formed "ghrctl-boot-key v1 ID KEY CHECK" line of console (pure).
 * ERR_TEMP when there is none (the instance has not booted yet).
 */
const struct error	*deliver_find_key(const char *console, size_t len,
			    const char *id, unsigned char pub[SEAL_PUB_LEN]);

/*
 * Deliver: read id's console (GetConsoleOutput, Latest=true), seal jit to
 * the key found, bound to id, scale set, runner and now + DELIVER_TTL_S,
 * and write it with one CreateTags.  ERR_TEMP when the instance published
 * no key yet (call again later); *nparts (may be NULL) gets the number of
 * tags written.
 */
const struct error	*deliver_to(struct aws *, const struct seal_key *signer,
			    const char *id, const char *scale_set_id,
			    const char *runner, const char *jit, int64_t now,
			    size_t *nparts);

/* Remove the sealed config's tags (nparts, 0: all possible) from id. */
const struct error	*deliver_clear(struct aws *, const char *id,
			    size_t nparts);


/*
 * Pending deliveries survive the process (kill -9 between RunInstances
 * and delivery): one 0600 file per instance in <state dir>/deliver/,
 * written before the delivery is tried, holding the runner's JIT config
 * until it is sealed onto the tags (like the queue token in the state
 * file, a secret in a file only the owner may read).
 */
#define DELIVER_DIR		"deliver"

/*
 * How the instance owed a config comes up: launched (a cold boot), or
 * started from the stopped pool (a quicker boot: its key is looked for
 * on a schedule of its own, see deliver_bg_start()).
 */
#define DELIVER_LAUNCHED	0
#define DELIVER_STARTED		1

/*
 * Record that runner's instance (id, or NULL when not known yet: it is
 * then looked up by its ghrctl:runner tag) of scale set is owed jit; one
 * file per runner name, replaced when called again.  how:
 * DELIVER_LAUNCHED or DELIVER_STARTED.
 */
const struct error	*deliver_add(const char *state_dir, const char *id,
			    const char *scale_set_id, const char *runner,
			    const char *jit, int how);

/* What one deliver_pending() pass did. */
struct deliver_stats {
	unsigned int	 delivered;	/* sealed and tagged now */
	unsigned int	 waiting;	/* no boot key yet */
	unsigned int	 cleared;	/* opened (or expired): tags deleted */
	unsigned int	 gone;		/* instance no longer exists */
	unsigned int	 expired;	/* not delivered in DELIVER_TTL_S */
	unsigned int	 deferred;	/* left for a later pass (max_calls) */
};

/*
 * A pass makes EC2 calls for at most DELIVER_PASS_CALLS records (about
 * two calls each), the next pass going on where this one stopped.  A
 * cron `scale` must deliver a burst in one pass: its instances wait for
 * their configs and JIT configs expire (8 a pass took a burst of 80 some
 * 20 cron minutes).  The calls are paced (pace.h), so even a full pass
 * stays within EC2's request buckets (EC2 API reference, "Request
 * throttling for the Amazon EC2 API"), and the bound keeps a backlog of
 * instances that never boot from holding one pass for long.
 */
#define DELIVER_PASS_CALLS	200

/*
 * One pass over the pending deliveries: seal and tag the instances whose
 * key is on their console, delete the tags of those whose `ghrctl boot`
 * wrote "ghrctl-boot-opened v1 ID" (or whose seal expired), forget
 * instances that are gone and launches not delivered within
 * DELIVER_TTL_S (checked before any call, so a record that is only
 * expired needs no client).  At most max_calls records get EC2 calls,
 * in name order from where the previous pass stopped; the rest are
 * counted deferred.  Errors of one instance are logged and do not
 * stop the others; the first is returned.
 */
const struct error	*deliver_pending(struct aws *, const char *state_dir,
			    const struct seal_key *signer, int64_t now,
			    unsigned int max_calls, struct deliver_stats *);

/*
 * Call fn for each pending delivery: its instance id ("" when not known
 * yet), runner name, and whether the config was delivered.
 */
typedef void		 (*deliver_each_fn)(void *arg, const char *id,
			    const char *runner, int sent);
const struct error	*deliver_each(const struct config *, deliver_each_fn,
			    void *arg);

/* Forget runner's pending delivery (its launch failed). */
const struct error	*deliver_forget(const struct config *,
			    const char *runner);

/*
 * For the scaler, from the configuration (the state directory and
 * DELIVER_KEY_FILE in it): the public signing key for the user data; a
 * launch to record; a pass over the pending deliveries.
 */
const struct error	*deliver_user_key(const struct config *,
			    char out[SEAL_PUB_B64_LEN + 1]);
const struct error	*deliver_launched(const struct config *,
			    const char *id, const char *scale_set_id,
			    const char *runner, const char *jit, int how);
const struct error	*deliver_run(struct aws *, const struct config *,
			    int64_t now);

/*
 * Delivery without waiting for the scaler's passes (poll --follow
 * --scale, whose long poll holds its thread for up to 50 s): a thread
 * with its own EC2 client (own, freed by the caller after
 * deliver_bg_stop()) looks at the pending records on a schedule
 * (deliver_due()).  An instance owed a config gets its first look
 * DELIVER_FIRST_MS after its launch was recorded or, once keys were
 * found, at 1/DELIVER_EARLY_DIV of the quickest launch-to-key time seen
 * so far (at most DELIVER_HOLD_MAX_MS after its launch: boots take
 * about as long as each other, and earlier looks would only spend
 * GetConsoleOutput's bucket; the quickest seen may be one slow boot, so
 * the margin is wide: the twin's cold boots publish their keys between
 * 14 and 20 s), then one every DELIVER_RECHECK_MS, the
 * least recently looked at first; a delivered one is looked at every
 * DELIVER_OPENED_MS for its opened line, every DELIVER_OPENED_BUSY_MS
 * while keys are being found (deleting the sealed tags can wait, a key
 * cannot); a record without an instance id (kill -9 before it was
 * recorded) is looked up every DELIVER_LOOKUP_MS.  A pass takes the due
 * records in that order for at most DELIVER_SLICE_MS, then sorts again;
 * each call waits its turn in the shared EC2 buckets (pace.h), so the
 * looks never go faster than GetConsoleOutput's bucket refills.  While
 * no key of their kind was found for DELIVER_HOT_MS ("cold"), the looks
 * at instances owed a config are spread at DELIVER_COLD_RATE a second in all (at
 * most DELIVER_COLD_BURST at once; instances launched together would
 * otherwise be looked at together, in lumps), half of
 * the bucket's refill, so that the bucket is full when a wave of boots
 * comes; the first key found makes it "hot": the looks go faster, at
 * the refill plus the thread's estimate of the tokens in the bucket over
 * DELIVER_HOT_TAU_MS (87 a second with the bucket full, 40 with 30
 * tokens left, the refill's 20 when empty): the bucket is spent over the wave of keys, not on one
 * round of all instances at its first key (with a burst of 80 keys over
 * 6 s, a simulation of the two gave p95 2.1 s from a key to its look
 * spending the bucket at once, 1.5 s this way).  Launched and started instances (DELIVER_STARTED) are
 * two kinds with a quickest key time and a "hot" of their own: a started
 * instance boots in about half the time of a launched one, so its first
 * look comes from the started ones' quickest, and the records of the
 * kind whose keys come first are looked at first (deliver_ahead(): a
 * burst served by the stopped pool and by launches: the started
 * instances' keys come while the launched ones are still booting; looked
 * at in turn with them, at the cold rate, each started one waited for a
 * round of all, 8 s for 80).  A recorded launch wakes it at once.  While it runs,
 * deliver_run() in the same process does nothing.
 */
#define DELIVER_FIRST_MS	3000
#define DELIVER_EARLY_DIV	2
#define DELIVER_HOLD_MAX_MS	30000
#define DELIVER_RECHECK_MS	250
#define DELIVER_OPENED_MS	5000
#define DELIVER_OPENED_BUSY_MS	30000
#define DELIVER_LOOKUP_MS	10000
#define DELIVER_SLICE_MS	500
#define DELIVER_HOT_MS		5000
#define DELIVER_COLD_RATE	10	/* looks a second in all, cold */
#define DELIVER_COLD_BURST	3	/* of them at once at most */
#define DELIVER_START_FIRST_MS	30000
#define DELIVER_LOOK_CAP	100	/* GetConsoleOutput's request bucket */
#define DELIVER_LOOK_REFILL	20	/* and its refill a second */
#define DELIVER_HOT_TAU_MS	1500

/* One pending record as the delivery thread schedules it. */
struct deliver_slot {
	int	 how;		/* DELIVER_LAUNCHED or DELIVER_STARTED */
	int	 sent;		/* delivered: waiting for the opened line */
	int	 has_id;	/* its instance id is known */
	int	 expired;	/* not delivered within DELIVER_TTL_S */
	int64_t	 born;		/* wall ms its launch was recorded */
	int64_t	 last;		/* wall ms of its last look; 0: none yet */
};

/*
 * When slot is next due (wall ms) at now, and its rank (lower first): 0
 * expired (no call), 1 owed a config, 2 instance id to look up, 3
 * delivered.  key_ms: the quickest launch-to-key time seen for instances
 * of slot's kind (0: none yet); busy: keys are being found while others are owed (opened looks
 * wait).  Pure.
 */
int64_t			 deliver_due(const struct deliver_slot *,
			    int64_t now, int64_t key_ms, int busy,
			    int *rank);

/*
 * 1 when a record owed a config of kind how (DELIVER_LAUNCHED or
 * DELIVER_STARTED), recorded age_ms ago, is looked at before the other
 * records owed one; hot[kind]: that kind's keys are being found.  A
 * started one goes first for DELIVER_START_FIRST_MS (its boot is the
 * quicker: when no key is found yet, or its kind's are) unless only the
 * launched ones' keys are being found; a launched one goes first only
 * then.  Pure.
 */
int			 deliver_ahead(int how, int64_t age_ms, const int hot[2]);

/*
 * While hot: the ms between two looks with level tokens (estimated) in
 * GetConsoleOutput's bucket.  Pure.
 */
int64_t			 deliver_hot_gap(double level);

struct deliver_bg;

const struct error	*deliver_bg_start(const struct config *,
			    struct aws *own, struct deliver_bg **out);
void			 deliver_bg_stop(struct deliver_bg *);
/* 1 while a background deliverer runs in this process. */
int			 deliver_bg_active(void);

/* 1 when console holds "ghrctl-boot-opened v1 ID" for id (pure). */
int			 deliver_opened(const char *console, size_t len,
			    const char *id);

#endif
