// Package api puts Stepwise's three front doors on one engine: the gRPC
// services (package grpcapi), the REST/JSON gateway in front of them
// (grpc-gateway, under /v1/), and the AWS Step Functions JSON 1.0 endpoint
// (package awsjson, POST / with X-Amz-Target). None of them holds business
// logic: each translates its wire format to calls on *engine.Engine and
// engine errors back to its own error shape.
//
// Generated code from proto/ lives in api/gen (regenerate with
// `make generate`; never edit it by hand).
package api
