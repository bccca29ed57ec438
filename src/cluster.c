/*
 * cluster: the project's embedded PostgreSQL and throwaway databases (see
 * cluster.h for the layout and the ownership rules).
 *
 * Server tools run through fork + execv, never a shell. As root, the child
 * switches to the server user (setgid, initgroups, setuid) before exec,
 * because PostgreSQL refuses to run as root; the directories it writes
 * (data, socket) and the log file are created by us and handed to that user.
 */
#include "cluster.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define SERVER_PORT 5432
#define SERVER_SUPERUSER "postgres"
#define SOCKET_NAME ".s.PGSQL.5432"
/* sun_path holds 107 bytes; stay well below it. */
#define SOCKET_PATH_MAX 100
/* Written into the data directory on every start: the socket directory
 * follows the project when it moves. */
#define SOCKET_CONF "ssot_socket.conf"
#define LOG_TAIL_LINES 10

/* ---------------------------------------------------------------- helpers */

/* Forget the detail and hint of an earlier failure. */
static void clear_failure(struct cluster *c)
{
	free(c->detail);
	free(c->hint);
	c->detail = NULL;
	c->hint = NULL;
}

/* Whether server tools must run as another user (ssot runs as root). */
static bool drops_privileges(const struct cluster *c)
{
	return c->server_user != NULL;
}

/* Last non-empty line of `s` into `out` (replacing its content). */
static void last_line(const char *s, struct buf *out)
{
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	const char *start = end;
	while (start > s && start[-1] != '\n')
		start--;
	buf_reset(out);
	buf_add(out, start, (size_t)(end - start));
}

/* Read a whole small file from byte `from` on into `out`. Returns 0 or -1. */
static int read_file_from(const char *path, off_t from, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (from > 0 && lseek(fd, from, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	char chunk[8192];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The last `nlines` non-empty lines of `s` (a fresh string; caller frees). */
static char *tail_lines(const char *s, int nlines)
{
	const char *end = s + strlen(s);
	while (end > s && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	const char *p = end;
	int seen = 0;
	while (p > s) {
		if (p[-1] == '\n' && ++seen == nlines)
			break;
		p--;
	}
	return xstrndup(p, (size_t)(end - p));
}

/*
 * Switch the calling (child) process to the server user. Only called between
 * fork and exec of a single-threaded process. Returns 0 or -1 (errno set).
 */
static int become_server_user(const struct cluster *c)
{
	if (setgid(c->server_gid) < 0 || initgroups(c->server_user, c->server_gid) < 0 ||
	    setuid(c->server_uid) < 0)
		return -1;
	if (setuid(0) == 0) {	/* must be irreversible */
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * Run argv (argv[0] an absolute path, or a name looked up in PATH when `as`
 * is NULL) with stdin from /dev/null and cwd "/", as the server user when
 * `as` drops privileges. The child's file descriptor `capture_fd` (1 or 2) is
 * collected into `out`; the other output goes to /dev/null. Returns the wait
 * status, or -1 with err when no child could be started.
 */
static int run_tool(const struct cluster *as, char *const argv[], int capture_fd,
		    struct buf *out, struct buf *err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		buf_printf(err, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		buf_printf(err, "cannot fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(pfd[1], capture_fd) < 0 ||
		    dup2(devnull, capture_fd == 1 ? 2 : 1) < 0)
			_exit(127);
		if (chdir("/") < 0)
			_exit(127);
		if (as && drops_privileges(as) && become_server_user(as) < 0) {
			dprintf(capture_fd, "cannot switch to user %s: %s\n", as->server_user, strerror(errno));
			_exit(127);
		}
		if (as)
			execv(argv[0], argv);
		else
			execvp(argv[0], argv);
		dprintf(capture_fd, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char chunk[4096];
	for (;;) {
		ssize_t n = read(pfd[0], chunk, sizeof(chunk));
		if (n > 0)
			buf_add(out, chunk, (size_t)n);
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			buf_printf(err, "cannot wait for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	return status;
}

/*
 * Run a server tool (initdb, pg_ctl) and turn a failure into
 * "<what> failed: <its last line of stderr>", the whole stderr as detail.
 * Returns 0 or -1.
 */
static int run_server_tool(struct cluster *c, char *const argv[], const char *what, struct buf *err)
{
	struct buf out = BUF_INIT;
	int status = run_tool(c, argv, 2, &out, err);
	if (status == 0) {
		buf_release(&out);
		return 0;
	}
	if (status != -1) {
		struct buf line = BUF_INIT;
		last_line(out.s, &line);
		if (line.len)
			buf_printf(err, "%s failed: %s", what, line.s);
		else if (WIFSIGNALED(status))
			buf_printf(err, "%s was killed by signal %d", what, WTERMSIG(status));
		else
			buf_printf(err, "%s failed with exit status %d", what, WEXITSTATUS(status));
		buf_rtrim(&out);
		if (out.len && strcmp(out.s, line.s))
			c->detail = buf_detach(&out);
		buf_release(&line);
	}
	buf_release(&out);
	return -1;
}

/*
 * remove_tree's nftw callback: remove one entry (children come first with
 * FTW_DEPTH). The first failure is remembered in remove_errno/remove_path.
 */
static int remove_errno;
static char remove_path[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int rc = (type == FTW_DP) ? rmdir(path) : unlink(path);
	if (rc < 0 && errno != ENOENT) {
		remove_errno = errno;
		snprintf(remove_path, sizeof(remove_path), "%s", path);
		return 1;
	}
	return 0;
}

/* Remove `path` and everything below it, never following symlinks; a
 * missing path is fine. Returns 0 or -1 with err. */
static int remove_tree(const char *path, struct buf *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		buf_printf(err, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	remove_errno = 0;
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		buf_printf(err, "cannot remove %s: %s", remove_errno ? remove_path : path,
			   strerror(remove_errno ? remove_errno : errno));
		return -1;
	}
	return 0;
}

/*
 * Create directory `path` (mode `mode`) unless it exists; then it must be a
 * real directory (not a symlink). When `owner_check`, it must belong to us or
 * to the server user. Finally hand it to the server user with `mode` when
 * `give` (data and socket directories). Returns 0 or -1 with err.
 */
static int make_dir(const struct cluster *c, const char *path, mode_t mode, bool owner_check,
		    bool give, struct buf *err)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		buf_printf(err, "cannot create directory %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) < 0) {
		buf_printf(err, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_printf(err, "refusing to use %s: not a directory", path);
		return -1;
	}
	if (owner_check && st.st_uid != geteuid() && st.st_uid != c->server_uid) {
		buf_printf(err, "refusing to use %s: it belongs to another user (uid %ld)", path,
			   (long)st.st_uid);
		return -1;
	}
	if (!give)
		return 0;
	if ((st.st_uid != c->server_uid || st.st_gid != c->server_gid) &&
	    lchown(path, c->server_uid, c->server_gid) < 0) {
		buf_printf(err, "cannot hand %s to user %s: %s", path,
			   c->server_user ? c->server_user : "?", strerror(errno));
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0) {
		buf_printf(err, "cannot chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Write `content` to `path` atomically (temporary file + rename), readable by
 * the server, owned by the server user. Returns 0 or -1 with err.
 */
static int write_server_file(const struct cluster *c, const char *path, const char *content,
			     struct buf *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t len = strlen(content);
	if (fd < 0)
		goto fail;
	if (write(fd, content, len) != (ssize_t)len || fchown(fd, c->server_uid, c->server_gid) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	buf_printf(err, "cannot write %s: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

/* ------------------------------------------------------------- locating */

/* Pick the user the server runs as when ssot runs as root. Returns 0 or -1. */
static int pick_server_user(struct cluster *c, struct buf *err)
{
	static const char *const candidates[] = { "postgres", "nobody" };
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		struct passwd *pw = getpwnam(candidates[i]);
		if (pw && pw->pw_uid != 0) {
			c->server_user = xstrdup(pw->pw_name);
			c->server_uid = pw->pw_uid;
			c->server_gid = pw->pw_gid;
			return 0;
		}
	}
	buf_adds(err, "no unprivileged user to run PostgreSQL as (tried postgres and nobody)");
	return -1;
}

/* o+x and no access ACL (whose entries could single a user out). */
static bool searchable_by_all(const char *dir)
{
	struct stat st;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IXOTH) &&
	       getxattr(dir, "system.posix_acl_access", NULL, 0) < 0 && (errno == ENODATA || errno == ENOTSUP);
}

/*
 * Whether every user may search every directory from / down to path: no
 * need then to ask as the server user.
 */
static bool anyone_can_reach(const char *path)
{
	if (!searchable_by_all("/"))
		return false;
	char *p = xstrdup(path);
	bool ok = true;
	for (size_t end = 1; ok && end <= strlen(path); end++) {
		if (path[end] != '/' && path[end] != '\0')
			continue;
		p[end] = '\0';
		ok = searchable_by_all(p);
		p[end] = path[end];
	}
	free(p);
	return ok;
}

/*
 * Whether the server user can reach <root>/.ssot: search permission on every
 * directory down to it (or down to the root, when .ssot does not exist yet:
 * we create it 0755). When not every user can, checked by a child that has
 * become that user (initgroups: its groups may grant it).
 */
static bool server_can_reach(const struct cluster *c, const char *local_base)
{
	struct stat st;
	const char *path = stat(local_base, &st) == 0 ? local_base : c->root;
	if (anyone_can_reach(path))
		return true;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (become_server_user(c) < 0)
			_exit(1);
		_exit(access(path, X_OK) == 0 ? 0 : 1);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The first 12 hex digits of the SHA-256 of the project's path, into hex (once). */
static void root_hash(const char *project_root, char *hex)
{
	if (hex[0])
		return;
	hash_sha256_hex(project_root, strlen(project_root), hex);
	hex[12] = '\0';
}

int cluster_locate(struct cluster *c, const char *project_root, struct buf *err)
{
	memset(c, 0, sizeof(*c));
	if (project_root[0] != '/') {
		buf_printf(err, "project root '%s' is not an absolute path", project_root);
		return -1;
	}
	c->root = xstrdup(project_root);
	c->port = SERVER_PORT;
	c->server_uid = geteuid();
	c->server_gid = getegid();

	/* the project's own name for what cannot live in it (the hash only when needed: it loads libcrypto) */
	char hex[HASH_HEX_LEN + 1] = "";

	char *local = xasprintf("%s/.ssot", strcmp(project_root, "/") ? project_root : "");
	if (geteuid() == 0 && pick_server_user(c, err) < 0) {
		free(local);
		cluster_release(c);
		return -1;
	}
	/* pg_ctl starts the server through /bin/sh with the paths in double
	 * quotes: a path those cannot carry must live elsewhere. */
	bool shell_safe = !strpbrk(local, "\"$`\\");
	c->base_in_project = shell_safe && (geteuid() != 0 || server_can_reach(c, local));
	if (c->base_in_project) {
		c->base = local;
	} else {
		c->elsewhere = shell_safe ? xasprintf("user %s cannot reach %s", c->server_user, local)
					  : xasprintf("%s cannot be passed to pg_ctl", local);
		free(local);
		root_hash(project_root, hex);
		c->base = xasprintf("/var/tmp/ssot-%s", hex);
	}
	c->datadir = xasprintf("%s/pg", c->base);
	c->logfile = xasprintf("%s/pg.log", c->base);
	c->sockdir = xasprintf("%s/sock", c->base);
	/* libpq splits host=... on commas, with no way to escape one. */
	if (strlen(c->sockdir) + 1 + strlen(SOCKET_NAME) >= SOCKET_PATH_MAX || strchr(c->sockdir, ',')) {
		free(c->sockdir);
		root_hash(project_root, hex);
		c->sockdir = xasprintf("/tmp/ssot-%s", hex);
	}
	return 0;
}

void cluster_release(struct cluster *c)
{
	free(c->root);
	free(c->base);
	free(c->datadir);
	free(c->sockdir);
	free(c->bindir);
	free(c->logfile);
	free(c->server_user);
	free(c->detail);
	free(c->hint);
	free(c->elsewhere);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ binaries */

/* Whether `dir` holds executable initdb and pg_ctl. */
static bool has_server_binaries(const char *dir)
{
	char *initdb = xasprintf("%s/initdb", dir);
	char *pg_ctl = xasprintf("%s/pg_ctl", dir);
	bool ok = access(initdb, X_OK) == 0 && access(pg_ctl, X_OK) == 0;
	free(initdb);
	free(pg_ctl);
	return ok;
}

/* `pg_config --bindir` when it names server binaries (caller frees), else NULL. */
static char *bindir_from_pg_config(void)
{
	char *argv[] = { (char *)"pg_config", (char *)"--bindir", NULL };
	struct buf out = BUF_INIT, err = BUF_INIT;
	int status = run_tool(NULL, argv, 1, &out, &err);
	buf_release(&err);
	buf_rtrim(&out);
	if (status != 0 || out.s[0] != '/' || !has_server_binaries(out.s)) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out);
}

/* The highest /usr/lib/postgresql/<version>/bin with server binaries, or NULL. */
static char *bindir_from_debian_layout(void)
{
	DIR *d = opendir("/usr/lib/postgresql");
	if (!d)
		return NULL;
	char *best = NULL;
	long best_version = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		int major = 0, minor = 0;
		char rest;
		int n = sscanf(e->d_name, "%d.%d%c", &major, &minor, &rest);
		if (n < 1 || n > 2 || major <= 0)
			continue;
		long version = (long)major * 100 + (n == 2 ? minor : 0);
		char *dir = xasprintf("/usr/lib/postgresql/%s/bin", e->d_name);
		if (version > best_version && has_server_binaries(dir)) {
			free(best);
			best = dir;
			best_version = version;
		} else {
			free(dir);
		}
	}
	closedir(d);
	return best;
}

int cluster_find_bindir(char **bindir, struct buf *err)
{
	const char *env = getenv("SSOT_PG_BINDIR");
	if (env && *env) {
		char *abs = realpath(env, NULL);
		if (abs && has_server_binaries(abs)) {
			*bindir = abs;
			return 0;
		}
		free(abs);
		buf_printf(err, "no PostgreSQL server binaries found (initdb, pg_ctl) in %s (SSOT_PG_BINDIR)", env);
		return -1;
	}
	char *dir = bindir_from_pg_config();
	if (!dir)
		dir = bindir_from_debian_layout();
	if (!dir) {
		buf_adds(err, "no PostgreSQL server binaries found (initdb, pg_ctl)");
		return -1;
	}
	*bindir = dir;
	return 0;
}

/* Fill c->bindir on first need. Returns 0 or -1 with err and hint. */
static int need_bindir(struct cluster *c, struct buf *err)
{
	if (c->bindir)
		return 0;
	if (cluster_find_bindir(&c->bindir, err) < 0) {
		c->hint = xstrdup(CLUSTER_HINT_BINDIR);
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- state */

bool cluster_exists(const struct cluster *c)
{
	char *p = xasprintf("%s/PG_VERSION", c->datadir);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

bool cluster_running(const struct cluster *c)
{
	char *p = xasprintf("%s/postmaster.pid", c->datadir);
	FILE *f = fopen(p, "re");
	free(p);
	if (!f)
		return false;
	long pid = 0;
	int n = fscanf(f, "%ld", &pid);
	fclose(f);
	if (n != 1 || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * Create the base directory and take the exclusive lock on base/lock.
 * Returns the lock's file descriptor (close it to unlock) or -1 with err.
 * The file may be removed by cluster_destroy() while we wait: after locking,
 * make sure the file we hold is still the one at that path.
 */
static int lock_base(struct cluster *c, struct buf *err)
{
	char *path = xasprintf("%s/lock", c->base);
	int fd = -1;
	for (;;) {
		if (c->base_in_project) {
			if (make_dir(c, c->base, 0755, false, false, err) < 0)
				break;
		} else if (make_dir(c, c->base, 0755, true, false, err) < 0) {
			break;
		}
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			buf_printf(err, "cannot open %s: %s", path, strerror(errno));
			break;
		}
		if (flock(fd, LOCK_EX) < 0) {
			buf_printf(err, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			fd = -1;
			break;
		}
		struct stat held, now;
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
		    held.st_dev == now.st_dev && held.st_ino == now.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* ------------------------------------------------------------ creating */

/* C.UTF-8 when this machine has it, else C. */
static const char *initdb_locale(void)
{
	locale_t l = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (!l)
		return "C";
	freelocale(l);
	return "C.UTF-8";
}

/* A postgresql.conf string literal for `s` into `out`. */
static void conf_quote(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addch(out, *s);
		buf_addch(out, *s);
	}
	buf_addch(out, '\'');
}

/* Append our settings to <dir>/postgresql.conf. Returns 0 or -1 with err. */
static int append_settings(const char *dir, struct buf *err)
{
	static const char settings[] =
		"\n"
		"# ssot: embedded development cluster (private Unix socket, no TCP, no durability)\n"
		"listen_addresses = ''\n"
		"port = 5432\n"
		"unix_socket_permissions = 0777\n"
		"fsync = off\n"
		"synchronous_commit = off\n"
		"full_page_writes = off\n"
		"max_locks_per_transaction = 1024\n"
		"max_connections = 100\n"
		"shared_buffers = 128MB\n"
		"logging_collector = off\n"
		"log_destination = 'stderr'\n"
		"include_if_exists = '" SOCKET_CONF "'\n";
	char *path = xasprintf("%s/postgresql.conf", dir);
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || write(fd, settings, sizeof(settings) - 1) != (ssize_t)(sizeof(settings) - 1) ||
	    close(fd) < 0) {
		buf_printf(err, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

/*
 * initdb into base/pg.new, add our settings, then rename it to base/pg, so a
 * data directory with PG_VERSION is always complete even when initdb was
 * killed half way. Called with the lock held. Returns 0 or -1 with err.
 */
static int init_cluster(struct cluster *c, void (*progress)(const char *), struct buf *err)
{
	if (need_bindir(c, err) < 0)
		return -1;
	char *tmp = xasprintf("%s/pg.new", c->base);
	char *initdb = xasprintf("%s/initdb", c->bindir);
	char *locale = xasprintf("--locale=%s", initdb_locale());
	int rc = -1;

	if (remove_tree(tmp, err) < 0 || remove_tree(c->datadir, err) < 0)
		goto out;
	if (progress) {
		char *msg = c->elsewhere ? xasprintf("initialising embedded PostgreSQL in %s (%s)", c->datadir, c->elsewhere)
					 : xasprintf("initialising embedded PostgreSQL in %s", c->datadir);
		progress(msg);
		free(msg);
	}
	if (make_dir(c, tmp, 0700, false, true, err) < 0)
		goto out;
	char *argv[] = { initdb, (char *)"-D", tmp, (char *)"-U", (char *)SERVER_SUPERUSER,
			 (char *)"-A", (char *)"trust", (char *)"-E", (char *)"UTF8", locale,
			 (char *)"--no-sync", NULL };
	if (run_server_tool(c, argv, "initdb", err) < 0 || append_settings(tmp, err) < 0)
		goto out;
	if (rename(tmp, c->datadir) < 0) {
		buf_printf(err, "cannot rename %s to %s: %s", tmp, c->datadir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		struct buf ignore = BUF_INIT;
		remove_tree(tmp, &ignore);
		buf_release(&ignore);
	}
	free(tmp);
	free(initdb);
	free(locale);
	return rc;
}

/* ------------------------------------------------------------- starting */

/* The text after "FATAL:" / "PANIC:" / "ERROR:" of the last such line of a
 * server log into `out`, else its last line. */
static void log_reason(const char *log, struct buf *out)
{
	static const char *const levels[] = { "FATAL:", "PANIC:", "ERROR:" };
	const char *best = NULL, *best_end = NULL;
	for (const char *line = log; *line;) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			const char *hit = strstr(line, levels[i]);
			if (hit && hit < end) {
				best = hit + strlen(levels[i]);
				best_end = end;
				break;
			}
		}
		line = *end ? end + 1 : end;
	}
	if (!best) {
		last_line(log, out);
		return;
	}
	while (best < best_end && *best == ' ')
		best++;
	buf_reset(out);
	buf_add(out, best, (size_t)(best_end - best));
}

/*
 * Start the server with pg_ctl (waiting up to 60 s), after preparing the
 * socket directory, its setting and the log file. Called with the lock held.
 * On failure the reason comes from the new part of the server's log.
 */
static int start_cluster(struct cluster *c, void (*progress)(const char *), struct buf *err)
{
	if (need_bindir(c, err) < 0)
		return -1;
	if (make_dir(c, c->sockdir, 0700, true, true, err) < 0)
		return -1;

	/* The setting is a comma-separated list: quote the one element when
	 * the list syntax needs it. */
	struct buf element = BUF_INIT, conf = BUF_INIT;
	bool quote = strpbrk(c->sockdir, " \t\",") != NULL;
	if (quote)
		buf_addch(&element, '"');
	for (const char *p = c->sockdir; *p; p++) {
		if (*p == '"')
			buf_addch(&element, '"');
		buf_addch(&element, *p);
	}
	if (quote)
		buf_addch(&element, '"');
	buf_adds(&conf, "# written by ssot on every start\nunix_socket_directories = ");
	conf_quote(&conf, element.s);
	buf_addch(&conf, '\n');
	buf_release(&element);
	char *conf_path = xasprintf("%s/%s", c->datadir, SOCKET_CONF);
	int rc = write_server_file(c, conf_path, conf.s, err);
	free(conf_path);
	buf_release(&conf);
	if (rc < 0)
		return -1;

	int fd = open(c->logfile, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || fchown(fd, c->server_uid, c->server_gid) < 0) {
		buf_printf(err, "cannot create %s: %s", c->logfile, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	off_t log_start = st.st_size;

	if (progress) {
		char *msg = xasprintf("starting embedded PostgreSQL (%s)", c->datadir);
		progress(msg);
		free(msg);
	}
	char *pg_ctl = xasprintf("%s/pg_ctl", c->bindir);
	char *argv[] = { pg_ctl, (char *)"-D", c->datadir, (char *)"-l", c->logfile,
			 (char *)"-w", (char *)"-t", (char *)"60", (char *)"-s", (char *)"start", NULL };
	struct buf out = BUF_INIT;
	int status = run_tool(c, argv, 2, &out, err);
	free(pg_ctl);
	if (status == 0) {
		buf_release(&out);
		return 0;
	}
	if (status != -1) {
		struct buf log = BUF_INIT, reason = BUF_INIT;
		read_file_from(c->logfile, log_start, &log);
		if (log.len)
			log_reason(log.s, &reason);
		else	/* pg_ctl's own complaint comes first, "Examine the log" last */
			buf_add(&reason, out.s, strcspn(out.s, "\n"));
		if (reason.len)
			buf_printf(err, "could not start embedded PostgreSQL: %s", reason.s);
		else
			buf_adds(err, "could not start embedded PostgreSQL");
		c->detail = tail_lines(log.len ? log.s : out.s, LOG_TAIL_LINES);
		if (!*c->detail) {
			free(c->detail);
			c->detail = NULL;
		}
		c->hint = xasprintf("the server's log is %s", c->logfile);
		buf_release(&log);
		buf_release(&reason);
	}
	buf_release(&out);
	return -1;
}

/* ------------------------------------------------------------ databases */

/* A notice processor that drops notices ("database does not exist, skipping"). */
static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The first line of libpq's error message for `conn` (or `res`) into err. */
static void add_pq_error(struct buf *err, const char *prefix, PGconn *conn, const PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	if (!m || !*m)
		m = PQerrorMessage(conn);
	size_t n = strcspn(m, "\n");
	const char *sev = "ERROR:  ";
	if (!strncmp(m, sev, strlen(sev))) {
		m += strlen(sev);
		n -= strlen(sev);
	}
	buf_printf(err, "%s: %.*s", prefix, (int)n, m);
}

/* Connect to database `dbname` of the cluster (notices silenced). Returns
 * the connection or NULL with err. The caller PQfinish()es it. */
static PGconn *connect_cluster(const struct cluster *c, const char *dbname, struct buf *err)
{
	char port[16];
	snprintf(port, sizeof(port), "%d", c->port);
	const char *const keys[] = { "host", "port", "user", "dbname", "application_name",
				     "connect_timeout", NULL };
	const char *const vals[] = { c->sockdir, port, SERVER_SUPERUSER, dbname, "ssot", "10", NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(conn) != CONNECTION_OK) {
		add_pq_error(err, "cannot connect to the embedded PostgreSQL", conn, NULL);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet_notices, NULL);
	return conn;
}

/* Run one utility statement; 0 or -1 with "<what>: <server message>". */
static int exec_command(PGconn *conn, const char *sql, const char *what, struct buf *err)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		add_pq_error(err, what, conn, res);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* CREATE DATABASE <name> [TEMPLATE template0]; 0 or -1 with err. */
static int create_database(PGconn *conn, const char *name, bool from_template0, const char *what,
			   struct buf *err)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q) {
		add_pq_error(err, what, conn, NULL);
		return -1;
	}
	char *sql = xasprintf("CREATE DATABASE %s%s", q, from_template0 ? " TEMPLATE template0" : "");
	PQfreemem(q);
	int rc = exec_command(conn, sql, what, err);
	free(sql);
	return rc;
}

/* DROP DATABASE IF EXISTS <name>, disconnecting its sessions (WITH (FORCE)
 * from PostgreSQL 13 on). Notices are silenced for the statement. */
static int drop_database(PGconn *conn, const char *name, const char *what, struct buf *err)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	if (!q) {
		add_pq_error(err, what, conn, NULL);
		return -1;
	}
	char *sql = xasprintf("DROP DATABASE IF EXISTS %s%s", q,
			      PQserverVersion(conn) >= 130000 ? " WITH (FORCE)" : "");
	PQfreemem(q);
	PQnoticeProcessor old = PQsetNoticeProcessor(conn, quiet_notices, NULL);
	int rc = exec_command(conn, sql, what, err);
	PQsetNoticeProcessor(conn, old, NULL);
	free(sql);
	return rc;
}

/* Create the dev database unless it exists. Returns 0 or -1 with err. */
static int ensure_dev_db(struct cluster *c, struct buf *err)
{
	PGconn *conn = connect_cluster(c, "postgres", err);
	if (!conn)
		return -1;
	const char *params[] = { CLUSTER_DEV_DB };
	PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1",
				     1, NULL, params, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		add_pq_error(err, "cannot look up the dev database", conn, res);
		rc = -1;
	} else if (PQntuples(res) == 0) {
		rc = create_database(conn, CLUSTER_DEV_DB, false, "cannot create the dev database", err);
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

int cluster_ensure(struct cluster *c, void (*progress)(const char *msg), struct buf *err)
{
	clear_failure(c);
	/* Missing binaries should leave nothing behind, not even the base. */
	if ((!cluster_exists(c) || !cluster_running(c)) && need_bindir(c, err) < 0)
		return -1;
	int fd = lock_base(c, err);
	if (fd < 0)
		return -1;
	int rc = 0;
	if (!cluster_exists(c))
		rc = init_cluster(c, progress, err);
	if (rc == 0 && !cluster_running(c))
		rc = start_cluster(c, progress, err);
	if (rc == 0)
		rc = ensure_dev_db(c, err);
	close(fd);
	return rc;
}

/* pg_ctl stop -m fast; called with the lock held. */
static int stop_locked(struct cluster *c, struct buf *err)
{
	if (!cluster_running(c))
		return 0;
	if (need_bindir(c, err) < 0)
		return -1;
	char *pg_ctl = xasprintf("%s/pg_ctl", c->bindir);
	char *argv[] = { pg_ctl, (char *)"-D", c->datadir, (char *)"-m", (char *)"fast",
			 (char *)"-w", (char *)"-t", (char *)"60", (char *)"-s", (char *)"stop", NULL };
	int rc = run_server_tool(c, argv, "pg_ctl stop", err);
	free(pg_ctl);
	return rc;
}

int cluster_stop(struct cluster *c, struct buf *err)
{
	clear_failure(c);
	if (!cluster_running(c))
		return 0;
	int fd = lock_base(c, err);
	if (fd < 0)
		return -1;
	int rc = stop_locked(c, err);
	close(fd);
	return rc;
}

int cluster_destroy(struct cluster *c, struct buf *err)
{
	clear_failure(c);
	struct stat st;
	if (lstat(c->base, &st) < 0 && errno == ENOENT && lstat(c->sockdir, &st) < 0)
		return 0;
	int fd = lock_base(c, err);
	if (fd < 0)
		return -1;
	int rc = stop_locked(c, err);
	if (rc == 0) {
		char *tmp = xasprintf("%s/pg.new", c->base);
		char *sock_in_base = xasprintf("%s/sock", c->base);
		bool sock_outside = strcmp(c->sockdir, sock_in_base) != 0;
		if (sock_outside && lstat(c->sockdir, &st) == 0 && st.st_uid != geteuid() &&
		    st.st_uid != c->server_uid) {
			buf_printf(err, "refusing to remove %s: it belongs to another user (uid %ld)",
				   c->sockdir, (long)st.st_uid);
			rc = -1;
		} else if (sock_outside && remove_tree(c->sockdir, err) < 0) {
			rc = -1;
		} else if (c->base_in_project) {
			if (remove_tree(c->datadir, err) < 0 || remove_tree(tmp, err) < 0 ||
			    remove_tree(sock_in_base, err) < 0 || remove_tree(c->logfile, err) < 0)
				rc = -1;
		} else if (remove_tree(c->base, err) < 0) {
			rc = -1;
		}
		free(tmp);
		free(sock_in_base);
	}
	close(fd);
	return rc;
}

int cluster_reset_dev(struct cluster *c, struct buf *err)
{
	clear_failure(c);
	PGconn *conn = connect_cluster(c, "postgres", err);
	if (!conn)
		return -1;
	int rc = drop_database(conn, CLUSTER_DEV_DB, "cannot drop the dev database", err);
	if (rc == 0)
		rc = create_database(conn, CLUSTER_DEV_DB, false, "cannot create the dev database", err);
	PQfinish(conn);
	return rc;
}

/* ---------------------------------------------------------- addresses */

/* Append key=value to a conninfo, quoting the value when libpq needs it. */
static void conninfo_add(struct buf *b, const char *key, const char *val)
{
	if (b->len)
		buf_addch(b, ' ');
	buf_printf(b, "%s=", key);
	bool quote = !*val || strpbrk(val, " \t\n\r\f\v'\\") != NULL;
	if (!quote) {
		buf_adds(b, val);
		return;
	}
	buf_addch(b, '\'');
	for (; *val; val++) {
		if (*val == '\'' || *val == '\\')
			buf_addch(b, '\\');
		buf_addch(b, *val);
	}
	buf_addch(b, '\'');
}

char *cluster_conninfo(const struct cluster *c, const char *dbname)
{
	struct buf b = BUF_INIT;
	char port[16];
	snprintf(port, sizeof(port), "%d", c->port);
	conninfo_add(&b, "host", c->sockdir);
	conninfo_add(&b, "port", port);
	conninfo_add(&b, "user", SERVER_SUPERUSER);
	conninfo_add(&b, "dbname", dbname);
	return buf_detach(&b);
}

/* Percent-encode everything but RFC 3986's unreserved characters. */
static void uri_encode(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			buf_addch(b, (char)*p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

char *cluster_uri(const struct cluster *c, const char *dbname)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "postgresql://" SERVER_SUPERUSER "@/");
	uri_encode(&b, dbname);
	buf_adds(&b, "?host=");
	uri_encode(&b, c->sockdir);
	buf_printf(&b, "&port=%d", c->port);
	return buf_detach(&b);
}

/* ------------------------------------------------------ throwaway dbs */

/*
 * The registry of throwaway databases not dropped yet, with what it takes to
 * reconnect to their server (keywords/values for PQconnectdbParams, both
 * NULL-terminated, all owned here).
 */
struct tempdb {
	char *name;
	char **keys;
	char **vals;
};

static struct tempdb *tempdbs;
static size_t ntempdbs, cap_tempdbs;
static unsigned tempdb_counter;

/* The connection parameters worth keeping to reach the server again. */
static const char *const reconnect_keys[] = {
	"host", "hostaddr", "port", "user", "password", "passfile", "dbname",
	"sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir", "sslpassword",
	"sslsni", "requirepeer", "gssencmode", "krbsrvname", "channel_binding",
	"connect_timeout", NULL
};

/* Whether a conninfo keyword is one of reconnect_keys. */
static bool is_reconnect_key(const char *key)
{
	for (const char *const *k = reconnect_keys; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

/* Register `name` with the parameters of `admin`. */
static void tempdb_register(PGconn *admin, const char *name)
{
	if (ntempdbs == cap_tempdbs) {
		cap_tempdbs = cap_tempdbs ? 2 * cap_tempdbs : 4;
		tempdbs = xrealloc(tempdbs, cap_tempdbs * sizeof(*tempdbs));
	}
	struct tempdb *t = &tempdbs[ntempdbs++];
	size_t n = sizeof(reconnect_keys) / sizeof(reconnect_keys[0]) + 1;
	t->name = xstrdup(name);
	t->keys = xcalloc(n, sizeof(char *));
	t->vals = xcalloc(n, sizeof(char *));
	size_t i = 0;
	bool has_timeout = false;
	PQconninfoOption *opts = PQconninfo(admin);
	for (PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !*o->val || !is_reconnect_key(o->keyword))
			continue;
		has_timeout |= !strcmp(o->keyword, "connect_timeout");
		t->keys[i] = xstrdup(o->keyword);
		t->vals[i] = xstrdup(o->val);
		i++;
	}
	PQconninfoFree(opts);
	if (!has_timeout) {	/* never hang on the way out */
		t->keys[i] = xstrdup("connect_timeout");
		t->vals[i] = xstrdup("10");
	}
}

/* Forget the registry entry at index `i`. */
static void tempdb_forget(size_t i)
{
	struct tempdb *t = &tempdbs[i];
	free(t->name);
	for (size_t k = 0; t->keys[k]; k++) {
		free(t->keys[k]);
		if (t->vals[k])
			explicit_bzero(t->vals[k], strlen(t->vals[k]));
		free(t->vals[k]);
	}
	free(t->keys);
	free(t->vals);
	tempdbs[i] = tempdbs[--ntempdbs];
	if (!ntempdbs) {
		free(tempdbs);
		tempdbs = NULL;
		cap_tempdbs = 0;
	}
}

/* Forget the registry entry for database `name`, if any. */
static void tempdb_forget_name(const char *name)
{
	for (size_t i = 0; i < ntempdbs; i++)
		if (!strcmp(tempdbs[i].name, name)) {
			tempdb_forget(i);
			return;
		}
}

int tempdb_create(PGconn *admin, char **name, struct buf *err)
{
	unsigned char rnd[4];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(rnd, &ts.tv_nsec, sizeof(rnd));
	}
	char *n = xasprintf("ssot_tmp_%ld_%u_%02x%02x%02x%02x", (long)getpid(), ++tempdb_counter,
			    rnd[0], rnd[1], rnd[2], rnd[3]);
	/* Registered first: an interrupted CREATE may still have created it. */
	tempdb_register(admin, n);
	if (create_database(admin, n, true, "cannot create a throwaway database", err) < 0) {
		tempdb_forget_name(n);
		free(n);
		return -1;
	}
	*name = n;
	return 0;
}

int tempdb_drop(PGconn *admin, const char *name, struct buf *err)
{
	if (drop_database(admin, name, "cannot drop throwaway database", err) < 0)
		return -1;
	tempdb_forget_name(name);
	return 0;
}

void tempdb_drop_all(void)
{
	while (ntempdbs) {
		struct tempdb *t = &tempdbs[ntempdbs - 1];
		struct buf err = BUF_INIT;
		PGconn *conn = PQconnectdbParams((const char *const *)t->keys,
						 (const char *const *)t->vals, 0);
		if (PQstatus(conn) != CONNECTION_OK)
			add_pq_error(&err, "cannot connect", conn, NULL);
		else
			drop_database(conn, t->name, "cannot drop it", &err);
		if (err.len)
			fprintf(stderr, "ssot: warning: throwaway database %s was not dropped: %s\n",
				t->name, err.s);
		PQfinish(conn);
		buf_release(&err);
		tempdb_forget(ntempdbs - 1);
	}
}
