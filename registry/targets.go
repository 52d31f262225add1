package registry

// Programme targets of the 2021–2023 community social organization
// programme (DESIGN §1), as data. A target for year Y applies to counts as of
// the end of year Y (31 December).

// Organizations a community needs to meet the programme's target: active
// organizations per urban community (城市社区) and per rural community
// (农村社区). Urban and rural follow the community's 城乡分类代码.
const (
	UrbanMinimum = 10
	RuralMinimum = 3
)

// YearTarget is what the programme expects by the end of one year.
type YearTarget struct {
	Year               int     // the programme year the target belongs to
	UrbanShare         float64 // share of urban communities with >= UrbanMinimum organizations
	RuralShare         float64 // share of rural communities with >= RuralMinimum organizations
	BrandOrgs          int64   // brand organizations, province-wide; 0 when the year sets none
	BrandProjects      int64   // brand projects, province-wide; 0 when the year sets none
	TalentTrainedShare float64 // share of backbone talent trained; 0 when the year sets none
}

// programme holds the targets of the programme years, in order.
var programme = []YearTarget{
	{Year: 2021, UrbanShare: 0.40, RuralShare: 0.25},
	{Year: 2022, UrbanShare: 0.80, RuralShare: 0.70},
	{Year: 2023, UrbanShare: 1.0, RuralShare: 1.0, BrandOrgs: 50, BrandProjects: 80, TalentTrainedShare: 1.0},
}

// TargetFor returns the target that applies at the end of year. Years
// before 2021 get the 2021 target; 2023 and later years keep the final 2023
// target (Year is then 2023, the year the target was set for).
func TargetFor(year int) YearTarget {
	first, last := programme[0], programme[len(programme)-1]
	switch {
	case year <= first.Year:
		return first
	case year >= last.Year:
		return last
	}
	return programme[year-first.Year]
}

// ProgrammeYears returns the programme's years: 2021, 2022, 2023.
func ProgrammeYears() []int {
	out := make([]int, len(programme))
	for i, t := range programme {
		out[i] = t.Year
	}
	return out
}
