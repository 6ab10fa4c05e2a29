package conformance

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
)

// EmulateLambda stands in for the corpus' Python Lambda function name,
// whose behaviour is the scenario's needs.lambda description, as a
// worker's handler: it returns what the function returned, or its error.
func EmulateLambda(ctx context.Context, name, behaviour string, in json.RawMessage) (json.RawMessage, error) {
	info, _ := workers.TaskInfoFromContext(ctx)
	compact := strings.HasPrefix(info.Resource, "arn:aws:states:::")
	switch {
	case behaviour == "no such function":
		return nil, workers.Fail("Lambda.ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:111111111111:function:"+name+
			":$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "+engine.NewUUID()+"; Proxy: null)")
	case strings.HasPrefix(behaviour, "identity"):
		return pyJSON(in), nil
	case strings.HasPrefix(behaviour, "raises Exception"):
		// Lambda's error payload; the optimized integration passes it on
		// compact, the function ARN form as Python's json.dumps wrote it.
		sep, col := ", ", ": "
		if compact {
			sep, col = ",", ":"
		}
		trace, _ := json.Marshal("  File \"/var/task/handler.py\", line 2, in handler\n    raise Exception(\"Some exception was raised.\")\n")
		cause := `{"errorMessage"` + col + `"Some exception was raised."` + sep + `"errorType"` + col + `"Exception"` + sep +
			`"requestId"` + col + `"` + engine.NewUUID() + `"` + sep + `"stackTrace"` + col + `[` + string(trace) + `]}`
		return nil, workers.Fail("Exception", cause)
	case strings.HasPrefix(behaviour, "sleeps 60 s"):
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(60 * time.Second):
			return in, nil
		}
	case strings.HasPrefix(behaviour, "returns 257 KiB"):
		return json.RawMessage(`"` + strings.Repeat("a", 257*1024) + `"`), nil
	case strings.HasPrefix(behaviour, "returns the bytes"):
		return json.RawMessage(`"HelloWorld!"`), nil
	}
	return nil, workers.Fail("Emulation.Unknown", "no emulation for "+behaviour)
}

// pyJSON re-encodes JSON the way Python's json.dumps writes it (", " and
// ": " separators), which is what Lambda returns for a Python function and
// what its Content-Length counts.
func pyJSON(in json.RawMessage) json.RawMessage {
	var b strings.Builder
	inStr, esc := false, false
	for _, c := range string(in) {
		switch {
		case inStr:
			b.WriteRune(c)
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteRune(c)
		case c == ',':
			b.WriteString(", ")
		case c == ':':
			b.WriteString(": ")
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		default:
			b.WriteRune(c)
		}
	}
	return json.RawMessage(b.String())
}
