//go:build ignore

// typecheck type-checks packages for another GOOS with cgo on, without that
// system's C compiler or SDK: `import "C"` is faked (go/types FakeImportC), so
// uses of C are not checked, but everything else in the cgo files is. .ci/cross
// runs it for macOS, where the cgo files could otherwise not be checked on Linux.
//
//	go run .ci/typecheck.go darwin/arm64 ./perception ./actuation
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string
	Standard   bool
	DepOnly    bool
}

func main() {
	goos, goarch, ok := strings.Cut(strings.Join(os.Args[1:2], ""), "/")
	if len(os.Args) < 3 || !ok {
		fmt.Fprintln(os.Stderr, "usage: go run .ci/typecheck.go GOOS/GOARCH packages…")
		os.Exit(2)
	}
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,GoFiles,CgoFiles,ImportMap,Standard,DepOnly"}, os.Args[2:]...)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go list:", err)
		os.Exit(1)
	}
	var pkgs []*pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := new(pkg)
		if err := dec.Decode(p); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pkgs = append(pkgs, p)
	}
	fset := token.NewFileSet()
	done := map[string]*types.Package{"unsafe": types.Unsafe}
	failed := false
	// go list -deps lists dependencies before the packages that import them.
	for _, p := range pkgs {
		if p.ImportPath == "unsafe" {
			continue
		}
		var files []*ast.File
		for _, name := range append(p.GoFiles, p.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				failed = true
				continue
			}
			files = append(files, f)
		}
		report := !p.DepOnly // errors in dependencies are not ours (and often cgo fallout)
		conf := types.Config{
			FakeImportC: true,
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if m, ok := p.ImportMap[path]; ok {
					path = m
				}
				if t, ok := done[path]; ok {
					return t, nil
				}
				return nil, fmt.Errorf("%s is not loaded", path)
			}),
			Error: func(err error) {
				if report {
					fmt.Fprintln(os.Stderr, err)
					failed = true
				}
			},
		}
		t, _ := conf.Check(p.ImportPath, fset, files, nil)
		done[p.ImportPath] = t
	}
	if failed {
		os.Exit(1)
	}
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
