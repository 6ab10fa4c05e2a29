// Package awsjson serves the AWS Step Functions API (JSON 1.0 protocol:
// POST / with X-Amz-Target: AWSStepFunctions.<Operation>) on the engine, so
// that `aws stepfunctions --endpoint-url` and the AWS SDKs work unchanged.
// SigV4 signatures are accepted and not verified.
package awsjson

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
)

// Config configures the handler.
type Config struct {
	Engine          *engine.Engine
	Region, Account string
	Logger          *slog.Logger
}

type handler struct{ cfg Config }

// New returns the AWS JSON 1.0 handler.
func New(cfg Config) http.Handler { return &handler{cfg: cfg} }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	writeError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation "+op)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
