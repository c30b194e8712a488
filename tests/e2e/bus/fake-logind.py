#!/usr/bin/env python3
"""Stands in for logind on a private bus, for the agent's lock-trigger tests.

Owns org.freedesktop.login1, answers ListSessions with the sessions given on
the command line (ID:UID pairs), prints "ready" once the name is owned, and
then emits the signal each line of standard input names, exactly as logind
does:

    sleep          PrepareForSleep(true) on the manager
    resume         PrepareForSleep(false)
    lock ID        Lock on /org/freedesktop/login1/session/ID
    inhibitors     prints "inhibitors N": delay inhibitors still held

Each emitted signal is acknowledged with a line "sent ..." once flushed.
Inhibit hands out the read end of a pipe, as logind hands out a FIFO: the
inhibitor is released when every copy of it is closed.
"""
import os
import select
import sys

from gi.repository import Gio, GLib

MANAGER_XML = """
<node>
  <interface name="org.freedesktop.login1.Manager">
    <method name="ListSessions">
      <arg type="a(susso)" direction="out"/>
    </method>
    <method name="Inhibit">
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
      <arg type="h" direction="out"/>
    </method>
    <signal name="PrepareForSleep"><arg type="b"/></signal>
  </interface>
</node>
"""

sessions = []
for arg in sys.argv[1:]:
    sid, uid = arg.split(":")
    sessions.append((sid, int(uid), "user", "seat0", "/org/freedesktop/login1/session/" + sid))

loop = GLib.MainLoop()
conn = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)


inhibitors = []


def held():
    still = []
    for w in inhibitors:
        p = select.poll()
        p.register(w, select.POLLERR)
        if p.poll(0):
            os.close(w)
        else:
            still.append(w)
    inhibitors[:] = still
    return len(still)


def on_call(connection, sender, path, interface, method, params, invocation):
    if method == "ListSessions":
        invocation.return_value(GLib.Variant("(a(susso))", (sessions,)))
    elif method == "Inhibit" and params.unpack()[3] == "delay":
        r, w = os.pipe()
        fds = Gio.UnixFDList.new()
        index = fds.append(r)
        os.close(r)
        inhibitors.append(w)
        invocation.return_value_with_unix_fd_list(GLib.Variant("(h)", (index,)), fds)
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


node = Gio.DBusNodeInfo.new_for_xml(MANAGER_XML)
conn.register_object("/org/freedesktop/login1", node.interfaces[0], on_call, None, None)


def emit(path, interface, member, body):
    conn.emit_signal(None, path, interface, member, body)
    conn.flush_sync(None)


def on_line(channel, condition):
    line = channel.readline()
    if not line:
        loop.quit()
        return False
    words = line.split()
    if words == ["sleep"]:
        emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep", GLib.Variant("(b)", (True,)))
    elif words == ["resume"]:
        emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager", "PrepareForSleep", GLib.Variant("(b)", (False,)))
    elif words == ["inhibitors"]:
        print("inhibitors %d" % held(), flush=True)
        return True
    elif len(words) == 2 and words[0] == "lock":
        emit("/org/freedesktop/login1/session/" + words[1], "org.freedesktop.login1.Session", "Lock", None)
    else:
        print("unknown command " + line.strip(), flush=True)
        return True
    print("sent " + line.strip(), flush=True)
    return True


def on_name(connection, name):
    print("ready", flush=True)
    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.IO_IN | GLib.IO_HUP, on_line)


Gio.bus_own_name_on_connection(conn, "org.freedesktop.login1", Gio.BusNameOwnerFlags.NONE, on_name, None)
loop.run()
