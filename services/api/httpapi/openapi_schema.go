package httpapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

var (
	timeType      = reflect.TypeFor[time.Time]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// schemaFor describes the JSON encoding/json gives a value of v's type:
// the request and response types themselves are the schema's source, so
// the description cannot drift from what the handlers decode and answer.
// A pointer may be null; a struct field's `doc` tag is its description.
// Request bodies refuse unknown fields, as decodeJSON does.
func schemaFor(v any, request bool) *openapi3.SchemaRef {
	return schemaOfType(reflect.TypeOf(v), request, 0)
}

func schemaOfType(t reflect.Type, request bool, depth int) *openapi3.SchemaRef {
	if depth > 12 {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	}
	switch {
	case t == timeType:
		return openapi3.NewDateTimeSchema().NewRef()
	case t == rawType:
		return &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	case t.Kind() == reflect.Pointer:
		s := schemaOfType(t.Elem(), request, depth+1)
		if s.Value.Type != nil {
			copied := *s.Value
			types := append(openapi3.Types{}, (*s.Value.Type)...)
			copied.Type = &types
			copied.Type.With("null")
			return copied.NewRef()
		}
		return s
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Description: "see the field's description"}}
	}
	switch t.Kind() {
	case reflect.String:
		return openapi3.NewStringSchema().NewRef()
	case reflect.Bool:
		return openapi3.NewBoolSchema().NewRef()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return openapi3.NewIntegerSchema().NewRef()
	case reflect.Float32, reflect.Float64:
		return openapi3.NewFloat64Schema().NewRef()
	case reflect.Slice, reflect.Array:
		s := openapi3.NewArraySchema().WithItems(schemaOfType(t.Elem(), request, depth+1).Value)
		if t.Name() != "" { // a setting's list type: null is its default
			s.Type.With("null")
		}
		return s.NewRef()
	case reflect.Map:
		s := openapi3.NewObjectSchema()
		s.AdditionalProperties = openapi3.AdditionalProperties{Schema: schemaOfType(t.Elem(), request, depth+1)}
		return s.NewRef()
	case reflect.Struct:
		s := openapi3.NewObjectSchema()
		s.Properties = openapi3.Schemas{}
		addFields(s, t, request, depth)
		if request {
			no := false
			s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		}
		return s.NewRef()
	}
	return &openapi3.SchemaRef{Value: &openapi3.Schema{}}
}

// addFields adds t's JSON fields to s, those of embedded structs included.
func addFields(s *openapi3.Schema, t reflect.Type, request bool, depth int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(s, ft, request, depth+1)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		prop := schemaOfType(f.Type, request, depth+1)
		if doc := f.Tag.Get("doc"); doc != "" {
			copied := *prop.Value
			copied.Description = doc
			prop = copied.NewRef()
		}
		s.Properties[name] = prop
	}
}
