package storage

import "fedsync/area"

// VerifyReport is the outcome of Store.Verify. OK is true when no problem
// was found.
type VerifyReport struct {
	OK       bool          `json:"ok"`
	Records  int64         `json:"records"`
	Entries  int64         `json:"entries"`
	Counters int64         `json:"counters"`
	Origins  []OriginCheck `json:"origins"`
	Problems []string      `json:"problems,omitempty"` // human-readable, first 100
}

// OriginCheck is the chain check of one origin's log.
type OriginCheck struct {
	Origin  area.Code `json:"origin"`
	First   uint64    `json:"first"` // lowest seq held (after pruning)
	Last    uint64    `json:"last"`
	Head    string    `json:"head"` // hex chain hash at Last
	ChainOK bool      `json:"chain_ok"`
}
