"""Stores N entries in gnome-keyring's in-memory `session` collection.

Usage: keyring-fill.py N. Items carry the attributes `bench=item-NNNNN`, so
`secret-tool lookup bench item-05000` finds one among N. The session
collection avoids the persistent keyring's rewrite of its whole file on every
store (an hour for 10k items); lookups are served from memory either way.
"""
import sys

import secretstorage

n = int(sys.argv[1])
conn = secretstorage.dbus_init()
coll = secretstorage.Collection(conn, "/org/freedesktop/secrets/aliases/session")
for i in range(n):
    name = f"item-{i:05d}"
    coll.create_item(name, {"bench": name}, f"password-{i:05d}-xxxxxxxx".encode())
print(f"stored {n} items in the session collection")
