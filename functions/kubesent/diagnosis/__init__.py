"""The diagnosis stage: ordered deterministic rules first, then an optional model, behind one protocol.

- ``schema``: the typed vocabulary (remedy kinds, the remedy, the diagnosis).
- ``context``: what a rule may know besides the evidence (bounds, remediation history).
- ``rules/``: one module per failure family and the ordered registry.
- ``base``: the diagnoser protocol and its null implementation.
- ``llm``: Gemini through google-genai; the only importer of ``google.genai``.
- ``prompt`` (+ ``prompt.txt``) and ``validate``: what the model sees, and the checks on its answer.

May import the evidence stage and the base (and ``secrets`` for the model key); never the policy,
remedies, the ledger or the pipeline.
"""
