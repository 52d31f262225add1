package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
)

// ensureToken gives the server an admin token: the first time it answers,
// `POST /v1/acl/bootstrap` (allowed once per node), kept in s.token for
// every later run of the same data directory. It reports whether the
// server has a token; a server that does not answer gets none (the call
// that needed one reports what is wrong).
func (s *server) ensureToken() bool {
	s.t.Helper()
	if s.token != "" {
		return true
	}
	resp, err := httpClient.Post(apiURL(s.httpAddr)+"/v1/acl/bootstrap", "application/json", nil)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		s.t.Fatalf("acl bootstrap of %s: %d %s", s.area, resp.StatusCode, body)
	}
	var tc struct{ Secret string }
	if err := json.Unmarshal(body, &tc); err != nil || tc.Secret == "" {
		s.t.Fatalf("acl bootstrap of %s: %s", s.area, body)
	}
	s.token = tc.Secret
	return true
}

// tokenEnv is the environment of CLI commands run against the server: its
// admin token in $FEDSYNC_TOKEN.
func (s *server) tokenEnv() []string {
	s.ensureToken()
	return append(os.Environ(), "FEDSYNC_TOKEN="+s.token)
}
