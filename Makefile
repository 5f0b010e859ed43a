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

.PHONY: all build run test test-deps sendmail-deps vet fmt-check bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/officemilter

# Runs the daemon in the foreground with the embedded default policy
# (legacy Office attachments stripped for every recipient).
run: build
	$(BIN) serve --listen $(LISTEN)

# Installs Postfix, swaks, miltertest, msoffcrypto-tool, tnef, Perl MIME-tools, python3-olefile,
# mtools, qemu-utils, podman and runc (the container image test builds and runs the
# Dockerfile's runtime stage; no registry needed) and what Sendmail needs (m4, libwrap0,
# libldap) with apt-get when one is missing, and unpacks Sendmail into SENDMAIL_ROOT (see sendmail-deps)
# (as root; Postfix is configured "Local only" and not started: the tests
# run their own private instance), then runs vet, gofmt and all tests with
# the race detector, the Postfix end-to-end tests included.
test: test-deps vet fmt-check
	OFFICEMILTER_SENDMAIL_ROOT=$(SENDMAIL_ROOT) $(GO) test -race -count=1 -timeout 20m ./...

test-deps:
	@missing=""; \
	for c in postfix:/usr/sbin/postfix swaks:/usr/bin/swaks miltertest:/usr/bin/miltertest \
		python3-msoffcrypto-tool:/usr/bin/msoffcrypto-tool tnef:/usr/bin/tnef \
		libmime-tools-perl:/usr/share/perl5/MIME/Parser.pm \
		python3-olefile:/usr/lib/python3/dist-packages/olefile \
		mtools:/usr/bin/mcopy qemu-utils:/usr/bin/qemu-img \
		podman:/usr/bin/podman runc:/usr/sbin/runc \
		m4:/usr/bin/m4 libwrap0:/usr/lib/x86_64-linux-gnu/libwrap.so.0 \
		libldap-2.5-0:/usr/lib/x86_64-linux-gnu/libldap-2.5.so.0; do \
		p=$${c%%:*}; f=$${c#*:}; [ -e "$$f" ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
		echo "postfix postfix/main_mailer_type select Local only" | $$SUDO debconf-set-selections; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@$(MAKE) --no-print-directory sendmail-deps

# Sendmail for its end-to-end test: Debian's sendmail-bin and sendmail-cf are
# downloaded and unpacked into SENDMAIL_ROOT, never installed (they would
# replace Postfix as the system MTA). The test runs it with a private
# configuration built from contrib/sendmail/officemilter.mc.
SENDMAIL_ROOT ?= $(CURDIR)/.cache/sendmail
sendmail-deps:
	@if [ ! -x "$(SENDMAIL_ROOT)/usr/libexec/sendmail/sendmail" ] || [ ! -f "$(SENDMAIL_ROOT)/usr/share/sendmail/cf/m4/cf.m4" ]; then \
		echo "unpacking sendmail-bin and sendmail-cf into $(SENDMAIL_ROOT)"; \
		debs=$$(mktemp -d) && chmod 777 "$$debs" && \
		(cd "$$debs" && { apt-get download sendmail-bin sendmail-cf 2>/dev/null || \
			{ if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; $$SUDO apt-get update -q >/dev/null && apt-get download sendmail-bin sendmail-cf; }; }) && \
		rm -rf "$(SENDMAIL_ROOT)" && mkdir -p "$(SENDMAIL_ROOT)" && \
		for d in "$$debs"/*.deb; do dpkg-deb -x "$$d" "$(SENDMAIL_ROOT)" || exit 1; done; \
		rm -rf "$$debs"; \
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
