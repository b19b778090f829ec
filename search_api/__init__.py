"""HTTP API and French web page of patrimoine. Imports the pipeline's storage and query code, never its flows."""
