package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"fedsync/registry"
	"fedsync/storage"
)

// BatchRequest is the body of POST /v1/batch: records of one kind, written
// as one raft entry.
type BatchRequest struct {
	Kind    registry.Kind     `json:"kind"`
	Mode    string            `json:"mode"` // BatchModeCreate (default) or BatchModeUpsert
	Records []json.RawMessage `json:"records"`
}

// Batch modes.
const (
	BatchModeCreate = "create" // refuse ids that exist with other content
	BatchModeUpsert = "upsert" // create or replace
)

// BatchResponse is the answer to POST /v1/batch: one result per record, in
// request order.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
}

// BatchResult is the outcome of one record of a batch.
type BatchResult struct {
	Index  int      `json:"index"`
	ID     string   `json:"id,omitempty"`
	Status string   `json:"status"` // one of the Batch* statuses
	Seq    uint64   `json:"seq,omitempty"`
	Error  *Problem `json:"error,omitempty"` // when Status is BatchError
}

// Statuses of BatchResult.
const (
	BatchCreated   = "created"
	BatchUpdated   = "updated"
	BatchUnchanged = "unchanged"
	BatchError     = "error"
)

// batch is a decoded batch request being worked on.
type batch struct {
	kind    registry.Kind
	mode    storage.Mode
	results []BatchResult
	muts    []storage.Mutation // the valid records
	index   []int              // index[j] is the request index of muts[j]
}

// handleBatch answers POST /v1/batch. Each record is checked on its own;
// refused ones become per-index errors, the valid ones go to one
// Backend.Write.
func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) error {
	if err := RequireRole(r, RoleOperator); err != nil {
		return err
	}
	body, err := s.readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	if err := refuseAttribution(body); err != nil {
		return err
	}
	req, err := s.decodeBatch(body)
	if err != nil {
		return err
	}
	bt := &batch{kind: req.Kind, mode: storage.ModeCreate, results: make([]BatchResult, len(req.Records))}
	if req.Mode == BatchModeUpsert {
		bt.mode = storage.ModeUpsert
	}
	s.prepareBatch(r, bt, req.Records)
	if err := s.writeBatch(r, bt); err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, BatchResponse{Results: bt.results})
	return nil
}

// decodeBatch parses and checks the batch envelope; the records are left
// raw for prepareBatch.
func (s *Server) decodeBatch(body []byte) (*BatchRequest, error) {
	var req BatchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, batchProblem("(body)", "must be a JSON object with kind, mode and records: "+err.Error(), http.StatusBadRequest)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, batchProblem("(body)", "must be a single JSON object with nothing after it", http.StatusBadRequest)
	}
	if _, err := registry.ParseKind(string(req.Kind)); err != nil {
		return nil, batchProblem("kind", "must be one of "+kindList(), http.StatusBadRequest)
	}
	switch req.Mode {
	case "":
		req.Mode = BatchModeCreate
	case BatchModeCreate, BatchModeUpsert:
	default:
		return nil, batchProblem("mode", `must be "create" or "upsert"`, http.StatusBadRequest)
	}
	if n := len(req.Records); n == 0 || n > s.cfg.MaxBatch {
		status := http.StatusBadRequest
		if n > 0 {
			status = http.StatusRequestEntityTooLarge
		}
		return nil, batchProblem("records", fmt.Sprintf("must hold 1 to %d records (got %d)", s.cfg.MaxBatch, n), status)
	}
	return &req, nil
}

// batchProblem refuses a whole batch because of its envelope.
func batchProblem(field, rule string, status int) *Problem {
	p := problem(status, "invalid batch", "batch %s %s", field, rule)
	p.Field, p.Rule = field, rule
	return p
}

// prepareBatch applies the write rules to every record, recording refusals
// in bt.results and the valid records in bt.muts.
func (s *Server) prepareBatch(r *http.Request, bt *batch, records []json.RawMessage) {
	for i, raw := range records {
		bt.results[i].Index = i
		rec, enc, err := s.prepare(bt.kind, raw, "")
		if err != nil {
			s.metrics.wrote(string(bt.kind), resultInvalid)
			bt.results[i].Status, bt.results[i].Error = BatchError, recordProblem(r, err)
			continue
		}
		id := rec.RecordID()
		bt.results[i].ID = id
		if err := s.checkWrite(r, bt.kind, id, rec.Area()); err != nil {
			s.metrics.wrote(string(bt.kind), resultInvalid)
			bt.results[i].Status, bt.results[i].Error = BatchError, recordProblem(r, err)
			continue
		}
		bt.muts = append(bt.muts, storage.Mutation{Op: storage.OpPut, Mode: bt.mode, Kind: bt.kind, ID: id, Body: enc})
		bt.index = append(bt.index, i)
	}
}

// writeBatch sends the valid records to the Backend as one Write and fills
// in their results.
func (s *Server) writeBatch(r *http.Request, bt *batch) error {
	if len(bt.muts) == 0 {
		return nil
	}
	kind := string(bt.kind)
	res, err := s.write(r, bt.muts)
	if err != nil {
		s.metrics.writes.WithLabelValues(kind, resultUnavailable).Add(float64(len(bt.muts)))
		return s.unavailable(err)
	}
	if len(res) != len(bt.muts) {
		return fmt.Errorf("write batch: backend answered %d results for %d mutations", len(res), len(bt.muts))
	}
	for j, m := range bt.muts {
		out := &bt.results[bt.index[j]]
		out.Seq = res[j].Seq
		if res[j].Err != nil {
			s.metrics.wrote(kind, resultRefused)
			out.Status = BatchError
			out.Error = recordProblem(r, res[j].Err)
			continue
		}
		o := outcome(m, res[j]) // created, updated or unchanged: the Batch* statuses
		s.metrics.wrote(kind, o)
		out.Status = o
	}
	return nil
}

// recordProblem is the problem of one refused record of a batch.
func recordProblem(r *http.Request, err error) *Problem {
	p := storeProblem(err)
	p.Instance = r.URL.Path
	return p
}
