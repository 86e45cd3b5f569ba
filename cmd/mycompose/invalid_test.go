package main

// TestInvalid runs every broken project of testdata/invalid/ and checks that
// mycompose refuses it the same way each time: exit code 1, a golden stderr
// that points at the problem (file:line or the offending argument), no stack
// trace, nothing on stdout, and an engine that gained nothing.
//
// A case is a directory holding the project files plus these meta files:
//
//	args        the command line, one argument per line (required)
//	expected    the golden stderr, $DIR and $PROJECT standing for the case
//	            directory and the project name, $ENGINE_VERSION for the
//	            engine's release (rewritten by -update)
//	where       the text that locates the problem and that the golden must
//	            contain: "<file>.yaml:<line>" (or .env), text taken from an
//	            argument or an env value, or, for a problem of a file
//	            itself (a directory, a looping link), the file's name
//	gap         instead of where: why the message cannot locate the problem
//	            yet (a known gap, reported; the test fails once it is fixed so
//	            that the marker is replaced with where)
//	env         optional extra environment, KEY=VALUE per line
//	unreadable  optional paths to chmod 000 after the copy (as root, the
//	            case runs as user nobody, for whom chmod 000 means something)
//
// In args, env and where, $DIR and $PROJECT are expanded. Unless the case
// sets -p/--project-name or COMPOSE_PROJECT_NAME, the project is named by a
// unique COMPOSE_PROJECT_NAME.
//
//	go test ./cmd/mycompose -run TestInvalid -update   # rewrite the goldens

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var updateGoldens = flag.Bool("update", false, "rewrite the expected stderr of testdata/invalid cases")

const invalidDir = "../../testdata/invalid"

// invalidMeta are the files of a case that are not part of the project.
var invalidMeta = map[string]bool{"args": true, "expected": true, "where": true, "gap": true, "env": true, "unreadable": true}

// fileLineRE recognizes a location "compose.yaml:12" (.yml, .env) in a message.
var fileLineRE = regexp.MustCompile(`[\w./-]*(?:\.ya?ml|\.env|env):[0-9]+\b`)

func TestInvalid(t *testing.T) {
	entries, err := os.ReadDir(invalidDir)
	if err != nil {
		t.Fatal(err)
	}
	// The engine is checked once, after every case has run (the parent's
	// cleanup runs after its parallel subtests): one listing each of
	// containers, networks and volumes instead of several per case.
	var mu sync.Mutex
	var runs []invalidRun
	t.Cleanup(func() { assertEngineGainedNothing(t, runs) })
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runInvalidCase(t, name, func(r invalidRun) {
				mu.Lock()
				runs = append(runs, r)
				mu.Unlock()
			})
		})
	}
	if n < 60 {
		t.Errorf("only %d cases in %s, want at least 60", n, invalidDir)
	}
}

// invalidRun is what a case may have left in the engine: objects of its
// projects, or containers whose working directory is its directory.
type invalidRun struct {
	name     string
	dir      string
	projects []string
}

// assertEngineGainedNothing lists the engine's containers, networks and
// volumes once and fails for (and removes) any a case created.
func assertEngineGainedNothing(t *testing.T, runs []invalidRun) {
	if len(runs) == 0 {
		return
	}
	owner := map[string]string{} // project -> case
	for _, r := range runs {
		for _, p := range r.projects {
			if p != "" {
				owner[p] = r.name
			}
		}
	}
	// Whatever project name a command ended up using, its containers carry
	// the case directory as their working directory.
	ownerOfDir := func(wd string) (string, bool) {
		for _, r := range runs {
			if wd == r.dir || strings.HasPrefix(wd, r.dir+string(filepath.Separator)) {
				return r.name, true
			}
		}
		return "", false
	}
	const project, workdir = `{{.Label "com.docker.compose.project"}}`, `{{.Label "com.docker.compose.project.working_dir"}}`
	for _, kind := range []struct{ list, rm []string }{
		{[]string{"ps", "-a", "--format", "{{.ID}}\t" + project + "\t" + workdir}, []string{"rm", "-fv"}},
		{[]string{"network", "ls", "--format", "{{.ID}}\t" + project}, []string{"network", "rm"}},
		{[]string{"volume", "ls", "--format", "{{.Name}}\t" + project}, []string{"volume", "rm", "-f"}},
	} {
		for _, line := range dockerLines(t, kind.list...) {
			f := strings.Split(line, "\t")
			if len(f) < 2 {
				continue
			}
			c, ok := owner[f[1]]
			if !ok && len(f) > 2 {
				c, ok = ownerOfDir(f[2])
			}
			if !ok {
				continue
			}
			t.Errorf("%s: the failed command left %s %s (project %q) in the engine", c, kind.list[0], f[0], f[1])
			exec.Command("docker", append(kind.rm, f[0])...).Run()
		}
	}
}

// runInvalidCase runs one case; record receives what it may have left in
// the engine, even when the case fails half-way.
func runInvalidCase(t *testing.T, name string, record func(invalidRun)) {
	src := filepath.Join(invalidDir, name)
	suffix := make([]byte, 4)
	rand.Read(suffix)
	projectName := "inv-" + hex.EncodeToString(suffix)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, name)
	if err := copyCase(src, dir); err != nil {
		t.Fatalf("copy case: %v", err)
	}
	bin, cred := binary, (*syscall.Credential)(nil)
	if _, err := os.Stat(filepath.Join(src, "unreadable")); err == nil && os.Geteuid() == 0 {
		// Root reads a chmod 000 file anyway: run this case as nobody.
		bin, cred = asNobody(t, tmp)
	}
	// Projects whose containers, networks or volumes must not exist after
	// the run: the unique name, and any name the case gives itself.
	projects := []string{projectName}
	defer func() { record(invalidRun{name: name, dir: dir, projects: projects}) }()
	expand := strings.NewReplacer("$DIR", dir, "$PROJECT", projectName).Replace

	args := readLines(t, filepath.Join(src, "args"), true)
	for i := range args {
		args[i] = expand(args[i])
	}
	caseEnv := readLines(t, filepath.Join(src, "env"), false)
	for i := range caseEnv {
		caseEnv[i] = expand(caseEnv[i])
	}
	for _, p := range readLines(t, filepath.Join(src, "unreadable"), false) {
		if err := os.Chmod(filepath.Join(dir, p), 0); err != nil {
			t.Fatal(err)
		}
	}

	env := hermeticEnv()
	if !setsProjectName(args, caseEnv) {
		env = append(env, "COMPOSE_PROJECT_NAME="+projectName)
	}
	for i, a := range args {
		if (a == "-p" || a == "--project-name") && i+1 < len(args) {
			projects = append(projects, args[i+1])
		}
	}
	for _, kv := range caseEnv {
		if v, ok := strings.CutPrefix(kv, "COMPOSE_PROJECT_NAME="); ok && v != "" {
			projects = append(projects, v)
		}
	}
	env = append(env, caseEnv...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run mycompose %q: %v", args, err)
	}
	got := normalizeStderr(stderr.String(), dir, projectName)

	if code != 1 {
		t.Errorf("mycompose %q: exit code %d, want 1", args, code)
	}
	if stdout.Len() != 0 {
		t.Errorf("mycompose %q printed on stdout:\n%s", args, stdout.String())
	}
	for _, bad := range []string{"goroutine ", "panic:", "internal error", ".go:"} {
		if strings.Contains(got, bad) {
			t.Errorf("stderr contains %q (a crash or a stack trace):\n%s", bad, got)
		}
	}

	golden := filepath.Join(src, "expected")
	if *updateGoldens {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(golden); err != nil {
		t.Errorf("no golden (run with -update): %v\nstderr:\n%s", err, got)
	} else if got != string(want) {
		t.Errorf("stderr differs from %s (run with -update to accept)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}

	checkLocated(t, src, got, args, caseEnv, expand)
}

// checkLocated asserts that the message points at the problem: the case's
// where text is in the message and is a file:line or comes from the command
// line or the environment; or, for a known gap, that it still is one.
func checkLocated(t *testing.T, src, got string, args, caseEnv []string, expand func(string) string) {
	t.Helper()
	where := readLines(t, filepath.Join(src, "where"), false)
	gap := readLines(t, filepath.Join(src, "gap"), false)
	switch {
	case len(where) == 1 && len(gap) == 0:
		w := expand(where[0])
		if !strings.Contains(got, where[0]) && !strings.Contains(got, w) {
			t.Errorf("the message does not contain the location %q:\n%s", where[0], got)
		}
		if fileLineRE.MatchString(w) {
			return
		}
		for _, s := range append(append([]string(nil), args...), caseEnv...) {
			if strings.Contains(s, w) {
				return
			}
		}
		// A problem with a file itself (a directory, a looping link) has
		// no line: naming the file is the location.
		if _, err := os.Lstat(filepath.Join(src, w)); err == nil && !invalidMeta[w] {
			return
		}
		t.Errorf("where %q is neither a file:line, text of an argument or env value %q, nor a file of the case", w, append(args, caseEnv...))
	case len(gap) > 0 && len(where) == 0:
		t.Logf("known gap: %s", strings.Join(gap, " "))
		if loc := fileLineRE.FindString(got); loc != "" {
			t.Errorf("the message now names %s: replace the gap file with a where file", loc)
		}
	default:
		t.Errorf("a case needs exactly one of: a one-line where file, a gap file")
	}
}

// asNobody prepares a run as user nobody: the temp directory (and its
// parent, created 0700) opened to all, and a copy of the binary there.
func asNobody(t *testing.T, tmp string) (string, *syscall.Credential) {
	t.Helper()
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "mycompose")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, &syscall.Credential{Uid: 65534, Gid: 65534}
}

// normalizeStderr replaces the case directory, the project name and the
// engine's release (named by refusals of keys its API lacks) with
// placeholders.
func normalizeStderr(s, dir, projectName string) string {
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		s = strings.ReplaceAll(s, real, "$DIR")
	}
	s = strings.ReplaceAll(s, dir, "$DIR")
	if v := engineRelease(); v != "" {
		s = strings.ReplaceAll(s, "(Docker "+v+")", "(Docker $ENGINE_VERSION)")
	}
	return strings.ReplaceAll(s, projectName, "$PROJECT")
}

// engineRelease is the engine's version ("20.10.24+dfsg1"), asked once.
var engineRelease = sync.OnceValue(func() string {
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// hermeticEnv is the environment the binary runs with: enough to find the
// engine, nothing that configures compose behind the case's back.
func hermeticEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func setsProjectName(args, env []string) bool {
	for _, a := range args {
		if a == "-p" || a == "--project-name" || strings.HasPrefix(a, "--project-name=") || (strings.HasPrefix(a, "-p") && len(a) > 2 && !strings.HasPrefix(a, "--")) {
			return true
		}
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "COMPOSE_PROJECT_NAME=") {
			return true
		}
	}
	return false
}

// readLines returns the lines of a file without the final newline; a
// missing file is an error only when required.
func readLines(t *testing.T, path string, required bool) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		if !required && os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// copyCase copies a case directory without its meta files, keeping
// symbolic links as links (a case may be a dangling or looping link).
func copyCase(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if invalidMeta[rel] {
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
