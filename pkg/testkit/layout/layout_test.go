// Package layout checks the rules ARCHITECTURE.md states about where code
// goes, over the whole repository: `make lint` runs it (and `make test`).
//
//   - asynq is imported under pkg/ only by pkg/jobqueue, the job transport;
//     gin only under services/.
//   - Each table's name appears in SQL (string literals that are SQL, or
//     that gorm takes as SQL or as a table name) only in its owner's
//     package; the schema history in pkg/database is the one exception.
//   - No package hands gorm a type another package declares (a row of a
//     table it does not own).
//   - Every table the schema creates has an owner listed here.
package layout

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"
)

const module = "github.com/heraldpush/herald/"

// owners maps each table to the one package that reads and writes it.
var owners = map[string]string{
	"apps": "pkg/app", "vapid_keys": "pkg/app", "api_keys": "pkg/app",
	"subscriptions": "pkg/subscription", "subscription_topics": "pkg/subscription", "user_attributes": "pkg/subscription",
	"notifications": "pkg/notification", "notification_counts": "pkg/notification", "notification_variant_counts": "pkg/notification",
	"deliveries":          "pkg/delivery",
	"dead_letters":        "pkg/deadletter",
	"notification_events": "pkg/engagement", "signing_keys": "pkg/engagement",
	"schema_migrations": "pkg/database",
	"webhook_endpoints": "pkg/webhook", "webhook_messages": "pkg/webhook", "webhook_events": "pkg/webhook",
	"job_runs": "pkg/runclaim",
}

// The checked import paths, spelled so that grepping the tree for the
// quoted import finds only real imports.
const (
	asynqPath = "github.com/hibiken" + "/asynq"
	ginPath   = "github.com/gin-gonic" + "/gin"
)

// schemaFile may name every table: it is where they are created.
const schemaFile = "pkg/database/schema.go"

// root is the repository root, from this package's directory.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err != nil {
		t.Fatalf("no go.work at %s: %v", dir, err)
	}
	return dir
}

// goFiles lists the repository's Go files (relative, slash-separated) under
// the given top-level directories.
func goFiles(t *testing.T, top ...string) []string {
	t.Helper()
	base := root(t)
	var out []string
	for _, dir := range top {
		err := filepath.WalkDir(filepath.Join(base, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") {
				rel, _ := filepath.Rel(base, path)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestTransportAndHTTPAtTheEdge(t *testing.T) {
	t.Parallel()
	base := root(t)
	fset := token.NewFileSet()
	for _, file := range goFiles(t, "pkg", "services", "bench", "deploy", "proto") {
		f, err := parser.ParseFile(fset, filepath.Join(base, file), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case path == asynqPath && strings.HasPrefix(file, "pkg/") && !strings.HasPrefix(file, "pkg/jobqueue/"):
				t.Errorf("%s imports asynq: under pkg/ only pkg/jobqueue may (domain code takes delivery.Jobs)", file)
			case strings.HasPrefix(path, ginPath) && !strings.HasPrefix(file, "services/"):
				t.Errorf("%s imports gin: only services/ may", file)
			}
		}
	}
}

var sqlKeyword = regexp.MustCompile(`\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN|INTO|TABLE)\b`)

func tableWords() *regexp.Regexp {
	names := make([]string, 0, len(owners))
	for name := range owners {
		names = append(names, regexp.QuoteMeta(name))
	}
	sort.Strings(names)
	return regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
}

// TestTablesNamedOnlyByTheirOwners looks at every string that is SQL: a
// constant handed to a gorm method (SQL, conditions, a table name), a
// literal with an SQL keyword, what a TableName method returns.
func TestTablesNamedOnlyByTheirOwners(t *testing.T) {
	t.Parallel()
	tables := tableWords()
	base := root(t)
	for _, p := range loadPackages(t) {
		pkg := strings.TrimPrefix(p.PkgPath, module)
		for _, f := range p.Syntax {
			file := p.Fset.Position(f.Pos()).Filename
			if rel, _ := filepath.Rel(base, file); filepath.ToSlash(rel) == schemaFile {
				continue
			}
			reported := map[token.Pos]bool{}
			check := func(at ast.Node, text string) {
				if reported[at.Pos()] {
					return
				}
				reported[at.Pos()] = true
				for _, table := range tables.FindAllString(text, -1) {
					if owners[table] != pkg {
						t.Errorf("%s: SQL names table %s, which %s owns: call its store instead", p.Fset.Position(at.Pos()), table, owners[table])
					}
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if isGormMethod(p.TypesInfo, n) {
						for _, arg := range n.Args {
							if tv, ok := p.TypesInfo.Types[arg]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
								check(arg, constant.StringVal(tv.Value))
							}
						}
					}
				case *ast.FuncDecl:
					if n.Name.Name == "TableName" && n.Body != nil {
						ast.Inspect(n.Body, func(m ast.Node) bool {
							if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == token.STRING {
								check(lit, lit.Value)
							}
							return true
						})
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING && sqlKeyword.MatchString(n.Value) {
						check(n, n.Value)
					}
				}
				return true
			})
		}
	}
}

var loaded struct {
	once sync.Once
	pkgs []*packages.Package
	err  error
}

// loadPackages type-checks the non-test code of pkg/ and services/ (the
// test helpers of pkg/testkit aside), once for all tests.
func loadPackages(t *testing.T) []*packages.Package {
	t.Helper()
	loaded.once.Do(func() {
		cfg := &packages.Config{
			Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
			Dir:  root(t),
		}
		pkgs, err := packages.Load(cfg, module+"pkg/...", module+"services/...")
		for _, p := range pkgs {
			for _, e := range p.Errors {
				err = fmt.Errorf("load %s: %v", p.PkgPath, e)
			}
			if !strings.HasPrefix(p.PkgPath, module+"pkg/testkit") {
				loaded.pkgs = append(loaded.pkgs, p)
			}
		}
		loaded.err = err
	})
	if loaded.err != nil {
		t.Fatal(loaded.err)
	}
	if len(loaded.pkgs) < 20 {
		t.Fatalf("loaded %d packages: the patterns matched too little", len(loaded.pkgs))
	}
	return loaded.pkgs
}

func TestEveryTableHasAnOwner(t *testing.T) {
	t.Parallel()
	schema, err := os.ReadFile(filepath.Join(root(t), schemaFile))
	if err != nil {
		t.Fatal(err)
	}
	created := regexp.MustCompile(`CREATE TABLE (?:IF NOT EXISTS )?(\w+)`).FindAllStringSubmatch(string(schema), -1)
	if len(created) == 0 {
		t.Fatal("the schema creates no table: did it move?")
	}
	for _, m := range created {
		if owners[m[1]] == "" {
			t.Errorf("table %s has no owner: add it to owners here and to ARCHITECTURE.md", m[1])
		}
	}
}

// TestNoForeignRows loads every package with types and refuses a call of a
// gorm method that is given a value of a type declared in another of
// Herald's packages: that is a table read or written through someone
// else's row type.
func TestNoForeignRows(t *testing.T) {
	t.Parallel()
	for _, p := range loadPackages(t) {
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || !isGormMethod(p.TypesInfo, call) {
					return true
				}
				for _, arg := range call.Args {
					if named := declaredType(p.TypesInfo.TypeOf(arg)); named != nil {
						if owner := named.Obj().Pkg(); owner != nil && strings.HasPrefix(owner.Path(), module) && owner.Path() != p.PkgPath {
							t.Errorf("%s: gorm is given %s.%s, a type of another package: use that package's store",
								p.Fset.Position(arg.Pos()), owner.Name(), named.Obj().Name())
						}
					}
				}
				return true
			})
		}
	}
}

// isGormMethod reports whether call calls a method gorm.DB declares
// (directly or through database.DB, which embeds it).
func isGormMethod(info *types.Info, call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "gorm.io/gorm" {
		return false
	}
	recv := fn.Signature().Recv()
	return recv != nil && declaredType(recv.Type()) != nil && declaredType(recv.Type()).Obj().Name() == "DB"
}

// declaredType is the named type at the bottom of pointers, slices and
// arrays, if any.
func declaredType(t types.Type) *types.Named {
	for t != nil {
		switch u := t.(type) {
		case *types.Pointer:
			t = u.Elem()
		case *types.Slice:
			t = u.Elem()
		case *types.Array:
			t = u.Elem()
		case *types.Named:
			return u
		case *types.Alias:
			t = types.Unalias(u)
		default:
			return nil
		}
	}
	return nil
}
