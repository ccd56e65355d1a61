# rtcstream's demo server in a container.
#
#   podman build -t rtcstream .        (or docker build)
#   podman run --rm -p 7860:7860/tcp -p 7860:7860/udp rtcstream \
#       demo -addr :7860 -public-ip 203.0.113.7
#
# Media shares the page's port number over UDP (and ICE-TCP over TCP): publish
# both. Behind the container runtime's NAT, name the host's public address
# with -public-ip (or Network.PublicIPs), or run with --network host.
# For your own handler, replace ./cmd/rtcstream with your program's package.

FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvpx-dev libopus-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/rtcstream ./cmd/rtcstream

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvpx7 libopus0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home rtcstream
COPY --from=build /out/rtcstream /usr/local/bin/rtcstream
# uid 1000: what Hugging Face Spaces runs as.
USER rtcstream
EXPOSE 7860/tcp 7860/udp
ENTRYPOINT ["rtcstream"]
CMD ["demo", "-addr", ":7860"]
