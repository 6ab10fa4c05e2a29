// Package fanout is the Map fan-out example: fanout.asl.json makes a
// thumbnail of every image of an album with a Map state (at most four at a
// time, each image retried on its own), then totals the results. Register
// adds its two workers, resize-image and summarize-album, to a
// workers.Worker; ./fanout-worker runs them as a program.
package fanout

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/workers"
)

// Definition is the state machine (fanout.asl.json).
//
//go:embed fanout.asl.json
var Definition string

// Image is one item of the Map, as its ItemSelector shapes it.
type Image struct {
	Album string `json:"album"`
	Image string `json:"image"`
	Index int    `json:"index"`
}

// Thumbnail is resize-image's result.
type Thumbnail struct {
	Source    string `json:"source"`
	Thumbnail string `json:"thumbnail"`
	Bytes     int    `json:"bytes"`
}

// Album is summarize-album's input: the execution input plus the
// thumbnails the Map collected, in item order.
type Album struct {
	Album      string      `json:"album"`
	Images     []string    `json:"images"`
	Thumbnails []Thumbnail `json:"thumbnails"`
}

// Summary is summarize-album's result, the execution's output.
type Summary struct {
	Album      string   `json:"album"`
	Count      int      `json:"count"`
	TotalBytes int      `json:"totalBytes"`
	Thumbnails []string `json:"thumbnails"`
}

// Register adds resize-image and summarize-album to w.
func Register(w *workers.Worker) {
	workers.HandleFunc(w, "resize-image", Resize)
	workers.HandleFunc(w, "summarize-album", Summarize)
}

// Resize "resizes" one image: a name without an extension is a
// non-retryable BadImage failure, which fails the Map.
func Resize(_ context.Context, in Image) (Thumbnail, error) {
	dot := strings.LastIndexByte(in.Image, '.')
	if dot <= 0 {
		return Thumbnail{}, workers.Fail("BadImage", fmt.Sprintf("%q has no extension", in.Image))
	}
	return Thumbnail{
		Source:    in.Album + "/" + in.Image,
		Thumbnail: fmt.Sprintf("%s/thumbs/%03d-%s.jpg", in.Album, in.Index, in.Image[:dot]),
		Bytes:     1000 + 10*len(in.Image),
	}, nil
}

// Summarize totals the thumbnails.
func Summarize(_ context.Context, in Album) (Summary, error) {
	s := Summary{Album: in.Album, Count: len(in.Thumbnails), Thumbnails: []string{}}
	for _, t := range in.Thumbnails {
		s.TotalBytes += t.Bytes
		s.Thumbnails = append(s.Thumbnails, t.Thumbnail)
	}
	return s, nil
}
