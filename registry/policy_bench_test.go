package registry

import "testing"

// BenchmarkValidateRedacted and BenchmarkCheckRedaction: one org body as a
// street logs it, checked in full (before apply) and for its personal
// data only (before the raft log).
func BenchmarkValidateRedacted(b *testing.B) {
	body := redactedOrg(b)
	for range b.N {
		if _, err := ValidateRedacted(KindOrg, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckRedaction(b *testing.B) {
	body := redactedOrg(b)
	for range b.N {
		if err := CheckRedaction(KindOrg, body); err != nil {
			b.Fatal(err)
		}
	}
}

func redactedOrg(b *testing.B) []byte {
	r, _ := NewRedactor(DefaultPolicy(), testKey)
	body, err := r.Redact(sampleOrg())
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkRedact: what the origin adds to each logged put of an org with
// a leader and a phone (two keyed hashes, one extra encoding).
func BenchmarkRedact(b *testing.B) {
	r, _ := NewRedactor(DefaultPolicy(), testKey)
	o := sampleOrg()
	for range b.N {
		if _, err := r.Redact(o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOrg is the encoding alone, for comparison.
func BenchmarkEncodeOrg(b *testing.B) {
	o := sampleOrg()
	for range b.N {
		if _, err := Encode(o); err != nil {
			b.Fatal(err)
		}
	}
}
