# officemilter in a container: a static binary on an empty base image,
# running as an unprivileged user, with the embedded default policy (legacy
# Office attachments stripped for every recipient).
#
#   docker build -t officemilter .
#   docker run -d --name officemilter -p 127.0.0.1:7357:7357 \
#       -v officemilter-quarantine:/var/lib/officemilter/quarantine officemilter
#
# Postfix then uses smtpd_milters = inet:127.0.0.1:7357. Your own policy:
# mount it and pass `serve --config /etc/officemilter/officemilter.yml`.
# Environment: OFFICEMILTER_LISTEN (default inet:0.0.0.0:7357 here),
# OFFICEMILTER_SPOOL, OFFICEMILTER_QUARANTINE override the configuration.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY inspect ./inspect
COPY milter ./milter
COPY notify ./notify
ARG VERSION=container
# The binary and the directories of the runtime image, under /out.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/usr/local/bin/officemilter ./cmd/officemilter
RUN install -d -o 65532 -g 65532 -m 0700 /out/var/spool/officemilter /out/var/lib/officemilter/quarantine && install -d -m 1777 /out/tmp

FROM scratch AS runtime
COPY --from=build /out/ /
USER 65532:65532
ENV OFFICEMILTER_LISTEN=inet:0.0.0.0:7357 \
    OFFICEMILTER_SPOOL=/var/spool/officemilter \
    OFFICEMILTER_QUARANTINE=/var/lib/officemilter/quarantine \
    TMPDIR=/tmp
VOLUME ["/var/spool/officemilter", "/var/lib/officemilter/quarantine"]
EXPOSE 7357
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 CMD ["/usr/local/bin/officemilter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/officemilter"]
CMD ["serve"]
