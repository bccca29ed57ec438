/*
 * vec: a typed growable array.
 *
 *	VEC(struct stmt) stmts = VEC_INIT;
 *	VEC_PUSH(&stmts, s);
 *	for (size_t i = 0; i < stmts.n; i++) use(&stmts.v[i]);
 *	VEC_FREE(&stmts);
 *
 * The vec owns the array, not what the elements point to.
 */
#ifndef SSOT_VEC_H
#define SSOT_VEC_H

#include "util/xalloc.h"

#include <stdlib.h>

#define VEC(T) struct { T *v; size_t n, cap; }
#define VEC_INIT { NULL, 0, 0 }

#define VEC_GROW(vp, extra) do { \
	if ((vp)->n + (extra) > (vp)->cap) { \
		size_t cap_ = (vp)->cap ? (vp)->cap * 2 : 8; \
		while (cap_ < (vp)->n + (extra)) cap_ *= 2; \
		(vp)->v = xrealloc((vp)->v, cap_ * sizeof(*(vp)->v)); \
		(vp)->cap = cap_; \
	} \
} while (0)

#define VEC_PUSH(vp, x) do { VEC_GROW(vp, 1); (vp)->v[(vp)->n++] = (x); } while (0)
#define VEC_FREE(vp) do { free((vp)->v); (vp)->v = NULL; (vp)->n = (vp)->cap = 0; } while (0)

#endif
