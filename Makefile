# officemilter — the two commands a newcomer needs:
#   make run    build and run the milter on its embedded default config
#   make test   install what the tests need when missing, then run every test
GO       ?= go
BIN      ?= bin/officemilter
LISTEN   ?= inet:127.0.0.1:7357
# Debian packages the tests need: the real components the end-to-end tests
# talk to (postfix, swaks, miltertest) and independent tools some fixtures
# are cross-checked with (msoffcrypto-tool, tnef, Perl MIME-tools for the
# MIME differential test).

.PHONY: all build run test test-deps vet fmt-check bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/officemilter

# Runs the daemon in the foreground with the embedded default policy
# (legacy Office attachments stripped for every recipient).
run: build
	$(BIN) serve --listen $(LISTEN)

# Installs Postfix, swaks, miltertest, msoffcrypto-tool, tnef, Perl MIME-tools, python3-olefile,
# mtools, qemu-utils, podman and runc (the container image test builds and runs the
# Dockerfile's runtime stage; no registry needed) with apt-get when one is missing
# (as root; Postfix is configured "Local only" and not started: the tests
# run their own private instance), then runs vet, gofmt and all tests with
# the race detector, the Postfix end-to-end tests included.
test: test-deps vet fmt-check
	$(GO) test -race -count=1 -timeout 20m ./...

test-deps:
	@missing=""; \
	for c in postfix:/usr/sbin/postfix swaks:/usr/bin/swaks miltertest:/usr/bin/miltertest \
		python3-msoffcrypto-tool:/usr/bin/msoffcrypto-tool tnef:/usr/bin/tnef \
		libmime-tools-perl:/usr/share/perl5/MIME/Parser.pm \
		python3-olefile:/usr/lib/python3/dist-packages/olefile \
		mtools:/usr/bin/mcopy qemu-utils:/usr/bin/qemu-img \
		podman:/usr/bin/podman runc:/usr/sbin/runc; do \
		p=$${c%%:*}; f=$${c#*:}; [ -e "$$f" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		echo "postfix postfix/main_mailer_type select Local only" | $$SUDO debconf-set-selections; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Benchmarks that print the figures quoted in the README and issue notes.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./inspect/... ./milter/...

# Every fuzz target for FUZZTIME (default 2m) each.
FUZZTIME ?= 2m
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin
