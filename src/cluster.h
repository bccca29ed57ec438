/*
 * cluster: the project's embedded PostgreSQL, and throwaway databases.
 *
 * The embedded cluster lives under <root>/.ssot/pg, or under
 * /var/tmp/ssot-<hash of the project path>/ when ssot runs as root and the
 * server user (postgres, else nobody) cannot reach that directory, or when
 * the path holds a character pg_ctl's shell quoting cannot carry (" $ ` \).
 * It listens only on a private Unix socket, never on TCP. As root, every
 * server process (initdb, pg_ctl, postgres) runs as the server user.
 *
 * Layout of `base`: pg/ (the data directory), pg.log (the server's log),
 * sock/ (the socket directory, unless that path is too long for a Unix
 * socket or holds a comma, which libpq cannot take: then /tmp/ssot-<hash>),
 * lock (serializes ssot processes that create, start, stop or remove the
 * cluster).
 *
 * A `struct cluster` holds paths and the server user only; every string is
 * owned by it and freed by cluster_release(). Functions that fail return -1,
 * append a one-line message to `err`, and may leave a longer `detail` (e.g.
 * the server's last log lines) and a `hint` in the struct for the command
 * layer to print; both are owned by the struct and cleared when the next
 * function that takes a non-const cluster starts.
 */
#ifndef SSOT_CLUSTER_H
#define SSOT_CLUSTER_H

#include "util/buf.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

#define CLUSTER_DEV_DB "dev"

/* The hint for "no PostgreSQL server binaries found". */
#define CLUSTER_HINT_BINDIR \
	"install them (apt-get install postgresql-15) or set SSOT_PG_BINDIR to the directory holding initdb and pg_ctl"

struct cluster {
	char *root;		/* project root (absolute) */
	char *base;		/* directory holding pg/ and the lock file */
	char *datadir;		/* base/pg */
	char *sockdir;		/* short private socket directory */
	char *bindir;		/* server binaries; NULL until a step needs them */
	char *logfile;		/* base/pg.log */
	char *server_user;	/* as root: who runs the server; NULL otherwise */
	uid_t server_uid;	/* owner of datadir and sockdir (geteuid() when not root) */
	gid_t server_gid;
	bool base_in_project;	/* base is <root>/.ssot (kept by cluster_destroy) */
	char *elsewhere;	/* why it is not, said when the cluster is made; NULL when it is */
	int port;
	char *detail;		/* detail of the last failure, or NULL */
	char *hint;		/* hint for the last failure, or NULL */
};

/*
 * Work out the paths from the project root alone (creates nothing; as root,
 * unless every user may reach <root>/.ssot, it forks a child that checks, as
 * the server user, whether it can). Returns 0 or -1 with err; on success
 * release with cluster_release().
 */
int cluster_locate(struct cluster *c, const char *project_root, struct buf *err);
void cluster_release(struct cluster *c);

/*
 * Find initdb/pg_ctl: SSOT_PG_BINDIR (only there, when set), else
 * pg_config --bindir when it holds initdb, else the highest
 * /usr/lib/postgresql/N/bin. `*bindir` is absolute; the caller frees it.
 * On failure the command layer should print CLUSTER_HINT_BINDIR.
 */
int cluster_find_bindir(char **bindir, struct buf *err);

/* The data directory has been initialised (PG_VERSION is present). */
bool cluster_exists(const struct cluster *c);
/* postmaster.pid names a live process. */
bool cluster_running(const struct cluster *c);
/*
 * Create (initdb) if missing, start if stopped, create the dev database if
 * missing. Serialized across processes by a lock file. `progress` (may be
 * NULL) gets one line per slow step ("initialising ...", "starting ...").
 */
int cluster_ensure(struct cluster *c, void (*progress)(const char *msg), struct buf *err);
/* Stop the server (fast shutdown) when it runs; 0 when it was not running. */
int cluster_stop(struct cluster *c, struct buf *err);
/*
 * Stop the server when it runs and remove everything it keeps: the whole
 * base directory, or, when base is the project's .ssot, the data directory,
 * log and socket directory (.ssot and its lock file stay).
 */
int cluster_destroy(struct cluster *c, struct buf *err);
/* Drop and re-create the dev database (the server must be running). */
int cluster_reset_dev(struct cluster *c, struct buf *err);
/* libpq conninfo (key=value) for a database of the cluster (caller frees). */
char *cluster_conninfo(const struct cluster *c, const char *dbname);
/* postgresql:// URI for a database of the cluster (caller frees). */
char *cluster_uri(const struct cluster *c, const char *dbname);

/*
 * Throwaway databases: created from template0 on a server reached through
 * `admin` (a connection to any database of it), registered so that
 * tempdb_drop_all() (called on every exit path and after SIGINT) drops them.
 * `name` receives the database name (caller frees). The registry keeps the
 * connection parameters of `admin` (password included, never printed) to
 * reconnect; tempdb_drop() forgets a database once it is dropped.
 * tempdb_drop_all() warns on stderr about a database it could not drop.
 */
int tempdb_create(PGconn *admin, char **name, struct buf *err);
int tempdb_drop(PGconn *admin, const char *name, struct buf *err);
void tempdb_drop_all(void);

#endif
