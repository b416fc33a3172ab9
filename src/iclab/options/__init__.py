"""Option builders and checks shared by every ``iclab`` verb (the top-level CLI and the analyses' own verbs): ``--device``/``--dtype``, list parsing, checks run before any model loads."""
