package telemetry

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
)

// Names returns the names of every metric m declares, observed or not.
func (m *Metrics) Names() map[string]bool {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		m.reg.Describe(ch)
		close(ch)
	}()
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	out := map[string]bool{}
	for d := range ch {
		if s := re.FindStringSubmatch(d.String()); s != nil {
			out[s[1]] = true
		}
	}
	return out
}

// Following returns how many executions t follows: the observers run after
// a commit returns, so a test that saw an execution end in the store waits
// for this to drop before it reads the spans.
func (t *Tracer) Following() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.execs)
}
