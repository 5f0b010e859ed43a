package ole

func (w *walker) excelText(n *node, t *textSink) error { return ErrNoText }
