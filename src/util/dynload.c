/*
 * dynload: libpq and libcrypto, loaded the first time one of their
 * functions is called rather than when ssot starts.
 *
 * Linked the usual way, the two libraries and the 26 they depend on
 * (GnuTLS, Kerberos, LDAP, ...) cost ssot about 6 ms of CPU on every start
 * before main() runs: as much again as linting a small project, and a
 * tenth of `ssot lint` on a large one, which never talks to a server. So
 * ssot links neither: this file defines each libpq and libcrypto function
 * ssot calls, with the library's own prototype (the compiler checks them
 * against the headers), and each one forwards to the real function, looked
 * up with dlopen()/dlsym() once per process on first use. The sonames are
 * those of the libraries ssot was built against (the Makefile reads them),
 * as the dynamic linker would have used.
 *
 * A library that cannot be loaded is fatal: the message names it and the
 * Debian package that provides it, and ssot exits with status 2.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef LIBPQ_SONAME
#define LIBPQ_SONAME "libpq.so.5"
#endif
#ifndef LIBCRYPTO_SONAME
#define LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

static _Noreturn void fail(const char *lib, const char *package, const char *what)
{
	fprintf(stderr, "ssot: cannot load %s: %s\nssot: install it (Debian: apt-get install %s) and run again\n",
		lib, what, package);
	exit(2);
}

static void *open_lib(const char *soname, const char *package)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		fail(soname, package, e ? e : "dlopen failed");
	}
	return h;
}

static void *lookup(void *h, const char *soname, const char *package, const char *name)
{
	void *p = dlsym(h, name);
	if (!p) {
		char what[160];
		snprintf(what, sizeof(what), "it has no function %s (too old a version?)", name);
		fail(soname, package, what);
	}
	return p;
}

/*
 * The functions ssot calls, as X(return type, name, (parameters), (arguments)),
 * and V(name, (parameters), (arguments)) for those returning void.
 */
#define LIBPQ_FUNCS(X, V)                                                                                      \
	X(PGconn *, PQconnectdbParams, (const char *const *k, const char *const *v, int e), (k, v, e))        \
	X(ConnStatusType, PQstatus, (const PGconn *c), (c))                                                   \
	X(char *, PQerrorMessage, (const PGconn *c), (c))                                                     \
	V(PQfinish, (PGconn * c), (c))                                                                        \
	V(PQreset, (PGconn * c), (c))                                                                         \
	X(char *, PQdb, (const PGconn *c), (c))                                                               \
	X(char *, PQuser, (const PGconn *c), (c))                                                             \
	X(char *, PQhost, (const PGconn *c), (c))                                                             \
	X(char *, PQport, (const PGconn *c), (c))                                                             \
	X(int, PQserverVersion, (const PGconn *c), (c))                                                       \
	X(int, PQsetClientEncoding, (PGconn * c, const char *enc), (c, enc))                                  \
	X(PQconninfoOption *, PQconninfo, (PGconn * c), (c))                                                  \
	X(PQconninfoOption *, PQconninfoParse, (const char *s, char **err), (s, err))                         \
	V(PQconninfoFree, (PQconninfoOption * o), (o))                                                        \
	X(PQnoticeProcessor, PQsetNoticeProcessor, (PGconn * c, PQnoticeProcessor p, void *a), (c, p, a))     \
	X(PQnoticeReceiver, PQsetNoticeReceiver, (PGconn * c, PQnoticeReceiver r, void *a), (c, r, a))        \
	X(PGresult *, PQexec, (PGconn * c, const char *q), (c, q))                                            \
	X(PGresult *, PQexecParams,                                                                           \
	  (PGconn * c, const char *q, int n, const Oid *t, const char *const *v, const int *l, const int *f,  \
	   int r),                                                                                            \
	  (c, q, n, t, v, l, f, r))                                                                           \
	X(int, PQsendQueryParams,                                                                             \
	  (PGconn * c, const char *q, int n, const Oid *t, const char *const *v, const int *l, const int *f,  \
	   int r),                                                                                            \
	  (c, q, n, t, v, l, f, r))                                                                           \
	X(PGresult *, PQgetResult, (PGconn * c), (c))                                                         \
	X(int, PQenterPipelineMode, (PGconn * c), (c))                                                        \
	X(int, PQexitPipelineMode, (PGconn * c), (c))                                                         \
	X(int, PQpipelineSync, (PGconn * c), (c))                                                             \
	X(int, PQsendFlushRequest, (PGconn * c), (c))                                                         \
	X(int, PQputCopyEnd, (PGconn * c, const char *e), (c, e))                                             \
	X(PGcancel *, PQgetCancel, (PGconn * c), (c))                                                         \
	V(PQfreeCancel, (PGcancel * c), (c))                                                                  \
	X(int, PQcancel, (PGcancel * c, char *buf, int n), (c, buf, n))                                       \
	X(ExecStatusType, PQresultStatus, (const PGresult *r), (r))                                           \
	X(char *, PQresultErrorMessage, (const PGresult *r), (r))                                             \
	X(char *, PQresultErrorField, (const PGresult *r, int code), (r, code))                               \
	X(int, PQntuples, (const PGresult *r), (r))                                                           \
	X(int, PQnfields, (const PGresult *r), (r))                                                           \
	X(int, PQfnumber, (const PGresult *r, const char *name), (r, name))                                   \
	X(char *, PQgetvalue, (const PGresult *r, int row, int col), (r, row, col))                           \
	X(int, PQgetisnull, (const PGresult *r, int row, int col), (r, row, col))                             \
	V(PQclear, (PGresult * r), (r))                                                                       \
	X(char *, PQescapeLiteral, (PGconn * c, const char *s, size_t n), (c, s, n))                          \
	X(char *, PQescapeIdentifier, (PGconn * c, const char *s, size_t n), (c, s, n))                       \
	V(PQfreemem, (void *p), (p))

#define LIBCRYPTO_FUNCS(X, V)                                                                                  \
	X(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())                                                            \
	V(EVP_MD_CTX_free, (EVP_MD_CTX * c), (c))                                                             \
	X(const EVP_MD *, EVP_sha256, (void), ())                                                             \
	X(int, EVP_DigestInit_ex, (EVP_MD_CTX * c, const EVP_MD *t, ENGINE *e), (c, t, e))                    \
	X(int, EVP_DigestUpdate, (EVP_MD_CTX * c, const void *d, size_t n), (c, d, n))                        \
	X(int, EVP_DigestFinal_ex, (EVP_MD_CTX * c, unsigned char *md, unsigned int *n), (c, md, n))

#define FIELD(ret, name, params, args) ret(*name) params;
#define VFIELD(name, params, args) void(*name) params;

/* One library: its function pointers, filled once by load_<lib>(). */
#define LIBRARY(lib, FUNCS, soname, package)                                                                   \
	static struct {                                                                                        \
		FUNCS(FIELD, VFIELD)                                                                           \
	} lib;                                                                                                 \
	static pthread_once_t lib##_once = PTHREAD_ONCE_INIT;                                                  \
	static int lib##_loaded;                                                                               \
	static void load_##lib(void)                                                                           \
	{                                                                                                      \
		void *h = open_lib(soname, package);                                                           \
		FUNCS(LOOKUP_##lib, VLOOKUP_##lib)                                                             \
		__atomic_store_n(&lib##_loaded, 1, __ATOMIC_RELEASE);                                          \
	}                                                                                                      \
	/* pthread_once costs a call on every forward; after the load, a load of a flag does */              \
	static inline void need_##lib(void)                                                                    \
	{                                                                                                      \
		if (!__atomic_load_n(&lib##_loaded, __ATOMIC_ACQUIRE))                                         \
			pthread_once(&lib##_once, load_##lib);                                                 \
	}

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define LOOKUP_libpq(ret, name, params, args) *(void **)&libpq.name = lookup(h, LIBPQ_SONAME, "libpq5", #name);
#define VLOOKUP_libpq(name, params, args) LOOKUP_libpq(void, name, params, args)
#define LOOKUP_libcrypto(ret, name, params, args) \
	*(void **)&libcrypto.name = lookup(h, LIBCRYPTO_SONAME, "libssl3", #name);
#define VLOOKUP_libcrypto(name, params, args) LOOKUP_libcrypto(void, name, params, args)

LIBRARY(libpq, LIBPQ_FUNCS, LIBPQ_SONAME, "libpq5")
LIBRARY(libcrypto, LIBCRYPTO_FUNCS, LIBCRYPTO_SONAME, "libssl3")

/* The forwarding definitions. */
#define FORWARD_libpq(ret, name, params, args)                                                                 \
	ret name params                                                                                        \
	{                                                                                                      \
		need_libpq();                                                                                  \
		return libpq.name args;                                                                        \
	}
#define VFORWARD_libpq(name, params, args)                                                                     \
	void name params                                                                                       \
	{                                                                                                      \
		need_libpq();                                                                                  \
		libpq.name args;                                                                               \
	}
#define FORWARD_libcrypto(ret, name, params, args)                                                             \
	ret name params                                                                                        \
	{                                                                                                      \
		need_libcrypto();                                                                              \
		return libcrypto.name args;                                                                    \
	}
#define VFORWARD_libcrypto(name, params, args)                                                                 \
	void name params                                                                                       \
	{                                                                                                      \
		need_libcrypto();                                                                              \
		libcrypto.name args;                                                                           \
	}

LIBPQ_FUNCS(FORWARD_libpq, VFORWARD_libpq)
LIBCRYPTO_FUNCS(FORWARD_libcrypto, VFORWARD_libcrypto)
