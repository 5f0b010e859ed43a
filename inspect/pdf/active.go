package pdf

import "fmt"

// Active content is found in parsed objects: as dictionary keys and /S,
// /Type and /Subtype values after #xx decoding, in every object of every
// revision, object stream members included. A raw grep of the file would
// flag text that merely mentions JavaScript and miss /J#61vaScript.
//
// Details (stable, matched by policy and tests):
//
//	/JavaScript   /JS or /JavaScript key, or an action /S /JavaScript
//	              (ISO 32000-1 12.6.4.16, 7.7.4 name tree)
//	/OpenAction   the catalog's open action is a risky action (12.3.1)
//	/AA           an additional action is a risky action (12.6.3)
//	/Launch       a launch action (12.6.4.5)
//	/EmbeddedFile embedded files: /EmbeddedFiles, /EF, /Type
//	              /EmbeddedFile, /FileAttachment annotations (7.11.4, 12.5.6.15)
//	/RichMedia    rich media annotations and actions (ISO 32000-2 13.7)
//	/XFA          an XFA form (12.7.8)

// riskyActions are the action types (ISO 32000-1 12.6.4, Table 198) that
// make an automatic /OpenAction or /AA worth reporting: they run code, start
// programs, send data, open other documents or the network. /GoTo and
// destinations are harmless: normal documents open on a page.
var riskyActions = map[name]bool{
	"JavaScript": true, "Launch": true, "SubmitForm": true, "ImportData": true,
	"GoToR": true, "GoToE": true, "URI": true, "Rendition": true,
	"RichMediaExecute": true,
}

// actionBudget bounds how many actions one /OpenAction or /AA chain
// (through /Next) may visit: chains can loop.
const actionBudget = 64

// maxNameBytes caps a file name kept from a file specification.
const maxNameBytes = 1024

// scan looks at value v of object owner; st is the stream v belongs to, if
// any.
func (d *doc) scan(v object, owner objInfo, st *stream) {
	switch x := v.(type) {
	case array:
		for _, e := range x {
			d.scan(e, owner, nil)
		}
	case *stream:
		d.scanDict(x.d, owner, x)
	case dict:
		d.scanDict(x, owner, nil)
	}
}

func (d *doc) scanDict(x dict, owner objInfo, st *stream) {
	for _, e := range x {
		switch e.k {
		case "JS", "JavaScript":
			d.flag("/JavaScript")
		case "S":
			switch e.v {
			case name("JavaScript"):
				d.flag("/JavaScript")
			case name("Launch"):
				d.flag("/Launch")
			case name("RichMediaExecute"):
				d.flag("/RichMedia")
			}
		case "OpenAction":
			budget := actionBudget
			d.action("/OpenAction", e.v, &budget)
		case "AA":
			budget := actionBudget
			d.additional(e.v, &budget)
		case "EmbeddedFiles":
			d.flag("/EmbeddedFile")
		case "EF":
			d.flag("/EmbeddedFile")
			d.fileSpec(x, e.v, owner)
		case "Type":
			if e.v == name("EmbeddedFile") {
				d.flag("/EmbeddedFile")
				if st != nil {
					d.efTyped = append(d.efTyped, st)
				}
			}
		case "Subtype":
			switch e.v {
			case name("FileAttachment"):
				d.flag("/EmbeddedFile")
			case name("RichMedia"):
				d.flag("/RichMedia")
			}
		case "RichMediaContent", "RichMediaSettings":
			d.flag("/RichMedia")
		case "XFA":
			d.flag("/XFA")
		case "ByteRange":
			d.sigHint = true // signature.go: worth looking for signatures
		}
		switch e.v.(type) {
		case array, dict:
			d.scan(e.v, owner, nil)
		}
	}
}

// action checks an action (or a destination) reached from label.
func (d *doc) action(label string, v object, budget *int) {
	if *budget <= 0 {
		return
	}
	*budget--
	switch x := v.(type) {
	case ref:
		if !d.resolving {
			d.actions = append(d.actions, pendingAction{label: label, r: x})
			return
		}
		d.action(label, d.resolve(x), budget)
	case dict:
		if s, ok := x.get("S").(name); ok && riskyActions[s] {
			d.flag(label)
		}
		switch n := x.get("Next").(type) {
		case array:
			for _, e := range n {
				d.action(label, e, budget)
			}
		case nil:
		default:
			d.action(label, n, budget)
		}
	}
}

// additional checks an additional-actions dictionary (ISO 32000-1 12.6.3).
func (d *doc) additional(v object, budget *int) {
	switch x := v.(type) {
	case ref:
		if !d.resolving {
			d.actions = append(d.actions, pendingAction{label: "/AA", r: x, aa: true})
			return
		}
		d.additional(d.resolve(x), budget)
	case dict:
		for _, e := range x {
			d.action("/AA", e.v, budget)
		}
	}
}

// fileSpec records the embedded file streams of a file specification fs
// (ISO 32000-1 7.11.3 Table 44) whose /EF is ef.
func (d *doc) fileSpec(fs dict, ef object, owner objInfo) {
	var fname []byte
	for _, k := range []name{"UF", "F"} {
		if s, ok := fs.get(k).(str); ok && len(s) > 0 {
			fname = append([]byte(nil), s[:min(len(s), maxNameBytes)]...)
			break
		}
	}
	if efd, ok := ef.(dict); ok {
		// Keep only the references: the dictionary may be large.
		var refs array
		for _, e := range efd {
			if r, ok := e.v.(ref); ok && len(refs) < 8 {
				refs = append(refs, r)
			}
		}
		ef = refs
	}
	d.efs = append(d.efs, pendingEF{ef: ef, fname: fname, owner: owner})
}

// resolveActions checks the actions that were references.
func (d *doc) resolveActions() {
	d.resolving = true
	for _, a := range d.actions {
		if d.seen[a.label] {
			continue
		}
		budget := actionBudget
		if a.aa {
			d.additional(a.r, &budget)
		} else {
			d.action(a.label, a.r, &budget)
		}
	}
	d.actions = nil
}

// collectEmbedded lists the embedded file streams, named by their file
// specification, once each. Streams of type /EmbeddedFile that no file
// specification names are listed too.
func (d *doc) collectEmbedded() {
	seen := map[int64]bool{}
	addStream := func(v object, fname string) {
		st, ok := d.resolve(v).(*stream)
		if !ok || seen[st.off] {
			return
		}
		seen[st.off] = true
		if fname == "" {
			fname = fmt.Sprintf("embedded-%d", st.num)
		}
		d.embedded = append(d.embedded, embeddedFile{st: st, name: fname})
	}
	for _, p := range d.efs {
		fname := ""
		if p.fname != nil {
			b := []byte(p.fname)
			if d.sec != nil && !p.owner.inStm {
				b = d.sec.decrypt(b, p.owner.num, p.owner.gen, d.sec.str)
			}
			fname = fileName(textString(b))
		}
		switch ef := d.resolve(p.ef).(type) {
		case array:
			for _, r := range ef {
				addStream(r, fname)
			}
		case dict:
			for i, e := range ef {
				if i >= 8 {
					break
				}
				addStream(e.v, fname)
			}
		}
	}
	for _, st := range d.efTyped {
		if !seen[st.off] {
			seen[st.off] = true
			d.embedded = append(d.embedded, embeddedFile{st: st, name: fmt.Sprintf("embedded-%d", st.num)})
		}
	}
}
