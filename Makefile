# berth: one binary, a static core library, unit tests and fuzz targets.
# Every .c under src/ except src/main.c goes into libberth.a, every
# tests/unit/test_*.c becomes a test binary and every fuzz/fuzz_*.c a
# libFuzzer target, so adding a module never needs an edit here.

CC       ?= cc
PKGS     := libcurl jansson libmicrohttpd ncursesw
# log outputs: gzip bodies (zlib), syslog/GELF/Redis over TLS (OpenSSL)
PKGS     += zlib openssl
# launch specs in YAML (release/env/spec.c)
PKGS     += yaml-0.1
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter -Wvla \
            -Wno-format-truncation
ifneq (,$(findstring clang,$(CC)))
WARN     += -Wno-unknown-warning-option
endif
OPT      ?= -O2 -g
CFLAGS   += $(CSTD) $(WARN) $(OPT) -pthread -Isrc $(shell pkg-config --cflags $(PKGS))
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -pthread -lm

BUILD    ?= build
SRCS     := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
UNIT     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
FUZZ     := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard fuzz/fuzz_*.c))
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GITREV   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# The dashboard's files, built into the binary: scripts/webgen.c turns them
# (and their gzip -9n copies) into $(BUILD)/gen/web_assets.c (src/web/assets.h).
WEB      := web/index.html web/app.js web/style.css
OBJS     += $(BUILD)/gen/web_assets.o

all: $(BUILD)/berth

# V=1 shows the full command lines.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -DBERTH_VERSION='"$(VERSION)"' -DBERTH_GITREV='"$(GITREV)"' -MMD -MP -c $< -o $@

$(BUILD)/webgen: scripts/webgen.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/web/%.gz: web/%
	@mkdir -p $(dir $@)
	$(Q)gzip -9nc $< >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/web_assets.c: $(BUILD)/webgen $(WEB) $(WEB:web/%=$(BUILD)/web/%.gz)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  WEBGEN  $@")
	$(Q)$(BUILD)/webgen $@ $(foreach f,$(WEB),$(f) $(BUILD)/web/$(notdir $(f)).gz)

$(BUILD)/gen/web_assets.o: $(BUILD)/gen/web_assets.c
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libberth.a: $(OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/berth: $(BUILD)/src/main.o $(BUILD)/libberth.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libberth.a $(LDLIBS) $(shell pkg-config --libs cmocka)

# Test tools (tests/tools/*.c): receivers and drivers the integration tests
# and benchmarks run; `make tools`.
TOOLS    := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
tools: $(TOOLS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libberth.a $(LDLIBS)

unit: $(UNIT)
	@fail=0; for t in $(UNIT); do ./$$t || fail=1; done; exit $$fail

# ASan+UBSan build of everything into build-asan/.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" all $(patsubst $(BUILD)/%,build-asan/%,$(UNIT))

# libFuzzer targets, built with clang into build-fuzz/.
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
		$(patsubst $(BUILD)/%,build-fuzz/%,$(FUZZ))

$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libberth.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/libberth.a $(LDLIBS)

format:
	clang-format -i $$(find src tests/unit fuzz bench -name '*.[ch]')

format-check:
	clang-format --dry-run --Werror $$(find src tests/unit fuzz bench -name '*.[ch]')

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all tools unit asan fuzz format format-check clean
-include $(OBJS:.o=.d) $(BUILD)/src/main.d
