"""BPE's fuzz machines: the whole system on the real Superfluid framework, and the smaller ones."""
