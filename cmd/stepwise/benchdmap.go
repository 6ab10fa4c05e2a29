package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/internal/bench"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/services/objects/s3server"
)

// dmapBucket is the bucket of the dmap workload's items.
const dmapBucket = "bench"

// dmapSize returns the items of a dmap workload by its name (dmap-<n> or
// dmap-express-<n>, bench.DMap).
func dmapSize(name string) (int, bool) {
	n, ok := strings.CutPrefix(name, "dmap-")
	if !ok {
		return 0, false
	}
	size, err := strconv.Atoi(strings.TrimPrefix(n, "express-"))
	return size, err == nil
}

// dmapObjects serves the items of the dmap workloads among loads from an
// embedded S3 endpoint on a temporary folder, and returns the object
// store (nil when no load is a dmap) and what closes it.
func dmapObjects(ctx context.Context, loads []bench.Workload) (objects.Store, func(), error) {
	var sizes []int
	for _, w := range loads {
		if size, ok := dmapSize(w.Name); ok {
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
	return st, closeAll, nil
}

// checkDMapResults checks what the ResultWriter of the dmap workload of
// items wrote: every manifest under bench.DMapResults(items) (one per Map
// Run) lists SUCCEEDED files that hold each item exactly once, and no
// FAILED or PENDING file. It returns a one-line summary.
func checkDMapResults(ctx context.Context, st objects.Store, items int) (string, error) {
	prefix := bench.DMapResults(items) + "/"
	var manifests []string
	for page := (objects.ListPage{IsTruncated: true}); page.IsTruncated; {
		var err error
		page, err = st.List(ctx, objects.ListInput{Bucket: dmapBucket, Prefix: prefix, ContinuationToken: page.NextContinuationToken})
		if err != nil {
			return "", err
		}
		for _, o := range page.Objects {
			if strings.HasSuffix(o.Key, "/manifest.json") {
				manifests = append(manifests, o.Key)
			}
		}
	}
	if len(manifests) == 0 {
		return "", fmt.Errorf("no manifest.json under s3://%s/%s", dmapBucket, prefix)
	}
	files, bytes := 0, int64(0)
	for _, key := range manifests {
		var m struct {
			ResultFiles map[string][]struct {
				Key  string
				Size int64
			}
		}
		if err := getJSON(ctx, st, key, &m); err != nil {
			return "", err
		}
		if n := len(m.ResultFiles["FAILED"]) + len(m.ResultFiles["PENDING"]); n > 0 {
			return "", fmt.Errorf("%s lists %d FAILED or PENDING files; want none", key, n)
		}
		seen := make([]bool, items)
		count := 0
		for _, f := range m.ResultFiles["SUCCEEDED"] {
			var entries []struct{ Status, Input string }
			if err := getJSON(ctx, st, f.Key, &entries); err != nil {
				return "", err
			}
			files++
			bytes += f.Size
			for _, e := range entries {
				var item struct{ ID *int }
				if err := json.Unmarshal([]byte(e.Input), &item); err != nil || item.ID == nil || *item.ID < 0 || *item.ID >= items {
					return "", fmt.Errorf("%s: a result whose Input %q is no item", f.Key, e.Input)
				}
				if e.Status != "SUCCEEDED" || seen[*item.ID] {
					return "", fmt.Errorf("%s: item %d: status %s, seen before: %v", f.Key, *item.ID, e.Status, seen[*item.ID])
				}
				seen[*item.ID] = true
				count++
			}
		}
		if count != items {
			return "", fmt.Errorf("%s: %d of %d items have a result", key, count, items)
		}
	}
	return fmt.Sprintf("ResultWriter: %d manifest(s), each with all %d items SUCCEEDED exactly once, in %d file(s) (%.1f MB)",
		len(manifests), items, files, float64(bytes)/1e6), nil
}

// getJSON reads the JSON object key of the dmap bucket into v.
func getJSON(ctx context.Context, st objects.Store, key string, v any) error {
	o, err := st.Get(ctx, objects.GetInput{Bucket: dmapBucket, Key: key})
	if err != nil {
		return err
	}
	defer o.Body.Close()
	if err := json.NewDecoder(o.Body).Decode(v); err != nil {
		return fmt.Errorf("s3://%s/%s: %w", dmapBucket, key, err)
	}
	return nil
}

// peakRSS is this process's peak resident set size in MB (0 where
// /proc/self/status is not there).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// goMemory samples the Go runtime's memory while a dmap run goes, to tell
// the peak RSS's live heap from the rest (garbage awaiting collection,
// heap headroom not yet returned, stacks, the runtime's own).
type goMemory struct {
	stop chan struct{}
	done sync.WaitGroup
	// Live is the most live heap a GC found (/gc/heap/live:bytes), Held
	// the most memory the runtime held from the OS and had not released
	// (/memory/classes/total:bytes − /memory/classes/heap/released:bytes).
	Live, Held uint64
}

// sampleGoMemory starts sampling every 100 ms until Stop.
func sampleGoMemory() *goMemory {
	m := &goMemory{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	read := func() {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 || s[2].Value.Kind() != metrics.KindUint64 {
			return
		}
		m.Live = max(m.Live, s[0].Value.Uint64())
		m.Held = max(m.Held, s[1].Value.Uint64()-s[2].Value.Uint64())
	}
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// Stop ends the sampling; Live and Held are final once it returns.
func (m *goMemory) Stop() {
	close(m.stop)
	m.done.Wait()
}
