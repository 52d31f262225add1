package clienttest

import (
	"fmt"
	"net/http"
	"strconv"

	"fedsync/area"
	"fedsync/storage"
)

func (f *Fake) digests(w http.ResponseWriter, r *http.Request) {
	a := f.Area
	if v := r.URL.Query().Get("area"); v != "" {
		a = area.Code(v)
	}
	out := []storage.OriginDigest{}
	for _, d := range f.DigestsBody {
		if a.Contains(d.Origin) {
			out = append(out, d)
		}
	}
	writeJSON(w, 200, out)
}

func (f *Fake) chain(w http.ResponseWriter, r *http.Request) {
	origin := area.Code(r.PathValue("origin"))
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		writeProblem(w, &Problem{Status: 400, Title: "invalid parameter", Field: "seq", Rule: "must be a positive integer"})
		return
	}
	chains := f.Chains[origin]
	if seq > uint64(len(chains)) || chains[seq-1] == "" {
		writeProblem(w, problem(404, "not found", fmt.Sprintf("origin %s seq %d: not found", origin, seq)))
		return
	}
	writeJSON(w, 200, map[string]any{"origin": origin, "seq": seq, "chain": chains[seq-1]})
}
