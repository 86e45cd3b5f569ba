package loader

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidCorpus loads the broken projects of testdata/invalid (see
// cmd/mycompose/invalid_test.go) without an engine: every case whose command
// line is global flags then `up -d` or `config -q`, and that the loader
// refuses, must fail with exactly the message of its golden stderr. Cases
// the loader accepts fail later (planner, engine) and are left to the
// end-to-end test.
func TestInvalidCorpus(t *testing.T) {
	root := filepath.Join("..", "testdata", "invalid")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(root, name)
			golden, err := os.ReadFile(filepath.Join(src, "expected"))
			if err != nil {
				t.Fatalf("case %s has no expected file: %v", name, err)
			}
			dir := filepath.Join(t.TempDir(), name)
			if err := copyCorpusCase(src, dir); err != nil {
				t.Fatal(err)
			}
			const projectName = "inv-loader"
			expand := strings.NewReplacer("$DIR", dir, "$PROJECT", projectName).Replace
			opts, ok := corpusOptions(lines(t, filepath.Join(src, "args")), expand)
			if !ok {
				return // not a loader case (other flags or commands): TestInvalid covers it end to end
			}
			opts.WorkDir = dir
			opts.Environ = []string{}
			setsName := opts.ProjectName != ""
			for _, kv := range lines(t, filepath.Join(src, "env")) {
				opts.Environ = append(opts.Environ, expand(kv))
				setsName = setsName || strings.HasPrefix(kv, "COMPOSE_PROJECT_NAME=")
			}
			if !setsName {
				opts.Environ = append(opts.Environ, "COMPOSE_PROJECT_NAME="+projectName)
			}
			_, err = Load(context.Background(), opts)
			if err == nil {
				return // the loader accepts it, the error comes later: TestInvalid covers it end to end
			}
			got := "Error: " + err.Error() + "\n"
			got = strings.ReplaceAll(strings.ReplaceAll(got, dir, "$DIR"), projectName, "$PROJECT")
			if got != string(golden) {
				t.Errorf("loader error differs from %s\ngot:\n%s\nwant:\n%s", filepath.Join(src, "expected"), got, golden)
			}
		})
	}
}

// corpusOptions parses global flags followed by `up -d` or `config -q`.
func corpusOptions(args []string, expand func(string) string) (Options, bool) {
	var o Options
	for i := 0; i < len(args); i++ {
		a := expand(args[i])
		if a == "up" || a == "config" {
			rest := strings.Join(args[i:], " ")
			return o, rest == "up -d" || rest == "config -q"
		}
		if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
			return o, false
		}
		v := expand(args[i+1])
		i++
		switch a {
		case "-f", "--file":
			o.Files = append(o.Files, v)
		case "-p", "--project-name":
			o.ProjectName = v
		case "--env-file":
			o.EnvFiles = append(o.EnvFiles, v)
		case "--project-directory":
			o.ProjectDirectory = v
		case "--profile":
			o.Profiles = append(o.Profiles, v)
		default:
			return o, false
		}
	}
	return o, false
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// copyCorpusCase copies a case without its meta files, keeping symbolic
// links as links.
func copyCorpusCase(src, dst string) error {
	meta := map[string]bool{"args": true, "expected": true, "where": true, "gap": true, "env": true, "unreadable": true}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if meta[rel] {
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
