/*
 * diag: findings and their four renderings (text, JSON, SARIF, GitHub).
 *
 * Positions are computed here, at render time, from the byte span of a
 * finding; nothing upstream ever formats a line or column. Every renderer
 * walks the findings in the order they were added: the modules know which
 * order reads best (file order, statement order), so we do not re-sort.
 *
 * Ends of spans follow SARIF's convention everywhere (JSON end_line/end_col,
 * SARIF endLine/endColumn, GitHub endLine/endColumn): they name the position
 * just past the last character, so a one-character span at column 5 ends at
 * column 6. One convention means one computation and no off-by-one between
 * formats.
 */
#include "diag.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Tab stops for the source excerpt; the same width drives the caret. */
#define TAB_WIDTH 4

#define SGR_BOLD "\033[1m"
#define SGR_RED "\033[1;31m"
#define SGR_MAGENTA "\033[1;35m"
#define SGR_CYAN "\033[1;36m"
#define SGR_GREEN "\033[1;32m"
#define SGR_RESET "\033[0m"

void diag_init(struct diag *d)
{
	d->items.v = NULL;
	d->items.n = d->items.cap = 0;
}

static void finding_release(struct finding *f)
{
	free(f->rule);
	free(f->message);
	free(f->file);
	free(f->object);
	free(f->kind);
	free(f->status);
	free(f->expected);
	free(f->actual);
	free(f->suggestion);
	free(f->detail);
	free(f->hint);
	free(f->sqlstate);
	free(f->help);
}

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->items.n; i++)
		finding_release(&d->items.v[i]);
	VEC_FREE(&d->items);
}

/*
 * The returned pointer lives in the diag's array, so it is only good until
 * the next diag_add(): fill the optional fields right away.
 */
struct finding *diag_add(struct diag *d, enum severity sev, const char *rule,
			 struct source *src, size_t start, size_t end,
			 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct finding *f = diag_vadd(d, sev, rule, src, start, end, fmt, ap);
	va_end(ap);
	return f;
}

struct finding *diag_vadd(struct diag *d, enum severity sev, const char *rule,
			  struct source *src, size_t start, size_t end,
			  const char *fmt, va_list ap)
{
	struct finding f;
	struct buf msg = BUF_INIT;

	memset(&f, 0, sizeof(f));
	buf_vprintf(&msg, fmt, ap);

	f.rule = rule ? xstrdup(rule) : NULL;
	f.severity = sev;
	f.message = buf_detach(&msg);
	f.src = src;
	f.start = start;
	/* A reversed span is a caller's slip; treat it as a point, not a wrap-around. */
	f.end = end < start ? start : end;
	VEC_PUSH(&d->items, f);
	return &d->items.v[d->items.n - 1];
}

void diag_set(char **field, const char *value)
{
	char *copy = value ? xstrdup(value) : NULL;
	free(*field);
	*field = copy;
}

size_t diag_count(const struct diag *d, enum severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < d->items.n; i++)
		if (d->items.v[i].severity == sev)
			n++;
	return n;
}

void finding_position(const struct finding *f, const char **file, int *line, int *col)
{
	if (f->src) {
		*file = f->src->path;
		source_linecol(f->src, f->start, line, col);
		return;
	}
	*file = f->file;
	*line = f->line > 0 ? f->line : 0;
	*col = *line && f->col > 0 ? f->col : 0;
}

const char *severity_name(enum severity sev)
{
	switch (sev) {
	case SEV_ERROR:
		return "error";
	case SEV_WARNING:
		return "warning";
	case SEV_NOTE:
		return "note";
	}
	return "error";
}

int diag_parse_format(const char *s, enum diag_format *out)
{
	static const struct {
		const char *name;
		enum diag_format fmt;
	} formats[] = {
		{ "text", FORMAT_TEXT },
		{ "json", FORMAT_JSON },
		{ "sarif", FORMAT_SARIF },
		{ "github", FORMAT_GITHUB },
	};

	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(s, formats[i].name)) {
			*out = formats[i].fmt;
			return 0;
		}
	}
	return -1;
}

/* Where a finding points, start and (for a real span) end, all 1-based. */
struct position {
	const char *file;
	int line, col;
	bool has_end;
	int end_line, end_col;
};

static void locate(const struct finding *f, struct position *p)
{
	finding_position(f, &p->file, &p->line, &p->col);
	p->has_end = f->src && f->end > f->start;
	p->end_line = p->end_col = 0;
	if (p->has_end)
		source_linecol(f->src, f->end, &p->end_line, &p->end_col);
}

/* NULL options mean plain defaults: no colour, no command, no summary. */
static const struct render_opts default_opts;

static const struct render_opts *opts_or_default(const struct render_opts *o)
{
	return o ? o : &default_opts;
}

/* ---- text ---- */

/*
 * Screen column (0-based) reached after printing text[from, to) with tabs
 * expanded; `from` must be the start of a line so tab stops line up.
 */
static size_t display_width(const char *text, size_t from, size_t to)
{
	size_t w = 0;
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t')
			w = (w / TAB_WIDTH + 1) * TAB_WIDTH;
		else if ((c & 0xC0) != 0x80)
			w++;
	}
	return w;
}

static void put_expanded(FILE *out, const char *text, size_t from, size_t to)
{
	size_t w = 0;
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t') {
			size_t next = (w / TAB_WIDTH + 1) * TAB_WIDTH;
			fprintf(out, "%*s", (int)(next - w), "");
			w = next;
			continue;
		}
		if ((c & 0xC0) != 0x80)
			w++;
		fputc(c, out);
	}
}

static void put_repeated(FILE *out, char c, size_t n)
{
	while (n--)
		fputc(c, out);
}

/*
 * Print `text` after `label`, continuation lines aligned under the first
 * character of the value (libpq's DETAIL and CONTEXT often span lines).
 * Trailing newlines are dropped; empty lines get no trailing spaces.
 */
static void put_labelled(FILE *out, const char *label, const char *text)
{
	size_t indent = strlen(label);
	size_t len = strlen(text);
	const char *p = text;

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	fputs(label, out);
	while (p < text + len) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		const char *eol = nl ? nl : text + len;
		size_t n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (p != text && n)
			put_repeated(out, ' ', indent);
		fwrite(p, 1, n, out);
		fputc('\n', out);
		if (!nl)
			return;
		p = nl + 1;
	}
	if (p == text)
		fputc('\n', out);
}

static void put_colored(FILE *out, bool color, const char *sgr, const char *s)
{
	if (color)
		fprintf(out, "%s%s%s", sgr, s, SGR_RESET);
	else
		fputs(s, out);
}

static const char *severity_sgr(enum severity sev)
{
	switch (sev) {
	case SEV_ERROR:
		return SGR_RED;
	case SEV_WARNING:
		return SGR_MAGENTA;
	case SEV_NOTE:
		return SGR_CYAN;
	}
	return SGR_RED;
}

/* The bracketed tag: a SQLSTATE says more than "sql-error" does. */
static const char *finding_tag(const struct finding *f)
{
	if (f->rule && !strcmp(f->rule, "sql-error") && f->sqlstate)
		return f->sqlstate;
	return f->rule;
}

/*
 * The source line under a finding and a caret line below it, gcc style:
 *
 *	 12 | create table t (id integr);
 *	    |                    ^~~~~~
 *
 * The underline stops at the end of the first line of a multi-line span.
 */
static void put_excerpt(FILE *out, const struct finding *f, int line, bool color)
{
	struct source *src = f->src;
	size_t ls, le;
	size_t start = f->start < src->len ? f->start : src->len;
	size_t end = f->end < src->len ? f->end : src->len;
	char num[16];
	int gutter;

	source_line_span(src, start, &ls, &le);
	gutter = snprintf(num, sizeof(num), " %d", line);

	fprintf(out, "%s |", num);
	if (le > ls) {
		fputc(' ', out);
		put_expanded(out, src->text, ls, le);
	}
	fputc('\n', out);

	size_t s = start < le ? start : le;
	size_t e = end < le ? end : le;
	size_t dstart = display_width(src->text, ls, s);
	size_t dend = e > s ? display_width(src->text, ls, e) : dstart + 1;

	fprintf(out, "%*s | %*s", gutter, "", (int)dstart, "");
	if (color)
		fputs(SGR_GREEN, out);
	fputc('^', out);
	put_repeated(out, '~', dend > dstart + 1 ? dend - dstart - 1 : 0);
	if (color)
		fputs(SGR_RESET, out);
	fputc('\n', out);
}

static void render_text_one(const struct finding *f, FILE *out, const struct render_opts *o)
{
	const char *file;
	int line, col;
	const char *tag = finding_tag(f);

	finding_position(f, &file, &line, &col);
	if (file) {
		if (o->color)
			fputs(SGR_BOLD, out);
		fputs(file, out);
		if (line)
			fprintf(out, ":%d", line);
		if (line && col)
			fprintf(out, ":%d", col);
		fputc(':', out);
		if (o->color)
			fputs(SGR_RESET, out);
		fputc(' ', out);
	}
	put_colored(out, o->color, severity_sgr(f->severity), severity_name(f->severity));
	fputs(": ", out);
	/* A stray newline in a message must not look like the start of a new finding. */
	for (const char *p = f->message; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1])
			fputs("  ", out);
	}
	if (tag)
		fprintf(out, " [%s]", tag);
	fputc('\n', out);

	if (f->src)
		put_excerpt(out, f, line, o->color);

	if (f->detail)
		put_labelled(out, "  detail: ", f->detail);
	if (f->hint)
		put_labelled(out, "  hint: ", f->hint);
	if (f->expected)
		put_labelled(out, "  expected: ", f->expected);
	if (f->actual)
		put_labelled(out, "  actual: ", f->actual);
	if (f->kind || f->object) {
		fputs("  object: ", out);
		if (f->kind)
			fputs(f->kind, out);
		if (f->kind && f->object)
			fputc(' ', out);
		if (f->object)
			fputs(f->object, out);
		fputc('\n', out);
	}
	if (f->suggestion)
		put_labelled(out, "  fix: ", f->suggestion);
	if (o->verbose > 0 && f->help)
		put_labelled(out, "    ", f->help);
}

void diag_render_text(struct diag *d, FILE *out, const struct render_opts *o)
{
	o = opts_or_default(o);
	for (size_t i = 0; i < d->items.n; i++)
		render_text_one(&d->items.v[i], out, o);
}

/* ---- JSON ---- */

/*
 * Length of the well-formed UTF-8 sequence at s (the rules jansson applies:
 * no overlongs, no surrogates, nothing past U+10FFFF), or 0 if it is not one.
 */
static size_t utf8_sequence(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return n;
}

/*
 * A JSON string for s, or null for NULL. jansson refuses invalid UTF-8 (and
 * json_object_set_new would then silently drop the key), but a message may
 * quote a Latin-1 file; such bytes become U+FFFD rather than vanish.
 */
static json_t *jstr(const char *s)
{
	json_t *j;
	struct buf clean = BUF_INIT;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_sequence(p);
		if (n) {
			buf_add(&clean, p, n);
			p += n;
		} else {
			buf_adds(&clean, "\xEF\xBF\xBD");
			p++;
		}
	}
	j = json_string(clean.s);
	buf_release(&clean);
	return j ? j : json_string("");
}

/*
 * Output collected in memory and written in 64 KiB pieces: jansson hands
 * its output over a few bytes at a time (a key, a colon, an indent), and one
 * fwrite() each was a tenth of lint's instructions on a report of 3,600
 * findings.
 */
struct json_out {
	struct buf b;
	FILE *out;
	const char *indent;	/* written after each newline jansson writes; "" for none */
};

static void out_add(struct json_out *o, const char *s, size_t n)
{
	buf_add(&o->b, s, n);
	if (o->b.len >= 65536) {
		fwrite(o->b.s, 1, o->b.len, o->out);
		buf_reset(&o->b);
	}
}

static void out_adds(struct json_out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static void out_finish(struct json_out *o)
{
	if (o->b.len)
		fwrite(o->b.s, 1, o->b.len, o->out);
	buf_release(&o->b);
}

/* json_dump_callback() output, indented by o->indent after each newline. */
static int dump_to_out(const char *piece, size_t len, void *data)
{
	struct json_out *o = data;
	const char *nl;
	while (*o->indent && (nl = memchr(piece, '\n', len)) != NULL) {
		out_add(o, piece, (size_t)(nl - piece) + 1);
		out_adds(o, o->indent);
		len -= (size_t)(nl - piece) + 1;
		piece = nl + 1;
	}
	out_add(o, piece, len);
	return 0;
}

static void dump_document(json_t *doc, FILE *out)
{
	struct json_out o = { BUF_INIT, out, "" };
	json_dump_callback(doc, dump_to_out, &o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	out_add(&o, "\n", 1);
	out_finish(&o);
}

/*
 * A JSON string for s, or null for NULL, as jansson writes jstr(s): quote,
 * backslash and control characters escaped (\uXXXX in upper case but for
 * \b \f \n \r \t), other characters as they are; bytes that are not
 * well-formed UTF-8 become U+FFFD.
 */
static void put_string(struct json_out *o, const char *s)
{
	if (!s) {
		out_add(o, "null", 4);
		return;
	}
	out_add(o, "\"", 1);
	const unsigned char *p = (const unsigned char *)s, *run = p;
	for (;;) {
		unsigned char c = *p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			p++;
			continue;
		}
		size_t n = c >= 0x80 ? utf8_sequence(p) : 0;
		if (n) {
			p += n;
			continue;
		}
		out_add(o, (const char *)run, (size_t)(p - run));
		if (!c)
			break;
		char esc[8];
		switch (c) {
		case '"': out_add(o, "\\\"", 2); break;
		case '\\': out_add(o, "\\\\", 2); break;
		case '\b': out_add(o, "\\b", 2); break;
		case '\f': out_add(o, "\\f", 2); break;
		case '\n': out_add(o, "\\n", 2); break;
		case '\r': out_add(o, "\\r", 2); break;
		case '\t': out_add(o, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04X", c);
				out_add(o, esc, 6);
			} else {
				out_add(o, "\xEF\xBF\xBD", 3);	/* not UTF-8 */
			}
		}
		run = ++p;
	}
	out_add(o, "\"", 1);
}

/* One member of a finding's object: `,\n      "key": ` before its value. */
static void put_key(struct json_out *o, const char *key, bool first)
{
	out_adds(o, first ? "\n      \"" : ",\n      \"");
	out_adds(o, key);
	out_add(o, "\": ", 3);
}

static void put_int(struct json_out *o, int v)
{
	char n[16];
	out_add(o, n, (size_t)snprintf(n, sizeof(n), "%d", v));
}

static void put_int_or_null(struct json_out *o, int v)
{
	if (v > 0)
		put_int(o, v);
	else
		out_add(o, "null", 4);
}

/* A finding as an element of "findings", laid out as jansson's JSON_INDENT(2) would. */
static void put_finding(struct json_out *o, const struct finding *f)
{
	struct position p;

	locate(f, &p);
	out_adds(o, "    {");
	put_key(o, "rule", true);
	put_string(o, f->rule);
	put_key(o, "severity", false);
	put_string(o, severity_name(f->severity));
	put_key(o, "message", false);
	put_string(o, f->message);
	put_key(o, "file", false);
	put_string(o, p.file);
	put_key(o, "line", false);
	put_int_or_null(o, p.line);
	put_key(o, "col", false);
	put_int_or_null(o, p.col);
	if (p.has_end) {
		put_key(o, "end_line", false);
		put_int(o, p.end_line);
		put_key(o, "end_col", false);
		put_int(o, p.end_col);
	}
	const struct {
		const char *key, *value;
		bool always;
	} rest[] = {
		{ "object", f->object, true }, { "kind", f->kind, true }, { "status", f->status, true },
		{ "expected", f->expected, true }, { "actual", f->actual, true },
		{ "suggestion", f->suggestion, true }, { "detail", f->detail, false },
		{ "hint", f->hint, false }, { "sqlstate", f->sqlstate, false },
	};
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++) {
		if (!rest[i].always && !rest[i].value)
			continue;
		put_key(o, rest[i].key, false);
		put_string(o, rest[i].value);
	}
	out_adds(o, "\n    }");
}

/*
 * The document is written as it goes, one finding at a time, rather than
 * built as jansson objects first: the same bytes jansson would write
 * (JSON_INDENT(2), members in order), without holding every finding twice.
 * The summary, the command's own object, is still dumped by jansson.
 */
void diag_render_json(struct diag *d, FILE *out, const struct render_opts *o)
{
	struct json_out jo = { BUF_INIT, out, "" };
	json_t *summary;

	o = opts_or_default(o);
	out_adds(&jo, "{\n  \"version\": 1,\n  \"command\": ");
	put_string(&jo, o->command);
	out_adds(&jo, ",\n  \"findings\": [");
	for (size_t i = 0; i < d->items.n; i++) {
		out_adds(&jo, i ? ",\n" : "\n");
		put_finding(&jo, &d->items.v[i]);
	}
	out_adds(&jo, d->items.n ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ");

	/*
	 * The counts are set over whatever the command put in its summary so
	 * that they always agree with the findings printed above them.
	 */
	if (o->summary && json_is_object(o->summary))
		summary = json_deep_copy(o->summary);
	else
		summary = json_object();
	json_object_set_new(summary, "errors", json_integer((json_int_t)diag_count(d, SEV_ERROR)));
	json_object_set_new(summary, "warnings", json_integer((json_int_t)diag_count(d, SEV_WARNING)));
	json_object_set_new(summary, "notes", json_integer((json_int_t)diag_count(d, SEV_NOTE)));
	jo.indent = "  ";
	json_dump_callback(summary, dump_to_out, &jo, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(summary);
	out_adds(&jo, "\n}\n");
	out_finish(&jo);
}

/* ---- SARIF ---- */

/*
 * SARIF needs a ruleId on every result and GitHub keys alerts on it; a
 * finding added without a rule is filed under the tool's own name.
 */
static const char *sarif_rule_id(const struct finding *f)
{
	return f->rule ? f->rule : "ssot";
}

/*
 * A relative URI reference for a project path: forward slashes, no leading
 * "./", and every byte outside RFC 3986's path characters percent-encoded
 * (spaces, '%', '#', '?', non-ASCII). ':' is encoded too, since "a:b.sql"
 * would otherwise read as a URI with scheme "a". An absolute path cannot be
 * relative to %SRCROOT%, so it becomes a file: URI and *absolute is set.
 */
static char *path_to_uri(const char *path, bool *absolute)
{
	static const char keep[] = "-._~/!$&'()*+,;=@";
	static const char hex[] = "0123456789ABCDEF";
	struct buf uri = BUF_INIT;

	*absolute = path[0] == '/' || path[0] == '\\';
	if (*absolute)
		buf_adds(&uri, "file://");
	while (path[0] == '.' && (path[1] == '/' || path[1] == '\\'))
		path += 2;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		unsigned char c = *p == '\\' ? '/' : *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(keep, c)) {
			buf_addch(&uri, (char)c);
		} else {
			buf_addch(&uri, '%');
			buf_addch(&uri, hex[c >> 4]);
			buf_addch(&uri, hex[c & 15]);
		}
	}
	if (!uri.len)
		buf_addch(&uri, '.');
	return buf_detach(&uri);
}

static json_t *sarif_location(const struct position *p)
{
	json_t *artifact = json_object();
	json_t *physical = json_object();
	json_t *location = json_object();
	bool absolute = false;

	/*
	 * GitHub code scanning rejects a result without a location, but a
	 * database-level finding has no file. It is filed against the project
	 * root ("." under %SRCROOT%), without a region: true (the finding is
	 * about the project as a whole) and it names no file that does not exist.
	 */
	char *uri = path_to_uri(p->file ? p->file : ".", &absolute);
	json_object_set_new(artifact, "uri", jstr(uri));
	if (!absolute)
		json_object_set_new(artifact, "uriBaseId", json_string("%SRCROOT%"));
	free(uri);
	json_object_set_new(physical, "artifactLocation", artifact);

	if (p->file && p->line) {
		json_t *region = json_object();
		json_object_set_new(region, "startLine", json_integer(p->line));
		if (p->col)
			json_object_set_new(region, "startColumn", json_integer(p->col));
		if (p->has_end) {
			json_object_set_new(region, "endLine", json_integer(p->end_line));
			json_object_set_new(region, "endColumn", json_integer(p->end_col));
		}
		json_object_set_new(physical, "region", region);
	}
	json_object_set_new(location, "physicalLocation", physical);
	return location;
}

/*
 * The fingerprint GitHub uses to follow an alert across commits: what the
 * finding is (rule, file, object) and the text of its line, but not the line
 * number, so inserting lines above it does not make it a new alert. Without
 * source text the message stands in. Identical hashes are told apart by the
 * ":N" occurrence suffix, as GitHub's own fingerprints are.
 */
static void fingerprint(const struct finding *f, const char *file, json_t *seen,
			char *out, size_t outsz)
{
	struct hash_ctx h;
	char hex[HASH_HEX_LEN + 1];
	const char *rule = sarif_rule_id(f);
	const char *object = f->object ? f->object : "";

	if (!file)
		file = "";
	hash_init(&h);
	hash_update(&h, rule, strlen(rule) + 1);
	hash_update(&h, file, strlen(file) + 1);
	hash_update(&h, object, strlen(object) + 1);
	if (f->src) {
		size_t ls, le;
		source_line_span(f->src, f->start, &ls, &le);
		while (ls < le && strchr(" \t\r\f\v", f->src->text[ls]))
			ls++;
		while (le > ls && strchr(" \t\r\f\v", f->src->text[le - 1]))
			le--;
		hash_update(&h, f->src->text + ls, le - ls);
	} else {
		hash_update(&h, f->message, strlen(f->message));
	}
	hash_final(&h, hex);

	json_int_t n = json_integer_value(json_object_get(seen, hex)) + 1;
	json_object_set_new(seen, hex, json_integer(n));
	snprintf(out, outsz, "%s:%lld", hex, (long long)n);
}

/*
 * message.text carries detail and hint on lines of their own: for a
 * PostgreSQL error they are often the useful part, and SARIF has no field of
 * its own for them.
 */
static char *sarif_message(const struct finding *f)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, f->message);
	if (f->detail)
		buf_printf(&b, "\ndetail: %s", f->detail);
	if (f->hint)
		buf_printf(&b, "\nhint: %s", f->hint);
	buf_rtrim(&b);
	return buf_detach(&b);
}

/* The fields SARIF has no place for, so they survive a round trip. */
static json_t *sarif_properties(const struct finding *f)
{
	json_t *props = json_object();
	const struct {
		const char *key;
		const char *value;
	} fields[] = {
		{ "object", f->object },
		{ "kind", f->kind },
		{ "status", f->status },
		{ "expected", f->expected },
		{ "actual", f->actual },
		{ "suggestion", f->suggestion },
		{ "sqlstate", f->sqlstate },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].value)
			json_object_set_new(props, fields[i].key, jstr(fields[i].value));
	if (!json_object_size(props)) {
		json_decref(props);
		return NULL;
	}
	return props;
}

static size_t rule_index(json_t *rules, const struct finding *f)
{
	const char *id = sarif_rule_id(f);
	size_t i;
	json_t *r;

	json_array_foreach(rules, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "id")), id))
			return i;

	r = json_object();
	json_object_set_new(r, "id", jstr(id));
	json_object_set_new(r, "name", jstr(id));
	json_t *text = json_object();
	json_object_set_new(text, "text", jstr(f->message));
	json_object_set_new(r, "shortDescription", text);
	text = json_object();
	json_object_set_new(text, "text", jstr(f->help ? f->help : f->message));
	json_object_set_new(r, "help", text);
	json_t *config = json_object();
	json_object_set_new(config, "level", json_string(severity_name(f->severity)));
	json_object_set_new(r, "defaultConfiguration", config);
	json_array_append_new(rules, r);
	return json_array_size(rules) - 1;
}

void diag_render_sarif(struct diag *d, FILE *out, const struct render_opts *o)
{
	json_t *rules = json_array();
	json_t *results = json_array();
	json_t *seen = json_object();

	o = opts_or_default(o);
	for (size_t i = 0; i < d->items.n; i++) {
		const struct finding *f = &d->items.v[i];
		struct position p;
		char fp[HASH_HEX_LEN + 32];
		json_t *r = json_object();
		json_t *msg = json_object();
		json_t *locations = json_array();
		json_t *fingerprints = json_object();
		json_t *props = sarif_properties(f);
		char *text = sarif_message(f);

		locate(f, &p);
		json_object_set_new(r, "ruleId", jstr(sarif_rule_id(f)));
		json_object_set_new(r, "ruleIndex", json_integer((json_int_t)rule_index(rules, f)));
		json_object_set_new(r, "level", json_string(severity_name(f->severity)));
		json_object_set_new(msg, "text", jstr(text));
		free(text);
		json_object_set_new(r, "message", msg);
		json_array_append_new(locations, sarif_location(&p));
		json_object_set_new(r, "locations", locations);
		fingerprint(f, p.file, seen, fp, sizeof(fp));
		json_object_set_new(fingerprints, "primaryLocationLineHash", json_string(fp));
		json_object_set_new(r, "partialFingerprints", fingerprints);
		if (props)
			json_object_set_new(r, "properties", props);
		json_array_append_new(results, r);
	}
	json_decref(seen);

	json_t *driver = json_object();
	json_object_set_new(driver, "name", json_string("ssot"));
	if (o->tool_version)
		json_object_set_new(driver, "version", jstr(o->tool_version));
	json_object_set_new(driver, "informationUri", json_string("https://github.com/ssot-sql/ssot"));
	json_object_set_new(driver, "rules", rules);
	json_t *tool = json_object();
	json_object_set_new(tool, "driver", driver);

	json_t *run = json_object();
	json_object_set_new(run, "tool", tool);
	/*
	 * GitHub derives an analysis category from the automation id (up to
	 * its last '/'); one per command keeps a lint upload from closing the
	 * alerts of a drift upload.
	 */
	if (o->command) {
		char *id = xasprintf("ssot/%s/", o->command);
		json_t *automation = json_object();
		json_object_set_new(automation, "id", jstr(id));
		json_object_set_new(run, "automationDetails", automation);
		free(id);
	}
	json_object_set_new(run, "columnKind", json_string("unicodeCodePoints"));
	json_object_set_new(run, "results", results);

	json_t *doc = json_object();
	json_object_set_new(doc, "$schema", json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(doc, "version", json_string("2.1.0"));
	json_t *runs = json_array();
	json_array_append_new(runs, run);
	json_object_set_new(doc, "runs", runs);
	dump_document(doc, out);
	json_decref(doc);
}

/* ---- GitHub workflow commands ---- */

/*
 * Escape text for a workflow command: '%', CR and LF always; ':' and ','
 * too inside a property value, where they delimit. Trailing newlines (libpq
 * ends its DETAIL lines with one) are dropped rather than escaped.
 */
static void put_gh_escaped(FILE *out, const char *s, bool property)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '%':
			fputs("%25", out);
			break;
		case '\r':
			fputs("%0D", out);
			break;
		case '\n':
			fputs("%0A", out);
			break;
		case ':':
			fputs(property ? "%3A" : ":", out);
			break;
		case ',':
			fputs(property ? "%2C" : ",", out);
			break;
		default:
			fputc(s[i], out);
		}
	}
}

static void put_gh_property(FILE *out, bool *first, const char *key, const char *value)
{
	fprintf(out, "%s%s=", *first ? " " : ",", key);
	*first = false;
	put_gh_escaped(out, value, true);
}

static void put_gh_int(FILE *out, bool *first, const char *key, int value)
{
	char num[16];
	snprintf(num, sizeof(num), "%d", value);
	put_gh_property(out, first, key, num);
}

static void render_github_one(const struct finding *f, FILE *out)
{
	static const char *const command[] = {
		[SEV_ERROR] = "error",
		[SEV_WARNING] = "warning",
		[SEV_NOTE] = "notice",
	};
	struct position p;
	bool first = true;

	locate(f, &p);
	fprintf(out, "::%s", command[f->severity]);
	if (p.file) {
		put_gh_property(out, &first, "file", p.file);
		if (p.line)
			put_gh_int(out, &first, "line", p.line);
		/*
		 * GitHub only honours columns when the annotation starts and ends
		 * on the same line; otherwise it wants line and endLine alone.
		 */
		bool one_line = !p.has_end || p.end_line == p.line;
		if (p.line && p.col && one_line)
			put_gh_int(out, &first, "col", p.col);
		if (p.has_end) {
			put_gh_int(out, &first, "endLine", p.end_line);
			if (one_line)
				put_gh_int(out, &first, "endColumn", p.end_col);
		}
	}
	if (f->rule)
		put_gh_property(out, &first, "title", f->rule);
	fputs("::", out);
	put_gh_escaped(out, f->message, false);
	if (f->detail) {
		fputs("%0Adetail: ", out);
		put_gh_escaped(out, f->detail, false);
	}
	if (f->hint) {
		fputs("%0Ahint: ", out);
		put_gh_escaped(out, f->hint, false);
	}
	fputc('\n', out);
}

void diag_render_github(struct diag *d, FILE *out, const struct render_opts *o)
{
	(void)o;
	for (size_t i = 0; i < d->items.n; i++)
		render_github_one(&d->items.v[i], out);
}

void diag_render(struct diag *d, enum diag_format fmt, FILE *out, const struct render_opts *o)
{
	switch (fmt) {
	case FORMAT_TEXT:
		diag_render_text(d, out, o);
		return;
	case FORMAT_JSON:
		diag_render_json(d, out, o);
		return;
	case FORMAT_SARIF:
		diag_render_sarif(d, out, o);
		return;
	case FORMAT_GITHUB:
		diag_render_github(d, out, o);
		return;
	}
}
