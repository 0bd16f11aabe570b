# cxhook — one plain Makefile.
#
#   make                      build build/cxhook
#   make test                 install what is missing, build, run every test
#                             (unit + integration, then again under ASan/UBSan,
#                             then unit tests and pool under valgrind, then
#                             the Debian package, the container image, then
#                             the fuzzers)
#   make SANITIZE=address,undefined
#                             the sanitizer build, in build/sanitize/
#   make run                  a demo pool behind lighttpd on 127.0.0.1:8080
#   make bench                cxhook beside a bare libfcgi responder and FastAPI
#   make bench-large          the same on a data set 100 times larger
#   make bench-triage         train the triage model on CLINC150, time it
#   make man                  the manual pages cxhook(8) and cxhook.conf(5)
#   make install              PREFIX=/usr/local DESTDIR= (UNITDIR=)
#   make deb                  the Debian package, build/deb/cxhook_VERSION_ARCH.deb,
#                             checked by lintian (scripts/deb.sh, debian/)
#   make test-package         install, upgrade, remove and purge that package
#                             in a clean Debian 12 chroot (tests/package/)
#   make test-container       build the container image with podman (no
#                             registry: local Debian 12 bases) and run it
#                             (tests/container/); both need root or sudo

PREFIX		?= /usr/local
DESTDIR		?=
# Where `make install` puts the systemd units; the Debian package sets
# /lib/systemd/system, where Debian 12's debhelper looks for them.
UNITDIR		?= $(PREFIX)/lib/systemd/system
PKG_CONFIG	?= pkg-config
# The transport-free core needs only these; the edges add the rest.  ICU
# is compiled against but not linked: lib/textkey.c loads it when first
# needed.
CORE_PKGS	:= json-c inih libcrypto
EDGE_PKGS	:= libpq libcurl libsystemd
PKGS		:= $(CORE_PKGS) $(EDGE_PKGS) icu-uc

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
		   $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS	 = $(SANFLAGS) $(LDFLAGS)
LIBS		 = $(LIBFCGI) $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) $(EDGE_PKGS) 2>/dev/null) -lm

# The layers, each a folder (README.md, "Layout").  The core is
# transport-free: it builds into one static library, which the unit tests
# link with json-c, inih, ICU and cmocka only; `make check-seams` proves
# it needs no libfcgi, libpq, libcurl or libsystemd.  The edges reach the
# outside world.
CORE_DIRS	:= lib cx auth handlers request config triage
EDGE_DIRS	:= fcgi db upstream courier keys cli
CORE_SRC	:= $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c))
EDGE_SRC	:= $(foreach d,$(EDGE_DIRS),$(wildcard $(d)/*.c))
CORE_OBJ	:= $(CORE_SRC:%.c=$(BUILD)/%.o)
EDGE_OBJ	:= $(EDGE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
CORE_LIB	:= $(BUILD)/libcxcore.a
CORE_LIBS	 = $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) 2>/dev/null) -lm
MIGRATIONS	:= $(sort $(wildcard sql/migrations/*.sql))

UNIT_SRC	:= $(wildcard tests/unit/test_*.c)
UNIT_BIN	:= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_LIBS	 = $(CORE_LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
# Pure data of the edges that the unit tests may link beside the core:
# the table of SQL statements, which needs no libpq (check-seams checks).
UNIT_EDGE_OBJ	:= $(BUILD)/db/stmt.o

.PHONY: all deps test unit-tests check-unit check-integration check-valgrind \
	check-sanitize check-headers check-seams fuzz fuzz-model bench man \
	bench-large bench-triage run install deb test-package test-container \
	clean

all: $(BUILD)/cxhook

deps:
	@scripts/deps.sh

$(BUILD)/cxhook: $(EDGE_OBJ) $(CORE_LIB) $(LIBFCGI)
	$(CC) $(ALL_LDFLAGS) -o $@ $(EDGE_OBJ) $(CORE_LIB) $(LIBS)

# The same program linked with Debian's stock libfcgi, whose worker still
# aborts on a crafted record: the tests use it to show that the pool
# contains a worker that crashes mid-request.
$(BUILD)/cxhook-stock-libfcgi: $(EDGE_OBJ) $(CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(EDGE_OBJ) $(CORE_LIB) \
	    $(filter-out $(LIBFCGI),$(LIBS)) -lfcgi

$(CORE_LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

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

$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB) $(UNIT_EDGE_OBJ) \
    $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -Wno-missing-declarations \
	    -o $@ $< $(UNIT_EDGE_OBJ) $(CORE_LIB) $(ALL_LDFLAGS) $(UNIT_LIBS)

# The seam is a link boundary.  The unit tests are linked above with the
# core library (and UNIT_EDGE_OBJ) and CORE_PKGS alone; and no member of
# the library, linked by a test or not, nor UNIT_EDGE_OBJ, may want a
# symbol that libfcgi, libpq, libcurl or libsystemd defines.
SEAM_LIBS	:= $(LIBFCGI) $(foreach p,$(EDGE_PKGS),$(shell $(PKG_CONFIG) \
		   --variable=libdir $(p) 2>/dev/null)/lib$(patsubst lib%,%,$(p)).so)

check-seams: $(CORE_LIB) $(UNIT_EDGE_OBJ) $(UNIT_BIN)
	@nm -u $(CORE_LIB) $(UNIT_EDGE_OBJ) | awk 'NF == 2 { print $$2 }' | sort -u >$(BUILD)/core.undefined
	@for l in $(SEAM_LIBS); do case $$l in *.a) nm --defined-only $$l ;; \
	    *) nm -D --defined-only $$l ;; esac; done \
	    | awk 'NF == 3 && $$2 ~ /^[TDBRW]$$/ { sub(/@.*/, "", $$3); print $$3 }' \
	    | sort -u >$(BUILD)/edge.defined
	@test -s $(BUILD)/edge.defined || { echo "check-seams: no edge symbols found"; exit 1; }
	@if comm -12 $(BUILD)/core.undefined $(BUILD)/edge.defined | grep .; then \
		echo "check-seams: the core library ($(CORE_DIRS)) or $(UNIT_EDGE_OBJ) wants the symbols above"; exit 1; fi
	@echo "check-seams: $(words $(CORE_OBJ)) core objects, $(words $(UNIT_EDGE_OBJ)) pure edge object, $(words $(UNIT_BIN)) unit tests: no libfcgi, libpq, libcurl or libsystemd"

# Every header compiles on its own, and the handler seam stays free of the
# transport libraries (so handlers/ builds and tests without them).
HEADERS		:= $(foreach d,$(CORE_DIRS) $(EDGE_DIRS),$(wildcard $(d)/*.h))

check-headers:
	@for h in $(HEADERS); do \
		echo "#include \"$$h\"" | $(CC) $(ALL_CFLAGS) -fsyntax-only -x c - \
		    || { echo "check-headers: $$h does not compile alone"; exit 1; }; \
	done
	@! grep -nE '#include [<"](fcgiapp|libpq-fe|curl/curl|systemd/[a-z-]*)\.h' \
	    $(foreach d,$(CORE_DIRS),$(d)/*.h $(d)/*.c) \
	    || { echo "check-headers: transport headers in the core ($(CORE_DIRS))"; exit 1; }
	@! grep -nE '#include [<"](json-c/[a-z_]*|cx/json)\.h' handlers/*.[ch] request/*.[ch] \
	    || { echo "check-headers: json-c past cx/ (handlers build answers with cx_resp_*)"; exit 1; }
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

# The Dockerfile built with podman from base images made of scripts/
# rootfs.sh's Debian 12 tree (no registry), its image run against a
# private PostgreSQL and behind nginx, and deploy/compose.yaml checked
# offline (tests/container/test_image.py).  podman runs as root here.
test-container: all
	@sudo=""; if [ "$$(id -u)" -ne 0 ]; then \
		command -v sudo >/dev/null 2>&1 || { echo "test-container:" \
		    "needs root (podman as root), and there is no sudo" >&2; \
		    exit 1; }; sudo=sudo; fi; \
	$$sudo env CXHOOK=$(CURDIR)/$(BUILD)/cxhook \
	    CXHOOK_ROOTFS=$$($$sudo scripts/rootfs.sh) \
	    PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q \
	    -p no:cacheprovider tests/container

# Every stage in turn; the fuzzers' chatter goes to build/fuzz/*.log (its
# tail is shown if one fails), and the last line says what ran and how long
# it took.
test: deps
	@t0=$$(date +%s); set -e; \
	$(MAKE) all unit-tests check-headers check-seams man; \
	$(MAKE) check-unit; \
	$(MAKE) check-integration; \
	$(MAKE) check-sanitize; \
	$(MAKE) check-valgrind; \
	$(MAKE) test-package; \
	$(MAKE) test-container; \
	mkdir -p build/fuzz; \
	$(MAKE) fuzz FUZZ_SECONDS=20 >build/fuzz/webhook.log 2>&1 || \
	    { tail -n 40 build/fuzz/webhook.log; exit 1; }; \
	$(MAKE) fuzz-model FUZZ_SECONDS=5 >build/fuzz/model.log 2>&1 || \
	    { tail -n 40 build/fuzz/model.log; exit 1; }; \
	echo "make test: passed in $$(( $$(date +%s) - t0 )) s: unit tests (plain," \
	    "ASan/UBSan, valgrind), integration (plain, ASan/UBSan; the corpus and" \
	    "accounts under valgrind), headers, seams, the Debian package (built," \
	    "lintian, installed, upgraded, purged in a Debian 12 chroot), the" \
	    "container image (podman), libFuzzer ($$(grep -h '^Done' \
	    build/fuzz/webhook.log build/fuzz/model.log | awk '{ n += $$2 } END { print n }')" \
	    "runs of the request pipeline and the triage model parser)"

# libFuzzer over the whole request pipeline (tests/fuzz/fuzz_webhook.c),
# seeded with tests/corpus; a crash, leak, sanitizer report or broken
# promise fails, and leaves the input in build/fuzz/.
FUZZ_SECONDS	?= 60
FUZZ_FLAGS	:= -std=c11 -D_GNU_SOURCE -g -O1 \
		   -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		   -DCXHOOK_VERSION='"$(VERSION)"' -I. \
		   $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS) icu-uc 2>/dev/null)

# The core alone: the fuzzer needs no libfcgi, libpq, libcurl or libsystemd.
fuzz:
	@mkdir -p build/fuzz/corpus
	clang $(FUZZ_FLAGS) -o build/fuzz/fuzz_webhook tests/fuzz/fuzz_webhook.c \
	    $(CORE_SRC) $(CORE_LIBS)
	cp $(filter-out %.expected.json,$(wildcard tests/corpus/requests/*.json)) \
	    tests/corpus/bad/*.json build/fuzz/corpus/
	cd build/fuzz && ./fuzz_webhook -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	    corpus

# libFuzzer over the triage model file's reader (tests/fuzz/
# fuzz_triage_model.c), seeded with a small model trained here.
fuzz-model: $(BUILD)/cxhook
	@mkdir -p build/fuzz/model-corpus
	clang $(FUZZ_FLAGS) -o build/fuzz/fuzz_triage_model \
	    tests/fuzz/fuzz_triage_model.c $(CORE_SRC) $(CORE_LIBS)
	$(BUILD)/cxhook train --data tests/corpus/triage/tiny.csv --folds 3 \
	    --model build/fuzz/model-corpus/tiny.model >/dev/null
	cd build/fuzz && ./fuzz_triage_model -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	    model-corpus

# Triage on the full CLINC150 train split (bench/clinc150/): the training
# time and the validation figures, then microseconds per classification
# and per whole triage turn (bench/triage_bench.c).
$(BUILD)/bench/triage_bench: bench/triage_bench.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) $(CORE_LIBS)

bench-triage: $(BUILD)/cxhook $(BUILD)/bench/triage_bench
	$(BUILD)/cxhook train --data bench/clinc150/train.csv \
	    --validate bench/clinc150/validation.csv \
	    --model $(BUILD)/bench/clinc150.model
	$(BUILD)/bench/triage_bench $(BUILD)/bench/clinc150.model \
	    bench/clinc150/validation.csv 10

# These install packages first, then build in a fresh make: the flags
# above come from pkg-config, which only knows libraries once installed.
run:
	@scripts/deps.sh run
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

# The bare responder of bench/yardstick, as anyone would write it: Debian's
# libfcgi, json-c and libpq, and nothing else.
build/bench/fcgi_balance: bench/yardstick/fcgi_balance.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra $(shell $(PKG_CONFIG) --cflags json-c libpq) \
	    -o $@ $< -lfcgi $(shell $(PKG_CONFIG) --libs json-c libpq)

# Side by side in one run: cxhook, the bare responder and FastAPI, behind
# lighttpd and nginx (bench/run.py says what it measures and how).
bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all build/bench/fcgi_balance
	@/usr/bin/python3 bench/run.py

# Does the cost per request stay flat as the data grows? The balance and the
# recent transactions on 100 times the accounts and 20 times the transactions,
# beside the default data set in the same run, up to 256 connections.
bench-large:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all build/bench/fcgi_balance
	@DATASETS="100000:1000000 10000000:20000000" REQUESTS="balance transactions" \
	    CONNS="16 64 256" WORKERS=2 TARGETS="cxhook bare" CEILING=0 \
	    /usr/bin/python3 bench/run.py

# The manual pages, each from one scdoc source in docs/man/.
MAN_PAGES	:= build/man/cxhook.8 build/man/cxhook.conf.5

man: $(MAN_PAGES)

build/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc <$< >$@.tmp && mv $@.tmp $@

install: $(BUILD)/cxhook $(MAN_PAGES)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/cxhook/sql \
	    $(DESTDIR)$(PREFIX)/share/cxhook/conf \
	    $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 build/man/cxhook.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 build/man/cxhook.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0755 $(BUILD)/cxhook $(DESTDIR)$(PREFIX)/bin/cxhook
	install -m 0644 sql/migrations/*.sql sql/demo/*.sql \
	    $(DESTDIR)$(PREFIX)/share/cxhook/sql/
	install -m 0644 conf/* $(DESTDIR)$(PREFIX)/share/cxhook/conf/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/cxhook|$(PREFIX)/bin/cxhook|g' systemd/cxhook.service \
	    > $(DESTDIR)$(UNITDIR)/cxhook.service
	install -m 0644 systemd/cxhook.socket $(DESTDIR)$(UNITDIR)/

# The Debian package, from a clean export of the tree (never build/), by
# dpkg-buildpackage and debian/rules; lintian must find no error.  Rebuilt
# when a file git knows of changes.
DEB_ARCH	:= $(shell dpkg --print-architecture 2>/dev/null)
DEB		:= build/deb/cxhook_$(VERSION)_$(DEB_ARCH).deb

deb: $(DEB)

$(DEB): $(wildcard $(shell git ls-files 2>/dev/null))
	scripts/deb.sh build/deb

# The package installed into a minimal Debian 12 (scripts/rootfs.sh), then
# upgraded, removed and purged (tests/package/test-package.sh).
test-package: $(DEB)
	tests/package/test-package.sh $(DEB)

clean:
	rm -rf build
