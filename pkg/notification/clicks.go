package notification

import (
	"context"
	"fmt"
	"net/url"
)

// Click tracking: how a click on a notification is counted (the app's
// click_tracking setting). By default the service worker reports it; a
// browser that shows a declarative notification itself runs no service
// worker code, so an app may have clicks counted by the link instead.
const (
	// ClickTrackingLink makes url and each action's url a signed Herald link
	// that counts the click once per recipient and redirects to the target.
	ClickTrackingLink = "link"
	// ClickTrackingPage adds herald_click (and herald_action) to the target,
	// on the site's own origin; herald.js reports the click on page load.
	ClickTrackingPage = "page"
)

// ClickLinks signs click links (engagement.Links).
type ClickLinks interface {
	ClickLink(ctx context.Context, notificationID, action, target string) (string, error)
}

// trackClicks returns c with its links rewritten for the app's click
// tracking mode, and the payload's click_report naming who counts clicks
// ("": the service worker). Links that cannot be rewritten (a path with no
// app origin to resolve it against) stay as they are.
func (s *Service) trackClicks(ctx context.Context, id, token string, c Content, mode, origin string) (Content, string, error) {
	var rewrite func(link, action string) (string, error)
	switch mode {
	case ClickTrackingLink:
		links, ok := s.tok.(ClickLinks)
		if !ok {
			return c, "", nil
		}
		rewrite = func(link, action string) (string, error) {
			target := absolute(link, origin)
			if u, err := url.Parse(target); err != nil || u.Host == "" {
				return link, nil
			}
			return links.ClickLink(ctx, id, action, target)
		}
	case ClickTrackingPage:
		if token == "" {
			return c, "", nil
		}
		rewrite = func(link, action string) (string, error) {
			u, err := url.Parse(link)
			if err != nil {
				return link, nil
			}
			q := u.Query()
			q.Set("herald_click", id+":"+token)
			if action != "" {
				q.Set("herald_action", action)
			}
			u.RawQuery = q.Encode()
			return u.String(), nil
		}
	default:
		return c, "", nil
	}
	tracked := rewrite
	rewrite = func(link, action string) (string, error) {
		if isTemplate(link) {
			// Filled per recipient: a signed link cannot name it, so the
			// service worker reports its clicks.
			return link, nil
		}
		return tracked(link, action)
	}
	var err error
	if c.URL != "" {
		if c.URL, err = rewrite(c.URL, ""); err != nil {
			return c, "", fmt.Errorf("click link: %w", err)
		}
	}
	actions := make([]Action, len(c.Actions))
	for i, a := range c.Actions {
		if a.URL != "" {
			if a.URL, err = rewrite(a.URL, a.Action); err != nil {
				return c, "", fmt.Errorf("click link: %w", err)
			}
		}
		actions[i] = a
	}
	c.Actions = actions
	return c, mode, nil
}
