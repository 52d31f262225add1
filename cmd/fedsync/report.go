package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"fedsync/area"
)

func newReportCmd(a *app) *cobra.Command {
	var code string
	var year int
	cmd := &cobra.Command{
		Use:     "report --area CODE [--year Y]",
		Short:   "Print an area's standing against the programme's targets",
		GroupID: "reports",
		Long: `Print how an area stands against the 2021–2023 programme: for a street, each
community's active organizations against its minimum (10 urban, 3 rural)
with ✓ or ✗; for a county, city or province, each child area's communities
meeting it. Then the share of communities meeting their minimum against the
year's required share (40%/25% in 2021, 80%/70% in 2022, 100% from 2023),
brand organizations and projects, trained backbone talent, and the year's
activities by theme.

Every figure comes from the agent's rollups, so a province report costs the
same as a street's. The agent must hold the area: its own or one below it.`,
		Example: `  fedsync report --area 210102001000
  fedsync report --area 210100000000 --year 2022
  fedsync report --area 210102001000 -o json | jq .communities`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := area.Parse(code)
			if err != nil {
				return usagef("--area: %v", err)
			}
			cl, err := a.client()
			if err != nil {
				return err
			}
			s, err := cl.Summary(cmd.Context(), c, year)
			if err != nil {
				return fmt.Errorf("report %s: %w", c, err)
			}
			if a.json() {
				return printJSON(a.stdout, s)
			}
			return renderReport(a.stdout, s)
		},
	}
	cmd.Flags().StringVar(&code, "area", "", "12-digit area `CODE` (street, county, city or province)")
	cmd.Flags().IntVar(&year, "year", 0, "report `YEAR` (default: the current year)")
	_ = cmd.MarkFlagRequired("area")
	return cmd
}
