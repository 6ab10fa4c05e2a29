// Package s3server is an S3-compatible endpoint backed by a folder, for
// `stepwise dev` and for tests: path-style requests only
// (http://host/<bucket>/<key>), enough of the S3 REST API for the aws
// CLI's `s3 mb`, `s3 cp` (multipart uploads and ranged downloads
// included), `s3 ls` and `s3 rm`, and for the Go SDK's bucket and object
// calls.
//
// It is a development tool: it accepts any credentials and does not
// check request signatures (an S3 client must sign, so any access key and
// secret will do). Whoever can reach it can read and write every object;
// serve it on a loopback address or behind something that checks access.
// It keeps no versions, ACLs, tags or checksums beyond the ETag (the MD5
// of the bytes; for a multipart upload, S3's MD5 of the parts' MD5s
// followed by -<parts>).
//
// Objects are files: <Dir>/<bucket>/<key>, so "a/b" and "a" cannot both
// be keys, and keys ending in "/" are refused. Keys that could leave the
// bucket's folder ("..", ".", empty segments, a leading "/") are refused
// with InvalidArgument. Writes go to a temporary file renamed into place.
//
// It imports only the standard library.
package s3server

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config configures a Handler.
type Config struct {
	// Dir holds the buckets, one folder each. Required; created if
	// missing.
	Dir string
	// MaxObjectBytes bounds a PutObject or UploadPart body. Defaults to
	// 5 GiB, S3's limit for one PUT.
	MaxObjectBytes int64
	// BodyTimeout is how long a request may take to send its body or
	// receive its response, replacing the HTTP server's shorter
	// timeouts for this request. Defaults to 30 minutes.
	BodyTimeout time.Duration
	// Logger logs failures of the folder. Defaults to slog.Default().
	Logger *slog.Logger
}

// Handler serves the S3 REST API on a folder.
type Handler struct {
	cfg Config
	f   folder
}

// New returns a Handler on cfg.Dir, creating it.
func New(cfg Config) (*Handler, error) {
	if cfg.Dir == "" {
		return nil, errors.New("s3server: Config.Dir is required")
	}
	if cfg.MaxObjectBytes <= 0 {
		cfg.MaxObjectBytes = 5 << 30
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 30 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("s3server: %w", err)
	}
	return &Handler{cfg: cfg, f: folder{dir: cfg.Dir}}, nil
}

// s3Error is an S3 error answer.
type s3Error struct {
	Status  int
	Code    string
	Message string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func errNoSuchBucket() *s3Error {
	return &s3Error{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"}
}

func errNoSuchKeyAnswer() *s3Error {
	return &s3Error{http.StatusNotFound, "NoSuchKey", "The specified key does not exist."}
}

func errNoSuchUpload() *s3Error {
	return &s3Error{http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."}
}

func invalidArgument(msg string) *s3Error {
	return &s3Error{http.StatusBadRequest, "InvalidArgument", msg}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Bodies and downloads of any size within BodyTimeout.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.cfg.BodyTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(h.cfg.BodyTimeout))
	w.Header().Set("x-amz-request-id", requestID())
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var err error
	switch {
	case bucket == "":
		if r.Method != http.MethodGet {
			err = &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
			break
		}
		err = h.listBuckets(w)
	case !validBucket(bucket):
		err = &s3Error{http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid."}
	case key == "":
		err = h.serveBucket(w, r, bucket)
	default:
		if p := keyProblem(key); p != "" {
			err = invalidArgument("invalid key: " + p)
			break
		}
		err = h.serveObject(w, r, bucket, key)
	}
	if err != nil {
		h.writeError(w, r, bucket, key, err)
	}
}

func (h *Handler) serveBucket(w http.ResponseWriter, r *http.Request, bucket string) error {
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPut:
		return h.createBucket(w, bucket)
	case http.MethodHead:
		if !h.f.bucketExists(bucket) {
			return errNoSuchBucket()
		}
		w.Header().Set("x-amz-bucket-region", "us-east-1")
		w.WriteHeader(http.StatusOK)
		return nil
	case http.MethodDelete:
		return h.deleteBucket(w, bucket)
	case http.MethodGet:
		if !h.f.bucketExists(bucket) {
			return errNoSuchBucket()
		}
		if q.Has("location") {
			return writeXML(w, http.StatusOK, locationConstraint{})
		}
		if q.Has("uploads") || q.Has("versioning") || q.Has("acl") || q.Has("policy") || q.Has("tagging") {
			return &s3Error{http.StatusNotImplemented, "NotImplemented", "This endpoint does not implement that bucket subresource."}
		}
		return h.listObjects(w, q, bucket)
	case http.MethodPost:
		if q.Has("delete") {
			return h.deleteObjects(w, r, bucket)
		}
	}
	return &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
}

func (h *Handler) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	if !h.f.bucketExists(bucket) {
		return errNoSuchBucket()
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return h.getObject(w, r, bucket, key)
	case http.MethodPut:
		switch {
		case q.Has("uploadId"):
			return h.uploadPart(w, r, q.Get("uploadId"), q.Get("partNumber"))
		case r.Header.Get("x-amz-copy-source") != "":
			return h.copyObject(w, r, bucket, key)
		case q.Has("tagging") || q.Has("acl"):
			return &s3Error{http.StatusNotImplemented, "NotImplemented", "This endpoint does not implement that object subresource."}
		}
		return h.putObject(w, r, bucket, key)
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return h.createUpload(w, r, bucket, key)
		case q.Has("uploadId"):
			return h.completeUpload(w, r, bucket, key, q.Get("uploadId"))
		}
	case http.MethodDelete:
		if q.Has("uploadId") {
			return h.abortUpload(w, q.Get("uploadId"))
		}
		if err := h.f.remove(bucket, key); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return &s3Error{http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource."}
}

func (h *Handler) createBucket(w http.ResponseWriter, bucket string) error {
	if h.f.bucketExists(bucket) {
		return &s3Error{http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it."}
	}
	if err := os.MkdirAll(h.f.bucketPath(bucket), 0o755); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(w http.ResponseWriter, bucket string) error {
	if !h.f.bucketExists(bucket) {
		return errNoSuchBucket()
	}
	empty := true
	if err := h.f.walk(bucket, "", "", func(string) bool { empty = false; return false }); err != nil {
		return err
	}
	if !empty {
		return &s3Error{http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty"}
	}
	if err := os.RemoveAll(h.f.bucketPath(bucket)); err != nil {
		return err
	}
	_ = os.RemoveAll(filepath.Join(h.cfg.Dir, metaDir, bucket))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listBuckets(w http.ResponseWriter) error {
	bs, err := h.f.buckets()
	if err != nil {
		return err
	}
	out := listAllMyBucketsResult{Owner: owner{ID: "stepwise", DisplayName: "stepwise"}}
	for _, b := range bs {
		out.Buckets = append(out.Buckets, bucketXML{Name: b.Key, CreationDate: b.LastModified.Format(time.RFC3339)})
	}
	return writeXML(w, http.StatusOK, out)
}

// listObjects answers ListObjectsV2 (list-type=2) and ListObjects.
func (h *Handler) listObjects(w http.ResponseWriter, q url.Values, bucket string) error {
	v2 := q.Get("list-type") == "2"
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if s := q.Get("max-keys"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return invalidArgument("Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, 1000)
	}
	after := q.Get("start-after")
	if !v2 {
		after = q.Get("marker")
	}
	if tok := q.Get("continuation-token"); v2 && tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) == 0 {
			return invalidArgument("The continuation token provided is incorrect")
		}
		after = max(after, string(b))
	}
	enc := func(s string) string { return s }
	if q.Get("encoding-type") == "url" {
		enc = urlEncode
	}

	var contents []contentXML
	var prefixes []prefixXML
	truncated := false
	last := "" // the last key or common prefix returned
	lastPrefix := ""
	lastIsPrefix := false
	var walkErr error
	err := h.f.walk(bucket, prefix, after, func(key string) bool {
		if lastPrefix != "" && strings.HasPrefix(key, lastPrefix) {
			return true
		}
		cp := ""
		if delim != "" {
			if i := strings.Index(key[len(prefix):], delim); i >= 0 {
				cp = key[:len(prefix)+i+len(delim)]
			}
		}
		if len(contents)+len(prefixes) >= maxKeys {
			truncated = true
			return false
		}
		if cp != "" {
			prefixes = append(prefixes, prefixXML{Prefix: enc(cp)})
			lastPrefix, last, lastIsPrefix = cp, cp, true
			return true
		}
		o, err := h.f.stat(bucket, key)
		if err != nil {
			if errors.Is(err, errNoSuchKey) {
				return true // removed meanwhile
			}
			walkErr = err
			return false
		}
		contents = append(contents, contentXML{Key: enc(key), LastModified: o.LastModified.Format(timeFormat),
			ETag: quote(o.ETag), Size: o.Size, StorageClass: "STANDARD"})
		last, lastIsPrefix = key, false
		return true
	})
	if err == nil {
		err = walkErr
	}
	if err != nil {
		return err
	}
	if v2 {
		out := listBucketV2Result{Name: bucket, Prefix: enc(prefix), Delimiter: enc(delim), MaxKeys: maxKeys,
			KeyCount: len(contents) + len(prefixes), IsTruncated: truncated, Contents: contents, CommonPrefixes: prefixes,
			ContinuationToken: q.Get("continuation-token"), StartAfter: enc(q.Get("start-after"))}
		if q.Get("encoding-type") == "url" {
			out.EncodingType = "url"
		}
		if truncated {
			next := last
			if lastIsPrefix {
				next = last + "\xff" // past every key under the prefix
			}
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
		}
		return writeXML(w, http.StatusOK, out)
	}
	out := listBucketResult{Name: bucket, Prefix: enc(prefix), Delimiter: enc(delim), MaxKeys: maxKeys, Marker: enc(q.Get("marker")),
		IsTruncated: truncated, Contents: contents, CommonPrefixes: prefixes}
	if q.Get("encoding-type") == "url" {
		out.EncodingType = "url"
	}
	if truncated && delim != "" {
		out.NextMarker = enc(last)
	}
	return writeXML(w, http.StatusOK, out)
}

// open describes and opens bucket/key.
func (h *Handler) open(bucket, key string) (object, *os.File, error) {
	o, err := h.f.stat(bucket, key)
	if err != nil {
		if errors.Is(err, errNoSuchKey) {
			return object{}, nil, errNoSuchKeyAnswer()
		}
		return object{}, nil, err
	}
	file, err := os.Open(h.f.objectPath(bucket, key))
	if err != nil {
		return object{}, nil, errNoSuchKeyAnswer()
	}
	return o, file, nil
}

func (h *Handler) getObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	o, file, err := h.open(bucket, key)
	if err != nil {
		return err
	}
	defer file.Close()
	hd := w.Header()
	hd.Set("ETag", quote(o.ETag))
	hd.Set("Accept-Ranges", "bytes")
	ct := o.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hd.Set("Content-Type", ct)
	for k, v := range o.Metadata {
		hd.Set("x-amz-meta-"+k, v)
	}
	// ServeContent answers Range, If-Match, If-None-Match and
	// If-Modified-Since as S3 does.
	http.ServeContent(w, r, "", o.LastModified, file)
	return nil
}

// body returns r's object bytes: the body, decoded from aws-chunked
// framing when the client sent it so, and bounded by MaxObjectBytes.
func (h *Handler) body(w http.ResponseWriter, r *http.Request) (io.Reader, error) {
	size := r.ContentLength
	var body io.Reader = r.Body
	if strings.HasPrefix(r.Header.Get("x-amz-content-sha256"), "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		n, err := strconv.ParseInt(r.Header.Get("x-amz-decoded-content-length"), 10, 64)
		if err != nil {
			return nil, &s3Error{http.StatusLengthRequired, "MissingContentLength", "You must provide the x-amz-decoded-content-length header with an aws-chunked body."}
		}
		size = n
		body = newChunkedReader(r.Body)
	}
	if size < 0 {
		return nil, &s3Error{http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."}
	}
	if size > h.cfg.MaxObjectBytes {
		return nil, &s3Error{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size."}
	}
	return &exactReader{r: body, left: size}, nil
}

// exactReader reads exactly left bytes from r: fewer is an error.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = &s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// writeTemp copies body to a new temp file and returns its name and the
// MD5 of what was written, checked against the Content-MD5 header.
func (h *Handler) writeTemp(r *http.Request, body io.Reader) (string, []byte, error) {
	tmp, err := h.f.tempFile()
	if err != nil {
		return "", nil, err
	}
	sum := md5.New()
	_, err = io.Copy(io.MultiWriter(tmp, sum), body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", nil, err
	}
	digest := sum.Sum(nil)
	if want := r.Header.Get("Content-MD5"); want != "" && want != base64.StdEncoding.EncodeToString(digest) {
		os.Remove(tmp.Name())
		return "", nil, &s3Error{http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received."}
	}
	return tmp.Name(), digest, nil
}

func userMeta(r *http.Request) map[string]string {
	var m map[string]string
	for k, v := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") && len(v) > 0 {
			if m == nil {
				m = map[string]string{}
			}
			m[strings.TrimPrefix(lk, "x-amz-meta-")] = v[0]
		}
	}
	return m
}

func (h *Handler) putObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	body, err := h.body(w, r)
	if err != nil {
		return err
	}
	tmp, digest, err := h.writeTemp(r, body)
	if err != nil {
		return err
	}
	o, err := h.f.place(tmp, bucket, key, meta{ETag: hex.EncodeToString(digest), ContentType: r.Header.Get("Content-Type"), Metadata: userMeta(r)})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", quote(o.ETag))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	src, err := url.PathUnescape(r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return invalidArgument("invalid x-amz-copy-source")
	}
	src, _, _ = strings.Cut(src, "?versionId=")
	sb, sk, _ := strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if !validBucket(sb) {
		return invalidArgument("invalid x-amz-copy-source bucket")
	}
	if p := keyProblem(sk); p != "" {
		return invalidArgument("invalid x-amz-copy-source key: " + p)
	}
	if !h.f.bucketExists(sb) {
		return errNoSuchBucket()
	}
	so, in, err := h.open(sb, sk)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, _, err := h.writeTemp(&http.Request{Header: http.Header{}}, in)
	if err != nil {
		return err
	}
	m := so.meta
	if r.Header.Get("x-amz-metadata-directive") == "REPLACE" {
		m.ContentType, m.Metadata = r.Header.Get("Content-Type"), userMeta(r)
	}
	o, err := h.f.place(tmp, bucket, key, m)
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, copyObjectResult{ETag: quote(o.ETag), LastModified: o.LastModified.Format(timeFormat)})
}

func (h *Handler) deleteObjects(w http.ResponseWriter, r *http.Request, bucket string) error {
	var req deleteRequest
	if err := xml.NewDecoder(io.LimitReader(r.Body, 2<<20)).Decode(&req); err != nil {
		return &s3Error{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema."}
	}
	var out deleteResult
	for _, o := range req.Objects {
		if p := keyProblem(o.Key); p != "" {
			out.Errors = append(out.Errors, deleteError{Key: o.Key, Code: "InvalidArgument", Message: "invalid key: " + p})
			continue
		}
		if err := h.f.remove(bucket, o.Key); err != nil {
			h.cfg.Logger.Warn("s3 endpoint: delete", "bucket", bucket, "key", o.Key, "error", err)
			out.Errors = append(out.Errors, deleteError{Key: o.Key, Code: "InternalError", Message: "We encountered an internal error. Please try again."})
			continue
		}
		if !req.Quiet {
			out.Deleted = append(out.Deleted, deletedXML{Key: o.Key})
		}
	}
	return writeXML(w, http.StatusOK, out)
}

// Multipart uploads: <Dir>/.uploads/<id>/info.json and one file per part
// (00001 ...) with its MD5 in 00001.md5.

type uploadInfo struct {
	Bucket      string            `json:"bucket"`
	Key         string            `json:"key"`
	ContentType string            `json:"content_type,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

func (h *Handler) uploadDir(id string) (string, error) {
	if len(id) != 32 {
		return "", errNoSuchUpload()
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", errNoSuchUpload()
	}
	dir := filepath.Join(h.cfg.Dir, uploadsDir, id)
	if _, err := os.Stat(dir); err != nil {
		return "", errNoSuchUpload()
	}
	return dir, nil
}

func (h *Handler) createUpload(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	dir := filepath.Join(h.cfg.Dir, uploadsDir, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	info, _ := jsonMarshal(uploadInfo{Bucket: bucket, Key: key, ContentType: r.Header.Get("Content-Type"), Metadata: userMeta(r)})
	if err := os.WriteFile(filepath.Join(dir, "info.json"), info, 0o644); err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, initiateResult{Bucket: bucket, Key: key, UploadID: id})
}

func partName(n int) string { return fmt.Sprintf("%05d", n) }

func (h *Handler) uploadPart(w http.ResponseWriter, r *http.Request, id, number string) error {
	dir, err := h.uploadDir(id)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(number)
	if err != nil || n < 1 || n > 10000 {
		return invalidArgument("Part number must be an integer between 1 and 10000, inclusive")
	}
	body, err := h.body(w, r)
	if err != nil {
		return err
	}
	tmp, digest, err := h.writeTemp(r, body)
	if err != nil {
		return err
	}
	etag := hex.EncodeToString(digest)
	if err := os.WriteFile(filepath.Join(dir, partName(n)+".md5"), []byte(etag), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, partName(n))); err != nil {
		os.Remove(tmp)
		return errNoSuchUpload()
	}
	w.Header().Set("ETag", quote(etag))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) completeUpload(w http.ResponseWriter, r *http.Request, bucket, key, id string) error {
	dir, err := h.uploadDir(id)
	if err != nil {
		return err
	}
	var info uploadInfo
	if b, err := os.ReadFile(filepath.Join(dir, "info.json")); err != nil || jsonUnmarshal(b, &info) != nil || info.Bucket != bucket || info.Key != key {
		return errNoSuchUpload()
	}
	var req completeRequest
	if err := xml.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil || len(req.Parts) == 0 {
		return &s3Error{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema."}
	}
	tmp, err := h.f.tempFile()
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	var sums bytes.Buffer
	var whole hash.Hash = md5.New()
	prev := 0
	for _, p := range req.Parts {
		if p.PartNumber <= prev {
			tmp.Close()
			return &s3Error{http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."}
		}
		prev = p.PartNumber
		sum, err := os.ReadFile(filepath.Join(dir, partName(p.PartNumber)+".md5"))
		if err != nil || strings.Trim(p.ETag, `"`) != string(sum) {
			tmp.Close()
			return &s3Error{http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."}
		}
		raw, _ := hex.DecodeString(string(sum))
		sums.Write(raw)
		part, err := os.Open(filepath.Join(dir, partName(p.PartNumber)))
		if err != nil {
			tmp.Close()
			return err
		}
		_, err = io.Copy(io.MultiWriter(tmp, whole), part)
		part.Close()
		if err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	all := md5.Sum(sums.Bytes())
	etag := hex.EncodeToString(all[:]) + "-" + strconv.Itoa(len(req.Parts))
	o, err := h.f.place(tmp.Name(), bucket, key, meta{ETag: etag, ContentType: info.ContentType, Metadata: info.Metadata})
	if err != nil {
		return err
	}
	_ = os.RemoveAll(dir)
	return writeXML(w, http.StatusOK, completeResult{Location: "/" + bucket + "/" + key, Bucket: bucket, Key: key, ETag: quote(o.ETag)})
}

func (h *Handler) abortUpload(w http.ResponseWriter, id string) error {
	dir, err := h.uploadDir(id)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeError answers err: an S3 error as S3 words it (no body for HEAD),
// errKeyConflict as a 409, anything else as InternalError, logged.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, bucket, key string, err error) {
	var e *s3Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, errKeyConflict):
		e = &s3Error{http.StatusConflict, "InvalidRequest", "This endpoint stores objects as files: the key cannot be both an object and a folder of objects (as both \"a\" and \"a/b\")."}
	default:
		h.cfg.Logger.Warn("s3 endpoint", "method", r.Method, "path", r.URL.Path, "error", err)
		e = &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
	}
	if e.Status == http.StatusBadRequest || e.Status == http.StatusLengthRequired {
		w.Header().Set("Connection", "close") // the body may not have been read
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	res := "/" + bucket
	if key != "" {
		res += "/" + key
	}
	out := errorXML{Code: e.Code, Message: e.Message, Resource: res, RequestID: w.Header().Get("x-amz-request-id")}
	switch e.Code {
	case "NoSuchBucket":
		out.BucketName = bucket
	case "NoSuchKey":
		out.Key = key
	}
	_ = writeXML(w, e.Status, out)
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func quote(etag string) string { return `"` + etag + `"` }

// urlEncode percent-encodes s as S3 does for encoding-type=url: all but
// unreserved characters and "/".
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
