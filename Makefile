# cxhook — one plain Makefile.
#
#   make                      build build/cxhook
#   make test                 install what is missing, build, run every test
#                             (unit + integration, then again under ASan/UBSan,
#                             then unit tests and pool under valgrind)
#   make SANITIZE=address,undefined
#                             the sanitizer build, in build/sanitize/
#   make run                  a demo pool behind lighttpd on 127.0.0.1:8080
#   make bench                wrk against the pool through lighttpd
#   make install              PREFIX=/usr/local DESTDIR=

PREFIX		?= /usr/local
DESTDIR		?=
PKGS		:= json-c libpq libcurl inih libsystemd icu-uc icu-i18n
PKG_CONFIG	?= pkg-config

ifneq ($(SANITIZE),)
BUILD		?= build/sanitize
SANFLAGS	:= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
else
BUILD		?= build
SANFLAGS	:=
endif

VERSION		:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# libfcgi: Debian's source package plus deps/libfcgi/*.patch, built once
# into a static library shared by every build (scripts/libfcgi.sh).
LIBFCGI_DIR	:= build/deps/libfcgi
LIBFCGI		:= $(LIBFCGI_DIR)/libfcgi.a

WARN		:= -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
		   -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
		   -Wformat=2 -Wvla -Wno-unused-parameter
ifneq ($(CI),)
WARN		+= -Werror
endif

CFLAGS		?= -O2 -g
ALL_CFLAGS	 = -std=c11 -D_GNU_SOURCE -fno-common $(WARN) $(SANFLAGS) \
		   -DCXHOOK_VERSION='"$(VERSION)"' -I. -I$(BUILD)/gen \
		   -I$(LIBFCGI_DIR)/include \
		   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
ALL_LDFLAGS	 = $(SANFLAGS) $(LDFLAGS)
LIBS		 = $(LIBFCGI) $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

LIB_SRC		:= $(wildcard lib/*.c)
CX_SRC		:= $(wildcard cx/*.c)
HANDLER_SRC	:= $(wildcard handlers/*.c)
FCGI_SRC	:= $(wildcard fcgi/*.c)
MIGRATIONS	:= $(sort $(wildcard sql/migrations/*.sql))

# Everything but fcgi/main.c is also linked into the unit tests.
CORE_SRC	:= $(LIB_SRC) $(CX_SRC) $(HANDLER_SRC) \
		   $(filter-out fcgi/main.c,$(FCGI_SRC))
CORE_OBJ	:= $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
MAIN_OBJ	:= $(BUILD)/fcgi/main.o

UNIT_SRC	:= $(wildcard tests/unit/test_*.c)
UNIT_BIN	:= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_LIBS	:= $(LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

.PHONY: all deps test unit-tests check-unit check-integration check-valgrind \
	check-sanitize check-headers fuzz bench run install clean

all: $(BUILD)/cxhook

deps:
	@scripts/deps.sh

$(BUILD)/cxhook: $(MAIN_OBJ) $(CORE_OBJ) $(LIBFCGI)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(CORE_OBJ) $(LIBS)

# The same program linked with Debian's stock libfcgi, whose worker still
# aborts on a crafted record: the tests use it to show that the pool
# contains a worker that crashes mid-request.
$(BUILD)/cxhook-stock-libfcgi: $(MAIN_OBJ) $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(CORE_OBJ) \
	    $(filter-out $(LIBFCGI),$(LIBS)) -lfcgi

$(LIBFCGI): scripts/libfcgi.sh $(wildcard deps/libfcgi/*)
	scripts/libfcgi.sh $(LIBFCGI_DIR)

$(BUILD)/%.o: %.c $(wildcard */*.h) Makefile | $(LIBFCGI)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The migrations are compiled into the binary, so an installed cxhook needs
# no data directory to migrate its database.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	scripts/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c | $(LIBFCGI)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

unit-tests: $(UNIT_BIN)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ) $(LIBFCGI) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Wno-missing-declarations \
	    -o $@ $< $(CORE_OBJ) $(ALL_LDFLAGS) $(UNIT_LIBS)

# Every header compiles on its own, and the handler seam stays free of the
# transport libraries (so handlers/ builds and tests without them).
HEADERS		:= $(wildcard lib/*.h cx/*.h handlers/*.h fcgi/*.h)

check-headers:
	@for h in $(HEADERS); do \
		echo "#include \"$$h\"" | $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - \
		    || { echo "check-headers: $$h does not compile alone"; exit 1; }; \
	done
	@! grep -nE '#include [<"](fcgiapp|libpq-fe|curl/curl)\.h' \
	    handlers/*.h handlers/*.c cx/*.h cx/*.c lib/*.h lib/*.c \
	    || { echo "check-headers: transport headers outside fcgi/"; exit 1; }
	@echo "check-headers: $(words $(HEADERS)) headers compile alone"

check-unit: unit-tests
	@tests/run-unit.sh $(UNIT_BIN)

check-integration: all $(BUILD)/cxhook-stock-libfcgi
	@CXHOOK=$(CURDIR)/$(BUILD)/cxhook tests/run-integration.sh

# The unit tests, then the pool itself answering the request corpus and
# the account conversations through every web server, all under memcheck.
check-valgrind: all unit-tests
	@VALGRIND=1 tests/run-unit.sh $(UNIT_BIN)
	@VALGRIND=1 CXHOOK=$(CURDIR)/$(BUILD)/cxhook tests/run-integration.sh \
	    tests/integration/test_corpus.py tests/integration/test_accounts.py

check-sanitize:
	$(MAKE) SANITIZE=address,undefined check-unit check-integration

test: deps
	$(MAKE) all unit-tests check-headers
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-sanitize
	$(MAKE) check-valgrind
	$(MAKE) fuzz FUZZ_SECONDS=20

# libFuzzer over the whole request pipeline (tests/fuzz/fuzz_webhook.c),
# seeded with tests/corpus; a crash, leak, sanitizer report or broken
# promise fails, and leaves the input in build/fuzz/.
FUZZ_SECONDS	?= 60
FUZZ_FLAGS	:= -std=c11 -D_GNU_SOURCE -g -O1 \
		   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		   -DCXHOOK_VERSION='"$(VERSION)"' -I. -I$(BUILD)/gen \
		   -I$(LIBFCGI_DIR)/include \
		   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)

fuzz: $(BUILD)/gen/migrations.c $(LIBFCGI)
	@mkdir -p build/fuzz/corpus
	clang $(FUZZ_FLAGS) -o build/fuzz/fuzz_webhook tests/fuzz/fuzz_webhook.c \
	    $(CORE_SRC) $(BUILD)/gen/migrations.c $(LIBS)
	cp tests/corpus/requests/*.json tests/corpus/bad/*.json build/fuzz/corpus/
	cd build/fuzz && ./fuzz_webhook -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	    corpus

# These install packages first, then build in a fresh make: the flags
# above come from pkg-config, which only knows libraries once installed.
run:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench.sh

install: $(BUILD)/cxhook
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/cxhook/sql \
	    $(DESTDIR)$(PREFIX)/share/cxhook/conf
	install -m 0755 $(BUILD)/cxhook $(DESTDIR)$(PREFIX)/bin/cxhook
	install -m 0644 sql/migrations/*.sql sql/demo/*.sql \
	    $(DESTDIR)$(PREFIX)/share/cxhook/sql/
	install -m 0644 conf/* $(DESTDIR)$(PREFIX)/share/cxhook/conf/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/bin/cxhook|$(PREFIX)/bin/cxhook|g' systemd/cxhook.service \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/cxhook.service
	install -m 0644 systemd/cxhook.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/

clean:
	rm -rf build
