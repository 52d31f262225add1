package gen

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/registry"
)

// testStreets returns urban streets of Shenyang's 和平区 and every township
// of a rural county, so that rural villages are covered.
func testStreets(t *testing.T) []area.Code {
	t.Helper()
	streets := []area.Code{area.MustParse("210102001000"), area.MustParse("210102002000")}
	rural := 0
	for _, d := range area.Children(area.MustParse("210115000000")) { // 辽中区: townships
		if len(streets) > 6 {
			break
		}
		streets = append(streets, d.Code)
		for _, c := range area.Communities(d.Code) {
			if !c.Urban() {
				rural++
			}
		}
	}
	if rural == 0 {
		t.Fatal("test streets have no rural community")
	}
	return streets
}

func TestStreetValidates(t *testing.T) {
	for _, code := range testStreets(t) {
		ros := Street(code, 42, Options{})
		if len(ros.Communities) == 0 || len(ros.Orgs) == 0 || len(ros.Activities) == 0 || len(ros.Talents) == 0 || len(ros.Projects) == 0 {
			t.Fatalf("%s: empty kinds: %d communities %d orgs %d activities %d projects %d talents", code,
				len(ros.Communities), len(ros.Orgs), len(ros.Activities), len(ros.Projects), len(ros.Talents))
		}
		if n := len(slices.Collect(ros.All())); n != ros.Len() {
			t.Fatalf("All yielded %d records, Len is %d", n, ros.Len())
		}
		seen := map[string]bool{}
		for rec := range ros.All() {
			if err := rec.Validate(); err != nil {
				t.Fatalf("%s: %s %s: %v", code, rec.Kind(), rec.RecordID(), err)
			}
			key := string(rec.Kind()) + "/" + rec.RecordID()
			if seen[key] {
				t.Fatalf("%s: duplicate id %s", code, key)
			}
			seen[key] = true
			if !code.Contains(rec.Area()) {
				t.Fatalf("%s: %s lies outside the street (%s)", code, key, rec.Area())
			}
		}
	}
}

func TestStreetDeterministic(t *testing.T) {
	code := area.MustParse("210102001000")
	a, b := Street(code, 7, Options{}), Street(code, 7, Options{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different rosters")
	}
	if c := Street(code, 8, Options{}); reflect.DeepEqual(a.Orgs, c.Orgs) {
		t.Fatal("different seeds, same organizations")
	}
}

// activeCounts counts active organizations per community.
func activeCounts(ros *Roster) map[area.Code]int {
	n := map[area.Code]int{}
	for _, o := range ros.Orgs {
		if o.Status == registry.StatusActive {
			n[o.Community]++
		}
	}
	return n
}

func TestStreetBelowTarget(t *testing.T) {
	for _, share := range []float64{0, 0.25, 0.5, -1} {
		var comms, below int
		for _, code := range testStreets(t) {
			ros := Street(code, 1, Options{BelowTarget: share})
			active := activeCounts(&ros)
			isBelow := map[area.Code]bool{}
			for _, c := range ros.Below {
				isBelow[c] = true
			}
			for _, c := range ros.Communities {
				target := registry.RuralMinimum
				if c.Urban() {
					target = registry.UrbanMinimum
				}
				if got := active[c.Code] < target; got != isBelow[c.Code] {
					t.Fatalf("share %v: %s has %d active (target %d), listed below: %v", share, c.Code, active[c.Code], target, isBelow[c.Code])
				}
			}
			comms += len(ros.Communities)
			below += len(ros.Below)
		}
		want := share
		switch share {
		case 0:
			want = 0.25
		case -1:
			want = 0
		}
		if got := float64(below) / float64(comms); got < want-0.05 || got > want+0.05 {
			t.Errorf("share %v: %d of %d communities below target (%.2f), want about %.2f", share, below, comms, got, want)
		}
	}
}

func TestStreetRealistic(t *testing.T) {
	ros := Street(area.MustParse("210115101000"), 3, Options{}) // a township
	var rural, years2123 int
	for _, o := range ros.Orgs {
		if o.Category == registry.CatRural {
			rural++
		}
		if y := o.Founded[:4]; y >= "2021" && y <= "2023" {
			years2123++
		}
		if o.Founded < "2015" || o.Founded > "2025-12-31" {
			t.Errorf("%s founded %s, outside 2015–2025", o.ID, o.Founded)
		}
		if !strings.HasPrefix(o.LeaderPhone, "1") || len(o.LeaderPhone) != 11 {
			t.Errorf("%s leader phone %q", o.ID, o.LeaderPhone)
		}
	}
	if rural == 0 {
		t.Error("a township got no 农村专业类 organization")
	}
	if share := float64(years2123) / float64(len(ros.Orgs)); share < 0.4 {
		t.Errorf("%.2f of organizations founded 2021–2023, want the programme years weighted (> 0.4)", share)
	}
	for _, a := range ros.Activities {
		o := ros.Orgs[0]
		for _, x := range ros.Orgs {
			if x.ID == a.Org {
				o = x
			}
		}
		if a.Date < o.Founded {
			t.Errorf("%s dated %s before its org was founded (%s)", a.ID, a.Date, o.Founded)
		}
	}
}

func TestIDCheck(t *testing.T) {
	// A published sample number of GB 11643.
	if got := IDCheck("11010519491231002"); got != 'X' {
		t.Fatalf("IDCheck = %c, want X", got)
	}
}

func TestShortName(t *testing.T) {
	for _, tc := range []struct {
		name  string
		urban bool
		want  string
	}{
		{"水源地社区", true, "水源地社区"},
		{"春海社区居委会", true, "春海社区"},
		{"满融村村民委员会", false, "满融村"},
		{"文官村委会", false, "文官村"},
		{"五五村", false, "五五村"},
		{"青年农场虚拟生活区", false, "青年农场虚拟生活区"},
	} {
		if got := placeName(tc.name, tc.urban); got != tc.want {
			t.Errorf("placeName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRecords(t *testing.T) {
	street := area.MustParse("210102001000")
	const n = 2000
	var total, count int
	ids := map[string]bool{}
	for rec := range Records(n, 5, street) {
		if err := rec.Validate(); err != nil {
			t.Fatalf("%s: %v", rec.RecordID(), err)
		}
		if ids[rec.RecordID()] {
			t.Fatalf("duplicate id %s", rec.RecordID())
		}
		ids[rec.RecordID()] = true
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		count++
	}
	if count != n {
		t.Fatalf("got %d records, want %d", count, n)
	}
	avg := total / count
	t.Logf("average org JSON: %d bytes", avg)
	// An org has 13 short fields: about 300–310 bytes across streets. The
	// bound sits below that so that the test does not stand on its edge.
	if avg < 250 || avg > 800 {
		t.Errorf("average org JSON is %d bytes, want 250–800", avg)
	}
	for range Records(10, 5, street) {
		break // stopping early must not panic
	}
}

func BenchmarkStreet(b *testing.B) {
	code := area.MustParse("210102001000")
	for b.Loop() {
		Street(code, 1, Options{})
	}
}
