package objects

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config configures NewS3.
type S3Config struct {
	// Endpoint is the service's URL (http://localhost:8080/s3 for
	// `stepwise dev`'s endpoint, http://minio:9000 ...). Defaults to
	// AWS S3's endpoint for Region.
	Endpoint string
	// Region signs requests. Defaults to "us-east-1".
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are the credentials.
	// Empty: requests are not signed (anonymous), which AWS S3 answers
	// only for public buckets.
	AccessKeyID, SecretAccessKey, SessionToken string
	// UsePathStyle addresses buckets as http://host/<bucket>/<key>
	// rather than http://<bucket>.host/<key>; MinIO and the embedded
	// endpoint need it. Defaults to false.
	UsePathStyle bool
	// HTTPClient makes the requests. Defaults to the SDK's.
	HTTPClient *http.Client
}

// S3 is a Store on an S3-compatible service (aws-sdk-go-v2). It also
// implements Header and Deleter.
type S3 struct {
	c *s3.Client
}

// NewS3 returns a Store on the service cfg describes. Checksums are sent
// and checked only where S3 requires them, so that services that do not
// know the newer checksum headers work too.
func NewS3(cfg S3Config) *S3 {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	o := s3.Options{
		Region:                     cfg.Region,
		UsePathStyle:               cfg.UsePathStyle,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		o.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if cfg.AccessKeyID != "" {
		o.Credentials = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	} else {
		o.Credentials = aws.AnonymousCredentials{}
	}
	if cfg.HTTPClient != nil {
		o.HTTPClient = cfg.HTTPClient
	}
	return &S3{c: s3.New(o)}
}

// Client returns the SDK client, for calls the Store does not make.
func (s *S3) Client() *s3.Client { return s.c }

// Get implements Store.
func (s *S3) Get(ctx context.Context, in GetInput) (*Object, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &in.Bucket, Key: &in.Key,
		VersionId: optional(in.VersionID), Range: optional(in.Range)})
	if err != nil {
		return nil, s3Err(err)
	}
	return &Object{Body: out.Body, ObjectInfo: ObjectInfo{Key: in.Key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified), ContentType: aws.ToString(out.ContentType), VersionID: aws.ToString(out.VersionId),
		Metadata: out.Metadata, ServerSideEncryption: string(out.ServerSideEncryption)}}, nil
}

// Head implements Header.
func (s *S3) Head(ctx context.Context, in GetInput) (ObjectInfo, error) {
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &in.Bucket, Key: &in.Key, VersionId: optional(in.VersionID)})
	if err != nil {
		return ObjectInfo{}, s3Err(err)
	}
	return ObjectInfo{Key: in.Key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified), ContentType: aws.ToString(out.ContentType), VersionID: aws.ToString(out.VersionId),
		Metadata: out.Metadata, ServerSideEncryption: string(out.ServerSideEncryption)}, nil
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, in PutInput) (PutResult, error) {
	p := &s3.PutObjectInput{Bucket: &in.Bucket, Key: &in.Key, Body: in.Body, ContentType: optional(in.ContentType), Metadata: in.Metadata}
	if in.Size >= 0 {
		p.ContentLength = aws.Int64(in.Size)
	}
	out, err := s.c.PutObject(ctx, p)
	if err != nil {
		return PutResult{}, s3Err(err)
	}
	return PutResult{ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId), ServerSideEncryption: string(out.ServerSideEncryption)}, nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, in ListInput) (ListPage, error) {
	l := &s3.ListObjectsV2Input{Bucket: &in.Bucket, Prefix: optional(in.Prefix), Delimiter: optional(in.Delimiter),
		StartAfter: optional(in.StartAfter), ContinuationToken: optional(in.ContinuationToken)}
	if in.MaxKeys > 0 {
		l.MaxKeys = aws.Int32(int32(min(in.MaxKeys, 1000)))
	}
	out, err := s.c.ListObjectsV2(ctx, l)
	if err != nil {
		return ListPage{}, s3Err(err)
	}
	page := ListPage{IsTruncated: aws.ToBool(out.IsTruncated), NextContinuationToken: aws.ToString(out.NextContinuationToken)}
	for _, o := range out.Contents {
		page.Objects = append(page.Objects, ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag),
			LastModified: aws.ToTime(o.LastModified), StorageClass: string(o.StorageClass)})
	}
	for _, p := range out.CommonPrefixes {
		page.CommonPrefixes = append(page.CommonPrefixes, aws.ToString(p.Prefix))
	}
	return page, nil
}

// Delete implements Deleter.
func (s *S3) Delete(ctx context.Context, bucket, key string) error {
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	return s3Err(err)
}

// CreateBucket creates a bucket (tests, `stepwise dev`).
func (s *S3) CreateBucket(ctx context.Context, bucket string) error {
	_, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	return s3Err(err)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// s3Err turns the SDK's errors into *Error with S3's code; a HEAD's
// bodiless 404 becomes NoSuchKey (or NoSuchBucket when S3 says so).
func s3Err(err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	var nf *types.NotFound
	var api smithy.APIError
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case errors.As(err, &nsk):
		return &Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Status: 404}
	case errors.As(err, &nsb):
		return &Error{Code: "NoSuchBucket", Message: "The specified bucket does not exist", Status: 404}
	case errors.As(err, &nf):
		return &Error{Code: "NoSuchKey", Message: "Not Found", Status: 404}
	case errors.As(err, &api):
		code := api.ErrorCode()
		if code == "NotFound" {
			code = "NoSuchKey"
		}
		return &Error{Code: code, Message: strings.TrimSpace(api.ErrorMessage()), Status: status}
	}
	return err
}
