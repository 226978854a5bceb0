"""BPE's own pieces of the mutation campaign: the BPEMath library differential, the proposed fuzz rules."""
