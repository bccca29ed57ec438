# ssot — GNU Makefile. `make`, `make test`, `make demo`, `make bench`,
# `make SANITIZE=1 test` (AddressSanitizer + UndefinedBehaviorSanitizer).

VERSION    := 0.1.0
CC         ?= cc
PKGS       := libpq jansson inih libcrypto libprotobuf-c
WARN       := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wvla -Wwrite-strings
WERROR     ?= 1
ifeq ($(WERROR),1)
WARN       += -Werror
endif
OPT        ?= -O2
CFLAGS     ?= $(OPT) -g
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS) -DSSOT_VERSION='"$(VERSION)"'
# libpq and libcrypto are not linked: src/util/dynload.c loads them on first
# use (they and their dependencies cost every start 6 ms; lint never needs
# them). It asks for the sonames of the libraries the headers belong to.
LINK_PKGS  := jansson inih libprotobuf-c
PKG_LINK    = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
soname      = $(or $(shell objdump -p $(shell pkg-config --variable=libdir $(1) 2>/dev/null)/$(2).so 2>/dev/null | awk '$$1 == "SONAME" {print $$2}'),$(3))
LIBS        = -lpg_query $(PKG_LINK) -lm -lpthread

# src/lint/ walks PostgreSQL's raw parse trees: their node structs come from
# the server headers of the major version libpg_query vendors (15; node
# layouts do not change within a major version). Only for src/lint/, and as
# -isystem, so that our warnings do not fire on PostgreSQL's headers.
PG_SERVER_INCLUDE ?= /usr/include/postgresql/15/server

ifeq ($(SANITIZE),1)
BUILD      ?= build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
else
BUILD      ?= build
endif

SRCS       := $(shell find src -name '*.c' | sort)
OBJS       := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS   := $(filter-out $(BUILD)/src/main.o $(BUILD)/src/cmd/%,$(OBJS))
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BIN        := $(BUILD)/ssot

.PHONY: all test unit units demo bench clean install-deps
all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/src/lint/%.o: ALL_CFLAGS += -isystem $(PG_SERVER_INCLUDE)
$(BUILD)/src/util/dynload.o: ALL_CFLAGS += -DLIBPQ_SONAME='"$(call soname,libpq,libpq,libpq.so.5)"' \
	-DLIBCRYPTO_SONAME='"$(call soname,libcrypto,libcrypto,libcrypto.so.3)"'

-include $(OBJS:.o=.d)

install-deps:
	@scripts/install-deps

# Unit tests (cmocka, TAP output) and integration tests (Perl TAP against a
# real PostgreSQL the tests start themselves), all under prove.
test: install-deps
	@$(MAKE) --no-print-directory $(BIN) units
	SSOT_BIN=$(abspath $(BIN)) CMOCKA_MESSAGE_OUTPUT=TAP \
		prove $(PROVE_FLAGS) $(abspath $(UNIT_BINS)) tests/integration/*.t

units: $(UNIT_BINS)

unit: install-deps
	@$(MAKE) --no-print-directory units
	CMOCKA_MESSAGE_OUTPUT=TAP prove $(PROVE_FLAGS) $(abspath $(UNIT_BINS))

demo: install-deps
	@$(MAKE) --no-print-directory $(BIN)
	@SSOT_BIN=$(abspath $(BIN)) scripts/demo

bench: install-deps
	@$(MAKE) --no-print-directory $(BIN)
	@SSOT_BIN=$(abspath $(BIN)) bench/run

clean:
	rm -rf build build-san
