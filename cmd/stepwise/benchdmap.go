package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/bench"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/services/objects/s3server"
)

// dmapBucket is the bucket of the dmap workload's items.
const dmapBucket = "bench"

// dmapObjects serves the items of the dmap workloads among loads from an
// embedded S3 endpoint on a temporary folder, and returns the item reader
// on it (nil when no load is a dmap) and what closes it.
func dmapObjects(ctx context.Context, loads []bench.Workload) (engine.Service, func(), error) {
	var sizes []int
	for _, w := range loads {
		if n, ok := strings.CutPrefix(w.Name, "dmap-"); ok {
			size, _ := strconv.Atoi(n)
			sizes = append(sizes, size)
		}
	}
	if len(sizes) == 0 {
		return nil, nil, nil
	}
	dir, err := os.MkdirTemp("", "stepwise-bench-s3-")
	if err != nil {
		return nil, nil, err
	}
	h, err := s3server.New(s3server.Config{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: http.StripPrefix("/s3", h)}
	go func() { _ = srv.Serve(ln) }()
	closeAll := func() { _ = srv.Close(); _ = os.RemoveAll(dir) }
	st := objects.NewS3(objects.S3Config{Endpoint: "http://" + ln.Addr().String() + "/s3", UsePathStyle: true, AccessKeyID: "bench", SecretAccessKey: "bench"})
	if err := st.CreateBucket(ctx, dmapBucket); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("dmap items: %w", err)
	}
	for _, n := range sizes {
		body := bench.DMapItems(n)
		if _, err := st.Put(ctx, objects.PutInput{Bucket: dmapBucket, Key: fmt.Sprintf("items-%d.jsonl", n), Body: strings.NewReader(body), Size: int64(len(body))}); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("dmap items: %w", err)
		}
	}
	return objects.NewReaderService(st), closeAll, nil
}
