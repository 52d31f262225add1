// Package registry owns the record kinds of fedsync (DESIGN §3): their Go
// types, JSON codec (Decode, Encode), validation rules (Validate), enums with
// Chinese labels, field schemas for importers and docs (Fields, PIIFields)
// and the programme targets (TargetFor). It depends only on package area.
//
// docs/RECORDS.md describes every field and rule; doc_test.go keeps it in
// step with Fields.
package registry
