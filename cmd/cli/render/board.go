// Package render is the live progress view of a terminal: a summary line
// ("[+] Running 5/7"), then one line per engine object in aligned columns
// (kind, name, state, detail, elapsed), each with optional child lines
// (an image's layers while they download, a build's steps while they run)
// that collapse when their object is done.
//
// Board holds the state; Frame lays it out for a width, purely; TTY redraws
// it in place on a terminal.
package render

import (
	"time"
)

// State says whether a line is still moving.
type State int

// Line states. Only Working lines carry a spinner.
const (
	Working State = iota
	Done
	Warned
	Failed
	// Stopped is a line that was still working when the view ended.
	Stopped
)

// doneWords are the status words that end an object's clock.
var doneWords = map[string]bool{
	"Created": true, "Started": true, "Recreated": true, "Stopped": true, "Removed": true,
	"Renamed": true, "Healthy": true, "Exited": true, "Pulled": true, "Pushed": true,
	"Skipped": true, "Built": true, "Running": true, "Killed": true, "Paused": true,
	"Unpaused": true, "Restarted": true, "Done": true,
}

// StateOf classifies an event's status word.
func StateOf(status string) State {
	switch {
	case status == "Error":
		return Failed
	case status == "Warning":
		return Warned
	case doneWords[status]:
		return Done
	}
	return Working
}

// Line is one row of the view.
type Line struct {
	Kind   string // "Container", "Image"...; "" for child lines
	Name   string
	Status string
	Detail string
	State  State
	// Current and Total are bytes; a line with Total > 0 shows a bar and
	// the byte counts instead of its detail while it is working.
	Current, Total int64
	Start, End     time.Time
}

// Object is a top-level line with its children.
type Object struct {
	Line
	Children []*Line
	children map[string]*Line
}

// Board is the state of one view. It is not safe for concurrent use: the
// TTY writer serializes access.
type Board struct {
	// Action is the summary line's verb: Running, Stopping, Removing,
	// Pulling, Pushing, Building, Creating...
	Action   string
	objects  []*Object
	byKey    map[string]*Object
	expected map[string]bool
}

func key(kind, name string) string { return kind + "\x00" + name }

// Expect counts an object in the summary's total before its first event,
// so that the total is what is planned rather than what has started.
func (b *Board) Expect(kind, name string) {
	if b.expected == nil {
		b.expected = map[string]bool{}
	}
	b.expected[key(kind, name)] = true
}

// object returns the object, created at now on first sight.
func (b *Board) object(kind, name string, now time.Time) *Object {
	if b.byKey == nil {
		b.byKey = map[string]*Object{}
	}
	k := key(kind, name)
	o, ok := b.byKey[k]
	if !ok {
		o = &Object{Line: Line{Kind: kind, Name: name, Start: now}, children: map[string]*Line{}}
		b.byKey[k] = o
		b.objects = append(b.objects, o)
	}
	return o
}

// Set records an object's new status. The clock keeps its first start; a
// done, warned or failed status stops it, a working one restarts it.
func (b *Board) Set(kind, name, status, detail string, now time.Time) {
	o := b.object(kind, name, now)
	o.Status, o.Detail, o.State = status, detail, StateOf(status)
	o.End = time.Time{}
	if o.State != Working {
		o.End = now
	}
}

// SetBytes records an object's transfer progress (bytes done of total).
func (b *Board) SetBytes(kind, name string, current, total int64, now time.Time) {
	o := b.object(kind, name, now)
	o.Current, o.Total = current, total
}

// Child records the status of one child line (id) of an object; children
// show under their object, in order of first sight, while it is working.
func (b *Board) Child(kind, name, id string, c Line, now time.Time) {
	o := b.object(kind, name, now)
	l, ok := o.children[id]
	if !ok {
		l = &Line{Start: now}
		o.children[id] = l
		o.Children = append(o.Children, l)
	}
	start, end := l.Start, l.End
	*l = c
	l.Name, l.Start = id, start
	switch {
	case c.State == Working:
		l.End = time.Time{}
	case end.IsZero():
		l.End = now
	default:
		l.End = end
	}
}

// Interrupt ends the view with the objects still working frozen: their
// clock stops and they show markStopped rather than a spinner, since
// nothing moves any more (Ctrl-C, an error elsewhere).
func (b *Board) Interrupt(now time.Time) {
	freeze := func(l *Line) {
		if l.State == Working {
			l.State, l.End = Stopped, now
		}
	}
	for _, o := range b.objects {
		freeze(&o.Line)
		for _, c := range o.Children {
			freeze(c)
		}
	}
}

// Counts returns the objects done (whatever the outcome) and the total:
// those seen plus those expected and not seen yet.
func (b *Board) Counts() (done, total int) {
	for _, o := range b.objects {
		if o.State != Working && o.State != Stopped {
			done++
		}
	}
	total = len(b.objects)
	for k := range b.expected {
		if _, ok := b.byKey[k]; !ok {
			total++
		}
	}
	return done, total
}

// Objects returns the objects in order of first event.
func (b *Board) Objects() []*Object { return b.objects }
