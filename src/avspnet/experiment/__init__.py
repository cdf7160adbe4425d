"""The paper's experiment as one reproducible run: pre-train front-ends, transfer, report."""
