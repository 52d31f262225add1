package gen

import (
	"strings"

	"fedsync/registry"
)

// surnames are common surnames of Liaoning, most frequent first; pick
// draws the first ones more often.
var surnames = []string{
	"王", "李", "张", "刘", "赵", "杨", "孙", "于", "马", "高", "陈", "徐", "吴", "郭", "朱",
	"周", "董", "宋", "田", "韩", "姜", "曹", "崔", "许", "冯", "石", "郑", "金", "付", "孟",
	"何", "邢", "谷", "吕", "白", "林", "曲", "丁", "梁", "唐", "宁", "毕", "蔡", "侯", "隋",
}

// givenFemale and givenMale are given names typical of the residents who
// lead community groups (mostly born 1950–1990).
var (
	givenFemale = []string{
		"秀英", "桂兰", "玉兰", "淑珍", "凤兰", "秀兰", "桂荣", "丽华", "玉珍", "淑华", "春梅", "艳",
		"丽", "红", "敏", "静", "秀梅", "桂芝", "凤霞", "淑琴", "晓燕", "海燕", "丽娟", "雪梅", "婷",
	}
	givenMale = []string{
		"建国", "建华", "国华", "志强", "德明", "振华", "国庆", "长海", "宝山", "铁军", "立新", "伟",
		"强", "军", "刚", "勇", "永生", "海涛", "福林", "继东", "春生", "洪亮", "文革", "卫东", "宏伟",
	}
)

// orgBases are the stems of organization names per category; place and an
// optional epithet are put in front.
var orgBases = map[registry.Category][]string{
	registry.CatCulture: {
		"舞蹈队", "广场舞队", "太极拳队", "合唱团", "京剧票友会", "书画社", "读书会", "摄影协会",
		"秧歌队", "模特队", "柔力球队", "乒乓球协会", "葫芦丝乐团", "健步走队", "二人转艺术团",
		"剪纸社", "诗词社", "手工编织社", "象棋协会", "门球队",
	},
	registry.CatLifeService: {
		"便民服务队", "为老服务队", "助餐服务队", "家电维修服务队", "便民理发队", "四点半课堂",
		"居家养老服务队", "托育互助会", "健康义诊服务队", "助浴服务队",
	},
	registry.CatCharity: {
		"爱心志愿服务队", "红马甲志愿服务队", "助残服务队", "关爱留守儿童志愿队", "爱心帮扶队",
		"慈善超市志愿队", "扶贫济困志愿队", "义工联合会", "爱心妈妈服务队",
	},
	registry.CatMutualAid: {
		"邻里互助队", "邻里守望队", "平安巡逻队", "居民议事会", "老党员议事会", "民间调解队",
		"楼栋长联谊会", "环境卫生监督队", "义务巡逻队", "邻里纠纷调解队",
	},
	registry.CatRural: {
		"红白理事会", "乡风文明理事会", "村民议事会", "农业技术协会", "种植专业协会", "养殖互助组",
		"禁赌禁毒协会", "道德评议会", "老年协会", "妇女互助会",
	},
	registry.CatOther: {
		"文明养犬协会", "垃圾分类督导队", "家长学校", "业主自治小组", "宠物文明饲养协会",
	},
}

// epithets sometimes precede the stem: 夕阳红舞蹈队, 银龄为老服务队.
var epithets = []string{"夕阳红", "金秋", "银龄", "和美", "幸福", "同心", "暖心", "连心", "向阳", "新风", "红色"}

// Weighted choices of categories for urban and rural communities.
var (
	urbanCategories = []weighted[registry.Category]{
		{registry.CatCulture, 30}, {registry.CatLifeService, 25}, {registry.CatCharity, 20},
		{registry.CatMutualAid, 20}, {registry.CatOther, 5},
	}
	ruralCategories = []weighted[registry.Category]{
		{registry.CatRural, 35}, {registry.CatCulture, 25}, {registry.CatMutualAid, 20},
		{registry.CatLifeService, 8}, {registry.CatCharity, 7}, {registry.CatOther, 5},
	}
	tiers = []weighted[registry.Tier]{
		{registry.TierGuided, 55}, {registry.TierFiled, 40}, {registry.TierRegistered, 5},
	}
	themes = []weighted[registry.Theme]{
		{registry.ThemeNeighbourWatch, 30}, {registry.ThemeCoGovernance, 20}, {registry.ThemeSafety, 15},
		{registry.ThemeCulture, 25}, {registry.ThemeOther, 10},
	}
	fundings = []weighted[registry.FundingSource]{
		{registry.FundGovPurchase, 40}, {registry.FundVenture, 30}, {registry.FundSocial, 20}, {registry.FundFoundation, 10},
	}
)

// activityTypes are activity kinds per theme.
var activityTypes = map[registry.Theme][]string{
	registry.ThemeNeighbourWatch: {"邻里节", "走访慰问", "结对帮扶", "志愿服务", "百家宴"},
	registry.ThemeCoGovernance:   {"议事协商会", "环境整治", "垃圾分类宣传", "楼院治理", "民情恳谈会"},
	registry.ThemeSafety:         {"防诈骗宣传", "消防演练", "治安巡逻", "安全知识讲座", "禁毒宣传"},
	registry.ThemeCulture:        {"文艺汇演", "读书分享会", "书画展", "传统节日活动", "广场舞比赛"},
	registry.ThemeOther:          {"讲座", "义诊", "健康讲座", "技能培训", "亲子活动"},
}

// projectNames are service project names; a quoted brand name is common.
var projectNames = []string{
	"“银龄守护”居家养老服务项目", "“四点半课堂”青少年托管项目", "邻里互助积分项目",
	"“暖心食堂”老年助餐项目", "“红色物业”楼院治理项目", "残疾人康复陪伴项目",
	"“乡风文明”移风易俗项目", "留守儿童关爱项目", "“平安家园”防诈骗宣传项目",
	"社区文化惠民项目", "“绿色家园”垃圾分类项目", "困境家庭帮扶项目",
}

// talentRoles are the roles of backbone people.
var talentRoles = []string{"负责人", "副负责人", "骨干成员", "志愿者队长", "联络员", "财务", "文艺骨干"}

// shortName strips the administrative suffix of a community's name
// (水源地社区 → 水源地, 满融村村民委员会 → 满融村).
func shortName(name string) string {
	for _, suf := range []string{"社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "村委会", "居委会", "委员会", "社区"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	return name
}

// placeName is the community as it appears in an organization's name:
// 水源地社区, 文官村.
func placeName(name string, urban bool) string {
	s := shortName(name)
	switch {
	case s != name && urban:
		return s + "社区"
	case s != name && !strings.HasSuffix(s, "村"):
		return s + "村"
	}
	return s
}
