package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runAppsCreate calls POST /v1/apps and prints the response, which holds the
// app's API key and identity secret: they are shown only once.
func runAppsCreate(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("apps create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	name := fs.String("name", "", "app name (required)")
	var origins stringList
	fs.Var(&origins, "origin", "origin allowed to subscribe from a browser, like https://shop.example (repeatable)")
	apiURL := fs.String("api", envOr(getenv, "HERALD_API_URL", "http://127.0.0.1:8080"), "Herald API base URL")
	token := fs.String("token", getenv("HERALD_ADMIN_TOKEN"), "admin token")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *name == "" {
		return errors.New("apps create: --name is required")
	}
	if *token == "" {
		return errors.New("apps create: set HERALD_ADMIN_TOKEN or pass --token")
	}
	if origins == nil {
		origins = stringList{}
	}
	body, _ := json.Marshal(map[string]any{"name": *name, "allowed_origins": origins})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*apiURL, "/")+"/v1/apps", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+*token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("apps create: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("apps create: read response: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("apps create: %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(out)
	}
	fmt.Fprintln(stdout, pretty.String())
	return nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
