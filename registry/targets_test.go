package registry

import (
	"slices"
	"testing"
)

func TestTargetFor(t *testing.T) {
	tests := []struct {
		year int
		want YearTarget
	}{
		{2019, YearTarget{Year: 2021, UrbanShare: 0.40, RuralShare: 0.25}},
		{2021, YearTarget{Year: 2021, UrbanShare: 0.40, RuralShare: 0.25}},
		{2022, YearTarget{Year: 2022, UrbanShare: 0.80, RuralShare: 0.70}},
		{2023, YearTarget{Year: 2023, UrbanShare: 1, RuralShare: 1, BrandOrgs: 50, BrandProjects: 80, TalentTrainedShare: 1}},
		{2030, YearTarget{Year: 2023, UrbanShare: 1, RuralShare: 1, BrandOrgs: 50, BrandProjects: 80, TalentTrainedShare: 1}},
	}
	for _, tt := range tests {
		if got := TargetFor(tt.year); got != tt.want {
			t.Errorf("TargetFor(%d) = %+v, want %+v", tt.year, got, tt.want)
		}
	}
	if UrbanMinimum != 10 || RuralMinimum != 3 {
		t.Errorf("minimums %d/%d, want 10/3", UrbanMinimum, RuralMinimum)
	}
}

func TestProgrammeYears(t *testing.T) {
	got := ProgrammeYears()
	if !slices.Equal(got, []int{2021, 2022, 2023}) {
		t.Errorf("ProgrammeYears() = %v", got)
	}
	got[0] = 1
	if ProgrammeYears()[0] != 2021 {
		t.Error("ProgrammeYears returned shared storage")
	}
}
