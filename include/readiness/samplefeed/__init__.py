"""The embedded default's living sample feed (``samplefeed://``): the sample teams'
tooling exporting evidence up to the day of each run. Only the evidence-store registry
names it (``evidence.store.SCHEMES``); no production module imports it."""
