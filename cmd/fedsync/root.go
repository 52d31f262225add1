package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"fedsync/client"
	"fedsync/registry"
)

// app holds what every command shares: the streams and the global flags.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	httpAddr string // --http-addr: the agent's API address
	caFile   string // --ca-file: the federation CA; the API is then reached over https
	output   string // -o/--output: table or json
	auth     authFlags
}

const rootLong = `fedsync keeps the records of Liaoning's community social organizations
(社区社会组织) in a federation of offices: every street, county, city and the
province runs a node; each node owns its own area's records and replicates
them upward, so that every level sees exact, fresh totals of everything below.

Start here:
  fedsync demo                         a city, two counties and four streets with sample data, on loopback
  fedsync init --area CODE --data-dir DIR
  fedsync agent -config DIR/fedsync.toml

Commands that talk to a running agent find it at --http-addr, or at
$FEDSYNC_HTTP_ADDR, or at 127.0.0.1:8700, and send the API token of
--token-file, --token or $FEDSYNC_TOKEN (the first comes from
` + "`fedsync acl bootstrap`" + `). Commands that print data accept -o json for
scripts. An agent with TLS serves https: give the federation CA with
--ca-file or $FEDSYNC_CA_FILE.

Exit codes:
  0  everything asked was done
  1  error: bad flags, no agent, a refused request, a fatal problem
  2  partial failure: some import rows were refused, or verify found differences`

const rootExample = `  fedsync demo
  fedsync report --area 210102001000
  fedsync org list --where category=文体活动类 -o json
  fedsync import 花名册.xlsx --kind org`

func init() {
	cobra.EnableCommandSorting = false // list commands in the order added
}

// newRoot builds the command tree.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "fedsync",
		Short:         "Federated records of Liaoning's community social organizations",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.checkOutput()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&a.httpAddr, "http-addr", client.DefaultAddr(), "agent API address, host:port or URL (env "+client.EnvHTTPAddr+")")
	pf.StringVar(&a.caFile, "ca-file", client.DefaultCAFile(), "federation CA `FILE` (ca.pem): reach agents over https (env "+client.EnvCAFile+")")
	pf.StringVarP(&a.output, "output", "o", "table", "output format: table or json")
	addAuthFlags(pf, a)
	root.AddGroup(&cobra.Group{ID: "server", Title: "Run a server:"},
		&cobra.Group{ID: "records", Title: "Records:"},
		&cobra.Group{ID: "reports", Title: "Reports and checks:"})
	root.AddCommand(newInitCmd(a), newAgentCmd(a), newDemoCmd(a), newTLSCmd(a), newACLCmd(a))
	for _, k := range registry.Kinds {
		root.AddCommand(newKindCmd(a, k))
	}
	root.AddCommand(newImportCmd(a), newExportCmd(a))
	root.AddCommand(newReportCmd(a), newStatusCmd(a), newVerifyCmd(a), newAuditCmd(a), newHealthCmd(a))
	root.AddCommand(newOperatorCmd(a), newSnapshotCmd(a))
	addMembershipCmds(root, a)
	root.AddCommand(newBenchCmd(a))
	root.AddCommand(newVersionCmd(a))
	root.AddCommand(newPrivacyCmd(a))
	addDefaultExamples(root)
	return root
}

var completionExamples = map[string]string{
	"bash":       "  fedsync completion bash > /etc/bash_completion.d/fedsync",
	"zsh":        `  fedsync completion zsh > "${fpath[1]}/_fedsync"`,
	"fish":       "  fedsync completion fish > ~/.config/fish/completions/fedsync.fish",
	"powershell": "  fedsync completion powershell | Out-String | Invoke-Expression",
}

// addDefaultExamples creates cobra's help and completion commands now,
// rather than at Execute, so that they too have examples.
func addDefaultExamples(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  fedsync help org add"
		case "completion":
			c.Example = "  fedsync completion bash > /etc/bash_completion.d/fedsync\n  source <(fedsync completion zsh)"
			for _, sh := range c.Commands() {
				sh.Example = completionExamples[sh.Name()]
			}
		}
	}
}

func (a *app) checkOutput() error {
	switch a.output {
	case "table", "json":
		return nil
	}
	return usagef("--output %q: want table or json", a.output)
}

// json reports whether -o json was asked for.
func (a *app) json() bool { return a.output == "json" }

// client returns a client of the agent at --http-addr.
func (a *app) client() (*client.Client, error) {
	secret, err := a.tokenSecret()
	if err != nil {
		return nil, err
	}
	return a.clientAt(a.httpAddr, secret)
}

// clientAt returns a client of the agent at addr sending the token
// secret, over https when --ca-file is given.
func (a *app) clientAt(addr, secret string) (*client.Client, error) {
	return client.New(addr, client.WithUserAgent("fedsync/"+version), client.WithToken(secret), client.WithCAFile(a.caFile))
}

// run executes the command line and returns the exit code. Errors are
// printed to stderr with a hint where one helps.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(a)
	root.SetArgs(normalizeArgs(args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ce *codeError
	if !errors.As(err, &ce) || ce.err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		if hint := hintFor(cmd, err); hint != "" {
			fmt.Fprintln(stderr, hint)
		}
	}
	return exitCode(err)
}

// hintFor says what to do next after err.
func hintFor(cmd *cobra.Command, err error) string {
	if h := aclHint(err); h != "" {
		return h
	}
	var ae *client.APIError
	switch {
	case errors.Is(err, client.ErrNoAgent):
		return "Start one with `fedsync agent -config FILE`, or try `fedsync demo`."
	case errors.As(err, &ae) && ae.Field != "" && (cmd.Name() == "add" || cmd.Name() == "update"):
		return fmt.Sprintf("The field %q is set with --%s; see `%s --help`.", ae.Field, flagName(ae.Field), cmd.CommandPath())
	case errors.As(err, new(*usageError)):
		return fmt.Sprintf("See `%s --help`.", cmd.CommandPath())
	}
	return ""
}

// usageError is a mistake in the command line: a bad flag or argument.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a *usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// args wraps a cobra argument check so that its errors are usage errors.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// normalizeArgs accepts the single-dash long flag `-config` that consul and
// nomad users type, rewriting it to `--config`.
func normalizeArgs(args []string) []string {
	out := make([]string, len(args))
	for i, s := range args {
		if s == "--" {
			copy(out[i:], args[i:])
			break
		}
		if s == "-config" || strings.HasPrefix(s, "-config=") {
			s = "-" + s
		}
		out[i] = s
	}
	return out
}
