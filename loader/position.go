package loader

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// positions finds where a key path is written in the compose files, to
// point refusals at file:line. Files are parsed lazily, once, and only when
// there is something to report: a successful load never pays for it.
type positions struct {
	files []string // absolute compose files, in merge order
	docs  map[string]*yaml.Node
}

func newPositions(files []string) *positions {
	return &positions{files: files, docs: map[string]*yaml.Node{}}
}

// find returns the file and line of the deepest prefix of path present in a
// compose file, requiring at least minDepth segments to match. Later files
// win ties: they override earlier ones. A segment "[3]" indexes a sequence.
func (p *positions) find(path []string, minDepth int) (string, int, bool) {
	bestFile, bestLine, bestDepth := "", 0, 0
	for _, f := range p.files {
		root := p.doc(f)
		if root == nil {
			continue
		}
		line, depth := lookup(root, path)
		if depth >= minDepth && depth >= bestDepth {
			bestFile, bestLine, bestDepth = f, line, depth
		}
	}
	return bestFile, bestLine, bestFile != ""
}

func (p *positions) doc(file string) *yaml.Node {
	if n, ok := p.docs[file]; ok {
		return n
	}
	var root *yaml.Node
	if data, err := os.ReadFile(file); err == nil {
		var doc yaml.Node
		// A file compose-go accepted parses; if not, we simply lack a line.
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
			root = doc.Content[0]
		}
	}
	p.docs[file] = root
	return root
}

// lookup walks path from node and returns the line of the last segment it
// could follow and how many segments matched.
func lookup(node *yaml.Node, path []string) (line, depth int) {
	for _, seg := range path {
		next, keyLine := child(node, seg)
		if next == nil {
			return line, depth
		}
		node, line, depth = next, keyLine, depth+1
	}
	return line, depth
}

// child returns the value under seg and the line where seg is written.
func child(node *yaml.Node, seg string) (*yaml.Node, int) {
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == seg {
				return node.Content[i+1], node.Content[i].Line
			}
		}
		// Follow YAML merge keys (`<<: *base`) so anchored keys are found.
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == "<<" {
				if n, line := child(node.Content[i+1], seg); n != nil {
					return n, line
				}
			}
		}
	case yaml.SequenceNode:
		idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]"))
		if err == nil && idx >= 0 && idx < len(node.Content) {
			return node.Content[idx], node.Content[idx].Line
		}
	}
	return nil, 0
}

// display shortens path for messages: relative to the caller's cwd when
// below it, absolute otherwise.
func (s *session) display(path string) string {
	rel, err := filepath.Rel(s.cwd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
