"""BPE, Backpressure Economics: its declaration (`specs.bpe.suite.SUITE`)."""
