"""envd's filesystem service inside one sandbox: stat, list, make, remove, move and watch.

The supervisor hands it every request whose op starts with `fs_`; each answers with one event,
`fs_ok` (with the fields of envd's reply) or `fs_error` (with envd's Connect error code), except
a watch, which streams `fs_event`s until it is stopped.
"""

import ctypes
import errno
import grp
import os
import pwd
import selectors
import shutil
import stat
import struct
from datetime import datetime, timezone

XATTR_PREFIX = "user.e2b."
ERROR_CODES = {
    errno.ENOENT: "not_found",
    errno.ENOTDIR: "invalid_argument",
    errno.EEXIST: "already_exists",
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.ENOTEMPTY: "failed_precondition",
    errno.ENOSPC: "resource_exhausted",
}


class FsError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def os_error(error, path):
    code = ERROR_CODES.get(error.errno, "internal")
    return FsError(code, f"{error.strerror}: {path}")


def name_of(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def read_metadata(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    metadata = {}
    for name in names:
        if name.startswith(XATTR_PREFIX):
            try:
                metadata[name[len(XATTR_PREFIX) :]] = os.getxattr(path, name, follow_symlinks=False).decode(errors="replace")
            except OSError:
                pass
    return metadata


def write_metadata(path, metadata):
    """Replaces the file's metadata: what an earlier write set and this one does not is dropped."""
    try:
        for name in os.listxattr(path):
            if name.startswith(XATTR_PREFIX):
                os.removexattr(path, name)
        for key, value in (metadata or {}).items():
            os.setxattr(path, XATTR_PREFIX + key, str(value).encode())
    except OSError as e:
        raise os_error(e, path) from e


def entry_info(path):
    """envd's EntryInfo of `path` (not following a symlink, whose target it names)."""
    try:
        st = os.lstat(path)
    except OSError as e:
        raise os_error(e, path) from e
    info = {"name": os.path.basename(path) or "/", "path": path}
    target_st = st
    if stat.S_ISLNK(st.st_mode):
        info["symlinkTarget"] = os.path.realpath(path)
        try:
            target_st = os.stat(path)
        except OSError:
            target_st = None
    if target_st is None:
        info["type"] = "FILE_TYPE_SYMLINK"
    elif stat.S_ISDIR(target_st.st_mode):
        info["type"] = "FILE_TYPE_DIRECTORY"
    else:
        info["type"] = "FILE_TYPE_FILE"
    info["size"] = str(st.st_size)
    info["mode"] = stat.S_IMODE(st.st_mode)
    info["permissions"] = stat.filemode(st.st_mode)
    info["owner"] = name_of(pwd.getpwuid, st.st_uid)
    info["group"] = name_of(grp.getgrgid, st.st_gid)
    info["modifiedTime"] = datetime.fromtimestamp(st.st_mtime, timezone.utc).isoformat().replace("+00:00", "Z")
    metadata = read_metadata(path)
    if metadata:
        info["metadata"] = metadata
    return info


def list_dir(path, depth):
    if depth < 1:
        raise FsError("invalid_argument", "depth should be at least one")
    try:
        if not os.path.isdir(path):
            raise FsError("invalid_argument", f"path is not a directory: {path}")
    except OSError as e:
        raise os_error(e, path) from e
    entries = []

    def walk(directory, level):
        try:
            names = sorted(os.listdir(directory))
        except OSError as e:
            raise os_error(e, directory) from e
        for name in names:
            child = os.path.join(directory, name)
            try:
                entries.append(entry_info(child))
            except FsError:
                continue  # gone since it was listed
            if level < depth and os.path.isdir(child) and not os.path.islink(child):
                walk(child, level + 1)

    walk(path, 1)
    return entries


def make_dir(path):
    if os.path.lexists(path):
        if os.path.isdir(path):
            raise FsError("already_exists", f"directory already exists: {path}")
        raise FsError("invalid_argument", f"path already exists and is not a directory: {path}")
    try:
        os.makedirs(path)
    except OSError as e:
        raise os_error(e, path) from e
    return entry_info(path)


def remove(path):
    """Removes a file or a whole tree; one that is not there is already removed, as for envd."""
    if not os.path.lexists(path):
        return
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    except OSError as e:
        raise os_error(e, path) from e


def move(source, destination):
    try:
        os.lstat(source)
        parent = os.path.dirname(destination)
        if parent:
            os.makedirs(parent, exist_ok=True)
        os.rename(source, destination)
    except OSError as e:
        raise os_error(e, source) from e
    return entry_info(destination)


# inotify, through libc: the standard library has no binding.
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_ISDIR, IN_IGNORED = 0x400, 0x800, 0x40000000, 0x8000
WATCH_MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
EVENT_HEADER = struct.Struct("iIII")
_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


class Watch:
    """One WatchDir stream: inotify on a directory (and, when recursive, every directory below)."""

    def __init__(self, req, emit, sel, watches):
        self.id, self.emit, self.sel, self.watches = req["id"], emit, sel, watches
        self.root = req["path"]
        self.recursive = bool(req.get("recursive"))
        self.include_entry = bool(req.get("includeEntry"))
        if not os.path.isdir(self.root):
            if os.path.lexists(self.root):
                raise FsError("invalid_argument", f"path {self.root} not a directory")
            raise FsError("not_found", f"path {self.root} not found")
        self.fd = libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise FsError("internal", f"inotify: {os.strerror(ctypes.get_errno())}")
        self.dirs = {}
        self.add(self.root)
        sel.register(self.fd, selectors.EVENT_READ, self)
        watches[self.id] = self
        emit({"id": self.id, "type": "fs_watch_started"})

    def add(self, directory):
        wd = libc().inotify_add_watch(self.fd, os.fsencode(directory), WATCH_MASK)
        if wd >= 0:
            self.dirs[wd] = directory
        if self.recursive:
            try:
                children = os.scandir(directory)
            except OSError:
                return
            with children:
                for child in children:
                    if child.is_dir(follow_symlinks=False):
                        self.add(child.path)

    def on_ready(self):
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        while offset + EVENT_HEADER.size <= len(data):
            wd, mask, _cookie, length = EVENT_HEADER.unpack_from(data, offset)
            raw = data[offset + EVENT_HEADER.size : offset + EVENT_HEADER.size + length]
            offset += EVENT_HEADER.size + length
            self.report(wd, mask, raw.rstrip(b"\0").decode(errors="replace"))

    def report(self, wd, mask, name):
        directory = self.dirs.get(wd)
        if directory is None:
            return
        if mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF):
            self.dirs.pop(wd, None)
            if directory == self.root:
                self.stop()
            return
        if not name:
            return
        path = os.path.join(directory, name)
        if mask & IN_CREATE or mask & IN_MOVED_TO:
            kind = "EVENT_TYPE_CREATE"
            if self.recursive and mask & IN_ISDIR:
                self.add(path)
        elif mask & IN_MODIFY:
            kind = "EVENT_TYPE_WRITE"
        elif mask & IN_DELETE:
            kind = "EVENT_TYPE_REMOVE"
        elif mask & IN_MOVED_FROM:
            kind = "EVENT_TYPE_RENAME"
        elif mask & IN_ATTRIB:
            kind = "EVENT_TYPE_CHMOD"
        else:
            return
        event = {"name": os.path.relpath(path, self.root), "type": kind}
        if self.include_entry and kind != "EVENT_TYPE_REMOVE" and kind != "EVENT_TYPE_RENAME":
            try:
                event["entry"] = entry_info(path)
            except FsError:
                pass
        self.emit({"id": self.id, "type": "fs_event", "event": event})

    def stop(self):
        if self.fd is None:
            return
        self.sel.unregister(self.fd)
        os.close(self.fd)
        self.fd = None
        self.watches.pop(self.id, None)
        self.emit({"id": self.id, "type": "fs_watch_end"})


watches = {}


def handle(req, emit, sel, sandbox_path):
    """Answers one `fs_*` request."""
    op = req["op"]
    try:
        if op == "fs_watch_stop":
            watch = watches.get(req["target"])
            if watch:
                watch.stop()
            return
        path = sandbox_path(req["path"]) if "path" in req else None
        if op == "fs_watch":
            Watch({**req, "path": path}, emit, sel, watches)
            return
        if op == "fs_stat":
            reply = {"entry": entry_info(path)}
        elif op == "fs_list":
            reply = {"entries": list_dir(path, int(req.get("depth") or 1))}
        elif op == "fs_mkdir":
            reply = {"entry": make_dir(path)}
        elif op == "fs_remove":
            remove(path)
            reply = {}
        elif op == "fs_move":
            reply = {"entry": move(sandbox_path(req["source"]), sandbox_path(req["destination"]))}
        else:
            raise FsError("unimplemented", f"{op} is not a filesystem operation")
    except FsError as e:
        emit({"id": req["id"], "type": "fs_error", "code": e.code, "message": str(e)})
        return
    emit({"id": req["id"], "type": "fs_ok", "reply": reply})
