package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

// queryDocs describes the query parameters routes take.
var queryDocs = map[string]string{
	"limit":      "page size, 1 to 1000 (default 100)",
	"after":      "the next_after of the previous page",
	"user_id":    "only this user's subscriptions",
	"topic":      "only subscriptions following this topic",
	"status":     "only this status",
	"since":      `only notifications created at or after this RFC 3339 time, like "2026-12-24T09:00:00Z"`,
	"force":      "true deletes even while notifications are sending",
	"cancel_key": "the cancel_key the notifications were sent with",
	"a":          "the action clicked (empty: the notification itself)",
	"u":          "the target the link redirects to",
	"s":          "Herald's signature over notification, action and target",
}

var ginParam = regexp.MustCompile(`[:*]([a-z_]+)`)

// openAPIPath turns a gin path into an OpenAPI one: /a/:id -> /a/{id}.
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// buildOpenAPI describes every route of routes(), with request and
// response schemas taken from the handlers' own types, the error shape and
// every error code (errorCodes), and examples.
func buildOpenAPI() (*openapi3.T, error) {
	errSchema := schemaFor(struct {
		Error struct {
			Code    string `json:"code" doc:"stable snake_case code to branch on; see the description of this API for every code"`
			Message string `json:"message" doc:"what was wrong and what to send instead"`
		} `json:"error"`
	}{}, false)
	doc := &openapi3.T{
		OpenAPI: "3.1.0",
		Info: &openapi3.Info{
			Title:   "Herald",
			Version: "1",
			Description: "Self-hosted Web Push delivery. Lists answer {\"items\", \"next_after\"} and take limit and after. " +
				"Errors answer {\"error\": {\"code\", \"message\"}}; the codes are: " + strings.Join(errorCodes, ", ") + ".",
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{"Error": errSchema},
			Responses: openapi3.ResponseBodies{"Error": &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("the error's stable code and what to fix").WithJSONSchemaRef(errSchema)}},
			SecuritySchemes: openapi3.SecuritySchemes{
				authAdmin:  &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("HERALD_ADMIN_TOKEN").WithDescription("the admin token")},
				authAPIKey: &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("api key").WithDescription("one of the app's API keys")},
			},
		},
	}
	for _, r := range routes() {
		op := openapi3.NewOperation()
		op.Summary = r.summary
		op.OperationID = operationID(r)
		if r.auth != authNone {
			op.Security = &openapi3.SecurityRequirements{{r.auth: []string{}}}
		}
		for _, m := range ginParam.FindAllStringSubmatch(r.path, -1) {
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema()))
		}
		for _, q := range r.query {
			desc, ok := queryDocs[q]
			if !ok {
				return nil, fmt.Errorf("openapi: query parameter %q of %s %s has no description", q, r.method, r.path)
			}
			op.AddParameter(openapi3.NewQueryParameter(q).WithSchema(openapi3.NewStringSchema()).WithDescription(desc))
		}
		if r.body != nil {
			media := openapi3.NewMediaType().WithSchemaRef(schemaFor(r.body, true))
			if r.example != nil {
				media.Example = r.example
			}
			body := openapi3.NewRequestBody().WithRequired(!r.optionalBody).WithContent(openapi3.Content{orDefault(r.bodyType): media})
			op.RequestBody = &openapi3.RequestBodyRef{Value: body}
		}
		resp := openapi3.NewResponse().WithDescription(http.StatusText(r.status))
		switch {
		case r.resp != nil:
			resp.Content = openapi3.Content{orDefault(r.respType): openapi3.NewMediaType().WithSchemaRef(schemaFor(r.resp, false))}
		case r.respType != "":
			resp.Content = openapi3.Content{r.respType: openapi3.NewMediaType()}
		}
		op.AddResponse(r.status, resp)
		if r.method == "POST" && r.status == 201 && strings.HasSuffix(r.path, "/subscriptions") {
			op.AddResponse(200, openapi3.NewResponse().WithDescription("the endpoint was known: updated, not duplicated").
				WithJSONSchemaRef(schemaFor(idView{}, false)))
		}
		op.Responses.Set("default", &openapi3.ResponseRef{Ref: "#/components/responses/Error", Value: doc.Components.Responses["Error"].Value})
		doc.AddOperation(openAPIPath(r.path), r.method, op)
	}
	return doc, nil
}

func orDefault(contentType string) string {
	if contentType == "" {
		return "application/json"
	}
	return contentType
}

func operationID(r route) string {
	p := strings.NewReplacer("/", "_", ":", "", "*", "", "-", "_", ".", "_").Replace(strings.Trim(r.path, "/"))
	if strings.HasSuffix(r.path, "/") && r.path != "/" {
		p += "_index"
	}
	return strings.ToLower(r.method) + "_" + p
}

// openAPIHandler serves the description, built once.
func openAPIHandler() (gin.HandlerFunc, error) {
	doc, err := buildOpenAPI()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return func(c *gin.Context) { c.Data(http.StatusOK, "application/json", body) }, nil
}
