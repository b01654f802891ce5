"""The sandbox's HTTP surface, one module per group of Calendly resources.

`params.py` authenticates and parses; each `Handlers` group (`members`, `event_types`, `events`,
`records`) lists its `ROUTES`; `controls.py` serves `/_sandbox/`. `app.build_app` mounts them.
"""
