package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTwoCommands holds the README to its promise: two commands, one that
// runs `stepwise dev` and one that runs the tests, and CI (.ci/run) runs
// that same test command.
func TestTwoCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(readme), "\n## A five-minute tour")
	_, section, ok := strings.Cut(section, "## The two commands\n")
	if !ok {
		t.Fatal(`README.md has no "## The two commands" section`)
	}
	var cmds []string
	for _, m := range regexp.MustCompile("(?s)```\n(.*?)\n```").FindAllStringSubmatch(section, -1) {
		cmds = append(cmds, strings.TrimSpace(m[1]))
	}
	if want := []string{"go run ./cmd/stepwise dev", "make test"}; !slices.Equal(cmds, want) {
		t.Fatalf("README's two commands = %q; want %q", cmds, want)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(ci), "\n"), cmds[1]) {
		t.Errorf(".ci/run has no line %q; CI must run the README's test command", cmds[1])
	}
}
