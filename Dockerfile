# Miroir container image.
#
#   docker build -t miroir:0.1.0 .
#   docker run --rm -p 7700:7700 -v $PWD/miroir.yaml:/etc/miroir/miroir.yaml:ro miroir:0.1.0
#   (a miroir.yaml with listen.address: "0.0.0.0", keys in MIROIR_MASTER_KEY and
#   MIROIR_ADMIN_KEY; the Helm chart in charts/miroir does all of this)
#
# Two stages on Debian 12, the distribution the project builds and tests on:
# the build stage compiles `miroir` and `miroir-ctl` (the operator CLI, for
# `kubectl exec ... -- miroir-ctl migrations status`) with the same Debian
# packages as scripts/setup.sh; the runtime stage is debian:12-slim with only
# the shared libraries they link, running as an unprivileged user (uid 10001).
# bash stays in the image: the Helm chart's readiness probe is a bash script.
#
# Not built by this repository's CI (its machines run no container engine);
# tests/deploy/check_dockerfile.py checks what can be checked without one.

ARG DEBIAN=debian:12-slim

FROM ${DEBIAN} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      libboost1.81-dev nlohmann-json3-dev libyaml-cpp-dev libhiredis-dev \
      libxxhash-dev libsimdjson-dev libsqlite3-dev libssl-dev libspdlog-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY include/ include/
COPY src/ src/
# CMakeLists.txt adds the tools' directories; only the two targets are built.
COPY tools/ tools/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMIROIR_BUILD_TESTS=OFF -DMIROIR_BUILD_BENCH=OFF \
 && ninja -C build miroir miroir-ctl \
 && strip --strip-debug build/src/miroir build/tools/miroir-ctl/miroir-ctl

FROM ${DEBIAN}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libsqlite3-0 libyaml-cpp0.7 libxxhash0 libhiredis0.14 libsimdjson14 \
      libspdlog1.10 libfmt9 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 miroir \
 && useradd --system --uid 10001 --gid miroir --home-dir /var/lib/miroir --no-create-home \
      --shell /usr/sbin/nologin miroir \
 && install -d -o miroir -g miroir -m 0750 /var/lib/miroir \
 && install -d -m 0755 /etc/miroir
COPY --from=build /src/build/src/miroir /usr/local/bin/miroir
COPY --from=build /src/build/tools/miroir-ctl/miroir-ctl /usr/local/bin/miroir-ctl
COPY config/miroir.example.yaml /etc/miroir/miroir.example.yaml
USER 10001:10001
WORKDIR /var/lib/miroir
# 7700: the Meilisearch API; 9100: Prometheus metrics (listen.metrics_port).
EXPOSE 7700 9100
ENTRYPOINT ["/usr/local/bin/miroir"]
CMD ["--config", "/etc/miroir/miroir.yaml"]
