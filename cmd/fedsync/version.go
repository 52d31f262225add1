package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of fedsync and of Go it was built with",
		Long: `Print the version of this binary (set at build time with
-ldflags "-X main.version=V"; "dev" otherwise), the Go version and platform.`,
		Example: `  fedsync version
  fedsync version -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := map[string]string{"version": version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
			if a.json() {
				return printJSON(a.stdout, v)
			}
			_, err := fmt.Fprintf(a.stdout, "fedsync %s (%s %s)\n", version, v["go"], v["platform"])
			return err
		},
	}
}
