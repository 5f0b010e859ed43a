package ole

func (w *walker) pptText(n *node, t *textSink) error { return ErrNoText }
