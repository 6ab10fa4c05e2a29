# syntax=docker/dockerfile:1
# Multi-stage build of the stepwise binary and the example workers.
# The build command is the one CI checks (cmd/stepwise's TestDockerfile):
#   CGO_ENABLED=0 go build -o /out/ ./cmd/stepwise ./examples/order-processing/workers ./examples/map-fanout/fanout-worker ./examples/approval/approval-worker ./examples/approval/approver
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# The worker SDK's module, which go.mod replaces with ./workers.
COPY workers/go.mod workers/go.sum ./workers/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/ ./cmd/stepwise ./examples/order-processing/workers ./examples/map-fanout/fanout-worker ./examples/approval/approval-worker ./examples/approval/approver

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
EXPOSE 8080 9090
USER nonroot
ENTRYPOINT ["/usr/local/bin/stepwise"]
CMD ["server"]
