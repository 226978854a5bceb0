"""Fuzz rules proposed for harness/fuzz/bpe/system.py but not merged yet, as a SystemMachine subclass, so a
proposal can be checked against the survivors it is meant for before it goes into the machine that
`make verify` and tests/system run (mutants/SURVIVORS.md says which):

    .venv/bin/python -m harness.mutate run --resume --only <ids> --machine harness.mutate.bpe.proposed_rules:ProposedMachine

Every rule proposed here so far is merged into SystemMachine (its "focused rules"); the class is the
place for the next proposal.
"""
from harness.fuzz.bpe.system import SystemMachine


class ProposedMachine(SystemMachine):
    pass
