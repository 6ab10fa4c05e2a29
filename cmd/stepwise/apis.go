package main

import (
	"flag"
	"net"
	"net/http"
	"os"
	"strconv"

	"google.golang.org/grpc"

	"github.com/stepwise-dev/stepwise/api"
)

// frontDoorConfig is what `stepwise server` and `stepwise dev` share about
// their HTTP and gRPC ports.
type frontDoorConfig struct {
	MaxConnections int
	PublicMetrics  bool
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// frontDoorFlags defines the flags of frontDoorConfig on fs; metrics says
// whether the process has a token (--public-metrics means nothing without).
func frontDoorFlags(fs *flag.FlagSet, c *frontDoorConfig, metrics bool) {
	fs.IntVar(&c.MaxConnections, "max-connections", envInt("STEPWISE_MAX_CONNECTIONS", api.DefaultMaxConnections),
		"connections each of the HTTP and gRPC ports holds at once; one more is answered 429 (HTTP) and closed; 0: no bound (STEPWISE_MAX_CONNECTIONS)")
	if metrics {
		fs.BoolVar(&c.PublicMetrics, "public-metrics", envBool("STEPWISE_PUBLIC_METRICS", false),
			"serve /metrics without the --auth-token (for a scraper that cannot send one) (STEPWISE_PUBLIC_METRICS)")
	}
}

// apiServers returns the HTTP and gRPC servers of srv, with handler (srv's
// HTTP handler) behind the front door's bounds, and the listeners bounded
// to c.MaxConnections each. (srv itself keeps /metrics behind the token
// unless api.Config.PublicMetrics, and checks gRPC requests against AWS's
// field limits.)
func apiServers(srv *api.Server, handler http.Handler, httpLn, grpcLn net.Listener, c frontDoorConfig) (*http.Server, *grpc.Server, net.Listener, net.Listener) {
	hs := api.NewHTTPServer(handler)
	gs := srv.GRPCServer()
	return hs, gs, api.LimitListener(httpLn, c.MaxConnections, api.TooManyConnections), api.LimitListener(grpcLn, c.MaxConnections, nil)
}
