package statelang

import (
	"math"
	"unicode/utf8"
)

// AWS checks a TestState mock result against the response shape of the API
// the Task calls (mock.fieldValidationMode): STRICT (the default) requires
// the required fields and checks the present ones, PRESENT checks only the
// present ones, NONE checks nothing. resultShapes holds the response shapes
// of a few integrations, as AWS's API models give them (the optimized
// integrations' results have capitalised field names); a resource not
// listed is not checked. Fields the shape does not know are allowed.

// shape is one API shape: its kind and the constraints AWS checks.
type shape struct {
	kind     shapeKind
	members  []member // structure, in the model's order
	elem     *shape   // list element, map value
	enum     []string
	min, max float64 // string and blob length, number value; NaN: none
}

type member struct {
	name     string
	required bool
	shape    *shape
}

type shapeKind int

const (
	kindAny shapeKind = iota
	kindStructure
	kindList
	kindMap
	kindString
	kindNumber  // integer, long, float, double
	kindBoolean // boolean
)

var none = math.NaN()

func structure(ms ...member) *shape {
	return &shape{kind: kindStructure, members: ms, min: none, max: none}
}
func field(name string, s *shape) member {
	return member{name: name, shape: s}
}
func required(name string, s *shape) member {
	return member{name: name, required: true, shape: s}
}
func listOf(s *shape) *shape { return &shape{kind: kindList, elem: s, min: none, max: none} }
func mapOf(s *shape) *shape  { return &shape{kind: kindMap, elem: s, min: none, max: none} }
func text() *shape           { return textLen(none, none) }
func textLen(lo, hi float64) *shape {
	return &shape{kind: kindString, min: lo, max: hi}
}
func oneOf(values ...string) *shape {
	return &shape{kind: kindString, enum: values, min: none, max: none}
}
func number() *shape { return numberIn(none, none) }
func numberIn(lo, hi float64) *shape {
	return &shape{kind: kindNumber, min: lo, max: hi}
}
func boolean() *shape  { return &shape{kind: kindBoolean, min: none, max: none} }
func anyValue() *shape { return &shape{kind: kindAny, min: none, max: none} }

// A timestamp is a JSON string in a Task's result (so is a blob: text).
var timestamp = text

var (
	dynamoCapacity = structure(
		field("TableName", textLen(1, 1024)), field("CapacityUnits", number()),
		field("ReadCapacityUnits", number()), field("WriteCapacityUnits", number()),
		field("Table", structure(field("ReadCapacityUnits", number()), field("WriteCapacityUnits", number()), field("CapacityUnits", number()))),
		field("LocalSecondaryIndexes", mapOf(anyValue())), field("GlobalSecondaryIndexes", mapOf(anyValue())))
	dynamoItemMetrics = structure(field("ItemCollectionKey", mapOf(anyValue())), field("SizeEstimateRangeGB", listOf(number())))
	dynamoWrite       = structure(field("Attributes", mapOf(anyValue())), field("ConsumedCapacity", dynamoCapacity), field("ItemCollectionMetrics", dynamoItemMetrics))
)

// resultShapes maps a Task resource (after "arn:<partition>:states:::")
// to the shape of its result.
var resultShapes = map[string]*shape{
	"lambda:invoke": structure(field("StatusCode", number()), field("FunctionError", text()), field("LogResult", text()),
		field("Payload", anyValue()), field("ExecutedVersion", textLen(1, 1024))),
	"states:startExecution": structure(required("ExecutionArn", textLen(1, 256)), required("StartDate", timestamp())),
	"events:putEvents": structure(field("FailedEntryCount", number()),
		field("Entries", listOf(structure(field("EventId", textLen(none, 64)), field("ErrorCode", text()), field("ErrorMessage", text()))))),
	"dynamodb:putItem":    dynamoWrite,
	"dynamodb:updateItem": dynamoWrite,
	"dynamodb:deleteItem": dynamoWrite,
	"dynamodb:getItem":    structure(field("Item", mapOf(anyValue())), field("ConsumedCapacity", dynamoCapacity)),
	"sqs:sendMessage": structure(field("MD5OfMessageBody", text()), field("MD5OfMessageAttributes", text()),
		field("MD5OfMessageSystemAttributes", text()), field("MessageId", text()), field("SequenceNumber", text())),
	"sns:publish": structure(field("MessageId", text()), field("SequenceNumber", text())),
	"aws-sdk:s3:getObject": structure(field("Body", anyValue()), field("DeleteMarker", boolean()), field("AcceptRanges", text()),
		field("Expiration", text()), field("Restore", text()), field("LastModified", timestamp()), field("ContentLength", number()),
		field("ETag", text()), field("MissingMeta", number()), field("VersionId", text()), field("CacheControl", text()),
		field("ContentDisposition", text()), field("ContentEncoding", text()), field("ContentLanguage", text()),
		field("ContentRange", text()), field("ContentType", text()), field("WebsiteRedirectLocation", text()),
		field("ServerSideEncryption", oneOf("AES256", "aws:fsx", "aws:kms", "aws:kms:dsse")), field("Metadata", mapOf(text())),
		field("SSECustomerAlgorithm", text()), field("SSECustomerKeyMD5", text()), field("SSEKMSKeyId", text()),
		field("BucketKeyEnabled", boolean()),
		field("StorageClass", oneOf("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
			"DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS", "FSX_ONTAP")),
		field("RequestCharged", oneOf("requester")), field("ReplicationStatus", oneOf("COMPLETE", "PENDING", "FAILED", "REPLICA", "COMPLETED")),
		field("PartsCount", number()), field("TagCount", number()), field("ObjectLockMode", oneOf("GOVERNANCE", "COMPLIANCE")),
		field("ObjectLockRetainUntilDate", timestamp()), field("ObjectLockLegalHoldStatus", oneOf("ON", "OFF"))),
	"aws-sdk:kms:encrypt": structure(field("CiphertextBlob", textLen(1, 6144)), field("KeyId", textLen(1, 2048)),
		field("EncryptionAlgorithm", oneOf("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"))),
	"aws-sdk:lambda:getFunction": structure(
		field("Configuration", structure(field("FunctionName", textLen(1, 256)), field("FunctionArn", text()), field("Runtime", text()),
			field("Role", text()), field("Handler", textLen(0, 128)), field("CodeSize", number()), field("Description", textLen(0, 256)),
			field("Timeout", numberIn(1, none)), field("MemorySize", numberIn(128, 10240)), field("LastModified", text()),
			field("CodeSha256", text()), field("Version", textLen(1, 1024)))),
		field("Code", structure(field("RepositoryType", text()), field("Location", text()), field("ImageUri", text()), field("ResolvedImageUri", text()))),
		field("Tags", mapOf(text()))),
}

// checkMockResult returns AWS's complaint about a mocked result of a Task
// calling resource, or "".
func checkMockResult(resource Resource, result any, mode string) string {
	if mode == "NONE" || resource.Kind != KindIntegration {
		return ""
	}
	service, action := resource.HistoryResource()
	sh := resultShapes[service+":"+action]
	if sh == nil {
		return ""
	}
	if msg := sh.check("", result, mode != "PRESENT"); msg != "" {
		return "Mock result schema validation error: " + msg
	}
	return ""
}

// check checks v, the value of the field name ("" at the top), against s.
func (s *shape) check(name string, v any, strict bool) string {
	what := "The mocked result"
	if name != "" {
		what = "Field '" + name + "'"
	}
	switch s.kind {
	case kindStructure:
		obj, ok := v.(map[string]any)
		if !ok {
			return what + " must be an object"
		}
		for _, m := range s.members {
			x, present := obj[m.name]
			if !present {
				if strict && m.required {
					return "Required field '" + m.name + "' is missing"
				}
				continue
			}
			if msg := m.shape.check(m.name, x, strict); msg != "" {
				return msg
			}
		}
	case kindList, kindMap:
		var elems []any
		if arr, ok := v.([]any); ok && s.kind == kindList {
			elems = arr
		} else if obj, ok := v.(map[string]any); ok && s.kind == kindMap {
			for _, x := range obj {
				elems = append(elems, x)
			}
		} else if s.kind == kindList {
			return what + " must be an array"
		} else {
			return what + " must be an object"
		}
		for _, x := range elems {
			if msg := s.elem.check(name, x, strict); msg != "" {
				return msg
			}
		}
	case kindString:
		str, ok := v.(string)
		if !ok {
			return what + " must be a string"
		}
		if len(s.enum) > 0 && !contains(s.enum, str) {
			return what + " is not an expected value"
		}
		n := float64(utf8.RuneCountInString(str))
		if n < s.min {
			return what + " is smaller than the minimum length"
		}
		if n > s.max {
			return what + " exceeds the maximum length"
		}
	case kindNumber:
		x, ok := toFloat(v)
		if !ok {
			return what + " must be a number"
		}
		if x < s.min {
			return what + " is less than the minimum value"
		}
		if x > s.max {
			return what + " exceeds the maximum value"
		}
	case kindBoolean:
		if _, ok := v.(bool); !ok {
			return what + " must be a boolean"
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
