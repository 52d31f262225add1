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

// Enum tables: values in declaration order with their Chinese labels.
var (
	categoryEnum = newEnum(false,
		enumValue[Category]{CatLifeService, "生活服务类"},
		enumValue[Category]{CatCharity, "公益慈善类"},
		enumValue[Category]{CatMutualAid, "居民互助类"},
		enumValue[Category]{CatCulture, "文体活动类"},
		enumValue[Category]{CatRural, "农村专业类"},
		enumValue[Category]{CatOther, "其他"})
	tierEnum = newEnum(false,
		enumValue[Tier]{TierRegistered, "依法登记"},
		enumValue[Tier]{TierFiled, "街道/乡镇备案"},
		enumValue[Tier]{TierGuided, "社区指导"})
	statusEnum = newEnum(false,
		enumValue[Status]{StatusActive, "正常"},
		enumValue[Status]{StatusSuspended, "暂停活动"},
		enumValue[Status]{StatusDissolved, "已注销"})
	themeEnum = newEnum(false,
		enumValue[Theme]{ThemeNeighbourWatch, "邻里守望"},
		enumValue[Theme]{ThemeCoGovernance, "共建共治共享"},
		enumValue[Theme]{ThemeSafety, "共创平安"},
		enumValue[Theme]{ThemeCulture, "文化铸魂"},
		enumValue[Theme]{ThemeOther, "其他"})
	fundingEnum = newEnum(false,
		enumValue[FundingSource]{FundGovPurchase, "政府购买服务"},
		enumValue[FundingSource]{FundVenture, "公益创投"},
		enumValue[FundingSource]{FundSocial, "社会支持"},
		enumValue[FundingSource]{FundFoundation, "基金"})
	platformTypeEnum = newEnum(false,
		enumValue[PlatformType]{PlatformIncubator, "孵化机构"},
		enumValue[PlatformType]{PlatformFederation, "联合会"})
	// A rating's label is the rating itself; "" means unrated.
	ratingEnum = newEnum(true,
		enumValue[Rating]{Rating1A, "1A"},
		enumValue[Rating]{Rating2A, "2A"},
		enumValue[Rating]{Rating3A, "3A"},
		enumValue[Rating]{Rating4A, "4A"},
		enumValue[Rating]{Rating5A, "5A"})
)

// Label returns the Chinese label of c, or c itself when it is not a
// known value.
func (c Category) Label() string { return categoryEnum.label(c) }

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return categoryEnum.valid(c) }

// Categories returns every category in declaration order.
func Categories() []Category { return categoryEnum.list() }

// ParseCategory returns the category named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseCategory(s string) (Category, error) { return categoryEnum.parse(s) }

// UnmarshalJSON decodes a category from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves c unchanged.
func (c *Category) UnmarshalJSON(data []byte) error { return categoryEnum.unmarshal(c, data) }

// Label returns the Chinese label of t, or t itself when it is not a
// known value.
func (t Tier) Label() string { return tierEnum.label(t) }

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool { return tierEnum.valid(t) }

// Tiers returns every tier in declaration order.
func Tiers() []Tier { return tierEnum.list() }

// ParseTier returns the tier named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseTier(s string) (Tier, error) { return tierEnum.parse(s) }

// UnmarshalJSON decodes a tier from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves t unchanged.
func (t *Tier) UnmarshalJSON(data []byte) error { return tierEnum.unmarshal(t, data) }

// Label returns the Chinese label of s, or s itself when it is not a
// known value.
func (s Status) Label() string { return statusEnum.label(s) }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return statusEnum.valid(s) }

// Statuses returns every status in declaration order.
func Statuses() []Status { return statusEnum.list() }

// ParseStatus returns the status named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseStatus(s string) (Status, error) { return statusEnum.parse(s) }

// UnmarshalJSON decodes a status from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves s unchanged.
func (s *Status) UnmarshalJSON(data []byte) error { return statusEnum.unmarshal(s, data) }

// Label returns the Chinese label of t, or t itself when it is not a
// known value.
func (t Theme) Label() string { return themeEnum.label(t) }

// Valid reports whether t is a known theme.
func (t Theme) Valid() bool { return themeEnum.valid(t) }

// Themes returns every theme in declaration order.
func Themes() []Theme { return themeEnum.list() }

// ParseTheme returns the theme named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseTheme(s string) (Theme, error) { return themeEnum.parse(s) }

// UnmarshalJSON decodes a theme from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves t unchanged.
func (t *Theme) UnmarshalJSON(data []byte) error { return themeEnum.unmarshal(t, data) }

// Label returns the Chinese label of f, or f itself when it is not a
// known value.
func (f FundingSource) Label() string { return fundingEnum.label(f) }

// Valid reports whether f is a known funding source.
func (f FundingSource) Valid() bool { return fundingEnum.valid(f) }

// FundingSources returns every funding source in declaration order.
func FundingSources() []FundingSource { return fundingEnum.list() }

// ParseFundingSource returns the funding source named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseFundingSource(s string) (FundingSource, error) { return fundingEnum.parse(s) }

// UnmarshalJSON decodes a funding source from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves f unchanged.
func (f *FundingSource) UnmarshalJSON(data []byte) error { return fundingEnum.unmarshal(f, data) }

// Label returns the Chinese label of p, or p itself when it is not a
// known value.
func (p PlatformType) Label() string { return platformTypeEnum.label(p) }

// Valid reports whether p is a known platform type.
func (p PlatformType) Valid() bool { return platformTypeEnum.valid(p) }

// PlatformTypes returns every platform type in declaration order.
func PlatformTypes() []PlatformType { return platformTypeEnum.list() }

// ParsePlatformType returns the platform type named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParsePlatformType(s string) (PlatformType, error) { return platformTypeEnum.parse(s) }

// UnmarshalJSON decodes a platform type from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves p unchanged.
func (p *PlatformType) UnmarshalJSON(data []byte) error { return platformTypeEnum.unmarshal(p, data) }

// Label returns the rating itself ("3A"); a rating has no separate label.
func (r Rating) Label() string { return ratingEnum.label(r) }

// Valid reports whether r is a known rating. The empty string (unrated) is valid.
func (r Rating) Valid() bool { return ratingEnum.valid(r) }

// Ratings returns every rating in declaration order.
func Ratings() []Rating { return ratingEnum.list() }

// ParseRating returns the rating named by s: its ASCII value (any case) or its
// Chinese label, surrounding spaces ignored. The error is a *FieldError
// listing the allowed values.
func ParseRating(s string) (Rating, error) { return ratingEnum.parse(s) }

// UnmarshalJSON decodes a rating from a JSON string holding the ASCII value
// or the Chinese label. An empty string decodes to "" (Validate decides
// whether that is allowed); null leaves r unchanged.
func (r *Rating) UnmarshalJSON(data []byte) error { return ratingEnum.unmarshal(r, data) }
