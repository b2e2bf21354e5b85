package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/heraldpush/herald/pkg/vapid"
)

// vapidGenerateUsage is printed for -h and alongside flag errors.
const vapidGenerateUsage = `usage: heraldctl vapid generate [--json]

Generates a VAPID key pair (P-256, unpadded base64url) in the format the
web-push tools print. The public key is what a page passes to
pushManager.subscribe as applicationServerKey; keep the private key secret.

  --json   print {"public_key":...,"private_key":...} instead of text
`

// runVAPIDGenerate prints a new VAPID key pair, by default in the layout of
// the web-push CLI's generate-vapid-keys so existing docs and scripts apply.
func runVAPIDGenerate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("vapid generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned; usage goes to stdout on -h
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, werr := io.WriteString(stdout, vapidGenerateUsage)
			return werr
		}
		return fmt.Errorf("vapid generate: %w\n%s", err, vapidGenerateUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("vapid generate: unexpected argument %q\n%s", fs.Arg(0), vapidGenerateUsage)
	}

	key, err := vapid.Generate()
	if err != nil {
		return fmt.Errorf("vapid generate: %w", err)
	}
	if *asJSON {
		out := struct {
			PublicKey  string `json:"public_key"`
			PrivateKey string `json:"private_key"`
		}{key.PublicKey(), key.PrivateKey()}
		if err := json.NewEncoder(stdout).Encode(out); err != nil {
			return fmt.Errorf("vapid generate: write: %w", err)
		}
		return nil
	}
	_, err = fmt.Fprintf(stdout, "=======================================\n\nPublic Key:\n%s\n\nPrivate Key:\n%s\n\n=======================================\n",
		key.PublicKey(), key.PrivateKey())
	if err != nil {
		return fmt.Errorf("vapid generate: write: %w", err)
	}
	return nil
}
