package awsjson_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/statelang"
)

// TestEventTypesAreAWSs checks Stepwise's history event vocabulary against
// the AWS SDK's: the same types in the same order, and each type's details
// under the member of HistoryEvent that AWS names for it.
func TestEventTypesAreAWSs(t *testing.T) {
	var aws []statelang.EventType
	for _, v := range types.HistoryEventType("").Values() {
		aws = append(aws, statelang.EventType(v))
	}
	ours := statelang.EventTypes()
	if !slices.Equal(ours, aws) {
		t.Fatalf("statelang.EventTypes() =\n%v\nAWS SDK's HistoryEventType values =\n%v", ours, aws)
	}
	members := map[string]bool{}
	ht := reflect.TypeOf(types.HistoryEvent{})
	for i := range ht.NumField() {
		members[strings.ToLower(ht.Field(i).Name[:1])+ht.Field(i).Name[1:]] = true
	}
	for _, typ := range ours {
		if !typ.Known() {
			t.Errorf("%s is not Known", typ)
		}
		if key := statelang.DetailsKey(typ); key != "" && !members[key] {
			t.Errorf("DetailsKey(%s) = %s, which is not a member of the SDK's HistoryEvent", typ, key)
		}
	}
	if statelang.EventType("PassStateFailed").Known() {
		t.Error("PassStateFailed is Known")
	}
	if k := statelang.DetailsKey(statelang.EventTypeParallelStateFailed); k != "" {
		t.Errorf("DetailsKey(ParallelStateFailed) = %q; AWS shows it without details", k)
	}
}
