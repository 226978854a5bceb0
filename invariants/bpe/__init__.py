"""BPE's proof strategies beyond the generic prover core."""
