package registry

import (
	"slices"
)

// FieldSpec describes one field of a record kind for importers, exports, the
// dashboard and docs/RECORDS.md. Importers map a column header to a field by
// Name or Label; both are unique within a kind.
type FieldSpec struct {
	Name     string   // JSON name, e.g. "name"
	Label    string   // Chinese column header, e.g. 组织名称
	Type     string   // "string", "int", "bool", "date", "enum" or "code"
	Required bool     // Validate refuses the record without it
	PII      bool     // personal data: redacted on the way up (DESIGN §7)
	Enum     []string // for enums: the ASCII values; Parse* also takes labels
	Doc      string   // the rule, in English
}

// Field types of FieldSpec.Type.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeBool   = "bool"
	TypeDate   = "date" // YYYY-MM-DD
	TypeEnum   = "enum"
	TypeCode   = "code" // 12-digit division code
)

// Rule texts shared by several fields.
const (
	docID        = "1-64 characters from A-Z a-z 0-9 . _ : -"
	docOrg       = "id of the organization at the same street; " + docID
	docName      = "1-100 characters, no control characters"
	docText      = "optional; at most 100 characters, no control characters"
	docDate      = "YYYY-MM-DD, a real date from 1949-10-01 to 2100-12-31"
	docCommunity = "12-digit community code"
	docFilled    = docCommunity + "; optional: filled from the organization when empty"
	docPhone     = "optional; 11-digit mobile (1[3-9]xxxxxxxxx) or landline such as 024-23456789"
	docFlag      = "true or false (是/否)"
)

func enumField[T ~string](name, label string, e *enumSet[T]) FieldSpec {
	doc := "the ASCII value or its Chinese label (see Enums)"
	if e.emptyValid {
		doc = "optional; " + doc
	}
	return FieldSpec{Name: name, Label: label, Type: TypeEnum, Required: !e.emptyValid, Enum: e.strings(), Doc: doc}
}

func idField() FieldSpec {
	return FieldSpec{Name: "id", Label: "编号", Type: TypeString, Required: true, Doc: docID}
}

func orgField() FieldSpec {
	return FieldSpec{Name: "org", Label: "组织编号", Type: TypeString, Required: true, Doc: docOrg}
}

func filledCommunity() FieldSpec {
	return FieldSpec{Name: "community", Label: "所属社区", Type: TypeCode, Doc: docFilled}
}

var schemas = map[Kind][]FieldSpec{
	KindCommunity: {
		{Name: "id", Label: "编号", Type: TypeString, Required: true, Doc: "equal to code"},
		{Name: "code", Label: "社区代码", Type: TypeCode, Required: true, Doc: docCommunity},
		{Name: "name", Label: "社区名称", Type: TypeString, Required: true, Doc: docName},
		{Name: "urban_rural", Label: "城乡分类代码", Type: TypeEnum, Required: true,
			Enum: []string{"111", "112", "121", "122", "123", "210", "220"},
			Doc:  "城乡分类代码; 1xx urban (城市社区), 2xx rural (农村社区)"},
	},
	KindOrg: {
		idField(),
		{Name: "community", Label: "所属社区", Type: TypeCode, Required: true, Doc: docCommunity},
		{Name: "name", Label: "组织名称", Type: TypeString, Required: true, Doc: docName},
		enumField("category", "组织类别", categoryEnum),
		enumField("tier", "管理层级", tierEnum),
		{Name: "founded", Label: "成立日期", Type: TypeDate, Required: true, Doc: docDate},
		{Name: "members", Label: "成员人数", Type: TypeInt, Doc: "0 to 1,000,000"},
		{Name: "leader", Label: "负责人", Type: TypeString, PII: true, Doc: docText},
		{Name: "leader_phone", Label: "负责人电话", Type: TypeString, PII: true, Doc: docPhone},
		{Name: "charter", Label: "有无章程", Type: TypeBool, Doc: docFlag + ": has a charter (章程)"},
		{Name: "party_building", Label: "是否开展党建", Type: TypeBool, Doc: docFlag + ": party-building work established"},
		{Name: "brand", Label: "是否品牌组织", Type: TypeBool, Doc: docFlag + ": brand organization (品牌社区社会组织)"},
		enumField("status", "组织状态", statusEnum),
	},
	KindActivity: {
		idField(),
		orgField(),
		filledCommunity(),
		enumField("theme", "活动主题", themeEnum),
		{Name: "type", Label: "活动类型", Type: TypeString, Doc: docText + " (讲座, 义诊, ...)"},
		{Name: "date", Label: "活动日期", Type: TypeDate, Required: true, Doc: docDate},
		{Name: "participants", Label: "参与人数", Type: TypeInt, Doc: "0 to 1,000,000"},
		{Name: "major", Label: "是否重大活动", Type: TypeBool, Doc: docFlag + ": a major event to report (重大活动)"},
	},
	KindProject: {
		idField(),
		orgField(),
		filledCommunity(),
		{Name: "name", Label: "项目名称", Type: TypeString, Required: true, Doc: docName},
		enumField("funding", "资金来源", fundingEnum),
		{Name: "amount", Label: "项目金额（元）", Type: TypeInt, Doc: "whole yuan, 0 to 10,000,000,000"},
		{Name: "year", Label: "项目年度", Type: TypeInt, Required: true, Doc: "2000 to 2100"},
		{Name: "brand", Label: "是否品牌项目", Type: TypeBool, Doc: docFlag + ": brand project (品牌项目)"},
	},
	KindTalent: {
		idField(),
		orgField(),
		filledCommunity(),
		{Name: "name", Label: "姓名", Type: TypeString, PII: true, Doc: docText},
		{Name: "phone", Label: "联系电话", Type: TypeString, PII: true, Doc: docPhone},
		{Name: "id_number", Label: "身份证号码", Type: TypeString, PII: true, Doc: "optional; 18-character resident ID number with a valid check character (GB 11643)"},
		{Name: "role", Label: "担任职务", Type: TypeString, Doc: docText},
		{Name: "trained", Label: "是否接受培训", Type: TypeBool, Doc: docFlag + ": has been trained"},
		{Name: "social_worker", Label: "是否持证社工", Type: TypeBool, Doc: docFlag + ": qualified social worker (持证社工)"},
	},
	KindPlatform: {
		idField(),
		{Name: "area", Label: "所属区划", Type: TypeCode, Required: true, Doc: "12-digit street, county or city code"},
		{Name: "name", Label: "平台名称", Type: TypeString, Required: true, Doc: docName},
		enumField("type", "平台类型", platformTypeEnum),
		{Name: "founded", Label: "成立日期", Type: TypeDate, Required: true, Doc: docDate},
	},
	KindRegistration: {
		idField(),
		{Name: "area", Label: "登记机关区划", Type: TypeCode, Required: true, Doc: "12-digit county code"},
		{Name: "org_origin", Label: "所属街道", Type: TypeCode, Required: true, Doc: "12-digit street code inside area: the street that owns the organization"},
		{Name: "org", Label: "组织编号", Type: TypeString, Required: true, Doc: "id of the organization at org_origin; " + docID},
		{Name: "credit_code", Label: "统一社会信用代码", Type: TypeString, Required: true, Doc: "18 characters from 0-9 A-H J-N P Q R T U W X Y"},
		{Name: "registered", Label: "登记日期", Type: TypeDate, Required: true, Doc: docDate},
		enumField("rating", "评估等级", ratingEnum),
	},
}

// Fields returns the fields of kind k in struct (and JSON) order, or nil
// for an unknown kind. The slice is the caller's to modify.
func Fields(k Kind) []FieldSpec {
	specs := schemas[k]
	if specs == nil {
		return nil
	}
	out := slices.Clone(specs)
	for i := range out {
		out[i].Enum = slices.Clone(out[i].Enum)
	}
	return out
}

// PIIFields returns the JSON names of the PII fields of kind k, in field
// order; nil when k has none.
func PIIFields(k Kind) []string {
	var out []string
	for _, f := range schemas[k] {
		if f.PII {
			out = append(out, f.Name)
		}
	}
	return out
}
