package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// weighted is a choice with a relative weight.
type weighted[T any] struct {
	v T
	w int
}

// pickWeighted draws one choice in proportion to the weights.
func pickWeighted[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	n := r.IntN(total)
	for _, c := range choices {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	return choices[len(choices)-1].v
}

// pick draws one element, uniformly.
func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// pickFront draws one element, favouring the front of the list (a rough
// Zipf: frequent surnames first).
func pickFront[T any](r *rand.Rand, list []T) T {
	f := r.Float64()
	return list[int(f*f*float64(len(list)))]
}

// poisson draws a count with the given mean (Knuth; means here are small).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(r.NormFloat64()*math.Sqrt(mean)+mean)))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// person is a generated resident.
type person struct {
	name     string
	female   bool
	birth    time.Time
	phone    string
	idNumber string
}

// newPerson makes a resident of county (6-digit prefix of an area code),
// born between 1950 and 1995, with a mobile number and an ID number.
func newPerson(r *rand.Rand, county string) person {
	p := person{female: chance(r, 0.65)} // most group leaders are women
	given := givenMale
	if p.female {
		given = givenFemale
	}
	p.name = pickFront(r, surnames) + pick(r, given)
	p.birth = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(46*365))
	p.phone = mobile(r)
	p.idNumber = idNumber(r, county, p.birth, p.female)
	return p
}

// mobilePrefixes are real Chinese mobile number blocks.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
	"155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "186", "187",
	"188", "189", "198", "199",
}

// mobile returns an 11-digit mobile number.
func mobile(r *rand.Rand) string {
	return fmt.Sprintf("%s%08d", pick(r, mobilePrefixes), r.IntN(100_000_000))
}

// idWeights are the GB 11643-1999 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idNumber returns an 18-character resident ID number: the county's
// 6-digit code, the birth date, a sequence number (odd for men, even for
// women) and the GB 11643 check character.
func idNumber(r *rand.Rand, county string, birth time.Time, female bool) string {
	seq := r.IntN(500) * 2
	if !female {
		seq++
	}
	body := fmt.Sprintf("%s%s%03d", county, birth.Format("20060102"), seq)
	return body + string(IDCheck(body))
}

// IDCheck returns the GB 11643 check character ('0'-'9' or 'X') of the
// first 17 digits of a resident ID number. It panics if body is not 17
// ASCII digits.
func IDCheck(body string) byte {
	if len(body) != 17 {
		panic(fmt.Sprintf("gen.IDCheck: want 17 digits, got %q", body))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := body[i]
		if d < '0' || d > '9' {
			panic(fmt.Sprintf("gen.IDCheck: want 17 digits, got %q", body))
		}
		sum += int(d-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}
