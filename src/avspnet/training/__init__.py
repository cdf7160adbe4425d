"""Pre-training of the eight front-ends and transfer to labeled corpora."""
