/*
 * Suppression comments: `-- ssot:ignore rule[, rule] reason` covers the
 * comment's own line, the next line and the statement that the comment
 * directly precedes; `-- ssot:ignore-file rule` covers the whole file.
 *
 * Comments are found with the real scanner (pg_query_scan reports comment
 * tokens with byte offsets), so "ssot:ignore" inside a string is not one.
 * The scan is skipped for files that do not contain "ssot:ignore" at all,
 * which is nearly all of them.
 */
#include "lint/rules.h"

#include <pg_query.h>

#include <stdlib.h>
#include <string.h>

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

static bool rule_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int lint_parse_suppression(const char *s, size_t len, struct lint_suppression *out)
{
	const char *p = s, *end = s + len;
	memset(out, 0, sizeof(*out));

	if (len >= 2 && s[0] == '-' && s[1] == '-') {
		p += 2;
	} else if (len >= 4 && s[0] == '/' && s[1] == '*' && end[-2] == '*' && end[-1] == '/') {
		p += 2;
		end -= 2;
	} else {
		return 0;
	}
	while (p < end && blank(*p))
		p++;
	static const char tag[] = "ssot:ignore";
	size_t tl = sizeof(tag) - 1;
	if ((size_t)(end - p) < tl || memcmp(p, tag, tl) != 0)
		return 0;
	p += tl;
	static const char file_tag[] = "-file";
	size_t fl = sizeof(file_tag) - 1;
	if ((size_t)(end - p) >= fl && !memcmp(p, file_tag, fl)) {
		out->whole_file = true;
		p += fl;
	}
	/* "ssot:ignorex" is some other word, not a suppression. */
	if (p < end && !blank(*p))
		return 0;

	for (;;) {
		while (p < end && blank(*p))
			p++;
		const char *r = p;
		while (p < end && rule_char(*p))
			p++;
		if (p == r)
			break;
		if (out->n_rules == LINT_MAX_SUPPRESSED)
			return -1;
		out->rules[out->n_rules] = r;
		out->rule_len[out->n_rules] = (size_t)(p - r);
		out->n_rules++;
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == ',') {
			p = q + 1;
			continue;
		}
		break;
	}
	while (p < end && blank(*p))
		p++;
	while (end > p && blank(end[-1]))
		end--;
	out->reason = p;
	out->reason_len = (size_t)(end - p);
	return out->n_rules ? 1 : -1;
}

/* The statement a comment at [start, end) directly precedes: its span, or 0/0. */
static void covered_statement(const struct sqlfile *f, size_t start, size_t end,
			      size_t *cs, size_t *ce)
{
	*cs = *ce = 0;
	size_t lo = 0, hi = f->stmts.n;
	while (lo < hi) {	/* first statement starting at or after the comment's end */
		size_t mid = lo + (hi - lo) / 2;
		if (f->stmts.v[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == f->stmts.n)
		return;
	if (lo > 0 && f->stmts.v[lo - 1].start + f->stmts.v[lo - 1].len > start)
		return;	/* the comment sits inside the previous statement */
	*cs = f->stmts.v[lo].start;
	*ce = *cs + f->stmts.v[lo].len;
}

static void add_comment(struct lint_file *f, size_t start, size_t end)
{
	struct lint_sup s;
	memset(&s, 0, sizeof(s));
	int rc = lint_parse_suppression(f->sql.src.text + start, end - start, &s.s);
	if (rc == 0)
		return;
	s.start = start;
	s.end = end;
	int col;
	/* A block comment may span lines: the statement after it is on the line after its end. */
	source_linecol(&f->sql.src, end > start ? end - 1 : start, &s.line, &col);
	for (size_t k = 0; k < s.s.n_rules; k++)
		s.rule_ids[k] = lint_rule_lookup(s.s.rules[k], s.s.rule_len[k]);
	covered_statement(&f->sql, start, end, &s.covers_start, &s.covers_end);
	VEC_PUSH(&f->sups, s);
}

void lint_collect_suppressions(struct lint_file *f)
{
	const char *text = f->sql.src.text;
	if (!memmem(text, f->sql.src.len, "ssot:ignore", 11))
		return;
	PgQueryScanResult r = pg_query_scan(text);
	if (!r.error) {
		PgQuery__ScanResult *scan = pg_query__scan_result__unpack(NULL, r.pbuf.len,
									   (const uint8_t *)r.pbuf.data);
		if (!scan)
			abort();	/* libpg_query produced protobuf it cannot read */
		for (size_t i = 0; i < scan->n_tokens; i++) {
			const PgQuery__ScanToken *t = scan->tokens[i];
			if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT)
				add_comment(f, (size_t)t->start, (size_t)t->end);
		}
		pg_query__scan_result__free_unpacked(scan, NULL);
	}
	pg_query_free_scan_result(r);
}
