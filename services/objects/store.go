// Package objects is Stepwise's object storage: the Store its built-in
// S3 tasks and the distributed Map's ItemReader and ResultWriter use
// (NewS3: any S3-compatible service through aws-sdk-go-v2), the
// arn:aws:states:::aws-sdk:s3:* task resources run in the engine
// (Service), the item readers (ReadItems) and the result writer
// (WriteResults). Package s3server is the embedded S3 endpoint of
// `stepwise dev`.
//
// It imports engine and statelang (the task and value model); neither
// imports it, and it imports no store, api or NATS package.
package objects

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store is object storage as the engine needs it.
type Store interface {
	// Get opens an object. The caller closes its Body.
	Get(ctx context.Context, in GetInput) (*Object, error)
	// Put writes an object of in.Size bytes (-1: unknown) from in.Body.
	Put(ctx context.Context, in PutInput) (PutResult, error)
	// List returns one page of the objects of a bucket, in key order.
	List(ctx context.Context, in ListInput) (ListPage, error)
}

// Header and Deleter are what a Store may do beside Store's methods;
// Service's headObject and deleteObject need them.
type (
	Header interface {
		Head(ctx context.Context, in GetInput) (ObjectInfo, error)
	}
	Deleter interface {
		Delete(ctx context.Context, bucket, key string) error
	}
)

// GetInput names an object.
type GetInput struct {
	Bucket, Key string
	VersionID   string // "": the current version
	Range       string // an HTTP Range header value; "": all
}

// ObjectInfo describes an object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // as S3 sends it, with its quotes
	LastModified time.Time
	ContentType  string
	StorageClass string // "" from Get and Head
	VersionID    string
	Metadata     map[string]string // user metadata (x-amz-meta-*)
	// ServerSideEncryption is as the service reports it ("AES256" on AWS).
	ServerSideEncryption string
}

// Object is an open object.
type Object struct {
	ObjectInfo
	Body io.ReadCloser
}

// PutInput is an object to write.
type PutInput struct {
	Bucket, Key string
	Body        io.Reader
	Size        int64 // -1: unknown
	ContentType string
	Metadata    map[string]string
}

// PutResult is what a Put reports.
type PutResult struct {
	ETag                 string
	VersionID            string
	ServerSideEncryption string
}

// ListInput asks for one page of a bucket's objects.
type ListInput struct {
	Bucket            string
	Prefix            string
	Delimiter         string
	StartAfter        string
	ContinuationToken string
	MaxKeys           int // 0: the service's default (1000)
}

// ListPage is one page of objects.
type ListPage struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	// NextContinuationToken continues the listing when IsTruncated.
	NextContinuationToken string
	IsTruncated           bool
}

// Error is an error the storage service answered, with S3's code
// (NoSuchKey, NoSuchBucket, AccessDenied ...).
type Error struct {
	Code    string
	Message string
	Status  int // HTTP status; 0 if unknown
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// ErrorCode returns the S3 code of err ("" if it is not an *Error).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
