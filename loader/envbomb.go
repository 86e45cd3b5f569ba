package loader

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

// Caps on what .env files (and --env-file ones) may expand to. compose-go
// expands ${VAR} references while it reads them, so a few lines that each
// repeat the previous variable several times grow exponentially (an
// "expansion bomb") before any check can run.
const (
	maxEnvValue = 1 << 20  // one value, expanded
	maxEnvTotal = 16 << 20 // all values of the files, expanded
)

var envRef = lazyRegexp(`\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// checkEnvExpansion estimates, without expanding anything, how long each
// value of the env files compose-go is about to read becomes once its
// references are expanded, and refuses files that pass the caps. It runs
// just before cli.WithDotEnv.
func (s *session) checkEnvExpansion(o *cli.ProjectOptions) error {
	size := map[string]int{}
	for k, v := range o.Environment {
		size[k] = len(v)
	}
	total := 0
	for _, file := range o.EnvFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			continue // compose-go reports it
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for line := 1; sc.Scan(); line++ {
			text := strings.TrimSpace(sc.Text())
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			key, value, ok := strings.Cut(strings.TrimPrefix(text, "export "), "=")
			if !ok {
				continue
			}
			key = strings.TrimSpace(key)
			n := len(value)
			if !strings.HasPrefix(strings.TrimSpace(value), "'") { // single quotes: literal
				for _, m := range envRef().FindAllStringSubmatch(value, -1) {
					name := m[1] + m[2]
					n += size[name]
					if n > maxEnvValue {
						break
					}
				}
			}
			if n > maxEnvValue {
				return fmt.Errorf("%s:%d: %s expands to more than %d bytes: values in env files are capped (references that repeat other variables grow exponentially)", s.display(file), line, key, maxEnvValue)
			}
			size[key] = n
			if total += n; total > maxEnvTotal {
				return fmt.Errorf("%s:%d: the env files expand to more than %d bytes in all: they are capped", s.display(file), line, maxEnvTotal)
			}
		}
	}
	return nil
}
