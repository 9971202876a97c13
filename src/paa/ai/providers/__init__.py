"""Model providers behind one streaming interface; `paa.ai.providers.select` picks one for a run."""
