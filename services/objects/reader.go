package objects

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// The ItemReader resources of a distributed Map.
const (
	ReaderGetObject     = statelang.ReaderGetObject
	ReaderListObjectsV2 = statelang.ReaderListObjectsV2
)

// MaxReaderItems is the most items an ItemReader reads: a larger
// MaxItems reads this many (as AWS).
const MaxReaderItems = 100_000_000

// ReaderConfig is an ItemReader's ReaderConfig, evaluated (MaxItemsPath
// resolved into MaxItems).
type ReaderConfig struct {
	// InputType is JSON, JSONL, CSV or MANIFEST, for getObject; "" for
	// listObjectsV2.
	InputType string
	// CSVHeaderLocation is FIRST_ROW (the first row names the columns)
	// or GIVEN (CSVHeaders does). Defaults to FIRST_ROW.
	CSVHeaderLocation string
	CSVHeaders        []string
	// CSVDelimiter is COMMA, PIPE, SEMICOLON, SPACE or TAB. Defaults to
	// COMMA.
	CSVDelimiter string
	// MaxItems bounds the items read: 0 reads all (up to
	// MaxReaderItems); negative fails.
	MaxItems int64
	// ManifestType is S3_INVENTORY (the default) for InputType MANIFEST.
	ManifestType string
}

// readerFailed is the failure of an ItemReader.
func readerFailed(format string, a ...any) error {
	return &engine.TaskFailure{Name: "States.ItemReaderFailed", Cause: fmt.Sprintf(format, a...)}
}

// ReadItems reads the items of a distributed Map's ItemReader: resource
// is its Resource, params its evaluated Parameters (or Arguments): Bucket
// and Key (VersionId) for getObject, Bucket and Prefix for listObjectsV2.
// Items are in statelang's value model (numbers of JSON and JSONL files
// as statelang.ParseJSON reads them; CSV cells are strings, a missing one
// ""); objects of listObjectsV2 are {Etag, Key, LastModified (Unix
// seconds), Size, StorageClass}. Files are read as a stream and reading
// stops at MaxItems.
//
// A failure is an *engine.TaskFailure named States.ItemReaderFailed, or
// the S3 error (S3.NoSuchKeyException ...) as Service names it.
func ReadItems(ctx context.Context, st Store, resource string, params map[string]any, cfg ReaderConfig) ([]any, error) {
	if cfg.MaxItems < 0 {
		return nil, readerFailed("field MaxItems must be positive")
	}
	limit := cfg.MaxItems
	if limit == 0 || limit > MaxReaderItems {
		limit = MaxReaderItems
	}
	bucket := str(params["Bucket"])
	if bucket == "" {
		return nil, readerFailed("the ItemReader's Parameters have no Bucket")
	}
	var items []any
	var err error
	switch resource {
	case ReaderListObjectsV2:
		items, err = listItems(ctx, st, bucket, str(params["Prefix"]), limit)
	case ReaderGetObject:
		key := str(params["Key"])
		if key == "" {
			return nil, readerFailed("the ItemReader's Parameters have no Key")
		}
		items, err = readObject(ctx, st, GetInput{Bucket: bucket, Key: key, VersionID: str(params["VersionId"])}, cfg, limit)
	default:
		return nil, readerFailed("unsupported ItemReader resource %q", resource)
	}
	if err != nil {
		return nil, taskFailure(err)
	}
	if items == nil {
		items = []any{}
	}
	return items, nil
}

func listItems(ctx context.Context, st Store, bucket, prefix string, limit int64) ([]any, error) {
	var items []any
	tok := ""
	for {
		page, err := st.List(ctx, ListInput{Bucket: bucket, Prefix: prefix, ContinuationToken: tok})
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			sc := o.StorageClass
			if sc == "" {
				sc = "STANDARD"
			}
			items = append(items, map[string]any{"Etag": o.ETag, "Key": o.Key, "LastModified": o.LastModified.Unix(), "Size": o.Size, "StorageClass": sc})
			if int64(len(items)) >= limit {
				return items, nil
			}
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return items, nil
		}
		tok = page.NextContinuationToken
	}
}

func readObject(ctx context.Context, st Store, in GetInput, cfg ReaderConfig, limit int64) ([]any, error) {
	switch cfg.InputType {
	case "JSON", "JSONL", "CSV", "MANIFEST":
	case "":
		return nil, readerFailed("the ItemReader's ReaderConfig has no InputType (JSON, JSONL, CSV or MANIFEST), which getObject needs")
	default:
		return nil, readerFailed("unsupported InputType %q", cfg.InputType)
	}
	o, err := st.Get(ctx, in)
	if err != nil {
		return nil, err
	}
	defer o.Body.Close()
	switch cfg.InputType {
	case "JSON":
		return readJSON(o.Body, limit)
	case "JSONL":
		return readJSONL(o.Body, limit)
	case "CSV":
		return readCSV(o.Body, cfg, limit)
	default:
		return readManifest(ctx, st, o.Body, cfg, limit)
	}
}

func readJSON(r io.Reader, limit int64) ([]any, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	v, err := statelang.ParseJSON(b)
	if err != nil {
		return nil, readerFailed("the object is not valid JSON: %v", err)
	}
	items, ok := v.([]any)
	if !ok {
		return nil, readerFailed("the JSON object does not hold an array of items")
	}
	if int64(len(items)) > limit {
		items = items[:limit]
	}
	return items, nil
}

func readJSONL(r io.Reader, limit int64) ([]any, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var items []any
	for line := 1; int64(len(items)) < limit; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			v, perr := statelang.ParseJSON(b)
			if perr != nil {
				return nil, readerFailed("line %d of the JSONL object is not valid JSON: %v", line, perr)
			}
			items = append(items, v)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

var csvDelimiters = map[string]rune{"": ',', "COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "SPACE": ' ', "TAB": '\t'}

// readCSV reads rows as objects of strings keyed by the headers: a cell
// missing at a row's end is "", a row longer than the headers fails.
func readCSV(r io.Reader, cfg ReaderConfig, limit int64) ([]any, error) {
	delim, ok := csvDelimiters[cfg.CSVDelimiter]
	if !ok {
		return nil, readerFailed("unsupported CSVDelimiter %q", cfg.CSVDelimiter)
	}
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3) // a UTF-8 byte order mark
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var headers []string
	switch cfg.CSVHeaderLocation {
	case "", "FIRST_ROW":
		row, err := cr.Read()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, readerFailed("the CSV object is malformed: %v", err)
		}
		headers = append(headers, row...)
	case "GIVEN":
		if len(cfg.CSVHeaders) == 0 {
			return nil, readerFailed("CSVHeaderLocation GIVEN needs CSVHeaders")
		}
		headers = cfg.CSVHeaders
	default:
		return nil, readerFailed("unsupported CSVHeaderLocation %q", cfg.CSVHeaderLocation)
	}
	seen := map[string]bool{}
	for _, h := range headers {
		if seen[h] {
			return nil, readerFailed("CSV headers cannot contain duplicates.")
		}
		seen[h] = true
	}
	var items []any
	for int64(len(items)) < limit {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readerFailed("the CSV object is malformed: %v", err)
		}
		// A row with more fields than headers keeps as many as there are
		// headers, one with fewer has "" for the rest, as AWS reads them.
		item := make(map[string]any, len(headers))
		for i, h := range headers {
			item[h] = ""
			if i < len(row) {
				item[h] = row[i]
			}
		}
		items = append(items, item)
	}
	return items, nil
}

// inventoryManifest is the manifest.json of an S3 Inventory report.
type inventoryManifest struct {
	DestinationBucket string `json:"destinationBucket"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// readManifest reads the rows of the (gzipped CSV) files an S3 Inventory
// manifest lists, as objects keyed by the manifest's fileSchema.
func readManifest(ctx context.Context, st Store, r io.Reader, cfg ReaderConfig, limit int64) ([]any, error) {
	if cfg.ManifestType != "" && cfg.ManifestType != "S3_INVENTORY" {
		return nil, readerFailed("unsupported ManifestType %q", cfg.ManifestType)
	}
	var m inventoryManifest
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&m); err != nil {
		return nil, readerFailed("the manifest is not an S3 Inventory manifest: %v", err)
	}
	if m.FileFormat != "CSV" {
		return nil, readerFailed("unsupported S3 Inventory fileFormat %q: only CSV is read", m.FileFormat)
	}
	var headers []string
	for _, h := range strings.Split(m.FileSchema, ",") {
		headers = append(headers, strings.TrimSpace(h))
	}
	bucket := m.DestinationBucket // a bucket's ARN (arn:aws:s3:::<bucket>) or its name
	if a, err := arn.Parse(bucket); err == nil && a.Service == "s3" {
		bucket = a.Resource
	}
	var items []any
	for _, f := range m.Files {
		if int64(len(items)) >= limit {
			break
		}
		o, err := st.Get(ctx, GetInput{Bucket: bucket, Key: f.Key})
		if err != nil {
			return nil, err
		}
		var body io.Reader = o.Body
		if strings.HasSuffix(f.Key, ".gz") {
			gz, err := gzip.NewReader(o.Body)
			if err != nil {
				o.Body.Close()
				return nil, readerFailed("inventory file %s: %v", f.Key, err)
			}
			body = gz
		}
		more, err := readCSV(body, ReaderConfig{CSVHeaderLocation: "GIVEN", CSVHeaders: headers}, limit-int64(len(items)))
		o.Body.Close()
		if err != nil {
			var tf *engine.TaskFailure
			if errors.As(err, &tf) {
				tf.Cause = "inventory file " + f.Key + ": " + tf.Cause
			}
			return nil, err
		}
		items = append(items, more...)
	}
	return items, nil
}
