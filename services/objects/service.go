package objects

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// SDKPrefix is the prefix of the S3 task resources Service runs.
const SDKPrefix = "arn:aws:states:::aws-sdk:s3:"

// MaxBodyBytes bounds the Body getObject returns and putObject takes:
// Step Functions' 256 KiB payload limit.
const MaxBodyBytes = 256 << 10

// Service runs the Task resources arn:aws:states:::aws-sdk:s3:getObject,
// putObject, listObjectsV2, headObject and deleteObject in the engine
// (an engine.Service), with the input and output shapes of Step
// Functions' AWS SDK integration: PascalCase fields (Bucket, Key, Body
// ...), timestamps as RFC 3339 strings, ETags with their quotes. An
// error S3 answers fails the task as S3.<Code>Exception
// (S3.NoSuchKeyException, S3.NoSuchBucketException ...), its cause
// "<message> (Service: S3, Status Code: <status>)"; a call that gets no
// answer fails as S3.SdkClientException.
type Service struct {
	store Store
}

// NewService returns the Service on st. headObject and deleteObject
// need st to be a Header and a Deleter.
func NewService(st Store) *Service { return &Service{store: st} }

var actions = map[string]bool{"getObject": true, "putObject": true, "listObjectsV2": true, "headObject": true, "deleteObject": true}

// Serves implements engine.Service.
func (s *Service) Serves(resource statelang.Resource) bool {
	a, ok := s3Action(resource)
	return ok && actions[a]
}

// s3Action is the action of an aws-sdk:s3 request-response integration
// (SDKPrefix + action).
func s3Action(r statelang.Resource) (string, bool) {
	if r.Kind != statelang.KindIntegration || r.Service != "aws-sdk" || r.Pattern != statelang.RequestResponse {
		return "", false
	}
	return strings.CutPrefix(r.Action, "s3:")
}

// Invoke implements engine.Service.
func (s *Service) Invoke(ctx context.Context, t engine.Task) (string, error) {
	action, _ := s3Action(statelang.ParseResource(t.Resource))
	v, err := statelang.ParseJSON([]byte(t.Input))
	in, ok := v.(map[string]any)
	if err != nil || !ok {
		return "", &engine.TaskFailure{Name: "States.Runtime", Cause: "the task's parameters are not a JSON object"}
	}
	bucket, _ := in["Bucket"].(string)
	if bucket == "" {
		return "", validation("Bucket")
	}
	var out map[string]any
	switch action {
	case "getObject", "headObject", "putObject", "deleteObject":
		key, _ := in["Key"].(string)
		if key == "" {
			return "", validation("Key")
		}
		get := GetInput{Bucket: bucket, Key: key, VersionID: str(in["VersionId"]), Range: str(in["Range"])}
		switch action {
		case "getObject":
			out, err = s.getObject(ctx, get)
		case "headObject":
			out, err = s.headObject(ctx, get)
		case "putObject":
			out, err = s.putObject(ctx, bucket, key, in)
		default:
			d, ok := s.store.(Deleter)
			if !ok {
				return "", fmt.Errorf("the object store cannot delete objects")
			}
			out, err = map[string]any{}, d.Delete(ctx, bucket, key)
		}
	case "listObjectsV2":
		out, err = s.listObjectsV2(ctx, bucket, in)
	}
	if err != nil {
		return "", taskFailure(err)
	}
	return statelang.MarshalString(out), nil
}

func validation(field string) error {
	return &engine.TaskFailure{Name: "S3.S3Exception",
		Cause: "1 validation error detected: Value null at '" + strings.ToLower(field[:1]) + field[1:] + "' failed to satisfy constraint: Member must not be null (Service: S3, Status Code: 400)"}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// taskFailure names err as Step Functions' SDK integration does.
func taskFailure(err error) error {
	var f *engine.TaskFailure
	if errors.As(err, &f) {
		return f
	}
	var e *Error
	if errors.As(err, &e) {
		name := "S3." + e.Code
		if !strings.HasSuffix(name, "Exception") {
			name += "Exception"
		}
		msg := e.Message
		if msg == "" {
			msg = e.Code
		}
		return &engine.TaskFailure{Name: name, Cause: fmt.Sprintf("%s (Service: S3, Status Code: %d)", msg, e.Status)}
	}
	return &engine.TaskFailure{Name: "S3.SdkClientException", Cause: err.Error()}
}

// sdkTime is a timestamp in the SDK integration's output.
func sdkTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func infoOutput(o ObjectInfo) map[string]any {
	out := map[string]any{"AcceptRanges": "bytes", "ContentLength": o.Size, "ETag": o.ETag,
		"LastModified": sdkTime(o.LastModified), "Metadata": map[string]any{}}
	ct := o.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	out["ContentType"] = ct
	md := out["Metadata"].(map[string]any)
	for k, v := range o.Metadata {
		md[k] = v
	}
	if o.ServerSideEncryption != "" {
		out["ServerSideEncryption"] = o.ServerSideEncryption
	}
	if o.VersionID != "" {
		out["VersionId"] = o.VersionID
	}
	return out
}

func (s *Service) getObject(ctx context.Context, in GetInput) (map[string]any, error) {
	o, err := s.store.Get(ctx, in)
	if err != nil {
		return nil, err
	}
	defer o.Body.Close()
	body, err := io.ReadAll(io.LimitReader(o.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBodyBytes {
		return nil, &engine.TaskFailure{Name: "States.DataLimitExceeded",
			Cause: "The object " + in.Key + " is larger than the maximum payload of " + strconv.Itoa(MaxBodyBytes) + " bytes."}
	}
	out := infoOutput(o.ObjectInfo)
	out["Body"] = string(body)
	return out, nil
}

func (s *Service) headObject(ctx context.Context, in GetInput) (map[string]any, error) {
	h, ok := s.store.(Header)
	if !ok {
		return nil, fmt.Errorf("the object store cannot describe objects")
	}
	o, err := h.Head(ctx, in)
	if err != nil {
		return nil, err
	}
	return infoOutput(o), nil
}

func (s *Service) putObject(ctx context.Context, bucket, key string, in map[string]any) (map[string]any, error) {
	var body []byte
	switch b := in["Body"].(type) {
	case nil:
	case string:
		body = []byte(b)
	default: // a JSON value is written as its JSON text
		body = statelang.MarshalJSON(b)
	}
	md := map[string]string{}
	if m, ok := in["Metadata"].(map[string]any); ok {
		for k, v := range m {
			md[k] = str(v)
		}
	}
	r, err := s.store.Put(ctx, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(body), Size: int64(len(body)),
		ContentType: str(in["ContentType"]), Metadata: md})
	if err != nil {
		return nil, err
	}
	var crc [4]byte
	binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(body))
	out := map[string]any{"ETag": r.ETag, "ChecksumCRC32": base64.StdEncoding.EncodeToString(crc[:]), "ChecksumType": "FULL_OBJECT"}
	if r.ServerSideEncryption != "" {
		out["ServerSideEncryption"] = r.ServerSideEncryption
	}
	if r.VersionID != "" {
		out["VersionId"] = r.VersionID
	}
	return out, nil
}

func (s *Service) listObjectsV2(ctx context.Context, bucket string, in map[string]any) (map[string]any, error) {
	l := ListInput{Bucket: bucket, Prefix: str(in["Prefix"]), Delimiter: str(in["Delimiter"]),
		StartAfter: str(in["StartAfter"]), ContinuationToken: str(in["ContinuationToken"]), MaxKeys: 1000}
	if n, ok := in["MaxKeys"].(int64); ok && n >= 0 && n < 1000 {
		l.MaxKeys = int(n)
	}
	page, err := s.store.List(ctx, l)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsTruncated": page.IsTruncated, "KeyCount": int64(len(page.Objects) + len(page.CommonPrefixes)),
		"MaxKeys": int64(l.MaxKeys), "Name": bucket, "Prefix": l.Prefix}
	if len(page.Objects) > 0 {
		contents := make([]any, len(page.Objects))
		for i, o := range page.Objects {
			sc := o.StorageClass
			if sc == "" {
				sc = "STANDARD"
			}
			contents[i] = map[string]any{"ETag": o.ETag, "Key": o.Key, "LastModified": sdkTime(o.LastModified), "Size": o.Size, "StorageClass": sc}
		}
		out["Contents"] = contents
	}
	if len(page.CommonPrefixes) > 0 {
		cps := make([]any, len(page.CommonPrefixes))
		for i, p := range page.CommonPrefixes {
			cps[i] = map[string]any{"Prefix": p}
		}
		out["CommonPrefixes"] = cps
	}
	for k, v := range map[string]string{"Delimiter": l.Delimiter, "StartAfter": l.StartAfter, "ContinuationToken": l.ContinuationToken, "NextContinuationToken": page.NextContinuationToken} {
		if v != "" {
			out[k] = v
		}
	}
	return out, nil
}
