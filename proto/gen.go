// Package proto holds Herald's protobuf definitions; the generated Go lives
// in herald/v1. Regenerate with `make proto` from the repository root.
package proto

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative herald/v1/jobs.proto
