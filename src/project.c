#include "project.h"
#include "conn.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const phase_names[PHASE_COUNT] = {
	[PHASE_RESET] = "reset",
	[PHASE_PRERUN] = "prerun",
	[PHASE_RUN] = "run",
	[PHASE_SEED] = "seed",
	[PHASE_POSTRUN] = "postrun",
	[PHASE_TESTS] = "tests",
};

const char *phase_name(enum phase ph)
{
	return ph < PHASE_COUNT ? phase_names[ph] : "?";
}

/* Strip surrounding whitespace in place; returns the trimmed start. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

int dotenv_load(const char *path, struct buf *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : (buf_printf(err, "cannot read %s: %s", path, strerror(errno)), -1);
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (!strncmp(s, "export ", 7))
			s = trim(s + 7);
		char *eq = strchr(s, '=');
		if (!eq) {
			buf_printf(err, "%s:%d: expected KEY=VALUE", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t n = strlen(val);
		if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
			char q = val[0];
			val[n - 1] = '\0';
			val++;
			if (q == '"') {	/* \n and \" inside double quotes */
				char *w = val;
				for (char *r = val; *r; r++) {
					if (*r == '\\' && r[1]) {
						r++;
						*w++ = *r == 'n' ? '\n' : *r;
					} else {
						*w++ = *r;
					}
				}
				*w = '\0';
			}
		} else {
			char *hash = strstr(val, " #");	/* trailing comment on unquoted values */
			if (hash)
				*hash = '\0', val = trim(val);
		}
		if (*key)
			setenv(key, val, 0);
	}
	free(line);
	fclose(f);
	return rc;
}

struct conf_state {
	struct project *p;
	const char *dir_opt;
	struct buf msg;
};

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* [env "prod"] -> "prod"; NULL when the section is not an env section. */
static char *env_section_name(const char *section)
{
	if (strncmp(section, "env", 3) != 0)
		return NULL;
	const char *s = section + 3;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return NULL;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_state *st = user;
	struct project *p = st->p;

	if (!strcmp(section, "project")) {
		if (!strcmp(name, "dir")) {
			if (!st->dir_opt) {
				free(p->dir);
				p->dir = xstrdup(value);
			}
		} else if (!strcmp(name, "ledger_schema")) {
			free(p->ledger_schema);
			p->ledger_schema = xstrdup(value);
		} else if (!strcmp(name, "lock_timeout") || !strcmp(name, "wait")) {
			int ms = parse_duration_ms(value);
			if (ms < 0) {
				buf_printf(&st->msg, "invalid duration '%s' for %s (use e.g. 5s, 500ms, 2min)", value, name);
				return 0;
			}
			*(!strcmp(name, "wait") ? &p->wait_ms : &p->lock_timeout_ms) = ms;
		} else {
			buf_printf(&st->msg, "unknown key '%s' in [project] (known: dir, ledger_schema, lock_timeout, wait)", name);
			return 0;
		}
		return 1;
	}

	if (!strcmp(section, "lint")) {
		char **field = !strcmp(name, "disable") ? &p->lint_disable :
			       !strcmp(name, "enable") ? &p->lint_enable :
			       !strcmp(name, "profile") ? &p->lint_profile : NULL;
		if (!field) {
			buf_printf(&st->msg, "unknown key '%s' in [lint] (known: disable, enable, profile)", name);
			return 0;
		}
		free(*field);
		*field = xstrdup(value);
		return 1;
	}

	char *env = env_section_name(section);
	if (!env) {
		buf_printf(&st->msg, "unknown section [%s] (known: [project], [env \"NAME\"], [lint])", section);
		return 0;
	}
	struct project_env *e = NULL;
	for (size_t i = 0; i < p->envs.n; i++)
		if (!strcmp(p->envs.v[i].name, env))
			e = &p->envs.v[i];
	if (!e) {
		struct project_env fresh = { .name = env };
		VEC_PUSH(&p->envs, fresh);
		e = &p->envs.v[p->envs.n - 1];
	} else {
		free(env);
	}
	if (!strcmp(name, "url")) {
		free(e->url);
		e->url = xstrdup(value);
	} else if (!strcmp(name, "url_env")) {
		free(e->url_env);
		e->url_env = xstrdup(value);
	} else if (!strcmp(name, "protected")) {
		if (parse_bool(value, &e->protected_env) < 0) {
			buf_printf(&st->msg, "invalid boolean '%s' for protected (use true or false)", value);
			return 0;
		}
	} else if (!strcmp(name, "lock_timeout")) {
		e->lock_timeout_ms = parse_duration_ms(value);
		if (e->lock_timeout_ms < 0) {
			buf_printf(&st->msg, "invalid duration '%s' for lock_timeout (use e.g. 5s, 500ms)", value);
			return 0;
		}
	} else {
		buf_printf(&st->msg, "unknown key '%s' in [env \"%s\"] (known: url, url_env, protected, lock_timeout)",
			   name, e->name);
		return 0;
	}
	return 1;
}

int project_open(struct project *p, const char *dir_opt, struct buf *err)
{
	char cwd[PATH_MAX];

	memset(p, 0, sizeof(*p));
	if (!getcwd(cwd, sizeof(cwd))) {
		buf_printf(err, "cannot determine the current directory: %s", strerror(errno));
		return -1;
	}
	p->root = xstrdup(cwd);
	p->dir = xstrdup(dir_opt ? dir_opt : "db");
	p->ledger_schema = xstrdup("ssot");
	p->lock_timeout_ms = 5000;
	p->wait_ms = 60000;

	if (dotenv_load(".env", err) < 0)
		return -1;

	if (access("ssot.conf", F_OK) == 0) {
		struct conf_state st = { .p = p, .dir_opt = dir_opt, .msg = BUF_INIT };
		p->has_conf = true;
		int line = ini_parse("ssot.conf", conf_handler, &st);
		if (line != 0) {
			if (line < 0)
				buf_printf(err, "cannot read ssot.conf: %s", strerror(errno));
			else
				buf_printf(err, "ssot.conf:%d: %s", line, st.msg.len ? st.msg.s : "syntax error");
			buf_release(&st.msg);
			return -1;
		}
		buf_release(&st.msg);
	}
	p->dir_path = p->dir[0] == '/' ? xstrdup(p->dir) : xasprintf("%s/%s", p->root, p->dir);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Phase of a path relative to the SQL directory, or -1 when it has none. */
static int classify(const char *rel)
{
	if (ends_with(rel, ".test.sql") || ends_with(rel, ".spec.sql"))
		return PHASE_TESTS;
	for (int ph = PHASE_RESET; ph < PHASE_TESTS; ph++) {
		size_t n = strlen(phase_names[ph]);
		if (!strncmp(rel, phase_names[ph], n) && rel[n] == '/')
			return ph;
	}
	return -1;
}

static int walk(struct project *p, const char *rel, struct buf *err)
{
	char *abs = *rel ? xasprintf("%s/%s", p->dir_path, rel) : xstrdup(p->dir_path);
	DIR *d = opendir(abs);
	if (!d) {
		buf_printf(err, "cannot read directory %s: %s", abs, strerror(errno));
		free(abs);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')	/* ., .., hidden files and editor swap files */
			continue;
		char *child = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		char *child_abs = xasprintf("%s/%s", abs, de->d_name);
		struct stat st;
		if (stat(child_abs, &st) < 0) {
			/* a dangling link or a file removed while we walk: skip it */
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(p, child, err);
		} else if (S_ISREG(st.st_mode) && ends_with(de->d_name, ".sql")) {
			int ph = classify(child);
			if (ph >= 0) {
				struct project_file f = {
					.path = p->dir[0] == '/' ? xstrdup(child_abs) : xasprintf("%s/%s", p->dir, child),
					.fs_path = xstrdup(child_abs),
					.phase = (enum phase)ph,
				};
				VEC_PUSH(&p->files, f);
			}
		}
		free(child);
		free(child_abs);
	}
	closedir(d);
	free(abs);
	return rc;
}

static int file_cmp(const void *a, const void *b)
{
	const struct project_file *x = a, *y = b;
	if (x->phase != y->phase)
		return (int)x->phase - (int)y->phase;
	return strcmp(x->path, y->path);
}

static int hash_file(struct project_file *f, struct buf *err)
{
	FILE *fp = fopen(f->fs_path, "rb");
	if (!fp) {
		buf_printf(err, "cannot open %s: %s", f->path, strerror(errno));
		return -1;
	}
	struct hash_ctx h;
	char chunk[65536];
	size_t n;
	hash_init(&h);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		hash_update(&h, chunk, n);
	hash_final(&h, f->sha256);
	fclose(fp);
	return 0;
}

int project_list(struct project *p, struct buf *err)
{
	struct stat st;
	if (stat(p->dir_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		buf_printf(err, "no SQL directory '%s' in %s (run 'ssot init', or pass --dir)", p->dir, p->root);
		return -1;
	}
	for (size_t i = 0; i < p->files.n; i++) {
		free(p->files.v[i].path);
		free(p->files.v[i].fs_path);
	}
	p->files.n = 0;
	if (walk(p, "", err) < 0)
		return -1;
	qsort(p->files.v, p->files.n, sizeof(*p->files.v), file_cmp);
	return 0;
}

int project_scan(struct project *p, struct buf *err)
{
	if (project_list(p, err) < 0)
		return -1;
	for (size_t i = 0; i < p->files.n; i++)
		if (hash_file(&p->files.v[i], err) < 0)
			return -1;
	return 0;
}

const struct project_env *project_find_env(const struct project *p, const char *name)
{
	for (size_t i = 0; i < p->envs.n; i++)
		if (!strcmp(p->envs.v[i].name, name))
			return &p->envs.v[i];
	return NULL;
}

void project_release(struct project *p)
{
	for (size_t i = 0; i < p->files.n; i++) {
		free(p->files.v[i].path);
		free(p->files.v[i].fs_path);
	}
	VEC_FREE(&p->files);
	for (size_t i = 0; i < p->envs.n; i++) {
		free(p->envs.v[i].name);
		free(p->envs.v[i].url);
		free(p->envs.v[i].url_env);
	}
	VEC_FREE(&p->envs);
	free(p->root);
	free(p->dir);
	free(p->dir_path);
	free(p->ledger_schema);
	free(p->lint_disable);
	free(p->lint_enable);
	free(p->lint_profile);
	memset(p, 0, sizeof(*p));
}
