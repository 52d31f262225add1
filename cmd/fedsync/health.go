package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newHealthCmd builds `fedsync health`: /healthz needs no token, so
// container and service health checks need none either.
func newHealthCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Exit 0 when the agent answers /healthz (no token needed)",
		Long: `Ask the agent at --http-addr whether it is up and serving (GET /healthz).
It needs no API token, so container health checks and service monitors can
run it. Exit code 0 when the agent answers, 1 otherwise.`,
		Example: "  fedsync health --http-addr 127.0.0.1:8700",
		GroupID: "reports",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.Health(cmd.Context()); err != nil {
				return fmt.Errorf("health: %w", err)
			}
			fmt.Fprintf(a.stdout, "ok: the agent at %s is serving\n", c.Addr())
			return nil
		},
	}
}
