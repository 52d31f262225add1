package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"fedsync/api"
	"fedsync/area"
	"fedsync/client"
	"fedsync/storage"
)

// authFlags are the global flags that give the API token.
type authFlags struct {
	token     string // --token: the secret itself
	tokenFile string // --token-file: a file holding it
	// childTokenFile is verify's --child-token-file: the token of the
	// child's agent (tokens are per node).
	childTokenFile string
}

// envChildToken gives verify --child the child's token.
const envChildToken = "FEDSYNC_CHILD_TOKEN"

// childTokenSecret returns the token for verify's child agent.
func (a *app) childTokenSecret() (string, error) {
	if a.auth.childTokenFile == "" {
		return strings.TrimSpace(os.Getenv(envChildToken)), nil
	}
	b, err := os.ReadFile(a.auth.childTokenFile)
	if err != nil {
		return "", usagef("--child-token-file: %v", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// addAuthFlags registers --token and --token-file.
func addAuthFlags(pf *pflag.FlagSet, a *app) {
	pf.StringVar(&a.auth.token, "token", "", "API token secret (env "+client.EnvToken+"); prefer --token-file, which keeps it out of the process list")
	pf.StringVar(&a.auth.tokenFile, "token-file", "", "read the API token secret from `FILE`")
}

// tokenSecret returns the secret to send: --token, else --token-file's
// content, else $FEDSYNC_TOKEN, else "".
func (a *app) tokenSecret() (string, error) {
	switch {
	case a.auth.token != "":
		return a.auth.token, nil
	case a.auth.tokenFile != "":
		b, err := os.ReadFile(a.auth.tokenFile)
		if err != nil {
			return "", usagef("--token-file: %v", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", usagef("--token-file %s is empty", a.auth.tokenFile)
		}
		return s, nil
	}
	return client.DefaultToken(), nil
}

// aclHint says what to do after a refusal for want of a token or a right.
func aclHint(err error) string {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch ae.Status {
	case http.StatusUnauthorized:
		return "Pass a token with --token-file FILE, $" + client.EnvToken + " or --token. The first token of a node comes from `fedsync acl bootstrap`; an admin makes more with `fedsync acl token create`."
	case http.StatusForbidden:
		if ae.Accessor != "" {
			return "Your token (" + ae.Accessor + ") lacks that right; `fedsync acl whoami` shows its role and area, and an admin can create a fitting one."
		}
	}
	return ""
}

func newACLCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "acl",
		Short:   "API tokens: bootstrap, create, list, revoke",
		GroupID: "server",
		Long: `Every /v1 route of the API needs a token. A token has a role and an area:
  viewer    reads the records, summaries and audit trail of its area's subtree
  operator  also writes records whose area lies inside its area
  admin     also manages tokens and the node's membership
Tokens belong to one node (all its servers); they do not replicate upward.
Only a hash of each secret is stored: the secret is shown once, at creation.`,
		Example: "  fedsync acl bootstrap\n  fedsync acl token create --role operator --area 210102001002 --description 'clerk of 水源地社区'",
	}
	tok := &cobra.Command{
		Use:     "token",
		Short:   "Create, list and revoke tokens (admin)",
		Example: "  fedsync acl token list\n  fedsync acl token revoke ACCESSOR",
	}
	tok.AddCommand(newTokenCreateCmd(a), newTokenListCmd(a), newTokenRevokeCmd(a))
	cmd.AddCommand(newBootstrapCmd(a), tok, newWhoamiCmd(a))
	return cmd
}

func newBootstrapCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the node's first admin token (allowed once)",
		Long: `Create the first admin token of the node at --http-addr, for the node's
whole area. It is allowed once, while the node has no token; afterwards it is
refused. Run it right after the node's first start, and keep the secret: it
is shown only now.`,
		Example: "  fedsync acl bootstrap\n  fedsync acl bootstrap -o json | jq -r .secret > admin.token",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			tc, err := c.Bootstrap(cmd.Context())
			if err != nil {
				return fmt.Errorf("acl bootstrap: %w", err)
			}
			return a.printCreated(tc)
		},
	}
}

// printCreated shows a new token and its secret, once.
func (a *app) printCreated(tc *api.TokenCreated) error {
	if a.json() {
		return printJSON(a.stdout, tc)
	}
	fmt.Fprintf(a.stdout, "Created %s token %s for %s (%s).\n", tc.Role, tc.Accessor, tc.Area, area.Name(tc.Area))
	if !tc.Expires.IsZero() {
		fmt.Fprintf(a.stdout, "Expires: %s\n", tc.Expires.Format(time.RFC3339))
	}
	fmt.Fprintf(a.stdout, "Secret:  %s\n\nThe secret is shown only now; only its hash is stored. Use it with:\n  export %s=%s\n", tc.Secret, client.EnvToken, tc.Secret)
	return nil
}

func newTokenCreateCmd(a *app) *cobra.Command {
	var role, desc string
	var code string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create --role ROLE [--area CODE]",
		Short: "Create a token (admin)",
		Long: `Create a token of a role for an area inside your own token's area (default:
your token's area). The secret is printed once.`,
		Example: "  fedsync acl token create --role viewer --area 210102000000 --description 'county office'\n" +
			"  fedsync acl token create --role operator --area 210102001002 --expires 720h",
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := storage.ParseRole(role); err != nil {
				return usagef("--role: %v", err)
			}
			req := api.TokenRequest{Role: storage.Role(role), Area: area.Code(code), Description: desc}
			if expires < 0 {
				return usagef("--expires %s: must be positive", expires)
			}
			if expires > 0 {
				req.TTL = expires.String()
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if req.Area == "" {
				self, err := c.Self(cmd.Context())
				if err != nil {
					return fmt.Errorf("acl token create: %w", err)
				}
				req.Area = self.Area
			}
			tc, err := c.CreateToken(cmd.Context(), req)
			if err != nil {
				return fmt.Errorf("acl token create: %w", err)
			}
			return a.printCreated(tc)
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "viewer, operator or admin (required)")
	f.StringVar(&code, "area", "", "the token's area `CODE`, inside your token's area (default: your token's area)")
	f.StringVar(&desc, "description", "", "who or what holds the token (recorded in the audit trail)")
	f.DurationVar(&expires, "expires", 0, "valid for this long, e.g. 720h (default: until revoked)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokenListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the tokens inside your area (admin)",
		Example: "  fedsync acl token list\n  fedsync acl token list -o json",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			toks, err := c.Tokens(cmd.Context())
			if err != nil {
				return fmt.Errorf("acl token list: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, toks)
			}
			t := newTable("ACCESSOR", "ROLE", "AREA", "STATE", "EXPIRES", "DESCRIPTION")
			now := time.Now()
			for _, k := range toks {
				t.add(k.Accessor, string(k.Role), string(k.Area)+" "+area.Name(k.Area), tokenState(k, now), expiry(k.Expires), k.Description)
			}
			return t.write(a.stdout)
		},
	}
}

func tokenState(t storage.Token, now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !t.Expires.IsZero() && !now.Before(t.Expires):
		return "expired"
	}
	return "valid"
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func newTokenRevokeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "revoke ACCESSOR",
		Short:   "Revoke a token (admin)",
		Long:    "Revoke a token: it is refused from now on (401 token revoked). Revoking is not undone.",
		Example: "  fedsync acl token revoke 3f9c0a1b2c3d4e5f3f9c0a1b2c3d4e5f",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), argv[0]); err != nil {
				return fmt.Errorf("acl token revoke: %w", err)
			}
			if !a.json() {
				fmt.Fprintf(a.stdout, "Revoked token %s.\n", argv[0])
				return nil
			}
			return printJSON(a.stdout, map[string]string{"revoked": argv[0]})
		},
	}
}

func newWhoamiCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "whoami",
		Short:   "Show the role and area of your token",
		Example: "  fedsync acl whoami --token-file admin.token",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			id, err := c.Self(cmd.Context())
			if err != nil {
				return fmt.Errorf("acl whoami: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, id)
			}
			fmt.Fprintf(a.stdout, "token %s: %s of %s (%s) %s\n", id.Accessor, id.Role, id.Area, area.Name(id.Area), id.Name)
			return nil
		},
	}
}
