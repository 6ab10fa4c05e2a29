package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// maxEncodedConsumerName keeps consumer names under the server's limit of
// 255 characters with room for TaskConsumerPrefix.
const maxEncodedConsumerName = 200

// EncodeName encodes a task name or a task token as one NATS subject
// token. Bytes in [A-Za-z0-9_:-] are kept; every other byte (including
// '.', '*', '>', whitespace, '%' and each byte of a non-ASCII character)
// becomes '%' followed by two upper-case hex digits, as in URL
// percent-encoding. The encoding is one-to-one; DecodeName reverses it.
// Lambda function names and the usual integration names ("sqs:sendMessage")
// are kept as they are.
func EncodeName(name string) string {
	var b strings.Builder
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if keep(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

func keep(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':'
}

// DecodeName reverses EncodeName.
func DecodeName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) {
				return "", fmt.Errorf("decode name %q: truncated escape", s)
			}
			v, err := hex.DecodeString(s[i+1 : i+3])
			if err != nil || strings.ToUpper(s[i+1:i+3]) != s[i+1:i+3] {
				return "", fmt.Errorf("decode name %q: bad escape %q", s, s[i:i+3])
			}
			b.WriteByte(v[0])
			i += 2
			continue
		}
		if !keep(c) {
			return "", fmt.Errorf("decode name %q: unescaped byte %q", s, c)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// TaskConsumerName is the durable consumer every worker serving name
// shares (on its installation's task stream): TaskConsumerPrefix + EncodeName(name) with ':' also escaped (as
// "%3A", so that the name is a portable file name on the server). A name
// whose encoding is longer than 200 characters is cut to 150 and followed
// by '~' and 16 hex digits of its SHA-256.
func TaskConsumerName(name string) string {
	enc := strings.ReplaceAll(EncodeName(name), ":", "%3A")
	if len(enc) > maxEncodedConsumerName {
		sum := sha256.Sum256([]byte(name))
		enc = enc[:150] + "~" + hex.EncodeToString(sum[:8])
	}
	return TaskConsumerPrefix + enc
}

// ErrNoName is returned by NameFromResource for a resource that names no
// worker by itself (arn:aws:states:::lambda:invoke takes its function from
// the FunctionName parameter; see FunctionName).
var ErrNoName = errors.New("resource names no worker")

// NameFromResource maps a Task state's Resource to the worker name its
// tasks are dispatched to:
//
//   - arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] → NAME
//   - arn:aws:states:REGION:ACCOUNT:activity:NAME → NAME
//   - arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken] →
//     "SERVICE:ACTION", e.g. "sqs:sendMessage", served by a worker the user
//     registers under that name;
//   - arn:aws:states:::lambda:invoke[...] → ErrNoName: the name comes from
//     the FunctionName parameter, see FunctionName.
//
// Any partition (aws, aws-us-gov, aws-cn) is accepted.
func NameFromResource(resource string) (string, error) {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") {
		return "", fmt.Errorf("resource %q is not an ARN", resource)
	}
	service, region, account := parts[2], parts[3], parts[4]
	rest := strings.Join(parts[5:], ":")
	switch {
	case service == "lambda":
		fn, ok := strings.CutPrefix(rest, "function:")
		if !ok || fn == "" {
			return "", fmt.Errorf("resource %q is not a Lambda function ARN", resource)
		}
		name, _, _ := strings.Cut(fn, ":")
		return name, nil
	case service == "states" && strings.HasPrefix(rest, "activity:"):
		name := strings.TrimPrefix(rest, "activity:")
		if name == "" {
			return "", fmt.Errorf("resource %q names no activity", resource)
		}
		return name, nil
	case service == "states" && region == "" && account == "":
		name := rest
		for _, suffix := range []string{".waitForTaskToken", ".sync:2", ".sync"} {
			if n, ok := strings.CutSuffix(name, suffix); ok {
				name = n
				break
			}
		}
		svc, action, ok := strings.Cut(name, ":")
		if !ok || svc == "" || action == "" {
			return "", fmt.Errorf("resource %q is not a service integration", resource)
		}
		if svc == "lambda" && action == "invoke" {
			return "", fmt.Errorf("resource %q: %w (use FunctionName)", resource, ErrNoName)
		}
		return name, nil
	}
	return "", fmt.Errorf("resource %q is not a Lambda function, activity or service integration", resource)
}

// FunctionName maps the FunctionName parameter of
// arn:aws:states:::lambda:invoke to a worker name. It accepts the forms
// Lambda accepts: "NAME", "NAME:QUALIFIER", "ACCOUNT:function:NAME[:QUALIFIER]"
// and the full function ARN.
func FunctionName(v string) (string, error) {
	if strings.HasPrefix(v, "arn:") {
		return NameFromResource(v)
	}
	parts := strings.Split(v, ":")
	switch {
	case len(parts) >= 3 && parts[1] == "function" && parts[2] != "":
		return parts[2], nil
	case len(parts) <= 2 && parts[0] != "":
		return parts[0], nil
	}
	return "", fmt.Errorf("function name %q is not a Lambda function name or ARN", v)
}
