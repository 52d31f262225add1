package wire

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// A small generator of realistic org records (registry.Org in canonical
// JSON) for benchmarks: Chinese community, organisation and person names,
// categories, tiers, dates and phone numbers, as a street office enters them.
var (
	surnames  = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
	given     = []string{"秀英", "桂兰", "建国", "志强", "丽华", "淑珍", "玉兰", "明", "伟", "芳", "敏", "静", "海燕", "凤英", "国庆", "红梅", "立新", "春华", "德胜", "雪梅", "晓东", "金凤"}
	places    = []string{"浑河湾", "北市场", "太原街", "南湖", "长白", "新华", "五里河", "泰山路", "砂山", "八一", "光荣", "青年", "沈水湾", "丁香", "向工", "望花"}
	themes    = []string{"夕阳红", "邻里守望", "巾帼", "银龄", "书香", "红白理事会", "乡风文明", "爱心", "便民", "党员先锋", "青春", "和谐", "康乐", "阳光"}
	orgTypes  = []string{"志愿服务队", "互助会", "文体队", "读书会", "协会", "理事会", "艺术团", "调解委员会", "服务社", "健身队", "合唱团"}
	suffixes  = []string{"社区居委会", "社区", "村民委员会", "村"}
	cats      = []registry.Category{registry.CatLifeService, registry.CatCharity, registry.CatMutualAid, registry.CatCulture, registry.CatRural, registry.CatOther}
	tiers     = []registry.Tier{registry.TierRegistered, registry.TierFiled, registry.TierGuided}
	statuses  = []registry.Status{registry.StatusActive, registry.StatusActive, registry.StatusActive, registry.StatusSuspended, registry.StatusDissolved}
	services  = []string{"邻里互助", "关爱空巢老人", "环境整治", "政策宣传", "矛盾调解", "文艺演出", "全民阅读", "义诊义剪", "垃圾分类", "助残帮困", "青少年课后托管", "移风易俗"}
	rooms     = []string{"党群服务中心二楼活动室", "新时代文明实践站", "居民议事厅", "老年活动中心", "文化广场", "村委会会议室"}
	benchTime = time.Date(2023, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixNano()
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// genOrg returns a random org of a community of street.
func genOrg(r *rand.Rand, street area.Code) registry.Org {
	community := area.Code(fmt.Sprintf("%s%03d", street.Prefix(), 1+r.IntN(24)))
	place := pick(r, places)
	founded := time.Date(2015+r.IntN(9), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	return registry.Org{
		ID:            fmt.Sprintf("%016x", r.Uint64()),
		Community:     community,
		Name:          fmt.Sprintf("沈阳市和平区%s街道%s%s%s%s", place, pick(r, places), pick(r, suffixes), pick(r, themes), pick(r, orgTypes)),
		Category:      pick(r, cats),
		Tier:          pick(r, tiers),
		Founded:       founded.Format("2006-01-02"),
		Members:       5 + r.IntN(120),
		Leader:        string(pick(r, surnames)) + pick(r, given),
		LeaderPhone:   fmt.Sprintf("1%d%09d", 3+r.IntN(7), r.IntN(1e9)),
		Charter:       r.IntN(4) > 0,
		PartyBuilding: r.IntN(3) > 0,
		Brand:         r.IntN(20) == 0,
		Status:        pick(r, statuses),
	}
}

// richOrg is an org with the free-text fields an intake form often adds
// (简介, 活动地点), bringing the JSON to about 500 bytes.
type richOrg struct {
	registry.Org
	Intro   string `json:"intro"`
	Address string `json:"address"`
}

func genRichOrg(r *rand.Rand, street area.Code) richOrg {
	o := genOrg(r, street)
	intro := fmt.Sprintf("本%s成立于%s年，现有成员%d人，定期开展%s、%s、%s等服务活动。", pick(r, orgTypes), o.Founded[:4], o.Members, pick(r, services), pick(r, services), pick(r, services))
	return richOrg{Org: o, Intro: intro, Address: fmt.Sprintf("沈阳市和平区%s街道%s社区%s", pick(r, places), pick(r, places), pick(r, rooms))}
}

// orgBatch returns a batch of n org puts from one street, seqs from 1:
// registry.Org JSON as the API stores it, or with rich the ~500-byte
// richOrg.
func orgBatch(n int, seed uint64, rich bool) *Batch {
	r := rand.New(rand.NewPCG(seed, 2023))
	street := area.MustParse("210102001000")
	entries := make([]storage.Entry, n)
	t := benchTime
	for i := range entries {
		var rec any = genOrg(r, street)
		id := rec.(registry.Org).ID
		if rich {
			ro := genRichOrg(r, street)
			rec, id = ro, ro.ID
		}
		body, err := json.Marshal(rec)
		if err != nil {
			panic(err)
		}
		t += int64(r.IntN(90_000)) * int64(time.Millisecond)
		entries[i] = storage.Entry{Time: t, Kind: registry.KindOrg, ID: id, Op: storage.OpPut, Body: body}
	}
	return &Batch{Sender: street, Ranges: []Range{newRange(street, 1, [32]byte{}, entries)}}
}
