"""Monthly ranking: loading a month's facts, scoring, published snapshots, exports and the API."""
