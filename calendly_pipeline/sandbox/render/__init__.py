"""Calendly's JSON for each resource of the world, one module per group of resources.

`World` composes one renderer per group (`world.people`, `world.event_types`, `world.events`,
`world.invitees`, `world.records`); the routes call them under the world lock.
"""
