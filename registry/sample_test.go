package registry

// Valid sample records, one per kind; tests copy and break them.

func sampleCommunity() Community {
	return Community{ID: "210102001002", Code: "210102001002", Name: "水源地社区", UrbanRural: "111"}
}

func sampleOrg() Org {
	return Org{
		ID: "hp-001", Community: "210102001002", Name: "水源地社区邻里互助队",
		Category: CatMutualAid, Tier: TierFiled, Founded: "2021-03-05", Members: 25,
		Leader: "张三", LeaderPhone: "13912345678", Charter: true, PartyBuilding: true,
		Brand: false, Status: StatusActive,
	}
}

func sampleActivity() Activity {
	return Activity{
		ID: "act-2022-17", Org: "hp-001", Community: "210102001002", Theme: ThemeNeighbourWatch,
		Type: "义诊", Date: "2022-06-18", Participants: 120, Major: true,
	}
}

func sampleProject() Project {
	return Project{
		ID: "prj:2022:3", Org: "hp-001", Community: "210102001002", Name: "银龄互助",
		Funding: FundVenture, Amount: 50000, Year: 2022, Brand: true,
	}
}

func sampleTalent() Talent {
	return Talent{
		ID: "t.1", Org: "hp-001", Community: "210102001002", Name: "李四", Phone: "024-23456789",
		IDNumber: "11010519491231002X", Role: "队长", Trained: true, SocialWorker: true,
	}
}

func samplePlatform() Platform {
	return Platform{ID: "pf_1", AreaCode: "210102000000", Name: "和平区社会组织孵化基地", Type: PlatformIncubator, Founded: "2020-01-01"}
}

func sampleRegistration() Registration {
	return Registration{
		ID: "reg-1", AreaCode: "210102000000", OrgOrigin: "210102001000", Org: "hp-001",
		CreditCode: "52210102MJ0000000X", Registered: "2021-09-30", Rating: Rating3A,
	}
}

// samples returns one valid record of every kind, in Kinds order.
func samples() []Record {
	return []Record{sampleCommunity(), sampleOrg(), sampleActivity(), sampleProject(),
		sampleTalent(), samplePlatform(), sampleRegistration()}
}
