#!/usr/bin/env python3
"""A StatusNotifierHost for the tray tests, and the hands that use the tray.

Registers itself with the StatusNotifierWatcher on the session bus (so items
know they are shown), prints "ready", then answers one JSON line per command
read from standard input:

    items              the watcher's RegisteredStatusNotifierItems
    props ITEM         Title, IconName, Status, ToolTip (title, description)
    menu ITEM          the root menu: [{id, label, enabled}]
    click ITEM LABEL   dbusmenu Event "clicked" on the entry with that label
    activate ITEM      Activate(0, 0), as a left click does

ITEM is an entry of `items` ("bus-name" or "bus-name/object-path").
"""
import json
import os
import sys

from gi.repository import Gio, GLib

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"

conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
name = "org.kde.StatusNotifierHost-%d" % os.getpid()


def call(dest, path, iface, method, args, reply):
    return conn.call_sync(dest, path, iface, method, args,
                          GLib.VariantType.new(reply) if reply else None,
                          Gio.DBusCallFlags.NONE, 5000, None)


def prop(dest, path, iface, key):
    return call(dest, path, "org.freedesktop.DBus.Properties", "Get",
                GLib.Variant("(ss)", (iface, key)), "(v)").unpack()[0]


def split(item):
    """A watcher entry is a bus name, or a bus name and an object path."""
    dest, _, path = item.partition("/")
    return dest, "/" + (path or "StatusNotifierItem")


def menu(item):
    dest, path = split(item)
    menu_path = prop(dest, path, ITEM, "Menu")
    layout = call(dest, menu_path, MENU, "GetLayout",
                  GLib.Variant("(iias)", (0, 1, [])), "(u(ia{sv}av))").unpack()[1]
    entries = []
    for child in layout[2]:
        cid, props, _ = child
        if props.get("type") == "separator":
            continue
        entries.append({"id": cid, "label": props.get("label", ""),
                        "enabled": props.get("enabled", True)})
    return dest, menu_path, entries


def answer(words):
    if words == ["items"]:
        return prop(WATCHER, "/StatusNotifierWatcher", WATCHER, "RegisteredStatusNotifierItems")
    if len(words) == 2 and words[0] == "props":
        dest, path = split(words[1])
        tip = prop(dest, path, ITEM, "ToolTip")
        return {
            "title": prop(dest, path, ITEM, "Title"),
            "icon": prop(dest, path, ITEM, "IconName"),
            "status": prop(dest, path, ITEM, "Status"),
            "tooltip_title": tip[2],
            "tooltip": tip[3],
        }
    if len(words) == 2 and words[0] == "menu":
        return menu(words[1])[2]
    if len(words) >= 3 and words[0] == "click":
        label = " ".join(words[2:])
        dest, menu_path, entries = menu(words[1])
        found = [e for e in entries if e["label"] == label]
        if not found:
            return {"error": "no entry " + label}
        call(dest, menu_path, MENU, "Event",
             GLib.Variant("(isvu)", (found[0]["id"], "clicked", GLib.Variant("i", 0), 0)), None)
        return {"clicked": label}
    if len(words) == 2 and words[0] == "activate":
        dest, path = split(words[1])
        call(dest, path, ITEM, "Activate", GLib.Variant("(ii)", (0, 0)), None)
        return {"activated": words[1]}
    return {"error": "unknown command"}


def main():
    owned = call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                 "RequestName", GLib.Variant("(su)", (name, 4)), "(u)").unpack()[0]
    assert owned == 1, owned
    call(WATCHER, "/StatusNotifierWatcher", WATCHER, "RegisterStatusNotifierHost",
         GLib.Variant("(s)", (name,)), None)
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            result = answer(line.split())
        except GLib.Error as e:
            result = {"error": e.message}
        print(json.dumps(result), flush=True)


main()
