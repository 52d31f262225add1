package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fedsync/area"
)

// Enum values of an org roster, by their stable ASCII names.
var (
	orgCategories = []string{"life_service", "charity", "mutual_aid", "culture", "rural", "other"}
	orgTiers      = []string{"registered", "filed", "guided"}
	orgStatuses   = []string{"active", "active", "active", "active", "active", "active", "active", "active", "suspended", "dissolved"}
)

// orgHeader is the header of the org rosters the tests write.
var orgHeader = []string{"id", "community", "name", "category", "tier", "founded", "members", "status"}

// orgRow returns row i of a valid org roster of the given communities.
func orgRow(i int, communities []area.Division) []string {
	founded := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%5000)
	return []string{
		orgID(i),
		string(communities[i%len(communities)].Code),
		fmt.Sprintf("第%d号社区志愿服务队", i),
		orgCategories[i%len(orgCategories)],
		orgTiers[i%len(orgTiers)],
		founded.Format(time.DateOnly),
		fmt.Sprint(5 + i%300),
		orgStatuses[i%len(orgStatuses)],
	}
}

// orgID is the id of row i.
func orgID(i int) string { return fmt.Sprintf("e2e-org-%06d", i) }

// writeOrgCSV writes a roster of n valid orgs of street's communities to
// a file in dir and returns its path.
func writeOrgCSV(t testing.TB, dir, street string, n int) string {
	t.Helper()
	comms := area.Communities(area.Code(street))
	if len(comms) == 0 {
		t.Fatalf("no communities under %s in the division data", street)
	}
	rows := make([][]string, 0, n+1)
	rows = append(rows, orgHeader)
	for i := range n {
		rows = append(rows, orgRow(i, comms))
	}
	return writeCSV(t, filepath.Join(dir, fmt.Sprintf("orgs-%d.csv", n)), rows)
}

// writeCSV writes rows to path.
func writeCSV(t testing.TB, path string, rows [][]string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("write roster: %v", err)
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		t.Fatalf("write roster %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("write roster %s: %v", path, err)
	}
	return path
}
