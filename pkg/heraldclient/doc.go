// Package heraldclient is the Go client of Herald's HTTP API for backends:
// typed calls for the server-to-server routes (an app's API key) and the
// admin routes (HERALD_ADMIN_TOKEN), with nothing but the standard library.
//
//	c := heraldclient.New("https://herald.internal", heraldclient.WithAPIKey(os.Getenv("HERALD_API_KEY")))
//	sent, err := c.Send(ctx, &heraldclient.SendRequest{
//		Target:       heraldclient.Target{UserIDs: []string{"user-42"}},
//		Notification: heraldclient.Content{Title: "Your order shipped", URL: "https://shop.example/orders/42"},
//	})
//	...
//	n, err := c.WaitCompleted(ctx, sent.ID, time.Second, nil)
//
// Retries: a 429 or 503 answer is tried again after the Retry-After the
// server gave (or an exponential backoff with jitter when it gave none),
// up to WithRetries' limit; so is a request that never got an answer when
// repeating it is safe (GET, DELETE, and sends, which carry an
// Idempotency-Key). Send generates one Idempotency-Key per call, used by
// every retry of that call, so a retried send is delivered once; set
// SendRequest.IdempotencyKey to make a send idempotent across calls too
// (a replay answers the first notification, with Replayed set).
//
// Errors: a non-2xx answer is an *Error with the HTTP status and Herald's
// stable error code ("not_found", "unknown_field", ...); test it with
// IsCode. A call made without the credential its route needs fails before
// any request with ErrNoAPIKey or ErrNoAdminToken.
//
// Lists answer one page (Page) with the cursor of the next one; pass it as
// ListOptions.After.
//
// Every response type keeps the JSON it was decoded from (JSON()), so a
// tool can print what the server said, fields this client does not know
// included.
package heraldclient
