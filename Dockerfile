# cxhook as a container image: built on Debian 12, run on Debian 12 slim
# with the binary and the shared libraries it links or loads, nothing else.
#
#   podman build --format docker -t cxhook .     (docker build -t cxhook .)
#
# (--format docker: the OCI image format has no HEALTHCHECK, and podman
# builds OCI images unless asked.)  The container runs `cxhook serve` as
# user 10001 with /etc/cxhook/cxhook.conf mounted, listening for FastCGI
# on TCP (listen = 0.0.0.0:9000) for a web server in another container;
# `cxhook migrate` is the same image with another command.  Secrets go in
# /run/secrets (see README "Run it as a container"; deploy/compose.yaml
# pairs it with nginx and PostgreSQL).
#
# The base images are arguments, so that a machine with no registry can
# build from local ones (tests/container/ does).
ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The compiler and the -dev packages: scripts/deps.sh's build list, in a
# layer of their own, so that changed sources do not fetch them again.
COPY scripts/deps.sh scripts/
RUN scripts/deps.sh build
COPY . .
# libfcgi is built from Debian's source package, which scripts/libfcgi.sh
# fetches with apt from this stage's own Debian sources.  The migrations
# are compiled into the binary.
RUN make -j"$(nproc)" all \
    && strip -o /cxhook build/cxhook \
    && /cxhook --version

FROM ${RUNTIME_IMAGE}
# What build/cxhook links (ldd) and loads: ICU when it first folds a text
# key (libicuuc, dlopen); the CA roots and the time zones it checks
# [booking] timezone against.  liblinear4 is left out: only `cxhook train`
# loads it, and a model is trained off the server (README "Triage").
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
	libjson-c5 libinih1 libssl3 libpq5 libcurl4 libsystemd0 libicu72 \
	ca-certificates tzdata \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 cxhook \
    && useradd --system --uid 10001 --gid cxhook --no-create-home \
	--home-dir /nonexistent --shell /usr/sbin/nologin cxhook \
    && install -d -o cxhook -g cxhook -m 0750 /var/lib/cxhook
COPY --from=build /cxhook /usr/local/bin/cxhook

# A relative *_file name is looked up here, and an absent *_file key's
# secret is taken from the file named after its credential (bearer-token,
# basic-password, header-value, weather-api-key, booking-forward-token),
# as under systemd's LoadCredential=.  Compose and podman mount secrets
# here.
ENV CREDENTIALS_DIRECTORY=/run/secrets
USER 10001:10001
WORKDIR /var/lib/cxhook
EXPOSE 9000
# The pool stops gracefully on SIGTERM: busy workers finish their request.
STOPSIGNAL SIGTERM
# /healthz over FastCGI, where the configuration's listen says (a wildcard
# address asked on loopback): 200 when the pool answers and reaches the
# database.
HEALTHCHECK --interval=10s --timeout=10s --start-period=10s --retries=3 \
    CMD ["cxhook", "health"]
ENTRYPOINT ["cxhook"]
CMD ["serve"]

ARG RUNTIME_IMAGE
LABEL org.opencontainers.image.title="cxhook" \
      org.opencontainers.image.description="Dialogflow CX webhook server: a prefork pool of FastCGI workers for nginx, Apache or lighttpd" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
