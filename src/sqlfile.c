/*
 * sqlfile: split a file into statements with libpg_query and classify them.
 *
 * Facts about libpg_query 15-4.0.0 this file relies on (measured, and pinned
 * by tests/unit/test_sqlfile.c):
 *
 *  - RawStmt.stmt_location of every statement but the first is the byte just
 *    after the previous ';', so it includes the whitespace and comments in
 *    between; stmt_len stops before the ';' but includes whitespace and
 *    comments before it; stmt_len 0 means "to the end of the input".
 *  - PgQueryError.cursorpos is 1-based and counts characters, not bytes
 *    (PostgreSQL's scanner_errposition() uses pg_mbstrlen_with_len(), which
 *    steps by the length a UTF-8 lead byte announces, even in Latin-1 text);
 *    an error at the end of input has cursorpos == characters + 1.
 *  - pg_query_scan() reports comments as tokens (SQL_COMMENT, C_COMMENT)
 *    with byte offsets, and a backslash outside a string as its own token.
 *
 * So statement boundaries are the RawStmt ranges with blanks and comments
 * trimmed at both ends; the comments come from the one lexing pass that also
 * finds psql meta-commands (a second pg_query_scan of the file cost a quarter
 * of the parse). pg_query_scan is used only to find the token of a syntax
 * error.
 */
#include "sqlfile.h"

#include "util/xalloc.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Route protobuf-c allocations through xmalloc so out of memory aborts. */
static void *pb_alloc(void *data, size_t size)
{
	(void)data;
	return xmalloc(size ? size : 1);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	free(p);
}

ProtobufCAllocator sqlfile_pb_allocator = { pb_alloc, pb_free, NULL };

/* ---- scanner tokens ---------------------------------------------------- */

struct tokens {
	PgQuery__ScanResult *scan;	/* NULL when the text does not lex */
};

/* Lex `text`; returns 0, or -1 when the text holds a lexer error. */
static int tokens_scan(struct tokens *t, const char *text)
{
	t->scan = NULL;
	PgQueryScanResult r = pg_query_scan(text);
	int rc = -1;
	if (!r.error) {
		t->scan = pg_query__scan_result__unpack(&sqlfile_pb_allocator, r.pbuf.len,
							(const uint8_t *)r.pbuf.data);
		if (!t->scan)
			abort();	/* libpg_query produced protobuf it cannot read */
		rc = 0;
	}
	pg_query_free_scan_result(r);
	return rc;
}

static void tokens_release(struct tokens *t)
{
	if (t->scan)
		pg_query__scan_result__free_unpacked(t->scan, &sqlfile_pb_allocator);
	t->scan = NULL;
}

static bool is_comment(const PgQuery__ScanToken *tok)
{
	return tok->token == PG_QUERY__TOKEN__SQL_COMMENT ||
	       tok->token == PG_QUERY__TOKEN__C_COMMENT;
}

/* Index of the first token that ends after `off` (n_tokens if none). */
static size_t token_at(const struct tokens *t, size_t off)
{
	size_t lo = 0, hi = t->scan->n_tokens;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((size_t)t->scan->tokens[mid]->end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- psql meta-commands ------------------------------------------------ */

/*
 * Character classes of the identifier scan (a table: the meta-command pass
 * looks at every byte of every file). IDENT_START: A-Z a-z _ and bytes
 * >= 0x80; IDENT_CONT: those, 0-9 and $.
 */
enum { IDENT_START = 1, IDENT_CONT = 2 };
static const unsigned char ident_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static bool ident_start(unsigned char c)
{
	return ident_class[c] & IDENT_START;
}

static bool ident_cont(unsigned char c)
{
	return ident_class[c] & IDENT_CONT;
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/*
 * Length of the dollar-quote delimiter ($$ or $tag$) at text[i], or 0 when
 * text[i] does not open one (a tag cannot start with a digit: $1 is a
 * parameter).
 */
static size_t dollar_delim(const char *text, size_t len, size_t i)
{
	size_t j = i + 1;
	if (j < len && ident_start((unsigned char)text[j])) {
		while (j < len && ident_cont((unsigned char)text[j]) && text[j] != '$')
			j++;
	}
	return j < len && text[j] == '$' ? j + 1 - i : 0;
}

/* Offset just past the quoted string opening at text[i] (a quote char). */
static size_t skip_quoted(const char *text, size_t len, size_t i, char q, bool escapes)
{
	for (i++; i < len; i++) {
		if (escapes && text[i] == '\\')
			i++;
		else if (text[i] == q) {
			if (i + 1 < len && text[i + 1] == q)
				i++;
			else
				return i + 1;
		}
	}
	return len;
}

/* Byte ranges of the comments of a file, in order (from the lexing pass). */
struct comment_span {
	size_t start, end;
};

struct comments {
	VEC(struct comment_span) v;
};

static void add_comment(struct comments *c, size_t start, size_t end)
{
	if (!c)
		return;
	VEC_GROW(&c->v, 1);
	c->v.v[c->v.n].start = start;
	c->v.v[c->v.n].end = end;
	c->v.n++;
}

static const char meta_hint[] =
	"ssot runs plain SQL; split the file or use separate files instead of \\i / \\ir; "
	"use SET or a prerun file instead of \\set";

/*
 * Find psql meta-commands the way psql's lexer does: a backslash outside any
 * string, quoted identifier, dollar quote or comment starts one, and its
 * arguments run to the end of the line. A backslash there is never valid SQL,
 * so this cannot misfire on a file the server would accept. Adds one finding
 * per meta-command; returns the offset of the first (or SIZE_MAX if none).
 * The same pass records where the comments are (`comments` may be NULL),
 * which is all the statement boundaries need beyond the parser's ranges.
 */
static size_t find_meta_commands(struct sqlfile *f, struct diag *d, struct comments *comments)
{
	/* The bytes that can start a comment, a quoted token or a meta-command. */
	static const bool special[256] = {
		['-'] = true, ['/'] = true, ['\''] = true, ['"'] = true, ['$'] = true, ['\\'] = true,
	};
	const char *t = f->src.text;
	size_t len = f->src.len, first = SIZE_MAX;
	size_t i = 0;
	size_t done = 0;	/* end of the last token scanned as a whole: look-backs stop there */

	while (i < len) {
		/* Words, numbers, blanks and operators need no attention (the text is NUL-terminated). */
		i += strcspn(t + i, "-/'\"$\\");
		if (i >= len)
			break;
		unsigned char c = (unsigned char)t[i];
		if (!special[c]) {
			i++;	/* a NUL byte inside the file */
			continue;
		}
		if (c == '-' && i + 1 < len && t[i + 1] == '-') {
			size_t s0 = i;
			const char *nl = memchr(t + i, '\n', len - i);
			i = nl ? (size_t)(nl - t) : len;
			add_comment(comments, s0, i);
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			/* PostgreSQL's block comments nest. */
			int depth = 1;
			size_t s0 = i;
			i += 2;
			while (i < len && depth > 0) {
				if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (t[i] == '*' && i + 1 < len && t[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			add_comment(comments, s0, i);
		} else if (c == '\'') {
			/* E'...', the one string form where backslash escapes a quote: a lone E before it. */
			bool e = i > done && (t[i - 1] == 'E' || t[i - 1] == 'e') &&
				 (i - 1 == done || !ident_cont((unsigned char)t[i - 2]));
			i = skip_quoted(t, len, i, '\'', e);
		} else if (c == '"') {
			i = skip_quoted(t, len, i, '"', false);
		} else if (c == '$') {
			/*
			 * In a word that starts with a letter (a$b) '$' is part of
			 * the word: skip the rest of it. After a number or anything
			 * else it may open a dollar quote.
			 */
			size_t w = i;
			while (w > done && ident_cont((unsigned char)t[w - 1]))
				w--;
			if (w < i && ident_start((unsigned char)t[w])) {
				while (i < len && ident_cont((unsigned char)t[i]))
					i++;
			} else {
				size_t dl = dollar_delim(t, len, i);
				if (dl == 0) {
					i++;
					continue;	/* $1 */
				}
				const char *close = memmem(t + i + dl, len - i - dl, t + i, dl);
				i = close ? (size_t)(close - t) + dl : len;
			}
		} else if (c == '\\') {
			size_t s = i++;
			if (i < len && ident_start((unsigned char)t[i])) {
				while (i < len && !is_blank((unsigned char)t[i]) && t[i] != '\\' &&
				       t[i] != '\'' && t[i] != '"')
					i++;
			} else if (i < len && !is_blank((unsigned char)t[i])) {
				i++;
			}
			struct finding *fi = diag_add(d, SEV_ERROR, "psql-meta-command", &f->src, s, i,
						      "psql meta-command %.*s is not SQL",
						      (int)(i - s), t + s);
			diag_set(&fi->hint, meta_hint);
			if (first == SIZE_MAX)
				first = s;
			while (i < len && t[i] != '\n')
				i++;
		} else {
			i++;	/* a lone - or / */
			continue;
		}
		done = i;
	}
	return first;
}

/* ---- syntax errors ----------------------------------------------------- */

/*
 * Span of the token at byte `off` of the source: from the whole-text scan
 * when the text lexes, else from lexing just the rest of that line (the text
 * may hold a lexer error further on), else a point.
 */
static void error_span(struct source *src, size_t off, size_t *start, size_t *end)
{
	struct tokens t;
	*start = *end = off;

	if (tokens_scan(&t, src->text) == 0) {
		if (off >= src->len) {
			/* "at end of input": put the caret after the last token, not
			 * on the blank lines that may follow it. */
			for (size_t k = t.scan->n_tokens; k > 0; k--) {
				if (!is_comment(t.scan->tokens[k - 1])) {
					*start = *end = (size_t)t.scan->tokens[k - 1]->end;
					break;
				}
			}
		} else {
			size_t k = token_at(&t, off);
			if (k < t.scan->n_tokens && (size_t)t.scan->tokens[k]->start <= off)
				*end = (size_t)t.scan->tokens[k]->end;
		}
		tokens_release(&t);
		return;
	}

	size_t line_start, line_end;
	source_line_span(src, off, &line_start, &line_end);
	char *rest = xstrndup(src->text + off, line_end - off);
	if (tokens_scan(&t, rest) == 0) {
		if (t.scan->n_tokens > 0 && t.scan->tokens[0]->start == 0)
			*end = off + (size_t)t.scan->tokens[0]->end;
		tokens_release(&t);
	}
	free(rest);
}

/*
 * Byte offset of PostgreSQL's 1-based character position `pos`. The server
 * (and libpg_query, whose encoding is UTF-8) steps over each character by the
 * length its lead byte announces (pg_utf_mblen()), even in text that is not
 * valid UTF-8, so count the same way rather than by continuation bytes.
 */
static size_t pg_char_offset(const char *text, size_t len, int pos)
{
	size_t off = 0;
	for (int n = 1; n < pos && off < len; n++) {
		unsigned char c = (unsigned char)text[off];
		if ((c & 0xe0) == 0xc0)
			off += 2;
		else if ((c & 0xf0) == 0xe0)
			off += 3;
		else if ((c & 0xf8) == 0xf0)
			off += 4;
		else
			off += 1;
	}
	return off < len ? off : len;
}

static void add_syntax_error(struct sqlfile *f, struct diag *d, const char *message, size_t off)
{
	size_t start, end;
	error_span(&f->src, off, &start, &end);
	diag_add(d, SEV_ERROR, "syntax-error", &f->src, start, end, "%s", message);
}

/* ---- statement kinds --------------------------------------------------- */

static const char *drop_tag(PgQuery__ObjectType t)
{
	switch (t) {
#define X(o, s) case PG_QUERY__OBJECT_TYPE__OBJECT_##o: return "DROP " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	default: return "DROP";
	}
}

static const char *alter_tag(PgQuery__ObjectType t)
{
	switch (t) {
#define X(o, s) case PG_QUERY__OBJECT_TYPE__OBJECT_##o: return "ALTER " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	/* Columns, constraints and attributes belong to their relation. */
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		return "ALTER TABLE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
		return "ALTER TYPE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT:
		return "ALTER DOMAIN";
	default: return "ALTER";
	}
}

static const char *create_tag(PgQuery__ObjectType t)
{
	switch (t) {
#define X(o, s) case PG_QUERY__OBJECT_TYPE__OBJECT_##o: return "CREATE " s;
	SQLFILE_OBJECT_TYPES(X)
#undef X
	default: return "CREATE";
	}
}

static const PgQuery__DefElem *find_defelem(PgQuery__Node **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (list[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(list[i]->def_elem->defname, name) == 0)
			return list[i]->def_elem;
	return NULL;
}

/*
 * Whether a boolean option is on, as PostgreSQL's defGetBoolean() reads it:
 * a bare option is true; `(concurrently false)` arrives as the string
 * "false", `(concurrently 0)` as an integer.
 */
static bool defelem_on(const PgQuery__DefElem *e)
{
	if (!e)
		return false;
	if (!e->arg)
		return true;
	switch (e->arg->node_case) {
	case PG_QUERY__NODE__NODE_INTEGER:
		return e->arg->integer->ival != 0;
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return e->arg->boolean->boolval;
	case PG_QUERY__NODE__NODE_STRING: {
		const char *v = e->arg->string->sval;
		return !(v[0] == 'f' || v[0] == 'F' || v[0] == 'n' || v[0] == 'N' || v[0] == '0' ||
			 strcasecmp(v, "off") == 0 || strcasecmp(v, "of") == 0);
	}
	default:
		return true;
	}
}

static const char *transaction_tag(const PgQuery__TransactionStmt *t, unsigned *flags)
{
	switch (t->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
		*flags |= STMT_TXCTL;
		return "BEGIN";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		*flags |= STMT_TXCTL;
		return "START TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
		*flags |= STMT_TXCTL;
		return "COMMIT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		*flags |= STMT_TXCTL;
		return "ROLLBACK";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
		*flags |= STMT_TXCTL;
		return "PREPARE TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
		*flags |= STMT_TXCTL;
		return "COMMIT PREPARED";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		*flags |= STMT_TXCTL;
		return "ROLLBACK PREPARED";
	/* Savepoints work inside the apply transaction, so they are allowed. */
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
		return "RELEASE";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK TO SAVEPOINT";
	default:
		return "OTHER";
	}
}

static const char *alter_table_tag(const PgQuery__AlterTableStmt *a, unsigned *flags)
{
	for (size_t i = 0; i < a->n_cmds; i++) {
		const PgQuery__Node *n = a->cmds[i];
		if (n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *c = n->alter_table_cmd;
		if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && c->def &&
		    c->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    c->def->partition_cmd->concurrent)
			*flags |= STMT_NONTX;
	}
	return alter_tag(a->objtype);
}

/*
 * Flags and command tag of one statement, following PostgreSQL's own
 * PreventInTransactionBlock() calls for STMT_NONTX and its CreateCommandTag()
 * for the names.
 */
const char *sqlfile_classify(const PgQuery__Node *n, unsigned *flags)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return n->select_stmt->into_clause ? "SELECT INTO" : "SELECT";
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		*flags |= STMT_DML;
		return "INSERT";
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		*flags |= STMT_DML;
		return "UPDATE";
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		*flags |= STMT_DML;
		return "DELETE";
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		*flags |= STMT_DML;
		return "MERGE";
	case PG_QUERY__NODE__NODE_COPY_STMT:
		*flags |= STMT_DML;
		return "COPY";
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		*flags |= STMT_DML;
		return "TRUNCATE TABLE";

	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return transaction_tag(n->transaction_stmt, flags);

	case PG_QUERY__NODE__NODE_DO_STMT:
		*flags |= STMT_DO;
		return "DO";
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		*flags |= STMT_FUNCTION;
		return n->create_function_stmt->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION";

	case PG_QUERY__NODE__NODE_INDEX_STMT:
		if (n->index_stmt->concurrent) {
			*flags |= STMT_NONTX;
			return "CREATE INDEX CONCURRENTLY";
		}
		return "CREATE INDEX";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		if (n->drop_stmt->concurrent) {
			*flags |= STMT_NONTX;
			return "DROP INDEX CONCURRENTLY";
		}
		return drop_tag(n->drop_stmt->remove_type);
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *r = n->reindex_stmt;
		bool concurrently = defelem_on(find_defelem(r->params, r->n_params, "concurrently"));
		if (concurrently || r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
		    r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE)
			*flags |= STMT_NONTX;
		return concurrently ? "REINDEX CONCURRENTLY" : "REINDEX";
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		if (n->vacuum_stmt->is_vacuumcmd) {
			*flags |= STMT_NONTX;
			return "VACUUM";
		}
		return "ANALYZE";
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		/* CLUSTER without a table re-clusters every table, one transaction each. */
		if (!n->cluster_stmt->relation)
			*flags |= STMT_NONTX;
		return "CLUSTER";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		*flags |= STMT_NONTX;
		return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		*flags |= STMT_NONTX;
		return "DROP DATABASE";
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT: {
		const PgQuery__AlterDatabaseStmt *a = n->alter_database_stmt;
		if (find_defelem(a->options, a->n_options, "tablespace"))
			*flags |= STMT_NONTX;
		return "ALTER DATABASE";
	}
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_REFRESH_COLL_STMT:
		return "ALTER DATABASE";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		*flags |= STMT_NONTX;
		return "CREATE TABLESPACE";
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		*flags |= STMT_NONTX;
		return "DROP TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_SPACE_OPTIONS_STMT:
		return "ALTER TABLESPACE";
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		*flags |= STMT_NONTX;
		return "ALTER SYSTEM";
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		*flags |= STMT_NONTX;
		return "CREATE SUBSCRIPTION";
	case PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT:
		*flags |= STMT_NONTX;
		return "ALTER SUBSCRIPTION";
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
		*flags |= STMT_NONTX;
		return "DROP SUBSCRIPTION";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table_tag(n->alter_table_stmt, flags);

	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return "CREATE TABLE";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (n->create_table_as_stmt->is_select_into)
			return "SELECT INTO";
		return n->create_table_as_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
			       ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS";
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		return "CREATE VIEW";
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		return "CREATE SEQUENCE";
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
		return "ALTER SEQUENCE";
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		return "CREATE SCHEMA";
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
		return "CREATE DOMAIN";
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		return "ALTER DOMAIN";
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
	case PG_QUERY__NODE__NODE_CREATE_RANGE_STMT:
		return "CREATE TYPE";
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TYPE_STMT:
		return "ALTER TYPE";
	case PG_QUERY__NODE__NODE_DEFINE_STMT:
		return create_tag(n->define_stmt->kind);
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		return "CREATE TRIGGER";
	case PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT:
		return "CREATE EVENT TRIGGER";
	case PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT:
		return "ALTER EVENT TRIGGER";
	case PG_QUERY__NODE__NODE_RULE_STMT:
		return "CREATE RULE";
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		return "CREATE POLICY";
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
		return "ALTER POLICY";
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		return "CREATE EXTENSION";
	case PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT:
	case PG_QUERY__NODE__NODE_ALTER_EXTENSION_CONTENTS_STMT:
		return "ALTER EXTENSION";
	case PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT:
		return alter_tag(n->alter_function_stmt->objtype);
	case PG_QUERY__NODE__NODE_RENAME_STMT: {
		const PgQuery__RenameStmt *r = n->rename_stmt;
		/* Renaming a column or constraint alters its relation. */
		if (r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN ||
		    r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT)
			return alter_tag(r->relation_type);
		return alter_tag(r->rename_type);
	}
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		return alter_tag(n->alter_object_schema_stmt->object_type);
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
		return alter_tag(n->alter_owner_stmt->object_type);
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_DEPENDS_STMT:
		return alter_tag(n->alter_object_depends_stmt->object_type);
	case PG_QUERY__NODE__NODE_ALTER_TABLE_MOVE_ALL_STMT:
		return alter_tag(n->alter_table_move_all_stmt->objtype);
	case PG_QUERY__NODE__NODE_ALTER_COLLATION_STMT:
		return "ALTER COLLATION";
	case PG_QUERY__NODE__NODE_ALTER_OPERATOR_STMT:
		return "ALTER OPERATOR";
	case PG_QUERY__NODE__NODE_ALTER_OP_FAMILY_STMT:
		return "ALTER OPERATOR FAMILY";
	case PG_QUERY__NODE__NODE_ALTER_TSDICTIONARY_STMT:
		return "ALTER TEXT SEARCH DICTIONARY";
	case PG_QUERY__NODE__NODE_ALTER_TSCONFIGURATION_STMT:
		return "ALTER TEXT SEARCH CONFIGURATION";
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		return "CREATE STATISTICS";
	case PG_QUERY__NODE__NODE_ALTER_STATS_STMT:
		return "ALTER STATISTICS";
	case PG_QUERY__NODE__NODE_CREATE_CAST_STMT:
		return "CREATE CAST";
	case PG_QUERY__NODE__NODE_CREATE_CONVERSION_STMT:
		return "CREATE CONVERSION";
	case PG_QUERY__NODE__NODE_CREATE_OP_CLASS_STMT:
		return "CREATE OPERATOR CLASS";
	case PG_QUERY__NODE__NODE_CREATE_OP_FAMILY_STMT:
		return "CREATE OPERATOR FAMILY";
	case PG_QUERY__NODE__NODE_CREATE_PLANG_STMT:
		return "CREATE LANGUAGE";
	case PG_QUERY__NODE__NODE_CREATE_TRANSFORM_STMT:
		return "CREATE TRANSFORM";
	case PG_QUERY__NODE__NODE_CREATE_AM_STMT:
		return "CREATE ACCESS METHOD";
	case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
		return "CREATE PUBLICATION";
	case PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT:
		return "ALTER PUBLICATION";
	case PG_QUERY__NODE__NODE_CREATE_FDW_STMT:
		return "CREATE FOREIGN DATA WRAPPER";
	case PG_QUERY__NODE__NODE_ALTER_FDW_STMT:
		return "ALTER FOREIGN DATA WRAPPER";
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_SERVER_STMT:
		return "CREATE SERVER";
	case PG_QUERY__NODE__NODE_ALTER_FOREIGN_SERVER_STMT:
		return "ALTER SERVER";
	case PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT:
		return "CREATE FOREIGN TABLE";
	case PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT:
		return "IMPORT FOREIGN SCHEMA";
	case PG_QUERY__NODE__NODE_CREATE_USER_MAPPING_STMT:
		return "CREATE USER MAPPING";
	case PG_QUERY__NODE__NODE_ALTER_USER_MAPPING_STMT:
		return "ALTER USER MAPPING";
	case PG_QUERY__NODE__NODE_DROP_USER_MAPPING_STMT:
		return "DROP USER MAPPING";
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return "REFRESH MATERIALIZED VIEW";
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		return "COMMENT";
	case PG_QUERY__NODE__NODE_SEC_LABEL_STMT:
		return "SECURITY LABEL";
	case PG_QUERY__NODE__NODE_GRANT_STMT:
		return n->grant_stmt->is_grant ? "GRANT" : "REVOKE";
	case PG_QUERY__NODE__NODE_GRANT_ROLE_STMT:
		return n->grant_role_stmt->is_grant ? "GRANT ROLE" : "REVOKE ROLE";
	case PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT:
		return "ALTER DEFAULT PRIVILEGES";
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		switch (n->create_role_stmt->stmt_type) {
		case PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_USER: return "CREATE USER";
		case PG_QUERY__ROLE_STMT_TYPE__ROLESTMT_GROUP: return "CREATE GROUP";
		default: return "CREATE ROLE";
		}
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT:
		return "ALTER ROLE";
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT:
		return "DROP ROLE";
	case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
		return "DROP OWNED";
	case PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT:
		return "REASSIGN OWNED";
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
		switch (n->variable_set_stmt->kind) {
		case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
		case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
			return "RESET";
		default:
			return "SET";
		}
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
		return "SHOW";
	case PG_QUERY__NODE__NODE_CONSTRAINTS_SET_STMT:
		return "SET CONSTRAINTS";
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		return "DISCARD";
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		return "LOCK TABLE";
	case PG_QUERY__NODE__NODE_CALL_STMT:
		return "CALL";
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
		return "EXPLAIN";
	case PG_QUERY__NODE__NODE_NOTIFY_STMT:
		return "NOTIFY";
	case PG_QUERY__NODE__NODE_LISTEN_STMT:
		return "LISTEN";
	case PG_QUERY__NODE__NODE_UNLISTEN_STMT:
		return "UNLISTEN";
	case PG_QUERY__NODE__NODE_LOAD_STMT:
		return "LOAD";
	case PG_QUERY__NODE__NODE_CHECK_POINT_STMT:
		return "CHECKPOINT";
	case PG_QUERY__NODE__NODE_PREPARE_STMT:
		return "PREPARE";
	case PG_QUERY__NODE__NODE_EXECUTE_STMT:
		return "EXECUTE";
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT:
		return "DEALLOCATE";
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT:
		return "DECLARE CURSOR";
	case PG_QUERY__NODE__NODE_FETCH_STMT:
		return n->fetch_stmt->ismove ? "MOVE" : "FETCH";
	case PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT:
		return "CLOSE CURSOR";
	default:
		return "OTHER";
	}
}

const char *sqlfile_option_string(PgQuery__Node *const *opts, size_t n, const char *name)
{
	const PgQuery__DefElem *e = find_defelem((PgQuery__Node **)opts, n, name);
	if (!e || !e->arg)
		return NULL;
	const PgQuery__Node *v = e->arg;
	if (v->node_case == PG_QUERY__NODE__NODE_LIST && v->list->n_items)
		v = v->list->items[0];
	return v->node_case == PG_QUERY__NODE__NODE_STRING ? v->string->sval : NULL;
}

/* ---- bodies ------------------------------------------------------------ */

/*
 * Skip blanks and comments forward from byte i (up to end). `k` is a cursor
 * into the comment ranges, advanced monotonically by the caller.
 */
static size_t skip_forward(const char *text, size_t i, size_t end, const struct comments *c, size_t *k)
{
	for (;;) {
		while (i < end && is_blank((unsigned char)text[i]))
			i++;
		while (*k < c->v.n && c->v.v[*k].end <= i)
			(*k)++;
		if (*k < c->v.n && c->v.v[*k].start == i && i < end) {
			i = c->v.v[*k].end;
			continue;
		}
		return i;
	}
}

/* Skip blanks and comments backward from byte e (down to start). */
static size_t skip_backward(const char *text, size_t start, size_t e, const struct comments *c)
{
	for (;;) {
		while (e > start && is_blank((unsigned char)text[e - 1]))
			e--;
		/* the last comment that ends at or before e */
		size_t lo = 0, hi = c->v.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->v.v[mid].end <= e)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && c->v.v[lo - 1].end == e && c->v.v[lo - 1].start >= start && e > start) {
			e = c->v.v[lo - 1].start;
			continue;
		}
		return e;
	}
}

/* Location of the "as" option of a DO or CREATE FUNCTION node, or -1. */
static int as_location(const PgQuery__Node *n)
{
	const PgQuery__DefElem *as = NULL;
	if (n->node_case == PG_QUERY__NODE__NODE_DO_STMT)
		as = find_defelem(n->do_stmt->args, n->do_stmt->n_args, "as");
	else if (n->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
		as = find_defelem(n->create_function_stmt->options,
				  n->create_function_stmt->n_options, "as");
	return as ? as->location : -1;
}

/*
 * body_start of a DO block or function: the grammar records the "as" option
 * at the string constant for DO and at the AS keyword for CREATE FUNCTION, so
 * the body is the first string constant at or after that location: $tag$,
 * '...', E'...' or U&'...'. Functions with a SQL-standard body (BEGIN ATOMIC,
 * RETURN) have no "as".
 */
static size_t body_start(const struct sqlfile *f, const struct comments *c, int as_location)
{
	if (as_location < 0)
		return 0;

	const char *t = f->src.text;
	size_t len = f->src.len, k = 0;
	size_t i = skip_forward(t, (size_t)as_location, len, c, &k);
	if (i + 2 <= len && strncasecmp(t + i, "as", 2) == 0 && (i + 2 == len || !ident_cont((unsigned char)t[i + 2])))
		i = skip_forward(t, i + 2, len, c, &k);
	if (i >= len)
		return 0;
	if (t[i] == '$') {
		size_t dl = dollar_delim(t, len, i);
		return dl ? i + dl : 0;
	}
	if (t[i] == 'E' || t[i] == 'e')
		i++;
	else if ((t[i] == 'U' || t[i] == 'u') && i + 1 < len && t[i + 1] == '&')
		i += 2;
	return i < len && t[i] == '\'' ? i + 1 : 0;
}

/* ---- splitting --------------------------------------------------------- */

/* Byte range of a RawStmt without surrounding whitespace and comments. */
static void stmt_range(const struct sqlfile *f, const struct comments *c, size_t *cursor,
		       const struct sqlfile_parsed *p, size_t *start, size_t *end)
{
	size_t from = (size_t)p->location;
	size_t to = p->len ? from + (size_t)p->len : f->src.len;
	*start = skip_forward(f->src.text, from, to, c, cursor);
	*end = skip_backward(f->src.text, *start, to, c);
}

/*
 * The protobuf parser of sqlfile_load(): f->tree is what apply, verify and
 * diff walk.
 */
struct pb_parse {
	struct sqlfile *f;
	PgQueryProtobufParseResult r;
	VEC(struct sqlfile_parsed) stmts;
};

static int pb_parse(void *ctx, const char *text, struct sqlfile_parse *out)
{
	struct pb_parse *p = ctx;
	p->r = pg_query_parse_protobuf(text);
	if (p->r.error) {
		out->cursorpos = p->r.error->cursorpos;
		out->message = p->r.error->message;
		return -1;
	}
	struct sqlfile *f = p->f;
	f->tree = pg_query__parse_result__unpack(&sqlfile_pb_allocator, p->r.parse_tree.len,
						 (const uint8_t *)p->r.parse_tree.data);
	if (!f->tree)
		abort();	/* libpg_query produced protobuf it cannot read */
	for (size_t i = 0; i < f->tree->n_stmts; i++) {
		const PgQuery__RawStmt *raw = f->tree->stmts[i];
		struct sqlfile_parsed s = { .location = raw->stmt_location, .len = raw->stmt_len };
		s.tag = sqlfile_classify(raw->stmt, &s.flags);
		s.as_location = s.flags & (STMT_DO | STMT_FUNCTION) ? as_location(raw->stmt) : -1;
		VEC_PUSH(&p->stmts, s);
	}
	out->stmts = p->stmts.v;
	out->n = p->stmts.n;
	return 0;
}

static int split(struct sqlfile *f, struct diag *d, sqlfile_parse_fn *parse, void *ctx)
{
	struct comments comments = { .v = VEC_INIT };
	size_t first_meta = find_meta_commands(f, d, &comments);
	int rc = first_meta == SIZE_MAX ? 0 : 1;

	struct sqlfile_parse out = { 0 };
	if (parse(ctx, f->src.text, &out) < 0) {
		size_t off = pg_char_offset(f->src.text, f->src.len, out.cursorpos);
		/* A parser error at or after a meta-command is that meta-command. */
		if (off < first_meta)
			add_syntax_error(f, d, out.message, off);
		VEC_FREE(&comments.v);
		return 1;
	}

	size_t cursor = 0;
	VEC_GROW(&f->stmts, out.n);
	for (size_t i = 0; i < out.n; i++) {
		const struct sqlfile_parsed *p = &out.stmts[i];
		struct stmt s = { 0 };
		size_t start, end;
		stmt_range(f, &comments, &cursor, p, &start, &end);
		s.start = start;
		s.len = end - start;
		s.tag = p->tag;
		s.flags = p->flags;
		if (s.flags & (STMT_DO | STMT_FUNCTION))
			s.body_start = body_start(f, &comments, p->as_location);
		VEC_PUSH(&f->stmts, s);
	}
	VEC_FREE(&comments.v);
	return rc;
}

static int split_protobuf(struct sqlfile *f, struct diag *d)
{
	struct pb_parse p = { .f = f, .stmts = VEC_INIT };
	int rc = split(f, d, pb_parse, &p);
	pg_query_free_protobuf_parse_result(p.r);
	VEC_FREE(&p.stmts);
	return rc;
}

int sqlfile_load(struct sqlfile *f, const char *display_path, const char *fs_path,
		 struct diag *d, struct buf *err)
{
	memset(f, 0, sizeof(*f));
	if (source_load(&f->src, display_path, fs_path, err) < 0)
		return -1;
	return split_protobuf(f, d);
}

int sqlfile_load_with(struct sqlfile *f, const char *display_path, const char *fs_path,
		      struct diag *d, struct buf *err, sqlfile_parse_fn *parse, void *ctx)
{
	memset(f, 0, sizeof(*f));
	if (source_load(&f->src, display_path, fs_path, err) < 0)
		return -1;
	return split(f, d, parse, ctx);
}

int sqlfile_parse_text(struct sqlfile *f, const char *display_path, const char *text,
		       size_t len, struct diag *d)
{
	memset(f, 0, sizeof(*f));
	source_init_text(&f->src, display_path, text, len);
	return split_protobuf(f, d);
}

void sqlfile_release(struct sqlfile *f)
{
	if (f->tree)
		pg_query__parse_result__free_unpacked(f->tree, &sqlfile_pb_allocator);
	VEC_FREE(&f->stmts);
	source_release(&f->src);
	memset(f, 0, sizeof(*f));
}

char *sqlfile_stmt_text(const struct sqlfile *f, size_t i)
{
	const struct stmt *s = &f->stmts.v[i];
	return xstrndup(f->src.text + s->start, s->len);
}
