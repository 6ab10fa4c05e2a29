package s3server

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The folder: <Dir>/<bucket>/<key>, a key's "/" a folder. Beside the
// buckets, in folders whose names no bucket can have (bucket names start
// with a letter or digit):
//
//	<Dir>/.meta/<bucket>/<key>   the object's ETag, content type and user
//	                             metadata (JSON), with the size and mtime
//	                             they describe; a file put there by hand
//	                             has none and is hashed when asked for
//	<Dir>/.tmp/                  files being written, renamed into place
//	<Dir>/.uploads/<id>/         multipart uploads: info.json and parts
//
// Every write goes to .tmp first and is renamed into place, so a reader
// sees the old object or the new one, never a part of one.

const (
	metaDir    = ".meta"
	tmpDir     = ".tmp"
	uploadsDir = ".uploads"
)

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// validBucket reports whether name is a bucket name S3 accepts (and so a
// safe folder name).
func validBucket(name string) bool {
	return bucketName.MatchString(name) && !strings.Contains(name, "..")
}

// keyProblem says why key cannot be an object of the folder, or "".
// Refused: empty or over 1024 bytes, NUL, a leading or trailing "/", an
// empty, "." or ".." segment (so no key leaves its bucket's folder), and
// a segment the server keeps for itself.
func keyProblem(key string) string {
	switch {
	case key == "":
		return "the key is empty"
	case len(key) > 1024:
		return "the key is longer than 1024 bytes"
	case strings.ContainsRune(key, 0):
		return "the key contains NUL"
	case strings.HasPrefix(key, "/"):
		return "the key starts with /"
	case strings.HasSuffix(key, "/"):
		return "keys ending in / (folder markers) are not stored by this endpoint"
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return "the key has an empty segment (//)"
		case seg == "." || seg == "..":
			return "the key has a . or .. segment"
		case len(seg) > 255:
			return "a segment of the key is longer than 255 bytes"
		}
	}
	return ""
}

// meta is what the folder keeps about an object beside its bytes.
type meta struct {
	ETag        string            `json:"etag"` // without quotes
	ContentType string            `json:"content_type,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Size        int64             `json:"size"`
	ModNano     int64             `json:"mod_nano"`
}

// object is an object's description.
type object struct {
	Key          string
	Size         int64
	LastModified time.Time
	meta
}

// folder is the objects of Dir.
type folder struct {
	dir string
}

func (f folder) bucketPath(bucket string) string { return filepath.Join(f.dir, bucket) }

func (f folder) objectPath(bucket, key string) string {
	return filepath.Join(f.dir, bucket, filepath.FromSlash(key))
}

func (f folder) metaPath(bucket, key string) string {
	return filepath.Join(f.dir, metaDir, bucket, filepath.FromSlash(key))
}

func (f folder) bucketExists(bucket string) bool {
	st, err := os.Stat(f.bucketPath(bucket))
	return err == nil && st.IsDir()
}

// errs of the folder, turned into S3 errors by the handler.
var (
	errNoSuchKey   = errors.New("no such key")
	errKeyConflict = errors.New("key conflict")
)

// stat describes bucket/key: errNoSuchKey if it is not a file.
func (f folder) stat(bucket, key string) (object, error) {
	st, err := os.Stat(f.objectPath(bucket, key))
	if err != nil || !st.Mode().IsRegular() {
		return object{}, errNoSuchKey
	}
	o := object{Key: key, Size: st.Size(), LastModified: st.ModTime().UTC()}
	if b, err := os.ReadFile(f.metaPath(bucket, key)); err == nil {
		var m meta
		if json.Unmarshal(b, &m) == nil && m.Size == st.Size() && m.ModNano == st.ModTime().UnixNano() {
			o.meta = m
			return o, nil
		}
	}
	// Put there by hand, or changed since: hash it.
	file, err := os.Open(f.objectPath(bucket, key))
	if err != nil {
		return object{}, errNoSuchKey
	}
	defer file.Close()
	h := md5.New()
	if _, err := io.Copy(h, file); err != nil {
		return object{}, err
	}
	o.ETag = hex.EncodeToString(h.Sum(nil))
	return o, nil
}

// tempFile creates a file in .tmp.
func (f folder) tempFile() (*os.File, error) {
	dir := filepath.Join(f.dir, tmpDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, "put-")
}

// place renames the written temp file tmp to bucket/key and records m.
// errKeyConflict: the key's path crosses an object (a/b when a is one) or
// is a folder of other objects.
func (f folder) place(tmp, bucket, key string, m meta) (object, error) {
	dst := f.objectPath(bucket, key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTDIR) {
			return object{}, errKeyConflict
		}
		return object{}, err
	}
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		os.Remove(tmp)
		return object{}, errKeyConflict
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return object{}, err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return object{}, err
	}
	m.Size, m.ModNano = st.Size(), st.ModTime().UnixNano()
	if err := f.writeMeta(bucket, key, m); err != nil {
		return object{}, err
	}
	return object{Key: key, Size: st.Size(), LastModified: st.ModTime().UTC(), meta: m}, nil
}

func (f folder) writeMeta(bucket, key string, m meta) error {
	b, _ := json.Marshal(m)
	p := f.metaPath(bucket, key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := f.tempFile()
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// remove deletes bucket/key and its metadata, and the folders left empty
// up to the bucket's.
func (f folder) remove(bucket, key string) error {
	p := f.objectPath(bucket, key)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return nil // S3 answers 204 for a missing key
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	_ = os.Remove(f.metaPath(bucket, key))
	f.pruneEmpty(filepath.Dir(p), f.bucketPath(bucket))
	f.pruneEmpty(filepath.Dir(f.metaPath(bucket, key)), filepath.Join(f.dir, metaDir, bucket))
	return nil
}

func (f folder) pruneEmpty(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// walk calls fn with the keys of bucket greater than after that start
// with prefix, in order, until fn returns false. It reads only the
// folders that can hold such keys.
func (f folder) walk(bucket, prefix, after string, fn func(key string) bool) error {
	// Keys sort as strings; a folder's keys are "name/...", which sort
	// after "name-" and before "name0". Walking each folder's entries in
	// the order of their names with "/" appended to folders' gives the
	// keys in order.
	var walk func(dir, rel string) (bool, error)
	walk = func(dir, rel string) (bool, error) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && rel != "" {
				return false, nil // removed meanwhile
			}
			return false, err
		}
		type ent struct {
			name string // key part: name, or name/ for a folder
			dir  bool
		}
		list := make([]ent, 0, len(entries))
		for _, de := range entries {
			switch {
			case de.IsDir():
				list = append(list, ent{de.Name() + "/", true})
			case de.Type().IsRegular():
				list = append(list, ent{de.Name(), false})
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
		for _, e := range list {
			k := rel + e.name
			if e.dir {
				// Skip a folder that holds no key in range: none has the
				// prefix, or all sort before after.
				if !strings.HasPrefix(k, prefix) && !strings.HasPrefix(prefix, k) {
					continue
				}
				if k < after && !strings.HasPrefix(after, k) {
					continue
				}
				stop, err := walk(filepath.Join(dir, strings.TrimSuffix(e.name, "/")), k)
				if err != nil || stop {
					return stop, err
				}
				continue
			}
			if !strings.HasPrefix(k, prefix) || k <= after {
				continue
			}
			if !fn(k) {
				return true, nil
			}
		}
		return false, nil
	}
	_, err := walk(f.bucketPath(bucket), "")
	return err
}

// buckets lists the buckets with their creation (modification) times.
func (f folder) buckets() ([]object, error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []object
	for _, de := range entries {
		if !de.IsDir() || !validBucket(de.Name()) {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, object{Key: de.Name(), LastModified: info.ModTime().UTC()})
	}
	return out, nil
}

func (f folder) String() string { return fmt.Sprintf("folder %s", f.dir) }
