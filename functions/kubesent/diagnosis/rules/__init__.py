"""The deterministic rules, one module per failure family, and the ordered ``registry``.

Each rule is pure, ``(Evidence, RuleContext) -> Diagnosis | None``, and answers only when it is sure.
``text`` holds the RE2 helpers the rules share. May import the diagnosis schema and context,
the evidence stage and the base; never the model client, the policy or the pipeline.
"""
