package storage

import (
	"context"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"fedsync/registry"
)

// TestRollupsEqualRecomputation applies random sequences of creates,
// updates (moving organizations between communities and categories,
// changing status and founding year, reclassifying communities) and
// deletes, and checks after each batch that every counter equals the
// recomputation from the stored records and every chain verifies.
func TestRollupsEqualRecomputation(t *testing.T) {
	cs := communities(t)
	if len(cs) > 6 {
		cs = cs[:6]
	}
	rapid.Check(t, func(rt *rapid.T) {
		s := openTest(t)
		orgIDs := rapid.SampledFrom([]string{"o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9", "o10", "o11", "o12"})
		comm := rapid.SampledFrom(cs)
		genOrg := rapid.Custom(func(rt *rapid.T) registry.Org {
			o := org(orgIDs.Draw(rt, "id"), comm.Draw(rt, "community").Code, rapid.SampledFrom(registry.Categories()).Draw(rt, "cat"))
			o.Status = rapid.SampledFrom(registry.Statuses()).Draw(rt, "status")
			o.Founded = fmt.Sprintf("%d-06-01", rapid.IntRange(2018, 2025).Draw(rt, "year"))
			o.Brand = rapid.Bool().Draw(rt, "brand")
			return o
		})
		genMut := rapid.Custom(func(rt *rapid.T) Mutation {
			switch rapid.IntRange(0, 5).Draw(rt, "what") {
			case 0: // community create/reclassify/delete
				c := comm.Draw(rt, "c")
				if rapid.Bool().Draw(rt, "del") {
					return Mutation{Op: OpDelete, Kind: registry.KindCommunity, ID: c.ID}
				}
				c.UrbanRural = rapid.SampledFrom([]string{"111", "220"}).Draw(rt, "class")
				return put(rt, ModeUpsert, c)
			case 1:
				return Mutation{Op: OpDelete, Kind: registry.KindOrg, ID: orgIDs.Draw(rt, "del")}
			case 2:
				a := registry.Activity{ID: "a" + orgIDs.Draw(rt, "a"), Org: orgIDs.Draw(rt, "org"), Community: comm.Draw(rt, "c").Code,
					Theme: rapid.SampledFrom(registry.Themes()).Draw(rt, "theme"), Type: "讲座",
					Date: fmt.Sprintf("%d-05-01", rapid.IntRange(2021, 2024).Draw(rt, "y")), Participants: rapid.IntRange(0, 200).Draw(rt, "p")}
				return put(rt, ModeUpsert, a)
			case 3:
				p := registry.Project{ID: "p" + orgIDs.Draw(rt, "p"), Org: orgIDs.Draw(rt, "org"), Community: comm.Draw(rt, "c").Code, Name: "助老服务",
					Funding: rapid.SampledFrom(registry.FundingSources()).Draw(rt, "f"), Amount: rapid.Int64Range(0, 100000).Draw(rt, "amt"), Year: 2022, Brand: rapid.Bool().Draw(rt, "b")}
				return put(rt, ModeUpsert, p)
			default:
				return put(rt, ModeUpsert, genOrg.Draw(rt, "org"))
			}
		})
		for i, n := 0, rapid.IntRange(1, 8).Draw(rt, "batches"); i < n; i++ {
			muts := rapid.SliceOfN(genMut, 1, 12).Draw(rt, "batch")
			if _, err := s.ApplyLocal(0, int64(i+1), muts); err != nil {
				rt.Fatal(err)
			}
			rep, err := s.Verify(context.Background())
			if err != nil {
				rt.Fatal(err)
			}
			if !rep.OK {
				rt.Fatalf("after batch %d: %v", i, rep.Problems)
			}
		}
	})
}
