package statelang

import "strings"

// optimizedActions lists, for the AWS services whose optimized
// integrations Stepwise knows exactly, the actions AWS accepts in
// arn:aws:states:::<service>:<action>. Services not listed are accepted with
// any action: Stepwise dispatches them to a worker registered under that
// name. (The aws-sdk:* form is always accepted.)
var optimizedActions = map[string][]string{
	"dynamodb": {"getItem", "putItem", "deleteItem", "updateItem"},
	"lambda":   {"invoke"},
	"sqs":      {"sendMessage"},
	"sns":      {"publish"},
	"states":   {"startExecution"},
	"events":   {"putEvents"},
	"http":     {"invoke"},
}

// checkResource returns AWS's complaint about a Task resource, or "".
func checkResource(r string) string {
	bad := "The resource provided " + r + " is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
	if !strings.HasPrefix(r, "arn:") {
		return bad
	}
	parts := strings.SplitN(r, ":", 7)
	if len(parts) < 6 {
		return bad
	}
	if parts[2] != "states" || parts[3] != "" || parts[4] != "" {
		return ""
	}
	// arn:aws:states:::service:action[.pattern]
	if len(parts) < 7 {
		return bad
	}
	service, action := parts[5], parts[6]
	action, _, _ = strings.Cut(action, ".")
	if service == "" || action == "" {
		return bad
	}
	allowed, known := optimizedActions[service]
	if !known {
		return ""
	}
	for _, a := range allowed {
		if a == action {
			return ""
		}
	}
	return bad
}
