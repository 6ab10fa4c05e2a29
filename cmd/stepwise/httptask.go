package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/services/httpinvoke"
)

// httpTaskConfig is the settings of the HTTP task
// (arn:aws:states:::http:invoke), run by the engine with
// services/httpinvoke, in `stepwise server` and `stepwise dev`.
type httpTaskConfig struct {
	// Connections is the file of the connections tasks name (YAML or
	// JSON, see httpinvoke.ParseConnections); "": none, so every HTTP
	// task fails with Events.ConnectionResource.ResourceNotFound.
	Connections string
	// Timeout bounds one request.
	Timeout time.Duration
}

// httpTaskFlags defines the HTTP task's flags on fs.
func httpTaskFlags(fs *flag.FlagSet, c *httpTaskConfig) {
	fs.StringVar(&c.Connections, "http-connections", env("STEPWISE_HTTP_CONNECTIONS", ""), "YAML or JSON file of the connections HTTP tasks (arn:aws:states:::http:invoke) name; ${NAME} in it is read from the environment (STEPWISE_HTTP_CONNECTIONS)")
	fs.DurationVar(&c.Timeout, "http-task-timeout", envDuration("STEPWISE_HTTP_TASK_TIMEOUT", 60*time.Second), "timeout of one HTTP task request (STEPWISE_HTTP_TASK_TIMEOUT)")
}

// withHTTPTask returns ecfg with the HTTP task's service added to its
// Services, its connections read from c.Connections.
func withHTTPTask(ecfg engine.Config, c httpTaskConfig) (engine.Config, error) {
	var conns []httpinvoke.Connection
	if c.Connections != "" {
		var err error
		if conns, err = httpinvoke.LoadConnections(c.Connections); err != nil {
			return ecfg, fmt.Errorf("HTTP task connections: %w", err)
		}
	}
	svc, err := httpinvoke.New(httpinvoke.Config{Connections: conns, Timeout: c.Timeout, Region: ecfg.Region})
	if err != nil {
		return ecfg, fmt.Errorf("HTTP task connections: %w", err)
	}
	ecfg.Services = append(ecfg.Services, svc)
	return ecfg, nil
}
