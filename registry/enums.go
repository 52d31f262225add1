package registry

// Category is an organization's category. Values are stable ASCII names;
// Label gives the Chinese label, and ParseCategory accepts either.
type Category string

// Categories (DESIGN §3).
const (
	CatLifeService Category = "life_service" // 生活服务类
	CatCharity     Category = "charity"      // 公益慈善类
	CatMutualAid   Category = "mutual_aid"   // 居民互助类
	CatCulture     Category = "culture"      // 文体活动类
	CatRural       Category = "rural"        // 农村专业类
	CatOther       Category = "other"        // 其他
)

// Tier is an organization's management tier.
type Tier string

// Tiers.
const (
	TierRegistered Tier = "registered" // 依法登记 (county)
	TierFiled      Tier = "filed"      // 街道/乡镇备案
	TierGuided     Tier = "guided"     // 社区指导
)

// Status is an organization's life-cycle status. Only active organizations
// count toward targets.
type Status string

// Statuses.
const (
	StatusActive    Status = "active"    // 正常
	StatusSuspended Status = "suspended" // 暂停活动
	StatusDissolved Status = "dissolved" // 已注销
)

// Theme is an activity's theme.
type Theme string

// Themes.
const (
	ThemeNeighbourWatch Theme = "neighbour_watch" // 邻里守望
	ThemeCoGovernance   Theme = "co_governance"   // 共建共治共享
	ThemeSafety         Theme = "safety"          // 共创平安
	ThemeCulture        Theme = "culture"         // 文化铸魂
	ThemeOther          Theme = "other"           // 其他
)

// FundingSource is a project's funding source.
type FundingSource string

// Funding sources.
const (
	FundGovPurchase FundingSource = "gov_purchase" // 政府购买服务
	FundVenture     FundingSource = "venture"      // 公益创投
	FundSocial      FundingSource = "social"       // 社会支持
	FundFoundation  FundingSource = "foundation"   // 基金
)

// PlatformType is a platform's type.
type PlatformType string

// Platform types.
const (
	PlatformIncubator  PlatformType = "incubator"  // 孵化机构
	PlatformFederation PlatformType = "federation" // 联合会
)

// Rating is an evaluation grade (等级评估), 1A to 5A, or empty when unrated.
type Rating string

// Ratings.
const (
	Rating1A Rating = "1A"
	Rating2A Rating = "2A"
	Rating3A Rating = "3A"
	Rating4A Rating = "4A"
	Rating5A Rating = "5A"
)
