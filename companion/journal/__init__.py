"""The trigger journal: private, durable entries and the spoken thought record.

model (what an entry is), repo (entries in the SQLite store), flow (the
spoken thought record, a pure Flow), effects (SaveEntry and its commit
acknowledgement), session (the shell that carries SaveEntry out), exchange
(export/import), stats (counts and charts), cli (`companion journal ...`).
Nothing here uses the network.
"""
