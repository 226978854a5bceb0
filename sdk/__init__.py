"""BPE agent SDK: deployment, typed contract clients, sink and source agents, the keeper service.

See docs/sdk.md. Everything talks to a JSON-RPC node through web3.py (`sdk.chain.Chain`).
"""
