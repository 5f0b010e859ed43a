package all

import (
	"github.com/officemilter/officemilter/inspect"
	"github.com/officemilter/officemilter/inspect/mime"
)

// addMime registers the message inspector: an .eml file or a
// message/rfc822 attachment is walked like a container.
func addMime(m map[inspect.Family]inspect.Inspector) {
	m[inspect.FamilyEML] = mime.New(mime.Limits{})
}
