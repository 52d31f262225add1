package importer

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/registry"
)

// sampleRecords returns records of every kind: a generated township roster
// plus platforms and registrations.
func sampleRecords(t testing.TB) map[registry.Kind][]registry.Record {
	t.Helper()
	ros := gen.Street(area.MustParse("210115101000"), 9, gen.Options{})
	out := map[registry.Kind][]registry.Record{}
	add := func(recs ...registry.Record) {
		for _, r := range recs {
			out[r.Kind()] = append(out[r.Kind()], r)
		}
	}
	add(slices.Collect(ros.All())...)
	add(
		registry.Platform{ID: "p1", AreaCode: "210115101000", Name: "于家房镇社会组织孵化中心", Type: registry.PlatformIncubator, Founded: "2021-06-01"},
		registry.Platform{ID: "p2", AreaCode: "210115000000", Name: "辽中区社区社会组织联合会", Type: registry.PlatformFederation, Founded: "1999-12-31"},
		registry.Platform{ID: "p3", AreaCode: "210100000000", Name: `"红星",联合会 'a' =1+1 \ 是`, Type: registry.PlatformFederation, Founded: "1949-10-01"},
		registry.Registration{ID: "r1", AreaCode: "210115000000", OrgOrigin: "210115101000", Org: "org-210115101200-1",
			CreditCode: "51210115MJ0000001X", Registered: "2022-01-04", Rating: registry.Rating3A},
		registry.Registration{ID: "r2", AreaCode: "210115000000", OrgOrigin: "210115101000", Org: "org-210115101200-2",
			CreditCode: "51210115MJ0000002Y", Registered: "2022-02-28"},
	)
	for k, recs := range out {
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("sample %s: %v", k, err)
			}
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	samples := sampleRecords(t)
	writers := map[string]func(io.Writer, registry.Kind, []registry.Record, bool) error{
		"csv": func(w io.Writer, k registry.Kind, recs []registry.Record, labels bool) error {
			return WriteCSV(w, k, slices.Values(recs), labels)
		},
		"xlsx": func(w io.Writer, k registry.Kind, recs []registry.Record, labels bool) error {
			return WriteXLSX(w, k, slices.Values(recs), labels)
		},
	}
	for _, kind := range registry.Kinds {
		want := samples[kind]
		if len(want) == 0 {
			t.Fatalf("no sample of %s", kind)
		}
		for ext, write := range writers {
			for _, labels := range []bool{false, true} {
				var buf bytes.Buffer
				if err := write(&buf, kind, want, labels); err != nil {
					t.Fatalf("%s %s labels=%v: %v", kind, ext, labels, err)
				}
				rows, stats, err := readAll(t, writeFile(t, "export."+ext, buf.Bytes()), kind, Options{})
				if err != nil {
					t.Fatalf("%s %s labels=%v: %v", kind, ext, labels, err)
				}
				got := make([]registry.Record, 0, len(rows))
				for _, row := range rows {
					if row.Err != nil {
						t.Fatalf("%s %s labels=%v: %v", kind, ext, labels, row.Err)
					}
					if row.Line != len(got)+2 {
						t.Fatalf("%s %s: record %d on line %d", kind, ext, len(got), row.Line)
					}
					got = append(got, row.Record)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s %s labels=%v: round trip changed records (%d in, %d out)", kind, ext, labels, len(want), len(got))
				}
				if stats.Records != len(want) {
					t.Fatalf("stats %+v", stats)
				}
			}
		}
	}
}

func TestWriteCSVLabels(t *testing.T) {
	org := sampleRecords(t)[registry.KindOrg][0].(registry.Org)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, registry.KindOrg, slices.Values([]registry.Record{org}), true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\ufeff编号,所属社区,组织名称,组织类别,") {
		t.Fatalf("header: %q", out[:min(len(out), 80)])
	}
	if !strings.Contains(out, ","+org.Category.Label()+",") || !strings.Contains(out, ",正常") {
		t.Fatalf("enum cells are not labels: %q", out)
	}
	buf.Reset()
	if err := WriteCSV(&buf, registry.KindOrg, slices.Values([]registry.Record{org}), false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "id,community,name,") || !strings.Contains(buf.String(), ","+string(org.Category)+",") {
		t.Fatalf("json form: %q", buf.String())
	}
	if err := WriteCSV(io.Discard, registry.KindActivity, slices.Values([]registry.Record{org}), false); err == nil {
		t.Fatal("an org written as an activity: want an error")
	}
}
