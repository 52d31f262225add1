package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/sender"
)

const (
	testCounty  = area.Code("210102000000")
	testStreet2 = area.Code("210102002000")
)

// countyStatus is a county's status: its link to the city has a backlog of
// two origins, and one of its streets has not been heard from for 27m.
func countyStatus(now time.Time) api.Status {
	ns := func(d time.Duration) int64 { return now.Add(-d).UnixNano() }
	oldest := now.Add(-12 * time.Minute).UTC()
	return api.Status{
		Area: testCounty, Name: "和平区", Level: "county", Server: "210102000000-a", RaftState: "Leader",
		SyncAddr: "10.0.3.7:8702",
		Watermarks: []storage.Watermark{
			{Origin: testStreet2, Seq: 812, Time: ns(27 * time.Minute), HeardFrom: ns(27 * time.Minute)},
			{Origin: testStreet, Seq: 1500, Time: ns(3 * time.Second), HeardFrom: ns(2 * time.Second)},
		},
		Stale: []storage.Watermark{{Origin: testStreet2, Seq: 812, HeardFrom: ns(27 * time.Minute)}},
		Upstream: &sender.Status{
			Area: testCounty, Parent: "210100000000", ParentName: "沈阳市", Peer: "210100000000-x",
			LastSuccess: now.Add(-40 * time.Second), LastError: "dial tcp 10.0.1.2:8702: connection refused", LastErrorAt: now.Add(-5 * time.Second),
			Origins: []sender.OriginStatus{
				{Origin: testStreet, Local: 1500, Acked: 1380, Backlog: 120, BacklogBytes: 36 << 10, Oldest: oldest, AgeSeconds: 720},
				{Origin: testStreet2, Local: 812, Acked: 812},
			},
			Totals: sender.Totals{Origins: 2, Backlog: 120, BacklogBytes: 36 << 10, Oldest: oldest, AgeSeconds: 720},
		},
	}
}

func TestStatusUpstreamAndChildren(t *testing.T) {
	f, addr := fakeAgent(t)
	f.StatusBody = countyStatus(time.Now())
	r := runCLI(t, "", append(addr, "status")...)
	if r.code != 0 {
		t.Fatalf("status:\n%s", r)
	}
	for _, want := range []string{
		"sync addr  10.0.3.7:8702",
		"Upstream: 沈阳市 (210100000000), server 210100000000-x",
		"connected      no",
		"(40s ago)",
		"connection refused (5s ago)",
		"120 entries, 36.0 KiB, from 1 origin(s)",
		"oldest unsent  12m old",
		"Children:",
		"warning: no news from 新华街道 (210102002000) for 27m",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if got := rowsWith(r.stdout, "1,380"); len(got) != 1 || !strings.Contains(got[0], "浑河湾街道") || !strings.Contains(got[0], "12m") {
		t.Errorf("backlog row of the street = %q", got)
	}
	if got := rowsWith(r.stdout, "新华街道"); len(got) != 2 { // children row and the warning; no upstream row without --all
		t.Errorf("rows naming 新华街道 = %q, want the child row and the warning", got)
	}
	if got := rowsWith(r.stdout, "2s ago"); len(got) != 1 || !strings.Contains(got[0], "1,500") {
		t.Errorf("children row of the fresh street = %q", got)
	}
	r = runCLI(t, "", append(addr, "status", "--all")...)
	if got := rowsWith(r.stdout, "新华街道"); len(got) != 3 {
		t.Errorf("status --all: rows naming 新华街道 = %q, want 3", got)
	}
}

func TestStatusJSONIsAPIStatus(t *testing.T) {
	f, addr := fakeAgent(t)
	f.StatusBody = countyStatus(time.Now())
	r := runCLI(t, "", append(addr, "status", "-o", "json")...)
	var got api.Status
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, r)
	}
	if got.Upstream == nil || got.Upstream.Totals.Backlog != 120 || len(got.Stale) != 1 || got.SyncAddr != "10.0.3.7:8702" {
		t.Errorf("status -o json = %+v", got)
	}
}

func TestStatusStreetHasNoChildren(t *testing.T) {
	_, addr := fakeAgent(t)
	r := runCLI(t, "", append(addr, "status")...)
	if r.code != 0 || strings.Contains(r.stdout, "Children") || strings.Contains(r.stdout, "Upstream") {
		t.Errorf("a street without a parent shows neither section:\n%s", r)
	}
}

func TestFmtAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{{-time.Second, "0s"}, {4 * time.Second, "4s"}, {27*time.Minute + 30*time.Second, "27m"},
		{3*time.Hour + 5*time.Minute, "3h05m"}, {52 * time.Hour, "2d4h"}}
	for _, tt := range tests {
		if got := fmtAge(tt.d); got != tt.want {
			t.Errorf("fmtAge(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// rowsWith returns the lines of out that contain s.
func rowsWith(out, s string) []string {
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			rows = append(rows, l)
		}
	}
	return rows
}
