package notification

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"regexp"

	"github.com/heraldpush/herald/pkg/fault"
)

// A/B variants: a notification may carry 2 to 5 variants, each a weight
// and content (over the top-level content as defaults). Each recipient
// gets one, chosen by a hash of the notification and subscription ids, so
// a batch run again sends every recipient the same variant; counts are
// kept per variant as well as in total.

// Limits of variants.
const (
	MinVariants      = 2
	MaxVariants      = 5
	MaxVariantWeight = 10000
)

var variantName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Variant is one arm of an A/B test as requested: its content overrides
// the request's top-level content field by field.
type Variant struct {
	Name         string
	Weight       int
	Notification Content
	// RequireInteraction, Renotify and Silent, when given, are the
	// variant's own (false too); nil keeps the top-level value, or true if
	// Notification sets it. Content's bools cannot tell a false from a
	// field not given, so a variant could not switch off a top-level true.
	// omitempty: a variant giving none fingerprints as before
	// (idempotency.go).
	RequireInteraction *bool `json:",omitempty"`
	Renotify           *bool `json:",omitempty"`
	Silent             *bool `json:",omitempty"`
}

// StoredVariant is a variant as the notification keeps it: its merged
// content and the payload the service worker decrypts.
type StoredVariant struct {
	Name    string      `json:"name"`
	Weight  int         `json:"weight"`
	Content ContentJSON `json:"content"`
	Payload string      `json:"payload"`
	// PayloadDeclarative is Apple's instead (format auto); "" for none.
	PayloadDeclarative string `json:"payload_declarative,omitempty"`
}

// ContentOf is the variant's merged content.
func (v StoredVariant) ContentOf() Content { return v.Content.Content() }

// Personalized reports whether the variant's content holds templates.
func (v StoredVariant) Personalized() bool { return v.Content.Content().Personalized() }

// merge returns base with every field the variant sets taken from it.
func merge(base Content, variant Variant) Content {
	v := variant.Notification
	out := base
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&out.Title, v.Title}, {&out.Body, v.Body}, {&out.Icon, v.Icon}, {&out.Badge, v.Badge},
		{&out.Image, v.Image}, {&out.URL, v.URL}, {&out.Tag, v.Tag},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if v.Actions != nil {
		out.Actions = v.Actions
	}
	if len(v.Data) > 0 {
		out.Data = v.Data
	}
	for _, f := range []struct {
		dst      *bool
		given    *bool
		setsTrue bool
	}{
		{&out.RequireInteraction, variant.RequireInteraction, v.RequireInteraction},
		{&out.Renotify, variant.Renotify, v.Renotify},
		{&out.Silent, variant.Silent, v.Silent},
	} {
		switch {
		case f.given != nil:
			*f.dst = *f.given
		case f.setsTrue:
			*f.dst = true
		}
	}
	if v.Vibrate != nil {
		out.Vibrate = v.Vibrate
	}
	return out
}

// validateVariants checks the variants of r and returns their merged contents.
func (r *Request) validateVariants() ([]Content, error) {
	if len(r.Variants) < MinVariants || len(r.Variants) > MaxVariants {
		return nil, fault.Invalid("invalid_variants", "variants must hold %d to %d variants", MinVariants, MaxVariants)
	}
	// The top-level notification is the variants' defaults. A field every
	// variant overrides is never sent, but it is stored: it is held to the
	// same limits (its title may be left to the variants).
	defaults := r.Notification
	if defaults.Title == "" {
		defaults.Title = "-"
	}
	if err := defaults.validate(); err != nil {
		f, _ := fault.As(err)
		return nil, fault.Invalid(f.Code, "notification (the variants' defaults): %s", f.Message)
	}
	if err := defaults.checkTemplates(); err != nil {
		f, _ := fault.As(err)
		return nil, fault.Invalid(f.Code, "notification (the variants' defaults): %s", f.Message)
	}
	seen := map[string]bool{}
	out := make([]Content, len(r.Variants))
	for i, v := range r.Variants {
		if !variantName.MatchString(v.Name) || seen[v.Name] {
			return nil, fault.Invalid("invalid_variants", "variants[%d].name must be unique, 1 to 32 of A-Z a-z 0-9 _ -", i)
		}
		seen[v.Name] = true
		if v.Weight < 1 || v.Weight > MaxVariantWeight {
			return nil, fault.Invalid("invalid_variants", "variants[%d].weight must be 1 to %d (weights are relative: 50, 30, 20)", i, MaxVariantWeight)
		}
		out[i] = merge(r.Notification, v)
		if err := out[i].validate(); err != nil {
			f, _ := fault.As(err)
			return nil, fault.Invalid(f.Code, "variants[%d] (over the top-level notification): %s", i, f.Message)
		}
		if err := out[i].checkTemplates(); err != nil {
			f, _ := fault.As(err)
			return nil, fault.Invalid(f.Code, "variants[%d]: %s", i, f.Message)
		}
	}
	return out, nil
}

// buildVariants makes each variant's payload and returns their stored JSON.
func (s *Service) buildVariants(ctx context.Context, id string, r *Request, contents []Content) (string, error) {
	stored := make([]StoredVariant, len(contents))
	for i, c := range contents {
		vr := *r
		vr.Notification = c
		built, err := s.buildPayloads(ctx, id, vr, r.format())
		if err != nil {
			f, _ := fault.As(err)
			if f != nil {
				return "", fault.New(f.Kind, f.Code, "variants[%d]: %s", i, f.Message)
			}
			return "", err
		}
		stored[i] = StoredVariant{Name: r.Variants[i].Name, Weight: r.Variants[i].Weight, Content: c.JSON(),
			Payload: string(built.main), PayloadDeclarative: string(built.declarative)}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return "", fmt.Errorf("encode variants: %w", err)
	}
	return string(b), nil
}

// Variants returns the notification's variants (nil without any).
func (n *Notification) Variants() ([]StoredVariant, error) {
	if n.VariantsJSON == "" {
		return nil, nil
	}
	var vs []StoredVariant
	if err := json.Unmarshal([]byte(n.VariantsJSON), &vs); err != nil {
		return nil, fmt.Errorf("notification %s variants: %w", n.ID, err)
	}
	return vs, nil
}

// VariantFor is the index of the variant subscription id gets: a hash of
// the notification and subscription ids, spread over the weights. The
// same pair always gets the same variant.
func VariantFor(notificationID, subscriptionID string, vs []StoredVariant) int {
	total := 0
	for _, v := range vs {
		total += v.Weight
	}
	if total == 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(notificationID + "/" + subscriptionID))
	point := int(binary.BigEndian.Uint64(sum[:8]) % uint64(total))
	for i, v := range vs {
		if point < v.Weight {
			return i
		}
		point -= v.Weight
	}
	return len(vs) - 1
}

// AddVariantCounts adds outcomes per variant index to one shard of a
// notification's variant counts, in the transaction that records them
// (WithTx), beside AddCounts.
func (s *Store) AddVariantCounts(ctx context.Context, notificationID string, shard int, byVariant map[int]Counts) error {
	for v, c := range byVariant {
		if c == (Counts{}) {
			continue
		}
		err := s.db.WithContext(ctx).Exec(`INSERT INTO notification_variant_counts (notification_id, variant, shard, delivered, gone, dead, capped) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (notification_id, variant, shard) DO UPDATE SET delivered = notification_variant_counts.delivered + excluded.delivered,
				gone = notification_variant_counts.gone + excluded.gone, dead = notification_variant_counts.dead + excluded.dead,
				capped = notification_variant_counts.capped + excluded.capped`,
			notificationID, v, shard%CountShards, c.Delivered, c.Gone, c.Dead, c.Capped).Error
		if err != nil {
			return fmt.Errorf("count variant outcomes: %w", err)
		}
	}
	return nil
}

// VariantCounts are a variant's outcomes and the engagement service
// workers reported for it.
type VariantCounts struct {
	Counts
	Received, Clicked, Dismissed int64
}

// VariantCounts returns the counts of each variant index.
func (s *Store) VariantCounts(ctx context.Context, notificationID string) (map[int]VariantCounts, error) {
	var rows []struct {
		Variant                                                     int
		Delivered, Gone, Dead, Capped, Received, Clicked, Dismissed int64
	}
	err := s.db.WithContext(ctx).Table("notification_variant_counts").
		Select(`variant, SUM(delivered) AS delivered, SUM(gone) AS gone, SUM(dead) AS dead, SUM(capped) AS capped,
			SUM(received) AS received, SUM(clicked) AS clicked, SUM(dismissed) AS dismissed`).
		Where("notification_id = ?", notificationID).Group("variant").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load variant counts: %w", err)
	}
	out := make(map[int]VariantCounts, len(rows))
	for _, r := range rows {
		out[r.Variant] = VariantCounts{Counts: Counts{Delivered: r.Delivered, Gone: r.Gone, Dead: r.Dead, Capped: r.Capped},
			Received: r.Received, Clicked: r.Clicked, Dismissed: r.Dismissed}
	}
	return out, nil
}

// addVariantEngagement counts one report of e for the variant
// subscriptionID got, when the notification has variants; the shard is
// the subscription's, so reports of a big split spread over rows.
func (s *Store) addVariantEngagement(ctx context.Context, id, subscriptionID string, e Engagement) error {
	var n Notification
	if err := s.db.WithContext(ctx).Select("id", "variants").Where("id = ?", id).Take(&n).Error; err != nil {
		return fmt.Errorf("load notification variants: %w", err)
	}
	vs, err := n.Variants()
	if err != nil || vs == nil {
		return err
	}
	column := string(e) // checked by AddEngagement
	shard := int(crc32.ChecksumIEEE([]byte(subscriptionID)) % CountShards)
	err = s.db.WithContext(ctx).Exec(`INSERT INTO notification_variant_counts (notification_id, variant, shard, `+column+`) VALUES (?, ?, ?, 1)
		ON CONFLICT (notification_id, variant, shard) DO UPDATE SET `+column+` = notification_variant_counts.`+column+` + 1`,
		id, VariantFor(id, subscriptionID, vs), shard).Error
	if err != nil {
		return fmt.Errorf("count variant %s: %w", e, err)
	}
	return nil
}
