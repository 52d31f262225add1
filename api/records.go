package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"fedsync/registry"
	"fedsync/storage"
)

// handleCreate answers POST /v1/records/{kind}: 201 with the stored record,
// 200 when an identical record was already there, 409 when the id exists
// with other content.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) error {
	return s.put(w, r, storage.ModeCreate, "")
}

// handleUpdate answers PUT /v1/records/{kind}/{id}: 200 with the stored
// record, 404 when there is no such record.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) error {
	return s.put(w, r, storage.ModeUpdate, r.PathValue("id"))
}

// put is the write path of a single record.
func (s *Server) put(w http.ResponseWriter, r *http.Request, mode storage.Mode, pathID string) error {
	k, err := kindParam(r)
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r, min(s.cfg.MaxBodyBytes, registry.MaxRecordBytes))
	if err != nil {
		return err
	}
	if err := RequireRole(r, RoleOperator); err != nil {
		return err
	}
	rec, enc, err := s.prepare(k, body, pathID)
	if err != nil {
		s.metrics.wrote(string(k), resultInvalid)
		return err
	}
	if err := s.checkWrite(r, k, rec.RecordID(), rec.Area()); err != nil {
		return err
	}
	m := storage.Mutation{Op: storage.OpPut, Mode: mode, Kind: k, ID: rec.RecordID(), Body: enc}
	res, err := s.writeOne(r, m)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if mode == storage.ModeCreate && !res.Unchanged {
		status = http.StatusCreated
		w.Header().Set("Location", recordPath(k, m.ID))
	}
	writeJSON(w, r, status, s.echo(m, res))
	return nil
}

// handleDelete answers DELETE /v1/records/{kind}/{id}: 204, or 404.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) error {
	k, err := kindParam(r)
	if err != nil {
		return err
	}
	m := storage.Mutation{Op: storage.OpDelete, Kind: k, ID: r.PathValue("id")}
	if err := s.checkWrite(r, k, m.ID, ""); err != nil {
		return err
	}
	if _, err := s.writeOne(r, m); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleGet answers GET /v1/records/{kind}/{id}?origin=CODE.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	k, err := kindParam(r)
	if err != nil {
		return err
	}
	origin, err := areaValue("origin", r.URL.Query().Get("origin"))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	st, err := s.b.Get(k, origin, id)
	if err != nil {
		return fmt.Errorf("get %s %q: %w", k, id, err)
	}
	if s.narrowed(r) {
		if err := s.checkRead(r, k, st); err != nil {
			return err
		}
	}
	writeJSON(w, r, http.StatusOK, st)
	return nil
}

// handleList answers GET /v1/records/{kind}?area=&limit=&after=&field=value.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) error {
	k, err := kindParam(r)
	if err != nil {
		return err
	}
	q, err := listQuery(k, r.URL.Query(), s.cfg.MaxPageSize)
	if err != nil {
		return err
	}
	if q.Area, err = s.readArea(r, q.Area, "list area"); err != nil {
		return err
	}
	page, err := s.b.List(q)
	if err != nil {
		return fmt.Errorf("list %s: %w", k, err)
	}
	if page.Items == nil {
		page.Items = []storage.Stored{}
	}
	writeJSON(w, r, http.StatusOK, page)
	return nil
}

// readBody reads the whole request body, at most limit bytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, problem(http.StatusRequestEntityTooLarge, "body too large",
			"this request's body is limited to %d bytes", tooBig.Limit)
	case err != nil:
		return nil, problem(http.StatusBadRequest, "unreadable body", "read request body: %v", err)
	}
	return body, nil
}

// writeOne applies one mutation, attributed to r's token, as its own raft
// entry and counts it.
func (s *Server) writeOne(r *http.Request, m storage.Mutation) (storage.Result, error) {
	kind := string(m.Kind)
	results, err := s.write(r, []storage.Mutation{m})
	if err != nil {
		s.metrics.wrote(kind, resultUnavailable)
		return storage.Result{}, s.unavailable(err)
	}
	if len(results) != 1 {
		return storage.Result{}, fmt.Errorf("write %s %q: backend answered %d results for 1 mutation", m.Kind, m.ID, len(results))
	}
	res := results[0]
	if res.Err != nil {
		s.metrics.wrote(kind, resultRefused)
		return res, res.Err
	}
	s.metrics.wrote(kind, outcome(m, res))
	return res, nil
}

// outcome names what an applied mutation did.
func outcome(m storage.Mutation, res storage.Result) string {
	switch {
	case m.Op == storage.OpDelete:
		return resultDeleted
	case res.Unchanged:
		return resultUnchanged
	case !res.Created:
		return resultUpdated
	}
	return resultCreated
}

// echo is the answer to a successful put: the record as now stored. It is
// read back from the Backend; when that read lags the write (a follower),
// it is built from the write result.
func (s *Server) echo(m storage.Mutation, res storage.Result) storage.Stored {
	if st, err := s.b.Get(m.Kind, "", m.ID); err == nil && st.Seq >= res.Seq {
		return st
	}
	body := res.Body
	if body == nil {
		body = m.Body
	}
	return storage.Stored{Kind: m.Kind, Origin: s.b.Area(), ID: m.ID, Seq: res.Seq,
		Updated: s.cfg.Now().UTC(), Body: body}
}

// recordPath is the URL path of one record.
func recordPath(k registry.Kind, id string) string {
	return "/v1/records/" + url.PathEscape(string(k)) + "/" + url.PathEscape(id)
}
