/*
 * cluster: the project's embedded PostgreSQL, and throwaway databases.
 *
 * The embedded cluster lives under <root>/.ssot/pg, or, when ssot runs as
 * root and the server user (postgres, else nobody) cannot reach that
 * directory, under /var/tmp/ssot-<hash of the project path>/. It listens only
 * on a private Unix socket, never on TCP. As root, every server process
 * (initdb, pg_ctl, postgres) runs as the server user.
 *
 * A `struct cluster` holds paths only (owned strings; cluster_release()).
 */
#ifndef SSOT_CLUSTER_H
#define SSOT_CLUSTER_H

#include "util/buf.h"

#include <libpq-fe.h>
#include <stdbool.h>

#define CLUSTER_DEV_DB "dev"

struct cluster {
	char *root;		/* project root (absolute) */
	char *base;		/* directory holding pg/ and the lock file */
	char *datadir;		/* base/pg */
	char *sockdir;		/* short private socket directory */
	char *bindir;		/* PostgreSQL server binaries */
	int port;
};

/* Work out the paths (creates nothing). Returns 0 or -1 with err. */
int cluster_locate(struct cluster *c, const char *project_root, struct buf *err);
void cluster_release(struct cluster *c);

/* Find initdb/pg_ctl: SSOT_PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/N/bin. */
int cluster_find_bindir(char **bindir, struct buf *err);

bool cluster_exists(const struct cluster *c);
bool cluster_running(const struct cluster *c);
/*
 * Create (initdb) if missing, start if stopped, create the dev database if
 * missing. Serialized across processes by a lock file. `progress` (may be
 * NULL) gets one line per slow step ("initialising ...", "starting ...").
 */
int cluster_ensure(struct cluster *c, void (*progress)(const char *msg), struct buf *err);
int cluster_stop(struct cluster *c, struct buf *err);
/* Drop and re-create the dev database. */
int cluster_reset_dev(struct cluster *c, struct buf *err);
/* libpq conninfo (key=value) for a database of the cluster (caller frees). */
char *cluster_conninfo(const struct cluster *c, const char *dbname);
/* postgresql:// URI for a database of the cluster (caller frees). */
char *cluster_uri(const struct cluster *c, const char *dbname);

/*
 * Throwaway databases: created from template0 on a server reached through
 * `admin` (a connection to any database of it), registered so that
 * tempdb_drop_all() (called on every exit path and after SIGINT) drops them.
 * `name` receives the database name (caller frees).
 */
int tempdb_create(PGconn *admin, char **name, struct buf *err);
int tempdb_drop(PGconn *admin, const char *name, struct buf *err);
void tempdb_drop_all(void);

#endif
