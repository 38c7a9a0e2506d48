"""A watcher of a large working copy, so that a warm command need not `stat` every file (git's
fsmonitor, in small).

At 100,000 measures the `stat` of every file is most of a warm command (0.3 s on two cores, where
`import duckdb` takes 0.08 s). On Linux, once a dataset of WATCH_FROM files or more has been
found fresh, a command starts a watcher: a process of the user's own that holds inotify watches
on the dataset's folders and counts every change to an entry the dataset could read. A command
asks it for its count first of all; when the count is the one remembered beside the database
(`vouch`, written after a look at the disk that began after that count was given), nothing has
changed since and the database is the data's: nothing is read or stat-ed. When the count moved,
the watcher names the entries changed since the count vouched for (fsmonitor's "changes since
a token"), and only those, and their folders, are looked at (`changed_since`, then
file_index.seen_since): the index the vouch was made against says what the others are. It keeps
the names of NAMES_KEPT entries at most; beyond that, and for any other index, the disk is looked
at whole.

Anything the watcher cannot vouch for means "ask the disk", as before: no watcher, one of another
user or another version of the code, a folder created, removed or moved, a lost event (the
queue's overflow), a dataset on a network filesystem (whose other clients' writes inotify never
sees). Two kinds of edit raise no event in the watched folders, as with git's fsmonitor: writes
through a shared memory map, and writes to a file through another hard link of it, in a folder
not watched (checked: the event goes to that folder's watches alone). A dataset with a file
linked elsewhere when the watcher starts is not watched; a link made later, and an edit through
it, is seen once the watcher is gone. A watcher no command has asked for IDLE_S seconds exits. SANCTIONS_WATCH=0
turns the watchers off.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from .files import RECORD_FOLDERS, SINGLE_FILES
from .store import cache_dir, child_env, code_hash, dataset_id, index_file, read_own

WATCH_FROM = 20_000  # entries: below this, the stats cost less than a process of its own
IDLE_S = 1800
NAMES_KEPT = 10_000  # entries changed: beyond this, names are forgotten and the disk looked at
_VOUCHED = "{}.watched"
#: Filesystems whose every change goes through this kernel, so that inotify sees it.
_LOCAL = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "f2fs", "jfs"})
_FOLDERS = (*RECORD_FOLDERS, *sorted({str(PurePosixPath(p).parent) for p in SINGLE_FILES.values()} - {"."}))
_TOP = frozenset({*_FOLDERS, *(p for p in SINGLE_FILES.values() if "/" not in p)})


def enabled() -> bool:
    return sys.platform.startswith("linux") and os.environ.get("SANCTIONS_WATCH", "1") != "0"


def _address(directory: Path, ident: str) -> bytes:
    """The watcher's socket, in the abstract namespace: one per user, cache, dataset and code."""
    key = f"{directory}\0{ident}\0{code_hash()}".encode("utf-8", "surrogateescape")
    return b"\0sanctions-watch-%d-%s" % (os.getuid(), hashlib.blake2b(key, digest_size=12).hexdigest().encode())


def token(directory: Path, ident: str) -> str | None:
    """The watcher's count of changes so far (with its instance), or None when there is no
    watcher of ours to ask."""
    if not enabled():
        return None
    reply = _ask(_address(directory, ident), b"count\n")
    return reply.decode("ascii", "replace") if reply else None


def stop(directory: Path, ident: str) -> None:
    """Ask the dataset's watcher, if any, to exit."""
    if enabled():
        _ask(_address(directory, ident), b"stop\n")


def _ask(address: bytes, request: bytes) -> bytes | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        try:
            sock.connect(address)
            if _peer_uid(sock) != os.getuid():
                return None  # (a socket of that name another user took: never trusted)
            sock.sendall(request)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            return reply
        except OSError:
            return None


def _peer_uid(sock: socket.socket) -> int:
    return struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))[1]


def _vouch_of(directory: Path, ident: str) -> tuple[str, str, int] | None:
    """(count, key, written) of the last vouch under this code, if any."""
    raw = read_own(directory / _VOUCHED.format(ident))
    parts = raw.decode("ascii", "replace").split("\n") if raw is not None else []
    if len(parts) == 5 and parts[0] == code_hash() and parts[3].isdigit():
        return parts[1], parts[2], int(parts[3])
    return None


def vouched(directory: Path, ident: str, count: str) -> str | None:
    """The key of the database the data is, as vouched for at this count, if it was."""
    last = _vouch_of(directory, ident)
    return last[1] if last is not None and last[0] == count else None


def changed_since(directory: Path, ident: str, count: str, index: Any) -> list[str] | None:
    """The entries (relative paths) changed since the disk was last found to be `index` (the
    database cache's, of the key and writing time vouched for), as the watcher that gave `count`
    saw them; None when it cannot tell (another watcher, names no longer kept, another index)."""
    last = _vouch_of(directory, ident)
    if last is None or (last[1], last[2]) != (index.key, index.written):
        return None
    instance, _, since = last[0].partition(" ")
    if instance != count.partition(" ")[0] or not since.isdigit():
        return None
    reply = _ask(_address(directory, ident), b"since %d\n" % int(since))
    head, _, names = os.fsdecode(reply or b"").partition("\n")
    if head.partition(" ")[0] != instance or names == "*":
        return None
    return names.split("\n") if names else []


def seen(root: Path) -> tuple[Any, Any] | None:
    """What the disk holds now (file_index.Seen), from the entries the watcher saw change since
    the disk was last found to be the database cache's index, with that index; None when no
    watcher can tell. For `validate`, which otherwise takes the stat of every file."""
    from .file_index import Index, seen_since

    directory, ident = cache_dir(), dataset_id(root)
    count = token(directory, ident)
    index = Index.read(index_file(directory, ident)) if count is not None else None
    names = changed_since(directory, ident, count, index) if index is not None else None
    try:
        return (seen_since(root, index, names), index) if names is not None else None
    except OSError:
        return None


def vouch(directory: Path, ident: str, count: str, key: str, written: int) -> None:
    """Remember that the data was the database of `key`, and its index the one written at
    `written`, when the disk was looked at after the watcher gave `count`."""
    from .files import write_atomic_bytes

    path = directory / _VOUCHED.format(ident)
    try:
        write_atomic_bytes(path, f"{code_hash()}\n{count}\n{key}\n{written}\n".encode("ascii"))
        os.chmod(path, 0o600)  # (whatever the umask: one the group could write is never trusted)
    except OSError:
        pass


def start(root: Path, directory: Path, ident: str) -> None:
    """Start the dataset's watcher (which exits at once if another is already there)."""
    import subprocess

    if not enabled():
        return
    try:
        # The watcher forks and its first process exits: waited for here, so no zombie is left.
        subprocess.run([sys.executable, "-m", "sanctions.watcher", str(root.resolve()),
                        _address(directory, ident).hex(), str(IDLE_S)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd="/", env=child_env(), start_new_session=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        pass


def _local(root: Path) -> bool:
    """Whether the folder is on a filesystem of this machine's (the mount point nearest it)."""
    best, kind = "", ""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = fields[1].replace("\\040", " ")
                if (str(root) == point or str(root).startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        return False
    return kind in _LOCAL


def _ends(flags) -> int:
    """Events after which the watches no longer cover the dataset: a watched folder gone or moved,
    its filesystem unmounted, or events lost (the queue's overflow)."""
    return flags.IGNORED | flags.DELETE_SELF | flags.MOVE_SELF | flags.UNMOUNT | flags.Q_OVERFLOW


def weigh(mask: int, folder: str | None, name: str, ends: int) -> int | None:
    """What one event says: 1 for a change scan() could see, 0 for none, None when the watches no
    longer cover the dataset. `folder` is the watched folder's ("" for the dataset's own)."""
    if mask & ends:
        return None
    if folder == "":
        if name in _FOLDERS:
            return None  # (a folder created, removed or renamed: watched anew by the next watcher)
        return 1 if name in _TOP else 0
    return 0 if name.startswith(".") else 1  # (scan() never reads those)


def _linked_elsewhere(root: Path) -> bool:
    """Whether any entry of the dataset's folders has another hard link: writes through it would
    raise no event here (the event goes to the other link's folder)."""
    try:
        for folder in _FOLDERS:
            if (root / folder).is_dir():
                with os.scandir(root / folder) as entries:
                    if any(e.stat(follow_symlinks=False).st_nlink > 1 for e in entries if not e.is_dir()):
                        return True
        return any((root / p).exists() and os.lstat(root / p).st_nlink > 1 for p in SINGLE_FILES.values())
    except OSError:
        return True


def serve(root: Path, address: bytes, idle: float) -> None:
    """Watch `root` and answer each ask with the count of changes so far, until idle, until a
    change the watches cannot follow, or until asked to stop."""
    import select
    import time
    import uuid

    from inotify_simple import INotify, flags

    if not _local(root):
        return
    changes = (flags.MODIFY | flags.ATTRIB | flags.CLOSE_WRITE | flags.MOVED_FROM | flags.MOVED_TO
               | flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MOVE_SELF)
    ends = _ends(flags)
    inotify = INotify()
    top = os.stat(root)
    watched = {inotify.add_watch(root, changes | flags.ONLYDIR | flags.DONT_FOLLOW): ""}
    for folder in _FOLDERS:
        try:
            watched[inotify.add_watch(root / folder, changes | flags.ONLYDIR | flags.DONT_FOLLOW)] = folder
        except FileNotFoundError:
            pass  # (its creation is an event of the root's, which ends this watcher)
        except OSError:
            return  # (a link, or not a folder: the disk is asked every time)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(address)  # (the name claimed: a watcher started meanwhile exits at once)
    except OSError:
        return  # (another watcher of this dataset was first)
    if _linked_elsewhere(root):
        return
    server.listen(16)  # only once every watch is in place and no file is linked elsewhere
    instance, count = f"{os.getpid()}-{uuid.uuid4().hex}", 0
    changed: dict[str, int] = {}  # entry -> the count of its last change
    known_from = 0  # the names of every change after this count are in `changed`

    def followed() -> bool:
        """Every event queued so far counted; False when the watches no longer cover the data."""
        nonlocal count, known_from
        for event in inotify.read(timeout=0):
            folder = watched.get(event.wd)
            weight = weigh(event.mask, folder, event.name, ends)
            if weight is None:
                return False
            if weight:
                count += weight
                changed[f"{folder}/{event.name}" if folder else event.name] = count
        if len(changed) > NAMES_KEPT:  # (a checkout of everything: the disk is looked at instead)
            changed.clear()
            known_from = count
        return True

    def since(asked: bytes) -> bytes:
        """The entries changed after the count asked, a line each; '*' when not known."""
        after = int(asked)
        names = [name for name, at in changed.items() if at > after]
        if after < known_from or after > count or any("\n" in name for name in names):
            return b"*"
        return os.fsencode("\n".join(names))

    deadline = time.monotonic() + idle
    while True:
        ready = select.select([inotify, server], [], [], max(0.0, deadline - time.monotonic()))[0]
        if not ready or not followed():
            return
        if server not in ready:
            continue
        conn, _ = server.accept()
        with conn:
            conn.settimeout(2.0)
            try:
                if _peer_uid(conn) != os.getuid():
                    continue
                request = conn.recv(64)
                # Events of every change made before the ask are queued by now: counted first.
                now = os.stat(root)
                asked = request.removeprefix(b"since ").removesuffix(b"\n")
                if (not followed() or (now.st_dev, now.st_ino) != (top.st_dev, top.st_ino)
                        or not (request == b"count\n" or request.startswith(b"since ") and asked.isdigit())):
                    return
                reply = f"{instance} {count}".encode("ascii")
                conn.sendall(reply if request == b"count\n" else reply + b"\n" + since(asked))
            except OSError:
                continue
        deadline = time.monotonic() + idle


def main(argv: list[str]) -> None:
    root, address, idle = Path(argv[0]), bytes.fromhex(argv[1]), float(argv[2])
    if os.fork():
        os._exit(0)  # (the starter waits for this one only)
    serve(root, address, idle)


if __name__ == "__main__":
    main(sys.argv[1:])
