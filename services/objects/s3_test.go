package objects_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/services/objects/s3server"
)

// endpoint starts the embedded endpoint on a temp dir under /s3/, as
// `stepwise dev` mounts it, and returns a Store on it, its URL and dir.
func endpoint(t *testing.T) (*objects.S3, string, string) {
	t.Helper()
	dir := t.TempDir()
	h, err := s3server.New(s3server.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// As cmd/stepwise mounts it: before the ServeMux, which would clean
	// (redirect) paths such as a//b, legal S3 keys.
	srv := httptest.NewServer(http.StripPrefix("/s3", h))
	t.Cleanup(srv.Close)
	st := objects.NewS3(objects.S3Config{Endpoint: srv.URL + "/s3", UsePathStyle: true, AccessKeyID: "any", SecretAccessKey: "any"})
	return st, srv.URL + "/s3", dir
}

func put(t *testing.T, st objects.Store, bucket, key, body string) objects.PutResult {
	t.Helper()
	r, err := st.Put(context.Background(), objects.PutInput{Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body))})
	if err != nil {
		t.Fatalf("Put(%s/%s) = %v", bucket, key, err)
	}
	return r
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestEndpointObjects(t *testing.T) {
	t.Parallel()
	st, _, dir := endpoint(t)
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "bk1"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(ctx, "bk1"); objects.ErrorCode(err) != "BucketAlreadyOwnedByYou" {
		t.Errorf("CreateBucket twice = %v; want BucketAlreadyOwnedByYou", err)
	}
	r := put(t, st, "bk1", "dir/a.txt", "hello")
	if want := `"` + md5hex("hello") + `"`; r.ETag != want {
		t.Errorf("Put ETag = %s; want %s", r.ETag, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "bk1", "dir", "a.txt")); err != nil || string(b) != "hello" {
		t.Errorf("file = %q, %v; want hello", b, err)
	}
	o, err := st.Get(ctx, objects.GetInput{Bucket: "bk1", Key: "dir/a.txt"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if string(b) != "hello" || o.Size != 5 || o.ETag != r.ETag || o.LastModified.IsZero() {
		t.Errorf("Get = %q %+v", b, o.ObjectInfo)
	}
	o, err = st.Get(ctx, objects.GetInput{Bucket: "bk1", Key: "dir/a.txt", Range: "bytes=1-2"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(o.Body)
	o.Body.Close()
	if string(b) != "el" {
		t.Errorf("Get range = %q; want el", b)
	}
	if _, err := st.Get(ctx, objects.GetInput{Bucket: "bk1", Key: "nope"}); objects.ErrorCode(err) != "NoSuchKey" {
		t.Errorf("Get(missing) = %v; want NoSuchKey", err)
	}
	if _, err := st.Get(ctx, objects.GetInput{Bucket: "nobucket", Key: "k"}); objects.ErrorCode(err) != "NoSuchBucket" {
		t.Errorf("Get(missing bucket) = %v; want NoSuchBucket", err)
	}
	info, err := st.Head(ctx, objects.GetInput{Bucket: "bk1", Key: "dir/a.txt"})
	if err != nil || info.Size != 5 || info.ETag != r.ETag {
		t.Errorf("Head = %+v, %v", info, err)
	}
	if _, err := st.Head(ctx, objects.GetInput{Bucket: "bk1", Key: "nope"}); objects.ErrorCode(err) != "NoSuchKey" {
		t.Errorf("Head(missing) = %v; want NoSuchKey", err)
	}
	// A key that is a folder of another: refused, nothing changed.
	if _, err := st.Put(ctx, objects.PutInput{Bucket: "bk1", Key: "dir", Body: strings.NewReader("x"), Size: 1}); objects.ErrorCode(err) != "InvalidRequest" {
		t.Errorf("Put(dir) = %v; want InvalidRequest", err)
	}
	if err := st.Delete(ctx, "bk1", "dir/a.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bk1", "dir")); !os.IsNotExist(err) {
		t.Errorf("empty folder left after Delete: %v", err)
	}
	if err := st.Delete(ctx, "bk1", "dir/a.txt"); err != nil {
		t.Errorf("Delete(missing) = %v; want nil (S3 answers 204)", err)
	}
	// Bucket-level calls through the SDK.
	c := st.Client()
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("bk1")}); err != nil {
		t.Errorf("HeadBucket = %v", err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("bk2")}); err == nil {
		t.Errorf("HeadBucket(missing) = nil; want an error")
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "bk1" {
		t.Errorf("ListBuckets = %+v, %v", lb, err)
	}
}

func TestEndpointList(t *testing.T) {
	t.Parallel()
	st, _, _ := endpoint(t)
	ctx := context.Background()
	if err := st.CreateBucket(ctx, "lst"); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a-b", "a/1", "a/2", "a/x/3", "b", "c d+e%", "z/é"}
	for _, k := range keys {
		put(t, st, "lst", k, k)
	}
	// All, 2 a page.
	var got []string
	tok := ""
	for pages := 0; ; pages++ {
		p, err := st.List(ctx, objects.ListInput{Bucket: "lst", MaxKeys: 2, ContinuationToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Objects {
			got = append(got, o.Key)
			if o.ETag != `"`+md5hex(o.Key)+`"` || o.Size != int64(len(o.Key)) || o.StorageClass != "STANDARD" {
				t.Errorf("List object %+v", o)
			}
		}
		if !p.IsTruncated {
			break
		}
		if pages > 10 {
			t.Fatal("no end to the pages")
		}
		tok = p.NextContinuationToken
	}
	if strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Errorf("List pages = %q; want %q", got, keys)
	}
	// Prefix and delimiter, one key or prefix a page.
	var items []string
	tok = ""
	for {
		p, err := st.List(ctx, objects.ListInput{Bucket: "lst", Prefix: "a", Delimiter: "/", MaxKeys: 1, ContinuationToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Objects {
			items = append(items, o.Key)
		}
		items = append(items, p.CommonPrefixes...)
		if !p.IsTruncated {
			break
		}
		tok = p.NextContinuationToken
	}
	if want := "a-b,a/"; strings.Join(items, ",") != want {
		t.Errorf("List(prefix a, delimiter /) = %q; want %s", items, want)
	}
	p, err := st.List(ctx, objects.ListInput{Bucket: "lst", Prefix: "a/", StartAfter: "a/1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 2 || p.Objects[0].Key != "a/2" || p.Objects[1].Key != "a/x/3" {
		t.Errorf("List(prefix a/, start after a/1) = %+v", p.Objects)
	}
	if _, err := st.List(ctx, objects.ListInput{Bucket: "nobucket"}); objects.ErrorCode(err) != "NoSuchBucket" {
		t.Errorf("List(missing bucket) = %v; want NoSuchBucket", err)
	}
}

func TestEndpointMultipart(t *testing.T) {
	t.Parallel()
	st, _, dir := endpoint(t)
	ctx := context.Background()
	c := st.Client()
	if err := st.CreateBucket(ctx, "mpu"); err != nil {
		t.Fatal(err)
	}
	cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin")})
	if err != nil {
		t.Fatal(err)
	}
	parts := []string{strings.Repeat("a", 5<<20), strings.Repeat("b", 5<<20), "tail"}
	var done []types.CompletedPart
	var sums []byte
	for i, p := range parts {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
		s := md5.Sum([]byte(p))
		sums = append(sums, s[:]...)
	}
	// A wrong ETag is refused.
	bad := append([]types.CompletedPart(nil), done...)
	bad[1] = types.CompletedPart{ETag: aws.String(`"0000"`), PartNumber: aws.Int32(2)}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}}); err == nil || !strings.Contains(err.Error(), "InvalidPart") {
		t.Errorf("Complete with a wrong ETag = %v; want InvalidPart", err)
	}
	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	all := md5.Sum(sums)
	if want := fmt.Sprintf(`"%x-3"`, all); aws.ToString(out.ETag) != want {
		t.Errorf("Complete ETag = %s; want %s", aws.ToString(out.ETag), want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "mpu", "big", "file.bin"))
	if err != nil || string(b) != strings.Join(parts, "") {
		t.Errorf("assembled file: %d bytes, %v", len(b), err)
	}
	// Abort: the upload is gone.
	cr2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("x"), UploadId: cr2.UploadId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("x"), UploadId: cr2.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")}); err == nil || !strings.Contains(err.Error(), "NoSuchUpload") {
		t.Errorf("UploadPart after abort = %v; want NoSuchUpload", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, ".uploads")); len(entries) != 0 {
		t.Errorf(".uploads has %d entries after complete and abort; want 0", len(entries))
	}
}

// TestEndpointSDKDefaults: a client with the SDK's default checksum
// settings (aws-chunked bodies with trailing checksums, where it uses them).
func TestEndpointSDKDefaults(t *testing.T) {
	t.Parallel()
	_, url, _ := endpoint(t)
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "eu-west-3", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dflt")}); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("0123456789"), 100000)
	// An io.Reader that is not seekable: the SDK streams it.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dflt"), Key: aws.String("k"), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body)))}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dflt"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("GetObject after a default PutObject: %d bytes; want %d", len(got), len(body))
	}
}

// TestEndpointTraversal: keys and bucket names that could leave the
// folder are refused, and nothing is written outside it.
func TestEndpointTraversal(t *testing.T) {
	t.Parallel()
	_, url, dir := endpoint(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, url+path, strings.NewReader(body))
		req.URL.Opaque = strings.TrimPrefix(url+path, "http:") // send the path as written
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := do("PUT", "/tbk", ""); r.StatusCode != 200 {
		t.Fatalf("create bucket: %s", r.Status)
	}
	for _, p := range []string{"/tbk/../escape", "/tbk/a/../../escape", "/tbk/%2e%2e/escape", "/tbk/a/%2E%2E/%2E%2E/escape",
		"/tbk//abs", "/tbk/a//b", "/tbk/./x", "/tbk/x/", "/../escape", "/..%2Fescape/k", "/tbk/%2e%2e%2fescape"} {
		r := do("PUT", p, "x")
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT %s = %s; want 400", p, r.Status)
		}
		r = do("GET", p, "")
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %s; want 400", p, r.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); !os.IsNotExist(err) {
		t.Errorf("a file was written outside the folder: %v", err)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(p, "escape") {
			t.Errorf("found %s", p)
		}
		return nil
	})
}
