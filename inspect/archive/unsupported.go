package archive

import (
	"context"
	"errors"

	"github.com/officemilter/officemilter/inspect"
)

func inspectXZ(ctx context.Context, p inspect.Part, s inspect.Scope) error {
	return errors.New("cannot open xz archive: not supported")
}
